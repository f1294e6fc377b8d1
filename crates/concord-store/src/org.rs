//! Queries for the consortium, its members and branches.

use concord_domain::calendar::{Date, WeeklyHours};
use concord_domain::codes::Code;
use concord_domain::ids::{BranchId, MemberId};
use concord_domain::org::{
    Branch, BranchDraft, Branding, ClosedDate, Colour, Member, MemberDraft, MemberKind,
};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::rows::{flag, int, opt_text, parsed, text};
use crate::{StoreError, StoreResult};

/// The consortium's own settings (one row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsortiumSettings {
    pub code: String,
    pub name: String,
    /// ISO 4217 code of the currency fines are charged in.
    pub currency: String,
    /// The consortium's local time as an offset from UTC, for dates and opening hours.
    pub utc_offset_seconds: i64,
}

pub async fn consortium(conn: &mut AnyConnection) -> StoreResult<Option<ConsortiumSettings>> {
    let row =
        sqlx::query("SELECT code, name, currency, utc_offset_seconds FROM consortium LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|row| {
        Ok(ConsortiumSettings {
            code: text(&row, "code")?,
            name: text(&row, "name")?,
            currency: text(&row, "currency")?,
            utc_offset_seconds: int(&row, "utc_offset_seconds")?,
        })
    })
    .transpose()
}

/// Creates or replaces the consortium's settings.
pub async fn save_consortium(
    conn: &mut AnyConnection,
    id: i64,
    settings: &ConsortiumSettings,
    now: i64,
) -> StoreResult<()> {
    crate::settings_generation::bump(conn).await?;
    let updated = sqlx::query(
        "UPDATE consortium SET code = $1, name = $2, currency = $3, utc_offset_seconds = $4, updated_at = $5",
    )
    .bind(&settings.code)
    .bind(&settings.name)
    .bind(&settings.currency)
    .bind(settings.utc_offset_seconds)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO consortium (id, code, name, currency, utc_offset_seconds, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id)
        .bind(&settings.code)
        .bind(&settings.name)
        .bind(&settings.currency)
        .bind(settings.utc_offset_seconds)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

const MEMBER_COLUMNS: &str = "id, code, name, kind, display_name, colour, logo_url";

fn member_from_row(row: &AnyRow) -> StoreResult<Member> {
    Ok(Member {
        id: MemberId(int(row, "id")?),
        code: parsed("member.code", Code::parse("code", &text(row, "code")?))?,
        name: text(row, "name")?,
        kind: parsed(
            "member.kind",
            MemberKind::parse("kind", &text(row, "kind")?),
        )?,
        branding: Branding {
            display_name: text(row, "display_name")?,
            colour: parsed(
                "member.colour",
                Colour::parse("colour", &text(row, "colour")?),
            )?,
            logo_url: opt_text(row, "logo_url")?,
        },
    })
}

pub async fn insert_member(
    conn: &mut AnyConnection,
    id: MemberId,
    draft: &MemberDraft,
    now: i64,
) -> StoreResult<Member> {
    crate::settings_generation::bump(conn).await?;
    sqlx::query(
        "INSERT INTO member (id, code, name, kind, display_name, colour, logo_url, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id.0)
    .bind(draft.code.as_str())
    .bind(&draft.name)
    .bind(draft.kind.as_str())
    .bind(&draft.branding.display_name)
    .bind(draft.branding.colour.as_str())
    .bind(draft.branding.logo_url.as_deref())
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::from(e).duplicate_as(format!("member code {}", draft.code)))?;
    Ok(Member {
        id,
        code: draft.code.clone(),
        name: draft.name.clone(),
        kind: draft.kind,
        branding: draft.branding.clone(),
    })
}

pub async fn update_member(
    conn: &mut AnyConnection,
    id: MemberId,
    draft: &MemberDraft,
    now: i64,
) -> StoreResult<Member> {
    crate::settings_generation::bump(conn).await?;
    sqlx::query(
        "UPDATE member SET code = $2, name = $3, kind = $4, display_name = $5, colour = $6,
         logo_url = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(id.0)
    .bind(draft.code.as_str())
    .bind(&draft.name)
    .bind(draft.kind.as_str())
    .bind(&draft.branding.display_name)
    .bind(draft.branding.colour.as_str())
    .bind(draft.branding.logo_url.as_deref())
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::from(e).duplicate_as(format!("member code {}", draft.code)))?;
    Ok(Member {
        id,
        code: draft.code.clone(),
        name: draft.name.clone(),
        kind: draft.kind,
        branding: draft.branding.clone(),
    })
}

pub async fn member_by_code(conn: &mut AnyConnection, code: &Code) -> StoreResult<Option<Member>> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM member WHERE code = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| member_from_row(&row))
        .transpose()
}

pub async fn member_by_id(conn: &mut AnyConnection, id: MemberId) -> StoreResult<Option<Member>> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM member WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| member_from_row(&row))
        .transpose()
}

pub async fn list_members(conn: &mut AnyConnection) -> StoreResult<Vec<Member>> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM member ORDER BY code");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(member_from_row)
        .collect()
}

/// Every member's hidden shelving locations.
pub async fn hidden_locations(conn: &mut AnyConnection) -> StoreResult<Vec<(MemberId, Code)>> {
    sqlx::query("SELECT member_id, shelving_location FROM member_hidden_location")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| member_location(row, "member_hidden_location"))
        .collect()
}

/// A row's member and shelving location code, of a table of `table`.
fn member_location(row: &AnyRow, table: &str) -> StoreResult<(MemberId, Code)> {
    Ok((
        MemberId(int(row, "member_id")?),
        parsed(
            &format!("{table}.shelving_location"),
            Code::parse("shelving_location", &text(row, "shelving_location")?),
        )?,
    ))
}

/// One member's hidden shelving locations, by code.
pub async fn member_hidden_locations(
    conn: &mut AnyConnection,
    member: MemberId,
) -> StoreResult<Vec<Code>> {
    let mut codes: Vec<Code> = hidden_locations(conn)
        .await?
        .into_iter()
        .filter(|(owner, _)| *owner == member)
        .map(|(_, code)| code)
        .collect();
    codes.sort();
    Ok(codes)
}

/// Makes `locations` the member's hidden shelving locations.
pub async fn replace_member_hidden_locations(
    conn: &mut AnyConnection,
    member: MemberId,
    locations: &[Code],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM member_hidden_location WHERE member_id = $1")
        .bind(member.0)
        .execute(&mut *conn)
        .await?;
    for location in locations {
        sqlx::query(
            "INSERT INTO member_hidden_location (member_id, shelving_location) VALUES ($1, $2)",
        )
        .bind(member.0)
        .bind(location.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Every member's names of its shelving locations.
pub async fn location_names(
    conn: &mut AnyConnection,
) -> StoreResult<Vec<(MemberId, Code, String)>> {
    sqlx::query("SELECT member_id, shelving_location, name FROM shelving_location_name")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            let (member, code) = member_location(row, "shelving_location_name")?;
            Ok((member, code, text(row, "name")?))
        })
        .collect()
}

/// Makes `names` (code and name) the names of the member's shelving locations.
pub async fn replace_member_location_names(
    conn: &mut AnyConnection,
    member: MemberId,
    names: &[(Code, String)],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM shelving_location_name WHERE member_id = $1")
        .bind(member.0)
        .execute(&mut *conn)
        .await?;
    for (code, name) in names {
        sqlx::query(
            "INSERT INTO shelving_location_name (member_id, shelving_location, name) VALUES ($1, $2, $3)",
        )
        .bind(member.0)
        .bind(code.as_str())
        .bind(name.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The shelving locations the member's items (withdrawn ones aside) stand at, each with how
/// many stand there, by code.
pub async fn member_locations_in_use(
    conn: &mut AnyConnection,
    member: MemberId,
) -> StoreResult<Vec<(Code, i64)>> {
    sqlx::query(
        "SELECT shelving_location, COUNT(*) AS items FROM item
         WHERE member_id = $1 AND shelving_location IS NOT NULL AND status <> 'withdrawn'
         GROUP BY shelving_location ORDER BY shelving_location",
    )
    .bind(member.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            parsed(
                "item.shelving_location",
                Code::parse("shelving_location", &text(row, "shelving_location")?),
            )?,
            int(row, "items")?,
        ))
    })
    .collect()
}

const BRANCH_COLUMNS: &str =
    "id, member_id, code, name, address, opening_hours, is_pickup_location, has_curbside";

fn branch_from_row(row: &AnyRow) -> StoreResult<Branch> {
    let hours: WeeklyHours = parsed(
        "branch.opening_hours",
        serde_json::from_str(&text(row, "opening_hours")?),
    )?;
    Ok(Branch {
        id: BranchId(int(row, "id")?),
        member_id: MemberId(int(row, "member_id")?),
        code: parsed("branch.code", Code::parse("code", &text(row, "code")?))?,
        name: text(row, "name")?,
        address: text(row, "address")?,
        opening_hours: hours,
        closed_dates: Vec::new(),
        is_pickup_location: flag(row, "is_pickup_location")?,
        has_curbside: flag(row, "has_curbside")?,
    })
}

async fn attach_closed_dates(conn: &mut AnyConnection, branches: &mut [Branch]) -> StoreResult<()> {
    if branches.is_empty() {
        return Ok(());
    }
    let rows = sqlx::query(
        "SELECT branch_id, closed_on, reason FROM branch_closed_date ORDER BY branch_id, closed_on",
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let branch_id = BranchId(int(&row, "branch_id")?);
        if let Some(branch) = branches.iter_mut().find(|b| b.id == branch_id) {
            branch.closed_dates.push(ClosedDate {
                date: parsed(
                    "closed_on",
                    Date::parse("closed_on", &text(&row, "closed_on")?),
                )?,
                reason: text(&row, "reason")?,
            });
        }
    }
    Ok(())
}

async fn write_closed_dates(
    conn: &mut AnyConnection,
    branch: BranchId,
    closed_dates: &[ClosedDate],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM branch_closed_date WHERE branch_id = $1")
        .bind(branch.0)
        .execute(&mut *conn)
        .await?;
    for closed in closed_dates {
        sqlx::query(
            "INSERT INTO branch_closed_date (branch_id, closed_on, reason) VALUES ($1, $2, $3)",
        )
        .bind(branch.0)
        .bind(closed.date.to_string())
        .bind(&closed.reason)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn hours_json(hours: &WeeklyHours) -> StoreResult<String> {
    serde_json::to_string(hours).map_err(|e| StoreError::Corrupt(format!("opening hours: {e}")))
}

pub async fn insert_branch(
    conn: &mut AnyConnection,
    id: BranchId,
    member: MemberId,
    draft: &BranchDraft,
    now: i64,
) -> StoreResult<Branch> {
    crate::settings_generation::bump(conn).await?;
    sqlx::query(
        "INSERT INTO branch (id, member_id, code, name, address, opening_hours, is_pickup_location,
         has_curbside, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id.0)
    .bind(member.0)
    .bind(draft.code.as_str())
    .bind(&draft.name)
    .bind(&draft.address)
    .bind(hours_json(&draft.opening_hours)?)
    .bind(i64::from(draft.is_pickup_location))
    .bind(i64::from(draft.has_curbside))
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::from(e).duplicate_as(format!("branch code {}", draft.code)))?;
    write_closed_dates(conn, id, &draft.closed_dates).await?;
    Ok(branch_from_draft(id, member, draft))
}

pub async fn update_branch(
    conn: &mut AnyConnection,
    id: BranchId,
    member: MemberId,
    draft: &BranchDraft,
    now: i64,
) -> StoreResult<Branch> {
    crate::settings_generation::bump(conn).await?;
    sqlx::query(
        "UPDATE branch SET member_id = $2, code = $3, name = $4, address = $5, opening_hours = $6,
         is_pickup_location = $7, has_curbside = $8, updated_at = $9 WHERE id = $1",
    )
    .bind(id.0)
    .bind(member.0)
    .bind(draft.code.as_str())
    .bind(&draft.name)
    .bind(&draft.address)
    .bind(hours_json(&draft.opening_hours)?)
    .bind(i64::from(draft.is_pickup_location))
    .bind(i64::from(draft.has_curbside))
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::from(e).duplicate_as(format!("branch code {}", draft.code)))?;
    write_closed_dates(conn, id, &draft.closed_dates).await?;
    Ok(branch_from_draft(id, member, draft))
}

fn branch_from_draft(id: BranchId, member: MemberId, draft: &BranchDraft) -> Branch {
    Branch {
        id,
        member_id: member,
        code: draft.code.clone(),
        name: draft.name.clone(),
        address: draft.address.clone(),
        opening_hours: draft.opening_hours.clone(),
        closed_dates: draft.closed_dates.clone(),
        is_pickup_location: draft.is_pickup_location,
        has_curbside: draft.has_curbside,
    }
}

pub async fn branch_by_code(conn: &mut AnyConnection, code: &Code) -> StoreResult<Option<Branch>> {
    let sql = format!("SELECT {BRANCH_COLUMNS} FROM branch WHERE code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    one_branch_with_dates(conn, row).await
}

pub async fn branch_by_id(conn: &mut AnyConnection, id: BranchId) -> StoreResult<Option<Branch>> {
    let sql = format!("SELECT {BRANCH_COLUMNS} FROM branch WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    one_branch_with_dates(conn, row).await
}

async fn one_branch_with_dates(
    conn: &mut AnyConnection,
    row: Option<AnyRow>,
) -> StoreResult<Option<Branch>> {
    let Some(row) = row else { return Ok(None) };
    let mut branch = branch_from_row(&row)?;
    let rows = sqlx::query(
        "SELECT closed_on, reason FROM branch_closed_date WHERE branch_id = $1 ORDER BY closed_on",
    )
    .bind(branch.id.0)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        branch.closed_dates.push(ClosedDate {
            date: parsed(
                "closed_on",
                Date::parse("closed_on", &text(&row, "closed_on")?),
            )?,
            reason: text(&row, "reason")?,
        });
    }
    Ok(Some(branch))
}

/// Every branch, or every branch of one member, ordered by code, with closed dates.
pub async fn list_branches(
    conn: &mut AnyConnection,
    member: Option<MemberId>,
) -> StoreResult<Vec<Branch>> {
    let rows = match member {
        Some(member) => {
            let sql =
                format!("SELECT {BRANCH_COLUMNS} FROM branch WHERE member_id = $1 ORDER BY code");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(member.0)
                .fetch_all(&mut *conn)
                .await?
        }
        None => {
            let sql = format!("SELECT {BRANCH_COLUMNS} FROM branch ORDER BY code");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *conn)
                .await?
        }
    };
    let mut branches = rows
        .iter()
        .map(branch_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    attach_closed_dates(conn, &mut branches).await?;
    Ok(branches)
}
