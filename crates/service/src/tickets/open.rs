//! Opening a ticket: the intake form, its checks, and the ticket stored with its SLA due
//! time (`core::post_loan::tickets::sla_due`).

use chrono::{DateTime, Utc};
use loanbook_core::post_loan::tickets::{Priority, TicketKind, TicketStatus, sla_due};
use loanbook_store::audit::timestamp;
use loanbook_store::tickets::{self as store, TicketRow};
use serde::{Deserialize, Serialize};

use super::{
    CHANNELS, MAX_SUBJECT_CHARS, MAX_TEXT_CHARS, TicketDetail, check_parties, detail_in, event,
    text,
};
use crate::{Actor, App, Permission, ServiceError, Violation, record};

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
