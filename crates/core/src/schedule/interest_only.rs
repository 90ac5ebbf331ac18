//! 先息后本 (interest-only): interest each period on the full principal, all principal
//! with the last installment.

use super::{Context, Installment};

pub(crate) fn build(ctx: &Context) -> Vec<Installment> {
    let principal = ctx.principal_minor();
    let (parts, _) = ctx.amortise(|period, _| (0, ctx.interest(principal, period.accrual)));
    ctx.installments(parts)
}
