//! Account statements (对账单) produced for a request ticket: a loan's movements and
//! installments due in a period, with their totals.

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::post_loan::tickets::{TicketKind, TicketStatus};
use loanbook_store::loans as loan_store;
use loanbook_store::tickets::{self as store, StatementLineRow};
use serde::{Deserialize, Serialize};

use super::{apply, check_parties};
use crate::{Actor, App, Permission, ServiceError, Violation};

/// The period and loan of an account statement.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct StatementInput {
    /// The loan (default: the ticket's); one of the ticket's customer's.
    #[serde(default)]
    pub loan_id: Option<i64>,
    /// First business date, `YYYY-MM-DD`.
    #[serde(default)]
    pub from: String,
    /// Last business date, `YYYY-MM-DD`, at most the business date.
    #[serde(default)]
    pub to: String,
}

/// Longest statement period, in days.
pub const MAX_STATEMENT_DAYS: i64 = 3660;

/// Most lines one statement lists.
pub const MAX_STATEMENT_LINES: i64 = 10_000;

/// One movement on an account statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    /// The loan transaction.
    pub transaction_id: i64,
    /// Business date booked.
    pub business_date: String,
    /// Value date (a backdated repayment's), if any.
    pub value_date: Option<String>,
    /// disbursement, fee_charged, repayment, prepayment, payoff, refund, reversal, …
    pub kind: String,
    /// Amount.
    pub amount: Money,
    /// Reference.
    pub reference: String,
    /// A payment's allocation (penalty_interest, compound_interest, fees, interest,
    /// principal, advance).
    pub allocation: Option<serde_json::Value>,
    /// The reversal that undid it, if any (then it is left out of the totals).
    pub reversed_by: Option<i64>,
}

/// An installment that fell due in the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementInstallment {
    /// Number.
    pub number: i64,
    /// Due date.
    pub due_date: String,
    /// Principal and interest due.
    pub total: Money,
    /// Principal and interest paid so far.
    pub paid: Money,
    /// scheduled, due, overdue or paid.
    pub status: String,
}

/// The sums of a statement's lines that were not reversed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub struct StatementTotals {
    pub disbursed: Money,
    /// Repayments, prepayments and payoffs received.
    pub paid: Money,
    pub paid_principal: Money,
    pub paid_interest: Money,
    /// Penalty and compound interest paid.
    pub paid_penalty: Money,
    pub paid_fees: Money,
    /// Advances paid back to the borrower.
    pub refunded: Money,
}

/// An account statement (对账单) of one loan for a period, produced for a request ticket.
#[derive(Clone, Debug, Serialize)]
pub struct AccountStatement {
    /// The ticket that asked for it.
    pub ticket_id: i64,
    /// The borrower.
    pub customer_id: i64,
    /// The period.
    pub from: NaiveDate,
    /// The period's last day.
    pub to: NaiveDate,
    /// The business date it was produced on.
    pub business_date: NaiveDate,
    /// Movements booked in the period, in order.
    pub lines: Vec<StatementLine>,
    /// Installments due in the period.
    pub installments: Vec<StatementInstallment>,
    /// Sums of the lines.
    pub totals: StatementTotals,
    /// The loan and its balances as they stand now.
    pub loan: crate::loans::LoanView,
}

fn statement_period(
    input: &StatementInput,
    business_date: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), ServiceError> {
    let mut v = Vec::new();
    let mut date = |field: &str, text: &str| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| {
                v.push(Violation::new(
                    field,
                    format!("must be a date YYYY-MM-DD (got '{}')", text.trim()),
                ));
            })
            .ok()
    };
    let (from, to) = (date("from", &input.from), date("to", &input.to));
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            v.push(Violation::new(
                "to",
                format!("must be on or after from ({from})"),
            ));
        } else if to > business_date {
            v.push(Violation::new(
                "to",
                format!("must not be after the business date {business_date}"),
            ));
        } else if (to - from).num_days() >= MAX_STATEMENT_DAYS {
            v.push(Violation::new(
                "to",
                format!("the period must be at most {MAX_STATEMENT_DAYS} days"),
            ));
        }
    }
    match (from, to) {
        (Some(from), Some(to)) if v.is_empty() => Ok((from, to)),
        _ => Err(ServiceError::Invalid(v)),
    }
}

fn statement_line(l: &StatementLineRow, currency: Currency) -> StatementLine {
    let details: serde_json::Value = serde_json::from_str(&l.details_json).unwrap_or_default();
    StatementLine {
        transaction_id: l.id,
        business_date: l.business_date.clone(),
        value_date: l.value_date.clone(),
        kind: l.kind.clone(),
        amount: Money::from_minor(l.amount_minor, currency),
        reference: l.reference.clone(),
        allocation: details.get("allocation").cloned(),
        reversed_by: l.reversed_by,
    }
}

fn add(sum: &mut i64, minor: i64) -> Result<(), ServiceError> {
    *sum = sum
        .checked_add(minor)
        .ok_or_else(|| ServiceError::Conflict("the statement's totals overflow".into()))?;
    Ok(())
}

fn totals(lines: &[StatementLine], currency: Currency) -> Result<StatementTotals, ServiceError> {
    let (mut disbursed, mut paid, mut principal, mut interest, mut penalty, mut fees, mut refunded) =
        (0, 0, 0, 0, 0, 0, 0);
    let part = |a: &serde_json::Value, key: &str| {
        a.get(key)
            .and_then(serde_json::Value::as_str)
            .and_then(|t| Money::parse(t, currency).ok())
            .map_or(0, |m| m.amount_minor())
    };
    for l in lines.iter().filter(|l| l.reversed_by.is_none()) {
        let minor = l.amount.amount_minor();
        match l.kind.as_str() {
            "disbursement" => add(&mut disbursed, minor)?,
            "refund" => add(&mut refunded, minor)?,
            "repayment" | "prepayment" | "payoff" => {
                add(&mut paid, minor)?;
                if let Some(a) = &l.allocation {
                    add(&mut principal, part(a, "principal"))?;
                    add(&mut interest, part(a, "interest"))?;
                    add(&mut penalty, part(a, "penalty_interest"))?;
                    add(&mut penalty, part(a, "compound_interest"))?;
                    add(&mut fees, part(a, "fees"))?;
                }
            }
            _ => {}
        }
    }
    let m = |minor| Money::from_minor(minor, currency);
    Ok(StatementTotals {
        disbursed: m(disbursed),
        paid: m(paid),
        paid_principal: m(principal),
        paid_interest: m(interest),
        paid_penalty: m(penalty),
        paid_fees: m(fees),
        refunded: m(refunded),
    })
}

/// Produces the account statement a request ticket asks for — loan `input.loan_id` (or
/// the ticket's) from `input.from` through `input.to` — and records it on the ticket
/// (event `statement`; it counts as a response to the customer).
///
/// # Errors
/// Forbidden without `ticket:work` and `loan:read`; [`ServiceError::Invalid`] naming
/// `from`, `to` (not dates, out of order, after the business date, too long) or
/// `loan_id` (missing, unknown, another customer's); not found; a conflict for a ticket
/// that is not a request or is closed.
pub async fn statement(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &StatementInput,
) -> Result<AccountStatement, ServiceError> {
    actor.require(Permission::TicketWork)?;
    actor.require(Permission::LoanRead)?;
    let business_date = app.business_date().await?;
    let ticket = store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("ticket {id}")))?;
    if ticket.kind != TicketKind::Request.code() {
        return Err(ServiceError::Conflict(format!(
            "ticket {id} is a {}; statements are produced for request tickets",
            ticket.kind
        )));
    }
    if ticket.status == TicketStatus::Closed.code() {
        return Err(ServiceError::Conflict(format!(
            "ticket {id} is closed; reopen it or open a new request"
        )));
    }
    let (from, to) = statement_period(input, business_date)?;
    let Some(loan_id) = input.loan_id.or(ticket.loan_id) else {
        return Err(ServiceError::invalid(
            "loan_id",
            "is required: the ticket names no loan",
        ));
    };
    let mut v = Vec::new();
    check_parties(app, ticket.customer_id, Some(loan_id), &mut v).await?;
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let loan = crate::loans::get(app, actor, loan_id).await?;
    let currency = loan.contract_amount.currency();
    let rows = store::statement_lines(
        app.db(),
        loan_id,
        &from.to_string(),
        &to.to_string(),
        MAX_STATEMENT_LINES,
    )
    .await?;
    let lines: Vec<StatementLine> = rows.iter().map(|l| statement_line(l, currency)).collect();
    let installments = loan_store::installments(app.db(), loan_id)
        .await?
        .iter()
        .filter(|i| {
            NaiveDate::parse_from_str(&i.due_date, "%Y-%m-%d").is_ok_and(|d| d >= from && d <= to)
        })
        .map(|i| StatementInstallment {
            number: i.number,
            due_date: i.due_date.clone(),
            total: Money::from_minor(i.total_minor, currency),
            paid: Money::from_minor(i.paid_principal_minor + i.paid_interest_minor, currency),
            status: i.status.clone(),
        })
        .collect();
    let statement = AccountStatement {
        ticket_id: id,
        customer_id: ticket.customer_id,
        from,
        to,
        business_date,
        totals: totals(&lines, currency)?,
        lines,
        installments,
        loan,
    };
    let n = statement.lines.len();
    let note = format!(
        "statement of loan {loan_id} from {from} to {to}: {n} {}",
        if n == 1 { "movement" } else { "movements" }
    );
    apply(app, actor, id, app.now(), "ticket.statement", |row, at| {
        if row.first_response_at.is_none() {
            row.first_response_at = Some(at.to_owned());
        }
        Ok(vec![("statement", note)])
    })
    .await?;
    Ok(statement)
}
