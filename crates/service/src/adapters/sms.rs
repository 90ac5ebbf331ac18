//! Text messages (SMS) to borrowers behind the [`SmsGateway`] trait: a client for an SMS
//! provider's HTTP API that takes one JSON POST per message ([`HttpSmsGateway`]) and an
//! in-memory simulator for demos and tests ([`SimulatedSms`]).
//!
//! Decisions: the message is checked before anything is sent (a bad number is refused
//! for good, naming the field). Our reference (the outbox message id) travels as the
//! `Idempotency-Key` header, so when an answer is lost and the outbox sends again, the
//! gateway can recognise the retry instead of texting the borrower twice. Any 2xx answer
//! is final, even when its body cannot be read, for the same reason. The phone number is
//! personal data: it is masked in `Debug` output and in every error message, and the API
//! key is never shown.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use loanbook_store::crypto::mask_phone;
use serde_json::{Value, json};

use super::delivery::DeliveryError;
use super::http::{self, HttpError};

/// Most characters of a message text (a long SMS is split by the gateway).
pub const MAX_TEXT_CHARS: usize = 1_000;

/// Most characters of a reference (the outbox message id).
pub const MAX_REFERENCE_CHARS: usize = 200;

/// Most characters of the sender (signature or sender id).
const MAX_SENDER_CHARS: usize = 50;

/// Most characters of a provider's message id kept as the delivery reference.
const MAX_PROVIDER_ID_CHARS: usize = 200;

/// Most characters of a gateway's error text kept in an error.
const MAX_SERVER_TEXT_CHARS: usize = 300;

/// A text message to one borrower.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// The recipient's mobile number: 11 digits (`13800138000`) or E.164
    /// (`+8613800138000`). Masked in `Debug`.
    pub to: String,
    /// The text, 1 to [`MAX_TEXT_CHARS`] characters.
    pub text: String,
    /// Our outbox message id, sent as the gateway's idempotency key.
    pub reference: String,
}

impl fmt::Debug for SmsMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsMessage")
            .field("to", &mask_phone(&self.to))
            .field("text", &self.text)
            .field("reference", &self.reference)
            .finish()
    }
}

/// Something that delivers text messages.
pub trait SmsGateway: Send + Sync + fmt::Debug {
    /// The gateway's name, stored with every delivery (`http`, `simulated`).
    fn name(&self) -> &str;

    /// Hands `msg` over for delivery and returns the provider's message id (or
    /// `accepted` when the provider gives none).
    ///
    /// # Errors
    /// [`DeliveryError::Permanent`] for an invalid message or configuration (naming the
    /// field) or a refusal that will not change (HTTP 4xx other than 408 and 429);
    /// [`DeliveryError::Transient`] for a connection failure, a timeout, a malformed
    /// answer, HTTP 408, 429 or 5xx.
    fn send<'a>(
        &'a self,
        msg: &'a SmsMessage,
    ) -> Pin<Box<dyn Future<Output = Result<String, DeliveryError>> + Send + 'a>>;
}

/// A client for an SMS provider's HTTP API (`http://` only; see [`super::http`]).
///
/// Each message is one `POST` of `{"to", "text", "reference", "sender"}` with
/// `Authorization: Bearer <api key>` (when a key is set) and
/// `Idempotency-Key: <reference>`. A 2xx answer's `id` is the provider's message id.
/// The configuration is checked when a message is sent: a bad URL, sender or API key is
/// a [`DeliveryError::Permanent`] naming the setting.
#[derive(Clone)]
pub struct HttpSmsGateway {
    url: String,
    api_key: Option<String>,
    sender: String,
    timeout: Duration,
}

impl fmt::Debug for HttpSmsGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSmsGateway")
            .field("url", &self.url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("sender", &self.sender)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl HttpSmsGateway {
    /// A client for the API at `url` (`http://…`), authenticating with `api_key` when
    /// given (an empty key counts as none), signing messages as `sender` (e.g. the
    /// lender's registered signature), giving each message at most `timeout` (connect,
    /// send and answer).
    pub fn new(
        url: String,
        api_key: Option<String>,
        sender: String,
        timeout: Duration,
    ) -> HttpSmsGateway {
        HttpSmsGateway {
            url,
            api_key: api_key.filter(|k| !k.trim().is_empty()),
            sender,
            timeout,
        }
    }

    /// Checks the configuration and the message before anything is sent.
    fn check(&self, msg: &SmsMessage) -> Result<(), DeliveryError> {
        if let Err(e) = http::parse_url(&self.url) {
            return Err(config_error(&e.to_string()));
        }
        let sender = self.sender.trim();
        if sender.is_empty()
            || sender.chars().count() > MAX_SENDER_CHARS
            || sender.chars().any(char::is_control)
        {
            return Err(config_error(&format!(
                "sender must be 1 to {MAX_SENDER_CHARS} characters without control characters"
            )));
        }
        if self
            .api_key
            .as_deref()
            .is_some_and(|k| k.chars().any(char::is_control))
        {
            return Err(config_error("api_key must not contain control characters"));
        }
        check_message(msg)
    }

    async fn send_http(&self, msg: &SmsMessage) -> Result<String, DeliveryError> {
        self.check(msg)?;
        let body = json!({
            "to": msg.to,
            "text": msg.text,
            "reference": msg.reference,
            "sender": self.sender.trim(),
        });
        let authorization = self
            .api_key
            .as_ref()
            .map(|k| format!("Bearer {}", k.trim()));
        let mut headers = vec![("Idempotency-Key", msg.reference.as_str())];
        if let Some(authorization) = &authorization {
            headers.push(("Authorization", authorization.as_str()));
        }
        match http::post_json(&self.url, &headers, &body, self.timeout).await {
            Ok((status, answer)) => outcome(status, &answer, &msg.to),
            Err(HttpError::NotJson { status, .. }) => outcome(status, &Value::Null, &msg.to),
            Err(e @ (HttpError::BadUrl { .. } | HttpError::BadHeader { .. })) => {
                Err(config_error(&e.to_string()))
            }
            Err(e) => Err(DeliveryError::Transient(format!(
                "the SMS gateway failed: {e}"
            ))),
        }
    }
}

impl SmsGateway for HttpSmsGateway {
    fn name(&self) -> &str {
        "http"
    }

    fn send<'a>(
        &'a self,
        msg: &'a SmsMessage,
    ) -> Pin<Box<dyn Future<Output = Result<String, DeliveryError>> + Send + 'a>> {
        Box::pin(self.send_http(msg))
    }
}

fn config_error(rule: &str) -> DeliveryError {
    DeliveryError::Permanent(format!("SMS configuration: {rule}"))
}

/// What an answer with `status` means: 2xx accepted (the provider's id, or `accepted`);
/// 408, 429 and 5xx worth retrying; anything else a refusal for good.
fn outcome(status: u16, answer: &Value, to: &str) -> Result<String, DeliveryError> {
    if (200..300).contains(&status) {
        return Ok(provider_id(answer));
    }
    let message = format!(
        "the SMS gateway answered {status}: {}",
        error_text(answer, to)
    );
    if status == 408 || status == 429 || (500..600).contains(&status) {
        Err(DeliveryError::Transient(message))
    } else {
        Err(DeliveryError::Permanent(message))
    }
}

/// The `id` of a 2xx answer (a string or a number), or `accepted`.
fn provider_id(answer: &Value) -> String {
    let id = match answer.get("id") {
        Some(Value::String(id)) => id.trim().to_owned(),
        Some(Value::Number(id)) => id.to_string(),
        _ => String::new(),
    };
    if id.is_empty() {
        return "accepted".to_owned();
    }
    id.chars().take(MAX_PROVIDER_ID_CHARS).collect()
}

/// The gateway's reason: the body's `error`, `message` or `detail` (a string, or
/// `message` inside an object), cut short, with the phone number masked.
fn error_text(answer: &Value, to: &str) -> String {
    let text = ["error", "message", "detail"]
        .iter()
        .find_map(|key| match answer.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(o)) => o.get("message").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        });
    let Some(text) = text else {
        return "(no error message)".to_owned();
    };
    let text = if to.is_empty() {
        text
    } else {
        text.replace(to, &mask_phone(to))
    };
    text.chars().take(MAX_SERVER_TEXT_CHARS).collect()
}

/// Checks a message's fields before anything is sent; the number is never repeated.
fn check_message(msg: &SmsMessage) -> Result<(), DeliveryError> {
    let invalid = |field: &str, rule: &str| {
        Err(DeliveryError::Permanent(format!(
            "SMS field '{field}' {rule}"
        )))
    };
    if !is_valid_phone(&msg.to) {
        return invalid(
            "to",
            "must be a mobile number: 11 digits starting 13 to 19 (13800138000), or '+' \
             and 8 to 15 digits with the country code (+8613800138000)",
        );
    }
    if msg.text.trim().is_empty() {
        return invalid("text", "must not be empty");
    }
    let chars = msg.text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return invalid(
            "text",
            &format!("must be at most {MAX_TEXT_CHARS} characters (got {chars})"),
        );
    }
    let reference = msg.reference.as_str();
    if reference.is_empty()
        || reference.chars().count() > MAX_REFERENCE_CHARS
        || !reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return invalid(
            "reference",
            &format!("must be 1 to {MAX_REFERENCE_CHARS} letters, digits, '-', '_' or '.'"),
        );
    }
    Ok(())
}

/// A mainland mobile number (`1[3-9]` and 9 more digits), bare or after `+86`, or
/// another E.164 number (`+`, then 8 to 15 digits not starting with 0).
fn is_valid_phone(to: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mainland = |s: &str| {
        let b = s.as_bytes();
        digits(s) && b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
    };
    match to.strip_prefix('+') {
        Some(rest) => match rest.strip_prefix("86") {
            Some(national) => mainland(national),
            None => digits(rest) && (8..=15).contains(&rest.len()) && !rest.starts_with('0'),
        },
        None => mainland(to),
    }
}

/// An in-memory stand-in for an SMS gateway, for demos and tests — it sends nothing.
///
/// Accepted messages are kept in order ([`SimulatedSms::sent`]) and get the ids
/// `sim-sms-1`, `sim-sms-2`, …; clones share them. Messages are checked with the same
/// rules as [`HttpSmsGateway`].
///
/// Test triggers, on the number's last four digits: `0000` (e.g. `13800000000`) fails
/// with [`DeliveryError::Permanent`] `no such subscriber`, `9999` fails with
/// [`DeliveryError::Transient`] `gateway busy`. Neither is kept.
#[derive(Clone, Debug, Default)]
pub struct SimulatedSms {
    sent: Arc<Mutex<Vec<SmsMessage>>>,
}

impl SimulatedSms {
    /// A simulator with nothing sent yet.
    pub fn new() -> SimulatedSms {
        SimulatedSms::default()
    }

    /// The messages accepted so far, oldest first.
    pub fn sent(&self) -> Vec<SmsMessage> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn accept(&self, msg: &SmsMessage) -> Result<String, DeliveryError> {
        check_message(msg)?;
        if msg.to.ends_with("0000") {
            return Err(DeliveryError::Permanent("no such subscriber".to_owned()));
        }
        if msg.to.ends_with("9999") {
            return Err(DeliveryError::Transient("gateway busy".to_owned()));
        }
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        sent.push(msg.clone());
        Ok(format!("sim-sms-{}", sent.len()))
    }
}

impl SmsGateway for SimulatedSms {
    fn name(&self) -> &str {
        "simulated"
    }

    fn send<'a>(
        &'a self,
        msg: &'a SmsMessage,
    ) -> Pin<Box<dyn Future<Output = Result<String, DeliveryError>> + Send + 'a>> {
        Box::pin(async move { self.accept(msg) })
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;

    use super::super::http::test_server::{json as respond, once};
    use super::super::sinks::WebhookSink;
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(5);

    fn message(to: &str) -> SmsMessage {
        SmsMessage {
            to: to.to_owned(),
            text: "【示例金融】您的第3期还款 1,234.50 元将于 2026-12-05 到期。".to_owned(),
            reference: "outbox-42".to_owned(),
        }
    }

    fn gateway(url: String) -> HttpSmsGateway {
        HttpSmsGateway::new(
            url,
            Some("k-123".to_owned()),
            "示例金融".to_owned(),
            TIMEOUT,
        )
    }

    #[test]
    fn phone_numbers() {
        for good in [
            "13800138000",
            "19912345678",
            "+8613800138000",
            "+14155550123",
            "+447911123456",
        ] {
            assert!(is_valid_phone(good), "{good}");
        }
        for bad in [
            "",
            "1380013800",
            "138001380001",
            "12800138000",
            "8613800138000",
            "+86123",
            "+8612800138000",
            "+1415",
            "+0123456789",
            "+1234567890123456",
            "138 0013 8000",
            "+86 13800138000",
            "１３８００１３８０００",
        ] {
            assert!(!is_valid_phone(bad), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_key_and_masks_the_number() {
        let gw = gateway("http://127.0.0.1:1/sms".to_owned());
        assert!(!format!("{gw:?}").contains("k-123"), "{gw:?}");
        let shown = format!("{:?}", message("13800138000"));
        assert!(
            shown.contains("138****8000") && !shown.contains("13800138000"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn posts_the_message_with_its_headers() {
        let sink = WebhookSink::start().await;
        let msg = message("+8613800138000");
        let id = gateway(sink.url()).send(&msg).await.expect("sent");
        assert_eq!(id, "sms-1");
        let received = sink.wait_for(1, TIMEOUT).await;
        assert_eq!(
            received,
            [json!({
                "to": "+8613800138000",
                "text": msg.text,
                "reference": "outbox-42",
                "sender": "示例金融",
            })]
        );
        let request = &sink.requests()[0];
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/sms")
        );
        assert_eq!(request.header("authorization"), Some("Bearer k-123"));
        assert_eq!(request.header("Idempotency-Key"), Some("outbox-42"));
        assert_eq!(request.header("Content-Type"), Some("application/json"));

        // Without a key there is no Authorization header.
        let keyless =
            HttpSmsGateway::new(sink.url(), Some(" ".to_owned()), "L".to_owned(), TIMEOUT);
        assert_eq!(keyless.send(&msg).await.expect("sent"), "sms-2");
        assert_eq!(sink.requests()[1].header("Authorization"), None);
    }

    #[tokio::test]
    async fn busy_answers_are_transient_and_refusals_permanent() {
        let sink = WebhookSink::start().await;
        let gw = gateway(sink.url());
        let msg = message("13800138000");
        for status in [503, 500, 429, 408] {
            sink.fail_next(1, status);
            let err = gw.send(&msg).await.expect_err("busy");
            assert!(err.is_transient(), "{status}: {err}");
            assert!(
                err.reason().contains(&format!("answered {status}")),
                "{err}"
            );
        }
        for status in [400, 401, 404, 422, 301] {
            sink.fail_next(1, status);
            let err = gw.send(&msg).await.expect_err("refused");
            assert!(!err.is_transient(), "{status}: {err}");
        }
        assert!(sink.received().is_empty());
        assert_eq!(sink.requests().len(), 9);
    }

    #[tokio::test]
    async fn the_gateway_reason_is_kept_without_the_number() {
        let answer = json!({"error": "number 13800138000 is on the block list"});
        let (url, _seen) = once(respond(400, &answer)).await;
        let err = gateway(url)
            .send(&message("13800138000"))
            .await
            .expect_err("400");
        assert_eq!(
            err,
            DeliveryError::Permanent(
                "the SMS gateway answered 400: number 138****8000 is on the block list".into()
            )
        );
    }

    #[tokio::test]
    async fn a_2xx_without_json_or_id_is_accepted() {
        let (url, _seen) =
            once(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok".to_vec()).await;
        let id = gateway(url)
            .send(&message("13800138000"))
            .await
            .expect("accepted");
        assert_eq!(id, "accepted");
        let (url, _seen) = once(respond(200, &json!({"id": 98765}))).await;
        let id = gateway(url)
            .send(&message("13800138000"))
            .await
            .expect("accepted");
        assert_eq!(id, "98765");
    }

    #[tokio::test]
    async fn nothing_listening_is_transient() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        let err = gateway(format!("http://127.0.0.1:{port}/sms"))
            .send(&message("13800138000"))
            .await
            .expect_err("refused");
        assert!(err.is_transient(), "{err}");
        assert!(err.reason().contains("cannot connect"), "{err}");
    }

    #[tokio::test]
    async fn bad_input_is_refused_before_connecting() {
        // Port 1 on localhost: connecting would fail as transient, so a permanent
        // error proves nothing was attempted.
        let gw = gateway("http://127.0.0.1:1/sms".to_owned());
        let cases = [
            (
                message("1391234567"),
                "SMS field 'to' must be a mobile number",
            ),
            (
                SmsMessage {
                    text: " \n".into(),
                    ..message("13800138000")
                },
                "SMS field 'text' must not be empty",
            ),
            (
                SmsMessage {
                    text: "还".repeat(1001),
                    ..message("13800138000")
                },
                "SMS field 'text' must be at most 1000 characters (got 1001)",
            ),
            (
                SmsMessage {
                    reference: "a b".into(),
                    ..message("13800138000")
                },
                "SMS field 'reference'",
            ),
        ];
        for (msg, start) in cases {
            let err = gw.send(&msg).await.expect_err(start);
            assert!(
                !err.is_transient() && err.reason().starts_with(start),
                "{err}"
            );
            assert!(!err.reason().contains("1391234567"), "{err}");
        }
        let ok_length = SmsMessage {
            text: "还".repeat(1000),
            ..message("13800138000")
        };
        assert!(
            gw.send(&ok_length)
                .await
                .expect_err("port 1")
                .is_transient()
        );

        for (url, sender, rule) in [
            ("https://sms.example/", "L", "is not a usable URL"),
            ("http://127.0.0.1:1/", " ", "sender must be"),
        ] {
            let gw = HttpSmsGateway::new(url.into(), None, sender.into(), TIMEOUT);
            let err = gw.send(&message("13800138000")).await.expect_err(rule);
            assert!(
                !err.is_transient() && err.reason().starts_with("SMS configuration: "),
                "{err}"
            );
            assert!(err.reason().contains(rule), "{err}");
        }
    }

    #[tokio::test]
    async fn the_simulator_keeps_messages_and_honours_its_triggers() {
        let simulator = SimulatedSms::new();
        let shared = simulator.clone();
        assert_eq!(simulator.name(), "simulated");
        assert_eq!(
            simulator.send(&message("13800138000")).await,
            Ok("sim-sms-1".to_owned())
        );
        assert_eq!(
            simulator.send(&message("13800000000")).await,
            Err(DeliveryError::Permanent("no such subscriber".into()))
        );
        assert_eq!(
            simulator.send(&message("+8613800139999")).await,
            Err(DeliveryError::Transient("gateway busy".into()))
        );
        let err = simulator.send(&message("12345")).await.expect_err("bad");
        assert!(err.reason().starts_with("SMS field 'to'"), "{err}");
        assert_eq!(shared.sent(), [message("13800138000")]);
    }
}
