//! `loanbook`: the command line of the loanbook credit-operations platform.
//!
//! Thin like the web layer: parse arguments into domain types, call one function,
//! print the result. Bad input exits with code 2 and one line on stderr naming the
//! argument and the rule; nothing goes to stdout.

mod error;
mod schedule;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// loanbook — credit operations: customers, products, origination, servicing, the
/// daily close, collections and the ledger.
#[derive(Debug, Parser)]
#[command(
    name = "loanbook",
    version,
    about,
    max_term_width = 100,
    args_override_self = true
)]
struct Cli {
    /// Database to use: sqlite://PATH (the default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "LOANBOOK_DATABASE_URL",
        default_value = "sqlite://./loanbook-data/loanbook.db",
        value_name = "URL"
    )]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Calculate a repayment schedule (还款计划), its totals and its APR.
    Schedule(schedule::ScheduleArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return error::exit_for_clap(&err),
    };
    // Used from the system-of-record commands on; accepted everywhere now so scripts
    // can pass it uniformly.
    let _database_url = &cli.database_url;
    let result = match cli.command {
        Command::Schedule(args) => schedule::run(&args),
    };
    match result {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(err) => err.report(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
