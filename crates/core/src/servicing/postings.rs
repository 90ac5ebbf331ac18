//! The ledger lines servicing posts (DESIGN.md §3 Ledger).
//!
//! | movement | debit | credit |
//! |---|---|---|
//! | interest accrued | 1311 interest receivable | 6011 interest income |
//! | penalty and compound interest accrued | 1312 penalty receivable | 6012 penalty income |
//! | principal past grace | 1302 loans overdue | 1301 loans normal |
//! | late fee | 1313 fees receivable | 6021 fee income |
//! | provision (release: reversed) | 6701 provision expense | 1304 allowance |
//! | repayment | 1001 cash (funding source) | 1312, 1313, 1311, 1302/1301, 2241 |
//! | advance applied | 2241 overpayments | as a repayment |
//! | penalty a backdated payment did not owe | 6012 penalty income | 1312 |
//! | refund of an advance | 2241 overpayments | 1001 cash (funding source) |
//! | book migration (opening balances) | 1301, 1302, 1311, 1312, 1313 | 1304, 2241, 1901 migration clearing |
//! | reversal of a repayment | the difference of the replayed and the posted history | |
//!
//! Off-book (non-accrual) interest is not posted when it accrues; what is paid of it is
//! income when received (Cr 6011 / 6012 instead of the receivable).

use super::account::LoanAccount;
use super::close::DayOutcome;
use super::repayment::PaymentSplit;
use crate::ledger::{LineDraft, Side};

/// Cash and bank.
pub const CASH: &str = "1001";
/// Loans receivable — normal.
pub const LOANS_NORMAL: &str = "1301";
/// Loans receivable — overdue.
pub const LOANS_OVERDUE: &str = "1302";
/// Loan-loss allowance.
pub const ALLOWANCE: &str = "1304";
/// Interest receivable.
pub const INTEREST_RECEIVABLE: &str = "1311";
/// Penalty interest receivable.
pub const PENALTY_RECEIVABLE: &str = "1312";
/// Fees receivable.
pub const FEES_RECEIVABLE: &str = "1313";
/// Migration clearing: the other side of balances brought from another system.
pub const MIGRATION_CLEARING: &str = "1901";
/// Overpayments by borrowers (advances).
pub const ADVANCES: &str = "2241";
/// Interest income.
pub const INTEREST_INCOME: &str = "6011";
/// Penalty interest income.
pub const PENALTY_INCOME: &str = "6012";
/// Fee income.
pub const FEE_INCOME: &str = "6021";
/// Recoveries of written-off loans.
pub const RECOVERIES: &str = "6031";
/// Provision expense.
pub const PROVISION_EXPENSE: &str = "6701";
/// Write-off expense.
pub const WRITE_OFF_EXPENSE: &str = "6702";

/// Expense of the discount a collection settlement grants (和解减免损失).
pub const SETTLEMENT_DISCOUNT: &str = "6703";

impl DayOutcome {
    /// Adds another loan's outcome to this total (for the summary entries of a close).
    pub fn add(&mut self, o: &DayOutcome) {
        self.interest_accrued += o.interest_accrued;
        self.interest_off_book += o.interest_off_book;
        self.penalty_accrued += o.penalty_accrued;
        self.compound_accrued += o.compound_accrued;
        self.penalty_off_book += o.penalty_off_book;
        self.principal_to_overdue += o.principal_to_overdue;
        self.late_fees += o.late_fees;
        self.advance_applied.add(&o.advance_applied);
        self.provision_delta += o.provision_delta;
        self.fell_due += o.fell_due;
        self.newly_overdue += o.newly_overdue;
    }
}

impl PaymentSplit {
    /// Adds another split to this total.
    pub fn add(&mut self, o: &PaymentSplit) {
        self.penalty_interest += o.penalty_interest;
        self.compound_interest += o.compound_interest;
        self.fees += o.fees;
        self.interest += o.interest;
        self.principal += o.principal;
        self.advance += o.advance;
        self.principal_overdue += o.principal_overdue;
        self.interest_off_book += o.interest_off_book;
        self.penalty_off_book += o.penalty_off_book;
        self.accrued_now += o.accrued_now;
        self.fees_charged += o.fees_charged;
    }
}

/// Collects lines, dropping zero amounts and turning a negative amount into the opposite
/// side.
struct Lines {
    lines: Vec<LineDraft>,
    loan_id: Option<i64>,
}

impl Lines {
    fn new(loan_id: Option<i64>) -> Self {
        Lines {
            lines: Vec::new(),
            loan_id,
        }
    }

    fn pair(&mut self, debit: &str, credit: &str, amount_minor: i64) {
        let (debit, credit, amount_minor) = if amount_minor < 0 {
            (credit, debit, -amount_minor)
        } else {
            (debit, credit, amount_minor)
        };
        if amount_minor == 0 {
            return;
        }
        self.push(debit, Side::Debit, amount_minor, None);
        self.push(credit, Side::Credit, amount_minor, None);
    }

    /// A line of `amount_minor` on `side`; a negative amount is the same amount on the
    /// other side (a prepayment that uses the advance held debits 2241 instead of
    /// crediting it).
    fn push(&mut self, account: &str, side: Side, amount_minor: i64, fund: Option<&str>) {
        if amount_minor == 0 {
            return;
        }
        let (side, amount_minor) = if amount_minor < 0 {
            let other = match side {
                Side::Debit => Side::Credit,
                Side::Credit => Side::Debit,
            };
            (other, -amount_minor)
        } else {
            (side, amount_minor)
        };
        let scoped = crate::ledger::find_account(account).is_some_and(|a| a.loan_scoped);
        self.lines.push(LineDraft {
            account: account.to_owned(),
            side,
            amount_minor,
            loan_id: if scoped { self.loan_id } else { None },
            funding_source: fund.map(str::to_owned),
        });
    }

    /// The credit side of a split (what it paid), and the advance held.
    fn credits(&mut self, s: &PaymentSplit) {
        let penalty = s.penalty_interest + s.compound_interest;
        self.push(
            PENALTY_RECEIVABLE,
            Side::Credit,
            penalty - s.penalty_off_book,
            None,
        );
        self.push(PENALTY_INCOME, Side::Credit, s.penalty_off_book, None);
        self.push(FEES_RECEIVABLE, Side::Credit, s.fees, None);
        self.push(
            INTEREST_RECEIVABLE,
            Side::Credit,
            s.interest - s.interest_off_book,
            None,
        );
        self.push(INTEREST_INCOME, Side::Credit, s.interest_off_book, None);
        self.push(LOANS_OVERDUE, Side::Credit, s.principal_overdue, None);
        self.push(
            LOANS_NORMAL,
            Side::Credit,
            s.principal - s.principal_overdue,
            None,
        );
        self.push(ADVANCES, Side::Credit, s.advance, None);
    }
}

/// The summary lines of a close for one product: the totals of its loans' outcomes,
/// without loan ids (control accounts). Advances applied are posted per loan
/// ([`advance_lines`]).
pub fn close_lines(total: &DayOutcome) -> Vec<LineDraft> {
    let mut l = Lines::new(None);
    l.pair(INTEREST_RECEIVABLE, INTEREST_INCOME, total.interest_accrued);
    l.pair(
        PENALTY_RECEIVABLE,
        PENALTY_INCOME,
        total.penalty_accrued + total.compound_accrued,
    );
    l.pair(LOANS_OVERDUE, LOANS_NORMAL, total.principal_to_overdue);
    l.pair(FEES_RECEIVABLE, FEE_INCOME, total.late_fees);
    l.pair(PROVISION_EXPENSE, ALLOWANCE, total.provision_delta);
    l.lines
}

/// The lines of an advance applied by the close to what fell due on one loan (posted per
/// loan, like a repayment, so principal reconciles loan by loan).
pub fn advance_lines(loan_id: i64, applied: &PaymentSplit) -> Vec<LineDraft> {
    let mut l = Lines::new(Some(loan_id));
    let paid = applied.total() - applied.advance;
    l.push(ADVANCES, Side::Debit, paid, None);
    l.credits(&PaymentSplit {
        advance: 0,
        ..applied.clone()
    });
    l.lines
}

/// The lines of a repayment of one loan received into `funding_source`'s account.
pub fn repayment_lines(loan_id: i64, funding_source: &str, split: &PaymentSplit) -> Vec<LineDraft> {
    let mut l = Lines::new(Some(loan_id));
    l.pair(INTEREST_RECEIVABLE, INTEREST_INCOME, split.accrued_now);
    l.pair(FEES_RECEIVABLE, FEE_INCOME, split.fees_charged);
    l.push(CASH, Side::Debit, split.total(), Some(funding_source));
    l.credits(split);
    l.lines
}

/// Lines taking back penalty income a backdated payment did not owe: Dr 6012 / Cr 1312
/// for the on-book part of `waived`. The off-book part shrinks first (it was never
/// posted), so only what `waived` takes beyond it was income. `before` is the account
/// before the payment.
pub fn waiver_lines(loan_id: i64, waived: i64, before: &LoanAccount) -> Vec<LineDraft> {
    let on_book = (waived - before.penalty_off_book).max(0);
    let mut l = Lines::new(Some(loan_id));
    if on_book > 0 {
        l.pair(PENALTY_INCOME, PENALTY_RECEIVABLE, on_book);
    }
    l.lines
}

/// The lines of a refund of `amount_minor` of a loan's advance, paid out of
/// `funding_source`'s account.
pub fn refund_lines(loan_id: i64, funding_source: &str, amount_minor: i64) -> Vec<LineDraft> {
    let mut l = Lines::new(Some(loan_id));
    l.push(ADVANCES, Side::Debit, amount_minor, None);
    l.push(CASH, Side::Credit, amount_minor, Some(funding_source));
    l.lines
}

/// The opening entry of a loan brought from another system: its balances on the loan's
/// control accounts, the provision on the allowance, the net against 1901 migration
/// clearing (cleared when the old system's books are closed out).
pub fn opening_lines(loan_id: i64, a: &LoanAccount) -> Vec<LineDraft> {
    let mut l = Lines::new(Some(loan_id));
    let debits = [
        (LOANS_NORMAL, a.principal_outstanding - a.overdue_principal),
        (LOANS_OVERDUE, a.overdue_principal),
        (INTEREST_RECEIVABLE, a.interest_owed() - a.interest_off_book),
        (
            PENALTY_RECEIVABLE,
            a.penalty_interest + a.compound_interest - a.penalty_off_book,
        ),
        (FEES_RECEIVABLE, a.fees_due),
    ];
    let credits = [(ADVANCES, a.advance_balance), (ALLOWANCE, a.provision)];
    let net: i64 =
        debits.iter().map(|d| d.1).sum::<i64>() - credits.iter().map(|c| c.1).sum::<i64>();
    for (account, amount) in debits {
        l.push(account, Side::Debit, amount, None);
    }
    for (account, amount) in credits {
        l.push(account, Side::Credit, amount, None);
    }
    if net >= 0 {
        l.push(MIGRATION_CLEARING, Side::Credit, net, None);
    } else {
        l.push(MIGRATION_CLEARING, Side::Debit, -net, None);
    }
    l.lines
}

/// The lines that take a book from the postings `from` to the postings `to` of one loan:
/// per account, the net of `to` less the net of `from`, with the loan on its loan-scoped
/// accounts and `funding_source` on cash. Both sets balance, so the difference does.
pub fn difference_lines(
    loan_id: i64,
    funding_source: &str,
    from: &[LineDraft],
    to: &[LineDraft],
) -> Vec<LineDraft> {
    let mut net = std::collections::BTreeMap::<&str, i64>::new();
    for (lines, sign) in [(from, -1i64), (to, 1)] {
        for line in lines {
            let signed = match line.side {
                Side::Debit => line.amount_minor,
                Side::Credit => -line.amount_minor,
            };
            *net.entry(line.account.as_str()).or_default() += sign * signed;
        }
    }
    let mut l = Lines::new(Some(loan_id));
    for (account, amount) in net {
        let fund = (account == CASH).then_some(funding_source);
        if amount > 0 {
            l.push(account, Side::Debit, amount, fund);
        } else {
            l.push(account, Side::Credit, -amount, fund);
        }
    }
    l.lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{check_entry, check_summary_entry};

    #[test]
    fn a_repayment_posts_cash_against_each_component() {
        let split = PaymentSplit {
            penalty_interest: 300,
            compound_interest: 50,
            fees: 1000,
            interest: 36250,
            principal: 816849,
            advance: 151,
            principal_overdue: 816849,
            accrued_now: 20,
            ..PaymentSplit::default()
        };
        let lines = repayment_lines(7, "FUND-A", &split);
        assert_eq!(check_entry(&lines), Ok(()));
        let cash: i64 = lines
            .iter()
            .filter(|l| l.account == CASH)
            .map(|l| l.amount_minor)
            .sum();
        // 300 + 50 + 1000 + 36250 + 816849 + 151
        assert_eq!(cash, 854_600);
        assert!(lines.iter().all(|l| l.account != LOANS_NORMAL));
    }

    #[test]
    fn a_prepayment_that_uses_the_advance_debits_it() {
        // 0.02 received with 100.00 held: 100.02 of principal not yet due repaid
        let split = PaymentSplit {
            principal: 10_002,
            advance: -10_000,
            ..PaymentSplit::default()
        };
        assert_eq!(split.total(), 2);
        let lines = repayment_lines(7, "FUND-A", &split);
        assert_eq!(check_entry(&lines), Ok(()));
        let side_of = |account: &str| {
            lines
                .iter()
                .find(|l| l.account == account)
                .map(|l| (l.side, l.amount_minor))
        };
        assert_eq!(side_of(CASH), Some((Side::Debit, 2)));
        assert_eq!(side_of(ADVANCES), Some((Side::Debit, 10_000)));
        assert_eq!(side_of(LOANS_NORMAL), Some((Side::Credit, 10_002)));
    }

    #[test]
    fn the_close_posts_balanced_summary_lines_and_reverses_negative_provisions() {
        let total = DayOutcome {
            interest_accrued: 1200,
            penalty_accrued: 148,
            compound_accrued: 3,
            principal_to_overdue: 816849,
            late_fees: 2000,
            provision_delta: -500,
            ..DayOutcome::default()
        };
        let lines = close_lines(&total);
        assert_eq!(check_summary_entry(&lines), Ok(()));
        let allowance = lines.iter().find(|l| l.account == ALLOWANCE).unwrap();
        assert_eq!((allowance.side, allowance.amount_minor), (Side::Debit, 500));
        assert!(check_entry(&lines).is_err(), "summary lines carry no loan");
    }
}
