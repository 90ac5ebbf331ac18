//! `loanbook customer add | import | list | show`.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use loanbook_service::customers::{self, CustomerInput, CustomerView, SearchInput};

use crate::context::{Location, json, operator};
use crate::error::CliError;

/// `loanbook customer …`
#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    /// Add one customer.
    Add(Box<AddArgs>),
    /// Import customers from CSV, all or nothing.
    Import {
        /// The CSV file (header row first).
        #[arg(long, value_name = "FILE")]
        csv: String,
    },
    /// Search customers (personal data masked).
    List(ListArgs),
    /// Show one customer.
    Show {
        /// Customer id.
        id: i64,
        /// Show personal data in clear (audited).
        #[arg(long)]
        unmask: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `loanbook customer add`.
#[derive(Debug, Args)]
#[allow(missing_docs)]
pub struct AddArgs {
    /// individual or business.
    #[arg(long)]
    kind: String,
    #[arg(long)]
    name: String,
    /// Resident ID number (individuals).
    #[arg(long)]
    id_number: Option<String>,
    /// Unified social credit code (businesses).
    #[arg(long)]
    uscc: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    province: Option<String>,
    #[arg(long)]
    city: Option<String>,
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    employer: Option<String>,
    #[arg(long)]
    monthly_income: Option<String>,
    #[arg(long)]
    marital_status: Option<String>,
    #[arg(long)]
    education: Option<String>,
    #[arg(long)]
    employment_years: Option<String>,
    #[arg(long)]
    housing: Option<String>,
    #[arg(long)]
    legal_representative: Option<String>,
    #[arg(long)]
    industry: Option<String>,
    #[arg(long)]
    registered_capital: Option<String>,
    #[arg(long)]
    established_on: Option<String>,
    #[arg(long)]
    annual_revenue: Option<String>,
    #[arg(long)]
    employees: Option<String>,
    #[arg(long)]
    review_date: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `loanbook customer list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Part of the name.
    #[arg(long)]
    name: Option<String>,
    /// individual or business.
    #[arg(long)]
    kind: Option<String>,
    /// active, blacklisted or closed.
    #[arg(long)]
    status: Option<String>,
    /// An exact ID number, USCC or phone.
    #[arg(long)]
    identity: Option<String>,
    /// Customers after this id.
    #[arg(long)]
    after_id: Option<i64>,
    /// Page size (at most 500).
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a customer command.
pub async fn run(location: &Location, command: &CustomerCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match command {
        CustomerCommand::Add(a) => {
            let input = CustomerInput {
                kind: a.kind.clone(),
                name: a.name.clone(),
                id_number: a.id_number.clone(),
                uscc: a.uscc.clone(),
                phone: a.phone.clone(),
                province: a.province.clone(),
                city: a.city.clone(),
                address: a.address.clone(),
                employer: a.employer.clone(),
                monthly_income: a.monthly_income.clone(),
                marital_status: a.marital_status.clone(),
                education: a.education.clone(),
                employment_years: a.employment_years.clone(),
                housing: a.housing.clone(),
                legal_representative: a.legal_representative.clone(),
                industry: a.industry.clone(),
                registered_capital: a.registered_capital.clone(),
                established_on: a.established_on.clone(),
                annual_revenue: a.annual_revenue.clone(),
                employees: a.employees.clone(),
                review_date: a.review_date.clone(),
            };
            let c = customers::create(&app, &actor, &input)
                .await
                .map_err(|e| CliError::from_service(e, true))?;
            if a.json { json(&c) } else { Ok(detail(&c)) }
        }
        CustomerCommand::Import { csv } => {
            let data = std::fs::read(csv)
                .map_err(|e| CliError::usage("--csv", format!("cannot read {csv}: {e}")))?;
            let count = customers::import_csv(&app, &actor, &data).await?;
            Ok(format!("imported {count} customers from {csv}\n"))
        }
        CustomerCommand::List(l) => {
            let search = SearchInput {
                name: l.name.clone(),
                kind: l.kind.clone(),
                status: l.status.clone(),
                identity: l.identity.clone(),
                after_id: l.after_id,
                limit: Some(l.limit),
            };
            let found = customers::search(&app, &actor, &search).await?;
            if l.json {
                return json(&found);
            }
            let mut out = format!(
                "{:>6}  {:<10}  {:<24}  {:<20}  {:<12}  {:<10}\n",
                "id", "kind", "name", "id / uscc", "phone", "status"
            );
            for c in &found {
                let identity = c
                    .id_number
                    .clone()
                    .or_else(|| c.uscc.clone())
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{:>6}  {:<10}  {:<24}  {:<20}  {:<12}  {:<10}",
                    c.id,
                    c.kind,
                    c.name,
                    identity,
                    c.phone.clone().unwrap_or_default(),
                    c.status
                );
            }
            let _ = writeln!(out, "{} customers", found.len());
            Ok(out)
        }
        CustomerCommand::Show {
            id,
            unmask,
            json: as_json,
        } => {
            let c = customers::get(&app, &actor, *id, *unmask).await?;
            if *as_json { json(&c) } else { Ok(detail(&c)) }
        }
    }
}

fn detail(c: &CustomerView) -> String {
    let mut out = format!(
        "customer {} — {} ({}, {})\n",
        c.id, c.name, c.kind, c.status
    );
    let mut field = |label: &str, value: Option<String>| {
        if let Some(v) = value {
            let _ = writeln!(out, "  {label:<22} {v}");
        }
    };
    field("status reason", c.status_reason.clone());
    field("ID number", c.id_number.clone());
    field("USCC", c.uscc.clone());
    field("phone", c.phone.clone());
    field("address", c.address.clone());
    field(
        "province / city",
        Some(format!(
            "{} {}",
            c.province.clone().unwrap_or_default(),
            c.city.clone().unwrap_or_default()
        ))
        .filter(|s| s.trim() != ""),
    );
    field("birth date", c.birth_date.clone());
    field(
        "age / sex",
        c.age
            .map(|a| format!("{a} / {}", c.sex.clone().unwrap_or_default())),
    );
    field("employer", c.employer.clone());
    field("monthly income", c.monthly_income.map(|m| m.to_string()));
    field("legal representative", c.legal_representative.clone());
    field("industry", c.industry.clone());
    field(
        "registered capital",
        c.registered_capital.map(|m| m.to_string()),
    );
    field("annual revenue", c.annual_revenue.map(|m| m.to_string()));
    field(
        "created",
        Some(format!("{} by {}", c.created_at, c.created_by)),
    );
    for d in &c.duplicates {
        let _ = writeln!(
            out,
            "  possible duplicate: customer {} {} (same {})",
            d.customer_id, d.name, d.on
        );
    }
    out
}
