//! Any search as an Atom feed (RFC 4287), as library catalogues offer them: a feed reader, or
//! a library's own web site, follows "new DVDs" (`sort=added&format=dvd`) or a subject, and
//! sees each bib as it comes. The feed is the first page of the search, in its order, with the
//! OpenSearch response elements (total, start, page size). Entries link to the record pages of
//! the same view.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use concord_domain::calendar::utc_timestamp;
use concord_domain::languages::language_tag;
use concord_domain::org::Member;
use concord_search::SearchHit;
use maud::{Markup, html};

use super::address::{no_host, origin, xml_response};
use super::auth::Auth;
use super::pages::{View, render};
use super::search_api::SearchParams;
use super::search_pages::{PlaceNames, base_path, format_key, search_url, view_url};
use super::{AppState, SharedState};
use crate::service::ServiceResult;
use crate::service::search;

const ATOM: &str = "http://www.w3.org/2005/Atom";
const OPENSEARCH: &str = "http://a9.com/-/spec/opensearch/1.1/";

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/search/feed", get(view_feed))
        .route("/m/{member}/search/feed", get(view_feed))
}

/// The feed of the search the parameters describe, in the view's path.
pub(crate) fn feed_url(member: Option<&Member>, params: &SearchParams) -> String {
    let mut first_page = params.clone();
    first_page.page = 1;
    view_url(member, "/search/feed", &first_page.pairs())
}

async fn feed(
    state: &AppState,
    auth: &Auth,
    headers: &HeaderMap,
    member_code: Option<&str>,
    pairs: &[(String, String)],
) -> ServiceResult<Response> {
    let Some(origin) = origin(headers, state.secure_cookies) else {
        return Ok(no_host());
    };
    let view = View::new(state, auth);
    let member = search::view_of(&state.ctx, member_code).await?;
    let member = member.as_ref();
    let mut params = SearchParams::parse(pairs)?;
    params.view = member.map(|m| m.code.clone());
    params.page = 1;
    let mut request = params.request();
    request.facets = Vec::new();
    let response = search::search(&state.ctx, request).await?;
    let names = PlaceNames::load(state, member).await?;
    let site = member.map_or_else(|| state.site.get(), |m| m.branding.display_name.clone());
    let title = if params.query.is_empty() {
        view.tf("feed.title_all", &[("site", &site)])
    } else {
        view.tf("feed.title", &[("query", &params.query), ("site", &site)])
    };
    // A feed changes when its newest entry does; one without dates, now.
    let updated = response
        .hits
        .iter()
        .filter_map(|hit| hit.added)
        .max()
        .unwrap_or_else(|| state.ctx.now());
    let results = format!("{origin}{}", search_url(member, &params));
    let base = base_path(member);
    let body = html! {
        feed xmlns=(ATOM) {
            id { (results) }
            title { (title) }
            updated { (utc_timestamp(updated)) }
            author { name { (site) } }
            link rel="self" type="application/atom+xml" href=(format!("{origin}{}", feed_url(member, &params))) {}
            link rel="alternate" type="text/html" href=(results) {}
            totalResults xmlns=(OPENSEARCH) { (response.total) }
            startIndex xmlns=(OPENSEARCH) { "1" }
            itemsPerPage xmlns=(OPENSEARCH) { (params.page_size) }
            @for hit in &response.hits {
                (entry(&view, &origin, &base, hit, updated, &names))
            }
        }
    };
    Ok(xml_response("application/atom+xml", 300, body))
}

/// One bib: its record page, title, author, and what and where it is.
fn entry(
    view: &View<'_>,
    origin: &str,
    base: &str,
    hit: &SearchHit,
    feed_updated: i64,
    names: &PlaceNames,
) -> Markup {
    let mut summary = vec![
        view.state
            .messages
            .get(&view.auth.lang, &format_key(&hit.format))
            .to_string(),
    ];
    if let Some(year) = hit.year {
        summary.push(year.to_string());
    }
    for holding in &hit.holdings {
        let library = names.member(&holding.member);
        summary.push(format!(
            "{library}: {}",
            view.tf(
                "search.available_of",
                &[
                    ("available", &holding.available.to_string()),
                    ("total", &holding.total.to_string()),
                ]
            )
        ));
    }
    // Empty elements are written open and shut (`<link …></link>`), as XML reads them.
    html! {
        entry {
            // The record's one address, whichever view the feed follows.
            id { (origin) "/record/" (hit.bib_id) }
            // A title in another language says which (the feed's own is its readers').
            title xml:lang=[hit.language.as_deref().and_then(language_tag)] { (hit.title) }
            link rel="alternate" type="text/html" href=(format!("{origin}{base}/record/{}", hit.bib_id)) {}
            updated { (utc_timestamp(hit.added.unwrap_or(feed_updated))) }
            @if let Some(author) = &hit.author {
                author { name { (author) } }
            }
            summary { (summary.join(" · ")) }
        }
    }
}

/// The consortium's feed of a search, or under `/m/{member}` the member's.
async fn view_feed(
    State(state): State<SharedState>,
    auth: Auth,
    headers: HeaderMap,
    member: Option<Path<String>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let member = member.map(|Path(member)| member);
    let result = feed(&state, &auth, &headers, member.as_deref(), &pairs).await;
    render(&state, &auth, result)
}
