//! The strategy, collectors, cases and their work: the queue, the action log under the
//! contact rules, promises to pay and assignment.

use chrono::{DateTime, NaiveDate, Utc};
use loanbook_core::post_loan::collections::{PromiseError, Stage, Strategy, check_promise};
use loanbook_core::post_loan::contact::{ContactRules, Outcome, Party};
use loanbook_store::Tx;
use loanbook_store::audit::timestamp;
use loanbook_store::collection_work::{self as work, ActionRow, CaseFilter, CaseRow, PromiseRow};
use loanbook_store::collections::{self as store, CollectorRow};
use serde::{Deserialize, Serialize};

use super::{CollectorView, local, money, zone};
use crate::input::{Sign, amount};
use crate::{Actor, App, Permission, ServiceError, record};

/// The strategy in force.
///
/// # Errors
/// Forbidden without `collection:work`.
pub async fn strategy(app: &App, actor: &Actor) -> Result<Strategy, ServiceError> {
    actor.require(Permission::CollectionWork)?;
    Ok(super::strategy_from(
        store::strategy(app.db().pool()).await?.as_deref(),
    ))
}

/// Saves a new strategy (the close uses it from its next run).
///
/// # Errors
/// Forbidden without `collection:manage`; [`ServiceError::Invalid`] naming `steps`.
pub async fn set_strategy(
    app: &App,
    actor: &Actor,
    strategy: &Strategy,
) -> Result<Strategy, ServiceError> {
    actor.require(Permission::CollectionManage)?;
    strategy
        .check()
        .map_err(|e| ServiceError::invalid("steps", e.to_string()))?;
    let json = serde_json::to_string(strategy).unwrap_or_default();
    let mut tx = app.db().begin().await?;
    store::put_strategy(&mut tx, &json, &actor.username, &timestamp(app.now())).await?;
    record(
        &mut tx,
        actor,
        "collection.strategy",
        "collection_strategy",
        "current",
        None,
        serde_json::to_value(strategy).ok(),
    )
    .await?;
    tx.commit().await?;
    Ok(strategy.clone())
}

/// A collector's settings.
#[derive(Clone, Debug, Deserialize)]
pub struct CollectorInput {
    /// Login name of a user whose role works collection cases.
    pub username: String,
    /// Queues: `M1`, `M2`, `M3`, `M4+`.
    pub queues: Vec<String>,
    /// Region (province) covered, for assignment by region.
    pub region: Option<String>,
    /// Takes new cases (default yes).
    pub active: Option<bool>,
    /// Most open cases at once (default 500).
    pub max_open_cases: Option<i64>,
}

const QUEUES: [&str; 4] = ["M1", "M2", "M3", "M4+"];

/// Creates or changes a collector.
///
/// # Errors
/// Forbidden without `collection:manage`; [`ServiceError::Invalid`] naming `username`,
/// `queues` or `max_open_cases`.
pub async fn put_collector(
    app: &App,
    actor: &Actor,
    input: &CollectorInput,
) -> Result<CollectorView, ServiceError> {
    actor.require(Permission::CollectionManage)?;
    let mut v = Vec::new();
    if let Err(violation) =
        crate::auth::worker(app, "username", &input.username, Permission::CollectionWork).await?
    {
        v.push(violation);
    }
    if input.queues.is_empty() || input.queues.iter().any(|q| !QUEUES.contains(&q.as_str())) {
        v.push(crate::Violation::new(
            "queues",
            format!("must be one or more of {}", QUEUES.join(", ")),
        ));
    }
    let max = input.max_open_cases.unwrap_or(500);
    if !(1..=100_000).contains(&max) {
        v.push(crate::Violation::new(
            "max_open_cases",
            "must be from 1 to 100000",
        ));
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let row = CollectorRow {
        username: input.username.trim().to_owned(),
        queues: input.queues.join(","),
        region: input
            .region
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        active: input.active.unwrap_or(true),
        max_open_cases: max,
        open_cases: 0,
    };
    let mut tx = app.db().begin().await?;
    store::put_collector(&mut tx, &row, &timestamp(app.now())).await?;
    record(
        &mut tx,
        actor,
        "collection.collector",
        "collector",
        &row.username,
        None,
        Some(serde_json::json!({"queues": row.queues, "region": row.region, "active": row.active, "max_open_cases": max})),
    )
    .await?;
    let view = collectors_in(&mut tx)
        .await?
        .into_iter()
        .find(|c| c.username == row.username);
    tx.commit().await?;
    view.ok_or_else(|| ServiceError::NotFound(format!("collector {}", row.username)))
}

async fn collectors_in(tx: &mut Tx<'_>) -> Result<Vec<CollectorView>, ServiceError> {
    Ok(store::collectors(tx)
        .await?
        .into_iter()
        .map(|c| CollectorView {
            queues: c.queues.split(',').map(str::to_owned).collect(),
            username: c.username,
            region: c.region,
            active: c.active,
            max_open_cases: c.max_open_cases,
            open_cases: c.open_cases,
        })
        .collect())
}

/// Every collector with their open cases.
///
/// # Errors
/// Forbidden without `collection:work`.
pub async fn collectors(app: &App, actor: &Actor) -> Result<Vec<CollectorView>, ServiceError> {
    actor.require(Permission::CollectionWork)?;
    let mut tx = app.db().begin().await?;
    let list = collectors_in(&mut tx).await?;
    tx.commit().await?;
    Ok(list)
}

/// A case as a work queue shows it.
#[derive(Clone, Debug, Serialize)]
pub struct CaseView {
    /// Case id.
    pub id: i64,
    /// Loan id.
    pub loan_id: i64,
    /// Customer id.
    pub customer_id: i64,
    /// Customer name.
    pub customer_name: String,
    /// Phone, masked.
    pub phone: Option<String>,
    /// open or closed.
    pub status: String,
    /// reminder, phone, field, legal or agency.
    pub stage: String,
    /// The bucket queue: M1, M2, M3, M4+.
    pub queue: String,
    /// Region (province).
    pub region: Option<String>,
    /// Collector.
    pub assigned_to: Option<String>,
    /// Business date opened.
    pub opened_on: String,
    /// Days past due at the last close.
    pub dpd: i64,
    /// Overdue principal, interest and penalty at the last close.
    pub overdue: String,
    /// Escalations (broken promises, manual).
    pub escalations: i64,
    /// Promises broken.
    pub broken_promises: i64,
    /// Business date closed.
    pub closed_on: Option<String>,
    /// cured, loan_closed, settled, written_off, manual.
    pub close_reason: Option<String>,
}

impl From<CaseRow> for CaseView {
    fn from(c: CaseRow) -> CaseView {
        CaseView {
            id: c.id,
            loan_id: c.loan_id,
            customer_id: c.customer_id,
            customer_name: c.customer_name,
            phone: c.phone_masked,
            status: c.status,
            stage: c.stage,
            queue: c.queue,
            region: c.region,
            assigned_to: c.assigned_to,
            opened_on: c.opened_on,
            dpd: c.dpd,
            overdue: money(c.overdue_minor),
            escalations: c.escalations,
            broken_promises: c.broken_promises,
            closed_on: c.closed_on,
            close_reason: c.close_reason,
        }
    }
}

/// Which cases to list.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CaseQuery {
    /// open (default) or closed or all.
    pub status: Option<String>,
    /// A bucket queue.
    pub queue: Option<String>,
    /// A collector (`me` for oneself).
    pub assigned_to: Option<String>,
    /// A loan.
    pub loan_id: Option<i64>,
    /// At most this many (default 200, at most 5000).
    pub limit: Option<i64>,
}

/// Cases by `query`, most days past due first; a collector without `collection:manage`
/// sees only their own.
///
/// # Errors
/// Forbidden without `collection:work`; [`ServiceError::Invalid`] naming `status`,
/// `queue` or `limit`.
pub async fn list(app: &App, actor: &Actor, q: &CaseQuery) -> Result<Vec<CaseView>, ServiceError> {
    actor.require(Permission::CollectionWork)?;
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("") | Some("open") => Some("open".to_owned()),
        Some("closed") => Some("closed".to_owned()),
        Some("all") => None,
        Some(other) => {
            return Err(ServiceError::invalid(
                "status",
                format!("must be open, closed or all (got '{other}')"),
            ));
        }
    };
    if let Some(queue) = &q.queue
        && !QUEUES.contains(&queue.as_str())
    {
        return Err(ServiceError::invalid(
            "queue",
            format!("must be one of {} (got '{queue}')", QUEUES.join(", ")),
        ));
    }
    let limit = q.limit.unwrap_or(200);
    if !(1..=5000).contains(&limit) {
        return Err(ServiceError::invalid("limit", "must be from 1 to 5000"));
    }
    let manager = actor.role.allows(Permission::CollectionManage);
    let assigned_to = match q.assigned_to.as_deref() {
        _ if !manager => Some(actor.username.clone()),
        Some("me") => Some(actor.username.clone()),
        other => other.map(str::to_owned),
    };
    let rows = work::cases(
        app.db().pool(),
        &CaseFilter {
            status,
            queue: q.queue.clone(),
            assigned_to,
            loan_id: q.loan_id,
            limit,
        },
    )
    .await?;
    Ok(rows.into_iter().map(CaseView::from).collect())
}

/// A case with everything done on it.
#[derive(Clone, Debug, Serialize)]
pub struct CaseDetail {
    /// The case.
    pub case: CaseView,
    /// The action log, oldest first.
    pub actions: Vec<ActionRow>,
    /// Promises to pay, newest first.
    pub promises: Vec<PromiseView>,
    /// Field visits.
    pub field_visits: Vec<work::Record>,
    /// Legal cases.
    pub legal_cases: Vec<work::Record>,
    /// Agency placements.
    pub agency_placements: Vec<work::Record>,
    /// Settlement offers.
    pub settlements: Vec<work::Record>,
}

/// A promise to pay.
#[derive(Clone, Debug, Serialize)]
pub struct PromiseView {
    /// Id.
    pub id: i64,
    /// Date promised.
    pub promised_date: String,
    /// Amount promised.
    pub amount: String,
    /// Business date made.
    pub made_on: String,
    /// open, kept, broken or cancelled.
    pub status: String,
    /// Paid since it was made (when judged).
    pub paid: String,
    /// Business date judged.
    pub resolved_on: Option<String>,
    /// Who took it.
    pub created_by: String,
}

impl From<PromiseRow> for PromiseView {
    fn from(p: PromiseRow) -> PromiseView {
        PromiseView {
            id: p.id,
            promised_date: p.promised_date,
            amount: money(p.amount_minor),
            made_on: p.made_on,
            status: p.status,
            paid: money(p.paid_minor),
            resolved_on: p.resolved_on,
            created_by: p.created_by,
        }
    }
}

/// Case `id` with its log, promises and sub-processes.
///
/// # Errors
/// Forbidden without `collection:work` or for another collector's case; not found.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<CaseDetail, ServiceError> {
    actor.require(Permission::CollectionWork)?;
    let pool = app.db().pool();
    let case = work::case(pool, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("collection case {id}")))?;
    may_work(actor, &case)?;
    Ok(CaseDetail {
        actions: work::actions(pool, id).await?,
        promises: work::promises(pool, id)
            .await?
            .into_iter()
            .map(PromiseView::from)
            .collect(),
        field_visits: work::list(pool, "field_visits", "case_id", id).await?,
        legal_cases: work::list(pool, "legal_cases", "case_id", id).await?,
        agency_placements: work::list(pool, "agency_placements", "case_id", id).await?,
        settlements: work::list(pool, "settlements", "case_id", id).await?,
        case: case.into(),
    })
}

/// A collector works only their own cases; a manager any.
pub(crate) fn may_work(actor: &Actor, case: &CaseRow) -> Result<(), ServiceError> {
    if actor.role.allows(Permission::CollectionManage)
        || case.assigned_to.as_deref() == Some(actor.username.as_str())
    {
        Ok(())
    } else {
        Err(ServiceError::Refused {
            rule: "case_owner",
            detail: format!(
                "case {} is assigned to {}; only its collector or a manager may work it",
                case.id,
                case.assigned_to.as_deref().unwrap_or("nobody")
            ),
        })
    }
}

/// Loads open case `id` for `actor` to work inside `tx`.
pub(crate) async fn open_case(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
) -> Result<CaseRow, ServiceError> {
    let case = work::case(&mut **tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("collection case {id}")))?;
    may_work(actor, &case)?;
    if case.status != "open" {
        return Err(ServiceError::Conflict(format!(
            "collection case {id} is closed"
        )));
    }
    Ok(case)
}

/// Gives case `id` to `collector` by hand.
///
/// # Errors
/// Forbidden without `collection:manage`; [`ServiceError::Invalid`] naming `collector`;
/// not found; a conflict for a closed case.
pub async fn assign(
    app: &App,
    actor: &Actor,
    id: i64,
    collector: &str,
) -> Result<CaseView, ServiceError> {
    actor.require(Permission::CollectionManage)?;
    let mut tx = app.db().begin().await?;
    let case = open_case(&mut tx, actor, id).await?;
    if !store::collectors(&mut tx)
        .await?
        .iter()
        .any(|c| c.username == collector && c.active)
    {
        return Err(ServiceError::invalid(
            "collector",
            format!("'{collector}' is not an active collector"),
        ));
    }
    store::assign(&mut tx, id, collector, &timestamp(app.now())).await?;
    record(
        &mut tx,
        actor,
        "collection.assign",
        "collection_case",
        &id.to_string(),
        Some(serde_json::json!({"assigned_to": case.assigned_to})),
        Some(serde_json::json!({"assigned_to": collector})),
    )
    .await?;
    let after = work::case(&mut *tx, id).await?;
    tx.commit().await?;
    after
        .map(CaseView::from)
        .ok_or_else(|| ServiceError::NotFound(format!("collection case {id}")))
}

/// An entry for the action log.
#[derive(Clone, Debug, Deserialize)]
pub struct ActionInput {
    /// call, sms, letter, email, visit or note.
    pub kind: String,
    /// Who was contacted: borrower, guarantor, relative, employer or third_party.
    pub party: String,
    /// The outcome: no_answer, unreachable, wrong_number, left_message, promise_to_pay,
    /// claims_paid, dispute, refuses_to_pay, hardship, visited or other.
    pub outcome: String,
    /// What was said or done.
    #[serde(default)]
    pub note: String,
}

const KINDS: [&str; 6] = ["call", "sms", "letter", "email", "visit", "note"];

/// Logs an action on case `id` at `now` (the wall clock: a call is checked against the
/// borrower's local time); calls follow the contact rules: no calls in the quiet hours,
/// at most the daily attempts, nothing about the debt to a third party.
///
/// # Errors
/// Forbidden without `collection:work` or for another collector's case;
/// [`ServiceError::Invalid`] naming `kind`, `party`, `outcome` or `note`, or the contact
/// rule broken (`party` for disclosure, `at` for quiet hours and the attempt cap).
pub async fn log_action(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &ActionInput,
    now: DateTime<Utc>,
) -> Result<ActionRow, ServiceError> {
    actor.require(Permission::CollectionWork)?;
    let mut v = Vec::new();
    if !KINDS.contains(&input.kind.as_str()) {
        v.push(crate::Violation::new(
            "kind",
            format!("must be one of {} (got '{}')", KINDS.join(", "), input.kind),
        ));
    }
    let party = Party::parse(&input.party);
    if party.is_none() {
        v.push(crate::Violation::new(
            "party",
            format!("unknown party '{}'", input.party),
        ));
    }
    let outcome = Outcome::parse(&input.outcome);
    if outcome.is_none() {
        v.push(crate::Violation::new(
            "outcome",
            format!("unknown outcome '{}'", input.outcome),
        ));
    }
    if input.note.chars().count() > 2000 {
        v.push(crate::Violation::new(
            "note",
            "must be at most 2000 characters",
        ));
    }
    let (Some(party), Some(outcome)) = (party, outcome) else {
        return Err(ServiceError::Invalid(v));
    };
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let date = app.business_date().await?;
    let mut tx = app.db().begin().await?;
    let case = open_case(&mut tx, actor, id).await?;
    let rules = ContactRules::default();
    if input.kind == "call" {
        let tz = zone(work::time_zone(&mut tx, case.customer_id).await?.as_deref());
        let attempts = work::calls_on(&mut tx, id, &date.to_string()).await?;
        rules
            .check_call(
                local(now, tz).time(),
                u32::try_from(attempts).unwrap_or(u32::MAX),
                party,
                outcome,
            )
            .map_err(|e| {
                let field = match e {
                    loanbook_core::post_loan::contact::ContactError::Disclosure { .. } => "party",
                    _ => "at",
                };
                ServiceError::invalid(field, e.to_string())
            })?;
    } else if !party.is_obligor() && outcome.discusses_debt() {
        return Err(ServiceError::invalid(
            "party",
            "the debt may not be disclosed to a third party",
        ));
    }
    let mut row = ActionRow {
        id: 0,
        case_id: id,
        business_date: date.to_string(),
        at: timestamp(now),
        actor: actor.username.clone(),
        kind: input.kind.clone(),
        party: party.code().into(),
        outcome: outcome.code().into(),
        note: input.note.trim().to_owned(),
    };
    row.id = work::insert_action(&mut tx, &row).await?;
    if input.kind == "call" && case.stage == Stage::Reminder.code() {
        work::set_stage(&mut tx, id, Stage::Phone.code(), &row.at).await?;
    }
    record(
        &mut tx,
        actor,
        "collection.action",
        "collection_case",
        &id.to_string(),
        None,
        serde_json::to_value(&row).ok(),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// A promise to pay.
#[derive(Clone, Debug, Deserialize)]
pub struct PromiseInput {
    /// Amount promised, e.g. "1500.00".
    pub amount: String,
    /// Date promised (YYYY-MM-DD), at most 30 days ahead.
    pub promised_date: String,
}

/// Records a promise to pay on case `id` (replacing an open one); the close judges it.
///
/// # Errors
/// Forbidden as [`log_action`]; [`ServiceError::Invalid`] naming `amount` (not positive,
/// more than overdue) or `promised_date`.
pub async fn promise(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &PromiseInput,
) -> Result<PromiseView, ServiceError> {
    actor.require(Permission::CollectionWork)?;
    let mut v = Vec::new();
    let amount = amount(
        "amount",
        &input.amount,
        loanbook_core::money::Currency::CNY,
        Sign::Positive,
        &mut v,
    );
    let date = NaiveDate::parse_from_str(input.promised_date.trim(), "%Y-%m-%d").ok();
    if date.is_none() {
        v.push(crate::Violation::new(
            "promised_date",
            format!("'{}' is not a date (YYYY-MM-DD)", input.promised_date),
        ));
    }
    let (Some(amount), Some(promised)) = (amount, date) else {
        return Err(ServiceError::Invalid(v));
    };
    let today = app.business_date().await?;
    let mut tx = app.db().begin().await?;
    let case = open_case(&mut tx, actor, id).await?;
    let owed = owed_now(&mut tx, case.loan_id)
        .await?
        .max(case.overdue_minor);
    check_promise(today, promised, amount.amount_minor(), owed).map_err(|e| match e {
        PromiseError::Date { .. } => ServiceError::invalid("promised_date", e.to_string()),
        _ => ServiceError::invalid("amount", e.to_string()),
    })?;
    let mut row = PromiseRow {
        id: 0,
        case_id: id,
        loan_id: case.loan_id,
        promised_date: promised.to_string(),
        amount_minor: amount.amount_minor(),
        made_on: today.to_string(),
        status: "open".into(),
        paid_minor: 0,
        resolved_on: None,
        created_by: actor.username.clone(),
    };
    let at = timestamp(app.now());
    row.id = work::insert_promise(&mut tx, &row, &at).await?;
    work::insert_action(
        &mut tx,
        &ActionRow {
            id: 0,
            case_id: id,
            business_date: today.to_string(),
            at: at.clone(),
            actor: actor.username.clone(),
            kind: "note".into(),
            party: "borrower".into(),
            outcome: "promise_to_pay".into(),
            note: format!("promised {} by {promised}", money(row.amount_minor)),
        },
    )
    .await?;
    record(
        &mut tx,
        actor,
        "collection.promise",
        "collection_case",
        &id.to_string(),
        None,
        serde_json::to_value(&row).ok(),
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

/// What loan `loan_id` has overdue now (principal, interest, penalty and compound
/// interest, fees).
pub(crate) async fn owed_now(tx: &mut Tx<'_>, loan_id: i64) -> Result<i64, ServiceError> {
    let row = loanbook_store::servicing::balance(tx, loan_id, false, tx.backend())
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {loan_id}")))?;
    let a = &row.account;
    Ok(a.overdue_principal
        + a.overdue_interest
        + a.due_principal
        + a.due_interest
        + a.penalty_interest
        + a.compound_interest
        + a.fees_due)
}
