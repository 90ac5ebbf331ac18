//! `loanbook product add | list | show`.

use std::fmt::Write as _;

use clap::Subcommand;
use loanbook_service::products;

use crate::context::{Location, json, operator};
use crate::error::CliError;

/// `loanbook product …`
#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Add a product, or a new version of an existing code, from a JSON file.
    Add {
        /// The product definition (docs/products.md).
        #[arg(long, value_name = "FILE")]
        file: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The latest version of every product.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One product.
    Show {
        /// Product code.
        code: String,
        /// A version (the latest when omitted).
        #[arg(long)]
        version: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a product command.
pub async fn run(location: &Location, command: &ProductCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match command {
        ProductCommand::Add {
            file,
            json: as_json,
        } => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| CliError::usage("--file", format!("cannot read {file}: {e}")))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| CliError::usage("--file", format!("{file} is not JSON: {e}")))?;
            let p = products::add(&app, &actor, &value).await?;
            if *as_json {
                json(&p)
            } else {
                Ok(format!("added product {} version {}\n", p.code, p.version))
            }
        }
        ProductCommand::List { json: as_json } => {
            let all = products::list(&app, &actor).await?;
            if *as_json {
                return json(&all);
            }
            let mut out = format!(
                "{:<16}  {:>7}  {:<24}  {:>22}  {:>9}  {:>15}\n",
                "code", "version", "name", "amount", "months", "rate"
            );
            for p in &all {
                let f = |k: &str| p.product[k].as_str().unwrap_or_default().to_owned();
                let n = |k: &str| p.product[k].as_u64().unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{:<16}  {:>7}  {:<24}  {:>22}  {:>9}  {:>15}",
                    p.code,
                    p.version,
                    f("name"),
                    format!("{}–{}", f("amount_min"), f("amount_max")),
                    format!("{}–{}", n("term_min_months"), n("term_max_months")),
                    format!("{}–{}", f("rate_min"), f("rate_max")),
                );
            }
            Ok(out)
        }
        ProductCommand::Show {
            code,
            version,
            json: as_json,
        } => {
            let p = products::get(&app, &actor, code, *version).await?;
            if *as_json {
                json(&p)
            } else {
                let body = serde_json::to_string_pretty(&p.product).unwrap_or_default();
                Ok(format!(
                    "product {} version {} ({}, by {} at {})\n{body}\n",
                    p.code, p.version, p.status, p.created_by, p.created_at
                ))
            }
        }
    }
}
