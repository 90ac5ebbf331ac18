//! 等额本金 (equal principal): principal P / m each period, the last taking the
//! remainder; interest on the falling balance.

use rust_decimal::Decimal;

use super::{Context, Installment};

pub(crate) fn build(ctx: &Context) -> Vec<Installment> {
    let term = ctx.terms.term;
    let grace = ctx.terms.grace_principal;
    let part = ctx.round_minor(
        Decimal::from(ctx.principal_minor()) / Decimal::from(ctx.amortising_periods()),
    );
    let mut balance = ctx.principal_minor();
    let mut parts = Vec::with_capacity(ctx.periods.len());
    for (period, k) in ctx.periods.iter().zip(1..=term) {
        let interest = ctx.interest(balance, period.accrual);
        let principal = if k <= grace {
            0
        } else if k == term {
            balance
        } else {
            part.min(balance)
        };
        balance -= principal;
        parts.push((principal, interest));
    }
    ctx.installments(parts)
}
