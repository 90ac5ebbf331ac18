//! The general ledger: manual entries, reversals, the trial balance and the ledger
//! check. Entries of the lifecycle (disbursement, repayment, the close) are posted by
//! their own use cases through [`post_in`].

use loanbook_core::ledger::{self as gl, CHART, LineDraft, Side, check_entry};
use loanbook_core::money::{Currency, Money};
use loanbook_store::audit::timestamp;
use loanbook_store::ledger::{self, EntryRow, LineRow};
use loanbook_store::{Tx, idempotency};
use serde::Serialize;
use sha2::Digest;

use crate::{Actor, App, Permission, ServiceError, record};

/// An entry as shown.
#[derive(Clone, Debug, Serialize)]
pub struct EntryView {
    /// Id.
    pub id: i64,
    /// Business date.
    pub business_date: String,
    /// Posted at (UTC).
    pub posted_at: String,
    /// Description.
    pub description: String,
    /// Source.
    pub source: String,
    /// The entry this reverses.
    pub reverses_entry_id: Option<i64>,
    /// Who posted it.
    pub created_by: String,
    /// Lines.
    pub lines: Vec<LineView>,
}

/// A line as shown.
#[derive(Clone, Debug, Serialize)]
pub struct LineView {
    /// Account code.
    pub account: String,
    /// Loan.
    pub loan_id: Option<i64>,
    /// Funding source.
    pub funding_source: Option<String>,
    /// Debit.
    pub debit: Money,
    /// Credit.
    pub credit: Money,
}

fn entry_view(e: &EntryRow) -> EntryView {
    EntryView {
        id: e.id,
        business_date: e.business_date.clone(),
        posted_at: e.posted_at.clone(),
        description: e.description.clone(),
        source: e.source.clone(),
        reverses_entry_id: e.reverses_entry_id,
        created_by: e.created_by.clone(),
        lines: e
            .lines
            .iter()
            .map(|l| {
                let currency = Currency::from_code(&l.currency).unwrap_or(Currency::CNY);
                LineView {
                    account: l.account_code.clone(),
                    loan_id: l.loan_id,
                    funding_source: l.funding_source.clone(),
                    debit: Money::from_minor(l.debit_minor, currency),
                    credit: Money::from_minor(l.credit_minor, currency),
                }
            })
            .collect(),
    }
}

/// An entry to post.
#[derive(Clone, Debug)]
pub struct EntryDraft<'a> {
    /// What it records.
    pub description: &'a str,
    /// What produced it: `manual`, `reversal`, `disbursement`, `eod`, …
    pub source: &'a str,
    /// Currency of every line.
    pub currency: Currency,
    /// The lines.
    pub lines: &'a [LineDraft],
    /// The entry it reverses.
    pub reverses: Option<i64>,
}

/// Posts a balanced entry inside `tx` (the caller's business transaction).
///
/// # Errors
/// [`ServiceError::Invalid`] when the lines break a rule of [`check_entry`].
pub async fn post_in(
    tx: &mut Tx<'_>,
    app: &App,
    actor: &Actor,
    draft: &EntryDraft<'_>,
) -> Result<i64, ServiceError> {
    let business_date = app.business_date().await?;
    let row = entry_row(draft, &actor.username, business_date, &timestamp(app.now()))?;
    Ok(ledger::insert_entry(tx, &row).await?)
}

/// The row of a balanced entry posted by `username` on `business_date` at `posted_at`.
///
/// # Errors
/// [`ServiceError::Invalid`] naming `lines` when they do not balance.
pub(crate) fn entry_row(
    draft: &EntryDraft<'_>,
    username: &str,
    business_date: chrono::NaiveDate,
    posted_at: &str,
) -> Result<EntryRow, ServiceError> {
    let lines = draft.lines;
    check_entry(lines).map_err(|e| ServiceError::invalid("lines", e.to_string()))?;
    let currency = draft.currency;
    Ok(EntryRow {
        id: 0,
        business_date: business_date.to_string(),
        posted_at: posted_at.to_owned(),
        description: draft.description.to_owned(),
        source: draft.source.to_owned(),
        reverses_entry_id: draft.reverses,
        created_by: username.to_owned(),
        lines: lines
            .iter()
            .map(|l| LineRow {
                account_code: l.account.clone(),
                loan_id: l.loan_id,
                funding_source: l.funding_source.clone(),
                currency: currency.code().into(),
                debit_minor: if l.side == Side::Debit {
                    l.amount_minor
                } else {
                    0
                },
                credit_minor: if l.side == Side::Credit {
                    l.amount_minor
                } else {
                    0
                },
            })
            .collect(),
    })
}

/// Posts a manual entry (e.g. capital paid in, a funding-source borrowing). With an
/// idempotency key, a retry of the same request returns the first entry and posts
/// nothing; the same key with a different request is refused.
///
/// # Errors
/// Forbidden without `ledger:post`; [`ServiceError::Invalid`] for unbalanced lines;
/// [`ServiceError::Conflict`] for a key reused with another request.
pub async fn post_manual(
    app: &App,
    actor: &Actor,
    description: &str,
    currency: Currency,
    lines: &[LineDraft],
    idempotency_key: Option<&str>,
) -> Result<EntryView, ServiceError> {
    actor.require(Permission::LedgerPost)?;
    if description.trim().is_empty() {
        return Err(ServiceError::invalid("description", "is required"));
    }
    if let Some(key) = idempotency_key
        && (key.is_empty() || key.len() > 200)
    {
        return Err(ServiceError::invalid(
            "Idempotency-Key",
            "must be 1–200 characters",
        ));
    }
    let mut tx = app.db().begin().await?;
    let scope = format!("ledger.post:{}", actor.username);
    if let Some(key) = idempotency_key {
        let request = format!("{description}\u{1f}{currency}\u{1f}{lines:?}");
        let request_hash = hex::encode(sha2::Sha256::digest(request.as_bytes()));
        if let Some(first) =
            idempotency::claim(&mut tx, &scope, key, &request_hash, &timestamp(app.now())).await?
        {
            if first.request_hash != request_hash {
                return Err(ServiceError::Conflict(format!(
                    "the Idempotency-Key '{key}' was used for a different request"
                )));
            }
            let id: i64 = first.body.parse().map_err(|_| {
                ServiceError::Conflict(format!("the request with key '{key}' is still in progress"))
            })?;
            tx.rollback().await?;
            return entry(app, actor, id).await;
        }
    }
    let draft = EntryDraft {
        description,
        source: "manual",
        currency,
        lines,
        reverses: None,
    };
    let id = post_in(&mut tx, app, actor, &draft).await?;
    if let Some(key) = idempotency_key {
        idempotency::complete(&mut tx, &scope, key, 201, &id.to_string()).await?;
    }
    record(
        &mut tx,
        actor,
        "ledger.post",
        "journal_entry",
        &id.to_string(),
        None,
        Some(serde_json::json!({"description": description})),
    )
    .await?;
    tx.commit().await?;
    entry(app, actor, id).await
}

/// Reverses entry `id` with a new entry of opposite lines; an entry is reversed once.
///
/// # Errors
/// Forbidden without `ledger:post`; not found; already reversed.
pub async fn reverse(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<EntryView, ServiceError> {
    actor.require(Permission::LedgerPost)?;
    let original = ledger::entry(app.db(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("journal entry {id}")))?;
    let mut tx = app.db().begin().await?;
    if ledger::is_reversed(&mut tx, id).await? {
        return Err(ServiceError::Conflict(format!(
            "journal entry {id} is already reversed"
        )));
    }
    let currency = original
        .lines
        .first()
        .and_then(|l| Currency::from_code(&l.currency).ok())
        .unwrap_or(Currency::CNY);
    let lines: Vec<LineDraft> = original
        .lines
        .iter()
        .map(|l| LineDraft {
            account: l.account_code.clone(),
            side: if l.debit_minor > 0 {
                Side::Credit
            } else {
                Side::Debit
            },
            amount_minor: l.debit_minor.max(l.credit_minor),
            loan_id: l.loan_id,
            funding_source: l.funding_source.clone(),
        })
        .collect();
    let description = format!("reversal of entry {id}: {reason}");
    let draft = EntryDraft {
        description: &description,
        source: "reversal",
        currency,
        lines: &lines,
        reverses: Some(id),
    };
    let new_id = match post_in(&mut tx, app, actor, &draft).await {
        Ok(id) => id,
        // a concurrent reversal of the same entry committed first
        Err(ServiceError::Store(e)) if e.is_unique_violation() => {
            return Err(ServiceError::Conflict(format!(
                "journal entry {id} is already reversed"
            )));
        }
        Err(e) => return Err(e),
    };
    record(
        &mut tx,
        actor,
        "ledger.reverse",
        "journal_entry",
        &new_id.to_string(),
        None,
        Some(serde_json::json!({"reverses": id, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    entry(app, actor, new_id).await
}

/// Entry `id`.
///
/// # Errors
/// Forbidden without `ledger:read`; not found.
pub async fn entry(app: &App, actor: &Actor, id: i64) -> Result<EntryView, ServiceError> {
    actor.require(Permission::LedgerRead)?;
    let e = ledger::entry(app.db(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("journal entry {id}")))?;
    Ok(entry_view(&e))
}

/// The newest entries.
///
/// # Errors
/// Forbidden without `ledger:read`.
pub async fn entries(
    app: &App,
    actor: &Actor,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<EntryView>, ServiceError> {
    actor.require(Permission::LedgerRead)?;
    Ok(ledger::entries(app.db(), before_id, limit)
        .await?
        .iter()
        .map(entry_view)
        .collect())
}

/// One row of the trial balance (试算平衡).
#[derive(Clone, Debug, Serialize)]
pub struct TrialBalanceRow {
    /// Account code.
    pub code: String,
    /// English name.
    pub name_en: String,
    /// Chinese name.
    pub name_zh: String,
    /// Kind.
    pub kind: String,
    /// Σ debit.
    pub debit: Money,
    /// Σ credit.
    pub credit: Money,
    /// Balance on the account's normal side.
    pub balance: Money,
}

/// The trial balance: totals per account and the grand totals, which must be equal.
#[derive(Clone, Debug, Serialize)]
pub struct TrialBalance {
    /// Per account.
    pub accounts: Vec<TrialBalanceRow>,
    /// Σ debit of all accounts.
    pub total_debit: Money,
    /// Σ credit of all accounts.
    pub total_credit: Money,
}

/// The trial balance (amounts in CNY; multi-currency books come with funding sources).
///
/// # Errors
/// Forbidden without `ledger:read`.
pub async fn trial_balance(app: &App, actor: &Actor) -> Result<TrialBalance, ServiceError> {
    actor.require(Permission::LedgerRead)?;
    let currency = Currency::CNY;
    let totals = ledger::account_totals(app.db()).await?;
    let (mut debit, mut credit) = (0i64, 0i64);
    let accounts = totals
        .iter()
        .map(|t| {
            debit += t.debit_minor;
            credit += t.credit_minor;
            let balance = if t.normal_side == "debit" {
                t.debit_minor - t.credit_minor
            } else {
                t.credit_minor - t.debit_minor
            };
            TrialBalanceRow {
                code: t.code.clone(),
                name_en: t.name_en.clone(),
                name_zh: t.name_zh.clone(),
                kind: t.kind.clone(),
                debit: Money::from_minor(t.debit_minor, currency),
                credit: Money::from_minor(t.credit_minor, currency),
                balance: Money::from_minor(balance, currency),
            }
        })
        .collect();
    Ok(TrialBalance {
        accounts,
        total_debit: Money::from_minor(debit, currency),
        total_credit: Money::from_minor(credit, currency),
    })
}

/// The loan balances each loan-scoped control account must equal in total, as SQL over
/// `loan_balances`, and the sign of the account's balance (debit − credit).
const CONTROLS: [(&str, &str, i64); 7] = [
    (
        "1301",
        "principal_outstanding_minor - overdue_principal_minor",
        1,
    ),
    ("1302", "overdue_principal_minor", 1),
    (
        "1311",
        "interest_accrued_minor + due_interest_minor + overdue_interest_minor - interest_off_book_minor",
        1,
    ),
    (
        "1312",
        "penalty_interest_minor + compound_interest_minor - penalty_off_book_minor",
        1,
    ),
    ("1313", "fees_due_minor", 1),
    ("2241", "advance_balance_minor", -1),
    ("1304", "provision_minor", -1),
];

/// The first control account whose GL balance differs from the sum of the loans'
/// running balances.
async fn control_difference(app: &App, tb: &TrialBalance) -> Result<Option<String>, ServiceError> {
    for (code, expression, sign) in CONTROLS {
        let loans = loanbook_store::servicing::total_of(app.db(), expression).await?;
        let gl = tb
            .accounts
            .iter()
            .find(|a| a.code == code)
            .map_or(0, |a| a.debit.amount_minor() - a.credit.amount_minor())
            * sign;
        if loans != gl {
            return Ok(Some(format!(
                "account {code} ({}) is {} in the GL but the loans carry {}",
                gl::find_account(code).map_or("", |a| a.name_en),
                Money::from_minor(gl, Currency::CNY),
                Money::from_minor(loans, Currency::CNY)
            )));
        }
    }
    Ok(None)
}

/// What `ledger check` found: `Ok(entries checked)` or the first difference.
///
/// # Errors
/// Forbidden without `ledger:read`.
pub async fn check(app: &App, actor: &Actor) -> Result<Result<String, String>, ServiceError> {
    actor.require(Permission::LedgerRead)?;
    if let Some((id, d, c)) = ledger::first_unbalanced_entry(app.db()).await? {
        return Ok(Err(format!(
            "journal entry {id} does not balance: debits {} and credits {}",
            Money::from_minor(d, Currency::CNY),
            Money::from_minor(c, Currency::CNY)
        )));
    }
    let scoped: Vec<&str> = CHART
        .iter()
        .filter(|a| a.loan_scoped)
        .map(|a| a.code)
        .collect();
    if let Some((id, account)) = ledger::first_unscoped_line(app.db(), &scoped).await? {
        return Ok(Err(format!(
            "journal entry {id} posts to {account} ({}) without a loan: the subledger cannot reconcile",
            gl::find_account(&account).map_or("", |a| a.name_en)
        )));
    }
    for (which, what) in [(ledger::SubledgerBalance::Principal, "principal outstanding")] {
        if let Some((loan, book, gl)) = ledger::first_subledger_difference(app.db(), which).await? {
            return Ok(Err(format!(
                "loan {loan}: {what} is {} on the loan but {} in the ledger",
                Money::from_minor(book, Currency::CNY),
                Money::from_minor(gl, Currency::CNY)
            )));
        }
    }
    let tb = trial_balance(app, actor).await?;
    if let Some(difference) = control_difference(app, &tb).await? {
        return Ok(Err(difference));
    }
    if tb.total_debit != tb.total_credit {
        return Ok(Err(format!(
            "the trial balance does not balance: debits {} and credits {}",
            tb.total_debit, tb.total_credit
        )));
    }
    Ok(Ok(format!(
        "ledger ok: every entry balances, every loan reconciles with the GL; total debits = total credits = {}",
        tb.total_debit
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::apps;

    fn line(account: &str, side: Side, amount_minor: i64) -> LineDraft {
        LineDraft {
            account: account.into(),
            side,
            amount_minor,
            loan_id: None,
            funding_source: Some("OWN".into()),
        }
    }

    #[tokio::test]
    async fn post_reverse_trial_balance_and_check() {
        for (app, admin, t) in apps().await {
            // capital of 5,000,000.00 paid into the bank
            let capital = [
                line("1001", Side::Debit, 500_000_000),
                line("3001", Side::Credit, 500_000_000),
            ];
            let e = post_manual(
                &app,
                &admin,
                "capital paid in",
                Currency::CNY,
                &capital,
                None,
            )
            .await
            .unwrap();
            assert_eq!(e.lines[0].debit.to_string(), "5000000.00", "{}", t.label);
            let tb = trial_balance(&app, &admin).await.unwrap();
            let cash = tb.accounts.iter().find(|a| a.code == "1001").unwrap();
            assert_eq!(cash.balance.to_string(), "5000000.00");
            assert_eq!(tb.total_debit, tb.total_credit);
            // a reversal cancels it, once
            let r = reverse(&app, &admin, e.id, "entered twice").await.unwrap();
            assert_eq!(r.reverses_entry_id, Some(e.id));
            assert!(matches!(
                reverse(&app, &admin, e.id, "again").await,
                Err(ServiceError::Conflict(_))
            ));
            let tb = trial_balance(&app, &admin).await.unwrap();
            assert!(tb.accounts.iter().all(|a| a.balance.is_zero()));
            assert_eq!(tb.total_debit.to_string(), "10000000.00");
            assert!(check(&app, &admin).await.unwrap().is_ok());
        }
    }

    #[tokio::test]
    async fn unbalanced_entries_are_refused_and_tampering_is_found() {
        for (app, admin, t) in apps().await {
            let bad = [
                line("1001", Side::Debit, 100),
                line("3001", Side::Credit, 99),
            ];
            let err = post_manual(&app, &admin, "oops", Currency::CNY, &bad, None)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("do not balance"), "{err}");
            assert!(
                entries(&app, &admin, None, 10).await.unwrap().is_empty(),
                "{}",
                t.label
            );
            let ok = [
                line("1001", Side::Debit, 100),
                line("3001", Side::Credit, 100),
            ];
            let e = post_manual(&app, &admin, "fine", Currency::CNY, &ok, None)
                .await
                .unwrap();
            // someone edits a line behind loanbook's back
            sqlx_update(&app, e.id).await;
            let found = check(&app, &admin).await.unwrap().unwrap_err();
            assert_eq!(
                found,
                format!(
                    "journal entry {} does not balance: debits 1.00 and credits 1.01",
                    e.id
                )
            );
            // an officer may not post
            let officer = Actor {
                username: "o".into(),
                role: crate::Role::LoanOfficer,
                user_id: 9,
                request_id: None,
            };
            assert!(matches!(
                post_manual(&app, &officer, "x", Currency::CNY, &ok, None).await,
                Err(ServiceError::Forbidden { .. })
            ));
        }
    }

    #[tokio::test]
    async fn concurrent_reversals_reverse_once() {
        for (app, admin, t) in apps().await {
            let lines = [
                line("1001", Side::Debit, 700),
                line("3001", Side::Credit, 700),
            ];
            let e = post_manual(&app, &admin, "capital", Currency::CNY, &lines, None)
                .await
                .unwrap();
            let (a, b) = tokio::join!(
                reverse(&app, &admin, e.id, "first"),
                reverse(&app, &admin, e.id, "second")
            );
            assert_eq!(
                usize::from(a.is_ok()) + usize::from(b.is_ok()),
                1,
                "{}: {a:?} {b:?}",
                t.label
            );
            assert!(matches!(
                a.err().or(b.err()),
                Some(ServiceError::Conflict(_))
            ));
            assert_eq!(entries(&app, &admin, None, 10).await.unwrap().len(), 2);
        }
    }

    #[tokio::test]
    async fn a_retried_posting_is_posted_once() {
        for (app, admin, t) in apps().await {
            let lines = [
                line("1001", Side::Debit, 100_000),
                line("3001", Side::Credit, 100_000),
            ];
            let first = post_manual(&app, &admin, "capital", Currency::CNY, &lines, Some("k-1"))
                .await
                .unwrap();
            let again = post_manual(&app, &admin, "capital", Currency::CNY, &lines, Some("k-1"))
                .await
                .unwrap();
            assert_eq!(first.id, again.id, "{}", t.label);
            assert_eq!(entries(&app, &admin, None, 10).await.unwrap().len(), 1);
            let other = [line("1001", Side::Debit, 5), line("3001", Side::Credit, 5)];
            assert!(matches!(
                post_manual(&app, &admin, "capital", Currency::CNY, &other, Some("k-1")).await,
                Err(ServiceError::Conflict(_))
            ));
            // concurrent retries of one key post once
            let (a, b) = tokio::join!(
                post_manual(
                    &app,
                    &admin,
                    "loan from bank",
                    Currency::CNY,
                    &lines,
                    Some("k-2")
                ),
                post_manual(
                    &app,
                    &admin,
                    "loan from bank",
                    Currency::CNY,
                    &lines,
                    Some("k-2")
                )
            );
            assert_eq!(a.unwrap().id, b.unwrap().id);
            assert_eq!(entries(&app, &admin, None, 10).await.unwrap().len(), 2);
        }
    }

    async fn sqlx_update(app: &App, entry_id: i64) {
        let mut tx = app.db().begin().await.unwrap();
        loanbook_store::testing::execute(&mut tx, &format!("UPDATE journal_lines SET credit_minor = 101 WHERE entry_id = {entry_id} AND credit_minor > 0")).await;
        tx.commit().await.unwrap();
    }
}
