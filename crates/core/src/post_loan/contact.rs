//! Contact rules (催收联系规范): when a borrower may be contacted, how often, and what may
//! be said to whom.
//!
//! - Quiet hours: no message and no call from 22:00 to 08:00 in the borrower's time zone.
//!   A message that falls in them is deferred to the end of the quiet hours, never dropped.
//! - A daily cap of messages per borrower (SMS and e-mail together; in-app messages do not
//!   disturb and are not counted): over the cap, a message waits for the next day.
//! - At most a few call attempts per case per day.
//! - No disclosure to third parties: only the obligors (the borrower and guarantors) may
//!   hear about the debt; with anyone else a collector may only ask for a call back.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// The limits on contacting borrowers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRules {
    /// Start of the quiet hours (local time of the borrower).
    pub quiet_start: NaiveTime,
    /// End of the quiet hours.
    pub quiet_end: NaiveTime,
    /// Most SMS and e-mail messages per borrower per local day.
    pub daily_cap: u32,
    /// Most call attempts per collection case per business day.
    pub call_attempts_per_day: u32,
}

impl Default for ContactRules {
    fn default() -> Self {
        ContactRules {
            quiet_start: NaiveTime::from_hms_opt(22, 0, 0).unwrap_or(NaiveTime::MIN),
            quiet_end: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
            daily_cap: 3,
            call_attempts_per_day: 3,
        }
    }
}

/// Why a message waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deferral {
    /// Quiet hours: it may go at this local time.
    QuietHours(NaiveDateTime),
    /// The daily cap is reached: it may go at this local time (the next day).
    DailyCap(NaiveDateTime),
}

impl Deferral {
    /// The local time the message may go.
    pub fn until(self) -> NaiveDateTime {
        match self {
            Deferral::QuietHours(t) | Deferral::DailyCap(t) => t,
        }
    }

    /// `quiet_hours` or `daily_cap`.
    pub fn code(self) -> &'static str {
        match self {
            Deferral::QuietHours(_) => "quiet_hours",
            Deferral::DailyCap(_) => "daily_cap",
        }
    }
}

impl ContactRules {
    /// Whether `local` falls in the quiet hours (which may span midnight).
    pub fn is_quiet(&self, local: NaiveTime) -> bool {
        if self.quiet_start <= self.quiet_end {
            local >= self.quiet_start && local < self.quiet_end
        } else {
            local >= self.quiet_start || local < self.quiet_end
        }
    }

    /// The first local time at or after `local` outside the quiet hours.
    pub fn next_open(&self, local: NaiveDateTime) -> NaiveDateTime {
        if !self.is_quiet(local.time()) {
            return local;
        }
        let end_today = local.date().and_time(self.quiet_end);
        if end_today > local {
            end_today
        } else {
            (local.date() + Duration::days(1)).and_time(self.quiet_end)
        }
    }

    /// Whether a message to a borrower may go at local time `local`, given the messages
    /// already sent to that borrower on that local day: `None` to send now, or why and
    /// until when it waits. `counts_to_cap` is false for in-app messages.
    pub fn check_message(
        &self,
        local: NaiveDateTime,
        sent_today: u32,
        counts_to_cap: bool,
    ) -> Option<Deferral> {
        if self.is_quiet(local.time()) {
            return Some(Deferral::QuietHours(self.next_open(local)));
        }
        if counts_to_cap && sent_today >= self.daily_cap {
            let tomorrow: NaiveDate = local.date() + Duration::days(1);
            return Some(Deferral::DailyCap(
                self.next_open(tomorrow.and_time(NaiveTime::MIN)),
            ));
        }
        None
    }
}

/// Who was contacted about a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The borrower.
    Borrower,
    /// A guarantor (an obligor too).
    Guarantor,
    /// The spouse or a relative.
    Relative,
    /// The employer.
    Employer,
    /// Anyone else (a neighbour, a colleague, a wrong number).
    ThirdParty,
}

impl Party {
    /// Every party.
    pub const ALL: [Party; 5] = [
        Party::Borrower,
        Party::Guarantor,
        Party::Relative,
        Party::Employer,
        Party::ThirdParty,
    ];

    /// The code, e.g. `third_party`.
    pub const fn code(self) -> &'static str {
        match self {
            Party::Borrower => "borrower",
            Party::Guarantor => "guarantor",
            Party::Relative => "relative",
            Party::Employer => "employer",
            Party::ThirdParty => "third_party",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Party> {
        Party::ALL.into_iter().find(|p| p.code() == code)
    }

    /// Whether the party owes the debt (and so may hear about it).
    pub const fn is_obligor(self) -> bool {
        matches!(self, Party::Borrower | Party::Guarantor)
    }
}

/// What came of a contact attempt (call outcome codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nobody answered.
    NoAnswer,
    /// The line was busy or switched off.
    Unreachable,
    /// The number does not belong to the person.
    WrongNumber,
    /// A message to call back was left (without saying why).
    LeftMessage,
    /// Spoke with the obligor, who promised to pay (record the promise).
    PromiseToPay,
    /// Spoke with the obligor, who says it is paid.
    ClaimsPaid,
    /// Spoke with the obligor, who disputes the debt.
    Dispute,
    /// Spoke with the obligor, who refuses to pay.
    RefusesToPay,
    /// Spoke with the obligor, who cannot pay now (hardship).
    Hardship,
    /// Visited in person.
    Visited,
    /// Anything else; the note says what.
    Other,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 11] = [
        Outcome::NoAnswer,
        Outcome::Unreachable,
        Outcome::WrongNumber,
        Outcome::LeftMessage,
        Outcome::PromiseToPay,
        Outcome::ClaimsPaid,
        Outcome::Dispute,
        Outcome::RefusesToPay,
        Outcome::Hardship,
        Outcome::Visited,
        Outcome::Other,
    ];

    /// The code, e.g. `promise_to_pay`.
    pub const fn code(self) -> &'static str {
        match self {
            Outcome::NoAnswer => "no_answer",
            Outcome::Unreachable => "unreachable",
            Outcome::WrongNumber => "wrong_number",
            Outcome::LeftMessage => "left_message",
            Outcome::PromiseToPay => "promise_to_pay",
            Outcome::ClaimsPaid => "claims_paid",
            Outcome::Dispute => "dispute",
            Outcome::RefusesToPay => "refuses_to_pay",
            Outcome::Hardship => "hardship",
            Outcome::Visited => "visited",
            Outcome::Other => "other",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.code() == code)
    }

    /// Whether the outcome means the debt was discussed.
    pub const fn discusses_debt(self) -> bool {
        matches!(
            self,
            Outcome::PromiseToPay
                | Outcome::ClaimsPaid
                | Outcome::Dispute
                | Outcome::RefusesToPay
                | Outcome::Hardship
        )
    }
}

/// Why a contact may not be recorded as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    /// The debt may not be discussed with someone who does not owe it.
    #[error(
        "the debt may not be disclosed to a third party: outcome '{outcome}' with '{party}' is not allowed (only borrower and guarantor)"
    )]
    Disclosure {
        /// The party.
        party: &'static str,
        /// The outcome.
        outcome: &'static str,
    },
    /// Too many call attempts today.
    #[error("at most {cap} call attempts per case per day (this would be attempt {attempt})")]
    AttemptCap {
        /// The cap.
        cap: u32,
        /// The attempt this would be.
        attempt: u32,
    },
    /// A call in the quiet hours.
    #[error("no calls between {start} and {end} in the borrower's time zone (it is {at} there)")]
    QuietHours {
        /// Start of the quiet hours.
        start: NaiveTime,
        /// End.
        end: NaiveTime,
        /// Local time of the call.
        at: NaiveTime,
    },
}

impl ContactRules {
    /// Checks a call attempt: not in the quiet hours (local time of the borrower), within
    /// the day's attempts (`attempts_today` already made on the case), and nothing said
    /// about the debt to someone who does not owe it.
    ///
    /// # Errors
    /// [`ContactError`] naming the rule broken.
    pub fn check_call(
        &self,
        local: NaiveTime,
        attempts_today: u32,
        party: Party,
        outcome: Outcome,
    ) -> Result<(), ContactError> {
        if !party.is_obligor() && outcome.discusses_debt() {
            return Err(ContactError::Disclosure {
                party: party.code(),
                outcome: outcome.code(),
            });
        }
        if self.is_quiet(local) {
            return Err(ContactError::QuietHours {
                start: self.quiet_start,
                end: self.quiet_end,
                at: local,
            });
        }
        if attempts_today >= self.call_attempts_per_day {
            return Err(ContactError::AttemptCap {
                cap: self.call_attempts_per_day,
                attempt: attempts_today + 1,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(d: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn quiet_hours_span_midnight_and_defer_to_eight() {
        let r = ContactRules::default();
        assert_eq!(r.check_message(at(5, 9, 0), 0, true), None);
        assert_eq!(r.check_message(at(5, 21, 59), 0, true), None);
        assert_eq!(
            r.check_message(at(5, 22, 0), 0, true),
            Some(Deferral::QuietHours(at(6, 8, 0)))
        );
        assert_eq!(
            r.check_message(at(6, 3, 30), 0, false),
            Some(Deferral::QuietHours(at(6, 8, 0)))
        );
        assert_eq!(r.check_message(at(6, 8, 0), 0, true), None);
    }

    #[test]
    fn over_the_cap_a_message_waits_for_the_next_morning_but_in_app_does_not() {
        let r = ContactRules::default();
        assert_eq!(r.check_message(at(5, 10, 0), 2, true), None);
        assert_eq!(
            r.check_message(at(5, 10, 0), 3, true),
            Some(Deferral::DailyCap(at(6, 8, 0)))
        );
        assert_eq!(r.check_message(at(5, 10, 0), 9, false), None);
    }

    #[test]
    fn a_daytime_quiet_window_works_too() {
        let r = ContactRules {
            quiet_start: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
            quiet_end: NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
            ..ContactRules::default()
        };
        assert!(r.is_quiet(NaiveTime::from_hms_opt(13, 0, 0).unwrap()));
        assert!(!r.is_quiet(NaiveTime::from_hms_opt(23, 0, 0).unwrap()));
        assert_eq!(r.next_open(at(5, 12, 30)), at(5, 14, 0));
    }

    #[test]
    fn calls_respect_disclosure_quiet_hours_and_the_attempt_cap() {
        let r = ContactRules::default();
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        assert!(
            r.check_call(noon, 0, Party::Borrower, Outcome::PromiseToPay)
                .is_ok()
        );
        assert!(
            r.check_call(noon, 0, Party::Relative, Outcome::LeftMessage)
                .is_ok()
        );
        let e = r
            .check_call(noon, 0, Party::Employer, Outcome::RefusesToPay)
            .unwrap_err();
        assert!(e.to_string().contains("third party"), "{e}");
        assert_eq!(
            r.check_call(noon, 3, Party::Borrower, Outcome::NoAnswer),
            Err(ContactError::AttemptCap { cap: 3, attempt: 4 })
        );
        let late = NaiveTime::from_hms_opt(23, 15, 0).unwrap();
        assert!(matches!(
            r.check_call(late, 0, Party::Borrower, Outcome::NoAnswer),
            Err(ContactError::QuietHours { .. })
        ));
    }

    #[test]
    fn codes_parse_back() {
        for p in Party::ALL {
            assert_eq!(Party::parse(p.code()), Some(p));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.code()), Some(o));
        }
    }

    proptest! {
        /// Whatever the time, a deferred message is deferred to a time outside the quiet
        /// hours, after the time asked, and within a day and a half.
        #[test]
        fn deferrals_land_outside_quiet_hours(min in 0u32..(24 * 60), sent in 0u32..6) {
            let r = ContactRules::default();
            let local = at(10, min / 60, min % 60);
            if let Some(d) = r.check_message(local, sent, true) {
                let t = d.until();
                prop_assert!(t > local);
                prop_assert!(!r.is_quiet(t.time()));
                prop_assert!(t - local <= Duration::hours(34));
                prop_assert_eq!(r.check_message(t, 0, true), None);
            } else {
                prop_assert!(!r.is_quiet(local.time()));
                prop_assert!(sent < r.daily_cap);
            }
        }
    }
}
