//! Helpers for tests that need a fresh store on either engine: a throwaway PostgreSQL database
//! per test when `CONCORD_TEST_POSTGRES_URL` names a server, a temporary SQLite directory otherwise.

use std::str::FromStr;

use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor};

use crate::{StoreError, StoreResult};

/// The environment variable naming an administrative PostgreSQL URL for tests.
pub const POSTGRES_URL_VAR: &str = "CONCORD_TEST_POSTGRES_URL";

/// Creates an empty database with a unique name on the server at `admin_url` and returns its URL.
pub async fn fresh_postgres_database(admin_url: &str) -> StoreResult<String> {
    sqlx::any::install_default_drivers();
    let name = format!("concord_test_{:016x}", rand::random::<u64>());
    let mut conn = AnyConnectOptions::from_str(admin_url)?.connect().await?;
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await?;
    conn.close().await?;
    // Replace the database name: the part after the last '/' and before any '?'.
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let Some(slash) = base.rfind('/') else {
        return Err(StoreError::Config(format!(
            "{POSTGRES_URL_VAR} has no database part"
        )));
    };
    let mut url = format!("{}/{name}", base.get(..slash).unwrap_or(base));
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    Ok(url)
}
