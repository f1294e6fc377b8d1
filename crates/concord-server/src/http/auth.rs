//! Who is asking: a bearer token (integrations) or a session cookie (people), resolved once per
//! request; and the anti-forgery check for state-changing requests carried by a cookie.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use concord_domain::ErrorCode;
use concord_domain::auth::Principal;

use super::SharedState;
use crate::service::{ServiceError, accounts};

pub const SESSION_COOKIE: &str = "concord_session";

/// How the principal was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Anonymous,
    Cookie,
    Bearer,
}

/// The resolved identity of a request, available to every handler.
#[derive(Debug, Clone)]
pub struct Auth {
    pub principal: Option<Principal>,
    pub via: Via,
    /// The session's anti-forgery token (cookie sessions only).
    pub csrf_token: Option<String>,
    /// The raw session token (for logout).
    pub session_token: Option<String>,
    /// The client's address, for login throttling.
    pub client: String,
    /// The negotiated interface language.
    pub lang: String,
}

impl Auth {
    /// The principal, or the "log in first" error.
    pub fn require(&self) -> Result<&Principal, ServiceError> {
        self.principal
            .as_ref()
            .ok_or_else(|| ServiceError::new(ErrorCode::Unauthenticated, "Log in first."))
    }

    /// Checks the anti-forgery token of a cookie-carried request. Bearer requests need none: a
    /// browser never adds an Authorization header on its own.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), ServiceError> {
        match (self.via, &self.csrf_token) {
            (Via::Cookie, Some(expected)) => match presented {
                Some(token) if crate::secrets::constant_time_eq(token, expected) => Ok(()),
                _ => Err(ServiceError::new(
                    ErrorCode::CsrfMismatch,
                    "This form has expired or did not come from Concord. Reload the page and try again.",
                )),
            },
            _ => Ok(()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Auth>().cloned().ok_or_else(|| {
            super::api::ApiError(ServiceError::internal("auth not resolved")).into_response()
        })
    }
}

pub(crate) fn cookie<'a>(parts_headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    parts_headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Middleware: resolves the principal and stores an [`Auth`] in the request.
pub(crate) async fn resolve(
    State(state): State<SharedState>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    let lang = state.messages.negotiate(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_string);
    let session_token = cookie(headers, SESSION_COOKIE).map(str::to_string);

    let mut auth = Auth {
        principal: None,
        via: Via::Anonymous,
        csrf_token: None,
        session_token: None,
        client,
        lang,
    };
    if let Some(token) = bearer {
        match accounts::api_token_principal(&state.ctx, &token).await {
            Ok(Some(principal)) => {
                auth.principal = Some(principal);
                auth.via = Via::Bearer;
            }
            Ok(None) => {
                return super::api::ApiError(ServiceError::new(
                    ErrorCode::Unauthenticated,
                    "The API token is unknown, expired or revoked.",
                ))
                .into_response();
            }
            Err(error) => return super::api::ApiError(error).into_response(),
        }
    } else if let Some(token) = session_token {
        match accounts::session(&state.ctx, &token).await {
            Ok(Some(session)) => {
                auth.principal = Some(session.principal);
                auth.via = Via::Cookie;
                auth.csrf_token = Some(session.csrf_token);
                auth.session_token = Some(token);
            }
            Ok(None) => {}
            Err(error) => return super::api::ApiError(error).into_response(),
        }
    }
    request.extensions_mut().insert(auth);
    state.site.refresh(&state.ctx).await;
    next.run(request).await
}
