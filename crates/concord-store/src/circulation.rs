//! Queries for circulation: loans, the item status changes that go with them, the fines ledger,
//! transits, reading history and the job queue.
//!
//! **Invariant:** an item is taken for a loan only by [`claim_item`], a conditional update that
//! succeeds for exactly one of any number of concurrent checkouts on either engine; the partial
//! unique index `loan_open_per_item` backs it up in the schema.

use concord_domain::ids::{BibId, BranchId, ItemId, LedgerEntryId, MemberId, PatronId};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::StoreResult;
use crate::rows::{int, opt_int, opt_text, text};

// ----- loans -----

/// One loan as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanRow {
    pub id: i64,
    pub item_id: ItemId,
    pub patron_id: PatronId,
    /// Where it was lent.
    pub member_id: MemberId,
    pub branch_id: BranchId,
    pub checked_out_at: i64,
    pub due_at: i64,
    pub renewals_used: i64,
    pub returned_at: Option<i64>,
    pub returned_branch_id: Option<BranchId>,
    pub override_reason: Option<String>,
    pub override_by: Option<String>,
    /// The rules that supplied the policy, comma-separated ids.
    pub policy_rule_ids: String,
    /// Overdue fines charged on this loan so far, in minor units.
    pub fine_charged_minor: i64,
}

const LOAN_COLUMNS: &str = "id, item_id, patron_id, member_id, branch_id, checked_out_at, due_at, renewals_used, returned_at, returned_branch_id, override_reason, override_by, policy_rule_ids, fine_charged_minor";

fn loan_from_row(row: &AnyRow) -> StoreResult<LoanRow> {
    Ok(LoanRow {
        id: int(row, "id")?,
        item_id: ItemId(int(row, "item_id")?),
        patron_id: PatronId(int(row, "patron_id")?),
        member_id: MemberId(int(row, "member_id")?),
        branch_id: BranchId(int(row, "branch_id")?),
        checked_out_at: int(row, "checked_out_at")?,
        due_at: int(row, "due_at")?,
        renewals_used: int(row, "renewals_used")?,
        returned_at: opt_int(row, "returned_at")?,
        returned_branch_id: opt_int(row, "returned_branch_id")?.map(BranchId),
        override_reason: opt_text(row, "override_reason")?,
        override_by: opt_text(row, "override_by")?,
        policy_rule_ids: text(row, "policy_rule_ids")?,
        fine_charged_minor: int(row, "fine_charged_minor")?,
    })
}

pub async fn insert_loan(conn: &mut AnyConnection, loan: &LoanRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO loan (id, item_id, patron_id, member_id, branch_id, checked_out_at, due_at, renewals_used,
             returned_at, returned_branch_id, override_reason, override_by, policy_rule_ids, fine_charged_minor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(loan.id)
    .bind(loan.item_id.0)
    .bind(loan.patron_id.0)
    .bind(loan.member_id.0)
    .bind(loan.branch_id.0)
    .bind(loan.checked_out_at)
    .bind(loan.due_at)
    .bind(loan.renewals_used)
    .bind(loan.returned_at)
    .bind(loan.returned_branch_id.map(|b| b.0))
    .bind(loan.override_reason.clone())
    .bind(loan.override_by.clone())
    .bind(&loan.policy_rule_ids)
    .bind(loan.fine_charged_minor)
    .execute(&mut *conn)
    .await
    .map_err(|e| crate::StoreError::from(e).duplicate_as("an open loan of this item"))?;
    Ok(())
}

pub async fn loan(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<LoanRow>> {
    let sql = format!("SELECT {LOAN_COLUMNS} FROM loan WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(loan_from_row)
        .transpose()
}

/// The item's open loan, if it is out.
pub async fn open_loan_of_item(
    conn: &mut AnyConnection,
    item: ItemId,
) -> StoreResult<Option<LoanRow>> {
    let sql = format!("SELECT {LOAN_COLUMNS} FROM loan WHERE item_id = $1 AND returned_at IS NULL");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(item.0)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(loan_from_row)
        .transpose()
}

/// An open loan with what a patron or the desk needs to recognise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLoan {
    pub loan: LoanRow,
    pub barcode: String,
    pub title: String,
    pub author: String,
    pub item_type: String,
}

/// The patron's open loans, soonest due first.
pub async fn open_loans_of_patron(
    conn: &mut AnyConnection,
    patron: PatronId,
) -> StoreResult<Vec<OpenLoan>> {
    let columns = LOAN_COLUMNS
        .split(", ")
        .map(|c| format!("l.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns}, i.barcode, i.item_type, b.title, b.author
         FROM loan l JOIN item i ON i.id = l.item_id JOIN bib b ON b.id = i.bib_id
         WHERE l.patron_id = $1 AND l.returned_at IS NULL
         ORDER BY l.due_at, l.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(patron.0)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OpenLoan {
                loan: loan_from_row(row)?,
                barcode: text(row, "barcode")?,
                title: text(row, "title")?,
                author: text(row, "author")?,
                item_type: text(row, "item_type")?,
            })
        })
        .collect()
}

/// How many items the patron has out, in all and of one item type.
pub async fn loan_counts(
    conn: &mut AnyConnection,
    patron: PatronId,
    item_type: &str,
) -> StoreResult<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS total,
                COALESCE(SUM(CASE WHEN i.item_type = $2 THEN 1 ELSE 0 END), 0) AS of_type
         FROM loan l JOIN item i ON i.id = l.item_id
         WHERE l.patron_id = $1 AND l.returned_at IS NULL",
    )
    .bind(patron.0)
    .bind(item_type)
    .fetch_one(&mut *conn)
    .await?;
    Ok((int(&row, "total")?, int(&row, "of_type")?))
}

/// Closes an open loan; false if it was already closed.
pub async fn close_loan(
    conn: &mut AnyConnection,
    loan: i64,
    returned_at: i64,
    branch: BranchId,
    fine_charged_minor: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE loan SET returned_at = $2, returned_branch_id = $3, fine_charged_minor = $4
         WHERE id = $1 AND returned_at IS NULL",
    )
    .bind(loan)
    .bind(returned_at)
    .bind(branch.0)
    .bind(fine_charged_minor)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Extends an open loan, counting the renewal; false if the loan changed meanwhile (renewed or
/// returned by someone else), which the caller reports as a conflict.
pub async fn renew_loan(
    conn: &mut AnyConnection,
    loan: i64,
    renewals_used_before: i64,
    due_at: i64,
    override_reason: Option<&str>,
    override_by: Option<&str>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE loan SET due_at = $3, renewals_used = $2 + 1,
             override_reason = COALESCE($4, override_reason), override_by = COALESCE($5, override_by)
         WHERE id = $1 AND renewals_used = $2 AND returned_at IS NULL",
    )
    .bind(loan)
    .bind(renewals_used_before)
    .bind(due_at)
    .bind(override_reason)
    .bind(override_by)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records what has been charged in overdue fines on an open loan so far.
pub async fn set_fine_charged(conn: &mut AnyConnection, loan: i64, minor: i64) -> StoreResult<()> {
    sqlx::query("UPDATE loan SET fine_charged_minor = $2 WHERE id = $1")
        .bind(loan)
        .bind(minor)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Open loans due before `before`, oldest first, at most `limit`, after loan id `after` (paging).
pub async fn overdue_open_loans(
    conn: &mut AnyConnection,
    before: i64,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<LoanRow>> {
    let sql = format!(
        "SELECT {LOAN_COLUMNS} FROM loan WHERE returned_at IS NULL AND due_at < $1 AND id > $2
         ORDER BY id LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(before)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(loan_from_row).collect()
}

/// Every open loan with its item status, for consistency checks: `(loan item, item status)`.
pub async fn open_loans_with_item_status(
    conn: &mut AnyConnection,
) -> StoreResult<Vec<(ItemId, String)>> {
    let rows = sqlx::query(
        "SELECT l.item_id, i.status FROM loan l JOIN item i ON i.id = l.item_id WHERE l.returned_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| Ok((ItemId(int(row, "item_id")?), text(row, "status")?)))
        .collect()
}

// ----- items -----

/// Moves an item from status `from` to `to` only if it is still in `from`: the one way circulation
/// takes an item. True if this call changed it; false if another transaction got there first.
/// A change of `bib` (the item's bib: the search index keeps items inside their bib's document)
/// is logged for the search index in the same transaction, so "available now" follows.
pub async fn claim_item(
    conn: &mut AnyConnection,
    item: ItemId,
    bib: BibId,
    from: &str,
    to: &str,
    now: i64,
) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE item SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2")
            .bind(item.0)
            .bind(from)
            .bind(to)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    let changed = done.rows_affected() == 1;
    if changed {
        crate::catalogue::log_change(conn, "bib", bib.0, now).await?;
    }
    Ok(changed)
}

/// Sets an item's status and where it is now (and logs a change of its bib `bib` for the search
/// index).
pub async fn place_item(
    conn: &mut AnyConnection,
    item: ItemId,
    bib: BibId,
    status: &str,
    current_branch: BranchId,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE item SET status = $2, current_branch_id = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(item.0)
    .bind(status)
    .bind(current_branch.0)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    crate::catalogue::log_change(conn, "bib", bib.0, now).await?;
    Ok(())
}

/// Takes the patron's row lock for the rest of the transaction (a no-op update), so that one
/// patron's checkouts and payments on PostgreSQL happen one after another and loan limits and
/// balances read inside the transaction stay true until it commits. On SQLite it does nothing:
/// the single writer already serialises every write transaction, and the no-op update would
/// only add a page to every commit.
pub async fn lock_patron(conn: &mut AnyConnection, patron: PatronId) -> StoreResult<()> {
    if conn.backend_name() == "SQLite" {
        return Ok(());
    }
    sqlx::query("UPDATE patron SET updated_at = updated_at WHERE id = $1")
        .bind(patron.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether the member lets its items float.
pub async fn member_items_float(conn: &mut AnyConnection, member: MemberId) -> StoreResult<bool> {
    let row = sqlx::query("SELECT items_float FROM member WHERE id = $1")
        .bind(member.0)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(row) => int(&row, "items_float")? != 0,
        None => false,
    })
}

/// The members whose items float.
pub async fn floating_members(conn: &mut AnyConnection) -> StoreResult<Vec<MemberId>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM member WHERE items_float = 1")
        .fetch_all(&mut *conn)
        .await?;
    Ok(ids.into_iter().map(MemberId).collect())
}

pub async fn set_member_items_float(
    conn: &mut AnyConnection,
    member: MemberId,
    floats: bool,
) -> StoreResult<()> {
    crate::settings_generation::bump(conn).await?;
    sqlx::query("UPDATE member SET items_float = $2 WHERE id = $1")
        .bind(member.0)
        .bind(i64::from(floats))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ----- ledger -----

/// One ledger entry as stored. `kind` is `charge`, `payment`, `waiver` or `refund`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub id: LedgerEntryId,
    pub patron_id: PatronId,
    pub kind: String,
    pub charge_id: Option<LedgerEntryId>,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
    pub loan_id: Option<i64>,
    pub item_id: Option<ItemId>,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

pub async fn insert_ledger_entry(conn: &mut AnyConnection, entry: &LedgerRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ledger_entry (id, patron_id, kind, charge_id, amount_minor, currency, reason, loan_id, item_id, note, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(entry.id.0)
    .bind(entry.patron_id.0)
    .bind(&entry.kind)
    .bind(entry.charge_id.map(|c| c.0))
    .bind(entry.amount_minor)
    .bind(&entry.currency)
    .bind(&entry.reason)
    .bind(entry.loan_id)
    .bind(entry.item_id.map(|i| i.0))
    .bind(entry.note.clone())
    .bind(&entry.created_by)
    .bind(entry.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The patron's ledger in the order it was written.
pub async fn ledger_of(conn: &mut AnyConnection, patron: PatronId) -> StoreResult<Vec<LedgerRow>> {
    let rows = sqlx::query(
        "SELECT id, patron_id, kind, charge_id, amount_minor, currency, reason, loan_id, item_id, note, created_by, created_at
         FROM ledger_entry WHERE patron_id = $1 ORDER BY created_at, id",
    )
    .bind(patron.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(LedgerRow {
                id: LedgerEntryId(int(row, "id")?),
                patron_id: PatronId(int(row, "patron_id")?),
                kind: text(row, "kind")?,
                charge_id: opt_int(row, "charge_id")?.map(LedgerEntryId),
                amount_minor: int(row, "amount_minor")?,
                currency: text(row, "currency")?,
                reason: text(row, "reason")?,
                loan_id: opt_int(row, "loan_id")?,
                item_id: opt_int(row, "item_id")?.map(ItemId),
                note: opt_text(row, "note")?,
                created_by: text(row, "created_by")?,
                created_at: int(row, "created_at")?,
            })
        })
        .collect()
}

/// Ledger entries that name a loan that does not exist (must be none).
pub async fn ledger_entries_without_loan(conn: &mut AnyConnection) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM ledger_entry e WHERE e.loan_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM loan l WHERE l.id = e.loan_id)",
    )
    .fetch_one(&mut *conn)
    .await?;
    int(&row, "n")
}

// ----- transits -----

pub async fn insert_transit(
    conn: &mut AnyConnection,
    id: i64,
    item: ItemId,
    from: BranchId,
    to: BranchId,
    reason: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO transit (id, item_id, from_branch_id, to_branch_id, reason, sent_at, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL)",
    )
    .bind(id)
    .bind(item.0)
    .bind(from.0)
    .bind(to.0)
    .bind(reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks the item's open transits received; returns the branches they were going to.
pub async fn receive_transits(
    conn: &mut AnyConnection,
    item: ItemId,
    now: i64,
) -> StoreResult<Vec<BranchId>> {
    let rows =
        sqlx::query("SELECT to_branch_id FROM transit WHERE item_id = $1 AND received_at IS NULL")
            .bind(item.0)
            .fetch_all(&mut *conn)
            .await?;
    let to = rows
        .iter()
        .map(|row| Ok(BranchId(int(row, "to_branch_id")?)))
        .collect::<StoreResult<Vec<_>>>()?;
    if !to.is_empty() {
        sqlx::query(
            "UPDATE transit SET received_at = $2 WHERE item_id = $1 AND received_at IS NULL",
        )
        .bind(item.0)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(to)
}

// ----- reading history -----

pub async fn insert_reading_history(
    conn: &mut AnyConnection,
    id: i64,
    patron: PatronId,
    bib: BibId,
    borrowed_at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO reading_history (id, patron_id, bib_id, borrowed_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(patron.0)
    .bind(bib.0)
    .bind(borrowed_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One line of a patron's reading history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingHistoryLine {
    pub bib_id: BibId,
    pub title: String,
    pub author: String,
    pub borrowed_at: i64,
}

pub async fn reading_history_of(
    conn: &mut AnyConnection,
    patron: PatronId,
    limit: i64,
) -> StoreResult<Vec<ReadingHistoryLine>> {
    let rows = sqlx::query(
        "SELECT h.bib_id, h.borrowed_at, b.title, b.author FROM reading_history h JOIN bib b ON b.id = h.bib_id
         WHERE h.patron_id = $1 ORDER BY h.borrowed_at DESC, h.id DESC LIMIT $2",
    )
    .bind(patron.0)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ReadingHistoryLine {
                bib_id: BibId(int(row, "bib_id")?),
                title: text(row, "title")?,
                author: text(row, "author")?,
                borrowed_at: int(row, "borrowed_at")?,
            })
        })
        .collect()
}

/// Removes the patron from entries borrowed before `before`; returns how many.
pub async fn anonymise_reading_history(conn: &mut AnyConnection, before: i64) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE reading_history SET patron_id = NULL WHERE borrowed_at < $1 AND patron_id IS NOT NULL",
    )
    .bind(before)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

// ----- jobs -----

/// A queued job as stored: `(id, kind, run_after, attempts)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub run_after: i64,
    pub attempts: i64,
}

pub async fn enqueue_job(
    conn: &mut AnyConnection,
    id: i64,
    kind: &str,
    run_after: i64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO job (id, kind, run_after, state, attempts, last_error, created_at, finished_at)
         VALUES ($1, $2, $3, 'queued', 0, NULL, $4, NULL)",
    )
    .bind(id)
    .bind(kind)
    .bind(run_after)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn queued_jobs(conn: &mut AnyConnection) -> StoreResult<Vec<JobRow>> {
    let rows = sqlx::query(
        "SELECT id, kind, run_after, attempts FROM job WHERE state = 'queued' ORDER BY run_after, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(JobRow {
                id: int(row, "id")?,
                kind: text(row, "kind")?,
                run_after: int(row, "run_after")?,
                attempts: int(row, "attempts")?,
            })
        })
        .collect()
}

pub async fn finish_job(conn: &mut AnyConnection, id: i64, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE job SET state = 'done', finished_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records a failed try; the job stays queued until `retry_after`.
pub async fn fail_job(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    retry_after: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE job SET attempts = attempts + 1, last_error = $2, run_after = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(retry_after)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Items marked on loan that have no open loan (must be none).
pub async fn items_on_loan_without_loan(conn: &mut AnyConnection) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM item i WHERE i.status = 'on_loan'
         AND NOT EXISTS (SELECT 1 FROM loan l WHERE l.item_id = i.id AND l.returned_at IS NULL)",
    )
    .fetch_one(&mut *conn)
    .await?;
    int(&row, "n")
}
