//! Small helpers for reading typed values out of rows on either engine.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, StoreResult};

pub(crate) fn int(row: &AnyRow, column: &str) -> StoreResult<i64> {
    row.try_get::<i64, _>(column).map_err(StoreError::from)
}

pub(crate) fn opt_int(row: &AnyRow, column: &str) -> StoreResult<Option<i64>> {
    row.try_get::<Option<i64>, _>(column)
        .map_err(StoreError::from)
}

pub(crate) fn text(row: &AnyRow, column: &str) -> StoreResult<String> {
    row.try_get::<String, _>(column).map_err(StoreError::from)
}

pub(crate) fn opt_text(row: &AnyRow, column: &str) -> StoreResult<Option<String>> {
    row.try_get::<Option<String>, _>(column)
        .map_err(StoreError::from)
}

pub(crate) fn flag(row: &AnyRow, column: &str) -> StoreResult<bool> {
    Ok(int(row, column)? != 0)
}

/// Re-parses a stored value with its domain parse function; failure means corrupt data.
pub(crate) fn parsed<T, E: std::fmt::Display>(
    column: &str,
    result: Result<T, E>,
) -> StoreResult<T> {
    result.map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}
