//! Browsing the audit log, within the principal's scope.

use std::collections::HashMap;

use concord_domain::audit::{AuditEntry, AuditFilter};
use concord_domain::auth::{Action, Principal, authorise};
use concord_domain::ids::PatronId;
use concord_domain::patron::audit_document_as_seen_by;
use concord_store::patrons::patron_by_id;

use super::ServiceResult;
use crate::Context;

/// Entries matching the filter, newest first. Member-scoped staff must filter by their member.
/// Patron records in them come without the contact details their patrons keep to their home
/// member, unless `who` may see those (the audit log is no way round that choice).
pub async fn browse(
    ctx: &Context,
    who: &Principal,
    filter: &AuditFilter,
) -> ServiceResult<Vec<AuditEntry>> {
    authorise(
        who,
        Action::ReadAudit {
            member: filter.member_id,
        },
    )?;
    let mut conn = ctx.store.read().await?;
    let mut entries = concord_store::audit::list(&mut conn, filter).await?;
    // Whether each patron's choice today hides their contact details from `who`.
    let mut hidden_today: HashMap<String, bool> = HashMap::new();
    for entry in &mut entries {
        let hide_all = if entry.entity_kind == "patron" {
            match hidden_today.get(&entry.entity_id) {
                Some(hidden) => *hidden,
                None => {
                    let patron = match entry.entity_id.parse::<i64>() {
                        Ok(id) => patron_by_id(&mut conn, PatronId(id)).await?,
                        Err(_) => None,
                    };
                    let hidden = patron.is_some_and(|patron| !patron.contact_visible_to(who));
                    hidden_today.insert(entry.entity_id.clone(), hidden);
                    hidden
                }
            }
        } else {
            false
        };
        for document in [&mut entry.before, &mut entry.after].into_iter().flatten() {
            *document = audit_document_as_seen_by(document, who, hide_all);
        }
    }
    Ok(entries)
}
