//! Customer-service tickets (客服工单): inquiries, complaints and requests of a customer
//! (optionally about one of the customer's loans), their SLA, assignment, responses,
//! resolution and satisfaction rating, and account statements produced for a request.
//!
//! A ticket's life:
//! 1. `open` — opened with its SLA due time (`core::post_loan::tickets::sla_due`);
//! 2. `in_progress` — assigned to a user holding `ticket:work`;
//! 3. `resolved` — answered with a resolution;
//! 4. `closed` — the customer's rating (1–5) was recorded.
//!
//! A resolved or closed ticket may be reopened within [`REOPEN_DAYS`] days of its
//! resolution when the customer is unhappy: it goes back to work (in progress when it has
//! an assignee) with a new SLA clock from the moment of reopening, and its rating is
//! cleared. After that a new ticket is opened instead.
//!
//! [`sweep_sla`] flags every pending ticket past its due time once (`breached_at`, event
//! `sla_breached`); a ticket that breached keeps the flag even when reopened.
//!
//! Every change appends a `ticket_events` row and an audit record in the same
//! transaction. Timestamps are UTC text of fixed width, so they compare as text.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use loanbook_core::money::{Currency, Money};
use loanbook_core::post_loan::tickets::{
    Priority, TicketKind, TicketStatus, check_rating, is_breached, sla_due,
};
use loanbook_store::audit::timestamp;
use loanbook_store::tickets::{self as store, EventRow, StatementLineRow, TicketFilter, TicketRow};
use loanbook_store::{Tx, customers, loans as loan_store, users};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// The channels a ticket comes through.
pub const CHANNELS: [&str; 5] = ["phone", "email", "counter", "app", "letter"];

/// Days after its resolution during which a ticket may be reopened.
pub const REOPEN_DAYS: i64 = 7;

/// Longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;

/// Longest description, response, resolution or reason, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;

/// Longest rating comment, in characters.
pub const MAX_RATING_COMMENT_CHARS: usize = 500;

/// Tickets flagged per transaction of a sweep.
const SWEEP_BATCH: i64 = 1000;

/// Most batches one sweep runs (10,000,000 tickets).
const MAX_SWEEP_BATCHES: usize = 10_000;

/// A ticket to open.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct TicketInput {
    /// The customer.
    #[serde(default)]
    pub customer_id: i64,
    /// The loan it is about, if any: one of the customer's.
    #[serde(default)]
    pub loan_id: Option<i64>,
    /// inquiry, complaint or request.
    #[serde(default)]
    pub kind: String,
    /// phone, email, counter, app or letter.
    #[serde(default)]
    pub channel: String,
    /// normal (default) or high.
    #[serde(default)]
    pub priority: Option<String>,
    /// One line, at most 200 characters.
    #[serde(default)]
    pub subject: String,
    /// What the customer said, at most 4000 characters.
    #[serde(default)]
    pub description: String,
}

/// A ticket as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub struct TicketView {
    pub id: i64,
    pub customer_id: i64,
    pub loan_id: Option<i64>,
    pub kind: String,
    pub channel: String,
    pub priority: String,
    pub subject: String,
    pub description: String,
    /// open, in_progress, resolved, closed.
    pub status: String,
    pub assigned_to: Option<String>,
    /// When it must be resolved (UTC).
    pub sla_due_at: String,
    /// Flagged by the SLA sweep.
    pub breached: bool,
    pub breached_at: Option<String>,
    /// Pending and past its due time now (whether or not the sweep has flagged it).
    pub overdue: bool,
    pub first_response_at: Option<String>,
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// One entry of a ticket's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventView {
    /// When (UTC).
    pub at: String,
    /// Who (`system` for the SLA sweep).
    pub actor: String,
    /// opened, assigned, response, note, resolved, rated, reopened, sla_breached,
    /// statement.
    pub kind: String,
    /// What was said or done.
    pub note: String,
}

/// A ticket with its history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketDetail {
    /// The ticket.
    #[serde(flatten)]
    pub ticket: TicketView,
    /// Its history, oldest first.
    pub events: Vec<EventView>,
}

fn parse_at(text: &str, what: &str, id: i64) -> Result<DateTime<Utc>, ServiceError> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            ServiceError::Conflict(format!(
                "ticket {id}: stored {what} '{text}' is not a timestamp"
            ))
        })
}

fn view(r: &TicketRow, now: DateTime<Utc>) -> TicketView {
    let overdue = TicketStatus::parse(&r.status).is_some_and(|s| {
        DateTime::parse_from_rfc3339(&r.sla_due_at)
            .is_ok_and(|due| is_breached(s, due.with_timezone(&Utc), now))
    });
    TicketView {
        id: r.id,
        customer_id: r.customer_id,
        loan_id: r.loan_id,
        kind: r.kind.clone(),
        channel: r.channel.clone(),
        priority: r.priority.clone(),
        subject: r.subject.clone(),
        description: r.description.clone(),
        status: r.status.clone(),
        assigned_to: r.assigned_to.clone(),
        sla_due_at: r.sla_due_at.clone(),
        breached: r.breached_at.is_some(),
        breached_at: r.breached_at.clone(),
        overdue,
        first_response_at: r.first_response_at.clone(),
        resolution: r.resolution.clone(),
        resolved_by: r.resolved_by.clone(),
        resolved_at: r.resolved_at.clone(),
        rating: r.rating,
        rating_comment: r.rating_comment.clone(),
        created_by: r.created_by.clone(),
        created_at: r.created_at.clone(),
        updated_at: r.updated_at.clone(),
    }
}

fn event_view(e: &EventRow) -> EventView {
    EventView {
        at: e.at.clone(),
        actor: e.actor.clone(),
        kind: e.kind.clone(),
        note: e.note.clone(),
    }
}

/// A required text of at most `max` characters, trimmed.
fn text(field: &str, value: &str, max: usize, v: &mut Vec<Violation>) -> String {
    let t = value.trim();
    let n = t.chars().count();
    if n == 0 {
        v.push(Violation::new(field, "is required"));
    } else if n > max {
        v.push(Violation::new(
            field,
            format!("must be at most {max} characters (got {n})"),
        ));
    }
    t.to_owned()
}

fn one_text(field: &str, value: &str, max: usize) -> Result<String, ServiceError> {
    let mut v = Vec::new();
    let t = text(field, value, max, &mut v);
    if v.is_empty() {
        Ok(t)
    } else {
        Err(ServiceError::Invalid(v))
    }
}

/// The parsed fields of a new ticket.
struct Checked {
    kind: TicketKind,
    priority: Priority,
    channel: String,
    subject: String,
    description: String,
}

fn check_fields(input: &TicketInput, v: &mut Vec<Violation>) -> Option<Checked> {
    let kind_text = input.kind.trim();
    let kind = TicketKind::parse(kind_text);
    if kind.is_none() {
        v.push(Violation::new(
            "kind",
            format!("must be inquiry, complaint or request (got '{kind_text}')"),
        ));
    }
    let channel = input.channel.trim();
    if !CHANNELS.contains(&channel) {
        v.push(Violation::new(
            "channel",
            format!("must be one of {} (got '{channel}')", CHANNELS.join(", ")),
        ));
    }
    let priority = match input.priority.as_deref().map(str::trim) {
        None | Some("") => Some(Priority::Normal),
        Some(p) => {
            let parsed = Priority::parse(p);
            if parsed.is_none() {
                v.push(Violation::new(
                    "priority",
                    format!("must be normal or high (got '{p}')"),
                ));
            }
            parsed
        }
    };
    let subject = text("subject", &input.subject, MAX_SUBJECT_CHARS, v);
    let description = text("description", &input.description, MAX_TEXT_CHARS, v);
    Some(Checked {
        kind: kind?,
        priority: priority?,
        channel: channel.to_owned(),
        subject,
        description,
    })
}

/// Checks that the customer exists and the loan, if any, is one of the customer's.
async fn check_parties(
    app: &App,
    customer_id: i64,
    loan_id: Option<i64>,
    v: &mut Vec<Violation>,
) -> Result<(), ServiceError> {
    if customers::get(app.db().pool(), customer_id)
        .await?
        .is_none()
    {
        v.push(Violation::new(
            "customer_id",
            format!("there is no customer {customer_id}"),
        ));
        return Ok(());
    }
    if let Some(loan_id) = loan_id {
        match loan_store::loan(app.db().pool(), loan_id).await? {
            None => v.push(Violation::new(
                "loan_id",
                format!("there is no loan {loan_id}"),
            )),
            Some(l) if l.customer_id != customer_id => v.push(Violation::new(
                "loan_id",
                format!(
                    "loan {loan_id} belongs to another customer, not to customer {customer_id}"
                ),
            )),
            Some(_) => {}
        }
    }
    Ok(())
}

fn event(id: i64, at: &str, actor: &Actor, kind: &str, note: String) -> EventRow {
    EventRow {
        id: 0,
        ticket_id: id,
        at: at.to_owned(),
        actor: actor.username.clone(),
        kind: kind.to_owned(),
        note,
    }
}

async fn detail_in(
    tx: &mut Tx<'_>,
    row: &TicketRow,
    now: DateTime<Utc>,
) -> Result<TicketDetail, ServiceError> {
    let events = store::events(&mut **tx, row.id).await?;
    Ok(TicketDetail {
        ticket: view(row, now),
        events: events.iter().map(event_view).collect(),
    })
}

/// Opens a ticket.
///
/// # Errors
/// Forbidden without `ticket:work`; [`ServiceError::Invalid`] naming every bad field:
/// `kind`, `channel`, `priority`, `subject`, `description`, `customer_id` (unknown) and
/// `loan_id` (unknown, or another customer's).
pub async fn open(
    app: &App,
    actor: &Actor,
    input: &TicketInput,
) -> Result<TicketDetail, ServiceError> {
    open_at(app, actor, input, app.now()).await
}

/// Opens a ticket received at `now`.
pub(crate) async fn open_at(
    app: &App,
    actor: &Actor,
    input: &TicketInput,
    now: DateTime<Utc>,
) -> Result<TicketDetail, ServiceError> {
    actor.require(Permission::TicketWork)?;
    let mut v = Vec::new();
    let checked = check_fields(input, &mut v);
    check_parties(app, input.customer_id, input.loan_id, &mut v).await?;
    let Some(c) = checked.filter(|_| v.is_empty()) else {
        return Err(ServiceError::Invalid(v));
    };
    let at = timestamp(now);
    let mut row = TicketRow {
        customer_id: input.customer_id,
        loan_id: input.loan_id,
        kind: c.kind.code().into(),
        channel: c.channel,
        priority: c.priority.code().into(),
        subject: c.subject,
        description: c.description,
        status: TicketStatus::Open.code().into(),
        sla_due_at: timestamp(sla_due(c.kind, c.priority, now)),
        created_by: actor.username.clone(),
        created_at: at.clone(),
        updated_at: at.clone(),
        ..TicketRow::default()
    };
    let mut tx = app.db().begin().await?;
    row.id = store::insert(&mut tx, &row).await?;
    let note = format!(
        "{} via {}, {} priority; due {}",
        row.kind, row.channel, row.priority, row.sla_due_at
    );
    store::insert_events(&mut tx, &[event(row.id, &at, actor, "opened", note)]).await?;
    let detail = detail_in(&mut tx, &row, now).await?;
    record(
        &mut tx,
        actor,
        "ticket.open",
        "ticket",
        &row.id.to_string(),
        None,
        Some(serde_json::to_value(&detail.ticket).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(detail)
}

/// Loads ticket `id` locked, lets `change` update it and name the events to append, and
/// stores both with an audit record of `action`.
async fn apply(
    app: &App,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
    action: &str,
    change: impl FnOnce(&mut TicketRow, &str) -> Result<Vec<(&'static str, String)>, ServiceError>,
) -> Result<TicketDetail, ServiceError> {
    let at = timestamp(now);
    let mut tx = app.db().begin().await?;
    let mut row = store::get_locked(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("ticket {id}")))?;
    let before = view(&row, now);
    let events: Vec<EventRow> = change(&mut row, &at)?
        .into_iter()
        .map(|(kind, note)| event(id, &at, actor, kind, note))
        .collect();
    row.updated_at = at.clone();
    if !store::update(&mut tx, &row).await? {
        return Err(ServiceError::NotFound(format!("ticket {id}")));
    }
    store::insert_events(&mut tx, &events).await?;
    let detail = detail_in(&mut tx, &row, now).await?;
    record(
        &mut tx,
        actor,
        action,
        "ticket",
        &id.to_string(),
        Some(serde_json::to_value(&before).unwrap_or_default()),
        Some(serde_json::to_value(&detail.ticket).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(detail)
}

fn status_of(row: &TicketRow) -> Result<TicketStatus, ServiceError> {
    TicketStatus::parse(&row.status).ok_or_else(|| {
        ServiceError::Conflict(format!(
            "ticket {} has an unknown status '{}'",
            row.id, row.status
        ))
    })
}

fn require_pending(row: &TicketRow, what: &str) -> Result<(), ServiceError> {
    if status_of(row)?.is_pending() {
        Ok(())
    } else {
        Err(ServiceError::Conflict(format!(
            "ticket {} is {}; only an open or in-progress ticket is {what}",
            row.id, row.status
        )))
    }
}

/// Checks that `username` may work tickets: an active user whose role holds
/// `ticket:work`.
async fn check_assignee(app: &App, username: &str) -> Result<String, ServiceError> {
    let name = one_text("assigned_to", username, 64)?;
    let user = users::by_username(app.db().pool(), &name)
        .await?
        .ok_or_else(|| {
            ServiceError::invalid("assigned_to", format!("there is no user '{name}'"))
        })?;
    if user.status != "active" {
        return Err(ServiceError::invalid(
            "assigned_to",
            format!("user '{name}' is {}", user.status),
        ));
    }
    let allowed = crate::Role::parse(&user.role).is_some_and(|r| r.allows(Permission::TicketWork));
    if !allowed {
        return Err(ServiceError::invalid(
            "assigned_to",
            format!(
                "user '{name}' (role {}) lacks the permission {}",
                user.role,
                Permission::TicketWork.code()
            ),
        ));
    }
    Ok(name)
}

/// Assigns ticket `id` to `assignee` (a user holding `ticket:work`); the ticket is then
/// in progress. Reassigning is allowed.
///
/// # Errors
/// Forbidden without `ticket:work`; [`ServiceError::Invalid`] naming `assigned_to`
/// (unknown, disabled, or without `ticket:work`); not found; a conflict for a resolved or
/// closed ticket.
pub async fn assign(
    app: &App,
    actor: &Actor,
    id: i64,
    assignee: &str,
) -> Result<TicketDetail, ServiceError> {
    actor.require(Permission::TicketWork)?;
    let name = check_assignee(app, assignee).await?;
    apply(app, actor, id, app.now(), "ticket.assign", |row, _| {
        require_pending(row, "assigned")?;
        let note = match row.assigned_to.as_deref() {
            Some(old) if old != name => format!("from {old} to {name}"),
            _ => format!("to {name}"),
        };
        row.assigned_to = Some(name);
        row.status = TicketStatus::InProgress.code().into();
        Ok(vec![("assigned", note)])
    })
    .await
}

/// A comment on a ticket.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct CommentInput {
    /// The text (required, at most 4000 characters).
    #[serde(default)]
    pub note: String,
    /// `response` (said to the customer; the first sets `first_response_at`, default) or
    /// `note` (internal).
    #[serde(default)]
    pub kind: Option<String>,
}

/// Adds a response to the customer or an internal note to ticket `id`. The first
/// response sets `first_response_at`; later ones do not move it.
///
/// # Errors
/// Forbidden without `ticket:work`; [`ServiceError::Invalid`] naming `note` or `kind`;
/// not found.
pub async fn comment(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &CommentInput,
) -> Result<TicketDetail, ServiceError> {
    actor.require(Permission::TicketWork)?;
    let mut v = Vec::new();
    let note = text("note", &input.note, MAX_TEXT_CHARS, &mut v);
    let kind = match input.kind.as_deref().map(str::trim) {
        None | Some("" | "response") => "response",
        Some("note") => "note",
        Some(other) => {
            v.push(Violation::new(
                "kind",
                format!("must be response or note (got '{other}')"),
            ));
            "note"
        }
    };
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    apply(app, actor, id, app.now(), "ticket.comment", |row, at| {
        if kind == "response" && row.first_response_at.is_none() {
            row.first_response_at = Some(at.to_owned());
        }
        Ok(vec![(kind, note)])
    })
    .await
}

/// Resolves ticket `id` with `resolution` (what was done or answered).
///
/// # Errors
/// Forbidden without `ticket:work`; [`ServiceError::Invalid`] naming `resolution`; not
/// found; a conflict for a resolved or closed ticket.
pub async fn resolve(
    app: &App,
    actor: &Actor,
    id: i64,
    resolution: &str,
) -> Result<TicketDetail, ServiceError> {
    resolve_at(app, actor, id, resolution, app.now()).await
}

/// Resolves ticket `id` at `now`.
pub(crate) async fn resolve_at(
    app: &App,
    actor: &Actor,
    id: i64,
    resolution: &str,
    now: DateTime<Utc>,
) -> Result<TicketDetail, ServiceError> {
    actor.require(Permission::TicketWork)?;
    let resolution = one_text("resolution", resolution, MAX_TEXT_CHARS)?;
    apply(app, actor, id, now, "ticket.resolve", |row, at| {
        require_pending(row, "resolved")?;
        row.status = TicketStatus::Resolved.code().into();
        row.resolution = Some(resolution.clone());
        row.resolved_by = Some(actor.username.clone());
        row.resolved_at = Some(at.to_owned());
        // the resolution is an answer to the customer
        if row.first_response_at.is_none() {
            row.first_response_at = Some(at.to_owned());
        }
        Ok(vec![("resolved", resolution)])
    })
    .await
}

/// The customer's satisfaction rating.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct RatingInput {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    #[serde(default)]
    pub rating: i64,
    /// What the customer said, at most 500 characters.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Records the customer's rating of resolved ticket `id`, which closes it.
///
/// # Errors
/// Forbidden without `ticket:work`; [`ServiceError::Invalid`] naming `rating` (not 1–5)
/// or `comment`; not found; a conflict for a ticket that is not resolved.
pub async fn rate(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &RatingInput,
) -> Result<TicketDetail, ServiceError> {
    rate_at(app, actor, id, input, app.now()).await
}

/// Records a rating at `now`.
pub(crate) async fn rate_at(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &RatingInput,
    now: DateTime<Utc>,
) -> Result<TicketDetail, ServiceError> {
    actor.require(Permission::TicketWork)?;
    let mut v = Vec::new();
    let rating = check_rating(input.rating)
        .map_err(|rule| {
            v.push(Violation::new(
                "rating",
                format!("{rule} (got {})", input.rating),
            ))
        })
        .ok();
    let comment = input
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if let Some(c) = &comment {
        let n = c.chars().count();
        if n > MAX_RATING_COMMENT_CHARS {
            v.push(Violation::new(
                "comment",
                format!("must be at most {MAX_RATING_COMMENT_CHARS} characters (got {n})"),
            ));
        }
    }
    let Some(rating) = rating.filter(|_| v.is_empty()) else {
        return Err(ServiceError::Invalid(v));
    };
    apply(app, actor, id, now, "ticket.rate", |row, _| {
        if status_of(row)? != TicketStatus::Resolved {
            return Err(ServiceError::Conflict(format!(
                "ticket {} is {}; only a resolved ticket is rated",
                row.id, row.status
            )));
        }
        row.rating = Some(i64::from(rating));
        row.rating_comment = comment.clone();
        row.status = TicketStatus::Closed.code().into();
        let note = match &comment {
            Some(c) => format!("{rating}/5: {c}"),
            None => format!("{rating}/5"),
        };
        Ok(vec![("rated", note)])
    })
    .await
}

/// Reopens ticket `id` (resolved or closed, within [`REOPEN_DAYS`] days of its
/// resolution) because the customer is not satisfied: back to in progress (open when
/// unassigned), a new SLA due time from now, resolution and rating cleared (both stay in
/// the history).
///
/// # Errors
/// Forbidden without `ticket:work`; [`ServiceError::Invalid`] naming `reason`; not found;
/// a conflict for a pending ticket or one resolved more than [`REOPEN_DAYS`] days ago.
pub async fn reopen(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<TicketDetail, ServiceError> {
    reopen_at(app, actor, id, reason, app.now()).await
}

/// Reopens ticket `id` at `now`.
pub(crate) async fn reopen_at(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<TicketDetail, ServiceError> {
    actor.require(Permission::TicketWork)?;
    let reason = one_text("reason", reason, MAX_TEXT_CHARS)?;
    apply(app, actor, id, now, "ticket.reopen", |row, _| {
        if status_of(row)?.is_pending() {
            return Err(ServiceError::Conflict(format!(
                "ticket {} is {}; only a resolved or closed ticket is reopened",
                row.id, row.status
            )));
        }
        let resolved_text = row.resolved_at.clone().unwrap_or_default();
        let resolved = parse_at(&resolved_text, "resolved_at", row.id)?;
        if now > resolved + Duration::days(REOPEN_DAYS) {
            return Err(ServiceError::Conflict(format!(
                "ticket {} was resolved at {resolved_text}, more than {REOPEN_DAYS} days ago; open a new ticket",
                row.id
            )));
        }
        let (kind, priority) = match (TicketKind::parse(&row.kind), Priority::parse(&row.priority)) {
            (Some(k), Some(p)) => (k, p),
            _ => {
                return Err(ServiceError::Conflict(format!(
                    "ticket {} has an unknown kind or priority",
                    row.id
                )));
            }
        };
        let mut note = reason.clone();
        if let Some(r) = row.rating {
            note.push_str(&format!(" (was rated {r}/5)"));
        }
        row.status = if row.assigned_to.is_some() {
            TicketStatus::InProgress
        } else {
            TicketStatus::Open
        }
        .code()
        .into();
        row.sla_due_at = timestamp(sla_due(kind, priority, now));
        row.resolution = None;
        row.resolved_by = None;
        row.resolved_at = None;
        row.rating = None;
        row.rating_comment = None;
        Ok(vec![("reopened", note)])
    })
    .await
}

/// Flags, as the system, every pending ticket past its SLA due time at `now` that is not
/// flagged yet (`breached_at = now`, event `sla_breached`, one audit record per batch);
/// returns how many were flagged. For the scheduler and the daily close.
///
/// # Errors
/// A database error; a stored due time that does not parse.
pub async fn sweep_sla(app: &App, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    sweep_as(app, &Actor::system(), now).await
}

/// [`sweep_sla`] now, on behalf of `actor` (the API and the CLI).
///
/// # Errors
/// Forbidden without `ticket:work`; as [`sweep_sla`].
pub async fn sweep(app: &App, actor: &Actor) -> Result<u64, ServiceError> {
    actor.require(Permission::TicketWork)?;
    sweep_as(app, actor, app.now()).await
}

async fn sweep_as(app: &App, actor: &Actor, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let at = timestamp(now);
    let mut flagged = 0;
    for _ in 0..MAX_SWEEP_BATCHES {
        let mut tx = app.db().begin().await?;
        let candidates = store::past_due_unflagged(&mut tx, &at, SWEEP_BATCH).await?;
        let mut breached = Vec::with_capacity(candidates.len());
        for (id, due_text, status) in &candidates {
            let due = parse_at(due_text, "sla_due_at", *id)?;
            if TicketStatus::parse(status).is_some_and(|s| is_breached(s, due, now)) {
                breached.push((*id, due_text.as_str()));
            }
        }
        if breached.is_empty() {
            tx.rollback().await?;
            break;
        }
        let ids: Vec<i64> = breached.iter().map(|(id, _)| *id).collect();
        let n = store::mark_breached(&mut tx, &ids, &at).await?;
        let events: Vec<EventRow> = breached
            .iter()
            .map(|(id, due)| event(*id, &at, actor, "sla_breached", format!("due {due}")))
            .collect();
        store::insert_events(&mut tx, &events).await?;
        record(
            &mut tx,
            actor,
            "ticket.sla_sweep",
            "ticket",
            &ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
            None,
            Some(serde_json::json!({"breached": ids, "at": at})),
        )
        .await?;
        tx.commit().await?;
        flagged += n;
        if (candidates.len() as i64) < SWEEP_BATCH {
            break;
        }
    }
    Ok(flagged)
}

/// Filters of a ticket list.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ListInput {
    /// open, in_progress, resolved, closed, or `pending` (open and in progress).
    #[serde(default)]
    pub status: Option<String>,
    /// Assigned to this user.
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Only those that breached their SLA.
    #[serde(default)]
    pub breached: Option<bool>,
    /// Of this customer.
    #[serde(default)]
    pub customer_id: Option<i64>,
    /// About this loan.
    #[serde(default)]
    pub loan_id: Option<i64>,
    /// Ids above this (paging).
    #[serde(default)]
    pub after_id: Option<i64>,
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Tickets by id, filtered.
///
/// # Errors
/// Forbidden without `customer:read`; [`ServiceError::Invalid`] naming `status` or
/// `limit`.
pub async fn list(
    app: &App,
    actor: &Actor,
    input: &ListInput,
) -> Result<Vec<TicketView>, ServiceError> {
    actor.require(Permission::CustomerRead)?;
    let statuses: Vec<String> = match input.status.as_deref().map(str::trim) {
        None | Some("") => Vec::new(),
        Some("pending") => vec!["open".into(), "in_progress".into()],
        Some(s) if TicketStatus::parse(s).is_some() => vec![s.to_owned()],
        Some(s) => {
            return Err(ServiceError::invalid(
                "status",
                format!("must be open, in_progress, resolved, closed or pending (got '{s}')"),
            ));
        }
    };
    let limit = input.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            format!("must be from 1 to 500 (got {limit})"),
        ));
    }
    let filter = TicketFilter {
        statuses,
        assigned_to: input
            .assigned_to
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        customer_id: input.customer_id,
        loan_id: input.loan_id,
        breached_only: input.breached.unwrap_or(false),
        after_id: input.after_id.unwrap_or(0),
        limit,
    };
    let now = app.now();
    Ok(store::list(app.db(), &filter)
        .await?
        .iter()
        .map(|r| view(r, now))
        .collect())
}

/// Ticket `id` with its history.
///
/// # Errors
/// Forbidden without `customer:read`; not found.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<TicketDetail, ServiceError> {
    actor.require(Permission::CustomerRead)?;
    let row = store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("ticket {id}")))?;
    let events = store::events(app.db().pool(), id).await?;
    Ok(TicketDetail {
        ticket: view(&row, app.now()),
        events: events.iter().map(event_view).collect(),
    })
}

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

#[cfg(test)]
#[path = "tickets_tests.rs"]
mod tests;
