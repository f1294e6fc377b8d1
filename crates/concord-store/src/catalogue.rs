//! Queries for the shared catalogue: bibs and their identifiers, authorities, items, merges,
//! import batches, and the change log the search index follows.

use concord_domain::catalogue::shelf::shelf_key;
use concord_domain::catalogue::{
    BibSummary, Identifier, IdentifierKind, ItemStatus, keys_of_stored, title_lookup_keys,
};
use concord_domain::codes::{Barcode, Code};
use concord_domain::ids::{AuthorityId, BibId, BibMergeId, BranchId, ItemId, MemberId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::rows::{flag, int, opt_int, opt_text, parsed, text};
use crate::{StoreError, StoreResult};

/// A stored bib.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BibRow {
    pub id: BibId,
    pub summary: BibSummary,
    pub match_key: Option<String>,
    /// The filing title normalised (`filing_title_key`), which staff title lookups scan.
    pub title_key: String,
    /// UTF-8 ISO 2709 without holdings fields.
    #[serde(skip)]
    pub marc: Vec<u8>,
    pub source_member: Option<MemberId>,
    pub source_record_id: String,
    pub withdrawn: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const BIB_COLUMNS: &str = "id, record_type, bibliographic_level, title, author, publication_year, match_key, title_key, marc, source_member_id, source_record_id, withdrawn, version, created_at, updated_at";

fn first_char(value: &str) -> char {
    value.chars().next().unwrap_or(' ')
}

fn blob(row: &AnyRow, column: &str) -> StoreResult<Vec<u8>> {
    row.try_get::<Vec<u8>, _>(column).map_err(StoreError::from)
}

fn bib_from_row(row: &AnyRow) -> StoreResult<BibRow> {
    Ok(BibRow {
        id: BibId(int(row, "id")?),
        summary: BibSummary {
            record_type: first_char(&text(row, "record_type")?),
            bibliographic_level: first_char(&text(row, "bibliographic_level")?),
            title: text(row, "title")?,
            author: text(row, "author")?,
            publication_year: opt_int(row, "publication_year")?.and_then(|y| i32::try_from(y).ok()),
        },
        match_key: opt_text(row, "match_key")?,
        // Filled in when the store opens for rows older than the column.
        title_key: opt_text(row, "title_key")?.unwrap_or_default(),
        marc: blob(row, "marc")?,
        source_member: opt_int(row, "source_member_id")?.map(MemberId),
        source_record_id: text(row, "source_record_id")?,
        withdrawn: flag(row, "withdrawn")?,
        version: int(row, "version")?,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}

pub async fn insert_bib(conn: &mut AnyConnection, bib: &BibRow) -> StoreResult<()> {
    insert_bibs(conn, std::slice::from_ref(bib)).await
}

/// Bound parameters one multi-row insert takes at most: within every SQLite's limit.
const PARAMETERS_PER_INSERT: usize = 990;

/// `($1, $2, …), ($n+1, …)`: the value rows of a multi-row insert of `rows` rows of `columns`.
fn value_rows(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(row * columns + 1, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes new bibs, many rows a statement (an import writes a batch's at once).
pub async fn insert_bibs(conn: &mut AnyConnection, bibs: &[BibRow]) -> StoreResult<()> {
    const COLUMNS: usize = 15;
    for chunk in bibs.chunks(PARAMETERS_PER_INSERT / COLUMNS) {
        let sql = format!(
            "INSERT INTO bib (id, record_type, bibliographic_level, title, author, publication_year, match_key, marc, source_member_id, source_record_id, withdrawn, version, created_at, updated_at, title_key)
             VALUES {}",
            value_rows(chunk.len(), COLUMNS)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for bib in chunk {
            query = query
                .bind(bib.id.0)
                .bind(bib.summary.record_type.to_string())
                .bind(bib.summary.bibliographic_level.to_string())
                .bind(bib.summary.title.clone())
                .bind(bib.summary.author.clone())
                .bind(bib.summary.publication_year.map(i64::from))
                .bind(bib.match_key.clone())
                .bind(bib.marc.clone())
                .bind(bib.source_member.map(|m| m.0))
                .bind(bib.source_record_id.clone())
                .bind(i64::from(bib.withdrawn))
                .bind(bib.version)
                .bind(bib.created_at)
                .bind(bib.updated_at)
                .bind(bib.title_key.clone());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The bibs with an item of `member` at one of `locations`.
pub async fn bibs_with_items_at(
    conn: &mut AnyConnection,
    member: MemberId,
    locations: &[Code],
) -> StoreResult<Vec<BibId>> {
    let mut bibs = Vec::new();
    for location in locations {
        let rows = sqlx::query(
            "SELECT DISTINCT bib_id FROM item WHERE member_id = $1 AND shelving_location = $2",
        )
        .bind(member.0)
        .bind(location.as_str())
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            bibs.push(BibId(int(row, "bib_id")?));
        }
    }
    bibs.sort_unstable();
    bibs.dedup();
    Ok(bibs)
}

/// How many bibs [`fill_title_keys`] keys per transaction.
const TITLE_KEY_BATCH: i64 = 1000;

/// Works out again the keys of every bib without a title key (those stored before keys existed,
/// or before a migration changed how keys are made and emptied them): its filing-title key and,
/// when its record can be read, its match key. A batch at a time, so that a large catalogue never
/// holds the writer for long. Run when the store opens.
pub(crate) async fn fill_title_keys(store: &crate::Store) -> StoreResult<()> {
    let mut filled: u64 = 0;
    loop {
        let mut tx = store.write().await?;
        let rows = sqlx::query("SELECT id, title, marc FROM bib WHERE title_key IS NULL LIMIT $1")
            .bind(TITLE_KEY_BATCH)
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let id = int(row, "id")?;
            let (title_key, match_key) = keys_of_stored(&blob(row, "marc")?, &text(row, "title")?);
            match match_key {
                Some(match_key) => {
                    sqlx::query("UPDATE bib SET title_key = $2, match_key = $3 WHERE id = $1")
                        .bind(id)
                        .bind(title_key)
                        .bind(match_key)
                        .execute(&mut *tx)
                        .await?
                }
                None => {
                    sqlx::query("UPDATE bib SET title_key = $2 WHERE id = $1")
                        .bind(id)
                        .bind(title_key)
                        .execute(&mut *tx)
                        .await?
                }
            };
        }
        tx.commit().await?;
        filled += rows.len() as u64;
    }
    if filled > 0 {
        tracing::info!(
            bibs = filled,
            "worked out stored bibs' title and match keys"
        );
    }
    Ok(())
}

/// A bib's columns derived from its record: summary and keys.
pub struct DerivedColumns<'a> {
    pub summary: &'a BibSummary,
    pub match_key: Option<&'a str>,
    pub title_key: &'a str,
}

/// Saves a new version of a bib's record (the MARC editor) and its derived columns.
pub async fn update_bib_record(
    conn: &mut AnyConnection,
    id: BibId,
    derived: &DerivedColumns<'_>,
    marc: &[u8],
    now: i64,
) -> StoreResult<()> {
    let summary = derived.summary;
    sqlx::query(
        "UPDATE bib SET record_type = $2, bibliographic_level = $3, title = $4, author = $5, publication_year = $6,
             match_key = $7, marc = $8, version = version + 1, updated_at = $9, title_key = $10 WHERE id = $1",
    )
    .bind(id.0)
    .bind(summary.record_type.to_string())
    .bind(summary.bibliographic_level.to_string())
    .bind(&summary.title)
    .bind(&summary.author)
    .bind(summary.publication_year.map(i64::from))
    .bind(derived.match_key)
    .bind(marc.to_vec())
    .bind(now)
    .bind(derived.title_key)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_bib_withdrawn(
    conn: &mut AnyConnection,
    id: BibId,
    withdrawn: bool,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE bib SET withdrawn = $2, updated_at = $3 WHERE id = $1")
        .bind(id.0)
        .bind(i64::from(withdrawn))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn bib(conn: &mut AnyConnection, id: BibId) -> StoreResult<Option<BibRow>> {
    let sql = format!("SELECT {BIB_COLUMNS} FROM bib WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(bib_from_row)
        .transpose()
}

/// Bibs in id order after `after`, for export: changed at or after `since`, and (when a member is
/// given) only those with an item of that member. Withdrawn bibs are left out.
pub async fn bibs_page(
    conn: &mut AnyConnection,
    member: Option<MemberId>,
    since: Option<i64>,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<BibRow>> {
    let member_clause = if member.is_some() {
        "AND EXISTS (SELECT 1 FROM item WHERE item.bib_id = bib.id AND item.member_id = $4)"
    } else {
        "AND $4 = $4"
    };
    let sql = format!(
        "SELECT {BIB_COLUMNS} FROM bib WHERE id > $1 AND withdrawn = 0 AND updated_at >= $2 {member_clause}
         ORDER BY id LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(since.unwrap_or(i64::MIN))
        .bind(limit)
        .bind(member.map_or(0, |m| m.0))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(bib_from_row).collect()
}

/// The most recently changed live bibs, newest first (the catalogue's staff entry page).
pub async fn recent_bibs(conn: &mut AnyConnection, limit: i64) -> StoreResult<Vec<BibRow>> {
    let sql = format!(
        "SELECT {BIB_COLUMNS} FROM bib WHERE withdrawn = 0 ORDER BY updated_at DESC, id DESC LIMIT $1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(bib_from_row).collect()
}

/// Live bibs whose filing title (without a leading article the record marks as non-filing)
/// starts with `prefix`, typed with or without such an article, compared as the domain's
/// `normalise_words` puts them (case, accents and punctuation ignored, in every script), by
/// indexed range scans of the titles' keys. A staff lookup for a record they can name, not
/// discovery search.
pub async fn bibs_by_title_prefix(
    conn: &mut AnyConnection,
    prefix: &str,
    limit: i64,
) -> StoreResult<Vec<BibRow>> {
    let sql = format!(
        "SELECT {BIB_COLUMNS} FROM bib WHERE withdrawn = 0 AND title_key >= $1 AND title_key < $2 ORDER BY title_key, id LIMIT $3"
    );
    let mut found: Vec<BibRow> = Vec::new();
    for start in title_lookup_keys(prefix) {
        // Every key that starts with `start` sorts from `start` up to `start` followed by the
        // highest code point, which no title key holds.
        let end = format!("{start}\u{10FFFF}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&start)
            .bind(end)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        for row in &rows {
            let bib = bib_from_row(row)?;
            if !found.iter().any(|seen| seen.id == bib.id) {
                found.push(bib);
            }
        }
    }
    found.sort_by(|a, b| a.title_key.cmp(&b.title_key).then(a.id.cmp(&b.id)));
    found.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(found)
}

pub async fn replace_identifiers(
    conn: &mut AnyConnection,
    bib: BibId,
    identifiers: &[Identifier],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM bib_identifier WHERE bib_id = $1")
        .bind(bib.0)
        .execute(&mut *conn)
        .await?;
    insert_identifiers(conn, bib, identifiers).await
}

/// Adds a new bib's identifiers in one statement (import speed: one round trip, not one each).
pub async fn insert_identifiers(
    conn: &mut AnyConnection,
    bib: BibId,
    identifiers: &[Identifier],
) -> StoreResult<()> {
    let rows: Vec<(BibId, Identifier)> = identifiers
        .iter()
        .map(|identifier| (bib, identifier.clone()))
        .collect();
    insert_identifiers_of(conn, &rows).await
}

/// Writes the identifiers of many bibs, many rows a statement.
pub async fn insert_identifiers_of(
    conn: &mut AnyConnection,
    rows: &[(BibId, Identifier)],
) -> StoreResult<()> {
    for chunk in rows.chunks(PARAMETERS_PER_INSERT / 3) {
        let sql = format!(
            "INSERT INTO bib_identifier (bib_id, kind, value) VALUES {}",
            value_rows(chunk.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (bib, identifier) in chunk {
            query = query
                .bind(bib.0)
                .bind(identifier.kind.as_str())
                .bind(identifier.value.clone());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn identifiers_of(conn: &mut AnyConnection, bib: BibId) -> StoreResult<Vec<Identifier>> {
    let rows = sqlx::query(
        "SELECT kind, value FROM bib_identifier WHERE bib_id = $1 ORDER BY kind, value",
    )
    .bind(bib.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let kind = text(row, "kind")?;
            Ok(Identifier {
                kind: IdentifierKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("bib_identifier.kind {kind}")))?,
                value: text(row, "value")?,
            })
        })
        .collect()
}

/// The oldest live bib carrying this identifier.
pub async fn bib_with_identifier(
    conn: &mut AnyConnection,
    identifier: &Identifier,
) -> StoreResult<Option<BibId>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT bi.bib_id FROM bib_identifier bi JOIN bib ON bib.id = bi.bib_id
         WHERE bi.kind = $1 AND bi.value = $2 AND bib.withdrawn = 0 ORDER BY bi.bib_id LIMIT 1",
    )
    .bind(identifier.kind.as_str())
    .bind(&identifier.value)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(id.map(BibId))
}

/// Values bound in one statement of the lookups below: well under SQLite's limit of bound
/// parameters, and enough that a batch of records asks a few times only.
const VALUES_PER_LOOKUP: usize = 500;

/// `$first, $first+1, …` for `count` bound values.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// For each of `values` that a bib (not withdrawn) has as an identifier of `kind`, the lowest
/// such bib: what [`bib_with_identifier`] gives for each, in a few statements.
pub async fn bibs_with_identifiers(
    conn: &mut AnyConnection,
    kind: IdentifierKind,
    values: &[String],
) -> StoreResult<Vec<(String, BibId)>> {
    let mut found = Vec::new();
    for chunk in values.chunks(VALUES_PER_LOOKUP) {
        let sql = format!(
            "SELECT bi.value, MIN(bi.bib_id) AS bib_id FROM bib_identifier bi JOIN bib ON bib.id = bi.bib_id
             WHERE bi.kind = $1 AND bi.value IN ({}) AND bib.withdrawn = 0 GROUP BY bi.value",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(kind.as_str());
        for value in chunk {
            query = query.bind(value);
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.push((text(&row, "value")?, BibId(int(&row, "bib_id")?)));
        }
    }
    Ok(found)
}

/// For each of `keys` that a bib (not withdrawn) has as its match key, the lowest such bib:
/// what [`bib_with_match_key`] gives for each, in a few statements.
pub async fn bibs_with_match_keys(
    conn: &mut AnyConnection,
    keys: &[String],
) -> StoreResult<Vec<(String, BibId)>> {
    let mut found = Vec::new();
    for chunk in keys.chunks(VALUES_PER_LOOKUP) {
        let sql = format!(
            "SELECT match_key, MIN(id) AS bib_id FROM bib WHERE match_key IN ({}) AND withdrawn = 0
             GROUP BY match_key",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for key in chunk {
            query = query.bind(key);
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.push((text(&row, "match_key")?, BibId(int(&row, "bib_id")?)));
        }
    }
    Ok(found)
}

/// Where each of `bibs` came from: the member whose record made it (if one did) and that
/// record's source id.
pub async fn bib_sources(
    conn: &mut AnyConnection,
    bibs: &[BibId],
) -> StoreResult<Vec<(BibId, Option<MemberId>, String)>> {
    let mut found = Vec::new();
    for chunk in bibs.chunks(VALUES_PER_LOOKUP) {
        let sql = format!(
            "SELECT id, source_member_id, source_record_id FROM bib WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for bib in chunk {
            query = query.bind(bib.0);
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.push((
                BibId(int(&row, "id")?),
                opt_int(&row, "source_member_id")?.map(MemberId),
                text(&row, "source_record_id")?,
            ));
        }
    }
    Ok(found)
}

/// The member owning the item with each of `barcodes` that an item has.
pub async fn barcode_owners(
    conn: &mut AnyConnection,
    barcodes: &[String],
) -> StoreResult<Vec<(String, MemberId)>> {
    let mut found = Vec::new();
    for chunk in barcodes.chunks(VALUES_PER_LOOKUP) {
        let sql = format!(
            "SELECT barcode, member_id FROM item WHERE barcode IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for barcode in chunk {
            query = query.bind(barcode);
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.push((text(&row, "barcode")?, MemberId(int(&row, "member_id")?)));
        }
    }
    Ok(found)
}

pub async fn bib_with_match_key(conn: &mut AnyConnection, key: &str) -> StoreResult<Option<BibId>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM bib WHERE match_key = $1 AND withdrawn = 0 ORDER BY id LIMIT 1",
    )
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(id.map(BibId))
}

/// The bib (not withdrawn) that this member's record with this source id created.
pub async fn bib_from_source(
    conn: &mut AnyConnection,
    member: MemberId,
    source_record_id: &str,
) -> StoreResult<Option<BibRow>> {
    let sql = format!(
        "SELECT {BIB_COLUMNS} FROM bib WHERE source_member_id = $1 AND source_record_id = $2 AND withdrawn = 0
         ORDER BY id LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(member.0)
        .bind(source_record_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(bib_from_row).transpose()
}

// ----- authorities -----

/// The authority stored from the record with this source id, with its MARC record.
pub async fn authority_by_source(
    conn: &mut AnyConnection,
    source_record_id: &str,
) -> StoreResult<Option<(AuthorityId, Vec<u8>)>> {
    let row = sqlx::query(
        "SELECT id, marc FROM authority WHERE source_record_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(source_record_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| Ok((AuthorityId(int(&row, "id")?), blob(&row, "marc")?)))
        .transpose()
}

/// Replaces an authority's heading and record with a later version, and its cross-references
/// with the new version's.
pub async fn update_authority(
    conn: &mut AnyConnection,
    id: AuthorityId,
    heading: &str,
    marc: &[u8],
    now: i64,
    references: &[AuthorityReference],
) -> StoreResult<()> {
    sqlx::query("UPDATE authority SET heading = $2, marc = $3, updated_at = $4 WHERE id = $1")
        .bind(id.0)
        .bind(heading)
        .bind(marc.to_vec())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    write_authority_references(conn, id, references).await
}

/// Takes an authority and its cross-references out of the catalogue.
pub async fn delete_authority(conn: &mut AnyConnection, id: AuthorityId) -> StoreResult<()> {
    sqlx::query("DELETE FROM authority_reference WHERE authority_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM authority WHERE id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Stores an authority record with its see references (written in the same transaction).
pub async fn insert_authority(
    conn: &mut AnyConnection,
    id: AuthorityId,
    heading: &str,
    marc: &[u8],
    source_record_id: &str,
    now: i64,
    references: &[AuthorityReference],
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO authority (id, heading, marc, source_record_id, created_at, updated_at, references_written)
         VALUES ($1, $2, $3, $4, $5, $5, 1)",
    )
    .bind(id.0)
    .bind(heading)
    .bind(marc.to_vec())
    .bind(source_record_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    insert_references(conn, id, references).await
}

/// A cross-reference of an authority record: where a patron may look (`variant`, at
/// `sort_key` in the `kind` browse list) and the record's heading, which the catalogue uses
/// instead (`relation` `see`) or as well (`see_also`, `narrower`, `broader`, `later`,
/// `earlier`: how the heading relates to the one looked under).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityReference {
    /// The browse list: `author` or `subject`.
    pub kind: String,
    pub relation: String,
    pub sort_key: String,
    /// The form looked under: a variant the catalogue does not use, or a related heading.
    pub variant: String,
    pub heading: String,
}

async fn insert_references(
    conn: &mut AnyConnection,
    id: AuthorityId,
    references: &[AuthorityReference],
) -> StoreResult<()> {
    for reference in references {
        sqlx::query(
            "INSERT INTO authority_reference
             (authority_id, kind, relation, sort_key, variant, heading)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.0)
        .bind(&reference.kind)
        .bind(&reference.relation)
        .bind(&reference.sort_key)
        .bind(&reference.variant)
        .bind(&reference.heading)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Up to `limit` authorities whose cross-references were never written (stored before they
/// were kept, or before the see also ones were), from id `after` up, with their MARC records,
/// by id.
pub async fn authorities_without_references(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<(AuthorityId, Vec<u8>)>> {
    let rows = sqlx::query(
        "SELECT id, marc FROM authority WHERE references_written IS NULL AND id > $1
         ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let marc: Vec<u8> = row.try_get("marc")?;
            Ok((AuthorityId(int(row, "id")?), marc))
        })
        .collect()
}

/// Writes the cross-references of an authority in place of any it had, and marks it done (one
/// that has none is marked too).
pub async fn write_authority_references(
    conn: &mut AnyConnection,
    id: AuthorityId,
    references: &[AuthorityReference],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM authority_reference WHERE authority_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    insert_references(conn, id, references).await?;
    sqlx::query("UPDATE authority SET references_written = 1 WHERE id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The cross-references of the `kind` browse list whose sort keys lie after `after` (every
/// one when `None`) and up to `up_to` inclusive (to the end when `None`), in key order, at
/// most `limit`.
pub async fn references_between(
    conn: &mut AnyConnection,
    kind: &str,
    after: Option<&str>,
    up_to: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<AuthorityReference>> {
    // Only the bounds given are compared, each its own parameter in turn.
    let mut sql = String::from(
        "SELECT kind, relation, sort_key, variant, heading FROM authority_reference
         WHERE kind = $1",
    );
    let bounds: Vec<(&str, &str)> = [(" AND sort_key > ", after), (" AND sort_key <= ", up_to)]
        .into_iter()
        .filter_map(|(comparison, key)| key.map(|key| (comparison, key)))
        .collect();
    for (number, (comparison, _)) in bounds.iter().enumerate() {
        sql.push_str(&format!("{comparison}${}", number + 2));
    }
    sql.push_str(&format!(
        " ORDER BY sort_key, variant, relation, heading LIMIT ${}",
        bounds.len() + 2
    ));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(kind);
    for (_, key) in &bounds {
        query = query.bind(*key);
    }
    let rows = query.bind(limit).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            Ok(AuthorityReference {
                kind: text(row, "kind")?,
                relation: text(row, "relation")?,
                sort_key: text(row, "sort_key")?,
                variant: text(row, "variant")?,
                heading: text(row, "heading")?,
            })
        })
        .collect()
}

// ----- items -----

/// A stored item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRow {
    pub id: ItemId,
    pub bib_id: BibId,
    pub member_id: MemberId,
    pub branch_id: BranchId,
    pub current_branch_id: BranchId,
    pub barcode: Barcode,
    pub call_number: String,
    pub item_type: Code,
    pub shelving_location: Option<Code>,
    pub price_minor: Option<i64>,
    pub status: ItemStatus,
    pub hidden_from_other_members: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An item row's shelving location, when it has one.
fn item_location(row: &AnyRow) -> StoreResult<Option<Code>> {
    opt_text(row, "shelving_location")?
        .map(|raw| {
            parsed(
                "item.shelving_location",
                Code::parse("shelving_location", &raw),
            )
        })
        .transpose()
}

const ITEM_COLUMNS: &str = "id, bib_id, member_id, branch_id, current_branch_id, barcode, call_number, item_type, shelving_location, price_minor, status, hidden_from_other_members, created_at, updated_at";

fn item_from_row(row: &AnyRow) -> StoreResult<ItemRow> {
    Ok(ItemRow {
        id: ItemId(int(row, "id")?),
        bib_id: BibId(int(row, "bib_id")?),
        member_id: MemberId(int(row, "member_id")?),
        branch_id: BranchId(int(row, "branch_id")?),
        current_branch_id: BranchId(int(row, "current_branch_id")?),
        barcode: parsed(
            "item.barcode",
            Barcode::parse("barcode", &text(row, "barcode")?),
        )?,
        call_number: text(row, "call_number")?,
        item_type: parsed(
            "item.item_type",
            Code::parse("item_type", &text(row, "item_type")?),
        )?,
        shelving_location: item_location(row)?,
        price_minor: opt_int(row, "price_minor")?,
        status: parsed(
            "item.status",
            ItemStatus::parse("status", &text(row, "status")?),
        )?,
        hidden_from_other_members: flag(row, "hidden_from_other_members")?,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}

pub async fn insert_item(conn: &mut AnyConnection, item: &ItemRow) -> StoreResult<()> {
    insert_items(conn, std::slice::from_ref(item)).await
}

/// Writes new items, many rows a statement. A barcode stored already is a conflict naming it
/// (the first of the rows, when several are written at once).
pub async fn insert_items(conn: &mut AnyConnection, items: &[ItemRow]) -> StoreResult<()> {
    const COLUMNS: usize = 15;
    for chunk in items.chunks(PARAMETERS_PER_INSERT / COLUMNS) {
        let sql = format!(
            "INSERT INTO item (id, bib_id, member_id, branch_id, current_branch_id, barcode, call_number, item_type, shelving_location, price_minor, status, hidden_from_other_members, created_at, updated_at, shelf_key)
             VALUES {}",
            value_rows(chunk.len(), COLUMNS)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for item in chunk {
            query = query
                .bind(item.id.0)
                .bind(item.bib_id.0)
                .bind(item.member_id.0)
                .bind(item.branch_id.0)
                .bind(item.current_branch_id.0)
                .bind(item.barcode.as_str().to_owned())
                .bind(item.call_number.clone())
                .bind(item.item_type.as_str().to_owned())
                .bind(
                    item.shelving_location
                        .as_ref()
                        .map(|c| c.as_str().to_string()),
                )
                .bind(item.price_minor)
                .bind(item.status.as_str())
                .bind(i64::from(item.hidden_from_other_members))
                .bind(item.created_at)
                .bind(item.updated_at)
                .bind(shelf_key(&item.call_number));
        }
        let barcodes = match chunk {
            [item] => format!("barcode {}", item.barcode),
            _ => format!(
                "one of the barcodes {} to {}",
                chunk.first().map_or("", |i| i.barcode.as_str()),
                chunk.last().map_or("", |i| i.barcode.as_str())
            ),
        };
        query
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::from(e).duplicate_as(barcodes))?;
    }
    Ok(())
}

/// Saves every changeable column of an item.
pub async fn update_item(conn: &mut AnyConnection, item: &ItemRow) -> StoreResult<()> {
    sqlx::query(
        "UPDATE item SET bib_id = $2, branch_id = $3, current_branch_id = $4, barcode = $5, call_number = $6, item_type = $7,
             shelving_location = $8, price_minor = $9, status = $10, hidden_from_other_members = $11, updated_at = $12,
             shelf_key = $13
         WHERE id = $1",
    )
    .bind(item.id.0)
    .bind(item.bib_id.0)
    .bind(item.branch_id.0)
    .bind(item.current_branch_id.0)
    .bind(item.barcode.as_str())
    .bind(&item.call_number)
    .bind(item.item_type.as_str())
    .bind(item.shelving_location.as_ref().map(|c| c.as_str().to_string()))
    .bind(item.price_minor)
    .bind(item.status.as_str())
    .bind(i64::from(item.hidden_from_other_members))
    .bind(item.updated_at)
    .bind(shelf_key(&item.call_number))
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::from(e).duplicate_as(format!("barcode {}", item.barcode)))?;
    Ok(())
}

pub async fn item(conn: &mut AnyConnection, id: ItemId) -> StoreResult<Option<ItemRow>> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM item WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(item_from_row)
        .transpose()
}

pub async fn item_by_barcode(
    conn: &mut AnyConnection,
    barcode: &Barcode,
) -> StoreResult<Option<ItemRow>> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM item WHERE barcode = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(barcode.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(item_from_row)
        .transpose()
}

/// The item with `barcode` and its bib's title, in one statement: a desk action needs both, and
/// reading the title here spares the receipt a second round trip after the commit.
pub async fn item_and_title_by_barcode(
    conn: &mut AnyConnection,
    barcode: &Barcode,
) -> StoreResult<Option<(ItemRow, String)>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS}, (SELECT b.title FROM bib b WHERE b.id = item.bib_id) AS bib_title
         FROM item WHERE barcode = $1"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(barcode.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(|row| {
            Ok((
                item_from_row(row)?,
                opt_text(row, "bib_title")?.unwrap_or_default(),
            ))
        })
        .transpose()
}

/// When each bib with an id from `first` to `last` inclusive last changed (Unix seconds), by
/// id: one range of the primary key, for a sitemap's `lastmod`s.
pub async fn bib_updated_between(
    conn: &mut AnyConnection,
    first: BibId,
    last: BibId,
) -> StoreResult<Vec<(BibId, i64)>> {
    let rows =
        sqlx::query("SELECT id, updated_at FROM bib WHERE id >= $1 AND id <= $2 ORDER BY id")
            .bind(first.0)
            .bind(last.0)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|row| Ok((BibId(int(row, "id")?), int(row, "updated_at")?)))
        .collect()
}

/// A bib's items, by member then barcode.
pub async fn items_of_bib(conn: &mut AnyConnection, bib: BibId) -> StoreResult<Vec<ItemRow>> {
    let sql =
        format!("SELECT {ITEM_COLUMNS} FROM item WHERE bib_id = $1 ORDER BY member_id, barcode");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(bib.0)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(item_from_row).collect()
}

/// The items of bibs with ids from `first` to `last` inclusive, by bib then member then barcode:
/// one query for a page of bibs when the search index is rebuilt.
pub async fn items_of_bib_range(
    conn: &mut AnyConnection,
    first: BibId,
    last: BibId,
) -> StoreResult<Vec<ItemRow>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM item WHERE bib_id >= $1 AND bib_id <= $2 ORDER BY bib_id, member_id, barcode"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(first.0)
        .bind(last.0)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(item_from_row).collect()
}

/// How many items [`fill_shelf_keys`] keys per transaction, as many as patrons' search names.
const SHELF_KEY_BATCH: i64 = 500;

/// Works out the shelf keys of items stored before the store kept them, a batch per
/// transaction, once when the store opens.
pub(crate) async fn fill_shelf_keys(store: &crate::Store) -> StoreResult<()> {
    let filled = crate::refill::fill_column(
        store,
        "item",
        "shelf_key",
        "SELECT id, call_number FROM item WHERE shelf_key IS NULL LIMIT $1",
        SHELF_KEY_BATCH,
        |row| Ok(shelf_key(&text(row, "call_number")?)),
    )
    .await?;
    if filled > 0 {
        tracing::info!(items = filled, "worked out stored items' shelf keys");
    }
    Ok(())
}

/// One item on a branch's shelf, with what a shelf list shows of its bib.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShelfItem {
    pub item_id: ItemId,
    pub bib_id: BibId,
    pub call_number: String,
    pub shelf_key: String,
    pub shelving_location: Option<Code>,
    pub status: ItemStatus,
    pub title: String,
    pub author: String,
}

/// Which way along a shelf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Along {
    /// Towards the start of the shelf: the nearest first.
    Before,
    /// Towards its end: the nearest first.
    After,
}

/// The place of one item on its branch's shelf, and who may see what stands there.
#[derive(Debug, Clone, Copy)]
pub struct ShelfPlace<'a> {
    pub branch: BranchId,
    pub shelf_key: &'a str,
    pub item: ItemId,
    /// Whether the items that their member keeps out of other members' views (hidden items,
    /// items at a location the member keeps back) are left out: true unless the viewer is the
    /// branch's member.
    pub public: bool,
}

/// Up to `limit` items next to `place` on its branch's shelf, `along` it, the nearest first:
/// items with a call number whose bib and themselves are not withdrawn, in shelf-key then id
/// order, read by a range of the `item_on_shelf` index.
pub async fn shelf_items(
    conn: &mut AnyConnection,
    place: ShelfPlace<'_>,
    along: Along,
    limit: i64,
) -> StoreResult<Vec<ShelfItem>> {
    let (comparison, order) = match along {
        Along::Before => ("<", "DESC"),
        Along::After => (">", "ASC"),
    };
    let public = if place.public {
        "AND item.hidden_from_other_members = 0
         AND NOT EXISTS (SELECT 1 FROM member_hidden_location h
                         WHERE h.member_id = item.member_id
                           AND h.shelving_location = item.shelving_location)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT item.id AS item_id, item.bib_id AS bib_id, item.call_number AS call_number,
                item.shelf_key AS shelf_key, item.shelving_location AS shelving_location,
                item.status AS status, bib.title AS title,
                bib.author AS author
         FROM item JOIN bib ON bib.id = item.bib_id
         WHERE item.branch_id = $1 AND (item.shelf_key, item.id) {comparison} ($2, $3)
           AND item.shelf_key <> '' AND item.status <> 'withdrawn' AND bib.withdrawn = 0
           {public}
         ORDER BY item.shelf_key {order}, item.id {order}
         LIMIT $4"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(place.branch.0)
        .bind(place.shelf_key)
        .bind(place.item.0)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ShelfItem {
                item_id: ItemId(int(row, "item_id")?),
                bib_id: BibId(int(row, "bib_id")?),
                call_number: text(row, "call_number")?,
                shelf_key: text(row, "shelf_key")?,
                shelving_location: item_location(row)?,
                status: parsed(
                    "item.status",
                    ItemStatus::parse("status", &text(row, "status")?),
                )?,
                title: text(row, "title")?,
                author: text(row, "author")?,
            })
        })
        .collect()
}

// ----- merges -----

/// A merge of a source record (on load) or a bib (by hand) into a kept bib.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeRow {
    pub id: BibMergeId,
    pub kept_bib: BibId,
    pub merged_bib: Option<BibId>,
    pub member: Option<MemberId>,
    pub source_record_id: String,
    /// The rule that matched (`oclc`, `lccn`, `isbn`, `issn`, `match_key`) or `manual`.
    pub rule: String,
    pub items: Vec<ItemId>,
    pub merged_by: String,
    pub merged_at: i64,
    pub undone_at: Option<i64>,
    #[serde(skip)]
    pub source_marc: Option<Vec<u8>>,
}

const MERGE_COLUMNS: &str = "id, kept_bib_id, merged_bib_id, member_id, source_record_id, rule, item_ids, merged_by, merged_at, undone_at, source_marc";

fn merge_from_row(row: &AnyRow) -> StoreResult<MergeRow> {
    let items: Vec<i64> = serde_json::from_str(&text(row, "item_ids")?)
        .map_err(|e| StoreError::Corrupt(format!("bib_merge.item_ids: {e}")))?;
    Ok(MergeRow {
        id: BibMergeId(int(row, "id")?),
        kept_bib: BibId(int(row, "kept_bib_id")?),
        merged_bib: opt_int(row, "merged_bib_id")?.map(BibId),
        member: opt_int(row, "member_id")?.map(MemberId),
        source_record_id: text(row, "source_record_id")?,
        rule: text(row, "rule")?,
        items: items.into_iter().map(ItemId).collect(),
        merged_by: text(row, "merged_by")?,
        merged_at: int(row, "merged_at")?,
        undone_at: opt_int(row, "undone_at")?,
        source_marc: row
            .try_get::<Option<Vec<u8>>, _>("source_marc")
            .map_err(StoreError::from)?,
    })
}

pub async fn insert_merge(conn: &mut AnyConnection, merge: &MergeRow) -> StoreResult<()> {
    let items: Vec<i64> = merge.items.iter().map(|i| i.0).collect();
    sqlx::query(
        "INSERT INTO bib_merge (id, kept_bib_id, merged_bib_id, member_id, source_record_id, rule, item_ids, merged_by, merged_at, undone_at, source_marc)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(merge.id.0)
    .bind(merge.kept_bib.0)
    .bind(merge.merged_bib.map(|b| b.0))
    .bind(merge.member.map(|m| m.0))
    .bind(&merge.source_record_id)
    .bind(&merge.rule)
    .bind(serde_json::to_string(&items).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    .bind(&merge.merged_by)
    .bind(merge.merged_at)
    .bind(merge.undone_at)
    .bind(merge.source_marc.clone())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds items to a load merge already recorded (a re-import that brings new barcodes).
pub async fn set_merge_items(
    conn: &mut AnyConnection,
    id: BibMergeId,
    items: &[ItemId],
) -> StoreResult<()> {
    let items: Vec<i64> = items.iter().map(|i| i.0).collect();
    sqlx::query("UPDATE bib_merge SET item_ids = $2 WHERE id = $1")
        .bind(id.0)
        .bind(serde_json::to_string(&items).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn merge(conn: &mut AnyConnection, id: BibMergeId) -> StoreResult<Option<MergeRow>> {
    let sql = format!("SELECT {MERGE_COLUMNS} FROM bib_merge WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(merge_from_row)
        .transpose()
}

/// The live load merge of this member's source record into `bib`, if any.
pub async fn load_merge_of(
    conn: &mut AnyConnection,
    bib: BibId,
    member: MemberId,
    source_record_id: &str,
) -> StoreResult<Option<MergeRow>> {
    let sql = format!(
        "SELECT {MERGE_COLUMNS} FROM bib_merge WHERE kept_bib_id = $1 AND member_id = $2 AND source_record_id = $3 AND undone_at IS NULL ORDER BY id LIMIT 1"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(bib.0)
        .bind(member.0)
        .bind(source_record_id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(merge_from_row)
        .transpose()
}

/// Merges into `bib` (kept) or out of it (merged), newest first.
pub async fn merges_of_bib(conn: &mut AnyConnection, bib: BibId) -> StoreResult<Vec<MergeRow>> {
    let sql = format!(
        "SELECT {MERGE_COLUMNS} FROM bib_merge WHERE kept_bib_id = $1 OR merged_bib_id = $1 ORDER BY id DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(bib.0)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(merge_from_row).collect()
}

pub async fn mark_merge_undone(
    conn: &mut AnyConnection,
    id: BibMergeId,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE bib_merge SET undone_at = $2 WHERE id = $1")
        .bind(id.0)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ----- import batches -----

/// The counts of one import, as the summary shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub read: u64,
    pub created: u64,
    pub merged: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub authorities: u64,
    pub items_created: u64,
    /// Records that replaced the catalogue's version with a later one (bibs and authorities).
    pub updated: u64,
    /// Records the sender marks deleted that took a bib or an authority out of the catalogue.
    pub deleted: u64,
    /// Versions older (by 005) than the catalogue's, left out.
    pub older: u64,
}

impl ImportCounts {
    /// The counts a summary shows, by name, in order: what every import does, then what only
    /// corrections and deletions do, when they happened, then what was left or refused ("read
    /// 48,210 · created 19,304 · merged 28,881 · … · rejected 25").
    pub fn shown(&self) -> Vec<(&'static str, u64)> {
        let occasional = [
            ("updated", self.updated),
            ("older", self.older),
            ("deleted", self.deleted),
        ];
        [
            ("read", self.read),
            ("created", self.created),
            ("merged", self.merged),
        ]
        .into_iter()
        .chain(occasional.into_iter().filter(|(_, count)| *count > 0))
        .chain([
            ("unchanged", self.unchanged),
            ("rejected", self.rejected),
            ("authorities", self.authorities),
            ("items", self.items_created),
        ])
        .collect()
    }
}

pub async fn save_import_batch(
    conn: &mut AnyConnection,
    id: i64,
    member: MemberId,
    file_name: &str,
    started_at: i64,
    finished_at: i64,
    counts: &ImportCounts,
) -> StoreResult<()> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO import_batch (id, member_id, file_name, started_at, finished_at, records_read, created, merged, unchanged, rejected, authorities, updated, deleted, older)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(id)
    .bind(member.0)
    .bind(file_name)
    .bind(started_at)
    .bind(finished_at)
    .bind(n(counts.read))
    .bind(n(counts.created))
    .bind(n(counts.merged))
    .bind(n(counts.unchanged))
    .bind(n(counts.rejected))
    .bind(n(counts.authorities))
    .bind(n(counts.updated))
    .bind(n(counts.deleted))
    .bind(n(counts.older))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ----- the change log -----

/// One change the search index must pick up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueChange {
    pub seq: i64,
    pub entity_kind: String,
    pub entity_id: i64,
    pub changed_at: i64,
}

/// Logs a change inside the caller's write transaction and returns its sequence number. The
/// counter row's lock makes concurrent writers take numbers in commit order on PostgreSQL.
pub async fn log_change(
    conn: &mut AnyConnection,
    entity_kind: &str,
    entity_id: i64,
    now: i64,
) -> StoreResult<i64> {
    let seq: i64 = sqlx::query_scalar(
        "UPDATE catalogue_sequence SET next_seq = next_seq + 1 WHERE id = 1 RETURNING next_seq",
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO catalogue_change (seq, entity_kind, entity_id, changed_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(seq)
    .bind(entity_kind)
    .bind(entity_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(seq)
}

/// Logs many changes of one kind at once (an import batch): reserves their sequence numbers
/// with one update of the counter and writes them with one insert per 250 entities.
pub async fn log_changes(
    conn: &mut AnyConnection,
    entity_kind: &str,
    entity_ids: &[i64],
    now: i64,
) -> StoreResult<()> {
    // A batch holds at most a few thousand entities: the cast cannot wrap.
    let count = entity_ids.len() as i64;
    if count == 0 {
        return Ok(());
    }
    let last: i64 = sqlx::query_scalar(
        "UPDATE catalogue_sequence SET next_seq = next_seq + $1 WHERE id = 1 RETURNING next_seq",
    )
    .bind(count)
    .fetch_one(&mut *conn)
    .await?;
    let mut seq = last - count;
    for chunk in entity_ids.chunks(250) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, $1, ${}, $2)", 2 * i + 3, 2 * i + 4))
            .collect();
        let sql = format!(
            "INSERT INTO catalogue_change (seq, entity_kind, entity_id, changed_at) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity_kind.to_string())
            .bind(now);
        for id in chunk {
            seq += 1;
            query = query.bind(seq).bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Changes with a sequence number above `after`, oldest first.
pub async fn changes_since(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<CatalogueChange>> {
    let rows = sqlx::query(
        "SELECT seq, entity_kind, entity_id, changed_at FROM catalogue_change WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(CatalogueChange {
                seq: int(row, "seq")?,
                entity_kind: text(row, "entity_kind")?,
                entity_id: int(row, "entity_id")?,
                changed_at: int(row, "changed_at")?,
            })
        })
        .collect()
}

/// The newest sequence number (0 before any change).
pub async fn max_change_seq(conn: &mut AnyConnection) -> StoreResult<i64> {
    let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM catalogue_change")
        .fetch_one(&mut *conn)
        .await?;
    Ok(seq.unwrap_or(0))
}

/// How many live bibs, authorities and items there are (for summaries and tests).
pub async fn counts(conn: &mut AnyConnection) -> StoreResult<(i64, i64, i64)> {
    let bibs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bib WHERE withdrawn = 0")
        .fetch_one(&mut *conn)
        .await?;
    let authorities: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM authority")
        .fetch_one(&mut *conn)
        .await?;
    let items: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM item")
        .fetch_one(&mut *conn)
        .await?;
    Ok((bibs, authorities, items))
}
