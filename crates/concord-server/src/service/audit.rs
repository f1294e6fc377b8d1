//! Browsing the audit log, within the principal's scope.

use concord_domain::audit::{AuditEntry, AuditFilter};
use concord_domain::auth::{Action, Principal, authorise};

use super::ServiceResult;
use crate::Context;

/// Entries matching the filter, newest first. Member-scoped staff must filter by their member.
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
    Ok(concord_store::audit::list(&mut conn, filter).await?)
}
