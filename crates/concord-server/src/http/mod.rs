//! The HTTP transport: routing, the request pipeline (request ids, tracing, who is asking), and the
//! translation of service errors into responses. `api` speaks JSON, `pages` speaks HTML.

mod address;
mod advanced_search;
pub mod api;
mod auth;
mod browse_pages;
pub mod catalogue_api;
pub mod catalogue_pages;
pub mod circulation_api;
pub mod desk_pages;
mod feeds;
mod linked_data;
pub mod openapi;
mod opensearch;
pub mod pages;
pub mod patron_api;
pub mod patron_pages;
pub mod policy_pages;
mod script;
pub mod search_api;
pub mod search_pages;
mod shelf_pages;
mod sitemap;
mod style;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

pub use auth::{Auth, SESSION_COOKIE};

use crate::Context;
use crate::i18n::Messages;

/// How long a server shows the consortium's name as it last read it before reading it again, in
/// milliseconds (a rename through this server shows at once; through another server, within
/// this time).
const SITE_NAME_FRESH_MS: i64 = 5_000;

/// The consortium's name for the pages' headers and titles, read from the store at most every
/// [`SITE_NAME_FRESH_MS`] as requests come in.
#[derive(Debug, Default)]
pub struct SiteName {
    /// When (the clock's Unix milliseconds) the name was read, and the name.
    current: std::sync::Mutex<Option<(i64, String)>>,
}

impl SiteName {
    /// The name as last read ("Concord" before the consortium is set up).
    pub(crate) fn get(&self) -> String {
        self.lock()
            .as_ref()
            .map_or_else(|| "Concord".to_string(), |(_, name)| name.clone())
    }

    /// Reads the name again when the copy is older than [`SITE_NAME_FRESH_MS`] (or forgotten).
    pub(crate) async fn refresh(&self, ctx: &Context) {
        let now = ctx.clock.now_unix_ms();
        let fresh = self
            .lock()
            .as_ref()
            .is_some_and(|(read, _)| (0..SITE_NAME_FRESH_MS).contains(&(now - read)));
        if fresh {
            return;
        }
        match crate::service::org::consortium(ctx).await {
            Ok(settings) => *self.lock() = Some((now, settings.name)),
            Err(error) => {
                // Keep the name as it was, and try again only when it is due again.
                tracing::warn!(%error, "cannot read the consortium's name");
                let name = self.get();
                *self.lock() = Some((now, name));
            }
        }
    }

    /// Forgets the copy, so that the next request reads the name again (after a change).
    pub(crate) fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(i64, String)>> {
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What every handler can reach.
pub struct AppState {
    pub ctx: Arc<Context>,
    pub messages: Messages,
    pub secure_cookies: bool,
    /// The consortium's name, as the pages show it.
    pub site: SiteName,
    /// The answers to the searches pages run over a whole view, kept a minute.
    pub view_answers: search_pages::ViewAnswers,
}

pub type SharedState = Arc<AppState>;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids: a per-process random prefix and a counter, short enough to read in a log line.
#[derive(Clone)]
struct RequestIds {
    prefix: u32,
    counter: Arc<AtomicU64>,
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:08x}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// The whole application as a router.
pub fn router(state: SharedState) -> Router {
    let ids = RequestIds {
        prefix: rand::random(),
        counter: Arc::new(AtomicU64::new(1)),
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/openapi.json", get(openapi::serve))
        .merge(api::routes())
        .merge(pages::routes())
        .merge(catalogue_api::routes())
        .merge(patron_api::routes())
        .merge(patron_pages::routes())
        .merge(policy_pages::routes())
        .merge(circulation_api::routes())
        .merge(desk_pages::routes())
        .merge(catalogue_pages::routes())
        .merge(search_api::routes())
        .merge(opensearch::routes())
        .merge(sitemap::routes())
        .merge(shelf_pages::routes())
        .merge(browse_pages::routes())
        .merge(feeds::routes())
        .merge(search_pages::routes())
        .merge(advanced_search::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::resolve,
        ))
        .layer(DefaultBodyLimit::max(16 * 1024 * 1024))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!(
                    "request",
                    request_id = %request_id,
                    method = %request.method(),
                    path = %request.uri().path(),
                )
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, ids))
        .with_state(state)
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the store answers too.
async fn readyz(State(state): State<SharedState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.ctx.store.ping()).await {
        Ok(Ok(())) => {
            // Ready to serve; the search index reports how far it has followed the change log.
            let search = crate::service::search::status(&state.ctx).await.ok();
            (
                StatusCode::OK,
                Json(serde_json::json!({"status": "ready", "search": search})),
            )
                .into_response()
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "store unavailable"})),
            )
                .into_response()
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "store timed out"})),
        )
            .into_response(),
    }
}

async fn not_found(
    State(state): State<SharedState>,
    auth: Auth,
    request: Request<axum::body::Body>,
) -> Response {
    let reads = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    if let Some(to) = without_trailing_slash(request.uri()).filter(|_| reads) {
        return axum::response::Redirect::permanent(&to).into_response();
    }
    let error = crate::ServiceError::new(
        concord_domain::ErrorCode::NotFound,
        "There is no such page.",
    );
    if request.uri().path().starts_with("/api/") {
        api::ApiError(error).into_response()
    } else {
        pages::error_page(&state, &auth, &error)
    }
}

/// Where a path that no route takes leads without its trailing slashes (`/m/RIVER/` is
/// `/m/RIVER`, as people type and paste addresses), its query kept. `None` when it has none, or
/// when what is left would name another host (`//example.org/`, or `/\example.org/`, which
/// browsers read alike).
fn without_trailing_slash(uri: &axum::http::Uri) -> Option<String> {
    let path = uri.path();
    let trimmed = path.trim_end_matches('/');
    let elsewhere = matches!(trimmed.as_bytes().get(1), Some(b'/' | b'\\'));
    if trimmed.len() == path.len() || trimmed.is_empty() || elsewhere {
        return None;
    }
    Some(match uri.query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    })
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish. The search index
/// follows the catalogue's change log while it serves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: SharedState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let follower = crate::service::search::follow(Arc::clone(&state.ctx));
    let app = router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    follower.abort();
    served
}

#[cfg(test)]
mod tests {
    use super::without_trailing_slash;

    fn redirect(uri: &str) -> Option<String> {
        without_trailing_slash(&uri.parse().unwrap())
    }

    #[test]
    fn a_trailing_slash_leads_to_the_page_without_it() {
        assert_eq!(redirect("/m/RIVER/").as_deref(), Some("/m/RIVER"));
        assert_eq!(
            redirect("/search//?q=jazz").as_deref(),
            Some("/search?q=jazz")
        );
        assert_eq!(redirect("/m/RIVER"), None);
        assert_eq!(redirect("/"), None);
        assert_eq!(redirect("///"), None);
    }

    #[test]
    fn a_trailing_slash_never_leads_to_another_host() {
        assert_eq!(redirect("//example.org/"), None);
        assert_eq!(redirect("//example.org/x/"), None);
        // An escaped backslash stays escaped, and browsers keep it in the path.
        assert_eq!(
            redirect("/%5Cexample.org/").as_deref(),
            Some("/%5Cexample.org")
        );
        assert_eq!(redirect("/\\example.org/"), None);
    }
}
