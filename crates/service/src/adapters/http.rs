//! A small HTTP/1.1 JSON client over a plain TCP connection (`http://` only), enough to
//! POST a JSON request to a partner's API and read its JSON answer.
//!
//! Decisions: one connection per request (`Connection: close`), so there is no pool to
//! manage; the body is framed by `Transfer-Encoding: chunked`, `Content-Length` or the
//! end of the connection, in that order of precedence (RFC 9112 §6.3); the whole
//! response may be at most [`MAX_RESPONSE_BYTES`]; the whole exchange (connect, write,
//! read) runs under one timeout. TLS is out of scope: put a TLS-terminating proxy in
//! front of a partner that only speaks `https://`.
//!
//! The socket is driven with `readable`/`try_read` and `writable`/`try_write`, which need
//! only tokio's `net` feature.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;

/// Most bytes a response may have: status line, headers and body together (4 MiB).
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Most bytes of one line in the response head or of a chunk-size line.
const MAX_LINE_BYTES: usize = 16 * 1024;

/// Most header lines of one response head.
const MAX_HEADERS: usize = 200;

/// Most informational (1xx) responses skipped before the final one.
const MAX_INFORMATIONAL: usize = 10;

/// Why an HTTP exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL cannot be used.
    #[error("'{url}' is not a usable URL: {rule}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// The rule it breaks.
        rule: String,
    },
    /// An extra header cannot be sent.
    #[error("header '{name}' cannot be sent: {rule}")]
    BadHeader {
        /// The header name as given.
        name: String,
        /// The rule it breaks.
        rule: String,
    },
    /// The TCP connection could not be opened.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// `host:port`.
        address: String,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Reading or writing the connection failed.
    #[error("connection to {address} failed: {source}")]
    Io {
        /// `host:port`.
        address: String,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The exchange did not finish in time.
    #[error("{url} did not answer within {timeout_ms} ms")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout, in milliseconds.
        timeout_ms: u128,
    },
    /// The response is not valid HTTP/1.x.
    #[error("malformed HTTP response: {0}")]
    Malformed(String),
    /// The response is larger than [`MAX_RESPONSE_BYTES`].
    #[error("the response is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The response body is not JSON (the body itself is not repeated here: it may hold
    /// personal data).
    #[error("the response body (status {status}) is not JSON: {reason}")]
    NotJson {
        /// The HTTP status of the response.
        status: u16,
        /// The parser's reason (line and column).
        reason: String,
    },
}

/// The parts of an `http://` URL that a request needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port (80 when the URL has none).
    pub port: u16,
    /// Path and query, starting with `/`.
    pub target: String,
}

impl HttpUrl {
    /// The `Host` header value: `host` or `host:port`, IPv6 in brackets.
    fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// Parses `http://host[:port][/path][?query]` (a `#fragment` is dropped).
///
/// # Errors
/// [`HttpError::BadUrl`] naming the URL: another scheme, no host, user info, a bad port,
/// spaces or control characters.
pub(crate) fn parse_url(url: &str) -> Result<HttpUrl, HttpError> {
    let bad = |rule: &str| HttpError::BadUrl {
        url: url.to_owned(),
        rule: rule.to_owned(),
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains spaces or control characters"));
    }
    let rest = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some((scheme, _)) => {
            return Err(bad(&format!(
                "the scheme must be http (got '{scheme}'; https needs a TLS proxy)"
            )));
        }
        None => return Err(bad("it must start with http://")),
    };
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (authority, target) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'?' => (&rest[..i], format!("/{}", &rest[i..])),
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    if authority.contains('@') {
        return Err(bad("user info (user@host) is not supported"));
    }
    let (host, port) = if let Some(after) = authority.strip_prefix('[') {
        let (host, tail) = after
            .split_once(']')
            .ok_or_else(|| bad("an IPv6 address must end with ']'"))?;
        match tail.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if tail.is_empty() => (host, None),
            None => return Err(bad("unexpected text after the IPv6 address")),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("it has no host"));
    }
    let port = match port {
        None => 80,
        Some(text) => match text.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => return Err(bad(&format!("the port '{text}' is not in 1..=65535"))),
        },
    };
    Ok(HttpUrl {
        host: host.to_owned(),
        port,
        target,
    })
}

/// POSTs `body` as JSON to `url` with the extra `headers`, and returns the status and the
/// JSON body of the answer (`null` when the body is empty). Any status is returned as
/// `Ok`: the caller decides what a 4xx or 5xx means.
///
/// # Errors
/// [`HttpError::BadUrl`] or [`HttpError::BadHeader`] before anything is sent;
/// [`HttpError::Connect`]; [`HttpError::Io`]; [`HttpError::Timeout`] when the whole
/// exchange takes longer than `timeout`; [`HttpError::Malformed`];
/// [`HttpError::TooLarge`] beyond [`MAX_RESPONSE_BYTES`]; [`HttpError::NotJson`].
pub async fn post_json(
    url: &str,
    headers: &[(&str, &str)],
    body: &serde_json::Value,
    timeout: Duration,
) -> Result<(u16, serde_json::Value), HttpError> {
    let target = parse_url(url)?;
    let request = build_request(&target, headers, body)?;
    let exchange = exchange(&target, &request);
    let (status, raw) = match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => result?,
        Err(_) => {
            return Err(HttpError::Timeout {
                url: url.to_owned(),
                timeout_ms: timeout.as_millis(),
            });
        }
    };
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok((status, serde_json::Value::Null));
    }
    let value = serde_json::from_slice(&raw).map_err(|e| HttpError::NotJson {
        status,
        reason: e.to_string(),
    })?;
    Ok((status, value))
}

/// The request bytes: request line, headers, blank line, JSON body.
fn build_request(
    target: &HttpUrl,
    headers: &[(&str, &str)],
    body: &serde_json::Value,
) -> Result<Vec<u8>, HttpError> {
    const RESERVED: [&str; 4] = ["host", "content-type", "content-length", "connection"];
    let payload = body.to_string();
    let mut head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        target.target,
        target.host_header(),
        payload.len()
    );
    for (name, value) in headers {
        let bad = |rule: &str| HttpError::BadHeader {
            name: (*name).to_owned(),
            rule: rule.to_owned(),
        };
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(token) {
            return Err(bad("a header name is letters, digits and !#$%&'*+-.^_`|~"));
        }
        if RESERVED.iter().any(|r| name.eq_ignore_ascii_case(r)) {
            return Err(bad("the client sets this header itself"));
        }
        if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(bad("the value must not contain CR, LF or NUL"));
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(payload.as_bytes());
    Ok(bytes)
}

/// Connects, writes `request` and reads the final response: its status and raw body.
async fn exchange(target: &HttpUrl, request: &[u8]) -> Result<(u16, Vec<u8>), HttpError> {
    let address = format!("{}:{}", target.host, target.port);
    let stream = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|source| HttpError::Connect {
            address: address.clone(),
            source,
        })?;
    let io_error = |source| HttpError::Io {
        address: address.clone(),
        source,
    };
    write_all(&stream, request).await.map_err(io_error)?;
    let mut reader = Reader::new(stream, MAX_RESPONSE_BYTES);
    read_response(&mut reader).await.map_err(|e| match e {
        ReadError::Io(source) => io_error(source),
        ReadError::Http(e) => e,
    })
}

/// Reads the head (skipping 1xx responses) and the body of a response.
async fn read_response(reader: &mut Reader) -> Result<(u16, Vec<u8>), ReadError> {
    for _ in 0..=MAX_INFORMATIONAL {
        let (status, headers) = read_head(reader).await?;
        if (100..200).contains(&status) {
            continue;
        }
        let body = if status == 204 || status == 304 {
            Vec::new()
        } else {
            read_body(reader, &headers).await?
        };
        return Ok((status, body));
    }
    Err(malformed(format!(
        "more than {MAX_INFORMATIONAL} informational (1xx) responses"
    )))
}

/// Reads a status line and headers (names lower-cased).
async fn read_head(reader: &mut Reader) -> Result<(u16, Vec<(String, String)>), ReadError> {
    let line = reader.line().await?;
    let status = parse_status_line(&line)?;
    let mut headers = Vec::new();
    loop {
        let line = reader.line().await?;
        if line.is_empty() {
            return Ok((status, headers));
        }
        if headers.len() >= MAX_HEADERS {
            return Err(malformed(format!("more than {MAX_HEADERS} headers")));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| malformed("a header line has no ':'".to_owned()))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
}

/// The status code of `HTTP/1.x NNN reason`.
fn parse_status_line(line: &str) -> Result<u16, ReadError> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(malformed(format!(
            "the status line does not start with HTTP/1.x (got '{}')",
            truncate(line, 40)
        )));
    }
    match code.parse::<u16>() {
        Ok(c) if code.len() == 3 && (100..=599).contains(&c) => Ok(c),
        _ => Err(malformed(format!(
            "the status code '{}' is not three digits in 100..=599",
            truncate(code, 10)
        ))),
    }
}

/// The body, framed by chunked encoding, `Content-Length` or the end of the connection.
async fn read_body(
    reader: &mut Reader,
    headers: &[(String, String)],
) -> Result<Vec<u8>, ReadError> {
    let encodings: Vec<String> = header_values(headers, "transfer-encoding")
        .flat_map(|v| v.split(','))
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    if let Some(last) = encodings.last() {
        if last != "chunked" {
            return Err(malformed(format!(
                "unsupported transfer encoding '{}'",
                truncate(last, 40)
            )));
        }
        if encodings.len() > 1 {
            return Err(malformed(
                "only 'chunked' transfer encoding is supported".to_owned(),
            ));
        }
        return read_chunked(reader).await;
    }
    let mut lengths = header_values(headers, "content-length").flat_map(|v| v.split(','));
    if let Some(first) = lengths.next() {
        let first = first.trim();
        if lengths.any(|other| other.trim() != first) {
            return Err(malformed("conflicting Content-Length headers".to_owned()));
        }
        let length: usize = first.parse().map_err(|_| {
            malformed(format!(
                "Content-Length '{}' is not a number",
                truncate(first, 20)
            ))
        })?;
        if length > reader.remaining() {
            return Err(ReadError::Http(HttpError::TooLarge {
                limit: MAX_RESPONSE_BYTES,
            }));
        }
        return reader.exact(length).await;
    }
    reader.until_close().await
}

/// The values of the header `name` (lower case), in order.
fn header_values<'a>(
    headers: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Decodes a chunked body (chunk extensions and trailers are read and ignored).
async fn read_chunked(reader: &mut Reader) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    // Every chunk costs at least 3 bytes of the response budget, so this ends.
    loop {
        let line = reader.line().await?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| {
            malformed(format!(
                "chunk size '{}' is not hexadecimal",
                truncate(size_text, 20)
            ))
        })?;
        if size == 0 {
            break;
        }
        if size > reader.remaining() {
            return Err(ReadError::Http(HttpError::TooLarge {
                limit: MAX_RESPONSE_BYTES,
            }));
        }
        body.extend(reader.exact(size).await?);
        if !reader.line().await?.is_empty() {
            return Err(malformed("a chunk does not end with CRLF".to_owned()));
        }
    }
    for _ in 0..=MAX_HEADERS {
        if reader.line().await?.is_empty() {
            return Ok(body);
        }
    }
    Err(malformed(format!("more than {MAX_HEADERS} trailer lines")))
}

fn malformed(reason: String) -> ReadError {
    ReadError::Http(HttpError::Malformed(reason))
}

/// At most `max` characters of `text`, for error messages.
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A read failure before the address is known to the error.
#[derive(Debug)]
pub(crate) enum ReadError {
    Io(io::Error),
    Http(HttpError),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> ReadError {
        ReadError::Io(e)
    }
}

/// Writes all of `bytes` to `stream`.
pub(crate) async fn write_all(stream: &TcpStream, bytes: &[u8]) -> io::Result<()> {
    let mut written = 0;
    while written < bytes.len() {
        stream.writable().await?;
        match stream.try_write(&bytes[written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A buffered reader over a stream that refuses to read more than `limit` bytes in all.
pub(crate) struct Reader {
    stream: TcpStream,
    buffer: Vec<u8>,
    position: usize,
    limit: usize,
    eof: bool,
}

impl Reader {
    pub(crate) fn new(stream: TcpStream, limit: usize) -> Reader {
        Reader {
            stream,
            buffer: Vec::new(),
            position: 0,
            limit,
            eof: false,
        }
    }

    /// Bytes that may still be read under the limit, counting those already buffered.
    fn remaining(&self) -> usize {
        self.limit - self.buffer.len() + (self.buffer.len() - self.position)
    }

    /// Reads more bytes into the buffer; false at the end of the stream.
    async fn fill(&mut self) -> Result<bool, ReadError> {
        if self.eof {
            return Ok(false);
        }
        if self.buffer.len() >= self.limit {
            return Err(ReadError::Http(HttpError::TooLarge { limit: self.limit }));
        }
        let mut chunk = vec![0u8; (self.limit - self.buffer.len()).min(64 * 1024)];
        loop {
            self.stream.readable().await?;
            match self.stream.try_read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.buffer.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The next line without its CRLF (a bare LF is accepted).
    pub(crate) async fn line(&mut self) -> Result<String, ReadError> {
        loop {
            let pending = &self.buffer[self.position..];
            if let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let raw = &pending[..end];
                let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                let line = String::from_utf8(raw.to_vec())
                    .map_err(|_| malformed("a head line is not UTF-8".to_owned()))?;
                self.position += end + 1;
                return Ok(line);
            }
            if pending.len() > MAX_LINE_BYTES {
                return Err(malformed(format!(
                    "a head line is longer than {MAX_LINE_BYTES} bytes"
                )));
            }
            if !self.fill().await? {
                return Err(malformed(
                    "the connection closed in the middle of the head".to_owned(),
                ));
            }
        }
    }

    /// Exactly `length` bytes.
    pub(crate) async fn exact(&mut self, length: usize) -> Result<Vec<u8>, ReadError> {
        while self.buffer.len() - self.position < length {
            if !self.fill().await? {
                return Err(malformed(format!(
                    "the connection closed after {} of {length} body bytes",
                    self.buffer.len() - self.position
                )));
            }
        }
        let bytes = self.buffer[self.position..self.position + length].to_vec();
        self.position += length;
        Ok(bytes)
    }

    /// Everything up to the end of the stream.
    async fn until_close(&mut self) -> Result<Vec<u8>, ReadError> {
        while self.fill().await? {}
        let bytes = self.buffer[self.position..].to_vec();
        self.position = self.buffer.len();
        Ok(bytes)
    }
}

#[cfg(test)]
pub(crate) mod test_server {
    //! A one-shot HTTP server for tests: accepts one connection, reads one request and
    //! writes a canned response.

    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    use super::*;

    /// A request as the server saw it.
    #[derive(Debug)]
    pub struct Seen {
        /// The head: request line and headers.
        pub head: String,
        /// The body.
        pub body: serde_json::Value,
    }

    /// Serves `response` (raw bytes) once; returns the URL and the request seen.
    pub async fn once(response: Vec<u8>) -> (String, JoinHandle<Seen>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let handle = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let mut reader = Reader::new(stream, MAX_RESPONSE_BYTES);
            let mut head = String::new();
            let mut length = 0;
            loop {
                let line = reader.line().await.expect("request line");
                if line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().expect("length");
                }
                head.push_str(&line);
                head.push('\n');
            }
            let body = reader.exact(length).await.expect("body");
            // The client may hang up early (a response over the limit): that is fine.
            let _ = write_all(&reader.stream, &response).await;
            Seen {
                head,
                body: serde_json::from_slice(&body).expect("JSON request"),
            }
        });
        (format!("http://127.0.0.1:{port}/v1/query?x=1"), handle)
    }

    /// A `Content-Length` response with `status` and a JSON body.
    pub fn json(status: u16, body: &serde_json::Value) -> Vec<u8> {
        let text = body.to_string();
        format!(
            "HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{text}",
            text.len()
        )
        .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tokio::net::TcpListener;

    use super::test_server::{json as respond, once};
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(5);

    #[test]
    fn parses_urls() {
        let u = parse_url("http://bureau.example:8080/v1/q?a=1#top").expect("url");
        assert_eq!(
            u,
            HttpUrl {
                host: "bureau.example".into(),
                port: 8080,
                target: "/v1/q?a=1".into()
            }
        );
        let u = parse_url("HTTP://10.0.0.1").expect("url");
        assert_eq!((u.port, u.target.as_str()), (80, "/"));
        let u = parse_url("http://[::1]:81?x").expect("url");
        assert_eq!(
            (u.host.as_str(), u.port, u.target.as_str()),
            ("::1", 81, "/?x")
        );
        assert_eq!(u.host_header(), "[::1]:81");
        for bad in [
            "https://bureau.example/",
            "bureau.example/x",
            "http:///x",
            "http://h:0/",
            "http://h:99999/",
            "http://u:p@h/",
            "http://h/a b",
        ] {
            let err = parse_url(bad).expect_err(bad);
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[tokio::test]
    async fn content_length_response() {
        let (url, seen) = once(respond(200, &json!({"ok": true, "n": 3}))).await;
        let headers = [("Authorization", "Bearer k")];
        let (status, body) = post_json(&url, &headers, &json!({"q": "x"}), TIMEOUT)
            .await
            .expect("post");
        assert_eq!((status, body), (200, json!({"ok": true, "n": 3})));
        let seen = seen.await.expect("server");
        assert!(
            seen.head.starts_with("POST /v1/query?x=1 HTTP/1.1\n"),
            "{}",
            seen.head
        );
        for h in [
            "Content-Type: application/json",
            "Connection: close",
            "Authorization: Bearer k",
            "Content-Length: 9",
        ] {
            assert!(seen.head.contains(h), "{h} missing in {}", seen.head);
        }
        assert!(seen.head.contains("Host: 127.0.0.1:"), "{}", seen.head);
        assert_eq!(seen.body, json!({"q": "x"}));
    }

    #[tokio::test]
    async fn chunked_response() {
        let response = b"HTTP/1.1 100 Continue\r\n\r\n\
            HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
            4;ext=1\r\n{\"a\"\r\n\
            a\r\n:[1,2,3],\"\r\n\
            6\r\nb\":\"c\"\r\n\
            1\r\n}\r\n\
            0\r\nX-Trailer: y\r\n\r\n"
            .to_vec();
        let (url, _seen) = once(response).await;
        let (status, body) = post_json(&url, &[], &json!({}), TIMEOUT)
            .await
            .expect("post");
        assert_eq!((status, body), (200, json!({"a": [1, 2, 3], "b": "c"})));
    }

    #[tokio::test]
    async fn body_until_close_and_empty_body() {
        let (url, _seen) = once(b"HTTP/1.0 200 OK\r\n\r\n[1]".to_vec()).await;
        let (_, body) = post_json(&url, &[], &json!({}), TIMEOUT)
            .await
            .expect("post");
        assert_eq!(body, json!([1]));
        let (url, _seen) = once(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()).await;
        let (status, body) = post_json(&url, &[], &json!({}), TIMEOUT)
            .await
            .expect("post");
        assert_eq!((status, body), (204, serde_json::Value::Null));
    }

    #[tokio::test]
    async fn error_status_is_returned_with_its_body() {
        let (url, _seen) = once(respond(500, &json!({"error": "down"}))).await;
        let (status, body) = post_json(&url, &[], &json!({}), TIMEOUT)
            .await
            .expect("post");
        assert_eq!((status, body), (500, json!({"error": "down"})));
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(stream);
        });
        let started = std::time::Instant::now();
        let err = post_json(&url, &[], &json!({}), Duration::from_millis(200))
            .await
            .expect_err("timeout");
        assert!(
            matches!(
                err,
                HttpError::Timeout {
                    timeout_ms: 200,
                    ..
                }
            ),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        server.abort();
    }

    #[tokio::test]
    async fn refused_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        drop(listener);
        let err = post_json(&format!("http://{address}/"), &[], &json!({}), TIMEOUT)
            .await
            .expect_err("refused");
        assert!(matches!(err, HttpError::Connect { .. }), "{err}");
    }

    #[tokio::test]
    async fn malformed_too_large_and_not_json() {
        let (url, _s) = once(b"SMTP ready\r\n\r\n".to_vec()).await;
        let err = post_json(&url, &[], &json!({}), TIMEOUT)
            .await
            .expect_err("bad");
        assert!(matches!(err, HttpError::Malformed(_)), "{err}");

        let (url, _s) = once(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}".to_vec()).await;
        let err = post_json(&url, &[], &json!({}), TIMEOUT)
            .await
            .expect_err("short");
        assert!(matches!(err, HttpError::Malformed(_)), "{err}");

        let big = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_RESPONSE_BYTES + 1
        );
        let (url, _s) = once(big.into_bytes()).await;
        let err = post_json(&url, &[], &json!({}), TIMEOUT)
            .await
            .expect_err("big");
        assert!(matches!(err, HttpError::TooLarge { .. }), "{err}");

        let mut endless = b"HTTP/1.1 200 OK\r\n\r\n\"".to_vec();
        endless.resize(MAX_RESPONSE_BYTES + 100, b'x');
        let (url, _s) = once(endless).await;
        let err = post_json(&url, &[], &json!({}), TIMEOUT)
            .await
            .expect_err("big");
        assert!(matches!(err, HttpError::TooLarge { .. }), "{err}");

        let (url, _s) = once(b"HTTP/1.1 502 Bad\r\nContent-Length: 5\r\n\r\n<html".to_vec()).await;
        let err = post_json(&url, &[], &json!({}), TIMEOUT)
            .await
            .expect_err("html");
        assert!(
            matches!(err, HttpError::NotJson { status: 502, .. }),
            "{err}"
        );
        assert!(!err.to_string().contains("<html"), "{err}");
    }

    #[tokio::test]
    async fn header_injection_is_refused_before_connecting() {
        let err = post_json(
            "http://127.0.0.1:1/",
            &[("X-Key", "a\r\nEvil: 1")],
            &json!({}),
            TIMEOUT,
        )
        .await
        .expect_err("injection");
        assert!(matches!(err, HttpError::BadHeader { .. }), "{err}");
        let err = post_json("http://127.0.0.1:1/", &[("Host", "x")], &json!({}), TIMEOUT)
            .await
            .expect_err("reserved");
        assert!(matches!(err, HttpError::BadHeader { .. }), "{err}");
    }
}
