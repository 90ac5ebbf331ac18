//! Early warning (风险预警): the rules, their severity, and the tests of the signals that
//! come from outside the close (bureau reports, income, collateral, watch lists).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A warning rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The first installment was not paid (首期违约).
    FirstPaymentDefault,
    /// The loan is past due.
    PastDue,
    /// A promise to pay was broken.
    BrokenPromise,
    /// A new bureau report shows more delinquencies than the last.
    BureauDelinquency,
    /// Income or revenue fell sharply.
    IncomeDrop,
    /// The loan is large against its collateral's value.
    CollateralLtv,
    /// The customer's industry or region is on the watch list.
    WatchList,
}

/// How serious a warning is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Watch.
    Low,
    /// Act within the week.
    Medium,
    /// Act today.
    High,
}

impl Severity {
    /// The code.
    pub const fn code(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 7] = [
        Rule::FirstPaymentDefault,
        Rule::PastDue,
        Rule::BrokenPromise,
        Rule::BureauDelinquency,
        Rule::IncomeDrop,
        Rule::CollateralLtv,
        Rule::WatchList,
    ];

    /// The code, e.g. `first_payment_default`.
    pub const fn code(self) -> &'static str {
        match self {
            Rule::FirstPaymentDefault => "first_payment_default",
            Rule::PastDue => "past_due",
            Rule::BrokenPromise => "broken_promise",
            Rule::BureauDelinquency => "bureau_delinquency",
            Rule::IncomeDrop => "income_drop",
            Rule::CollateralLtv => "collateral_ltv",
            Rule::WatchList => "watch_list",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The severity a warning of the rule starts with.
    pub const fn severity(self) -> Severity {
        match self {
            Rule::FirstPaymentDefault | Rule::BrokenPromise | Rule::CollateralLtv => Severity::High,
            Rule::BureauDelinquency | Rule::IncomeDrop | Rule::WatchList => Severity::Medium,
            Rule::PastDue => Severity::Low,
        }
    }
}

/// What can be done about a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Lower the amount the loan may still draw.
    ReduceLimit,
    /// Stop further drawing.
    FreezeLimit,
    /// Ask the borrower for more collateral (a task).
    RequestCollateral,
    /// Ask for a guarantor (a task).
    RequestGuarantor,
    /// Demand full repayment (宣布提前到期): everything outstanding falls due.
    Accelerate,
    /// Open a collection case now.
    HandToCollections,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 6] = [
        Action::ReduceLimit,
        Action::FreezeLimit,
        Action::RequestCollateral,
        Action::RequestGuarantor,
        Action::Accelerate,
        Action::HandToCollections,
    ];

    /// The code.
    pub const fn code(self) -> &'static str {
        match self {
            Action::ReduceLimit => "reduce_limit",
            Action::FreezeLimit => "freeze_limit",
            Action::RequestCollateral => "request_collateral",
            Action::RequestGuarantor => "request_guarantor",
            Action::Accelerate => "accelerate",
            Action::HandToCollections => "hand_to_collections",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// Thresholds of the rules that compare numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Loan-to-value above which collateral is short (e.g. 0.80).
    pub max_ltv: Decimal,
    /// A fall of income or revenue by at least this share warns (e.g. 0.30).
    pub income_drop: Decimal,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_ltv: Decimal::new(80, 2),
            income_drop: Decimal::new(30, 2),
        }
    }
}

impl Thresholds {
    /// The loan-to-value ratio (4 places) when it is above the threshold.
    pub fn ltv_breach(&self, outstanding: i64, valuation: i64) -> Option<Decimal> {
        if outstanding <= 0 {
            return None;
        }
        if valuation <= 0 {
            return Some(Decimal::ONE_HUNDRED);
        }
        let ltv = Decimal::from(outstanding) / Decimal::from(valuation);
        (ltv > self.max_ltv).then_some(ltv.round_dp(4))
    }

    /// The fall (share, 4 places) when income went from `before` to `after` by at least the
    /// threshold.
    pub fn income_fall(&self, before: i64, after: i64) -> Option<Decimal> {
        if before <= 0 || after >= before {
            return None;
        }
        let fall = (Decimal::from(before - after) / Decimal::from(before)).round_dp(4);
        (fall >= self.income_drop).then_some(fall)
    }
}

/// Whether a loan's first installment is the one past due (first-payment default):
/// nothing was ever paid on time and the oldest unpaid installment is the first.
pub fn first_payment_default(oldest_unpaid_is_first: bool, dpd: u32) -> bool {
    oldest_unpaid_is_first && dpd >= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ltv_above_the_threshold_warns() {
        let t = Thresholds::default();
        assert_eq!(t.ltv_breach(80_000, 100_000), None);
        // compared exactly, shown to four places
        assert_eq!(t.ltv_breach(80_001, 100_000), Some(Decimal::new(8000, 4)));
        assert_eq!(t.ltv_breach(80_010, 100_000), Some(Decimal::new(8001, 4)));
        assert_eq!(t.ltv_breach(90_000, 100_000), Some(Decimal::new(9000, 4)));
        assert_eq!(t.ltv_breach(1, 0), Some(Decimal::ONE_HUNDRED));
        assert_eq!(t.ltv_breach(0, 100), None);
    }

    #[test]
    fn an_income_fall_of_thirty_percent_warns() {
        let t = Thresholds::default();
        assert_eq!(t.income_fall(10_000, 7_000), Some(Decimal::new(3000, 4)));
        assert_eq!(t.income_fall(10_000, 7_001), None);
        assert_eq!(t.income_fall(10_000, 12_000), None);
        assert_eq!(t.income_fall(0, 0), None);
    }

    #[test]
    fn rules_and_actions_parse_back_and_have_severities() {
        for r in Rule::ALL {
            assert_eq!(Rule::parse(r.code()), Some(r));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.code()), Some(a));
        }
        assert_eq!(Rule::FirstPaymentDefault.severity(), Severity::High);
        assert_eq!(Rule::PastDue.severity(), Severity::Low);
        assert!(first_payment_default(true, 1));
        assert!(!first_payment_default(false, 40));
        assert!(!first_payment_default(true, 0));
    }
}
