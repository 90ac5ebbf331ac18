//! Reports (报表) computed from what the close keeps: portfolio quality from the
//! portfolio snapshot of a date, the cash-flow projection from the open schedules, and
//! roll rates and vintage curves from the book kept at each month end (the close of a
//! month's last day writes one row per serviced loan, `loan_month_ends`).
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
    if !(1..=MAX_PROJECTION_MONTHS).contains(&months) {
        return Err(ServiceError::invalid(
            "months",
            format!("must be from 1 to {MAX_PROJECTION_MONTHS}"),
        ));
    }
    let today = app.business_date().await?;
    let expected: Vec<Expected> = loanbook_store::reporting::expected_by_month(app.db())
        .await?
        .into_iter()
        .filter_map(|(month, principal, interest, count)| {
            Some(Expected {
                due_date: NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?,
                principal,
                interest,
                installments: usize::try_from(count).unwrap_or(0),
            })
        })
        .collect();
    Ok(projection(&expected, today, months)
        .into_iter()
        .map(|m| CashFlowMonth {
            month: m.month,
            principal: money(m.principal),
            interest: money(m.interest),
            installments: m.installments,
        })
        .collect())
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

/// Collection performance from `from` to `to` (business dates).
#[derive(Clone, Debug, Serialize)]
pub struct CollectionPerformanceView {
    /// First business date.
    pub from: NaiveDate,
    /// Last business date.
    pub to: NaiveDate,
    /// Call attempts.
    pub attempts: i64,
    /// Calls that reached an obligor and discussed the debt.
    pub contacts: i64,
    /// Contacts ÷ attempts.
    pub contact_rate: String,
    /// Promises kept.
    pub promises_kept: i64,
    /// Promises broken.
    pub promises_broken: i64,
    /// Kept ÷ (kept + broken).
    pub promise_kept_rate: String,
    /// Per queue: cases open in the period and what their loans received meanwhile.
    pub recovery: Vec<QueueRecovery>,
}

/// What one queue recovered.
#[derive(Clone, Debug, Serialize)]
pub struct QueueRecovery {
    /// M1, M2, M3 or M4+.
    pub queue: String,
    /// Cases open on some day of the period.
    pub cases: i64,
    /// Received while the case was open.
    pub recovered: String,
}

/// Collection performance from `from` to `to`: contact rate, promise-kept rate and
/// recovery by queue.
///
/// # Errors
/// Forbidden without `loan:read`; [`ServiceError::Invalid`] naming `to` when it is
/// before `from`.
pub async fn collection_performance(
    app: &App,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<CollectionPerformanceView, ServiceError> {
    use loanbook_core::post_loan::collections::PromiseStatus;
    use loanbook_core::post_loan::contact::{Outcome, Party};
    use loanbook_core::reporting::collections::{Calls, Recovery, performance};
    actor.require(Permission::LoanRead)?;
    if to < from {
        return Err(ServiceError::invalid(
            "to",
            format!("{to} is before from {from}"),
        ));
    }
    let (f, t) = (from.to_string(), to.to_string());
    let store = loanbook_store::reporting::calls(app.db(), &f, &t).await?;
    let calls: Vec<Calls> = store
        .iter()
        .filter_map(|(party, outcome, count)| {
            Some(Calls {
                party: Party::parse(party)?,
                outcome: Outcome::parse(outcome)?,
                count: *count,
            })
        })
        .collect();
    let promises: Vec<(PromiseStatus, i64)> =
        loanbook_store::reporting::promises_judged(app.db(), &f, &t)
            .await?
            .into_iter()
            .filter_map(|(status, n)| match status.as_str() {
                "kept" => Some((PromiseStatus::Kept, n)),
                "broken" => Some((PromiseStatus::Broken, n)),
                _ => None,
            })
            .collect();
    let recovery = loanbook_store::reporting::recovered_by_queue(app.db(), &f, &t)
        .await?
        .into_iter()
        .map(|(queue, cases, recovered)| Recovery {
            queue,
            cases,
            recovered,
        })
        .collect();
    let p = performance(&calls, &promises, recovery);
    Ok(CollectionPerformanceView {
        from,
        to,
        attempts: p.attempts,
        contacts: p.contacts,
        contact_rate: p.contact_rate.to_string(),
        promises_kept: p.promises_kept,
        promises_broken: p.promises_broken,
        promise_kept_rate: p.promise_kept_rate.to_string(),
        recovery: p
            .recovery
            .into_iter()
            .map(|r| QueueRecovery {
                queue: r.queue,
                cases: r.cases,
                recovered: money(r.recovered),
            })
            .collect(),
    })
}

/// The approval funnel of the applications created from `from` to `to` (calendar
/// dates of their creation, UTC).
///
/// # Errors
/// Forbidden without `application:read`; [`ServiceError::Invalid`] naming `to` when it is
/// before `from`.
pub async fn approval_funnel(
    app: &App,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<loanbook_core::reporting::funnel::Funnel, ServiceError> {
    use loanbook_core::reporting::funnel::{Path, funnel};
    actor.require(Permission::ApplicationRead)?;
    if to < from {
        return Err(ServiceError::invalid(
            "to",
            format!("{to} is before from {from}"),
        ));
    }
    let until = to.succ_opt().unwrap_or(to);
    let at = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let paths: Vec<Path> = loanbook_store::reporting::application_paths(
        app.db(),
        &from.to_string(),
        &until.to_string(),
    )
    .await?
    .iter()
    .map(
        |(submitted, decided, [approved, declined, contracted, disbursed])| Path {
            submitted_at: at(submitted),
            decided_at: at(decided),
            approved: *approved,
            declined: *declined,
            contracted: *contracted,
            disbursed: *disbursed,
        },
    )
    .collect();
    Ok(funnel(&paths))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loans;
    use crate::servicing::repayments::repay;
    use crate::servicing::tests::{bank, book, close_through, d, pay};
    use crate::test_support::apps;

    /// Two loans booked on 2026-11-23; the second pays its first installment, the first
    /// does not: at the close of 12-24 PAR1 is the first loan's share of the principal,
    /// and the December projection holds the first loan's arrears.
    #[tokio::test]
    async fn figures_equal_the_direct_calculation_on_a_crafted_book() {
        for (app, admin, t) in apps().await {
            let customer = bank(&app, &admin).await;
            let late = book(&app, &admin, customer, "12000", "0.12", 12).await;
            let good = book(&app, &admin, customer, "36000", "0.12", 12).await;
            close_through(&app, &admin, d(2026, 12, 22)).await;
            let first = loans::schedule(&app, &admin, good).await.unwrap()[0].total;
            repay(&app, &admin, good, &pay(&first.to_string()), None)
                .await
                .unwrap();
            close_through(&app, &admin, d(2026, 12, 24)).await;
            let p_late = loans::get(&app, &admin, late)
                .await
                .unwrap()
                .principal_outstanding
                .amount_minor();
            let p_good = loans::get(&app, &admin, good)
                .await
                .unwrap()
                .principal_outstanding
                .amount_minor();
            let q = portfolio(&app, &admin, None, None).await.unwrap();
            assert_eq!(q.business_date, d(2026, 12, 24), "{}", t.label);
            assert_eq!(q.loans, 2);
            assert_eq!(q.principal, money(p_late + p_good));
            assert_eq!(
                q.par1,
                loanbook_core::reporting::ratio(p_late, p_late + p_good).to_string()
            );
            assert_eq!(
                (q.par30.as_str(), q.npl_ratio.as_str()),
                ("0.0000", "0.0000")
            );
            let other = portfolio(&app, &admin, Some(d(2026, 12, 25)), None).await;
            assert!(matches!(other, Err(ServiceError::Invalid(_))), "{other:?}");

            let s_late = loans::schedule(&app, &admin, late).await.unwrap();
            let s_good = loans::schedule(&app, &admin, good).await.unwrap();
            let flow = cash_flow(&app, &admin, 2).await.unwrap();
            assert_eq!(flow[0].month, "2026-12");
            assert_eq!(
                flow[0].principal,
                s_late[0].principal.to_string(),
                "{}",
                t.label
            );
            assert_eq!(flow[0].installments, 1);
            assert_eq!(flow[1].month, "2027-01");
            let jan = s_late[1].principal.amount_minor() + s_good[1].principal.amount_minor();
            assert_eq!(flow[1].principal, money(jan));
            assert_eq!(flow[1].installments, 2);

            // through January: at the end of December the late loan is in M1 (8 days) and
            // the other current; at the end of January the late one is in M2 (39 days) and
            // the other, its second installment unpaid, in M1
            close_through(&app, &admin, d(2027, 1, 31)).await;
            let rolls = roll_rates(&app, &admin, "2027-01").await.unwrap();
            assert_eq!(rolls[0].from, "current");
            assert_eq!(rolls[0].to[1], "1.0000", "{}", t.label);
            assert_eq!(rolls[1].from, "M1");
            assert_eq!(rolls[1].to[2], "1.0000", "{}", t.label);
            assert_eq!(rolls[1].principal, money(p_late));
            let bad = roll_rates(&app, &admin, "2027-13").await;
            assert!(matches!(bad, Err(ServiceError::Invalid(_))), "{bad:?}");
            let none = roll_rates(&app, &admin, "2026-06").await;
            assert!(matches!(none, Err(ServiceError::NotFound(_))), "{none:?}");
            // the November cohort: 12,000.00 of 48,000.00 was 30+ days past due at the end
            // of its second month on book
            let v = vintages(&app, &admin).await.unwrap();
            assert_eq!(v.len(), 1);
            assert_eq!(
                (v[0].cohort.as_str(), v[0].loans, v[0].disbursed.as_str()),
                ("2026-11", 2, "48000.00")
            );
            assert_eq!(v[0].ever_30dpd, ["0.0000", "0.2500"], "{}", t.label);
        }
    }
}
