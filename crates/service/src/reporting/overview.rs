//! The portfolio overview by month: the book at each month end (loans, principal) beside
//! what was disbursed and collected in the month.

use serde::Serialize;

use crate::collections::money;
use crate::{Actor, App, Permission, ServiceError};

/// One month of the overview.
#[derive(Clone, Debug, Serialize)]
pub struct MonthView {
    /// `YYYY-MM`.
    pub month: String,
    /// Loans on the book at the month end (none before the first month end kept).
    pub loans: Option<i64>,
    /// Principal outstanding at the month end.
    pub principal: Option<String>,
    /// Disbursed in the month.
    pub disbursed: String,
    /// Collected in the month: repayments and payoffs (recoveries after write-off
    /// included).
    pub collected: String,
}

/// A month being gathered: the book at its end (loans, principal), disbursed, collected.
type Month = (Option<(i64, i64)>, i64, i64);

/// Transaction kinds that bring money in from borrowers.
const COLLECTED: [&str; 4] = ["repayment", "payoff", "settlement", "recovery"];

/// The overview of every month with a movement or a month end, oldest first.
///
/// # Errors
/// Forbidden without `loan:read`.
pub async fn monthly_overview(app: &App, actor: &Actor) -> Result<Vec<MonthView>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let mut kinds = vec!["disbursement"];
    kinds.extend(COLLECTED);
    let moved = loanbook_store::reporting::moved_by_month(app.db(), &kinds).await?;
    let book = loanbook_store::reporting::book_by_month_end(app.db()).await?;
    let mut months: std::collections::BTreeMap<String, Month> = std::collections::BTreeMap::new();
    for (month, loans, principal) in book {
        months.entry(month).or_default().0 = Some((loans, principal));
    }
    for (month, kind, minor) in moved {
        let e = months.entry(month).or_default();
        if kind == "disbursement" {
            e.1 += minor;
        } else {
            e.2 += minor;
        }
    }
    let cny = money;
    Ok(months
        .into_iter()
        .map(|(month, (book, disbursed, collected))| MonthView {
            month,
            loans: book.map(|b| b.0),
            principal: book.map(|b| cny(b.1)),
            disbursed: cny(disbursed),
            collected: cny(collected),
        })
        .collect())
}
