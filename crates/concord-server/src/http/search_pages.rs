//! The discovery pages: search with exact facets, the record page with holdings across the
//! consortium, record exports, and each member's branded view under `/m/{member}/…`. Plain links
//! and forms, no script: every narrowing, sort and page is a URL that can be bookmarked.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use concord_domain::auth::Principal;
use concord_domain::catalogue::ItemStatus;
use concord_domain::catalogue::shelf::shelf_key;
use concord_domain::ids::{BranchId, MemberId};
use concord_domain::languages::{language_name, language_tag};
use concord_domain::org::{Branch, Member};
use concord_search::browse::series_title;
use concord_search::citation::{CitedWork, to_openurl};
use concord_search::description::{
    Completeness, NoteKind, OnlineLink, Publication, PublicationRole,
};
use concord_search::styles::{Run, Style, cite};
use concord_search::{
    AVAILABLE, BranchHoldings, FacetCount, FacetField, MAX_RESULT_WINDOW, SearchHit, SearchRequest,
    SearchResponse, SortOrder,
};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::auth::Auth;
use super::pages::{HeadLinks, View, html_response, render};
use super::search_api::{
    ExportFormat, SearchParams, bib_id, export, facet_parameter, percent_encode, query_string,
    sort_name,
};
use super::{AppState, SharedState};
use crate::service::search::{self, PublicRecord};
use crate::service::{ServiceError, ServiceResult};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/search", get(search))
        .route("/record/{id}", get(record))
        .route("/m/{member}", get(member_home))
        .route("/m/{member}/search", get(search))
        .route("/search/facet/{facet}", get(facet_values))
        .route("/m/{member}/search/facet/{facet}", get(facet_values))
        .route("/m/{member}/record/{id}", get(record))
}

/// Where the pages of a view live: `""` for the consortium, `/m/CODE` for a member.
pub(super) fn base_path(member: Option<&Member>) -> String {
    member.map_or_else(String::new, |m| format!("/m/{}", m.code))
}

pub(super) fn search_url(member: Option<&Member>, params: &SearchParams) -> String {
    view_url(member, "/search", &params.pairs())
}

/// `path` in the view's part of the site, with the parameters `pairs` (none: no `?`).
pub(super) fn view_url(member: Option<&Member>, path: &str, pairs: &[(&str, String)]) -> String {
    let query = query_string(pairs);
    let base = base_path(member);
    if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    }
}

/// The search without its `index`th narrowing, from the first page.
fn without_filter(params: &SearchParams, index: usize) -> SearchParams {
    let mut changed = params.clone();
    if index < changed.filters.len() {
        changed.filters.remove(index);
    }
    changed.page = 1;
    changed
}

/// The search narrowed further, from the first page.
fn with_filter(params: &SearchParams, facet: FacetField, value: &str) -> SearchParams {
    let mut changed = params.clone();
    changed.filters.push((facet, value.to_string()));
    changed.page = 1;
    changed
}

pub(super) fn format_key(code: &str) -> String {
    format!("format.{code}")
}

/// A facet value as a person reads it.
pub(super) fn facet_value_label(
    view: &View<'_>,
    facet: FacetField,
    value: &str,
    names: &PlaceNames,
) -> String {
    match facet {
        FacetField::Format => view
            .state
            .messages
            .get(&view.auth.lang, &format_key(value))
            .to_string(),
        FacetField::Audience => view
            .state
            .messages
            .get(&view.auth.lang, &format!("audience.{value}"))
            .to_string(),
        FacetField::AvailableNow if value == AVAILABLE => {
            view.t("search.available_now").to_string()
        }
        FacetField::AvailableNow => {
            view.tf("search.available_at", &[("member", names.member(value))])
        }
        FacetField::Decade => view.tf("search.decade", &[("decade", value)]),
        FacetField::Language => language_name(value).unwrap_or(value).to_string(),
        FacetField::Member => names.member(value).to_owned(),
        FacetField::Branch => names.branch(value),
        _ => value.to_string(),
    }
}

fn facet_heading_key(facet: FacetField) -> &'static str {
    match facet {
        FacetField::Format => "search.facet_format",
        FacetField::Language => "search.facet_language",
        FacetField::Decade => "search.facet_decade",
        FacetField::Subject => "search.facet_subject",
        FacetField::Author => "search.facet_author",
        FacetField::Member => "search.facet_member",
        FacetField::Branch => "search.facet_branch",
        FacetField::AvailableNow => "search.facet_available",
        FacetField::Audience => "search.facet_audience",
        FacetField::SubjectHeading => "search.facet_subject",
        FacetField::SeriesHeading => "search.facet_series",
        FacetField::FilingTitle => "search.facet_title",
    }
}

pub(super) fn status_text(view: &View<'_>, status: ItemStatus, due: Option<String>) -> String {
    match (status, due) {
        (ItemStatus::OnLoan, Some(due)) => view.tf("status.on_loan_until", &[("date", &due)]),
        _ => view
            .state
            .messages
            .get(&view.auth.lang, &format!("status.{}", status.as_str()))
            .to_string(),
    }
}

/// Titles a front page shows as recently added.
const RECENTLY_ADDED_SHOWN: usize = 5;

/// How long the answer to a search a page runs for a whole view is kept (the clock's
/// milliseconds).
const VIEW_ANSWER_FRESH_MS: i64 = 60_000;

/// What an answer is for, and the view it is of (`None`: the consortium's).
type ViewAnswerKey = (&'static str, Option<String>);

/// When each answer was read (the clock's milliseconds), and the answer.
type KeptAnswers = HashMap<ViewAnswerKey, (i64, SearchResponse)>;

/// The searches pages run over a whole view: a front page's newest titles (which sort the
/// whole catalogue, tens of milliseconds at 4M bibs) and the advanced search form's formats,
/// languages and libraries (which count it: 63 ms at 4M). Each answer is kept for
/// [`VIEW_ANSWER_FRESH_MS`], by what it is for and view: a front page is the most visited page
/// there is, and a minute's delay in showing a new title or language there is no loss.
#[derive(Default)]
pub struct ViewAnswers {
    by_view: std::sync::Mutex<KeptAnswers>,
}

impl ViewAnswers {
    fn lock(&self) -> std::sync::MutexGuard<'_, KeptAnswers> {
        self.by_view
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The answer to `request` (a search of the whole view it names) for `purpose`: the one
    /// kept, while it is fresh, else a new one, then kept.
    pub(crate) async fn answer(
        &self,
        state: &AppState,
        purpose: &'static str,
        request: SearchRequest,
    ) -> ServiceResult<SearchResponse> {
        let key = (purpose, request.view.as_ref().map(ToString::to_string));
        let now = state.ctx.clock.now_unix_ms();
        let kept = self
            .lock()
            .get(&key)
            .filter(|(read, _)| (0..VIEW_ANSWER_FRESH_MS).contains(&(now - read)))
            .map(|(_, response)| response.clone());
        if let Some(kept) = kept {
            return Ok(kept);
        }
        let found = search::search(&state.ctx, request).await?;
        self.lock().insert(key, (now, found.clone()));
        Ok(found)
    }
}

/// The newest titles of a view, for its front page, with links to all of them and to their
/// feed; nothing when there are none. On a member's front page, the newest of the titles it
/// holds: "new at our library".
pub(crate) async fn recently_added(
    view: &View<'_>,
    member: Option<&Member>,
) -> ServiceResult<Markup> {
    let mut pairs = vec![("sort".to_string(), "added".to_string())];
    if let Some(member) = member {
        pairs.push(("member".to_string(), member.code.to_string()));
    }
    let mut all = SearchParams::parse(&pairs)?;
    all.view = member.map(|m| m.code.clone());
    let shown = SearchParams {
        page_size: RECENTLY_ADDED_SHOWN,
        ..all.clone()
    };
    let mut request = shown.request();
    request.facets = Vec::new();
    let response = view
        .state
        .view_answers
        .answer(view.state, "recently_added", request)
        .await?;
    if response.hits.is_empty() {
        return Ok(html! {});
    }
    let names = PlaceNames::load(view.state, member)
        .await?
        .for_patron(view.state, view.auth.principal.as_ref())
        .await;
    Ok(html! {
        section aria-labelledby="recent-heading" {
            h2 id="recent-heading" { (view.t("home.recently_added")) }
            (results_list(view, member, &shown, &response, &names))
            p {
                a href=(search_url(member, &all)) { (view.t("home.all_recently_added")) }
                " · "
                a href=(super::feeds::feed_url(member, &all)) type="application/atom+xml" { (view.t("home.recent_feed")) }
            }
        }
    })
}

/// The search box, shared by the front page, the member home and the results page. Its script
/// (`/static/suggest.js`) offers headings from the view's browse lists as a patron types
/// (`{action}/suggest`); without it the box works the same.
pub(crate) fn search_box(view: &View<'_>, action: &str, query: &str) -> Markup {
    html! {
        form class="searchbox" role="search" method="get" action=(action)
            data-suggest=(format!("{action}/suggest")) data-suggest-label=(view.t("suggest.label")) {
            label for="q" { (view.t("search.label")) }
            div class="searchrow" {
                input type="search" id="q" name="q" value=(query) aria-describedby="search-hint";
                button type="submit" { (view.t("search.button")) }
            }
            p id="search-hint" class="muted hint" { (view.t("search.hint")) }
            p class="hint" {
                a href=(format!("{action}/advanced")) { (view.t("search.advanced")) }
                " · "
                a href=(format!("{}/browse", action.trim_end_matches("/search"))) { (view.t("search.browse")) }
            }
            script src="/static/suggest.js" defer {}
        }
    }
}

/// "You are in X's catalogue · All libraries", or nothing in the consortium view.
pub(super) fn view_switch(
    view: &View<'_>,
    member: Option<&Member>,
    consortium_url: &str,
) -> Markup {
    html! {
        @if let Some(member) = member {
            p class="viewswitch" {
                (view.tf("search.member_view", &[("member", &member.branding.display_name)]))
                " "
                a href=(consortium_url) { (view.t("search.all_libraries")) }
            }
        }
    }
}

/// The names patrons know the members and branches by, for holdings and facet values that the
/// index gives as codes ("RIVER-EAST" is "East Side Branch (Riverside Public Library)").
pub(super) struct PlaceNames {
    /// Member code → its display name.
    members: HashMap<String, String>,
    /// Branch code → its name and its member's code.
    branches: HashMap<String, (String, String)>,
    /// The member whose view the page is, whose branches need no member's name.
    viewing: Option<String>,
    viewing_id: Option<MemberId>,
    /// Member id → its code.
    codes: HashMap<MemberId, String>,
    /// Branch id → its code.
    branch_codes: HashMap<BranchId, String>,
    /// The branches a signed-in patron collects from and belongs to, listed first.
    nearest: Vec<String>,
}

impl PlaceNames {
    /// The names of every member and branch, for a page in `view`.
    pub(super) async fn load(state: &AppState, view: Option<&Member>) -> ServiceResult<Self> {
        let (members, branches) = search::places(&state.ctx).await?;
        Ok(Self::of(&members, &branches, view))
    }

    fn of(members: &[Member], branches: &[Branch], view: Option<&Member>) -> Self {
        let codes: HashMap<_, _> = members.iter().map(|m| (m.id, m.code.to_string())).collect();
        let branch_names = branches
            .iter()
            .filter_map(|b| {
                let member = codes.get(&b.member_id)?.clone();
                Some((b.code.to_string(), (b.name.clone(), member)))
            })
            .collect();
        PlaceNames {
            members: members
                .iter()
                .map(|m| (m.code.to_string(), m.branding.display_name.clone()))
                .collect(),
            branches: branch_names,
            viewing: view.map(|m| m.code.to_string()),
            viewing_id: view.map(|m| m.id),
            codes,
            branch_codes: branches
                .iter()
                .map(|b| (b.id, b.code.to_string()))
                .collect(),
            nearest: Vec::new(),
        }
    }

    /// The same, with a signed-in patron's pickup and home branches to list first.
    pub(super) async fn for_patron(
        mut self,
        state: &AppState,
        principal: Option<&Principal>,
    ) -> Self {
        // Only an order: a patron whose record cannot be read now still gets her results.
        if let Some(who @ Principal::Patron { id, .. }) = principal
            && let Ok(patron) = crate::service::patrons::patron(&state.ctx, who, *id).await
        {
            self.nearest = patron
                .preferred_pickup_branch
                .into_iter()
                .chain([patron.home_branch])
                .filter_map(|branch| self.branch_codes.get(&branch).cloned())
                .collect();
        }
        self
    }

    /// A library's branches with the patron's pickup and home branches first, the rest in
    /// their order.
    fn nearest_first<'a>(
        &self,
        branches: &'a [BranchHoldings],
    ) -> impl Iterator<Item = &'a BranchHoldings> {
        let mut ordered: Vec<&BranchHoldings> = branches.iter().collect();
        ordered.sort_by_key(|branch| {
            self.nearest
                .iter()
                .position(|code| *code == branch.branch)
                .unwrap_or(usize::MAX)
        });
        ordered.into_iter()
    }

    /// The library whose copies a results list shows by branch ([`home_library`]).
    pub(super) fn home(&self, principal: Option<&Principal>) -> Option<&str> {
        home_library(self.viewing_id, principal)
            .and_then(|id| self.codes.get(&id))
            .map(String::as_str)
    }

    /// The member's display name; its code when there is no such member.
    pub(super) fn member<'a>(&'a self, code: &'a str) -> &'a str {
        self.members.get(code).map_or(code, String::as_str)
    }

    /// The branch's name alone; its code when there is no such branch.
    pub(super) fn branch_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.branches
            .get(code)
            .map_or(code, |(name, _)| name.as_str())
    }

    /// The branch's name, with its member's unless the page is that member's view; its code
    /// when there is no such branch.
    pub(super) fn branch(&self, code: &str) -> String {
        match self.branches.get(code) {
            Some((name, member)) if self.viewing.as_deref() == Some(member.as_str()) => {
                name.clone()
            }
            Some((name, member)) => format!("{name} ({})", self.member(member)),
            None => code.to_owned(),
        }
    }
}

async fn search_page(
    state: &AppState,
    auth: &Auth,
    member_code: Option<&str>,
    pairs: &[(String, String)],
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let member = search::view_of(&state.ctx, member_code).await?;
    let mut params = SearchParams::parse(pairs)?;
    params.view = member.as_ref().map(|m| m.code.clone());
    let mut request = params.request();
    // One more than the page lists, to know whether a facet has more values.
    request.facet_limit = FACET_VALUES_LISTED + 1;
    let response = search::search(&state.ctx, request).await?;
    let member = member.as_ref();
    let names = PlaceNames::load(state, member)
        .await?
        .for_patron(state, auth.principal.as_ref())
        .await;
    let base = base_path(member);
    let consortium_url = search_url(None, &params);
    let feed = super::feeds::feed_url(member, &params);
    let title = if params.query.is_empty() {
        view.t("search.title").to_string()
    } else {
        view.tf("search.title_for", &[("query", &params.query)])
    };
    let body = html! {
        h1 { (view.t("search.title")) }
        (view_switch(&view, member, &consortium_url))
        (search_box(&view, &format!("{base}/search"), &params.query))
        div class="results-layout" {
            section class="results" aria-labelledby="results-heading" {
                h2 id="results-heading" { (view.tc("search.total", ("total", response.total), &[])) }
                // On a phone the facets come after the results: one tap down to them.
                @if has_facets(&response) {
                    p class="jump" { a href="#facets-heading" { (view.t("search.jump_to_facets")) } }
                }
                (suggestion_line(&view, member, &params, &response))
                (selected_filters(&view, member, &params, &names, &response))
                // Nothing to order or narrow when nothing is found.
                @if response.total > 0 {
                    (sort_links(&view, member, &params))
                }
                (results_list(&view, member, &params, &response, &names))
                (pagination(&view, member, &params, response.total))
                p class="feed" { a href=(feed) type="application/atom+xml" { (view.t("feed.follow")) } }
            }
            (facets(&view, member, &params, &response, &names))
        }
    };
    Ok(html_response(
        StatusCode::OK,
        view.page_with_head(
            &title,
            member,
            HeadLinks {
                canonical: None,
                feed: Some(&feed),
            },
            body,
        ),
    ))
}

/// "Did you mean": the same search (view, narrowing, sort) with the suggested words.
fn suggestion_line(
    view: &View<'_>,
    member: Option<&Member>,
    params: &SearchParams,
    response: &SearchResponse,
) -> Markup {
    html! {
        @if let Some(suggestion) = &response.suggestion {
            @let suggested = SearchParams { query: suggestion.query.clone(), page: 1, ..params.clone() };
            p class="suggestion" {
                (view.t("search.did_you_mean")) " "
                a href=(search_url(member, &suggested)) { strong { (suggestion.query) } } " "
                (view.tc("search.suggestion_total", ("total", suggestion.total), &[]))
            }
        }
    }
}

/// The narrowings of the search, each with a link that removes it. A title as it files (from a
/// title suggestion) reads as the first hit gives it, when it is the search's only title: every
/// hit has that title.
fn selected_filters(
    view: &View<'_>,
    member: Option<&Member>,
    params: &SearchParams,
    names: &PlaceNames,
    response: &SearchResponse,
) -> Markup {
    let titles = params
        .filters
        .iter()
        .filter(|(facet, _)| *facet == FacetField::FilingTitle)
        .count();
    let title_as_written = response.hits.first().map(|hit| hit.title.clone());
    html! {
        @if !params.filters.is_empty() {
            ul class="selected" aria-label=(view.t("search.narrowed_by")) {
                @for (index, (facet, value)) in params.filters.iter().enumerate() {
                    @let without = without_filter(params, index);
                    @let label = match (facet, &title_as_written) {
                        (FacetField::FilingTitle, Some(title)) if titles == 1 => title.clone(),
                        _ => facet_value_label(view, *facet, value, names),
                    };
                    li {
                        (view.t(facet_heading_key(*facet))) ": " strong { (label) } " "
                        a href=(search_url(member, &without)) aria-label=(view.tf("search.remove_named", &[("value", &label)])) { (view.t("search.remove")) }
                    }
                }
            }
        }
    }
}

fn sort_links(view: &View<'_>, member: Option<&Member>, params: &SearchParams) -> Markup {
    html! {
        nav class="sort" aria-label=(view.t("search.sort_label")) {
            (view.t("search.sort_by")) " "
            @for sort in [SortOrder::Relevance, SortOrder::Title, SortOrder::Author, SortOrder::Date, SortOrder::Added] {
                @let sorted = SearchParams { sort, page: 1, ..params.clone() };
                @let key = format!("search.sort_{}", sort_name(sort));
                @let label = view.state.messages.get(&view.auth.lang, &key);
                @if sort == params.sort {
                    strong aria-current="true" { (label) } " "
                } @else {
                    a href=(search_url(member, &sorted)) { (label) } " "
                }
            }
        }
    }
}

fn results_list(
    view: &View<'_>,
    member: Option<&Member>,
    params: &SearchParams,
    response: &SearchResponse,
    names: &PlaceNames,
) -> Markup {
    let base = base_path(member);
    let first = (params.page - 1) * params.page_size + 1;
    let home = names.home(view.auth.principal.as_ref());
    html! {
        @if response.hits.is_empty() {
            p { (view.t("search.nothing")) }
        } @else {
            ol class="hits" start=(first) {
                @for hit in &response.hits {
                    li {
                        a class="hit-title" href=(format!("{base}/record/{}", hit.bib_id)) lang=[other_language(view, hit.language.as_deref())] { (hit.title) }
                        (coins(&CitedWork::of_hit(hit)))
                        div class="muted" {
                            @if let Some(author) = &hit.author { (author) " · " }
                            @if let Some(year) = hit.year { (year) " · " }
                            (view.state.messages.get(&view.auth.lang, &format_key(&hit.format)))
                        }
                        @if hit.holdings.is_empty() {
                            div class="avail" { (view.t("search.no_items")) }
                        } @else {
                            ul class="avail" {
                                // The home library's copies first and by branch, with where to
                                // find one on the shelf.
                                @for holding in home_first(&hit.holdings, home) {
                                    @let own = home == Some(holding.member.as_str());
                                    li class=[own.then_some("own")] {
                                        (names.member(&holding.member)) ": "
                                        (view.tf("search.available_of", &[("available", &holding.available.to_string()), ("total", &holding.total.to_string())]))
                                        @if own {
                                            ul class="branches" {
                                                @for branch in names.nearest_first(&holding.branches) {
                                                    li {
                                                        (names.branch_name(&branch.branch)) ": "
                                                        (view.tf("search.available_of", &[("available", &branch.available.to_string()), ("total", &branch.total.to_string())]))
                                                        @if let Some(call_number) = &branch.call_number {
                                                            " · " span class="callno" { (call_number) }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn pagination(
    view: &View<'_>,
    member: Option<&Member>,
    params: &SearchParams,
    total: u64,
) -> Markup {
    // Pages reach as far as a search pages (the total still counts every match).
    let pages = usize::try_from(total)
        .unwrap_or(usize::MAX)
        .min(MAX_RESULT_WINDOW)
        .div_ceil(params.page_size)
        .max(1);
    let at = |page: usize| {
        let mut moved = params.clone();
        moved.page = page;
        search_url(member, &moved)
    };
    html! {
        @if pages > 1 {
            nav class="pages" aria-label=(view.t("search.pages_label")) {
                @if params.page > 1 { a href=(at(params.page - 1)) rel="prev" { (view.t("search.previous")) } " " }
                span { (view.tf("search.page_of", &[("page", &params.page.to_string()), ("pages", &pages.to_string())])) }
                @if params.page < pages { " " a href=(at(params.page + 1)) rel="next" { (view.t("search.next")) } }
            }
        }
    }
}

/// Values of a facet the results page shows at once; the rest of the listed ones open on a
/// click.
const FACET_VALUES_AT_FIRST: usize = 5;
/// Values of a facet the results page lists; past these, a link leads to all of them.
const FACET_VALUES_LISTED: usize = 20;
/// Values of a facet one page of all its values lists (a page stays light).
const FACET_VALUES_PER_PAGE: usize = 200;

fn facets(
    view: &View<'_>,
    member: Option<&Member>,
    params: &SearchParams,
    response: &SearchResponse,
    names: &PlaceNames,
) -> Markup {
    if !has_facets(response) {
        return html! {};
    }
    html! {
        aside class="facets" aria-labelledby="facets-heading" {
            h2 id="facets-heading" { (view.t("search.narrow")) }
            p class="jump" { a href="#results-heading" { (view.t("search.up_to_results")) } }
            @for (facet, counts) in &response.facets {
                @if !counts.is_empty() {
                    @let heading = view.t(facet_heading_key(*facet));
                    @let listed = counts.get(..FACET_VALUES_LISTED).unwrap_or(counts);
                    @let (first, rest) = listed.split_at(listed.len().min(FACET_VALUES_AT_FIRST));
                    @let rest_selected = rest.iter().any(|count| is_selected(params, *facet, &count.value));
                    section {
                        h3 { (heading) }
                        ul {
                            @for count in first {
                                (facet_value_item(view, member, params, *facet, count, names))
                            }
                        }
                        @if !rest.is_empty() {
                            // Open when a value in it narrows the search, so that it shows.
                            details open[rest_selected] {
                                summary { (view.tc("search.more_values", ("count", rest.len() as u64), &[])) }
                                ul {
                                    @for count in rest {
                                        (facet_value_item(view, member, params, *facet, count, names))
                                    }
                                }
                            }
                        }
                        @if counts.len() > FACET_VALUES_LISTED {
                            p class="all-values" {
                                a href=(facet_values_url(member, params, *facet, 1)) aria-label=(view.tf("search.all_values_named", &[("facet", heading)])) {
                                    (view.t("search.all_values"))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The copies a record page shows, summed up for its top: how many are on a shelf now, and the
/// branch and call number of the first on a shelf at the patron's own library.
struct ShelfSummary<'a> {
    total: usize,
    available: usize,
    here: Option<(&'a str, &'a str)>,
}

impl<'a> ShelfSummary<'a> {
    fn of(holdings: &'a [search::MemberHoldings], home: Option<MemberId>) -> Self {
        let items = || {
            holdings.iter().flat_map(|library| {
                library.branches.iter().flat_map(move |branch| {
                    branch.items.iter().map(move |item| (library, branch, item))
                })
            })
        };
        let on_shelf = |item: &search::PublicItem| item.status == ItemStatus::Available;
        ShelfSummary {
            total: items().count(),
            available: items().filter(|(_, _, item)| on_shelf(item)).count(),
            here: items()
                .find(|(library, _, item)| Some(library.member.id) == home && on_shelf(item))
                .map(|(_, branch, item)| (branch.branch.name.as_str(), item.call_number.as_str())),
        }
    }
}

/// The library whose shelves a patron looks at first: the view's, or a signed-in patron's own.
fn home_library(view: Option<MemberId>, principal: Option<&Principal>) -> Option<MemberId> {
    match (view, principal) {
        (Some(member), _) => Some(member),
        (None, Some(Principal::Patron { home_member, .. })) => Some(*home_member),
        (None, _) => None,
    }
}

/// A hit's holdings with those of library `home` first (a member's view already has its own
/// first; the consortium's, for a signed-in patron, does not).
fn home_first<'a>(
    holdings: &'a [concord_search::MemberHoldings],
    home: Option<&str>,
) -> impl Iterator<Item = &'a concord_search::MemberHoldings> {
    let (own, others): (Vec<_>, Vec<_>) = holdings
        .iter()
        .partition(|holding| home == Some(holding.member.as_str()));
    own.into_iter().chain(others)
}

/// Whether any facet has a value to offer.
fn has_facets(response: &SearchResponse) -> bool {
    response.facets.values().any(|counts| !counts.is_empty())
}

fn is_selected(params: &SearchParams, facet: FacetField, value: &str) -> bool {
    params
        .filters
        .iter()
        .any(|(f, v)| *f == facet && v == value)
}

/// One value of a facet: a link that narrows the search to it, or, when it already does, the
/// value with a link that removes it.
fn facet_value_item(
    view: &View<'_>,
    member: Option<&Member>,
    params: &SearchParams,
    facet: FacetField,
    count: &FacetCount,
    names: &PlaceNames,
) -> Markup {
    let selected = params
        .filters
        .iter()
        .position(|(f, v)| *f == facet && *v == count.value);
    let label = facet_value_label(view, facet, &count.value, names);
    let number = facet_count_text(view, count);
    html! {
        li {
            @if let Some(index) = selected {
                @let without = without_filter(params, index);
                strong { (label) " (" (number) ")" } " "
                a href=(search_url(member, &without)) aria-label=(view.tf("search.remove_named", &[("value", &label)])) { (view.t("search.remove")) }
            } @else {
                @let narrowed = with_filter(params, facet, &count.value);
                a href=(search_url(member, &narrowed)) { (label) " " span class="count" { "(" (number) ")" } }
            }
        }
    }
}

/// A facet value's count: the number of records, and for the holdings facets (library, branch,
/// available now) "3 titles, 7 copies", so that a patron sees how many copies each library has.
fn facet_count_text(view: &View<'_>, count: &FacetCount) -> String {
    match count.copies {
        Some(copies) => format!(
            "{}, {}",
            view.tc("search.facet_titles", ("count", count.count), &[]),
            view.tc("search.facet_copies", ("count", copies), &[])
        ),
        None => view.state.messages.number(&view.auth.lang, count.count),
    }
}

/// The page of all values of `facet` for the search, `page` (from 1) of them.
fn facet_values_url(
    member: Option<&Member>,
    params: &SearchParams,
    facet: FacetField,
    page: usize,
) -> String {
    let mut pairs = params.pairs();
    if page > 1 {
        pairs.push(("values_page", page.to_string()));
    }
    view_url(
        member,
        &format!("/search/facet/{}", facet_parameter(facet)),
        &pairs,
    )
}

/// Every value of one facet for a search, most common first, a page at a time: what the
/// results page's "See all" leads to when a facet has more values than it lists.
async fn facet_values_page(
    state: &AppState,
    auth: &Auth,
    member_code: Option<&str>,
    facet_name: &str,
    pairs: &[(String, String)],
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let member = search::view_of(&state.ctx, member_code).await?;
    let Some(facet) = FacetField::ALL
        .into_iter()
        .find(|facet| facet_parameter(*facet) == facet_name)
    else {
        return Err(ServiceError::not_found(format!("the facet {facet_name}")));
    };
    let mut params = SearchParams::parse(pairs)?;
    params.view = member.as_ref().map(|m| m.code.clone());
    let values_page = match pairs.iter().find(|(name, _)| name == "values_page") {
        None => 1,
        Some((_, value)) => match value.trim().parse::<usize>() {
            Ok(page) if (1..=MAX_FACET_VALUE_PAGES).contains(&page) => page,
            _ => {
                return Err(ServiceError::field(
                    "values_page",
                    format!("must be a whole number from 1 to {MAX_FACET_VALUE_PAGES}"),
                ));
            }
        },
    };
    let mut request = params.request();
    request.facets = vec![facet];
    // One more than the page shows, to know whether another page follows.
    request.facet_limit = values_page * FACET_VALUES_PER_PAGE + 1;
    request.page = 0;
    request.page_size = 1;
    let response = search::search(&state.ctx, request).await?;
    let member = member.as_ref();
    let names = PlaceNames::load(state, member).await?;
    let counts = response.facets.get(&facet).map_or(&[][..], Vec::as_slice);
    let skipped = (values_page - 1) * FACET_VALUES_PER_PAGE;
    let shown = counts
        .get(skipped..)
        .unwrap_or_default()
        .iter()
        .take(FACET_VALUES_PER_PAGE);
    let more = counts.len() > skipped + FACET_VALUES_PER_PAGE;
    let heading = view.t(facet_heading_key(facet));
    let title = if params.query.is_empty() {
        heading.to_string()
    } else {
        view.tf(
            "search.facet_values_title",
            &[("facet", heading), ("query", &params.query)],
        )
    };
    let body = html! {
        h1 { (title) }
        (view_switch(&view, member, &facet_values_url(None, &params, facet, values_page)))
        p { a href=(search_url(member, &params)) { (view.tc("search.back_to_results", ("total", response.total), &[])) } }
        @if counts.is_empty() {
            p { (view.t("search.no_values")) }
        } @else {
            section aria-labelledby="values-heading" {
                h2 id="values-heading" { (view.t("search.values_by_count")) }
                ul class="facet-values" {
                    @for count in shown {
                        (facet_value_item(&view, member, &params, facet, count, &names))
                    }
                }
            }
        }
        @if values_page > 1 || more {
            nav class="pages" aria-label=(view.t("search.value_pages_label")) {
                @if values_page > 1 {
                    a href=(facet_values_url(member, &params, facet, values_page - 1)) rel="prev" { (view.t("search.previous_values")) } " "
                }
                @if more {
                    a href=(facet_values_url(member, &params, facet, values_page + 1)) rel="next" { (view.t("search.next_values")) }
                }
            }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        view.branded_page(&title, member, body),
    ))
}

/// How deep the pages of a facet's values go (past this, a patron narrows the search).
const MAX_FACET_VALUE_PAGES: usize = 50;

/// The path of a page every view has: the member whose view it is (none: the consortium's)
/// and what the page is of (a facet, a record).
#[derive(Debug, Deserialize)]
pub(super) struct ViewPath<T> {
    pub member: Option<String>,
    #[serde(alias = "facet", alias = "id", alias = "item")]
    pub of: T,
}

/// All the values of a facet, in the consortium's view or under `/m/{member}` a member's.
async fn facet_values(
    State(state): State<SharedState>,
    auth: Auth,
    Path(path): Path<ViewPath<String>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let result = facet_values_page(&state, &auth, path.member.as_deref(), &path.of, &pairs).await;
    render(&state, &auth, result)
}

/// The consortium's results page, or under `/m/{member}` the member's.
async fn search(
    State(state): State<SharedState>,
    auth: Auth,
    member: Option<Path<String>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let member = member.map(|Path(member)| member);
    let result = search_page(&state, &auth, member.as_deref(), &pairs).await;
    render(&state, &auth, result)
}

async fn member_home(
    State(state): State<SharedState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Response {
    let result = async {
        let view = View::new(&state, &auth);
        let member = search::member_view(&state.ctx, &code).await?;
        let body = html! {
            h1 { (member.branding.display_name) }
            @if let Some(logo) = &member.branding.logo_url {
                img class="logo" src=(logo) alt=(view.tf("search.logo_of", &[("member", &member.branding.display_name)]));
            }
            (view_switch(&view, Some(&member), "/search"))
            (search_box(&view, &format!("/m/{}/search", member.code), ""))
            (recently_added(&view, Some(&member)).await?)
        };
        Ok(html_response(StatusCode::OK, view.branded_page(&member.branding.display_name, Some(&member), body)))
    }
    .await;
    render(&state, &auth, result)
}

/// `123`, `123.xml`, `123.ris` or `123.bib`; `?format=` chooses an export too.
fn record_target(raw: &str, pairs: &[(String, String)]) -> (String, Option<ExportFormat>) {
    let by_query = pairs
        .iter()
        .find(|(name, _)| name == "format")
        .and_then(|(_, value)| ExportFormat::from_name(value));
    match raw.rsplit_once('.') {
        Some((id, extension)) => match ExportFormat::from_name(extension) {
            Some(format) => (id.to_string(), Some(format)),
            None => (raw.to_string(), by_query),
        },
        None => (raw.to_string(), by_query),
    }
}

async fn record_page(
    state: &AppState,
    auth: &Auth,
    member_code: Option<&str>,
    raw: &str,
    pairs: &[(String, String)],
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let member = search::view_of(&state.ctx, member_code).await?;
    let (id_text, export_format) = record_target(raw, pairs);
    let id = bib_id(&id_text)?;
    let record = match search::public_record(&state.ctx, id, member.as_ref().map(|m| &m.code)).await
    {
        Ok(record) => record,
        Err(error) => {
            // A record merged into another: its permalink (and export) leads there for good.
            let kept = search::moved_to(&state.ctx, id, error).await?;
            let rest = raw.strip_prefix(id_text.as_str()).unwrap_or("");
            let query = pairs
                .iter()
                .find(|(name, _)| name == "format")
                .map(|(_, value)| format!("?format={}", percent_encode(value)))
                .unwrap_or_default();
            let target = format!("{}/record/{kept}{rest}{query}", base_path(member.as_ref()));
            return Ok(Redirect::permanent(&target).into_response());
        }
    };
    let permalink = format!("/record/{id}");
    if let Some(format) = export_format {
        return export(&record, format, &permalink);
    }
    let member = member.as_ref();
    let editions = search::other_editions(&state.ctx, &record, member.map(|m| &m.code)).await?;
    let title = record.document.title.clone();
    let body = html! {
        (view_switch(&view, member, &permalink))
        (record_body(&view, member, &record, &editions, &permalink))
    };
    Ok(html_response(
        StatusCode::OK,
        view.page_with_head(
            &title,
            member,
            HeadLinks {
                canonical: Some(&permalink),
                feed: None,
            },
            body,
        ),
    ))
}

fn record_body(
    view: &View<'_>,
    member: Option<&Member>,
    record: &PublicRecord,
    editions: &[SearchHit],
    permalink: &str,
) -> Markup {
    let document = &record.document;
    let base = base_path(member);
    // Links to searches in this view, each finding exactly the bibs under the heading, as the
    // browse lists count them: an author's other works through the author facet, a subject
    // heading's (subdivisions and all) through its heading filter, a series' other volumes
    // through its title without this volume's number (after " ;").
    let search_for = |facet: FacetField, value: &str| {
        format!(
            "{base}/search?{}={}",
            facet_parameter(facet),
            super::search_api::percent_encode(value)
        )
    };
    let subject_url = |subject: &str| search_for(FacetField::SubjectHeading, subject);
    let author_url = |author: &str| search_for(FacetField::Author, author);
    let series_url = |series: &str| search_for(FacetField::SeriesHeading, series_title(series));
    let own_script_title = record.title_in_own_script();
    let described = record.description();
    // What the record transcribes from the item (title, statement of responsibility, contents)
    // is in the item's language.
    let item_lang = other_language(view, document.language.as_deref());
    let linked_data = super::linked_data::record_json_ld(record, permalink, &described);
    html! {
        script type="application/ld+json" { (PreEscaped(linked_data)) }
        article {
            h1 lang=[item_lang] { (document.title) }
            (coins(&CitedWork::of_document(document)))
            @if let Some(title) = &own_script_title {
                // Right-to-left scripts (Hebrew, Arabic) set their own direction.
                p class="own-script-title" dir="auto" lang=[item_lang] { (title) }
            }
            @if let Some(responsibility) = &described.responsibility {
                p class="responsibility" lang=[item_lang] { (responsibility) }
            }
            @if let Err(unreadable) = &record.record {
                p class="notice" role="status" { (view.tf("record.unreadable", &[("problem", &unreadable.problem)])) }
            }
            // What a patron on a phone wants first: can she take one off a shelf, and where.
            @let shelf = ShelfSummary::of(&record.holdings, home_library(member.map(|m| m.id), view.auth.principal.as_ref()));
            @if shelf.total > 0 {
                p class="shelf-summary" {
                    (view.tc("record.on_shelf", ("total", shelf.total as u64), &[("available", &shelf.available.to_string())]))
                    @if let Some((branch, call_number)) = shelf.here {
                        " · " (view.tf("record.on_shelf_at", &[("branch", branch), ("call_number", call_number)]))
                    }
                    " · " a href="#copies" { (view.t("record.see_copies")) }
                }
            }
            dl class="record" {
                @if !document.authors.is_empty() {
                    dt { (view.t("record.authors")) }
                    dd { @for (n, author) in document.authors.iter().enumerate() { @if n > 0 { "; " } a href=(author_url(author)) { (author) } } }
                }
                @if let Some(uniform_title) = &described.uniform_title {
                    dt { (view.t("record.uniform_title")) }
                    dd { (uniform_title) }
                }
                dt { (view.t("record.format")) }
                dd { (view.state.messages.get(&view.auth.lang, &format_key(document.format.code()))) }
                @if !described.editions.is_empty() {
                    dt { (view.t("record.edition")) }
                    @for edition in &described.editions { dd { (edition) } }
                }
                @if !described.publication.is_empty() {
                    (publication_rows(view, &described.publication))
                } @else if !document.publishers.is_empty() || document.publication_year.is_some() {
                    dt { (view.t("record.published")) }
                    dd {
                        (document.publishers.join("; "))
                        @if let Some(year) = document.publication_year { @if !document.publishers.is_empty() { ", " } (year) }
                    }
                }
                @if !described.physical.is_empty() {
                    dt { (view.t("record.physical")) }
                    @for physical in &described.physical { dd { (physical) } }
                }
                @if !document.languages.is_empty() {
                    dt { (view.t("record.language")) }
                    dd { (language_names(&document.languages)) }
                }
                @if !document.original_languages.is_empty() {
                    dt { (view.t("record.translated_from")) }
                    dd { (language_names(&document.original_languages)) }
                }
                @if !document.series.is_empty() {
                    dt { (view.t("record.series")) }
                    dd { @for (n, series) in document.series.iter().enumerate() { @if n > 0 { "; " } a href=(series_url(series)) { (series) } } }
                }
                @if !document.subjects.is_empty() {
                    dt { (view.t("record.subjects")) }
                    dd {
                        ul class="plain" {
                            @for subject in &document.subjects { li { a href=(subject_url(subject)) { (subject) } } }
                        }
                    }
                }
                @if !document.isbns.is_empty() {
                    dt { "ISBN" }
                    dd { (document.isbns.join(", ")) }
                }
                @if !document.issns.is_empty() {
                    dt { "ISSN" }
                    dd { (document.issns.join(", ")) }
                }
            }
            (online_links(view, &described.online))
            @if !described.summaries.is_empty() {
                h2 { (view.t("record.summary")) }
                @for summary in &described.summaries {
                    @if summary.kind == NoteKind::Summary {
                        p class="summary" { (summary.text) }
                    } @else {
                        p class="summary" { strong { (described_label(view, "note", summary.kind.as_str())) ": " } (summary.text) }
                    }
                }
            }
            h2 id="copies" { (view.t("record.holdings")) }
            @if record.holdings.is_empty() {
                p { (view.t("record.no_holdings")) }
            }
            @for holdings in &record.holdings {
                @let located = holdings.branches.iter().flat_map(|branch| &branch.items).any(|item| item.location.is_some());
                section class="holdings" {
                    h3 {
                        (holdings.member.branding.display_name)
                        @if member.is_some_and(|m| m.id == holdings.member.id) { " " span class="muted" { (view.t("record.this_library")) } }
                    }
                    table {
                        thead { tr {
                            th scope="col" { (view.t("record.branch")) }
                            @if located { th scope="col" { (view.t("record.location")) } }
                            th scope="col" { (view.t("record.call_number")) }
                            th scope="col" { (view.t("record.status")) }
                        } }
                        tbody {
                            @for branch in &holdings.branches {
                                @for item in &branch.items {
                                    tr {
                                        td { (branch.branch.name) }
                                        @if located { td { @if let Some(location) = &item.location { (location) } } }
                                        td {
                                            // A call number without letters or digits has no place on a shelf.
                                            @if shelf_key(&item.call_number).is_empty() {
                                                (item.call_number)
                                            } @else {
                                                a href=(super::shelf_pages::shelf_url(member, item.id)) title=(view.t("record.browse_shelf")) { (item.call_number) }
                                            }
                                        }
                                        td { (status_text(view, item.status, item.due.map(|d| d.to_string()))) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p class="muted" { (view.t("record.holds_later")) }
            @if !described.contents.is_empty() {
                h2 { (view.t("record.contents")) }
                @for contents in &described.contents {
                    @if contents.completeness != Completeness::Complete {
                        p class="muted" { (described_label(view, "contents", contents.completeness.as_str())) }
                    }
                    ul class="contents" lang=[item_lang] { @for entry in &contents.entries { li { (entry) } } }
                }
            }
            @if !described.notes.is_empty() {
                h2 { (view.t("record.notes")) }
                dl class="record notes" {
                    @for note in &described.notes {
                        dt { (described_label(view, "note", note.kind.as_str())) }
                        dd { (note.text) }
                    }
                }
            }
            @if !editions.is_empty() {
                h2 { (view.t("record.other_editions")) }
                ul class="plain editions" {
                    @for edition in editions {
                        li {
                            a href=(format!("{base}/record/{}", edition.bib_id)) { (edition.title) }
                            span class="muted" {
                                " · " (view.state.messages.get(&view.auth.lang, &format_key(&edition.format)))
                                @if let Some(year) = edition.year { " · " (year) }
                            }
                        }
                    }
                }
            }
            h2 { (view.t("record.cite")) }
            dl class="record citations" {
                @for style in Style::ALL {
                    dt { (style.name()) }
                    dd {
                        @for run in cite(document, &described, style) {
                            @match run {
                                Run::Plain(text) => (text),
                                Run::Italic(text) => i { (text) },
                            }
                        }
                    }
                }
            }
            ul class="plain" {
                li { (view.t("record.permalink")) ": " a href=(permalink) { (permalink) } }
                // Every export is made from the MARC record: none is offered without it.
                @if record.record.is_ok() {
                    li { a href=(format!("{permalink}.xml")) { (view.t("record.export_marcxml")) } }
                    li { a href=(format!("{permalink}.ris")) { (view.t("record.export_ris")) } }
                    li { a href=(format!("{permalink}.bib")) { (view.t("record.export_bibtex")) } }
                }
            }
            @if let Ok(marc) = &record.record {
                details {
                    summary { (view.t("record.marc_view")) }
                    pre class="marc" { (concord_marc::to_readable_line_format(marc)) }
                }
            }
        }
    }
}

/// The language tag of text in the language of MARC code `code`, when it is not the page's:
/// what a `lang` attribute says so that a screen reader speaks it in its language (WCAG 2.1,
/// 3.1.2 Language of Parts).
fn other_language(view: &View<'_>, code: Option<&str>) -> Option<&'static str> {
    code.and_then(language_tag)
        .filter(|tag| !view.auth.lang.eq_ignore_ascii_case(tag))
}

/// The names of the languages of MARC codes `codes`, in their order ("French, English"); a
/// code the list does not name as itself.
fn language_names(codes: &[String]) -> String {
    codes
        .iter()
        .map(|code| language_name(code).unwrap_or(code))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A COinS span: the work as an OpenURL, for reference managers' browser connectors to find.
fn coins(work: &CitedWork<'_>) -> Markup {
    html! { span class="Z3988" title=(to_openurl(work)) {} }
}

/// The publication statements as rows of the record's list: each role once, with its
/// statements in the record's order.
fn publication_rows(view: &View<'_>, publication: &[Publication]) -> Markup {
    let mut roles: Vec<PublicationRole> = Vec::new();
    for statement in publication {
        if !roles.contains(&statement.role) {
            roles.push(statement.role);
        }
    }
    html! {
        @for role in roles {
            dt { (described_label(view, "publication", role.as_str())) }
            @for statement in publication.iter().filter(|statement| statement.role == role) {
                dd { (statement.statement) }
            }
        }
    }
}

/// The message catalogue's text for a kind of description: `note.general`,
/// `contents.partial`, `publication.copyright`, `online.related`.
fn described_label(view: &View<'_>, group: &str, kind: &str) -> String {
    view.state
        .messages
        .get(&view.auth.lang, &format!("{group}.{kind}"))
        .to_owned()
}

/// The record's links online (856). A link without text of its own says what it leads to and
/// where. No referrer is sent: the vendor need not learn which record page a patron came from.
fn online_links(view: &View<'_>, links: &[OnlineLink]) -> Markup {
    let host = |url: &str| {
        url.split_once("//")
            .map_or(url, |(_, rest)| rest)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    html! {
        @if !links.is_empty() {
            h2 { (view.t("record.online")) }
            ul class="plain online" {
                @for link in links {
                    li {
                        a href=(link.url) rel="noreferrer" {
                            @if let Some(text) = &link.text {
                                (text)
                            } @else {
                                (described_label(view, "online", link.relationship.as_str()))
                                " (" (host(&link.url)) ")"
                            }
                        }
                        @if let Some(note) = &link.note { span class="muted" { " · " (note) } }
                    }
                }
            }
        }
    }
}

/// A record page in the consortium's view, or under `/m/{member}` a member's.
async fn record(
    State(state): State<SharedState>,
    auth: Auth,
    Path(path): Path<ViewPath<String>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let result = record_page(&state, &auth, path.member.as_deref(), &path.of, &pairs).await;
    render(&state, &auth, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Messages;
    use concord_domain::format::Format;
    use concord_search::description::LinkRelationship;

    #[test]
    fn every_format_and_status_has_english_text() {
        let messages = Messages::english().unwrap();
        for key in Format::ALL
            .into_iter()
            .map(|format| format_key(format.code()))
        {
            assert!(messages.has_english(&key), "{key} missing from en.toml");
        }
        for status in ItemStatus::ALL {
            let key = format!("status.{}", status.as_str());
            assert!(messages.has_english(&key), "{key} missing from en.toml");
        }
        let described = NoteKind::ALL
            .map(|kind| format!("note.{}", kind.as_str()))
            .into_iter()
            .chain(Completeness::ALL.map(|c| format!("contents.{}", c.as_str())))
            .chain(PublicationRole::ALL.map(|r| format!("publication.{}", r.as_str())))
            .chain(LinkRelationship::ALL.map(|r| format!("online.{}", r.as_str())));
        for key in described {
            assert!(messages.has_english(&key), "{key} missing from en.toml");
        }
    }

    #[test]
    fn record_paths_choose_exports() {
        assert_eq!(record_target("12", &[]), ("12".into(), None));
        assert_eq!(
            record_target("12.ris", &[]),
            ("12".into(), Some(ExportFormat::Ris))
        );
        assert_eq!(
            record_target("12", &[("format".into(), "bibtex".into())]),
            ("12".into(), Some(ExportFormat::BibTex))
        );
    }
}
