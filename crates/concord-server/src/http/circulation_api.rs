//! The circulation part of the JSON API: checkout, check-in, renewal, a patron's loans and fines,
//! payments, waivers and refunds. Blocks come back as data: `{"error": {"code": "blocked",
//! "blocks": [{"code", "message", "overridable"}]}}`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use concord_domain::circulation::Routing;
use concord_domain::ids::{LedgerEntryId, PatronId};
use serde::{Deserialize, Serialize};

use super::SharedState;
use super::api::{ApiError, ApiJson};
use super::auth::Auth;
use crate::service::circulation::{self, CheckinReceipt, CheckoutReceipt, RenewalReceipt};
use crate::service::{ServiceError, ServiceResult};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/checkout", post(checkout))
        .route("/api/v1/checkin", post(checkin))
        .route("/api/v1/renew", post(renew))
        .route("/api/v1/patrons/{id}/loans", get(loans))
        .route("/api/v1/patrons/{id}/fines", get(fines))
        .route("/api/v1/patrons/{id}/charges", post(charge))
        .route("/api/v1/patrons/{id}/payments", post(pay))
        .route("/api/v1/patrons/{id}/waivers", post(waive))
        .route("/api/v1/patrons/{id}/refunds", post(refund))
        .route(
            "/api/v1/members/{code}/items-float",
            get(get_items_float).put(put_items_float),
        )
}

#[derive(Serialize)]
struct BlockBody {
    code: &'static str,
    message: String,
    overridable: bool,
}

#[derive(Serialize)]
struct BlockedBody {
    error: BlockedDetail,
}

#[derive(Serialize)]
struct BlockedDetail {
    code: &'static str,
    message: String,
    blocks: Vec<BlockBody>,
}

/// A service error as JSON; blocks carry their catalogue text in the client's language.
fn error_response(state: &SharedState, auth: &Auth, error: ServiceError) -> Response {
    if error.blocks.is_empty() {
        return ApiError(error).into_response();
    }
    let status = StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::CONFLICT);
    let body = BlockedBody {
        error: BlockedDetail {
            code: error.code.as_str(),
            message: state
                .messages
                .get(&auth.lang, &format!("error.{}", error.code.as_str()))
                .to_string(),
            blocks: error
                .blocks
                .iter()
                .map(|block| BlockBody {
                    code: block.code(),
                    message: state.messages.block(&auth.lang, block),
                    overridable: block.staff_may_override(),
                })
                .collect(),
        },
    };
    (status, Json(body)).into_response()
}

fn csrf(auth: &Auth, headers: &HeaderMap) -> ServiceResult<()> {
    auth.check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
}

fn respond<T: Serialize>(
    state: &SharedState,
    auth: &Auth,
    status: StatusCode,
    result: ServiceResult<T>,
) -> Response {
    match result {
        Ok(body) => (status, Json(body)).into_response(),
        Err(error) => error_response(state, auth, error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckoutBody {
    branch: String,
    patron_card: String,
    item_barcode: String,
    #[serde(default)]
    override_reason: Option<String>,
}

#[derive(Serialize)]
struct LoanMade {
    loan_id: String,
    patron_id: String,
    item_barcode: String,
    title: String,
    due_at: i64,
    overridden: Vec<&'static str>,
}

fn loan_made(receipt: CheckoutReceipt) -> LoanMade {
    LoanMade {
        loan_id: receipt.loan_id.to_string(),
        patron_id: receipt.patron_id.to_string(),
        item_barcode: receipt.item_barcode,
        title: receipt.title,
        due_at: receipt.due_at,
        overridden: receipt.overridden.iter().map(|b| b.code()).collect(),
    }
}

async fn checkout(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CheckoutBody>,
) -> Response {
    let result = async {
        csrf(&auth, &headers)?;
        let receipt = circulation::checkout(
            &state.ctx,
            auth.require()?,
            &body.branch,
            &body.patron_card,
            &body.item_barcode,
            body.override_reason.as_deref(),
        )
        .await?;
        Ok(loan_made(receipt))
    }
    .await;
    respond(&state, &auth, StatusCode::CREATED, result)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckinBody {
    branch: String,
    item_barcode: String,
}

#[derive(Serialize)]
struct Returned {
    item_barcode: String,
    title: String,
    /// `to_shelf` or `in_transit`.
    routing: &'static str,
    transit_to_branch: Option<String>,
    transit_to_branch_name: Option<String>,
    loan_id: Option<String>,
    fine_charged: Option<String>,
}

fn returned(receipt: CheckinReceipt) -> Returned {
    Returned {
        item_barcode: receipt.item_barcode,
        title: receipt.title,
        routing: match receipt.routing {
            Routing::ToShelf => "to_shelf",
            Routing::InTransit { .. } => "in_transit",
        },
        transit_to_branch: receipt.transit_to.as_ref().map(|b| b.code.to_string()),
        transit_to_branch_name: receipt.transit_to.map(|b| b.name),
        loan_id: receipt.loan_id.map(|id| id.to_string()),
        fine_charged: receipt.fine_charged.map(|m| m.to_string()),
    }
}

async fn checkin(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CheckinBody>,
) -> Response {
    let result = async {
        csrf(&auth, &headers)?;
        let receipt = circulation::checkin(
            &state.ctx,
            auth.require()?,
            &body.branch,
            &body.item_barcode,
        )
        .await?;
        Ok(returned(receipt))
    }
    .await;
    respond(&state, &auth, StatusCode::OK, result)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenewBody {
    #[serde(default)]
    branch: Option<String>,
    item_barcode: String,
    #[serde(default)]
    override_reason: Option<String>,
}

#[derive(Serialize)]
struct Renewed {
    loan_id: String,
    item_barcode: String,
    due_at: i64,
    renewals_used: i64,
    overridden: Vec<&'static str>,
}

fn renewed(receipt: RenewalReceipt) -> Renewed {
    Renewed {
        loan_id: receipt.loan_id.to_string(),
        item_barcode: receipt.item_barcode,
        due_at: receipt.due_at,
        renewals_used: receipt.renewals_used,
        overridden: receipt.overridden.iter().map(|b| b.code()).collect(),
    }
}

async fn renew(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RenewBody>,
) -> Response {
    let result = async {
        csrf(&auth, &headers)?;
        let receipt = circulation::renew(
            &state.ctx,
            auth.require()?,
            body.branch.as_deref(),
            &body.item_barcode,
            body.override_reason.as_deref(),
        )
        .await?;
        Ok(renewed(receipt))
    }
    .await;
    respond(&state, &auth, StatusCode::OK, result)
}

fn patron_id(raw: &str) -> ServiceResult<PatronId> {
    raw.parse()
        .map_err(|_| ServiceError::field("id", format!("{raw:?} is not a patron id")))
}

#[derive(Serialize)]
struct LoanLine {
    loan_id: String,
    item_barcode: String,
    title: String,
    author: String,
    checked_out_at: i64,
    due_at: i64,
    renewals_used: i64,
}

async fn loans(State(state): State<SharedState>, auth: Auth, Path(id): Path<String>) -> Response {
    let result = async {
        let account =
            circulation::patron_circulation(&state.ctx, auth.require()?, patron_id(&id)?).await?;
        Ok(account
            .loans
            .into_iter()
            .map(|open| LoanLine {
                loan_id: open.loan.id.to_string(),
                item_barcode: open.barcode,
                title: open.title,
                author: open.author,
                checked_out_at: open.loan.checked_out_at,
                due_at: open.loan.due_at,
                renewals_used: open.loan.renewals_used,
            })
            .collect::<Vec<_>>())
    }
    .await;
    respond(&state, &auth, StatusCode::OK, result)
}

#[derive(Serialize)]
struct LedgerLine {
    id: String,
    kind: String,
    charge_id: Option<String>,
    amount: String,
    amount_minor: i64,
    currency: String,
    reason: String,
    loan_id: Option<String>,
    created_at: i64,
}

#[derive(Serialize)]
struct ChargeLine {
    charge_id: String,
    charged: String,
    paid: String,
    waived: String,
    refunded: String,
    outstanding: String,
}

#[derive(Serialize)]
struct Fines {
    balance: String,
    balance_minor: i64,
    currency: String,
    charges: Vec<ChargeLine>,
    entries: Vec<LedgerLine>,
}

async fn fines(State(state): State<SharedState>, auth: Auth, Path(id): Path<String>) -> Response {
    let result = async {
        let account =
            circulation::patron_circulation(&state.ctx, auth.require()?, patron_id(&id)?).await?;
        let ledger = &account.ledger_state;
        Ok(Fines {
            balance: ledger.balance().to_string(),
            balance_minor: ledger.balance().minor_units,
            currency: ledger.currency().code.to_string(),
            charges: ledger
                .charge_balances()
                .iter()
                .map(|c| ChargeLine {
                    charge_id: c.charge.to_string(),
                    charged: c.charged.to_string(),
                    paid: c.paid.to_string(),
                    waived: c.waived.to_string(),
                    refunded: c.refunded.to_string(),
                    outstanding: c.outstanding.to_string(),
                })
                .collect(),
            entries: account
                .ledger
                .iter()
                .map(|e| LedgerLine {
                    id: e.id.to_string(),
                    kind: e.kind.clone(),
                    charge_id: e.charge_id.map(|c| c.to_string()),
                    amount: format!(
                        "{} {}",
                        crate::service::circulation::format_minor(
                            e.amount_minor,
                            ledger.currency()
                        ),
                        e.currency
                    ),
                    amount_minor: e.amount_minor,
                    currency: e.currency.clone(),
                    reason: e.reason.clone(),
                    loan_id: e.loan_id.map(|l| l.to_string()),
                    created_at: e.created_at,
                })
                .collect(),
        })
    }
    .await;
    respond(&state, &auth, StatusCode::OK, result)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerBody {
    amount: String,
    reason: String,
    #[serde(default)]
    charge_id: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Serialize)]
struct Recorded {
    entry_ids: Vec<String>,
}

fn charge_id(body: &LedgerBody) -> ServiceResult<LedgerEntryId> {
    let raw = body
        .charge_id
        .as_deref()
        .ok_or_else(|| ServiceError::field("charge_id", "say which charge"))?;
    raw.parse()
        .map_err(|_| ServiceError::field("charge_id", format!("{raw:?} is not a charge id")))
}

#[derive(Clone, Copy)]
enum LedgerAction {
    Charge,
    Pay,
    Waive,
    Refund,
}

async fn ledger_action(
    state: &SharedState,
    auth: &Auth,
    headers: &HeaderMap,
    id: &str,
    body: &LedgerBody,
    action: LedgerAction,
) -> ServiceResult<Recorded> {
    csrf(auth, headers)?;
    let who = auth.require()?;
    let patron = patron_id(id)?;
    let ctx = &state.ctx;
    let ids = match action {
        LedgerAction::Charge => {
            vec![
                circulation::charge(
                    ctx,
                    who,
                    patron,
                    &body.amount,
                    &body.reason,
                    body.note.as_deref(),
                )
                .await?,
            ]
        }
        LedgerAction::Pay => circulation::pay(ctx, who, patron, &body.amount, &body.reason).await?,
        LedgerAction::Waive => {
            vec![
                circulation::waive(
                    ctx,
                    who,
                    patron,
                    charge_id(body)?,
                    &body.amount,
                    &body.reason,
                )
                .await?,
            ]
        }
        LedgerAction::Refund => {
            vec![
                circulation::refund(
                    ctx,
                    who,
                    patron,
                    charge_id(body)?,
                    &body.amount,
                    &body.reason,
                )
                .await?,
            ]
        }
    };
    Ok(Recorded {
        entry_ids: ids.iter().map(ToString::to_string).collect(),
    })
}

macro_rules! ledger_handler {
    ($name:ident, $action:expr) => {
        async fn $name(
            State(state): State<SharedState>,
            auth: Auth,
            headers: HeaderMap,
            Path(id): Path<String>,
            ApiJson(body): ApiJson<LedgerBody>,
        ) -> Response {
            let result = ledger_action(&state, &auth, &headers, &id, &body, $action).await;
            respond(&state, &auth, StatusCode::CREATED, result)
        }
    };
}

ledger_handler!(charge, LedgerAction::Charge);
ledger_handler!(pay, LedgerAction::Pay);
ledger_handler!(waive, LedgerAction::Waive);
ledger_handler!(refund, LedgerAction::Refund);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemsFloat {
    items_float: bool,
}

async fn get_items_float(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Response {
    let result = async {
        let items_float = circulation::items_float(&state.ctx, auth.require()?, &code).await?;
        Ok(ItemsFloat { items_float })
    }
    .await;
    respond(&state, &auth, StatusCode::OK, result)
}

async fn put_items_float(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<ItemsFloat>,
) -> Response {
    let result = async {
        csrf(&auth, &headers)?;
        circulation::set_items_float(&state.ctx, auth.require()?, &code, body.items_float).await?;
        Ok(body)
    }
    .await;
    respond(&state, &auth, StatusCode::OK, result)
}
