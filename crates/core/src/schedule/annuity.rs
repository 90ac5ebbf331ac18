//! 等额本息 (annuity): a constant installment; interest on the falling balance.
//!
//! installment = P·r / (1 − (1+r)^−m), rounded once, with r the regular period's rate
//! and m the periods after the principal grace. Each installment's principal is the
//! installment less its interest; the last takes the balance left. A broken first
//! period keeps the regular principal part and charges its own interest, so every
//! later installment stays equal.
//!
//! Under ACT day counts the installment is sized on each period's own length (P equals
//! the installments discounted period by period), so the loan still amortises evenly;
//! a long month whose interest exceeds the installment pays that interest only (no
//! negative amortisation), which happens only on long loans at high rates.
//!
//! Over very long terms at high rates the first principal parts are fractions of a fen,
//! and half a fen of rounding compounds into more than the whole last installment: the
//! rounded installment would repay the loan early. Then the installment is lowered to
//! the largest one that does not, so every installment but the last stays equal.

use rust_decimal::{Decimal, MathematicalOps};

use super::{Context, Installment, ScheduleError};
use crate::date::DayCount;
use crate::rounding::ceil_to_multiple;

/// The exact constant installment in minor units, before rounding.
fn level_installment(ctx: &Context, periods: u32) -> Decimal {
    let principal = Decimal::from(ctx.principal_minor());
    if ctx.terms.day_count != DayCount::Thirty360 {
        return principal / discounted_periods(ctx);
    }
    let nominal = ctx.periods[0].nominal;
    let rate = ctx.terms.annual_rate.as_decimal() * Decimal::from(nominal.numerator)
        / Decimal::from(nominal.denominator);
    if rate.is_zero() {
        return principal / Decimal::from(periods);
    }
    // P·r / (1 − v^m) with v = 1 / (1 + r): v^m only shrinks, so nothing overflows
    // even at the longest term and the highest rate.
    let discount_m = (Decimal::ONE / (Decimal::ONE + rate)).powi(i64::from(periods));
    principal * rate / (Decimal::ONE - discount_m)
}

/// Σⱼ Πₖ≤ⱼ 1 / (1 + rₖ) over the amortising periods, each at its own rate (a broken
/// first period at the regular one, as its principal part is sized on it).
fn discounted_periods(ctx: &Context) -> Decimal {
    let annual = ctx.terms.annual_rate.as_decimal();
    let amortising = &ctx.periods[ctx.terms.grace_principal as usize..];
    let mut factor = Decimal::ONE;
    let mut sum = Decimal::ZERO;
    for period in amortising {
        let fraction = if period.broken {
            period.nominal
        } else {
            period.accrual
        };
        let rate = annual * Decimal::from(fraction.numerator) / Decimal::from(fraction.denominator);
        factor /= Decimal::ONE + rate;
        sum += factor;
    }
    sum
}

pub(crate) fn build(ctx: &Context) -> Result<Vec<Installment>, ScheduleError> {
    let rounded = ctx.round_minor(level_installment(ctx, ctx.amortising_periods()));
    if let Some(multiple) = ctx.terms.installment_multiple {
        let payment = ceil_to_multiple(rounded, multiple.amount_minor())
            .ok_or_else(|| ScheduleError::new("installment_multiple", "is too large"))?;
        let (parts, repaid_at) = amortise(ctx, payment);
        if let Some(number) = repaid_at {
            return Err(ctx.repaid_early(number, payment));
        }
        return Ok(ctx.installments(parts));
    }
    let (parts, repaid_at) = amortise(ctx, rounded);
    if repaid_at.is_none() {
        return Ok(ctx.installments(parts));
    }
    // The largest installment that does not repay the loan early. A larger installment
    // repays sooner, so the search is monotone; an installment of 0 never repays early.
    let (mut low, mut high) = (0, rounded - 1);
    while low < high {
        let middle = low + (high - low + 1) / 2;
        if amortise(ctx, middle).1.is_none() {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    Ok(ctx.installments(amortise(ctx, low).0))
}

/// Principal = `payment` less the period's interest; a broken first period sizes its
/// principal on the regular interest so later installments stay equal.
fn amortise(ctx: &Context, payment: i64) -> (Vec<(i64, i64)>, Option<u32>) {
    ctx.amortise(|period, balance| {
        let interest = ctx.interest(balance, period.accrual);
        let sized_on = if period.broken {
            ctx.interest(balance, period.nominal)
        } else {
            interest
        };
        (payment - sized_on, interest)
    })
}
