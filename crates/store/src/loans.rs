//! Contracts and their signatures, loans with their installments and transactions,
//! disbursement tranches and the payment orders sent to the bank.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Db, StoreError, Tx};

/// A contract version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ContractRow {
    pub id: i64,
    pub application_id: i64,
    pub version: i64,
    pub contract_no: String,
    pub status: String,
    pub terms_json: String,
    pub document_html: String,
    pub document_sha256: String,
    pub created_by: String,
    pub created_at: String,
    pub signed_at: Option<String>,
}

const CONTRACT_COLUMNS: &str = "id, application_id, version, contract_no, status, terms_json, document_html, document_sha256, created_by, created_at, signed_at";

fn contract_from(r: &AnyRow) -> Result<ContractRow, StoreError> {
    Ok(ContractRow {
        id: r.try_get("id")?,
        application_id: r.try_get("application_id")?,
        version: r.try_get("version")?,
        contract_no: r.try_get("contract_no")?,
        status: r.try_get("status")?,
        terms_json: r.try_get("terms_json")?,
        document_html: r.try_get("document_html")?,
        document_sha256: r.try_get("document_sha256")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        signed_at: r.try_get("signed_at")?,
    })
}

/// Stores a new contract version, superseding earlier unsigned ones; returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_contract(tx: &mut Tx<'_>, c: &ContractRow) -> Result<i64, StoreError> {
    sqlx::query(
        "UPDATE contracts SET status = 'superseded' WHERE application_id = $1 AND status = 'draft'",
    )
    .bind(c.application_id)
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO contracts (application_id, version, contract_no, status, terms_json, document_html, document_sha256, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(c.application_id)
    .bind(c.version)
    .bind(&c.contract_no)
    .bind(&c.status)
    .bind(&c.terms_json)
    .bind(&c.document_html)
    .bind(&c.document_sha256)
    .bind(&c.created_by)
    .bind(&c.created_at)
    .fetch_one(&mut **tx)
    .await?)
}

/// Contract `id`.
///
/// # Errors
/// A database error.
pub async fn contract<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    id: i64,
) -> Result<Option<ContractRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {CONTRACT_COLUMNS} FROM contracts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?;
    row.as_ref().map(contract_from).transpose()
}

/// Every contract version of an application, newest first.
///
/// # Errors
/// A database error.
pub async fn contracts_of(db: &Db, application_id: i64) -> Result<Vec<ContractRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {CONTRACT_COLUMNS} FROM contracts WHERE application_id = $1 ORDER BY version DESC"
    ))
    .bind(application_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(contract_from).collect()
}

/// Moves contract `id` from `from` to `to` (optimistic), stamping `signed_at` when it
/// becomes signed.
///
/// # Errors
/// A database error.
pub async fn set_contract_status(
    tx: &mut Tx<'_>,
    id: i64,
    from: &str,
    to: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE contracts SET status = $1, signed_at = CASE WHEN $1 = 'signed' THEN $2 ELSE signed_at END WHERE id = $3 AND status = $4",
    )
    .bind(to)
    .bind(at)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An e-signature record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct SignatureRow {
    pub contract_id: i64,
    pub party: String,
    pub signer: String,
    pub signed_at: String,
    pub ip: String,
    pub document_sha256: String,
    pub recorded_by: String,
}

/// Stores a signature; a party signs once (a second is a unique violation).
///
/// # Errors
/// A database error.
pub async fn insert_signature(tx: &mut Tx<'_>, s: &SignatureRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO signatures (contract_id, party, signer, signed_at, ip, document_sha256, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(s.contract_id)
    .bind(&s.party)
    .bind(&s.signer)
    .bind(&s.signed_at)
    .bind(&s.ip)
    .bind(&s.document_sha256)
    .bind(&s.recorded_by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The signatures of a contract.
///
/// # Errors
/// A database error.
pub async fn signatures<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    contract_id: i64,
) -> Result<Vec<SignatureRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT contract_id, party, signer, signed_at, ip, document_sha256, recorded_by FROM signatures WHERE contract_id = $1 ORDER BY id",
    )
    .bind(contract_id)
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SignatureRow {
                contract_id: r.try_get("contract_id")?,
                party: r.try_get("party")?,
                signer: r.try_get("signer")?,
                signed_at: r.try_get("signed_at")?,
                ip: r.try_get("ip")?,
                document_sha256: r.try_get("document_sha256")?,
                recorded_by: r.try_get("recorded_by")?,
            })
        })
        .collect()
}

/// A loan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct LoanRow {
    pub id: i64,
    pub external_id: Option<String>,
    pub application_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub customer_id: i64,
    pub product_code: String,
    pub product_version: i64,
    pub currency: String,
    pub contract_amount_minor: i64,
    pub disbursed_minor: i64,
    pub principal_outstanding_minor: i64,
    pub fees_due_minor: i64,
    pub annual_rate: String,
    pub term_months: i64,
    pub method: String,
    pub start_date: String,
    pub first_due_date: String,
    pub maturity_date: String,
    pub funding_source: String,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

/// The loan's columns, with its principal and fees from its servicing row.
const LOAN_COLUMNS: &str = "l.id, l.external_id, l.application_id, l.contract_id, l.customer_id, l.product_code, l.product_version, l.currency, l.contract_amount_minor, l.disbursed_minor, COALESCE(b.principal_outstanding_minor, 0) AS principal_outstanding_minor, COALESCE(b.fees_due_minor, 0) AS fees_due_minor, l.annual_rate, l.term_months, l.method, l.start_date, l.first_due_date, l.maturity_date, l.funding_source, l.status, l.created_at, l.updated_at, l.version";
const LOAN_FROM: &str = "loans l LEFT JOIN loan_balances b ON b.loan_id = l.id";

fn loan_from(r: &AnyRow) -> Result<LoanRow, StoreError> {
    Ok(LoanRow {
        id: r.try_get("id")?,
        external_id: r.try_get("external_id")?,
        application_id: r.try_get("application_id")?,
        contract_id: r.try_get("contract_id")?,
        customer_id: r.try_get("customer_id")?,
        product_code: r.try_get("product_code")?,
        product_version: r.try_get("product_version")?,
        currency: r.try_get("currency")?,
        contract_amount_minor: r.try_get("contract_amount_minor")?,
        disbursed_minor: r.try_get("disbursed_minor")?,
        principal_outstanding_minor: r.try_get("principal_outstanding_minor")?,
        fees_due_minor: r.try_get("fees_due_minor")?,
        annual_rate: r.try_get("annual_rate")?,
        term_months: r.try_get("term_months")?,
        method: r.try_get("method")?,
        start_date: r.try_get("start_date")?,
        first_due_date: r.try_get("first_due_date")?,
        maturity_date: r.try_get("maturity_date")?,
        funding_source: r.try_get("funding_source")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

/// Inserts a loan; returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_loan(tx: &mut Tx<'_>, l: &LoanRow) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO loans (external_id, application_id, contract_id, customer_id, product_code, product_version, currency, contract_amount_minor, disbursed_minor, annual_rate, term_months, method, start_date, first_due_date, maturity_date, funding_source, status, created_at, updated_at, region) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         (SELECT province FROM customers WHERE id = $4)) RETURNING id",
    )
    .bind(&l.external_id)
    .bind(l.application_id)
    .bind(l.contract_id)
    .bind(l.customer_id)
    .bind(&l.product_code)
    .bind(l.product_version)
    .bind(&l.currency)
    .bind(l.contract_amount_minor)
    .bind(l.disbursed_minor)
    .bind(&l.annual_rate)
    .bind(l.term_months)
    .bind(&l.method)
    .bind(&l.start_date)
    .bind(&l.first_due_date)
    .bind(&l.maturity_date)
    .bind(&l.funding_source)
    .bind(&l.status)
    .bind(&l.created_at)
    .bind(&l.updated_at)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO loan_balances (loan_id, product_code, product_version, funding_source, annual_rate, principal_outstanding_minor, fees_due_minor) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(&l.product_code)
    .bind(l.product_version)
    .bind(&l.funding_source)
    .bind(&l.annual_rate)
    .bind(l.principal_outstanding_minor)
    .bind(l.fees_due_minor)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Writes the running balances and status of a loan (optimistic on `version`); false
/// if someone changed it first.
///
/// # Errors
/// A database error.
pub async fn update_loan_balances(tx: &mut Tx<'_>, l: &LoanRow) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE loans SET disbursed_minor = $1, maturity_date = $2, status = $3, updated_at = $4, version = version + 1 \
         WHERE id = $5 AND version = $6",
    )
    .bind(l.disbursed_minor)
    .bind(&l.maturity_date)
    .bind(&l.status)
    .bind(&l.updated_at)
    .bind(l.id)
    .bind(l.version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE loan_balances SET principal_outstanding_minor = $1, fees_due_minor = $2, version = version + 1 WHERE loan_id = $3",
    )
    .bind(l.principal_outstanding_minor)
    .bind(l.fees_due_minor)
    .bind(l.id)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Loan `id`.
///
/// # Errors
/// A database error.
pub async fn loan<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    id: i64,
) -> Result<Option<LoanRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {LOAN_COLUMNS} FROM {LOAN_FROM} WHERE l.id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?;
    row.as_ref().map(loan_from).transpose()
}

/// The id of the loan whose `external_id` is `external_id` (unique; indexed).
///
/// # Errors
/// A database error.
pub async fn loan_id_by_external_id<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    external_id: &str,
) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT id FROM loans WHERE external_id = $1")
        .bind(external_id)
        .fetch_optional(exec)
        .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

/// The loan made under contract `contract_id`.
///
/// # Errors
/// A database error.
pub async fn loan_of_contract<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    contract_id: i64,
) -> Result<Option<LoanRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {LOAN_COLUMNS} FROM {LOAN_FROM} WHERE l.contract_id = $1"
    ))
    .bind(contract_id)
    .fetch_optional(exec)
    .await?;
    row.as_ref().map(loan_from).transpose()
}

/// Loans by id, optionally of one customer.
///
/// # Errors
/// A database error.
pub async fn loans(
    db: &Db,
    customer_id: Option<i64>,
    after_id: i64,
    limit: i64,
) -> Result<Vec<LoanRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {LOAN_COLUMNS} FROM {LOAN_FROM} WHERE ($1 = 0 OR l.customer_id = $1) AND l.id > $2 ORDER BY l.id LIMIT $3"
    ))
    .bind(customer_id.unwrap_or(0))
    .bind(after_id)
    .bind(limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(loan_from).collect()
}

/// Σ principal outstanding per loan, for the ledger reconciliation: (loan id, balance).
///
/// # Errors
/// A database error.
pub async fn principal_by_loan(db: &Db) -> Result<Vec<(i64, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT loan_id AS id, principal_outstanding_minor FROM loan_balances ORDER BY loan_id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("principal_outstanding_minor")?)))
        .collect()
}

/// One installment of a loan's schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct InstallmentRow {
    pub loan_id: i64,
    pub number: i64,
    pub due_date: String,
    pub principal_minor: i64,
    pub interest_minor: i64,
    pub total_minor: i64,
    pub balance_minor: i64,
    pub period_start: String,
    pub paid_principal_minor: i64,
    pub paid_interest_minor: i64,
    pub status: String,
}

/// Replaces the schedule of a loan.
///
/// # Errors
/// A database error.
pub async fn replace_installments(
    tx: &mut Tx<'_>,
    loan_id: i64,
    rows: &[InstallmentRow],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM installments WHERE loan_id = $1")
        .bind(loan_id)
        .execute(&mut **tx)
        .await?;
    for i in rows {
        sqlx::query(
            "INSERT INTO installments (loan_id, number, due_date, principal_minor, interest_minor, total_minor, balance_minor, paid_principal_minor, paid_interest_minor, status, period_start) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(loan_id)
        .bind(i.number)
        .bind(&i.due_date)
        .bind(i.principal_minor)
        .bind(i.interest_minor)
        .bind(i.total_minor)
        .bind(i.balance_minor)
        .bind(i.paid_principal_minor)
        .bind(i.paid_interest_minor)
        .bind(&i.status)
        .bind(&i.period_start)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The schedule of a loan.
///
/// # Errors
/// A database error.
pub async fn installments(db: &Db, loan_id: i64) -> Result<Vec<InstallmentRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT loan_id, number, due_date, principal_minor, interest_minor, total_minor, balance_minor, COALESCE(period_start, '') AS period_start, paid_principal_minor, paid_interest_minor, status \
         FROM installments WHERE loan_id = $1 ORDER BY number",
    )
    .bind(loan_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(InstallmentRow {
                loan_id: r.try_get("loan_id")?,
                number: r.try_get("number")?,
                due_date: r.try_get("due_date")?,
                principal_minor: r.try_get("principal_minor")?,
                interest_minor: r.try_get("interest_minor")?,
                total_minor: r.try_get("total_minor")?,
                balance_minor: r.try_get("balance_minor")?,
                period_start: r.try_get("period_start")?,
                paid_principal_minor: r.try_get("paid_principal_minor")?,
                paid_interest_minor: r.try_get("paid_interest_minor")?,
                status: r.try_get("status")?,
            })
        })
        .collect()
}

/// A money movement on a loan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct LoanTransactionRow {
    pub id: i64,
    pub loan_id: i64,
    pub kind: String,
    pub business_date: String,
    pub amount_minor: i64,
    pub journal_entry_id: Option<i64>,
    pub reference: String,
    pub created_by: String,
    pub created_at: String,
    /// The `reversal` transaction that reversed it.
    pub reversed_by: Option<i64>,
}

/// Stores a loan transaction; returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_transaction(
    tx: &mut Tx<'_>,
    t: &LoanTransactionRow,
) -> Result<i64, StoreError> {
    let ids = insert_transactions(tx, &[(t.clone(), "{}".to_owned(), None)]).await?;
    ids.first()
        .copied()
        .ok_or_else(|| StoreError::Corrupt("an inserted transaction returned no id".into()))
}

/// Stores loan transactions with their details (JSON) and value dates in multi-row
/// statements (no details: `{}`; no value date: NULL); returns their ids in the order
/// given (see [`crate::db::inserted_ids`]).
///
/// # Errors
/// A database error.
pub async fn insert_transactions(
    tx: &mut Tx<'_>,
    rows: &[(LoanTransactionRow, String, Option<String>)],
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(100) {
        let sql = format!(
            "INSERT INTO loan_transactions (loan_id, kind, business_date, amount_minor, journal_entry_id, reference, created_by, created_at, details_json, value_date) \
             VALUES {} RETURNING id",
            crate::db::values_placeholders(tx.backend(), chunk.len(), 10)
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for (t, details, value_date) in chunk {
            q = q
                .bind(t.loan_id)
                .bind(&t.kind)
                .bind(&t.business_date)
                .bind(t.amount_minor)
                .bind(t.journal_entry_id)
                .bind(&t.reference)
                .bind(&t.created_by)
                .bind(&t.created_at)
                .bind(details)
                .bind(value_date);
        }
        let got = q.fetch_all(&mut **tx).await?;
        ids.extend(crate::db::inserted_ids(got, chunk.len(), "transactions")?);
    }
    Ok(ids)
}

/// The transactions of a loan, in order.
///
/// # Errors
/// A database error.
pub async fn transactions(db: &Db, loan_id: i64) -> Result<Vec<LoanTransactionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, loan_id, kind, business_date, amount_minor, journal_entry_id, reference, created_by, created_at, reversed_by \
         FROM loan_transactions WHERE loan_id = $1 ORDER BY id",
    )
    .bind(loan_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LoanTransactionRow {
                id: r.try_get("id")?,
                loan_id: r.try_get("loan_id")?,
                kind: r.try_get("kind")?,
                business_date: r.try_get("business_date")?,
                amount_minor: r.try_get("amount_minor")?,
                journal_entry_id: r.try_get("journal_entry_id")?,
                reference: r.try_get("reference")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                reversed_by: r.try_get("reversed_by")?,
            })
        })
        .collect()
}

/// A disbursement tranche.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct DisbursementRow {
    pub id: i64,
    pub contract_id: i64,
    pub loan_id: i64,
    pub tranche_no: i64,
    pub amount_minor: i64,
    pub funding_source: String,
    pub status: String,
    pub released_by: String,
    pub journal_entry_id: Option<i64>,
    pub business_date: String,
    pub created_at: String,
}

/// Stores a tranche; a second tranche with the same number is a unique violation.
///
/// # Errors
/// A database error.
pub async fn insert_disbursement(tx: &mut Tx<'_>, d: &DisbursementRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO disbursements (contract_id, loan_id, tranche_no, amount_minor, funding_source, status, released_by, journal_entry_id, business_date, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(d.contract_id)
    .bind(d.loan_id)
    .bind(d.tranche_no)
    .bind(d.amount_minor)
    .bind(&d.funding_source)
    .bind(&d.status)
    .bind(&d.released_by)
    .bind(d.journal_entry_id)
    .bind(&d.business_date)
    .bind(&d.created_at)
    .fetch_one(&mut **tx)
    .await?)
}

/// The tranches of a contract, in order.
///
/// # Errors
/// A database error.
pub async fn disbursements<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    contract_id: i64,
) -> Result<Vec<DisbursementRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, contract_id, loan_id, tranche_no, amount_minor, funding_source, status, released_by, journal_entry_id, business_date, created_at \
         FROM disbursements WHERE contract_id = $1 ORDER BY tranche_no",
    )
    .bind(contract_id)
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DisbursementRow {
                id: r.try_get("id")?,
                contract_id: r.try_get("contract_id")?,
                loan_id: r.try_get("loan_id")?,
                tranche_no: r.try_get("tranche_no")?,
                amount_minor: r.try_get("amount_minor")?,
                funding_source: r.try_get("funding_source")?,
                status: r.try_get("status")?,
                released_by: r.try_get("released_by")?,
                journal_entry_id: r.try_get("journal_entry_id")?,
                business_date: r.try_get("business_date")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Draws `amount_minor` from a funding source if that much is available; false otherwise.
///
/// # Errors
/// A database error.
pub async fn draw_funding(
    tx: &mut Tx<'_>,
    code: &str,
    amount_minor: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE funding_sources SET available_minor = available_minor - $1 WHERE code = $2 AND status = 'active' AND available_minor >= $1",
    )
    .bind(amount_minor)
    .bind(code)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives back `amount_minor` to a funding source (a failed payment).
///
/// # Errors
/// A database error.
pub async fn restore_funding(
    tx: &mut Tx<'_>,
    code: &str,
    amount_minor: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE funding_sources SET available_minor = available_minor + $1 WHERE code = $2",
    )
    .bind(amount_minor)
    .bind(code)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A payment instruction to the bank.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct PaymentOrderRow {
    pub id: i64,
    pub disbursement_id: i64,
    pub loan_id: i64,
    pub amount_minor: i64,
    pub funding_source: String,
    pub payee_name: String,
    pub payee_account_masked: String,
    pub adapter: String,
    pub status: String,
    pub bank_reference: String,
    pub failure_reason: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Stores a payment order; returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_payment_order(tx: &mut Tx<'_>, p: &PaymentOrderRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO payment_orders (disbursement_id, loan_id, amount_minor, funding_source, payee_name, payee_account_masked, adapter, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(p.disbursement_id)
    .bind(p.loan_id)
    .bind(p.amount_minor)
    .bind(&p.funding_source)
    .bind(&p.payee_name)
    .bind(&p.payee_account_masked)
    .bind(&p.adapter)
    .bind(&p.status)
    .bind(&p.created_at)
    .bind(&p.updated_at)
    .fetch_one(&mut **tx)
    .await?)
}

/// Moves payment order `id` from `from` to `to` with the bank's answer (optimistic).
///
/// # Errors
/// A database error.
pub async fn set_payment_status(
    tx: &mut Tx<'_>,
    id: i64,
    from: &str,
    to: &str,
    bank_reference: &str,
    failure_reason: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE payment_orders SET status = $1, bank_reference = $2, failure_reason = $3, updated_at = $4 WHERE id = $5 AND status = $6",
    )
    .bind(to)
    .bind(bank_reference)
    .bind(failure_reason)
    .bind(at)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Payment order `id`.
///
/// # Errors
/// A database error.
pub async fn payment_order<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    id: i64,
) -> Result<Option<PaymentOrderRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ORDER_COLUMNS} FROM payment_orders WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?;
    row.as_ref().map(order_from).transpose()
}

const ORDER_COLUMNS: &str = "id, disbursement_id, loan_id, amount_minor, funding_source, payee_name, payee_account_masked, adapter, status, bank_reference, failure_reason, created_at, updated_at";

fn order_from(r: &AnyRow) -> Result<PaymentOrderRow, StoreError> {
    Ok(PaymentOrderRow {
        id: r.try_get("id")?,
        disbursement_id: r.try_get("disbursement_id")?,
        loan_id: r.try_get("loan_id")?,
        amount_minor: r.try_get("amount_minor")?,
        funding_source: r.try_get("funding_source")?,
        payee_name: r.try_get("payee_name")?,
        payee_account_masked: r.try_get("payee_account_masked")?,
        adapter: r.try_get("adapter")?,
        status: r.try_get("status")?,
        bank_reference: r.try_get("bank_reference")?,
        failure_reason: r.try_get("failure_reason")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Which of `ids` are payment orders (looked up in chunks of 500).
///
/// # Errors
/// A database error.
pub async fn existing_payment_orders(
    db: &Db,
    ids: &[i64],
) -> Result<std::collections::HashSet<i64>, StoreError> {
    let mut found = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id FROM payment_orders WHERE id IN {}",
            crate::db::values_placeholders(db.backend(), 1, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        found.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(found)
}

/// Payment orders of a loan (or, with loan 0, every one in `status`), by id.
///
/// # Errors
/// A database error.
pub async fn payment_orders<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    loan_id: i64,
    status: &str,
) -> Result<Vec<PaymentOrderRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {ORDER_COLUMNS} FROM payment_orders WHERE ($1 = 0 OR loan_id = $1) AND ($2 = '' OR status = $2) ORDER BY id LIMIT 10000"
    ))
    .bind(loan_id)
    .bind(status)
    .fetch_all(exec)
    .await?;
    rows.iter().map(order_from).collect()
}

/// Sets the status of tranche `id`.
///
/// # Errors
/// A database error.
pub async fn set_disbursement_status(
    tx: &mut Tx<'_>,
    id: i64,
    status: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE disbursements SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Runs an update of one row by id with text parameters `$1..$n` and the id as the last
/// parameter (small status and detail updates).
///
/// # Errors
/// A database error.
pub async fn update_texts(
    tx: &mut Tx<'_>,
    sql: &str,
    texts: &[&str],
    id: i64,
) -> Result<u64, StoreError> {
    let mut q = sqlx::query(sql);
    for t in texts {
        q = q.bind(*t);
    }
    Ok(q.bind(id).execute(&mut **tx).await?.rows_affected())
}

/// One change of a loan's five-tier class: (business date, from, to, DPD, reason, by).
pub type ClassChangeRow = (String, String, String, i64, String, String);

/// A loan's class changes, oldest first.
///
/// # Errors
/// A database error.
pub async fn class_history(db: &Db, loan_id: i64) -> Result<Vec<ClassChangeRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT business_date, from_class, to_class, dpd, reason, created_by FROM class_history \
         WHERE loan_id = $1 ORDER BY id",
    )
    .bind(loan_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
            ))
        })
        .collect()
}
