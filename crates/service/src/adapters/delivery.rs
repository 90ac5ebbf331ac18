//! The outcome of handing a borrower notification (e-mail, SMS) to a delivery partner,
//! shared by [`super::smtp`] and [`super::sms`].
//!
//! Decision: a failure is either worth retrying later (the partner is busy, down or
//! unreachable) or not (the partner refused this message for good: a bad address, an
//! unknown mailbox, a rejected request). The outbox retries the first kind with back-off
//! and marks the second kind failed at once.

/// Why a notification was not delivered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// A temporary failure (connection refused, timeout, a 4xx SMTP reply, HTTP
    /// 408/429/5xx): the same message may be sent again later.
    #[error("delivery failed for now, retry later: {0}")]
    Transient(String),
    /// A permanent failure (an invalid address, a 5xx SMTP reply, another HTTP 4xx):
    /// sending the same message again will fail again.
    #[error("delivery failed for good: {0}")]
    Permanent(String),
}

impl DeliveryError {
    /// True when the same message may succeed if sent again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, DeliveryError::Transient(_))
    }

    /// The reason, without the transient/permanent prefix.
    pub fn reason(&self) -> &str {
        match self {
            DeliveryError::Transient(reason) | DeliveryError::Permanent(reason) => reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_and_permanent_are_told_apart() {
        let busy = DeliveryError::Transient("451 try later".into());
        let gone = DeliveryError::Permanent("550 no such user".into());
        assert!(busy.is_transient());
        assert!(!gone.is_transient());
        assert_eq!(busy.reason(), "451 try later");
        assert_eq!(
            gone.to_string(),
            "delivery failed for good: 550 no such user"
        );
    }
}
