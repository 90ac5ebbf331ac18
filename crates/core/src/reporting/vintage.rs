//! Vintage curves (账龄分析): for each cohort of loans disbursed in one month, the share of
//! its disbursed amount that has been 30 or more days past due at least once by each
//! month on book (MOB). A cohort's curve never falls and stops at its age.

use rust_decimal::Decimal;
use serde::Serialize;

use super::ratio;

/// One loan of a cohort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loan {
    /// Disbursement month as `year * 12 + month - 1`.
    pub cohort: i32,
    /// Amount disbursed (minor units), the weight.
    pub disbursed: i64,
    /// The month on book in which it first reached 30 DPD, if it did.
    pub first_30dpd_mob: Option<u32>,
}

/// One cohort's curve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Curve {
    /// Disbursement month as `year * 12 + month - 1`.
    pub cohort: i32,
    /// Loans in the cohort.
    pub loans: usize,
    /// Amount disbursed.
    pub disbursed: i64,
    /// The share ever 30+ DPD by MOB 1, 2, … up to the cohort's age.
    pub ever_30dpd: Vec<Decimal>,
}

/// The curves of `loans` as of month `now` (same encoding as the cohorts), oldest cohort
/// first; a cohort disbursed in month *c* is `now - c` months on book.
pub fn curves(loans: &[Loan], now: i32) -> Vec<Curve> {
    let mut cohorts: Vec<i32> = loans.iter().map(|l| l.cohort).collect();
    cohorts.sort_unstable();
    cohorts.dedup();
    cohorts
        .into_iter()
        .filter(|c| *c <= now)
        .map(|cohort| {
            let members: Vec<&Loan> = loans.iter().filter(|l| l.cohort == cohort).collect();
            let disbursed: i64 = members.iter().map(|l| l.disbursed).sum();
            let age = u32::try_from(now - cohort).unwrap_or(0);
            let ever_30dpd = (1..=age)
                .map(|mob| {
                    let bad: i64 = members
                        .iter()
                        .filter(|l| l.first_30dpd_mob.is_some_and(|m| m <= mob))
                        .map(|l| l.disbursed)
                        .sum();
                    ratio(bad, disbursed)
                })
                .collect();
            Curve {
                cohort,
                loans: members.len(),
                disbursed,
                ever_30dpd,
            }
        })
        .collect()
}

/// The month on book of `date` for a loan disbursed on `disbursed` (whole months
/// started: a loan disbursed on Jan 15 is in MOB 1 until Feb 14).
pub fn months_on_book(disbursed: chrono::NaiveDate, date: chrono::NaiveDate) -> u32 {
    use chrono::Datelike;
    let months =
        (date.year() - disbursed.year()) * 12 + date.month() as i32 - disbursed.month() as i32;
    let months = if date.day() >= disbursed.day() {
        months + 1
    } else {
        months
    };
    u32::try_from(months.max(1)).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    #[test]
    fn a_crafted_cohort_cell_is_the_share_counted_by_hand() {
        let jan = 2026 * 12;
        let l = |cohort, disbursed, mob| Loan {
            cohort,
            disbursed,
            first_30dpd_mob: mob,
        };
        let loans = [
            l(jan, 100_000, None),
            l(jan, 200_000, Some(2)),
            l(jan, 100_000, Some(4)),
            l(jan + 1, 500_000, Some(1)),
        ];
        let c = curves(&loans, jan + 4);
        assert_eq!(c.len(), 2);
        // January at MOB 3: 200,000 of 400,000 ever 30+; at MOB 4: 300,000 of 400,000
        assert_eq!(c[0].ever_30dpd.len(), 4);
        assert_eq!(c[0].ever_30dpd[0].to_string(), "0.0000");
        assert_eq!(c[0].ever_30dpd[2].to_string(), "0.5000");
        assert_eq!(c[0].ever_30dpd[3].to_string(), "0.7500");
        assert_eq!(c[1].ever_30dpd, vec![Decimal::new(10_000, 4); 3]);
    }

    #[test]
    fn months_on_book_count_started_months() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(months_on_book(d(1, 15), d(1, 15)), 1);
        assert_eq!(months_on_book(d(1, 15), d(2, 14)), 1);
        assert_eq!(months_on_book(d(1, 15), d(2, 15)), 2);
        assert_eq!(months_on_book(d(1, 31), d(3, 1)), 2);
    }

    proptest! {
        #[test]
        fn curves_never_fall(
            loans in prop::collection::vec((0i32..6, 1i64..1_000_000, prop::option::of(1u32..8)), 1..40)
        ) {
            let loans: Vec<Loan> = loans
                .into_iter()
                .map(|(c, d, m)| Loan { cohort: c, disbursed: d, first_30dpd_mob: m })
                .collect();
            for curve in curves(&loans, 8) {
                for w in curve.ever_30dpd.windows(2) {
                    prop_assert!(w[0] <= w[1]);
                }
                prop_assert!(curve.ever_30dpd.iter().all(|r| *r <= Decimal::ONE));
            }
        }
    }
}
