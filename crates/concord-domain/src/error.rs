//! The one table of error codes shared by the API, the HTML pages and (later) SIP2 screen messages.
//!
//! A refusal a librarian must see is data: a code, and for bad input the field and the reason. Each
//! transport turns a code into its own form (an HTTP status, a page message, a SIP2 screen message),
//! and the text comes from the message catalogue under the key `error.<code>`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Every reason Concord refuses a request. The string form is stable: clients may match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Input failed validation; the field errors say which field and why.
    InvalidInput,
    /// No such thing (member, branch, patron, token...).
    NotFound,
    /// A code or barcode that must be unique is taken.
    Duplicate,
    /// Not logged in, or the session or token has expired or been revoked.
    Unauthenticated,
    /// Logged in, but the role or scope does not allow this.
    Forbidden,
    /// Wrong username, card or password/PIN.
    BadCredentials,
    /// Too many failed logins; try again later.
    TooManyAttempts,
    /// A form was posted without the right anti-forgery token.
    CsrfMismatch,
    /// The change conflicts with the current state (e.g. deleting a branch that has patrons).
    Conflict,
    /// The store or another dependency is unavailable.
    Unavailable,
    /// Something went wrong inside Concord; the log has the details.
    Internal,
    /// A new patron looks like one already registered; staff may check and register anyway.
    PossibleDuplicate,
    /// The patron registered online and staff have not approved the registration yet.
    AccountPending,
    /// A checkout or renewal is refused for reasons a librarian must see: the blocks list each
    /// reason with its code and whether staff may override it.
    Blocked,
    /// The stored MARC record of a bib cannot be read (bytes stored before the writer refused
    /// records that do not read back), so what is made from it, such as an export, cannot be
    /// made; the catalogue still shows what it keeps beside the record, and staff can replace it.
    RecordUnreadable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::InvalidInput,
        ErrorCode::NotFound,
        ErrorCode::Duplicate,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::BadCredentials,
        ErrorCode::TooManyAttempts,
        ErrorCode::CsrfMismatch,
        ErrorCode::Conflict,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
        ErrorCode::PossibleDuplicate,
        ErrorCode::AccountPending,
        ErrorCode::Blocked,
        ErrorCode::RecordUnreadable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Duplicate => "duplicate",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::BadCredentials => "bad_credentials",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::CsrfMismatch => "csrf_mismatch",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::PossibleDuplicate => "possible_duplicate",
            ErrorCode::AccountPending => "account_pending",
            ErrorCode::Blocked => "blocked",
            ErrorCode::RecordUnreadable => "record_unreadable",
        }
    }

    /// The HTTP status every HTTP transport uses for this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidInput => 422,
            ErrorCode::NotFound => 404,
            ErrorCode::Duplicate
            | ErrorCode::Conflict
            | ErrorCode::PossibleDuplicate
            | ErrorCode::Blocked
            | ErrorCode::RecordUnreadable => 409,
            ErrorCode::Unauthenticated | ErrorCode::BadCredentials => 401,
            ErrorCode::Forbidden | ErrorCode::CsrfMismatch | ErrorCode::AccountPending => 403,
            ErrorCode::TooManyAttempts => 429,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field of some input that is wrong, and why, in words a librarian understands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error under a longer field path, e.g. `members[3].code`.
    pub fn within(self, prefix: &str) -> Self {
        FieldError {
            field: format!("{prefix}.{}", self.field),
            reason: self.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip_through_serde() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} listed twice");
            let json = serde_json_like(code);
            assert_eq!(json, code.as_str());
        }
    }

    fn serde_json_like(code: ErrorCode) -> String {
        serde_json::to_value(code)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn every_code_maps_to_an_http_error_status() {
        for code in ErrorCode::ALL {
            assert!((400..600).contains(&code.http_status()), "{code}");
        }
    }
}
