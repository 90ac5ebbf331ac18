//! Booking a loan straight onto the books: a loan made outside origination (the synthetic
//! portfolio of the benchmark, the tests, and the base of the book migration). The loan is
//! disbursed on the business date: schedule, servicing row, disbursement entry.

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::posting::disbursement_lines;
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::{RepaymentMethod, ScheduleTerms, generate};
use loanbook_core::servicing::{InstallmentState, OpenInstallment};
use loanbook_store::audit::timestamp;
use loanbook_store::loans::{self as loans_store, LoanRow, LoanTransactionRow};
use loanbook_store::servicing as store;

use crate::ledger::{EntryDraft, post_in};
use crate::{Actor, App, Permission, ServiceError};

/// A loan to book.
#[derive(Clone, Debug)]
pub struct BookLoanInput {
    /// Id in the system it comes from.
    pub external_id: Option<String>,
    /// Borrower.
    pub customer_id: i64,
    /// Product code (its latest version).
    pub product_code: String,
    /// Principal lent.
    pub principal: Money,
    /// Annual rate.
    pub annual_rate: AnnualRate,
    /// Number of periods.
    pub term: u32,
    /// Repayment method.
    pub method: RepaymentMethod,
    /// Funding source.
    pub funding_source: String,
}

/// Books a loan disbursed on the business date; returns its id.
///
/// # Errors
/// Forbidden without `disbursement:release`; not found (product); invalid terms naming the
/// schedule field.
pub async fn book_loan(
    app: &App,
    actor: &Actor,
    input: &BookLoanInput,
) -> Result<i64, ServiceError> {
    actor.require(Permission::DisbursementRelease)?;
    let row = loanbook_store::products::get(app.db(), &input.product_code, None)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("product {}", input.product_code)))?;
    let product = crate::products::load_version(app, &row.code, row.version).await?;
    let date = app.business_date().await?;
    let mut terms = ScheduleTerms::new(
        input.principal,
        input.annual_rate,
        input.term,
        input.method,
        date,
    );
    terms.frequency = product.frequency;
    terms.day_count = product.day_count;
    terms.rounding = product.rounding;
    let schedule = generate(&terms).map_err(|e| ServiceError::invalid(e.field, e.rule))?;
    let installments: Vec<OpenInstallment> = schedule
        .installments()
        .iter()
        .map(|i| OpenInstallment {
            number: i.number,
            period_start: i.period_start,
            due_date: i.due_date,
            principal: i.principal.amount_minor(),
            interest: i.interest.amount_minor(),
            paid_principal: 0,
            paid_interest: 0,
            state: InstallmentState::Pending,
            paid_on: None,
        })
        .collect();
    let at = timestamp(app.now());
    let last_due = installments.last().map_or(date, |i| i.due_date);
    let mut tx = app.db().begin().await?;
    let loan = LoanRow {
        external_id: input.external_id.clone(),
        customer_id: input.customer_id,
        product_code: row.code.clone(),
        product_version: row.version,
        currency: Currency::CNY.code().into(),
        contract_amount_minor: input.principal.amount_minor(),
        disbursed_minor: input.principal.amount_minor(),
        principal_outstanding_minor: input.principal.amount_minor(),
        annual_rate: input.annual_rate.as_decimal().to_string(),
        term_months: i64::from(input.term),
        method: input.method.code().into(),
        start_date: date.to_string(),
        first_due_date: installments
            .first()
            .map_or(date, |i| i.due_date)
            .to_string(),
        maturity_date: last_due.to_string(),
        funding_source: input.funding_source.clone(),
        status: "active".into(),
        created_at: at.clone(),
        updated_at: at.clone(),
        version: 1,
        ..LoanRow::default()
    };
    let loan_id = loans_store::insert_loan(&mut tx, &loan).await?;
    store::insert_installments(&mut tx, loan_id, &installments).await?;
    super::activate(&mut tx, app, loan_id, date).await?;
    let lines = disbursement_lines(
        loan_id,
        &input.funding_source,
        input.principal,
        Money::zero(Currency::CNY),
    );
    let description = format!("loan {loan_id} booked and disbursed");
    let entry = post_in(
        &mut tx,
        app,
        actor,
        &EntryDraft {
            description: &description,
            source: "disbursement",
            currency: Currency::CNY,
            lines: &lines,
            reverses: None,
        },
    )
    .await?;
    loans_store::insert_transaction(
        &mut tx,
        &LoanTransactionRow {
            loan_id,
            kind: "disbursement".into(),
            business_date: date.to_string(),
            amount_minor: input.principal.amount_minor(),
            journal_entry_id: Some(entry),
            reference: input.external_id.clone().unwrap_or_default(),
            created_by: actor.username.clone(),
            created_at: at,
            ..LoanTransactionRow::default()
        },
    )
    .await?;
    tx.commit()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    let _: Option<NaiveDate> = None;
    Ok(loan_id)
}
