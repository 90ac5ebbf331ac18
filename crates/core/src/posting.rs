//! Named posting templates: the journal lines a business event posts.
//!
//! A disbursement (放款) of a loan (or of one of its tranches) posts:
//!
//! ```text
//! Dr 1301 Loans receivable — normal   (loan)            amount
//!     Cr 1001 Cash and bank           (funding source)  amount
//! Dr 1313 Fees receivable             (loan)            origination fee   ─┐ only when
//!     Cr 6021 Fee income                                origination fee   ─┘ the fee > 0
//! ```
//!
//! Decision: the origination fee is charged as a receivable and collected by the
//! repayment waterfall like any other fee; it is never deducted from the amount paid out.
//! Deducting fees or interest from the principal up front (砍头息) is prohibited in China
//! (Civil Code art. 670: the loan is the amount actually paid), and it would also make the
//! borrower's schedule and APR rest on money never received. So the borrower receives
//! `amount` in full and the loans receivable equal exactly what left the cash account.

use crate::ledger::{LineDraft, Side};
use crate::money::{Money, MoneyError};
use crate::product::Product;

/// 1301 Loans receivable — normal.
pub const LOANS_RECEIVABLE: &str = "1301";
/// 1001 Cash and bank, per funding source.
pub const CASH: &str = "1001";
/// 1313 Fees receivable.
pub const FEES_RECEIVABLE: &str = "1313";
/// 6021 Fee income.
pub const FEE_INCOME: &str = "6021";

fn line(account: &str, side: Side, amount: Money) -> LineDraft {
    LineDraft {
        account: account.to_owned(),
        side,
        amount_minor: amount.amount_minor(),
        loan_id: None,
        funding_source: None,
    }
}

/// The lines a disbursement of `amount` of loan `loan_id` from `funding_source` posts,
/// with the loan's `origination_fee` charged when it is positive (see the module docs).
///
/// The caller passes a positive `amount` (checked by [`crate::tranche::check_tranche`]);
/// [`crate::ledger::check_entry`] then accepts the lines.
pub fn disbursement_lines(
    loan_id: i64,
    funding_source: &str,
    amount: Money,
    origination_fee: Money,
) -> Vec<LineDraft> {
    let mut lines = vec![
        LineDraft {
            loan_id: Some(loan_id),
            ..line(LOANS_RECEIVABLE, Side::Debit, amount)
        },
        LineDraft {
            funding_source: Some(funding_source.to_owned()),
            ..line(CASH, Side::Credit, amount)
        },
    ];
    if origination_fee.is_positive() {
        lines.push(LineDraft {
            loan_id: Some(loan_id),
            ..line(FEES_RECEIVABLE, Side::Debit, origination_fee)
        });
        lines.push(line(FEE_INCOME, Side::Credit, origination_fee));
    }
    lines
}

/// The origination fee of a loan of `amount` under `product`:
/// `amount × fees.origination_rate`, rounded to the minor unit (2 places) by the product's
/// rounding, plus `fees.origination_fixed`.
///
/// # Errors
/// [`MoneyError::CurrencyMismatch`] when `amount` is not in the product's currency (of its
/// fixed fee); [`MoneyError::Overflow`] above the money limit.
pub fn origination_fee(product: &Product, amount: Money) -> Result<Money, MoneyError> {
    let fees = &product.fees;
    amount
        .mul_decimal(fees.origination_rate, product.rounding)?
        .checked_add(fees.origination_fixed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::check_entry;
    use crate::money::Currency;
    use crate::rounding::Rounding;
    use crate::test_support::{cny, dec, product};
    use rust_decimal::Decimal;

    #[test]
    fn a_disbursement_with_a_fee_posts_four_balanced_lines() {
        let lines = disbursement_lines(42, "FUND-A", cny("100000"), cny("1050"));
        assert_eq!(check_entry(&lines), Ok(()));
        type Row<'a> = (&'a str, Side, i64, Option<i64>, Option<&'a str>);
        let summary: Vec<Row> = lines
            .iter()
            .map(|l| {
                (
                    l.account.as_str(),
                    l.side,
                    l.amount_minor,
                    l.loan_id,
                    l.funding_source.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("1301", Side::Debit, 10_000_000, Some(42), None),
                ("1001", Side::Credit, 10_000_000, None, Some("FUND-A")),
                ("1313", Side::Debit, 105_000, Some(42), None),
                ("6021", Side::Credit, 105_000, None, None),
            ]
        );
    }

    #[test]
    fn without_a_fee_only_the_principal_moves() {
        let lines = disbursement_lines(7, "FUND-B", cny("0.01"), cny("0"));
        assert_eq!(lines.len(), 2);
        assert_eq!(check_entry(&lines), Ok(()));
        // a negative fee is never posted
        let lines = disbursement_lines(7, "FUND-B", cny("500"), cny("-1"));
        assert_eq!(lines.len(), 2);
        assert_eq!(check_entry(&lines), Ok(()));
    }

    #[test]
    fn every_disbursement_balances() {
        for amount in [1, 99, 10_000_000, 10_000_000_000_000] {
            for fee in [0, 1, 5_000, 123_456_789] {
                let lines = disbursement_lines(
                    1,
                    "F",
                    Money::from_minor(amount, Currency::CNY),
                    Money::from_minor(fee, Currency::CNY),
                );
                assert_eq!(check_entry(&lines), Ok(()), "{amount} {fee}");
            }
        }
    }

    #[test]
    fn origination_fee_golden() {
        let p = product(); // 1% + 50.00
        // 100000 × 0.01 = 1000.00; + 50.00 = 1050.00
        assert_eq!(origination_fee(&p, cny("100000")), Ok(cny("1050")));
        let mut p = product();
        p.fees.origination_rate = dec("0.0125");
        p.fees.origination_fixed = cny("0");
        // 33333.33 × 0.0125 = 416.666625 → 416.67
        assert_eq!(origination_fee(&p, cny("33333.33")), Ok(cny("416.67")));
        // 1234.00 × 0.0125 = 15.425 → 15.43 half up, 15.42 half even
        assert_eq!(origination_fee(&p, cny("1234")), Ok(cny("15.43")));
        p.rounding = Rounding::HalfEven;
        assert_eq!(origination_fee(&p, cny("1234")), Ok(cny("15.42")));
        // no fee at all
        p.fees.origination_rate = Decimal::ZERO;
        assert_eq!(origination_fee(&p, cny("1234")), Ok(cny("0")));
        // another currency than the fixed fee's
        assert!(matches!(
            origination_fee(&product(), Money::from_minor(100, Currency::USD)),
            Err(MoneyError::CurrencyMismatch(..))
        ));
    }
}
