//! Early warnings (风险预警): signals that a borrower is heading for trouble, raised by the
//! daily close and by events, and worked by staff until closed.
//!
//! ```text
//!  raised ─► open ──acknowledge──► acknowledged ──act──► actioned ──act──► actioned
//!  (close,     │  (owner: the assignee,                                   │
//!   events,    │   else whoever acknowledges)                             │
//!   evaluate)  └─────────────── close (resolution required) ◄─────────────┘
//! ```
//!
//! Rules, and where each is evaluated (the rules themselves are in
//! `loanbook_core::post_loan::warnings`):
//! - `past_due`, `first_payment_default`, `broken_promise`: the daily close, per loan.
//! - `bureau_delinquency`: a credit report stored (by hand or pulled in origination) that is
//!   the customer's newest from its bureau and counts more `delinquencies_24m` than the one
//!   before.
//! - `income_drop`: a customer update whose monthly income or annual revenue fell by at
//!   least the threshold (30%).
//! - `collateral_ltv`: a collateral revalued, an evaluation on demand, and the monthly
//!   [`evaluate_all`]: principal outstanding on the customer's active loans against the
//!   value of its collateral not released, above the threshold (0.80).
//! - `watch_list`: an industry or region (province) put on the watch list flags every
//!   customer with an active loan there; a tranche released to a watched customer too.
//!
//! Event rules raise warnings only for customers with an active loan (a warning is about
//! money lent), on the customer as a whole (`loan_id` 0 in the table, `null` in views), and
//! never twice while one is open. Their owner is the officer who took the application of
//! the customer's newest active loan; loans booked outside origination leave it unassigned
//! for a manager to assign.
//!
//! Actions (each recorded in the warning's history and the audit log; the warning must be
//! acknowledged first): `reduce_limit` and `freeze_limit` lower the most a loan may draw
//! (a tranche beyond it is refused); `request_collateral` and `request_guarantor` record a
//! task with a due date and an assignee; `accelerate` records the demand for everything
//! owed (宣布提前到期) with a pay-by date — the schedule is left as it is, the servicing
//! has no acceleration yet; `hand_to_collections` opens a collection case unless one is
//! open.

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::post_loan::warnings::{Action, Rule};
use loanbook_store::audit::timestamp;
use loanbook_store::warnings::{self as store, ActionRow, WarningFilter, WarningRow};
use loanbook_store::{Tx, business_date};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Actor, App, Permission, ServiceError, Violation, record};

mod actions;
mod events;
mod watch_list;

pub(crate) use actions::check_drawdown;
pub use actions::{ActionInput, act};
pub use events::{
    EvaluationView, LtvView, RevaluationInput, RevaluationView, evaluate, evaluate_all,
    revalue_collateral,
};
pub(crate) use events::{bureau_report_added, flag_watched_borrower, income_changed};
pub use watch_list::{WatchAdded, WatchInput, WatchView, add_watch, remove_watch, watch_list};

/// The statuses of a warning, in order.
pub const STATUSES: [&str; 4] = ["open", "acknowledged", "actioned", "closed"];
/// The kinds of watch-list entries.
pub const WATCH_KINDS: [&str; 2] = ["industry", "region"];
/// The most warnings one page lists.
pub const MAX_PAGE: i64 = 500;
/// Customers per transaction of [`evaluate_all`].
const EVALUATE_PAGE: i64 = 500;
/// A task or a demand falls due this many days after the business date by default.
const DEFAULT_TASK_DAYS: u64 = 14;
/// … and at most this many.
const MAX_TASK_DAYS: u64 = 365;
/// The most watch-list entries a re-evaluation walks.
const MAX_WATCH_ENTRIES: i64 = 10_000;

fn cny(minor: i64) -> Money {
    Money::from_minor(minor, Currency::CNY)
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// A warning as shown.
#[derive(Clone, Debug, Serialize)]
pub struct WarningView {
    /// Id.
    pub id: i64,
    /// The customer.
    pub customer_id: i64,
    /// The loan; none for the customer as a whole.
    pub loan_id: Option<i64>,
    /// The rule, e.g. `income_drop`.
    pub rule: String,
    /// low, medium or high.
    pub severity: String,
    /// open, acknowledged, actioned or closed.
    pub status: String,
    /// Who works it; none while unassigned.
    pub owner: Option<String>,
    /// Business date raised.
    pub raised_on: String,
    /// What fired the rule (and `accelerated` after an acceleration).
    pub detail: Value,
    /// How it was resolved.
    pub resolution: Option<String>,
    /// Who closed it (`eod` for a loan current again).
    pub closed_by: Option<String>,
    /// When.
    pub closed_at: Option<String>,
    /// When raised.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Its history, oldest first (in `get` and after a change; not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<ActionView>>,
}

impl From<WarningRow> for WarningView {
    fn from(r: WarningRow) -> WarningView {
        WarningView {
            id: r.id,
            customer_id: r.customer_id,
            loan_id: (r.loan_id != 0).then_some(r.loan_id),
            rule: r.rule,
            severity: r.severity,
            status: r.status,
            owner: r.owner,
            raised_on: r.raised_on,
            detail: parse_json(&r.detail),
            resolution: r.resolution,
            closed_by: r.closed_by,
            closed_at: r.closed_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            actions: None,
        }
    }
}

/// A step of a warning's history.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct ActionView {
    pub id: i64,
    /// acknowledge, assign, close, or an action (reduce_limit …).
    pub action: String,
    pub detail: Value,
    pub actor: String,
    pub at: String,
    pub loan_id: Option<i64>,
    /// A task's due date.
    pub due_on: Option<String>,
    /// A task's assignee.
    pub assigned_to: Option<String>,
}

impl From<ActionRow> for ActionView {
    fn from(a: ActionRow) -> ActionView {
        ActionView {
            id: a.id,
            action: a.action,
            detail: parse_json(&a.detail),
            actor: a.actor,
            at: a.at,
            loan_id: a.loan_id,
            due_on: a.due_on,
            assigned_to: a.assigned_to,
        }
    }
}

/// Filters of the warning list, as sent.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListInput {
    /// open, acknowledged, actioned, closed, or `active` (all but closed).
    pub status: Option<String>,
    /// low, medium or high.
    pub severity: Option<String>,
    /// A rule code.
    pub rule: Option<String>,
    /// An owner's username.
    pub owner: Option<String>,
    /// Only warnings nobody owns.
    pub unassigned: Option<bool>,
    /// Of one customer.
    pub customer_id: Option<i64>,
    /// Of one loan.
    pub loan_id: Option<i64>,
    /// Warnings older than this id (the next page).
    pub before_id: Option<i64>,
    /// Page size (default 50, at most 500).
    pub limit: Option<i64>,
}

fn text(value: Option<&String>) -> String {
    value.map(|t| t.trim().to_owned()).unwrap_or_default()
}

impl ListInput {
    fn filter(&self) -> Result<WarningFilter, ServiceError> {
        let mut v = Vec::new();
        let status = text(self.status.as_ref());
        if !status.is_empty() && status != "active" && !STATUSES.contains(&status.as_str()) {
            v.push(Violation::new(
                "status",
                format!("'{status}' is not open, acknowledged, actioned, closed or active"),
            ));
        }
        let severity = text(self.severity.as_ref());
        if !severity.is_empty() && !["low", "medium", "high"].contains(&severity.as_str()) {
            v.push(Violation::new(
                "severity",
                format!("'{severity}' is not low, medium or high"),
            ));
        }
        let rule = text(self.rule.as_ref());
        if !rule.is_empty() && Rule::parse(&rule).is_none() {
            v.push(Violation::new(
                "rule",
                format!("'{rule}' is not a rule: {}", rule_codes()),
            ));
        }
        let limit = self.limit.unwrap_or(50);
        if !(1..=MAX_PAGE).contains(&limit) {
            v.push(Violation::new(
                "limit",
                format!("must be 1–{MAX_PAGE} (got {limit})"),
            ));
        }
        for (field, id) in [
            ("customer_id", self.customer_id),
            ("loan_id", self.loan_id),
            ("before_id", self.before_id),
        ] {
            if id.is_some_and(|n| n <= 0) {
                v.push(Violation::new(field, "must be a positive id"));
            }
        }
        if !v.is_empty() {
            return Err(ServiceError::Invalid(v));
        }
        Ok(WarningFilter {
            status,
            severity,
            rule,
            owner: text(self.owner.as_ref()),
            unassigned: self.unassigned.unwrap_or(false),
            customer_id: self.customer_id.unwrap_or(0),
            loan_id: self.loan_id.unwrap_or(0),
            before_id: self.before_id.unwrap_or(0),
            limit,
        })
    }
}

fn rule_codes() -> String {
    Rule::ALL.map(Rule::code).join(", ")
}

fn action_codes() -> String {
    Action::ALL.map(Action::code).join(", ")
}

/// Warnings matching `input`, newest first.
///
/// # Errors
/// Forbidden without `warning:manage`; [`ServiceError::Invalid`] naming a bad filter.
pub async fn list(
    app: &App,
    actor: &Actor,
    input: &ListInput,
) -> Result<Vec<WarningView>, ServiceError> {
    actor.require(Permission::WarningManage)?;
    let filter = input.filter()?;
    Ok(store::list(app.db(), &filter)
        .await?
        .into_iter()
        .map(WarningView::from)
        .collect())
}

/// Warning `id` with its history.
///
/// # Errors
/// Forbidden without `warning:manage`; not found.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<WarningView, ServiceError> {
    actor.require(Permission::WarningManage)?;
    let row = store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("warning {id}")))?;
    let mut view = WarningView::from(row);
    view.actions = Some(
        store::actions(app.db().pool(), id)
            .await?
            .into_iter()
            .map(ActionView::from)
            .collect(),
    );
    Ok(view)
}

async fn load(tx: &mut Tx<'_>, id: i64) -> Result<WarningRow, ServiceError> {
    store::get(&mut **tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("warning {id}")))
}

async fn business_date_in(tx: &mut Tx<'_>) -> Result<NaiveDate, ServiceError> {
    business_date::get(&mut **tx)
        .await?
        .ok_or(ServiceError::NotInitialised)
}

/// Appends `action` to warning `w`'s history and the audit log.
async fn log_step(
    tx: &mut Tx<'_>,
    actor: &Actor,
    before: &WarningRow,
    step: ActionRow,
) -> Result<(), ServiceError> {
    let detail = parse_json(&step.detail);
    let action = step.action.clone();
    store::insert_action(tx, &step).await?;
    let after = load(tx, before.id).await?;
    record(
        tx,
        actor,
        &format!("warning.{action}"),
        "warning",
        &before.id.to_string(),
        Some(json!({"status": before.status, "owner": before.owner})),
        Some(json!({"status": after.status, "owner": after.owner, "action": action, "detail": detail})),
    )
    .await
}

fn step(w: &WarningRow, actor: &Actor, action: &str, detail: Value, at: &str) -> ActionRow {
    ActionRow {
        warning_id: w.id,
        action: action.to_owned(),
        detail: detail.to_string(),
        actor: actor.username.clone(),
        at: at.to_owned(),
        loan_id: (w.loan_id != 0).then_some(w.loan_id),
        ..ActionRow::default()
    }
}

/// Acknowledges an open warning: it keeps the owner it was assigned, or becomes the
/// acknowledger's.
///
/// # Errors
/// Forbidden without `warning:manage`; not found; a conflict when it is not open.
pub async fn acknowledge(app: &App, actor: &Actor, id: i64) -> Result<WarningView, ServiceError> {
    actor.require(Permission::WarningManage)?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let w = load(&mut tx, id).await?;
    let owner = w.owner.clone().unwrap_or_else(|| actor.username.clone());
    if !store::acknowledge(&mut tx, id, &owner, &at).await? {
        return Err(ServiceError::Conflict(format!(
            "warning {id} is {}; only an open warning is acknowledged",
            w.status
        )));
    }
    let s = step(&w, actor, "acknowledge", json!({"owner": owner}), &at);
    log_step(&mut tx, actor, &w, s).await?;
    tx.commit().await?;
    get(app, actor, id).await
}

/// Checks that `username` may own warnings: the actor, or an active user whose role holds
/// `warning:manage`.
async fn staff(
    app: &App,
    actor: &Actor,
    field: &str,
    username: &str,
) -> Result<String, ServiceError> {
    let name = username.trim();
    if name.is_empty() {
        return Err(ServiceError::invalid(field, "is required"));
    }
    if name == actor.username {
        return Ok(name.to_owned());
    }
    crate::auth::worker(app, field, name, Permission::WarningManage)
        .await?
        .map_err(|v| ServiceError::Invalid(vec![v]))
}

/// Gives a warning that is not closed to `owner` (a manager's move; the status stays).
///
/// # Errors
/// Forbidden without `warning:manage`; not found; [`ServiceError::Invalid`] naming `owner`
/// when it is not a user who works warnings; a conflict when the warning is closed.
pub async fn assign(
    app: &App,
    actor: &Actor,
    id: i64,
    owner: &str,
) -> Result<WarningView, ServiceError> {
    actor.require(Permission::WarningManage)?;
    let owner = staff(app, actor, "owner", owner).await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let w = load(&mut tx, id).await?;
    if !store::assign(&mut tx, id, &owner, &at).await? {
        return Err(ServiceError::Conflict(format!("warning {id} is closed")));
    }
    let s = step(
        &w,
        actor,
        "assign",
        json!({"from": w.owner, "to": owner}),
        &at,
    );
    log_step(&mut tx, actor, &w, s).await?;
    tx.commit().await?;
    get(app, actor, id).await
}

/// The most characters of a resolution or a note.
pub const MAX_NOTE_CHARS: usize = 500;

/// Closes a warning that is not closed, saying how it was resolved.
///
/// # Errors
/// Forbidden without `warning:manage`; [`ServiceError::Invalid`] naming `resolution` when
/// empty or longer than 500 characters; not found; a conflict when closed already.
pub async fn close(
    app: &App,
    actor: &Actor,
    id: i64,
    resolution: &str,
) -> Result<WarningView, ServiceError> {
    actor.require(Permission::WarningManage)?;
    let resolution = resolution.trim();
    if resolution.is_empty() {
        return Err(ServiceError::invalid(
            "resolution",
            "is required: say how the warning was resolved",
        ));
    }
    if resolution.chars().count() > MAX_NOTE_CHARS {
        return Err(ServiceError::invalid(
            "resolution",
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let w = load(&mut tx, id).await?;
    if !store::close(&mut tx, id, resolution, &actor.username, &at).await? {
        return Err(ServiceError::Conflict(format!(
            "warning {id} is closed already"
        )));
    }
    let s = step(&w, actor, "close", json!({"resolution": resolution}), &at);
    log_step(&mut tx, actor, &w, s).await?;
    tx.commit().await?;
    get(app, actor, id).await
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit {
    use super::*;

    fn fields(e: ServiceError) -> Vec<String> {
        match e {
            ServiceError::Invalid(v) => v.into_iter().map(|x| x.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn list_filters_name_their_field() {
        let bad = ListInput {
            status: Some("pending".into()),
            severity: Some("grave".into()),
            rule: Some("nope".into()),
            limit: Some(0),
            loan_id: Some(-1),
            ..ListInput::default()
        };
        assert_eq!(
            fields(bad.filter().unwrap_err()),
            ["status", "severity", "rule", "limit", "loan_id"]
        );
        let ok = ListInput {
            status: Some(" active ".into()),
            unassigned: Some(true),
            ..ListInput::default()
        }
        .filter()
        .unwrap();
        assert_eq!(
            (ok.status.as_str(), ok.unassigned, ok.limit),
            ("active", true, 50)
        );
    }
}
