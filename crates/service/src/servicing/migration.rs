//! Book migration (存量贷款迁移): active loans brought from another system by CSV, all or
//! nothing.
//!
//! Steps:
//! 1. every row is checked (customer, product, terms, dates, amounts repaid, the external
//!    id unique in the file and among the loans booked) and, when its fields are good,
//!    brought to the business date in memory by the core
//!    (`loanbook_core::servicing::migration::bring_to_date`: the schedule from
//!    `disbursed_on`, a close for every day up to the day before the business date, the
//!    amounts repaid placed at the due dates); every bad row is reported with its row,
//!    field and rule, and nothing is written;
//! 2. in one transaction: the customers not yet known (matched by ID number; one new
//!    customer per ID number in the file) are created, each loan is stored with its
//!    schedule, its balances, one opening entry (its balances on the loan's control
//!    accounts against 1901 migration clearing, the provision on the allowance) and a
//!    `migration` transaction; classes other than pass are recorded; one audit record.

use std::collections::HashMap;

use chrono::NaiveDate;
use loanbook_core::delinquency::FiveTier;
use loanbook_core::money::{Currency, Money};
use loanbook_core::servicing::postings::opening_lines;
use loanbook_store::audit::timestamp;
use loanbook_store::customers::{self as customers_store, CustomerRow};
use loanbook_store::loans::{self as loans_store, LoanRow, LoanTransactionRow};
use loanbook_store::servicing::{self as store, BalanceRow};
use serde::Serialize;

use crate::customers::identity_taken;
use crate::ledger::{EntryDraft, post_in};
use crate::{Actor, App, Permission, ServiceError, Violation, record};

mod rows;

use rows::{Borrower, Line, Lookups, Prepared, prepare};

/// Most rows one file takes.
pub const MAX_LOAN_IMPORT_ROWS: usize = 100_000;

/// The columns a loan file must have (`first_due`, `principal_repaid`,
/// `interest_repaid` and `funding_source` are optional).
pub const LOAN_IMPORT_COLUMNS: [&str; 11] = [
    "external_id",
    "customer_name",
    "id_number",
    "phone",
    "province",
    "product_code",
    "principal",
    "annual_rate",
    "term",
    "method",
    "disbursed_on",
];

/// The longest term accepted, in periods.
pub const MAX_TERM: u32 = 480;

/// Options of an import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Funding source of rows without a `funding_source` column value.
    pub funding_source: Option<String>,
}

/// One loan imported.
#[derive(Clone, Debug, Serialize)]
pub struct ImportedLoan {
    /// Row of the file.
    pub row: usize,
    /// Its id in the old system.
    pub external_id: String,
    /// Its id here.
    pub loan_id: i64,
    /// Borrower.
    pub customer_id: i64,
    /// Whether the customer was created by this import.
    pub customer_created: bool,
    /// Principal outstanding.
    pub principal_outstanding: Money,
    /// Overdue principal and interest.
    pub overdue: Money,
    /// Penalty and compound interest.
    pub penalty: Money,
    /// Days past due.
    pub dpd: u32,
    /// Five-tier class.
    pub class: FiveTier,
}

/// What an import did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportView {
    /// Loans imported.
    pub loans: Vec<ImportedLoan>,
    /// Customers created.
    pub customers_created: usize,
    /// Customers matched by ID number.
    pub customers_reused: usize,
    /// Σ principal outstanding.
    pub principal_outstanding: Money,
}

/// Imports active loans from another system (CSV, [`LOAN_IMPORT_COLUMNS`]), all or
/// nothing; see the module docs.
///
/// # Errors
/// Forbidden without `disbursement:release`; [`ServiceError::Invalid`] with every bad row
/// (the header is row 1), its field and rule; nothing is written then.
pub async fn import_loans(
    app: &App,
    actor: &Actor,
    data: &str,
    opts: &ImportOptions,
) -> Result<ImportView, ServiceError> {
    actor.require(Permission::DisbursementRelease)?;
    let business_date = app.business_date().await?;
    let nul = crate::input::nul_cells(data);
    if !nul.is_empty() {
        return Err(ServiceError::Invalid(nul));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ServiceError::Invalid(vec![Violation::new("csv", e.to_string()).at_row(1)]))?
        .clone();
    let missing: Vec<Violation> = LOAN_IMPORT_COLUMNS
        .iter()
        .filter(|c| !headers.iter().any(|h| h == **c))
        .map(|c| Violation::new(*c, "column is missing from the header").at_row(1))
        .collect();
    if !missing.is_empty() {
        return Err(ServiceError::Invalid(missing));
    }
    let mut look = Lookups {
        products: HashMap::new(),
        funding_sources: loanbook_store::applications::funding_sources(app.db())
            .await?
            .into_iter()
            .map(|f| f.code)
            .collect(),
        by_id_number: HashMap::new(),
        new_customers: Vec::new(),
        external_ids: HashMap::new(),
    };
    let mut violations = Vec::new();
    let mut prepared = Vec::new();
    let started = std::time::Instant::now();
    let mut tx = app.db().begin().await?;
    for (index, record) in reader.deserialize::<Line>().enumerate() {
        let row = index + 2;
        if index >= MAX_LOAN_IMPORT_ROWS {
            violations.push(
                Violation::new(
                    "csv",
                    format!("more than {MAX_LOAN_IMPORT_ROWS} rows: split the file"),
                )
                .at_row(row),
            );
            break;
        }
        let line = match record {
            Ok(line) => line,
            Err(e) => {
                violations.push(Violation::new("csv", e.to_string()).at_row(row));
                continue;
            }
        };
        let mut v = Vec::new();
        let p = prepare(
            app,
            &mut tx,
            &line,
            row,
            business_date,
            opts,
            &mut look,
            &mut v,
        )
        .await?;
        violations.extend(v.into_iter().map(|x| x.at_row(row)));
        if let Some(p) = p {
            prepared.push(p);
        }
    }
    if prepared.is_empty() && violations.is_empty() {
        violations.push(Violation::new("csv", "the file has no rows").at_row(2));
    }
    let ids: Vec<String> = prepared.iter().map(|p| p.external_id.clone()).collect();
    for taken in loanbook_store::servicing_history::external_ids_taken(&mut tx, &ids).await? {
        if let Some(&row) = look.external_ids.get(&taken) {
            violations.push(
                Violation::new("external_id", format!("'{taken}' is booked already")).at_row(row),
            );
        }
    }
    if !violations.is_empty() {
        violations.sort_by_key(|v| v.row);
        return Err(ServiceError::Invalid(violations));
    }
    let checked = started.elapsed();
    let view = write(
        app,
        actor,
        &mut tx,
        prepared,
        look.new_customers,
        business_date,
    )
    .await?;
    tx.commit()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    app.db().refresh_statistics().await?;
    tracing::debug!(
        loans = view.loans.len(),
        checked_ms = checked.as_millis(),
        written_ms = (started.elapsed() - checked).as_millis(),
        "book migration imported"
    );
    Ok(view)
}

/// Writes the checked rows (step 2 of the module docs).
async fn write(
    app: &App,
    actor: &Actor,
    tx: &mut loanbook_store::Tx<'_>,
    prepared: Vec<Prepared>,
    new_customers: Vec<CustomerRow>,
    business_date: NaiveDate,
) -> Result<ImportView, ServiceError> {
    let at = timestamp(app.now());
    let mut customer_ids = Vec::with_capacity(new_customers.len());
    for mut c in new_customers {
        c.created_by = actor.username.clone();
        c.created_at = at.clone();
        c.updated_at = at.clone();
        customer_ids.push(
            customers_store::insert(tx, &c)
                .await
                .map_err(identity_taken)?,
        );
    }
    let mut balances = Vec::with_capacity(prepared.len());
    let mut class_changes = Vec::new();
    let mut loans = Vec::with_capacity(prepared.len());
    let mut total = 0i64;
    for p in prepared {
        let (customer_id, created) = match p.borrower {
            Borrower::Existing(id) => (id, false),
            Borrower::New(n) => (customer_ids[n], true),
        };
        let inst = &p.migrated.installments;
        let loan = LoanRow {
            external_id: Some(p.external_id.clone()),
            customer_id,
            product_code: p.product_code.clone(),
            product_version: p.product_version,
            currency: Currency::CNY.code().into(),
            contract_amount_minor: p.terms.principal.amount_minor(),
            disbursed_minor: p.terms.principal.amount_minor(),
            principal_outstanding_minor: p.terms.principal.amount_minor(),
            annual_rate: p.terms.annual_rate.as_decimal().to_string(),
            term_months: i64::from(p.terms.term),
            method: p.terms.method.code().into(),
            start_date: p.terms.disbursed_on.to_string(),
            first_due_date: inst
                .first()
                .map_or(p.terms.disbursed_on, |i| i.due_date)
                .to_string(),
            maturity_date: inst
                .last()
                .map_or(p.terms.disbursed_on, |i| i.due_date)
                .to_string(),
            funding_source: p.terms.funding_source.clone(),
            status: "active".into(),
            created_at: at.clone(),
            updated_at: at.clone(),
            version: 1,
            ..LoanRow::default()
        };
        let loan_id = loans_store::insert_loan(tx, &loan).await?;
        store::insert_installments(tx, loan_id, inst).await?;
        let mut account = p.migrated.account.clone();
        account.loan_id = loan_id;
        let lines = opening_lines(loan_id, &account);
        let description = format!(
            "loan {loan_id} ({}) brought from another system",
            p.external_id
        );
        let entry = post_in(
            tx,
            app,
            actor,
            &EntryDraft {
                description: &description,
                source: "migration",
                currency: Currency::CNY,
                lines: &lines,
                reverses: None,
            },
        )
        .await?;
        let details = serde_json::json!({
            "disbursed_on": p.terms.disbursed_on.to_string(),
            "principal_repaid": Money::from_minor(p.terms.repaid.principal, Currency::CNY),
            "interest_repaid": Money::from_minor(p.terms.repaid.interest, Currency::CNY),
            "row": p.row,
        });
        let transaction_id = loans_store::insert_transaction(
            tx,
            &LoanTransactionRow {
                loan_id,
                kind: "migration".into(),
                business_date: business_date.to_string(),
                amount_minor: p.terms.principal.amount_minor(),
                journal_entry_id: Some(entry),
                reference: p.external_id.clone(),
                created_by: actor.username.clone(),
                created_at: at.clone(),
                ..LoanTransactionRow::default()
            },
        )
        .await?;
        loans_store::update_texts(
            tx,
            "UPDATE loan_transactions SET details_json = $1, value_date = $2 WHERE id = $3",
            &[&details.to_string(), &p.terms.disbursed_on.to_string()],
            transaction_id,
        )
        .await?;
        if account.class != FiveTier::Pass {
            class_changes.push((loan_id, FiveTier::Pass, account.class, account.dpd));
        }
        let m = |minor| Money::from_minor(minor, Currency::CNY);
        total += account.principal_outstanding;
        loans.push(ImportedLoan {
            row: p.row,
            external_id: p.external_id,
            loan_id,
            customer_id,
            customer_created: created,
            principal_outstanding: m(account.principal_outstanding),
            overdue: m(account.overdue_principal + account.overdue_interest),
            penalty: m(account.penalty_interest + account.compound_interest),
            dpd: account.dpd,
            class: account.class,
        });
        balances.push(BalanceRow {
            account,
            product_code: p.product_code,
            product_version: p.product_version,
            funding_source: p.terms.funding_source,
            annual_rate: p.terms.annual_rate.as_decimal().to_string(),
            active: true,
            version: 1,
        });
    }
    let written = store::write_balances(tx, &balances).await?;
    if written != u64::try_from(balances.len()).unwrap_or(u64::MAX) {
        return Err(ServiceError::Conflict(
            "a migrated loan changed while it was imported; retry".into(),
        ));
    }
    store::insert_class_changes(
        tx,
        business_date,
        &class_changes,
        "book migration",
        &actor.username,
    )
    .await?;
    let created = customer_ids.len();
    let view = ImportView {
        customers_created: created,
        customers_reused: loans
            .iter()
            .filter(|l| !l.customer_created)
            .map(|l| l.customer_id)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        principal_outstanding: Money::from_minor(total, Currency::CNY),
        loans,
    };
    record(
        tx,
        actor,
        "loan.import",
        "loan",
        "*",
        None,
        Some(serde_json::json!({
            "loans": view.loans.len(),
            "customers_created": created,
            "principal_outstanding": view.principal_outstanding,
        })),
    )
    .await?;
    Ok(view)
}
