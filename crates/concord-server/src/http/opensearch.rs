//! The OpenSearch description of the catalogue (and of each member's view), so that a browser
//! can offer it in its search bar, as library catalogues commonly do, with the headings that
//! begin with what is typed there as suggestions (OpenSearch suggestions: `[typed, [headings]]`).
//! Pages name it in a `<link rel="search">`.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use maud::html;

use super::SharedState;
use super::address::{no_host, origin, xml_response};
use super::api::ApiResult;
use crate::service::search;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/opensearch.xml", get(consortium_description))
        .route("/m/{member}/opensearch.xml", get(member_description))
        .route("/opensearch/suggest", get(suggestions))
        .route("/m/{member}/opensearch/suggest", get(suggestions))
}

/// Headings of each kind a browser's search bar is offered.
const SUGGESTED_PER_KIND: usize = 3;

/// The OpenSearch suggestions for `q` in the view: the typed text, then the headings that begin
/// with it (or that an authority record leads to from a form that does), authors, subjects and
/// series, the most titles first.
async fn suggestions(
    State(state): State<SharedState>,
    member: Option<Path<String>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let member = member.map(|Path(member)| member);
    let view = search::view_of(&state.ctx, member.as_deref())
        .await?
        .map(|member| member.code);
    let typed = pairs
        .iter()
        .find(|(name, _)| name == "q")
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default();
    let headings: Vec<String> = search::suggest(&state.ctx, &typed, view, SUGGESTED_PER_KIND)
        .await?
        .into_iter()
        .map(|suggestion| suggestion.text)
        .collect();
    let mut response = Json(serde_json::json!([typed, headings])).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/x-suggestions+json"),
    );
    Ok(response)
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
    let suggest = format!("{origin}{base}/opensearch/suggest?q={{searchTerms}}");
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
            Url type="application/x-suggestions+json" method="get" template=(suggest) {}
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
