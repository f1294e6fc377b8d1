//! Staff pages for the circulation policy matrix: the list of rules, a form to add or change one,
//! and "which rule applies and why" shown value by value. Also the readable form of an
//! explanation that the JSON API returns too, so both say the same thing.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use concord_domain::ErrorCode;
use concord_domain::circulation::policy_input::{PolicyRuleInput, settings_as_text};
use concord_domain::circulation::{
    MatchPoint, Mismatch, PassedOverReason, PolicyField, PolicyRule,
};
use concord_domain::ids::PolicyRuleId;
use concord_domain::org::{Branch, Member};
use maud::{Markup, html};
use serde::Serialize;

use super::auth::Auth;
use super::pages::{
    Fields, View, as_staff, field, html_response, render, staff, staff_post, to_login,
};
use super::patron_api::ExplainParams;
use super::{AppState, SharedState};
use crate::service::policies::{self, Explained};
use crate::service::{ServiceError, ServiceResult, org};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/admin/policies", get(list_page).post(create_rule))
        .route("/admin/policies/explain", get(explain_page))
        .route("/admin/policies/{id}", get(rule_page).post(update_rule))
        .route("/admin/policies/{id}/delete", post(delete_rule))
}

/// A rule's member and branch match points as codes.
pub struct RuleCodes {
    pub circulating_member: Option<String>,
    pub circulating_branch: Option<String>,
    pub patron_home_member: Option<String>,
}

pub fn rule_codes(rule: &PolicyRule, members: &[Member], branches: &[Branch]) -> RuleCodes {
    let member = |id| {
        members
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.code.to_string())
    };
    let points = &rule.match_points;
    RuleCodes {
        circulating_member: points.circulating_member.and_then(member),
        circulating_branch: points.circulating_branch.and_then(|id| {
            branches
                .iter()
                .find(|b| b.id == id)
                .map(|b| b.code.to_string())
        }),
        patron_home_member: points.patron_home_member.and_then(member),
    }
}

/// The match points a rule names, as `item_type=DVD` text, or "everything".
fn describe_match(rule: &PolicyRule, members: &[Member], branches: &[Branch]) -> String {
    let codes = rule_codes(rule, members, branches);
    let points = &rule.match_points;
    let parts: Vec<String> = [
        ("branch", codes.circulating_branch),
        ("member", codes.circulating_member),
        (
            "shelving_location",
            points.shelving_location.as_ref().map(ToString::to_string),
        ),
        (
            "item_type",
            points.item_type.as_ref().map(ToString::to_string),
        ),
        (
            "patron_type",
            points.patron_type.as_ref().map(ToString::to_string),
        ),
        ("patron_home_member", codes.patron_home_member),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| format!("{name}={v}")))
    .collect();
    if parts.is_empty() {
        "everything (consortium default)".to_string()
    } else {
        parts.join(", ")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleRef {
    pub id: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PassedOverLine {
    pub rule: RuleRef,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValueLine {
    pub field: &'static str,
    /// The value as shown to people (`14 days`, `0.25 GBP`, `yes`), or none if no rule sets it.
    pub value: Option<String>,
    pub supplied_by: Option<RuleRef>,
    /// More specific rules that did not supply the value, and why.
    pub passed_over: Vec<PassedOverLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleLine {
    pub rule: RuleRef,
    pub matches: String,
    pub specificity: u8,
    pub matched: bool,
    pub mismatches: Vec<String>,
}

/// "Which rule applies and why", readable: for the API and for the staff page.
#[derive(Debug, Clone, Serialize)]
pub struct ExplainLines {
    pub patron_type: String,
    pub patron_home_member: String,
    pub branch: String,
    pub circulating_member: String,
    pub item_type: String,
    pub shelving_location: String,
    pub complete: bool,
    pub missing: Vec<&'static str>,
    pub values: Vec<ValueLine>,
    pub rules: Vec<RuleLine>,
}

fn member_code(explained: &Explained, id: concord_domain::ids::MemberId) -> String {
    explained
        .members
        .iter()
        .find(|m| m.id == id)
        .map_or_else(|| id.to_string(), |m| m.code.to_string())
}

/// A mismatch in codes rather than ids: "circulating_branch is RIVER-MAIN, not HILL-EAST".
fn mismatch_text(explained: &Explained, m: &Mismatch) -> String {
    let code = |raw: &str| -> String {
        let Ok(id) = raw.parse::<i64>() else {
            return raw.to_string();
        };
        match m.match_point {
            MatchPoint::CirculatingBranch => explained
                .branches
                .iter()
                .find(|b| b.id.0 == id)
                .map_or_else(|| raw.to_string(), |b| b.code.to_string()),
            MatchPoint::CirculatingMember | MatchPoint::PatronHomeMember => {
                member_code(explained, concord_domain::ids::MemberId(id))
            }
            _ => raw.to_string(),
        }
    };
    format!(
        "{} is {}, not {}",
        m.match_point.as_str(),
        code(&m.context_has),
        code(&m.rule_wants)
    )
}

pub fn explain_lines(explained: &Explained) -> ExplainLines {
    let reference = |id: PolicyRuleId| RuleRef {
        id: id.to_string(),
        description: explained
            .rule(id)
            .map_or_else(String::new, |r| r.description.clone()),
    };
    let e = &explained.explanation;
    let missing = match &e.policy {
        Ok(_) => Vec::new(),
        Err(concord_domain::circulation::PolicyError::Incomplete { missing }) => {
            missing.iter().map(|f| f.as_str()).collect()
        }
    };
    ExplainLines {
        patron_type: e.context.patron_type.to_string(),
        patron_home_member: member_code(explained, e.context.patron_home_member),
        branch: explained.branch.code.to_string(),
        circulating_member: member_code(explained, e.context.circulating_member),
        item_type: e.context.item_type.to_string(),
        shelving_location: e.context.shelving_location.to_string(),
        complete: e.policy.is_ok(),
        missing,
        values: e
            .values
            .iter()
            .map(|v| ValueLine {
                field: v.field.as_str(),
                value: v.value.as_ref().map(ToString::to_string),
                supplied_by: v.supplied_by.map(reference),
                passed_over: v
                    .passed_over
                    .iter()
                    .map(|p| PassedOverLine {
                        rule: reference(p.rule_id),
                        reason: match &p.reason {
                            PassedOverReason::DoesNotSetValue => {
                                "matches but does not set this value".to_string()
                            }
                            PassedOverReason::DidNotMatch { mismatches } => format!(
                                "does not match: {}",
                                mismatches
                                    .iter()
                                    .map(|m| mismatch_text(explained, m))
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            ),
                        },
                    })
                    .collect(),
            })
            .collect(),
        rules: e
            .rules
            .iter()
            .map(|verdict| RuleLine {
                rule: reference(verdict.rule_id),
                matches: explained
                    .rule(verdict.rule_id)
                    .map_or_else(String::new, |r| {
                        describe_match(&r.rule, &explained.members, &explained.branches)
                    }),
                specificity: verdict.specificity,
                matched: verdict.matched(),
                mismatches: verdict
                    .mismatches
                    .iter()
                    .map(|m| mismatch_text(explained, m))
                    .collect(),
            })
            .collect(),
    }
}

fn rule_input_from(fields: &Fields) -> PolicyRuleInput {
    PolicyRuleInput {
        description: field(fields, "description").into(),
        circulating_member: field(fields, "circulating_member").into(),
        circulating_branch: field(fields, "circulating_branch").into(),
        patron_home_member: field(fields, "patron_home_member").into(),
        patron_type: field(fields, "patron_type").into(),
        item_type: field(fields, "item_type").into(),
        shelving_location: field(fields, "shelving_location").into(),
        settings: PolicyField::ALL
            .iter()
            .map(|f| {
                (
                    f.as_str().to_string(),
                    field(fields, f.as_str()).to_string(),
                )
            })
            .collect(),
    }
}

fn rule_form(
    view: &View<'_>,
    action: &str,
    values: &PolicyRuleInput,
    error: Option<&ServiceError>,
    submit: &str,
) -> Markup {
    let setting = |name: &str| {
        values
            .settings
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
            .to_string()
    };
    html! {
        form class="stack" method="post" action=(action) {
            (view.csrf())
            (view.text_input(error, "description", view.t("policy.description"), &values.description, "text", true))
            fieldset {
                legend { (view.t("policy.match_points")) " " span class="hint" { (view.t("policy.match_hint")) } }
                (view.text_input(error, "circulating_member", "circulating_member", &values.circulating_member, "text", false))
                (view.text_input(error, "circulating_branch", "circulating_branch", &values.circulating_branch, "text", false))
                (view.text_input(error, "patron_home_member", "patron_home_member", &values.patron_home_member, "text", false))
                (view.text_input(error, "patron_type", "patron_type", &values.patron_type, "text", false))
                (view.text_input(error, "item_type", "item_type", &values.item_type, "text", false))
                (view.text_input(error, "shelving_location", "shelving_location", &values.shelving_location, "text", false))
            }
            fieldset {
                legend { (view.t("policy.settings")) " " span class="hint" { (view.t("policy.settings_hint")) } }
                @for f in PolicyField::ALL {
                    (view.text_input(error, f.as_str(), f.as_str(), &setting(f.as_str()), "text", false))
                }
            }
            div { button type="submit" { (submit) } }
        }
    }
}

async fn list_view(
    state: &AppState,
    auth: &Auth,
    principal: &concord_domain::auth::Principal,
    form: Option<(&PolicyRuleInput, &ServiceError)>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let rules = policies::list(&state.ctx, principal).await?;
    let members = org::list_members(&state.ctx).await?;
    let branches = org::list_branches(&state.ctx, None).await?;
    let currency = policies::currency(&state.ctx).await?;
    let blank = PolicyRuleInput::default();
    let (values, error) = form.map_or((&blank, None), |(v, e)| (v, Some(e)));
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    Ok(html_response(status, view.page(view.t("policy.title"), html! {
        h1 { (view.t("policy.title")) }
        p { (view.tf("policy.intro", &[("currency", currency.code.as_str())])) }
        p { a href="/admin/policies/explain" { (view.t("policy.explain")) } }
        table {
            thead { tr { th { (view.t("policy.description")) } th { (view.t("policy.match_points")) } th { (view.t("policy.settings")) } } }
            tbody {
                @for r in &rules {
                    tr {
                        td { a href=(format!("/admin/policies/{}", r.rule.id)) { (r.description) } }
                        td { (describe_match(&r.rule, &members, &branches)) }
                        td { @for (k, v) in settings_as_text(&r.rule.settings) { code { (k) "=" (v) } " " } }
                    }
                }
            }
        }
        h2 { (view.t("policy.add")) }
        (view.errors(error))
        (rule_form(&view, "/admin/policies", values, error, view.t("form.create")))
    })))
}

async fn list_page(State(state): State<SharedState>, auth: Auth) -> Response {
    as_staff(&state, &auth, async |principal| {
        list_view(&state, &auth, &principal, None).await
    })
    .await
}

async fn create_rule(
    State(state): State<SharedState>,
    auth: Auth,
    Form(fields): Form<Fields>,
) -> Response {
    let input = rule_input_from(&fields);
    staff_post(
        &state,
        &auth,
        &fields,
        async |principal| match policies::create(&state.ctx, &principal, &input).await {
            Ok(rule) => Ok(
                Redirect::to(&format!("/admin/policies/{}?saved=1", rule.rule.id)).into_response(),
            ),
            Err(e) if e.code == ErrorCode::InvalidInput => {
                list_view(&state, &auth, &principal, Some((&input, &e))).await
            }
            Err(e) => Err(e),
        },
    )
    .await
}

fn parse_rule_id(raw: &str) -> ServiceResult<PolicyRuleId> {
    raw.parse()
        .map_err(|_| ServiceError::not_found(format!("circulation rule {raw}")))
}

async fn rule_view_page(
    state: &AppState,
    auth: &Auth,
    principal: &concord_domain::auth::Principal,
    id: PolicyRuleId,
    form: Option<(&PolicyRuleInput, &ServiceError)>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let stored = policies::rule(&state.ctx, principal, id).await?;
    let members = org::list_members(&state.ctx).await?;
    let branches = org::list_branches(&state.ctx, None).await?;
    let codes = rule_codes(&stored.rule, &members, &branches);
    let points = &stored.rule.match_points;
    let current = PolicyRuleInput {
        description: stored.description.clone(),
        circulating_member: codes.circulating_member.unwrap_or_default(),
        circulating_branch: codes.circulating_branch.unwrap_or_default(),
        patron_home_member: codes.patron_home_member.unwrap_or_default(),
        patron_type: points
            .patron_type
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        item_type: points
            .item_type
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        shelving_location: points
            .shelving_location
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        settings: settings_as_text(&stored.rule.settings),
    };
    let (values, error) = form.map_or((&current, None), |(v, e)| (v, Some(e)));
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    Ok(html_response(status, view.page(&stored.description, html! {
        h1 { (stored.description) }
        p { (describe_match(&stored.rule, &members, &branches)) " · " (view.tf("policy.specificity", &[("n", &stored.rule.match_points.specificity().to_string())])) }
        (view.errors(error))
        (rule_form(&view, &format!("/admin/policies/{id}"), values, error, view.t("form.save")))
        form method="post" action=(format!("/admin/policies/{id}/delete")) {
            (view.csrf())
            button type="submit" class="secondary" { (view.t("policy.delete")) }
        }
    })))
}

async fn rule_page(
    State(state): State<SharedState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Response {
    let Some(principal) = staff(&auth) else {
        return to_login();
    };
    let result =
        async { rule_view_page(&state, &auth, &principal, parse_rule_id(&id)?, None).await }.await;
    render(&state, &auth, result)
}

async fn update_rule(
    State(state): State<SharedState>,
    auth: Auth,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let input = rule_input_from(&fields);
    staff_post(&state, &auth, &fields, async |principal| {
        let id = parse_rule_id(&id)?;
        match policies::update(&state.ctx, &principal, id, &input).await {
            Ok(_) => Ok(Redirect::to(&format!("/admin/policies/{id}?saved=1")).into_response()),
            Err(e) if e.code == ErrorCode::InvalidInput => {
                rule_view_page(&state, &auth, &principal, id, Some((&input, &e))).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

async fn delete_rule(
    State(state): State<SharedState>,
    auth: Auth,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        policies::delete(&state.ctx, &principal, parse_rule_id(&id)?).await?;
        Ok(Redirect::to("/admin/policies").into_response())
    })
    .await
}

async fn explain_page(
    State(state): State<SharedState>,
    auth: Auth,
    Query(params): Query<ExplainParams>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        let view = View::new(&state, &auth);
        let asked = !params.patron.trim().is_empty() || !params.branch.trim().is_empty();
        let (lines, error) = if asked {
            match policies::explain(&state.ctx, &principal, &params.query()).await {
                Ok(explained) => (Some(explain_lines(&explained)), None),
                Err(e) if e.code == ErrorCode::InvalidInput => (None, Some(e)),
                Err(e) => return Err(e),
            }
        } else {
            (None, None)
        };
        let error = error.as_ref();
        Ok(html_response(StatusCode::OK, view.page(view.t("policy.explain"), html! {
            h1 { (view.t("policy.explain")) }
            (view.errors(error))
            form class="stack" method="get" action="/admin/policies/explain" {
                (view.text_input(error, "patron", view.t("policy.patron_card"), &params.patron, "text", true))
                (view.text_input(error, "branch", view.t("policy.branch"), &params.branch, "text", true))
                (view.text_input(error, "item_type", "item_type", &params.item_type, "text", true))
                (view.text_input(error, "shelving_location", "shelving_location", &params.shelving_location, "text", true))
                div { button type="submit" { (view.t("policy.explain_submit")) } }
            }
            @if let Some(lines) = &lines {
                p { (view.tf("policy.context", &[
                    ("patron_type", &lines.patron_type), ("home", &lines.patron_home_member),
                    ("branch", &lines.branch), ("member", &lines.circulating_member),
                    ("item_type", &lines.item_type), ("shelving_location", &lines.shelving_location)])) }
                @if !lines.complete {
                    div class="errors" role="alert" { p { (view.tf("policy.incomplete", &[("missing", &lines.missing.join(", "))])) } }
                }
                table {
                    thead { tr { th { (view.t("policy.value")) } th { (view.t("policy.applies")) } th { (view.t("policy.from_rule")) } th { (view.t("policy.why_not")) } } }
                    tbody {
                        @for v in &lines.values {
                            tr {
                                th scope="row" { (v.field) }
                                td { (v.value.as_deref().unwrap_or("—")) }
                                td { @if let Some(r) = &v.supplied_by { a href=(format!("/admin/policies/{}", r.id)) { (r.description) } } @else { (view.t("policy.no_rule")) } }
                                td { ul { @for p in &v.passed_over { li { a href=(format!("/admin/policies/{}", p.rule.id)) { (p.rule.description) } ": " (p.reason) } } } }
                            }
                        }
                    }
                }
                h2 { (view.t("policy.all_rules")) }
                table {
                    thead { tr { th { (view.t("policy.description")) } th { (view.t("policy.match_points")) } th { (view.t("policy.specificity_short")) } th { (view.t("policy.matched")) } } }
                    tbody {
                        @for r in &lines.rules {
                            tr {
                                td { a href=(format!("/admin/policies/{}", r.rule.id)) { (r.rule.description) } }
                                td { (r.matches) }
                                td { (r.specificity) }
                                td { @if r.matched { (view.t("policy.yes")) } @else { (r.mismatches.join("; ")) } }
                            }
                        }
                    }
                }
            }
        })))
    })
    .await
}
