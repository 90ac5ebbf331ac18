//! Daily accrual: contractual interest as an even spread of the period's scheduled
//! interest, and penalty / compound interest per closed day at annual × multiplier / 360.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::account::MICRO_PER_MINOR;
use crate::rounding::Rounding;

/// Contractual interest of a period accrued by the close of `date`, rounded cumulative:
/// `period_interest × days / period_days` where days = `date − period_start` (0 at the close
/// of the period's first day, the whole interest at the close of the due date), rounded to
/// the minor unit by `rounding`.
///
/// Golden: 362.50 over Jan 31 → Feb 28 (28 days); close of Feb 10: 36250 × 10 / 28 =
/// 12946.43 → 12946 minor units.
pub fn period_accrued_to(
    period_interest: i64,
    period_start: NaiveDate,
    due: NaiveDate,
    date: NaiveDate,
    rounding: Rounding,
) -> i64 {
    let period_days = (due - period_start).num_days();
    if period_days <= 0 || date >= due {
        return period_interest;
    }
    let days = (date - period_start).num_days().max(0);
    // i128: interest up to 10^15 minor × days up to 10^5 fits easily.
    let numerator = i128::from(period_interest) * i128::from(days);
    let denominator = i128::from(period_days);
    round_ratio(numerator, denominator, rounding)
}

/// `numerator / denominator` rounded to an integer (denominator > 0).
fn round_ratio(numerator: i128, denominator: i128, rounding: Rounding) -> i64 {
    let quotient = numerator.div_euclid(denominator);
    let remainder = numerator.rem_euclid(denominator);
    let twice = remainder * 2;
    let up = match twice.cmp(&denominator) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => match rounding {
            // halves away from zero: for a negative quotient the half rounds toward it
            Rounding::HalfUp => quotient >= 0,
            Rounding::HalfEven => quotient % 2 != 0,
        },
    };
    // The ratios here are balances × days / days: far inside i64.
    i64::try_from(quotient + i128::from(up)).unwrap_or(i64::MAX)
}

/// Rounds an exact amount in millionths of a minor unit to minor units.
pub fn micro_to_minor(micro: i64, rounding: Rounding) -> i64 {
    round_ratio(i128::from(micro), i128::from(MICRO_PER_MINOR), rounding)
}

/// The daily rate of penalty (and compound) interest: annual × multiplier / 360
/// (ACT/360, the Chinese bank convention).
pub fn penalty_daily_rate(annual_rate: Decimal, multiplier: Decimal) -> Decimal {
    annual_rate * multiplier / Decimal::from(360)
}

/// Interest on `base_minor` at `daily_rate` for `days` days, exact to a millionth of a
/// minor unit (rounded half-up at that precision).
///
/// Golden: 8,168.49 overdue at 4.35% × 1.5 / 360 for 1 day = 816849 × 0.000181250 =
/// 148.053881 minor units → 148053881 micro.
pub fn daily_interest_micro(base_minor: i64, daily_rate: Decimal, days: i64) -> i64 {
    if base_minor <= 0 || days <= 0 {
        return 0;
    }
    let exact = Decimal::from(base_minor)
        * daily_rate
        * Decimal::from(days)
        * Decimal::from(MICRO_PER_MINOR);
    exact
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::dec;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_period_interest_is_spread_evenly_and_complete_on_the_due_date() {
        let (start, due) = (d(2026, 1, 31), d(2026, 2, 28));
        assert_eq!(
            period_accrued_to(36250, start, due, start, Rounding::HalfUp),
            0
        );
        // 36250 × 10 / 28 = 12946.43
        assert_eq!(
            period_accrued_to(36250, start, due, d(2026, 2, 10), Rounding::HalfUp),
            12946
        );
        // 36250 × 14 / 28 = 18125 exactly
        assert_eq!(
            period_accrued_to(36250, start, due, d(2026, 2, 14), Rounding::HalfUp),
            18125
        );
        assert_eq!(
            period_accrued_to(36250, start, due, due, Rounding::HalfUp),
            36250
        );
        assert_eq!(
            period_accrued_to(36250, start, due, d(2026, 3, 5), Rounding::HalfUp),
            36250
        );
    }

    #[test]
    fn halves_follow_the_rounding_mode() {
        // 5 × 1 / 2 = 2.5
        let (s, e) = (d(2026, 1, 1), d(2026, 1, 3));
        assert_eq!(
            period_accrued_to(5, s, e, d(2026, 1, 2), Rounding::HalfUp),
            3
        );
        assert_eq!(
            period_accrued_to(5, s, e, d(2026, 1, 2), Rounding::HalfEven),
            2
        );
        assert_eq!(micro_to_minor(2_500_000, Rounding::HalfEven), 2);
        assert_eq!(micro_to_minor(3_500_000, Rounding::HalfEven), 4);
        assert_eq!(micro_to_minor(1_499_999, Rounding::HalfUp), 1);
        assert_eq!(micro_to_minor(1_500_000, Rounding::HalfUp), 2);
    }

    #[test]
    fn penalty_interest_per_day_is_exact_to_a_millionth() {
        let rate = penalty_daily_rate(dec("0.0435"), dec("1.5"));
        assert_eq!(rate, dec("0.00018125"));
        // 816849 × 0.00018125 = 148.05388125 → 148053881 micro (half-up)
        assert_eq!(daily_interest_micro(816_849, rate, 1), 148_053_881);
        assert_eq!(daily_interest_micro(816_849, rate, 0), 0);
        assert_eq!(daily_interest_micro(0, rate, 5), 0);
    }

    proptest! {
        #[test]
        fn daily_increments_never_go_backwards_and_sum_to_the_period(
            interest in 0i64..10_000_000_000, days in 1i64..400
        ) {
            let start = d(2026, 1, 1);
            let due = start + chrono::Duration::days(days);
            let mut total = 0;
            let mut previous = 0;
            for k in 0..=days {
                let cumulative = period_accrued_to(interest, start, due, start + chrono::Duration::days(k), Rounding::HalfUp);
                prop_assert!(cumulative >= previous);
                total += cumulative - previous;
                previous = cumulative;
            }
            prop_assert_eq!(total, interest);
        }

        #[test]
        fn micro_rounding_is_within_half_a_minor_unit(micro in 0i64..1_000_000_000_000_000) {
            let minor = micro_to_minor(micro, Rounding::HalfUp);
            prop_assert!((i128::from(minor) * 1_000_000 - i128::from(micro)).abs() <= 500_000);
        }
    }
}
