//! The OpenSearch description of the catalogue (and of each member's view), so that a browser
//! can offer it in its search bar, as library catalogues commonly do. Pages name it in a
//! `<link rel="search">`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use maud::html;

use super::SharedState;
use super::address::{no_host, origin, xml_response};
use super::api::ApiResult;
use crate::service::search;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/opensearch.xml", get(consortium_description))
        .route("/m/{member}/opensearch.xml", get(member_description))
}

/// At most 16 characters, as OpenSearch's `ShortName` must be.
fn short_name(name: &str) -> String {
    name.chars()
        .take(16)
        .collect::<String>()
        .trim_end()
        .to_string()
}

fn description(name: &str, origin: &str, base: &str) -> Response {
    let search = format!("{origin}{base}/search?q={{searchTerms}}");
    let feed = format!("{origin}{base}/search/feed?q={{searchTerms}}");
    let api = format!("{origin}/api/v1/search?q={{searchTerms}}");
    let api = if base.is_empty() {
        api
    } else {
        format!("{api}&view={}", base.trim_start_matches("/m/"))
    };
    let body = html! {
        OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/" {
            ShortName { (short_name(name)) }
            Description { "Search the catalogue of " (name) }
            InputEncoding { "UTF-8" }
            Url type="text/html" method="get" template=(search) {}
            Url type="application/json" method="get" template=(api) {}
            Url type="application/atom+xml" method="get" template=(feed) {}
        }
    };
    xml_response("application/opensearchdescription+xml", 3600, body)
}

async fn consortium_description(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    match origin(&headers, state.secure_cookies) {
        Some(origin) => description(&state.site.get(), &origin, ""),
        None => no_host(),
    }
}

async fn member_description(
    State(state): State<SharedState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let member = search::member_view(&state.ctx, &code).await?;
    Ok(match origin(&headers, state.secure_cookies) {
        Some(origin) => description(
            &member.branding.display_name,
            &origin,
            &format!("/m/{}", member.code),
        ),
        None => no_host(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_fit_sixteen_characters() {
        assert_eq!(
            short_name("Three Rivers Library Consortium"),
            "Three Rivers Lib"
        );
        assert_eq!(short_name("Shire Libraries"), "Shire Libraries");
        assert_eq!(
            short_name("Bibliothèque de l'Université"),
            "Bibliothèque de"
        );
    }
}
