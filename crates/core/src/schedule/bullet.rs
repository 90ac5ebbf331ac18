//! 到期一次还本付息 (bullet): one payment at maturity of the principal and its interest,
//! P × annual × months / 12 under 30/360 (actual days / 360 or 365 otherwise).

use super::{Context, Installment};

pub(crate) fn build(ctx: &Context) -> Vec<Installment> {
    let principal = ctx.principal_minor();
    // One period: as the last installment it repays the whole principal.
    let (parts, _) = ctx.amortise(|period, _| (0, ctx.interest(principal, period.accrual)));
    ctx.installments(parts)
}
