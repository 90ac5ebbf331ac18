//! Loan products (贷款产品): the terms a lender offers, and the rules a product
//! definition must satisfy. Products are versioned by the store; a loan keeps the
//! version it was made under.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::date::{DayCount, Frequency};
use crate::money::{Currency, Money};
use crate::rounding::Rounding;
use crate::schedule::{MAX_TERM, RepaymentMethod};

/// A component of what a borrower owes, for the repayment allocation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// Fees (late fee and other charges).
    Fees,
    /// 罚息: penalty interest on overdue principal.
    PenaltyInterest,
    /// 复利: compound interest on overdue interest.
    CompoundInterest,
    /// Contractual interest.
    Interest,
    /// Principal.
    Principal,
}

impl Component {
    /// All components in the default allocation order: fees, penalty interest, compound
    /// interest, interest, principal (costs first, principal last).
    pub const DEFAULT_ORDER: [Component; 5] = [
        Component::Fees,
        Component::PenaltyInterest,
        Component::CompoundInterest,
        Component::Interest,
        Component::Principal,
    ];

    /// The code used in configuration.
    pub fn code(self) -> &'static str {
        match self {
            Component::Fees => "fees",
            Component::PenaltyInterest => "penalty_interest",
            Component::CompoundInterest => "compound_interest",
            Component::Interest => "interest",
            Component::Principal => "principal",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Component> {
        Component::DEFAULT_ORDER
            .into_iter()
            .find(|c| c.code() == code)
    }
}

/// Fees of a product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fees {
    /// Origination fee as a share of the principal (e.g. 0.01).
    pub origination_rate: Decimal,
    /// Fixed origination fee.
    pub origination_fixed: Money,
    /// Fee charged once per overdue installment.
    pub late_fee: Money,
}

/// Who may borrow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Eligibility {
    /// Youngest age at application.
    pub age_min: u32,
    /// Oldest age at application.
    pub age_max: u32,
    /// Provinces where borrowers must live (empty: anywhere), e.g. for an in-province
    /// internet-lending product.
    pub provinces: Vec<String>,
}

/// A product definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Product {
    /// Short code, e.g. `CONSUMER-12`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Currency of every amount.
    pub currency: Currency,
    /// Smallest principal.
    pub amount_min: Money,
    /// Largest principal.
    pub amount_max: Money,
    /// Shortest term in months.
    pub term_min_months: u32,
    /// Longest term in months.
    pub term_max_months: u32,
    /// Lowest annual rate.
    pub rate_min: Decimal,
    /// Highest annual rate.
    pub rate_max: Decimal,
    /// Repayment methods offered.
    pub methods: Vec<RepaymentMethod>,
    /// Repayment frequency.
    pub frequency: Frequency,
    /// Rounding of every amount.
    pub rounding: Rounding,
    /// Day count of period interest.
    pub day_count: DayCount,
    /// Days after a due date within which payment is on time (宽限期).
    pub grace_days: u32,
    /// Penalty rate = contract rate × this (罚息, default 1.5).
    pub penalty_multiplier: Decimal,
    /// Whether overdue interest earns compound interest (复利).
    pub compound_interest: bool,
    /// Fees.
    pub fees: Fees,
    /// Prepayment penalty as a share of the principal prepaid.
    pub prepayment_penalty_rate: Decimal,
    /// Who may borrow.
    pub eligibility: Eligibility,
    /// Document kinds an application must carry.
    pub required_documents: Vec<String>,
    /// Whether collateral is required.
    pub secured: bool,
    /// Order in which a repayment settles what is owed.
    pub allocation_order: Vec<Component>,
    /// Funding source code, if fixed by the product.
    pub funding_source: Option<String>,
    /// Ceiling on the APR (e.g. 0.24); offers above it are refused.
    pub apr_cap: Decimal,
}

/// A rule a product definition breaks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field, e.g. `amount_max`.
    pub field: String,
    /// The rule, with the offending value.
    pub rule: String,
}

impl FieldError {
    /// A new field error.
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

/// Most characters in a product code.
pub const MAX_CODE_LEN: usize = 32;

impl Product {
    /// Every rule the definition breaks (empty when valid).
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, rule: String| errors.push(FieldError::new(field, rule));
        let code_ok = !self.code.is_empty()
            && self.code.len() <= MAX_CODE_LEN
            && self
                .code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !code_ok {
            fail(
                "code",
                format!(
                    "must be 1–32 of A–Z, 0–9, '-' and '_' (got '{}')",
                    self.code
                ),
            );
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            fail("name", "must be 1–100 characters".into());
        }
        if !self.amount_min.is_positive() {
            fail(
                "amount_min",
                format!("must be greater than 0 (got {})", self.amount_min),
            );
        }
        if self.amount_max.amount_minor() < self.amount_min.amount_minor() {
            fail(
                "amount_max",
                format!(
                    "must be at least amount_min {} (got {})",
                    self.amount_min, self.amount_max
                ),
            );
        }
        if !(1..=MAX_TERM).contains(&self.term_min_months) {
            fail(
                "term_min_months",
                format!(
                    "must be between 1 and {MAX_TERM} (got {})",
                    self.term_min_months
                ),
            );
        }
        if self.term_max_months < self.term_min_months || self.term_max_months > MAX_TERM {
            fail(
                "term_max_months",
                format!(
                    "must be between term_min_months {} and {MAX_TERM} (got {})",
                    self.term_min_months, self.term_max_months
                ),
            );
        }
        if self.rate_min < Decimal::ZERO || self.rate_min >= Decimal::ONE {
            fail(
                "rate_min",
                format!("must be at least 0 and below 1 (got {})", self.rate_min),
            );
        }
        if self.rate_max < self.rate_min || self.rate_max >= Decimal::ONE {
            fail(
                "rate_max",
                format!(
                    "must be at least rate_min {} and below 1 (got {})",
                    self.rate_min, self.rate_max
                ),
            );
        }
        if self.rate_max > self.apr_cap {
            fail(
                "rate_max",
                format!(
                    "must not exceed the APR cap {} (got {})",
                    self.apr_cap, self.rate_max
                ),
            );
        }
        if self.methods.is_empty() {
            fail("methods", "must name at least one repayment method".into());
        }
        if self.grace_days > 90 {
            fail(
                "grace_days",
                format!("must be between 0 and 90 (got {})", self.grace_days),
            );
        }
        if self.penalty_multiplier < Decimal::ONE || self.penalty_multiplier > Decimal::from(3) {
            fail(
                "penalty_multiplier",
                format!("must be between 1 and 3 (got {})", self.penalty_multiplier),
            );
        }
        let share = |d: Decimal| d >= Decimal::ZERO && d < Decimal::ONE;
        if !share(self.fees.origination_rate) {
            fail(
                "fees.origination_rate",
                format!(
                    "must be at least 0 and below 1 (got {})",
                    self.fees.origination_rate
                ),
            );
        }
        if self.fees.origination_fixed.is_negative() {
            fail("fees.origination_fixed", "must not be negative".into());
        }
        if self.fees.late_fee.is_negative() {
            fail("fees.late_fee", "must not be negative".into());
        }
        if !share(self.prepayment_penalty_rate) {
            fail(
                "prepayment_penalty_rate",
                format!(
                    "must be at least 0 and below 1 (got {})",
                    self.prepayment_penalty_rate
                ),
            );
        }
        let e = &self.eligibility;
        if e.age_min < 18 || e.age_max < e.age_min || e.age_max > 100 {
            fail(
                "eligibility",
                format!(
                    "ages must satisfy 18 ≤ age_min ≤ age_max ≤ 100 (got {}–{})",
                    e.age_min, e.age_max
                ),
            );
        }
        let mut order = self.allocation_order.clone();
        order.sort_by_key(|c| c.code());
        order.dedup();
        if order.len() != 5 || self.allocation_order.len() != 5 {
            fail(
                "allocation_order",
                "must list each of fees, penalty_interest, compound_interest, interest, principal exactly once".into(),
            );
        }
        if self.apr_cap <= Decimal::ZERO || self.apr_cap >= Decimal::TEN {
            fail(
                "apr_cap",
                format!("must be above 0 and below 10 (got {})", self.apr_cap),
            );
        }
        errors
    }
}
