//! 等额本息 (annuity): a constant installment; interest on the falling balance.
//!
//! installment = P·r / (1 − (1+r)^−m), rounded once, with r the regular period's rate
//! and m the periods after the principal grace. Each installment's principal is the
//! installment less its interest; the last takes the balance left. A broken first
//! period keeps the regular principal part and charges its own interest, so every
//! later installment stays equal.
//!
//! Over very long terms at high rates the first principal parts are fractions of a fen,
//! and half a fen of rounding compounds into more than the whole last installment: the
//! rounded installment would repay the loan early. Then the installment is rounded down
//! instead, so every installment but the last stays equal and the last one clears.

use rust_decimal::{Decimal, MathematicalOps};

use super::{Context, Installment, ScheduleError};
use crate::rounding::ceil_to_multiple;

/// The exact constant installment in minor units, before rounding.
fn level_installment(ctx: &Context, periods: u32) -> Decimal {
    let nominal = ctx.periods[0].nominal;
    let rate = ctx.terms.annual_rate.as_decimal() * Decimal::from(nominal.numerator)
        / Decimal::from(nominal.denominator);
    let principal = Decimal::from(ctx.principal_minor());
    if rate.is_zero() {
        return principal / Decimal::from(periods);
    }
    // P·r / (1 − v^m) with v = 1 / (1 + r): v^m only shrinks, so nothing overflows
    // even at the longest term and the highest rate.
    let discount_m = (Decimal::ONE / (Decimal::ONE + rate)).powi(i64::from(periods));
    principal * rate / (Decimal::ONE - discount_m)
}

pub(crate) fn build(ctx: &Context) -> Result<Vec<Installment>, ScheduleError> {
    let exact = level_installment(ctx, ctx.amortising_periods());
    let rounded = ctx.round_minor(exact);
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
    let floor = i64::try_from(exact.floor()).expect("bounded by validation");
    Ok(ctx.installments(amortise(ctx, floor).0))
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
