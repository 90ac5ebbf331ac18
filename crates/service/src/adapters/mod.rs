//! Adapters to the outside world: the credit bureau (征信) and the bank (放款指令).
//!
//! Each partner sits behind a trait, so the service works the same against a real
//! partner and against a simulator:
//!
//! | trait | real protocol | simulator (demos and tests only) |
//! |---|---|---|
//! | [`CreditBureau`] | [`HttpJsonBureau`]: JSON POST to a bureau gateway | [`SimulatedBureau`]: a report derived from the ID number |
//! | [`BankTransfer`] | [`FileBank`]: an instruction file with a checked trailer in an outbox directory; confirmations imported with [`parse_confirmations`] | [`SimulatedBank`]: confirms at once |
//!
//! The simulators never reach the network and move no money. Their test triggers are
//! documented on each type and in `docs/adapters.md`. [`http`] is the small HTTP/1.1
//! client the bureau uses (no TLS: `http://` only).

pub mod bank;
pub mod bureau;
pub mod http;

use std::sync::Arc;

pub use bank::{
    BankError, BankTransfer, Confirmation, FileBank, PaymentInstruction, PaymentStatus,
    SimulatedBank, export_instructions, parse_confirmations, validate_batch,
};
pub use bureau::{
    BureauError, BureauReport, BureauRequest, CreditBureau, HttpJsonBureau, SimulatedBureau,
};
pub use http::{HttpError, post_json};

/// The simulated credit bureau, for demos and tests.
pub fn simulated_bureau() -> Arc<dyn CreditBureau> {
    Arc::new(SimulatedBureau)
}

/// The simulated bank, for demos and tests.
pub fn simulated_bank() -> Arc<dyn BankTransfer> {
    Arc::new(SimulatedBank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulators_are_named_simulated() {
        assert_eq!(simulated_bureau().name(), "simulated");
        assert_eq!(simulated_bank().name(), "simulated");
    }
}
