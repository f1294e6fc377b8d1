//! Schema migrations, embedded in the binary, one folder per engine, applied in order at start.

use sqlx::Executor;

use crate::engine::{Engine, Store};
use crate::{StoreError, StoreResult};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "catalogue",
        sqlite: include_str!("../migrations/sqlite/0002_catalogue.sql"),
        postgres: include_str!("../migrations/postgres/0002_catalogue.sql"),
    },
    Migration {
        version: 3,
        name: "patrons_policies",
        sqlite: include_str!("../migrations/sqlite/0003_patrons_policies.sql"),
        postgres: include_str!("../migrations/postgres/0003_patrons_policies.sql"),
    },
];

pub(crate) async fn run(store: &Store) -> StoreResult<()> {
    let mut tx = store.write().await?;
    tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_migration (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .await?;
    let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migration")
        .fetch_one(&mut *tx)
        .await?;
    let applied = applied.unwrap_or(0);
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if applied > known {
        return Err(StoreError::SchemaTooNew {
            found: applied,
            known,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > applied) {
        let sql = match store.engine() {
            Engine::Sqlite => migration.sqlite,
            Engine::Postgres => migration.postgres,
        };
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applying migration"
        );
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migration (version, name) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
