//! Write-off (核销) of a non-performing loan and recoveries after it (核销后收回).
//!
//! A write-off takes the loan off the balance sheet: principal and the interest, penalty
//! and fees booked as receivable are credited away; the loan's provision absorbs the loss
//! first (Dr 1304 allowance) and the rest is write-off expense (Dr 6702). Interest and
//! penalty accrued off book (non-accrual) were never on the books: they are kept as a memo
//! of the claim (账销案存). Money recovered later is income (Dr 1001 / Cr 6031).
//!
//! | movement | debit | credit |
//! |---|---|---|
//! | write-off | 1304 allowance (up to the provision), 6702 write-off expense (the rest) | 1301, 1302, 1311, 1312, 1313 |
//! | provision left over | 1304 allowance | 6701 provision expense |
//! | recovery | 1001 cash (funding source) | 6031 recoveries |

use serde::Serialize;

use super::account::LoanAccount;
use super::postings::{
    ALLOWANCE, CASH, FEES_RECEIVABLE, INTEREST_INCOME, INTEREST_RECEIVABLE, LOANS_NORMAL,
    LOANS_OVERDUE, PENALTY_RECEIVABLE, PROVISION_EXPENSE, RECOVERIES, SETTLEMENT_DISCOUNT,
    WRITE_OFF_EXPENSE,
};
use crate::delinquency::FiveTier;
use crate::ledger::{LineDraft, Side, find_account};

/// Why a loan cannot be written off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteOffError {
    /// Only non-performing loans (substandard or worse) are written off.
    #[error(
        "loan {loan_id} is {class}: only non-performing loans (substandard, doubtful, loss) are written off"
    )]
    Performing {
        /// Loan.
        loan_id: i64,
        /// Its class.
        class: FiveTier,
    },
    /// The loan holds an advance: it must be applied or refunded first.
    #[error("loan {loan_id} holds an advance of {advance_minor} minor units: refund it first")]
    AdvanceHeld {
        /// Loan.
        loan_id: i64,
        /// The advance.
        advance_minor: i64,
    },
    /// Nothing is owed.
    #[error("loan {loan_id} owes nothing: there is nothing to write off")]
    NothingOwed {
        /// Loan.
        loan_id: i64,
    },
}

/// What a write-off took off the books, and how the loss was covered (minor units).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WriteOff {
    /// Principal not overdue (Cr 1301).
    pub principal_normal: i64,
    /// Principal overdue (Cr 1302).
    pub principal_overdue: i64,
    /// Interest booked as receivable (Cr 1311).
    pub interest: i64,
    /// Penalty and compound interest booked as receivable (Cr 1312).
    pub penalty: i64,
    /// Fees (Cr 1313).
    pub fees: i64,
    /// Interest owed but never booked (memo).
    pub interest_off_book: i64,
    /// Penalty and compound interest owed but never booked (memo).
    pub penalty_off_book: i64,
    /// Provision used against the loss (Dr 1304).
    pub provision_used: i64,
    /// Provision left over and released (Dr 1304 / Cr 6701).
    pub provision_released: i64,
    /// The loss beyond the provision (Dr 6702).
    pub expense: i64,
}

impl WriteOff {
    /// Principal written off.
    pub fn principal(&self) -> i64 {
        self.principal_normal + self.principal_overdue
    }

    /// Everything taken off the books.
    pub fn booked(&self) -> i64 {
        self.principal() + self.interest + self.penalty + self.fees
    }

    /// The whole claim on the borrower: what was booked and the off-book memo.
    pub fn claim(&self) -> i64 {
        self.booked() + self.interest_off_book + self.penalty_off_book
    }
}

/// Writes `acct` off: returns what came off the books and leaves every balance at zero
/// (the class and days past due stay as they were at the write-off).
///
/// # Errors
/// [`WriteOffError`] for a performing loan, a loan holding an advance, or one owing
/// nothing; `acct` is then unchanged.
pub fn write_off(acct: &mut LoanAccount) -> Result<WriteOff, WriteOffError> {
    let loan_id = acct.loan_id;
    if acct.class < FiveTier::Substandard {
        return Err(WriteOffError::Performing {
            loan_id,
            class: acct.class,
        });
    }
    if acct.advance_balance > 0 {
        return Err(WriteOffError::AdvanceHeld {
            loan_id,
            advance_minor: acct.advance_balance,
        });
    }
    let a = &*acct;
    let mut w = WriteOff {
        principal_normal: a.principal_outstanding - a.overdue_principal,
        principal_overdue: a.overdue_principal,
        interest: a.interest_owed() - a.interest_off_book,
        penalty: a.penalty_interest + a.compound_interest - a.penalty_off_book,
        fees: a.fees_due,
        interest_off_book: a.interest_off_book,
        penalty_off_book: a.penalty_off_book,
        ..WriteOff::default()
    };
    if w.claim() == 0 {
        return Err(WriteOffError::NothingOwed { loan_id });
    }
    w.provision_used = a.provision.min(w.booked());
    w.provision_released = a.provision - w.provision_used;
    w.expense = w.booked() - w.provision_used;
    clear(acct);
    debug_assert_eq!(acct.check(), Ok(()));
    Ok(w)
}

/// Forgives everything `acct` still owes after a settlement's agreed amount was paid
/// (和解减免): the same split as a write-off — provision first, the rest an expense — but
/// for a loan of any class, since a settlement may close a loan that is only a month
/// late; the balances end at zero.
///
/// # Errors
/// [`WriteOffError::AdvanceHeld`] or [`WriteOffError::NothingOwed`]; `acct` is then
/// unchanged.
pub fn forgive(acct: &mut LoanAccount) -> Result<WriteOff, WriteOffError> {
    let class = acct.class;
    acct.class = acct.class.max(FiveTier::Substandard);
    let result = write_off(acct);
    acct.class = class;
    result
}

/// The entry of a settlement's discount: as [`write_off_lines`], with the expense on the
/// settlement-discount account.
pub fn forgiveness_lines(loan_id: i64, w: &WriteOff) -> Vec<LineDraft> {
    let mut lines = write_off_lines(loan_id, w);
    for l in &mut lines {
        if l.account == WRITE_OFF_EXPENSE {
            l.account = SETTLEMENT_DISCOUNT.to_owned();
        }
    }
    lines
}

/// The entry of a settlement (和解结清) of loan `loan_id`: `paid` received into
/// `funding_source`'s account settles everything `w` (from [`forgive`]) took off the
/// books. The shortfall is a loss met by the provision first, the rest on the
/// settlement-discount account; provision left over is released; a payment beyond what
/// was booked (it covered interest kept off book) is interest income.
pub fn settlement_lines(
    loan_id: i64,
    w: &WriteOff,
    funding_source: &str,
    paid: i64,
) -> Vec<LineDraft> {
    let provision = w.provision_used + w.provision_released;
    let booked = w.booked();
    let loss = (booked - paid).max(0);
    let used = provision.min(loss);
    let mut l = vec![LineDraft {
        account: CASH.into(),
        side: Side::Debit,
        amount_minor: paid,
        loan_id: None,
        funding_source: Some(funding_source.to_owned()),
    }];
    push(&mut l, ALLOWANCE, Side::Debit, used, loan_id);
    push(
        &mut l,
        SETTLEMENT_DISCOUNT,
        Side::Debit,
        loss - used,
        loan_id,
    );
    receivables_off(&mut l, loan_id, w);
    push(
        &mut l,
        INTEREST_INCOME,
        Side::Credit,
        (paid - booked).max(0),
        loan_id,
    );
    push(&mut l, ALLOWANCE, Side::Debit, provision - used, loan_id);
    push(
        &mut l,
        PROVISION_EXPENSE,
        Side::Credit,
        provision - used,
        loan_id,
    );
    l
}

/// Sets every balance of `a` to zero and ends its schedule; class, days past due and the
/// last closed date stay.
fn clear(a: &mut LoanAccount) {
    for balance in [
        &mut a.principal_outstanding,
        &mut a.due_principal,
        &mut a.overdue_principal,
        &mut a.interest_accrued,
        &mut a.due_interest,
        &mut a.overdue_interest,
        &mut a.penalty_interest,
        &mut a.penalty_micro,
        &mut a.compound_interest,
        &mut a.compound_micro,
        &mut a.fees_due,
        &mut a.interest_off_book,
        &mut a.penalty_off_book,
        &mut a.provision,
        &mut a.period_accrued,
        &mut a.period_interest,
    ] {
        *balance = 0;
    }
    a.period_start = None;
    a.next_due = None;
    a.next_installment = 0;
    a.due_since = None;
}

/// A line, with the loan on loan-scoped accounts; nothing for a zero amount.
fn push(lines: &mut Vec<LineDraft>, account: &str, side: Side, amount_minor: i64, loan_id: i64) {
    if amount_minor == 0 {
        return;
    }
    let scoped = find_account(account).is_some_and(|a| a.loan_scoped);
    lines.push(LineDraft {
        account: account.to_owned(),
        side,
        amount_minor,
        loan_id: scoped.then_some(loan_id),
        funding_source: None,
    });
}

/// The credits taking every booked receivable of `w` off loan `loan_id`'s books.
fn receivables_off(l: &mut Vec<LineDraft>, loan_id: i64, w: &WriteOff) {
    push(l, LOANS_NORMAL, Side::Credit, w.principal_normal, loan_id);
    push(l, LOANS_OVERDUE, Side::Credit, w.principal_overdue, loan_id);
    push(l, INTEREST_RECEIVABLE, Side::Credit, w.interest, loan_id);
    push(l, PENALTY_RECEIVABLE, Side::Credit, w.penalty, loan_id);
    push(l, FEES_RECEIVABLE, Side::Credit, w.fees, loan_id);
}

/// The entry of a write-off of loan `loan_id`.
pub fn write_off_lines(loan_id: i64, w: &WriteOff) -> Vec<LineDraft> {
    let mut l = Vec::new();
    push(&mut l, ALLOWANCE, Side::Debit, w.provision_used, loan_id);
    push(&mut l, WRITE_OFF_EXPENSE, Side::Debit, w.expense, loan_id);
    receivables_off(&mut l, loan_id, w);
    push(
        &mut l,
        ALLOWANCE,
        Side::Debit,
        w.provision_released,
        loan_id,
    );
    push(
        &mut l,
        PROVISION_EXPENSE,
        Side::Credit,
        w.provision_released,
        loan_id,
    );
    l
}

/// The entry of `amount_minor` recovered on a written-off loan into `funding_source`'s
/// account.
pub fn recovery_lines(funding_source: &str, amount_minor: i64) -> Vec<LineDraft> {
    vec![
        LineDraft {
            account: CASH.into(),
            side: Side::Debit,
            amount_minor,
            loan_id: None,
            funding_source: Some(funding_source.to_owned()),
        },
        LineDraft {
            account: RECOVERIES.into(),
            side: Side::Credit,
            amount_minor,
            loan_id: None,
            funding_source: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::ledger::check_entry;
    use crate::servicing::account::{InstallmentState, OpenInstallment};

    /// A substandard loan: 10,000.00 principal (3,000.00 overdue), 250.00 interest owed of
    /// which 80.00 off book, 32.00 penalty and compound of which 12.00 off book, 50.00
    /// fees, a provision of 25% = 2,500.00.
    fn substandard() -> LoanAccount {
        let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let first = OpenInstallment {
            number: 5,
            period_start: day,
            due_date: NaiveDate::from_ymd_opt(2027, 3, 23).unwrap(),
            principal: 100_000,
            interest: 5_000,
            paid_principal: 0,
            paid_interest: 0,
            state: InstallmentState::Pending,
            paid_on: None,
        };
        let mut a = LoanAccount::new(7, 1_000_000, day, &first);
        a.overdue_principal = 300_000;
        a.overdue_interest = 20_000;
        a.interest_accrued = 5_000;
        a.interest_off_book = 8_000;
        a.penalty_interest = 3_000;
        a.penalty_micro = 3_000_000_000;
        a.compound_interest = 200;
        a.compound_micro = 200_000_000;
        a.penalty_off_book = 1_200;
        a.fees_due = 5_000;
        a.provision = 250_000;
        a.class = FiveTier::Substandard;
        a.dpd = 95;
        a
    }

    #[test]
    fn a_settlement_forgives_a_special_mention_loan_onto_the_discount_account() {
        let mut a = substandard();
        a.class = FiveTier::SpecialMention;
        a.provision = 20_000;
        assert!(write_off(&mut a.clone()).is_err());
        let w = forgive(&mut a).unwrap();
        assert_eq!(w.booked(), 1_024_000);
        assert_eq!((w.provision_used, w.expense), (20_000, 1_004_000));
        assert_eq!(a.class, FiveTier::SpecialMention);
        assert_eq!(a.principal_outstanding, 0);
        let lines = forgiveness_lines(7, &w);
        check_entry(&lines).unwrap();
        let expense: Vec<_> = lines
            .iter()
            .filter(|l| l.side == Side::Debit && l.account != ALLOWANCE)
            .map(|l| (l.account.as_str(), l.amount_minor))
            .collect();
        assert_eq!(expense, [("6703", 1_004_000)]);
    }

    #[test]
    fn a_settlement_books_the_cash_and_the_discount_beyond_the_provision() {
        let mut a = substandard();
        let w = forgive(&mut a).unwrap();
        // booked 10,240.00, paid 6,000.00: loss 4,240.00, provision 2,500.00 used first
        let lines = settlement_lines(7, &w, "BANK", 600_000);
        check_entry(&lines).unwrap();
        let amount = |acct: &str, side: Side| -> i64 {
            lines
                .iter()
                .filter(|l| l.account == acct && l.side == side)
                .map(|l| l.amount_minor)
                .sum()
        };
        assert_eq!(amount("1001", Side::Debit), 600_000);
        assert_eq!(amount("1304", Side::Debit), 250_000);
        assert_eq!(amount("6703", Side::Debit), 174_000);
        assert_eq!(amount("6701", Side::Credit), 0);
        // paid more than booked (off-book interest recovered): no loss, provision released
        let rich = settlement_lines(7, &w, "BANK", 1_030_000);
        check_entry(&rich).unwrap();
        assert!(rich.iter().all(|l| l.account != "6703"));
        assert!(
            rich.iter()
                .any(|l| l.account == "6011" && l.amount_minor == 6_000)
        );
        assert!(
            rich.iter()
                .any(|l| l.account == "6701" && l.amount_minor == 250_000)
        );
    }

    #[test]
    fn the_provision_absorbs_the_loss_first_and_the_rest_is_expense() {
        let mut a = substandard();
        let w = write_off(&mut a).unwrap();
        // booked: 10,000.00 + (250.00 − 80.00) + (32.00 − 12.00) + 50.00 = 10,240.00
        assert_eq!(w.booked(), 1_024_000);
        assert_eq!(
            (w.principal_normal, w.principal_overdue),
            (700_000, 300_000)
        );
        assert_eq!((w.interest, w.penalty, w.fees), (17_000, 2_000, 5_000));
        // provision 2,500.00 used; expense 10,240.00 − 2,500.00 = 7,740.00
        assert_eq!((w.provision_used, w.expense), (250_000, 774_000));
        // the memo keeps 80.00 + 12.00 off book: a claim of 10,332.00
        assert_eq!(w.claim(), 1_033_200);
        let lines = write_off_lines(7, &w);
        assert_eq!(check_entry(&lines), Ok(()));
        let dr = |code: &str| {
            lines
                .iter()
                .filter(|l| l.account == code && l.side == Side::Debit)
                .map(|l| l.amount_minor)
                .sum::<i64>()
        };
        assert_eq!((dr(ALLOWANCE), dr(WRITE_OFF_EXPENSE)), (250_000, 774_000));
        // nothing is left on the loan but its class and days past due
        assert_eq!(a.principal_outstanding + a.interest_owed() + a.provision, 0);
        assert_eq!((a.penalty_micro, a.compound_micro, a.fees_due), (0, 0, 0));
        assert_eq!((a.class, a.dpd), (FiveTier::Substandard, 95));
        assert_eq!(a.next_due, None);
    }

    #[test]
    fn performing_loans_and_loans_holding_advances_are_refused() {
        let mut a = substandard();
        a.class = FiveTier::SpecialMention;
        let before = a.clone();
        assert!(matches!(
            write_off(&mut a),
            Err(WriteOffError::Performing { .. })
        ));
        assert_eq!(a, before);
        let mut b = substandard();
        b.advance_balance = 100;
        let err = write_off(&mut b).unwrap_err();
        assert_eq!(
            err.to_string(),
            "loan 7 holds an advance of 100 minor units: refund it first"
        );
    }

    #[test]
    fn a_recovery_is_cash_against_recoveries_income() {
        let lines = recovery_lines("OWN", 300_000);
        assert_eq!(check_entry(&lines), Ok(()));
        assert_eq!(lines[0].funding_source.as_deref(), Some("OWN"));
        assert_eq!(
            (lines[1].account.as_str(), lines[1].side),
            (RECOVERIES, Side::Credit)
        );
    }
}
