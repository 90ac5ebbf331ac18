//! The figures of the reports (报表): portfolio quality (PAR, NPL ratio, five-tier
//! distribution, provision coverage), roll rates between buckets, vintage curves, the
//! cash-flow projection, officer and model performance and funding-source liquidity —
//! pure calculations on rows the store reads, so each figure can be checked against a
//! direct calculation on a crafted portfolio.
//!
//! Ratios are `Decimal` fractions rounded half up to 4 places (`0.0325` is 3.25 %); a
//! ratio over an empty base is zero.

pub mod cashflow;
pub mod collections;
pub mod funnel;
pub mod liquidity;
pub mod model;
pub mod officers;
pub mod portfolio;
pub mod roll_rate;
pub mod vintage;

use rust_decimal::Decimal;

use crate::rounding::Rounding;

/// Places of every ratio.
pub const RATIO_PLACES: u32 = 4;

/// `part ÷ whole`, half up to [`RATIO_PLACES`]; zero when `whole` is zero.
pub fn ratio(part: i64, whole: i64) -> Decimal {
    if whole == 0 {
        return Decimal::new(0, RATIO_PLACES);
    }
    let mut r = Rounding::HalfUp.round(Decimal::from(part) / Decimal::from(whole), RATIO_PLACES);
    r.rescale(RATIO_PLACES);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_round_half_up_and_an_empty_base_is_zero() {
        assert_eq!(ratio(1, 3).to_string(), "0.3333");
        assert_eq!(ratio(2, 3).to_string(), "0.6667");
        assert_eq!(ratio(1, 8).to_string(), "0.1250");
        assert_eq!(ratio(5, 0), Decimal::ZERO);
    }
}
