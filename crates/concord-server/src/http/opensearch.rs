//! The OpenSearch description of the catalogue (and of each member's view), so that a browser
//! can offer it in its search bar, as library catalogues commonly do. Pages name it in a
//! `<link rel="search">`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{PreEscaped, html};

use super::SharedState;
use super::api::ApiResult;
use crate::service::search;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/opensearch.xml", get(consortium_description))
        .route("/m/{member}/opensearch.xml", get(member_description))
}

/// The address the client reached this server at: its `Host`, over HTTPS when a proxy in front
/// says so (`X-Forwarded-Proto`) or cookies are sent over HTTPS only.
fn origin(headers: &HeaderMap, secure_cookies: bool) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    if host.is_empty() || host.contains(['/', ' ', '"', '<', '>']) {
        return None;
    }
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
    let scheme = if forwarded_https || secure_cookies {
        "https"
    } else {
        "http"
    };
    Some(format!("{scheme}://{host}"))
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
    let api = format!("{origin}/api/v1/search?q={{searchTerms}}");
    let api = if base.is_empty() {
        api
    } else {
        format!("{api}&view={}", base.trim_start_matches("/m/"))
    };
    let body = html! {
        (PreEscaped("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"))
        OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/" {
            ShortName { (short_name(name)) }
            Description { "Search the catalogue of " (name) }
            InputEncoding { "UTF-8" }
            Url type="text/html" method="get" template=(search) {}
            Url type="application/json" method="get" template=(api) {}
        }
    };
    (
        [
            (
                header::CONTENT_TYPE,
                "application/opensearchdescription+xml; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            // The addresses come from these headers: a shared cache must not give one
            // client's answer to another that reached the server by another name.
            (header::VARY, "Host, X-Forwarded-Proto"),
        ],
        body.into_string(),
    )
        .into_response()
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

/// A description needs whole addresses, which a request without a `Host` does not give.
fn no_host() -> Response {
    (
        StatusCode::BAD_REQUEST,
        "The request names no Host, so the search addresses cannot be given.",
    )
        .into_response()
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

    #[test]
    fn the_origin_comes_from_the_host_and_the_proxy() {
        let mut headers = HeaderMap::new();
        assert_eq!(origin(&headers, false), None);
        headers.insert(header::HOST, "opac.example.org".parse().unwrap());
        assert_eq!(
            origin(&headers, false).as_deref(),
            Some("http://opac.example.org")
        );
        assert_eq!(
            origin(&headers, true).as_deref(),
            Some("https://opac.example.org")
        );
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(
            origin(&headers, false).as_deref(),
            Some("https://opac.example.org")
        );
        headers.insert(header::HOST, "evil.example/\"><x".parse().unwrap());
        assert_eq!(origin(&headers, false), None);
    }
}
