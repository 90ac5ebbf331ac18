//! Local receivers for tests and demos: they never forward anything.
//!
//! [`SmtpSink`] is an SMTP server and [`WebhookSink`] an HTTP server. Each listens on
//! `127.0.0.1` at a port the operating system picks, keeps what it receives in memory and
//! can be told to refuse the next few messages, so that a test drives the real clients
//! ([`super::SmtpMailer`], [`super::HttpSmsGateway`]) over a real socket and checks both
//! what went over the wire and how a refusal is classified.
//!
//! Decisions: always compiled (not only under `cfg(test)`), because the integration tests
//! of other crates use them too; bound to the loopback address only; a sink stops
//! listening and ends its open sessions when it is dropped. `wait_for` wakes on each
//! arrival instead of sleeping, and gives up at its timeout. Each sink keeps at most
//! [`MAX_KEPT`] items and refuses more with a temporary error, so a runaway test cannot
//! eat the machine's memory.

mod smtp_sink;
mod webhook_sink;

use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, timeout_at};

pub use smtp_sink::{ReceivedMail, SmtpSink};
pub use webhook_sink::{ReceivedRequest, WebhookSink};

/// Most items (mails, requests) one sink keeps.
pub const MAX_KEPT: usize = 10_000;

/// Decodes standard base64 (RFC 4648 §4, with `=` padding), the inverse of the encoding
/// [`super::SmtpMailer`] uses for bodies and subjects. Spaces, tabs, CR and LF anywhere
/// are ignored, so a body split into lines decodes as a whole.
///
/// Returns `None` for a character outside the alphabet, a length (without white space)
/// that is not a multiple of 4, or padding anywhere but at the end.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let symbols: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .collect();
    if !symbols.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);
    let quanta = symbols.len() / 4;
    for (i, quantum) in symbols.chunks(4).enumerate() {
        let padding = quantum.iter().rev().take_while(|&&b| b == b'=').count();
        if padding > 2 || (padding > 0 && i + 1 != quanta) {
            return None;
        }
        let mut n: u32 = 0;
        for &symbol in &quantum[..4 - padding] {
            n = (n << 6) | u32::from(base64_value(symbol)?);
        }
        n <<= 6 * padding;
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - padding]);
    }
    Some(out)
}

/// The 6-bit value of a base64 symbol.
fn base64_value(symbol: u8) -> Option<u8> {
    match symbol {
        b'A'..=b'Z' => Some(symbol - b'A'),
        b'a'..=b'z' => Some(symbol - b'a' + 26),
        b'0'..=b'9' => Some(symbol - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// What a sink has accepted, oldest first, with a wake-up for those waiting.
#[derive(Debug)]
struct Inbox<T> {
    items: Mutex<Vec<T>>,
    arrived: Notify,
}

impl<T: Clone> Inbox<T> {
    fn new() -> Inbox<T> {
        Inbox {
            items: Mutex::new(Vec::new()),
            arrived: Notify::new(),
        }
    }

    /// Keeps `item` and returns how many are kept now (its 1-based number); `None` when
    /// the inbox already holds [`MAX_KEPT`] items.
    fn push(&self, item: T) -> Option<usize> {
        let count = {
            let mut items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
            if items.len() >= MAX_KEPT {
                return None;
            }
            items.push(item);
            items.len()
        };
        self.arrived.notify_waiters();
        Some(count)
    }

    fn all(&self) -> Vec<T> {
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Everything kept, once there are at least `count` items or `timeout` has passed.
    async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<T> {
        let deadline = Instant::now() + timeout;
        loop {
            // Registered before looking, so an arrival in between is not missed.
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let items = self.all();
            if items.len() >= count {
                return items;
            }
            if timeout_at(deadline, arrived).await.is_err() {
                return self.all();
            }
        }
    }
}

/// How many of the next messages to refuse, and with which code.
#[derive(Debug, Default)]
struct Refusals {
    /// (messages left to refuse, code).
    next: Mutex<(usize, u16)>,
}

impl Refusals {
    fn set(&self, count: usize, code: u16) {
        *self.next.lock().unwrap_or_else(PoisonError::into_inner) = (count, code);
    }

    /// The code to refuse this message with, if any; uses up one refusal.
    fn take(&self) -> Option<u16> {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        if next.0 == 0 {
            return None;
        }
        next.0 -= 1;
        Some(next.1)
    }
}

/// A listener on `127.0.0.1` serving each connection in its own task; dropping it stops
/// the listener and every open session.
#[derive(Debug)]
struct Listener {
    port: u16,
    task: JoinHandle<()>,
}

impl Listener {
    /// Binds `127.0.0.1:0` and serves every connection with `session`.
    ///
    /// # Panics
    /// When the loopback address cannot be bound (test support: there is nothing
    /// sensible to do but fail the test).
    async fn start<F, S>(session: F) -> Listener
    where
        F: Fn(TcpStream) -> S + Send + 'static,
        S: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a test sink binds 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("a bound listener has an address")
            .port();
        let task = tokio::spawn(async move {
            // Dropped with the task, which aborts the sessions still running.
            let mut sessions = JoinSet::new();
            loop {
                while sessions.try_join_next().is_some() {}
                match listener.accept().await {
                    Ok((stream, _)) => {
                        sessions.spawn(session(stream));
                    }
                    // Out of file descriptors, say: let sessions finish, then try again.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        });
        Listener { port, task }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_rfc_4648_vectors_and_ignores_line_breaks() {
        for (encoded, plain) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
            ("Zm9v\r\nYmFy\r\n", "foobar"),
            (" Zm9v\tYg= =", "foob"),
            // "还款" is e8 bf 98 e6 ac be.
            ("6L+Y5qy+", "还款"),
        ] {
            assert_eq!(
                base64_decode(encoded).as_deref(),
                Some(plain.as_bytes()),
                "{encoded:?}"
            );
        }
    }

    #[test]
    fn base64_refuses_what_is_not_base64() {
        for bad in [
            "Zg", "Zm9", "Zg=", "Z===", "Zg==Zm9v", "Zm9v!A==", "Zm-v", "=Zm9",
        ] {
            assert_eq!(base64_decode(bad), None, "{bad:?}");
        }
    }

    #[tokio::test]
    async fn wait_for_returns_what_there_is_at_the_timeout() {
        let inbox = Inbox::new();
        assert_eq!(inbox.push(1), Some(1));
        let started = Instant::now();
        let got = inbox.wait_for(2, Duration::from_millis(50)).await;
        assert_eq!(got, [1]);
        assert!(started.elapsed() >= Duration::from_millis(50));

        let inbox = std::sync::Arc::new(Inbox::new());
        let pusher = inbox.clone();
        let push = tokio::spawn(async move {
            tokio::task::yield_now().await;
            pusher.push("a");
            pusher.push("b");
        });
        let got = inbox.wait_for(2, Duration::from_secs(5)).await;
        assert_eq!(got, ["a", "b"]);
        push.await.expect("pusher");
    }

    #[test]
    fn refusals_are_used_up() {
        let refusals = Refusals::default();
        assert_eq!(refusals.take(), None);
        refusals.set(2, 451);
        assert_eq!(refusals.take(), Some(451));
        assert_eq!(refusals.take(), Some(451));
        assert_eq!(refusals.take(), None);
    }
}
