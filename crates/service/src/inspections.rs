//! Post-loan inspections (贷后检查): scheduled by the rules of
//! `core::post_loan::inspections`, worked from a queue, recorded with a checklist.
//!
//! Where inspections come from:
//! 1. the first disbursement of a business loan schedules a `first` inspection 30 days
//!    later ([`schedule_first`], called by the disbursement);
//! 2. the daily close hands its class changes to [`after_class_changes`]: a worse class
//!    brings a `triggered` inspection within the interval of the new class, unless one
//!    pending is due by then;
//! 3. completing an inspection ([`complete`]) schedules the next `periodic` one by the
//!    loan's class at that moment (none for a performing individual loan), unless one
//!    pending is due by then;
//! 4. an officer schedules one by hand ([`schedule`], kind `triggered`, with a reason).
//!
//! An inspection is `pending` (assigned or not) until it is `done`; the work queue is the
//! pending inspections due by the business date, per assignee.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, Utc};
use loanbook_core::delinquency::FiveTier;
use loanbook_core::post_loan::inspections::{
    CHECKLIST, Check, Kind, after_class_change, first_due, next_due, result,
};
use loanbook_store::audit::timestamp;
use loanbook_store::inspections::{self as store, InspectionFilter, InspectionRow};
use loanbook_store::{Tx, loans as loan_store, users};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Permission, Role, ServiceError, Violation, record};

/// Status of an inspection still to be done.
pub const PENDING: &str = "pending";
/// Status of an inspection recorded.
pub const DONE: &str = "done";

/// Longest findings or reason, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Most documents attached to one inspection.
pub const MAX_DOCUMENTS: usize = 50;
/// Most follow-up tasks of one inspection.
pub const MAX_FOLLOW_UPS: usize = 20;
/// Longest follow-up task, in characters.
pub const MAX_TASK_CHARS: usize = 500;
/// Latest an inspection scheduled by hand may be due, in days after the business date.
pub const MAX_SCHEDULE_DAYS: i64 = 366;

/// A follow-up task of an inspection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct FollowUp {
    /// What to do.
    #[serde(default)]
    pub task: String,
    /// By when, `YYYY-MM-DD`.
    #[serde(default)]
    pub due_on: String,
    /// Who (a user name).
    #[serde(default)]
    pub owner: String,
}

/// An inspection as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub struct InspectionView {
    pub id: i64,
    pub loan_id: i64,
    pub customer_id: i64,
    /// first, periodic or triggered.
    pub kind: String,
    pub due_on: String,
    /// pending or done.
    pub status: String,
    /// Pending and due before the business date.
    pub overdue: bool,
    pub assigned_to: Option<String>,
    pub done_on: Option<String>,
    pub done_by: Option<String>,
    /// use_of_funds, business_status, collateral → satisfactory, concern, adverse,
    /// not_applicable.
    pub checklist: BTreeMap<String, String>,
    pub findings: String,
    /// normal, concern or adverse (the worst answer).
    pub result: Option<String>,
    pub document_ids: Vec<i64>,
    pub follow_ups: Vec<FollowUp>,
    /// Why it was scheduled.
    pub reason: String,
    pub created_by: String,
    pub created_at: String,
}

fn view(r: &InspectionRow, business_date: NaiveDate) -> InspectionView {
    InspectionView {
        id: r.id,
        loan_id: r.loan_id,
        customer_id: r.customer_id,
        kind: r.kind.clone(),
        due_on: r.due_on.clone(),
        status: r.status.clone(),
        overdue: r.status == PENDING && r.due_on < business_date.to_string(),
        assigned_to: r.assigned_to.clone(),
        done_on: r.done_on.clone(),
        done_by: r.done_by.clone(),
        checklist: serde_json::from_str(&r.checklist).unwrap_or_default(),
        findings: r.findings.clone(),
        result: r.result.clone(),
        document_ids: serde_json::from_str(&r.document_ids).unwrap_or_default(),
        follow_ups: serde_json::from_str(&r.follow_ups).unwrap_or_default(),
        reason: r.reason.clone(),
        created_by: r.created_by.clone(),
        created_at: r.created_at.clone(),
    }
}

fn new_row(
    loan_id: i64,
    customer_id: i64,
    kind: Kind,
    due_on: NaiveDate,
    reason: String,
    created_by: &str,
    at: &str,
) -> InspectionRow {
    InspectionRow {
        loan_id,
        customer_id,
        kind: kind.code().into(),
        due_on: due_on.to_string(),
        status: PENDING.into(),
        reason,
        created_by: created_by.into(),
        created_at: at.into(),
        ..InspectionRow::default()
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

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

/// Checks that `username` may do inspections: an active user whose role holds
/// `inspection:work`. The inner error is the violation of `field`.
async fn check_assignee(
    app: &App,
    field: &str,
    username: &str,
) -> Result<Result<String, Violation>, ServiceError> {
    let name = username.trim().to_owned();
    if name.is_empty() {
        return Ok(Err(Violation::new(field, "is required")));
    }
    let Some(user) = users::by_username(app.db().pool(), &name).await? else {
        return Ok(Err(Violation::new(
            field,
            format!("there is no user '{name}'"),
        )));
    };
    if user.status != "active" {
        return Ok(Err(Violation::new(
            field,
            format!("user '{name}' is {}", user.status),
        )));
    }
    if !Role::parse(&user.role).is_some_and(|r| r.allows(Permission::InspectionWork)) {
        return Ok(Err(Violation::new(
            field,
            format!(
                "user '{name}' (role {}) lacks the permission {}",
                user.role,
                Permission::InspectionWork.code()
            ),
        )));
    }
    Ok(Ok(name))
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

async fn load_pending(tx: &mut Tx<'_>, id: i64) -> Result<InspectionRow, ServiceError> {
    let row = store::get_locked(tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("inspection {id}")))?;
    if row.status != PENDING {
        return Err(ServiceError::Conflict(format!(
            "inspection {id} is {}; only a pending inspection is assigned or completed",
            row.status
        )));
    }
    Ok(row)
}

/// Assigns pending inspection `id` to `assignee` (a user holding `inspection:work`).
///
/// # Errors
/// Forbidden without `inspection:work`; [`ServiceError::Invalid`] naming `assigned_to`;
/// not found; a conflict for an inspection done already.
pub async fn assign(
    app: &App,
    actor: &Actor,
    id: i64,
    assignee: &str,
) -> Result<InspectionView, ServiceError> {
    actor.require(Permission::InspectionWork)?;
    let name = check_assignee(app, "assigned_to", assignee)
        .await?
        .map_err(|v| ServiceError::Invalid(vec![v]))?;
    let business_date = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let mut row = load_pending(&mut tx, id).await?;
    let before = row.assigned_to.clone();
    if !store::assign(&mut tx, id, &name, &at).await? {
        return Err(ServiceError::Conflict(format!(
            "inspection {id} changed meanwhile; retry"
        )));
    }
    row.assigned_to = Some(name);
    let shown = view(&row, business_date);
    record(
        &mut tx,
        actor,
        "inspection.assign",
        "inspection",
        &id.to_string(),
        Some(serde_json::json!({"assigned_to": before})),
        Some(serde_json::json!({"assigned_to": shown.assigned_to})),
    )
    .await?;
    tx.commit().await?;
    Ok(shown)
}

/// What an inspection found.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct CompleteInput {
    /// When it was done, `YYYY-MM-DD` (default: the business date); not after the
    /// business date.
    #[serde(default)]
    pub done_on: Option<String>,
    /// An answer for each of use_of_funds, business_status and collateral: satisfactory,
    /// concern, adverse or not_applicable.
    #[serde(default)]
    pub checklist: BTreeMap<String, String>,
    /// What was found (required, at most 4000 characters).
    #[serde(default)]
    pub findings: String,
    /// Documents of the borrower on file (photos, statements) that support it.
    #[serde(default)]
    pub document_ids: Vec<i64>,
    /// Tasks that follow from it.
    #[serde(default)]
    pub follow_ups: Vec<FollowUp>,
}

/// An inspection recorded, and the next one it scheduled.
#[derive(Clone, Debug, Serialize)]
pub struct Completed {
    /// The inspection, done.
    #[serde(flatten)]
    pub inspection: InspectionView,
    /// The next periodic inspection, if one was scheduled.
    pub next: Option<InspectionView>,
}

const ANSWERS: &str = "satisfactory, concern, adverse or not_applicable";

/// The checklist's answers in [`CHECKLIST`] order, or the violations.
fn check_checklist(list: &BTreeMap<String, String>, v: &mut Vec<Violation>) -> Vec<Check> {
    let mut answers = Vec::new();
    for item in CHECKLIST {
        let field = format!("checklist.{item}");
        match list.get(item).map(|a| a.trim()) {
            None | Some("") => v.push(Violation::new(field, format!("is required: {ANSWERS}"))),
            Some(a) => match Check::parse(a) {
                Some(c) => answers.push(c),
                None => v.push(Violation::new(
                    field,
                    format!("must be {ANSWERS} (got '{a}')"),
                )),
            },
        }
    }
    for key in list.keys().filter(|k| !CHECKLIST.contains(&k.as_str())) {
        v.push(Violation::new(
            format!("checklist.{key}"),
            format!("is not an item of the checklist ({})", CHECKLIST.join(", ")),
        ));
    }
    answers
}

/// Checks the follow-up tasks of an inspection done on `done_on`.
async fn check_follow_ups(
    app: &App,
    list: &[FollowUp],
    done_on: Option<NaiveDate>,
    v: &mut Vec<Violation>,
) -> Result<Vec<FollowUp>, ServiceError> {
    if list.len() > MAX_FOLLOW_UPS {
        v.push(Violation::new(
            "follow_ups",
            format!("at most {MAX_FOLLOW_UPS} tasks (got {})", list.len()),
        ));
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (i, f) in list.iter().enumerate() {
        let task = f.task.trim().to_owned();
        let n = task.chars().count();
        if n == 0 || n > MAX_TASK_CHARS {
            v.push(Violation::new(
                format!("follow_ups[{i}].task"),
                format!("is required, at most {MAX_TASK_CHARS} characters"),
            ));
        }
        match (parse_date(&f.due_on), done_on) {
            (Some(d), Some(done)) if d < done => v.push(Violation::new(
                format!("follow_ups[{i}].due_on"),
                format!("must be on or after the inspection ({done})"),
            )),
            (Some(_), _) => {}
            (None, _) => v.push(Violation::new(
                format!("follow_ups[{i}].due_on"),
                format!("must be a date YYYY-MM-DD (got '{}')", f.due_on.trim()),
            )),
        }
        let owner = f.owner.trim();
        let known = !owner.is_empty()
            && users::by_username(app.db().pool(), owner)
                .await?
                .is_some_and(|u| u.status == "active");
        if !known {
            v.push(Violation::new(
                format!("follow_ups[{i}].owner"),
                format!("must be an active user (got '{owner}')"),
            ));
        }
        out.push(FollowUp {
            task,
            due_on: f.due_on.trim().to_owned(),
            owner: owner.to_owned(),
        });
    }
    Ok(out)
}

/// Checks the documents: each on file and the borrower's.
async fn check_documents(
    tx: &mut Tx<'_>,
    ids: &[i64],
    customer_id: i64,
) -> Result<Vec<i64>, ServiceError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_DOCUMENTS {
        return Err(ServiceError::invalid(
            "document_ids",
            format!("at most {MAX_DOCUMENTS} documents (got {})", ids.len()),
        ));
    }
    let owners: HashMap<i64, i64> = store::document_owners(tx, &ids)
        .await?
        .into_iter()
        .collect();
    let v: Vec<Violation> = ids
        .iter()
        .filter_map(|id| match owners.get(id) {
            None => Some(Violation::new(
                "document_ids",
                format!("there is no document {id}"),
            )),
            Some(&owner) if owner != customer_id => Some(Violation::new(
                "document_ids",
                format!(
                    "document {id} belongs to another customer, not to the borrower {customer_id}"
                ),
            )),
            Some(_) => None,
        })
        .collect();
    if v.is_empty() {
        Ok(ids)
    } else {
        Err(ServiceError::Invalid(v))
    }
}

/// The next periodic inspection after `done` was done on `done_on`, if the loan is still
/// active, its class calls for one and none pending is due by then.
async fn next_periodic(
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

/// Records pending inspection `id` as done: the checklist (every item answered), the
/// findings, supporting documents and follow-up tasks; the result is the worst answer.
/// Then schedules the next periodic inspection by the loan's class.
///
/// # Errors
/// Forbidden without `inspection:work`; [`ServiceError::Invalid`] naming every bad field
/// (`done_on`, `checklist.<item>`, `findings`, `document_ids`, `follow_ups[i].<field>`);
/// not found; a conflict for an inspection done already.
pub async fn complete(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &CompleteInput,
) -> Result<Completed, ServiceError> {
    actor.require(Permission::InspectionWork)?;
    let business_date = app.business_date().await?;
    let mut v = Vec::new();
    let done_on = match input.done_on.as_deref().map(str::trim) {
        None | Some("") => Some(business_date),
        Some(text) => match parse_date(text) {
            Some(d) if d <= business_date => Some(d),
            _ => {
                v.push(Violation::new(
                    "done_on",
                    format!("must be a date on or before the business date {business_date} (got '{text}')"),
                ));
                None
            }
        },
    };
    let answers = check_checklist(&input.checklist, &mut v);
    let findings = input.findings.trim().to_owned();
    let n = findings.chars().count();
    if n == 0 || n > MAX_TEXT_CHARS {
        v.push(Violation::new(
            "findings",
            format!("is required, at most {MAX_TEXT_CHARS} characters (got {n})"),
        ));
    }
    let follow_ups = check_follow_ups(app, &input.follow_ups, done_on, &mut v).await?;
    let Some(done_on) = done_on.filter(|_| v.is_empty()) else {
        return Err(ServiceError::Invalid(v));
    };
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let mut row = load_pending(&mut tx, id).await?;
    let documents = check_documents(&mut tx, &input.document_ids, row.customer_id).await?;
    let checklist: BTreeMap<&str, &str> = CHECKLIST
        .iter()
        .copied()
        .zip(
            CHECKLIST
                .iter()
                .map(|k| input.checklist.get(*k).map_or("", |a| a.trim())),
        )
        .collect();
    row.assigned_to = row.assigned_to.or_else(|| Some(actor.username.clone()));
    row.done_on = Some(done_on.to_string());
    row.done_by = Some(actor.username.clone());
    row.checklist = serde_json::to_string(&checklist).unwrap_or_default();
    row.findings = findings;
    row.result = Some(result(&answers).into());
    row.document_ids = serde_json::to_string(&documents).unwrap_or_default();
    row.follow_ups = serde_json::to_string(&follow_ups).unwrap_or_default();
    row.updated_at = Some(at.clone());
    if !store::complete(&mut tx, &row).await? {
        return Err(ServiceError::Conflict(format!(
            "inspection {id} changed meanwhile; retry"
        )));
    }
    row.status = DONE.into();
    let next = next_periodic(&mut tx, &row, done_on, &actor.username, &at).await?;
    let completed = Completed {
        inspection: view(&row, business_date),
        next: next.as_ref().map(|n| view(n, business_date)),
    };
    record(
        &mut tx,
        actor,
        "inspection.complete",
        "inspection",
        &id.to_string(),
        None,
        Some(serde_json::to_value(&completed).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(completed)
}

/// Filters of an inspection list.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ListInput {
    /// pending or done.
    #[serde(default)]
    pub status: Option<String>,
    /// Due on or before this date, `YYYY-MM-DD`.
    #[serde(default)]
    pub due_by: Option<String>,
    /// Assigned to this user.
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Of this loan.
    #[serde(default)]
    pub loan_id: Option<i64>,
    /// At most this many (default 100, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Inspections, the earliest due first.
///
/// # Errors
/// Forbidden without `loan:read`; [`ServiceError::Invalid`] naming `status`, `due_by` or
/// `limit`.
pub async fn list(
    app: &App,
    actor: &Actor,
    input: &ListInput,
) -> Result<Vec<InspectionView>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let mut v = Vec::new();
    let status = match input.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s @ (PENDING | DONE)) => Some(s.to_owned()),
        Some(s) => {
            v.push(Violation::new(
                "status",
                format!("must be pending or done (got '{s}')"),
            ));
            None
        }
    };
    let due_by = match input.due_by.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let d = parse_date(text);
            if d.is_none() {
                v.push(Violation::new(
                    "due_by",
                    format!("must be a date YYYY-MM-DD (got '{text}')"),
                ));
            }
            d
        }
    };
    let limit = input.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        v.push(Violation::new(
            "limit",
            format!("must be from 1 to 500 (got {limit})"),
        ));
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let business_date = app.business_date().await?;
    let filter = InspectionFilter {
        status,
        due_by: due_by.map(|d| d.to_string()),
        assigned_to: input
            .assigned_to
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        loan_id: input.loan_id,
        limit,
    };
    Ok(store::list(app.db(), &filter)
        .await?
        .iter()
        .map(|r| view(r, business_date))
        .collect())
}

/// The work queue of `assignee` (default: the actor): pending inspections due by the
/// business date, the earliest first.
///
/// # Errors
/// Forbidden without `loan:read`.
pub async fn queue(
    app: &App,
    actor: &Actor,
    assignee: Option<&str>,
) -> Result<Vec<InspectionView>, ServiceError> {
    let business_date = app.business_date().await?;
    list(
        app,
        actor,
        &ListInput {
            status: Some(PENDING.into()),
            due_by: Some(business_date.to_string()),
            assigned_to: Some(assignee.unwrap_or(&actor.username).to_owned()),
            loan_id: None,
            limit: Some(500),
        },
    )
    .await
}

/// Inspection `id`.
///
/// # Errors
/// Forbidden without `loan:read`; not found.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<InspectionView, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let row = store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("inspection {id}")))?;
    Ok(view(&row, app.business_date().await?))
}

#[cfg(test)]
#[path = "inspections_tests.rs"]
pub(crate) mod tests;
