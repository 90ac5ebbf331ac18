//! Post-loan inspections (贷后检查): when they are due.
//!
//! A business loan gets its first inspection within 30 days of disbursement (the use of
//! the funds is checked while it can still be traced); after each inspection the next is
//! scheduled by the loan's five-tier class. A loan whose class worsens gets an inspection
//! within the interval of its new class if none is due sooner.
//!
//! | class | business loan | individual loan |
//! |---|---|---|
//! | pass (正常) | 180 days | none |
//! | special mention (关注) | 90 days | 180 days |
//! | substandard or worse | 30 days | 90 days |

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::delinquency::FiveTier;

/// Days after disbursement by which a business loan's first inspection is done.
pub const FIRST_INSPECTION_DAYS: i64 = 30;

/// What an inspection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The first after disbursement (use of funds).
    First,
    /// Routine, by class.
    Periodic,
    /// Because the class worsened or a warning asked for it.
    Triggered,
}

impl Kind {
    /// The code.
    pub const fn code(self) -> &'static str {
        match self {
            Kind::First => "first",
            Kind::Periodic => "periodic",
            Kind::Triggered => "triggered",
        }
    }
}

/// The due date of a loan's first inspection, disbursed on `disbursed` (business loans
/// only).
pub fn first_due(business: bool, disbursed: NaiveDate) -> Option<NaiveDate> {
    business.then(|| disbursed + Duration::days(FIRST_INSPECTION_DAYS))
}

/// Days between inspections of a loan of `class`; `None`: no routine inspection.
pub fn interval_days(business: bool, class: FiveTier) -> Option<i64> {
    match (business, class) {
        (true, FiveTier::Pass) => Some(180),
        (true, FiveTier::SpecialMention) => Some(90),
        (true, _) => Some(30),
        (false, FiveTier::Pass) => None,
        (false, FiveTier::SpecialMention) => Some(180),
        (false, _) => Some(90),
    }
}

/// The next routine inspection after one done on `done`.
pub fn next_due(business: bool, class: FiveTier, done: NaiveDate) -> Option<NaiveDate> {
    interval_days(business, class).map(|d| done + Duration::days(d))
}

/// After a class change on `date`: the due date of a triggered inspection, unless one
/// scheduled is due by then (`scheduled`).
pub fn after_class_change(
    business: bool,
    from: FiveTier,
    to: FiveTier,
    date: NaiveDate,
    scheduled: Option<NaiveDate>,
) -> Option<NaiveDate> {
    if to <= from {
        return None;
    }
    let due = date + Duration::days(interval_days(business, to)?);
    match scheduled {
        Some(s) if s <= due => None,
        _ => Some(due),
    }
}

/// The checklist answers of an inspection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// As expected.
    Satisfactory,
    /// Something to watch.
    Concern,
    /// A problem.
    Adverse,
    /// Does not apply (e.g. no collateral).
    NotApplicable,
}

impl Check {
    /// Parses a code.
    pub fn parse(code: &str) -> Option<Check> {
        match code {
            "satisfactory" => Some(Check::Satisfactory),
            "concern" => Some(Check::Concern),
            "adverse" => Some(Check::Adverse),
            "not_applicable" => Some(Check::NotApplicable),
            _ => None,
        }
    }
}

/// The items of the checklist.
pub const CHECKLIST: [&str; 3] = ["use_of_funds", "business_status", "collateral"];

/// The result of an inspection: the worst of its answers (`normal`, `concern`,
/// `adverse`).
pub fn result(answers: &[Check]) -> &'static str {
    if answers.contains(&Check::Adverse) {
        "adverse"
    } else if answers.contains(&Check::Concern) {
        "concern"
    } else {
        "normal"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn business_loans_are_inspected_within_thirty_days() {
        assert_eq!(first_due(true, ymd(1, 15)), Some(ymd(2, 14)));
        assert_eq!(first_due(false, ymd(1, 15)), None);
    }

    #[test]
    fn the_interval_follows_the_class() {
        assert_eq!(next_due(true, FiveTier::Pass, ymd(1, 1)), Some(ymd(6, 30)));
        assert_eq!(interval_days(true, FiveTier::SpecialMention), Some(90));
        assert_eq!(interval_days(true, FiveTier::Substandard), Some(30));
        assert_eq!(interval_days(true, FiveTier::Loss), Some(30));
        assert_eq!(interval_days(false, FiveTier::Pass), None);
        assert_eq!(interval_days(false, FiveTier::SpecialMention), Some(180));
        assert_eq!(interval_days(false, FiveTier::Doubtful), Some(90));
    }

    #[test]
    fn a_worse_class_brings_an_inspection_forward() {
        let d = ymd(3, 1);
        assert_eq!(
            after_class_change(
                true,
                FiveTier::Pass,
                FiveTier::Substandard,
                d,
                Some(ymd(8, 1))
            ),
            Some(ymd(3, 31))
        );
        assert_eq!(
            after_class_change(
                true,
                FiveTier::Pass,
                FiveTier::Substandard,
                d,
                Some(ymd(3, 10))
            ),
            None
        );
        assert_eq!(
            after_class_change(true, FiveTier::Substandard, FiveTier::Pass, d, None),
            None
        );
    }

    #[test]
    fn the_result_is_the_worst_answer() {
        assert_eq!(
            result(&[Check::Satisfactory, Check::NotApplicable]),
            "normal"
        );
        assert_eq!(result(&[Check::Satisfactory, Check::Concern]), "concern");
        assert_eq!(result(&[Check::Concern, Check::Adverse]), "adverse");
    }
}
