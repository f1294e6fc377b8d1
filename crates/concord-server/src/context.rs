//! What every service call needs: the store, the clock, and the few policies that are settings.

use std::sync::Arc;

use concord_domain::ratelimit::LoginThrottle;
use concord_store::Store;

use crate::clock::Clock;
use crate::secrets;
use crate::service::ServiceResult;
use crate::service::accounts::VerifiedTokens;
use crate::service::desk_settings::DeskSettingsCache;
use crate::service::search::CatalogueSearch;

/// The services' view of the running system. Cheap to share behind an `Arc`.
pub struct Context {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// Failed logins allowed per card or username.
    pub login_throttle: LoginThrottle,
    /// Failed logins allowed per client address (many people share a library's address).
    pub address_throttle: LoginThrottle,
    pub session_seconds: i64,
    /// An Argon2 hash of nothing anyone knows, verified against when an account does not exist so
    /// that a wrong username costs as much time as a wrong password.
    pub(crate) dummy_hash: String,
    /// The catalogue search index this server keeps (in memory unless [`Context::with_search`]
    /// gives it one on disk).
    pub search: Arc<CatalogueSearch>,
    /// The branches, calendars and circulation rules every checkout and check-in reads, kept
    /// between requests and checked against the settings generation in each transaction.
    pub desk_settings: DeskSettingsCache,
    /// Bearer tokens verified in the last moments, so that a busy integration is not looked up
    /// on every request.
    pub(crate) verified_tokens: VerifiedTokens,
}

impl Context {
    pub fn new(store: Store, clock: Arc<dyn Clock>, session_hours: i64) -> ServiceResult<Context> {
        Ok(Context {
            store,
            clock,
            login_throttle: LoginThrottle::default(),
            address_throttle: LoginThrottle {
                max_failures: 50,
                window_seconds: 15 * 60,
            },
            session_seconds: session_hours * 3600,
            dummy_hash: secrets::hash_password(&secrets::random_token())?,
            search: Arc::new(CatalogueSearch::in_memory()?),
            desk_settings: DeskSettingsCache::default(),
            verified_tokens: VerifiedTokens::default(),
        })
    }

    /// The same context with this search index.
    pub fn with_search(self, search: CatalogueSearch) -> Context {
        Context {
            search: Arc::new(search),
            ..self
        }
    }

    /// Tells the search index follower that the catalogue changed (call after the commit).
    pub fn catalogue_changed(&self) {
        self.search.catalogue_changed();
    }

    /// Unix seconds now.
    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// A new id for a row created now.
    pub fn new_id(&self) -> i64 {
        self.store.next_id(self.clock.now_unix_ms())
    }
}
