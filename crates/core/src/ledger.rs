//! The chart of accounts and the rule every journal entry obeys: Σ debit = Σ credit.

use serde::Serialize;

/// What kind of account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// 资产
    Asset,
    /// 负债
    Liability,
    /// 所有者权益
    Equity,
    /// 收入
    Income,
    /// 费用
    Expense,
}

impl AccountKind {
    /// The code used in the database.
    pub fn code(self) -> &'static str {
        match self {
            AccountKind::Asset => "asset",
            AccountKind::Liability => "liability",
            AccountKind::Equity => "equity",
            AccountKind::Income => "income",
            AccountKind::Expense => "expense",
        }
    }

    /// The side on which the account's balance normally stands.
    pub fn normal_side(self) -> Side {
        match self {
            AccountKind::Asset | AccountKind::Expense => Side::Debit,
            AccountKind::Liability | AccountKind::Equity | AccountKind::Income => Side::Credit,
        }
    }
}

/// Debit or credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// 借
    Debit,
    /// 贷
    Credit,
}

impl Side {
    /// `debit` or `credit`.
    pub fn code(self) -> &'static str {
        match self {
            Side::Debit => "debit",
            Side::Credit => "credit",
        }
    }
}

/// A general-ledger account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Code, e.g. `1301`.
    pub code: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// Chinese name.
    pub name_zh: &'static str,
    /// Kind.
    pub kind: AccountKind,
    /// True for control accounts whose lines each name a loan (the subledger).
    pub loan_scoped: bool,
}

const fn account(
    code: &'static str,
    name_en: &'static str,
    name_zh: &'static str,
    kind: AccountKind,
    loan_scoped: bool,
) -> Account {
    Account {
        code,
        name_en,
        name_zh,
        kind,
        loan_scoped,
    }
}

/// The chart of accounts every loanbook starts with. Cash is kept per funding source
/// by the `funding_source` of each line.
pub const CHART: &[Account] = &[
    account(
        "1001",
        "Cash and bank (per funding source)",
        "银行存款（按资金来源）",
        AccountKind::Asset,
        false,
    ),
    account(
        "1301",
        "Loans receivable — normal",
        "贷款—正常",
        AccountKind::Asset,
        true,
    ),
    account(
        "1302",
        "Loans receivable — overdue",
        "贷款—逾期",
        AccountKind::Asset,
        true,
    ),
    account(
        "1311",
        "Interest receivable",
        "应收利息",
        AccountKind::Asset,
        true,
    ),
    account(
        "1312",
        "Penalty interest receivable",
        "应收罚息",
        AccountKind::Asset,
        true,
    ),
    account(
        "1313",
        "Fees receivable",
        "应收费用",
        AccountKind::Asset,
        true,
    ),
    account(
        "1304",
        "Loan-loss allowance",
        "贷款损失准备",
        AccountKind::Asset,
        false,
    ),
    account(
        "1901",
        "Migration clearing (books brought from another system)",
        "系统迁移过渡",
        AccountKind::Asset,
        false,
    ),
    account(
        "2001",
        "Borrowings from funding sources",
        "借入资金",
        AccountKind::Liability,
        false,
    ),
    account(
        "2241",
        "Overpayments by borrowers",
        "客户溢缴款",
        AccountKind::Liability,
        true,
    ),
    account("3001", "Capital", "实收资本", AccountKind::Equity, false),
    account(
        "6011",
        "Interest income",
        "利息收入",
        AccountKind::Income,
        false,
    ),
    account(
        "6012",
        "Penalty interest income",
        "罚息收入",
        AccountKind::Income,
        false,
    ),
    account(
        "6021",
        "Fee income",
        "手续费收入",
        AccountKind::Income,
        false,
    ),
    account(
        "6031",
        "Recoveries of written-off loans",
        "核销后收回",
        AccountKind::Income,
        false,
    ),
    account(
        "6701",
        "Provision expense",
        "贷款减值损失",
        AccountKind::Expense,
        false,
    ),
    account(
        "6702",
        "Write-off expense",
        "核销损失",
        AccountKind::Expense,
        false,
    ),
    account(
        "6703",
        "Settlement discounts",
        "和解减免损失",
        AccountKind::Expense,
        false,
    ),
];

/// The account with `code`, if it is in the chart.
pub fn find_account(code: &str) -> Option<&'static Account> {
    CHART.iter().find(|a| a.code == code)
}

/// One line of a journal entry: an amount on one side of one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineDraft {
    /// Account code.
    pub account: String,
    /// Debit or credit.
    pub side: Side,
    /// Amount in minor units, positive.
    pub amount_minor: i64,
    /// The loan, for loan-scoped accounts.
    pub loan_id: Option<i64>,
    /// The funding source, for cash lines.
    pub funding_source: Option<String>,
}

/// Why an entry cannot be posted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Fewer than two lines.
    #[error("an entry needs at least two lines")]
    TooFewLines,
    /// An account outside the chart.
    #[error("line {line}: unknown account '{account}'")]
    UnknownAccount {
        /// 1-based line number.
        line: usize,
        /// The code given.
        account: String,
    },
    /// A zero or negative amount.
    #[error("line {line}: the amount must be greater than 0")]
    NonPositive {
        /// 1-based line number.
        line: usize,
    },
    /// A loan-scoped account without a loan.
    #[error("line {line}: account {account} is kept per loan and needs a loan_id")]
    MissingLoan {
        /// 1-based line number.
        line: usize,
        /// The account.
        account: String,
    },
    /// Σ debit ≠ Σ credit.
    #[error("debits {debit_minor} and credits {credit_minor} (minor units) do not balance")]
    Unbalanced {
        /// Σ debit.
        debit_minor: i64,
        /// Σ credit.
        credit_minor: i64,
    },
}

/// Checks that `lines` can be posted: at least two, known accounts, positive amounts,
/// loans on loan-scoped accounts, and Σ debit = Σ credit.
///
/// # Errors
/// The first rule broken.
pub fn check_entry(lines: &[LineDraft]) -> Result<(), EntryError> {
    check_lines(lines, true)
}

/// Checks a summary entry of the daily close: as [`check_entry`], but loan-scoped accounts
/// are posted in total per product (their control accounts), without a loan; the per-loan
/// balances are kept on the loans and reconciled in total by `ledger check`.
///
/// # Errors
/// The first rule broken.
pub fn check_summary_entry(lines: &[LineDraft]) -> Result<(), EntryError> {
    check_lines(lines, false)
}

fn check_lines(lines: &[LineDraft], per_loan: bool) -> Result<(), EntryError> {
    if lines.len() < 2 {
        return Err(EntryError::TooFewLines);
    }
    let (mut debit, mut credit) = (0i64, 0i64);
    for (index, l) in lines.iter().enumerate() {
        let line = index + 1;
        let account = find_account(&l.account).ok_or_else(|| EntryError::UnknownAccount {
            line,
            account: l.account.clone(),
        })?;
        if l.amount_minor <= 0 {
            return Err(EntryError::NonPositive { line });
        }
        if per_loan && account.loan_scoped && l.loan_id.is_none() {
            return Err(EntryError::MissingLoan {
                line,
                account: l.account.clone(),
            });
        }
        let total = match l.side {
            Side::Debit => &mut debit,
            Side::Credit => &mut credit,
        };
        *total = total
            .checked_add(l.amount_minor)
            .ok_or(EntryError::Unbalanced {
                debit_minor: i64::MAX,
                credit_minor: i64::MAX,
            })?;
    }
    if debit != credit {
        return Err(EntryError::Unbalanced {
            debit_minor: debit,
            credit_minor: credit,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(account: &str, side: Side, amount_minor: i64, loan_id: Option<i64>) -> LineDraft {
        LineDraft {
            account: account.into(),
            side,
            amount_minor,
            loan_id,
            funding_source: None,
        }
    }

    #[test]
    fn a_disbursement_balances() {
        // disburse 100000.00 of loan 7: Dr loans receivable, Cr cash
        let lines = [
            line("1301", Side::Debit, 10_000_000, Some(7)),
            line("1001", Side::Credit, 10_000_000, None),
        ];
        assert_eq!(check_entry(&lines), Ok(()));
    }

    #[test]
    fn refuses_broken_entries() {
        assert_eq!(
            check_entry(&[line("1001", Side::Debit, 1, None)]),
            Err(EntryError::TooFewLines)
        );
        assert_eq!(
            check_entry(&[
                line("1001", Side::Debit, 5, None),
                line("6011", Side::Credit, 4, None)
            ]),
            Err(EntryError::Unbalanced {
                debit_minor: 5,
                credit_minor: 4
            })
        );
        assert!(matches!(
            check_entry(&[
                line("9999", Side::Debit, 5, None),
                line("6011", Side::Credit, 5, None)
            ]),
            Err(EntryError::UnknownAccount { line: 1, .. })
        ));
        assert!(matches!(
            check_entry(&[
                line("1301", Side::Debit, 5, None),
                line("1001", Side::Credit, 5, None)
            ]),
            Err(EntryError::MissingLoan { line: 1, .. })
        ));
        assert_eq!(
            check_entry(&[
                line("1001", Side::Debit, 0, None),
                line("6011", Side::Credit, 0, None)
            ]),
            Err(EntryError::NonPositive { line: 1 })
        );
    }

    #[test]
    fn chart_codes_are_unique() {
        let mut codes: Vec<_> = CHART.iter().map(|a| a.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CHART.len());
    }
}
