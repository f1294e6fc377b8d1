//! Queries for patrons and their cards.

use concord_domain::calendar::Date;
use concord_domain::codes::{Barcode, Code};
use concord_domain::ids::{BranchId, MemberId, PatronId};
use concord_domain::patron::Patron;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_text, parsed, text};
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
}

const PATRON_COLUMNS: &str = "id, family_name, given_names, home_branch_id, home_member_id, patron_type, expires_on, email, phone";

fn search_name(family: &str, given: &str) -> String {
    format!("{} {}", family.trim(), given.trim()).to_lowercase()
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
         patron_type, expires_on, email, phone, pin_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(id.0)
    .bind(&patron.family_name)
    .bind(&patron.given_names)
    .bind(search_name(&patron.family_name, &patron.given_names))
    .bind(patron.home_branch.0)
    .bind(patron.home_member.0)
    .bind(patron.patron_type.as_str())
    .bind(patron.expires_on.to_string())
    .bind(patron.email.as_deref())
    .bind(patron.phone.as_deref())
    .bind(pin_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    add_card(conn, id, card, now).await?;
    Ok(Patron {
        id,
        cards: vec![card.clone()],
        family_name: patron.family_name.clone(),
        given_names: patron.given_names.clone(),
        home_branch: patron.home_branch,
        home_member: patron.home_member,
        patron_type: patron.patron_type.clone(),
        expires_on: patron.expires_on,
        email: patron.email.clone(),
        phone: patron.phone.clone(),
    })
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
         home_member_id = $6, patron_type = $7, expires_on = $8, email = $9, phone = $10, updated_at = $11
         WHERE id = $1",
    )
    .bind(id.0)
    .bind(&patron.family_name)
    .bind(&patron.given_names)
    .bind(search_name(&patron.family_name, &patron.given_names))
    .bind(patron.home_branch.0)
    .bind(patron.home_member.0)
    .bind(patron.patron_type.as_str())
    .bind(patron.expires_on.to_string())
    .bind(patron.email.as_deref())
    .bind(patron.phone.as_deref())
    .bind(now)
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
    let sql = format!("SELECT {PATRON_COLUMNS} FROM patron WHERE id = $1");
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
    let sql = "SELECT p.id, p.family_name, p.given_names, p.home_branch_id, p.home_member_id,
               p.patron_type, p.expires_on, p.email, p.phone, p.pin_hash
               FROM patron_card c JOIN patron p ON p.id = c.patron_id
               WHERE c.barcode = $1 AND c.active = 1";
    let row = sqlx::query(sql)
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

/// Finds patrons by exact card barcode, by name (surname first, prefix) or by email, optionally
/// only those of one member. At most `limit` results, surname order.
pub async fn search_patrons(
    conn: &mut AnyConnection,
    query: &str,
    member: Option<MemberId>,
    limit: u32,
) -> StoreResult<Vec<Patron>> {
    let query = query.trim();
    let lowered = query.to_lowercase();
    // Escape LIKE wildcards so a name with % or _ matches literally.
    let escaped = lowered
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let sql = format!(
        "SELECT {PATRON_COLUMNS} FROM patron p
         WHERE ($4 = 0 OR p.home_member_id = $5)
           AND (p.id IN (SELECT patron_id FROM patron_card WHERE barcode = $1)
                OR p.search_name LIKE $2 ESCAPE '\\'
                OR LOWER(p.email) = $3)
         ORDER BY p.search_name, p.id LIMIT {limit}"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(query)
        .bind(format!("{escaped}%"))
        .bind(&lowered)
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

pub async fn count_patrons(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM patron")
        .fetch_one(&mut *conn)
        .await?)
}
