//! A per-process copy of what every checkout and check-in reads but administrators rarely change:
//! the consortium's currency and time offset, the branches with their opening hours and closed
//! dates, which members let their items float, and the circulation rules.
//!
//! **Invariant:** a copy is used for an action only when it was read at the settings generation
//! the action's own transaction sees (`concord_store::settings_generation`). Every change to
//! those settings bumps the generation in its transaction, so a change committed by this process
//! or by another server sharing the database is seen by the next action that starts after it.
//! A copy is kept for later actions only when it was read from committed data (a read
//! connection): a change still inside an uncommitted SQLite group is used by the actions of that
//! group but never cached, because a failed group commit rolls it back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use concord_domain::ErrorCode;
use concord_domain::circulation::PolicyRule;
use concord_domain::codes::Code;
use concord_domain::ids::{BranchId, MemberId};
use concord_domain::money::Currency;
use concord_domain::org::Branch;
use concord_store::{Conn, Store, settings_generation};

use super::{ServiceError, ServiceResult};

/// The settings as of one generation.
#[derive(Debug)]
pub struct DeskSettings {
    pub generation: i64,
    /// The consortium's currency and UTC offset in seconds; `None` before it is set up.
    money_and_time: Option<(Currency, i32)>,
    branches: Vec<Branch>,
    branch_by_code: HashMap<String, usize>,
    branch_by_id: HashMap<BranchId, usize>,
    floating_members: Vec<MemberId>,
    pub rules: Vec<PolicyRule>,
}

impl DeskSettings {
    /// Reads the settings on `conn`: the generation first, so that a change committed while the
    /// rest is read makes the copy look older than it is (and so be read again), never newer.
    pub async fn read(conn: &mut Conn) -> ServiceResult<DeskSettings> {
        let generation = settings_generation::current(conn).await?;
        let money_and_time = match concord_store::org::consortium(conn).await? {
            None => None,
            Some(settings) => Some((
                Currency::iso("currency", &settings.currency)?,
                i32::try_from(settings.utc_offset_seconds)
                    .map_err(|_| ServiceError::internal("utc offset out of range"))?,
            )),
        };
        let branches = concord_store::org::list_branches(conn, None).await?;
        let floating_members = concord_store::circulation::floating_members(conn).await?;
        let rules = concord_store::policies::list_policy_rules(conn)
            .await?
            .into_iter()
            .map(|stored| stored.rule)
            .collect();
        let branch_by_code = branches
            .iter()
            .enumerate()
            .map(|(index, branch)| (branch.code.as_str().to_string(), index))
            .collect();
        let branch_by_id = branches
            .iter()
            .enumerate()
            .map(|(index, branch)| (branch.id, index))
            .collect();
        Ok(DeskSettings {
            generation,
            money_and_time,
            branches,
            branch_by_code,
            branch_by_id,
            floating_members,
            rules,
        })
    }

    /// The consortium's currency and local-time offset.
    pub fn money_and_time(&self) -> ServiceResult<(Currency, i32)> {
        self.money_and_time.ok_or_else(|| {
            ServiceError::new(ErrorCode::Conflict, "The consortium is not set up yet.")
        })
    }

    /// The desk's branch by the code the desk gave.
    pub fn desk_branch(&self, code: &str) -> ServiceResult<&Branch> {
        let code = Code::parse("branch", code)?;
        self.branch_by_code
            .get(code.as_str())
            .and_then(|&index| self.branches.get(index))
            .ok_or_else(|| ServiceError::not_found(format!("branch {code}")))
    }

    /// A branch a stored row points to (a loan's, an item's).
    pub fn branch(&self, id: BranchId) -> ServiceResult<&Branch> {
        self.branch_by_id
            .get(&id)
            .and_then(|&index| self.branches.get(index))
            .ok_or_else(|| ServiceError::internal(format!("branch {id} vanished")))
    }

    /// Whether the member lets its items float (stay where they are returned).
    pub fn member_items_float(&self, member: MemberId) -> bool {
        self.floating_members.contains(&member)
    }
}

/// The process's copy of the settings, shared by every request.
#[derive(Debug, Default)]
pub struct DeskSettingsCache {
    current: Mutex<Option<Arc<DeskSettings>>>,
}

impl DeskSettingsCache {
    /// The settings as the transaction `tx` sees them: the cached copy when its generation is the
    /// one `tx` sees, else the committed settings read afresh (and kept), else — when `tx` sees
    /// a generation not yet committed for others — the settings read inside `tx` (not kept).
    pub async fn for_transaction(
        &self,
        store: &Store,
        tx: &mut Conn,
    ) -> ServiceResult<Arc<DeskSettings>> {
        let generation = settings_generation::current(tx).await?;
        if let Some(cached) = self.cached().filter(|c| c.generation == generation) {
            return Ok(cached);
        }
        let committed = Arc::new(DeskSettings::read(&mut *store.read().await?).await?);
        self.keep(Arc::clone(&committed));
        if committed.generation == generation {
            return Ok(committed);
        }
        Ok(Arc::new(DeskSettings::read(tx).await?))
    }

    fn cached(&self) -> Option<Arc<DeskSettings>> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the copy with one read from committed data. When two readers race, an older
    /// generation may replace a newer one: the next action then reads again, which costs a little
    /// and is never wrong, since a copy is used only for the exact generation it was read at.
    fn keep(&self, settings: Arc<DeskSettings>) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(settings);
    }
}
