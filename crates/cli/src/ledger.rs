//! `loanbook ledger check | trial-balance`.

use std::fmt::Write as _;

use clap::Subcommand;
use loanbook_service::ledger;

use crate::context::{Location, json, operator};
use crate::error::CliError;

/// `loanbook ledger …`
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Prove the ledger: every entry balances and the subledger reconciles. Exits 1
    /// with the first difference.
    Check,
    /// The trial balance (试算平衡).
    TrialBalance {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a ledger command.
pub async fn run(location: &Location, command: &LedgerCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match command {
        LedgerCommand::Check => match ledger::check(&app, &actor).await? {
            Ok(summary) => Ok(format!("{summary}\n")),
            Err(difference) => Err(CliError::Failed(difference)),
        },
        LedgerCommand::TrialBalance { json: as_json } => {
            let tb = ledger::trial_balance(&app, &actor).await?;
            if *as_json {
                return json(&tb);
            }
            let mut out = format!(
                "{:<6}  {:<38}  {:>16}  {:>16}  {:>16}\n",
                "code", "account", "debit", "credit", "balance"
            );
            for a in &tb.accounts {
                let _ = writeln!(
                    out,
                    "{:<6}  {:<38}  {:>16}  {:>16}  {:>16}",
                    a.code,
                    format!("{} {}", a.name_zh, a.name_en)
                        .chars()
                        .take(38)
                        .collect::<String>(),
                    a.debit,
                    a.credit,
                    a.balance
                );
            }
            let _ = writeln!(
                out,
                "{:<6}  {:<38}  {:>16}  {:>16}",
                "", "total", tb.total_debit, tb.total_credit
            );
            Ok(out)
        }
    }
}
