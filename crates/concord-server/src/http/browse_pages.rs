//! Browsing the catalogue's headings: titles, authors, subjects and series in alphabetical order from
//! what a patron types, each with the number of titles the view has under it and a link to
//! them (`/browse`, a member's view under `/m/{member}`), and the same as JSON
//! (`GET /api/v1/browse`). The same lists offer headings while a patron types in the search
//! box (`/search/suggest`, the options the search box's script shows; `GET /api/v1/suggest`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use concord_domain::FieldError;
use concord_domain::codes::Code;
use concord_domain::org::Member;
use concord_search::browse::MAX_BROWSE_PAGE;
use concord_search::browse::Relation;
use concord_search::{BrowseFrom, BrowsePage, BrowseRequest, FacetField, HeadingKind};
use maud::{Markup, html};
use serde::Serialize;

use super::SharedState;
use super::api::ApiError;
use super::auth::Auth;
use super::pages::{View, html_response, render};
use super::search_api::{facet_parameter, percent_encode, view_parameter};
use super::search_pages::{base_path, view_switch};
use crate::service::search::{self, BrowseEntry, BrowseListing, Suggestion, SuggestionKind};
use crate::service::{ServiceError, ServiceResult};

/// Headings a page lists unless asked otherwise.
const DEFAULT_BROWSE_PAGE: usize = 20;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/browse", get(browse))
        .route("/m/{member}/browse", get(browse))
        .route("/api/v1/browse", get(browse_json))
        .route("/search/suggest", get(suggest_options))
        .route("/m/{member}/search/suggest", get(suggest_options))
        .route("/api/v1/suggest", get(suggest_json))
}

/// A browse as its URL parameters say: `kind` (title, author, subject or series; author when
/// absent), one of `from` (typed text), `after` or `before` (a heading's key: the next or
/// previous page), and `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BrowseParams {
    kind: HeadingKind,
    from: BrowseFrom,
    limit: usize,
}

impl BrowseParams {
    /// Reads the parameters, reporting every bad one at once.
    fn parse(pairs: &[(String, String)]) -> ServiceResult<BrowseParams> {
        let mut errors = Vec::new();
        let mut kind = HeadingKind::Author;
        let mut from = Vec::new();
        let mut limit = DEFAULT_BROWSE_PAGE;
        for (name, value) in pairs {
            match name.as_str() {
                "kind" => match HeadingKind::from_name(value.trim()) {
                    Some(found) => kind = found,
                    None => errors.push(FieldError::new(
                        "kind",
                        "must be title, author, subject or series",
                    )),
                },
                "from" => from.push(BrowseFrom::Text(value.trim().to_owned())),
                "after" => from.push(BrowseFrom::After(value.clone())),
                "before" => from.push(BrowseFrom::Before(value.clone())),
                "limit" => match value.trim().parse::<usize>() {
                    Ok(n) if (1..=MAX_BROWSE_PAGE).contains(&n) => limit = n,
                    _ => errors.push(FieldError::new(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_BROWSE_PAGE}"),
                    )),
                },
                _ => {}
            }
        }
        if from.len() > 1 {
            errors.push(FieldError::new(
                "from",
                "give one of from, after and before",
            ));
        }
        if !errors.is_empty() {
            return Err(ServiceError::invalid(errors));
        }
        Ok(BrowseParams {
            kind,
            from: from
                .pop()
                .unwrap_or_else(|| BrowseFrom::Text(String::new())),
            limit,
        })
    }

    fn request(&self, view: Option<Code>) -> BrowseRequest {
        BrowseRequest {
            kind: self.kind,
            from: self.from.clone(),
            limit: self.limit,
            view,
        }
    }

    /// The text the form shows: what was typed, or the heading paged from.
    fn typed(&self) -> &str {
        match &self.from {
            BrowseFrom::Text(text) | BrowseFrom::After(text) | BrowseFrom::Before(text) => text,
        }
    }
}

/// The search that finds the titles under `heading`, in the view of `member`.
fn heading_search(member: Option<&Member>, kind: HeadingKind, heading: &str) -> String {
    filter_search(member, kind.filter(), heading)
}

/// Where a title or heading leads in the view of `member`: a title's one record, or the
/// search narrowed to `value` of `facet`, which finds exactly its titles.
fn title_or_search(
    member: Option<&Member>,
    bib_id: Option<i64>,
    facet: FacetField,
    value: &str,
) -> String {
    match bib_id {
        Some(id) => format!("{}/record/{id}", base_path(member)),
        None => filter_search(member, facet, value),
    }
}

/// The search narrowed to `value` of `facet` alone, in the view of `member`.
fn filter_search(member: Option<&Member>, facet: FacetField, value: &str) -> String {
    format!(
        "{}/search?{}={}",
        base_path(member),
        facet_parameter(facet),
        percent_encode(value)
    )
}

/// The address of a page of `kind` headings after or before `heading`.
fn paged(member: Option<&Member>, kind: HeadingKind, side: &str, heading: &str) -> String {
    format!(
        "{}/browse?kind={}&{side}={}",
        base_path(member),
        kind.name(),
        percent_encode(heading)
    )
}

fn kind_label(kind: HeadingKind) -> &'static str {
    match kind {
        HeadingKind::Title => "browse.kind_title",
        HeadingKind::Author => "browse.kind_author",
        HeadingKind::Subject => "browse.kind_subject",
        HeadingKind::Series => "browse.kind_series",
    }
}

/// The words between the form looked under and the heading of a cross-reference: "Clemens,
/// Samuel *see* Twain, Mark"; "Music *narrower term* Jazz".
fn relation_label(relation: Relation) -> &'static str {
    match relation {
        Relation::See => "browse.see",
        Relation::SeeAlso => "browse.see_also",
        Relation::NarrowerTerm => "browse.narrower",
        Relation::BroaderTerm => "browse.broader",
        Relation::LaterHeading => "browse.later_heading",
        Relation::EarlierHeading => "browse.earlier_heading",
    }
}

async fn browse_page(
    state: &SharedState,
    auth: &Auth,
    member_code: Option<&str>,
    pairs: &[(String, String)],
) -> ServiceResult<Response> {
    let view = View::new(state, auth);
    let member = search::view_of(&state.ctx, member_code).await?;
    let member = member.as_ref();
    let params = BrowseParams::parse(pairs)?;
    let listing =
        search::browse(&state.ctx, params.request(member.map(|m| m.code.clone()))).await?;
    let title = view.t("browse.title");
    let consortium = format!(
        "/browse?kind={}&from={}",
        params.kind.name(),
        percent_encode(params.typed())
    );
    let body = html! {
        (view_switch(&view, member, &consortium))
        h1 { (title) }
        form class="browse" role="search" method="get" action=(format!("{}/browse", base_path(member))) {
            label for="kind" { (view.t("browse.kind")) }
            select id="kind" name="kind" {
                @for kind in HeadingKind::ALL {
                    option value=(kind.name()) selected[kind == params.kind] { (view.t(kind_label(kind))) }
                }
            }
            label for="from" { (view.t("browse.from")) }
            div class="searchrow" {
                input type="search" id="from" name="from" value=(params.typed()) aria-describedby="browse-hint";
                button type="submit" { (view.t("browse.button")) }
            }
            p id="browse-hint" class="muted hint" { (view.t("browse.hint")) }
        }
        (headings_list(&view, member, &params, &listing))
    };
    Ok(html_response(
        StatusCode::OK,
        view.branded_page(title, member, body),
    ))
}

/// Where the previous and the next page start: before the first heading listed (or, past the
/// last heading, before where this page began) and after the last.
fn page_bounds(params: &BrowseParams, page: &BrowsePage) -> (Option<String>, Option<String>) {
    let earlier = page.earlier.then(|| {
        page.headings
            .first()
            .map_or_else(|| params.typed().to_owned(), |first| first.key.clone())
    });
    let later = page
        .later
        .then(|| page.headings.last().map(|last| last.key.clone()))
        .flatten();
    (earlier, later)
}

fn headings_list(
    view: &View<'_>,
    member: Option<&Member>,
    params: &BrowseParams,
    listing: &BrowseListing,
) -> Markup {
    let page = &listing.page;
    let kind = params.kind;
    let (earlier, later) = page_bounds(params, page);
    let earlier = earlier.map(|heading| paged(member, kind, "before", &heading));
    let later = later.map(|heading| paged(member, kind, "after", &heading));
    html! {
        nav class="pager" aria-label=(view.t("browse.pages")) {
            @if let Some(earlier) = &earlier {
                a href=(earlier) rel="prev" { "← " (view.t("browse.earlier")) }
            }
            @if let Some(later) = &later {
                @if earlier.is_some() { " · " }
                a href=(later) rel="next" { (view.t("browse.later")) " →" }
            }
        }
        @if listing.entries.is_empty() {
            p { (view.t("browse.nothing")) }
        } @else {
            table class="browse" {
                caption class="visually-hidden" { (view.t(kind_label(kind))) }
                thead { tr {
                    @if kind == HeadingKind::Title {
                        th scope="col" { (view.t("browse.title_heading")) }
                        th scope="col" { (view.t("browse.editions")) }
                    } @else {
                        th scope="col" { (view.t("browse.heading")) }
                        th scope="col" { (view.t("browse.titles")) }
                    }
                } }
                tbody {
                    @for entry in &listing.entries {
                        @match entry {
                            BrowseEntry::Heading { heading, key, count, bib_id, other_title_of } => tr {
                                td {
                                    a href=(title_or_search(member, *bib_id, kind.filter(), key)) { (heading) }
                                    @if let Some(title) = other_title_of {
                                        " " span class="muted" { (view.tf("browse.other_title_of", &[("title", title)])) }
                                    }
                                }
                                @if kind == HeadingKind::Title {
                                    td { (view.tc("suggest.editions", ("count", *count), &[])) }
                                } @else {
                                    td { (view.tc("browse.count", ("count", *count), &[])) }
                                }
                            },
                            // A form the catalogue does not use leads to the one it does; a
                            // heading to those related to it.
                            BrowseEntry::Reference { from, relation, heading, count } => tr class="see" {
                                td {
                                    (from) " "
                                    span class="muted" { (view.t(relation_label(*relation))) }
                                    " "
                                    a href=(heading_search(member, kind, heading)) { (heading) }
                                }
                                td { (view.tc("browse.count", ("count", *count), &[])) }
                            },
                        }
                    }
                }
            }
        }
    }
}

/// The consortium's browse page, or under `/m/{member}` the member's.
async fn browse(
    State(state): State<SharedState>,
    auth: Auth,
    member: Option<Path<String>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let member = member.map(|Path(member)| member);
    let result = browse_page(&state, &auth, member.as_deref(), &pairs).await;
    render(&state, &auth, result)
}

/// A page of headings, as `/api/v1/browse` answers.
#[derive(Debug, Serialize)]
struct BrowseView {
    kind: &'static str,
    headings: Vec<HeadingView>,
    /// The `before` parameter of the previous page, when the view has headings before these.
    #[serde(skip_serializing_if = "Option::is_none")]
    earlier_before: Option<String>,
    /// The `after` parameter of the next page, when the view has headings after these.
    #[serde(skip_serializing_if = "Option::is_none")]
    later_after: Option<String>,
}

#[derive(Debug, Serialize)]
struct HeadingView {
    /// On a cross-reference: the form looked under, where the list shows this heading instead
    /// (see) or as well (see also).
    #[serde(skip_serializing_if = "Option::is_none")]
    see_from: Option<String>,
    /// On a cross-reference: how `heading` relates to `see_from` (`see`, `see_also`,
    /// `narrower`, `broader`, `later`, `earlier`).
    #[serde(skip_serializing_if = "Option::is_none")]
    relation: Option<&'static str>,
    heading: String,
    /// The titles the view has under the heading (a title's editions and formats).
    count: u64,
    /// The search parameter and value that find them (`filing_title`, `author`,
    /// `subject_heading` or `series_heading`); for a heading, its value pages from it too
    /// (`after`, `before`).
    search: (&'static str, String),
    /// A title's one record, when it has one only.
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<String>,
    /// For a title listed under another title of its record (a 246, 740 or uniform title),
    /// the record's own title.
    #[serde(skip_serializing_if = "Option::is_none")]
    other_title_of: Option<String>,
}

async fn browse_json(
    State(state): State<SharedState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<BrowseView>, ApiError> {
    let view = view_parameter(&state, &pairs).await?;
    let params = BrowseParams::parse(&pairs)?;
    let listing = search::browse(&state.ctx, params.request(view)).await?;
    let facet = params.kind.filter();
    let (earlier_before, later_after) = page_bounds(&params, &listing.page);
    Ok(Json(BrowseView {
        kind: params.kind.name(),
        headings: listing
            .entries
            .into_iter()
            .map(|entry| {
                let (see_from, relation, heading, key, count, bib_id, other_title_of) = match entry
                {
                    BrowseEntry::Heading {
                        heading,
                        key,
                        count,
                        bib_id,
                        other_title_of,
                    } => (None, None, heading, key, count, bib_id, other_title_of),
                    BrowseEntry::Reference {
                        from,
                        relation,
                        heading,
                        count,
                    } => (
                        Some(from),
                        Some(relation.name()),
                        heading.clone(),
                        heading,
                        count,
                        None,
                        None,
                    ),
                };
                HeadingView {
                    search: (facet_parameter(facet), key),
                    see_from,
                    relation,
                    count,
                    heading,
                    record: bib_id.map(|id| id.to_string()),
                    other_title_of,
                }
            })
            .collect(),
        earlier_before,
        later_after,
    }))
}

/// Headings of each kind the search box offers as a patron types.
const SUGGESTED_PER_KIND: usize = 4;

/// The most headings of each kind `GET /api/v1/suggest` gives.
const MAX_SUGGESTED_PER_KIND: usize = 10;

/// The text typed (`q`) and, for the API, `limit` (headings of each kind, 1 to
/// [`MAX_SUGGESTED_PER_KIND`]).
fn suggest_params(
    pairs: &[(String, String)],
    default_limit: usize,
) -> ServiceResult<(String, usize)> {
    let mut typed = String::new();
    let mut limit = default_limit;
    let mut errors = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "q" => typed = value.trim().to_owned(),
            "limit" => match value.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_SUGGESTED_PER_KIND).contains(&n) => limit = n,
                _ => errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_SUGGESTED_PER_KIND}"),
                )),
            },
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::invalid(errors));
    }
    Ok((typed, limit))
}

/// What one suggestion is, as it names it.
fn kind_singular(kind: SuggestionKind) -> &'static str {
    match kind {
        SuggestionKind::Title | SuggestionKind::Heading(HeadingKind::Title) => "suggest.title",
        SuggestionKind::Heading(HeadingKind::Author) => "suggest.author",
        SuggestionKind::Heading(HeadingKind::Subject) => "suggest.subject",
        SuggestionKind::Heading(HeadingKind::Series) => "suggest.series",
    }
}

/// Where a suggestion leads in the view of `member`.
fn suggestion_address(member: Option<&Member>, suggestion: &Suggestion) -> String {
    title_or_search(
        member,
        suggestion.bib_id,
        suggestion.filter.0,
        &suggestion.filter.1,
    )
}

/// The options the search box's script lists under the box as a patron types: each title or
/// heading that begins with the text (or that an authority record leads to from a form that
/// does), what it is and its titles in the view, leading to them. An HTML fragment of `li`
/// elements, empty when there is nothing to offer.
async fn suggest_options(
    State(state): State<SharedState>,
    auth: Auth,
    member: Option<Path<String>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let view = View::new(&state, &auth);
        let member = member.map(|Path(member)| member);
        let member = search::view_of(&state.ctx, member.as_deref()).await?;
        let member = member.as_ref();
        let (typed, _) = suggest_params(&pairs, SUGGESTED_PER_KIND)?;
        let suggestions = search::suggest(
            &state.ctx,
            &typed,
            member.map(|m| m.code.clone()),
            SUGGESTED_PER_KIND,
        )
        .await?;
        let options = html! {
            @for (index, suggestion) in suggestions.iter().enumerate() {
                li role="option" id=(format!("q-suggestion-{index}")) aria-selected="false"
                    data-href=(suggestion_address(member, suggestion)) {
                    (suggestion.text)
                    " "
                    span class="muted" {
                        (view.t(kind_singular(suggestion.kind)))
                        @if let Some(from) = &suggestion.see_from {
                            ", " (view.tf("suggest.also_called", &[("form", from)]))
                        }
                        @if let Some(title) = &suggestion.other_title_of {
                            ", " (view.tf("browse.other_title_of", &[("title", title)]))
                        }
                        @if suggestion.kind == SuggestionKind::Title {
                            @if suggestion.bib_id.is_none() {
                                " · " (view.tc("suggest.editions", ("count", suggestion.count), &[]))
                            }
                        } @else {
                            " · " (view.tc("browse.count", ("count", suggestion.count), &[]))
                        }
                    }
                }
            }
        };
        let mut response = html_response(StatusCode::OK, options);
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("public, max-age=60"),
        );
        Ok(response)
    }
    .await;
    // The script shows nothing for an error; the API's error body says what was wrong.
    result.unwrap_or_else(|error: ServiceError| ApiError::from(error).into_response())
}

/// Headings offered for typed text, as `/api/v1/suggest` answers.
#[derive(Debug, Serialize)]
struct SuggestView {
    q: String,
    suggestions: Vec<SuggestionView>,
}

#[derive(Debug, Serialize)]
struct SuggestionView {
    /// `title`, `author`, `subject` or `series`.
    kind: &'static str,
    /// The title or heading.
    text: String,
    /// The titles the view has under it (a title's editions and formats).
    count: u64,
    /// The form typed, when an authority record leads from it to the heading.
    #[serde(skip_serializing_if = "Option::is_none")]
    see_from: Option<String>,
    /// The search parameter and value that find those titles.
    search: (&'static str, String),
    /// A title's one record, when it has one only.
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<String>,
    /// For a title that is another title of its record, the record's own title.
    #[serde(skip_serializing_if = "Option::is_none")]
    other_title_of: Option<String>,
}

async fn suggest_json(
    State(state): State<SharedState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<SuggestView>, ApiError> {
    let view = view_parameter(&state, &pairs).await?;
    let (typed, limit) = suggest_params(&pairs, SUGGESTED_PER_KIND)?;
    let suggestions = search::suggest(&state.ctx, &typed, view, limit).await?;
    Ok(Json(SuggestView {
        q: typed,
        suggestions: suggestions
            .into_iter()
            .map(|suggestion| SuggestionView {
                kind: suggestion.kind.name(),
                search: (facet_parameter(suggestion.filter.0), suggestion.filter.1),
                text: suggestion.text,
                count: suggestion.count,
                see_from: suggestion.see_from,
                record: suggestion.bib_id.map(|id| id.to_string()),
                other_title_of: suggestion.other_title_of,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn parameters_name_the_kind_the_start_and_the_page_size() {
        let params =
            BrowseParams::parse(&pairs(&[("kind", "subject"), ("from", " Jazz ")])).unwrap();
        assert_eq!(params.kind, HeadingKind::Subject);
        assert_eq!(params.from, BrowseFrom::Text("Jazz".into()));
        assert_eq!(params.limit, DEFAULT_BROWSE_PAGE);
        let params =
            BrowseParams::parse(&pairs(&[("after", "Smith, John"), ("limit", "5")])).unwrap();
        assert_eq!(params.kind, HeadingKind::Author);
        assert_eq!(params.from, BrowseFrom::After("Smith, John".into()));
        assert_eq!(params.limit, 5);
        let params =
            BrowseParams::parse(&pairs(&[("kind", "title"), ("from", "The hob")])).unwrap();
        assert_eq!(params.kind, HeadingKind::Title);
        let Err(error) = BrowseParams::parse(&pairs(&[
            ("kind", "call_number"),
            ("limit", "500"),
            ("from", "a"),
            ("before", "b"),
        ])) else {
            panic!("bad parameters are refused");
        };
        let fields: Vec<&str> = error
            .fields
            .iter()
            .map(|field| field.field.as_str())
            .collect();
        assert_eq!(fields, ["kind", "limit", "from"]);
    }
}
