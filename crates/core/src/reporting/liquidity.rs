//! Funding-source liquidity (资金流动性): per funding source, its limit, what is drawn —
//! principal lent from it and still outstanding —, what is available (limit − drawn,
//! never below zero), the utilisation (drawn ÷ limit), and what the schedules of its loans
//! are expected to bring back by month ([`super::cashflow::projection`] of its loans
//! only).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::cashflow::{Expected, Month, projection};
use super::ratio;

/// A funding source and what is drawn on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Its code.
    pub code: String,
    /// The most it lends (minor units).
    pub limit: i64,
    /// Principal outstanding of the loans it funded.
    pub drawn: i64,
}

/// The liquidity of one source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Liquidity {
    /// Its code.
    pub code: String,
    /// The most it lends.
    pub limit: i64,
    /// Principal outstanding of the loans it funded.
    pub drawn: i64,
    /// Limit − drawn, never below zero.
    pub available: i64,
    /// Drawn ÷ limit (above one when the limit was lowered under what is drawn).
    pub utilisation: Decimal,
    /// Principal and interest its loans' schedules expect back, by month.
    pub inflows: Vec<Month>,
}

/// The liquidity of each of `sources` from the still `expected` installments of its
/// loans (by source code), by month from the month of `today` on, for `months` months.
pub fn liquidity(
    sources: &[Source],
    expected: &[(String, Expected)],
    today: NaiveDate,
    months: u32,
) -> Vec<Liquidity> {
    sources
        .iter()
        .map(|s| {
            let own: Vec<Expected> = expected
                .iter()
                .filter(|(code, _)| *code == s.code)
                .map(|(_, e)| *e)
                .collect();
            Liquidity {
                code: s.code.clone(),
                limit: s.limit,
                drawn: s.drawn,
                available: s.limit.saturating_sub(s.drawn).max(0),
                utilisation: ratio(s.drawn, s.limit),
                inflows: projection(&own, today, months),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn e(due: NaiveDate, principal: i64, interest: i64) -> Expected {
        Expected {
            due_date: due,
            principal,
            interest,
            installments: 1,
        }
    }

    #[test]
    fn a_crafted_pair_of_sources() {
        let sources = [
            Source {
                code: "BANK-A".into(),
                limit: 5_000_000,
                drawn: 3_600_000,
            },
            Source {
                code: "OWN".into(),
                limit: 1_000_000,
                drawn: 1_200_000,
            },
        ];
        let expected = [
            ("BANK-A".to_owned(), e(d(2026, 11, 23), 100, 10)),
            ("BANK-A".to_owned(), e(d(2027, 1, 23), 300, 30)),
            ("OWN".to_owned(), e(d(2026, 12, 23), 200, 20)),
        ];
        let l = liquidity(&sources, &expected, d(2026, 12, 3), 2);
        // 36,000.00 of 50,000.00: 72 %, 14,000.00 left
        assert_eq!(
            (l[0].available, l[0].utilisation.to_string()),
            (1_400_000, "0.7200".into())
        );
        // the arrears of November fall in December, January's installment in January
        assert_eq!(
            (l[0].inflows[0].principal, l[0].inflows[0].interest),
            (100, 10)
        );
        assert_eq!(
            (l[0].inflows[1].principal, l[0].inflows[1].interest),
            (300, 30)
        );
        // drawn above a lowered limit: nothing available, utilisation 120 %
        assert_eq!(
            (l[1].available, l[1].utilisation.to_string()),
            (0, "1.2000".into())
        );
        assert_eq!(l[1].inflows[0].installments, 1);
        assert_eq!(l[1].inflows[1].installments, 0);
    }

    proptest! {
        /// The sources' inflows add up to the projection of the whole book, and
        /// available + drawn is the limit whenever the limit covers what is drawn.
        #[test]
        fn sources_partition_the_cash_flow(
            rows in prop::collection::vec((0usize..3, 0i32..30, 0i64..1_000_000, 0i64..100_000), 0..40),
            limits in prop::collection::vec((0i64..10_000_000, 0i64..10_000_000), 3),
        ) {
            let codes = ["A", "B", "C"];
            let sources: Vec<Source> = limits
                .iter()
                .zip(codes)
                .map(|((limit, drawn), code)| Source { code: code.into(), limit: *limit, drawn: *drawn })
                .collect();
            let today = d(2026, 12, 3);
            let expected: Vec<(String, Expected)> = rows
                .iter()
                .map(|(s, m, p, i)| {
                    let due = crate::date::add_months(d(2026, 11, 23), *m).unwrap();
                    (codes[*s].to_owned(), e(due, *p, *i))
                })
                .collect();
            let all: Vec<Expected> = expected.iter().map(|(_, e)| *e).collect();
            let whole = projection(&all, today, 12);
            let l = liquidity(&sources, &expected, today, 12);
            for (k, month) in whole.iter().enumerate() {
                let p: i64 = l.iter().map(|s| s.inflows[k].principal).sum();
                let i: i64 = l.iter().map(|s| s.inflows[k].interest).sum();
                prop_assert_eq!((p, i), (month.principal, month.interest));
            }
            for s in &l {
                if s.drawn <= s.limit {
                    prop_assert_eq!(s.available + s.drawn, s.limit);
                } else {
                    prop_assert_eq!(s.available, 0);
                }
            }
        }
    }
}
