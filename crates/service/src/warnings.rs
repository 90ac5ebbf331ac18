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

use chrono::{Days, NaiveDate};
use loanbook_core::money::{Currency, Money};
use loanbook_core::post_loan::collections::queue_for;
use loanbook_core::post_loan::warnings::{Action, Rule, Thresholds};
use loanbook_store::audit::timestamp;
use loanbook_store::customers::CustomerRow;
use loanbook_store::warnings::{
    self as store, ActionRow, LoanFacts, NewWarning, WarningFilter, WarningRow, WatchRow,
};
use loanbook_store::{Tx, business_date, users};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Actor, App, Permission, Role, ServiceError, Violation, record};

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
    let user = users::by_username(app.db().pool(), name).await?;
    match user {
        None => Err(ServiceError::invalid(
            field,
            format!("there is no user '{name}'"),
        )),
        Some(u) if u.status != "active" => Err(ServiceError::invalid(
            field,
            format!("user '{name}' is {}", u.status),
        )),
        Some(u) if !Role::parse(&u.role).is_some_and(|r| r.allows(Permission::WarningManage)) => {
            Err(ServiceError::invalid(
                field,
                format!(
                    "user '{name}' ({}) may not work warnings (warning:manage)",
                    u.role
                ),
            ))
        }
        Some(u) => Ok(u.username),
    }
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

/// An action as sent.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// reduce_limit, freeze_limit, request_collateral, request_guarantor, accelerate or
    /// hand_to_collections.
    #[serde(default)]
    pub action: String,
    /// The loan, for a warning on the customer as a whole (limits, accelerate,
    /// collections).
    pub loan_id: Option<i64>,
    /// reduce_limit: the most the loan may have drawn in all, e.g. "60000.00".
    pub new_limit: Option<String>,
    /// Tasks: the due date; accelerate: the date to repay everything by (default: 14 days
    /// after the business date).
    pub due_on: Option<String>,
    /// Tasks: who does it (default: the owner).
    pub assigned_to: Option<String>,
    /// A note (at most 500 characters).
    pub note: Option<String>,
}

/// An action checked against its input: a task on the warning, or a step on a loan.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Task { due_on: NaiveDate },
    Loan(LoanStep),
}

/// What an action does to a loan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LoanStep {
    ReduceLimit(i64),
    FreezeLimit,
    Accelerate { pay_by: NaiveDate },
    HandToCollections,
}

/// Parses `input` into the action and its step, naming every bad field.
fn parse_action(input: &ActionInput, today: NaiveDate) -> Result<(Action, Step), ServiceError> {
    let mut v = Vec::new();
    let action = Action::parse(input.action.trim());
    if action.is_none() {
        v.push(Violation::new(
            "action",
            format!(
                "'{}' is not an action: {}",
                input.action.trim(),
                action_codes()
            ),
        ));
    }
    let task_like = matches!(
        action,
        Some(Action::RequestCollateral | Action::RequestGuarantor | Action::Accelerate)
    );
    let due_on = match input.due_on.as_deref().map(str::trim) {
        Some(t) if task_like => match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            Ok(d) if d < today => {
                v.push(Violation::new(
                    "due_on",
                    format!("{d} is before the business date {today}"),
                ));
                None
            }
            Ok(d) if d > today + Days::new(MAX_TASK_DAYS) => {
                v.push(Violation::new(
                    "due_on",
                    format!("{d} is more than {MAX_TASK_DAYS} days after the business date"),
                ));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                v.push(Violation::new(
                    "due_on",
                    format!("'{t}' is not a date (YYYY-MM-DD)"),
                ));
                None
            }
        },
        Some(_) => {
            v.push(Violation::new(
                "due_on",
                "only request_collateral, request_guarantor and accelerate take a date",
            ));
            None
        }
        None => Some(today + Days::new(DEFAULT_TASK_DAYS)),
    };
    if input.assigned_to.is_some()
        && !matches!(
            action,
            Some(Action::RequestCollateral | Action::RequestGuarantor)
        )
    {
        v.push(Violation::new(
            "assigned_to",
            "only request_collateral and request_guarantor are assigned",
        ));
    }
    let new_limit = match (&input.new_limit, action) {
        (Some(t), Some(Action::ReduceLimit)) => crate::input::amount(
            "new_limit",
            t,
            Currency::CNY,
            crate::input::Sign::Positive,
            &mut v,
        ),
        (None, Some(Action::ReduceLimit)) => {
            v.push(Violation::new(
                "new_limit",
                "is required: the most the loan may have drawn in all",
            ));
            None
        }
        (Some(_), _) => {
            v.push(Violation::new(
                "new_limit",
                "only reduce_limit takes a new limit",
            ));
            None
        }
        (None, _) => None,
    };
    if input
        .note
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        v.push(Violation::new(
            "note",
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    if input.loan_id.is_some_and(|id| id <= 0) {
        v.push(Violation::new("loan_id", "must be a positive id"));
    } else if input.loan_id.is_some()
        && matches!(
            action,
            Some(Action::RequestCollateral | Action::RequestGuarantor)
        )
    {
        v.push(Violation::new(
            "loan_id",
            "only reduce_limit, freeze_limit, accelerate and hand_to_collections act on a loan",
        ));
    }
    let (Some(action), true) = (action, v.is_empty()) else {
        return Err(ServiceError::Invalid(v));
    };
    let due_on = due_on.unwrap_or(today);
    let step = match action {
        Action::ReduceLimit => Step::Loan(LoanStep::ReduceLimit(
            new_limit.map_or(0, |m| m.amount_minor()),
        )),
        Action::FreezeLimit => Step::Loan(LoanStep::FreezeLimit),
        Action::RequestCollateral | Action::RequestGuarantor => Step::Task { due_on },
        Action::Accelerate => Step::Loan(LoanStep::Accelerate { pay_by: due_on }),
        Action::HandToCollections => Step::Loan(LoanStep::HandToCollections),
    };
    Ok((action, step))
}

/// The loan an action works on: the warning's own, or the one named for a warning on the
/// customer as a whole; it must be the customer's and active.
async fn target_loan(
    tx: &mut Tx<'_>,
    w: &WarningRow,
    named: Option<i64>,
) -> Result<LoanFacts, ServiceError> {
    let id = match (w.loan_id, named) {
        (0, None) => {
            return Err(ServiceError::invalid(
                "loan_id",
                format!(
                    "warning {} is on customer {} as a whole: name the loan to act on",
                    w.id, w.customer_id
                ),
            ));
        }
        (0, Some(id)) => id,
        (own, Some(id)) if id != own => {
            return Err(ServiceError::invalid(
                "loan_id",
                format!("warning {} is on loan {own}, not loan {id}", w.id),
            ));
        }
        (own, _) => own,
    };
    let loan = store::loan_facts(tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {id}")))?;
    if loan.customer_id != w.customer_id {
        return Err(ServiceError::invalid(
            "loan_id",
            format!("loan {id} is not a loan of customer {}", w.customer_id),
        ));
    }
    if loan.status != "active" {
        return Err(ServiceError::Conflict(format!(
            "loan {id} is {}; only an active loan is acted on",
            loan.status
        )));
    }
    Ok(loan)
}

/// Takes an action on an acknowledged (or actioned) warning; it becomes `actioned`.
///
/// # Errors
/// Forbidden without `warning:manage`; [`ServiceError::Invalid`] naming every bad field
/// (`action`, `new_limit`, `due_on`, `assigned_to`, `loan_id`, `note`); not found; a
/// conflict when the warning is open or closed, the loan is not active, has nothing left
/// to draw, is frozen already or was accelerated already.
pub async fn act(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &ActionInput,
) -> Result<WarningView, ServiceError> {
    actor.require(Permission::WarningManage)?;
    let today = app.business_date().await?;
    let (action, parsed) = parse_action(input, today)?;
    let assignee = match &input.assigned_to {
        Some(name) => Some(staff(app, actor, "assigned_to", name).await?),
        None => None,
    };
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let w = load(&mut tx, id).await?;
    if w.status == "open" || w.status == "closed" {
        return Err(ServiceError::Conflict(format!(
            "warning {id} is {}; {}",
            w.status,
            if w.status == "open" {
                "acknowledge it before acting"
            } else {
                "a closed warning takes no action"
            }
        )));
    }
    let mut s = step(&w, actor, action.code(), Value::Null, &at);
    let mut detail = parse_json(&w.detail);
    let mut what = match parsed {
        Step::Task { due_on } => {
            let to = assignee
                .or_else(|| w.owner.clone())
                .unwrap_or_else(|| actor.username.clone());
            s.due_on = Some(due_on.to_string());
            s.assigned_to = Some(to.clone());
            json!({"task": action.code(), "due_on": due_on.to_string(), "assigned_to": to, "status": "open"})
        }
        Step::Loan(loan_step) => {
            let l = target_loan(&mut tx, &w, input.loan_id).await?;
            s.loan_id = Some(l.id);
            match loan_step {
                LoanStep::ReduceLimit(to) => reduce_limit(&mut tx, &l, Some(to), &at).await?,
                LoanStep::FreezeLimit => reduce_limit(&mut tx, &l, None, &at).await?,
                LoanStep::Accelerate { pay_by } => {
                    let demand = accelerate(&mut tx, &l, today, pay_by).await?;
                    s.due_on = Some(pay_by.to_string());
                    if let Value::Object(m) = &mut detail {
                        m.insert("accelerated".into(), demand.clone());
                    } else {
                        detail = json!({"raised": detail, "accelerated": demand});
                    }
                    demand
                }
                LoanStep::HandToCollections => hand_to_collections(&mut tx, &l, today, &at).await?,
            }
        }
    };
    if let (Some(note), Value::Object(m)) = (input.note.as_deref().map(str::trim), &mut what) {
        if !note.is_empty() {
            m.insert("note".into(), json!(note));
        }
    }
    s.detail = what.to_string();
    if !store::mark_actioned(&mut tx, id, &detail.to_string(), &at).await? {
        return Err(ServiceError::Conflict(format!(
            "warning {id} changed meanwhile; retry"
        )));
    }
    log_step(&mut tx, actor, &w, s).await?;
    tx.commit().await?;
    get(app, actor, id).await
}

/// Lowers loan `l`'s drawdown limit to `to` (reduce) or to 0 (freeze: `None`).
async fn reduce_limit(
    tx: &mut Tx<'_>,
    l: &LoanFacts,
    to: Option<i64>,
    at: &str,
) -> Result<Value, ServiceError> {
    let current = l.drawdown_limit_minor.unwrap_or(l.contract_amount_minor);
    if l.disbursed_minor >= l.contract_amount_minor {
        return Err(ServiceError::Conflict(format!(
            "loan {} is fully drawn ({}): there is no undrawn limit to reduce or freeze",
            l.id,
            cny(l.disbursed_minor)
        )));
    }
    if l.drawdown_limit_minor == Some(0) {
        return Err(ServiceError::Conflict(format!(
            "loan {}'s drawdown is frozen already",
            l.id
        )));
    }
    if let Some(to) = to {
        if to >= current {
            return Err(ServiceError::invalid(
                "new_limit",
                format!(
                    "{} must be less than the current limit {}",
                    cny(to),
                    cny(current)
                ),
            ));
        }
        if to < l.disbursed_minor {
            return Err(ServiceError::invalid(
                "new_limit",
                format!(
                    "{} is less than the {} drawn already; freeze_limit stops all further drawing",
                    cny(to),
                    cny(l.disbursed_minor)
                ),
            ));
        }
    }
    let limit = to.unwrap_or(0);
    store::set_drawdown_limit(tx, l.id, limit, at).await?;
    Ok(json!({
        "loan_id": l.id,
        "from": cny(current),
        "to": cny(limit),
        "drawn": cny(l.disbursed_minor),
        "still_drawable": cny((limit - l.disbursed_minor).max(0)),
    }))
}

/// Records the demand for everything loan `l` owes, payable by `pay_by`.
async fn accelerate(
    tx: &mut Tx<'_>,
    l: &LoanFacts,
    today: NaiveDate,
    pay_by: NaiveDate,
) -> Result<Value, ServiceError> {
    if let Some((warning, at)) = store::first_action_on(tx, l.id, Action::Accelerate.code()).await?
    {
        return Err(ServiceError::Conflict(format!(
            "loan {} was accelerated already (warning {warning}, {at})",
            l.id
        )));
    }
    let total = l.principal_outstanding_minor + l.interest_minor + l.penalty_minor + l.fees_minor
        - l.advance_minor;
    Ok(json!({
        "loan_id": l.id,
        "demanded_on": today.to_string(),
        "pay_by": pay_by.to_string(),
        "principal": cny(l.principal_outstanding_minor),
        "interest": cny(l.interest_minor),
        "penalty": cny(l.penalty_minor),
        "fees": cny(l.fees_minor),
        "advance": cny(l.advance_minor),
        "total": cny(total.max(0)),
        "schedule": "unchanged: the servicing has no acceleration; the demand letter goes to the borrower from the owner",
    }))
}

/// Opens a collection case for loan `l` unless one is open.
async fn hand_to_collections(
    tx: &mut Tx<'_>,
    l: &LoanFacts,
    today: NaiveDate,
    at: &str,
) -> Result<Value, ServiceError> {
    let dpd = u32::try_from(l.dpd).unwrap_or(0);
    let queue = queue_for(dpd);
    let overdue = l.overdue_principal_minor + l.overdue_interest_minor;
    let (case_id, opened) = store::open_collection_case(
        tx,
        l.id,
        "phone",
        queue,
        l.dpd,
        overdue,
        &today.to_string(),
        at,
    )
    .await?;
    Ok(json!({
        "loan_id": l.id,
        "case_id": case_id,
        "opened": opened,
        "queue": queue,
        "dpd": l.dpd,
        "overdue": cny(overdue),
    }))
}

/// Refuses a tranche of `amount_minor` on loan `loan_id` (none before the first tranche)
/// that would take what it has drawn, `drawn_minor`, beyond its drawdown limit.
///
/// # Errors
/// [`ServiceError::Invalid`] naming `amount` and the warning (and rule) that set the limit.
pub(crate) async fn check_drawdown(
    tx: &mut Tx<'_>,
    loan_id: Option<i64>,
    drawn_minor: i64,
    amount_minor: i64,
) -> Result<(), ServiceError> {
    let Some(loan_id) = loan_id else {
        return Ok(());
    };
    let Some((limit, by)) = store::drawdown_limit(tx, loan_id).await? else {
        return Ok(());
    };
    if drawn_minor + amount_minor <= limit {
        return Ok(());
    }
    let by = by.map_or_else(String::new, |(w, rule)| {
        format!(" by early warning {w} ({rule})")
    });
    let rule = if limit == 0 {
        format!("loan {loan_id}'s drawdown is frozen{by}: no further tranche may be released")
    } else {
        format!(
            "{} would bring loan {loan_id}'s drawn total to {}, beyond its drawdown limit of {} set{by}",
            cny(amount_minor),
            cny(drawn_minor + amount_minor),
            cny(limit)
        )
    };
    Err(ServiceError::invalid("amount", rule))
}

// ---- event rules -------------------------------------------------------------------

async fn raise(
    tx: &mut Tx<'_>,
    customer_id: i64,
    rule: Rule,
    detail: Value,
    at: &str,
) -> Result<Option<i64>, ServiceError> {
    let raised_on = business_date_in(tx).await?;
    let owner = store::officer_of(tx, customer_id, 0).await?;
    Ok(store::raise(
        tx,
        &NewWarning {
            customer_id,
            loan_id: 0,
            rule: rule.code().into(),
            severity: rule.severity().code().into(),
            owner,
            raised_on: raised_on.to_string(),
            detail: detail.to_string(),
            at: at.to_owned(),
        },
    )
    .await?)
}

/// The delinquencies of a bureau snapshot (`delinquencies_24m`).
fn delinquencies(report_json: &str) -> Option<i64> {
    serde_json::from_str::<Value>(report_json)
        .ok()?
        .get("delinquencies_24m")?
        .as_i64()
}

/// After credit report `report_id` of customer `customer_id` was stored: raises
/// `bureau_delinquency` when it is the newest report of its bureau and counts more
/// delinquencies than the one before. Returns the warning raised.
///
/// # Errors
/// A database error.
pub(crate) async fn bureau_report_added(
    tx: &mut Tx<'_>,
    customer_id: i64,
    report_id: i64,
    at: &str,
) -> Result<Option<i64>, ServiceError> {
    if !store::has_active_loan(tx, customer_id).await? {
        return Ok(None);
    }
    let Some(bureau) = store::report_bureau(tx, report_id).await? else {
        return Ok(None);
    };
    let reports = store::newest_reports(tx, customer_id, &bureau).await?;
    let [new, previous] = reports.as_slice() else {
        return Ok(None);
    };
    if new.id != report_id {
        return Ok(None); // an older report filed late is not a refresh
    }
    let (Some(now), Some(before)) = (
        delinquencies(&new.report_json),
        delinquencies(&previous.report_json),
    ) else {
        return Ok(None);
    };
    if now <= before {
        return Ok(None);
    }
    let detail = json!({
        "bureau": bureau,
        "report_id": new.id,
        "pulled_on": new.pulled_on,
        "delinquencies_24m": now,
        "previous_report_id": previous.id,
        "previous_pulled_on": previous.pulled_on,
        "previous_delinquencies_24m": before,
        "new_delinquencies": now - before,
    });
    raise(tx, customer_id, Rule::BureauDelinquency, detail, at).await
}

/// After a customer update from `before` to `after`: raises `income_drop` when the monthly
/// income or the annual revenue fell by at least the threshold. Returns the warning raised.
///
/// # Errors
/// A database error.
pub(crate) async fn income_changed(
    tx: &mut Tx<'_>,
    before: &CustomerRow,
    after: &CustomerRow,
    at: &str,
) -> Result<Option<i64>, ServiceError> {
    let thresholds = Thresholds::default();
    let fell = [
        (
            "monthly_income",
            before.monthly_income_minor,
            after.monthly_income_minor,
        ),
        (
            "annual_revenue",
            before.annual_revenue_minor,
            after.annual_revenue_minor,
        ),
    ]
    .into_iter()
    .find_map(|(field, b, a)| {
        let (b, a) = (b?, a?);
        thresholds.income_fall(b, a).map(|fall| (field, b, a, fall))
    });
    let Some((field, b, a, fall)) = fell else {
        return Ok(None);
    };
    if !store::has_active_loan(tx, after.id).await? {
        return Ok(None);
    }
    let detail = json!({
        "field": field,
        "before": cny(b),
        "after": cny(a),
        "fall": fall.to_string(),
        "threshold": thresholds.income_drop.to_string(),
    });
    raise(tx, after.id, Rule::IncomeDrop, detail, at).await
}

/// A customer's loan-to-value and the warning raised for it, if any.
#[derive(Clone, Debug, Serialize)]
pub struct LtvView {
    /// The customer.
    pub customer_id: i64,
    /// Principal outstanding on its active loans.
    pub outstanding: Money,
    /// Value of its collateral not released.
    pub valuation: Money,
    /// outstanding / valuation, 4 places.
    pub ltv: String,
    /// Above the threshold?
    pub breach: bool,
    /// The warning raised now (none when not breached, or one is open).
    pub warning_id: Option<i64>,
}

fn ltv_text(e: &store::Exposure) -> String {
    if e.valuation_minor <= 0 {
        return "—".into();
    }
    (rust_decimal::Decimal::from(e.outstanding_minor)
        / rust_decimal::Decimal::from(e.valuation_minor))
    .round_dp(4)
    .to_string()
}

fn ltv_warning(e: &store::Exposure, t: &Thresholds) -> Option<Value> {
    let ltv = t.ltv_breach(e.outstanding_minor, e.valuation_minor)?;
    Some(json!({
        "outstanding": cny(e.outstanding_minor),
        "valuation": cny(e.valuation_minor),
        "collaterals": e.collaterals,
        "ltv": ltv.to_string(),
        "max_ltv": t.max_ltv.to_string(),
    }))
}

/// Evaluates customer `customer_id`'s loan-to-value; raises `collateral_ltv` above the
/// threshold. `None` for a customer without an active loan or collateral.
async fn ltv_of(
    tx: &mut Tx<'_>,
    customer_id: i64,
    at: &str,
) -> Result<Option<LtvView>, ServiceError> {
    let t = Thresholds::default();
    let Some(e) = store::exposures(&mut **tx, customer_id, 0, 1).await?.pop() else {
        return Ok(None);
    };
    let warning_id = match ltv_warning(&e, &t) {
        Some(detail) => raise(tx, customer_id, Rule::CollateralLtv, detail, at).await?,
        None => None,
    };
    Ok(Some(LtvView {
        customer_id,
        outstanding: cny(e.outstanding_minor),
        valuation: cny(e.valuation_minor),
        ltv: ltv_text(&e),
        breach: t
            .ltv_breach(e.outstanding_minor, e.valuation_minor)
            .is_some(),
        warning_id,
    }))
}

fn watch_detail(w: &WatchRow) -> Value {
    json!({"kind": w.kind, "value": w.value, "entry_id": w.id, "reason": w.reason})
}

/// Raises `watch_list` on customer `customer_id` (with an active loan) when its industry
/// or province is on the watch list. Returns how many were raised (0 or 1).
///
/// # Errors
/// A database error.
pub(crate) async fn flag_watched_borrower(
    tx: &mut Tx<'_>,
    customer_id: i64,
    at: &str,
) -> Result<u64, ServiceError> {
    let Some(entry) = store::watched_for(tx, customer_id)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(0);
    };
    let raised_on = business_date_in(tx).await?.to_string();
    Ok(store::raise_watched(
        tx,
        &entry.kind,
        &entry.value,
        customer_id,
        Rule::WatchList.severity().code(),
        &raised_on,
        &watch_detail(&entry).to_string(),
        at,
    )
    .await?)
}

/// A collateral's new appraisal.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RevaluationInput {
    /// The appraised value, e.g. "880000.00".
    pub valuation: String,
    /// Appraisal date (YYYY-MM-DD), not after the business date.
    pub valued_on: String,
}

/// A revaluation and what it did to the customer's loan-to-value.
#[derive(Clone, Debug, Serialize)]
pub struct RevaluationView {
    /// The collateral.
    pub collateral_id: i64,
    /// Its customer.
    pub customer_id: i64,
    /// The value before.
    pub previous_valuation: Money,
    /// The value now.
    pub valuation: Money,
    /// Appraisal date.
    pub valued_on: String,
    /// The customer's loan-to-value now (none without an active loan).
    pub ltv: Option<LtvView>,
}

/// Revalues a collateral and evaluates its customer's loan-to-value (`collateral_ltv`).
///
/// # Errors
/// Forbidden without `customer:write`; [`ServiceError::Invalid`] naming `valuation` or
/// `valued_on`; not found.
pub async fn revalue_collateral(
    app: &App,
    actor: &Actor,
    collateral_id: i64,
    input: &RevaluationInput,
) -> Result<RevaluationView, ServiceError> {
    actor.require(Permission::CustomerWrite)?;
    let today = app.business_date().await?;
    let mut v = Vec::new();
    let valuation = crate::input::amount(
        "valuation",
        &input.valuation,
        Currency::CNY,
        crate::input::Sign::Positive,
        &mut v,
    );
    match NaiveDate::parse_from_str(input.valued_on.trim(), "%Y-%m-%d") {
        Ok(d) if d > today => v.push(Violation::new(
            "valued_on",
            format!("{d} is after the business date {today}"),
        )),
        Ok(_) => {}
        Err(_) => v.push(Violation::new(
            "valued_on",
            format!("'{}' is not a date (YYYY-MM-DD)", input.valued_on.trim()),
        )),
    }
    let (Some(valuation), true) = (valuation, v.is_empty()) else {
        return Err(ServiceError::Invalid(v));
    };
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let (customer_id, before, before_on) = store::revalue_collateral(
        &mut tx,
        collateral_id,
        valuation.amount_minor(),
        input.valued_on.trim(),
    )
    .await?
    .ok_or_else(|| ServiceError::NotFound(format!("collateral {collateral_id}")))?;
    let ltv = ltv_of(&mut tx, customer_id, &at).await?;
    let view = RevaluationView {
        collateral_id,
        customer_id,
        previous_valuation: cny(before),
        valuation,
        valued_on: input.valued_on.trim().to_owned(),
        ltv,
    };
    record(
        &mut tx,
        actor,
        "collateral.revalue",
        "customer",
        &customer_id.to_string(),
        Some(json!({"collateral": collateral_id, "valuation": cny(before), "valued_on": before_on})),
        Some(json!({"collateral": collateral_id, "valuation": valuation, "valued_on": view.valued_on, "ltv": view.ltv})),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// What an evaluation checked and raised.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EvaluationView {
    /// Customers with collateral and an active loan whose loan-to-value was computed.
    pub customers_checked: u64,
    /// `collateral_ltv` warnings raised.
    pub collateral_ltv_raised: u64,
    /// `watch_list` warnings raised.
    pub watch_list_raised: u64,
    /// The customer's loan-to-value, when one customer was evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ltv: Option<LtvView>,
}

/// Evaluates the loan-to-value and watch-list rules for one customer, or for the whole
/// book ([`evaluate_all`]) when `customer_id` is none.
///
/// # Errors
/// Forbidden without `warning:manage`; not found (customer).
pub async fn evaluate(
    app: &App,
    actor: &Actor,
    customer_id: Option<i64>,
) -> Result<EvaluationView, ServiceError> {
    let Some(customer_id) = customer_id else {
        return evaluate_all(app, actor).await;
    };
    actor.require(Permission::WarningManage)?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    loanbook_store::customers::get(&mut *tx, customer_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("customer {customer_id}")))?;
    let ltv = ltv_of(&mut tx, customer_id, &at).await?;
    let view = EvaluationView {
        customers_checked: u64::from(ltv.is_some()),
        collateral_ltv_raised: u64::from(ltv.as_ref().is_some_and(|l| l.warning_id.is_some())),
        watch_list_raised: flag_watched_borrower(&mut tx, customer_id, &at).await?,
        ltv,
    };
    record(
        &mut tx,
        actor,
        "warning.evaluate",
        "customer",
        &customer_id.to_string(),
        None,
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Re-runs the loan-to-value and watch-list rules over the whole book (the monthly job):
/// 1. customers with collateral and an active loan, 500 per transaction, by id: each
///    above the threshold gets `collateral_ltv` unless one is open;
/// 2. every entry on the watch list flags the customers with an active loan in its
///    industry or region (one statement per entry);
/// 3. an audit record with the counts.
///
/// # Errors
/// Forbidden without `warning:manage`; a database error (pages committed stay).
pub async fn evaluate_all(app: &App, actor: &Actor) -> Result<EvaluationView, ServiceError> {
    actor.require(Permission::WarningManage)?;
    let t = Thresholds::default();
    let today = app.business_date().await?.to_string();
    let at = timestamp(app.now());
    let mut view = EvaluationView::default();
    let mut after = 0;
    loop {
        let mut tx = app.db().begin().await?;
        let page = store::exposures(&mut *tx, 0, after, EVALUATE_PAGE).await?;
        let Some(last) = page.last() else {
            tx.rollback().await?;
            break;
        };
        after = last.customer_id;
        view.customers_checked += page.len() as u64;
        let breached: Vec<(i64, Value)> = page
            .iter()
            .filter_map(|e| ltv_warning(e, &t).map(|d| (e.customer_id, d)))
            .collect();
        let ids: Vec<i64> = breached.iter().map(|(c, _)| *c).collect();
        let officers = store::officers_of(&mut tx, &ids).await?;
        let rows: Vec<NewWarning> = breached
            .into_iter()
            .map(|(customer_id, detail)| NewWarning {
                customer_id,
                loan_id: 0,
                rule: Rule::CollateralLtv.code().into(),
                severity: Rule::CollateralLtv.severity().code().into(),
                owner: officers
                    .iter()
                    .find(|(c, _)| *c == customer_id)
                    .map(|(_, o)| o.clone()),
                raised_on: today.clone(),
                detail: detail.to_string(),
                at: at.clone(),
            })
            .collect();
        view.collateral_ltv_raised += store::raise_many(&mut tx, &rows).await?;
        tx.commit().await?;
        if (page.len() as i64) < EVALUATE_PAGE {
            break;
        }
    }
    let mut tx = app.db().begin().await?;
    for entry in store::watch_list(&mut *tx, false, MAX_WATCH_ENTRIES).await? {
        view.watch_list_raised += raise_entry(&mut tx, &entry, &today, &at).await?;
    }
    record(
        &mut tx,
        actor,
        "warning.evaluate_all",
        "warning",
        "book",
        None,
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

async fn raise_entry(
    tx: &mut Tx<'_>,
    entry: &WatchRow,
    raised_on: &str,
    at: &str,
) -> Result<u64, ServiceError> {
    Ok(store::raise_watched(
        tx,
        &entry.kind,
        &entry.value,
        0,
        Rule::WatchList.severity().code(),
        raised_on,
        &watch_detail(entry).to_string(),
        at,
    )
    .await?)
}

// ---- the industry and region watch list ---------------------------------------------

/// A watch-list entry as sent.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WatchInput {
    /// `industry` or `region` (a province, as customers record it, e.g. 广东省).
    #[serde(default)]
    pub kind: String,
    /// The industry or province.
    #[serde(default)]
    pub value: String,
    /// Why it is watched.
    #[serde(default)]
    pub reason: String,
}

/// A watch-list entry as shown.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct WatchView {
    pub id: i64,
    pub kind: String,
    pub value: String,
    pub reason: String,
    pub added_by: String,
    pub added_at: String,
    pub removed_by: Option<String>,
    pub removed_at: Option<String>,
}

impl From<WatchRow> for WatchView {
    fn from(w: WatchRow) -> WatchView {
        WatchView {
            id: w.id,
            kind: w.kind,
            value: w.value,
            reason: w.reason,
            added_by: w.added_by,
            added_at: w.added_at,
            removed_by: w.removed_by,
            removed_at: w.removed_at,
        }
    }
}

/// An entry added and the warnings it raised.
#[derive(Clone, Debug, Serialize)]
pub struct WatchAdded {
    /// The entry.
    pub entry: WatchView,
    /// `watch_list` warnings raised for the customers with an active loan there.
    pub warnings_raised: u64,
}

/// Puts an industry or region on the watch list and flags every customer with an active
/// loan there (`watch_list`).
///
/// # Errors
/// Forbidden without `policy:manage`; [`ServiceError::Invalid`] naming `kind`, `value` or
/// `reason`; a conflict when the entry is on the list already.
pub async fn add_watch(
    app: &App,
    actor: &Actor,
    input: &WatchInput,
) -> Result<WatchAdded, ServiceError> {
    actor.require(Permission::PolicyManage)?;
    let mut v = Vec::new();
    let kind = input.kind.trim();
    if !WATCH_KINDS.contains(&kind) {
        v.push(Violation::new(
            "kind",
            format!("'{kind}' is not industry or region"),
        ));
    }
    let value = input.value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        v.push(Violation::new("value", "must be 1–100 characters"));
    }
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_NOTE_CHARS {
        v.push(Violation::new(
            "reason",
            format!("must be 1–{MAX_NOTE_CHARS} characters"),
        ));
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let today = app.business_date().await?.to_string();
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let mut row = WatchRow {
        kind: kind.into(),
        value: value.into(),
        reason: reason.into(),
        added_by: actor.username.clone(),
        added_at: at.clone(),
        ..WatchRow::default()
    };
    row.id = store::add_watch(&mut tx, &row).await?.ok_or_else(|| {
        ServiceError::Conflict(format!("the {kind} '{value}' is on the watch list already"))
    })?;
    let raised = raise_entry(&mut tx, &row, &today, &at).await?;
    let added = WatchAdded {
        entry: WatchView::from(row),
        warnings_raised: raised,
    };
    record(
        &mut tx,
        actor,
        "risk_watch_list.add",
        "risk_watch_list",
        &added.entry.id.to_string(),
        None,
        Some(serde_json::to_value(&added).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(added)
}

/// The watch list, with the removed entries when `removed`.
///
/// # Errors
/// Forbidden without `warning:manage`.
pub async fn watch_list(
    app: &App,
    actor: &Actor,
    removed: bool,
) -> Result<Vec<WatchView>, ServiceError> {
    actor.require(Permission::WarningManage)?;
    Ok(
        store::watch_list(app.db().pool(), removed, MAX_WATCH_ENTRIES)
            .await?
            .into_iter()
            .map(WatchView::from)
            .collect(),
    )
}

/// Takes entry `id` off the watch list (kept, stamped removed). Warnings it raised stay
/// open until closed by someone.
///
/// # Errors
/// Forbidden without `policy:manage`; not found; a conflict when removed already.
pub async fn remove_watch(app: &App, actor: &Actor, id: i64) -> Result<WatchView, ServiceError> {
    actor.require(Permission::PolicyManage)?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let before = store::watch(&mut *tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("watch-list entry {id}")))?;
    if !store::remove_watch(&mut tx, id, &actor.username, &at).await? {
        return Err(ServiceError::Conflict(format!(
            "watch-list entry {id} was removed already"
        )));
    }
    let after = store::watch(&mut *tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("watch-list entry {id}")))?;
    record(
        &mut tx,
        actor,
        "risk_watch_list.remove",
        "risk_watch_list",
        &id.to_string(),
        Some(serde_json::to_value(WatchView::from(before)).unwrap_or_default()),
        Some(serde_json::to_value(WatchView::from(after.clone())).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(WatchView::from(after))
}

#[cfg(test)]
#[path = "warnings_tests.rs"]
mod tests;

#[cfg(test)]
mod unit {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn input(action: &str) -> ActionInput {
        ActionInput {
            action: action.into(),
            ..ActionInput::default()
        }
    }

    fn fields(e: ServiceError) -> Vec<String> {
        match e {
            ServiceError::Invalid(v) => v.into_iter().map(|x| x.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn actions_parse_with_their_own_fields_only() {
        let (a, s) = parse_action(&input("freeze_limit"), today()).unwrap();
        assert_eq!(
            (a, s),
            (Action::FreezeLimit, Step::Loan(LoanStep::FreezeLimit))
        );
        let reduce = ActionInput {
            new_limit: Some("60000".into()),
            ..input("reduce_limit")
        };
        assert_eq!(
            parse_action(&reduce, today()).unwrap().1,
            Step::Loan(LoanStep::ReduceLimit(6_000_000))
        );
        // a task falls due 14 days after the business date unless told
        let (_, s) = parse_action(&input("request_collateral"), today()).unwrap();
        assert_eq!(
            s,
            Step::Task {
                due_on: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
            }
        );
        let bad = ActionInput {
            new_limit: Some("1".into()),
            due_on: Some("2026-11-01".into()),
            assigned_to: Some("x".into()),
            ..input("freeze_limit")
        };
        assert_eq!(
            fields(parse_action(&bad, today()).unwrap_err()),
            ["due_on", "assigned_to", "new_limit"]
        );
        assert_eq!(
            fields(parse_action(&input("reduce_limit"), today()).unwrap_err()),
            ["new_limit"]
        );
        assert_eq!(
            fields(parse_action(&input("shout"), today()).unwrap_err()),
            ["action"]
        );
        let late = ActionInput {
            due_on: Some("2026-11-22".into()),
            ..input("accelerate")
        };
        assert_eq!(
            fields(parse_action(&late, today()).unwrap_err()),
            ["due_on"]
        );
    }

    #[test]
    fn delinquencies_come_from_the_snapshot() {
        assert_eq!(delinquencies(r#"{"delinquencies_24m": 2}"#), Some(2));
        assert_eq!(delinquencies(r#"{"score": 600}"#), None);
        assert_eq!(delinquencies("not json"), None);
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
