//! Rounding modes. Every rounding in loanbook names its mode and its scale.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// How a value that falls between two representable amounts is rounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 四舍五入: halves round away from zero (0.125 → 0.13, −0.125 → −0.13). The default.
    #[default]
    HalfUp,
    /// Banker's rounding: halves round to the even neighbour (0.125 → 0.12, 0.135 → 0.14).
    HalfEven,
}

impl Rounding {
    /// The name used in configuration and JSON: `half_up` or `half_even`.
    pub const fn code(self) -> &'static str {
        match self {
            Rounding::HalfUp => "half_up",
            Rounding::HalfEven => "half_even",
        }
    }

    /// Rounds `value` to `scale` fraction digits by this mode.
    pub fn round(self, value: Decimal, scale: u32) -> Decimal {
        let strategy = match self {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
        };
        value.round_dp_with_strategy(scale, strategy)
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A rounding mode name that is neither `half-up` nor `half-even`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rounding mode '{0}': expected half-up or half-even")]
pub struct UnknownRounding(pub String);

impl FromStr for Rounding {
    type Err = UnknownRounding;

    /// Accepts `half-up` / `half_up` and `half-even` / `half_even`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.replace('-', "_").as_str() {
            "half_up" => Ok(Rounding::HalfUp),
            "half_even" => Ok(Rounding::HalfEven),
            _ => Err(UnknownRounding(s.to_owned())),
        }
    }
}

/// Rounds `amount_minor` up to the next multiple of `multiple_minor` (a positive amount).
///
/// Used for installments that must be a round figure (月供取整): 8530.99 with a multiple
/// of 10.00 becomes 8540.00. Returns `None` on overflow or a non-positive multiple.
pub fn ceil_to_multiple(amount_minor: i64, multiple_minor: i64) -> Option<i64> {
    if multiple_minor <= 0 {
        return None;
    }
    let remainder = amount_minor.rem_euclid(multiple_minor);
    if remainder == 0 {
        Some(amount_minor)
    } else {
        amount_minor.checked_add(multiple_minor - remainder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn half_up_rounds_halves_away_from_zero() {
        assert_eq!(Rounding::HalfUp.round(d("0.125"), 2), d("0.13"));
        assert_eq!(Rounding::HalfUp.round(d("0.135"), 2), d("0.14"));
        assert_eq!(Rounding::HalfUp.round(d("-0.125"), 2), d("-0.13"));
        assert_eq!(Rounding::HalfUp.round(d("0.1249999"), 2), d("0.12"));
    }

    #[test]
    fn half_even_rounds_halves_to_even() {
        assert_eq!(Rounding::HalfEven.round(d("0.125"), 2), d("0.12"));
        assert_eq!(Rounding::HalfEven.round(d("0.135"), 2), d("0.14"));
        assert_eq!(Rounding::HalfEven.round(d("0.1251"), 2), d("0.13"));
    }

    #[test]
    fn parses_both_spellings() {
        assert_eq!("half-up".parse::<Rounding>(), Ok(Rounding::HalfUp));
        assert_eq!("half_even".parse::<Rounding>(), Ok(Rounding::HalfEven));
        assert!("up".parse::<Rounding>().is_err());
    }

    #[test]
    fn ceil_to_multiple_rounds_up_only_when_needed() {
        // 8530.99 to a multiple of 10.00 → 8540.00
        assert_eq!(ceil_to_multiple(853_099, 1_000), Some(854_000));
        assert_eq!(ceil_to_multiple(854_000, 1_000), Some(854_000));
        assert_eq!(ceil_to_multiple(1, 0), None);
        assert_eq!(ceil_to_multiple(i64::MAX, 1_000), None);
    }
}
