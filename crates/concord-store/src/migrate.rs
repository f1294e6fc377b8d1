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
    Migration {
        version: 5,
        name: "circulation",
        sqlite: include_str!("../migrations/sqlite/0005_circulation.sql"),
        postgres: include_str!("../migrations/postgres/0005_circulation.sql"),
    },
    Migration {
        version: 6,
        name: "settings_generation",
        sqlite: include_str!("../migrations/sqlite/0006_settings_generation.sql"),
        postgres: include_str!("../migrations/postgres/0006_settings_generation.sql"),
    },
    Migration {
        version: 7,
        name: "bib_title_key",
        sqlite: include_str!("../migrations/sqlite/0007_bib_title_key.sql"),
        postgres: include_str!("../migrations/postgres/0007_bib_title_key.sql"),
    },
    Migration {
        version: 8,
        name: "bib_filing_title_key",
        sqlite: include_str!("../migrations/sqlite/0008_bib_filing_title_key.sql"),
        postgres: include_str!("../migrations/postgres/0008_bib_filing_title_key.sql"),
    },
    Migration {
        version: 9,
        name: "member_hidden_location",
        sqlite: include_str!("../migrations/sqlite/0009_member_hidden_location.sql"),
        postgres: include_str!("../migrations/postgres/0009_member_hidden_location.sql"),
    },
    Migration {
        version: 10,
        name: "bib_keys_folded_in_every_script",
        sqlite: include_str!("../migrations/sqlite/0010_bib_keys_folded_in_every_script.sql"),
        postgres: include_str!("../migrations/postgres/0010_bib_keys_folded_in_every_script.sql"),
    },
    Migration {
        version: 11,
        name: "patron_search_name_folded",
        sqlite: include_str!("../migrations/sqlite/0011_patron_search_name_folded.sql"),
        postgres: include_str!("../migrations/postgres/0011_patron_search_name_folded.sql"),
    },
    Migration {
        version: 12,
        name: "greek_final_sigma_folded",
        sqlite: include_str!("../migrations/sqlite/0012_greek_final_sigma_folded.sql"),
        postgres: include_str!("../migrations/postgres/0012_greek_final_sigma_folded.sql"),
    },
    Migration {
        version: 13,
        name: "patron_lookup_by_index",
        sqlite: include_str!("../migrations/sqlite/0013_patron_lookup_by_index.sql"),
        postgres: include_str!("../migrations/postgres/0013_patron_lookup_by_index.sql"),
    },
    Migration {
        version: 14,
        name: "spelling_marks_kept_in_keys",
        sqlite: include_str!("../migrations/sqlite/0014_spelling_marks_kept_in_keys.sql"),
        postgres: include_str!("../migrations/postgres/0014_spelling_marks_kept_in_keys.sql"),
    },
    Migration {
        version: 15,
        name: "item_shelf_key",
        sqlite: include_str!("../migrations/sqlite/0015_item_shelf_key.sql"),
        postgres: include_str!("../migrations/postgres/0015_item_shelf_key.sql"),
    },
    Migration {
        version: 16,
        name: "authority_references",
        sqlite: include_str!("../migrations/sqlite/0016_authority_references.sql"),
        postgres: include_str!("../migrations/postgres/0016_authority_references.sql"),
    },
    Migration {
        version: 17,
        name: "authority_see_also",
        sqlite: include_str!("../migrations/sqlite/0017_authority_see_also.sql"),
        postgres: include_str!("../migrations/postgres/0017_authority_see_also.sql"),
    },
    Migration {
        version: 18,
        name: "import_versions",
        sqlite: include_str!("../migrations/sqlite/0018_import_versions.sql"),
        postgres: include_str!("../migrations/postgres/0018_import_versions.sql"),
    },
    Migration {
        version: 19,
        name: "shelving_location_names",
        sqlite: include_str!("../migrations/sqlite/0019_shelving_location_names.sql"),
        postgres: include_str!("../migrations/postgres/0019_shelving_location_names.sql"),
    },
];

pub(crate) async fn run(store: &Store) -> StoreResult<()> {
    let mut tx = store.write().await?;
    tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_migration (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migration")
        .fetch_all(&mut *tx)
        .await?;
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(&found) = applied.iter().max().filter(|&&found| found > known) {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    // Branches add migrations with pre-assigned numbers and may be merged in any order, so a
    // database can hold version 5 without 3 or 4: apply every known version not yet recorded,
    // not only those above the highest applied.
    for migration in missing_migrations(&applied) {
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
    crate::catalogue::fill_title_keys(store).await?;
    crate::catalogue::fill_shelf_keys(store).await?;
    crate::patrons::fill_search_names(store).await?;
    Ok(())
}

/// The SQL of migration `version` on `engine`: for tests that replay one over rows written the
/// way an older version of the store wrote them.
#[cfg(test)]
pub(crate) fn migration_sql(version: i64, engine: Engine) -> Option<&'static str> {
    MIGRATIONS
        .iter()
        .find(|migration| migration.version == version)
        .map(|migration| match engine {
            Engine::Sqlite => migration.sqlite,
            Engine::Postgres => migration.postgres,
        })
}

/// The known migrations not yet applied, in version order.
fn missing_migrations(applied: &[i64]) -> impl Iterator<Item = &'static Migration> + '_ {
    MIGRATIONS
        .iter()
        .filter(move |migration| !applied.contains(&migration.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(applied: &[i64]) -> Vec<i64> {
        missing_migrations(applied).map(|m| m.version).collect()
    }

    #[test]
    fn applies_every_version_not_yet_recorded_even_below_the_highest() {
        let all: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(versions(&[]), all);
        assert_eq!(versions(&all), Vec::<i64>::new());
        let without_second: Vec<i64> = all.iter().copied().filter(|&v| v != 2).collect();
        assert_eq!(versions(&without_second), vec![2]);
    }

    #[test]
    fn migrations_are_listed_in_increasing_version_order() {
        let all: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(all, sorted);
    }
}
