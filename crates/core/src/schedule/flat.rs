//! 等本等息 (flat): equal principal parts and the same interest every period, charged
//! on the original principal: P × annual × months / 12. A broken first period charges
//! P × annual × actual days / 360.

use super::{Context, Installment, ScheduleError};
use crate::rounding::ceil_to_multiple;

pub(crate) fn build(ctx: &Context) -> Result<Vec<Installment>, ScheduleError> {
    let principal_minor = ctx.principal_minor();
    let Some(first) = ctx.periods.first() else {
        return Ok(Vec::new());
    };
    let flat_interest = ctx.interest(principal_minor, first.nominal);
    let mut part = ctx.equal_principal_part();
    if let Some(multiple) = ctx.terms.installment_multiple {
        let installment = ceil_to_multiple(part + flat_interest, multiple.amount_minor())
            .ok_or_else(|| ScheduleError::new("installment_multiple", "is too large"))?;
        part = installment - flat_interest;
    }
    let (parts, repaid_at) = ctx.amortise(|period, _| {
        let interest = if period.broken {
            ctx.interest(principal_minor, period.accrual)
        } else {
            flat_interest
        };
        (part, interest)
    });
    if let (Some(number), Some(_)) = (repaid_at, ctx.terms.installment_multiple) {
        return Err(ctx.repaid_early(number, part + flat_interest));
    }
    Ok(ctx.installments(parts))
}
