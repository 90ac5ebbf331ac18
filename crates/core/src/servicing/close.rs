//! The daily close of one loan (日终, DESIGN.md §5 steps 1–5): installments due on the
//! date fall due (and any advance is applied), interest accrues, amounts past grace become
//! overdue and bear penalty and compound interest, then days past due, bucket, five-tier
//! class, non-accrual and the provision are set.
//!
//! The close of a date is run once per loan, in date order: [`close_day`] refuses a date
//! that is not the day after the loan's last closed date, so a loan is never accrued twice
//! and never skips a day.

use chrono::NaiveDate;
use serde::Serialize;

use super::account::{InstallmentState, LoanAccount, OpenInstallment, ServicingTerms};
use super::accrual::{daily_interest_micro, micro_to_minor, penalty_daily_rate, period_accrued_to};
use super::class_override::class_at_close;
use super::repayment::{PaymentSplit, allocate_to};
use crate::delinquency::{FiveTier, days_past_due, non_accrual};
use crate::money::{Currency, Money};

/// Why a loan could not be closed for a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloseError {
    /// The date is not the day after the last closed date.
    #[error(
        "loan {loan_id}: cannot close {date}: last closed {last_closed}, dates close in order one day at a time"
    )]
    OutOfOrder {
        /// Loan.
        loan_id: i64,
        /// Date asked.
        date: NaiveDate,
        /// Last closed date.
        last_closed: NaiveDate,
    },
    /// The close needs the loan's open installments and was not given them.
    #[error("loan {loan_id}: installment {number} is needed to close {date}")]
    MissingInstallment {
        /// Loan.
        loan_id: i64,
        /// Installment number.
        number: u32,
        /// Date.
        date: NaiveDate,
    },
    /// An amount overflowed.
    #[error("loan {loan_id}: amount out of range at {date}")]
    Overflow {
        /// Loan.
        loan_id: i64,
        /// Date.
        date: NaiveDate,
    },
}

/// What the close of one date did to one loan: the amounts to post (on book) and to track
/// off book, and the events it produced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DayOutcome {
    /// Contractual interest accrued into income (Dr 1311 / Cr 6011).
    pub interest_accrued: i64,
    /// Contractual interest accrued off book (non-accrual).
    pub interest_off_book: i64,
    /// Penalty interest accrued into income (Dr 1312 / Cr 6012).
    pub penalty_accrued: i64,
    /// Compound interest accrued into income (Dr 1312 / Cr 6012).
    pub compound_accrued: i64,
    /// Penalty and compound interest accrued off book.
    pub penalty_off_book: i64,
    /// Principal moved from normal to overdue loans (Dr 1302 / Cr 1301).
    pub principal_to_overdue: i64,
    /// Late fees charged (Dr 1313 / Cr 6021).
    pub late_fees: i64,
    /// The advance applied to what fell due (Dr 2241 / Cr …).
    pub advance_applied: PaymentSplit,
    /// Change of the provision (Dr 6701 / Cr 1304; negative releases it).
    pub provision_delta: i64,
    /// Installments that fell due at this close.
    pub fell_due: u32,
    /// Installments that became overdue at this close.
    pub newly_overdue: u32,
    /// The class before and after, when it changed.
    pub class_change: Option<(FiveTier, FiveTier)>,
    /// Whether any installment changed (the caller stores them).
    pub installments_changed: bool,
}

/// Whether the close of `date` needs the loan's open installments: something falls due or
/// passes grace that day.
pub fn needs_installments(acct: &LoanAccount, date: NaiveDate, grace_days: u32) -> bool {
    acct.next_due.is_some_and(|due| due <= date)
        || acct
            .due_since
            .is_some_and(|since| (date - since).num_days() > i64::from(grace_days))
}

/// Closes business date `date` for one loan.
///
/// `installments` are the loan's installments not yet paid in full, in number order; they
/// are read only when [`needs_installments`] says so (pass an empty slice otherwise).
///
/// # Errors
/// [`CloseError::OutOfOrder`] unless `date` is the day after `acct.last_closed`;
/// [`CloseError::MissingInstallment`] when an installment the close needs is not given.
/// On error nothing is changed.
pub fn close_day(
    acct: &mut LoanAccount,
    installments: &mut [OpenInstallment],
    terms: &ServicingTerms,
    date: NaiveDate,
) -> Result<DayOutcome, CloseError> {
    if acct.last_closed.succ_opt() != Some(date) {
        return Err(CloseError::OutOfOrder {
            loan_id: acct.loan_id,
            date,
            last_closed: acct.last_closed,
        });
    }
    // Work on copies: an error leaves the caller's state as it was.
    let mut a = acct.clone();
    let mut inst = installments.to_vec();
    let mut out = DayOutcome::default();

    // (1)+(2) accrue the current period to date; an installment due today falls due.
    while a.next_due.is_some_and(|due| due <= date) {
        accrue_to(&mut a, date, terms, &mut out);
        fall_due(&mut a, &mut inst, date, &mut out)?;
    }
    accrue_to(&mut a, date, terms, &mut out);
    if out.fell_due > 0 && a.advance_balance > 0 {
        let advance = a.advance_balance;
        a.advance_balance = 0;
        let split = allocate_to(&mut a, &mut inst, advance, date, terms)?;
        a.advance_balance += split.advance;
        out.advance_applied = PaymentSplit {
            advance: 0,
            ..split
        };
        out.installments_changed = true;
    }

    // (3) past grace: overdue, late fee, penalty and compound interest.
    let daily = penalty_daily_rate(terms.annual_rate, terms.penalty_multiplier);
    let mut penalty_micro = daily_interest_micro(a.overdue_principal, daily, 1);
    let mut compound_micro = if terms.compound_interest {
        daily_interest_micro(a.overdue_interest, daily, 1)
    } else {
        0
    };
    for i in inst.iter_mut().filter(|i| i.state == InstallmentState::Due) {
        let days = (date - i.due_date).num_days();
        if days <= i64::from(terms.grace_days) {
            continue;
        }
        let (p, r) = (i.unpaid_principal(), i.unpaid_interest());
        a.due_principal -= p;
        a.overdue_principal += p;
        a.due_interest -= r;
        a.overdue_interest += r;
        out.principal_to_overdue += p;
        i.state = InstallmentState::Overdue;
        out.newly_overdue += 1;
        out.late_fees += terms.late_fee;
        // penalty and compound count from the day after the due date
        penalty_micro += daily_interest_micro(p, daily, days);
        if terms.compound_interest {
            compound_micro += daily_interest_micro(r, daily, days);
        }
        out.installments_changed = true;
    }
    if out.newly_overdue > 0 {
        a.on_time_streak = 0;
        a.fees_due += out.late_fees;
        a.due_since = oldest(&inst, InstallmentState::Due);
    }
    let (penalty_delta, compound_delta) = add_penalty(&mut a, penalty_micro, compound_micro, terms);
    if a.non_accrual {
        a.penalty_off_book += penalty_delta + compound_delta;
        out.penalty_off_book += penalty_delta + compound_delta;
    } else {
        out.penalty_accrued += penalty_delta;
        out.compound_accrued += compound_delta;
    }

    // (4) days past due, class, non-accrual; (5) provision.
    a.dpd = days_past_due(a.oldest_unpaid_due, date, terms.grace_days);
    if non_accrual(a.dpd) {
        a.non_accrual = true;
    } else if a.dpd == 0 {
        a.non_accrual = false;
    }
    let (class, held) = class_at_close(
        a.class,
        a.class_override,
        a.dpd,
        a.on_time_streak,
        terms.upgrade_after,
    );
    a.class_override = held;
    if class != a.class {
        out.class_change = Some((a.class, class));
        a.class = class;
        a.on_time_streak = 0;
    }
    let target = Money::from_minor(a.principal_outstanding, Currency::CNY)
        .mul_decimal(terms.provision_rates.rate(a.class), terms.rounding)
        .map_err(|_| CloseError::Overflow {
            loan_id: a.loan_id,
            date,
        })?
        .amount_minor();
    out.provision_delta = target - a.provision;
    a.provision = target;
    a.last_closed = date;

    debug_assert_eq!(a.check(), Ok(()));
    *acct = a;
    installments.clone_from_slice(&inst);
    Ok(out)
}

/// Accrues the current period up to `date` (the whole period interest once `date` reaches
/// the due date).
pub(crate) fn accrue_to(
    a: &mut LoanAccount,
    date: NaiveDate,
    terms: &ServicingTerms,
    out: &mut DayOutcome,
) {
    let (Some(start), Some(due)) = (a.period_start, a.next_due) else {
        return;
    };
    let target = period_accrued_to(a.period_interest, start, due, date, terms.rounding);
    let delta = target - a.period_accrued;
    if delta == 0 {
        return;
    }
    a.period_accrued = target;
    a.interest_accrued += delta;
    if a.non_accrual {
        a.interest_off_book += delta;
        out.interest_off_book += delta;
    } else {
        out.interest_accrued += delta;
    }
}

/// The installment due at `a.next_due` falls due: its interest (fully accrued) and
/// principal move to the due bucket, and the next period begins.
pub(crate) fn fall_due(
    a: &mut LoanAccount,
    inst: &mut [OpenInstallment],
    date: NaiveDate,
    out: &mut DayOutcome,
) -> Result<(), CloseError> {
    let number = a.next_installment;
    let missing = CloseError::MissingInstallment {
        loan_id: a.loan_id,
        number,
        date,
    };
    let i = inst
        .iter_mut()
        .find(|i| i.number == number)
        .ok_or(missing)?;
    let interest = i.unpaid_interest().min(a.interest_accrued);
    a.interest_accrued -= interest;
    a.due_interest += interest;
    a.due_principal += i.unpaid_principal();
    let due_date = i.due_date;
    if i.unpaid_principal() == 0 && i.unpaid_interest() == 0 {
        i.state = InstallmentState::Paid;
        i.paid_on.get_or_insert(date);
    } else {
        i.state = InstallmentState::Due;
        a.due_since.get_or_insert(due_date);
        a.oldest_unpaid_due.get_or_insert(due_date);
    }
    out.fell_due += 1;
    out.installments_changed = true;
    match inst.iter().find(|i| i.number == number + 1) {
        Some(next) => {
            a.period_start = Some(next.period_start);
            a.next_due = Some(next.due_date);
            a.period_interest = next.interest;
            a.next_installment = next.number;
        }
        None => {
            a.period_start = None;
            a.next_due = None;
            a.period_interest = 0;
            a.next_installment = 0;
        }
    }
    a.period_accrued = 0;
    Ok(())
}

/// Adds exact penalty and compound interest and returns the rounded increments.
fn add_penalty(
    a: &mut LoanAccount,
    penalty_micro: i64,
    compound_micro: i64,
    terms: &ServicingTerms,
) -> (i64, i64) {
    a.penalty_micro += penalty_micro;
    a.compound_micro += compound_micro;
    let penalty = micro_to_minor(a.penalty_micro, terms.rounding);
    let compound = micro_to_minor(a.compound_micro, terms.rounding);
    let deltas = (penalty - a.penalty_interest, compound - a.compound_interest);
    a.penalty_interest = penalty;
    a.compound_interest = compound;
    deltas
}

/// The due date of the oldest installment in `state` with something unpaid.
pub(crate) fn oldest(inst: &[OpenInstallment], state: InstallmentState) -> Option<NaiveDate> {
    inst.iter()
        .filter(|i| i.state == state && (i.unpaid_principal() > 0 || i.unpaid_interest() > 0))
        .map(|i| i.due_date)
        .min()
}
