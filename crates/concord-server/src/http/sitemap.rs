//! What crawlers are told: `robots.txt`, which keeps them to the front pages and record pages,
//! and the sitemaps it names, which list every record page the consortium's view shows, so
//! that the catalogue's records can be found from a web search.
//!
//! The bibs the consortium's view shows, in id order, are cut into lists of
//! [`RECORDS_PER_SITEMAP`], the most one sitemap may hold, each named by the first id it
//! lists: `records-ID.xml` lists that many from `ID` up. A name keeps a meaning as bibs come
//! and go (new bibs take higher ids, so the lists before them stay as they were). Read from
//! the search index: hidden copies are left out as a search leaves them out.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};

use super::SharedState;
use super::address::{no_host, origin, xml_response};
use super::api::ApiResult;
use crate::service::{ServiceError, org, search};

/// The most addresses one sitemap may hold (sitemaps.org).
pub const RECORDS_PER_SITEMAP: usize = 50_000;

const SITEMAP_NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/robots.txt", get(robots))
        .route("/sitemap.xml", get(sitemap_index))
        .route("/sitemaps/{file}", get(sitemap))
}

/// What crawlers may fetch: the front pages and record pages (one address per record, the
/// consortium's; a member view's copy of a record page names it as canonical), not searches,
/// whose facet and sort links are endless, nor the shelves, whose copies each lead to the next
/// (the record pages they list are in the sitemaps), nor accounts, staff pages or the API.
const ROBOTS: &str = "\
User-agent: *
Disallow: /search
Disallow: /m/*/search
Disallow: /shelf/
Disallow: /m/*/shelf/
Disallow: /browse
Disallow: /m/*/browse
Disallow: /m/*/record/
Disallow: /api/
Disallow: /account
Disallow: /admin
Disallow: /desk
Disallow: /login
Disallow: /logout
Disallow: /register
Allow: /record/
Allow: /m/
";

/// The rules, and where the sitemap is when the request says how it reached the server.
async fn robots(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    let mut body = ROBOTS.to_string();
    if let Some(origin) = origin(&headers, state.secure_cookies) {
        body.push_str(&format!("\nSitemap: {origin}/sitemap.xml\n"));
    }
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::VARY, "Host, X-Forwarded-Proto"),
        ],
        body,
    )
        .into_response()
}

/// The sitemap index: the libraries' front pages, then the record pages, 50,000 a sitemap.
async fn sitemap_index(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let Some(origin) = origin(&headers, state.secure_cookies) else {
        return Ok(no_host());
    };
    let starts = search::public_bib_id_starts(&state.ctx, RECORDS_PER_SITEMAP).await?;
    Ok(xml(html! {
        sitemapindex xmlns=(SITEMAP_NAMESPACE) {
            sitemap { loc { (origin) "/sitemaps/libraries.xml" } }
            @for start in starts {
                sitemap { loc { (origin) "/sitemaps/records-" (start) ".xml" } }
            }
        }
    }))
}

/// One sitemap: `libraries.xml` (the consortium's front page and each member's) or
/// `records-ID.xml` (50,000 record pages from bib id `ID` up).
async fn sitemap(
    State(state): State<SharedState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let Some(origin) = origin(&headers, state.secure_cookies) else {
        return Ok(no_host());
    };
    if file == "libraries.xml" {
        let members = org::list_members(&state.ctx).await?;
        return Ok(xml(url_set(
            std::iter::once(format!("{origin}/"))
                .chain(members.iter().map(|m| format!("{origin}/m/{}", m.code)))
                .map(|address| (address, None)),
        )));
    }
    let Some(first) = records_start(&file) else {
        return Err(not_found(&file).into());
    };
    let ids = search::public_bib_ids(&state.ctx, first, RECORDS_PER_SITEMAP).await?;
    // A sitemap must list at least one address.
    if ids.is_empty() {
        return Err(not_found(&file).into());
    }
    // Each record page's lastmod is when its record last changed: what the page describes.
    let changed = search::bibs_with_changes(&state.ctx, &ids).await?;
    Ok(xml(url_set(changed.into_iter().map(|(id, updated)| {
        (
            format!("{origin}/record/{id}"),
            Some(concord_domain::calendar::utc_timestamp(updated)),
        )
    }))))
}

/// The first bib id of `records-ID.xml`.
fn records_start(file: &str) -> Option<i64> {
    let number = file.strip_prefix("records-")?.strip_suffix(".xml")?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse().ok()
}

fn not_found(file: &str) -> ServiceError {
    ServiceError::not_found(format!("sitemap {file}"))
}

/// The addresses, each with its `lastmod` (a W3C date and time) when known.
fn url_set(addresses: impl Iterator<Item = (String, Option<String>)>) -> Markup {
    html! {
        urlset xmlns=(SITEMAP_NAMESPACE) {
            @for (address, changed) in addresses {
                url {
                    loc { (address) }
                    @if let Some(changed) = changed { lastmod { (changed) } }
                }
            }
        }
    }
}

fn xml(body: Markup) -> Response {
    xml_response("application/xml", 3600, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sitemaps_are_named_by_their_first_id() {
        assert_eq!(records_start("records-0.xml"), Some(0));
        assert_eq!(
            records_start("records-5042827684987.xml"),
            Some(5_042_827_684_987)
        );
        for name in [
            "records-.xml",
            "records--1.xml",
            "records-+1.xml",
            "records-1.txt",
            "records-1",
            "libraries.xml",
            "records-99999999999999999999.xml",
        ] {
            assert_eq!(records_start(name), None, "{name}");
        }
    }
}
