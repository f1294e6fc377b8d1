//! The JSON API (`/api/v1/…`). Wire types here are separate from domain types and converted by
//! hand, so the domain can change without breaking clients.

use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use concord_domain::audit::{AuditEntry, AuditFilter};
use concord_domain::auth::{Grant, Principal, Role, Scope};
use concord_domain::calendar::Weekday;
use concord_domain::ids::{ApiTokenId, PatronId};
use concord_domain::org::{Branch, BranchInput, Member, MemberInput};
use concord_domain::patron::{Patron, PatronInput};
use concord_store::accounts::ApiTokenRecord;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::SharedState;
use super::auth::Auth;
use crate::service::accounts::{StaffInput, StaffSummary};
use crate::service::{ServiceError, ServiceResult, accounts, audit, org, orgfile, patrons};

/// A service error as a JSON response: `{"error": {"code", "message", "fields"}}`.
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError(e)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<FieldBody<'a>>,
}

#[derive(Serialize)]
struct FieldBody<'a> {
    field: &'a str,
    reason: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status =
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            error: ErrorDetail {
                code: e.code.as_str(),
                message: &e.message,
                fields: e
                    .fields
                    .iter()
                    .map(|f| FieldBody {
                        field: &f.field,
                        reason: &f.reason,
                    })
                    .collect(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = e.retry_after
            && let Ok(value) = seconds.to_string().parse()
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// A JSON body whose rejection is a clear `invalid_input` error naming the problem.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError(json_rejection(rejection))),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ServiceError {
    let (field, reason) = match &rejection {
        JsonRejection::JsonDataError(e) => (
            "body",
            std::error::Error::source(e).map_or(e.body_text(), |s| s.to_string()),
        ),
        JsonRejection::JsonSyntaxError(e) => (
            "body",
            std::error::Error::source(e).map_or(e.body_text(), |s| s.to_string()),
        ),
        JsonRejection::MissingJsonContentType(_) => {
            ("content-type", "must be application/json".to_string())
        }
        other => ("body", other.body_text()),
    };
    ServiceError::field(field, reason)
}

/// Query parameters whose rejection is a clear `invalid_input` error naming the problem.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError(ServiceError::field(
                "query",
                std::error::Error::source(&rejection)
                    .map_or(rejection.body_text(), |s| s.to_string()),
            ))),
        }
    }
}

/// State-changing API calls carried by a session cookie must echo the session's anti-forgery token.
pub(crate) fn csrf(auth: &Auth, headers: &HeaderMap) -> ServiceResult<()> {
    auth.check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
}

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/session", post(login_staff).delete(logout))
        .route("/api/v1/patron-session", post(login_patron))
        .route("/api/v1/me", get(me))
        .route("/api/v1/consortium", get(consortium))
        .route("/api/v1/members", get(list_members).post(create_member))
        .route("/api/v1/members/{code}", get(get_member).put(update_member))
        .route(
            "/api/v1/members/{code}/branches",
            get(list_member_branches).post(create_branch),
        )
        .route("/api/v1/branches", get(list_branches))
        .route(
            "/api/v1/branches/{code}",
            get(get_branch).put(update_branch),
        )
        .route("/api/v1/org/load", post(load_org))
        .route("/api/v1/patrons", get(search_patrons).post(register_patron))
        .route("/api/v1/patrons/{id}", get(get_patron).put(update_patron))
        .route("/api/v1/patrons/{id}/pin", put(set_pin))
        .route("/api/v1/staff", get(list_staff).post(create_staff))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/audit", get(browse_audit))
}

// ----- wire types -----

#[derive(Serialize)]
pub struct MemberView {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub display_name: String,
    pub colour: String,
    pub logo_url: Option<String>,
}

impl From<&Member> for MemberView {
    fn from(m: &Member) -> Self {
        MemberView {
            code: m.code.to_string(),
            name: m.name.clone(),
            kind: m.kind.as_str(),
            display_name: m.branding.display_name.clone(),
            colour: m.branding.colour.as_str().to_string(),
            logo_url: m.branding.logo_url.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberBody {
    code: String,
    name: String,
    kind: String,
    display_name: Option<String>,
    colour: Option<String>,
    logo_url: Option<String>,
}

impl From<MemberBody> for MemberInput {
    fn from(b: MemberBody) -> Self {
        MemberInput {
            code: b.code,
            name: b.name,
            kind: b.kind,
            display_name: b.display_name,
            colour: b.colour,
            logo_url: b.logo_url,
        }
    }
}

#[derive(Serialize)]
pub struct ClosedDateView {
    pub date: String,
    pub reason: String,
}

#[derive(Serialize)]
pub struct BranchView {
    pub code: String,
    pub member: String,
    pub name: String,
    pub address: String,
    /// Weekday → `"09:00-17:00"` or `"closed"`.
    pub opening_hours: BTreeMap<&'static str, String>,
    pub closed_dates: Vec<ClosedDateView>,
    pub pickup_location: bool,
    pub curbside: bool,
}

fn branch_view(branch: &Branch, member_code: &str) -> BranchView {
    BranchView {
        code: branch.code.to_string(),
        member: member_code.to_string(),
        name: branch.name.clone(),
        address: branch.address.clone(),
        opening_hours: Weekday::ALL
            .iter()
            .map(|w| (w.key(), branch.opening_hours.format_day(*w)))
            .collect(),
        closed_dates: branch
            .closed_dates
            .iter()
            .map(|c| ClosedDateView {
                date: c.date.to_string(),
                reason: c.reason.clone(),
            })
            .collect(),
        pickup_location: branch.is_pickup_location,
        curbside: branch.has_curbside,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClosedDateBody {
    date: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BranchBody {
    code: String,
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    opening_hours: BTreeMap<String, String>,
    #[serde(default)]
    closed_dates: Vec<ClosedDateBody>,
    #[serde(default)]
    pickup_location: bool,
    #[serde(default)]
    curbside: bool,
}

impl From<BranchBody> for BranchInput {
    fn from(b: BranchBody) -> Self {
        BranchInput {
            code: b.code,
            name: b.name,
            address: b.address,
            opening_hours: b.opening_hours.into_iter().collect(),
            closed_dates: b
                .closed_dates
                .into_iter()
                .map(|c| (c.date, c.reason))
                .collect(),
            is_pickup_location: b.pickup_location,
            has_curbside: b.curbside,
        }
    }
}

#[derive(Serialize)]
pub struct PatronView {
    pub id: String,
    pub cards: Vec<String>,
    pub family_name: String,
    pub given_names: String,
    pub home_branch: String,
    pub home_member: String,
    pub patron_type: String,
    pub expires_on: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub sms_number: Option<String>,
    pub date_of_birth: Option<String>,
    pub preferred_pickup_branch: Option<String>,
    pub status: &'static str,
    /// Channels notices go out by: `email`, `sms`, `print`.
    pub notice_channels: Vec<&'static str>,
    pub keep_reading_history: bool,
    pub contact_home_member_only: bool,
}

pub(crate) async fn patron_view(state: &SharedState, p: &Patron) -> ServiceResult<PatronView> {
    let branch = org::branch_by_id(&state.ctx, p.home_branch).await?;
    let member = org::member_by_id(&state.ctx, p.home_member).await?;
    let pickup = match p.preferred_pickup_branch {
        Some(id) => Some(org::branch_by_id(&state.ctx, id).await?.code.to_string()),
        None => None,
    };
    Ok(PatronView {
        id: p.id.to_string(),
        cards: p.cards.iter().map(ToString::to_string).collect(),
        family_name: p.family_name.clone(),
        given_names: p.given_names.clone(),
        home_branch: branch.code.to_string(),
        home_member: member.code.to_string(),
        patron_type: p.patron_type.to_string(),
        expires_on: p.expires_on.to_string(),
        email: p.email.clone(),
        phone: p.phone.clone(),
        sms_number: p.sms_number.clone(),
        date_of_birth: p.date_of_birth.map(|d| d.to_string()),
        preferred_pickup_branch: pickup,
        status: p.status.as_str(),
        notice_channels: [
            (p.notices.email, "email"),
            (p.notices.sms, "sms"),
            (p.notices.print, "print"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect(),
        keep_reading_history: p.privacy.keep_reading_history,
        contact_home_member_only: p.privacy.contact_home_member_only,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatronBody {
    #[serde(default)]
    card: String,
    family_name: String,
    #[serde(default)]
    given_names: String,
    home_branch: String,
    patron_type: String,
    expires_on: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    sms_number: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    preferred_pickup_branch: String,
    #[serde(default)]
    pin: Option<String>,
    /// Staff have checked the possible duplicates and register this patron anyway.
    #[serde(default)]
    register_anyway: bool,
}

impl PatronBody {
    fn input(&self) -> PatronInput {
        PatronInput {
            card: self.card.clone(),
            family_name: self.family_name.clone(),
            given_names: self.given_names.clone(),
            home_branch: self.home_branch.clone(),
            patron_type: self.patron_type.clone(),
            expires_on: self.expires_on.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            sms_number: self.sms_number.clone(),
            date_of_birth: self.date_of_birth.clone(),
            preferred_pickup_branch: self.preferred_pickup_branch.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct GrantView {
    pub role: &'static str,
    pub scope: String,
}

async fn grant_view(state: &SharedState, grant: &Grant) -> ServiceResult<GrantView> {
    Ok(GrantView {
        role: grant.role.as_str(),
        scope: accounts::describe_scope(&state.ctx, grant.scope).await?,
    })
}

#[derive(Serialize)]
struct StaffView {
    username: String,
    display_name: String,
    disabled: bool,
    grants: Vec<GrantView>,
}

async fn staff_view(state: &SharedState, s: &StaffSummary) -> ServiceResult<StaffView> {
    let mut grants = Vec::new();
    for g in &s.grants {
        grants.push(grant_view(state, g).await?);
    }
    Ok(StaffView {
        username: s.username.clone(),
        display_name: s.display_name.clone(),
        disabled: s.disabled,
        grants,
    })
}

#[derive(Serialize)]
struct TokenView {
    id: String,
    name: String,
    role: &'static str,
    scope: String,
    created_by: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
    /// Only in the response that creates the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

async fn token_view(
    state: &SharedState,
    t: &ApiTokenRecord,
    secret: Option<String>,
) -> ServiceResult<TokenView> {
    Ok(TokenView {
        id: t.id.to_string(),
        name: t.name.clone(),
        role: t.grant.role.as_str(),
        scope: accounts::describe_scope(&state.ctx, t.grant.scope).await?,
        created_by: t.created_by.clone(),
        created_at: t.created_at,
        expires_at: t.expires_at,
        revoked_at: t.revoked_at,
        last_used_at: t.last_used_at,
        secret,
    })
}

#[derive(Serialize)]
struct AuditView {
    id: String,
    at: i64,
    actor: String,
    action: String,
    entity_kind: String,
    entity_id: String,
    member: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    reason: Option<String>,
}

fn audit_view(e: &AuditEntry, members: &[Member]) -> AuditView {
    let parse = |t: &Option<String>| t.as_deref().and_then(|t| serde_json::from_str(t).ok());
    AuditView {
        id: e.id.to_string(),
        at: e.at,
        actor: e.actor.clone(),
        action: e.action.clone(),
        entity_kind: e.entity_kind.clone(),
        entity_id: e.entity_id.clone(),
        member: e
            .member_id
            .and_then(|id| members.iter().find(|m| m.id == id))
            .map(|m| m.code.to_string()),
        before: parse(&e.before),
        after: parse(&e.after),
        reason: e.reason.clone(),
    }
}

#[derive(Serialize)]
struct MeView {
    kind: &'static str,
    name: String,
    grants: Vec<GrantView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patron: Option<PatronView>,
}

// ----- handlers -----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffLoginBody {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct SessionView {
    csrf_token: String,
    expires_at: i64,
}

fn session_response(state: &SharedState, session: accounts::NewSession) -> Response {
    let cookie =
        super::pages::session_cookie(state, &session.token, session.expires_at - state.ctx.now());
    let mut response = Json(SessionView {
        csrf_token: session.csrf_token,
        expires_at: session.expires_at,
    })
    .into_response();
    if let Ok(value) = cookie.parse() {
        response
            .headers_mut()
            .insert(axum::http::header::SET_COOKIE, value);
    }
    response
}

async fn login_staff(
    State(state): State<SharedState>,
    auth: Auth,
    ApiJson(body): ApiJson<StaffLoginBody>,
) -> ApiResult<Response> {
    let session =
        accounts::login_staff(&state.ctx, &body.username, &body.password, &auth.client).await?;
    Ok(session_response(&state, session))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatronLoginBody {
    card: String,
    pin: String,
}

async fn login_patron(
    State(state): State<SharedState>,
    auth: Auth,
    ApiJson(body): ApiJson<PatronLoginBody>,
) -> ApiResult<Response> {
    let session = accounts::login_patron(&state.ctx, &body.card, &body.pin, &auth.client).await?;
    Ok(session_response(&state, session))
}

async fn logout(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    csrf(&auth, &headers)?;
    if let Some(token) = &auth.session_token {
        accounts::logout(&state.ctx, token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(state): State<SharedState>, auth: Auth) -> ApiResult<Json<MeView>> {
    let principal = auth.require()?;
    let view = match principal {
        Principal::Patron { id, .. } => {
            let patron = patrons::patron(&state.ctx, principal, *id).await?;
            MeView {
                kind: "patron",
                name: patron.display_name(),
                grants: Vec::new(),
                patron: Some(patron_view(&state, &patron).await?),
            }
        }
        other => {
            let mut grants = Vec::new();
            for g in other.grants() {
                grants.push(grant_view(&state, g).await?);
            }
            let (kind, name) = match other {
                Principal::Token { name, .. } => ("token", name.clone()),
                Principal::Staff { username, .. } => ("staff", username.clone()),
                _ => ("operator", "operator".to_string()),
            };
            MeView {
                kind,
                name,
                grants,
                patron: None,
            }
        }
    };
    Ok(Json(view))
}

#[derive(Serialize)]
struct ConsortiumView {
    code: String,
    name: String,
    currency: String,
    utc_offset_seconds: i64,
    members: Vec<MemberView>,
}

async fn consortium(State(state): State<SharedState>) -> ApiResult<Json<ConsortiumView>> {
    let settings = org::consortium(&state.ctx).await?;
    let members = org::list_members(&state.ctx).await?;
    Ok(Json(ConsortiumView {
        code: settings.code,
        name: settings.name,
        currency: settings.currency,
        utc_offset_seconds: settings.utc_offset_seconds,
        members: members.iter().map(MemberView::from).collect(),
    }))
}

async fn list_members(State(state): State<SharedState>) -> ApiResult<Json<Vec<MemberView>>> {
    Ok(Json(
        org::list_members(&state.ctx)
            .await?
            .iter()
            .map(MemberView::from)
            .collect(),
    ))
}

async fn get_member(
    State(state): State<SharedState>,
    Path(code): Path<String>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(MemberView::from(
        &org::member(&state.ctx, &code).await?,
    )))
}

async fn create_member(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(body): ApiJson<MemberBody>,
) -> ApiResult<(StatusCode, Json<MemberView>)> {
    csrf(&auth, &headers)?;
    let member = org::create_member(&state.ctx, auth.require()?, &body.into()).await?;
    Ok((StatusCode::CREATED, Json(MemberView::from(&member))))
}

async fn update_member(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<MemberBody>,
) -> ApiResult<Json<MemberView>> {
    csrf(&auth, &headers)?;
    let member = org::update_member(&state.ctx, auth.require()?, &code, &body.into()).await?;
    Ok(Json(MemberView::from(&member)))
}

async fn branch_views(state: &SharedState, branches: &[Branch]) -> ServiceResult<Vec<BranchView>> {
    let members = org::list_members(&state.ctx).await?;
    Ok(branches
        .iter()
        .map(|b| {
            let code = members
                .iter()
                .find(|m| m.id == b.member_id)
                .map(|m| m.code.to_string())
                .unwrap_or_default();
            branch_view(b, &code)
        })
        .collect())
}

async fn list_branches(State(state): State<SharedState>) -> ApiResult<Json<Vec<BranchView>>> {
    let branches = org::list_branches(&state.ctx, None).await?;
    Ok(Json(branch_views(&state, &branches).await?))
}

async fn list_member_branches(
    State(state): State<SharedState>,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<BranchView>>> {
    let branches = org::list_branches(&state.ctx, Some(&code)).await?;
    Ok(Json(branch_views(&state, &branches).await?))
}

async fn get_branch(
    State(state): State<SharedState>,
    Path(code): Path<String>,
) -> ApiResult<Json<BranchView>> {
    let branch = org::branch(&state.ctx, &code).await?;
    let member = org::member_by_id(&state.ctx, branch.member_id).await?;
    Ok(Json(branch_view(&branch, member.code.as_str())))
}

async fn create_branch(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<BranchBody>,
) -> ApiResult<(StatusCode, Json<BranchView>)> {
    csrf(&auth, &headers)?;
    let branch = org::create_branch(&state.ctx, auth.require()?, &code, &body.into()).await?;
    let member = org::member_by_id(&state.ctx, branch.member_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(branch_view(&branch, member.code.as_str())),
    ))
}

async fn update_branch(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<BranchBody>,
) -> ApiResult<Json<BranchView>> {
    csrf(&auth, &headers)?;
    let branch = org::update_branch(&state.ctx, auth.require()?, &code, &body.into()).await?;
    let member = org::member_by_id(&state.ctx, branch.member_id).await?;
    Ok(Json(branch_view(&branch, member.code.as_str())))
}

async fn load_org(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    body: String,
) -> ApiResult<Json<orgfile::LoadSummary>> {
    csrf(&auth, &headers)?;
    let summary = orgfile::load(&state.ctx, auth.require()?, &body).await?;
    // The file may rename the consortium: the next page shows the new name.
    state.site.forget();
    Ok(Json(summary))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search_patrons(
    State(state): State<SharedState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<PatronView>>> {
    let found = patrons::search(&state.ctx, auth.require()?, &query.q).await?;
    let mut views = Vec::with_capacity(found.len());
    for p in &found {
        views.push(patron_view(&state, p).await?);
    }
    Ok(Json(views))
}

async fn register_patron(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PatronBody>,
) -> ApiResult<Response> {
    csrf(&auth, &headers)?;
    let principal = auth.require()?;
    let input = body.input();
    match patrons::register(
        &state.ctx,
        principal,
        &input,
        body.pin.as_deref(),
        body.register_anyway,
    )
    .await
    {
        Ok(patron) => Ok((
            StatusCode::CREATED,
            Json(patron_view(&state, &patron).await?),
        )
            .into_response()),
        Err(e) if e.code == concord_domain::ErrorCode::PossibleDuplicate => {
            // The error plus the candidates, so a client can show them and offer "register anyway".
            let candidates = patrons::possible_duplicates(&state.ctx, principal, &input).await?;
            let members = org::list_members(&state.ctx).await?;
            let listed: Vec<serde_json::Value> = candidates
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": c.patron.id.to_string(),
                        "family_name": c.patron.family_name,
                        "given_names": c.patron.given_names,
                        "home_member": members.iter().find(|m| m.id == c.patron.home_member).map(|m| m.code.to_string()),
                        "score": c.score.score,
                        "reasons": c.score.reasons,
                    })
                })
                .collect();
            let mut response = ApiError(e).into_response();
            *response.body_mut() = axum::body::Body::from(
                serde_json::json!({
                    "error": {"code": "possible_duplicate", "message": duplicate_message(&candidates)},
                    "candidates": listed,
                })
                .to_string(),
            );
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

fn duplicate_message(candidates: &[patrons::DuplicateCandidate]) -> String {
    format!(
        "{} registered patron(s) look like this person. Check them, then send register_anyway: true to register anyway.",
        candidates.len()
    )
}

fn patron_id(raw: &str) -> ServiceResult<PatronId> {
    raw.parse()
        .map_err(|_| ServiceError::field("id", format!("{raw:?} is not a patron id")))
}

async fn get_patron(
    State(state): State<SharedState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PatronView>> {
    let patron = patrons::patron(&state.ctx, auth.require()?, patron_id(&id)?).await?;
    Ok(Json(patron_view(&state, &patron).await?))
}

async fn update_patron(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PatronBody>,
) -> ApiResult<Json<PatronView>> {
    csrf(&auth, &headers)?;
    let patron =
        patrons::update(&state.ctx, auth.require()?, patron_id(&id)?, &body.input()).await?;
    Ok(Json(patron_view(&state, &patron).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinBody {
    pin: String,
}

async fn set_pin(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PinBody>,
) -> ApiResult<StatusCode> {
    csrf(&auth, &headers)?;
    patrons::set_pin(&state.ctx, auth.require()?, patron_id(&id)?, &body.pin).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_staff(
    State(state): State<SharedState>,
    auth: Auth,
) -> ApiResult<Json<Vec<StaffView>>> {
    let staff = accounts::list_staff(&state.ctx, auth.require()?).await?;
    let mut views = Vec::new();
    for s in &staff {
        views.push(staff_view(&state, s).await?);
    }
    Ok(Json(views))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    role: String,
    scope: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffBody {
    username: String,
    display_name: String,
    password: String,
    grants: Vec<GrantBody>,
}

async fn create_staff(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(body): ApiJson<StaffBody>,
) -> ApiResult<(StatusCode, Json<StaffView>)> {
    csrf(&auth, &headers)?;
    let input = StaffInput {
        username: body.username,
        display_name: body.display_name,
        password: body.password,
        grants: body.grants.into_iter().map(|g| (g.role, g.scope)).collect(),
    };
    let staff = accounts::create_staff(&state.ctx, auth.require()?, &input).await?;
    Ok((StatusCode::CREATED, Json(staff_view(&state, &staff).await?)))
}

async fn list_tokens(
    State(state): State<SharedState>,
    auth: Auth,
) -> ApiResult<Json<Vec<TokenView>>> {
    let tokens = accounts::list_api_tokens(&state.ctx, auth.require()?).await?;
    let mut views = Vec::new();
    for t in &tokens {
        views.push(token_view(&state, t, None).await?);
    }
    Ok(Json(views))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    name: String,
    role: String,
    scope: String,
    valid_days: Option<i64>,
}

async fn create_token(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult<(StatusCode, Json<TokenView>)> {
    csrf(&auth, &headers)?;
    let issued = accounts::create_api_token(
        &state.ctx,
        auth.require()?,
        &body.name,
        &body.role,
        &body.scope,
        body.valid_days,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(token_view(&state, &issued.record, Some(issued.secret)).await?),
    ))
}

async fn revoke_token(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<TokenView>> {
    csrf(&auth, &headers)?;
    let id: ApiTokenId = id
        .parse()
        .map_err(|_| ServiceError::field("id", format!("{id:?} is not a token id")))?;
    let record = accounts::revoke_api_token(&state.ctx, auth.require()?, id).await?;
    Ok(Json(token_view(&state, &record, None).await?))
}

/// Query parameters for browsing the audit log.
#[derive(Deserialize, Default)]
pub struct AuditQuery {
    pub member: Option<String>,
    pub actor: Option<String>,
    pub entity_kind: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub before: Option<String>,
    pub limit: Option<u32>,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Turns query parameters into a filter. A member-scoped principal who names no member gets their
/// own member's log rather than a refusal.
pub async fn audit_filter(
    state: &SharedState,
    principal: &Principal,
    q: &AuditQuery,
) -> ServiceResult<AuditFilter> {
    let member_id = match nonempty(&q.member) {
        Some(code) => Some(org::member(&state.ctx, &code).await?.id),
        None => {
            let consortium_wide = principal
                .grants()
                .iter()
                .any(|g| g.scope == Scope::Consortium && g.role != Role::Cataloguing)
                || matches!(principal, Principal::Operator);
            if consortium_wide {
                None
            } else {
                principal.grants().iter().find_map(|g| g.scope.member())
            }
        }
    };
    let date = |field: &str, v: &Option<String>| -> ServiceResult<Option<i64>> {
        nonempty(v)
            .map(|t| {
                concord_domain::calendar::Date::parse(field, &t)
                    .map(|d| i64::from(d.days_since_epoch()) * 86_400)
            })
            .transpose()
            .map_err(ServiceError::from)
    };
    Ok(AuditFilter {
        member_id,
        actor: nonempty(&q.actor),
        entity_kind: nonempty(&q.entity_kind),
        entity_id: nonempty(&q.entity_id),
        action_prefix: nonempty(&q.action),
        since: date("since", &q.since)?,
        until: date("until", &q.until)?.map(|t| t + 86_400),
        before_id: nonempty(&q.before)
            .map(|b| {
                b.parse()
                    .map_err(|_| ServiceError::field("before", "must be an audit entry id"))
            })
            .transpose()?,
        limit: q.limit.unwrap_or(100),
    })
}

async fn browse_audit(
    State(state): State<SharedState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditView>>> {
    let principal = auth.require()?;
    let filter = audit_filter(&state, principal, &q).await?;
    let entries = audit::browse(&state.ctx, principal, &filter).await?;
    let members = org::list_members(&state.ctx).await?;
    Ok(Json(
        entries.iter().map(|e| audit_view(e, &members)).collect(),
    ))
}

impl From<ApiError> for ServiceError {
    fn from(e: ApiError) -> Self {
        e.0
    }
}
