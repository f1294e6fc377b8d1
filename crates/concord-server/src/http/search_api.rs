//! The public discovery API: `GET /api/v1/search` and `GET /api/v1/records/{id}`, and the parsing
//! of search parameters that the HTML pages share, so a page's URL and an API call mean the same.

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use concord_domain::ErrorCode;
use concord_domain::FieldError;
use concord_domain::calendar::utc_timestamp;
use concord_domain::codes::Code;
use concord_domain::ids::BibId;
use concord_search::{
    AVAILABLE, FacetField, MAX_RESULT_WINDOW, SearchHit, SearchRequest, SearchResponse, SortOrder,
};
use serde::Serialize;

use super::SharedState;
use super::api::{ApiError, ApiResult};
use crate::service::search::{self, PublicRecord, ShelfStretch};
use crate::service::{ServiceError, ServiceResult};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/search", get(search_json))
        .route("/api/v1/records/{id}", get(record_json))
        .route("/api/v1/shelf/{item}", get(shelf_json))
}

/// Hits a page unless asked otherwise, and the most a page may have.
const DEFAULT_PAGE_SIZE: usize = 20;
const MAX_PAGE_SIZE: usize = 100;

/// The URL parameter that selects values of a facet.
pub(crate) fn facet_parameter(facet: FacetField) -> &'static str {
    match facet {
        FacetField::AvailableNow => "available",
        other => other.name(),
    }
}

/// A search as its URL parameters say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchParams {
    pub query: String,
    pub filters: Vec<(FacetField, String)>,
    /// Publication year (an exact year, unlike the decade facet).
    pub year: Option<i64>,
    pub sort: SortOrder,
    /// One-based.
    pub page: usize,
    pub page_size: usize,
    pub view: Option<Code>,
}

pub(crate) fn sort_name(sort: SortOrder) -> &'static str {
    match sort {
        SortOrder::Relevance => "relevance",
        SortOrder::Title => "title",
        SortOrder::Author => "author",
        SortOrder::Date => "date",
        SortOrder::Added => "added",
    }
}

impl SearchParams {
    /// Reads `q`, facet parameters (repeatable), `year`, `sort`, `page`, `page_size` and `view`,
    /// reporting every bad one at once.
    pub(crate) fn parse(pairs: &[(String, String)]) -> ServiceResult<SearchParams> {
        let mut params = SearchParams {
            query: String::new(),
            filters: Vec::new(),
            year: None,
            sort: SortOrder::Relevance,
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            view: None,
        };
        let mut errors = Vec::new();
        for (name, value) in pairs {
            let value = value.trim();
            match name.as_str() {
                "q" => params.query = value.to_string(),
                "sort" => match value {
                    "" | "relevance" => params.sort = SortOrder::Relevance,
                    "title" => params.sort = SortOrder::Title,
                    "author" => params.sort = SortOrder::Author,
                    "date" => params.sort = SortOrder::Date,
                    "added" => params.sort = SortOrder::Added,
                    _ => errors.push(FieldError::new(
                        "sort",
                        "must be relevance, title, author, date or added",
                    )),
                },
                "page" => match value.parse::<usize>() {
                    Ok(page) if page >= 1 => params.page = page,
                    _ => errors.push(FieldError::new("page", "must be a whole number from 1")),
                },
                "page_size" => match value.parse::<usize>() {
                    Ok(size) if (1..=MAX_PAGE_SIZE).contains(&size) => params.page_size = size,
                    _ => errors.push(FieldError::new(
                        "page_size",
                        format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                    )),
                },
                "year" if !value.is_empty() => match value.parse::<i64>() {
                    Ok(year) => params.year = Some(year),
                    Err(_) => errors.push(FieldError::new("year", "must be a year such as 1999")),
                },
                "view" if !value.is_empty() => match Code::parse("view", value) {
                    Ok(code) => params.view = Some(code),
                    Err(error) => errors.push(error),
                },
                "available" => match available_filter(value) {
                    Ok(Some(value)) => {
                        if !params
                            .filters
                            .contains(&(FacetField::AvailableNow, value.clone()))
                        {
                            params.filters.push((FacetField::AvailableNow, value));
                        }
                    }
                    Ok(None) => {}
                    Err(error) => errors.push(error),
                },
                other => {
                    if let Some(facet) =
                        FacetField::filters().find(|facet| facet_parameter(*facet) == other)
                        && !value.is_empty()
                        && !params
                            .filters
                            .iter()
                            .any(|(f, v)| *f == facet && v == value)
                    {
                        params.filters.push((facet, value.to_string()));
                    }
                }
            }
        }
        if params.page.saturating_mul(params.page_size) > MAX_RESULT_WINDOW {
            errors.push(FieldError::new(
                "page",
                format!(
                    "only the first {MAX_RESULT_WINDOW} results can be paged to; narrow the search with more words or a facet"
                ),
            ));
        }
        if errors.is_empty() {
            Ok(params)
        } else {
            Err(ServiceError::invalid(errors))
        }
    }

    /// The request for the search crate.
    pub(crate) fn request(&self) -> SearchRequest {
        let mut request = SearchRequest::new(self.query.clone());
        request.filters = self.filters.clone();
        if let Some(year) = self.year {
            request.fielded.push(("year".into(), year.to_string()));
        }
        request.view = self.view.clone();
        request.sort = self.sort;
        request.page = self.page - 1;
        request.page_size = self.page_size;
        request.facet_limit = 20;
        request
    }

    /// The URL parameters of this search (without `view`, which the pages carry in the path).
    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if !self.query.is_empty() {
            pairs.push(("q", self.query.clone()));
        }
        for (facet, value) in &self.filters {
            pairs.push((facet_parameter(*facet), value.clone()));
        }
        if let Some(year) = self.year {
            pairs.push(("year", year.to_string()));
        }
        if self.sort != SortOrder::Relevance {
            pairs.push(("sort", sort_name(self.sort).to_string()));
        }
        if self.page != 1 {
            pairs.push(("page", self.page.to_string()));
        }
        if self.page_size != DEFAULT_PAGE_SIZE {
            pairs.push(("page_size", self.page_size.to_string()));
        }
        pairs
    }
}

/// The `available` parameter's narrowing: on the shelf now anywhere (`true`, [`AVAILABLE`]), or
/// at a member (its code); none for `false` or nothing. The words are lower case, as codes are
/// not: a facet link to a member coded `TRUE` writes `available=TRUE`.
fn available_filter(value: &str) -> Result<Option<String>, FieldError> {
    let is = |words: &[&str]| words.contains(&value);
    if is(&["", "0", "false", "no"]) {
        Ok(None)
    } else if is(&["1", "true", "yes", AVAILABLE]) {
        Ok(Some(AVAILABLE.to_owned()))
    } else {
        Code::parse("available", value)
            .map(|code| Some(code.to_string()))
            .map_err(|_| FieldError::new("available", "must be true or a member's code"))
    }
}

/// `name=value&…` with values percent-encoded.
pub(crate) fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) use concord_domain::percent::percent_encode;

// ----- wire types -----

#[derive(Serialize)]
struct SearchResultsView {
    total: u64,
    page: usize,
    page_size: usize,
    hits: Vec<HitView>,
    facets: BTreeMap<&'static str, Vec<FacetValueView>>,
    /// "Did you mean", for a search that found next to nothing.
    suggestion: Option<SuggestionView>,
}

#[derive(Serialize)]
struct SuggestionView {
    q: String,
    total: u64,
}

#[derive(Serialize)]
struct HitView {
    id: String,
    title: String,
    author: Option<String>,
    year: Option<i64>,
    format: String,
    /// The MARC code of the language it is in, when the record says.
    language: Option<String>,
    holdings: Vec<HitHoldingsView>,
    /// When the bib, or its newest copy every member may see, was added (RFC 3339, UTC); sorted
    /// by added with one member selected, when that member added its newest copy.
    added: Option<String>,
}

#[derive(Serialize)]
struct HitHoldingsView {
    member: String,
    items: u32,
    available: u32,
    branches: Vec<HitBranchView>,
}

#[derive(Serialize)]
struct HitBranchView {
    branch: String,
    items: u32,
    available: u32,
    call_number: Option<String>,
}

#[derive(Serialize)]
struct FacetValueView {
    value: String,
    count: u64,
    /// Holdings facets only: the copies the view sees that give the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    copies: Option<u64>,
}

fn results_view(params: &SearchParams, response: SearchResponse) -> SearchResultsView {
    SearchResultsView {
        total: response.total,
        page: params.page,
        page_size: params.page_size,
        hits: response
            .hits
            .into_iter()
            .map(|hit| HitView {
                id: hit.bib_id.to_string(),
                title: hit.title,
                author: hit.author,
                year: hit.year,
                format: hit.format,
                language: hit.language,
                added: hit.added.map(utc_timestamp),
                holdings: hit
                    .holdings
                    .into_iter()
                    .map(|h| HitHoldingsView {
                        member: h.member,
                        items: h.total,
                        available: h.available,
                        branches: h
                            .branches
                            .into_iter()
                            .map(|b| HitBranchView {
                                branch: b.branch,
                                items: b.total,
                                available: b.available,
                                call_number: b.call_number,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        facets: response
            .facets
            .into_iter()
            .map(|(facet, counts)| {
                (
                    facet.name(),
                    counts
                        .into_iter()
                        .map(|c| FacetValueView {
                            value: c.value,
                            count: c.count,
                            copies: c.copies,
                        })
                        .collect(),
                )
            })
            .collect(),
        suggestion: response.suggestion.map(|suggestion| SuggestionView {
            q: suggestion.query,
            total: suggestion.total,
        }),
    }
}

async fn search_json(
    State(state): State<SharedState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Json<SearchResultsView>> {
    let params = SearchParams::parse(&pairs)?;
    let response = search::search(&state.ctx, params.request()).await?;
    Ok(Json(results_view(&params, response)))
}

#[derive(Serialize)]
struct RecordView {
    id: String,
    title: String,
    /// The title as the record gives it in its own script (from the 880 linked to the 245).
    #[serde(skip_serializing_if = "Option::is_none")]
    title_in_own_script: Option<String>,
    authors: Vec<String>,
    year: Option<i64>,
    format: &'static str,
    /// The main language, as a MARC code.
    language: Option<String>,
    /// Every language of the text or of what is sung or spoken, the main one first.
    languages: Vec<String>,
    /// The languages it was translated from.
    original_languages: Vec<String>,
    publishers: Vec<String>,
    subjects: Vec<String>,
    series: Vec<String>,
    isbns: Vec<String>,
    issns: Vec<String>,
    holdings: Vec<MemberHoldingsView>,
    /// Responsibility, uniform title, editions, publication, physical description,
    /// summaries, contents, notes and links online, as the record gives them.
    #[serde(flatten)]
    description: concord_search::Description,
    /// The record cited in APA, MLA and Chicago style, as plain text (titles in italics on
    /// the record page).
    citations: std::collections::BTreeMap<&'static str, String>,
    /// Other editions and formats of the work that the view sees, the newest first.
    other_editions: Vec<EditionView>,
    links: RecordLinks,
    /// Present when the stored MARC record cannot be read: what is wrong with it. The record
    /// then shows what the catalogue keeps beside it (title, main author, year, copies), and
    /// its exports are refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    unreadable_marc: Option<String>,
}

#[derive(Serialize)]
struct EditionView {
    id: String,
    title: String,
    year: Option<i64>,
    format: String,
}

#[derive(Serialize)]
struct MemberHoldingsView {
    member: String,
    member_name: String,
    branches: Vec<BranchHoldingsView>,
}

#[derive(Serialize)]
struct BranchHoldingsView {
    branch: String,
    branch_name: String,
    items: Vec<PublicItemView>,
}

#[derive(Serialize)]
struct PublicItemView {
    /// The item's id: the shelf around it is `/api/v1/shelf/{id}`.
    id: String,
    /// The shelving location's name (its code when unnamed), when the copy has one.
    location: Option<String>,
    call_number: String,
    status: &'static str,
    due: Option<String>,
}

/// The record's permalink and its exports. The exports are left out when the stored MARC
/// record cannot be read, as each is made from it and would only answer 409.
#[derive(Serialize)]
struct RecordLinks {
    permalink: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    marcxml: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ris: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bibtex: Option<String>,
}

fn record_view(record: &PublicRecord, editions: &[SearchHit]) -> RecordView {
    let document = &record.document;
    let description = record.description();
    let permalink = format!("/record/{}", record.bib.id);
    let export = |extension: &str| {
        record
            .record
            .is_ok()
            .then(|| format!("{permalink}.{extension}"))
    };
    RecordView {
        id: record.bib.id.to_string(),
        title: document.title.clone(),
        title_in_own_script: record.title_in_own_script(),
        authors: document.authors.clone(),
        year: document.publication_year,
        format: document.format.code(),
        language: document.language.clone(),
        languages: document.languages.clone(),
        original_languages: document.original_languages.clone(),
        publishers: document.publishers.clone(),
        subjects: document.subjects.clone(),
        series: document.series.clone(),
        isbns: document.isbns.clone(),
        issns: document.issns.clone(),
        holdings: record
            .holdings
            .iter()
            .map(|member| MemberHoldingsView {
                member: member.member.code.to_string(),
                member_name: member.member.branding.display_name.clone(),
                branches: member
                    .branches
                    .iter()
                    .map(|branch| BranchHoldingsView {
                        branch: branch.branch.code.to_string(),
                        branch_name: branch.branch.name.clone(),
                        items: branch
                            .items
                            .iter()
                            .map(|item| PublicItemView {
                                id: item.id.to_string(),
                                location: item.location.clone(),
                                call_number: item.call_number.clone(),
                                status: item.status.as_str(),
                                due: item.due.map(|date| date.to_string()),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        citations: concord_search::styles::Style::ALL
            .into_iter()
            .map(|style| {
                let runs = concord_search::styles::cite(document, &description, style);
                (style.key(), concord_search::styles::plain_text(&runs))
            })
            .collect(),
        description,
        other_editions: editions
            .iter()
            .map(|edition| EditionView {
                id: edition.bib_id.to_string(),
                title: edition.title.clone(),
                year: edition.year,
                format: edition.format.clone(),
            })
            .collect(),
        links: RecordLinks {
            marcxml: export("xml"),
            ris: export("ris"),
            bibtex: export("bib"),
            permalink,
        },
        unreadable_marc: record
            .record
            .as_ref()
            .err()
            .map(|unreadable| unreadable.problem.clone()),
    }
}

/// Parses a bib id from a path segment; a malformed id is a record that does not exist.
/// The member whose view the `view` parameter names, if any: not found when it names none.
pub(crate) async fn view_parameter(
    state: &SharedState,
    pairs: &[(String, String)],
) -> ServiceResult<Option<Code>> {
    let code = pairs
        .iter()
        .find(|(key, _)| key == "view")
        .map(|(_, code)| code.as_str());
    Ok(search::view_of(&state.ctx, code)
        .await?
        .map(|member| member.code))
}

pub(crate) fn bib_id(raw: &str) -> ServiceResult<BibId> {
    raw.parse::<i64>()
        .map(BibId)
        .map_err(|_| ServiceError::new(ErrorCode::NotFound, format!("There is no record {raw}.")))
}

async fn record_json(
    State(state): State<SharedState>,
    Path(raw): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let params = SearchParams::parse(&pairs)?;
    let id = bib_id(&raw)?;
    let record = match search::public_record(&state.ctx, id, params.view.as_ref()).await {
        Ok(record) => record,
        // A record merged into another is at that one now.
        Err(error) => {
            let kept = search::moved_to(&state.ctx, id, error).await?;
            let view = params
                .view
                .as_ref()
                .map(|code| format!("?view={code}"))
                .unwrap_or_default();
            let target = format!("/api/v1/records/{kept}{view}");
            return Ok(Redirect::permanent(&target).into_response());
        }
    };
    let editions = search::other_editions(&state.ctx, &record, params.view.as_ref()).await?;
    Ok(Json(record_view(&record, &editions)).into_response())
}

/// Copies shown either side of the one a shelf is browsed from, unless asked otherwise, and the
/// most asked for.
const SHELF_EACH_SIDE: usize = 6;
const SHELF_MOST_EACH_SIDE: usize = 50;

/// A stretch of a branch's shelf, as `/api/v1/shelf/{item}` answers.
#[derive(Serialize)]
struct ShelfView {
    branch: String,
    branch_name: String,
    member: String,
    member_name: String,
    /// The copies before it, in shelf order.
    before: Vec<ShelfItemView>,
    at: ShelfItemView,
    /// The copies after it, in shelf order.
    after: Vec<ShelfItemView>,
    more_before: bool,
    more_after: bool,
}

#[derive(Serialize)]
struct ShelfItemView {
    item: String,
    record: String,
    /// The shelving location's name (its code when unnamed), when the copy has one.
    location: Option<String>,
    call_number: String,
    status: &'static str,
    /// YYYY-MM-DD for items on loan.
    due: Option<String>,
    title: String,
    author: String,
}

impl ShelfItemView {
    fn of(item: &concord_store::catalogue::ShelfItem, stretch: &ShelfStretch) -> ShelfItemView {
        ShelfItemView {
            item: item.item_id.to_string(),
            record: item.bib_id.to_string(),
            location: stretch.locations.get(&item.item_id).cloned(),
            call_number: item.call_number.clone(),
            status: item.status.as_str(),
            due: stretch.due.get(&item.item_id).map(ToString::to_string),
            title: item.title.clone(),
            author: item.author.clone(),
        }
    }
}

async fn shelf_json(
    State(state): State<SharedState>,
    Path(raw): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<ShelfView>, ApiError> {
    let view = view_parameter(&state, &pairs).await?;
    let each_side = match pairs.iter().find(|(key, _)| key == "each_side") {
        None => SHELF_EACH_SIDE,
        Some((_, raw)) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=SHELF_MOST_EACH_SIDE).contains(n))
            .ok_or_else(|| {
                ServiceError::field(
                    "each_side",
                    format!("must be a whole number from 1 to {SHELF_MOST_EACH_SIDE}"),
                )
            })?,
    };
    let id = super::shelf_pages::item_id(&raw)?;
    let stretch = search::shelf(&state.ctx, id, view.as_ref(), each_side).await?;
    Ok(Json(ShelfView {
        branch: stretch.branch.code.to_string(),
        branch_name: stretch.branch.name.clone(),
        member: stretch.member.code.to_string(),
        member_name: stretch.member.branding.display_name.clone(),
        before: stretch
            .before
            .iter()
            .map(|item| ShelfItemView::of(item, &stretch))
            .collect(),
        at: ShelfItemView::of(&stretch.at, &stretch),
        after: stretch
            .after
            .iter()
            .map(|item| ShelfItemView::of(item, &stretch))
            .collect(),
        more_before: stretch.more_before,
        more_after: stretch.more_after,
    }))
}

// ----- exports -----

/// The export formats of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExportFormat {
    MarcXml,
    Ris,
    BibTex,
}

impl ExportFormat {
    /// From a file extension or a `format=` value.
    pub(crate) fn from_name(name: &str) -> Option<ExportFormat> {
        match name {
            "xml" | "marcxml" => Some(ExportFormat::MarcXml),
            "ris" => Some(ExportFormat::Ris),
            "bib" | "bibtex" => Some(ExportFormat::BibTex),
            _ => None,
        }
    }
}

/// The record in an export format, with its content type; refused (`record_unreadable`) when
/// the stored MARC record cannot be read, as every format is made from it.
pub(crate) fn export(
    record: &PublicRecord,
    format: ExportFormat,
    permalink: &str,
) -> ServiceResult<Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let marc = record
        .record
        .as_ref()
        .map_err(|unreadable| unreadable.error())?;
    let (content_type, body, extension) = match format {
        ExportFormat::MarcXml => (
            "application/marcxml+xml; charset=utf-8",
            concord_marc::to_marcxml(marc),
            "xml",
        ),
        ExportFormat::Ris => (
            "application/x-research-info-systems; charset=utf-8",
            concord_search::citation::to_ris(&record.document, &record.description(), permalink),
            "ris",
        ),
        ExportFormat::BibTex => (
            "application/x-bibtex; charset=utf-8",
            concord_search::citation::to_bibtex(&record.document, &record.description(), permalink),
            "bib",
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"record-{}.{extension}\"", record.bib.id),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Query parameters as the extractor gives them.
    pub(crate) fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
        raw.iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn parameters_parse_and_round_trip() {
        let params = SearchParams::parse(&pairs(&[
            ("q", "Müller & sons"),
            ("format", "book"),
            ("format", "dvd"),
            ("available", "true"),
            ("sort", "date"),
            ("page", "2"),
        ]))
        .unwrap();
        assert_eq!(params.filters.len(), 3);
        assert_eq!(params.sort, SortOrder::Date);
        let text = query_string(&params.pairs());
        assert_eq!(
            text,
            "q=M%C3%BCller%20%26%20sons&format=book&format=dvd&available=available&sort=date&page=2"
        );
    }

    #[test]
    fn available_narrows_to_a_shelf_anywhere_or_at_a_member() {
        let filters = |value: &str| {
            SearchParams::parse(&pairs(&[("available", value)])).map(|params| params.filters)
        };
        let anywhere = vec![(FacetField::AvailableNow, AVAILABLE.to_owned())];
        for value in ["true", "1", "yes", "available"] {
            assert_eq!(filters(value).unwrap(), anywhere, "{value}");
        }
        // A member may be coded like one of those words; its links write its code.
        assert_eq!(
            filters("TRUE").unwrap(),
            [(FacetField::AvailableNow, "TRUE".to_owned())]
        );
        for value in ["false", "0", "no", ""] {
            assert_eq!(filters(value).unwrap(), [], "{value}");
        }
        assert_eq!(
            filters("river").unwrap(),
            [(FacetField::AvailableNow, "RIVER".to_owned())]
        );
        let both =
            SearchParams::parse(&pairs(&[("available", "RIVER"), ("available", "true")])).unwrap();
        assert_eq!(
            query_string(&both.pairs()),
            "available=RIVER&available=available"
        );
        let error = filters("not a member").unwrap_err();
        assert_eq!(error.fields[0].field, "available", "{error:?}");
        assert!(error.fields[0].reason.contains("member"), "{error:?}");
    }

    #[test]
    fn bad_parameters_are_all_reported() {
        let error = SearchParams::parse(&pairs(&[
            ("sort", "sideways"),
            ("page", "0"),
            ("page_size", "1000"),
        ]))
        .unwrap_err();
        assert_eq!(error.fields.len(), 3, "{error:?}");
    }

    #[test]
    fn pages_reach_the_first_ten_thousand_results() {
        let last = SearchParams::parse(&pairs(&[("page", "100"), ("page_size", "100")]));
        assert!(last.is_ok());
        for (page, size) in [
            ("101", "100"),
            ("501", "20"),
            ("18446744073709551615", "100"),
        ] {
            let error =
                SearchParams::parse(&pairs(&[("page", page), ("page_size", size)])).unwrap_err();
            assert_eq!(error.fields.len(), 1, "{error:?}");
            assert_eq!(error.fields[0].field, "page");
            assert!(error.fields[0].reason.contains("10000"), "{error:?}");
        }
    }
}
