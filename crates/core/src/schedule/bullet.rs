//! 到期一次还本付息 (bullet): one payment at maturity of the principal and its interest,
//! P × annual × months / 12 under 30/360 (actual days / 360 or 365 otherwise).

use super::{Context, Installment};

pub(crate) fn build(ctx: &Context) -> Vec<Installment> {
    let principal = ctx.principal_minor();
    let parts = ctx
        .periods
        .iter()
        .map(|period| (principal, ctx.interest(principal, period.accrual)));
    ctx.installments(parts)
}
