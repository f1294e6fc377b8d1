//! The staff circulation desk (`/desk`, `/desk/checkin`) and the patron's loans page
//! (`/account/loans`): server-rendered, keyboard-driven pages over the circulation services.
//!
//! Scanners type a barcode and press Enter, so every step is one form whose field has autofocus;
//! after each post the page comes back with focus in the next field to scan.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use concord_domain::auth::{Action, Principal, authorise};
use concord_domain::calendar::Date;
use concord_domain::circulation::{Block, Routing};
use maud::{Markup, html};
use serde::Deserialize;

use super::SharedState;
use super::auth::Auth;
use super::pages::{
    Fields, SavedQuery, View, as_staff, field, html_response, render, staff, staff_post, to_login,
};
use crate::service::circulation::{self, CheckinReceipt, CheckoutReceipt, PatronCirculation};
use crate::service::{ServiceError, ServiceResult, org};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/desk", get(desk).post(desk_checkout))
        .route("/desk/checkin", get(checkin_page).post(checkin))
        .route("/account/loans", get(account_loans).post(account_renew))
        .route(
            "/admin/members/{code}/floating",
            get(floating_page).post(set_floating),
        )
}

#[derive(Deserialize, Default)]
struct DeskQuery {
    #[serde(default)]
    branch: String,
    #[serde(default)]
    card: String,
}

/// A date and time as the desk prints it (UTC offset of the consortium applied by the caller).
fn when(unix: i64, offset: i64) -> String {
    let date = Date::from_unix(unix, i32::try_from(offset).unwrap_or(0));
    let minutes = (unix + offset).rem_euclid(86_400) / 60;
    format!("{date} {:02}:{:02}", minutes / 60, minutes % 60)
}

/// What happened at the desk just now, shown above the forms.
enum Outcome {
    None,
    Lent(CheckoutReceipt),
    Blocked {
        barcode: String,
        blocks: Vec<Block>,
        may_override: bool,
    },
    Failed(ServiceError),
}

async fn desk(
    State(state): State<SharedState>,
    auth: Auth,
    Query(query): Query<DeskQuery>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        desk_view(
            &state,
            &auth,
            &principal,
            &query.branch,
            &query.card,
            Outcome::None,
        )
        .await
    })
    .await
}

async fn desk_checkout(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    let branch = field(&fields, "branch").to_string();
    let card = field(&fields, "card").to_string();
    staff_post(&state, &auth, &fields, async |principal| {
        let barcode = field(&fields, "item").trim().to_string();
        let reason = Some(field(&fields, "override_reason"))
            .filter(|_| fields.iter().any(|(k, _)| k == "override_reason"));
        let outcome =
            match circulation::checkout(&state.ctx, &principal, &branch, &card, &barcode, reason)
                .await
            {
                Ok(receipt) => Outcome::Lent(receipt),
                Err(error) if !error.blocks.is_empty() => {
                    let may_override = error.blocks.iter().all(Block::staff_may_override)
                        && may_override_at(&state, &principal, &branch).await;
                    Outcome::Blocked {
                        barcode,
                        blocks: error.blocks,
                        may_override,
                    }
                }
                Err(error) => Outcome::Failed(error),
            };
        desk_view(&state, &auth, &principal, &branch, &card, outcome).await
    })
    .await
}

async fn may_override_at(state: &SharedState, principal: &Principal, branch_code: &str) -> bool {
    match org::branch(&state.ctx, branch_code).await {
        Ok(branch) => authorise(
            principal,
            Action::OverrideBlock {
                member: branch.member_id,
                branch: branch.id,
            },
        )
        .is_ok(),
        Err(_) => false,
    }
}

fn blocks_list(view: &View<'_>, state: &SharedState, auth: &Auth, blocks: &[Block]) -> Markup {
    html! {
        ul {
            @for block in blocks {
                li data-block=(block.code()) {
                    (state.messages.block(&auth.lang, block))
                    @if block.staff_may_override() { " " (view.t("block.overridable")) }
                }
            }
        }
    }
}

async fn desk_view(
    state: &SharedState,
    auth: &Auth,
    principal: &Principal,
    branch: &str,
    card: &str,
    outcome: Outcome,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let consortium = org::consortium(&state.ctx).await?;
    let offset = consortium.utc_offset_seconds;
    let branch = branch.trim();
    let card = card.trim();
    let patron: Option<PatronCirculation> = if card.is_empty() || branch.is_empty() {
        None
    } else {
        Some(circulation::patron_at_desk(&state.ctx, principal, branch, card).await?)
    };
    let today = Date::from_unix(state.ctx.now(), i32::try_from(offset).unwrap_or(0));
    let body = html! {
        h1 { (view.t("desk.title")) }
        p { a href={"/desk/checkin?branch=" (branch)} { (view.t("desk.to_checkin")) } }
        @match &outcome {
            Outcome::None => {}
            Outcome::Lent(receipt) => {
                div class="notice" role="status" {
                    p { (view.tf("desk.lent", &[("title", &receipt.title), ("barcode", &receipt.item_barcode), ("due", &when(receipt.due_at, offset))])) }
                }
            }
            Outcome::Blocked { blocks, .. } => {
                div class="errors" role="alert" {
                    p { (view.t("error.blocked")) }
                    (blocks_list(&view, state, auth, blocks))
                }
            }
            Outcome::Failed(error) => {
                div class="errors" role="alert" { p { (error.message) } }
            }
        }
        @if patron.is_none() {
            form method="get" action="/desk" class="desk" {
                div {
                    label for="branch" { (view.t("desk.branch")) }
                    input id="branch" name="branch" value=(branch) required autocomplete="off";
                }
                div {
                    label for="card" { (view.t("desk.patron_card")) }
                    input id="card" name="card" value=(card) required autofocus autocomplete="off";
                }
                div { button type="submit" { (view.t("desk.find_patron")) } }
            }
        }
        @if let Some(account) = &patron {
            section aria-labelledby="patron-heading" {
                h2 id="patron-heading" { (account.patron.display_name()) }
                p { (view.tf("desk.patron_summary", &[("expires", &account.patron.expires_on.to_string()), ("owed", &account.ledger_state.balance().to_string()), ("loans", &(account.loans.len() + account.loans_elsewhere).to_string())])) }
                @if account.visiting {
                    p { (view.tf("desk.visiting", &[("elsewhere", &account.loans_elsewhere.to_string())])) }
                }
                @if account.patron.is_expired_on(today) {
                    p class="errors" role="alert" { (view.tf("block.card_expired", &[("expired_on", &account.patron.expires_on.to_string())])) }
                }
                p { a href="/desk" { (view.t("desk.next_patron")) } }
            }
            form method="post" action="/desk" class="desk" {
                (view.csrf())
                input type="hidden" name="branch" value=(branch);
                input type="hidden" name="card" value=(card);
                div {
                    label for="item" { (view.t("desk.item_barcode")) }
                    input id="item" name="item" required autofocus autocomplete="off";
                }
                div { button type="submit" { (view.t("desk.check_out")) } }
            }
            @if let Outcome::Blocked { barcode, may_override: true, .. } = &outcome {
                form method="post" action="/desk" class="desk" {
                    (view.csrf())
                    input type="hidden" name="branch" value=(branch);
                    input type="hidden" name="card" value=(card);
                    input type="hidden" name="item" value=(barcode);
                    div {
                        label for="override_reason" { (view.tf("desk.override_reason", &[("barcode", barcode)])) }
                        input id="override_reason" name="override_reason" required;
                    }
                    div { button type="submit" { (view.t("desk.override")) } }
                }
            }
            section class="slip" aria-labelledby="slip-heading" {
                h2 id="slip-heading" { (view.t("desk.slip")) }
                @if account.loans.is_empty() {
                    p { (view.t("desk.no_loans")) }
                } @else {
                    table {
                        thead { tr { th scope="col" { (view.t("desk.col_title")) } th scope="col" { (view.t("desk.col_barcode")) } th scope="col" { (view.t("desk.col_due")) } } }
                        tbody {
                            @for open in &account.loans {
                                tr { td { (open.title) } td { (open.barcode) } td { (when(open.loan.due_at, offset)) } }
                            }
                        }
                    }
                    button type="button" class="no-print" onclick="window.print()" { (view.t("desk.print_slip")) }
                }
            }
        }
        style { "@media print { header.site, footer, form, .no-print, .notice, .errors, a { display: none !important; } .slip { display: block; } }" }
    };
    Ok(html_response(
        StatusCode::OK,
        view.page(view.t("desk.title"), body),
    ))
}

async fn checkin_page(
    State(state): State<SharedState>,
    auth: Auth,
    Query(query): Query<DeskQuery>,
) -> Response {
    let Some(_) = staff(&auth) else {
        return to_login();
    };
    let result = checkin_view(&state, &auth, &query.branch, None).await;
    render(&state, &auth, result)
}

async fn checkin(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    let branch = field(&fields, "branch").to_string();
    staff_post(&state, &auth, &fields, async |principal| {
        let outcome =
            circulation::checkin(&state.ctx, &principal, &branch, field(&fields, "item")).await;
        checkin_view(&state, &auth, &branch, Some(outcome)).await
    })
    .await
}

async fn checkin_view(
    state: &SharedState,
    auth: &Auth,
    branch: &str,
    outcome: Option<ServiceResult<CheckinReceipt>>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let body = html! {
        h1 { (view.t("desk.checkin_title")) }
        p { a href={"/desk?branch=" (branch)} { (view.t("desk.to_checkout")) } }
        @match &outcome {
            None => {}
            Some(Ok(receipt)) => {
                div class="notice routing" role="status" {
                    p class="instruction" {
                        @match (&receipt.routing, &receipt.transit_to) {
                            (Routing::InTransit { .. }, Some(to)) => (view.tf("desk.in_transit", &[("branch", &to.name)])),
                            _ => (view.t("desk.to_shelf")),
                        }
                    }
                    p { (view.tf("desk.returned", &[("title", &receipt.title), ("barcode", &receipt.item_barcode)])) }
                    @if let Some(fine) = receipt.fine_charged {
                        p { (view.tf("desk.fine_charged", &[("amount", &fine.to_string())])) }
                    }
                }
            }
            Some(Err(error)) => {
                div class="errors" role="alert" { p { (error.message) } }
            }
        }
        form method="post" action="/desk/checkin" class="desk" {
            (view.csrf())
            div {
                label for="branch" { (view.t("desk.branch")) }
                input id="branch" name="branch" value=(branch) required autocomplete="off";
            }
            div {
                label for="item" { (view.t("desk.item_barcode")) }
                input id="item" name="item" required autofocus autocomplete="off";
            }
            div { button type="submit" { (view.t("desk.check_in")) } }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        view.page(view.t("desk.checkin_title"), body),
    ))
}

// ----- the patron's loans -----

async fn account_loans(State(state): State<SharedState>, auth: Auth) -> Response {
    let result = loans_view(&state, &auth, None).await;
    render(&state, &auth, result)
}

async fn account_renew(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    let result = async {
        auth.check_csrf(Some(field(&fields, "csrf")))?;
        let outcome = circulation::renew(
            &state.ctx,
            auth.require()?,
            None,
            field(&fields, "item"),
            None,
        )
        .await;
        loans_view(&state, &auth, Some(outcome.map(|r| r.item_barcode))).await
    }
    .await;
    render(&state, &auth, result)
}

async fn loans_view(
    state: &SharedState,
    auth: &Auth,
    renewed: Option<ServiceResult<String>>,
) -> ServiceResult<Response> {
    let Some(Principal::Patron { id, .. }) = &auth.principal else {
        return Ok(Redirect::to("/account/login").into_response());
    };
    let account = circulation::patron_circulation(&state.ctx, auth.require()?, *id).await?;
    let offset = org::consortium(&state.ctx).await?.utc_offset_seconds;
    let view = View::new(state, auth);
    let body = html! {
        h1 { (view.t("loans.title")) }
        @match &renewed {
            None => {}
            Some(Ok(barcode)) => div class="notice" role="status" { p { (view.tf("loans.renewed", &[("barcode", barcode)])) } },
            Some(Err(error)) => div class="errors" role="alert" {
                p { (error.message) }
                (blocks_list(&view, state, auth, &error.blocks))
            },
        }
        h2 { (view.t("loans.current")) }
        @if account.loans.is_empty() {
            p { (view.t("desk.no_loans")) }
        } @else {
            table {
                thead { tr { th scope="col" { (view.t("desk.col_title")) } th scope="col" { (view.t("desk.col_due")) } th scope="col" { (view.t("loans.renew")) } } }
                tbody {
                    @for open in &account.loans {
                        tr {
                            td { (open.title) }
                            td { (when(open.loan.due_at, offset)) }
                            td {
                                form method="post" action="/account/loans" {
                                    (view.csrf())
                                    input type="hidden" name="item" value=(open.barcode);
                                    button type="submit" aria-label=(view.tf("loans.renew_title", &[("title", &open.title)])) { (view.t("loans.renew")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (view.t("loans.fines")) }
        p { (view.tf("loans.balance", &[("owed", &account.ledger_state.balance().to_string())])) }
        @if !account.ledger.is_empty() {
            table {
                thead { tr { th scope="col" { (view.t("loans.col_date")) } th scope="col" { (view.t("loans.col_kind")) } th scope="col" { (view.t("loans.col_reason")) } th scope="col" { (view.t("loans.col_amount")) } } }
                tbody {
                    @for entry in &account.ledger {
                        tr {
                            td { (when(entry.created_at, offset)) }
                            td { (entry.kind) }
                            td { (entry.reason) }
                            td { (circulation::format_minor(entry.amount_minor, account.ledger_state.currency())) " " (entry.currency) }
                        }
                    }
                }
            }
        }
        @if account.patron.privacy.keep_reading_history {
            h2 { (view.t("loans.history")) }
            ul {
                @for line in &account.reading_history {
                    li { (line.title) " — " (when(line.borrowed_at, offset)) }
                }
            }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        view.page(view.t("loans.title"), body),
    ))
}

/// The member administrator's switch for floating items.
async fn floating_view(
    state: &SharedState,
    auth: &Auth,
    principal: &Principal,
    code: &str,
    saved: bool,
) -> ServiceResult<Response> {
    let floats = circulation::items_float(&state.ctx, principal, code).await?;
    let member = org::member(&state.ctx, code).await?;
    let view = View::new(state, auth);
    let title = view.tf("floating.title", &[("member", &member.name)]);
    let body = html! {
        h1 { (title) }
        @if saved { div class="notice" role="status" { p { (view.t("floating.saved")) } } }
        p { (view.t("floating.explain")) }
        form method="post" action={"/admin/members/" (member.code) "/floating"} {
            (view.csrf())
            div {
                input type="checkbox" id="items_float" name="items_float" value="yes" checked[floats];
                " "
                label for="items_float" { (view.t("floating.label")) }
            }
            div { button type="submit" { (view.t("floating.save")) } }
        }
    };
    Ok(html_response(StatusCode::OK, view.page(&title, body)))
}

async fn floating_page(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(query): Query<SavedQuery>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        floating_view(&state, &auth, &principal, &code, query.saved.is_some()).await
    })
    .await
}

async fn set_floating(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let floats = field(&fields, "items_float") == "yes";
        circulation::set_items_float(&state.ctx, &principal, &code, floats).await?;
        Ok(Redirect::to(&format!("/admin/members/{code}/floating?saved=1")).into_response())
    })
    .await
}
