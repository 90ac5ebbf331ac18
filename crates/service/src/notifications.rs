//! Borrower notifications (还款提醒 / 逾期通知): the notices the daily close writes become
//! messages — SMS through the SMS gateway, e-mail through SMTP, in-app — in the
//! borrower's language, delivered by a dispatcher that keeps the contact rules.
//!
//! - [`expand`] turns each pending notice into one message per channel the borrower
//!   accepts (SMS when a phone is on file, e-mail when an address is, in-app always unless
//!   refused), filled from the template of its kind and language (an override saved with
//!   [`put_template`] or the built-in one). A notice of a loan no longer serviced by then
//!   (paid off, settled, written off) is skipped.
//! - [`deliver`] tries the messages due at `now`: a message in the borrower's quiet hours
//!   (22:00–08:00 in their time zone) or over their daily cap (3 SMS and e-mails) is
//!   deferred to the first allowed time — never dropped; a transient failure is retried
//!   after 1, 2, 4, 8 and 16 minutes and fails after the sixth attempt; a permanent one
//!   fails at once.
//! - A message is claimed (`sending`, with a five-minute lease) before it goes out, so two
//!   dispatchers never send it twice; a dispatcher that dies mid-send leaves it to be tried
//!   again after the lease (at least once: the reference travels as the e-mail's
//!   Message-ID and the SMS request's Idempotency-Key, so a partner can drop a repeat).
//!
//! Both take `now` (the wall clock) as an argument: `loanbook serve` runs them every few
//! seconds; tests pass the times they need.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use loanbook_core::post_loan::contact::ContactRules;
use loanbook_core::post_loan::reminders::NoticeKind;
use loanbook_core::post_loan::templates::{self, Language, Template};
use loanbook_store::audit::timestamp;
use loanbook_store::crypto::mask;
use loanbook_store::notifications::{
    self as store, NoticeToSend, OutboxFilter, OutboxRow, PreferencesRow,
};
use serde::{Deserialize, Serialize};

use crate::adapters::{DeliveryError, Email, SmsMessage};
use crate::collections::{local, money, to_utc, zone};
use crate::{Actor, App, Permission, ServiceError, record};

/// Attempts before a message fails for good.
pub const MAX_ATTEMPTS: i64 = 6;

/// How long a claimed message is held by its dispatcher.
const LEASE_MINUTES: i64 = 5;

/// Notices expanded per call.
const EXPAND_BATCH: i64 = 1000;

/// The channels.
pub const CHANNELS: [&str; 3] = ["sms", "email", "in_app"];

/// Expands up to a batch of pending notices into messages; returns the messages queued.
///
/// # Errors
/// A database error.
pub async fn expand(app: &App, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let at = timestamp(now);
    let mut tx = app.db().begin().await?;
    let notices = store::pending_notices(&mut tx, EXPAND_BATCH).await?;
    if notices.is_empty() {
        return Ok(0);
    }
    let overrides = store::templates(&mut tx).await?;
    let mut queued = 0;
    let mut ids = Vec::with_capacity(notices.len());
    let mut skipped = Vec::new();
    for n in &notices {
        let Some(kind) = NoticeKind::parse(&n.kind) else {
            skipped.push(n.id);
            continue;
        };
        // a loan paid off, settled or written off since the close: nothing to remind of
        if n.loan_status != "active" {
            skipped.push(n.id);
            continue;
        }
        ids.push(n.id);
        let language = n
            .language
            .as_deref()
            .and_then(Language::parse)
            .unwrap_or(Language::Zh);
        let template = overrides
            .iter()
            .find(|(k, l, _, _)| k == kind.code() && l == language.code())
            .map_or_else(
                || templates::builtin(kind, language),
                |(_, _, subject, body)| Template {
                    subject: subject.clone(),
                    body: body.clone(),
                },
            );
        let fields = fields(n);
        // a template that cannot be filled falls back to the built-in one
        let (subject, body) = match (
            templates::render(&template.subject, &fields),
            templates::render(&template.body, &fields),
        ) {
            (Ok(s), Ok(b)) => (s, b),
            _ => {
                let t = templates::builtin(kind, language);
                (
                    templates::render(&t.subject, &fields).unwrap_or(t.subject),
                    templates::render(&t.body, &fields).unwrap_or(t.body),
                )
            }
        };
        for (channel, wanted) in [
            ("sms", n.sms && n.has_phone),
            ("email", n.email && n.has_email),
            ("in_app", n.in_app),
        ] {
            if !wanted {
                continue;
            }
            store::insert_message(
                &mut tx,
                &OutboxRow {
                    notice_id: Some(n.id),
                    customer_id: n.customer_id,
                    loan_id: Some(n.loan_id),
                    channel: channel.into(),
                    kind: kind.code().into(),
                    language: language.code().into(),
                    subject: subject.clone(),
                    body: body.clone(),
                    status: "pending".into(),
                    next_attempt_at: at.clone(),
                    created_at: at.clone(),
                    ..OutboxRow::default()
                },
            )
            .await?;
            queued += 1;
        }
    }
    store::mark_notices(&mut tx, &ids, "expanded").await?;
    store::mark_notices(&mut tx, &skipped, "skipped").await?;
    tx.commit().await?;
    Ok(queued)
}

/// The fields a template of notice `n` may use.
fn fields(n: &NoticeToSend) -> BTreeMap<&'static str, String> {
    let due = n.due_date.clone().unwrap_or_default();
    let mut f = BTreeMap::new();
    f.insert("name", n.customer_name.clone());
    f.insert("loan", n.loan_ref.clone());
    f.insert("amount", money(n.due_minor));
    f.insert("due_date", due.clone());
    f.insert("dpd", n.dpd.to_string());
    f.insert("overdue_amount", money(n.overdue_minor));
    f.insert("promised_amount", money(n.promised_minor.unwrap_or(0)));
    f.insert("promised_date", due.clone());
    f.insert("settlement_amount", money(n.settlement_minor.unwrap_or(0)));
    f.insert("pay_by", due);
    f
}

/// What one [`deliver`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Delivered (handed to the partner, or put in the in-app inbox).
    pub sent: u64,
    /// Deferred by the quiet hours or the daily cap.
    pub deferred: u64,
    /// Failed for now; tried again later.
    pub retried: u64,
    /// Failed for good.
    pub failed: u64,
}

/// Tries the messages due at `now` (at most `limit`).
///
/// # Errors
/// A database error.
pub async fn deliver(
    app: &App,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<DeliveryReport, ServiceError> {
    let pool = app.db().pool();
    let rules = ContactRules::default();
    let at = timestamp(now);
    let lease = timestamp(now + Duration::minutes(LEASE_MINUTES));
    let mut report = DeliveryReport::default();
    for m in store::due_messages(pool, &at, limit).await? {
        if !store::claim(pool, m.id, &m.status, &m.next_attempt_at, &lease).await? {
            continue;
        }
        let (phone, email, tz_name) = store::addresses(pool, m.customer_id).await?;
        let tz = zone(tz_name.as_deref());
        let here = local(now, tz);
        let day_start = to_utc(here.date().and_time(chrono::NaiveTime::MIN), tz);
        let counts = m.channel != "in_app";
        let sent_today = if counts {
            store::sent_since(pool, m.customer_id, &timestamp(day_start)).await?
        } else {
            0
        };
        if let Some(wait) =
            rules.check_message(here, u32::try_from(sent_today).unwrap_or(u32::MAX), counts)
        {
            let until = timestamp(to_utc(wait.until(), tz));
            store::set_state(
                pool,
                m.id,
                "deferred",
                m.attempts,
                &until,
                Some(wait.code()),
                None,
                None,
                None,
            )
            .await?;
            report.deferred += 1;
            continue;
        }
        let reference = format!("outbox-{}", m.id);
        let outcome = match m.channel.as_str() {
            "in_app" => Ok("inbox".to_owned()),
            "sms" => match decrypt(app, phone.as_deref()) {
                Some(to) => {
                    app.sms()
                        .send(&SmsMessage {
                            to,
                            text: m.body.clone(),
                            reference,
                        })
                        .await
                }
                None => Err(DeliveryError::Permanent("no phone number on file".into())),
            },
            "email" => match decrypt(app, email.as_deref()) {
                Some(to) => {
                    app.mailer()
                        .send(&Email {
                            to,
                            subject: m.subject.clone(),
                            body: m.body.clone(),
                            reference,
                        })
                        .await
                }
                None => Err(DeliveryError::Permanent("no e-mail address on file".into())),
            },
            other => Err(DeliveryError::Permanent(format!("unknown channel {other}"))),
        };
        let attempts = m.attempts + 1;
        match outcome {
            Ok(provider) => {
                store::set_state(
                    pool,
                    m.id,
                    "sent",
                    attempts,
                    &at,
                    None,
                    None,
                    Some(&provider),
                    Some(&at),
                )
                .await?;
                report.sent += 1;
            }
            Err(e) if e.is_transient() && attempts < MAX_ATTEMPTS => {
                let next = timestamp(now + backoff(attempts));
                store::set_state(
                    pool,
                    m.id,
                    "retry",
                    attempts,
                    &next,
                    None,
                    Some(e.reason()),
                    None,
                    None,
                )
                .await?;
                report.retried += 1;
            }
            Err(e) => {
                store::set_state(
                    pool,
                    m.id,
                    "failed",
                    attempts,
                    &at,
                    None,
                    Some(e.reason()),
                    None,
                    None,
                )
                .await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// The wait after the `attempts`-th failed attempt: 1, 2, 4, 8, 16 minutes.
pub fn backoff(attempts: i64) -> Duration {
    Duration::minutes(1 << (attempts - 1).clamp(0, 10))
}

fn decrypt(app: &App, stored: Option<&[u8]>) -> Option<String> {
    app.keys().decrypt(stored?).ok()
}

/// Expands and delivers everything due at `now`: what `loanbook serve` runs every few
/// seconds.
///
/// # Errors
/// A database error.
pub async fn dispatch(app: &App, now: DateTime<Utc>) -> Result<DeliveryReport, ServiceError> {
    while expand(app, now).await? > 0 {}
    let mut total = DeliveryReport::default();
    loop {
        let r = deliver(app, now, 500).await?;
        total.sent += r.sent;
        total.deferred += r.deferred;
        total.retried += r.retried;
        total.failed += r.failed;
        if r.sent + r.deferred + r.retried + r.failed < 500 {
            return Ok(total);
        }
    }
}

/// Runs [`dispatch`] now, on request (the server also runs it every few seconds).
///
/// # Errors
/// Forbidden without `notification:manage`; a database error.
pub async fn dispatch_now(app: &App, actor: &Actor) -> Result<DeliveryReport, ServiceError> {
    actor.require(Permission::NotificationManage)?;
    dispatch(app, app.now()).await
}

/// A message as the outbox shows it.
pub type MessageView = OutboxRow;

/// Which messages to list.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct MessageQuery {
    /// A customer.
    pub customer_id: Option<i64>,
    /// A loan.
    pub loan_id: Option<i64>,
    /// pending, deferred, retry, sending, sent, failed.
    pub status: Option<String>,
    /// sms, email, in_app.
    pub channel: Option<String>,
    /// At most (default 200, at most 5000).
    pub limit: Option<i64>,
}

/// Messages of the outbox, newest first.
///
/// # Errors
/// Forbidden without `notification:manage` or `collection:work`; [`ServiceError::Invalid`]
/// naming `status`, `channel` or `limit`.
pub async fn messages(
    app: &App,
    actor: &Actor,
    q: &MessageQuery,
) -> Result<Vec<MessageView>, ServiceError> {
    if actor.require(Permission::NotificationManage).is_err() {
        actor.require(Permission::CollectionWork)?;
    }
    const STATUSES: [&str; 6] = ["pending", "deferred", "retry", "sending", "sent", "failed"];
    if let Some(s) = &q.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ServiceError::invalid(
            "status",
            format!("must be one of {}", STATUSES.join(", ")),
        ));
    }
    if let Some(c) = &q.channel
        && !CHANNELS.contains(&c.as_str())
    {
        return Err(ServiceError::invalid(
            "channel",
            format!("must be one of {}", CHANNELS.join(", ")),
        ));
    }
    let limit = q.limit.unwrap_or(200);
    if !(1..=5000).contains(&limit) {
        return Err(ServiceError::invalid("limit", "must be from 1 to 5000"));
    }
    Ok(store::messages(
        app.db().pool(),
        &OutboxFilter {
            customer_id: q.customer_id,
            loan_id: q.loan_id,
            status: q.status.clone(),
            channel: q.channel.clone(),
            limit,
        },
    )
    .await?)
}

/// Sends failed message `id` again (after the address was corrected).
///
/// # Errors
/// Forbidden without `notification:manage`; not found; a conflict unless failed.
pub async fn retry(app: &App, actor: &Actor, id: i64) -> Result<MessageView, ServiceError> {
    actor.require(Permission::NotificationManage)?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let m = store::message(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("message {id}")))?;
    if m.status != "failed" {
        return Err(ServiceError::Conflict(format!(
            "message {id} is {}, not failed",
            m.status
        )));
    }
    store::set_state(&mut *tx, id, "pending", 0, &at, None, None, None, None).await?;
    record(
        &mut tx,
        actor,
        "notification.retry",
        "outbox",
        &id.to_string(),
        None,
        None,
    )
    .await?;
    let after = store::message(&mut tx, id).await?;
    tx.commit().await?;
    after.ok_or_else(|| ServiceError::NotFound(format!("message {id}")))
}

/// How a borrower wants to be reached.
#[derive(Clone, Debug, Deserialize)]
pub struct PreferencesInput {
    /// E-mail address (stored encrypted; empty to remove).
    pub email: Option<String>,
    /// zh or en.
    pub language: Option<String>,
    /// IANA time zone, e.g. Asia/Shanghai.
    pub time_zone: Option<String>,
    /// Accepts SMS.
    pub sms: Option<bool>,
    /// Accepts e-mail.
    pub email_enabled: Option<bool>,
    /// Accepts in-app messages.
    pub in_app: Option<bool>,
}

/// Contact preferences as shown (the e-mail masked).
#[derive(Clone, Debug, Serialize)]
pub struct PreferencesView {
    /// The customer.
    pub customer_id: i64,
    /// E-mail, masked.
    pub email: Option<String>,
    /// zh or en.
    pub language: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Accepts SMS.
    pub sms: bool,
    /// Accepts e-mail.
    pub email_enabled: bool,
    /// Accepts in-app messages.
    pub in_app: bool,
}

fn view(p: &PreferencesRow) -> PreferencesView {
    PreferencesView {
        customer_id: p.customer_id,
        email: p.email_masked.clone(),
        language: p.language.clone(),
        time_zone: p.time_zone.clone(),
        sms: p.sms,
        email_enabled: p.email,
        in_app: p.in_app,
    }
}

fn defaults(customer_id: i64) -> PreferencesRow {
    PreferencesRow {
        customer_id,
        language: "zh".into(),
        time_zone: "Asia/Shanghai".into(),
        sms: true,
        email: true,
        in_app: true,
        ..PreferencesRow::default()
    }
}

/// The contact preferences of a customer (defaults when none were set).
///
/// # Errors
/// Forbidden without `customer:read`.
pub async fn preferences(
    app: &App,
    actor: &Actor,
    customer_id: i64,
) -> Result<PreferencesView, ServiceError> {
    actor.require(Permission::CustomerRead)?;
    let p = store::preferences(app.db().pool(), customer_id)
        .await?
        .unwrap_or_else(|| defaults(customer_id));
    Ok(view(&p))
}

/// Changes the contact preferences of a customer.
///
/// # Errors
/// Forbidden without `customer:write`; [`ServiceError::Invalid`] naming `email`,
/// `language` or `time_zone`; not found.
pub async fn set_preferences(
    app: &App,
    actor: &Actor,
    customer_id: i64,
    input: &PreferencesInput,
) -> Result<PreferencesView, ServiceError> {
    actor.require(Permission::CustomerWrite)?;
    let mut v = Vec::new();
    let mut tx = app.db().begin().await?;
    let mut p = store::preferences(&mut *tx, customer_id)
        .await?
        .unwrap_or_else(|| defaults(customer_id));
    if loanbook_store::customers::get(&mut *tx, customer_id)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound(format!("customer {customer_id}")));
    }
    let before = view(&p);
    if let Some(email) = input.email.as_deref().map(str::trim) {
        if email.is_empty() {
            p.email_enc = None;
            p.email_masked = None;
        } else if valid_email(email) {
            p.email_enc = Some(app.keys().encrypt(email));
            let (user, domain) = email.split_once('@').unwrap_or((email, ""));
            p.email_masked = Some(format!("{}@{domain}", mask(user, 1, 0)));
        } else {
            v.push(crate::Violation::new(
                "email",
                format!("'{email}' is not an e-mail address (name@domain)"),
            ));
        }
    }
    if let Some(l) = &input.language {
        match Language::parse(l) {
            Some(lang) => p.language = lang.code().into(),
            None => v.push(crate::Violation::new("language", "must be zh or en")),
        }
    }
    if let Some(tz) = &input.time_zone {
        if tz.parse::<chrono_tz::Tz>().is_ok() {
            p.time_zone = tz.clone();
        } else {
            v.push(crate::Violation::new(
                "time_zone",
                format!("'{tz}' is not an IANA time zone, e.g. Asia/Shanghai"),
            ));
        }
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    p.sms = input.sms.unwrap_or(p.sms);
    p.email = input.email_enabled.unwrap_or(p.email);
    p.in_app = input.in_app.unwrap_or(p.in_app);
    store::put_preferences(&mut tx, &p, &actor.username, &timestamp(app.now())).await?;
    let after = view(&p);
    record(
        &mut tx,
        actor,
        "customer.contact_preferences",
        "customer",
        &customer_id.to_string(),
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

fn valid_email(email: &str) -> bool {
    let Some((user, domain)) = email.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// Saves the template of a notice kind in a language (replacing the built-in one).
///
/// # Errors
/// Forbidden without `notification:manage`; [`ServiceError::Invalid`] naming `kind`,
/// `language`, `subject` or `body` (an unknown field, an unbalanced brace, empty).
pub async fn put_template(
    app: &App,
    actor: &Actor,
    kind: &str,
    language: &str,
    template: &Template,
) -> Result<Template, ServiceError> {
    actor.require(Permission::NotificationManage)?;
    let mut v = Vec::new();
    let k = NoticeKind::parse(kind);
    if k.is_none() {
        let kinds: Vec<&str> = NoticeKind::ALL.iter().map(|k| k.code()).collect();
        v.push(crate::Violation::new(
            "kind",
            format!("must be one of {}", kinds.join(", ")),
        ));
    }
    let l = Language::parse(language);
    if l.is_none() {
        v.push(crate::Violation::new("language", "must be zh or en"));
    }
    if let Err(e) = templates::check(&template.subject) {
        v.push(crate::Violation::new("subject", e.to_string()));
    }
    if let Err(e) = templates::check(&template.body) {
        v.push(crate::Violation::new("body", e.to_string()));
    }
    let (Some(k), Some(l)) = (k, l) else {
        return Err(ServiceError::Invalid(v));
    };
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let mut tx = app.db().begin().await?;
    store::put_template(
        &mut tx,
        k.code(),
        l.code(),
        &template.subject,
        &template.body,
        &actor.username,
        &timestamp(app.now()),
    )
    .await?;
    record(
        &mut tx,
        actor,
        "notification.template",
        "message_template",
        &format!("{}/{}", k.code(), l.code()),
        None,
        serde_json::to_value(template).ok(),
    )
    .await?;
    tx.commit().await?;
    Ok(template.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_by_doubling() {
        let minutes: Vec<i64> = (1..=5).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16]);
    }

    #[test]
    fn e_mail_addresses_are_checked() {
        assert!(valid_email("li.na@example.com"));
        assert!(!valid_email("li.na@example"));
        assert!(!valid_email("@example.com"));
        assert!(!valid_email("li na@example.com"));
        assert!(!valid_email("li.na@.example.com"));
    }
}
