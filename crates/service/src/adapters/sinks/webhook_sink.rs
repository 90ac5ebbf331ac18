//! [`WebhookSink`]: an HTTP/1.1 server that takes JSON POSTs, the shape of an SMS
//! gateway's API, and keeps every request.
//!
//! One request per connection (`Connection: close`); the body is framed by
//! `Content-Length` (chunked request bodies are refused with 411). An accepted POST is
//! answered `200 {"id":"sms-<n>"}`, `n` counting the accepted bodies from 1.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpStream;

use super::{Inbox, Listener, MAX_KEPT, Refusals};
use crate::adapters::smtp::LineStream;

/// Most bytes of one request: head and body (1 MiB).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Most bytes of one line of the request head.
const MAX_LINE_BYTES: usize = 16 * 1024;

/// Most header lines of one request.
const MAX_HEADERS: usize = 100;

/// An HTTP request as the sink received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The request target: path and query, e.g. `/sms`.
    pub path: String,
    /// The headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
}

impl ReceivedRequest {
    /// The value of the first header called `name` (any letter case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the sessions of one sink share.
#[derive(Debug)]
struct Shared {
    /// The JSON bodies of accepted requests.
    accepted: Inbox<Value>,
    /// Every request, accepted or not (at most [`MAX_KEPT`]).
    requests: Mutex<Vec<ReceivedRequest>>,
    refusals: Refusals,
}

impl Shared {
    /// Keeps `request` and decides the status and the JSON body of the answer.
    fn answer(&self, request: ReceivedRequest) -> (u16, Value) {
        let body = request.body.clone();
        let is_post = request.method == "POST";
        {
            let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
            if requests.len() < MAX_KEPT {
                requests.push(request);
            }
        }
        if let Some(status) = self.refusals.take() {
            return (
                status,
                json!({"error": format!("simulated failure {status}")}),
            );
        }
        if !is_post {
            return (405, json!({"error": "only POST is accepted"}));
        }
        let Ok(value) = serde_json::from_str::<Value>(&body) else {
            return (400, json!({"error": "the body is not JSON"}));
        };
        match self.accepted.push(value) {
            Some(number) => (200, json!({"id": format!("sms-{number}")})),
            None => (
                507,
                json!({"error": format!("the test sink already holds {MAX_KEPT} requests")}),
            ),
        }
    }
}

/// An HTTP server on `127.0.0.1` for tests and demos that stands in for an SMS gateway:
/// it keeps every request in memory and never forwards anything. Dropping it stops it.
#[derive(Debug)]
pub struct WebhookSink {
    shared: Arc<Shared>,
    listener: Listener,
}

impl WebhookSink {
    /// Starts a sink on `127.0.0.1` at a free port (see [`WebhookSink::url`]).
    ///
    /// # Panics
    /// When the loopback address cannot be bound.
    pub async fn start() -> WebhookSink {
        let shared = Arc::new(Shared {
            accepted: Inbox::new(),
            requests: Mutex::new(Vec::new()),
            refusals: Refusals::default(),
        });
        let for_sessions = shared.clone();
        let listener = Listener::start(move |stream| session(stream, for_sessions.clone())).await;
        WebhookSink { shared, listener }
    }

    /// The TCP port the sink listens on.
    pub fn port(&self) -> u16 {
        self.listener.port
    }

    /// The URL to POST to: `http://127.0.0.1:<port>/sms` (any path is served alike).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/sms", self.port())
    }

    /// The JSON bodies of the requests answered 200 so far, oldest first.
    pub fn received(&self) -> Vec<Value> {
        self.shared.accepted.all()
    }

    /// Every request so far, oldest first, including those refused.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The accepted bodies, once there are at least `count` of them or `timeout` has
    /// passed (then with fewer).
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Value> {
        self.shared.accepted.wait_for(count, timeout).await
    }

    /// Answers the next `count` requests with `status` and `{"error": …}`, without
    /// keeping them in [`WebhookSink::received`]; replaces any earlier setting.
    ///
    /// # Panics
    /// When `status` is not in 200..=599.
    pub fn fail_next(&self, count: usize, status: u16) {
        assert!(
            (200..=599).contains(&status),
            "fail_next: the status {status} is not in 200..=599"
        );
        self.shared.refusals.set(count, status);
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let mut conn = LineStream::new(stream, MAX_REQUEST_BYTES);
    // A broken request or connection just ends the session.
    let Ok(outcome) = read_request(&mut conn).await else {
        return;
    };
    let (status, body) = match outcome {
        Ok(request) => shared.answer(request),
        Err((status, reason)) => (status, json!({ "error": reason })),
    };
    let _ = conn.write_all(&response(status, &body)).await;
}

/// A request, or the status and reason to refuse it with, unkept.
type Outcome = Result<ReceivedRequest, (u16, &'static str)>;

/// Reads the request line, the headers and a `Content-Length` body.
async fn read_request(conn: &mut LineStream) -> io::Result<Outcome> {
    let line = next_line(conn).await?;
    let mut parts = line.splitn(3, ' ');
    let (method, path, version) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default(),
    );
    if method.is_empty() || !path.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Ok(Err((400, "malformed request line")));
    }
    let mut headers = Vec::new();
    loop {
        let line = next_line(conn).await?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Ok(Err((431, "too many headers")));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Ok(Err((400, "a header line has no ':'")));
        };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut request = ReceivedRequest {
        method,
        path,
        headers,
        body: String::new(),
    };
    if request.header("Transfer-Encoding").is_some() {
        return Ok(Err((411, "send the body with Content-Length")));
    }
    let length = match request.header("Content-Length").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(length)) if length <= MAX_REQUEST_BYTES => length,
        Some(Ok(_)) => return Ok(Err((413, "the body is too large"))),
        Some(Err(_)) => return Ok(Err((400, "Content-Length is not a number"))),
    };
    let Some(body) = conn.read_exact(length).await? else {
        return Err(io::ErrorKind::UnexpectedEof.into());
    };
    request.body = String::from_utf8_lossy(&body).into_owned();
    Ok(Ok(request))
}

/// The next line of the head; the end of the stream is an error.
async fn next_line(conn: &mut LineStream) -> io::Result<String> {
    match conn.read_line(MAX_LINE_BYTES).await? {
        Some(line) => Ok(String::from_utf8_lossy(&line).into_owned()),
        None => Err(io::ErrorKind::UnexpectedEof.into()),
    }
}

/// The response bytes: status line, headers and the JSON body.
fn response(status: u16, body: &Value) -> Vec<u8> {
    let text = body.to_string();
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{text}",
        reason(status),
        text.len()
    )
    .into_bytes()
}

/// The reason phrase of the statuses a sink answers with; any other gets `Status`.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        507 => "Insufficient Storage",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::http::post_json;

    const TIMEOUT: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn keeps_posts_and_counts_their_ids() {
        let sink = WebhookSink::start().await;
        let headers = [("X-Api-Key", "k")];
        for n in 1..=2 {
            let (status, answer) = post_json(&sink.url(), &headers, &json!({"n": n}), TIMEOUT)
                .await
                .expect("post");
            assert_eq!((status, answer), (200, json!({"id": format!("sms-{n}")})));
        }
        assert_eq!(
            sink.wait_for(2, TIMEOUT).await,
            [json!({"n": 1}), json!({"n": 2})]
        );
        let requests = sink.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(
            (requests[0].method.as_str(), requests[0].path.as_str()),
            ("POST", "/sms")
        );
        assert_eq!(requests[0].header("x-api-key"), Some("k"));
        assert_eq!(requests[0].header("content-type"), Some("application/json"));
        assert_eq!(requests[0].body, r#"{"n":1}"#);
    }

    #[tokio::test]
    async fn failures_are_answered_and_not_kept() {
        let sink = WebhookSink::start().await;
        sink.fail_next(2, 503);
        for _ in 0..2 {
            let (status, answer) = post_json(&sink.url(), &[], &json!({}), TIMEOUT)
                .await
                .expect("post");
            assert_eq!(
                (status, answer),
                (503, json!({"error": "simulated failure 503"}))
            );
        }
        let (status, _) = post_json(&sink.url(), &[], &json!({"ok": 1}), TIMEOUT)
            .await
            .expect("post");
        assert_eq!(status, 200);
        assert_eq!(sink.received(), [json!({"ok": 1})]);
        assert_eq!(sink.requests().len(), 3);
    }

    #[tokio::test]
    async fn other_methods_and_bad_bodies_are_refused() {
        let sink = WebhookSink::start().await;
        let stream = TcpStream::connect(("127.0.0.1", sink.port()))
            .await
            .expect("connect");
        let mut conn = LineStream::new(stream, 64 * 1024);
        conn.write_all(b"GET /sms HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let status = conn.read_line(1024).await.expect("read").expect("status");
        assert_eq!(status, b"HTTP/1.1 405 Method Not Allowed");

        let stream = TcpStream::connect(("127.0.0.1", sink.port()))
            .await
            .expect("connect");
        let mut conn = LineStream::new(stream, 64 * 1024);
        conn.write_all(b"POST /sms HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
            .await
            .expect("write");
        let status = conn.read_line(1024).await.expect("read").expect("status");
        assert_eq!(status, b"HTTP/1.1 400 Bad Request");

        let methods: Vec<String> = sink.requests().into_iter().map(|r| r.method).collect();
        assert_eq!(methods, ["GET", "POST"]);
        assert!(sink.received().is_empty());
    }
}
