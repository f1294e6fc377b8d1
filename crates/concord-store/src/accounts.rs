//! Queries for staff accounts and their grants, sessions, API tokens and login failures.

use concord_domain::auth::{Grant, Role, Scope};
use concord_domain::ids::{ApiTokenId, BranchId, MemberId, StaffId};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::rows::{flag, int, opt_int, parsed, text};
use crate::{StoreError, StoreResult};

/// A staff account as stored, with its password hash (never leaves the services).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub id: StaffId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub disabled: bool,
    pub grants: Vec<Grant>,
}

fn scope_columns(scope: Scope) -> (Option<i64>, Option<i64>) {
    match scope {
        Scope::Consortium => (None, None),
        Scope::Member { member } => (Some(member.0), None),
        Scope::Branch { member, branch } => (Some(member.0), Some(branch.0)),
    }
}

fn scope_from(member: Option<i64>, branch: Option<i64>) -> Scope {
    match (member, branch) {
        (Some(member), Some(branch)) => Scope::Branch {
            member: MemberId(member),
            branch: BranchId(branch),
        },
        (Some(member), None) => Scope::Member {
            member: MemberId(member),
        },
        _ => Scope::Consortium,
    }
}

fn grant_from_row(row: &AnyRow) -> StoreResult<Grant> {
    Ok(Grant {
        role: parsed("role", Role::parse("role", &text(row, "role")?))?,
        scope: scope_from(
            opt_int(row, "scope_member_id")?,
            opt_int(row, "scope_branch_id")?,
        ),
    })
}

pub async fn insert_staff(
    conn: &mut AnyConnection,
    id: StaffId,
    username: &str,
    display_name: &str,
    password_hash: &str,
    grants: &[Grant],
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO staff (id, username, display_name, password_hash, disabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 0, $5, $5)",
    )
    .bind(id.0)
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::from(e).duplicate_as(format!("username {username}")))?;
    replace_grants(conn, id, grants).await
}

pub async fn replace_grants(
    conn: &mut AnyConnection,
    id: StaffId,
    grants: &[Grant],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM staff_grant WHERE staff_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    for grant in grants {
        let (member, branch) = scope_columns(grant.scope);
        sqlx::query(
            "INSERT INTO staff_grant (staff_id, role, scope_member_id, scope_branch_id) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(grant.role.as_str())
        .bind(member)
        .bind(branch)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn set_staff_password(
    conn: &mut AnyConnection,
    id: StaffId,
    password_hash: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE staff SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(id.0)
        .bind(password_hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_staff_disabled(
    conn: &mut AnyConnection,
    id: StaffId,
    disabled: bool,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE staff SET disabled = $2, updated_at = $3 WHERE id = $1")
        .bind(id.0)
        .bind(i64::from(disabled))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn staff_where(
    conn: &mut AnyConnection,
    column: &'static str,
    value: StaffKey<'_>,
) -> StoreResult<Option<StaffRecord>> {
    let sql = format!(
        "SELECT id, username, display_name, password_hash, disabled FROM staff WHERE {column} = $1"
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql));
    let query = match value {
        StaffKey::Id(id) => query.bind(id),
        StaffKey::Username(name) => query.bind(name.to_string()),
    };
    let Some(row) = query.fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let id = StaffId(int(&row, "id")?);
    let grants = grants_of(conn, id).await?;
    Ok(Some(StaffRecord {
        id,
        username: text(&row, "username")?,
        display_name: text(&row, "display_name")?,
        password_hash: text(&row, "password_hash")?,
        disabled: flag(&row, "disabled")?,
        grants,
    }))
}

enum StaffKey<'a> {
    Id(i64),
    Username(&'a str),
}

pub async fn staff_by_username(
    conn: &mut AnyConnection,
    username: &str,
) -> StoreResult<Option<StaffRecord>> {
    staff_where(conn, "username", StaffKey::Username(username)).await
}

pub async fn staff_by_id(
    conn: &mut AnyConnection,
    id: StaffId,
) -> StoreResult<Option<StaffRecord>> {
    staff_where(conn, "id", StaffKey::Id(id.0)).await
}

async fn grants_of(conn: &mut AnyConnection, id: StaffId) -> StoreResult<Vec<Grant>> {
    sqlx::query(
        "SELECT role, scope_member_id, scope_branch_id FROM staff_grant WHERE staff_id = $1",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(grant_from_row)
    .collect()
}

/// Every staff account with its grants, ordered by username.
pub async fn list_staff(conn: &mut AnyConnection) -> StoreResult<Vec<StaffRecord>> {
    let rows = sqlx::query(
        "SELECT id, username, display_name, password_hash, disabled FROM staff ORDER BY username",
    )
    .fetch_all(&mut *conn)
    .await?;
    let grant_rows =
        sqlx::query("SELECT staff_id, role, scope_member_id, scope_branch_id FROM staff_grant")
            .fetch_all(&mut *conn)
            .await?;
    let mut staff = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = StaffId(int(row, "id")?);
        let mut grants = Vec::new();
        for grant_row in &grant_rows {
            if int(grant_row, "staff_id")? == id.0 {
                grants.push(grant_from_row(grant_row)?);
            }
        }
        staff.push(StaffRecord {
            id,
            username: text(row, "username")?,
            display_name: text(row, "display_name")?,
            password_hash: text(row, "password_hash")?,
            disabled: flag(row, "disabled")?,
            grants,
        });
    }
    Ok(staff)
}

/// Who a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionPrincipal {
    Staff(i64),
    Patron(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub principal: SessionPrincipal,
    pub csrf_token: String,
    pub expires_at: i64,
}

pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    principal: SessionPrincipal,
    csrf_token: &str,
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    let (kind, id) = match principal {
        SessionPrincipal::Staff(id) => ("staff", id),
        SessionPrincipal::Patron(id) => ("patron", id),
    };
    sqlx::query(
        "INSERT INTO session (token_hash, principal_kind, principal_id, csrf_token, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(kind)
    .bind(id)
    .bind(csrf_token)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The live session with this token hash, if it has not expired.
pub async fn session(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> StoreResult<Option<SessionRecord>> {
    let row = sqlx::query(
        "SELECT principal_kind, principal_id, csrf_token, expires_at FROM session
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id = int(&row, "principal_id")?;
    let principal = match text(&row, "principal_kind")?.as_str() {
        "staff" => SessionPrincipal::Staff(id),
        "patron" => SessionPrincipal::Patron(id),
        other => return Err(StoreError::Corrupt(format!("session kind {other:?}"))),
    };
    Ok(Some(SessionRecord {
        principal,
        csrf_token: text(&row, "csrf_token")?,
        expires_at: int(&row, "expires_at")?,
    }))
}

pub async fn delete_session(conn: &mut AnyConnection, token_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM session WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends every session of a staff account or patron (after a password change or disabling).
pub async fn delete_sessions_of(
    conn: &mut AnyConnection,
    principal: SessionPrincipal,
) -> StoreResult<()> {
    let (kind, id) = match principal {
        SessionPrincipal::Staff(id) => ("staff", id),
        SessionPrincipal::Patron(id) => ("patron", id),
    };
    sqlx::query("DELETE FROM session WHERE principal_kind = $1 AND principal_id = $2")
        .bind(kind)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions(conn: &mut AnyConnection, now: i64) -> StoreResult<u64> {
    Ok(sqlx::query("DELETE FROM session WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

/// An integration's token as stored (the secret itself is never stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: ApiTokenId,
    pub name: String,
    pub grant: Grant,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "id, name, role, scope_member_id, scope_branch_id, created_by, created_at, expires_at, revoked_at, last_used_at";

fn token_from_row(row: &AnyRow) -> StoreResult<ApiTokenRecord> {
    Ok(ApiTokenRecord {
        id: ApiTokenId(int(row, "id")?),
        name: text(row, "name")?,
        grant: grant_from_row(row)?,
        created_by: text(row, "created_by")?,
        created_at: int(row, "created_at")?,
        expires_at: opt_int(row, "expires_at")?,
        revoked_at: opt_int(row, "revoked_at")?,
        last_used_at: opt_int(row, "last_used_at")?,
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_api_token(
    conn: &mut AnyConnection,
    id: ApiTokenId,
    name: &str,
    token_hash: &str,
    grant: Grant,
    created_by: &str,
    now: i64,
    expires_at: Option<i64>,
) -> StoreResult<ApiTokenRecord> {
    let (member, branch) = scope_columns(grant.scope);
    sqlx::query(
        "INSERT INTO api_token (id, name, token_hash, role, scope_member_id, scope_branch_id, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.0)
    .bind(name)
    .bind(token_hash)
    .bind(grant.role.as_str())
    .bind(member)
    .bind(branch)
    .bind(created_by)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(ApiTokenRecord {
        id,
        name: name.to_string(),
        grant,
        created_by: created_by.to_string(),
        created_at: now,
        expires_at,
        revoked_at: None,
        last_used_at: None,
    })
}

/// The token with this hash if it is neither revoked nor expired.
pub async fn live_api_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> StoreResult<Option<ApiTokenRecord>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_token WHERE token_hash = $1 AND revoked_at IS NULL
         AND (expires_at IS NULL OR expires_at > $2)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| token_from_row(&row))
        .transpose()
}

pub async fn api_token_by_id(
    conn: &mut AnyConnection,
    id: ApiTokenId,
) -> StoreResult<Option<ApiTokenRecord>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_token WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| token_from_row(&row))
        .transpose()
}

pub async fn list_api_tokens(conn: &mut AnyConnection) -> StoreResult<Vec<ApiTokenRecord>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_token ORDER BY id DESC");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(token_from_row)
        .collect()
}

pub async fn revoke_api_token(
    conn: &mut AnyConnection,
    id: ApiTokenId,
    now: i64,
) -> StoreResult<bool> {
    Ok(
        sqlx::query("UPDATE api_token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id.0)
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            > 0,
    )
}

pub async fn touch_api_token(
    conn: &mut AnyConnection,
    id: ApiTokenId,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE api_token SET last_used_at = $2 WHERE id = $1")
        .bind(id.0)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn record_login_failure(
    conn: &mut AnyConnection,
    key: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO login_failure (throttle_key, failed_at) VALUES ($1, $2)")
        .bind(key)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The times of failed logins for `key` since `since`.
pub async fn login_failures(
    conn: &mut AnyConnection,
    key: &str,
    since: i64,
) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT failed_at FROM login_failure WHERE throttle_key = $1 AND failed_at > $2",
    )
    .bind(key)
    .bind(since)
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn clear_login_failures(
    conn: &mut AnyConnection,
    key: &str,
    before: i64,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_failure WHERE throttle_key = $1 OR failed_at < $2")
        .bind(key)
        .bind(before)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
