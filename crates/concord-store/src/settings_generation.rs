//! The settings generation: one counter that every change to the consortium, its members and
//! branches (with closed dates and opening hours) and the circulation rules bumps in its own
//! transaction, so that a server's cached copy of those settings can tell it is out of date.
//!
//! **Invariant:** every query function in this crate that writes `consortium`, `member`,
//! `branch`, `branch_closed_date` or `policy_rule` calls [`bump`] on the same connection, so the
//! bump commits (or rolls back) with the change. Committed generations only ever grow.

use sqlx::AnyConnection;

use crate::StoreResult;

/// The current generation, as the caller's connection or transaction sees it.
pub async fn current(conn: &mut AnyConnection) -> StoreResult<i64> {
    let generation: i64 =
        sqlx::query_scalar("SELECT generation FROM settings_generation WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
    Ok(generation)
}

/// Marks the settings as changed by the caller's transaction. On PostgreSQL the row lock also
/// orders concurrent changes, so their generations follow their commit order.
pub(crate) async fn bump(conn: &mut AnyConnection) -> StoreResult<()> {
    sqlx::query("UPDATE settings_generation SET generation = generation + 1 WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    Ok(())
}
