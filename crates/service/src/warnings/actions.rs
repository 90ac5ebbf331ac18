//! Actions on a warning: limits (the drawdown check of tranches too), tasks,
//! acceleration and hand-over to collections.

use chrono::{Days, NaiveDate};
use loanbook_core::money::Currency;
use loanbook_core::post_loan::collections::queue_for;
use loanbook_core::post_loan::warnings::Action;
use loanbook_store::Tx;
use loanbook_store::audit::timestamp;
use loanbook_store::warnings::{self as store, LoanFacts, WarningRow};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    DEFAULT_TASK_DAYS, MAX_NOTE_CHARS, MAX_TASK_DAYS, WarningView, action_codes, cny, get, load,
    log_step, parse_json, staff, step,
};
use crate::{Actor, App, Permission, ServiceError, Violation};

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
    if let (Some(note), Value::Object(m)) = (input.note.as_deref().map(str::trim), &mut what)
        && !note.is_empty()
    {
        m.insert("note".into(), json!(note));
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

#[cfg(test)]
mod tests {
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
}
