//! Reports (报表) computed from what the close keeps: portfolio quality from the
//! portfolio snapshot of a date, the cash-flow projection from the open schedules, and
//! roll rates and vintage curves from the book kept at each month end (the close of a
//! month's last day writes one row per serviced loan, `loan_month_ends`); the reports of
//! a period's work ([`activity`]), of each officer ([`officers`]), of a scorecard
//! ([`model`]) and of the funding sources ([`liquidity`]).
//! The figures themselves are `loanbook_core::reporting`'s; this module reads the rows
//! and shapes the answer (money as 2-decimal strings, ratios as decimal strings).

use chrono::NaiveDate;
use loanbook_core::delinquency::{Bucket, FiveTier};
use loanbook_core::reporting::cashflow::{Expected, projection};
use loanbook_core::reporting::portfolio::{Cell, quality};
use loanbook_store::servicing as store;
use serde::Serialize;

use crate::collections::money;
use crate::{Actor, App, Permission, ServiceError};

pub mod activity;
pub mod liquidity;
pub mod model;
pub mod officers;
pub mod overview;
#[cfg(test)]
mod performance_tests;
#[cfg(test)]
mod tests;

pub use activity::{
    CollectionPerformanceView, QueueRecovery, approval_funnel, collection_performance,
};
pub use liquidity::{FundingLiquidityView, liquidity};
pub use model::{ModelPerformanceView, ScoreBandView, model_performance};
pub use officers::{OfficerPerformanceView, OfficerView, officer_performance};
pub use overview::{MonthView, monthly_overview};

/// Refuses a period whose end `to` is before its start `from`.
fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), ServiceError> {
    if to < from {
        return Err(ServiceError::invalid(
            "to",
            format!("{to} is before from {from}"),
        ));
    }
    Ok(())
}

/// Portfolio quality at a date.
#[derive(Clone, Debug, Serialize)]
pub struct PortfolioView {
    /// The closed business date of the snapshot.
    pub business_date: NaiveDate,
    /// The product, or every product.
    pub product: Option<String>,
    /// Loans.
    pub loans: i64,
    /// Principal outstanding.
    pub principal: String,
    /// PAR1: principal more than 0 days past due ÷ principal.
    pub par1: String,
    /// PAR30.
    pub par30: String,
    /// PAR90.
    pub par90: String,
    /// Principal classed substandard, doubtful or loss.
    pub npl_principal: String,
    /// NPL ratio (不良贷款率).
    pub npl_ratio: String,
    /// Provisions held.
    pub provision: String,
    /// Provision coverage (拨备覆盖率): provisions ÷ NPL principal.
    pub provision_coverage: String,
    /// Principal and share per five-tier class, best first.
    pub five_tier: Vec<ClassShare>,
}

/// One class of the five-tier distribution.
#[derive(Clone, Debug, Serialize)]
pub struct ClassShare {
    /// Class code.
    pub class: &'static str,
    /// Its Chinese name.
    pub name_zh: &'static str,
    /// Principal.
    pub principal: String,
    /// Share of all principal.
    pub share: String,
}

/// Portfolio quality from the snapshot of `date` (default: the last closed date), of one
/// product or all.
///
/// # Errors
/// Forbidden without `loan:read`; [`ServiceError::Invalid`] naming `date` when it was
/// not closed yet; not found when no close wrote a snapshot of it.
pub async fn portfolio(
    app: &App,
    actor: &Actor,
    date: Option<NaiveDate>,
    product: Option<&str>,
) -> Result<PortfolioView, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let open = app.business_date().await?;
    let last_closed = open.pred_opt().unwrap_or(open);
    let date = date.unwrap_or(last_closed);
    if date > last_closed {
        return Err(ServiceError::invalid(
            "date",
            format!("{date} is not closed yet (the last closed date is {last_closed})"),
        ));
    }
    let cells = store::snapshot(app.db(), date).await?;
    if cells.is_empty() {
        return Err(ServiceError::NotFound(format!(
            "a portfolio snapshot of {date}"
        )));
    }
    let cells: Vec<Cell> = cells
        .iter()
        .filter(|c| product.is_none_or(|p| c.product_code == p))
        .filter_map(|c| {
            Some(Cell {
                bucket: Bucket::parse(&c.bucket)?,
                class: FiveTier::parse(&c.five_tier_class)?,
                loans: c.loans,
                principal: c.principal_minor,
                provision: c.provision_minor,
            })
        })
        .collect();
    let q = quality(&cells);
    Ok(PortfolioView {
        business_date: date,
        product: product.map(str::to_owned),
        loans: q.loans,
        principal: money(q.principal),
        par1: q.par1.to_string(),
        par30: q.par30.to_string(),
        par90: q.par90.to_string(),
        npl_principal: money(q.npl_principal),
        npl_ratio: q.npl_ratio.to_string(),
        provision: money(q.provision),
        provision_coverage: q.provision_coverage.to_string(),
        five_tier: q
            .five_tier
            .iter()
            .map(|(class, principal, share)| ClassShare {
                class: class.code(),
                name_zh: class.name_zh(),
                principal: money(*principal),
                share: share.to_string(),
            })
            .collect(),
    })
}

/// Expected inflows of one month.
#[derive(Clone, Debug, Serialize)]
pub struct CashFlowMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Principal expected.
    pub principal: String,
    /// Interest expected.
    pub interest: String,
    /// Installments.
    pub installments: usize,
}

/// The most months a projection covers.
pub const MAX_PROJECTION_MONTHS: u32 = 120;

/// What the open schedules expect by month from the business date's month on, for
/// `months` months (arrears in the first).
///
/// # Errors
/// Forbidden without `loan:read`; [`ServiceError::Invalid`] naming `months`.
pub async fn cash_flow(
    app: &App,
    actor: &Actor,
    months: u32,
) -> Result<Vec<CashFlowMonth>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    check_months(months)?;
    let today = app.business_date().await?;
    let expected: Vec<Expected> = expected(app).await?.into_iter().map(|(_, e)| e).collect();
    Ok(projection(&expected, today, months)
        .into_iter()
        .map(cash_flow_month)
        .collect())
}

/// Refuses a projection of no months or of more than [`MAX_PROJECTION_MONTHS`].
fn check_months(months: u32) -> Result<(), ServiceError> {
    if !(1..=MAX_PROJECTION_MONTHS).contains(&months) {
        return Err(ServiceError::invalid(
            "months",
            format!("must be from 1 to {MAX_PROJECTION_MONTHS}"),
        ));
    }
    Ok(())
}

/// What the open schedules expect, by funding source and due month.
async fn expected(app: &App) -> Result<Vec<(String, Expected)>, ServiceError> {
    Ok(loanbook_store::reporting::expected_by_month(app.db())
        .await?
        .into_iter()
        .filter_map(|r| {
            let due_date =
                NaiveDate::parse_from_str(&format!("{}-01", r.month), "%Y-%m-%d").ok()?;
            let e = Expected {
                due_date,
                principal: r.principal_minor,
                interest: r.interest_minor,
                installments: usize::try_from(r.installments).unwrap_or(0),
            };
            Some((r.funding_source, e))
        })
        .collect())
}

fn cash_flow_month(m: loanbook_core::reporting::cashflow::Month) -> CashFlowMonth {
    CashFlowMonth {
        month: m.month,
        principal: money(m.principal),
        interest: money(m.interest),
        installments: m.installments,
    }
}

/// A month `YYYY-MM` as `year * 12 + month - 1`.
fn month_number(text: &str) -> Option<i32> {
    let (y, m) = text.get(..7)?.split_once('-')?;
    let (y, m): (i32, i32) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

fn month_text(n: i32) -> String {
    format!("{:04}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
}

/// One row of the roll-rate matrix.
#[derive(Clone, Debug, Serialize)]
pub struct RollRow {
    /// The bucket at the end of the month before.
    pub from: &'static str,
    /// Principal in it then.
    pub principal: String,
    /// Shares found in current, M1, M2, M3, M4+ at the end of the month.
    pub to: Vec<String>,
    /// Share that left the book (paid off, settled, written off).
    pub closed: String,
}

/// The roll-rate matrix (迁徙率) of `month` (`YYYY-MM`): from the book at the end of the
/// month before to the book at its end, weighted by principal.
///
/// # Errors
/// Forbidden without `loan:read`; [`ServiceError::Invalid`] naming `month`; not found
/// when either month end was not kept.
pub async fn roll_rates(
    app: &App,
    actor: &Actor,
    month: &str,
) -> Result<Vec<RollRow>, ServiceError> {
    use loanbook_core::reporting::roll_rate::{Move, matrix};
    actor.require(Permission::LoanRead)?;
    let m = month_number(month)
        .filter(|_| month.len() == 7)
        .ok_or_else(|| {
            ServiceError::invalid("month", format!("'{month}' is not a month (YYYY-MM)"))
        })?;
    let before = loanbook_store::reporting::month_end(app.db(), &month_text(m - 1)).await?;
    let after = loanbook_store::reporting::month_end(app.db(), month).await?;
    if before.is_empty() || after.is_empty() {
        return Err(ServiceError::NotFound(format!(
            "the month ends {} and {month} (kept by the close of each month's last day)",
            month_text(m - 1)
        )));
    }
    let end: std::collections::HashMap<i64, i64> =
        after.iter().map(|(loan, dpd, _)| (*loan, *dpd)).collect();
    let dpd = |d: i64| Bucket::of(u32::try_from(d).unwrap_or(0));
    let moves: Vec<Move> = before
        .iter()
        .map(|(loan, d, principal)| Move {
            from: dpd(*d),
            to: end.get(loan).map(|d| dpd(*d)),
            principal: *principal,
        })
        .collect();
    Ok(matrix(&moves)
        .into_iter()
        .map(|r| RollRow {
            from: r.from.code(),
            principal: money(r.principal),
            to: r.to.iter().map(ToString::to_string).collect(),
            closed: r.closed.to_string(),
        })
        .collect())
}

/// Days past due that make a loan bad for the vintage curves (30+ DPD).
pub const VINTAGE_DPD: i64 = 30;

/// One cohort's vintage curve.
#[derive(Clone, Debug, Serialize)]
pub struct VintageView {
    /// Disbursement month `YYYY-MM`.
    pub cohort: String,
    /// Loans.
    pub loans: usize,
    /// Amount disbursed.
    pub disbursed: String,
    /// Share of the amount ever 30+ DPD at a month end, by month on book 1, 2, ….
    pub ever_30dpd: Vec<String>,
}

/// Vintage curves (账龄分析) of every cohort kept at a month end, up to the newest month
/// end.
///
/// # Errors
/// Forbidden without `loan:read`.
pub async fn vintages(app: &App, actor: &Actor) -> Result<Vec<VintageView>, ServiceError> {
    use loanbook_core::reporting::vintage::{Loan, curves};
    actor.require(Permission::LoanRead)?;
    let rows = loanbook_store::reporting::cohorts(app.db(), VINTAGE_DPD).await?;
    let loans: Vec<Loan> = rows
        .iter()
        .filter_map(|(start, disbursed, bad)| {
            let cohort = month_number(start)?;
            Some(Loan {
                cohort,
                disbursed: *disbursed,
                first_30dpd_mob: bad
                    .as_deref()
                    .and_then(month_number)
                    .map(|m| u32::try_from((m - cohort).max(1)).unwrap_or(1)),
            })
        })
        .collect();
    let newest = loanbook_store::reporting::newest_month_end(app.db()).await?;
    let Some(now) = newest.as_deref().and_then(month_number) else {
        return Ok(Vec::new());
    };
    Ok(curves(&loans, now)
        .into_iter()
        .map(|c| VintageView {
            cohort: month_text(c.cohort),
            loans: c.loans,
            disbursed: money(c.disbursed),
            ever_30dpd: c.ever_30dpd.iter().map(ToString::to_string).collect(),
        })
        .collect())
}
