//! Delinquency (逾期): days past due, the collection bucket, the five-tier loan
//! classification (五级分类), non-accrual and the loss provision per class.
//!
//! These are steps (4) and (5) of the daily close (DESIGN.md §5). Every function is a
//! calculation on its arguments: the close passes the business date it is closing and the
//! loan's previous state, and stores what comes back.
//!
//! ```
//! use chrono::NaiveDate;
//! use loanbook_core::delinquency::{classify, days_past_due, Bucket, FiveTier};
//!
//! let due = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
//! let close = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
//! // Feb 14 − Jan 10 = 35 days, more than the 3 grace days
//! let dpd = days_past_due(Some(due), close, 3);
//! assert_eq!(dpd, 35);
//! assert_eq!(Bucket::of(dpd), Bucket::M2);
//! assert_eq!(classify(FiveTier::Pass, dpd, 0, 3), FiveTier::SpecialMention);
//! ```

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};
use crate::rounding::Rounding;

/// Days past due above which a loan stops accruing interest into income (非应计).
pub const NON_ACCRUAL_AFTER_DAYS: u32 = 90;

/// Consecutive on-time installments needed before a class may improve by one tier
/// (the servicing default).
pub const DEFAULT_UPGRADE_AFTER: u32 = 3;

/// Days past due at the close of business date `close_of`.
///
/// `oldest_unpaid_due` is the due date of the oldest installment not yet paid in full
/// (`None` when nothing is unpaid). At the close of D an installment due on D is due, not
/// overdue. Days past due are `close_of − due` once that exceeds `grace_days`; within grace
/// the loan is on time and has no days past due (a payment within grace is not late).
///
/// Golden values, due Jan 10 with 3 grace days: close Jan 10 → 0 (due, not overdue);
/// Jan 13 → 0 (3 days, within grace); Jan 14 → 4 (4 > 3, counted from the due date).
pub fn days_past_due(
    oldest_unpaid_due: Option<NaiveDate>,
    close_of: NaiveDate,
    grace_days: u32,
) -> u32 {
    let Some(due) = oldest_unpaid_due else {
        return 0;
    };
    let days = close_of.signed_duration_since(due).num_days();
    if days <= i64::from(grace_days) {
        return 0;
    }
    // days > grace_days ≥ 0; a NaiveDate span of more than u32::MAX days saturates.
    u32::try_from(days).unwrap_or(u32::MAX)
}

/// Whether a loan with `dpd` days past due is on non-accrual (more than 90 days).
pub fn non_accrual(dpd: u32) -> bool {
    dpd > NON_ACCRUAL_AFTER_DAYS
}

/// The collection bucket of a loan by days past due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Bucket {
    /// No days past due.
    #[serde(rename = "current")]
    Current,
    /// 1–30 days past due.
    M1,
    /// 31–60 days past due.
    M2,
    /// 61–90 days past due.
    M3,
    /// More than 90 days past due.
    #[serde(rename = "M4+")]
    M4Plus,
}

impl Bucket {
    /// All buckets, from the best to the worst.
    pub const ALL: [Bucket; 5] = [
        Bucket::Current,
        Bucket::M1,
        Bucket::M2,
        Bucket::M3,
        Bucket::M4Plus,
    ];

    /// The bucket for `dpd` days past due.
    pub fn of(dpd: u32) -> Bucket {
        match dpd {
            0 => Bucket::Current,
            1..=30 => Bucket::M1,
            31..=60 => Bucket::M2,
            61..=90 => Bucket::M3,
            _ => Bucket::M4Plus,
        }
    }

    /// The code used in reports and JSON: `current`, `M1`, `M2`, `M3`, `M4+`.
    pub const fn code(self) -> &'static str {
        match self {
            Bucket::Current => "current",
            Bucket::M1 => "M1",
            Bucket::M2 => "M2",
            Bucket::M3 => "M3",
            Bucket::M4Plus => "M4+",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Bucket> {
        Bucket::ALL.into_iter().find(|b| b.code() == code)
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// The five-tier loan classification (五级分类). Ordered from the best to the worst, so
/// `a < b` means `a` is the better class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiveTier {
    /// 正常: no days past due.
    Pass,
    /// 关注: 1–90 days past due.
    SpecialMention,
    /// 次级: 91–180 days past due.
    Substandard,
    /// 可疑: 181–360 days past due.
    Doubtful,
    /// 损失: more than 360 days past due.
    Loss,
}

impl FiveTier {
    /// All classes, from the best to the worst.
    pub const ALL: [FiveTier; 5] = [
        FiveTier::Pass,
        FiveTier::SpecialMention,
        FiveTier::Substandard,
        FiveTier::Doubtful,
        FiveTier::Loss,
    ];

    /// The class that `dpd` days past due alone would give.
    pub fn by_dpd(dpd: u32) -> FiveTier {
        match dpd {
            0 => FiveTier::Pass,
            1..=90 => FiveTier::SpecialMention,
            91..=180 => FiveTier::Substandard,
            181..=360 => FiveTier::Doubtful,
            _ => FiveTier::Loss,
        }
    }

    /// The code used in configuration and JSON: `pass`, `special_mention`, `substandard`,
    /// `doubtful`, `loss`.
    pub const fn code(self) -> &'static str {
        match self {
            FiveTier::Pass => "pass",
            FiveTier::SpecialMention => "special_mention",
            FiveTier::Substandard => "substandard",
            FiveTier::Doubtful => "doubtful",
            FiveTier::Loss => "loss",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<FiveTier> {
        FiveTier::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The Chinese name: 正常, 关注, 次级, 可疑, 损失.
    pub const fn name_zh(self) -> &'static str {
        match self {
            FiveTier::Pass => "正常",
            FiveTier::SpecialMention => "关注",
            FiveTier::Substandard => "次级",
            FiveTier::Doubtful => "可疑",
            FiveTier::Loss => "损失",
        }
    }

    /// The class one tier better (`Pass` stays `Pass`).
    pub const fn one_better(self) -> FiveTier {
        match self {
            FiveTier::Pass | FiveTier::SpecialMention => FiveTier::Pass,
            FiveTier::Substandard => FiveTier::SpecialMention,
            FiveTier::Doubtful => FiveTier::Substandard,
            FiveTier::Loss => FiveTier::Doubtful,
        }
    }
}

impl fmt::Display for FiveTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// The class at this close, from the class at the previous close.
///
/// A downgrade (days past due give a worse class than `previous`) takes effect at once.
/// An upgrade needs sustained performance: only once `on_time_installments_since_worst`
/// reaches `upgrade_after` (default [`DEFAULT_UPGRADE_AFTER`]), and then by one tier per
/// call, never past what the days past due give. Manual overrides are not handled here.
pub fn classify(
    previous: FiveTier,
    dpd: u32,
    on_time_installments_since_worst: u32,
    upgrade_after: u32,
) -> FiveTier {
    let by_dpd = FiveTier::by_dpd(dpd);
    if by_dpd >= previous {
        return by_dpd;
    }
    if on_time_installments_since_worst < upgrade_after {
        return previous;
    }
    // by_dpd < previous, so one tier better is still no better than by_dpd.
    previous.one_better()
}

/// A provision rate that is not a share between 0 and 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("provision rate for '{class}' is {rate}: it must be between 0 and 1")]
pub struct ProvisionRateOutOfRange {
    /// The class whose rate is out of range.
    pub class: FiveTier,
    /// The rate given.
    pub rate: Decimal,
}

/// The share of the outstanding balance provisioned (拨备) for each class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProvisionRates {
    /// 正常, default 1%.
    pub pass: Decimal,
    /// 关注, default 2%.
    pub special_mention: Decimal,
    /// 次级, default 25%.
    pub substandard: Decimal,
    /// 可疑, default 50%.
    pub doubtful: Decimal,
    /// 损失, default 100%.
    pub loss: Decimal,
}

impl Default for ProvisionRates {
    fn default() -> Self {
        ProvisionRates {
            pass: Decimal::new(1, 2),
            special_mention: Decimal::new(2, 2),
            substandard: Decimal::new(25, 2),
            doubtful: Decimal::new(50, 2),
            loss: Decimal::ONE,
        }
    }
}

impl ProvisionRates {
    /// The rate for `class`.
    pub fn rate(&self, class: FiveTier) -> Decimal {
        match class {
            FiveTier::Pass => self.pass,
            FiveTier::SpecialMention => self.special_mention,
            FiveTier::Substandard => self.substandard,
            FiveTier::Doubtful => self.doubtful,
            FiveTier::Loss => self.loss,
        }
    }

    /// Checks every rate is between 0 and 1 inclusive (for rates read from configuration).
    ///
    /// # Errors
    /// [`ProvisionRateOutOfRange`] naming the first class whose rate is below 0 or above 1.
    pub fn check(&self) -> Result<(), ProvisionRateOutOfRange> {
        for class in FiveTier::ALL {
            let rate = self.rate(class);
            if rate < Decimal::ZERO || rate > Decimal::ONE {
                return Err(ProvisionRateOutOfRange { class, rate });
            }
        }
        Ok(())
    }
}

/// The provision for `outstanding` in `class`: outstanding × rate, rounded to the minor
/// unit by `rounding`. With rates between 0 and 1 (see [`ProvisionRates::check`]) the
/// provision is never more than the outstanding balance.
///
/// # Errors
/// [`MoneyError::Overflow`] when the product is out of range.
pub fn provision(
    outstanding: Money,
    class: FiveTier,
    rates: &ProvisionRates,
    rounding: Rounding,
) -> Result<Money, MoneyError> {
    outstanding.mul_decimal(rates.rate(class), rounding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Currency, MAX_AMOUNT_MINOR};
    use crate::test_support::{cny, dec};
    use proptest::prelude::*;

    fn jan(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, day).unwrap()
    }

    #[test]
    fn nothing_unpaid_is_never_past_due() {
        assert_eq!(days_past_due(None, jan(31), 0), 0);
        assert_eq!(days_past_due(None, jan(31), 3), 0);
    }

    #[test]
    fn due_on_the_close_date_is_due_not_overdue() {
        assert_eq!(days_past_due(Some(jan(10)), jan(10), 0), 0);
        // Jan 11 − Jan 10 = 1 > 0 grace days
        assert_eq!(days_past_due(Some(jan(10)), jan(11), 0), 1);
        // a due date after the close (not yet due) is not past due
        assert_eq!(days_past_due(Some(jan(20)), jan(10), 0), 0);
    }

    #[test]
    fn grace_days_then_counted_from_the_due_date() {
        // Jan 13 − Jan 10 = 3, not more than 3 grace days → on time
        assert_eq!(days_past_due(Some(jan(10)), jan(13), 3), 0);
        // Jan 14 − Jan 10 = 4 > 3 → 4 days past due (from the due date, not from grace end)
        assert_eq!(days_past_due(Some(jan(10)), jan(14), 3), 4);
        // Mar 1 − Jan 10 = 21 + 28 + 1 = 50
        let mar1 = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(days_past_due(Some(jan(10)), mar1, 3), 50);
    }

    #[test]
    fn bucket_boundaries() {
        let cases = [
            (0, Bucket::Current),
            (1, Bucket::M1),
            (30, Bucket::M1),
            (31, Bucket::M2),
            (60, Bucket::M2),
            (61, Bucket::M3),
            (90, Bucket::M3),
            (91, Bucket::M4Plus),
            (180, Bucket::M4Plus),
            (181, Bucket::M4Plus),
            (360, Bucket::M4Plus),
            (361, Bucket::M4Plus),
            (u32::MAX, Bucket::M4Plus),
        ];
        for (dpd, bucket) in cases {
            assert_eq!(Bucket::of(dpd), bucket, "dpd {dpd}");
        }
    }

    #[test]
    fn bucket_codes_round_trip() {
        let codes: Vec<_> = Bucket::ALL.iter().map(|b| b.code()).collect();
        assert_eq!(codes, ["current", "M1", "M2", "M3", "M4+"]);
        for bucket in Bucket::ALL {
            assert_eq!(Bucket::parse(bucket.code()), Some(bucket));
            assert_eq!(
                serde_json::to_string(&bucket).unwrap(),
                format!("\"{}\"", bucket.code())
            );
        }
        assert_eq!(Bucket::parse("M5"), None);
    }

    #[test]
    fn five_tier_boundaries() {
        let cases = [
            (0, FiveTier::Pass),
            (1, FiveTier::SpecialMention),
            (30, FiveTier::SpecialMention),
            (31, FiveTier::SpecialMention),
            (60, FiveTier::SpecialMention),
            (61, FiveTier::SpecialMention),
            (90, FiveTier::SpecialMention),
            (91, FiveTier::Substandard),
            (180, FiveTier::Substandard),
            (181, FiveTier::Doubtful),
            (360, FiveTier::Doubtful),
            (361, FiveTier::Loss),
            (u32::MAX, FiveTier::Loss),
        ];
        for (dpd, class) in cases {
            assert_eq!(FiveTier::by_dpd(dpd), class, "dpd {dpd}");
        }
    }

    #[test]
    fn five_tier_codes_round_trip() {
        let codes: Vec<_> = FiveTier::ALL.iter().map(|t| t.code()).collect();
        assert_eq!(
            codes,
            ["pass", "special_mention", "substandard", "doubtful", "loss"]
        );
        for class in FiveTier::ALL {
            assert_eq!(FiveTier::parse(class.code()), Some(class));
            assert_eq!(
                serde_json::to_string(&class).unwrap(),
                format!("\"{}\"", class.code())
            );
        }
        assert_eq!(FiveTier::Doubtful.name_zh(), "可疑");
    }

    #[test]
    fn non_accrual_after_ninety_days() {
        assert!(!non_accrual(0));
        assert!(!non_accrual(90));
        assert!(non_accrual(91));
    }

    #[test]
    fn downgrades_at_once() {
        assert_eq!(classify(FiveTier::Pass, 1, 10, 3), FiveTier::SpecialMention);
        assert_eq!(classify(FiveTier::Pass, 361, 0, 3), FiveTier::Loss);
        assert_eq!(
            classify(FiveTier::SpecialMention, 91, 5, 3),
            FiveTier::Substandard
        );
        // same class stays
        assert_eq!(classify(FiveTier::Doubtful, 200, 0, 3), FiveTier::Doubtful);
    }

    #[test]
    fn upgrades_need_sustained_performance_and_go_one_tier_at_a_time() {
        // cured (0 dpd) but only 2 on-time installments of 3 → stays doubtful
        assert_eq!(classify(FiveTier::Doubtful, 0, 2, 3), FiveTier::Doubtful);
        // 3 on-time installments → one tier better, not straight to pass
        assert_eq!(classify(FiveTier::Doubtful, 0, 3, 3), FiveTier::Substandard);
        assert_eq!(
            classify(FiveTier::Substandard, 0, 4, 3),
            FiveTier::SpecialMention
        );
        assert_eq!(classify(FiveTier::SpecialMention, 0, 5, 3), FiveTier::Pass);
        // never better than the days past due give: loss at 200 dpd → doubtful, and stays
        assert_eq!(classify(FiveTier::Loss, 200, 3, 3), FiveTier::Doubtful);
        assert_eq!(classify(FiveTier::Doubtful, 200, 9, 3), FiveTier::Doubtful);
        // upgrade_after 0 upgrades at the first chance, still one tier
        assert_eq!(classify(FiveTier::Loss, 0, 0, 0), FiveTier::Doubtful);
    }

    #[test]
    fn default_provision_rates() {
        // 100000.00 × 1% = 1000.00; × 2% = 2000.00; × 25% = 25000.00; × 50%; × 100%
        let rates = ProvisionRates::default();
        let outstanding = cny("100000");
        let expected = ["1000.00", "2000.00", "25000.00", "50000.00", "100000.00"];
        for (class, want) in FiveTier::ALL.into_iter().zip(expected) {
            let got = provision(outstanding, class, &rates, Rounding::HalfUp).unwrap();
            assert_eq!(got.to_string(), want, "{class}");
        }
        assert_eq!(rates.check(), Ok(()));
    }

    #[test]
    fn provision_rounds_by_the_named_mode() {
        let rates = ProvisionRates::default();
        // 12.50 × 1% = 0.125 → 0.13 half-up, 0.12 half-even
        let outstanding = cny("12.50");
        let up = provision(outstanding, FiveTier::Pass, &rates, Rounding::HalfUp).unwrap();
        let even = provision(outstanding, FiveTier::Pass, &rates, Rounding::HalfEven).unwrap();
        assert_eq!(up.to_string(), "0.13");
        assert_eq!(even.to_string(), "0.12");
    }

    #[test]
    fn provision_rates_out_of_range_are_named() {
        let rates = ProvisionRates {
            doubtful: dec("1.5"),
            ..ProvisionRates::default()
        };
        let err = rates.check().unwrap_err();
        assert_eq!(err.class, FiveTier::Doubtful);
        assert_eq!(
            err.to_string(),
            "provision rate for 'doubtful' is 1.5: it must be between 0 and 1"
        );
        let negative = ProvisionRates {
            pass: dec("-0.01"),
            ..ProvisionRates::default()
        };
        assert_eq!(negative.check().unwrap_err().class, FiveTier::Pass);
    }

    fn any_class() -> impl Strategy<Value = FiveTier> {
        (0..5usize).prop_map(|i| FiveTier::ALL[i])
    }

    proptest! {
        #[test]
        fn bucket_and_class_are_monotone_in_dpd(a in any::<u32>(), b in any::<u32>()) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(Bucket::of(lo) <= Bucket::of(hi));
            prop_assert!(FiveTier::by_dpd(lo) <= FiveTier::by_dpd(hi));
            prop_assert!(!non_accrual(lo) || non_accrual(hi));
        }

        #[test]
        fn classify_never_upgrades_by_more_than_one_tier(
            previous in any_class(),
            dpd in 0u32..500,
            on_time in 0u32..10,
            upgrade_after in 0u32..5,
        ) {
            let next = classify(previous, dpd, on_time, upgrade_after);
            let rank = |t: FiveTier| t as i32;
            prop_assert!(rank(previous) - rank(next) <= 1);
            // never better than the days past due give
            prop_assert!(next >= FiveTier::by_dpd(dpd));
            // a downgrade goes exactly to by_dpd
            if next > previous {
                prop_assert_eq!(next, FiveTier::by_dpd(dpd));
            }
            // no upgrade without sustained performance
            if on_time < upgrade_after {
                prop_assert!(next >= previous);
            }
        }

        #[test]
        fn provision_is_at_most_the_outstanding(
            minor in 0..=MAX_AMOUNT_MINOR,
            class in any_class(),
            half_even in any::<bool>(),
        ) {
            let rounding = if half_even { Rounding::HalfEven } else { Rounding::HalfUp };
            let outstanding = Money::from_minor(minor, Currency::CNY);
            let p = provision(outstanding, class, &ProvisionRates::default(), rounding).unwrap();
            prop_assert!(!p.is_negative());
            prop_assert!(p.amount_minor() <= outstanding.amount_minor());
        }
    }
}
