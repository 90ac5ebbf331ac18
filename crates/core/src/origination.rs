//! Loan applications (贷款申请): their states and the pre-screen (初步审核).
//!
//! ```text
//! draft ─submit─► submitted ─pre-screen─► pre_screened ─► investigating ─► assessed ─► in_review ─► approved ─► contracted ─► disbursed
//!                     │                        │  └── straight-through (no investigation) ──┘ │
//!                     ├─ missing documents ──► returned ─(resubmit)─► submitted            ├─► declined
//!                     └─ compliance failure ─► declined                                   └─► returned
//! any state before contracted ─withdraw─► withdrawn
//! ```

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::money::Money;
use crate::product::Product;
use crate::rate::AnnualRate;
use crate::schedule::RepaymentMethod;

/// Where an application stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    /// Being filled in.
    Draft,
    /// Handed in; the pre-screen runs.
    Submitted,
    /// Passed the pre-screen.
    PreScreened,
    /// Under pre-loan investigation.
    Investigating,
    /// Assessed (fraud, AML, score, policy).
    Assessed,
    /// In the approval chain.
    InReview,
    /// Approved.
    Approved,
    /// Declined, with reasons.
    Declined,
    /// Returned to the applicant for more information.
    Returned,
    /// Withdrawn by the applicant.
    Withdrawn,
    /// The contract is signed.
    Contracted,
    /// Disbursed: a loan exists.
    Disbursed,
}

impl ApplicationStatus {
    /// Every status.
    pub const ALL: [ApplicationStatus; 12] = [
        ApplicationStatus::Draft,
        ApplicationStatus::Submitted,
        ApplicationStatus::PreScreened,
        ApplicationStatus::Investigating,
        ApplicationStatus::Assessed,
        ApplicationStatus::InReview,
        ApplicationStatus::Approved,
        ApplicationStatus::Declined,
        ApplicationStatus::Returned,
        ApplicationStatus::Withdrawn,
        ApplicationStatus::Contracted,
        ApplicationStatus::Disbursed,
    ];

    /// The code, e.g. `pre_screened`.
    pub fn code(self) -> &'static str {
        match self {
            ApplicationStatus::Draft => "draft",
            ApplicationStatus::Submitted => "submitted",
            ApplicationStatus::PreScreened => "pre_screened",
            ApplicationStatus::Investigating => "investigating",
            ApplicationStatus::Assessed => "assessed",
            ApplicationStatus::InReview => "in_review",
            ApplicationStatus::Approved => "approved",
            ApplicationStatus::Declined => "declined",
            ApplicationStatus::Returned => "returned",
            ApplicationStatus::Withdrawn => "withdrawn",
            ApplicationStatus::Contracted => "contracted",
            ApplicationStatus::Disbursed => "disbursed",
        }
    }

    /// Whether the state machine allows `self → to`.
    pub fn can_move_to(self, to: ApplicationStatus) -> bool {
        use ApplicationStatus::*;
        matches!(
            (self, to),
            (Draft | Returned, Submitted)
                | (Submitted, PreScreened | Returned | Declined)
                | (PreScreened, Investigating | Assessed | Declined)
                | (Investigating, Assessed | Returned | Declined)
                | (Assessed, InReview | Approved | Declined)
                | (InReview, InReview | Approved | Declined | Returned)
                | (Approved, Contracted | Declined)
                | (Contracted, Disbursed)
                | (
                    Draft
                        | Submitted
                        | PreScreened
                        | Investigating
                        | Assessed
                        | InReview
                        | Approved
                        | Returned,
                    Withdrawn
                )
        )
    }

    /// True when no further change is possible.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Declined
                | ApplicationStatus::Withdrawn
                | ApplicationStatus::Disbursed
        )
    }
}

impl fmt::Display for ApplicationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for ApplicationStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApplicationStatus::ALL
            .into_iter()
            .find(|a| a.code() == s)
            .ok_or_else(|| format!("unknown application status '{s}'"))
    }
}

/// Where an application comes from.
pub const CHANNELS: [&str; 4] = ["branch", "online", "app", "partner"];

/// What the pre-screen looks at.
#[derive(Clone, Debug)]
pub struct PrescreenFacts<'a> {
    /// The product version applied for.
    pub product: &'a Product,
    /// Amount asked.
    pub amount: Money,
    /// Term in months.
    pub term_months: u32,
    /// Repayment method asked.
    pub method: RepaymentMethod,
    /// Rate asked or offered, if any at this stage.
    pub rate: Option<AnnualRate>,
    /// The applicant's age on the business date (individuals).
    pub age: Option<u32>,
    /// The applicant's province.
    pub province: Option<&'a str>,
    /// The customer's status: `active`, `blacklisted`, `closed`.
    pub customer_status: &'a str,
    /// Kinds of the documents on file.
    pub documents: &'a [String],
}

/// A failed pre-screen rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrescreenFailure {
    /// The rule, e.g. `amount_range`.
    pub rule: &'static str,
    /// `completeness` (documents missing: return for more information) or `compliance`
    /// (a hard rule: decline).
    pub kind: &'static str,
    /// What failed, with the values.
    pub detail: String,
}

fn fail(rule: &'static str, kind: &'static str, detail: String) -> PrescreenFailure {
    PrescreenFailure { rule, kind, detail }
}

/// Every pre-screen rule the application breaks: completeness (the product's required
/// documents) and compliance (age range, allowed provinces, amount / term / rate bounds,
/// offered methods, the customer's status).
pub fn prescreen(facts: &PrescreenFacts<'_>) -> Vec<PrescreenFailure> {
    let p = facts.product;
    let mut failures = Vec::new();
    for required in &p.required_documents {
        if !facts.documents.contains(required) {
            failures.push(fail(
                "required_document",
                "completeness",
                format!("the product requires a {required} document"),
            ));
        }
    }
    match facts.customer_status {
        "active" => {}
        "blacklisted" => failures.push(fail(
            "blacklist",
            "compliance",
            "the customer is blacklisted".into(),
        )),
        other => failures.push(fail(
            "customer_status",
            "compliance",
            format!("the customer is {other}"),
        )),
    }
    let amount = facts.amount.amount_minor();
    if amount < p.amount_min.amount_minor() || amount > p.amount_max.amount_minor() {
        failures.push(fail(
            "amount_range",
            "compliance",
            format!(
                "{} is outside {}–{}",
                facts.amount, p.amount_min, p.amount_max
            ),
        ));
    }
    if facts.term_months < p.term_min_months || facts.term_months > p.term_max_months {
        failures.push(fail(
            "term_range",
            "compliance",
            format!(
                "{} months is outside {}–{}",
                facts.term_months, p.term_min_months, p.term_max_months
            ),
        ));
    }
    if !p.methods.contains(&facts.method) {
        failures.push(fail(
            "method",
            "compliance",
            format!("the product does not offer {}", facts.method),
        ));
    }
    if let Some(rate) = facts.rate {
        let r = rate.as_decimal();
        if r < p.rate_min || r > p.rate_max {
            failures.push(fail(
                "rate_range",
                "compliance",
                format!("{r} is outside {}–{}", p.rate_min, p.rate_max),
            ));
        }
    }
    if let Some(age) = facts.age {
        let e = &p.eligibility;
        if age < e.age_min || age > e.age_max {
            failures.push(fail(
                "age_range",
                "compliance",
                format!("age {age} is outside {}–{}", e.age_min, e.age_max),
            ));
        }
    }
    if !p.eligibility.provinces.is_empty() {
        match facts.province {
            Some(province) if p.eligibility.provinces.iter().any(|x| x == province) => {}
            Some(province) => failures.push(fail(
                "province",
                "compliance",
                format!(
                    "{province} is not among {}",
                    p.eligibility.provinces.join(", ")
                ),
            )),
            None => failures.push(fail(
                "province",
                "compliance",
                "the customer has no province on file".into(),
            )),
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::{DayCount, Frequency};
    use crate::money::Currency;
    use crate::product::{Component, Eligibility, Fees};
    use crate::rounding::Rounding;
    use rust_decimal::Decimal;

    fn cny(s: &str) -> Money {
        Money::parse(s, Currency::CNY).unwrap()
    }

    fn product() -> Product {
        Product {
            code: "GD".into(),
            name: "粤通".into(),
            currency: Currency::CNY,
            amount_min: cny("1000"),
            amount_max: cny("200000"),
            term_min_months: 3,
            term_max_months: 24,
            rate_min: "0.072".parse().unwrap(),
            rate_max: "0.24".parse().unwrap(),
            methods: vec![RepaymentMethod::Annuity],
            frequency: Frequency::Monthly,
            rounding: Rounding::HalfUp,
            day_count: DayCount::Thirty360,
            grace_days: 3,
            penalty_multiplier: Decimal::new(15, 1),
            compound_interest: true,
            fees: Fees {
                origination_rate: Decimal::ZERO,
                origination_fixed: cny("0"),
                late_fee: cny("0"),
            },
            prepayment_penalty_rate: Decimal::ZERO,
            eligibility: Eligibility {
                age_min: 22,
                age_max: 60,
                provinces: vec!["广东省".into()],
            },
            required_documents: vec!["id_card".into(), "bank_statement".into()],
            secured: false,
            allocation_order: Component::DEFAULT_ORDER.to_vec(),
            funding_source: None,
            apr_cap: "0.24".parse().unwrap(),
        }
    }

    #[test]
    fn a_clean_application_passes() {
        let p = product();
        let docs = vec!["id_card".to_owned(), "bank_statement".to_owned()];
        let facts = PrescreenFacts {
            product: &p,
            amount: cny("50000"),
            term_months: 12,
            method: RepaymentMethod::Annuity,
            rate: None,
            age: Some(36),
            province: Some("广东省"),
            customer_status: "active",
            documents: &docs,
        };
        assert_eq!(prescreen(&facts), vec![]);
    }

    #[test]
    fn every_failed_rule_is_listed() {
        let p = product();
        let docs = vec!["id_card".to_owned()];
        let facts = PrescreenFacts {
            product: &p,
            amount: cny("250000"),
            term_months: 36,
            method: RepaymentMethod::Bullet,
            rate: Some(AnnualRate::parse("0.30").unwrap()),
            age: Some(19),
            province: Some("湖南省"),
            customer_status: "blacklisted",
            documents: &docs,
        };
        let rules: Vec<_> = prescreen(&facts).iter().map(|f| (f.rule, f.kind)).collect();
        assert_eq!(
            rules,
            [
                ("required_document", "completeness"),
                ("blacklist", "compliance"),
                ("amount_range", "compliance"),
                ("term_range", "compliance"),
                ("method", "compliance"),
                ("rate_range", "compliance"),
                ("age_range", "compliance"),
                ("province", "compliance"),
            ]
        );
        assert_eq!(
            prescreen(&facts)[2].detail,
            "250000.00 is outside 1000.00–200000.00"
        );
    }

    #[test]
    fn the_state_machine() {
        use ApplicationStatus::*;
        assert!(Draft.can_move_to(Submitted));
        assert!(Returned.can_move_to(Submitted));
        assert!(Submitted.can_move_to(Declined));
        assert!(!Draft.can_move_to(Approved));
        assert!(!Disbursed.can_move_to(Withdrawn));
        assert!(!Declined.can_move_to(Submitted));
        assert!(Approved.can_move_to(Contracted));
        // straight-through: assessed without an investigation
        assert!(PreScreened.can_move_to(Assessed));
        assert!(!Submitted.can_move_to(Assessed));
        assert!(Declined.is_final() && Withdrawn.is_final() && Disbursed.is_final());
        for s in ApplicationStatus::ALL {
            assert_eq!(s.code().parse::<ApplicationStatus>(), Ok(s));
        }
    }
}
