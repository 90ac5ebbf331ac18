//! Servicing (贷后核算): the daily close ([`eod`]), repayments, payoff and prepayment
//! ([`repayments`]), and the servicing row each disbursed loan gets ([`activate`]);
//! restructuring ([`restructure`]), the LPR table and repricing ([`lpr`], [`repricing`]), write-off and recovery
//! ([`write_off`]), closing tasks and archiving ([`closing`]), class overrides
//! ([`class_override`]).
//!
//! The arithmetic is `loanbook_core::servicing`; these use cases load the rows, call it
//! with the business date, and store and post what it returns in one transaction.

pub mod book;
pub mod class_override;
pub mod closing;
pub mod eod;
pub mod lpr;
pub mod migration;
#[cfg(test)]
mod ops_tests;
mod posting;
pub(crate) mod queue;
#[cfg(test)]
mod queue_tests;
pub mod refunds;
pub mod repayments;
pub mod repricing;
pub mod requests;
pub mod restructure;
#[cfg(test)]
mod restructure_tests;
pub mod reversals;
pub mod statements;
#[cfg(test)]
pub(crate) mod tests;
pub mod write_off;

use chrono::NaiveDate;
use loanbook_core::product::Product;
use loanbook_core::servicing::account::order_of;
use loanbook_core::servicing::{LoanAccount, OpenInstallment, ServicingTerms};
use loanbook_core::waterfall::default_order;
use loanbook_store::Tx;
use loanbook_store::servicing::{self as store, BalanceRow};
use rust_decimal::Decimal;

use crate::{App, ServiceError};

/// The servicing terms of a product for a loan at `annual_rate`: grace, penalty multiplier,
/// compound interest, late fee, rounding and allocation order from the product; the rest
/// the defaults of `ServicingTerms::defaults`. A product that lists the components in the
/// default order gets the servicing issue's default waterfall (penalty → compound → fees →
/// overdue interest → overdue principal → due interest → due principal).
pub fn terms_of(product: &Product, annual_rate: Decimal) -> ServicingTerms {
    let mut t = ServicingTerms::defaults(annual_rate);
    t.grace_days = product.grace_days;
    t.penalty_multiplier = product.penalty_multiplier;
    t.compound_interest = product.compound_interest;
    t.late_fee = product.fees.late_fee.amount_minor();
    t.rounding = product.rounding;
    t.order = if product.allocation_order.is_empty()
        || product.allocation_order == loanbook_core::product::Component::DEFAULT_ORDER
    {
        default_order()
    } else {
        order_of(&product.allocation_order)
    };
    t
}

pub(crate) fn parse_rate(text: &str) -> Result<Decimal, ServiceError> {
    text.parse()
        .map_err(|_| ServiceError::Conflict(format!("stored annual rate '{text}' does not parse")))
}

/// Starts (or, after another tranche, refreshes) the servicing of loan `loan_id` from its
/// schedule: the first installment opens the accrual period; a new loan is closed through
/// the day before `business_date`. Interest accrued so far is kept.
pub(crate) async fn activate(
    tx: &mut Tx<'_>,
    app: &App,
    loan_id: i64,
    business_date: NaiveDate,
) -> Result<(), ServiceError> {
    let mut row = store::balance(tx, loan_id, true, app.db().backend())
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {loan_id}")))?;
    let installments = store::all_installments(&mut **tx, loan_id).await?;
    let Some(first) = installments.first() else {
        row.active = false;
        store::write_balances(tx, std::slice::from_ref(&row)).await?;
        return Ok(());
    };
    let a = &mut row.account;
    if row.active {
        a.period_interest = first.interest;
        a.period_start = Some(first.period_start);
        a.next_due = Some(first.due_date);
        a.next_installment = first.number;
    } else {
        let fresh = LoanAccount::new(loan_id, a.principal_outstanding, business_date, first);
        *a = LoanAccount {
            fees_due: a.fees_due,
            ..fresh
        };
        row.active = true;
    }
    if store::write_balances(tx, std::slice::from_ref(&row)).await? != 1 {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} changed meanwhile; retry"
        )));
    }
    Ok(())
}

/// The installments of a loan not yet paid, for the core functions.
pub(crate) fn open_only(all: Vec<OpenInstallment>) -> Vec<OpenInstallment> {
    all.into_iter()
        .filter(|i| i.state != loanbook_core::servicing::InstallmentState::Paid)
        .collect()
}

/// Loads a loan's servicing row and product terms inside `tx`, locked.
pub(crate) async fn load_locked(
    tx: &mut Tx<'_>,
    app: &App,
    loan_id: i64,
) -> Result<(BalanceRow, Product, ServicingTerms), ServiceError> {
    let row = store::balance(tx, loan_id, true, app.db().backend())
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {loan_id}")))?;
    if !row.active {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} is not being serviced (not disbursed, or closed)"
        )));
    }
    let product =
        crate::products::load_version(app, &row.product_code, row.product_version).await?;
    let terms = terms_of(&product, parse_rate(&row.annual_rate)?);
    Ok((row, product, terms))
}
