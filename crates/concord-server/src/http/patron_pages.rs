//! Pages for patrons as one identity: the patron's own account (contact details, notices,
//! privacy, PIN), public online registration, and the staff pages for cards, pending
//! registrations and merging two records of one person.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use concord_domain::ErrorCode;
use concord_domain::auth::{Action, Principal, authorise};
use concord_domain::codes::Barcode;
use concord_domain::ids::PatronId;
use concord_domain::patron::{AccountInput, Patron, PatronStatus};
use maud::{Markup, html};

use super::auth::Auth;
use super::pages::{
    Fields, SavedQuery, View, as_staff, checked, error_page, field, html_response,
    login_csrf_cookie, login_csrf_ok, parse_patron_id, render, staff, staff_post, to_login,
};
use super::{AppState, SharedState};
use crate::service::patrons::SelfRegistrationInput;
use crate::service::{ServiceError, ServiceResult, org, patrons};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/account", get(account).post(update_account))
        .route("/account/pin", post(change_pin))
        .route("/register", get(register_form).post(register))
        .route("/admin/registrations", get(registrations_page))
        .route("/admin/registrations/{id}/{decision}", post(decide))
        .route("/admin/patrons/merge", get(merge_page).post(merge))
        .route("/admin/patrons/{id}/cards", post(add_card))
        .route(
            "/admin/patrons/{id}/cards/deactivate",
            post(deactivate_card),
        )
}

fn status_key(status: PatronStatus) -> &'static str {
    match status {
        PatronStatus::Active => "patron.status_active",
        PatronStatus::Pending => "patron.status_pending",
        PatronStatus::Rejected => "patron.status_rejected",
    }
}

fn channels(patron: &Patron) -> String {
    let list = patron.notices.to_stored();
    if list.is_empty() {
        "—".to_string()
    } else {
        list.replace(',', ", ")
    }
}

// ----- the patron's own account -----

async fn account_view(
    state: &AppState,
    auth: &Auth,
    principal: &Principal,
    id: PatronId,
    error: Option<&ServiceError>,
    saved: bool,
) -> ServiceResult<Response> {
    let patron = patrons::patron(&state.ctx, principal, id).await?;
    let branch = org::branch_by_id(&state.ctx, patron.home_branch).await?;
    let member = org::member_by_id(&state.ctx, patron.home_member).await?;
    let pickups: Vec<_> = org::list_branches(&state.ctx, None)
        .await?
        .into_iter()
        .filter(|b| b.is_pickup_location)
        .collect();
    let view = View::new(state, auth);
    let today = concord_domain::calendar::Date::from_unix(state.ctx.now(), 0);
    let pickup = patron.preferred_pickup_branch;
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    Ok(html_response(status, view.branded_page(view.t("account.title"), Some(&member), html! {
        h1 { (view.tf("account.greeting", &[("name", &patron.display_name())])) }
        p { a href="/account/loans" { (view.t("loans.title")) } }
        @if saved { p class="notice" role="status" { (view.t("form.saved")) } }
        @if patron.is_expired_on(today) {
            div class="errors" role="alert" { p { (view.tf("account.expired", &[("date", &patron.expires_on.to_string())])) } }
        }
        table {
            caption class="skip" { (view.t("account.details")) }
            tbody {
                tr { th scope="row" { (view.t("patron.cards")) } td { (patron.cards.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) } }
                tr { th scope="row" { (view.t("patron.home_branch")) } td { (branch.name) ", " (member.branding.display_name) } }
                tr { th scope="row" { (view.t("patron.expires_on")) } td { (patron.expires_on) } }
            }
        }
        (view.errors(error))
        h2 { (view.t("account.edit")) }
        form class="stack" method="post" action="/account" {
            (view.csrf())
            (view.text_input(error, "email", view.t("patron.email"), patron.email.as_deref().unwrap_or(""), "email", false))
            (view.text_input(error, "phone", view.t("patron.phone"), patron.phone.as_deref().unwrap_or(""), "tel", false))
            (view.text_input(error, "sms_number", view.t("patron.sms_number"), patron.sms_number.as_deref().unwrap_or(""), "tel", false))
            label for="preferred_pickup_branch" { (view.t("patron.preferred_pickup_branch")) }
            (view.field_error(error, "preferred_pickup_branch"))
            select id="preferred_pickup_branch" name="preferred_pickup_branch" {
                option value="" { (view.t("patron.no_preference")) }
                @for b in &pickups { option value=(b.code) selected[pickup == Some(b.id)] { (b.name) } }
            }
            fieldset {
                legend { (view.t("patron.notices")) }
                (view.field_error(error, "notice_email"))
                (view.field_error(error, "notice_sms"))
                label { input type="checkbox" name="notice_email" value="1" checked[patron.notices.email]; " " (view.t("account.notice_email")) }
                label { input type="checkbox" name="notice_sms" value="1" checked[patron.notices.sms]; " " (view.t("account.notice_sms")) }
                label { input type="checkbox" name="notice_print" value="1" checked[patron.notices.print]; " " (view.t("account.notice_print")) }
            }
            fieldset {
                legend { (view.t("patron.privacy")) }
                label { input type="checkbox" name="keep_reading_history" value="1" checked[patron.privacy.keep_reading_history]; " " (view.t("account.keep_reading_history")) }
                label { input type="checkbox" name="contact_home_member_only" value="1" checked[patron.privacy.contact_home_member_only]; " " (view.t("account.contact_home_member_only")) }
            }
            div { button type="submit" { (view.t("form.save")) } }
        }
        h2 { (view.t("account.change_pin")) }
        form class="stack" method="post" action="/account/pin" {
            (view.csrf())
            label for="current_pin" { (view.t("account.current_pin")) }
            (view.field_error(error, "current_pin"))
            input type="password" id="current_pin" name="current_pin" inputmode="numeric" autocomplete="current-password" required;
            label for="new_pin" { (view.t("account.new_pin")) }
            (view.field_error(error, "new_pin"))
            input type="password" id="new_pin" name="new_pin" inputmode="numeric" autocomplete="new-password" required;
            div { button type="submit" { (view.t("account.change_pin")) } }
        }
    })))
}

async fn account(
    State(state): State<SharedState>,
    auth: Auth,
    axum::extract::Query(saved): axum::extract::Query<SavedQuery>,
) -> Response {
    let Some(principal @ Principal::Patron { id, .. }) = auth.principal.clone() else {
        return Redirect::to("/account/login").into_response();
    };
    let result = account_view(&state, &auth, &principal, id, None, saved.saved.is_some()).await;
    render(&state, &auth, result)
}

async fn update_account(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    let Some(principal @ Principal::Patron { id, .. }) = auth.principal.clone() else {
        return Redirect::to("/account/login").into_response();
    };
    let input = AccountInput {
        email: field(&fields, "email").into(),
        phone: field(&fields, "phone").into(),
        sms_number: field(&fields, "sms_number").into(),
        preferred_pickup_branch: field(&fields, "preferred_pickup_branch").into(),
        notice_email: checked(&fields, "notice_email"),
        notice_sms: checked(&fields, "notice_sms"),
        notice_print: checked(&fields, "notice_print"),
        keep_reading_history: checked(&fields, "keep_reading_history"),
        contact_home_member_only: checked(&fields, "contact_home_member_only"),
    };
    let result = async {
        auth.check_csrf(Some(field(&fields, "csrf")))?;
        match patrons::update_account(&state.ctx, &principal, id, &input).await {
            Ok(_) => Ok(Redirect::to("/account?saved=1").into_response()),
            Err(e) if e.code == ErrorCode::InvalidInput => {
                account_view(&state, &auth, &principal, id, Some(&e), false).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    render(&state, &auth, result)
}

async fn change_pin(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    let Some(principal @ Principal::Patron { id, .. }) = auth.principal.clone() else {
        return Redirect::to("/account/login").into_response();
    };
    let result = async {
        auth.check_csrf(Some(field(&fields, "csrf")))?;
        match patrons::change_own_pin(
            &state.ctx,
            &principal,
            field(&fields, "current_pin"),
            field(&fields, "new_pin"),
        )
        .await
        {
            Ok(()) => Ok(Redirect::to("/account?saved=1").into_response()),
            Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::TooManyAttempts) => {
                account_view(&state, &auth, &principal, id, Some(&e), false).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    render(&state, &auth, result)
}

// ----- online self-registration -----

async fn register_view(
    state: &AppState,
    auth: &Auth,
    fields: &Fields,
    error: Option<&ServiceError>,
    done: Option<&Patron>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let branches = org::list_branches(&state.ctx, None).await?;
    let token = crate::secrets::random_token();
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    let markup = view.page(view.t("register.title"), html! {
        h1 { (view.t("register.title")) }
        @if let Some(patron) = done {
            p class="notice" role="status" { (view.tf("register.done", &[("card", &patron.cards.first().map(ToString::to_string).unwrap_or_default())])) }
        } @else {
            p { (view.t("register.intro")) }
            (view.errors(error))
            form class="stack" method="post" action="/register" {
                input type="hidden" name="csrf" value=(token);
                (view.text_input(error, "family_name", view.t("patron.family_name"), field(fields, "family_name"), "text", true))
                (view.text_input(error, "given_names", view.t("patron.given_names"), field(fields, "given_names"), "text", false))
                (view.text_input(error, "date_of_birth", view.t("patron.date_of_birth"), field(fields, "date_of_birth"), "date", false))
                (view.text_input(error, "email", view.t("patron.email"), field(fields, "email"), "email", false))
                (view.text_input(error, "phone", view.t("patron.phone"), field(fields, "phone"), "tel", false))
                label for="home_branch" { (view.t("patron.home_branch")) }
                (view.field_error(error, "home_branch"))
                select id="home_branch" name="home_branch" {
                    @for b in &branches { option value=(b.code) selected[field(fields, "home_branch").eq_ignore_ascii_case(b.code.as_str())] { (b.name) } }
                }
                label for="pin" { (view.t("patron.pin")) " " span class="hint" { (view.t("register.pin_hint")) } }
                (view.field_error(error, "pin"))
                input type="password" id="pin" name="pin" inputmode="numeric" autocomplete="new-password" required;
                div { button type="submit" { (view.t("register.submit")) } }
            }
        }
    });
    let mut response = html_response(status, markup);
    if let Ok(value) = login_csrf_cookie(state, &token).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn register_form(State(state): State<SharedState>, auth: Auth) -> Response {
    let result = register_view(&state, &auth, &Vec::new(), None, None).await;
    render(&state, &auth, result)
}

async fn register(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let result = async {
        if !login_csrf_ok(&headers, &fields) {
            let error = ServiceError::new(
                ErrorCode::CsrfMismatch,
                View::new(&state, &auth).t("error.csrf_mismatch"),
            );
            return register_view(&state, &auth, &fields, Some(&error), None).await;
        }
        let input = SelfRegistrationInput {
            family_name: field(&fields, "family_name").into(),
            given_names: field(&fields, "given_names").into(),
            date_of_birth: field(&fields, "date_of_birth").into(),
            email: field(&fields, "email").into(),
            phone: field(&fields, "phone").into(),
            home_branch: field(&fields, "home_branch").into(),
            pin: field(&fields, "pin").into(),
        };
        match patrons::self_register(&state.ctx, &input, &auth.client).await {
            Ok(patron) => register_view(&state, &auth, &fields, None, Some(&patron)).await,
            Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::TooManyAttempts) => {
                register_view(&state, &auth, &fields, Some(&e), None).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    render(&state, &auth, result)
}

// ----- staff: registrations, cards, merges -----

async fn registrations_page(State(state): State<SharedState>, auth: Auth) -> Response {
    as_staff(&state, &auth, async |principal| {
        let view = View::new(&state, &auth);
        let pending = patrons::pending_registrations(&state.ctx, &principal).await?;
        let branches = org::list_branches(&state.ctx, None).await?;
        Ok(html_response(StatusCode::OK, view.page(view.t("patron.registrations"), html! {
            h1 { (view.t("patron.registrations")) }
            @if pending.is_empty() { p { (view.t("patron.no_registrations")) } }
            @else {
                table {
                    thead { tr { th { (view.t("patron.name")) } th { (view.t("patron.date_of_birth")) } th { (view.t("patron.email")) } th { (view.t("patron.home_branch")) } th { } } }
                    tbody {
                        @for p in &pending {
                            tr {
                                td { a href=(format!("/admin/patrons/{}", p.id)) { (p.family_name) ", " (p.given_names) } }
                                td { (p.date_of_birth.map(|d| d.to_string()).unwrap_or_default()) }
                                td { (p.email.as_deref().unwrap_or("")) " " (p.phone.as_deref().unwrap_or("")) }
                                td { (branches.iter().find(|b| b.id == p.home_branch).map_or("", |b| b.name.as_str())) }
                                td {
                                    form class="inline" method="post" action=(format!("/admin/registrations/{}/approve", p.id)) { (view.csrf()) button type="submit" { (view.t("patron.approve")) } }
                                    " "
                                    form class="inline" method="post" action=(format!("/admin/registrations/{}/reject", p.id)) { (view.csrf()) button type="submit" class="secondary" { (view.t("patron.reject")) } }
                                }
                            }
                        }
                    }
                }
            }
        })))
    })
    .await
}

async fn decide(
    State(state): State<SharedState>,
    auth: Auth,
    Path((id, decision)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let approve = match decision.as_str() {
            "approve" => true,
            "reject" => false,
            other => return Err(ServiceError::not_found(format!("decision {other}"))),
        };
        patrons::decide_registration(&state.ctx, &principal, parse_patron_id(&id)?, approve)
            .await?;
        Ok(Redirect::to("/admin/registrations").into_response())
    })
    .await
}

/// The identity part of a staff patron page: status, choices, and every card with its controls.
pub(crate) async fn patron_extras(
    state: &AppState,
    auth: &Auth,
    principal: &Principal,
    patron: &Patron,
) -> ServiceResult<Markup> {
    let view = View::new(state, auth);
    let cards = patrons::cards(&state.ctx, principal, patron.id).await?;
    let may_edit = authorise(
        principal,
        Action::WritePatron {
            home_member: patron.home_member,
        },
    )
    .is_ok();
    Ok(html! {
        table {
            tbody {
                tr { th scope="row" { (view.t("patron.status")) } td { (view.t(status_key(patron.status))) } }
                tr { th scope="row" { (view.t("patron.notices")) } td { (channels(patron)) } }
                tr { th scope="row" { (view.t("patron.privacy")) } td {
                    (view.t(if patron.privacy.keep_reading_history { "account.keep_reading_history" } else { "account.no_reading_history" }))
                } }
            }
        }
        h2 { (view.t("patron.cards")) }
        table {
            tbody {
                @for c in &cards {
                    tr {
                        td { (c.barcode) }
                        td { (view.t(if c.active { "patron.card_active" } else { "patron.card_inactive" })) }
                        td {
                            @if may_edit && c.active {
                                form class="inline" method="post" action=(format!("/admin/patrons/{}/cards/deactivate", patron.id)) {
                                    (view.csrf())
                                    input type="hidden" name="barcode" value=(c.barcode);
                                    button type="submit" class="secondary" { (view.t("patron.deactivate")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if may_edit {
            form class="stack" method="post" action=(format!("/admin/patrons/{}/cards", patron.id)) {
                (view.csrf())
                (view.text_input(None, "barcode", view.t("patron.card"), "", "text", true))
                div { button type="submit" { (view.t("patron.add_card")) } }
            }
            p { a href=(format!("/admin/patrons/merge?keep={}", patron.id)) { (view.t("patron.merge")) } }
        }
    })
}

async fn add_card(
    State(state): State<SharedState>,
    auth: Auth,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let id = parse_patron_id(&id)?;
        patrons::add_card(&state.ctx, &principal, id, field(&fields, "barcode")).await?;
        Ok(Redirect::to(&format!("/admin/patrons/{id}?saved=1")).into_response())
    })
    .await
}

async fn deactivate_card(
    State(state): State<SharedState>,
    auth: Auth,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let id = parse_patron_id(&id)?;
        patrons::deactivate_card(&state.ctx, &principal, id, field(&fields, "barcode")).await?;
        Ok(Redirect::to(&format!("/admin/patrons/{id}?saved=1")).into_response())
    })
    .await
}

#[derive(serde::Deserialize, Default)]
struct MergeQuery {
    #[serde(default)]
    keep: String,
}

fn merge_view(
    state: &AppState,
    auth: &Auth,
    keep: &str,
    absorb: &str,
    error: Option<&ServiceError>,
) -> Response {
    let view = View::new(state, auth);
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    html_response(status, view.page(view.t("patron.merge"), html! {
        h1 { (view.t("patron.merge")) }
        p { (view.t("patron.merge_intro")) }
        (view.errors(error))
        form class="stack" method="post" action="/admin/patrons/merge" {
            (view.csrf())
            (view.text_input(error, "keep", view.t("patron.merge_keep"), keep, "text", true))
            (view.text_input(error, "absorb", view.t("patron.merge_absorb"), absorb, "text", true))
            div { button type="submit" { (view.t("patron.merge")) } }
        }
    }))
}

async fn merge_page(
    State(state): State<SharedState>,
    auth: Auth,
    axum::extract::Query(query): axum::extract::Query<MergeQuery>,
) -> Response {
    if staff(&auth).is_none() {
        return to_login();
    }
    merge_view(&state, &auth, &query.keep, "", None)
}

/// A patron named by id or by card barcode.
async fn patron_named(
    state: &AppState,
    principal: &Principal,
    field_name: &str,
    raw: &str,
) -> ServiceResult<PatronId> {
    if let Ok(id) = raw.trim().parse::<PatronId>() {
        return Ok(id);
    }
    let card = Barcode::parse(field_name, raw)?;
    let found = patrons::search(&state.ctx, principal, card.as_str()).await?;
    found
        .into_iter()
        .find(|p| p.cards.contains(&card))
        .map(|p| p.id)
        .ok_or_else(|| {
            ServiceError::field(field_name, format!("no patron you can see has card {card}"))
        })
}

async fn merge(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    let Some(principal) = staff(&auth) else {
        return to_login();
    };
    let (keep_raw, absorb_raw) = (field(&fields, "keep"), field(&fields, "absorb"));
    if let Err(error) = auth.check_csrf(Some(field(&fields, "csrf"))) {
        return error_page(&state, &auth, &error);
    }
    let outcome = async {
        let keep = patron_named(&state, &principal, "keep", keep_raw).await?;
        let absorb = patron_named(&state, &principal, "absorb", absorb_raw).await?;
        patrons::merge(&state.ctx, &principal, keep, absorb).await
    }
    .await;
    match outcome {
        Ok(patron) => {
            Redirect::to(&format!("/admin/patrons/{}?saved=1", patron.id)).into_response()
        }
        Err(e)
            if matches!(
                e.code,
                ErrorCode::InvalidInput | ErrorCode::Forbidden | ErrorCode::NotFound
            ) =>
        {
            merge_view(&state, &auth, keep_raw, absorb_raw, Some(&e))
        }
        Err(e) => error_page(&state, &auth, &e),
    }
}
