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
//!
//! This file holds the ticket views, the list and look-up, and the helpers the parts share;
//! opening a ticket is in `open`, working it (assign, comment, resolve, rate, reopen) in
//! `work`, the SLA sweep in `sla`, and account statements in `statement`.

use chrono::{DateTime, Utc};
use loanbook_core::post_loan::tickets::{TicketStatus, is_breached};
use loanbook_store::audit::timestamp;
use loanbook_store::tickets::{self as store, EventRow, TicketFilter, TicketRow};
use loanbook_store::{Tx, customers, loans as loan_store};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Permission, ServiceError, Violation, record};

mod open;
mod sla;
mod statement;
mod work;

pub use open::{TicketInput, open};
pub use sla::{sweep, sweep_sla};
pub use statement::{
    AccountStatement, MAX_STATEMENT_DAYS, MAX_STATEMENT_LINES, StatementInput,
    StatementInstallment, StatementLine, StatementTotals, statement,
};
pub use work::{CommentInput, RatingInput, assign, comment, rate, reopen, resolve};

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

#[cfg(test)]
#[path = "tickets_tests.rs"]
mod tests;
