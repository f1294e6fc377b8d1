//! Queries for the circulation policy matrix: one row per rule, match points as columns and the
//! values the rule sets as one JSON object (see the migration for why).

use concord_domain::circulation::{MatchPoints, PolicyRule, PolicySettings};
use concord_domain::codes::Code;
use concord_domain::ids::{BranchId, MemberId, PolicyRuleId};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_text, parsed, text};
use crate::{StoreError, StoreResult};

/// A rule with what people need to recognise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicyRule {
    pub rule: PolicyRule,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const RULE_COLUMNS: &str = "id, circulating_member_id, circulating_branch_id, patron_home_member_id, patron_type, item_type, shelving_location, description, settings, created_at, updated_at";

fn opt_code(row: &AnyRow, column: &str) -> StoreResult<Option<Code>> {
    opt_text(row, column)?
        .map(|c| parsed(column, Code::parse(column, &c)))
        .transpose()
}

fn rule_from_row(row: &AnyRow) -> StoreResult<StoredPolicyRule> {
    let settings: PolicySettings = parsed(
        "policy_rule.settings",
        serde_json::from_str(&text(row, "settings")?),
    )?;
    Ok(StoredPolicyRule {
        rule: PolicyRule {
            id: PolicyRuleId(int(row, "id")?),
            match_points: MatchPoints {
                circulating_member: opt_int(row, "circulating_member_id")?.map(MemberId),
                circulating_branch: opt_int(row, "circulating_branch_id")?.map(BranchId),
                patron_home_member: opt_int(row, "patron_home_member_id")?.map(MemberId),
                patron_type: opt_code(row, "patron_type")?,
                item_type: opt_code(row, "item_type")?,
                shelving_location: opt_code(row, "shelving_location")?,
            },
            settings,
        },
        description: text(row, "description")?,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}

fn settings_json(settings: &PolicySettings) -> StoreResult<String> {
    serde_json::to_string(settings)
        .map_err(|e| StoreError::Corrupt(format!("policy settings: {e}")))
}

pub async fn insert_policy_rule(
    conn: &mut AnyConnection,
    rule: &PolicyRule,
    description: &str,
    now: i64,
) -> StoreResult<StoredPolicyRule> {
    crate::settings_generation::bump(conn).await?;
    let points = &rule.match_points;
    sqlx::query(
        "INSERT INTO policy_rule (id, circulating_member_id, circulating_branch_id, patron_home_member_id,
         patron_type, item_type, shelving_location, description, settings, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(rule.id.0)
    .bind(points.circulating_member.map(|m| m.0))
    .bind(points.circulating_branch.map(|b| b.0))
    .bind(points.patron_home_member.map(|m| m.0))
    .bind(points.patron_type.as_ref().map(Code::as_str))
    .bind(points.item_type.as_ref().map(Code::as_str))
    .bind(points.shelving_location.as_ref().map(Code::as_str))
    .bind(description)
    .bind(settings_json(&rule.settings)?)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(StoredPolicyRule {
        rule: rule.clone(),
        description: description.to_string(),
        created_at: now,
        updated_at: now,
    })
}

/// Replaces a rule's match points, values and description; false if there is no such rule.
pub async fn update_policy_rule(
    conn: &mut AnyConnection,
    rule: &PolicyRule,
    description: &str,
    now: i64,
) -> StoreResult<bool> {
    crate::settings_generation::bump(conn).await?;
    let points = &rule.match_points;
    let result = sqlx::query(
        "UPDATE policy_rule SET circulating_member_id = $2, circulating_branch_id = $3,
         patron_home_member_id = $4, patron_type = $5, item_type = $6, shelving_location = $7,
         description = $8, settings = $9, updated_at = $10 WHERE id = $1",
    )
    .bind(rule.id.0)
    .bind(points.circulating_member.map(|m| m.0))
    .bind(points.circulating_branch.map(|b| b.0))
    .bind(points.patron_home_member.map(|m| m.0))
    .bind(points.patron_type.as_ref().map(Code::as_str))
    .bind(points.item_type.as_ref().map(Code::as_str))
    .bind(points.shelving_location.as_ref().map(Code::as_str))
    .bind(description)
    .bind(settings_json(&rule.settings)?)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn delete_policy_rule(conn: &mut AnyConnection, id: PolicyRuleId) -> StoreResult<bool> {
    crate::settings_generation::bump(conn).await?;
    let result = sqlx::query("DELETE FROM policy_rule WHERE id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn policy_rule(
    conn: &mut AnyConnection,
    id: PolicyRuleId,
) -> StoreResult<Option<StoredPolicyRule>> {
    let sql = format!("SELECT {RULE_COLUMNS} FROM policy_rule WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(rule_from_row).transpose()
}

/// The whole matrix, oldest rule first. It is small (tens to a few hundred rules), and resolving a
/// policy needs every rule anyway.
pub async fn list_policy_rules(conn: &mut AnyConnection) -> StoreResult<Vec<StoredPolicyRule>> {
    let sql = format!("SELECT {RULE_COLUMNS} FROM policy_rule ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(rule_from_row).collect()
}
