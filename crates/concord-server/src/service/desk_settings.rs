//! A per-process copy of what every checkout and check-in reads but administrators rarely change:
//! the consortium's currency and time offset, the branches with their opening hours and closed
//! dates, which members let their items float, and the circulation rules.
//!
//! **Invariant:** a copy is used for an action only when it was read at the settings generation
//! the action's own transaction sees (`concord_store::settings_generation`). Every change to
//! those settings bumps the generation in its transaction, so a change committed by this process
//! or by another server sharing the database is seen by the next action that starts after it.
//! On a miss the action reads the settings inside its own transaction (no second connection: on
//! PostgreSQL both would come from one pool, and concurrent actions could starve it), and the copy
//! is kept for later actions only after the action's commit succeeded: on SQLite a transaction
//! may see changes of earlier actions in its commit group, which are durable only once the group
//! is, and a failed group rolls them back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use concord_domain::ErrorCode;
use concord_domain::circulation::PolicyRule;
use concord_domain::codes::Code;
use concord_domain::ids::{BranchId, MemberId};
use concord_domain::money::Currency;
use concord_domain::org::Branch;
use concord_store::{Conn, settings_generation};

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
    /// one `tx` sees, else read afresh inside `tx`. Call [`DeskSettingsCache::keep`] with the
    /// result once the transaction has committed, so that later actions can use it.
    pub async fn for_transaction(&self, tx: &mut Conn) -> ServiceResult<Arc<DeskSettings>> {
        let generation = settings_generation::current(tx).await?;
        if let Some(cached) = self.cached().filter(|c| c.generation == generation) {
            return Ok(cached);
        }
        Ok(Arc::new(DeskSettings::read(tx).await?))
    }

    fn cached(&self) -> Option<Arc<DeskSettings>> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Keeps `settings` for later actions. Call it only after the transaction that read them
    /// committed (then everything it saw is durable). When two actions race, an older generation
    /// may replace a newer one: the next action then reads again, which costs a little and is
    /// never wrong, since a copy is used only for the exact generation it was read at.
    pub fn keep(&self, settings: Arc<DeskSettings>) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current
            .as_ref()
            .is_none_or(|kept| !Arc::ptr_eq(kept, &settings))
        {
            *current = Some(settings);
        }
    }
}
