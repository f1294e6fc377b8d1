//! Queries for the audit log: append within the changing transaction, browse with filters.

use concord_domain::audit::{AuditEntry, AuditFilter, AuditRecord};
use concord_domain::ids::{AuditId, MemberId};
use sqlx::AnyConnection;

use crate::StoreResult;
use crate::rows::{int, opt_int, opt_text, text};

pub async fn append(
    conn: &mut AnyConnection,
    id: AuditId,
    at: i64,
    record: &AuditRecord,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, entity_kind, entity_id, member_id, before_state, after_state, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id.0)
    .bind(at)
    .bind(&record.actor)
    .bind(&record.action)
    .bind(&record.entity_kind)
    .bind(&record.entity_id)
    .bind(record.member_id.map(|m| m.0))
    .bind(record.before.as_deref())
    .bind(record.after.as_deref())
    .bind(record.reason.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Entries matching every given filter, newest first.
pub async fn list(conn: &mut AnyConnection, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
    // Build the WHERE clause from fixed fragments only; values are always bound parameters.
    let mut clauses: Vec<String> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let mut add = |clause: &str, value: Value| {
        values.push(value);
        clauses.push(clause.replace('?', &format!("${}", values.len())));
    };
    if let Some(member) = filter.member_id {
        add("member_id = ?", Value::Int(member.0));
    }
    if let Some(actor) = &filter.actor {
        add("actor = ?", Value::Text(actor.clone()));
    }
    if let Some(kind) = &filter.entity_kind {
        add("entity_kind = ?", Value::Text(kind.clone()));
    }
    if let Some(entity) = &filter.entity_id {
        add("entity_id = ?", Value::Text(entity.clone()));
    }
    if let Some(prefix) = &filter.action_prefix {
        add(
            "action LIKE ?",
            Value::Text(format!("{}%", prefix.replace('%', ""))),
        );
    }
    if let Some(since) = filter.since {
        add("at >= ?", Value::Int(since));
    }
    if let Some(until) = filter.until {
        add("at < ?", Value::Int(until));
    }
    if let Some(before) = filter.before_id {
        add("id < ?", Value::Int(before.0));
    }
    let where_clause = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let limit = filter.limit.clamp(1, 1000);
    let sql = format!(
        "SELECT id, at, actor, action, entity_kind, entity_id, member_id, before_state, after_state, reason
         FROM audit_log {where_clause} ORDER BY id DESC LIMIT {limit}"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in values {
        query = match value {
            Value::Int(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
        };
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            Ok(AuditEntry {
                id: AuditId(int(row, "id")?),
                at: int(row, "at")?,
                actor: text(row, "actor")?,
                action: text(row, "action")?,
                entity_kind: text(row, "entity_kind")?,
                entity_id: text(row, "entity_id")?,
                member_id: opt_int(row, "member_id")?.map(MemberId),
                before: opt_text(row, "before_state")?,
                after: opt_text(row, "after_state")?,
                reason: opt_text(row, "reason")?,
            })
        })
        .collect()
}

enum Value {
    Int(i64),
    Text(String),
}
