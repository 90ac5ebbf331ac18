//! Officer performance (信贷员绩效): per loan officer — the user who took the application —
//! what came of the applications submitted in a period (approved, declined, the approval
//! rate), the loans disbursed in it, and the quality of the officer's book now (principal
//! outstanding, PAR30, NPL ratio, the same figures as [`super::portfolio`] on the
//! officer's loans only).

use rust_decimal::Decimal;
use serde::Serialize;

use super::portfolio::{Cell, quality};
use super::ratio;

/// What one officer did in a period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    /// The officer's username.
    pub officer: String,
    /// Applications submitted in the period.
    pub submitted: i64,
    /// Of them, approved.
    pub approved: i64,
    /// Of them, declined.
    pub declined: i64,
    /// Loans disbursed in the period.
    pub loans_disbursed: i64,
    /// Amount disbursed on them (minor units).
    pub principal_disbursed: i64,
}

/// One officer's line of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Officer {
    /// The officer's username.
    pub officer: String,
    /// Applications submitted in the period.
    pub submitted: i64,
    /// Of them, approved.
    pub approved: i64,
    /// Of them, declined.
    pub declined: i64,
    /// Approved ÷ (approved + declined).
    pub approval_rate: Decimal,
    /// Loans disbursed in the period.
    pub loans_disbursed: i64,
    /// Amount disbursed on them.
    pub principal_disbursed: i64,
    /// Loans of the officer's book now.
    pub loans: i64,
    /// Principal outstanding of the book now.
    pub principal_outstanding: i64,
    /// PAR30 of the book.
    pub par30: Decimal,
    /// NPL ratio of the book.
    pub npl_ratio: Decimal,
}

/// The report from each officer's `activity` in the period and the cells of each
/// officer's `book` now: one line per officer found in either, the largest book first
/// (then by name).
pub fn performance(activity: &[Activity], book: &[(String, Cell)]) -> Vec<Officer> {
    let mut names: Vec<&str> = activity
        .iter()
        .map(|a| a.officer.as_str())
        .chain(book.iter().map(|(o, _)| o.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out: Vec<Officer> = names
        .into_iter()
        .map(|name| {
            let mut a = Activity::default();
            for x in activity.iter().filter(|x| x.officer == name) {
                a.submitted += x.submitted;
                a.approved += x.approved;
                a.declined += x.declined;
                a.loans_disbursed += x.loans_disbursed;
                a.principal_disbursed += x.principal_disbursed;
            }
            let cells: Vec<Cell> = book
                .iter()
                .filter(|(o, _)| o == name)
                .map(|(_, c)| c.clone())
                .collect();
            let q = quality(&cells);
            Officer {
                officer: name.to_owned(),
                submitted: a.submitted,
                approved: a.approved,
                declined: a.declined,
                approval_rate: ratio(a.approved, a.approved + a.declined),
                loans_disbursed: a.loans_disbursed,
                principal_disbursed: a.principal_disbursed,
                loans: q.loans,
                principal_outstanding: q.principal,
                par30: q.par30,
                npl_ratio: q.npl_ratio,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.principal_outstanding
            .cmp(&a.principal_outstanding)
            .then_with(|| a.officer.cmp(&b.officer))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delinquency::{Bucket, FiveTier};
    use proptest::prelude::*;

    fn cell(bucket: Bucket, class: FiveTier, principal: i64) -> Cell {
        Cell {
            bucket,
            class,
            loans: 1,
            principal,
            provision: 0,
        }
    }

    #[test]
    fn a_crafted_pair_of_officers() {
        let activity = [
            Activity {
                officer: "alice".into(),
                submitted: 4,
                approved: 3,
                declined: 1,
                loans_disbursed: 2,
                principal_disbursed: 5_000_000,
            },
            Activity {
                officer: "bob".into(),
                submitted: 2,
                declined: 2,
                ..Activity::default()
            },
        ];
        let book = [
            (
                "alice".to_owned(),
                cell(Bucket::Current, FiveTier::Pass, 3_000_000),
            ),
            (
                "bob".to_owned(),
                cell(Bucket::Current, FiveTier::Pass, 6_000_000),
            ),
            (
                "bob".to_owned(),
                cell(Bucket::M2, FiveTier::Substandard, 1_500_000),
            ),
            (
                "bob".to_owned(),
                cell(Bucket::M1, FiveTier::SpecialMention, 500_000),
            ),
            // an officer with a book but no activity in the period
            (
                "carol".to_owned(),
                cell(Bucket::M4Plus, FiveTier::Loss, 100_000),
            ),
        ];
        let r = performance(&activity, &book);
        let names: Vec<&str> = r.iter().map(|o| o.officer.as_str()).collect();
        assert_eq!(names, ["bob", "alice", "carol"]);
        // bob: 80,000.00 outstanding, 15,000.00 in M2 and substandard: 18.75 % each
        assert_eq!(r[0].principal_outstanding, 8_000_000);
        assert_eq!(r[0].loans, 3);
        assert_eq!(r[0].par30.to_string(), "0.1875");
        assert_eq!(r[0].npl_ratio.to_string(), "0.1875");
        assert_eq!(r[0].approval_rate.to_string(), "0.0000");
        // alice: 3 of 4 decided approved
        assert_eq!(r[1].approval_rate.to_string(), "0.7500");
        assert_eq!(
            (r[1].loans_disbursed, r[1].principal_disbursed),
            (2, 5_000_000)
        );
        assert_eq!(r[1].par30.to_string(), "0.0000");
        assert_eq!(
            (r[2].submitted, r[2].par30.to_string()),
            (0, "1.0000".into())
        );
        assert!(performance(&[], &[]).is_empty());
    }

    proptest! {
        /// Every officer once, largest book first; the books add up to the whole book and
        /// every ratio is a share.
        #[test]
        fn officers_partition_the_book(
            cells in prop::collection::vec((0usize..4, 0usize..5, 0usize..5, 0i64..10_000_000), 0..30),
            decided in prop::collection::vec((0usize..4, 0i64..20, 0i64..20), 0..10),
        ) {
            let name = |i: usize| format!("officer{i}");
            let book: Vec<(String, Cell)> = cells
                .iter()
                .map(|(o, b, c, p)| (name(*o), cell(Bucket::ALL[*b], FiveTier::ALL[*c], *p)))
                .collect();
            let activity: Vec<Activity> = decided
                .iter()
                .map(|(o, approved, declined)| Activity {
                    officer: name(*o),
                    submitted: approved + declined,
                    approved: *approved,
                    declined: *declined,
                    ..Activity::default()
                })
                .collect();
            let r = performance(&activity, &book);
            let total: i64 = r.iter().map(|o| o.principal_outstanding).sum();
            prop_assert_eq!(total, book.iter().map(|(_, c)| c.principal).sum::<i64>());
            for w in r.windows(2) {
                prop_assert!(w[0].principal_outstanding >= w[1].principal_outstanding);
            }
            let mut names: Vec<&str> = r.iter().map(|o| o.officer.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            prop_assert_eq!(names.len(), r.len());
            for o in &r {
                for share in [o.approval_rate, o.par30, o.npl_ratio] {
                    prop_assert!(share >= Decimal::ZERO && share <= Decimal::ONE);
                }
            }
        }
    }
}
