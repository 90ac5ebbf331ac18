//! [`SmtpSink`]: an SMTP server (RFC 5321) that keeps every message it accepts.
//!
//! It speaks enough of the protocol for [`crate::adapters::SmtpMailer`] and ordinary
//! clients: `EHLO` (offering `8BITMIME` and `AUTH PLAIN`), `HELO`, `AUTH PLAIN` (any
//! password is accepted; the user is kept), `MAIL FROM`, any number of `RCPT TO`, `DATA`
//! (dot-unstuffed), `RSET`, `NOOP` and `QUIT`. No TLS, no size checks beyond its limits.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use super::{Inbox, Listener, MAX_KEPT, Refusals, base64_decode};
use crate::adapters::smtp::LineStream;

/// Most bytes of one command or data line.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Most bytes read in one session (32 MiB).
const MAX_SESSION_BYTES: usize = 32 * 1024 * 1024;

/// An e-mail as the sink received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without the angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, lines ending in CRLF.
    pub raw: String,
    /// The user given in `AUTH PLAIN`, if the client authenticated.
    pub auth_user: Option<String>,
}

impl ReceivedMail {
    /// The first header called `name` (any letter case), unfolded and trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = split_message(&self.raw);
        let mut value: Option<String> = None;
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = value.as_mut() {
                    value.push_str(line);
                }
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((field, rest)) = line.split_once(':')
                && field.trim().eq_ignore_ascii_case(name)
            {
                value = Some(rest.to_owned());
            }
        }
        value.map(|v| v.trim().to_owned())
    }

    /// The subject, RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`) decoded and
    /// adjacent ones joined; empty when there is no `Subject` header.
    pub fn subject(&self) -> String {
        self.header("Subject")
            .map(|s| decode_encoded_words(&s))
            .unwrap_or_default()
    }

    /// The body after the blank line: base64-decoded when the message says
    /// `Content-Transfer-Encoding: base64`, line ends as `\n`.
    pub fn body(&self) -> String {
        let (_, body) = split_message(&self.raw);
        let base64 = self
            .header("Content-Transfer-Encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("base64"));
        let decoded = if base64 {
            base64_decode(body).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        } else {
            None
        };
        decoded
            .unwrap_or_else(|| body.to_owned())
            .replace("\r\n", "\n")
    }
}

/// The head and the body of a message, split at the first blank line.
fn split_message(raw: &str) -> (&str, &str) {
    raw.split_once("\r\n\r\n")
        .or_else(|| raw.split_once("\n\n"))
        .unwrap_or((raw, ""))
}

/// Decodes the RFC 2047 encoded words in a header value (UTF-8 or US-ASCII, B or Q);
/// white space between two encoded words is dropped, other words are kept as they are.
pub(super) fn decode_encoded_words(text: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut after_word = false;
    for (i, token) in text.split_whitespace().enumerate() {
        if let Some(bytes) = encoded_word(token) {
            if !after_word && i > 0 {
                out.push(' ');
            }
            // Bytes of adjacent words are joined first: a character may span two words.
            pending.extend(bytes);
            after_word = true;
            continue;
        }
        out.push_str(&String::from_utf8_lossy(&pending));
        pending.clear();
        if i > 0 {
            out.push(' ');
        }
        out.push_str(token);
        after_word = false;
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out
}

/// The bytes of one encoded word `=?charset?B|Q?text?=`.
fn encoded_word(token: &str) -> Option<Vec<u8>> {
    let inner = token.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = inner.splitn(3, '?');
    let (charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
    if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("us-ascii") {
        return None;
    }
    match encoding {
        "B" | "b" => base64_decode(text),
        "Q" | "q" => decode_q(text),
        _ => None,
    }
}

/// RFC 2047 "Q": `_` is a space, `=XX` a byte in hex.
fn decode_q(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = [bytes.next()?, bytes.next()?];
                let hex = std::str::from_utf8(&hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
            }
            _ => out.push(b),
        }
    }
    Some(out)
}

/// What the sessions of one sink share.
#[derive(Debug)]
struct Shared {
    inbox: Inbox<ReceivedMail>,
    refusals: Refusals,
}

/// An SMTP server on `127.0.0.1` for tests and demos: it keeps every message in memory
/// and never forwards anything. Dropping it stops it.
#[derive(Debug)]
pub struct SmtpSink {
    shared: Arc<Shared>,
    listener: Listener,
}

impl SmtpSink {
    /// Starts a sink on `127.0.0.1` at a free port (see [`SmtpSink::port`]).
    ///
    /// # Panics
    /// When the loopback address cannot be bound.
    pub async fn start() -> SmtpSink {
        let shared = Arc::new(Shared {
            inbox: Inbox::new(),
            refusals: Refusals::default(),
        });
        let for_sessions = shared.clone();
        let listener = Listener::start(move |stream| session(stream, for_sessions.clone())).await;
        SmtpSink { shared, listener }
    }

    /// The TCP port the sink listens on.
    pub fn port(&self) -> u16 {
        self.listener.port
    }

    /// The messages accepted so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.shared.inbox.all()
    }

    /// The messages accepted so far, once there are at least `count` of them or
    /// `timeout` has passed (then with fewer).
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        self.shared.inbox.wait_for(count, timeout).await
    }

    /// Makes the next `count` `RCPT TO` commands fail with `code` (a 4xx code for a
    /// temporary refusal, 5xx for a permanent one); replaces any earlier setting.
    ///
    /// # Panics
    /// When `code` is not in 400..=599.
    pub fn reject_next(&self, count: usize, code: u16) {
        assert!(
            (400..=599).contains(&code),
            "reject_next: the code {code} is not in 400..=599"
        );
        self.shared.refusals.set(count, code);
    }
}

/// The envelope of the message in progress.
#[derive(Debug, Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let mut conn = LineStream::new(stream, MAX_SESSION_BYTES);
    // An I/O error or a client over the limits just ends the session.
    let _ = serve(&mut conn, &shared).await;
}

async fn serve(conn: &mut LineStream, shared: &Shared) -> io::Result<()> {
    conn.write_all(b"220 loanbook-sink ESMTP test receiver, never forwards\r\n")
        .await?;
    let mut envelope = Envelope::default();
    let mut auth_user = None;
    // Ends with the client, or at the session's byte limit.
    while let Some(line) = conn.read_line(MAX_LINE_BYTES).await? {
        let line = String::from_utf8_lossy(&line).into_owned();
        let (verb, argument) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                envelope = Envelope::default();
                "250-loanbook-sink\r\n250-8BITMIME\r\n250 AUTH PLAIN".to_owned()
            }
            "HELO" => {
                envelope = Envelope::default();
                "250 loanbook-sink".to_owned()
            }
            "AUTH" => authenticate(conn, argument, &mut auth_user).await?,
            "MAIL" => match path(argument, "FROM:") {
                Some(from) => {
                    envelope = Envelope {
                        from: Some(from),
                        to: Vec::new(),
                    };
                    "250 2.1.0 Ok".to_owned()
                }
                None => "501 5.5.4 Syntax: MAIL FROM:<address>".to_owned(),
            },
            "RCPT" => recipient(&mut envelope, argument, &shared.refusals),
            "DATA" if envelope.from.is_none() || envelope.to.is_empty() => {
                "503 5.5.1 MAIL FROM and RCPT TO first".to_owned()
            }
            "DATA" => {
                let envelope = std::mem::take(&mut envelope);
                match data(conn, envelope, auth_user.clone(), &shared.inbox).await? {
                    Some(reply) => reply,
                    None => return Ok(()),
                }
            }
            "RSET" => {
                envelope = Envelope::default();
                "250 2.0.0 Ok".to_owned()
            }
            "NOOP" => "250 2.0.0 Ok".to_owned(),
            "QUIT" => {
                conn.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not recognised".to_owned(),
        };
        conn.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
    Ok(())
}

/// `AUTH PLAIN [initial response]`: keeps the user, accepts any password.
async fn authenticate(
    conn: &mut LineStream,
    argument: &str,
    auth_user: &mut Option<String>,
) -> io::Result<String> {
    let (mechanism, initial) = argument.split_once(' ').unwrap_or((argument, ""));
    if !mechanism.eq_ignore_ascii_case("PLAIN") {
        return Ok("504 5.5.4 Only AUTH PLAIN is supported".to_owned());
    }
    let response = if initial.is_empty() {
        conn.write_all(b"334 \r\n").await?;
        match conn.read_line(MAX_LINE_BYTES).await? {
            Some(line) => String::from_utf8_lossy(&line).into_owned(),
            None => return Err(io::ErrorKind::UnexpectedEof.into()),
        }
    } else {
        initial.to_owned()
    };
    // authorisation id \0 user \0 password
    let decoded = base64_decode(&response).map(|b| String::from_utf8_lossy(&b).into_owned());
    let user = decoded.as_deref().and_then(|text| {
        let mut parts = text.split('\0');
        let (_, user, _) = (parts.next()?, parts.next()?, parts.next()?);
        Some(user.to_owned())
    });
    Ok(match user {
        Some(user) => {
            *auth_user = Some(user);
            "235 2.7.0 Authentication successful".to_owned()
        }
        None => "501 5.5.2 Cannot decode the AUTH PLAIN response".to_owned(),
    })
}

/// `RCPT TO:<address>`: refused when a refusal is pending, else added to the envelope.
fn recipient(envelope: &mut Envelope, argument: &str, refusals: &Refusals) -> String {
    if envelope.from.is_none() {
        return "503 5.5.1 MAIL FROM first".to_owned();
    }
    let Some(to) = path(argument, "TO:").filter(|to| !to.is_empty()) else {
        return "501 5.5.4 Syntax: RCPT TO:<address>".to_owned();
    };
    if let Some(code) = refusals.take() {
        // The address is not repeated: a client may log the reply.
        return format!(
            "{code} {}.0.0 Recipient refused by the test sink",
            code / 100
        );
    }
    envelope.to.push(to);
    "250 2.1.5 Ok".to_owned()
}

/// The address in `FROM:<address> [parameters]` (`prefix` is `FROM:` or `TO:`).
fn path(argument: &str, prefix: &str) -> Option<String> {
    let head = argument.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = argument[prefix.len()..].trim_start().strip_prefix('<')?;
    let (address, _parameters) = rest.split_once('>')?;
    Some(address.to_owned())
}

/// Reads the message after `DATA` and keeps it; the final reply, or `None` when the
/// client hung up before the end of the data.
async fn data(
    conn: &mut LineStream,
    envelope: Envelope,
    auth_user: Option<String>,
    inbox: &Inbox<ReceivedMail>,
) -> io::Result<Option<String>> {
    conn.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        .await?;
    let mut raw = String::new();
    loop {
        let Some(line) = conn.read_line(MAX_LINE_BYTES).await? else {
            return Ok(None);
        };
        if line == b"." {
            break;
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        raw.push_str(&String::from_utf8_lossy(line));
        raw.push_str("\r\n");
    }
    let mail = ReceivedMail {
        from: envelope.from.unwrap_or_default(),
        to: envelope.to,
        raw,
        auth_user,
    };
    Ok(Some(match inbox.push(mail) {
        Some(number) => format!("250 2.0.0 Ok: queued as {number}"),
        None => format!("452 4.3.1 The test sink already holds {MAX_KEPT} messages"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::smtp::base64_encode;

    const TIMEOUT: Duration = Duration::from_secs(5);

    fn mail(raw: &str) -> ReceivedMail {
        ReceivedMail {
            from: "a@b".to_owned(),
            to: vec!["c@d".to_owned()],
            raw: raw.to_owned(),
            auth_user: None,
        }
    }

    #[test]
    fn encoded_words_are_decoded_and_joined() {
        for (header, subject) in [
            ("Payment due", "Payment due"),
            // "还款" is e8 bf 98 e6 ac be.
            ("=?UTF-8?B?6L+Y5qy+?=", "还款"),
            ("=?utf-8?b?6L+Y?=\r\n =?UTF-8?B?5qy+?=", "还款"),
            // One character split between two words: e8 bf | 98.
            ("=?UTF-8?B?6L8=?= =?UTF-8?B?mA==?=", "还"),
            ("Re: =?UTF-8?B?6L+Y5qy+?= now", "Re: 还款 now"),
            ("=?UTF-8?Q?caf=C3=A9_au_lait?=", "café au lait"),
            ("=?ISO-8859-1?Q?caf=E9?=", "=?ISO-8859-1?Q?caf=E9?="),
            ("=?UTF-8?B?not base64?=", "=?UTF-8?B?not base64?="),
        ] {
            assert_eq!(decode_encoded_words(header), subject, "{header:?}");
        }
    }

    #[test]
    fn headers_are_unfolded_and_found_in_any_case() {
        let got = mail(
            "From: x@y\r\nSubject: =?UTF-8?B?6L+Y?=\r\n =?UTF-8?B?5qy+?=\r\n\
             X-Ref:  r-1 \r\nContent-Transfer-Encoding: 7bit\r\n\r\nline 1\r\n.line 2\r\n",
        );
        assert_eq!(got.header("x-ref").as_deref(), Some("r-1"));
        assert_eq!(got.header("FROM").as_deref(), Some("x@y"));
        assert_eq!(got.header("Missing"), None);
        assert_eq!(got.subject(), "还款");
        assert_eq!(got.body(), "line 1\n.line 2\n");

        let body = base64_encode("还款\r\n第3期".as_bytes());
        let got = mail(&format!(
            "Content-Transfer-Encoding: BASE64\r\n\r\n{}\r\n{}\r\n",
            &body[..8],
            &body[8..]
        ));
        assert_eq!(got.body(), "还款\n第3期");
        assert_eq!(got.subject(), "");
    }

    /// Sends `line` and returns the reply (all its lines, joined by `|`).
    async fn say(conn: &mut LineStream, line: &str) -> String {
        conn.write_all(format!("{line}\r\n").as_bytes())
            .await
            .expect("write");
        let mut lines = Vec::new();
        loop {
            let reply = conn.read_line(1024).await.expect("read").expect("a reply");
            let reply = String::from_utf8(reply).expect("UTF-8");
            let last = reply.as_bytes().get(3) != Some(&b'-');
            lines.push(reply);
            if last {
                return lines.join("|");
            }
        }
    }

    #[tokio::test]
    async fn a_whole_session_by_hand() {
        let sink = SmtpSink::start().await;
        let stream = TcpStream::connect(("127.0.0.1", sink.port()))
            .await
            .expect("connect");
        let mut conn = LineStream::new(stream, 1024 * 1024);
        let greeting = conn.read_line(1024).await.expect("read").expect("greeting");
        assert!(greeting.starts_with(b"220 "));

        let ehlo = say(&mut conn, "EHLO client.example").await;
        assert_eq!(ehlo, "250-loanbook-sink|250-8BITMIME|250 AUTH PLAIN");
        assert!(say(&mut conn, "DATA").await.starts_with("503 "));
        let token = base64_encode(b"\0clerk\0pw");
        assert!(say(&mut conn, "AUTH LOGIN").await.starts_with("504 "));
        assert!(
            say(&mut conn, &format!("AUTH PLAIN {token}"))
                .await
                .starts_with("235 ")
        );
        assert!(
            say(&mut conn, "MAIL FROM:<first@x>")
                .await
                .starts_with("250 ")
        );
        assert!(say(&mut conn, "RSET").await.starts_with("250 "));
        assert!(say(&mut conn, "RCPT TO:<a@x>").await.starts_with("503 "));
        assert!(
            say(&mut conn, "mail from: <s@x> BODY=8BITMIME")
                .await
                .starts_with("250 ")
        );
        assert!(say(&mut conn, "RCPT TO:<a@x>").await.starts_with("250 "));
        sink.reject_next(1, 550);
        assert_eq!(
            say(&mut conn, "RCPT TO:<b@x>").await,
            "550 5.0.0 Recipient refused by the test sink"
        );
        assert!(say(&mut conn, "RCPT TO:<c@x>").await.starts_with("250 "));
        assert!(say(&mut conn, "NOOP").await.starts_with("250 "));
        assert!(say(&mut conn, "DATA").await.starts_with("354 "));
        let reply = say(&mut conn, "Subject: hi\r\n\r\n..dotted\r\nplain\r\n.").await;
        assert_eq!(reply, "250 2.0.0 Ok: queued as 1");
        assert!(say(&mut conn, "VRFY a").await.starts_with("502 "));
        assert!(say(&mut conn, "QUIT").await.starts_with("221 "));

        let got = sink.wait_for(1, TIMEOUT).await;
        assert_eq!(
            got,
            [ReceivedMail {
                from: "s@x".to_owned(),
                to: vec!["a@x".to_owned(), "c@x".to_owned()],
                raw: "Subject: hi\r\n\r\n.dotted\r\nplain\r\n".to_owned(),
                auth_user: Some("clerk".to_owned()),
            }]
        );
        assert_eq!(got[0].body(), ".dotted\nplain\n");
    }
}
