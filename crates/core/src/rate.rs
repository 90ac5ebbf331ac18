//! Interest rates: exact decimals, never floating point.

use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

/// Most fraction digits a rate may carry (0.00000001 = one millionth of a percent).
pub const MAX_RATE_SCALE: u32 = 8;

/// A nominal annual interest rate as a fraction: `0.0435` is 4.35% a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AnnualRate(Decimal);

/// Why a rate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// Not a decimal number.
    #[error("'{0}' is not a rate: expected a decimal fraction such as 0.0435")]
    Malformed(String),
    /// Outside 0 ≤ rate < 1.
    #[error("must be at least 0 and below 1 (got {0}); write 4.35% as 0.0435")]
    OutOfRange(Decimal),
    /// More than [`MAX_RATE_SCALE`] decimals.
    #[error("has more than 8 decimals (got {0})")]
    TooPrecise(Decimal),
}

impl AnnualRate {
    /// Zero: an interest-free loan.
    pub const ZERO: AnnualRate = AnnualRate(Decimal::ZERO);

    /// Checks `0 ≤ value < 1` with at most eight decimals.
    ///
    /// # Errors
    /// [`RateError::OutOfRange`] or [`RateError::TooPrecise`].
    pub fn new(value: Decimal) -> Result<AnnualRate, RateError> {
        if value.is_sign_negative() && !value.is_zero() || value >= Decimal::ONE {
            return Err(RateError::OutOfRange(value));
        }
        if value.normalize().scale() > MAX_RATE_SCALE {
            return Err(RateError::TooPrecise(value));
        }
        Ok(AnnualRate(value.normalize()))
    }

    /// Parses `0.0435`.
    ///
    /// # Errors
    /// [`RateError::Malformed`] for text that is not a plain decimal, then as [`AnnualRate::new`].
    pub fn parse(text: &str) -> Result<AnnualRate, RateError> {
        let plain = !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
        let value: Decimal = plain
            .then(|| text.parse().ok())
            .flatten()
            .ok_or_else(|| RateError::Malformed(text.to_owned()))?;
        AnnualRate::new(value)
    }

    /// The rate as a decimal fraction.
    pub const fn as_decimal(&self) -> Decimal {
        self.0
    }
}

impl fmt::Display for AnnualRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rates_in_range() {
        assert_eq!(AnnualRate::parse("0.0435").unwrap().to_string(), "0.0435");
        assert_eq!(AnnualRate::parse("0").unwrap(), AnnualRate::ZERO);
        assert_eq!(
            AnnualRate::parse("0.99999999").unwrap().to_string(),
            "0.99999999"
        );
        assert_eq!(AnnualRate::parse("0.043500").unwrap().to_string(), "0.0435");
    }

    #[test]
    fn refuses_rates_out_of_range_or_malformed() {
        assert!(matches!(
            AnnualRate::parse("1"),
            Err(RateError::OutOfRange(_))
        ));
        assert!(matches!(
            AnnualRate::parse("-0.01"),
            Err(RateError::OutOfRange(_))
        ));
        assert!(matches!(
            AnnualRate::parse("4.35%"),
            Err(RateError::Malformed(_))
        ));
        assert!(matches!(
            AnnualRate::parse("1e-2"),
            Err(RateError::Malformed(_))
        ));
        assert!(matches!(
            AnnualRate::parse(""),
            Err(RateError::Malformed(_))
        ));
        assert!(matches!(
            AnnualRate::parse("0.123456789"),
            Err(RateError::TooPrecise(_))
        ));
    }
}
