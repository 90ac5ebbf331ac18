//! 等额本金 (equal principal): principal P / m each period, the last taking the
//! remainder; interest on the falling balance.

use super::{Context, Installment};

pub(crate) fn build(ctx: &Context) -> Vec<Installment> {
    let part = ctx.equal_principal_part();
    let (parts, _) = ctx.amortise(|period, balance| (part, ctx.interest(balance, period.accrual)));
    ctx.installments(parts)
}
