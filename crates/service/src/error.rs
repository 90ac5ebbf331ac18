//! Errors of the use cases. HTTP statuses and exit codes are chosen by web and cli.

use loanbook_store::StoreError;
use serde::Serialize;

/// One rule broken by the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Row of a batch file (the header is row 1), if the input was a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The field, e.g. `id_number`.
    pub field: String,
    /// The rule, with the offending value (masked if personal).
    pub rule: String,
}

impl Violation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Violation {
        Violation {
            row: None,
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// The same violation at `row` of a file.
    pub fn at_row(mut self, row: usize) -> Violation {
        self.row = Some(row);
        self
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.row {
            Some(row) => write!(f, "row {row}: {}: {}", self.field, self.rule),
            None => write!(f, "{}: {}", self.field, self.rule),
        }
    }
}

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks rules; nothing was changed.
    #[error("{}", join(.0))]
    Invalid(Vec<Violation>),
    /// The actor lacks a permission.
    #[error("forbidden: the role {role} lacks the permission {permission}")]
    Forbidden {
        /// The actor's role.
        role: String,
        /// The permission needed.
        permission: String,
    },
    /// A rule of separation of duties refuses the actor (four-eyes, the step's role).
    #[error("{rule}: {detail}")]
    Refused {
        /// The rule, e.g. `four_eyes` or `step_role`.
        rule: &'static str,
        /// What it refused and why.
        detail: String,
    },
    /// Not logged in, or bad credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// The account is locked after repeated failed logins.
    #[error("the account is locked until {0} after repeated failed logins")]
    Locked(String),
    /// Something that does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The change conflicts with the current state (a duplicate, a second reversal).
    #[error("{0}")]
    Conflict(String),
    /// The database has not been initialised (`loanbook init`).
    #[error("loanbook is not initialised: run `loanbook init` first")]
    NotInitialised,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn join(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ServiceError {
    /// One violation of `field`.
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(vec![Violation::new(field, rule)])
    }
}

impl From<loanbook_store::DbError> for ServiceError {
    fn from(e: loanbook_store::DbError) -> ServiceError {
        ServiceError::Store(StoreError::Database(e))
    }
}
