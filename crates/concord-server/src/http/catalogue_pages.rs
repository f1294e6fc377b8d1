//! The cataloguer's HTML pages: the catalogue entry page with a plain lookup, a record shown both
//! human-readable and as tagged MARC with every member's holdings and its merge history, the MARC
//! editor, item forms, merging by hand and undoing merges, and importing a MARC file. Every action
//! goes through `service::catalogue`, like the JSON API.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use concord_domain::ErrorCode;
use concord_domain::auth::{Action, Principal, authorise};
use concord_domain::catalogue::holdings::{HoldingsMapping, format_price};
use concord_domain::catalogue::identifiers::normalize_isbn;
use concord_domain::catalogue::{Identifier, IdentifierKind, ItemStatus, split_code_list};
use concord_domain::codes::Barcode;
use concord_domain::ids::{BibId, BibMergeId, ItemId};
use concord_domain::org::{Branch, Member};
use concord_marc::{DataField, Record};
use concord_store::catalogue::{self as store, BibRow, ItemRow};
use maud::{Markup, html};

use super::SharedState;
use super::auth::Auth;
use super::pages::{
    Fields, SavedQuery, View, as_staff, checked, error_page, field, format_time, html_response,
    render, staff, staff_post, to_login,
};
use crate::service::catalogue::{
    self, BibDetail, DEFAULT_BATCH_SIZE, ImportOptions, ImportSummary, ItemInput, UndoReport,
};
use crate::service::{ServiceError, ServiceResult, org};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/admin/catalogue", get(catalogue_page))
        .route(
            "/admin/catalogue/import",
            get(import_page).post(import_file),
        )
        .route("/admin/bibs/{id}", get(record_page))
        .route("/admin/bibs/{id}/marc", get(editor_page).post(save_marc))
        .route("/admin/bibs/{id}/items", get(new_item_page).post(add_item))
        .route("/admin/bibs/{id}/merge", post(merge_into))
        .route("/admin/bibs/{id}/withdraw", post(withdraw_bib))
        .route("/admin/bibs/{id}/restore", post(restore_bib))
        .route("/admin/items/{id}", get(item_page).post(update_item))
        .route("/admin/items/{id}/withdraw", post(withdraw_item))
        .route("/admin/merges/{id}/undo", post(undo_merge))
        .route(
            "/admin/members/{code}/hidden-locations",
            get(hidden_locations_page).post(save_hidden_locations),
        )
        .route(
            "/admin/members/{code}/locations",
            get(locations_page).post(save_locations),
        )
}

/// A shelving location's code and name as typed on the locations page.
type TypedName = (String, String);

/// The page of a member's shelving locations, where staff name them: every location its
/// items stand at, named or kept back, with a row to name one more; with the names as typed
/// and their errors when saving failed.
async fn locations_view(
    state: &SharedState,
    auth: &Auth,
    principal: &Principal,
    code: &str,
    outcome: Result<bool, (&[TypedName], &ServiceError)>,
) -> ServiceResult<Response> {
    let member = org::member(&state.ctx, code).await?;
    let locations = catalogue::shelving_locations(&state.ctx, principal, code).await?;
    let view = View::new(state, auth);
    let title = view.tf("locations.title", &[("member", &member.name)]);
    let (typed, error, saved) = match outcome {
        Ok(saved) => (None, None, saved),
        Err((typed, error)) => (Some(typed), Some(error), false),
    };
    // What a row's name field holds: as typed when saving failed, else the saved name.
    let name_of = |location: &catalogue::ShelvingLocation| -> String {
        match typed {
            Some(typed) => typed
                .iter()
                .find(|(code, _)| code.trim().eq_ignore_ascii_case(location.code.as_str()))
                .map(|(_, name)| name.clone())
                .unwrap_or_default(),
            None => location.name.clone().unwrap_or_default(),
        }
    };
    // A code typed in the new row that is not among the rows, to type again.
    let (new_code, new_name) = typed
        .and_then(|typed| {
            typed.iter().find(|(code, _)| {
                !locations
                    .iter()
                    .any(|known| code.trim().eq_ignore_ascii_case(known.code.as_str()))
            })
        })
        .cloned()
        .unwrap_or_default();
    let status = error.map_or(StatusCode::OK, |error| {
        StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    let body = html! {
        h1 { (title) }
        @if saved { div class="notice" role="status" { p { (view.t("locations.saved")) } } }
        (view.errors(error))
        p { (view.t("locations.explain")) }
        form method="post" action={"/admin/members/" (member.code) "/locations"} {
            (view.csrf())
            table {
                thead { tr {
                    th scope="col" { (view.t("locations.code")) }
                    th scope="col" { (view.t("locations.name")) }
                    th scope="col" { (view.t("locations.items")) }
                    th scope="col" { (view.t("locations.kept_back")) }
                } }
                tbody {
                    @for location in &locations {
                        @let id = format!("name-{}", location.code);
                        tr {
                            td { (location.code) input type="hidden" name="code" value=(location.code); }
                            td {
                                label class="visually-hidden" for=(id) { (view.tf("locations.name_of", &[("code", location.code.as_str())])) }
                                input type="text" id=(id) name="name" value=(name_of(location)) maxlength="80";
                            }
                            td { (location.items) }
                            td { @if location.kept_back { (view.t("locations.yes")) } }
                        }
                    }
                    tr {
                        td {
                            label class="visually-hidden" for="new-code" { (view.t("locations.new_code")) }
                            input type="text" id="new-code" name="code" value=(new_code) placeholder=(view.t("locations.new_code"));
                        }
                        td {
                            label class="visually-hidden" for="new-name" { (view.t("locations.new_name")) }
                            input type="text" id="new-name" name="name" value=(new_name) maxlength="80";
                        }
                        td {}
                        td {}
                    }
                }
            }
            div { button type="submit" { (view.t("locations.save")) } }
        }
        p { a href=(format!("/admin/members/{}/hidden-locations", member.code)) { (view.t("hidden_locations.link")) } }
    };
    Ok(html_response(status, view.page(&title, body)))
}

async fn locations_page(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(query): Query<SavedQuery>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        let saved = query.saved.is_some();
        locations_view(&state, &auth, &principal, &code, Ok(saved)).await
    })
    .await
}

async fn save_locations(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        // Each row gives a code, then a name.
        let codes = fields.iter().filter(|(key, _)| key == "code");
        let names = fields.iter().filter(|(key, _)| key == "name");
        let typed: Vec<TypedName> = codes
            .zip(names)
            .filter(|((_, code), _)| !code.trim().is_empty())
            .map(|((_, code), (_, name))| (code.clone(), name.clone()))
            .collect();
        let pairs: Vec<(&str, &str)> = typed
            .iter()
            .map(|(code, name)| (code.trim(), name.as_str()))
            .collect();
        match catalogue::set_location_names(&state.ctx, &principal, &code, &pairs).await {
            Ok(_) => Ok(
                Redirect::to(&format!("/admin/members/{code}/locations?saved=1")).into_response(),
            ),
            Err(error) if error.code == ErrorCode::InvalidInput => {
                locations_view(&state, &auth, &principal, &code, Err((&typed, &error))).await
            }
            Err(error) => Err(error),
        }
    })
    .await
}

/// The page of the shelving locations a member keeps out of other members' views: the form,
/// with what was typed and its errors when saving failed.
async fn hidden_locations_view(
    state: &SharedState,
    auth: &Auth,
    principal: &Principal,
    code: &str,
    outcome: Result<bool, (&str, &ServiceError)>,
) -> ServiceResult<Response> {
    let member = org::member(&state.ctx, code).await?;
    let current = catalogue::hidden_locations(&state.ctx, principal, code).await?;
    let view = View::new(state, auth);
    let title = view.tf("hidden_locations.title", &[("member", &member.name)]);
    let (typed, error, saved) = match outcome {
        Ok(saved) => (
            current
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            None,
            saved,
        ),
        Err((typed, error)) => (typed.to_owned(), Some(error), false),
    };
    let status = error.map_or(StatusCode::OK, |error| {
        StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    let body = html! {
        h1 { (title) }
        @if saved { div class="notice" role="status" { p { (view.t("hidden_locations.saved")) } } }
        (view.errors(error))
        p { (view.t("hidden_locations.explain")) }
        form method="post" action={"/admin/members/" (member.code) "/hidden-locations"} {
            (view.csrf())
            label for="hidden_locations" { (view.t("hidden_locations.label")) }
            input type="text" id="hidden_locations" name="hidden_locations" value=(typed);
            div { button type="submit" { (view.t("hidden_locations.save")) } }
        }
    };
    Ok(html_response(status, view.page(&title, body)))
}

async fn hidden_locations_page(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(query): Query<SavedQuery>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        let saved = query.saved.is_some();
        hidden_locations_view(&state, &auth, &principal, &code, Ok(saved)).await
    })
    .await
}

async fn save_hidden_locations(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let typed = field(&fields, "hidden_locations");
        let locations = split_code_list(typed);
        match catalogue::set_hidden_locations(&state.ctx, &principal, &code, &locations).await {
            Ok(_) => Ok(
                Redirect::to(&format!("/admin/members/{code}/hidden-locations?saved=1"))
                    .into_response(),
            ),
            Err(error) if error.code == ErrorCode::InvalidInput => {
                hidden_locations_view(&state, &auth, &principal, &code, Err((typed, &error))).await
            }
            Err(error) => Err(error),
        }
    })
    .await
}

fn parse_id<T: std::str::FromStr>(raw: &str, what: &str) -> ServiceResult<T> {
    raw.trim()
        .parse()
        .map_err(|_| ServiceError::not_found(format!("{what} {raw}")))
}

/// Whether this principal may manage the items of at least one member (shows item forms).
fn manages_any_items(principal: &Principal, members: &[Member]) -> bool {
    members
        .iter()
        .any(|m| authorise(principal, Action::ManageItems { member: m.id }).is_ok())
}

/// Branches whose member's items this principal may manage (the item forms' choices).
async fn manageable_branches(
    state: &SharedState,
    principal: &Principal,
) -> ServiceResult<Vec<Branch>> {
    Ok(org::list_branches(&state.ctx, None)
        .await?
        .into_iter()
        .filter(|b| {
            authorise(
                principal,
                Action::ManageItems {
                    member: b.member_id,
                },
            )
            .is_ok()
        })
        .collect())
}

fn bib_link(bib: &BibRow) -> Markup {
    let title = if bib.summary.title.is_empty() {
        bib.id.to_string()
    } else {
        bib.summary.title.clone()
    };
    html! { a href=(format!("/admin/bibs/{}", bib.id)) { (title) } }
}

fn bib_table(view: &View<'_>, caption: &str, bibs: &[BibRow]) -> Markup {
    html! {
        table {
            caption { (caption) }
            thead { tr { th scope="col" { (view.t("catalogue.title")) } th scope="col" { (view.t("catalogue.author")) } th scope="col" { (view.t("catalogue.year")) } th scope="col" { (view.t("catalogue.bib_id")) } } }
            tbody {
                @for bib in bibs {
                    tr {
                        td { (bib_link(bib)) }
                        td { (bib.summary.author) }
                        td { @if let Some(year) = bib.summary.publication_year { (year) } }
                        td { (bib.id) }
                    }
                }
            }
        }
    }
}

// ----- the entry page and lookup -----

#[derive(serde::Deserialize, Default)]
struct Lookup {
    #[serde(default)]
    q: String,
}

/// A plain store lookup: a bib id, an item barcode, an ISBN, or the start of a title. The search
/// engine is a separate piece; this only helps a cataloguer reach a record they can name.
async fn lookup(state: &SharedState, q: &str) -> ServiceResult<Vec<BibRow>> {
    let q = q.trim();
    let mut conn = state.ctx.store.read().await?;
    let mut found: Vec<BibId> = Vec::new();
    if let Ok(id) = q.parse::<i64>()
        && let Some(bib) = store::bib(&mut conn, BibId(id)).await?
    {
        found.push(bib.id);
    }
    if let Ok(barcode) = Barcode::parse("q", q)
        && let Some(item) = store::item_by_barcode(&mut conn, &barcode).await?
    {
        found.push(item.bib_id);
    }
    if let Some(isbn) = normalize_isbn(q) {
        let identifier = Identifier {
            kind: IdentifierKind::Isbn,
            value: isbn,
        };
        if let Some(bib) = store::bib_with_identifier(&mut conn, &identifier).await? {
            found.push(bib);
        }
    }
    let mut bibs = Vec::new();
    for id in found {
        if let Some(bib) = store::bib(&mut conn, id).await?
            && !bibs.iter().any(|b: &BibRow| b.id == bib.id)
        {
            bibs.push(bib);
        }
    }
    for bib in store::bibs_by_title_prefix(&mut conn, q, 50).await? {
        if !bibs.iter().any(|b| b.id == bib.id) {
            bibs.push(bib);
        }
    }
    Ok(bibs)
}

async fn catalogue_page(
    State(state): State<SharedState>,
    auth: Auth,
    Query(q): Query<Lookup>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        let view = View::new(&state, &auth);
        let recent = {
            let mut conn = state.ctx.store.read().await?;
            store::recent_bibs(&mut conn, 20).await?
        };
        let results = if q.q.trim().is_empty() {
            None
        } else {
            Some(lookup(&state, &q.q).await?)
        };
        let members = org::list_members(&state.ctx).await?;
        let may_import = authorise(&principal, Action::EditBib).is_ok()
            && manages_any_items(&principal, &members);
        Ok(html_response(
            StatusCode::OK,
            view.page(
                view.t("catalogue.title_page"),
                html! {
                    h1 { (view.t("catalogue.title_page")) }
                    @if may_import { p { a href="/admin/catalogue/import" { (view.t("catalogue.import")) } } }
                    form class="stack" method="get" action="/admin/catalogue" role="search" {
                        label for="q" { (view.t("catalogue.lookup")) " " span class="hint" { (view.t("catalogue.lookup_hint")) } }
                        input type="search" id="q" name="q" value=(q.q);
                        div { button type="submit" { (view.t("form.search")) } }
                    }
                    @if let Some(results) = &results {
                        h2 { (view.t("catalogue.results")) }
                        @if results.is_empty() {
                            p role="status" { (view.tf("catalogue.no_results", &[("q", q.q.trim())])) }
                        } @else {
                            p role="status" { (view.tc("catalogue.result_count", ("count", results.len() as u64), &[])) }
                            (bib_table(&view, view.t("catalogue.results"), results))
                        }
                    }
                    h2 { (view.t("catalogue.recent")) }
                    (bib_table(&view, view.t("catalogue.recent"), &recent))
                },
            ),
        ))
    })
    .await
}

// ----- the record page -----

/// Every subfield value of the field with these codes, joined with spaces.
fn subfield_text(field: &DataField, codes: &str) -> String {
    field
        .subfields
        .iter()
        .filter(|s| codes.contains(s.code))
        .map(|s| s.value.trim())
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lines of the human-readable description for fields with these tags.
fn described(record: &Record, tags: &[&str], codes: &str) -> Vec<String> {
    record
        .data_fields()
        .filter(|f| tags.contains(&f.tag.as_str()))
        .map(|f| subfield_text(f, codes))
        .filter(|text| !text.is_empty())
        .collect()
}

/// What the record page says of a record, in the order a reader expects.
fn description(record: &Record) -> Vec<(&'static str, Vec<String>)> {
    let notes = [
        "500", "501", "502", "504", "505", "506", "508", "511", "518", "520", "521", "530", "538",
        "546", "586",
    ];
    let subjects = [
        "600", "610", "611", "630", "648", "650", "651", "653", "655",
    ];
    vec![
        (
            "catalogue.field_title",
            described(record, &["245"], "abfgknps"),
        ),
        (
            "catalogue.field_responsibility",
            described(record, &["245"], "c"),
        ),
        (
            "catalogue.field_author",
            described(record, &["100", "110", "111", "700", "710", "711"], "abcdq"),
        ),
        ("catalogue.field_edition", described(record, &["250"], "ab")),
        (
            "catalogue.field_publication",
            described(record, &["260", "264"], "abc"),
        ),
        (
            "catalogue.field_physical",
            described(record, &["300"], "abce"),
        ),
        (
            "catalogue.field_series",
            described(record, &["490", "830", "440"], "anpv"),
        ),
        (
            "catalogue.field_notes",
            described(record, &notes, "abcdefghijklmnopqrstuvwxyz"),
        ),
        (
            "catalogue.field_subjects",
            described(record, &subjects, "abcdvxyz"),
        ),
    ]
}

fn status_key(status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Available => "item_status.available",
        ItemStatus::OnLoan => "item_status.on_loan",
        ItemStatus::InTransit => "item_status.in_transit",
        ItemStatus::OnHoldShelf => "item_status.on_hold_shelf",
        ItemStatus::Lost => "item_status.lost",
        ItemStatus::Missing => "item_status.missing",
        ItemStatus::ClaimedReturned => "item_status.claimed_returned",
        ItemStatus::Damaged => "item_status.damaged",
        ItemStatus::Withdrawn => "item_status.withdrawn",
        ItemStatus::NotForLoan => "item_status.not_for_loan",
    }
}

fn rule_key(rule: &str) -> &'static str {
    match rule {
        "oclc" => "merge_rule.oclc",
        "lccn" => "merge_rule.lccn",
        "isbn" => "merge_rule.isbn",
        "issn" => "merge_rule.issn",
        "match_key" => "merge_rule.match_key",
        _ => "merge_rule.manual",
    }
}

/// A member's or branch's name and code, the holdings' grouping key (sorted by name).
type NameAndCode = (String, String);

/// What happened just before the record page is shown again.
enum Outcome<'a> {
    None,
    Notice(String),
    Undone(&'a UndoReport),
    Failed(&'a ServiceError),
}

async fn record_view(
    state: &SharedState,
    auth: &Auth,
    principal: &Principal,
    id: BibId,
    outcome: Outcome<'_>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let detail: BibDetail = catalogue::bib(&state.ctx, id).await?;
    let described = detail.record.as_ref().map(description).unwrap_or_default();
    let may_edit_bib = authorise(principal, Action::EditBib).is_ok();
    let may_manage = |member| authorise(principal, Action::ManageItems { member }).is_ok();
    let members: Vec<Member> = detail.members.values().cloned().collect();
    let may_add_items = manages_any_items(principal, &members);
    // Holdings grouped by member, then branch (by name so the page reads in a stable order).
    let mut holdings: BTreeMap<NameAndCode, BTreeMap<NameAndCode, Vec<&ItemRow>>> = BTreeMap::new();
    for item in &detail.items {
        let member = detail.members.get(&item.member_id).map_or_else(
            || (item.member_id.to_string(), item.member_id.to_string()),
            |m| (m.name.clone(), m.code.to_string()),
        );
        let branch = detail.branches.get(&item.branch_id).map_or_else(
            || (item.branch_id.to_string(), item.branch_id.to_string()),
            |b| (b.name.clone(), b.code.to_string()),
        );
        holdings
            .entry(member)
            .or_default()
            .entry(branch)
            .or_default()
            .push(item);
    }
    let member_name = |id: Option<concord_domain::ids::MemberId>| {
        id.and_then(|id| detail.members.get(&id))
            .map_or_else(String::new, |m| m.name.clone())
    };
    let title = if detail.bib.summary.title.is_empty() {
        detail.bib.id.to_string()
    } else {
        detail.bib.summary.title.clone()
    };
    let status = match &outcome {
        Outcome::Failed(e) => {
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
        }
        _ => StatusCode::OK,
    };
    let merged_into = detail.merged_into();
    let deletable = detail.may_be_deleted();
    Ok(html_response(status, view.page(&title, html! {
        p { a href="/admin/catalogue" { (view.t("catalogue.back")) } }
        h1 { (title) }
        @match &outcome {
            Outcome::None => {}
            Outcome::Notice(text) => { p class="notice" role="status" { (text) } }
            Outcome::Undone(report) => {
                div class="notice" role="status" {
                    p {
                        (view.tc("catalogue.undone", ("count", report.items_moved_back.len() as u64), &[])) " "
                        a href=(format!("/admin/bibs/{}", report.restored_bib)) { (view.t("catalogue.restored_record")) }
                    }
                    @if !report.not_restored.is_empty() {
                        p { (view.t("catalogue.not_restored")) }
                        ul { @for reason in &report.not_restored { li { (reason) } } }
                    }
                }
            }
            Outcome::Failed(e) => { (view.errors(Some(e))) }
        }
        @if detail.bib.withdrawn {
            @if let Some(kept) = merged_into {
                p class="notice" {
                    (view.t("catalogue.withdrawn_bib")) " "
                    a href=(format!("/admin/bibs/{kept}")) { (view.t("catalogue.kept_record")) }
                }
            } @else {
                p class="notice" { (view.t("catalogue.deleted_bib")) }
                @if may_edit_bib {
                    form class="inline" method="post" action=(format!("/admin/bibs/{}/restore", detail.bib.id)) {
                        (view.csrf())
                        button type="submit" { (view.t("catalogue.restore_bib")) }
                    }
                }
            }
        }
        h2 { (view.t("catalogue.description")) }
        dl {
            @for (key, lines) in &described {
                @if !lines.is_empty() {
                    dt { (view.t(key)) }
                    @for line in lines { dd { (line) } }
                }
            }
            @if !detail.identifiers.is_empty() {
                dt { (view.t("catalogue.field_identifiers")) }
                @for identifier in &detail.identifiers { dd { (identifier.kind.as_str().to_uppercase()) " " (identifier.value) } }
            }
            dt { (view.t("catalogue.bib_id")) }
            dd { (detail.bib.id) " · " (view.tf("catalogue.version", &[("version", &detail.bib.version.to_string())])) }
        }

        h2 id="holdings" { (view.t("catalogue.holdings")) }
        @if may_add_items { p { a href=(format!("/admin/bibs/{}/items", detail.bib.id)) { (view.t("catalogue.add_item")) } } }
        @if holdings.is_empty() { p { (view.t("catalogue.no_holdings")) } }
        @for ((member_name, member_code), branches) in &holdings {
            h3 { (member_name) " (" (member_code) ")" }
            @for ((branch_name, branch_code), items) in branches {
                table {
                    caption { (branch_name) " (" (branch_code) ")" }
                    thead { tr {
                        th scope="col" { (view.t("item.call_number")) }
                        th scope="col" { (view.t("item.barcode")) }
                        th scope="col" { (view.t("item.item_type")) }
                        th scope="col" { (view.t("item.shelving_location")) }
                        th scope="col" { (view.t("item.status")) }
                        th scope="col" { (view.t("catalogue.actions")) }
                    } }
                    tbody {
                        @for item in items {
                            tr {
                                td { (item.call_number) }
                                td { (item.barcode) }
                                td { (item.item_type) }
                                td {
                                    @if let Some(location) = &item.shelving_location {
                                        (location)
                                        @if let Some(name) = detail.locations.name(item.member_id, location) { " · " (name) }
                                    }
                                }
                                td { (view.t(status_key(item.status))) }
                                td {
                                    @if may_manage(item.member_id) {
                                        a href=(format!("/admin/items/{}", item.id)) { (view.tf("catalogue.edit_item", &[("barcode", item.barcode.as_str())])) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        h2 id="marc" { (view.t("catalogue.marc")) }
        @if may_edit_bib { p { a href=(format!("/admin/bibs/{}/marc", detail.bib.id)) { (view.t("catalogue.edit_marc")) } } }
        @match &detail.record {
            Ok(record) => {
                pre class="marc" tabindex="0" aria-label=(view.t("catalogue.marc")) { (concord_marc::to_readable_line_format(record)) }
            }
            Err(unreadable) => {
                p class="notice" role="status" { (view.tf("catalogue.unreadable_marc", &[("problem", &unreadable.problem)])) }
            }
        }

        h2 id="merges" { (view.t("catalogue.merges")) }
        @if detail.merges.is_empty() { p { (view.t("catalogue.no_merges")) } } @else {
            table {
                caption { (view.t("catalogue.merges")) }
                thead { tr {
                    th scope="col" { (view.t("audit.when")) }
                    th scope="col" { (view.t("catalogue.rule")) }
                    th scope="col" { (view.t("catalogue.source_record")) }
                    th scope="col" { (view.t("catalogue.source_member")) }
                    th scope="col" { (view.t("catalogue.merged_by")) }
                    th scope="col" { (view.t("catalogue.items")) }
                    th scope="col" { (view.t("catalogue.actions")) }
                } }
                tbody {
                    @for merge in &detail.merges {
                        tr {
                            td { (format_time(merge.merged_at)) }
                            td { (view.t(rule_key(&merge.rule))) }
                            td {
                                @if let Some(merged) = merge.merged_bib { a href=(format!("/admin/bibs/{merged}")) { (merged) } " " }
                                (merge.source_record_id)
                            }
                            td { (member_name(merge.member)) }
                            td { (merge.merged_by) }
                            td { (merge.items.len()) }
                            td {
                                @if let Some(at) = merge.undone_at {
                                    (view.tf("catalogue.undone_at", &[("when", &format_time(at))]))
                                } @else if may_edit_bib {
                                    form class="inline" method="post" action=(format!("/admin/merges/{}/undo", merge.id)) {
                                        (view.csrf())
                                        button type="submit" class="secondary" { (view.t("catalogue.undo_merge")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if may_edit_bib && deletable {
            h2 id="delete" { (view.t("catalogue.delete_title")) }
            p { (view.t("catalogue.delete_hint")) }
            form class="inline" method="post" action=(format!("/admin/bibs/{}/withdraw", detail.bib.id)) {
                (view.csrf())
                button type="submit" class="secondary" { (view.t("catalogue.delete_bib")) }
            }
        }
        @if may_edit_bib && !detail.bib.withdrawn {
            h2 id="merge" { (view.t("catalogue.merge_title")) }
            form class="stack" method="post" action=(format!("/admin/bibs/{}/merge", detail.bib.id)) {
                (view.csrf())
                label for="merged" { (view.t("catalogue.merge_other")) " " span class="hint" { (view.t("catalogue.merge_hint")) } }
                input type="text" id="merged" name="merged" inputmode="numeric" required;
                div { button type="submit" { (view.t("catalogue.merge_submit")) } }
            }
        }
    })))
}

async fn record_page(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        let id = parse_id::<BibId>(&raw, "bib")?;
        record_view(&state, &auth, &principal, id, Outcome::None).await
    })
    .await
}

// ----- the MARC editor -----

async fn editor_view(
    state: &SharedState,
    auth: &Auth,
    id: BibId,
    text: Option<&str>,
    error: Option<&ServiceError>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let detail = catalogue::bib(&state.ctx, id).await?;
    let text = text.map_or_else(
        || match &detail.record {
            Ok(record) => concord_marc::to_line_format(record),
            Err(_) => replacement_start(&detail.bib),
        },
        str::to_string,
    );
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    let title = view.tf(
        "catalogue.editor_title",
        &[("title", &detail.bib.summary.title)],
    );
    Ok(html_response(
        status,
        view.page(
            &title,
            html! {
                p { a href=(format!("/admin/bibs/{id}")) { (view.t("catalogue.back_to_record")) } }
                h1 { (title) }
                @if let Some(e) = error {
                    div class="errors" role="alert" tabindex="-1" {
                        h2 { (view.t("form.problem")) }
                        @if e.fields.is_empty() { p { (e.message) } }
                        ul { @for f in &e.fields { li { (f.reason) } } }
                    }
                }
                p { (view.t("catalogue.editor_help")) }
                form class="stack" method="post" action=(format!("/admin/bibs/{id}/marc")) {
                    (view.csrf())
                    input type="hidden" name="version" value=(detail.bib.version);
                    label for="marc" { (view.t("catalogue.marc")) }
                    textarea id="marc" name="marc" rows="24" spellcheck="false" class="marc"
                        aria-invalid=[error.map(|_| "true")] { (text) }
                    div { button type="submit" { (view.t("catalogue.save_marc")) } }
                }
            },
        ),
    ))
}

/// The text the MARC editor starts from when the stored record cannot be read: a leader with
/// the bib's record type and level, and its title, for the cataloguer to complete.
fn replacement_start(bib: &BibRow) -> String {
    let leader = format!(
        "00000n{}{} a2200000 a 4500",
        bib.summary.record_type, bib.summary.bibliographic_level
    );
    let Some(leader) = concord_marc::Leader::parse(&leader)
        .or_else(|| concord_marc::Leader::parse("00000nam a2200000 a 4500"))
    else {
        return String::new();
    };
    let mut record = Record::new(leader);
    if let Ok(tag) = concord_marc::Tag::parse("245")
        && !bib.summary.title.is_empty()
    {
        record
            .push_data(DataField::new(tag, '0', '0').with_subfield('a', bib.summary.title.clone()));
    }
    concord_marc::to_line_format(&record)
}

async fn editor_page(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        authorise(&principal, Action::EditBib)?;
        let id = parse_id::<BibId>(&raw, "bib")?;
        editor_view(&state, &auth, id, None, None).await
    })
    .await
}

async fn save_marc(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let id = parse_id::<BibId>(&raw, "bib")?;
        let text = field(&fields, "marc");
        match catalogue::update_record(&state.ctx, &principal, id, text).await {
            Ok(bib) => {
                let view = View::new(&state, &auth);
                let notice = view.tf(
                    "catalogue.marc_saved",
                    &[("version", &bib.version.to_string())],
                );
                record_view(&state, &auth, &principal, id, Outcome::Notice(notice)).await
            }
            Err(e) if e.code == ErrorCode::InvalidInput => {
                editor_view(&state, &auth, id, Some(text), Some(&e)).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

// ----- items -----

/// What the item form offers: the branches the staff member manages items at, and their
/// members' shelving locations, offered as the location is typed.
struct ItemChoices {
    branches: Vec<Branch>,
    locations: Vec<catalogue::ShelvingLocation>,
}

impl ItemChoices {
    async fn of(state: &SharedState, principal: &Principal) -> ServiceResult<ItemChoices> {
        let branches = manageable_branches(state, principal).await?;
        let locations = catalogue::location_choices(&state.ctx, principal, &branches).await?;
        Ok(ItemChoices {
            branches,
            locations,
        })
    }
}

fn item_form(
    view: &View<'_>,
    action: &str,
    values: &ItemInput,
    choices: &ItemChoices,
    with_status: bool,
    error: Option<&ServiceError>,
    submit: &str,
) -> Markup {
    let current = values.current_branch.clone().unwrap_or_default();
    let (branches, locations) = (&choices.branches, &choices.locations);
    html! {
        form class="stack" method="post" action=(action) {
            (view.csrf())
            (view.text_input(error, "barcode", view.t("item.barcode"), &values.barcode, "text", true))
            label for="branch" { (view.t("item.branch")) }
            (view.field_error(error, "branch"))
            select id="branch" name="branch" {
                @for b in branches { option value=(b.code) selected[values.branch.eq_ignore_ascii_case(b.code.as_str())] { (b.name) " (" (b.code) ")" } }
            }
            label for="current_branch" { (view.t("item.current_branch")) }
            (view.field_error(error, "current_branch"))
            select id="current_branch" name="current_branch" {
                option value="" { (view.t("item.same_branch")) }
                @for b in branches { option value=(b.code) selected[current.eq_ignore_ascii_case(b.code.as_str())] { (b.name) " (" (b.code) ")" } }
            }
            (view.text_input(error, "call_number", view.t("item.call_number"), &values.call_number, "text", false))
            (view.text_input(error, "item_type", view.t("item.item_type"), &values.item_type, "text", true))
            label for="shelving_location" { (view.t("item.shelving_location")) }
            (view.field_error(error, "shelving_location"))
            input type="text" id="shelving_location" name="shelving_location" value=(values.shelving_location)
                list="shelving-locations" autocomplete="off"
                aria-invalid=[error.is_some_and(|e| e.fields.iter().any(|f| f.field == "shelving_location")).then_some("true")]
                aria-describedby=[error.is_some_and(|e| e.fields.iter().any(|f| f.field == "shelving_location")).then_some("shelving_location-error")];
            datalist id="shelving-locations" {
                @for location in locations {
                    option value=(location.code) { @if let Some(name) = &location.name { (name) } }
                }
            }
            (view.text_input(error, "price", view.t("item.price"), &values.price, "text", false))
            @if with_status {
                label for="status" { (view.t("item.status")) }
                (view.field_error(error, "status"))
                select id="status" name="status" {
                    @for status in ItemStatus::ALL {
                        option value=(status.as_str()) selected[values.status == status.as_str()] { (view.t(status_key(status))) }
                    }
                }
            }
            div {
                input type="checkbox" id="hidden_from_other_members" name="hidden_from_other_members" checked[values.hidden_from_other_members];
                label for="hidden_from_other_members" { (view.t("item.hidden")) }
            }
            div { button type="submit" { (submit) } }
        }
    }
}

fn item_input_from(fields: &Fields) -> ItemInput {
    ItemInput {
        barcode: field(fields, "barcode").into(),
        branch: field(fields, "branch").into(),
        current_branch: Some(field(fields, "current_branch").to_string())
            .filter(|c| !c.trim().is_empty()),
        call_number: field(fields, "call_number").into(),
        item_type: field(fields, "item_type").into(),
        shelving_location: field(fields, "shelving_location").into(),
        price: field(fields, "price").into(),
        status: field(fields, "status").into(),
        hidden_from_other_members: checked(fields, "hidden_from_other_members"),
    }
}

async fn new_item_view(
    state: &SharedState,
    auth: &Auth,
    principal: &Principal,
    id: BibId,
    values: &ItemInput,
    error: Option<&ServiceError>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let detail = catalogue::bib(&state.ctx, id).await?;
    let choices = ItemChoices::of(state, principal).await?;
    if choices.branches.is_empty() {
        return Err(ServiceError::new(
            ErrorCode::Forbidden,
            "Your account does not manage any member's items.",
        ));
    }
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    let title = view.tf(
        "catalogue.add_item_to",
        &[("title", &detail.bib.summary.title)],
    );
    Ok(html_response(status, view.page(&title, html! {
        p { a href=(format!("/admin/bibs/{id}")) { (view.t("catalogue.back_to_record")) } }
        h1 { (title) }
        (view.errors(error))
        (item_form(&view, &format!("/admin/bibs/{id}/items"), values, &choices, false, error, view.t("catalogue.add_item")))
    })))
}

async fn new_item_page(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        let id = parse_id::<BibId>(&raw, "bib")?;
        let values = ItemInput {
            item_type: "BOOK".into(),
            ..ItemInput::default()
        };
        new_item_view(&state, &auth, &principal, id, &values, None).await
    })
    .await
}

async fn add_item(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let id = parse_id::<BibId>(&raw, "bib")?;
        let input = item_input_from(&fields);
        match catalogue::add_item(&state.ctx, &principal, id, &input).await {
            Ok(item) => {
                let view = View::new(&state, &auth);
                let notice = view.tf(
                    "catalogue.item_added",
                    &[("barcode", item.barcode.as_str())],
                );
                record_view(&state, &auth, &principal, id, Outcome::Notice(notice)).await
            }
            Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::Duplicate) => {
                new_item_view(&state, &auth, &principal, id, &input, Some(&e)).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

fn item_input_of(item: &ItemRow, detail: &BibDetail) -> ItemInput {
    let code = |id| {
        detail
            .branches
            .get(&id)
            .map_or_else(String::new, |b: &Branch| b.code.to_string())
    };
    ItemInput {
        barcode: item.barcode.to_string(),
        branch: code(item.branch_id),
        current_branch: (item.current_branch_id != item.branch_id)
            .then(|| code(item.current_branch_id)),
        call_number: item.call_number.clone(),
        item_type: item.item_type.to_string(),
        shelving_location: item
            .shelving_location
            .as_ref()
            .map_or_else(String::new, ToString::to_string),
        price: item.price_minor.map_or_else(String::new, format_price),
        status: item.status.as_str().to_string(),
        hidden_from_other_members: item.hidden_from_other_members,
    }
}

async fn item_view(
    state: &SharedState,
    auth: &Auth,
    principal: &Principal,
    id: ItemId,
    values: Option<&ItemInput>,
    error: Option<&ServiceError>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let item = catalogue::item(&state.ctx, id).await?;
    authorise(
        principal,
        Action::ManageItems {
            member: item.member_id,
        },
    )?;
    let detail = catalogue::bib(&state.ctx, item.bib_id).await?;
    let choices = ItemChoices::of(state, principal).await?;
    let stored = item_input_of(&item, &detail);
    let values = values.unwrap_or(&stored);
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    let title = view.tf(
        "catalogue.item_title",
        &[("barcode", item.barcode.as_str())],
    );
    Ok(html_response(status, view.page(&title, html! {
        p { a href=(format!("/admin/bibs/{}", item.bib_id)) { (view.t("catalogue.back_to_record")) } }
        h1 { (title) }
        p { (detail.bib.summary.title) }
        (view.errors(error))
        (item_form(&view, &format!("/admin/items/{id}"), values, &choices, true, error, view.t("form.save")))
        @if item.status != ItemStatus::Withdrawn {
            h2 { (view.t("catalogue.withdraw_title")) }
            p { (view.t("catalogue.withdraw_help")) }
            form class="inline" method="post" action=(format!("/admin/items/{id}/withdraw")) {
                (view.csrf())
                button type="submit" class="secondary" { (view.t("catalogue.withdraw")) }
            }
        }
    })))
}

async fn item_page(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
) -> Response {
    as_staff(&state, &auth, async |principal| {
        let id = parse_id::<ItemId>(&raw, "item")?;
        item_view(&state, &auth, &principal, id, None, None).await
    })
    .await
}

async fn update_item(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let id = parse_id::<ItemId>(&raw, "item")?;
        let input = item_input_from(&fields);
        match catalogue::update_item(&state.ctx, &principal, id, &input).await {
            Ok(item) => {
                let view = View::new(&state, &auth);
                let notice = view.tf(
                    "catalogue.item_saved",
                    &[("barcode", item.barcode.as_str())],
                );
                record_view(
                    &state,
                    &auth,
                    &principal,
                    item.bib_id,
                    Outcome::Notice(notice),
                )
                .await
            }
            Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::Duplicate) => {
                item_view(&state, &auth, &principal, id, Some(&input), Some(&e)).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// Takes the bib out of the catalogue (when nothing rests on it) or brings it back, and shows
/// it again with what happened.
async fn withdraw_or_restore(
    state: &SharedState,
    auth: &Auth,
    raw: &str,
    fields: &Fields,
    restore: bool,
) -> Response {
    staff_post(state, auth, fields, async |principal| {
        let id = parse_id::<BibId>(raw, "bib")?;
        let done = if restore {
            catalogue::restore_bib(&state.ctx, &principal, id).await
        } else {
            catalogue::withdraw_bib(&state.ctx, &principal, id).await
        };
        let outcome = match &done {
            Ok(_) => {
                let view = View::new(state, auth);
                let key = if restore {
                    "catalogue.bib_restored"
                } else {
                    "catalogue.bib_deleted"
                };
                Outcome::Notice(view.t(key).to_string())
            }
            Err(e) => Outcome::Failed(e),
        };
        record_view(state, auth, &principal, id, outcome).await
    })
    .await
}

async fn withdraw_bib(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    withdraw_or_restore(&state, &auth, &raw, &fields, false).await
}

async fn restore_bib(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    withdraw_or_restore(&state, &auth, &raw, &fields, true).await
}

async fn withdraw_item(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let id = parse_id::<ItemId>(&raw, "item")?;
        let item = catalogue::withdraw_item(&state.ctx, &principal, id).await?;
        let view = View::new(&state, &auth);
        let notice = view.tf(
            "catalogue.item_withdrawn",
            &[("barcode", item.barcode.as_str())],
        );
        record_view(
            &state,
            &auth,
            &principal,
            item.bib_id,
            Outcome::Notice(notice),
        )
        .await
    })
    .await
}

// ----- merging by hand and undoing merges -----

async fn merge_into(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let kept = parse_id::<BibId>(&raw, "bib")?;
        let merged = match field(&fields, "merged").trim().parse::<BibId>() {
            Ok(merged) => merged,
            Err(_) => {
                let error = ServiceError::field("merged", "must be a record number (bib id)");
                return record_view(&state, &auth, &principal, kept, Outcome::Failed(&error)).await;
            }
        };
        match catalogue::merge_bibs(&state.ctx, &principal, kept, merged).await {
            Ok(merge) => {
                let view = View::new(&state, &auth);
                let notice = view.tc(
                    "catalogue.merged",
                    ("count", merge.items.len() as u64),
                    &[("merged", &merged.to_string())],
                );
                record_view(&state, &auth, &principal, kept, Outcome::Notice(notice)).await
            }
            Err(e) if e.code != ErrorCode::Unauthenticated => {
                record_view(&state, &auth, &principal, kept, Outcome::Failed(&e)).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

async fn undo_merge(
    State(state): State<SharedState>,
    auth: Auth,
    Path(raw): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    staff_post(&state, &auth, &fields, async |principal| {
        let id = parse_id::<BibMergeId>(&raw, "merge")?;
        let kept = {
            let mut conn = state.ctx.store.read().await?;
            store::merge(&mut conn, id)
                .await?
                .ok_or_else(|| ServiceError::not_found(format!("merge {id}")))?
                .kept_bib
        };
        let report = catalogue::undo_merge(&state.ctx, &principal, id).await?;
        record_view(&state, &auth, &principal, kept, Outcome::Undone(&report)).await
    })
    .await
}

// ----- importing a file -----

async fn import_view(
    state: &SharedState,
    auth: &Auth,
    principal: &Principal,
    selected_member: &str,
    outcome: Option<Result<&ImportSummary, &ServiceError>>,
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    authorise(principal, Action::EditBib)?;
    let members: Vec<Member> = org::list_members(&state.ctx)
        .await?
        .into_iter()
        .filter(|m| authorise(principal, Action::ManageItems { member: m.id }).is_ok())
        .collect();
    if members.is_empty() {
        return Err(ServiceError::new(
            ErrorCode::Forbidden,
            "Your account does not manage any member's items.",
        ));
    }
    let status = match outcome {
        Some(Err(e)) => {
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
        }
        _ => StatusCode::OK,
    };
    Ok(html_response(status, view.page(view.t("catalogue.import"), html! {
        p { a href="/admin/catalogue" { (view.t("catalogue.back")) } }
        h1 { (view.t("catalogue.import")) }
        p { (view.t("catalogue.import_intro")) }
        @match outcome {
            Some(Ok(summary)) => {
                div class="notice" role="status" {
                    p { (import_summary(&view, &summary.counts)) }
                }
                @if !summary.rejections.is_empty() {
                    table {
                        caption { (view.t("catalogue.rejections")) }
                        thead { tr {
                            th scope="col" { (view.t("catalogue.record_number")) }
                            th scope="col" { (view.t("catalogue.byte_offset")) }
                            th scope="col" { (view.t("catalogue.reason")) }
                        } }
                        tbody { @for r in &summary.rejections { tr { td { (r.record_number) } td { (r.byte_offset) } td { (r.reason) } } } }
                    }
                }
            }
            Some(Err(e)) => { (view.errors(Some(e))) }
            None => {}
        }
        form class="stack" method="post" action="/admin/catalogue/import" enctype="multipart/form-data" {
            (view.csrf())
            label for="member" { (view.t("catalogue.import_member")) }
            select id="member" name="member" {
                @for m in &members { option value=(m.code) selected[selected_member.eq_ignore_ascii_case(m.code.as_str())] { (m.name) " (" (m.code) ")" } }
            }
            label for="file" { (view.t("catalogue.import_file")) " " span class="hint" { (view.t("catalogue.import_file_hint")) } }
            input type="file" id="file" name="file" required accept=".mrc,.marc,.xml,.iso,application/marc,application/marcxml+xml";
            div { button type="submit" { (view.t("catalogue.import_submit")) } }
        }
    })))
}

/// What an import did, as the command line says it: "read 48,210 · created 19,304 · merged
/// 28,881 · … · rejected 25", corrections and deletions only when there were any.
fn import_summary(view: &View<'_>, counts: &concord_store::catalogue::ImportCounts) -> String {
    counts
        .shown()
        .into_iter()
        .map(|(name, count)| {
            let number = view.state.messages.number(&view.auth.lang, count);
            view.tf(
                &format!("catalogue.import_count_{name}"),
                &[("count", &number)],
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

async fn import_page(State(state): State<SharedState>, auth: Auth) -> Response {
    as_staff(&state, &auth, async |principal| {
        import_view(&state, &auth, &principal, "", None).await
    })
    .await
}

/// The upload's parts: the anti-forgery token, the member, the file's name and bytes.
struct Upload {
    csrf: String,
    member: String,
    file_name: String,
    bytes: Vec<u8>,
}

async fn read_upload(mut multipart: Multipart) -> ServiceResult<Upload> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        ServiceError::field("file", format!("the upload could not be read: {e}"))
    };
    let mut upload = Upload {
        csrf: String::new(),
        member: String::new(),
        file_name: String::new(),
        bytes: Vec::new(),
    };
    while let Some(part) = multipart.next_field().await.map_err(bad)? {
        match part.name().unwrap_or("") {
            "csrf" => upload.csrf = part.text().await.map_err(bad)?,
            "member" => upload.member = part.text().await.map_err(bad)?,
            "file" => {
                upload.file_name = part.file_name().unwrap_or("upload").to_string();
                upload.bytes = part.bytes().await.map_err(bad)?.to_vec();
            }
            _ => {}
        }
    }
    Ok(upload)
}

async fn import_file(
    State(state): State<SharedState>,
    auth: Auth,
    multipart: Multipart,
) -> Response {
    let Some(principal) = staff(&auth) else {
        return to_login();
    };
    let upload = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err(e) => {
            let result = import_view(&state, &auth, &principal, "", Some(Err(&e))).await;
            return render(&state, &auth, result);
        }
    };
    if let Err(e) = auth.check_csrf(Some(&upload.csrf)) {
        return error_page(&state, &auth, &e);
    }
    let result = async {
        if upload.bytes.is_empty() {
            let e =
                ServiceError::field("file", "choose a MARC file (ISO 2709 or MARCXML) to import");
            return import_view(&state, &auth, &principal, &upload.member, Some(Err(&e))).await;
        }
        let records = match concord_marc::read_any(std::io::Cursor::new(upload.bytes)) {
            Ok(records) => records,
            Err(error) => {
                let e = ServiceError::field("file", format!("this is not a MARC file: {error}"));
                return import_view(&state, &auth, &principal, &upload.member, Some(Err(&e))).await;
            }
        };
        let mapping = HoldingsMapping::default();
        let file_name = format!("upload:{}", upload.file_name);
        let outcome = catalogue::import(
            &state.ctx,
            &principal,
            concord_marc::RecordOffset::with_offsets(records),
            &ImportOptions {
                member_code: &upload.member,
                mapping: &mapping,
                batch_size: DEFAULT_BATCH_SIZE,
                file_name: &file_name,
            },
            |_| {},
            |_| {},
        )
        .await;
        match outcome {
            Ok(summary) => {
                import_view(
                    &state,
                    &auth,
                    &principal,
                    &upload.member,
                    Some(Ok(&summary)),
                )
                .await
            }
            Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::NotFound) => {
                import_view(&state, &auth, &principal, &upload.member, Some(Err(&e))).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    render(&state, &auth, result)
}
