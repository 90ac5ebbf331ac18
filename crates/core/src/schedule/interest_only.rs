//! 先息后本 (interest-only): interest each period on the full principal, all principal
//! with the last installment.

use super::{Context, Installment};

pub(crate) fn build(ctx: &Context) -> Vec<Installment> {
    let principal = ctx.principal_minor();
    let last = ctx.periods.len();
    let parts = ctx.periods.iter().enumerate().map(|(index, period)| {
        let repaid = if index + 1 == last { principal } else { 0 };
        (repaid, ctx.interest(principal, period.accrual))
    });
    ctx.installments(parts)
}
