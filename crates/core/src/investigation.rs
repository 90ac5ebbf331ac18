//! Pre-loan investigation (贷前调查): the financial ratios an analyst reads.
//!
//! - Debt-to-income (债务收入比): `(existing monthly debt payments + the new installment) /
//!   monthly income`.
//! - Debt-service coverage (偿债覆盖率): `annual operating cash flow / annual debt service
//!   (existing + the new loan's first-year payments)`.
//!
//! Ratios are exact decimals rounded half-up to four places.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::money::Money;

/// Decimal places of a ratio.
pub const RATIO_SCALE: u32 = 4;

fn ratio(numerator: i64, denominator: i64) -> Option<Decimal> {
    (denominator > 0).then(|| {
        (Decimal::from(numerator) / Decimal::from(denominator))
            .round_dp_with_strategy(RATIO_SCALE, RoundingStrategy::MidpointAwayFromZero)
    })
}

/// Debt-to-income; `None` without a positive income.
pub fn debt_to_income(
    monthly_income: Money,
    existing_monthly_debt: Money,
    new_installment: Money,
) -> Option<Decimal> {
    let debt = existing_monthly_debt
        .amount_minor()
        .checked_add(new_installment.amount_minor())?;
    ratio(debt, monthly_income.amount_minor())
}

/// Debt-service coverage; `None` without any debt service.
pub fn debt_service_coverage(
    annual_operating_cash_flow: Money,
    existing_annual_debt_service: Money,
    new_annual_debt_service: Money,
) -> Option<Decimal> {
    let service = existing_annual_debt_service
        .amount_minor()
        .checked_add(new_annual_debt_service.amount_minor())?;
    ratio(annual_operating_cash_flow.amount_minor(), service)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn cny(s: &str) -> Money {
        Money::parse(s, Currency::CNY).unwrap()
    }

    #[test]
    fn dti_by_hand() {
        // (2000.00 + 8530.99) / 18500.00 = 0.569242… → 0.5692
        assert_eq!(
            debt_to_income(cny("18500"), cny("2000"), cny("8530.99")),
            Some("0.5692".parse().unwrap())
        );
        assert_eq!(debt_to_income(cny("0"), cny("1"), cny("1")), None);
    }

    #[test]
    fn dscr_by_hand() {
        // 1,200,000 / (300,000 + 502,371.90) = 1.495566… → 1.4956
        assert_eq!(
            debt_service_coverage(cny("1200000"), cny("300000"), cny("502371.90")),
            Some("1.4956".parse().unwrap())
        );
        assert_eq!(debt_service_coverage(cny("1"), cny("0"), cny("0")), None);
    }
}
