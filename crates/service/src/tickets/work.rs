//! Working a ticket: assigning it, responses and notes, resolving it, the customer's
//! rating (which closes it), and reopening it within [`REOPEN_DAYS`] days.

use chrono::{DateTime, Duration, Utc};
use loanbook_core::post_loan::tickets::{
    Priority, TicketKind, TicketStatus, check_rating, sla_due,
};
use loanbook_store::audit::timestamp;
use serde::{Deserialize, Serialize};

use super::{
    MAX_RATING_COMMENT_CHARS, MAX_TEXT_CHARS, REOPEN_DAYS, TicketDetail, apply, one_text, parse_at,
    require_pending, status_of, text,
};
use crate::{Actor, App, Permission, ServiceError, Violation};

/// Checks that `username` may work tickets: an active user whose role holds
/// `ticket:work`.
async fn check_assignee(app: &App, username: &str) -> Result<String, ServiceError> {
    let name = one_text("assigned_to", username, 64)?;
    crate::auth::worker(app, "assigned_to", &name, Permission::TicketWork)
        .await?
        .map_err(|v| ServiceError::Invalid(vec![v]))
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
