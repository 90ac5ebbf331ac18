//! Loans (贷款): the running balances, the schedule and the transactions with their
//! ledger entries. Servicing (repayments, the daily close) extends these views.

use loanbook_core::money::{Currency, Money};
use loanbook_store::loans::{self as store, InstallmentRow, LoanRow};
use serde::Serialize;

use crate::ledger::{EntryView, entry};
use crate::{Actor, App, Permission, ServiceError};

/// A loan as shown.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct LoanView {
    pub id: i64,
    pub external_id: Option<String>,
    pub application_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub customer_id: i64,
    pub product_code: String,
    pub product_version: i64,
    /// active, cancelled (every tranche's payment failed), …
    pub status: String,
    pub contract_amount: Money,
    pub disbursed: Money,
    pub principal_outstanding: Money,
    pub fees_due: Money,
    pub annual_rate: String,
    pub term_months: i64,
    pub method: String,
    pub start_date: String,
    pub first_due_date: String,
    pub maturity_date: String,
    pub funding_source: String,
    /// The running balances (for a disbursed loan).
    #[serde(flatten)]
    pub servicing: Option<ServicingView>,
}

/// The running balances of a loan, as of the last close and the payments since.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct ServicingView {
    pub overdue_principal: Money,
    pub due_principal: Money,
    pub interest_accrued: Money,
    pub due_interest: Money,
    pub overdue_interest: Money,
    pub penalty_interest: Money,
    pub compound_interest: Money,
    pub advance_balance: Money,
    /// Interest owed but not recognised as income (non-accrual).
    pub interest_off_book: Money,
    pub provision: Money,
    pub dpd: u32,
    /// current, M1, M2, M3, M4+.
    pub bucket: String,
    /// pass, special_mention, substandard, doubtful, loss.
    pub five_tier_class: String,
    pub non_accrual: bool,
    pub next_due_date: Option<String>,
    pub last_closed: Option<String>,
}

fn servicing_view(b: &loanbook_store::servicing::BalanceRow) -> ServicingView {
    let a = &b.account;
    let m = |minor| Money::from_minor(minor, Currency::CNY);
    ServicingView {
        overdue_principal: m(a.overdue_principal),
        due_principal: m(a.due_principal),
        interest_accrued: m(a.interest_accrued),
        due_interest: m(a.due_interest),
        overdue_interest: m(a.overdue_interest),
        penalty_interest: m(a.penalty_interest),
        compound_interest: m(a.compound_interest),
        advance_balance: m(a.advance_balance),
        interest_off_book: m(a.interest_off_book),
        provision: m(a.provision),
        dpd: a.dpd,
        bucket: a.bucket().code().into(),
        five_tier_class: a.class.code().into(),
        non_accrual: a.non_accrual,
        next_due_date: a.next_due.map(|d| d.to_string()),
        last_closed: (a.last_closed != chrono::NaiveDate::MIN).then(|| a.last_closed.to_string()),
    }
}

fn money(m: i64, l: &LoanRow) -> Money {
    Money::from_minor(m, Currency::from_code(&l.currency).unwrap_or(Currency::CNY))
}

fn view(l: &LoanRow) -> LoanView {
    LoanView {
        id: l.id,
        external_id: l.external_id.clone(),
        application_id: l.application_id,
        contract_id: l.contract_id,
        customer_id: l.customer_id,
        product_code: l.product_code.clone(),
        product_version: l.product_version,
        status: l.status.clone(),
        contract_amount: money(l.contract_amount_minor, l),
        disbursed: money(l.disbursed_minor, l),
        principal_outstanding: money(l.principal_outstanding_minor, l),
        fees_due: money(l.fees_due_minor, l),
        annual_rate: l.annual_rate.clone(),
        term_months: l.term_months,
        method: l.method.clone(),
        start_date: l.start_date.clone(),
        first_due_date: l.first_due_date.clone(),
        maturity_date: l.maturity_date.clone(),
        funding_source: l.funding_source.clone(),
        servicing: None,
    }
}

async fn load(app: &App, id: i64) -> Result<LoanRow, ServiceError> {
    store::loan(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {id}")))
}

/// The longest external id a loan is looked up by, in characters.
pub const MAX_EXTERNAL_ID_CHARS: usize = 100;

/// The id of the loan `key` addresses: a key of ASCII digits only is the loan's id;
/// anything else is its `external_id` (the id in the system it came from). So a loan
/// whose external id is all digits is addressed by its id alone.
///
/// An id is returned without a look-up: the use case it is passed to checks its own
/// permission first and then answers not found, so an id never tells a caller without
/// the permission whether a loan exists.
///
/// # Errors
/// Forbidden without `loan:read` (an external id is looked up); not found (an id beyond
/// `i64`, an empty or over-long key, no loan with that external id).
pub async fn resolve(app: &App, actor: &Actor, key: &str) -> Result<i64, ServiceError> {
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
        return key
            .parse()
            .map_err(|_| ServiceError::NotFound(format!("loan {key}")));
    }
    actor.require(Permission::LoanRead)?;
    if key.is_empty() || key.chars().count() > MAX_EXTERNAL_ID_CHARS {
        return Err(ServiceError::NotFound(format!(
            "loan with an external id of 1 to {MAX_EXTERNAL_ID_CHARS} characters"
        )));
    }
    store::loan_id_by_external_id(app.db().pool(), key)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan with external id '{key}'")))
}

/// Loan `id`.
///
/// # Errors
/// Forbidden without `loan:read`; not found.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<LoanView, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let mut v = view(&load(app, id).await?);
    if let Some(b) = loanbook_store::servicing::balance_of(app.db(), id).await?
        && (b.active || b.account.last_closed != chrono::NaiveDate::MIN)
    {
        v.servicing = Some(servicing_view(&b));
    }
    Ok(v)
}

/// Loans by id, optionally of one customer.
///
/// # Errors
/// Forbidden without `loan:read`.
pub async fn list(
    app: &App,
    actor: &Actor,
    customer_id: Option<i64>,
    after_id: Option<i64>,
    limit: Option<i64>,
) -> Result<Vec<LoanView>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    Ok(store::loans(
        app.db(),
        customer_id,
        after_id.unwrap_or(0),
        limit.unwrap_or(50),
    )
    .await?
    .iter()
    .map(view)
    .collect())
}

/// One installment as shown.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct InstallmentView {
    pub number: i64,
    pub due_date: String,
    pub principal: Money,
    pub interest: Money,
    pub total: Money,
    pub balance: Money,
    pub paid_principal: Money,
    pub paid_interest: Money,
    /// scheduled, due, overdue or paid.
    pub status: String,
}

/// The schedule of loan `id`.
///
/// # Errors
/// Forbidden without `loan:read`; not found.
pub async fn schedule(
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<Vec<InstallmentView>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let l = load(app, id).await?;
    let m = |x: i64| money(x, &l);
    Ok(store::installments(app.db(), id)
        .await?
        .iter()
        .map(|i: &InstallmentRow| InstallmentView {
            number: i.number,
            due_date: i.due_date.clone(),
            principal: m(i.principal_minor),
            interest: m(i.interest_minor),
            total: m(i.total_minor),
            balance: m(i.balance_minor),
            paid_principal: m(i.paid_principal_minor),
            paid_interest: m(i.paid_interest_minor),
            status: i.status.clone(),
        })
        .collect())
}

/// A loan transaction with its ledger entry.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct TransactionView {
    pub id: i64,
    pub kind: String,
    pub business_date: String,
    pub amount: Money,
    pub reference: String,
    pub created_by: String,
    /// The `reversal` transaction that reversed it, if any.
    pub reversed_by: Option<i64>,
    pub entry: Option<EntryView>,
}

/// The transactions of loan `id`, each with its journal entry.
///
/// # Errors
/// Forbidden without `loan:read` (and `ledger:read` is not needed: the entries of a
/// loan are part of the loan); not found.
pub async fn transactions(
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<Vec<TransactionView>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let l = load(app, id).await?;
    let mut out = Vec::new();
    for t in store::transactions(app.db(), id).await? {
        let e = match t.journal_entry_id {
            Some(e) => Some(entry(app, &Actor::system(), e).await?),
            None => None,
        };
        out.push(TransactionView {
            id: t.id,
            kind: t.kind.clone(),
            business_date: t.business_date.clone(),
            amount: money(t.amount_minor, &l),
            reference: t.reference.clone(),
            created_by: t.created_by.clone(),
            reversed_by: t.reversed_by,
            entry: e,
        });
    }
    Ok(out)
}

/// One change of a loan's five-tier class (五级分类).
#[derive(Clone, Debug, Serialize)]
pub struct ClassChange {
    /// The business date of the change.
    pub business_date: String,
    /// The class before.
    pub from_class: String,
    /// The class after.
    pub to_class: String,
    /// Days past due then.
    pub dpd: i64,
    /// Why (the close's rule, or an override's reason).
    pub reason: String,
    /// Who (the close, or the approver of an override).
    pub by: String,
}

/// The class history of loan `id`, oldest first.
///
/// # Errors
/// Forbidden without `loan:read`; not found.
pub async fn class_history(
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<Vec<ClassChange>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    load(app, id).await?;
    Ok(store::class_history(app.db(), id)
        .await?
        .into_iter()
        .map(
            |(business_date, from_class, to_class, dpd, reason, by)| ClassChange {
                business_date,
                from_class,
                to_class,
                dpd,
                reason,
                by,
            },
        )
        .collect())
}
