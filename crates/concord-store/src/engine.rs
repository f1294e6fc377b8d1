//! Opening the store on either engine: pools, pragmas, the writer discipline, backups.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use concord_domain::ids::IdSequence;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, ConnectOptions, Executor};

use crate::{StoreError, StoreResult};

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Where the store lives.
#[derive(Clone)]
pub enum StoreConfig {
    /// `DIR/concord.sqlite3`, created if missing.
    Sqlite {
        data_dir: PathBuf,
        synchronous_full: bool,
    },
    /// A PostgreSQL URL (`postgres://user:password@host/db`).
    Postgres { url: String, max_connections: u32 },
}

impl std::fmt::Debug for StoreConfig {
    // The URL may carry a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreConfig::Sqlite {
                data_dir,
                synchronous_full,
            } => f
                .debug_struct("Sqlite")
                .field("data_dir", data_dir)
                .field("synchronous_full", synchronous_full)
                .finish(),
            StoreConfig::Postgres {
                max_connections, ..
            } => f
                .debug_struct("Postgres")
                .field("url", &"<redacted>")
                .field("max_connections", max_connections)
                .finish(),
        }
    }
}

/// The file name of the SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "concord.sqlite3";

/// An open store: a writer pool (one connection on SQLite, held by the group committer), a
/// reader pool, and the id sequence.
pub struct Store {
    engine: Engine,
    writer: AnyPool,
    reader: AnyPool,
    ids: Mutex<IdSequence>,
    sqlite_writer: Option<Arc<SqliteWriter>>,
}

/// At most this many actions share one SQLite commit, so that a steady stream of writers cannot
/// keep a group open (and its first member waiting) indefinitely.
const MAX_GROUP: usize = 64;

/// SQLite's one writer connection and the group commit over it.
///
/// Every write transaction is a savepoint inside a group transaction. When an action commits and
/// nobody is waiting for the writer, it commits the group (one fsync for the whole group) and
/// tells every member; when others are waiting, it hands the writer on and waits for the group's
/// outcome. An action's caller is answered only after the group is durable, and an action that
/// fails rolls back only its own savepoint; a failed group commit fails every member.
struct SqliteWriter {
    slot: Arc<tokio::sync::Mutex<WriterSlot>>,
    waiting: AtomicUsize,
}

struct WriterSlot {
    conn: PoolConnection<Any>,
    group: Option<Group>,
}

/// One open group transaction: how many actions it holds and where its outcome is announced.
struct Group {
    actions: usize,
    outcome: Arc<tokio::sync::watch::Sender<Option<Result<(), String>>>>,
}

/// Counts a task waiting for the writer, also when the wait is abandoned (a dropped request).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(counter: &'a AtomicUsize) -> Waiting<'a> {
        counter.fetch_add(1, Ordering::SeqCst);
        Waiting(counter)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

type SlotGuard = tokio::sync::OwnedMutexGuard<WriterSlot>;

impl SqliteWriter {
    async fn begin(self: &Arc<Self>) -> StoreResult<WriteTx> {
        let mut slot = {
            let _waiting = Waiting::new(&self.waiting);
            self.slot.clone().lock_owned().await
        };
        if slot.group.is_none() {
            sqlx::raw_sql("BEGIN IMMEDIATE")
                .execute(&mut *slot.conn)
                .await?;
            let (outcome, _) = tokio::sync::watch::channel(None);
            slot.group = Some(Group {
                actions: 0,
                outcome: Arc::new(outcome),
            });
        }
        if let Err(error) = sqlx::raw_sql("SAVEPOINT concord_action")
            .execute(&mut *slot.conn)
            .await
        {
            self.settle(&mut slot).await;
            return Err(error.into());
        }
        Ok(WriteTx {
            inner: WriteInner::Sqlite(Some(SqliteAction {
                slot,
                writer: Arc::clone(self),
            })),
        })
    }

    /// Commits the open group now if nobody is waiting to add to it (or it is full); otherwise
    /// leaves it for the next writer. Returns the outcome when this call committed.
    async fn settle(&self, slot: &mut SlotGuard) -> Option<Result<(), sqlx::Error>> {
        let full = slot.group.as_ref().is_some_and(|g| g.actions >= MAX_GROUP);
        if slot.group.is_none() || (self.waiting.load(Ordering::SeqCst) > 0 && !full) {
            return None;
        }
        let group = slot.group.take()?;
        let outcome = match sqlx::raw_sql("COMMIT").execute(&mut *slot.conn).await {
            Ok(_) => Ok(()),
            Err(error) => {
                // Whatever SQLite left open goes; every member of the group is told it failed.
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *slot.conn).await;
                Err(error)
            }
        };
        group.outcome.send_replace(Some(
            outcome.as_ref().map(|_| ()).map_err(ToString::to_string),
        ));
        Some(outcome)
    }
}

/// One action's savepoint inside the group, holding the writer until it commits or rolls back.
struct SqliteAction {
    slot: SlotGuard,
    writer: Arc<SqliteWriter>,
}

impl SqliteAction {
    async fn commit(mut self) -> Result<(), sqlx::Error> {
        if let Err(error) = sqlx::raw_sql("RELEASE concord_action")
            .execute(&mut *self.slot.conn)
            .await
        {
            self.rollback().await;
            return Err(error);
        }
        let Some(group) = self.slot.group.as_mut() else {
            return Err(group_failed(
                "the write transaction's group vanished".into(),
            ));
        };
        group.actions += 1;
        let mut outcome = group.outcome.subscribe();
        if let Some(result) = self.writer.settle(&mut self.slot).await {
            return result;
        }
        // Others are waiting: hand the writer on and wait for whoever commits the group.
        drop(self.slot);
        let result = outcome
            .wait_for(Option::is_some)
            .await
            .map_err(|_| group_failed("the group was abandoned".into()))?
            .clone();
        match result {
            Some(Ok(())) => Ok(()),
            Some(Err(error)) => Err(group_failed(error)),
            None => Err(group_failed("the group has no outcome".into())),
        }
    }

    /// Undoes this action only, then settles the group for the others.
    async fn rollback(&mut self) {
        let undo = sqlx::raw_sql("ROLLBACK TO concord_action; RELEASE concord_action")
            .execute(&mut *self.slot.conn)
            .await;
        if let Err(error) = undo {
            tracing::error!(%error, "rolling back a write action failed; failing its group");
            if let Some(group) = self.slot.group.take() {
                let _ = sqlx::raw_sql("ROLLBACK")
                    .execute(&mut *self.slot.conn)
                    .await;
                group
                    .outcome
                    .send_replace(Some(Err(format!("a rollback failed: {error}"))));
            }
            return;
        }
        self.writer.settle(&mut self.slot).await;
    }
}

/// A group's failed commit as each member sees it (the committer gets SQLite's own error).
fn group_failed(error: String) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(format!("the commit failed: {error}")))
}

/// A write transaction: deref it to a connection to run queries. Dropping it without
/// [`WriteTx::commit`] rolls everything back.
pub struct WriteTx {
    inner: WriteInner,
}

enum WriteInner {
    Postgres(sqlx::Transaction<'static, Any>),
    /// `None` once committed or handed to the rollback task.
    Sqlite(Option<SqliteAction>),
}

impl WriteTx {
    /// Makes the transaction's changes durable; on SQLite returns once its group has committed.
    pub async fn commit(mut self) -> StoreResult<()> {
        match &mut self.inner {
            WriteInner::Postgres(_) => {
                let WriteInner::Postgres(tx) =
                    std::mem::replace(&mut self.inner, WriteInner::Sqlite(None))
                else {
                    return Ok(());
                };
                Ok(tx.commit().await?)
            }
            WriteInner::Sqlite(action) => match action.take() {
                Some(action) => Ok(action.commit().await?),
                None => Ok(()),
            },
        }
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        let WriteInner::Sqlite(action) = &mut self.inner else {
            // sqlx rolls a dropped PostgreSQL transaction back itself.
            return;
        };
        let Some(mut action) = action.take() else {
            return;
        };
        // Rolling back needs the connection asynchronously: the task keeps the writer until done.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { action.rollback().await });
            }
            Err(_) => tracing::error!("a write transaction was dropped outside the runtime"),
        }
    }
}

/// The action is taken out only by `commit` and `drop`, which consume the transaction, so no
/// query can reach a taken one; this stops the program rather than run a query outside a
/// transaction if that ever changed.
#[allow(clippy::panic)]
fn unreachable_connection() -> ! {
    panic!("a write transaction was used after it was committed")
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        match &self.inner {
            WriteInner::Postgres(tx) => tx,
            WriteInner::Sqlite(Some(action)) => &action.slot.conn,
            WriteInner::Sqlite(None) => unreachable_connection(),
        }
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        match &mut self.inner {
            WriteInner::Postgres(tx) => tx,
            WriteInner::Sqlite(Some(action)) => &mut action.slot.conn,
            WriteInner::Sqlite(None) => unreachable_connection(),
        }
    }
}
/// A connection from the read pool.
pub type ReadConn = PoolConnection<Any>;

impl Store {
    /// Opens (creating if needed) the store and brings its schema up to date.
    pub async fn open(config: &StoreConfig) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let store = match config {
            StoreConfig::Sqlite {
                data_dir,
                synchronous_full,
            } => {
                std::fs::create_dir_all(data_dir).map_err(|e| {
                    StoreError::Config(format!(
                        "cannot create the data directory {}: {e}",
                        data_dir.display()
                    ))
                })?;
                let path = data_dir.join(SQLITE_FILE);
                let url = sqlite_url(&path, false);
                let synchronous = if *synchronous_full { "FULL" } else { "NORMAL" };
                let pragmas = format!(
                    "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = {synchronous};"
                );
                // WAL is a property of the file; set it once before the pools open.
                {
                    let mut conn = AnyConnectOptions::from_str(&url)?.connect().await?;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    sqlx::Connection::close(conn).await?;
                }
                let writer = pool_with_pragmas(&url, 1, pragmas.clone()).await?;
                let reader = pool_with_pragmas(&url, 4, pragmas).await?;
                let conn = writer.acquire().await?;
                Store {
                    engine: Engine::Sqlite,
                    writer,
                    reader,
                    ids: Mutex::new(IdSequence::new(rand::random::<u16>())),
                    sqlite_writer: Some(Arc::new(SqliteWriter {
                        slot: Arc::new(tokio::sync::Mutex::new(WriterSlot { conn, group: None })),
                        waiting: AtomicUsize::new(0),
                    })),
                }
            }
            StoreConfig::Postgres {
                url,
                max_connections,
            } => {
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(StoreError::Config(
                        "the database URL must start with postgres:// or postgresql://".into(),
                    ));
                }
                let pool = AnyPoolOptions::new()
                    .max_connections((*max_connections).max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?;
                Store {
                    engine: Engine::Postgres,
                    writer: pool.clone(),
                    reader: pool,
                    ids: Mutex::new(IdSequence::new(rand::random::<u16>())),
                    sqlite_writer: None,
                }
            }
        };
        crate::migrate::run(&store).await?;
        Ok(store)
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Begins a write transaction (`BEGIN IMMEDIATE` on SQLite, so a read-then-write transaction
    /// never fails to upgrade its lock).
    pub async fn write(&self) -> StoreResult<WriteTx> {
        match &self.sqlite_writer {
            Some(writer) => writer.begin().await,
            None => Ok(WriteTx {
                inner: WriteInner::Postgres(self.writer.begin().await?),
            }),
        }
    }

    /// A connection for reads that need no transaction.
    pub async fn read(&self) -> StoreResult<ReadConn> {
        Ok(self.reader.acquire().await?)
    }

    /// A fresh id for a new row, from the caller's idea of now (Unix milliseconds).
    pub fn next_id(&self, now_unix_ms: i64) -> i64 {
        match self.ids.lock() {
            Ok(mut ids) => ids.next(now_unix_ms),
            Err(poisoned) => poisoned.into_inner().next(now_unix_ms),
        }
    }

    /// Whether the database answers a trivial query (for `/readyz`).
    pub async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.read().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    /// Writes a consistent copy of the database to `target` while others keep reading and writing.
    /// SQLite copies with `VACUUM INTO`; PostgreSQL backups are `pg_dump`'s job (see README).
    pub async fn backup_to(&self, target: &Path) -> StoreResult<()> {
        match self.engine {
            Engine::Sqlite => {
                if target.exists() {
                    return Err(StoreError::Config(format!(
                        "{} already exists; choose a new file name",
                        target.display()
                    )));
                }
                let target_text = target.to_str().ok_or_else(|| {
                    StoreError::Config("the backup path must be valid UTF-8".into())
                })?;
                let mut conn = self.read().await?;
                sqlx::query("VACUUM INTO $1")
                    .bind(target_text.to_string())
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }
            Engine::Postgres => Err(StoreError::Config(
                "on PostgreSQL, back up with pg_dump (e.g. pg_dump -Fc \"$CONCORD_DATABASE_URL\" > concord.dump)".into(),
            )),
        }
    }

    /// Closes the pools; on SQLite first folds the write-ahead log back into the database file so
    /// the data directory is one self-contained file after a clean shutdown.
    pub async fn close(&self) {
        if let Some(writer) = &self.sqlite_writer {
            let mut slot = writer.slot.lock().await;
            if let Err(error) = slot.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await {
                tracing::warn!(%error, "WAL checkpoint at shutdown failed");
            }
        }
        self.reader.close().await;
        // On SQLite the group committer holds the writer's one connection until the store is
        // dropped; closing its pool would wait for it forever.
        if self.sqlite_writer.is_none() {
            self.writer.close().await;
        }
    }
}

fn sqlite_url(path: &Path, read_only: bool) -> String {
    let mode = if read_only { "ro" } else { "rwc" };
    format!("sqlite://{}?mode={mode}", path.display())
}

async fn pool_with_pragmas(url: &str, size: u32, pragmas: String) -> StoreResult<AnyPool> {
    let pool = AnyPoolOptions::new()
        .max_connections(size)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(30))
        // A SQLite connection is a file handle in this process: it cannot drop like a network
        // link, so the ping sqlx would send before handing out each connection buys nothing and
        // costs a round trip to the connection's thread on every read.
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            let pragmas = pragmas.clone();
            Box::pin(async move {
                sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas))
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .connect(url)
        .await?;
    Ok(pool)
}
