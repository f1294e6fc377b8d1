//! The use cases. One function per action, called by every transport; each checks permission,
//! applies the rules and writes in one store transaction together with its audit entry.

pub mod accounts;
pub mod audit;
pub mod catalogue;
pub mod circulation;
pub mod demo;
pub mod desk_settings;
pub mod org;
pub mod orgfile;
pub mod patrons;
pub mod policies;
pub mod search;

use concord_domain::audit::AuditRecord;
use concord_domain::auth::{Principal, Refusal};
use concord_domain::circulation::Block;
use concord_domain::ids::{AuditId, MemberId};
use concord_domain::{ErrorCode, FieldError};
use concord_store::{StoreError, WriteTx};
use serde::Serialize;

use crate::Context;

/// Why a service refused or failed: a code from the shared table, words for a person, and for bad
/// input every field that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ServiceError {
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<FieldError>,
    /// For throttled logins: seconds until the next try is accepted.
    pub retry_after: Option<i64>,
    /// For a refused checkout or renewal ([`ErrorCode::Blocked`]): every reason, as data.
    pub blocks: Vec<Block>,
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ServiceError {
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
            blocks: Vec::new(),
        }
    }

    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let message = match fields.as_slice() {
            [one] => one.to_string(),
            _ => format!("{} fields are not valid", fields.len()),
        };
        ServiceError {
            code: ErrorCode::InvalidInput,
            message,
            fields,
            retry_after: None,
            blocks: Vec::new(),
        }
    }

    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        ServiceError::invalid(vec![FieldError::new(field, reason)])
    }

    /// A checkout or renewal refused for these reasons.
    pub fn blocked(blocks: Vec<Block>) -> Self {
        let codes: Vec<&str> = blocks.iter().map(Block::code).collect();
        ServiceError {
            blocks,
            ..ServiceError::new(
                ErrorCode::Blocked,
                format!("This cannot go ahead: {}.", codes.join(", ")),
            )
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ServiceError::new(
            ErrorCode::NotFound,
            format!("{} was not found", what.into()),
        )
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        tracing::error!(%detail, "internal error");
        ServiceError::new(
            ErrorCode::Internal,
            "Something went wrong inside Concord; the server log has the details.",
        )
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Duplicate { what } => {
                ServiceError::new(ErrorCode::Duplicate, format!("{what} is already taken"))
            }
            StoreError::Database(sqlx_error) => {
                tracing::error!(error = %sqlx_error, "database error");
                ServiceError::new(
                    ErrorCode::Unavailable,
                    "The database did not answer; try again in a moment.",
                )
            }
            other => ServiceError::internal(other.to_string()),
        }
    }
}

impl From<Refusal> for ServiceError {
    fn from(refusal: Refusal) -> Self {
        ServiceError::new(ErrorCode::Forbidden, refusal.message)
    }
}

impl From<Vec<FieldError>> for ServiceError {
    fn from(fields: Vec<FieldError>) -> Self {
        ServiceError::invalid(fields)
    }
}

impl From<FieldError> for ServiceError {
    fn from(field: FieldError) -> Self {
        ServiceError::invalid(vec![field])
    }
}

/// One change about to be written to the audit log with the change itself.
pub(crate) struct Change<'a, T: Serialize> {
    pub action: &'a str,
    pub entity_kind: &'a str,
    pub entity_id: String,
    pub member: Option<MemberId>,
    pub before: Option<&'a T>,
    pub after: Option<&'a T>,
    pub reason: Option<&'a str>,
}

/// Appends an audit entry inside the transaction that makes the change.
pub(crate) async fn audit<T: Serialize>(
    ctx: &Context,
    tx: &mut WriteTx,
    who: &Principal,
    change: Change<'_, T>,
) -> ServiceResult<()> {
    let to_json = |value: Option<&T>| -> ServiceResult<Option<String>> {
        value
            .map(|v| serde_json::to_string(v).map_err(|e| ServiceError::internal(e.to_string())))
            .transpose()
    };
    let record = AuditRecord {
        actor: who.label(),
        action: change.action.to_string(),
        entity_kind: change.entity_kind.to_string(),
        entity_id: change.entity_id,
        member_id: change.member,
        before: to_json(change.before)?,
        after: to_json(change.after)?,
        reason: change.reason.map(str::to_string),
    };
    concord_store::audit::append(&mut *tx, AuditId(ctx.new_id()), ctx.now(), &record).await?;
    Ok(())
}
