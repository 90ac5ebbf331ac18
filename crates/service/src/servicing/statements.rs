//! Bank statement import (银行流水导入): each line a repayment received for a loan.
//!
//! All or nothing: every row is checked first (the loan by id or external id and being
//! serviced, the amount, the value date, the reference — one per loan, not imported
//! before and not repeated in the file) and every bad row is reported. Then the lines are
//! posted in one transaction for the whole file, each through the same code path as a
//! repayment (`repayments::post_checked`), loan by loan in file order; a line the
//! waterfall refuses rolls the whole file back and is reported by its row.

use std::collections::HashMap;

use loanbook_core::money::{Currency, Money};
use loanbook_store::servicing_history as history;
use serde::{Deserialize, Serialize};

use super::repayments::{Checked, Operation, RepaymentInput, RepaymentView, check, post_checked};
use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// Most rows one statement takes.
pub const MAX_STATEMENT_ROWS: usize = 100_000;

/// The columns a statement must have.
pub const STATEMENT_COLUMNS: [&str; 4] = ["loan", "amount", "paid_on", "reference"];

#[derive(Debug, Deserialize)]
struct Line {
    loan: String,
    amount: String,
    paid_on: String,
    reference: String,
}

/// A statement imported.
#[derive(Clone, Debug, Serialize)]
pub struct StatementView {
    /// Lines posted.
    pub rows: usize,
    /// Σ of the amounts.
    pub total: Money,
    /// Each repayment, in the order posted.
    pub repayments: Vec<RepaymentView>,
}

/// Imports a bank statement (CSV `loan,amount,paid_on,reference`), all or nothing.
///
/// # Errors
/// Forbidden without `repayment:post`; [`ServiceError::Invalid`] with every bad row (the
/// header is row 1), its field and rule; nothing is posted then.
pub async fn import_statement(
    app: &App,
    actor: &Actor,
    data: &str,
) -> Result<StatementView, ServiceError> {
    actor.require(Permission::RepaymentPost)?;
    let business_date = app.business_date().await?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ServiceError::Invalid(vec![Violation::new("csv", e.to_string()).at_row(1)]))?
        .clone();
    let missing: Vec<Violation> = STATEMENT_COLUMNS
        .iter()
        .filter(|c| !headers.iter().any(|h| h == **c))
        .map(|c| Violation::new(*c, "column is missing from the header").at_row(1))
        .collect();
    if !missing.is_empty() {
        return Err(ServiceError::Invalid(missing));
    }
    let mut violations = Vec::new();
    let mut lines: Vec<(usize, i64, Checked)> = Vec::new();
    let mut seen: HashMap<(i64, String), usize> = HashMap::new();
    let mut tx = app.db().begin().await?;
    for (index, record) in reader.deserialize::<Line>().enumerate() {
        let row = index + 2;
        if index >= MAX_STATEMENT_ROWS {
            violations.push(
                Violation::new(
                    "csv",
                    format!("more than {MAX_STATEMENT_ROWS} rows: split the file"),
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
        let input = RepaymentInput {
            amount: line.amount.clone(),
            paid_on: Some(line.paid_on.clone()),
            channel: Some("statement".into()),
            reference: Some(line.reference.clone()),
        };
        let checked = match check(&input, business_date) {
            Ok(c) => Some(c),
            Err(ServiceError::Invalid(v)) => {
                violations.extend(v.into_iter().map(|v| v.at_row(row)));
                None
            }
            Err(e) => return Err(e),
        };
        if line.reference.is_empty() {
            violations.push(Violation::new("reference", "is required").at_row(row));
        }
        let loan_id = match serviced_loan(&mut tx, app.db().backend(), &line.loan).await? {
            Ok(id) => Some(id),
            Err(rule) => {
                violations.push(Violation::new("loan", rule).at_row(row));
                None
            }
        };
        let (Some(loan_id), Some(checked)) = (loan_id, checked) else {
            continue;
        };
        if line.reference.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert((loan_id, line.reference.clone()), row) {
            violations.push(
                Violation::new(
                    "reference",
                    format!("'{}' repeats row {first} for the same loan", line.reference),
                )
                .at_row(row),
            );
            continue;
        }
        if let Some(id) =
            history::received_with_reference(&mut tx, loan_id, &line.reference).await?
        {
            violations.push(
                Violation::new(
                    "reference",
                    format!(
                        "'{}' was imported already for loan {loan_id} (transaction {id})",
                        line.reference
                    ),
                )
                .at_row(row),
            );
            continue;
        }
        lines.push((row, loan_id, checked));
    }
    if lines.is_empty() && violations.is_empty() {
        violations.push(Violation::new("csv", "the file has no rows").at_row(2));
    }
    if !violations.is_empty() {
        violations.sort_by_key(|v| v.row);
        return Err(ServiceError::Invalid(violations));
    }
    // loan by loan (locks taken in id order), each loan's lines in file order
    lines.sort_by_key(|(row, loan, _)| (*loan, *row));
    let mut repayments_posted = Vec::with_capacity(lines.len());
    let mut total = 0i64;
    for (row, loan_id, c) in &lines {
        let view = post_checked(
            &mut tx,
            app,
            actor,
            *loan_id,
            c,
            &Operation::Repay,
            business_date,
        )
        .await
        .map_err(|e| at_row(e, *row))?;
        total += c.amount.amount_minor();
        repayments_posted.push(view);
    }
    record(
        &mut tx,
        actor,
        "loan.statement",
        "loan",
        "*",
        None,
        Some(serde_json::json!({"rows": lines.len(), "total": Money::from_minor(total, Currency::CNY)})),
    )
    .await?;
    tx.commit()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    Ok(StatementView {
        rows: lines.len(),
        total: Money::from_minor(total, Currency::CNY),
        repayments: repayments_posted,
    })
}

/// The loan a statement line names (id or external id), if it is being serviced; else
/// the rule it breaks.
async fn serviced_loan(
    tx: &mut loanbook_store::Tx<'_>,
    backend: loanbook_store::Backend,
    key: &str,
) -> Result<Result<i64, String>, ServiceError> {
    let id = if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
        key.parse::<i64>().ok()
    } else if key.is_empty() || key.chars().count() > crate::loans::MAX_EXTERNAL_ID_CHARS {
        None
    } else {
        loanbook_store::loans::loan_id_by_external_id(&mut **tx, key).await?
    };
    let Some(id) = id else {
        return Ok(Err(format!("no loan with id or external id '{key}'")));
    };
    // read without a lock: the posting locks the row
    let Some(row) = loanbook_store::servicing::balance(tx, id, false, backend).await? else {
        return Ok(Err(format!("no loan with id or external id '{key}'")));
    };
    if !row.active {
        return Ok(Err(format!(
            "loan {id} is not being serviced (not disbursed, or closed)"
        )));
    }
    Ok(Ok(id))
}

/// A posting refused at `row` of the file.
fn at_row(e: ServiceError, row: usize) -> ServiceError {
    match e {
        ServiceError::Invalid(v) => {
            ServiceError::Invalid(v.into_iter().map(|v| v.at_row(row)).collect())
        }
        ServiceError::Conflict(rule) | ServiceError::NotFound(rule) => {
            ServiceError::Invalid(vec![Violation::new("loan", rule).at_row(row)])
        }
        other => other,
    }
}
