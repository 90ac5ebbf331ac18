//! Opening loanbook from the command line: the database, its migrations and the keys.

use std::path::{Path, PathBuf};

use loanbook_service::{Actor, App, Role};
use loanbook_store::crypto::Keys;
use loanbook_store::{Db, migrations};

use crate::error::CliError;

/// Where and how to open loanbook (the global options).
#[derive(Clone, Debug)]
pub struct Location {
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Documents and the key file.
    pub data_dir: PathBuf,
}

impl Location {
    /// Connects and applies missing migrations (refusing a newer schema).
    pub async fn database(&self) -> Result<Db, CliError> {
        let db = Db::connect(&self.database_url).await?;
        migrations::migrate(&db).await?;
        Ok(db)
    }

    /// The application on an existing key (see `loanbook init`).
    pub async fn app(&self) -> Result<App, CliError> {
        let db = self.database().await?;
        let keys = Keys::load(&self.data_dir)?;
        Ok(App::new(db, keys, &self.data_dir))
    }

    /// The application, creating the key file when there is none. Returns whether a key
    /// was created.
    pub async fn app_creating_key(&self) -> Result<(App, bool), CliError> {
        let db = self.database().await?;
        let (keys, created) = Keys::load_or_create(&self.data_dir)?;
        Ok((App::new(db, keys, &self.data_dir), created))
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

/// The operator at the machine: the CLI acts with the admin role, and the audit log
/// records it as `cli:<os user>`.
pub fn operator() -> Actor {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    Actor {
        user_id: 0,
        username: format!("cli:{user}"),
        role: Role::Admin,
        request_id: None,
    }
}

/// Prints `value` as pretty JSON.
pub fn json<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Failed(format!("cannot write JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}
