//! The whole addresses some answers must give (search descriptions, sitemaps, robots.txt), as
//! the client reached this server.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::Markup;

/// The address the client reached this server at: its `Host`, over HTTPS when a proxy in front
/// says so (`X-Forwarded-Proto`) or cookies are sent over HTTPS only.
pub(super) fn origin(headers: &HeaderMap, secure_cookies: bool) -> Option<String> {
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

/// An XML document of whole addresses (`content_type` without its charset), cacheable for
/// `max_age` seconds. The addresses come from the request's `Host` and `X-Forwarded-Proto`, so a
/// shared cache must not give one client's answer to another that reached the server by another
/// name.
pub(super) fn xml_response(content_type: &str, max_age: u32, body: Markup) -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                format!("{content_type}; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, format!("public, max-age={max_age}")),
            (header::VARY, "Host, X-Forwarded-Proto".to_string()),
        ],
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
            body.into_string()
        ),
    )
        .into_response()
}

/// An answer of whole addresses, to a request that names no `Host` to build them from.
pub(super) fn no_host() -> Response {
    (
        StatusCode::BAD_REQUEST,
        "The request names no Host, so no whole address can be given.",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

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
