//! Posting money movements (repayments, prepayments, payoffs) on loans, many at a time.
//!
//! One code path serves a single repayment and a batch of them: the loans' rows and
//! installments are read in one statement each, the core applies every movement in order
//! (two on one loan see each other), and what they changed is written in one multi-row
//! statement per table — balances, installments, entries and their lines, transactions,
//! the states before them. A movement the core refuses is answered with its error and
//! writes nothing; the others go on.

use std::collections::HashMap;

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::schedule::ScheduleTerms;
use loanbook_core::servicing::OpenInstallment;
use loanbook_core::servicing::replay::{self, Applied, Context, LoanState, Posted};
use loanbook_store::Tx;
use loanbook_store::audit::timestamp;
use loanbook_store::loans::{self as loans_store, LoanTransactionRow};
use loanbook_store::servicing::{self as store, BalanceRow};

use super::repayments::{
    AllocationView, Checked, Operation, RepaymentView, replay_error, template_of,
};
use super::terms_of;
use crate::ledger::{EntryDraft, entry_row};
use crate::{Actor, App, ServiceError, record};

/// One movement to post.
pub(crate) struct Request<'a> {
    /// Who posts it.
    pub actor: &'a Actor,
    /// The loan.
    pub loan_id: i64,
    /// The checked input.
    pub checked: &'a Checked,
    /// What it does.
    pub op: &'a Operation,
}

/// A movement the core applied, waiting to be written.
struct Done<'a> {
    request: &'a Request<'a>,
    before: LoanState,
    applied: Applied,
    settled: bool,
}

/// A loan as the batch holds it: its row, its product's terms and its state so far.
struct Held {
    row: BalanceRow,
    product: loanbook_core::product::Product,
    state: LoanState,
    /// The installments as read (only those changed are written back).
    read: Vec<OpenInstallment>,
    /// Whether a movement replaced the pending installments (a prepayment or payoff).
    replaced: bool,
    touched: bool,
}

/// Posts `requests` inside `tx` on `business_date`, in order. The outer error is the
/// database's or a conflict with a concurrent change (nothing of the batch may be kept:
/// roll back); the inner ones are the refusals of single movements, which wrote nothing.
pub(crate) async fn post_many(
    tx: &mut Tx<'_>,
    app: &App,
    business_date: NaiveDate,
    requests: &[Request<'_>],
) -> Result<Vec<Result<RepaymentView, ServiceError>>, ServiceError> {
    let mut held = load(tx, app, requests).await?;
    let mut answers: Vec<Option<Result<RepaymentView, ServiceError>>> =
        (0..requests.len()).map(|_| None).collect();
    let mut done = Vec::with_capacity(requests.len());
    for (n, r) in requests.iter().enumerate() {
        let outcome = match held.get_mut(&r.loan_id) {
            None => Err(ServiceError::NotFound(format!("loan {}", r.loan_id))),
            Some(h) if !h.row.active => Err(ServiceError::Conflict(format!(
                "loan {} is not being serviced (not disbursed, or closed)",
                r.loan_id
            ))),
            Some(h) => apply_one(app, business_date, h, r).await,
        };
        match outcome {
            Ok(d) => done.push((n, d)),
            Err(e) => answers[n] = Some(Err(e)),
        }
    }
    let views = write(tx, app, business_date, &held, &done).await?;
    for ((n, _), view) in done.iter().zip(views) {
        answers[*n] = Some(Ok(view));
    }
    Ok(answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Err(ServiceError::Conflict("not posted".into()))))
        .collect())
}

/// Reads the rows (locked), products and states of the loans of `requests`.
async fn load(
    tx: &mut Tx<'_>,
    app: &App,
    requests: &[Request<'_>],
) -> Result<HashMap<i64, Held>, ServiceError> {
    let mut ids: Vec<i64> = requests.iter().map(|r| r.loan_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let backend = app.db().backend();
    let rows = store::balances(tx, &ids, true, backend).await?;
    let mut installments: HashMap<i64, Vec<OpenInstallment>> = HashMap::new();
    for (loan, i) in store::installments_from_first_open(tx, &ids).await? {
        installments.entry(loan).or_default().push(i);
    }
    let mut held = HashMap::with_capacity(rows.len());
    for row in rows {
        let product =
            crate::products::load_version(app, &row.product_code, row.product_version).await?;
        let read = installments
            .remove(&row.account.loan_id)
            .unwrap_or_default();
        let state = LoanState {
            account: row.account.clone(),
            installments: read.clone(),
        };
        held.insert(
            row.account.loan_id,
            Held {
                row,
                product,
                state,
                read,
                replaced: false,
                touched: false,
            },
        );
    }
    Ok(held)
}

/// Applies one movement to a held loan; on refusal the loan is unchanged.
async fn apply_one<'a>(
    app: &App,
    business_date: NaiveDate,
    h: &mut Held,
    r: &'a Request<'a>,
) -> Result<Done<'a>, ServiceError> {
    let terms = terms_of(&h.product, super::parse_rate(&h.row.annual_rate)?);
    let template: Option<ScheduleTerms> = match r.op {
        Operation::Prepay(_) => {
            let mut row = h.row.clone();
            row.account = h.state.account.clone();
            Some(template_of(app, &row, &h.product).await?)
        }
        _ => None,
    };
    let posted = Posted {
        id: 0,
        business_date,
        amount: r.checked.amount.amount_minor(),
        movement: r.op.movement(r.checked.paid_on),
    };
    let ctx = Context {
        terms: &terms,
        fee_rate: h.product.prepayment_penalty_rate,
        template: template.as_ref(),
        funding_source: &h.row.funding_source,
    };
    let before = h.state.clone();
    let applied = replay::apply(&mut h.state, &posted, &ctx).map_err(replay_error)?;
    let settled = h.state.is_closed();
    if settled {
        h.row.active = false;
    }
    h.replaced |= !matches!(r.op, Operation::Repay);
    h.touched = true;
    Ok(Done {
        request: r,
        before,
        applied,
        settled,
    })
}

/// Writes what the applied movements changed; returns their views in order.
async fn write(
    tx: &mut Tx<'_>,
    app: &App,
    business_date: NaiveDate,
    held: &HashMap<i64, Held>,
    done: &[(usize, Done<'_>)],
) -> Result<Vec<RepaymentView>, ServiceError> {
    if done.is_empty() {
        return Ok(Vec::new());
    }
    let at = timestamp(app.now());
    let mut touched: Vec<&Held> = held.values().filter(|h| h.touched).collect();
    touched.sort_by_key(|h| h.row.account.loan_id);
    let rows: Vec<BalanceRow> = touched
        .iter()
        .map(|h| BalanceRow {
            account: h.state.account.clone(),
            ..h.row.clone()
        })
        .collect();
    let written = store::write_balances(tx, &rows).await?;
    if written != rows.len() as u64 {
        return Err(ServiceError::Conflict(
            "a loan changed meanwhile; retry".into(),
        ));
    }
    let mut updates: Vec<(i64, &OpenInstallment)> = Vec::new();
    for h in &touched {
        let loan_id = h.row.account.loan_id;
        if h.replaced {
            let first = h.state.installments.iter().map(|i| i.number).min();
            if let Some(first) = first {
                store::delete_installments_from(tx, loan_id, first).await?;
                store::insert_installments(tx, loan_id, &h.state.installments).await?;
            }
        } else {
            updates.extend(
                h.state
                    .installments
                    .iter()
                    .filter(|i| !h.read.iter().any(|r| r == *i))
                    .map(|i| (loan_id, i)),
            );
        }
    }
    if !updates.is_empty() {
        store::write_installments(tx, &updates).await?;
    }

    let descriptions: Vec<String> = done
        .iter()
        .map(|(_, d)| {
            format!(
                "{} of loan {} ({}, {})",
                d.request.op.kind(),
                d.request.loan_id,
                d.request.checked.channel,
                d.request.checked.reference
            )
        })
        .collect();
    let entries = done
        .iter()
        .zip(&descriptions)
        .map(|((_, d), description)| {
            entry_row(
                &EntryDraft {
                    description,
                    source: d.request.op.kind(),
                    currency: Currency::CNY,
                    lines: &d.applied.lines,
                    reverses: None,
                },
                &d.request.actor.username,
                business_date,
                &at,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let entry_ids = loanbook_store::ledger::insert_entries(tx, &entries).await?;

    let mut transactions = Vec::with_capacity(done.len());
    let mut allocations = Vec::with_capacity(done.len());
    for ((_, d), entry_id) in done.iter().zip(&entry_ids) {
        let s = &d.applied.split;
        let c = d.request.checked;
        let allocation = AllocationView::of(s);
        let mut details = serde_json::json!({
            "allocation": allocation,
            "channel": c.channel,
            "penalty_waived_for_backdating": Money::from_minor(d.applied.waived, Currency::CNY),
            "installments_paid": s.installments_paid,
        });
        if let Operation::Prepay(mode) = d.request.op {
            details["mode"] = serde_json::to_value(mode).unwrap_or_default();
        }
        transactions.push((
            LoanTransactionRow {
                loan_id: d.request.loan_id,
                kind: d.request.op.kind().into(),
                business_date: business_date.to_string(),
                amount_minor: c.amount.amount_minor(),
                journal_entry_id: Some(*entry_id),
                reference: c.reference.clone(),
                created_by: d.request.actor.username.clone(),
                created_at: at.clone(),
                ..LoanTransactionRow::default()
            },
            details.to_string(),
            Some(c.paid_on.to_string()),
        ));
        allocations.push(allocation);
    }
    let transaction_ids = loans_store::insert_transactions(tx, &transactions).await?;
    let states = done
        .iter()
        .zip(&transaction_ids)
        .map(|((_, d), id)| {
            serde_json::to_string(&d.before)
                .map(|json| (*id, d.request.loan_id, json))
                .map_err(|e| ServiceError::Conflict(format!("loan state does not serialise: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    loanbook_store::servicing_history::put_states(tx, &states).await?;

    let mut views = Vec::with_capacity(done.len());
    for ((((_, d), entry_id), transaction_id), allocation) in done
        .iter()
        .zip(entry_ids)
        .zip(transaction_ids)
        .zip(allocations)
    {
        let loan_id = d.request.loan_id;
        if d.settled {
            super::repayments::set_loan_status(tx, loan_id, "closed", &at).await?;
            super::closing::open_release_task(tx, loan_id, business_date, &at).await?;
        }
        let c = d.request.checked;
        let view = RepaymentView {
            transaction_id,
            loan_id,
            kind: d.request.op.kind().into(),
            business_date: business_date.to_string(),
            paid_on: c.paid_on.to_string(),
            amount: c.amount,
            allocation,
            journal_entry_id: entry_id,
            loan_status: if d.settled { "closed" } else { "active" }.into(),
        };
        record(
            tx,
            d.request.actor,
            &format!("loan.{}", d.request.op.kind()),
            "loan",
            &loan_id.to_string(),
            Some(serde_json::to_value(&d.before.account).unwrap_or_default()),
            Some(serde_json::to_value(&view).unwrap_or_default()),
        )
        .await?;
        views.push(view);
    }
    Ok(views)
}
