//! Filling in a column the store derives from others, for the rows stored before the store
//! kept it (or after a migration emptied it): run when the store opens, a batch at a time so
//! that a large database never holds the writer for long.

use sqlx::any::AnyRow;

use crate::StoreResult;
use crate::rows::int;

/// Sets `column` of each row of `table` that `select` finds (its `id` and whatever `derive`
/// reads; `$1` the batch size, and only rows whose column is still NULL) to what `derive` makes
/// of it, `batch` rows per transaction, until `select` finds none. One statement a batch: a
/// round trip for each row is most of a refill's time on PostgreSQL. The values arrive as a
/// table of (id, value) rows joined on the primary key; the casts give PostgreSQL the
/// parameters' types. How many rows were filled.
pub(crate) async fn fill_column(
    store: &crate::Store,
    table: &'static str,
    column: &'static str,
    select: &'static str,
    batch: i64,
    derive: impl Fn(&AnyRow) -> StoreResult<String>,
) -> StoreResult<u64> {
    let mut filled: u64 = 0;
    loop {
        let mut tx = store.write().await?;
        let rows = sqlx::query(select).bind(batch).fetch_all(&mut *tx).await?;
        if rows.is_empty() {
            break;
        }
        let keyed: Vec<String> = (0..rows.len())
            .map(|n| {
                format!(
                    "SELECT CAST(${} AS BIGINT) AS id, CAST(${} AS TEXT) AS value",
                    2 * n + 1,
                    2 * n + 2
                )
            })
            .collect();
        let sql = format!(
            "UPDATE {table} SET {column} = keyed.value
             FROM ({}) AS keyed WHERE {table}.id = keyed.id",
            keyed.join(" UNION ALL ")
        );
        let mut update = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in &rows {
            update = update.bind(int(row, "id")?).bind(derive(row)?);
        }
        update.execute(&mut *tx).await?;
        tx.commit().await?;
        filled += rows.len() as u64;
    }
    Ok(filled)
}
