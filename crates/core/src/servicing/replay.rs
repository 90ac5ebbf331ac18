//! Money movements of a loan as one code path ([`apply`]), and the replay of a loan's
//! history from a stored state ([`replay`]): what a reversal of a repayment needs.
//!
//! A reversal restores the state before the reversed movement and replays every later
//! day close and every later movement in order, without it. The service replays twice
//! from the same state — with the reversed movement (which must give the loan as it is:
//! the proof that nothing else changed it) and without — and posts the difference of the
//! two replays' postings ([`super::postings::difference_lines`]) as one entry.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::account::{LoanAccount, OpenInstallment, ServicingTerms};
use super::close::{CloseError, close_day};
use super::postings::{advance_lines, close_lines, refund_lines, repayment_lines, waiver_lines};
use super::prepayment::{self, PrepaymentError, PrepaymentMode};
use super::repayment::{PaymentSplit, apply_payment, backdate};
use crate::ledger::LineDraft;
use crate::money::{Currency, Money};
use crate::schedule::ScheduleTerms;

/// The most days a replay may cover (ten years of daily closes).
pub const MAX_REPLAY_DAYS: i64 = 3_660;

/// A loan's state at a moment: its account and its installments from the oldest one not
/// paid in full on (later paid ones included, so the schedule can be written back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanState {
    /// The running balances.
    pub account: LoanAccount,
    /// The installments from the oldest open one on.
    pub installments: Vec<OpenInstallment>,
}

impl LoanState {
    /// Nothing owed, nothing held, nothing left to fall due: the loan closes.
    pub fn is_closed(&self) -> bool {
        self.account.is_settled() && self.account.next_due.is_none()
    }
}

/// What a money movement does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Movement {
    /// A repayment through the waterfall, with its value date.
    Repayment {
        /// Value date (at most the business date).
        paid_on: NaiveDate,
    },
    /// A partial prepayment.
    Prepayment {
        /// How the schedule changes.
        mode: PrepaymentMode,
    },
    /// A payoff.
    Payoff,
    /// A refund of the advance.
    Refund,
}

impl Movement {
    /// The loan transaction kind: `repayment`, `prepayment`, `payoff`, `refund`.
    pub fn kind(&self) -> &'static str {
        match self {
            Movement::Repayment { .. } => "repayment",
            Movement::Prepayment { .. } => "prepayment",
            Movement::Payoff => "payoff",
            Movement::Refund => "refund",
        }
    }
}

/// A movement posted on a business date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    /// The loan transaction.
    pub id: i64,
    /// Business date it was posted on.
    pub business_date: NaiveDate,
    /// Amount received (or refunded), minor units.
    pub amount: i64,
    /// What it did.
    pub movement: Movement,
}

/// What a loan's movements need beside its state.
#[derive(Clone, Debug)]
pub struct Context<'a> {
    /// The product's servicing terms at the loan's rate.
    pub terms: &'a ServicingTerms,
    /// Prepayment fee rate.
    pub fee_rate: Decimal,
    /// Schedule terms a prepayment reschedules with (method, rate, frequency, rounding).
    pub template: Option<&'a ScheduleTerms>,
    /// The loan's funding source (cash lines).
    pub funding_source: &'a str,
}

/// Why a movement or a replay cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// A close or payment failed.
    #[error(transparent)]
    Close(#[from] CloseError),
    /// A prepayment or payoff refused.
    #[error(transparent)]
    Prepayment(#[from] PrepaymentError),
    /// A refund beyond the advance held.
    #[error("amount: {asked} is more than the advance held ({held})")]
    Refund {
        /// Asked.
        asked: Money,
        /// Held.
        held: Money,
    },
    /// Movements not in date order, outside the replayed dates, or too many days.
    #[error("{0}")]
    Order(String),
}

/// What one movement did: its split, the penalty taken back for backdating, and the
/// lines to post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The split of the money (for a refund: nothing but `advance` = −amount).
    pub split: PaymentSplit,
    /// Penalty and compound interest taken back for a backdated value date.
    pub waived: i64,
    /// The entry's lines.
    pub lines: Vec<LineDraft>,
}

/// Applies one movement on its business date to `state` (the service's code path for
/// repayments, prepayments, payoffs and refunds). On error `state` is unchanged.
///
/// # Errors
/// As the core function of the movement; [`ReplayError::Refund`] beyond the advance.
pub fn apply(state: &mut LoanState, p: &Posted, ctx: &Context<'_>) -> Result<Applied, ReplayError> {
    let mut s = state.clone();
    let loan_id = s.account.loan_id;
    let before = s.account.clone();
    let (date, amount, terms) = (p.business_date, p.amount, ctx.terms);
    let mut waived = 0;
    let split = match p.movement {
        Movement::Repayment { paid_on } => {
            waived = backdate(
                &mut s.account,
                &mut s.installments,
                amount,
                paid_on,
                date,
                terms,
            );
            apply_payment(&mut s.account, &mut s.installments, amount, date, terms)?
        }
        Movement::Prepayment { mode } => {
            let template = ctx.template.ok_or_else(|| {
                PrepaymentError::Schedule("a prepayment needs the loan's schedule terms".into())
            })?;
            prepayment::prepay(
                &mut s.account,
                &mut s.installments,
                amount,
                date,
                terms,
                ctx.fee_rate,
                mode,
                template,
            )?
        }
        Movement::Payoff => prepayment::pay_off(
            &mut s.account,
            &mut s.installments,
            amount,
            date,
            terms,
            ctx.fee_rate,
        )?,
        Movement::Refund => {
            if amount <= 0 || amount > s.account.advance_balance {
                return Err(ReplayError::Refund {
                    asked: Money::from_minor(amount, Currency::CNY),
                    held: Money::from_minor(s.account.advance_balance, Currency::CNY),
                });
            }
            s.account.advance_balance -= amount;
            let lines = refund_lines(loan_id, ctx.funding_source, amount);
            *state = s;
            return Ok(Applied {
                split: PaymentSplit {
                    advance: -amount,
                    ..PaymentSplit::default()
                },
                waived: 0,
                lines,
            });
        }
    };
    let mut lines = repayment_lines(loan_id, ctx.funding_source, &split);
    lines.extend(waiver_lines(loan_id, waived, &before));
    *state = s;
    Ok(Applied {
        split,
        waived,
        lines,
    })
}

/// One movement as replayed: the state before it and what it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replayed {
    /// The movement.
    pub posted: Posted,
    /// The loan's state before it.
    pub before: LoanState,
    /// What it did.
    pub applied: Applied,
}

/// The outcome of a replay: the state reached, each movement replayed, and every line the
/// closes and movements posted (the closes' summary lines without loan).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    /// The state after the last close and movement.
    pub state: LoanState,
    /// The movements, in order.
    pub movements: Vec<Replayed>,
    /// Every line posted, in order.
    pub lines: Vec<LineDraft>,
}

/// Replays a loan from `start` (closed through `start.account.last_closed`): on each date,
/// the `movements` posted that date (in the order given), then the close of the date,
/// until the close of `close_through`; the movements of the day after it are applied
/// last. A loan that closes (paid off, advance refunded) is not closed again.
///
/// # Errors
/// [`ReplayError::Order`] for movements out of date order or outside the replayed dates,
/// or more than [`MAX_REPLAY_DAYS`]; an error of a close or a movement (a later payoff
/// that no longer covers the loan, a refund beyond the advance).
pub fn replay(
    start: &LoanState,
    movements: &[Posted],
    close_through: NaiveDate,
    ctx: &Context<'_>,
) -> Result<History, ReplayError> {
    let mut s = start.clone();
    let loan_id = s.account.loan_id;
    let mut date = s
        .account
        .last_closed
        .succ_opt()
        .unwrap_or(s.account.last_closed);
    if (close_through - date).num_days() > MAX_REPLAY_DAYS {
        return Err(ReplayError::Order(format!(
            "a replay from {date} to {close_through} covers more than {MAX_REPLAY_DAYS} days"
        )));
    }
    let mut out = History {
        state: s.clone(),
        movements: Vec::new(),
        lines: Vec::new(),
    };
    let mut next = movements.iter().peekable();
    loop {
        while let Some(p) = next.next_if(|p| p.business_date == date) {
            let before = s.clone();
            let applied = apply(&mut s, p, ctx)?;
            out.lines.extend(applied.lines.iter().cloned());
            out.movements.push(Replayed {
                posted: *p,
                before,
                applied,
            });
        }
        if let Some(p) = next.peek()
            && p.business_date < date
        {
            return Err(ReplayError::Order(format!(
                "transaction {} of {} comes after {date}",
                p.id, p.business_date
            )));
        }
        if date > close_through || s.is_closed() {
            break;
        }
        let result = close_day(&mut s.account, &mut s.installments, ctx.terms, date)?;
        out.lines.extend(close_lines(&result));
        if result.advance_applied.total() > 0 {
            out.lines
                .extend(advance_lines(loan_id, &result.advance_applied));
        }
        date = date.succ_opt().unwrap_or(date);
    }
    if let Some(p) = next.next() {
        return Err(ReplayError::Order(format!(
            "transaction {} of {} is after the replayed dates",
            p.id, p.business_date
        )));
    }
    out.state = s;
    Ok(out)
}

#[cfg(test)]
mod tests;
