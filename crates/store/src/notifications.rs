//! Borrower notifications: the notices the close writes, the messages of the outbox (one
//! per channel) with their delivery state, contact preferences and message templates.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// A pending notice with what its messages need: the borrower, the contact channels and
/// the amounts to fill the template with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct NoticeToSend {
    pub id: i64,
    pub loan_id: i64,
    pub loan_ref: String,
    pub kind: String,
    pub business_date: String,
    pub due_date: Option<String>,
    pub dpd: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub has_phone: bool,
    pub has_email: bool,
    pub language: Option<String>,
    pub sms: bool,
    pub email: bool,
    pub in_app: bool,
    /// The installment due on `due_date`, unpaid part.
    pub due_minor: i64,
    /// Overdue principal, interest, penalty and compound interest now.
    pub overdue_minor: i64,
    /// The newest broken promise's amount.
    pub promised_minor: Option<i64>,
    /// The approved settlement's amount.
    pub settlement_minor: Option<i64>,
    /// The loan's status now (`active`, `closed`, `written_off`…).
    pub loan_status: String,
}

/// Up to `limit` pending notices, oldest first.
///
/// # Errors
/// A database error.
pub async fn pending_notices(tx: &mut Tx<'_>, limit: i64) -> Result<Vec<NoticeToSend>, StoreError> {
    let rows = sqlx::query(
        "SELECT n.id, n.loan_id, COALESCE(l.external_id, CAST(l.id AS TEXT)), n.kind, n.business_date, n.due_date, n.dpd, \
         c.id, c.name, c.phone_enc IS NOT NULL, p.email_enc IS NOT NULL, p.language, \
         COALESCE(p.sms, 1), COALESCE(p.email, 1), COALESCE(p.in_app, 1), \
         CAST(COALESCE((SELECT SUM(i.total_minor - i.paid_principal_minor - i.paid_interest_minor) FROM installments i \
                   WHERE i.loan_id = n.loan_id AND i.due_date = n.due_date), 0) AS BIGINT), \
         COALESCE((SELECT b.overdue_principal_minor + b.overdue_interest_minor + b.penalty_interest_minor + b.compound_interest_minor \
                   FROM loan_balances b WHERE b.loan_id = n.loan_id), 0), \
         (SELECT pr.amount_minor FROM promises_to_pay pr WHERE pr.loan_id = n.loan_id AND pr.status = 'broken' ORDER BY pr.id DESC LIMIT 1), \
         (SELECT s.amount_minor FROM settlements s WHERE s.loan_id = n.loan_id AND s.status = 'approved' ORDER BY s.id DESC LIMIT 1), \
         l.status \
         FROM notices n JOIN loans l ON l.id = n.loan_id JOIN customers c ON c.id = l.customer_id \
         LEFT JOIN contact_preferences p ON p.customer_id = c.id \
         WHERE n.status = 'pending' ORDER BY n.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .iter()
        .map(|r| NoticeToSend {
            id: r.get(0),
            loan_id: r.get(1),
            loan_ref: r.get(2),
            kind: r.get(3),
            business_date: r.get(4),
            due_date: r.get(5),
            dpd: r.get(6),
            customer_id: r.get(7),
            customer_name: r.get(8),
            has_phone: flag(r, 9),
            has_email: flag(r, 10),
            language: r.get(11),
            sms: flag(r, 12),
            email: flag(r, 13),
            in_app: flag(r, 14),
            due_minor: r.get(15),
            overdue_minor: r.get(16),
            promised_minor: r.get(17),
            settlement_minor: r.get(18),
            loan_status: r.get(19),
        })
        .collect())
}

/// A boolean column or expression (an integer on SQLite, a boolean on PostgreSQL).
fn flag(r: &AnyRow, n: usize) -> bool {
    r.try_get::<bool, _>(n)
        .or_else(|_| r.try_get::<i64, _>(n).map(|v| v != 0))
        .unwrap_or(false)
}

/// Marks notices `ids` with `status` (`expanded`).
///
/// # Errors
/// A database error.
pub async fn mark_notices(tx: &mut Tx<'_>, ids: &[i64], status: &str) -> Result<(), StoreError> {
    for id in ids {
        sqlx::query("UPDATE notices SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(*id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A message of the outbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[allow(missing_docs)]
pub struct OutboxRow {
    pub id: i64,
    pub notice_id: Option<i64>,
    pub customer_id: i64,
    pub loan_id: Option<i64>,
    pub channel: String,
    pub kind: String,
    pub language: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub deferred_reason: Option<String>,
    pub last_error: Option<String>,
    pub provider_ref: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub read_at: Option<String>,
}

const OUTBOX_COLUMNS: &str = "id, notice_id, customer_id, loan_id, channel, kind, language, subject, body, status, attempts, \
next_attempt_at, deferred_reason, last_error, provider_ref, created_at, sent_at, read_at";

fn outbox_row(r: &AnyRow) -> OutboxRow {
    OutboxRow {
        id: r.get(0),
        notice_id: r.get(1),
        customer_id: r.get(2),
        loan_id: r.get(3),
        channel: r.get(4),
        kind: r.get(5),
        language: r.get(6),
        subject: r.get(7),
        body: r.get(8),
        status: r.get(9),
        attempts: r.get(10),
        next_attempt_at: r.get(11),
        deferred_reason: r.get(12),
        last_error: r.get(13),
        provider_ref: r.get(14),
        created_at: r.get(15),
        sent_at: r.get(16),
        read_at: r.get(17),
    }
}

/// Queues a message.
///
/// # Errors
/// A database error.
pub async fn insert_message(tx: &mut Tx<'_>, m: &OutboxRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO outbox (notice_id, customer_id, loan_id, channel, kind, language, subject, body, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11) RETURNING id",
    )
    .bind(m.notice_id)
    .bind(m.customer_id)
    .bind(m.loan_id)
    .bind(&m.channel)
    .bind(&m.kind)
    .bind(&m.language)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(&m.status)
    .bind(&m.next_attempt_at)
    .bind(&m.created_at)
    .fetch_one(&mut **tx)
    .await?)
}

/// Messages due to be tried at `now` (pending, deferred, waiting for a retry or left
/// `sending` by a dispatcher that died), oldest first.
///
/// # Errors
/// A database error.
pub async fn due_messages<'e, E>(
    executor: E,
    now: &str,
    limit: i64,
) -> Result<Vec<OutboxRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status IN ('pending', 'deferred', 'retry', 'sending') \
         AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(now)
        .bind(limit)
        .fetch_all(executor)
        .await?;
    Ok(rows.iter().map(outbox_row).collect())
}

/// Claims message `id` for sending until `lease_until` if it is still `status` as read;
/// false when another dispatcher took it.
///
/// # Errors
/// A database error.
pub async fn claim<'e, E>(
    executor: E,
    id: i64,
    status: &str,
    next_attempt_at: &str,
    lease_until: &str,
) -> Result<bool, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "UPDATE outbox SET status = 'sending', next_attempt_at = $1 WHERE id = $2 AND status = $3 AND next_attempt_at = $4",
    )
    .bind(lease_until)
    .bind(id)
    .bind(status)
    .bind(next_attempt_at)
    .execute(executor)
    .await?
    .rows_affected()
        == 1)
}

/// Sets the delivery state of message `id`.
///
/// # Errors
/// A database error.
#[allow(clippy::too_many_arguments)]
pub async fn set_state<'e, E>(
    executor: E,
    id: i64,
    status: &str,
    attempts: i64,
    next_attempt_at: &str,
    deferred_reason: Option<&str>,
    last_error: Option<&str>,
    provider_ref: Option<&str>,
    sent_at: Option<&str>,
) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE outbox SET status = $1, attempts = $2, next_attempt_at = $3, deferred_reason = $4, last_error = $5, \
         provider_ref = COALESCE($6, provider_ref), sent_at = COALESCE($7, sent_at) WHERE id = $8",
    )
    .bind(status)
    .bind(attempts)
    .bind(next_attempt_at)
    .bind(deferred_reason)
    .bind(last_error)
    .bind(provider_ref)
    .bind(sent_at)
    .bind(id)
    .execute(executor)
    .await?;
    Ok(())
}

/// SMS and e-mail messages sent to a customer at or after `since` (the daily cap).
///
/// # Errors
/// A database error.
pub async fn sent_since<'e, E>(
    executor: E,
    customer_id: i64,
    since: &str,
) -> Result<i64, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE customer_id = $1 AND status = 'sent' AND channel <> 'in_app' AND sent_at >= $2",
    )
    .bind(customer_id)
    .bind(since)
    .fetch_one(executor)
    .await?)
}

/// Which messages to list.
#[derive(Clone, Debug, Default)]
#[allow(missing_docs)]
pub struct OutboxFilter {
    pub customer_id: Option<i64>,
    pub loan_id: Option<i64>,
    pub status: Option<String>,
    pub channel: Option<String>,
    pub limit: i64,
}

/// Messages by `filter`, newest first.
///
/// # Errors
/// A database error.
pub async fn messages<'e, E>(executor: E, f: &OutboxFilter) -> Result<Vec<OutboxRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE ($1 IS NULL OR customer_id = $1) AND ($2 IS NULL OR loan_id = $2) \
         AND ($3 IS NULL OR status = $3) AND ($4 IS NULL OR channel = $4) ORDER BY id DESC LIMIT $5"
    );
    let rows = sqlx::query(&sql)
        .bind(f.customer_id)
        .bind(f.loan_id)
        .bind(&f.status)
        .bind(&f.channel)
        .bind(f.limit)
        .fetch_all(executor)
        .await?;
    Ok(rows.iter().map(outbox_row).collect())
}

/// One message.
///
/// # Errors
/// A database error.
pub async fn message(tx: &mut Tx<'_>, id: i64) -> Result<Option<OutboxRow>, StoreError> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?;
    Ok(row.as_ref().map(outbox_row))
}

/// A customer's contact preferences.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct PreferencesRow {
    pub customer_id: i64,
    pub email_enc: Option<Vec<u8>>,
    pub email_masked: Option<String>,
    pub language: String,
    pub time_zone: String,
    pub sms: bool,
    pub email: bool,
    pub in_app: bool,
}

/// The preferences of `customer_id`, if set.
///
/// # Errors
/// A database error.
pub async fn preferences<'e, E>(
    executor: E,
    customer_id: i64,
) -> Result<Option<PreferencesRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT customer_id, email_enc, email_masked, language, time_zone, sms, email, in_app \
         FROM contact_preferences WHERE customer_id = $1",
    )
    .bind(customer_id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| PreferencesRow {
        customer_id: r.get(0),
        email_enc: r.get(1),
        email_masked: r.get(2),
        language: r.get(3),
        time_zone: r.get(4),
        sms: r.get::<i64, _>(5) != 0,
        email: r.get::<i64, _>(6) != 0,
        in_app: r.get::<i64, _>(7) != 0,
    }))
}

/// Writes the preferences of a customer.
///
/// # Errors
/// A database error.
pub async fn put_preferences(
    tx: &mut Tx<'_>,
    p: &PreferencesRow,
    by: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO contact_preferences (customer_id, email_enc, email_masked, language, time_zone, sms, email, in_app, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (customer_id) DO UPDATE SET \
         email_enc = excluded.email_enc, email_masked = excluded.email_masked, language = excluded.language, \
         time_zone = excluded.time_zone, sms = excluded.sms, email = excluded.email, in_app = excluded.in_app, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(p.customer_id)
    .bind(&p.email_enc)
    .bind(&p.email_masked)
    .bind(&p.language)
    .bind(&p.time_zone)
    .bind(i64::from(p.sms))
    .bind(i64::from(p.email))
    .bind(i64::from(p.in_app))
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The encrypted phone of a customer and the encrypted e-mail of its preferences.
///
/// # Errors
/// A database error.
pub async fn addresses<'e, E>(
    executor: E,
    customer_id: i64,
) -> Result<(Option<Vec<u8>>, Option<Vec<u8>>, Option<String>), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT c.phone_enc, p.email_enc, p.time_zone FROM customers c \
         LEFT JOIN contact_preferences p ON p.customer_id = c.id WHERE c.id = $1",
    )
    .bind(customer_id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map_or((None, None, None), |r| (r.get(0), r.get(1), r.get(2))))
}

/// Template overrides: (kind, language, subject, body).
///
/// # Errors
/// A database error.
pub async fn templates(
    tx: &mut Tx<'_>,
) -> Result<Vec<(String, String, String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT kind, language, subject, body FROM message_templates ORDER BY kind, language",
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect())
}

/// Saves a template override.
///
/// # Errors
/// A database error.
pub async fn put_template(
    tx: &mut Tx<'_>,
    kind: &str,
    language: &str,
    subject: &str,
    body: &str,
    by: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO message_templates (kind, language, subject, body, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (kind, language) DO UPDATE SET subject = excluded.subject, body = excluded.body, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(kind)
    .bind(language)
    .bind(subject)
    .bind(body)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
