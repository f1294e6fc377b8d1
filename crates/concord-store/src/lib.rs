//! Concord's storage: one set of queries over SQLite (embedded, the default) and PostgreSQL.
//!
//! **Boundary:** this crate knows SQL and nothing of HTTP or of the rules; services in
//! `concord-server` open a transaction here, call the query functions, and commit.
//!
//! **Invariant:** every query is written once, in SQL both engines share, with `$n` parameters,
//! 64-bit application-made ids and Unix-second times. Engine-specific SQL lives only in
//! `migrations/{sqlite,postgres}` and in [`engine`].
//!
//! **Invariant:** on SQLite there is exactly one writer connection, its group transactions start
//! with `BEGIN IMMEDIATE`, and reads use a separate pool. Measured on the target machine, this is
//! both the fastest arrangement and the only one without "database is locked" errors. Each write
//! transaction is a savepoint in a group that commits once for all its members (see [`engine`]).

pub mod accounts;
pub mod audit;
pub mod bench_fixture;
pub mod catalogue;
pub mod circulation;
#[cfg(test)]
mod conformance;
pub mod engine;
mod migrate;
pub mod org;
pub mod patrons;
pub mod policies;
mod refill;
mod rows;
pub mod settings_generation;
pub mod testing;

pub use engine::{Engine, ReadConn, Store, StoreConfig, WriteTx};
/// A connection or transaction the query functions run on, whichever engine is behind it.
pub use sqlx::AnyConnection as Conn;

/// What can go wrong in the store, in terms the services can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique code, barcode or username is already taken.
    #[error("{what} is already taken")]
    Duplicate { what: String },
    /// The database is unreachable, locked beyond the timeout, or refused the query.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value could not be read back (a bug or a hand-edited database).
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// The database's schema is newer than this program.
    #[error(
        "the database was written by a newer Concord (schema version {found}, this program knows up to {known})"
    )]
    SchemaTooNew { found: i64, known: i64 },
    /// Something the configuration asked for is impossible.
    #[error("{0}")]
    Config(String),
}

impl StoreError {
    /// Turns a unique-constraint violation into [`StoreError::Duplicate`] naming `what`.
    pub fn duplicate_as(self, what: impl Into<String>) -> StoreError {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                StoreError::Duplicate { what: what.into() }
            }
            other => other,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
