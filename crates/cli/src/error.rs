//! How the CLI reports failure: exit code 2 for bad input (one line per broken rule,
//! naming the argument or the row and field), 1 for anything else.

use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use loanbook_service::ServiceError;

/// A failed command.
#[derive(Debug)]
pub enum CliError {
    /// The user's input breaks a rule: exit code 2.
    Usage {
        /// The argument, e.g. `--term`.
        argument: String,
        /// The rule, with the offending value.
        rule: String,
    },
    /// Several rules broken (a form or a file): exit code 2, a summary and one line each.
    Invalid {
        /// What was refused.
        summary: String,
        /// One line per broken rule.
        lines: Vec<String>,
    },
    /// Something outside the input failed (a file, the database): exit code 1.
    Failed(String),
}

impl CliError {
    /// Bad input for `argument`.
    pub fn usage(argument: impl Into<String>, rule: impl ToString) -> CliError {
        CliError::Usage {
            argument: argument.into(),
            rule: rule.to_string(),
        }
    }

    /// Maps a service error; field names become `--flags` when `flags` is set.
    pub fn from_service(e: ServiceError, flags: bool) -> CliError {
        match e {
            ServiceError::Invalid(violations)
                if violations.len() == 1 && violations[0].row.is_none() =>
            {
                let v = &violations[0];
                let argument = if flags {
                    format!("--{}", v.field.replace('_', "-"))
                } else {
                    v.field.clone()
                };
                CliError::usage(argument, &v.rule)
            }
            ServiceError::Invalid(violations) => {
                let rows = violations
                    .iter()
                    .filter_map(|v| v.row)
                    .collect::<std::collections::BTreeSet<_>>();
                let plural = |n: usize, word: &str| {
                    if n == 1 {
                        format!("1 {word}")
                    } else {
                        format!("{n} {word}s")
                    }
                };
                let summary = if rows.is_empty() {
                    format!(
                        "{} broken; nothing was changed",
                        plural(violations.len(), "rule")
                    )
                } else {
                    format!("{}; nothing was imported", plural(rows.len(), "bad row"))
                };
                let lines = violations
                    .iter()
                    .map(|v| match v.row {
                        Some(row) => format!("row {row}: {}: {}", v.field, v.rule),
                        None if flags => format!("--{}: {}", v.field.replace('_', "-"), v.rule),
                        None => format!("{}: {}", v.field, v.rule),
                    })
                    .collect();
                CliError::Invalid { summary, lines }
            }
            other => CliError::Failed(other.to_string()),
        }
    }

    /// Prints the message to stderr and returns the exit code.
    pub fn report(&self) -> ExitCode {
        match self {
            CliError::Usage { argument, rule } => {
                eprintln!("error: {argument}: {}", one_line(rule));
                ExitCode::from(2)
            }
            CliError::Invalid { summary, lines } => {
                eprintln!("error: {summary}");
                for line in lines {
                    eprintln!("  {}", one_line(line));
                }
                ExitCode::from(2)
            }
            CliError::Failed(message) => {
                eprintln!("error: {}", one_line(message));
                ExitCode::from(1)
            }
        }
    }
}

impl From<ServiceError> for CliError {
    fn from(e: ServiceError) -> CliError {
        CliError::from_service(e, false)
    }
}

impl From<loanbook_store::StoreError> for CliError {
    fn from(e: loanbook_store::StoreError) -> CliError {
        CliError::Failed(e.to_string())
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Help and version go to stdout with code 0; any parse error becomes one line on
/// stderr naming the argument, with code 2.
pub fn exit_for_clap(err: &clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let names = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(name)) => vec![name.clone()],
        Some(ContextValue::Strings(names)) => names.clone(),
        _ => Vec::new(),
    };
    let names = names
        .iter()
        .map(|n| n.split_whitespace().next().unwrap_or(n).to_owned())
        .collect::<Vec<_>>()
        .join(", ");
    let value = match err.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) => Some(value.clone()),
        _ => None,
    };
    let message = match (err.kind(), value) {
        (ErrorKind::MissingRequiredArgument, _) => format!("{names}: is required"),
        (ErrorKind::UnknownArgument, _) => format!("{names}: unknown argument"),
        (ErrorKind::InvalidSubcommand, _) => {
            let name = match err.get(ContextKind::InvalidSubcommand) {
                Some(ContextValue::String(name)) => name.clone(),
                _ => String::new(),
            };
            format!("'{name}' is not a loanbook command (see loanbook --help)")
        }
        (ErrorKind::InvalidValue, Some(value)) if value.is_empty() => {
            format!("{names}: needs a value")
        }
        _ => err
            .to_string()
            .lines()
            .next()
            .unwrap_or("invalid arguments")
            .trim_start_matches("error: ")
            .to_owned(),
    };
    eprintln!("error: {}", one_line(&message));
    ExitCode::from(2)
}
