//! Funding-source liquidity (资金流动性): per funding source, the limit, what is drawn
//! (principal lent from it and still outstanding on serviced loans), what is available
//! (limit − drawn) and the utilisation, and what its loans' schedules are expected to
//! bring back by month — the cash-flow projection of [`super::cash_flow`], kept apart by
//! source.

use loanbook_core::reporting::liquidity::{Source, liquidity as figures};
use serde::Serialize;

use super::{CashFlowMonth, cash_flow_month, check_months, expected};
use crate::collections::money;
use crate::{Actor, App, Permission, ServiceError};

/// The liquidity of one funding source.
#[derive(Clone, Debug, Serialize)]
pub struct FundingLiquidityView {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Currency.
    pub currency: String,
    /// active or not.
    pub status: String,
    /// The most it lends.
    pub limit: String,
    /// Principal outstanding of the serviced loans it funded.
    pub drawn: String,
    /// Limit − drawn, never below zero.
    pub available: String,
    /// Drawn ÷ limit.
    pub utilisation: String,
    /// What disbursements may still draw from it: the limit less everything ever
    /// disbursed from it (repaid principal is not lent again).
    pub lendable: String,
    /// Principal and interest its loans' schedules expect back, by month from the
    /// business date's (arrears in the first).
    pub inflows: Vec<CashFlowMonth>,
}

/// The liquidity of every funding source, with the inflows expected over `months`
/// months.
///
/// # Errors
/// Forbidden without `loan:read`; [`ServiceError::Invalid`] naming `months`.
pub async fn liquidity(
    app: &App,
    actor: &Actor,
    months: u32,
) -> Result<Vec<FundingLiquidityView>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    check_months(months)?;
    let today = app.business_date().await?;
    let positions = loanbook_store::reporting::funding_positions(app.db()).await?;
    let sources: Vec<Source> = positions
        .iter()
        .map(|p| Source {
            code: p.code.clone(),
            limit: p.limit_minor,
            drawn: p.drawn_minor,
        })
        .collect();
    let expected = expected(app).await?;
    Ok(figures(&sources, &expected, today, months)
        .into_iter()
        .zip(positions)
        .map(|(l, p)| FundingLiquidityView {
            code: l.code,
            name: p.name,
            currency: p.currency,
            status: p.status,
            limit: money(l.limit),
            drawn: money(l.drawn),
            available: money(l.available),
            utilisation: l.utilisation.to_string(),
            lendable: money(p.available_minor),
            inflows: l.inflows.into_iter().map(cash_flow_month).collect(),
        })
        .collect())
}
