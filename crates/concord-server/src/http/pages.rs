//! The HTML pages: the consortium's front page, logins, the patron's account, and the staff
//! administration pages. Server-rendered, no script needed, accessible (labels, landmarks, focus
//! styles, contrast), and every text from the message catalogue.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use concord_domain::audit::AuditEntry;
use concord_domain::auth::{Action, Grant, Principal, Role, Scope, authorise};
use concord_domain::calendar::Weekday;
use concord_domain::ids::{ApiTokenId, PatronId};
use concord_domain::org::{Branch, BranchInput, Member, MemberInput, MemberKind};
use concord_domain::patron::{Patron, PatronInput};
use concord_domain::{ErrorCode, FieldError};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::api::{AuditQuery, audit_filter};
use super::auth::{Auth, cookie};
use super::script::SUGGEST_JS;
use super::search_api::percent_encode;
use super::style::CSS;
use super::{AppState, SESSION_COOKIE, SharedState};
use crate::service::accounts::StaffInput;
use crate::service::{ServiceError, ServiceResult, accounts, audit, org, orgfile, patrons};

const LOGIN_CSRF_COOKIE: &str = "concord_login_csrf";

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/", get(home))
        .route("/static/concord.css", get(stylesheet))
        .route("/static/suggest.js", get(suggest_script))
        .route("/login", get(staff_login_form).post(staff_login))
        .route("/account/login", get(patron_login_form).post(patron_login))
        .route("/logout", post(logout))
        .route("/admin", get(dashboard))
        .route("/admin/members", get(members_page).post(create_member))
        .route(
            "/admin/members/{code}",
            get(member_page).post(update_member),
        )
        .route("/admin/members/{code}/branches", post(create_branch))
        .route(
            "/admin/branches/{code}",
            get(branch_page).post(update_branch),
        )
        .route("/admin/org/load", get(load_page).post(load_org))
        .route("/admin/patrons", get(patrons_page).post(register_patron))
        .route("/admin/patrons/{id}", get(patron_page).post(update_patron))
        .route("/admin/staff", get(staff_page).post(create_staff))
        .route("/admin/tokens", get(tokens_page).post(create_token))
        .route("/admin/tokens/{id}/revoke", post(revoke_token))
        .route("/admin/audit", get(audit_page))
}

/// The `Set-Cookie` value for a session (also used by the JSON login).
pub fn session_cookie(state: &AppState, token: &str, max_age: i64) -> String {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// Form fields, in order, with repeats (several grants, several closed dates).
pub(crate) type Fields = Vec<(String, String)>;

/// The query of a page a save redirects back to: `?saved=1` shows that it was saved.
#[derive(serde::Deserialize, Default)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    pub saved: Option<String>,
}

pub(crate) fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

pub(crate) fn checked(fields: &Fields, name: &str) -> bool {
    matches!(field(fields, name), "on" | "true" | "1" | "yes")
}

/// Everything a page needs to render: the catalogue, the language, who is looking.
pub(crate) struct View<'a> {
    pub(crate) state: &'a AppState,
    pub(crate) auth: &'a Auth,
}

impl<'a> View<'a> {
    pub(crate) fn new(state: &'a AppState, auth: &'a Auth) -> Self {
        View { state, auth }
    }

    pub(crate) fn t(&self, key: &'a str) -> &'a str {
        self.state.messages.get(&self.auth.lang, key)
    }

    pub(crate) fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.state.messages.format(&self.auth.lang, key, args)
    }

    /// A message about `count` things, in the right form for the number (see
    /// [`crate::i18n::Messages::format_counted`]).
    pub(crate) fn tc(&self, key: &str, count: (&str, u64), args: &[(&str, &str)]) -> String {
        self.state
            .messages
            .format_counted(&self.auth.lang, key, count, args)
    }

    pub(crate) fn csrf(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.auth.csrf_token.as_deref().unwrap_or("")); }
    }

    pub(crate) fn page(&self, title: &str, body: Markup) -> Markup {
        self.branded_page(title, None, body)
    }

    pub(crate) fn branded_page(
        &self,
        title: &str,
        member: Option<&Member>,
        body: Markup,
    ) -> Markup {
        self.page_with_head(title, member, HeadLinks::default(), body)
    }

    /// [`View::branded_page`] with links in its head for search engines and feed readers.
    pub(crate) fn page_with_head(
        &self,
        title: &str,
        member: Option<&Member>,
        links: HeadLinks<'_>,
        body: Markup,
    ) -> Markup {
        let (brand, brand_text) = member.map_or(("#1f5f6b", "#ffffff"), |m| {
            (
                m.branding.colour.as_str(),
                m.branding.colour.contrasting_text(),
            )
        });
        let principal = self.auth.principal.as_ref();
        // The member's name in its view, the consortium's elsewhere.
        let site = member.map_or_else(
            || self.state.site.get(),
            |m| m.branding.display_name.clone(),
        );
        html! {
            (DOCTYPE)
            html lang=(self.auth.lang) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · " (site) }
                    link rel="stylesheet" href="/static/concord.css";
                    @if let Some(canonical) = links.canonical {
                        link rel="canonical" href=(canonical);
                    }
                    @if let Some(feed) = links.feed {
                        link rel="alternate" type="application/atom+xml" title=(self.t("feed.link")) href=(feed);
                    }
                    link rel="search" type="application/opensearchdescription+xml" title=(site)
                        href=(member.map_or_else(|| "/opensearch.xml".to_string(), |m| format!("/m/{}/opensearch.xml", m.code)));
                    style { (PreEscaped(format!(":root {{ --brand: {brand}; --brand-text: {brand_text}; }}"))) }
                }
                body {
                    a class="skip" href="#main" { (self.t("nav.skip")) }
                    header class="site" {
                        a class="name" href=(member.map_or_else(|| "/".to_string(), |m| format!("/m/{}", m.code))) { (site) }
                        nav aria-label=(self.t("nav.label")) {
                            ul {
                                li { a href=(member.map_or_else(|| "/search".to_string(), |m| format!("/m/{}/search", m.code))) { (self.t("nav.search")) } }
                                @match principal {
                                    Some(Principal::Patron { .. }) => {
                                        li { a href="/account" { (self.t("nav.account")) } }
                                        li { (self.logout_button()) }
                                    }
                                    Some(_) => {
                                        li { a href="/admin" { (self.t("nav.admin")) } }
                                        li { (self.logout_button()) }
                                    }
                                    None => {
                                        li { a href="/account/login" { (self.t("nav.patron_login")) } }
                                        li { a href="/login" { (self.t("nav.login")) } }
                                    }
                                }
                            }
                        }
                    }
                    main id="main" { (body) }
                    footer { (self.tf("footer.text", &[("consortium", &self.state.site.get())])) }
                }
            }
        }
    }

    fn logout_button(&self) -> Markup {
        html! {
            form class="inline" method="post" action="/logout" {
                (self.csrf())
                button type="submit" class="secondary" style="margin:0;padding:4px 10px" { (self.t("nav.logout")) }
            }
        }
    }

    pub(crate) fn errors(&self, error: Option<&ServiceError>) -> Markup {
        let Some(error) = error else { return html! {} };
        html! {
            div class="errors" role="alert" tabindex="-1" {
                h2 { (self.t("form.problem")) }
                p { (error.message) }
                @if error.fields.len() > 1 {
                    ul { @for f in &error.fields { li { strong { (f.field) } ": " (f.reason) } } }
                }
            }
        }
    }

    pub(crate) fn field_error(&self, error: Option<&ServiceError>, name: &str) -> Markup {
        let reasons: Vec<&FieldError> = error.map_or(Vec::new(), |e| {
            e.fields
                .iter()
                .filter(|f| f.field == name || f.field.starts_with(&format!("{name}.")))
                .collect()
        });
        html! { @for f in reasons { span class="field-error" id=(format!("{name}-error")) { (f.reason) } } }
    }

    pub(crate) fn text_input(
        &self,
        error: Option<&ServiceError>,
        name: &str,
        label: &str,
        value: &str,
        kind: &str,
        required: bool,
    ) -> Markup {
        let has_error = error.is_some_and(|e| e.fields.iter().any(|f| f.field == name));
        html! {
            label for=(name) { (label) }
            (self.field_error(error, name))
            input type=(kind) id=(name) name=(name) value=(value) required[required]
                aria-invalid=[has_error.then_some("true")]
                aria-describedby=[has_error.then(|| format!("{name}-error"))];
        }
    }
}

/// What a page's head links to besides its style and search description.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct HeadLinks<'h> {
    /// The page's one address (a member view's copy of a record page names the consortium's).
    pub canonical: Option<&'h str>,
    /// An Atom feed of what the page lists.
    pub feed: Option<&'h str>,
}

pub(crate) fn html_response(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

/// A page saying what went wrong, with the status the error code calls for.
pub fn error_page(state: &AppState, auth: &Auth, error: &ServiceError) -> Response {
    let view = View::new(state, auth);
    if error.code == ErrorCode::Unauthenticated {
        return Redirect::to("/login").into_response();
    }
    let title = view.t(match error.code {
        ErrorCode::NotFound => "error.not_found",
        ErrorCode::Forbidden => "error.forbidden",
        ErrorCode::RecordUnreadable => "error.record_unreadable",
        _ => "error.generic_title",
    });
    let status =
        StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    html_response(
        status,
        view.page(
            title,
            html! {
                h1 { (title) }
                p { (error.message) }
                p { a href="/" { (view.t("nav.home")) } }
            },
        ),
    )
}

/// Runs a page handler body, turning service errors into error pages.
pub(crate) fn render(state: &AppState, auth: &Auth, result: ServiceResult<Response>) -> Response {
    result.unwrap_or_else(|e| error_page(state, auth, &e))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

async fn suggest_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SUGGEST_JS,
    )
        .into_response()
}

async fn home(State(state): State<SharedState>, auth: Auth) -> Response {
    let result = async {
        let view = View::new(&state, &auth);
        let consortium = org::consortium(&state.ctx).await?;
        let members = org::list_members(&state.ctx).await?;
        let branches = org::list_branches(&state.ctx, None).await?;
        let recent = super::search_pages::recently_added(&view, None).await?;
        Ok(html_response(StatusCode::OK, view.page(&consortium.name, html! {
            h1 { (consortium.name) }
            (super::search_pages::search_box(&view, "/search", ""))
            p { (view.tf("home.intro", &[("members", &members.len().to_string()), ("branches", &branches.len().to_string())])) }
            (recent)
            h2 { (view.t("home.members")) }
            ul class="cards" {
                @for m in &members {
                    li style=(format!("border-top-color: {}", m.branding.colour.as_str())) {
                        a href=(format!("/m/{}", m.code)) { strong { (m.branding.display_name) } }
                        br;
                        span class="muted" { (view.t(kind_key(m.kind))) }
                        ul {
                            @for b in branches.iter().filter(|b| b.member_id == m.id) {
                                li { (b.name) }
                            }
                        }
                    }
                }
            }
        })))
    }
    .await;
    render(&state, &auth, result)
}

fn kind_key(kind: MemberKind) -> &'static str {
    match kind {
        MemberKind::Public => "kind.public",
        MemberKind::Academic => "kind.academic",
        MemberKind::School => "kind.school",
        MemberKind::Special => "kind.special",
    }
}

fn role_key(role: Role) -> &'static str {
    match role {
        Role::ConsortiumAdmin => "role.consortium_admin",
        Role::MemberAdmin => "role.member_admin",
        Role::Circulation => "role.circulation",
        Role::Cataloguing => "role.cataloguing",
        Role::ReadOnly => "role.read_only",
    }
}

// ----- logins -----

pub(crate) fn login_csrf_cookie(state: &AppState, value: &str) -> String {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    format!("{LOGIN_CSRF_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600{secure}")
}

fn login_page(
    state: &AppState,
    auth: &Auth,
    patron: bool,
    error: Option<&ServiceError>,
    remembered: &str,
) -> Response {
    let view = View::new(state, auth);
    let token = crate::secrets::random_token();
    let (title, action, user_label, user_name, secret_label, secret_name, user_kind) = if patron {
        (
            view.t("login.patron_title"),
            "/account/login",
            view.t("login.card"),
            "card",
            view.t("login.pin"),
            "pin",
            "text",
        )
    } else {
        (
            view.t("login.staff_title"),
            "/login",
            view.t("login.username"),
            "username",
            view.t("login.password"),
            "password",
            "text",
        )
    };
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    let markup = view.page(title, html! {
        h1 { (title) }
        (view.errors(error))
        form class="stack" method="post" action=(action) {
            input type="hidden" name="csrf" value=(token);
            (view.text_input(None, user_name, user_label, remembered, user_kind, true))
            label for=(secret_name) { (secret_label) }
            input type="password" id=(secret_name) name=(secret_name) required autocomplete="current-password"
                inputmode=[patron.then_some("numeric")];
            div { button type="submit" { (view.t("login.submit")) } }
        }
    });
    let mut response = html_response(status, markup);
    if let Ok(value) = login_csrf_cookie(state, &token).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn staff_login_form(State(state): State<SharedState>, auth: Auth) -> Response {
    login_page(&state, &auth, false, None, "")
}

async fn patron_login_form(State(state): State<SharedState>, auth: Auth) -> Response {
    login_page(&state, &auth, true, None, "")
}

pub(crate) fn login_csrf_ok(headers: &HeaderMap, fields: &Fields) -> bool {
    let presented = field(fields, "csrf");
    cookie(headers, LOGIN_CSRF_COOKIE)
        .is_some_and(|c| !presented.is_empty() && crate::secrets::constant_time_eq(c, presented))
}

fn logged_in(state: &AppState, session: &accounts::NewSession, to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    if let Ok(value) = session_cookie(state, &session.token, state.ctx.session_seconds).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn staff_login(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let username = field(&fields, "username");
    if !login_csrf_ok(&headers, &fields) {
        let error = ServiceError::new(
            ErrorCode::CsrfMismatch,
            View::new(&state, &auth).t("error.csrf_mismatch"),
        );
        return login_page(&state, &auth, false, Some(&error), username);
    }
    match accounts::login_staff(
        &state.ctx,
        username,
        field(&fields, "password"),
        &auth.client,
    )
    .await
    {
        Ok(session) => logged_in(&state, &session, "/admin"),
        Err(error) => login_page(&state, &auth, false, Some(&error), username),
    }
}

async fn patron_login(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let card = field(&fields, "card");
    if !login_csrf_ok(&headers, &fields) {
        let error = ServiceError::new(
            ErrorCode::CsrfMismatch,
            View::new(&state, &auth).t("error.csrf_mismatch"),
        );
        return login_page(&state, &auth, true, Some(&error), card);
    }
    match accounts::login_patron(&state.ctx, card, field(&fields, "pin"), &auth.client).await {
        Ok(session) => logged_in(&state, &session, "/account"),
        Err(error) => login_page(&state, &auth, true, Some(&error), card),
    }
}

async fn logout(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(error) = auth.check_csrf(Some(field(&fields, "csrf"))) {
        return error_page(&state, &auth, &error);
    }
    if let Some(token) = &auth.session_token
        && let Err(error) = accounts::logout(&state.ctx, token).await
    {
        return error_page(&state, &auth, &error);
    }
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = session_cookie(&state, "", 0).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

// ----- staff administration -----

/// The staff principal, or a redirect to the login page for anyone else.
pub(crate) fn staff(auth: &Auth) -> Option<Principal> {
    auth.principal.clone().filter(Principal::is_staff)
}

pub(crate) fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

/// A staff page: the login page for anyone not signed in as staff, else `page`'s answer for
/// the principal, or the error page.
pub(crate) async fn as_staff(
    state: &AppState,
    auth: &Auth,
    page: impl AsyncFnOnce(Principal) -> ServiceResult<Response>,
) -> Response {
    let Some(principal) = staff(auth) else {
        return to_login();
    };
    let result = page(principal).await;
    render(state, auth, result)
}

/// A staff form's post: as [`as_staff`], once the form's CSRF token is checked.
pub(crate) async fn staff_post(
    state: &AppState,
    auth: &Auth,
    fields: &Fields,
    save: impl AsyncFnOnce(Principal) -> ServiceResult<Response>,
) -> Response {
    as_staff(state, auth, async |principal| {
        auth.check_csrf(Some(field(fields, "csrf")))?;
        save(principal).await
    })
    .await
}

async fn grant_text(state: &AppState, view: &View<'_>, grant: &Grant) -> ServiceResult<String> {
    Ok(format!(
        "{} ({})",
        view.t(role_key(grant.role)),
        accounts::describe_scope(&state.ctx, grant.scope).await?
    ))
}

async fn dashboard(State(state): State<SharedState>, auth: Auth) -> Response {
    as_staff(&state, &auth, async |principal| {
        let view = View::new(&state, &auth);
        let mut grants = Vec::new();
        for g in principal.grants() {
            grants.push(grant_text(&state, &view, g).await?);
        }
        let can = |action| authorise(&principal, action).is_ok();
        let any_member = principal.grants().iter().find_map(|g| g.scope.member());
        let may_patrons = principal.grants().iter().any(|g| matches!(g.role, Role::ConsortiumAdmin | Role::MemberAdmin | Role::Circulation | Role::ReadOnly));
        let may_staff = principal.grants().iter().any(|g| matches!(g.role, Role::ConsortiumAdmin | Role::MemberAdmin));
        let may_audit = can(Action::ReadAudit { member: None }) || any_member.is_some_and(|m| can(Action::ReadAudit { member: Some(m) }));
        Ok(html_response(StatusCode::OK, view.page(view.t("admin.title"), html! {
            h1 { (view.t("admin.title")) }
            p { (view.tf("admin.signed_in_as", &[("name", &principal.label())])) }
            @if !grants.is_empty() { ul { @for g in &grants { li { (g) } } } }
            h2 { (view.t("admin.tasks")) }
            ul {
                li { a href="/admin/members" { (view.t("admin.members")) } }
                @if can(Action::ManageConsortium) { li { a href="/admin/org/load" { (view.t("admin.load")) } } }
                @if may_patrons { li { a href="/admin/patrons" { (view.t("admin.patrons")) } } li { a href="/admin/registrations" { (view.t("patron.registrations")) } } li { a href="/admin/patrons/merge" { (view.t("patron.merge")) } } }
                li { a href="/admin/policies" { (view.t("policy.title")) } }
                @if may_staff { li { a href="/admin/staff" { (view.t("admin.staff")) } } li { a href="/admin/tokens" { (view.t("admin.tokens")) } } }
                @if may_audit { li { a href="/admin/audit" { (view.t("admin.audit")) } } }
                @if can(Action::EditBib) || principal.grants().iter().any(|g| matches!(g.role, Role::Cataloguing)) { li { a href="/admin/catalogue" { (view.t("admin.catalogue")) } } }
            }
        })))
    })
    .await
}

fn member_form(
    view: &View<'_>,
    action: &str,
    values: &MemberInput,
    error: Option<&ServiceError>,
    submit: &str,
) -> Markup {
    html! {
        form class="stack" method="post" action=(action) {
            (view.csrf())
            (view.text_input(error, "code", view.t("member.code"), &values.code, "text", true))
            (view.text_input(error, "name", view.t("member.name"), &values.name, "text", true))
            label for="kind" { (view.t("member.kind")) }
            (view.field_error(error, "kind"))
            select id="kind" name="kind" {
                @for kind in MemberKind::ALL {
                    option value=(kind.as_str()) selected[values.kind == kind.as_str()] { (view.t(kind_key(kind))) }
                }
            }
            (view.text_input(error, "display_name", view.t("member.display_name"), values.display_name.as_deref().unwrap_or(""), "text", false))
            (view.text_input(error, "colour", view.t("member.colour"), values.colour.as_deref().unwrap_or(""), "text", false))
            (view.text_input(error, "logo_url", view.t("member.logo_url"), values.logo_url.as_deref().unwrap_or(""), "text", false))
            div { button type="submit" { (submit) } }
        }
    }
}

fn member_input_from(fields: &Fields) -> MemberInput {
    MemberInput {
        code: field(fields, "code").into(),
        name: field(fields, "name").into(),
        kind: field(fields, "kind").into(),
        display_name: Some(field(fields, "display_name").into()),
        colour: Some(field(fields, "colour").into()),
        logo_url: Some(field(fields, "logo_url").into()),
    }
}

async fn members_view(
    state: &AppState,
    auth: &Auth,
    principal: &Principal,
    form: Option<(&MemberInput, &ServiceError)>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let members = org::list_members(&state.ctx).await?;
    let branches = org::list_branches(&state.ctx, None).await?;
    let empty = MemberInput {
        kind: "public".into(),
        ..MemberInput::default()
    };
    let (values, error) = form.map_or((&empty, None), |(v, e)| (v, Some(e)));
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    Ok(html_response(status, view.page(view.t("admin.members"), html! {
        h1 { (view.t("admin.members")) }
        table {
            thead { tr { th { (view.t("member.code")) } th { (view.t("member.name")) } th { (view.t("member.kind")) } th { (view.t("member.branches")) } } }
            tbody {
                @for m in &members {
                    tr {
                        td { a href=(format!("/admin/members/{}", m.code)) { (m.code) } }
                        td { span class="swatch" style=(format!("background:{}", m.branding.colour.as_str())) {} (m.name) }
                        td { (view.t(kind_key(m.kind))) }
                        td { (branches.iter().filter(|b| b.member_id == m.id).count()) }
                    }
                }
            }
        }
        @if authorise(principal, Action::ManageConsortium).is_ok() {
            h2 { (view.t("member.add")) }
            (view.errors(error))
            (member_form(&view, "/admin/members", values, error, view.t("form.create")))
        }
    })))
}

async fn members_page(State(state): State<SharedState>, auth: Auth) -> Response {
    as_staff(&state, &auth, async |principal| {
        members_view(&state, &auth, &principal, None).await
    })
    .await
}

async fn create_member(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    let input = member_input_from(&fields);
    staff_post(
        &state,
        &auth,
        &fields,
        async |principal| match org::create_member(&state.ctx, &principal, &input).await {
            Ok(member) => Ok(
                Redirect::to(&format!("/admin/members/{}?saved=1", member.code)).into_response(),
            ),
            Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::Duplicate) => {
                members_view(&state, &auth, &principal, Some((&input, &e))).await
            }
            Err(e) => Err(e),
        },
    )
    .await
}

fn branch_form(
    view: &View<'_>,
    action: &str,
    values: &BranchInput,
    error: Option<&ServiceError>,
    submit: &str,
) -> Markup {
    let hours_for = |day: Weekday| {
        values
            .opening_hours
            .iter()
            .find(|(d, _)| d == day.key())
            .map_or(String::new(), |(_, h)| h.clone())
    };
    let closed_text: String = values
        .closed_dates
        .iter()
        .map(|(d, r)| format!("{d} {r}\n"))
        .collect();
    html! {
        form class="stack" method="post" action=(action) {
            (view.csrf())
            (view.text_input(error, "code", view.t("branch.code"), &values.code, "text", true))
            (view.text_input(error, "name", view.t("branch.name"), &values.name, "text", true))
            (view.text_input(error, "address", view.t("branch.address"), &values.address, "text", false))
            fieldset {
                legend { (view.t("branch.hours")) " " span class="hint" { (view.t("branch.hours_hint")) } }
                @for day in Weekday::ALL {
                    @let name = format!("hours_{}", day.key());
                    label for=(name) { (view.t(day_key(day))) }
                    (view.field_error(error, &format!("opening_hours.{}", day.key())))
                    input type="text" id=(name) name=(name) value=(hours_for(day));
                }
            }
            label for="closed_dates" { (view.t("branch.closed_dates")) " " span class="hint" { (view.t("branch.closed_hint")) } }
            (view.field_error(error, "closed_dates"))
            @for f in error.map_or(Vec::new(), |e| e.fields.iter().filter(|f| f.field.starts_with("closed_dates[")).collect::<Vec<_>>()) {
                span class="field-error" { (f.field) ": " (f.reason) }
            }
            textarea id="closed_dates" name="closed_dates" rows="4" { (closed_text) }
            label { input type="checkbox" name="pickup" checked[values.is_pickup_location]; " " (view.t("branch.pickup")) }
            label { input type="checkbox" name="curbside" checked[values.has_curbside]; " " (view.t("branch.curbside")) }
            div { button type="submit" { (submit) } }
        }
    }
}

fn day_key(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "day.monday",
        Weekday::Tuesday => "day.tuesday",
        Weekday::Wednesday => "day.wednesday",
        Weekday::Thursday => "day.thursday",
        Weekday::Friday => "day.friday",
        Weekday::Saturday => "day.saturday",
        Weekday::Sunday => "day.sunday",
    }
}

fn branch_input_from(fields: &Fields) -> BranchInput {
    BranchInput {
        code: field(fields, "code").into(),
        name: field(fields, "name").into(),
        address: field(fields, "address").into(),
        opening_hours: Weekday::ALL
            .iter()
            .map(|d| {
                (
                    d.key().to_string(),
                    field(fields, &format!("hours_{}", d.key())).to_string(),
                )
            })
            .collect(),
        closed_dates: field(fields, "closed_dates")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| match l.split_once(char::is_whitespace) {
                Some((d, r)) => (d.to_string(), r.trim().to_string()),
                None => (l.to_string(), String::new()),
            })
            .collect(),
        is_pickup_location: checked(fields, "pickup"),
        has_curbside: checked(fields, "curbside"),
    }
}

enum MemberForm<'a> {
    None,
    Member(&'a MemberInput, &'a ServiceError),
    Branch(&'a BranchInput, &'a ServiceError),
}

async fn member_view(
    state: &AppState,
    auth: &Auth,
    principal: &Principal,
    code: &str,
    form: MemberForm<'_>,
    saved: bool,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let member = org::member(&state.ctx, code).await?;
    let branches = org::list_branches(&state.ctx, Some(code)).await?;
    let may_edit = authorise(principal, Action::ManageMember { member: member.id }).is_ok();
    let may_add_branch = authorise(
        principal,
        Action::ManageBranch {
            member: member.id,
            branch: None,
        },
    )
    .is_ok();
    let current = org::member_input(&member);
    let (member_values, member_error) = match &form {
        MemberForm::Member(v, e) => (*v, Some(*e)),
        _ => (&current, None),
    };
    let blank_branch = BranchInput {
        is_pickup_location: true,
        ..BranchInput::default()
    };
    let (branch_values, branch_error) = match &form {
        MemberForm::Branch(v, e) => (*v, Some(*e)),
        _ => (&blank_branch, None),
    };
    let status = match &form {
        MemberForm::None => StatusCode::OK,
        MemberForm::Member(_, e) | MemberForm::Branch(_, e) => {
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
        }
    };
    let action = format!("/admin/members/{}", member.code);
    Ok(html_response(status, view.branded_page(&member.name, Some(&member), html! {
        h1 { (member.name) }
        @if saved { p class="notice" role="status" { (view.t("form.saved")) } }
        p { (view.t(kind_key(member.kind))) " · " (member.code) }
        p { a href=(format!("/admin/members/{}/floating", member.code)) { (view.t("floating.link")) } " · " a href=(format!("/admin/members/{}/locations", member.code)) { (view.t("locations.link")) } " · " a href=(format!("/admin/members/{}/hidden-locations", member.code)) { (view.t("hidden_locations.link")) } }
        h2 { (view.t("member.branches")) }
        table {
            thead { tr { th { (view.t("branch.code")) } th { (view.t("branch.name")) } th class="hide-narrow" { (view.t("branch.address")) } th { (view.t("branch.pickup")) } th { (view.t("branch.curbside")) } } }
            tbody {
                @for b in &branches {
                    tr {
                        td { a href=(format!("/admin/branches/{}", b.code)) { (b.code) } }
                        td { (b.name) }
                        td class="hide-narrow" { (b.address) }
                        td { (if b.is_pickup_location { view.t("form.yes") } else { view.t("form.no") }) }
                        td { (if b.has_curbside { view.t("form.yes") } else { view.t("form.no") }) }
                    }
                }
            }
        }
        @if may_edit {
            h2 { (view.t("member.edit")) }
            (view.errors(member_error))
            (member_form(&view, &action, member_values, member_error, view.t("form.save")))
        }
        @if may_add_branch {
            h2 { (view.t("branch.add")) }
            (view.errors(branch_error))
            (branch_form(&view, &format!("{action}/branches"), branch_values, branch_error, view.t("form.create")))
        }
    })))
}

async fn member_page(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(saved): Query<SavedQuery>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        member_view(
            &state,
            &auth,
            &principal,
            &code,
            MemberForm::None,
            saved.saved.is_some(),
        )
        .await
    })
    .await
}

async fn update_member(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let input = member_input_from(&fields);
    staff_post(
        &state,
        &auth,
        &fields,
        async |principal| match org::update_member(&state.ctx, &principal, &code, &input).await {
            Ok(member) => Ok(
                Redirect::to(&format!("/admin/members/{}?saved=1", member.code)).into_response(),
            ),
            Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::Duplicate) => {
                member_view(
                    &state,
                    &auth,
                    &principal,
                    &code,
                    MemberForm::Member(&input, &e),
                    false,
                )
                .await
            }
            Err(e) => Err(e),
        },
    )
    .await
}

async fn create_branch(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let input = branch_input_from(&fields);
    staff_post(
        &state,
        &auth,
        &fields,
        async |principal| match org::create_branch(&state.ctx, &principal, &code, &input).await {
            Ok(branch) => Ok(
                Redirect::to(&format!("/admin/branches/{}?saved=1", branch.code)).into_response(),
            ),
            Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::Duplicate) => {
                member_view(
                    &state,
                    &auth,
                    &principal,
                    &code,
                    MemberForm::Branch(&input, &e),
                    false,
                )
                .await
            }
            Err(e) => Err(e),
        },
    )
    .await
}

async fn branch_view(
    state: &AppState,
    auth: &Auth,
    principal: &Principal,
    branch: &Branch,
    form: Option<(&BranchInput, &ServiceError)>,
    saved: bool,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let member = org::member_by_id(&state.ctx, branch.member_id).await?;
    let may_edit = authorise(
        principal,
        Action::ManageBranch {
            member: member.id,
            branch: Some(branch.id),
        },
    )
    .is_ok();
    let current = org::branch_input(branch);
    let (values, error) = form.map_or((&current, None), |(v, e)| (v, Some(e)));
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    Ok(html_response(status, view.branded_page(&branch.name, Some(&member), html! {
        h1 { (branch.name) }
        @if saved { p class="notice" role="status" { (view.t("form.saved")) } }
        p { a href=(format!("/admin/members/{}", member.code)) { (member.name) } " · " (branch.code) }
        table {
            caption { (view.t("branch.hours")) }
            tbody {
                @for day in Weekday::ALL {
                    tr { th scope="row" { (view.t(day_key(day))) } td { (branch.opening_hours.format_day(day)) } }
                }
            }
        }
        @if !branch.closed_dates.is_empty() {
            h2 { (view.t("branch.closed_dates")) }
            ul { @for c in &branch.closed_dates { li { (c.date) " " (c.reason) } } }
        }
        @if may_edit {
            h2 { (view.t("branch.edit")) }
            (view.errors(error))
            (branch_form(&view, &format!("/admin/branches/{}", branch.code), values, error, view.t("form.save")))
        }
    })))
}

async fn branch_page(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(saved): Query<SavedQuery>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        let branch = org::branch(&state.ctx, &code).await?;
        branch_view(
            &state,
            &auth,
            &principal,
            &branch,
            None,
            saved.saved.is_some(),
        )
        .await
    })
    .await
}

async fn update_branch(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let input = branch_input_from(&fields);
    staff_post(
        &state,
        &auth,
        &fields,
        async |principal| match org::update_branch(&state.ctx, &principal, &code, &input).await {
            Ok(branch) => Ok(
                Redirect::to(&format!("/admin/branches/{}?saved=1", branch.code)).into_response(),
            ),
            Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::Duplicate) => {
                let branch = org::branch(&state.ctx, &code).await?;
                branch_view(
                    &state,
                    &auth,
                    &principal,
                    &branch,
                    Some((&input, &e)),
                    false,
                )
                .await
            }
            Err(e) => Err(e),
        },
    )
    .await
}

fn load_view(
    state: &AppState,
    auth: &Auth,
    text: &str,
    outcome: Option<Result<&orgfile::LoadSummary, &ServiceError>>,
) -> Response {
    let view = View::new(state, auth);
    let status = match outcome {
        Some(Err(e)) => {
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
        }
        _ => StatusCode::OK,
    };
    html_response(status, view.page(view.t("admin.load"), html! {
        h1 { (view.t("admin.load")) }
        p { (view.t("load.intro")) }
        @match outcome {
            Some(Ok(s)) => {
                p class="notice" role="status" {
                    (view.tf("load.summary", &[
                        ("members_created", &s.members_created.to_string()), ("members_updated", &s.members_updated.to_string()),
                        ("members_unchanged", &s.members_unchanged.to_string()), ("branches_created", &s.branches_created.to_string()),
                        ("branches_updated", &s.branches_updated.to_string()), ("branches_unchanged", &s.branches_unchanged.to_string()),
                    ]))
                }
            }
            Some(Err(e)) => { (view.errors(Some(e))) }
            None => {}
        }
        form class="stack" method="post" action="/admin/org/load" {
            (view.csrf())
            label for="file" { (view.t("load.file")) }
            textarea id="file" name="file" rows="20" spellcheck="false" { (text) }
            div { button type="submit" { (view.t("load.submit")) } }
        }
    }))
}

async fn load_page(State(state): State<SharedState>, auth: Auth) -> Response {
    if staff(&auth).is_none() {
        return to_login();
    }
    load_view(&state, &auth, "", None)
}

async fn load_org(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    let Some(principal) = staff(&auth) else {
        return to_login();
    };
    let text = field(&fields, "file");
    if let Err(e) = auth.check_csrf(Some(field(&fields, "csrf"))) {
        return error_page(&state, &auth, &e);
    }
    match orgfile::load(&state.ctx, &principal, text).await {
        Ok(summary) => {
            // The file may rename the consortium: this page already shows the new name.
            state.site.forget();
            state.site.refresh(&state.ctx).await;
            load_view(&state, &auth, text, Some(Ok(&summary)))
        }
        Err(e) if e.code == ErrorCode::InvalidInput || e.code == ErrorCode::Duplicate => {
            load_view(&state, &auth, text, Some(Err(&e)))
        }
        Err(e) => error_page(&state, &auth, &e),
    }
}

// ----- patrons -----

/// The branches a patron form offers: as home library, and as preferred pickup library.
#[derive(Clone, Copy)]
struct BranchChoices<'a> {
    home: &'a [Branch],
    pickup: &'a [Branch],
}

/// Which patron form: registering a new patron (card and PIN too), or editing one — whose
/// contact details may be hidden from this member of staff at the patron's request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PatronForm {
    Register,
    Edit { contact_hidden: bool },
}

fn patron_form(
    view: &View<'_>,
    action: &str,
    values: &PatronInput,
    error: Option<&ServiceError>,
    choices: BranchChoices<'_>,
    kind: PatronForm,
    submit: &str,
) -> Markup {
    let with_card = kind == PatronForm::Register;
    let contact_hidden = kind
        == PatronForm::Edit {
            contact_hidden: true,
        };
    html! {
        form class="stack" method="post" action=(action) {
            (view.csrf())
            @if with_card { (view.text_input(error, "card", view.t("patron.card"), &values.card, "text", true)) }
            (view.text_input(error, "family_name", view.t("patron.family_name"), &values.family_name, "text", true))
            (view.text_input(error, "given_names", view.t("patron.given_names"), &values.given_names, "text", false))
            label for="home_branch" { (view.t("patron.home_branch")) }
            (view.field_error(error, "home_branch"))
            select id="home_branch" name="home_branch" {
                @for b in choices.home { option value=(b.code) selected[values.home_branch.eq_ignore_ascii_case(b.code.as_str())] { (b.name) " (" (b.code) ")" } }
            }
            (view.text_input(error, "patron_type", view.t("patron.patron_type"), &values.patron_type, "text", true))
            (view.text_input(error, "expires_on", view.t("patron.expires_on"), &values.expires_on, "date", true))
            @if contact_hidden {
                p class="hint" { (view.t("patron.contact_hidden")) }
            } @else {
                (view.text_input(error, "email", view.t("patron.email"), &values.email, "email", false))
                (view.text_input(error, "phone", view.t("patron.phone"), &values.phone, "tel", false))
                (view.text_input(error, "sms_number", view.t("patron.sms_number"), &values.sms_number, "tel", false))
                (view.text_input(error, "date_of_birth", view.t("patron.date_of_birth"), &values.date_of_birth, "date", false))
            }
            label for="preferred_pickup_branch" { (view.t("patron.preferred_pickup_branch")) }
            (view.field_error(error, "preferred_pickup_branch"))
            select id="preferred_pickup_branch" name="preferred_pickup_branch" {
                option value="" { (view.t("patron.no_preference")) }
                @for b in choices.pickup { option value=(b.code) selected[values.preferred_pickup_branch.eq_ignore_ascii_case(b.code.as_str())] { (b.name) " (" (b.code) ")" } }
            }
            @if with_card {
                @if error.is_some_and(|e| e.code == ErrorCode::PossibleDuplicate) {
                    label { input type="checkbox" name="register_anyway" value="1"; " " (view.t("patron.register_anyway")) }
                }
                label for="pin" { (view.t("patron.pin")) " " span class="hint" { (view.t("patron.pin_hint")) } }
                (view.field_error(error, "pin"))
                input type="password" id="pin" name="pin" inputmode="numeric" autocomplete="new-password";
            }
            div { button type="submit" { (submit) } }
        }
    }
}

fn patron_input_from(fields: &Fields) -> PatronInput {
    PatronInput {
        card: field(fields, "card").into(),
        family_name: field(fields, "family_name").into(),
        given_names: field(fields, "given_names").into(),
        home_branch: field(fields, "home_branch").into(),
        patron_type: field(fields, "patron_type").into(),
        expires_on: field(fields, "expires_on").into(),
        email: field(fields, "email").into(),
        phone: field(fields, "phone").into(),
        sms_number: field(fields, "sms_number").into(),
        date_of_birth: field(fields, "date_of_birth").into(),
        preferred_pickup_branch: field(fields, "preferred_pickup_branch").into(),
    }
}

/// Branches where this principal may register patrons.
async fn writable_branches(state: &AppState, principal: &Principal) -> ServiceResult<Vec<Branch>> {
    Ok(org::list_branches(&state.ctx, None)
        .await?
        .into_iter()
        .filter(|b| {
            authorise(
                principal,
                Action::WritePatron {
                    home_member: b.member_id,
                },
            )
            .is_ok()
        })
        .collect())
}

#[derive(serde::Deserialize, Default)]
struct PatronSearch {
    #[serde(default)]
    q: String,
}

async fn patrons_view(
    state: &AppState,
    auth: &Auth,
    principal: &Principal,
    query: &str,
    form: Option<(&PatronInput, &ServiceError)>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let found = if query.trim().is_empty() {
        Vec::new()
    } else {
        patrons::search(&state.ctx, principal, query).await?
    };
    let branches = org::list_branches(&state.ctx, None).await?;
    let writable = writable_branches(state, principal).await?;
    let pickup_branches: Vec<Branch> = branches
        .iter()
        .filter(|b| b.is_pickup_location)
        .cloned()
        .collect();
    let blank = PatronInput {
        patron_type: "ADULT".into(),
        ..PatronInput::default()
    };
    let (values, error) = form.map_or((&blank, None), |(v, e)| (v, Some(e)));
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    Ok(html_response(status, view.page(view.t("admin.patrons"), html! {
        h1 { (view.t("admin.patrons")) }
        form role="search" method="get" action="/admin/patrons" {
            label for="q" { (view.t("patron.search")) }
            input type="search" id="q" name="q" value=(query) autofocus;
            button type="submit" { (view.t("form.search")) }
        }
        @if !query.trim().is_empty() {
            h2 { (view.tc("patron.results", ("count", found.len() as u64), &[])) }
            table {
                thead { tr { th { (view.t("patron.name")) } th { (view.t("patron.cards")) } th { (view.t("patron.home_branch")) } th { (view.t("patron.expires_on")) } } }
                tbody {
                    @for p in &found {
                        tr {
                            td { a href=(format!("/admin/patrons/{}", p.id)) { (p.family_name) ", " (p.given_names) } }
                            td { (p.cards.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
                            td { (branches.iter().find(|b| b.id == p.home_branch).map_or("", |b| b.name.as_str())) }
                            td { (p.expires_on) }
                        }
                    }
                }
            }
        }
        @if !writable.is_empty() {
            h2 { (view.t("patron.register")) }
            (view.errors(error))
            (patron_form(&view, "/admin/patrons", values, error, BranchChoices { home: &writable, pickup: &pickup_branches }, PatronForm::Register, view.t("form.create")))
        }
    })))
}

async fn patrons_page(
    State(state): State<SharedState>,
    auth: Auth,
    Query(search): Query<PatronSearch>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        patrons_view(&state, &auth, &principal, &search.q, None).await
    })
    .await
}

async fn register_patron(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    let input = patron_input_from(&fields);
    staff_post(
        &state,
        &auth,
        &fields,
        async |principal| match patrons::register(
            &state.ctx,
            &principal,
            &input,
            Some(field(&fields, "pin")),
            checked(&fields, "register_anyway"),
        )
        .await
        {
            Ok(patron) => {
                Ok(Redirect::to(&format!("/admin/patrons/{}?saved=1", patron.id)).into_response())
            }
            Err(e)
                if matches!(
                    e.code,
                    ErrorCode::InvalidInput | ErrorCode::Duplicate | ErrorCode::PossibleDuplicate
                ) =>
            {
                patrons_view(&state, &auth, &principal, "", Some((&input, &e))).await
            }
            Err(e) => Err(e),
        },
    )
    .await
}

fn patron_input_of(patron: &Patron, branch_code: &str, pickup_code: &str) -> PatronInput {
    PatronInput {
        card: patron
            .cards
            .first()
            .map(ToString::to_string)
            .unwrap_or_default(),
        family_name: patron.family_name.clone(),
        given_names: patron.given_names.clone(),
        home_branch: branch_code.to_string(),
        patron_type: patron.patron_type.to_string(),
        expires_on: patron.expires_on.to_string(),
        email: patron.email.clone().unwrap_or_default(),
        phone: patron.phone.clone().unwrap_or_default(),
        sms_number: patron.sms_number.clone().unwrap_or_default(),
        date_of_birth: patron
            .date_of_birth
            .map(|d| d.to_string())
            .unwrap_or_default(),
        preferred_pickup_branch: pickup_code.to_string(),
    }
}

async fn patron_view_page(
    state: &AppState,
    auth: &Auth,
    principal: &Principal,
    id: PatronId,
    form: Option<(&PatronInput, &ServiceError)>,
    saved: bool,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let patron = patrons::patron(&state.ctx, principal, id).await?;
    let branch = org::branch_by_id(&state.ctx, patron.home_branch).await?;
    let member = org::member_by_id(&state.ctx, patron.home_member).await?;
    let may_edit = authorise(
        principal,
        Action::WritePatron {
            home_member: patron.home_member,
        },
    )
    .is_ok();
    let all_branches = org::list_branches(&state.ctx, None).await?;
    let pickup_branches: Vec<Branch> = all_branches
        .iter()
        .filter(|b| b.is_pickup_location)
        .cloned()
        .collect();
    let pickup_code = patron
        .preferred_pickup_branch
        .and_then(|id| all_branches.iter().find(|b| b.id == id))
        .map_or(String::new(), |b| b.code.to_string());
    let current = patron_input_of(&patron, branch.code.as_str(), &pickup_code);
    let extras = super::patron_pages::patron_extras(state, auth, principal, &patron).await?;
    let (values, error) = form.map_or((&current, None), |(v, e)| (v, Some(e)));
    let writable = writable_branches(state, principal).await?;
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    Ok(html_response(status, view.page(&patron.display_name(), html! {
        h1 { (patron.display_name()) }
        @if saved { p class="notice" role="status" { (view.t("form.saved")) } }
        table {
            tbody {
                tr { th scope="row" { (view.t("patron.cards")) } td { (patron.cards.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) } }
                tr { th scope="row" { (view.t("patron.home_branch")) } td { (branch.name) ", " (member.name) } }
                tr { th scope="row" { (view.t("patron.patron_type")) } td { (patron.patron_type) } }
                tr { th scope="row" { (view.t("patron.expires_on")) } td { (patron.expires_on) } }
            }
        }
        @if may_edit {
            h2 { (view.t("patron.edit")) }
            (view.errors(error))
            (patron_form(&view, &format!("/admin/patrons/{}", patron.id), values, error, BranchChoices { home: &writable, pickup: &pickup_branches }, PatronForm::Edit { contact_hidden: !patron.contact_visible_to(principal) }, view.t("form.save")))
        }
        (extras)
    })))
}

pub(crate) fn parse_patron_id(raw: &str) -> ServiceResult<PatronId> {
    raw.parse()
        .map_err(|_| ServiceError::not_found(format!("patron {raw}")))
}

async fn patron_page(
    State(state): State<SharedState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(saved): Query<SavedQuery>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        patron_view_page(
            &state,
            &auth,
            &principal,
            parse_patron_id(&id)?,
            None,
            saved.saved.is_some(),
        )
        .await
    })
    .await
}

async fn update_patron(
    State(state): State<SharedState>,
    auth: Auth,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let input = patron_input_from(&fields);
    staff_post(&state, &auth, &fields, async |principal| {
        let id = parse_patron_id(&id)?;
        match patrons::update(&state.ctx, &principal, id, &input).await {
            Ok(patron) => {
                Ok(Redirect::to(&format!("/admin/patrons/{}?saved=1", patron.id)).into_response())
            }
            Err(e) if e.code == ErrorCode::InvalidInput => {
                patron_view_page(&state, &auth, &principal, id, Some((&input, &e)), false).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

// ----- staff accounts and tokens -----

fn scope_options(
    members: &[Member],
    branches: &[Branch],
    principal: &Principal,
) -> Vec<(String, String)> {
    let mut options = Vec::new();
    if authorise(
        principal,
        Action::ManageStaff {
            scope: Scope::Consortium,
        },
    )
    .is_ok()
    {
        options.push(("consortium".to_string(), "Consortium".to_string()));
    }
    for m in members {
        if authorise(
            principal,
            Action::ManageStaff {
                scope: Scope::Member { member: m.id },
            },
        )
        .is_ok()
        {
            options.push((format!("member:{}", m.code), m.name.clone()));
        }
        for b in branches.iter().filter(|b| b.member_id == m.id) {
            if authorise(
                principal,
                Action::ManageStaff {
                    scope: Scope::Branch {
                        member: m.id,
                        branch: b.id,
                    },
                },
            )
            .is_ok()
            {
                options.push((
                    format!("branch:{}", b.code),
                    format!("{} — {}", m.name, b.name),
                ));
            }
        }
    }
    options
}

fn role_select(view: &View<'_>, selected: &str) -> Markup {
    html! {
        label for="role" { (view.t("staff.role")) }
        select id="role" name="role" {
            @for role in Role::ALL { option value=(role.as_str()) selected[selected == role.as_str()] { (view.t(role_key(role))) } }
        }
    }
}

fn scope_select(view: &View<'_>, options: &[(String, String)], selected: &str) -> Markup {
    html! {
        label for="scope" { (view.t("staff.scope")) }
        select id="scope" name="scope" {
            @for (value, label) in options { option value=(value) selected[selected == value] { (label) } }
        }
    }
}

async fn staff_view(
    state: &AppState,
    auth: &Auth,
    principal: &Principal,
    form: Option<(&Fields, &ServiceError)>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let staff = accounts::list_staff(&state.ctx, principal).await?;
    let members = org::list_members(&state.ctx).await?;
    let branches = org::list_branches(&state.ctx, None).await?;
    let options = scope_options(&members, &branches, principal);
    let empty = Vec::new();
    let (values, error) = form.map_or((&empty, None), |(v, e)| (v, Some(e)));
    let mut rows = Vec::new();
    for s in &staff {
        let mut grants = Vec::new();
        for g in &s.grants {
            grants.push(grant_text(state, &view, g).await?);
        }
        rows.push((s, grants.join("; ")));
    }
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    Ok(html_response(status, view.page(view.t("admin.staff"), html! {
        h1 { (view.t("admin.staff")) }
        table {
            thead { tr { th { (view.t("staff.username")) } th { (view.t("staff.display_name")) } th { (view.t("staff.grants")) } th { (view.t("staff.status")) } } }
            tbody {
                @for (s, grants) in &rows {
                    tr { td { (s.username) } td { (s.display_name) } td { (grants) } td { (if s.disabled { view.t("staff.disabled") } else { view.t("staff.active") }) } }
                }
            }
        }
        @if !options.is_empty() {
            h2 { (view.t("staff.add")) }
            (view.errors(error))
            form class="stack" method="post" action="/admin/staff" {
                (view.csrf())
                (view.text_input(error, "username", view.t("staff.username"), field(values, "username"), "text", true))
                (view.text_input(error, "display_name", view.t("staff.display_name"), field(values, "display_name"), "text", true))
                label for="password" { (view.t("staff.password")) " " span class="hint" { (view.t("staff.password_hint")) } }
                (view.field_error(error, "password"))
                input type="password" id="password" name="password" required autocomplete="new-password";
                (role_select(&view, field(values, "role")))
                (scope_select(&view, &options, field(values, "scope")))
                div { button type="submit" { (view.t("form.create")) } }
            }
        }
    })))
}

async fn staff_page(State(state): State<SharedState>, auth: Auth) -> Response {
    as_staff(&state, &auth, async |principal| {
        staff_view(&state, &auth, &principal, None).await
    })
    .await
}

async fn create_staff(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let input = StaffInput {
            username: field(&fields, "username").into(),
            display_name: field(&fields, "display_name").into(),
            password: field(&fields, "password").into(),
            grants: vec![(
                field(&fields, "role").into(),
                field(&fields, "scope").into(),
            )],
        };
        match accounts::create_staff(&state.ctx, &principal, &input).await {
            Ok(_) => Ok(Redirect::to("/admin/staff").into_response()),
            Err(e)
                if matches!(
                    e.code,
                    ErrorCode::InvalidInput | ErrorCode::Duplicate | ErrorCode::Forbidden
                ) =>
            {
                staff_view(&state, &auth, &principal, Some((&fields, &e))).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

async fn tokens_view(
    state: &AppState,
    auth: &Auth,
    principal: &Principal,
    issued: Option<&accounts::IssuedToken>,
    form: Option<(&Fields, &ServiceError)>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let tokens = accounts::list_api_tokens(&state.ctx, principal).await?;
    let members = org::list_members(&state.ctx).await?;
    let branches = org::list_branches(&state.ctx, None).await?;
    let options = scope_options(&members, &branches, principal);
    let empty = Vec::new();
    let (values, error) = form.map_or((&empty, None), |(v, e)| (v, Some(e)));
    let mut rows = Vec::new();
    for t in &tokens {
        rows.push((t, grant_text(state, &view, &t.grant).await?));
    }
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    Ok(html_response(status, view.page(view.t("admin.tokens"), html! {
        h1 { (view.t("admin.tokens")) }
        @if let Some(issued) = issued {
            div class="notice" role="status" {
                p { (view.tf("token.issued", &[("name", &issued.record.name)])) }
                p class="secret" { (issued.secret) }
            }
        }
        table {
            thead { tr { th { (view.t("token.name")) } th { (view.t("staff.grants")) } th { (view.t("token.created_by")) } th { (view.t("staff.status")) } th { span class="skip" { (view.t("token.actions")) } } } }
            tbody {
                @for (t, grant) in &rows {
                    tr {
                        td { (t.name) }
                        td { (grant) }
                        td { (t.created_by) }
                        td { (if t.revoked_at.is_some() { view.t("token.revoked") } else { view.t("staff.active") }) }
                        td {
                            @if t.revoked_at.is_none() {
                                form class="inline" method="post" action=(format!("/admin/tokens/{}/revoke", t.id)) {
                                    (view.csrf())
                                    button type="submit" class="secondary" style="margin:0" aria-label=(view.tf("token.revoke_named", &[("name", &t.name)])) { (view.t("token.revoke")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !options.is_empty() {
            h2 { (view.t("token.add")) }
            (view.errors(error))
            form class="stack" method="post" action="/admin/tokens" {
                (view.csrf())
                (view.text_input(error, "name", view.t("token.name"), field(values, "name"), "text", true))
                (role_select(&view, field(values, "role")))
                (scope_select(&view, &options, field(values, "scope")))
                (view.text_input(error, "valid_days", view.t("token.valid_days"), field(values, "valid_days"), "text", false))
                div { button type="submit" { (view.t("form.create")) } }
            }
        }
    })))
}

async fn tokens_page(State(state): State<SharedState>, auth: Auth) -> Response {
    as_staff(&state, &auth, async |principal| {
        tokens_view(&state, &auth, &principal, None, None).await
    })
    .await
}

async fn create_token(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let days = field(&fields, "valid_days").trim();
        let valid_days =
            if days.is_empty() {
                None
            } else {
                Some(days.parse::<i64>().map_err(|_| {
                    ServiceError::field("valid_days", "must be a whole number of days")
                })?)
            };
        match accounts::create_api_token(
            &state.ctx,
            &principal,
            field(&fields, "name"),
            field(&fields, "role"),
            field(&fields, "scope"),
            valid_days,
        )
        .await
        {
            Ok(issued) => tokens_view(&state, &auth, &principal, Some(&issued), None).await,
            Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::Forbidden) => {
                tokens_view(&state, &auth, &principal, None, Some((&fields, &e))).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

async fn revoke_token(
    State(state): State<SharedState>,
    auth: Auth,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let id: ApiTokenId = id
            .parse()
            .map_err(|_| ServiceError::not_found(format!("API token {id}")))?;
        accounts::revoke_api_token(&state.ctx, &principal, id).await?;
        Ok(Redirect::to("/admin/tokens").into_response())
    })
    .await
}

// ----- the audit log -----

pub(crate) fn format_time(unix: i64) -> String {
    let date = concord_domain::calendar::Date::from_unix(unix, 0);
    let seconds = unix.rem_euclid(86_400);
    format!(
        "{date} {:02}:{:02} UTC",
        seconds / 3600,
        (seconds % 3600) / 60
    )
}

async fn audit_page(
    State(state): State<SharedState>,
    auth: Auth,
    Query(q): Query<AuditQuery>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        let view = View::new(&state, &auth);
        let filter = audit_filter(&state, &principal, &q).await?;
        let entries: Vec<AuditEntry> = audit::browse(&state.ctx, &principal, &filter).await?;
        let members = org::list_members(&state.ctx).await?;
        let value = |v: &Option<String>| v.clone().unwrap_or_default();
        let next = entries.last().map(|e| e.id);
        Ok(html_response(StatusCode::OK, view.page(view.t("admin.audit"), html! {
            h1 { (view.t("admin.audit")) }
            form class="stack" method="get" action="/admin/audit" {
                label for="member" { (view.t("audit.member")) }
                select id="member" name="member" {
                    @if filter.member_id.is_none() { option value="" { (view.t("audit.all_members")) } }
                    @for m in &members {
                        @if authorise(&principal, Action::ReadAudit { member: Some(m.id) }).is_ok() {
                            option value=(m.code) selected[filter.member_id == Some(m.id)] { (m.name) }
                        }
                    }
                }
                label for="actor" { (view.t("audit.actor")) }
                input type="text" id="actor" name="actor" value=(value(&q.actor));
                label for="entity_kind" { (view.t("audit.entity_kind")) }
                input type="text" id="entity_kind" name="entity_kind" value=(value(&q.entity_kind));
                label for="action" { (view.t("audit.action")) }
                input type="text" id="action" name="action" value=(value(&q.action));
                label for="since" { (view.t("audit.since")) }
                input type="date" id="since" name="since" value=(value(&q.since));
                label for="until" { (view.t("audit.until")) }
                input type="date" id="until" name="until" value=(value(&q.until));
                div { button type="submit" { (view.t("form.filter")) } }
            }
            table {
                thead { tr { th { (view.t("audit.when")) } th { (view.t("audit.actor")) } th { (view.t("audit.action")) } th { (view.t("audit.entity")) } th { (view.t("audit.change")) } } }
                tbody {
                    @for e in &entries {
                        tr {
                            td { (format_time(e.at)) }
                            td { (e.actor) }
                            td { (e.action) @if let Some(r) = &e.reason { br; span class="muted" { (r) } } }
                            td { (e.entity_kind) " " (e.entity_id) }
                            td {
                                details {
                                    summary { (view.t("audit.show")) }
                                    @if let Some(b) = &e.before { p { strong { (view.t("audit.before")) } } pre style="white-space:pre-wrap" { (b) } }
                                    @if let Some(a) = &e.after { p { strong { (view.t("audit.after")) } } pre style="white-space:pre-wrap" { (a) } }
                                }
                            }
                        }
                    }
                }
            }
            @if let (Some(next), true) = (next, entries.len() as u32 >= filter.limit) {
                a href=(format!("/admin/audit?before={next}&member={}&actor={}&entity_kind={}&action={}&since={}&until={}",
                    filter.member_id.and_then(|id| members.iter().find(|m| m.id == id)).map_or(String::new(), |m| m.code.to_string()),
                    percent_encode(&value(&q.actor)), percent_encode(&value(&q.entity_kind)), percent_encode(&value(&q.action)), percent_encode(&value(&q.since)), percent_encode(&value(&q.until))))
                { (view.t("audit.older")) }
            }
        })))
    })
    .await
}
