//! Collection performance (催收绩效) over a period: the contact rate (calls that reached an
//! obligor and discussed the debt ÷ call attempts), the promise-kept rate (promises kept ÷
//! promises judged) and what was recovered on the loans of each queue while they had a
//! case.

use rust_decimal::Decimal;
use serde::Serialize;

use super::ratio;
use crate::post_loan::collections::PromiseStatus;
use crate::post_loan::contact::{Outcome, Party};

/// Call attempts with one party and outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calls {
    /// Who answered.
    pub party: Party,
    /// What came of it.
    pub outcome: Outcome,
    /// How many.
    pub count: i64,
}

/// Whether a call reached the right party: an obligor, with the debt discussed.
pub fn is_contact(party: Party, outcome: Outcome) -> bool {
    party.is_obligor() && outcome.discusses_debt()
}

/// What was recovered in one queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recovery {
    /// The queue (bucket code).
    pub queue: String,
    /// Cases with a day in the period.
    pub cases: i64,
    /// Received on their loans while the case was open.
    pub recovered: i64,
}

/// The performance of a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Performance {
    /// Call attempts.
    pub attempts: i64,
    /// Right-party contacts.
    pub contacts: i64,
    /// Contacts ÷ attempts.
    pub contact_rate: Decimal,
    /// Promises kept.
    pub promises_kept: i64,
    /// Promises broken.
    pub promises_broken: i64,
    /// Kept ÷ (kept + broken).
    pub promise_kept_rate: Decimal,
    /// Recovered by queue.
    pub recovery: Vec<Recovery>,
}

/// The performance from the period's calls, the promises judged in it and what each
/// queue recovered.
pub fn performance(
    calls: &[Calls],
    promises: &[(PromiseStatus, i64)],
    recovery: Vec<Recovery>,
) -> Performance {
    let attempts: i64 = calls.iter().map(|c| c.count).sum();
    let contacts: i64 = calls
        .iter()
        .filter(|c| is_contact(c.party, c.outcome))
        .map(|c| c.count)
        .sum();
    let count = |s: PromiseStatus| -> i64 {
        promises
            .iter()
            .filter(|(status, _)| *status == s)
            .map(|(_, n)| n)
            .sum()
    };
    let (kept, broken) = (count(PromiseStatus::Kept), count(PromiseStatus::Broken));
    Performance {
        attempts,
        contacts,
        contact_rate: ratio(contacts, attempts),
        promises_kept: kept,
        promises_broken: broken,
        promise_kept_rate: ratio(kept, kept + broken),
        recovery,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_of_a_crafted_month() {
        let c = |party, outcome, count| Calls {
            party,
            outcome,
            count,
        };
        let p = performance(
            &[
                c(Party::Borrower, Outcome::NoAnswer, 6),
                c(Party::Borrower, Outcome::PromiseToPay, 3),
                c(Party::Guarantor, Outcome::Hardship, 1),
                // a relative asked to call back is not a contact
                c(Party::Relative, Outcome::LeftMessage, 2),
            ],
            &[
                (PromiseStatus::Kept, 3),
                (PromiseStatus::Broken, 1),
                (PromiseStatus::Cancelled, 5),
            ],
            Vec::new(),
        );
        assert_eq!((p.attempts, p.contacts), (12, 4));
        assert_eq!(p.contact_rate.to_string(), "0.3333");
        assert_eq!(p.promise_kept_rate.to_string(), "0.7500");
        assert!(!is_contact(Party::ThirdParty, Outcome::Other));
    }
}
