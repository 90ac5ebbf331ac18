//! The annual percentage rate by the IRR method (年化利率 = periodic IRR × periods per year).
//!
//! The periodic IRR `i` solves Σ CFₖ · (1 + i)^−tₖ = advance, where `advance` is what
//! the borrower receives and `tₖ` the time of payment `k` in periods. It is found by
//! Newton's method kept inside a bracket that bisection narrows, all in `Decimal`.

use rust_decimal::{Decimal, MathematicalOps};

/// One payment by the borrower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CashFlow {
    /// When it is paid, in periods after the advance (may be fractional).
    pub time_periods: Decimal,
    /// How much, in minor units.
    pub amount_minor: i64,
}

/// Why no APR could be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AprError {
    /// Fees in another currency, negative, or not below the principal.
    #[error("upfront fees must be at least 0 and below the principal, in its currency")]
    FeesNotBelowPrincipal,
    /// The payments repay less than the advance: the rate would be negative.
    #[error("the payments repay less than the amount advanced")]
    NegativeRate,
    /// The rate is above 1000% a period, or there are no payments.
    #[error("no rate between 0 and 1000% a period makes the payments worth the advance")]
    NoSolution,
}

/// The highest periodic rate searched: 1000% a period.
const MAX_PERIODIC_RATE: Decimal = Decimal::TEN;
/// Stop when a step moves the rate by less than this.
const TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 18);
const MAX_ITERATIONS: u32 = 200;

/// Present value of `flows` at periodic rate `rate`, less `advance`, and its derivative.
fn npv(advance: Decimal, flows: &[CashFlow], rate: Decimal) -> Option<(Decimal, Decimal)> {
    let discount = Decimal::ONE.checked_div(Decimal::ONE + rate)?;
    let mut value = -advance;
    let mut slope = Decimal::ZERO;
    let mut previous: Option<(Decimal, Decimal)> = None;
    for flow in flows {
        // Consecutive payments are usually one period apart: multiply instead of exp/ln.
        let factor = match previous {
            Some((time, factor)) if flow.time_periods - time == Decimal::ONE => {
                factor.checked_mul(discount)?
            }
            _ => discount_factor(discount, flow.time_periods)?,
        };
        let amount = Decimal::from(flow.amount_minor);
        value = value.checked_add(amount.checked_mul(factor)?)?;
        slope = slope.checked_sub(
            flow.time_periods
                .checked_mul(amount)?
                .checked_mul(factor)?
                .checked_mul(discount)?,
        )?;
        previous = Some((flow.time_periods, factor));
    }
    Some((value, slope))
}

/// `discount^time`: by repeated multiplication for whole periods, by exp and ln for a
/// broken one (ln and exp cost a hundred times more).
fn discount_factor(discount: Decimal, time: Decimal) -> Option<Decimal> {
    if time.fract().is_zero() {
        let whole = i64::try_from(time).ok()?;
        return discount.checked_powi(whole);
    }
    (time * discount.checked_ln()?).checked_exp()
}

/// The periodic IRR of borrowing `advance_minor` and repaying `flows`.
///
/// # Errors
/// [`AprError::NegativeRate`] when the payments sum to less than the advance;
/// [`AprError::NoSolution`] when there are no payments or the rate exceeds 1000% a period.
pub fn periodic_irr(advance_minor: i64, flows: &[CashFlow]) -> Result<Decimal, AprError> {
    let advance = Decimal::from(advance_minor);
    let repaid: i64 = flows.iter().map(|f| f.amount_minor).sum();
    if flows.is_empty() {
        return Err(AprError::NoSolution);
    }
    if repaid < advance_minor {
        return Err(AprError::NegativeRate);
    }
    if repaid == advance_minor {
        return Ok(Decimal::ZERO);
    }
    let (mut low, mut high) = (Decimal::ZERO, MAX_PERIODIC_RATE);
    match npv(advance, flows, high) {
        Some((value, _)) if value <= Decimal::ZERO => {}
        _ => return Err(AprError::NoSolution),
    }
    // A first guess from simple interest: (repaid − advance) / advance / mean time.
    let mean_time =
        flows.iter().map(|f| f.time_periods).sum::<Decimal>() / Decimal::from(flows.len());
    let mut rate = (Decimal::from(repaid - advance_minor) / advance / mean_time).min(Decimal::ONE);
    for _ in 0..MAX_ITERATIONS {
        let Some((value, slope)) = npv(advance, flows, rate) else {
            return Err(AprError::NoSolution);
        };
        // The present value falls as the rate rises.
        if value > Decimal::ZERO {
            low = rate;
        } else {
            high = rate;
        }
        let newton = if slope.is_zero() {
            None
        } else {
            rate.checked_sub(value / slope)
        };
        let next = match newton {
            Some(next) if next > low && next < high => next,
            _ => (low + high) / Decimal::TWO,
        };
        if (next - rate).abs() < TOLERANCE {
            return Ok(next);
        }
        rate = next;
    }
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flows(amounts: &[i64]) -> Vec<CashFlow> {
        amounts
            .iter()
            .zip(1..)
            .map(|(&amount_minor, t)| CashFlow {
                time_periods: Decimal::from(t),
                amount_minor,
            })
            .collect()
    }

    #[test]
    fn one_period_loan() {
        // 100.00 lent, 110.00 repaid one period later: 10%
        let irr = periodic_irr(10_000, &flows(&[11_000])).unwrap();
        assert_eq!(irr.round_dp(12), "0.1".parse::<Decimal>().unwrap());
    }

    #[test]
    fn two_period_loan() {
        // 1000 = 600/(1+i) + 600/(1+i)^2 → i = 0.1306623863…
        let irr = periodic_irr(100_000, &flows(&[60_000, 60_000])).unwrap();
        assert_eq!(irr.round_dp(9), "0.130662386".parse::<Decimal>().unwrap());
    }

    #[test]
    fn fractional_time() {
        // 100 at half a period, repaid 121 at 2.5 periods? Use one flow at t=0.5: 1.1^0.5
        let flow = [CashFlow {
            time_periods: "0.5".parse().unwrap(),
            amount_minor: 10_488_088,
        }];
        // 100000.00 → 104880.88 in half a period: (1.0488088)^2 − 1 = 0.1000000…
        let irr = periodic_irr(10_000_000, &flow).unwrap();
        assert_eq!(irr.round_dp(6), "0.1".parse::<Decimal>().unwrap());
    }

    #[test]
    fn no_rate_and_bad_cases() {
        assert_eq!(
            periodic_irr(10_000, &flows(&[5_000, 5_000])),
            Ok(Decimal::ZERO)
        );
        assert_eq!(
            periodic_irr(10_000, &flows(&[5_000])),
            Err(AprError::NegativeRate)
        );
        assert_eq!(periodic_irr(10_000, &[]), Err(AprError::NoSolution));
        assert_eq!(
            periodic_irr(100, &flows(&[100_000])),
            Err(AprError::NoSolution)
        );
    }
}
