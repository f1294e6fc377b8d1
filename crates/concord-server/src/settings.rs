//! Typed settings: an optional TOML file, then `CONCORD_`-prefixed environment variables on top.
//! Passed explicitly to whoever needs them; there is no global configuration.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use concord_store::StoreConfig;
use serde::Deserialize;

/// Everything `concord serve` needs to run.
#[derive(Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    /// `postgres://…` to run on PostgreSQL; `None` for the embedded SQLite store in `data_dir`.
    pub database_url: Option<String>,
    pub listen: SocketAddr,
    /// The address people use to reach Concord (for links in notices); defaults to the listener.
    pub public_url: Option<String>,
    /// How long a login lasts without activity, in hours.
    pub session_hours: i64,
    /// Send cookies only over HTTPS (turn on behind a TLS proxy).
    pub secure_cookies: bool,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// SQLite `synchronous=FULL` (every commit reaches the disk) instead of `NORMAL`.
    pub durable_commits: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("session_hours", &self.session_hours)
            .field("secure_cookies", &self.secure_cookies)
            .field("log_format", &self.log_format)
            .field("durable_commits", &self.durable_commits)
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("concord-data"),
            database_url: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            session_hours: 12,
            secure_cookies: false,
            log_format: LogFormat::Text,
            durable_commits: true,
        }
    }
}

/// The file form: every key optional, unknown keys refused so typos are caught.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<String>,
    public_url: Option<String>,
    session_hours: Option<i64>,
    secure_cookies: Option<bool>,
    log_format: Option<LogFormat>,
    durable_commits: Option<bool>,
}

/// A setting that could not be read, naming where it came from.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct SettingsError {
    pub source_name: String,
    pub message: String,
}

impl Settings {
    /// Reads `file` (if given) then applies `env` (`CONCORD_DATA_DIR`, `CONCORD_DATABASE_URL`,
    /// `CONCORD_LISTEN`, `CONCORD_PUBLIC_URL`, `CONCORD_SESSION_HOURS`, `CONCORD_SECURE_COOKIES`,
    /// `CONCORD_LOG_FORMAT`, `CONCORD_DURABLE_COMMITS`). The environment is passed in, not read
    /// here, so tests can give any.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, SettingsError> {
        let mut settings = Settings::default();
        if let Some(path) = file {
            let source_name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| SettingsError {
                source_name: source_name.clone(),
                message: format!("cannot read: {e}"),
            })?;
            let parsed: SettingsFile = toml::from_str(&text).map_err(|e| SettingsError {
                source_name: source_name.clone(),
                message: e.to_string(),
            })?;
            settings.apply_file(parsed, &source_name)?;
        }
        for (key, value) in env {
            settings.apply_env(&key, &value)?;
        }
        Ok(settings)
    }

    fn apply_file(&mut self, file: SettingsFile, source_name: &str) -> Result<(), SettingsError> {
        if let Some(v) = file.data_dir {
            self.data_dir = v;
        }
        if let Some(v) = file.database_url {
            self.database_url = Some(v).filter(|u| !u.is_empty());
        }
        if let Some(v) = file.listen {
            self.listen = parse_listen(source_name, "listen", &v)?;
        }
        if let Some(v) = file.public_url {
            self.public_url = Some(v);
        }
        if let Some(v) = file.session_hours {
            self.session_hours = check_hours(source_name, v)?;
        }
        if let Some(v) = file.secure_cookies {
            self.secure_cookies = v;
        }
        if let Some(v) = file.log_format {
            self.log_format = v;
        }
        if let Some(v) = file.durable_commits {
            self.durable_commits = v;
        }
        Ok(())
    }

    fn apply_env(&mut self, key: &str, value: &str) -> Result<(), SettingsError> {
        let err = |message: String| SettingsError {
            source_name: key.to_string(),
            message,
        };
        match key {
            "CONCORD_DATA_DIR" => self.data_dir = PathBuf::from(value),
            "CONCORD_DATABASE_URL" => {
                self.database_url = Some(value.to_string()).filter(|u| !u.is_empty())
            }
            "CONCORD_LISTEN" => self.listen = parse_listen(key, "value", value)?,
            "CONCORD_PUBLIC_URL" => self.public_url = Some(value.to_string()),
            "CONCORD_SESSION_HOURS" => {
                let hours = value
                    .parse()
                    .map_err(|_| err(format!("{value:?} is not a whole number of hours")))?;
                self.session_hours = check_hours(key, hours)?;
            }
            "CONCORD_SECURE_COOKIES" => self.secure_cookies = parse_bool(key, value)?,
            "CONCORD_DURABLE_COMMITS" => self.durable_commits = parse_bool(key, value)?,
            "CONCORD_LOG_FORMAT" => {
                self.log_format = match value {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    other => return Err(err(format!("{other:?} is not text or json"))),
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Where the store is, as the storage crate wants it.
    pub fn store_config(&self) -> StoreConfig {
        match &self.database_url {
            Some(url) => StoreConfig::Postgres {
                url: url.clone(),
                max_connections: 16,
            },
            None => StoreConfig::Sqlite {
                data_dir: self.data_dir.clone(),
                synchronous_full: self.durable_commits,
            },
        }
    }
}

fn parse_listen(source_name: &str, field: &str, value: &str) -> Result<SocketAddr, SettingsError> {
    value.parse().map_err(|_| SettingsError {
        source_name: source_name.to_string(),
        message: format!("{field} {value:?} is not an address like 127.0.0.1:8080"),
    })
}

fn check_hours(source_name: &str, hours: i64) -> Result<i64, SettingsError> {
    if (1..=24 * 30).contains(&hours) {
        Ok(hours)
    } else {
        Err(SettingsError {
            source_name: source_name.to_string(),
            message: format!("session_hours must be between 1 and 720, not {hours}"),
        })
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool, SettingsError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(SettingsError {
            source_name: key.to_string(),
            message: format!("{value:?} is not true or false"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = std::env::temp_dir().join(format!("concord-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("concord.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nsession_hours = 8\n").unwrap();
        let settings = Settings::load(
            Some(&file),
            env(&[("CONCORD_SESSION_HOURS", "4"), ("HOME", "/root")]),
        )
        .unwrap();
        assert_eq!(settings.listen.port(), 9000);
        assert_eq!(settings.session_hours, 4);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_settings_name_their_source() {
        let err = Settings::load(None, env(&[("CONCORD_LISTEN", "localhost")])).unwrap_err();
        assert_eq!(err.source_name, "CONCORD_LISTEN");
        let err = Settings::load(None, env(&[("CONCORD_SECURE_COOKIES", "maybe")])).unwrap_err();
        assert!(err.message.contains("true or false"));
    }

    #[test]
    fn debug_never_shows_the_database_password() {
        let settings = Settings::load(
            None,
            env(&[(
                "CONCORD_DATABASE_URL",
                "postgres://concord:s3cret@db/concord",
            )]),
        )
        .unwrap();
        assert!(!format!("{settings:?}").contains("s3cret"));
        assert!(!format!("{:?}", settings.store_config()).contains("s3cret"));
    }
}
