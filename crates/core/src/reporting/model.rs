//! Model performance (模型表现): how the loans made from the applications a scorecard
//! scored turned out, by score band — loans, bads and the bad rate per band and overall.
//!
//! - A loan is *bad* when it was ever [`BAD_DPD`] or more days past due: the worst DPD
//!   kept at a month end, or its DPD now, whichever is greater.
//! - Only *seasoned* loans count: [`SEASONING_MONTHS`] whole months on book at the date
//!   of the report; younger loans have not had the time to go bad and are only counted.
//! - Bands are given by their lowest scores (`floors`, ascending): the first band holds
//!   every score below the first floor, band *k* the scores from floor *k − 1* up to floor
//!   *k* (excluded) — the training score deciles, or [`fixed_width_floors`].

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::ratio;
use crate::date::add_months;

/// Days past due that make a loan bad.
pub const BAD_DPD: i64 = 30;

/// Whole months on book before a loan counts.
pub const SEASONING_MONTHS: u32 = 3;

/// Points per band when the model keeps no training deciles.
pub const FIXED_BAND_WIDTH: i64 = 50;

/// The most bands of a fixed-width table.
pub const MAX_BANDS: usize = 40;

/// A loan made from an application the model scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScoredLoan {
    /// The score the model gave the application (its last, if several).
    pub score: i64,
    /// The loan's start date.
    pub start_date: NaiveDate,
    /// The worst days past due kept at a month end, if it lived through one.
    pub worst_month_end_dpd: Option<i64>,
    /// Its days past due now.
    pub dpd_now: i64,
}

impl ScoredLoan {
    /// Whether it was ever [`BAD_DPD`] or more days past due.
    pub fn is_bad(&self) -> bool {
        self.worst_month_end_dpd.unwrap_or(0).max(self.dpd_now) >= BAD_DPD
    }

    /// Whether it has been on book [`SEASONING_MONTHS`] whole months at `as_of`.
    pub fn is_seasoned(&self, as_of: NaiveDate) -> bool {
        add_months(self.start_date, SEASONING_MONTHS as i32).is_some_and(|d| d <= as_of)
    }
}

/// One score band.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Band {
    /// Lowest score of the band; `None` for the first (open below).
    pub min_score: Option<i64>,
    /// Highest score of the band; `None` for the last (open above).
    pub max_score: Option<i64>,
    /// Seasoned loans scored in the band.
    pub loans: i64,
    /// Of them, bad.
    pub bad: i64,
    /// Bad ÷ loans.
    pub bad_rate: Decimal,
}

/// The model's performance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Performance {
    /// The bands, lowest scores first.
    pub bands: Vec<Band>,
    /// Seasoned loans.
    pub loans: i64,
    /// Of them, bad.
    pub bad: i64,
    /// Bad ÷ loans.
    pub bad_rate: Decimal,
    /// Loans left out for being on book less than [`SEASONING_MONTHS`].
    pub too_recent: i64,
}

/// Floors every [`FIXED_BAND_WIDTH`] points over the range of `scores` (multiples of the
/// width, at most [`MAX_BANDS`] bands).
pub fn fixed_width_floors(scores: &[i64]) -> Vec<i64> {
    let (Some(min), Some(max)) = (scores.iter().min(), scores.iter().max()) else {
        return Vec::new();
    };
    let first = min
        .div_euclid(FIXED_BAND_WIDTH)
        .saturating_add(1)
        .saturating_mul(FIXED_BAND_WIDTH);
    (0..MAX_BANDS as i64 - 1)
        .map_while(|k| {
            let floor = first.checked_add(k.checked_mul(FIXED_BAND_WIDTH)?)?;
            (floor <= *max).then_some(floor)
        })
        .collect()
}

/// The performance at `as_of` of `loans`, in the bands of `floors` (sorted and
/// de-duplicated here).
pub fn performance(floors: &[i64], loans: &[ScoredLoan], as_of: NaiveDate) -> Performance {
    let mut floors = floors.to_vec();
    floors.sort_unstable();
    floors.dedup();
    let mut counts = vec![(0i64, 0i64); floors.len() + 1];
    let mut too_recent = 0;
    for loan in loans {
        if !loan.is_seasoned(as_of) {
            too_recent += 1;
            continue;
        }
        let band = &mut counts[floors.partition_point(|f| *f <= loan.score)];
        band.0 += 1;
        band.1 += i64::from(loan.is_bad());
    }
    let bands = counts
        .iter()
        .enumerate()
        .map(|(k, (n, bad))| Band {
            min_score: k.checked_sub(1).map(|i| floors[i]),
            max_score: floors.get(k).map(|f| f.saturating_sub(1)),
            loans: *n,
            bad: *bad,
            bad_rate: ratio(*bad, *n),
        })
        .collect();
    let (n, bad) = counts
        .iter()
        .fold((0, 0), |(n, b), (bn, bb)| (n + bn, b + bb));
    Performance {
        bands,
        loans: n,
        bad,
        bad_rate: ratio(bad, n),
        too_recent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn loan(score: i64, start: NaiveDate, month_end: Option<i64>, now: i64) -> ScoredLoan {
        ScoredLoan {
            score,
            start_date: start,
            worst_month_end_dpd: month_end,
            dpd_now: now,
        }
    }

    #[test]
    fn bad_is_the_worst_dpd_seen_and_seasoning_is_three_whole_months() {
        let start = d(2026, 11, 23);
        assert!(loan(500, start, Some(39), 0).is_bad());
        // 31 days late now, never 30 at a month end
        assert!(loan(500, start, Some(8), 31).is_bad());
        assert!(!loan(500, start, Some(29), 29).is_bad());
        assert!(!loan(500, start, None, 0).is_bad());
        assert!(!loan(500, start, None, 0).is_seasoned(d(2027, 2, 22)));
        assert!(loan(500, start, None, 0).is_seasoned(d(2027, 2, 23)));
        // Nov 30 + 3 months is Feb 28
        assert!(loan(500, d(2026, 11, 30), None, 0).is_seasoned(d(2027, 2, 28)));
    }

    #[test]
    fn a_crafted_table_of_bands() {
        let old = d(2026, 1, 10);
        let loans = [
            loan(450, old, Some(60), 90),        // below 467: bad
            loan(466, old, Some(0), 0),          // below 467: good
            loan(467, old, Some(31), 0),         // 467–483: bad
            loan(600, old, Some(0), 0),          // 580 and up
            loan(700, old, None, 45),            // 580 and up: bad now
            loan(700, d(2026, 11, 1), None, 45), // too recent
        ];
        let p = performance(&[484, 467, 580], &loans, d(2026, 12, 31));
        assert_eq!(p.bands.len(), 4);
        assert_eq!(
            (p.bands[0].min_score, p.bands[0].max_score),
            (None, Some(466))
        );
        assert_eq!(
            (p.bands[1].min_score, p.bands[1].max_score),
            (Some(467), Some(483))
        );
        assert_eq!(
            (p.bands[3].min_score, p.bands[3].max_score),
            (Some(580), None)
        );
        assert_eq!((p.bands[0].loans, p.bands[0].bad), (2, 1));
        assert_eq!(p.bands[0].bad_rate.to_string(), "0.5000");
        assert_eq!(p.bands[1].bad_rate.to_string(), "1.0000");
        assert_eq!(
            (p.bands[2].loans, p.bands[2].bad_rate.to_string()),
            (0, "0.0000".into())
        );
        assert_eq!((p.bands[3].loans, p.bands[3].bad), (2, 1));
        // 3 bad of 5 seasoned; one left out
        assert_eq!((p.loans, p.bad, p.too_recent), (5, 3, 1));
        assert_eq!(p.bad_rate.to_string(), "0.6000");
    }

    #[test]
    fn fixed_width_bands_cover_the_scores() {
        assert_eq!(fixed_width_floors(&[512, 498, 640]), [500, 550, 600]);
        assert_eq!(fixed_width_floors(&[500]), Vec::<i64>::new());
        assert!(fixed_width_floors(&[]).is_empty());
        assert_eq!(fixed_width_floors(&[0, 1_000_000]).len(), MAX_BANDS - 1);
        let p = performance(&[], &[], d(2026, 1, 1));
        assert_eq!(
            (p.bands.len(), p.bad_rate.to_string()),
            (1, "0.0000".into())
        );
    }

    proptest! {
        /// Every seasoned loan lands in the one band whose range holds its score; the
        /// bands add up to the whole and bad never exceeds loans.
        #[test]
        fn bands_partition_the_seasoned_loans(
            floors in prop::collection::vec(300i64..900, 0..12),
            loans in prop::collection::vec((200i64..1000, 0u32..12, prop::option::of(0i64..120), 0i64..120), 0..60),
        ) {
            let as_of = d(2026, 12, 31);
            let loans: Vec<ScoredLoan> = loans
                .into_iter()
                .map(|(s, age, m, now)| {
                    loan(s, add_months(as_of, -(age as i32)).unwrap(), m, now)
                })
                .collect();
            let p = performance(&floors, &loans, as_of);
            let seasoned: Vec<&ScoredLoan> = loans.iter().filter(|l| l.is_seasoned(as_of)).collect();
            prop_assert_eq!(p.loans, seasoned.len() as i64);
            prop_assert_eq!(p.too_recent, (loans.len() - seasoned.len()) as i64);
            prop_assert_eq!(p.bands.iter().map(|b| b.loans).sum::<i64>(), p.loans);
            prop_assert_eq!(p.bands.iter().map(|b| b.bad).sum::<i64>(), p.bad);
            for b in &p.bands {
                prop_assert!(b.bad <= b.loans && b.bad_rate <= Decimal::ONE);
                let inside = seasoned
                    .iter()
                    .filter(|l| b.min_score.is_none_or(|m| l.score >= m))
                    .filter(|l| b.max_score.is_none_or(|m| l.score <= m))
                    .count() as i64;
                prop_assert_eq!(inside, b.loans);
            }
            let fixed = fixed_width_floors(&loans.iter().map(|l| l.score).collect::<Vec<_>>());
            prop_assert!(fixed.windows(2).all(|w| w[1] - w[0] == FIXED_BAND_WIDTH));
        }
    }
}
