//! Adapters to the outside world: the credit bureau (征信), the bank (放款指令), and the
//! delivery of borrower notifications by e-mail and SMS.
//!
//! Each partner sits behind a trait, so the service works the same against a real
//! partner and against a simulator:
//!
//! | trait | real protocol | simulator (demos and tests only) |
//! |---|---|---|
//! | [`CreditBureau`] | [`HttpJsonBureau`]: JSON POST to a bureau gateway | [`SimulatedBureau`]: a report derived from the ID number |
//! | [`BankTransfer`] | [`FileBank`]: an instruction file with a checked trailer in an outbox directory; confirmations imported with [`parse_confirmations`] | [`SimulatedBank`]: confirms at once |
//! | [`Mailer`] | [`SmtpMailer`]: SMTP (RFC 5321) over plain TCP to a mail server or relay, `AUTH PLAIN` optional | [`SimulatedMailer`]: keeps the e-mails in memory |
//! | [`SmsGateway`] | [`HttpSmsGateway`]: JSON POST per message to an SMS provider's HTTP API, with an idempotency key | [`SimulatedSms`]: keeps the messages in memory |
//!
//! The simulators never reach the network and move no money. Their test triggers are
//! documented on each type and in `docs/adapters.md`. A notification that fails is a
//! [`DeliveryError`], transient (retry later) or permanent. [`http`] is the small
//! HTTP/1.1 client the bureau and the SMS gateway use (no TLS: `http://` only).
//! [`sinks`] holds local SMTP and HTTP receivers that tests and demos point the real
//! clients at; they never forward anything.

pub mod bank;
pub mod bureau;
pub mod delivery;
pub mod http;
pub mod sinks;
pub mod sms;
pub mod smtp;

use std::sync::Arc;

pub use bank::{
    BankError, BankTransfer, Confirmation, FileBank, PaymentInstruction, PaymentStatus,
    SimulatedBank, export_instructions, parse_confirmations, validate_batch,
};
pub use bureau::{
    BureauError, BureauReport, BureauRequest, CreditBureau, HttpJsonBureau, SimulatedBureau,
};
pub use delivery::DeliveryError;
pub use http::{HttpError, post_json};
pub use sms::{HttpSmsGateway, SimulatedSms, SmsGateway, SmsMessage};
pub use smtp::{Email, Mailer, SimulatedMailer, SmtpConfig, SmtpMailer};

/// The simulated credit bureau, for demos and tests.
pub fn simulated_bureau() -> Arc<dyn CreditBureau> {
    Arc::new(SimulatedBureau)
}

/// The simulated bank, for demos and tests.
pub fn simulated_bank() -> Arc<dyn BankTransfer> {
    Arc::new(SimulatedBank)
}

/// A simulated mailer with nothing sent yet, for demos and tests.
pub fn simulated_mailer() -> Arc<dyn Mailer> {
    Arc::new(SimulatedMailer::new())
}

/// A simulated SMS gateway with nothing sent yet, for demos and tests.
pub fn simulated_sms() -> Arc<dyn SmsGateway> {
    Arc::new(SimulatedSms::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulators_are_named_simulated() {
        assert_eq!(simulated_bureau().name(), "simulated");
        assert_eq!(simulated_bank().name(), "simulated");
        assert_eq!(simulated_mailer().name(), "simulated");
        assert_eq!(simulated_sms().name(), "simulated");
    }
}
