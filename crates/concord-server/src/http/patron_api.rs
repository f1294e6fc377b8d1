//! JSON API routes for patrons as one identity (cards, merges, online registrations, the patron's
//! own preferences and PIN) and for the circulation policy matrix with "which rule applies and why".

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use concord_domain::circulation::policy_input::{PolicyRuleInput, settings_as_text};
use concord_domain::ids::{PatronId, PolicyRuleId};
use concord_domain::patron::AccountInput;
use concord_store::patrons::CardRecord;
use concord_store::policies::StoredPolicyRule;
use serde::{Deserialize, Serialize};

use super::SharedState;
use super::api::{ApiJson, ApiResult, PatronView, csrf, patron_view};
use super::auth::Auth;
use super::policy_pages::{ExplainLines, explain_lines, rule_codes};
use crate::service::policies::ExplainQuery;
use crate::service::{ServiceError, ServiceResult, org, patrons, policies};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/policies", get(list_rules).post(create_rule))
        .route("/api/v1/policies/explain", get(explain))
        .route(
            "/api/v1/policies/{id}",
            get(get_rule).put(update_rule).delete(delete_rule),
        )
        .route("/api/v1/patrons/{id}/cards", get(list_cards).post(add_card))
        .route(
            "/api/v1/patrons/{id}/cards/{barcode}",
            axum::routing::delete(deactivate_card),
        )
        .route("/api/v1/patrons/{id}/merge", post(merge))
        .route("/api/v1/patrons/{id}/account", put(update_account))
        .route("/api/v1/me/pin", put(change_pin))
        .route("/api/v1/registrations", get(pending_registrations))
        .route(
            "/api/v1/registrations/{id}/{decision}",
            post(decide_registration),
        )
}

fn patron_id(raw: &str) -> ServiceResult<PatronId> {
    raw.parse()
        .map_err(|_| ServiceError::field("id", format!("{raw:?} is not a patron id")))
}

fn rule_id(raw: &str) -> ServiceResult<PolicyRuleId> {
    raw.parse()
        .map_err(|_| ServiceError::not_found(format!("circulation rule {raw}")))
}

// ----- policies -----

#[derive(Serialize)]
pub struct RuleView {
    pub id: String,
    pub description: String,
    pub circulating_member: Option<String>,
    pub circulating_branch: Option<String>,
    pub patron_home_member: Option<String>,
    pub patron_type: Option<String>,
    pub item_type: Option<String>,
    pub shelving_location: Option<String>,
    pub specificity: u8,
    /// Setting name → value as typed (`14d`, `0.25`, `yes`); settings not listed are inherited.
    pub settings: BTreeMap<String, String>,
}

async fn rule_view(state: &SharedState, stored: &StoredPolicyRule) -> ServiceResult<RuleView> {
    let members = org::list_members(&state.ctx).await?;
    let branches = org::list_branches(&state.ctx, None).await?;
    let codes = rule_codes(&stored.rule, &members, &branches);
    Ok(RuleView {
        id: stored.rule.id.to_string(),
        description: stored.description.clone(),
        circulating_member: codes.circulating_member,
        circulating_branch: codes.circulating_branch,
        patron_home_member: codes.patron_home_member,
        patron_type: stored
            .rule
            .match_points
            .patron_type
            .as_ref()
            .map(ToString::to_string),
        item_type: stored
            .rule
            .match_points
            .item_type
            .as_ref()
            .map(ToString::to_string),
        shelving_location: stored
            .rule
            .match_points
            .shelving_location
            .as_ref()
            .map(ToString::to_string),
        specificity: stored.rule.match_points.specificity(),
        settings: settings_as_text(&stored.rule.settings)
            .into_iter()
            .collect(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleBody {
    description: String,
    #[serde(default)]
    circulating_member: String,
    #[serde(default)]
    circulating_branch: String,
    #[serde(default)]
    patron_home_member: String,
    #[serde(default)]
    patron_type: String,
    #[serde(default)]
    item_type: String,
    #[serde(default)]
    shelving_location: String,
    #[serde(default)]
    settings: BTreeMap<String, String>,
}

impl From<RuleBody> for PolicyRuleInput {
    fn from(b: RuleBody) -> Self {
        PolicyRuleInput {
            description: b.description,
            circulating_member: b.circulating_member,
            circulating_branch: b.circulating_branch,
            patron_home_member: b.patron_home_member,
            patron_type: b.patron_type,
            item_type: b.item_type,
            shelving_location: b.shelving_location,
            settings: b.settings.into_iter().collect(),
        }
    }
}

async fn list_rules(
    State(state): State<SharedState>,
    auth: Auth,
) -> ApiResult<Json<Vec<RuleView>>> {
    let rules = policies::list(&state.ctx, auth.require()?).await?;
    let mut views = Vec::with_capacity(rules.len());
    for r in &rules {
        views.push(rule_view(&state, r).await?);
    }
    Ok(Json(views))
}

async fn get_rule(
    State(state): State<SharedState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RuleView>> {
    let rule = policies::rule(&state.ctx, auth.require()?, rule_id(&id)?).await?;
    Ok(Json(rule_view(&state, &rule).await?))
}

async fn create_rule(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RuleBody>,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    csrf(&auth, &headers)?;
    let rule = policies::create(&state.ctx, auth.require()?, &body.into()).await?;
    Ok((StatusCode::CREATED, Json(rule_view(&state, &rule).await?)))
}

async fn update_rule(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RuleBody>,
) -> ApiResult<Json<RuleView>> {
    csrf(&auth, &headers)?;
    let rule = policies::update(&state.ctx, auth.require()?, rule_id(&id)?, &body.into()).await?;
    Ok(Json(rule_view(&state, &rule).await?))
}

async fn delete_rule(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    csrf(&auth, &headers)?;
    policies::delete(&state.ctx, auth.require()?, rule_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
pub struct ExplainParams {
    #[serde(default)]
    pub patron: String,
    #[serde(default)]
    pub branch: String,
    #[serde(default)]
    pub item_type: String,
    #[serde(default)]
    pub shelving_location: String,
}

impl ExplainParams {
    pub fn query(&self) -> ExplainQuery {
        ExplainQuery {
            patron_card: self.patron.clone(),
            branch: self.branch.clone(),
            item_type: self.item_type.clone(),
            shelving_location: self.shelving_location.clone(),
        }
    }
}

async fn explain(
    State(state): State<SharedState>,
    auth: Auth,
    Query(params): Query<ExplainParams>,
) -> ApiResult<Json<ExplainLines>> {
    let explained = policies::explain(&state.ctx, auth.require()?, &params.query()).await?;
    Ok(Json(explain_lines(&explained)))
}

// ----- cards -----

#[derive(Serialize)]
struct CardView {
    barcode: String,
    active: bool,
    created_at: i64,
    deactivated_at: Option<i64>,
}

fn card_view(c: &CardRecord) -> CardView {
    CardView {
        barcode: c.barcode.to_string(),
        active: c.active,
        created_at: c.created_at,
        deactivated_at: c.deactivated_at,
    }
}

async fn list_cards(
    State(state): State<SharedState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<CardView>>> {
    let cards = patrons::cards(&state.ctx, auth.require()?, patron_id(&id)?).await?;
    Ok(Json(cards.iter().map(card_view).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardBody {
    barcode: String,
}

async fn add_card(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CardBody>,
) -> ApiResult<(StatusCode, Json<PatronView>)> {
    csrf(&auth, &headers)?;
    let patron =
        patrons::add_card(&state.ctx, auth.require()?, patron_id(&id)?, &body.barcode).await?;
    Ok((
        StatusCode::CREATED,
        Json(patron_view(&state, &patron).await?),
    ))
}

async fn deactivate_card(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path((id, barcode)): Path<(String, String)>,
) -> ApiResult<Json<PatronView>> {
    csrf(&auth, &headers)?;
    let patron =
        patrons::deactivate_card(&state.ctx, auth.require()?, patron_id(&id)?, &barcode).await?;
    Ok(Json(patron_view(&state, &patron).await?))
}

// ----- merge -----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    /// The id of the patron merged into this one (and then removed).
    absorb: String,
}

async fn merge(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MergeBody>,
) -> ApiResult<Json<PatronView>> {
    csrf(&auth, &headers)?;
    let absorb = body.absorb.parse().map_err(|_| {
        ServiceError::field("absorb", format!("{:?} is not a patron id", body.absorb))
    })?;
    let patron = patrons::merge(&state.ctx, auth.require()?, patron_id(&id)?, absorb).await?;
    Ok(Json(patron_view(&state, &patron).await?))
}

// ----- the patron's own account -----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountBody {
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    sms_number: String,
    #[serde(default)]
    preferred_pickup_branch: String,
    /// Channels: any of `email`, `sms`, `print`.
    #[serde(default)]
    notice_channels: Vec<String>,
    #[serde(default)]
    keep_reading_history: bool,
    #[serde(default)]
    contact_home_member_only: bool,
}

async fn update_account(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AccountBody>,
) -> ApiResult<Json<PatronView>> {
    csrf(&auth, &headers)?;
    for channel in &body.notice_channels {
        if !["email", "sms", "print"].contains(&channel.as_str()) {
            return Err(ServiceError::field(
                "notice_channels",
                format!("{channel:?} is not a channel (email, sms or print)"),
            )
            .into());
        }
    }
    let has = |c: &str| body.notice_channels.iter().any(|n| n == c);
    let input = AccountInput {
        email: body.email.clone(),
        phone: body.phone.clone(),
        sms_number: body.sms_number.clone(),
        preferred_pickup_branch: body.preferred_pickup_branch.clone(),
        notice_email: has("email"),
        notice_sms: has("sms"),
        notice_print: has("print"),
        keep_reading_history: body.keep_reading_history,
        contact_home_member_only: body.contact_home_member_only,
    };
    let patron =
        patrons::update_account(&state.ctx, auth.require()?, patron_id(&id)?, &input).await?;
    Ok(Json(patron_view(&state, &patron).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinChangeBody {
    current_pin: String,
    new_pin: String,
}

async fn change_pin(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PinChangeBody>,
) -> ApiResult<StatusCode> {
    csrf(&auth, &headers)?;
    patrons::change_own_pin(
        &state.ctx,
        auth.require()?,
        &body.current_pin,
        &body.new_pin,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- online registrations -----

async fn pending_registrations(
    State(state): State<SharedState>,
    auth: Auth,
) -> ApiResult<Json<Vec<PatronView>>> {
    let pending = patrons::pending_registrations(&state.ctx, auth.require()?).await?;
    let mut views = Vec::with_capacity(pending.len());
    for p in &pending {
        views.push(patron_view(&state, p).await?);
    }
    Ok(Json(views))
}

async fn decide_registration(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path((id, decision)): Path<(String, String)>,
) -> ApiResult<Json<PatronView>> {
    csrf(&auth, &headers)?;
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(ServiceError::not_found(format!("decision {decision}")).into()),
    };
    let patron =
        patrons::decide_registration(&state.ctx, auth.require()?, patron_id(&id)?, approve).await?;
    Ok(Json(patron_view(&state, &patron).await?))
}
