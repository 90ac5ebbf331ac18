//! Reports (报表) computed from what the close keeps: portfolio quality from the
//! portfolio snapshot of a date, and the cash-flow projection from the open schedules.
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
        }
    }
}
