//! Recording an inspection done: the checklist, findings, documents and follow-up tasks
//! checked, the result, and the next periodic inspection scheduled.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use loanbook_core::post_loan::inspections::{CHECKLIST, Check, result};
use loanbook_store::audit::timestamp;
use loanbook_store::inspections as store;
use loanbook_store::{Tx, users};
use serde::{Deserialize, Serialize};

use super::schedule::next_periodic;
use super::{
    DONE, FollowUp, InspectionView, MAX_DOCUMENTS, MAX_FOLLOW_UPS, MAX_TASK_CHARS, MAX_TEXT_CHARS,
    load_pending, parse_date, view,
};
use crate::{Actor, App, Permission, ServiceError, Violation, record};

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
