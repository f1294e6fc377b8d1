//! Concord's use cases and the transports that carry them: services, the HTTP API and HTML pages.
//!
//! **Boundary:** transports (`http::api`, `http::pages`, the CLI in the `concord` binary) only
//! translate; every use case is one function in [`service`], which checks permissions with
//! `concord_domain::auth::authorise`, runs the rules, and writes through one store transaction.

// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "512"]

pub mod clock;
pub mod context;
pub mod http;
pub mod i18n;
pub mod secrets;
pub mod service;
pub mod settings;

pub use context::Context;
pub use service::{ServiceError, ServiceResult};
