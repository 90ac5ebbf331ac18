//! Fixtures shared by the unit tests of several modules.

use rust_decimal::Decimal;

use crate::date::{DayCount, Frequency};
use crate::money::{Currency, Money};
use crate::product::{Component, Eligibility, Fees, Product};
use crate::rounding::Rounding;
use crate::schedule::RepaymentMethod;

/// `text` yuan.
pub(crate) fn cny(text: &str) -> Money {
    Money::parse(text, Currency::CNY).unwrap()
}

/// A decimal from text.
pub(crate) fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// A consumer product: 1000–200000 CNY, 3–24 months, 7.2%–24%, 1% + 50.00 origination fee.
pub(crate) fn product() -> Product {
    Product {
        code: "CONSUMER-24".into(),
        name: "消费贷".into(),
        currency: Currency::CNY,
        amount_min: cny("1000"),
        amount_max: cny("200000"),
        term_min_months: 3,
        term_max_months: 24,
        rate_min: dec("0.072"),
        rate_max: dec("0.24"),
        methods: vec![RepaymentMethod::Annuity],
        frequency: Frequency::Monthly,
        rounding: Rounding::HalfUp,
        day_count: DayCount::Thirty360,
        grace_days: 3,
        penalty_multiplier: dec("1.5"),
        compound_interest: true,
        fees: Fees {
            origination_rate: dec("0.01"),
            origination_fixed: cny("50"),
            late_fee: cny("0"),
        },
        prepayment_penalty_rate: Decimal::ZERO,
        eligibility: Eligibility {
            age_min: 22,
            age_max: 60,
            provinces: vec![],
        },
        required_documents: vec![],
        secured: false,
        allocation_order: Component::DEFAULT_ORDER.to_vec(),
        funding_source: None,
        apr_cap: dec("0.24"),
    }
}
