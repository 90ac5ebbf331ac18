//! E-mail to borrowers behind the [`Mailer`] trait: a client for a real SMTP server
//! (RFC 5321, [`SmtpMailer`]) and an in-memory simulator for demos and tests
//! ([`SimulatedMailer`]).
//!
//! Decisions: one connection per message and one timeout for the whole exchange, so a
//! slow server can never hold a notification worker; plain TCP only (no STARTTLS) — for a
//! provider that insists on TLS, run a local relay (Postfix, an egress gateway) that
//! speaks TLS onwards and point loanbook at it. The body is UTF-8 text sent base64-encoded,
//! so no line of it is ever too long or starts with a dot, and the subject uses RFC 2047
//! encoded words when it is not plain ASCII. Addresses are checked before connecting.
//! A reply that the server accepted the message is final: a failing `QUIT` afterwards is
//! ignored, because reporting it as a failure would make the outbox send the mail twice.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use loanbook_store::crypto::mask;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::delivery::DeliveryError;
use super::http;

/// Most characters of a subject.
pub const MAX_SUBJECT_CHARS: usize = 500;

/// Most bytes of a body (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Most characters of a reference (the outbox message id).
pub const MAX_REFERENCE_CHARS: usize = 200;

/// Most characters of an address (RFC 5321 §4.5.3.1.3 path limit, less the brackets).
const MAX_ADDRESS_CHARS: usize = 254;

/// Most bytes of one reply line from the server.
const MAX_REPLY_LINE_BYTES: usize = 4096;

/// Most lines of one (multi-line) reply.
const MAX_REPLY_LINES: usize = 100;

/// Most bytes read from the server in one session.
const MAX_SESSION_BYTES: usize = 1024 * 1024;

/// Most characters of server text kept in an error.
const MAX_SERVER_TEXT_CHARS: usize = 300;

/// Bytes of subject text per RFC 2047 encoded word: 45 bytes are 60 base64 characters,
/// so a word stays within the 75-character limit.
const ENCODED_WORD_BYTES: usize = 45;

/// Base64 characters per body line (RFC 2045 §6.8).
const BASE64_LINE_CHARS: usize = 76;

/// An e-mail to one borrower.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// The recipient's address (`name@domain`).
    pub to: String,
    /// The subject line, any UTF-8 text without line breaks.
    pub subject: String,
    /// The body: UTF-8 plain text.
    pub body: String,
    /// Our outbox message id, carried in the `Message-ID` and `X-Loanbook-Reference`
    /// headers so that a bounce or a complaint can be traced back.
    pub reference: String,
}

/// Something that delivers e-mail.
pub trait Mailer: Send + Sync + fmt::Debug {
    /// The mailer's name, stored with every delivery (`smtp`, `simulated`).
    fn name(&self) -> &str;

    /// Hands `email` over for delivery and returns the server's final reply (e.g.
    /// `250 2.0.0 Ok: queued as 4Xk2`), which serves as the provider's reference.
    ///
    /// # Errors
    /// [`DeliveryError::Permanent`] for an invalid e-mail (naming the rule) or a 5xx
    /// reply; [`DeliveryError::Transient`] for a connection failure, a timeout, a 4xx
    /// reply or a malformed reply.
    fn send<'a>(
        &'a self,
        email: &'a Email,
    ) -> Pin<Box<dyn Future<Output = Result<String, DeliveryError>> + Send + 'a>>;
}

/// How to reach an SMTP server.
#[derive(Clone)]
pub struct SmtpConfig {
    /// The server's host name or IP address.
    pub host: String,
    /// The server's TCP port (25 for a relay, 587 for submission).
    pub port: u16,
    /// The name loanbook gives in `EHLO`, also the right side of every `Message-ID`.
    pub helo: String,
    /// The sender address (envelope `MAIL FROM` and `From` header).
    pub from: String,
    /// The user for `AUTH PLAIN`; no authentication when absent.
    pub username: Option<String>,
    /// The password for `AUTH PLAIN` (never shown in `Debug`).
    pub password: Option<String>,
    /// The longest one message's whole exchange may take (connect to `QUIT`).
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("helo", &self.helo)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A client that hands each e-mail to an SMTP server over plain TCP.
///
/// The configuration is checked when a message is sent: a bad `helo`, `from` or a
/// username without a password is a [`DeliveryError::Permanent`] naming the setting.
#[derive(Clone, Debug)]
pub struct SmtpMailer {
    config: SmtpConfig,
}

impl SmtpMailer {
    /// A mailer for the server in `config`.
    pub fn new(config: SmtpConfig) -> SmtpMailer {
        SmtpMailer { config }
    }

    /// The credentials for `AUTH PLAIN`, if any (empty strings count as absent).
    fn credentials(&self) -> Result<Option<(&str, &str)>, DeliveryError> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.is_empty())
        }
        match (given(&self.config.username), given(&self.config.password)) {
            (None, None) => Ok(None),
            (Some(user), Some(password)) => {
                if [user, password]
                    .iter()
                    .any(|s| s.chars().any(|c| c == '\0' || c == '\r' || c == '\n'))
                {
                    return Err(config_error(
                        "username and password must not contain NUL, CR or LF",
                    ));
                }
                Ok(Some((user, password)))
            }
            _ => Err(config_error("username and password must be given together")),
        }
    }

    /// Checks the configuration and the e-mail before anything is sent.
    fn check(&self, email: &Email) -> Result<(), DeliveryError> {
        if !is_valid_helo(&self.config.helo) {
            return Err(config_error(
                "helo must be a host name (letters, digits, '-', '.') or an address \
                 literal such as [192.0.2.1]",
            ));
        }
        check_address("sender", &self.config.from)?;
        self.credentials()?;
        check_email(email)
    }

    async fn send_smtp(&self, email: &Email) -> Result<String, DeliveryError> {
        self.check(email)?;
        let message = build_message(email, &self.config.helo, &self.config.from, Utc::now());
        let payload = data_payload(&message);
        let address = format!("{}:{}", self.config.host, self.config.port);
        let timed_out = || {
            DeliveryError::Transient(format!(
                "the SMTP server {address} did not finish within {} ms",
                self.config.timeout.as_millis()
            ))
        };
        let deadline = Instant::now() + self.config.timeout;
        let connect = TcpStream::connect((self.config.host.as_str(), self.config.port));
        let stream = match timeout_at(deadline, connect).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                return Err(DeliveryError::Transient(format!(
                    "cannot connect to the SMTP server {address}: {e}"
                )));
            }
            Err(_) => return Err(timed_out()),
        };
        let mut session = Session {
            stream: LineStream::new(stream, MAX_SESSION_BYTES),
            address: &address,
            recipient: &email.to,
            between_commands: false,
        };
        let result = match timeout_at(deadline, self.dialogue(&mut session, email, &payload)).await
        {
            Ok(result) => result,
            Err(_) => Err(timed_out()),
        };
        if session.between_commands {
            // Polite, not required: the outcome is already known.
            let _ = timeout_at(deadline, session.command("QUIT", "QUIT", &[221])).await;
        }
        result.map(|reply| reply.text())
    }

    /// Greeting to end of data: the server's reply accepting the message.
    async fn dialogue(
        &self,
        session: &mut Session<'_>,
        email: &Email,
        payload: &[u8],
    ) -> Result<Reply, DeliveryError> {
        session.expect("the greeting", &[220]).await?;
        let ehlo = session
            .command(&format!("EHLO {}", self.config.helo), "EHLO", &[250])
            .await?;
        if let Some((user, password)) = self.credentials()? {
            if !ehlo.offers_auth_plain() {
                return Err(DeliveryError::Permanent(format!(
                    "the SMTP server {} does not offer AUTH PLAIN, so the configured \
                     username and password cannot be used",
                    session.address
                )));
            }
            let token = base64_encode(format!("\0{user}\0{password}").as_bytes());
            session
                .command(&format!("AUTH PLAIN {token}"), "AUTH PLAIN", &[235])
                .await?;
        }
        session
            .command(
                &format!("MAIL FROM:<{}>", self.config.from),
                "MAIL FROM",
                &[250],
            )
            .await?;
        session
            .command(&format!("RCPT TO:<{}>", email.to), "RCPT TO", &[250, 251])
            .await?;
        session.command("DATA", "DATA", &[354]).await?;
        session.write(payload).await?;
        session.expect("the message", &[250]).await
    }
}

impl Mailer for SmtpMailer {
    fn name(&self) -> &str {
        "smtp"
    }

    fn send<'a>(
        &'a self,
        email: &'a Email,
    ) -> Pin<Box<dyn Future<Output = Result<String, DeliveryError>> + Send + 'a>> {
        Box::pin(self.send_smtp(email))
    }
}

fn config_error(rule: &str) -> DeliveryError {
    DeliveryError::Permanent(format!("SMTP configuration: {rule}"))
}

/// One SMTP conversation on the client side.
struct Session<'a> {
    stream: LineStream,
    /// `host:port`, for messages.
    address: &'a str,
    /// The recipient, masked wherever the server repeats it in a message.
    recipient: &'a str,
    /// True when the last reply was read in full, so a command may follow.
    between_commands: bool,
}

impl Session<'_> {
    /// Sends `line` and expects one of `codes`; `step` names the command in messages
    /// (never the line itself: it may hold credentials).
    async fn command(
        &mut self,
        line: &str,
        step: &str,
        codes: &[u16],
    ) -> Result<Reply, DeliveryError> {
        self.write(format!("{line}\r\n").as_bytes()).await?;
        self.expect(step, codes).await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), DeliveryError> {
        self.between_commands = false;
        self.stream
            .write_all(bytes)
            .await
            .map_err(|e| self.io_error(&e))
    }

    /// Reads a reply and checks that its code is one of `codes`.
    async fn expect(&mut self, step: &str, codes: &[u16]) -> Result<Reply, DeliveryError> {
        let reply = self.read_reply().await?;
        self.between_commands = true;
        if codes.contains(&reply.code) {
            return Ok(reply);
        }
        let text = truncate(
            &reply
                .text()
                .replace(self.recipient, &mask_address(self.recipient)),
            MAX_SERVER_TEXT_CHARS,
        );
        let message = format!("the SMTP server {} refused {step}: {text}", self.address);
        Err(if (500..600).contains(&reply.code) {
            DeliveryError::Permanent(message)
        } else {
            DeliveryError::Transient(message)
        })
    }

    /// Reads one reply: lines `NNN-text` ending with a line `NNN text` (or `NNN`).
    async fn read_reply(&mut self) -> Result<Reply, DeliveryError> {
        let mut lines = Vec::new();
        let mut code = None;
        loop {
            let Some(raw) = self
                .stream
                .read_line(MAX_REPLY_LINE_BYTES)
                .await
                .map_err(|e| self.io_error(&e))?
            else {
                return Err(DeliveryError::Transient(format!(
                    "the SMTP server {} closed the connection",
                    self.address
                )));
            };
            let line = String::from_utf8_lossy(&raw).into_owned();
            let (this, last, text) = parse_reply_line(&line).ok_or_else(|| {
                DeliveryError::Transient(format!(
                    "the SMTP server {} sent a malformed reply line '{}'",
                    self.address,
                    truncate(&line, 60)
                ))
            })?;
            if code.is_some_and(|c| c != this) {
                return Err(DeliveryError::Transient(format!(
                    "the SMTP server {} changed the code within one reply",
                    self.address
                )));
            }
            code = Some(this);
            lines.push(text.to_owned());
            if last {
                return Ok(Reply { code: this, lines });
            }
            if lines.len() >= MAX_REPLY_LINES {
                return Err(DeliveryError::Transient(format!(
                    "the SMTP server {} sent a reply of more than {MAX_REPLY_LINES} lines",
                    self.address
                )));
            }
        }
    }

    fn io_error(&self, e: &io::Error) -> DeliveryError {
        DeliveryError::Transient(format!(
            "the connection to the SMTP server {} failed: {e}",
            self.address
        ))
    }
}

/// The code, whether it is the last line, and the text of a reply line.
fn parse_reply_line(line: &str) -> Option<(u16, bool, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() < 3
        || !bytes[..3].iter().all(u8::is_ascii_digit)
        || !(b'2'..=b'5').contains(&bytes[0])
    {
        return None;
    }
    let code = line[..3].parse().ok()?;
    match bytes.get(3) {
        None => Some((code, true, "")),
        Some(b' ') => Some((code, true, &line[4..])),
        Some(b'-') => Some((code, false, &line[4..])),
        Some(_) => None,
    }
}

/// A reply from the server.
#[derive(Debug)]
struct Reply {
    code: u16,
    /// The text of each line, without the code.
    lines: Vec<String>,
}

impl Reply {
    /// `NNN text`, the lines of a multi-line reply joined by spaces.
    fn text(&self) -> String {
        let mut text = self.code.to_string();
        for line in self
            .lines
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
        {
            text.push(' ');
            text.push_str(line);
        }
        text
    }

    /// True when an `EHLO` reply lists `AUTH` with the `PLAIN` mechanism (also the old
    /// `AUTH=PLAIN` form).
    fn offers_auth_plain(&self) -> bool {
        self.lines.iter().skip(1).any(|line| {
            let mut words = line.split([' ', '=']).filter(|w| !w.is_empty());
            words.next().is_some_and(|w| w.eq_ignore_ascii_case("AUTH"))
                && words.any(|w| w.eq_ignore_ascii_case("PLAIN"))
        })
    }
}

/// Checks an e-mail's fields before anything is sent.
fn check_email(email: &Email) -> Result<(), DeliveryError> {
    check_address("recipient", &email.to)?;
    let invalid = |rule: &str| Err(DeliveryError::Permanent(format!("e-mail {rule}")));
    let reference = email.reference.as_str();
    if reference.is_empty()
        || reference.chars().count() > MAX_REFERENCE_CHARS
        || !reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || reference.starts_with('.')
        || reference.ends_with('.')
        || reference.contains("..")
    {
        return invalid(&format!(
            "reference must be 1 to {MAX_REFERENCE_CHARS} letters, digits, '-', '_' or '.' \
             (no leading, trailing or double '.')"
        ));
    }
    if email.subject.chars().count() > MAX_SUBJECT_CHARS {
        return invalid(&format!(
            "subject must be at most {MAX_SUBJECT_CHARS} characters"
        ));
    }
    if email.subject.chars().any(char::is_control) {
        return invalid("subject must not contain line breaks or control characters");
    }
    if email.body.len() > MAX_BODY_BYTES {
        return invalid(&format!("body must be at most {MAX_BODY_BYTES} bytes"));
    }
    Ok(())
}

/// Checks an address: `field` is `recipient` or `sender`. The address itself is not
/// repeated in the message.
fn check_address(field: &str, address: &str) -> Result<(), DeliveryError> {
    let rule = if address.contains(['\r', '\n']) {
        Some("must not contain line breaks (CR or LF)".to_owned())
    } else if address.chars().any(char::is_whitespace) {
        Some("must not contain spaces".to_owned())
    } else if address.contains(['<', '>']) {
        Some("must not contain '<' or '>'".to_owned())
    } else if address.chars().any(char::is_control) {
        Some("must not contain control characters".to_owned())
    } else if !address.is_ascii() {
        Some(
            "must be ASCII (internationalised addresses need SMTPUTF8, which is not supported)"
                .to_owned(),
        )
    } else if address.len() > MAX_ADDRESS_CHARS {
        Some(format!("must be at most {MAX_ADDRESS_CHARS} characters"))
    } else if address.matches('@').count() != 1 {
        Some("must contain exactly one '@'".to_owned())
    } else if address.starts_with('@') || address.ends_with('@') {
        Some("needs a name before and a domain after the '@'".to_owned())
    } else {
        None
    };
    match rule {
        Some(rule) => Err(DeliveryError::Permanent(format!("{field} address {rule}"))),
        None => Ok(()),
    }
}

/// True for a host name (letters, digits, `-`, `.`) or an address literal `[…]`.
fn is_valid_helo(helo: &str) -> bool {
    let host_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    if let Some(literal) = helo.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !literal.is_empty()
            && literal
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':');
    }
    !helo.is_empty() && helo.len() <= 255 && helo.chars().all(host_char)
}

/// `b***@example.com`: the name masked after its first character.
fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((name, domain)) => format!("{}@{domain}", mask(name, 1, 0)),
        None => mask(address, 1, 0),
    }
}

/// The RFC 5322 message: headers, a blank line and the base64 body, lines ending in CRLF.
fn build_message(email: &Email, helo: &str, from: &str, now: DateTime<Utc>) -> String {
    let mut message = String::new();
    let mut header = |name: &str, value: &str| {
        message.push_str(name);
        message.push_str(": ");
        message.push_str(value);
        message.push_str("\r\n");
    };
    header("From", from);
    header("To", &email.to);
    header("Subject", &encode_subject(&email.subject));
    header(
        "Date",
        &now.format("%a, %d %b %Y %H:%M:%S +0000").to_string(),
    );
    header(
        "Message-ID",
        &format!("<loanbook.{}@{helo}>", email.reference),
    );
    header("X-Loanbook-Reference", &email.reference);
    header("MIME-Version", "1.0");
    header("Content-Type", "text/plain; charset=UTF-8");
    header("Content-Transfer-Encoding", "base64");
    message.push_str("\r\n");
    let encoded = base64_encode(canonical_line_ends(&email.body).as_bytes());
    for line in encoded.as_bytes().chunks(BASE64_LINE_CHARS) {
        // Base64 output is ASCII, so every chunk is valid UTF-8.
        message.push_str(&String::from_utf8_lossy(line));
        message.push_str("\r\n");
    }
    message
}

/// Every line end (`\n`, `\r\n` or a lone `\r`) as CRLF, the canonical form of text
/// before base64 encoding (RFC 2045 §6.8).
fn canonical_line_ends(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

/// The subject as is when it is printable ASCII, else RFC 2047 `=?UTF-8?B?…?=` words,
/// each on its own folded line.
fn encode_subject(subject: &str) -> String {
    let plain = subject.bytes().all(|b| (0x20..0x7f).contains(&b)) && !subject.contains("=?");
    if plain {
        return subject.to_owned();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in subject.chars() {
        if chunk.len() + c.len_utf8() > ENCODED_WORD_BYTES {
            words.push(format!("=?UTF-8?B?{}?=", base64_encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64_encode(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// The bytes sent after `DATA`: the message with leading dots doubled (RFC 5321
/// §4.5.2) and the terminating `.` line.
fn data_payload(message: &str) -> Vec<u8> {
    let mut payload = String::with_capacity(message.len() + 5);
    for line in message.split_inclusive("\r\n") {
        if line.starts_with('.') {
            payload.push('.');
        }
        payload.push_str(line);
    }
    if !payload.ends_with("\r\n") {
        payload.push_str("\r\n");
    }
    payload.push_str(".\r\n");
    payload.into_bytes()
}

/// Standard base64 (RFC 4648 §4) with `=` padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            group.get(1).copied().unwrap_or(0),
            group.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 0x3f) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if group.len() > 1 { sextet(6) } else { '=' });
        out.push(if group.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

/// At most `max` characters of `text`, for messages.
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A TCP stream read line by line, with a limit on all bytes read; shared by the SMTP
/// client and the test servers.
pub(crate) struct LineStream {
    stream: TcpStream,
    buffer: Vec<u8>,
    /// Bytes read so far in all.
    read: usize,
    limit: usize,
}

impl LineStream {
    /// Wraps `stream`, refusing to read more than `limit` bytes in all.
    pub(crate) fn new(stream: TcpStream, limit: usize) -> LineStream {
        LineStream {
            stream,
            buffer: Vec::new(),
            read: 0,
            limit,
        }
    }

    /// The next line without its line end (CRLF or a bare LF); `None` at the end of the
    /// stream (an unfinished last line is dropped).
    ///
    /// # Errors
    /// A line longer than `max` bytes or more bytes than the limit is
    /// [`io::ErrorKind::InvalidData`]; socket errors as they come.
    pub(crate) async fn read_line(&mut self, max: usize) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(line));
            }
            if self.buffer.len() > max {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a line is longer than {max} bytes"),
                ));
            }
            if !self.fill().await? {
                return Ok(None);
            }
        }
    }

    /// Exactly `length` bytes; `None` when the stream ends first.
    pub(crate) async fn read_exact(&mut self, length: usize) -> io::Result<Option<Vec<u8>>> {
        while self.buffer.len() < length {
            if !self.fill().await? {
                return Ok(None);
            }
        }
        Ok(Some(self.buffer.drain(..length).collect()))
    }

    /// Writes all of `bytes`.
    pub(crate) async fn write_all(&self, bytes: &[u8]) -> io::Result<()> {
        http::write_all(&self.stream, bytes).await
    }

    /// Reads more bytes into the buffer; false at the end of the stream.
    async fn fill(&mut self) -> io::Result<bool> {
        if self.read >= self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("more than {} bytes received", self.limit),
            ));
        }
        let mut chunk = vec![0u8; (self.limit - self.read).min(16 * 1024)];
        loop {
            self.stream.readable().await?;
            match self.stream.try_read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.read += n;
                    self.buffer.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// An in-memory stand-in for a mail server, for demos and tests — it sends nothing.
///
/// Accepted e-mails are kept in order ([`SimulatedMailer::sent`]); clones share them.
/// The e-mail is checked with the same rules as [`SmtpMailer`].
///
/// Test triggers, on the recipient's name before the `@` (any letter case):
/// `bounce` (e.g. `bounce@example.com`) fails with [`DeliveryError::Permanent`]
/// (`550 5.1.1`), `busy` fails with [`DeliveryError::Transient`] (`451 4.3.2`).
/// Neither is kept.
#[derive(Clone, Debug, Default)]
pub struct SimulatedMailer {
    sent: Arc<Mutex<Vec<Email>>>,
}

impl SimulatedMailer {
    /// A simulator with nothing sent yet.
    pub fn new() -> SimulatedMailer {
        SimulatedMailer::default()
    }

    /// The e-mails accepted so far, oldest first.
    pub fn sent(&self) -> Vec<Email> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn accept(&self, email: &Email) -> Result<String, DeliveryError> {
        check_email(email)?;
        let name = email.to.split('@').next().unwrap_or_default();
        if name.eq_ignore_ascii_case("bounce") {
            return Err(DeliveryError::Permanent(
                "550 5.1.1 simulated bounce: the mailbox does not exist".to_owned(),
            ));
        }
        if name.eq_ignore_ascii_case("busy") {
            return Err(DeliveryError::Transient(
                "451 4.3.2 simulated busy mailbox: try again later".to_owned(),
            ));
        }
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        sent.push(email.clone());
        Ok(format!(
            "250 2.0.0 simulated: queued as sim-mail-{}",
            sent.len()
        ))
    }
}

impl Mailer for SimulatedMailer {
    fn name(&self) -> &str {
        "simulated"
    }

    fn send<'a>(
        &'a self,
        email: &'a Email,
    ) -> Pin<Box<dyn Future<Output = Result<String, DeliveryError>> + Send + 'a>> {
        Box::pin(async move { self.accept(email) })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use tokio::net::TcpListener;

    use super::super::sinks::{SmtpSink, base64_decode};
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(5);

    fn email(to: &str) -> Email {
        Email {
            to: to.to_owned(),
            subject: "您的还款提醒 — 第3期".to_owned(),
            body: "尊敬的张三:\n您的第3期还款 1,234.50 元将于 2026-12-05 到期。\n.line starting with a dot\n"
                .to_owned(),
            reference: "outbox-42".to_owned(),
        }
    }

    fn config(port: u16) -> SmtpConfig {
        SmtpConfig {
            host: "127.0.0.1".to_owned(),
            port,
            helo: "loanbook.example".to_owned(),
            from: "notices@lender.example".to_owned(),
            username: None,
            password: None,
            timeout: TIMEOUT,
        }
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            assert_eq!(base64_decode(encoded).as_deref(), Some(plain.as_bytes()));
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(base64_decode(&base64_encode(&all)), Some(all));
    }

    #[test]
    fn subjects_are_encoded_only_when_needed() {
        assert_eq!(encode_subject("Payment due"), "Payment due");
        // "还款" is 6 bytes of UTF-8: e8 bf 98 e6 ac be.
        assert_eq!(encode_subject("还款"), "=?UTF-8?B?6L+Y5qy+?=");
        assert_eq!(encode_subject("a =?b"), "=?UTF-8?B?YSA9P2I=?=");
        // 40 three-byte characters = 120 bytes: words of 15 characters (45 bytes).
        let long = "还".repeat(40);
        let encoded = encode_subject(&long);
        let words: Vec<&str> = encoded.split("\r\n ").collect();
        assert_eq!(words.len(), 3);
        assert!(words.iter().all(|w| w.len() <= 75), "{encoded}");
    }

    #[test]
    fn the_message_has_the_headers_and_a_base64_body() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 23, 8, 5, 9)
            .single()
            .expect("date");
        let mut mail = email("borrower@example.com");
        mail.body = "x".repeat(100);
        let message = build_message(&mail, "loanbook.example", "notices@lender.example", now);
        let (head, body) = message.split_once("\r\n\r\n").expect("blank line");
        for line in [
            "From: notices@lender.example",
            "To: borrower@example.com",
            "Date: Mon, 23 Nov 2026 08:05:09 +0000",
            "Message-ID: <loanbook.outbox-42@loanbook.example>",
            "X-Loanbook-Reference: outbox-42",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
        ] {
            assert!(
                head.split("\r\n").any(|l| l == line),
                "{line} missing in {head}"
            );
        }
        let lines: Vec<&str> = body.trim_end().split("\r\n").collect();
        // 100 bytes → 136 base64 characters: one line of 76 and one of 60.
        assert_eq!(lines.iter().map(|l| l.len()).collect::<Vec<_>>(), [76, 60]);
        assert!(!message.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn line_ends_are_canonical_and_dots_are_stuffed() {
        assert_eq!(canonical_line_ends("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
        let payload = data_payload("A: b\r\n\r\n.hidden\r\nok\r\n");
        assert_eq!(payload, b"A: b\r\n\r\n..hidden\r\nok\r\n.\r\n");
    }

    #[test]
    fn reply_lines_and_auth_offers_are_parsed() {
        assert_eq!(
            parse_reply_line("250-AUTH PLAIN"),
            Some((250, false, "AUTH PLAIN"))
        );
        assert_eq!(parse_reply_line("354"), Some((354, true, "")));
        assert_eq!(parse_reply_line("250 ok"), Some((250, true, "ok")));
        assert_eq!(parse_reply_line("HTTP/1.1 200"), None);
        assert_eq!(parse_reply_line("150 x"), None);
        assert_eq!(parse_reply_line("250x"), None);
        let ehlo = |lines: &[&str]| Reply {
            code: 250,
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        };
        assert!(ehlo(&["mx", "SIZE 1000", "AUTH LOGIN PLAIN"]).offers_auth_plain());
        assert!(ehlo(&["mx", "auth=plain"]).offers_auth_plain());
        assert!(!ehlo(&["mx", "AUTH LOGIN CRAM-MD5"]).offers_auth_plain());
        assert!(!ehlo(&["AUTH PLAIN"]).offers_auth_plain());
        assert_eq!(
            ehlo(&["mx greets you", "8BITMIME"]).text(),
            "250 mx greets you 8BITMIME"
        );
    }

    #[test]
    fn bad_addresses_name_the_rule() {
        for (address, rule) in [
            (
                "plain.example.com",
                "recipient address must contain exactly one '@'",
            ),
            ("a@b@c", "recipient address must contain exactly one '@'"),
            (
                "a@b\r\nRCPT TO:<x@y>",
                "recipient address must not contain line breaks (CR or LF)",
            ),
            ("a b@c", "recipient address must not contain spaces"),
            ("<a@b>", "recipient address must not contain '<' or '>'"),
            (
                "@b",
                "recipient address needs a name before and a domain after the '@'",
            ),
            (
                "张三@例子.中国",
                "recipient address must be ASCII (internationalised addresses need SMTPUTF8, which is not supported)",
            ),
        ] {
            let err = check_address("recipient", address).expect_err(address);
            assert_eq!(err, DeliveryError::Permanent(rule.to_owned()), "{address}");
        }
        assert_eq!(check_address("recipient", "a@b"), Ok(()));
        assert_eq!(mask_address("borrower@example.com"), "b*******@example.com");
    }

    #[tokio::test]
    async fn delivers_a_chinese_email_to_the_sink() {
        let sink = SmtpSink::start().await;
        let mailer = SmtpMailer::new(config(sink.port()));
        let mail = email("borrower@example.com");
        let reference = mailer.send(&mail).await.expect("delivered");
        assert!(reference.starts_with("250 "), "{reference}");
        assert!(reference.contains("queued as"), "{reference}");

        let received = sink.wait_for(1, TIMEOUT).await;
        assert_eq!(received.len(), 1);
        let got = &received[0];
        assert_eq!(got.from, "notices@lender.example");
        assert_eq!(got.to, ["borrower@example.com"]);
        assert_eq!(got.auth_user, None);
        assert_eq!(got.subject(), mail.subject);
        assert_eq!(got.body(), mail.body);
        assert_eq!(
            got.header("Message-ID").as_deref(),
            Some("<loanbook.outbox-42@loanbook.example>")
        );
        assert_eq!(
            got.header("x-loanbook-reference").as_deref(),
            Some("outbox-42")
        );
        assert_eq!(
            got.header("Content-Type").as_deref(),
            Some("text/plain; charset=UTF-8")
        );
    }

    #[tokio::test]
    async fn authenticates_with_auth_plain() {
        let sink = SmtpSink::start().await;
        let mut cfg = config(sink.port());
        cfg.username = Some("loanbook-notices".to_owned());
        cfg.password = Some("s3cret".to_owned());
        let mailer = SmtpMailer::new(cfg);
        assert!(!format!("{mailer:?}").contains("s3cret"));
        mailer
            .send(&email("borrower@example.com"))
            .await
            .expect("delivered");
        let received = sink.wait_for(1, TIMEOUT).await;
        assert_eq!(received[0].auth_user.as_deref(), Some("loanbook-notices"));
    }

    #[tokio::test]
    async fn a_4xx_on_rcpt_is_transient_and_a_5xx_permanent() {
        let sink = SmtpSink::start().await;
        let mailer = SmtpMailer::new(config(sink.port()));
        let mail = email("borrower@example.com");

        sink.reject_next(1, 451);
        let err = mailer.send(&mail).await.expect_err("451");
        assert!(err.is_transient(), "{err}");
        assert!(err.reason().contains("refused RCPT TO: 451"), "{err}");

        sink.reject_next(1, 550);
        let err = mailer.send(&mail).await.expect_err("550");
        assert!(!err.is_transient(), "{err}");
        assert!(err.reason().contains("refused RCPT TO: 550"), "{err}");
        assert!(!err.reason().contains("borrower@"), "{err}");

        // The rejections are used up: the next message goes through.
        mailer.send(&mail).await.expect("delivered");
        assert_eq!(sink.wait_for(1, TIMEOUT).await.len(), 1);
    }

    #[tokio::test]
    async fn nothing_listening_is_transient() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        let err = SmtpMailer::new(config(port))
            .send(&email("borrower@example.com"))
            .await
            .expect_err("refused");
        assert!(err.is_transient(), "{err}");
        assert!(err.reason().contains("cannot connect"), "{err}");
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(stream);
        });
        let mut cfg = config(port);
        cfg.timeout = Duration::from_millis(200);
        let err = SmtpMailer::new(cfg)
            .send(&email("borrower@example.com"))
            .await
            .expect_err("timeout");
        assert!(err.is_transient(), "{err}");
        assert!(err.reason().contains("within 200 ms"), "{err}");
        server.abort();
    }

    #[tokio::test]
    async fn bad_input_is_refused_before_connecting() {
        // Port 1 on localhost: connecting would fail as transient, so a permanent
        // error proves nothing was attempted.
        let mailer = SmtpMailer::new(config(1));
        let err = mailer.send(&email("no-at-sign")).await.expect_err("bad");
        assert_eq!(
            err,
            DeliveryError::Permanent("recipient address must contain exactly one '@'".into())
        );
        let mut mail = email("borrower@example.com");
        mail.subject = "line\r\nBcc: victim@example.com".to_owned();
        let err = mailer.send(&mail).await.expect_err("bad subject");
        assert!(
            !err.is_transient() && err.reason().contains("subject"),
            "{err}"
        );
        let mut mail = email("borrower@example.com");
        mail.reference = "a b".to_owned();
        let err = mailer.send(&mail).await.expect_err("bad reference");
        assert!(
            !err.is_transient() && err.reason().contains("reference"),
            "{err}"
        );

        let mut cfg = config(1);
        cfg.username = Some("user".to_owned());
        let err = SmtpMailer::new(cfg)
            .send(&email("borrower@example.com"))
            .await
            .expect_err("half credentials");
        assert_eq!(
            err,
            DeliveryError::Permanent(
                "SMTP configuration: username and password must be given together".into()
            )
        );
    }

    #[tokio::test]
    async fn credentials_need_auth_plain_on_offer() {
        // A server whose EHLO offers no AUTH at all.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let mut conn = LineStream::new(stream, 64 * 1024);
            conn.write_all(b"220 mx ESMTP\r\n").await.expect("greet");
            let mut commands = Vec::new();
            while let Some(line) = conn.read_line(1024).await.expect("read") {
                let line = String::from_utf8(line).expect("utf-8");
                let reply: &[u8] = if line.starts_with("EHLO") {
                    b"250-mx\r\n250 8BITMIME\r\n"
                } else {
                    b"221 bye\r\n"
                };
                commands.push(line);
                conn.write_all(reply).await.expect("reply");
            }
            commands
        });
        let mut cfg = config(port);
        cfg.username = Some("user".to_owned());
        cfg.password = Some("pw".to_owned());
        let err = SmtpMailer::new(cfg)
            .send(&email("borrower@example.com"))
            .await
            .expect_err("no AUTH PLAIN");
        assert!(!err.is_transient(), "{err}");
        assert!(err.reason().contains("does not offer AUTH PLAIN"), "{err}");
        let commands = server.await.expect("server");
        assert_eq!(commands, ["EHLO loanbook.example", "QUIT"]);
    }

    #[tokio::test]
    async fn the_simulator_keeps_mail_and_honours_its_triggers() {
        let simulator = SimulatedMailer::new();
        let shared = simulator.clone();
        assert_eq!(simulator.name(), "simulated");
        let reply = simulator
            .send(&email("borrower@example.com"))
            .await
            .expect("accepted");
        assert_eq!(reply, "250 2.0.0 simulated: queued as sim-mail-1");

        let err = simulator
            .send(&email("bounce@example.com"))
            .await
            .expect_err("bounce");
        assert!(!err.is_transient(), "{err}");
        assert!(err.reason().starts_with("550"), "{err}");
        let err = simulator
            .send(&email("Busy@example.com"))
            .await
            .expect_err("busy");
        assert!(err.is_transient(), "{err}");
        assert!(err.reason().starts_with("451"), "{err}");
        let err = simulator
            .send(&email("bad address@x"))
            .await
            .expect_err("bad");
        assert_eq!(
            err,
            DeliveryError::Permanent("recipient address must not contain spaces".into())
        );

        assert_eq!(shared.sent(), [email("borrower@example.com")]);
    }
}
