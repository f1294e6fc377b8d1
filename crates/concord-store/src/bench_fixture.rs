//! The circulation benchmark's data: bulk bibs, items and patrons made by set-based inserts, and the
//! raw-SQL checkout and check-in that measure what the disk allows without the application.
//!
//! **Boundary:** only `concord bench` uses this module. It writes rows that skip the services'
//! checks (no audit, no catalogue change log) because it makes a fixture of a million items in
//! seconds; nothing else may write through it.
//!
//! Numbering: item `n` and patron `n` belong to the `n % branches`-th branch (branches in code
//! order), item `n` has barcode `I{1000000000 + n}` and bib `n / 2`, patron `n` has card
//! `P{1000000000 + n}`. The load generator relies on it to pick an item and a patron of one branch.

use sqlx::AnyConnection;

use crate::StoreResult;

/// Row ids of the fixture start here: far below the application's time-ordered ids, so the two
/// never meet.
const BIB_ID_BASE: i64 = 1_000_000_000;
const ITEM_ID_BASE: i64 = 2_000_000_000;
const PATRON_ID_BASE: i64 = 3_000_000_000;
/// Added to `n` in barcodes so that every barcode has the same length.
const BARCODE_BASE: i64 = 1_000_000_000;

/// Where the fixture's rows go: its branches in code order, with their members.
#[derive(Debug, Clone, Copy)]
pub struct FixtureBranch {
    pub branch_id: i64,
    pub member_id: i64,
}

/// The barcode of fixture item `n`.
pub fn item_barcode(n: u64) -> String {
    format!("I{}", BARCODE_BASE as u64 + n)
}

/// The card of fixture patron `n`.
pub fn patron_card(n: u64) -> String {
    format!("P{}", BARCODE_BASE as u64 + n)
}

/// Rows numbered `k = 0, 1, …` while `k < $1`: each statement below inserts one branch's share.
const NUMBERS: &str =
    "WITH RECURSIVE numbers (k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM numbers WHERE k + 1 < $1)";

/// How many of `total` rows numbered `n = k * branches + index` fall to the branch at `index`.
fn share(total: u64, branches: u64, index: u64) -> i64 {
    if total <= index {
        0
    } else {
        i64::try_from((total - index).div_ceil(branches)).unwrap_or(i64::MAX)
    }
}

/// Inserts `count` minimal bibs (title and author only, an empty record). The title key is
/// what `normalise_words` makes of these ASCII titles: the title in lower case.
pub async fn insert_bibs(conn: &mut AnyConnection, count: u64, now: i64) -> StoreResult<()> {
    let sql = format!(
        "{NUMBERS} INSERT INTO bib (id, record_type, bibliographic_level, title, author, marc, source_record_id, withdrawn, version, created_at, updated_at, title_key)
         SELECT $2 + k, 'a', 'm', 'Benchmark title ' || k, 'Author ' || (k % 997), $3, 'bench-' || k, 0, 1, $4, $4, 'benchmark title ' || k FROM numbers"
    );
    if count == 0 {
        return Ok(());
    }
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(i64::try_from(count).unwrap_or(i64::MAX))
        .bind(BIB_ID_BASE)
        .bind(Vec::<u8>::new())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Inserts the share of `total` available books that belongs to the branch at `index`.
pub async fn insert_items(
    conn: &mut AnyConnection,
    branch: FixtureBranch,
    index: u64,
    branches: u64,
    total: u64,
    now: i64,
) -> StoreResult<()> {
    let rows = share(total, branches, index);
    if rows == 0 {
        return Ok(());
    }
    let sql = format!(
        "{NUMBERS} INSERT INTO item (id, bib_id, member_id, branch_id, current_branch_id, barcode, call_number, item_type, status, hidden_from_other_members, created_at, updated_at, shelf_key)
         SELECT $2 + k * $3 + $4, $5 + (k * $3 + $4) / 2, $6, $7, $7, 'I' || ($8 + k * $3 + $4), 'BENCH ' || k, 'BOOK', 'available', 0, $9, $9,
                'BENCH ' || substr('00000000' || k, length('00000000' || k) - 8) FROM numbers"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(rows)
        .bind(ITEM_ID_BASE)
        .bind(i64::try_from(branches).unwrap_or(1))
        .bind(i64::try_from(index).unwrap_or(0))
        .bind(BIB_ID_BASE)
        .bind(branch.member_id)
        .bind(branch.branch_id)
        .bind(BARCODE_BASE)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Inserts the share of `total` adult patrons (and their cards) whose home is the branch at `index`.
pub async fn insert_patrons(
    conn: &mut AnyConnection,
    branch: FixtureBranch,
    index: u64,
    branches: u64,
    total: u64,
    expires_on: &str,
    now: i64,
) -> StoreResult<()> {
    let rows = share(total, branches, index);
    if rows == 0 {
        return Ok(());
    }
    let patrons = format!(
        "{NUMBERS} INSERT INTO patron (id, family_name, given_names, search_name, home_branch_id, home_member_id, patron_type, expires_on, created_at, updated_at)
         SELECT $2 + k * $3 + $4, 'Patron ' || (k * $3 + $4), 'Bench', 'patron ' || (k * $3 + $4) || ' bench', $5, $6, 'ADULT', $7, $8, $8 FROM numbers"
    );
    sqlx::query(sqlx::AssertSqlSafe(patrons))
        .bind(rows)
        .bind(PATRON_ID_BASE)
        .bind(i64::try_from(branches).unwrap_or(1))
        .bind(i64::try_from(index).unwrap_or(0))
        .bind(branch.branch_id)
        .bind(branch.member_id)
        .bind(expires_on)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let cards = format!(
        "{NUMBERS} INSERT INTO patron_card (barcode, patron_id, active, created_at)
         SELECT 'P' || ($2 + k * $3 + $4), $5 + k * $3 + $4, 1, $6 FROM numbers"
    );
    sqlx::query(sqlx::AssertSqlSafe(cards))
        .bind(rows)
        .bind(BARCODE_BASE)
        .bind(i64::try_from(branches).unwrap_or(1))
        .bind(i64::try_from(index).unwrap_or(0))
        .bind(PATRON_ID_BASE)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The raw writes of one checkout, as the service makes them but without the application: find
/// the branch, the patron by card and the item by barcode, claim the item, insert the loan.
/// Returns false when the item was not available.
pub async fn raw_checkout(
    conn: &mut AnyConnection,
    branch_code: &str,
    card: &str,
    barcode: &str,
    loan_id: i64,
    now: i64,
) -> StoreResult<bool> {
    use sqlx::Row;
    let branch = sqlx::query("SELECT id, member_id FROM branch WHERE code = $1")
        .bind(branch_code)
        .fetch_one(&mut *conn)
        .await?;
    let (branch_id, member_id): (i64, i64) = (branch.try_get(0)?, branch.try_get(1)?);
    let patron_id: i64 =
        sqlx::query("SELECT patron_id FROM patron_card WHERE barcode = $1 AND active = 1")
            .bind(card)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
    let item_id = raw_item_id(conn, barcode).await?;
    let claimed = sqlx::query(
        "UPDATE item SET status = 'on_loan', updated_at = $2 WHERE id = $1 AND status = 'available'",
    )
    .bind(item_id)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO loan (id, item_id, patron_id, member_id, branch_id, checked_out_at, due_at, renewals_used, policy_rule_ids, fine_charged_minor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, '', 0)",
    )
    .bind(loan_id)
    .bind(item_id)
    .bind(patron_id)
    .bind(member_id)
    .bind(branch_id)
    .bind(now)
    .bind(now + 21 * 86_400)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// The id of the item with `barcode`, as the raw baseline finds it.
async fn raw_item_id(conn: &mut AnyConnection, barcode: &str) -> StoreResult<i64> {
    use sqlx::Row;
    Ok(sqlx::query("SELECT id FROM item WHERE barcode = $1")
        .bind(barcode)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?)
}

/// The raw writes of one check-in: find the branch, the item and its open loan, close the loan and
/// put the item back. Returns false when the item had no open loan.
pub async fn raw_checkin(
    conn: &mut AnyConnection,
    branch_code: &str,
    barcode: &str,
    now: i64,
) -> StoreResult<bool> {
    use sqlx::Row;
    let branch_id: i64 = sqlx::query("SELECT id FROM branch WHERE code = $1")
        .bind(branch_code)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let item_id = raw_item_id(conn, barcode).await?;
    let Some(loan) = sqlx::query("SELECT id FROM loan WHERE item_id = $1 AND returned_at IS NULL")
        .bind(item_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(false);
    };
    let loan_id: i64 = loan.try_get(0)?;
    sqlx::query("UPDATE loan SET returned_at = $2, returned_branch_id = $3 WHERE id = $1")
        .bind(loan_id)
        .bind(now)
        .bind(branch_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE item SET status = 'available', current_branch_id = $2, updated_at = $3 WHERE id = $1")
        .bind(item_id)
        .bind(branch_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_total() {
        for (total, branches) in [(0, 3), (1, 3), (10, 3), (1_000_000, 14), (5, 14)] {
            let sum: i64 = (0..branches).map(|i| share(total, branches, i)).sum();
            assert_eq!(
                sum,
                i64::try_from(total).unwrap(),
                "{total} over {branches}"
            );
        }
    }

    #[test]
    fn barcodes_have_one_length() {
        assert_eq!(item_barcode(0), "I1000000000");
        assert_eq!(patron_card(999_999), "P1000999999");
    }
}
