//! The legal cap on the cost of credit: by how much a loan's APR exceeds a configured
//! ceiling such as 24% or 36% a year.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// APRs are compared at the precision they are reported at: six decimals (0.0001%).
pub const APR_SCALE: u32 = 6;

/// A ceiling on the APR, e.g. `0.24`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LegalCap {
    cap: Decimal,
}

/// The result of checking an APR against a cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CapCheck {
    /// The cap.
    pub cap: Decimal,
    /// The APR, rounded half-up to six decimals.
    pub apr: Decimal,
    /// `apr − cap` when positive, else zero.
    pub excess: Decimal,
}

impl CapCheck {
    /// True when the APR is above the cap.
    pub fn exceeds(&self) -> bool {
        self.excess > Decimal::ZERO
    }
}

/// A cap that is not above 0 and below 10 (1000%).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the legal cap must be above 0 and below 10 (got {0}); write 24% as 0.24")]
pub struct InvalidCap(pub Decimal);

impl LegalCap {
    /// A cap of `cap` a year.
    ///
    /// # Errors
    /// [`InvalidCap`] unless 0 < cap < 10.
    pub fn new(cap: Decimal) -> Result<LegalCap, InvalidCap> {
        if cap <= Decimal::ZERO || cap >= Decimal::TEN {
            return Err(InvalidCap(cap));
        }
        Ok(LegalCap { cap })
    }

    /// The cap.
    pub fn cap(&self) -> Decimal {
        self.cap
    }

    /// Checks `apr` against the cap.
    pub fn check(&self, apr: Decimal) -> CapCheck {
        let apr = apr.round_dp_with_strategy(APR_SCALE, RoundingStrategy::MidpointAwayFromZero);
        CapCheck {
            cap: self.cap,
            apr,
            excess: (apr - self.cap).max(Decimal::ZERO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn says_by_how_much_an_apr_exceeds_the_cap() {
        let cap = LegalCap::new(d("0.24")).unwrap();
        let check = cap.check(d("0.2734567891"));
        // 0.273457 − 0.24 = 0.033457
        assert_eq!(check.apr, d("0.273457"));
        assert_eq!(check.excess, d("0.033457"));
        assert!(check.exceeds());
        let within = cap.check(d("0.2400004"));
        assert_eq!(within.excess, Decimal::ZERO);
        assert!(!within.exceeds());
    }

    #[test]
    fn refuses_silly_caps() {
        assert_eq!(LegalCap::new(Decimal::ZERO), Err(InvalidCap(Decimal::ZERO)));
        assert_eq!(LegalCap::new(d("24")), Err(InvalidCap(d("24"))));
    }
}
