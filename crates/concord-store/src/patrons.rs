//! Queries for patrons and their cards.

use concord_domain::calendar::Date;
use concord_domain::codes::{Barcode, Code};
use concord_domain::duplicates::phone_key;
use concord_domain::ids::{BranchId, MemberId, PatronId};
use concord_domain::patron::{
    NoticePreferences, Patron, PatronStatus, PrivacyChoices, name_key, typed_name_key,
};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::rows::{flag, int, opt_int, opt_text, parsed, text};
use crate::{StoreError, StoreResult};

/// The fields of a patron the store writes (everything but cards and the PIN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatronRow {
    pub family_name: String,
    pub given_names: String,
    pub home_branch: BranchId,
    pub home_member: MemberId,
    pub patron_type: Code,
    pub expires_on: Date,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub sms_number: Option<String>,
    pub date_of_birth: Option<Date>,
    pub preferred_pickup_branch: Option<BranchId>,
    pub notices: NoticePreferences,
    pub privacy: PrivacyChoices,
    pub status: PatronStatus,
}

impl PatronRow {
    /// The row of an existing patron, to change a few fields and write back.
    pub fn of(patron: &Patron) -> PatronRow {
        PatronRow {
            family_name: patron.family_name.clone(),
            given_names: patron.given_names.clone(),
            home_branch: patron.home_branch,
            home_member: patron.home_member,
            patron_type: patron.patron_type.clone(),
            expires_on: patron.expires_on,
            email: patron.email.clone(),
            phone: patron.phone.clone(),
            sms_number: patron.sms_number.clone(),
            date_of_birth: patron.date_of_birth,
            preferred_pickup_branch: patron.preferred_pickup_branch,
            notices: patron.notices,
            privacy: patron.privacy,
            status: patron.status,
        }
    }

    fn into_patron(self, id: PatronId, cards: Vec<Barcode>) -> Patron {
        Patron {
            id,
            cards,
            family_name: self.family_name,
            given_names: self.given_names,
            home_branch: self.home_branch,
            home_member: self.home_member,
            patron_type: self.patron_type,
            expires_on: self.expires_on,
            email: self.email,
            phone: self.phone,
            sms_number: self.sms_number,
            date_of_birth: self.date_of_birth,
            preferred_pickup_branch: self.preferred_pickup_branch,
            notices: self.notices,
            privacy: self.privacy,
            status: self.status,
        }
    }

    fn phone_digits(&self) -> Option<String> {
        self.phone.as_deref().and_then(phone_key)
    }

    fn sms_digits(&self) -> Option<String> {
        self.sms_number.as_deref().and_then(phone_key)
    }
}

const PATRON_COLUMNS: &str = "p.id, p.family_name, p.given_names, p.home_branch_id, p.home_member_id, p.patron_type, p.expires_on, p.email, p.phone, p.sms_number, p.date_of_birth, p.preferred_pickup_branch_id, p.notice_channels, p.keep_reading_history, p.contact_home_member_only, p.status";

/// Every table and column that refers to a patron, other than the patron table itself. Merging
/// patrons moves every such row from one patron to the other, so a table that refers to patrons
/// (loans, holds, fines...) must be listed here — one line — and merges move its rows too.
/// The conformance suite checks this list against the schema's foreign keys on both engines.
pub const PATRON_REFERENCES: &[(&str, &str)] = &[
    ("patron_card", "patron_id"),
    ("loan", "patron_id"),
    ("ledger_entry", "patron_id"),
    ("reading_history", "patron_id"),
];

/// How many patrons [`fill_search_names`] keys per transaction: measured, about 15 ms of the
/// writer on SQLite and 25 ms on PostgreSQL (debug build, 100,000 patrons).
const SEARCH_NAME_BATCH: i64 = 500;

/// Works out again the search name ([`name_key`]) of every patron without one — those stored
/// before a migration changed how the key is made and emptied the column. A batch at a time, so
/// that a large patron database never holds the writer for long. Run when the store opens.
pub(crate) async fn fill_search_names(store: &crate::Store) -> StoreResult<()> {
    let filled = crate::refill::fill_column(
        store,
        "patron",
        "search_name",
        "SELECT id, family_name, given_names FROM patron WHERE search_name IS NULL LIMIT $1",
        SEARCH_NAME_BATCH,
        |row| {
            Ok(name_key(
                &text(row, "family_name")?,
                &text(row, "given_names")?,
            ))
        },
    )
    .await?;
    if filled > 0 {
        tracing::info!(patrons = filled, "worked out stored patrons' search names");
    }
    Ok(())
}

fn patron_from_row(row: &AnyRow) -> StoreResult<Patron> {
    Ok(Patron {
        id: PatronId(int(row, "id")?),
        cards: Vec::new(),
        family_name: text(row, "family_name")?,
        given_names: text(row, "given_names")?,
        home_branch: BranchId(int(row, "home_branch_id")?),
        home_member: MemberId(int(row, "home_member_id")?),
        patron_type: parsed(
            "patron_type",
            Code::parse("patron_type", &text(row, "patron_type")?),
        )?,
        expires_on: parsed(
            "expires_on",
            Date::parse("expires_on", &text(row, "expires_on")?),
        )?,
        email: opt_text(row, "email")?,
        phone: opt_text(row, "phone")?,
        sms_number: opt_text(row, "sms_number")?,
        date_of_birth: opt_text(row, "date_of_birth")?
            .map(|d| parsed("date_of_birth", Date::parse("date_of_birth", &d)))
            .transpose()?,
        preferred_pickup_branch: opt_int(row, "preferred_pickup_branch_id")?.map(BranchId),
        notices: NoticePreferences::from_stored(&text(row, "notice_channels")?),
        privacy: PrivacyChoices {
            keep_reading_history: flag(row, "keep_reading_history")?,
            contact_home_member_only: flag(row, "contact_home_member_only")?,
        },
        status: parsed(
            "status",
            PatronStatus::parse("status", &text(row, "status")?),
        )?,
    })
}

pub async fn insert_patron(
    conn: &mut AnyConnection,
    id: PatronId,
    card: &Barcode,
    patron: &PatronRow,
    pin_hash: Option<&str>,
    now: i64,
) -> StoreResult<Patron> {
    sqlx::query(
        "INSERT INTO patron (id, family_name, given_names, search_name, home_branch_id, home_member_id,
         patron_type, expires_on, email, phone, pin_hash, created_at, updated_at, sms_number,
         date_of_birth, preferred_pickup_branch_id, notice_channels, keep_reading_history,
         contact_home_member_only, status, phone_digits, sms_digits)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
    )
    .bind(id.0)
    .bind(&patron.family_name)
    .bind(&patron.given_names)
    .bind(name_key(&patron.family_name, &patron.given_names))
    .bind(patron.home_branch.0)
    .bind(patron.home_member.0)
    .bind(patron.patron_type.as_str())
    .bind(patron.expires_on.to_string())
    .bind(patron.email.as_deref())
    .bind(patron.phone.as_deref())
    .bind(pin_hash)
    .bind(now)
    .bind(patron.sms_number.as_deref())
    .bind(patron.date_of_birth.map(|d| d.to_string()))
    .bind(patron.preferred_pickup_branch.map(|b| b.0))
    .bind(patron.notices.to_stored())
    .bind(i64::from(patron.privacy.keep_reading_history))
    .bind(i64::from(patron.privacy.contact_home_member_only))
    .bind(patron.status.as_str())
    .bind(patron.phone_digits())
    .bind(patron.sms_digits())
    .execute(&mut *conn)
    .await?;
    add_card(conn, id, card, now).await?;
    Ok(patron.clone().into_patron(id, vec![card.clone()]))
}

pub async fn add_card(
    conn: &mut AnyConnection,
    patron: PatronId,
    card: &Barcode,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO patron_card (barcode, patron_id, active, created_at) VALUES ($1, $2, 1, $3)",
    )
    .bind(card.as_str())
    .bind(patron.0)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::from(e).duplicate_as(format!("card {card}")))?;
    Ok(())
}

pub async fn update_patron(
    conn: &mut AnyConnection,
    id: PatronId,
    patron: &PatronRow,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE patron SET family_name = $2, given_names = $3, search_name = $4, home_branch_id = $5,
         home_member_id = $6, patron_type = $7, expires_on = $8, email = $9, phone = $10, updated_at = $11,
         sms_number = $12, date_of_birth = $13, preferred_pickup_branch_id = $14, notice_channels = $15,
         keep_reading_history = $16, contact_home_member_only = $17, status = $18, phone_digits = $19,
         sms_digits = $20 WHERE id = $1",
    )
    .bind(id.0)
    .bind(&patron.family_name)
    .bind(&patron.given_names)
    .bind(name_key(&patron.family_name, &patron.given_names))
    .bind(patron.home_branch.0)
    .bind(patron.home_member.0)
    .bind(patron.patron_type.as_str())
    .bind(patron.expires_on.to_string())
    .bind(patron.email.as_deref())
    .bind(patron.phone.as_deref())
    .bind(now)
    .bind(patron.sms_number.as_deref())
    .bind(patron.date_of_birth.map(|d| d.to_string()))
    .bind(patron.preferred_pickup_branch.map(|b| b.0))
    .bind(patron.notices.to_stored())
    .bind(i64::from(patron.privacy.keep_reading_history))
    .bind(i64::from(patron.privacy.contact_home_member_only))
    .bind(patron.status.as_str())
    .bind(patron.phone_digits())
    .bind(patron.sms_digits())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_patron_pin(
    conn: &mut AnyConnection,
    id: PatronId,
    pin_hash: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE patron SET pin_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(id.0)
        .bind(pin_hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn with_cards(conn: &mut AnyConnection, mut patron: Patron) -> StoreResult<Patron> {
    let cards: Vec<String> = sqlx::query_scalar(
        "SELECT barcode FROM patron_card WHERE patron_id = $1 AND active = 1 ORDER BY created_at, barcode",
    )
    .bind(patron.id.0)
    .fetch_all(&mut *conn)
    .await?;
    patron.cards = cards
        .iter()
        .map(|c| parsed("patron_card.barcode", Barcode::parse("card", c)))
        .collect::<StoreResult<_>>()?;
    Ok(patron)
}

pub async fn patron_by_id(conn: &mut AnyConnection, id: PatronId) -> StoreResult<Option<Patron>> {
    let sql = format!("SELECT {PATRON_COLUMNS} FROM patron p WHERE p.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => Ok(Some(with_cards(conn, patron_from_row(&row)?).await?)),
        None => Ok(None),
    }
}

/// The patron holding an active card with this barcode, and their PIN hash.
pub async fn patron_by_card(
    conn: &mut AnyConnection,
    card: &Barcode,
) -> StoreResult<Option<(Patron, Option<String>)>> {
    let sql = format!(
        "SELECT {PATRON_COLUMNS}, p.pin_hash
         FROM patron_card c JOIN patron p ON p.id = c.patron_id
         WHERE c.barcode = $1 AND c.active = 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(card.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => {
            let pin_hash = opt_text(&row, "pin_hash")?;
            let patron = with_cards(conn, patron_from_row(&row)?).await?;
            Ok(Some((patron, pin_hash)))
        }
        None => Ok(None),
    }
}

/// Finds patrons by exact card barcode (active or not), by name (the start of their
/// [`name_key`], typed in any case, with or without accents and apostrophes), by email or by
/// phone or SMS number, optionally only those of one member. At most `limit` results, surname
/// order (search name, then id).
pub async fn search_patrons(
    conn: &mut AnyConnection,
    query: &str,
    member: Option<MemberId>,
    limit: u32,
) -> StoreResult<Vec<Patron>> {
    let query = query.trim();
    // The typed name is folded in Rust, as the stored keys were, so both engines match alike,
    // and matched as a range of keys so that the key's index finds it: from the typed key to
    // the same followed by the last code point (keys compare by code point on both engines:
    // SQLite's binary collation, the "C" collation on PostgreSQL). Text with no letter or
    // digit binds an empty range.
    let (name_from, name_to) = typed_name_key(query).map_or_else(
        || ("-".to_string(), "-".to_string()),
        |typed| {
            let to = format!("{typed}{}", char::MAX);
            (typed, to)
        },
    );
    let sql = format!(
        "SELECT {PATRON_COLUMNS} FROM patron p
         WHERE ($4 = 0 OR p.home_member_id = $5)
           AND (p.id IN (SELECT patron_id FROM patron_card WHERE barcode = $1)
                OR (p.search_name >= $2 AND p.search_name < $7)
                OR LOWER(p.email) = $3
                OR p.phone_digits = $6 OR p.sms_digits = $6)
         ORDER BY p.search_name, p.id LIMIT {limit}"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(query)
        .bind(name_from)
        .bind(query.to_lowercase())
        .bind(i64::from(member.is_some()))
        .bind(member.map_or(0, |m| m.0))
        // A query that is not a phone number binds a key no row has.
        .bind(phone_key(query).unwrap_or_else(|| "-".to_string()))
        .bind(name_to)
        .fetch_all(&mut *conn)
        .await?;
    let mut patrons = Vec::with_capacity(rows.len());
    for row in rows {
        patrons.push(with_cards(conn, patron_from_row(&row)?).await?);
    }
    Ok(patrons)
}

pub async fn count_patrons(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM patron")
        .fetch_one(&mut *conn)
        .await?)
}

pub async fn set_patron_status(
    conn: &mut AnyConnection,
    id: PatronId,
    status: PatronStatus,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE patron SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id.0)
        .bind(status.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The PIN hash of a patron, if one is set.
pub async fn patron_pin_hash(
    conn: &mut AnyConnection,
    id: PatronId,
) -> StoreResult<Option<String>> {
    let hash: Option<Option<String>> =
        sqlx::query_scalar("SELECT pin_hash FROM patron WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(hash.flatten())
}

/// One card as stored, active or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRecord {
    pub barcode: Barcode,
    pub patron: PatronId,
    pub active: bool,
    pub created_at: i64,
    pub deactivated_at: Option<i64>,
}

fn card_from_row(row: &AnyRow) -> StoreResult<CardRecord> {
    Ok(CardRecord {
        barcode: parsed(
            "patron_card.barcode",
            Barcode::parse("card", &text(row, "barcode")?),
        )?,
        patron: PatronId(int(row, "patron_id")?),
        active: flag(row, "active")?,
        created_at: int(row, "created_at")?,
        deactivated_at: opt_int(row, "deactivated_at")?,
    })
}

/// Every card a patron has had, active first, oldest first.
pub async fn cards_of(conn: &mut AnyConnection, patron: PatronId) -> StoreResult<Vec<CardRecord>> {
    let rows = sqlx::query(
        "SELECT barcode, patron_id, active, created_at, deactivated_at FROM patron_card
         WHERE patron_id = $1 ORDER BY active DESC, created_at, barcode",
    )
    .bind(patron.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(card_from_row).collect()
}

/// The card with this barcode, whoever holds it.
pub async fn card(conn: &mut AnyConnection, barcode: &Barcode) -> StoreResult<Option<CardRecord>> {
    let row = sqlx::query(
        "SELECT barcode, patron_id, active, created_at, deactivated_at FROM patron_card WHERE barcode = $1",
    )
    .bind(barcode.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(card_from_row).transpose()
}

/// Deactivates a card (lost, stolen, replaced). The barcode stays taken so it is never reissued
/// to someone else.
pub async fn deactivate_card(
    conn: &mut AnyConnection,
    barcode: &Barcode,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE patron_card SET active = 0, deactivated_at = $2 WHERE barcode = $1")
        .bind(barcode.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Patrons who might be the person described: same name key ([`name_key`], the one duplicate
/// scoring compares), same email, same phone key or same date of birth. The caller scores them;
/// this only narrows the search with indexes.
pub async fn duplicate_candidates(
    conn: &mut AnyConnection,
    family_name: &str,
    given_names: &str,
    email: Option<&str>,
    phone_keys: &[String],
    date_of_birth: Option<Date>,
    limit: u32,
) -> StoreResult<Vec<Patron>> {
    let sql = format!(
        "SELECT {PATRON_COLUMNS} FROM patron p
         WHERE p.status <> 'rejected'
           AND (p.search_name = $1 OR LOWER(p.email) = $2 OR p.phone_digits IN ($3, $4)
                OR p.sms_digits IN ($3, $4) OR p.date_of_birth = $5)
         ORDER BY p.id LIMIT {limit}"
    );
    // Absent facts bind a value no row has, so one query shape serves every case.
    let none = "-".to_string();
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name_key(family_name, given_names))
        .bind(email.map_or_else(|| none.clone(), |e| e.trim().to_lowercase()))
        .bind(phone_keys.first().unwrap_or(&none))
        .bind(phone_keys.get(1).unwrap_or(&none))
        .bind(date_of_birth.map_or_else(|| none.clone(), |d| d.to_string()))
        .fetch_all(&mut *conn)
        .await?;
    let mut patrons = Vec::with_capacity(rows.len());
    for row in rows {
        patrons.push(with_cards(conn, patron_from_row(&row)?).await?);
    }
    Ok(patrons)
}

/// Online registrations waiting for staff, oldest first, optionally of one member only.
pub async fn pending_patrons(
    conn: &mut AnyConnection,
    member: Option<MemberId>,
) -> StoreResult<Vec<Patron>> {
    let sql = format!(
        "SELECT {PATRON_COLUMNS} FROM patron p
         WHERE p.status = 'pending' AND ($1 = 0 OR p.home_member_id = $2)
         ORDER BY p.id LIMIT 500"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(i64::from(member.is_some()))
        .bind(member.map_or(0, |m| m.0))
        .fetch_all(&mut *conn)
        .await?;
    let mut patrons = Vec::with_capacity(rows.len());
    for row in rows {
        patrons.push(with_cards(conn, patron_from_row(&row)?).await?);
    }
    Ok(patrons)
}

/// Moves every row that refers to patron `from` (see [`PATRON_REFERENCES`]) to patron `to`, ends
/// `from`'s sessions and deletes `from`. Returns how many rows each table moved (tables with
/// nothing to move are left out).
pub async fn merge_patron_into(
    conn: &mut AnyConnection,
    from: PatronId,
    to: PatronId,
) -> StoreResult<Vec<(&'static str, u64)>> {
    let mut moved = Vec::with_capacity(PATRON_REFERENCES.len());
    for (table, column) in PATRON_REFERENCES {
        let sql = format!("UPDATE {table} SET {column} = $1 WHERE {column} = $2");
        let result = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to.0)
            .bind(from.0)
            .execute(&mut *conn)
            .await?;
        if result.rows_affected() > 0 {
            moved.push((*table, result.rows_affected()));
        }
    }
    crate::accounts::delete_sessions_of(conn, crate::accounts::SessionPrincipal::Patron(from.0))
        .await?;
    sqlx::query("DELETE FROM patron WHERE id = $1")
        .bind(from.0)
        .execute(&mut *conn)
        .await?;
    Ok(moved)
}
