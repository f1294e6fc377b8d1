//! Opening the store on either engine: pools, pragmas, the writer discipline, backups.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
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

/// An open store: a writer pool (one connection on SQLite), a reader pool, and the id sequence.
pub struct Store {
    engine: Engine,
    writer: AnyPool,
    reader: AnyPool,
    ids: Mutex<IdSequence>,
    sqlite_path: Option<PathBuf>,
}

/// A write transaction. Dropping it without [`WriteTx::commit`] rolls everything back.
pub type WriteTx = sqlx::Transaction<'static, Any>;
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
                Store {
                    engine: Engine::Sqlite,
                    writer,
                    reader,
                    ids: Mutex::new(IdSequence::new(rand::random::<u16>())),
                    sqlite_path: Some(path),
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
                    sqlite_path: None,
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
        Ok(match self.engine {
            Engine::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.writer.begin().await?,
        })
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
        if self.engine == Engine::Sqlite
            && let Ok(mut conn) = self.writer.acquire().await
            && let Err(error) = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await
        {
            tracing::warn!(%error, "WAL checkpoint at shutdown failed");
        }
        self.reader.close().await;
        self.writer.close().await;
    }

    /// The SQLite database file, when the store is on SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.sqlite_path.as_deref()
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
