//! Repayments (还款): a payment is split by the product's waterfall across what is due and
//! overdue; the rest is held as an advance (溢缴款) and applied at the next due date.
//!
//! Paying on a due date pays that installment: the installment falls due first (its
//! interest is accrued to the full period), exactly as the close of that date would do.

use chrono::NaiveDate;
use serde::Serialize;

use super::account::MICRO_PER_MINOR;
use super::account::{InstallmentState, LoanAccount, OpenInstallment, ServicingTerms};
use super::accrual::{daily_interest_micro, micro_to_minor, penalty_daily_rate};
use super::close::{CloseError, DayOutcome, accrue_to, fall_due, oldest};
use crate::money::{Currency, Money};
use crate::product::Component;
use crate::waterfall::{Due, Dues, Stage, allocate};

/// How a payment (or an applied advance) was split, in minor units.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PaymentSplit {
    /// Paid to penalty interest (罚息).
    pub penalty_interest: i64,
    /// Paid to compound interest (复利).
    pub compound_interest: i64,
    /// Paid to fees.
    pub fees: i64,
    /// Paid to contractual interest.
    pub interest: i64,
    /// Paid to principal.
    pub principal: i64,
    /// Held as an advance.
    pub advance: i64,
    /// Of `principal`, the part that was overdue (credited to 1302, the rest to 1301).
    #[serde(skip)]
    pub principal_overdue: i64,
    /// Of `interest`, the part that was off book: income when received (Cr 6011).
    #[serde(skip)]
    pub interest_off_book: i64,
    /// Of penalty and compound interest, the part that was off book (Cr 6012).
    #[serde(skip)]
    pub penalty_off_book: i64,
    /// Interest accrued at payment because an installment fell due on the payment date
    /// (Dr 1311 / Cr 6011, on book only).
    #[serde(skip)]
    pub accrued_now: i64,
    /// Fees charged by the operation itself and paid at once (the prepayment fee: Dr 1313
    /// / Cr 6021).
    #[serde(skip)]
    pub fees_charged: i64,
    /// Installments paid in full by this payment.
    #[serde(skip)]
    pub installments_paid: Vec<u32>,
}

impl PaymentSplit {
    /// Everything paid and held: the amount received.
    pub fn total(&self) -> i64 {
        self.penalty_interest
            + self.compound_interest
            + self.fees
            + self.interest
            + self.principal
            + self.advance
    }
}

/// What a loan owes now, for the waterfall: penalty, compound interest and fees are owed in
/// full; interest and principal split into overdue and due (within grace).
pub fn dues(a: &LoanAccount) -> Dues {
    let due = |component, minor| Due {
        component,
        amount: Money::from_minor(minor, Currency::CNY),
    };
    Dues {
        overdue: vec![
            due(Component::PenaltyInterest, a.penalty_interest),
            due(Component::CompoundInterest, a.compound_interest),
            due(Component::Fees, a.fees_due),
            due(Component::Interest, a.overdue_interest),
            due(Component::Principal, a.overdue_principal),
        ],
        current: vec![
            due(Component::Interest, a.due_interest),
            due(Component::Principal, a.due_principal),
        ],
    }
}

/// What is owed now in total (due and overdue, with penalty and fees; not the interest
/// accrued of the current period).
pub fn total_due(a: &LoanAccount) -> i64 {
    a.penalty_interest
        + a.compound_interest
        + a.fees_due
        + a.overdue_interest
        + a.overdue_principal
        + a.due_interest
        + a.due_principal
}

/// Receives `amount` on the open business date `date`: an installment due on `date` falls
/// due first, then the waterfall pays what is owed and the rest becomes an advance.
///
/// # Errors
/// [`CloseError::MissingInstallment`] when an installment that falls due is not given;
/// [`CloseError::Overflow`]. On error nothing is changed.
pub fn apply_payment(
    acct: &mut LoanAccount,
    installments: &mut [OpenInstallment],
    amount: i64,
    date: NaiveDate,
    terms: &ServicingTerms,
) -> Result<PaymentSplit, CloseError> {
    let mut a = acct.clone();
    let mut inst = installments.to_vec();
    let mut out = DayOutcome::default();
    if date > a.last_closed {
        while a.next_due.is_some_and(|due| due <= date) {
            accrue_to(&mut a, date, terms, &mut out);
            fall_due(&mut a, &mut inst, date, &mut out)?;
        }
    }
    let mut split = allocate_to(&mut a, &mut inst, amount, date, terms)?;
    a.advance_balance += split.advance;
    split.accrued_now = out.interest_accrued;
    debug_assert_eq!(split.total(), amount);
    debug_assert_eq!(a.check(), Ok(()));
    *acct = a;
    installments.clone_from_slice(&inst);
    Ok(split)
}

/// Splits `amount` across what `a` owes and records it on the account and installments;
/// the rest is returned as `advance` (not yet added to the account's advance balance).
pub(crate) fn allocate_to(
    a: &mut LoanAccount,
    inst: &mut [OpenInstallment],
    amount: i64,
    date: NaiveDate,
    terms: &ServicingTerms,
) -> Result<PaymentSplit, CloseError> {
    let overflow = CloseError::Overflow {
        loan_id: a.loan_id,
        date,
    };
    let allocation = allocate(
        Money::from_minor(amount, Currency::CNY),
        &dues(a),
        &terms.order,
    )
    .map_err(|_| overflow)?;
    let mut s = PaymentSplit {
        advance: allocation.advance.amount_minor(),
        ..PaymentSplit::default()
    };
    // off-book parts are paid last: what was recognised is collected first
    let booked_penalty = a.penalty_interest + a.compound_interest - a.penalty_off_book;
    let booked_interest = a.interest_owed() - a.interest_off_book;
    for &(stage, component, paid) in &allocation.paid {
        let mut left = paid.amount_minor();
        match component {
            Component::PenaltyInterest => {
                a.penalty_interest -= left;
                // paying a rounded-up amount leaves less than a minor unit owed the other
                // way: the exact remainder starts again from zero, never below
                a.penalty_micro = (a.penalty_micro - left * MICRO_PER_MINOR).max(0);
                s.penalty_interest += left;
            }
            Component::CompoundInterest => {
                a.compound_interest -= left;
                a.compound_micro = (a.compound_micro - left * MICRO_PER_MINOR).max(0);
                s.compound_interest += left;
            }
            Component::Fees => {
                a.fees_due -= left;
                s.fees += left;
            }
            Component::Interest => {
                s.interest += left;
                if stage != Stage::Current {
                    let take = left.min(a.overdue_interest);
                    a.overdue_interest -= take;
                    left -= take;
                }
                a.due_interest -= left;
            }
            Component::Principal => {
                s.principal += left;
                a.principal_outstanding -= left;
                if stage != Stage::Current {
                    let take = left.min(a.overdue_principal);
                    a.overdue_principal -= take;
                    s.principal_overdue += take;
                    left -= take;
                }
                a.due_principal -= left;
            }
        }
    }
    let penalty_paid = s.penalty_interest + s.compound_interest;
    s.penalty_off_book = (penalty_paid - booked_penalty).max(0);
    a.penalty_off_book -= s.penalty_off_book;
    s.interest_off_book = (s.interest - booked_interest).max(0);
    a.interest_off_book -= s.interest_off_book;
    pay_installments(a, inst, s.interest, s.principal, date, terms, &mut s);
    Ok(s)
}

/// Spreads interest and principal paid over the due and overdue installments, oldest first,
/// and marks those paid in full.
fn pay_installments(
    a: &mut LoanAccount,
    inst: &mut [OpenInstallment],
    mut interest: i64,
    mut principal: i64,
    date: NaiveDate,
    terms: &ServicingTerms,
    s: &mut PaymentSplit,
) {
    let grace = chrono::Duration::days(i64::from(terms.grace_days));
    for i in inst
        .iter_mut()
        .filter(|i| matches!(i.state, InstallmentState::Due | InstallmentState::Overdue))
    {
        let r = interest.min(i.unpaid_interest());
        i.paid_interest += r;
        interest -= r;
        let p = principal.min(i.unpaid_principal());
        i.paid_principal += p;
        principal -= p;
        if i.unpaid_interest() == 0 && i.unpaid_principal() == 0 {
            if date <= i.due_date + grace {
                a.on_time_streak += 1;
            }
            i.state = InstallmentState::Paid;
            i.paid_on = Some(date);
            s.installments_paid.push(i.number);
        }
    }
    debug_assert_eq!(
        (interest, principal),
        (0, 0),
        "paid more than the installments owe"
    );
    a.due_since = oldest(inst, InstallmentState::Due);
    a.oldest_unpaid_due = [a.due_since, oldest(inst, InstallmentState::Overdue)]
        .into_iter()
        .flatten()
        .min();
}

/// A payment with a value date `paid_on` before the open business date `date`: the
/// overdue principal and interest it pays did not bear penalty and compound interest for
/// the closes since the value date. Those are taken back before the payment is split (so
/// the money freed goes further down the waterfall); returns the amount taken back
/// (rounded, on and off book).
pub fn backdate(
    a: &mut LoanAccount,
    inst: &mut [OpenInstallment],
    amount_minor: i64,
    paid_on: NaiveDate,
    date: NaiveDate,
    terms: &ServicingTerms,
) -> i64 {
    let days = (date - paid_on).num_days();
    if days <= 0 || (a.overdue_principal == 0 && a.overdue_interest == 0) {
        return 0;
    }
    let before = a.penalty_interest + a.compound_interest;
    // what the payment would pay of overdue interest and principal, on a copy
    let mut probe = a.clone();
    let mut probe_inst = inst.to_vec();
    let Ok(split) = apply_payment(&mut probe, &mut probe_inst, amount_minor, date, terms) else {
        return 0;
    };
    let overdue_interest_paid = (a.overdue_interest - probe.overdue_interest).max(0);
    let daily = penalty_daily_rate(terms.annual_rate, terms.penalty_multiplier);
    let penalty_back =
        daily_interest_micro(split.principal_overdue, daily, days).min(a.penalty_micro);
    let compound_back = if terms.compound_interest {
        daily_interest_micro(overdue_interest_paid, daily, days).min(a.compound_micro)
    } else {
        0
    };
    a.penalty_micro -= penalty_back;
    a.compound_micro -= compound_back;
    let penalty = micro_to_minor(a.penalty_micro, terms.rounding);
    let compound = micro_to_minor(a.compound_micro, terms.rounding);
    let taken_back = (a.penalty_interest - penalty) + (a.compound_interest - compound);
    a.penalty_interest = penalty;
    a.compound_interest = compound;
    // the off-book part shrinks first: it was never income
    a.penalty_off_book = (a.penalty_off_book - taken_back).max(0);
    before - a.penalty_interest - a.compound_interest
}
