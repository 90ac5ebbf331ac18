//! Errors of the store.

/// What went wrong in the database layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database driver failed (connection, SQL, constraint).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The database URL is not one loanbook can use.
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// The database was migrated by a newer loanbook.
    #[error(
        "the database is at schema version {found}, newer than this loanbook (which knows up to {known}); upgrade loanbook before using this database"
    )]
    NewerSchema {
        /// The version found in the database.
        found: i64,
        /// The newest version this binary knows.
        known: i64,
    },
    /// A file under the data directory could not be read or written.
    #[error("{0}")]
    Io(String),
    /// The master key is missing or malformed.
    #[error("master key: {0}")]
    Key(String),
    /// Stored data does not decode (a corrupted row or a wrong key).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// A row that should exist does not.
    #[error("{0} not found")]
    NotFound(String),
}

impl StoreError {
    /// True when the error is a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => {
                e.kind() == sqlx::error::ErrorKind::UniqueViolation
            }
            _ => false,
        }
    }
}
