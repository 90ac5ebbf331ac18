//! Scheduling inspections: the first after a business loan's disbursement, those a worse
//! class brings at the daily close, the next periodic one after an inspection is done, and
//! those an officer schedules by hand.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use loanbook_core::delinquency::FiveTier;
use loanbook_core::post_loan::inspections::{Kind, after_class_change, first_due, next_due};
use loanbook_store::audit::timestamp;
use loanbook_store::inspections::{self as store, InspectionRow};
use loanbook_store::{Tx, loans as loan_store};
use serde::{Deserialize, Serialize};

use super::{
    InspectionView, MAX_SCHEDULE_DAYS, MAX_TEXT_CHARS, check_assignee, new_row, parse_date, view,
};
use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// Schedules the first inspection of a loan disbursed on `disbursed` for the first time:
/// 30 days later for a business loan, none for an individual's. Called by the
/// disbursement inside its transaction; returns the inspection's id.
///
/// # Errors
/// A database error.
pub async fn schedule_first(
    tx: &mut Tx<'_>,
    loan_id: i64,
    customer_id: i64,
    business: bool,
    disbursed: NaiveDate,
) -> Result<Option<i64>, ServiceError> {
    let Some(due) = first_due(business, disbursed) else {
        return Ok(None);
    };
    let row = new_row(
        loan_id,
        customer_id,
        Kind::First,
        due,
        format!("first inspection after the disbursement on {disbursed}"),
        "disbursement",
        &timestamp(Utc::now()),
    );
    let ids = store::insert_many(tx, &[row]).await?;
    Ok(ids.first().copied())
}

/// The customers and kinds of `loan_ids`: loan → (customer, business?).
async fn borrowers(
    tx: &mut Tx<'_>,
    loan_ids: &[i64],
) -> Result<HashMap<i64, (i64, bool)>, ServiceError> {
    let parties = store::loan_parties(tx, loan_ids).await?;
    let mut customer_ids: Vec<i64> = parties.iter().map(|p| p.1).collect();
    customer_ids.sort_unstable();
    customer_ids.dedup();
    let kinds: HashMap<i64, bool> = store::customer_kinds(tx, &customer_ids)
        .await?
        .into_iter()
        .map(|(id, kind)| (id, kind == "business"))
        .collect();
    Ok(parties
        .into_iter()
        .map(|(loan, customer, _)| {
            (
                loan,
                (customer, kinds.get(&customer).copied().unwrap_or(false)),
            )
        })
        .collect())
}

/// The earliest pending due date of each of `loan_ids` that has one.
async fn earliest(
    tx: &mut Tx<'_>,
    loan_ids: &[i64],
) -> Result<HashMap<i64, NaiveDate>, ServiceError> {
    Ok(store::earliest_pending(tx, loan_ids)
        .await?
        .into_iter()
        .filter_map(|(loan, due)| parse_date(&due).map(|d| (loan, d)))
        .collect())
}

/// After the close of `date` changed the class of loans (loan, from, to): for each
/// worsening, a `triggered` inspection due within the interval of the new class
/// (`core::post_loan::inspections::after_class_change`), unless one pending is due by
/// then. Reads the loans, their borrowers and pending inspections in a few bulk queries
/// and inserts in multi-row statements, inside the close's transaction.
///
/// # Errors
/// A database error.
pub async fn after_class_changes(
    tx: &mut Tx<'_>,
    date: NaiveDate,
    changes: &[(i64, FiveTier, FiveTier)],
) -> Result<(), ServiceError> {
    let worse: Vec<&(i64, FiveTier, FiveTier)> = changes.iter().filter(|c| c.2 > c.1).collect();
    if worse.is_empty() {
        return Ok(());
    }
    let mut loan_ids: Vec<i64> = worse.iter().map(|c| c.0).collect();
    loan_ids.sort_unstable();
    loan_ids.dedup();
    let parties = borrowers(tx, &loan_ids).await?;
    let mut scheduled = earliest(tx, &loan_ids).await?;
    let at = timestamp(Utc::now());
    let mut rows = Vec::new();
    for &&(loan_id, from, to) in &worse {
        let Some(&(customer_id, business)) = parties.get(&loan_id) else {
            continue;
        };
        let pending = scheduled.get(&loan_id).copied();
        if let Some(due) = after_class_change(business, from, to, date, pending) {
            let reason = format!("class {} → {} on {date}", from.code(), to.code());
            rows.push(new_row(
                loan_id,
                customer_id,
                Kind::Triggered,
                due,
                reason,
                "eod",
                &at,
            ));
            scheduled.insert(loan_id, due);
        }
    }
    store::insert_many(tx, &rows).await?;
    Ok(())
}

/// An inspection scheduled by hand.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ScheduleInput {
    /// Due date, `YYYY-MM-DD` (default: the business date); from the business date to 366
    /// days later.
    #[serde(default)]
    pub due_on: Option<String>,
    /// Who does it (a user holding `inspection:work`).
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Why (required, at most 4000 characters).
    #[serde(default)]
    pub reason: String,
}

/// Schedules an inspection of active loan `loan_id` by hand (kind `triggered`).
///
/// # Errors
/// Forbidden without `inspection:work`; [`ServiceError::Invalid`] naming `due_on`,
/// `assigned_to` or `reason`; not found; a conflict for a loan that is not active.
pub async fn schedule(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    input: &ScheduleInput,
) -> Result<InspectionView, ServiceError> {
    actor.require(Permission::InspectionWork)?;
    let business_date = app.business_date().await?;
    let loan = loan_store::loan(app.db().pool(), loan_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {loan_id}")))?;
    if loan.status != "active" {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} is {}; only an active loan is inspected",
            loan.status
        )));
    }
    let mut v = Vec::new();
    let reason = input.reason.trim().to_owned();
    let n = reason.chars().count();
    if n == 0 {
        v.push(Violation::new("reason", "is required"));
    } else if n > MAX_TEXT_CHARS {
        v.push(Violation::new(
            "reason",
            format!("must be at most {MAX_TEXT_CHARS} characters (got {n})"),
        ));
    }
    let latest = business_date + Duration::days(MAX_SCHEDULE_DAYS);
    let due = match input.due_on.as_deref().map(str::trim) {
        None | Some("") => Some(business_date),
        Some(text) => match parse_date(text) {
            Some(d) if d >= business_date && d <= latest => Some(d),
            _ => {
                v.push(Violation::new(
                    "due_on",
                    format!("must be a date from {business_date} to {latest} (got '{text}')"),
                ));
                None
            }
        },
    };
    let assignee = match input.assigned_to.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => check_assignee(app, "assigned_to", name)
            .await?
            .map_err(|e| v.push(e))
            .ok(),
    };
    let Some(due) = due.filter(|_| v.is_empty()) else {
        return Err(ServiceError::Invalid(v));
    };
    let at = timestamp(app.now());
    let mut row = new_row(
        loan_id,
        loan.customer_id,
        Kind::Triggered,
        due,
        reason,
        &actor.username,
        &at,
    );
    row.assigned_to = assignee;
    let mut tx = app.db().begin().await?;
    let ids = store::insert_many(&mut tx, std::slice::from_ref(&row)).await?;
    row.id = ids.first().copied().unwrap_or_default();
    let shown = view(&row, business_date);
    record(
        &mut tx,
        actor,
        "inspection.schedule",
        "inspection",
        &row.id.to_string(),
        None,
        Some(serde_json::to_value(&shown).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(shown)
}

/// The next periodic inspection after `done` was done on `done_on`, if the loan is still
/// active, its class calls for one and none pending is due by then.
pub(super) async fn next_periodic(
    tx: &mut Tx<'_>,
    done: &InspectionRow,
    done_on: NaiveDate,
    by: &str,
    at: &str,
) -> Result<Option<InspectionRow>, ServiceError> {
    let parties = borrowers(tx, &[done.loan_id]).await?;
    let active = store::loan_parties(tx, &[done.loan_id])
        .await?
        .first()
        .is_some_and(|p| p.2 == "active");
    let Some(&(customer_id, business)) = parties.get(&done.loan_id) else {
        return Ok(None);
    };
    if !active {
        return Ok(None);
    }
    let backend = tx.backend();
    let class = loanbook_store::servicing::balance(tx, done.loan_id, false, backend)
        .await?
        .map_or(FiveTier::Pass, |b| b.account.class);
    let Some(due) = next_due(business, class, done_on) else {
        return Ok(None);
    };
    if earliest(tx, &[done.loan_id])
        .await?
        .get(&done.loan_id)
        .is_some_and(|d| *d <= due)
    {
        return Ok(None);
    }
    let mut row = new_row(
        done.loan_id,
        customer_id,
        Kind::Periodic,
        due,
        format!(
            "routine inspection ({} loan, class {})",
            if business { "business" } else { "individual" },
            class.code()
        ),
        by,
        at,
    );
    let ids = store::insert_many(tx, std::slice::from_ref(&row)).await?;
    row.id = ids.first().copied().unwrap_or_default();
    Ok(Some(row))
}
