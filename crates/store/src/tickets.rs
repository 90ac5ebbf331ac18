//! Rows of customer-service tickets (客服工单): `tickets`, their history
//! (`ticket_events`), and the loan transactions an account statement lists.
//!
//! Timestamps are the fixed-width text of [`crate::audit::timestamp`]
//! (`2026-12-01T09:00:00.000000Z`), so comparing them as text compares them in time.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::db::values_placeholders;
use crate::{Backend, Db, StoreError, Tx};

/// A ticket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct TicketRow {
    pub id: i64,
    pub customer_id: i64,
    pub loan_id: Option<i64>,
    /// inquiry, complaint, request.
    pub kind: String,
    /// phone, email, counter, app, letter.
    pub channel: String,
    /// normal, high.
    pub priority: String,
    pub subject: String,
    pub description: String,
    /// open, in_progress, resolved, closed.
    pub status: String,
    pub assigned_to: Option<String>,
    pub sla_due_at: String,
    pub breached_at: Option<String>,
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

const COLUMNS: &str = "id, customer_id, loan_id, kind, channel, priority, subject, description, status, assigned_to, sla_due_at, breached_at, first_response_at, resolution, resolved_by, resolved_at, rating, rating_comment, created_by, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<TicketRow, StoreError> {
    Ok(TicketRow {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        loan_id: r.try_get("loan_id")?,
        kind: r.try_get("kind")?,
        channel: r.try_get("channel")?,
        priority: r.try_get("priority")?,
        subject: r.try_get("subject")?,
        description: r.try_get("description")?,
        status: r.try_get("status")?,
        assigned_to: r.try_get("assigned_to")?,
        sla_due_at: r.try_get("sla_due_at")?,
        breached_at: r.try_get("breached_at")?,
        first_response_at: r.try_get("first_response_at")?,
        resolution: r.try_get("resolution")?,
        resolved_by: r.try_get("resolved_by")?,
        resolved_at: r.try_get("resolved_at")?,
        rating: r.try_get("rating")?,
        rating_comment: r.try_get("rating_comment")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Stores a new ticket; returns its id.
///
/// # Errors
/// A database error.
pub async fn insert(tx: &mut Tx<'_>, t: &TicketRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO tickets (customer_id, loan_id, kind, channel, priority, subject, description, status, assigned_to, sla_due_at, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(t.customer_id)
    .bind(t.loan_id)
    .bind(&t.kind)
    .bind(&t.channel)
    .bind(&t.priority)
    .bind(&t.subject)
    .bind(&t.description)
    .bind(&t.status)
    .bind(&t.assigned_to)
    .bind(&t.sla_due_at)
    .bind(&t.created_by)
    .bind(&t.created_at)
    .bind(&t.updated_at)
    .fetch_one(&mut **tx)
    .await?)
}

/// Ticket `id` inside `tx`, locked on PostgreSQL (SQLite's writer holds the database).
///
/// # Errors
/// A database error.
pub async fn get_locked(tx: &mut Tx<'_>, id: i64) -> Result<Option<TicketRow>, StoreError> {
    let suffix = if tx.backend() == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE id = $1{suffix}"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Ticket `id`.
///
/// # Errors
/// A database error.
pub async fn get<'c>(
    exec: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<TicketRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tickets WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Writes every changeable field of ticket `t.id` (all but its customer, loan, kind,
/// channel, subject, description and creation); false when there is no such ticket.
///
/// # Errors
/// A database error.
pub async fn update(tx: &mut Tx<'_>, t: &TicketRow) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE tickets SET priority = $1, status = $2, assigned_to = $3, sla_due_at = $4, breached_at = $5, first_response_at = $6, \
         resolution = $7, resolved_by = $8, resolved_at = $9, rating = $10, rating_comment = $11, updated_at = $12 WHERE id = $13",
    )
    .bind(&t.priority)
    .bind(&t.status)
    .bind(&t.assigned_to)
    .bind(&t.sla_due_at)
    .bind(&t.breached_at)
    .bind(&t.first_response_at)
    .bind(&t.resolution)
    .bind(&t.resolved_by)
    .bind(&t.resolved_at)
    .bind(t.rating)
    .bind(&t.rating_comment)
    .bind(&t.updated_at)
    .bind(t.id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketFilter {
    /// Of these statuses (any when empty).
    pub statuses: Vec<String>,
    /// Assigned to this user.
    pub assigned_to: Option<String>,
    /// Of this customer.
    pub customer_id: Option<i64>,
    /// About this loan.
    pub loan_id: Option<i64>,
    /// Only tickets that breached their SLA.
    pub breached_only: bool,
    /// Ids above this (paging).
    pub after_id: i64,
    /// At most this many (1–500).
    pub limit: i64,
}

/// Tickets matching `f`, by id.
///
/// # Errors
/// A database error.
pub async fn list(db: &Db, f: &TicketFilter) -> Result<Vec<TicketRow>, StoreError> {
    let mut sql = format!(
        "SELECT {COLUMNS} FROM tickets WHERE id > $1 AND ($2 = '' OR assigned_to = $2) AND ($3 = 0 OR customer_id = $3) AND ($4 = 0 OR loan_id = $4)"
    );
    if f.breached_only {
        sql.push_str(" AND breached_at IS NOT NULL");
    }
    if !f.statuses.is_empty() {
        let marks: Vec<String> = (0..f.statuses.len())
            .map(|i| format!("${}", i + 6))
            .collect();
        sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
    }
    sql.push_str(" ORDER BY id LIMIT $5");
    let mut q = sqlx::query(&sql)
        .bind(f.after_id)
        .bind(f.assigned_to.as_deref().unwrap_or(""))
        .bind(f.customer_id.unwrap_or(0))
        .bind(f.loan_id.unwrap_or(0))
        .bind(f.limit.clamp(1, 500));
    for s in &f.statuses {
        q = q.bind(s);
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter().map(from_row).collect()
}

/// Pending tickets (open or in progress) due before `now` and not yet flagged:
/// (id, sla_due_at, status), oldest due first, at most `limit`.
///
/// # Errors
/// A database error.
pub async fn past_due_unflagged(
    tx: &mut Tx<'_>,
    now: &str,
    limit: i64,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, sla_due_at, status FROM tickets WHERE status IN ('open', 'in_progress') AND sla_due_at < $1 AND breached_at IS NULL ORDER BY sla_due_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("sla_due_at")?,
                r.try_get("status")?,
            ))
        })
        .collect()
}

/// Flags tickets `ids` as breached at `at` (those not flagged already); returns how
/// many were flagged.
///
/// # Errors
/// A database error.
pub async fn mark_breached(tx: &mut Tx<'_>, ids: &[i64], at: &str) -> Result<u64, StoreError> {
    let mut flagged = 0;
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "UPDATE tickets SET breached_at = $1, updated_at = $1 WHERE breached_at IS NULL AND id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(at);
        for id in chunk {
            q = q.bind(*id);
        }
        flagged += q.execute(&mut **tx).await?.rows_affected();
    }
    Ok(flagged)
}

/// One entry of a ticket's history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct EventRow {
    pub id: i64,
    pub ticket_id: i64,
    pub at: String,
    pub actor: String,
    /// opened, assigned, response, note, resolved, rated, reopened, sla_breached,
    /// statement.
    pub kind: String,
    pub note: String,
}

/// Appends events (their ids are ignored) in multi-row statements.
///
/// # Errors
/// A database error.
pub async fn insert_events(tx: &mut Tx<'_>, events: &[EventRow]) -> Result<(), StoreError> {
    for chunk in events.chunks(200) {
        let sql = format!(
            "INSERT INTO ticket_events (ticket_id, at, actor, kind, note) VALUES {}",
            values_placeholders(tx.backend(), chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q
                .bind(e.ticket_id)
                .bind(&e.at)
                .bind(&e.actor)
                .bind(&e.kind)
                .bind(&e.note);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The history of ticket `id`, oldest first.
///
/// # Errors
/// A database error.
pub async fn events<'c>(
    exec: impl Executor<'c, Database = Any>,
    ticket_id: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, at, actor, kind, note FROM ticket_events WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(ticket_id)
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EventRow {
                id: r.try_get("id")?,
                ticket_id: r.try_get("ticket_id")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                kind: r.try_get("kind")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

/// A loan transaction as an account statement lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct StatementLineRow {
    pub id: i64,
    pub kind: String,
    pub business_date: String,
    pub value_date: Option<String>,
    pub amount_minor: i64,
    pub reference: String,
    /// JSON: a payment's `allocation` among other details.
    pub details_json: String,
    pub reversed_by: Option<i64>,
}

/// The transactions of loan `loan_id` booked from `from` through `to` (business
/// dates, ISO text), in the order booked; at most `limit`.
///
/// # Errors
/// A database error.
pub async fn statement_lines(
    db: &Db,
    loan_id: i64,
    from: &str,
    to: &str,
    limit: i64,
) -> Result<Vec<StatementLineRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, kind, business_date, value_date, amount_minor, reference, details_json, reversed_by FROM loan_transactions \
         WHERE loan_id = $1 AND business_date >= $2 AND business_date <= $3 ORDER BY business_date, id LIMIT $4",
    )
    .bind(loan_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StatementLineRow {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                business_date: r.try_get("business_date")?,
                value_date: r.try_get("value_date")?,
                amount_minor: r.try_get("amount_minor")?,
                reference: r.try_get("reference")?,
                details_json: r.try_get("details_json")?,
                reversed_by: r.try_get("reversed_by")?,
            })
        })
        .collect()
}
