//! The delegation of authority (授权): which steps an application needs, by product,
//! amount and risk grade.

use serde::{Deserialize, Serialize};

use super::{MAX_SLA_HOURS, MAX_STEPS, MAX_VOTERS, REFERRAL_SLA_HOURS, StepKind, StepSpec};

/// Most rules in one authority table.
pub const MAX_RULES: usize = 200;

/// One row of the delegation of authority: when it applies and the steps it requires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityRule {
    /// Evaluation order: the lowest number is tried first. Unique within a table.
    pub priority: u32,
    /// The product code the rule applies to; `None` for any product.
    #[serde(default)]
    pub product_code: Option<String>,
    /// Smallest amount, in minor units, inclusive.
    #[serde(default)]
    pub min_amount_minor: i64,
    /// Largest amount, in minor units, inclusive; `None` for no upper bound.
    #[serde(default)]
    pub max_amount_minor: Option<i64>,
    /// Risk grades the rule applies to; empty for any grade.
    #[serde(default)]
    pub risk_grades: Vec<String>,
    /// The steps, in order.
    pub steps: Vec<StepSpec>,
}

impl AuthorityRule {
    /// Whether the rule applies to an application of `product_code`, `amount_minor` and
    /// `risk_grade`.
    pub fn matches(&self, product_code: &str, amount_minor: i64, risk_grade: &str) -> bool {
        let product = self
            .product_code
            .as_deref()
            .is_none_or(|p| p == product_code);
        let amount = amount_minor >= self.min_amount_minor
            && self.max_amount_minor.is_none_or(|max| amount_minor <= max);
        let grade = self.risk_grades.is_empty() || self.risk_grades.iter().any(|g| g == risk_grade);
        product && amount && grade
    }

    /// Every rule this row breaks, as (field, rule) pairs.
    fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut fail = |field: String, rule: String| problems.push((field, rule));
        if self.product_code.as_deref().is_some_and(str::is_empty) {
            fail(
                "product_code".into(),
                "must not be empty (leave it out for any product)".into(),
            );
        }
        if self.min_amount_minor < 0 {
            fail(
                "min_amount_minor".into(),
                format!("must not be negative (got {})", self.min_amount_minor),
            );
        }
        if let Some(max) = self.max_amount_minor
            && max < self.min_amount_minor
        {
            fail(
                "max_amount_minor".into(),
                format!(
                    "must be at least min_amount_minor {} (got {max})",
                    self.min_amount_minor
                ),
            );
        }
        if self.risk_grades.iter().any(|g| g.trim().is_empty()) {
            fail(
                "risk_grades".into(),
                "must not contain an empty grade".into(),
            );
        }
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            fail(
                "steps".into(),
                format!(
                    "must have 1 to {MAX_STEPS} steps (got {})",
                    self.steps.len()
                ),
            );
        }
        let automatic = self.steps.iter().any(|s| s.kind == StepKind::Automatic);
        if automatic && self.steps.len() > 1 {
            fail(
                "steps".into(),
                format!(
                    "an automatic step must be the only step (got {} steps)",
                    self.steps.len()
                ),
            );
        }
        for (index, step) in self.steps.iter().enumerate() {
            for (field, rule) in step_problems(step) {
                fail(format!("steps[{index}].{field}"), rule);
            }
        }
        problems
    }
}

/// Every rule a step breaks, as (field, rule) pairs.
fn step_problems(step: &StepSpec) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if step.kind == StepKind::Committee {
        let (required, voters) = (step.votes_required, step.voters);
        if !(1..=MAX_VOTERS).contains(&voters) {
            problems.push((
                "voters",
                format!("a committee must have 1 to {MAX_VOTERS} voters (got {voters})"),
            ));
        }
        if required < 1 || required > voters {
            problems.push((
                "votes_required",
                format!("must be between 1 and voters {voters} (got {required})"),
            ));
        }
    } else {
        if step.votes_required != 1 {
            problems.push((
                "votes_required",
                format!(
                    "must be 1 for a {} step (got {})",
                    step.kind, step.votes_required
                ),
            ));
        }
        if step.voters != 1 {
            problems.push((
                "voters",
                format!("must be 1 for a {} step (got {})", step.kind, step.voters),
            ));
        }
    }
    if !(1..=MAX_SLA_HOURS).contains(&step.sla_hours) {
        problems.push((
            "sla_hours",
            format!(
                "must be between 1 and {MAX_SLA_HOURS} (got {})",
                step.sla_hours
            ),
        ));
    }
    problems
}

/// What is wrong with an authority table, or why no rule applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    /// No rule at all: no application could be routed.
    #[error("an authority table needs at least one rule")]
    Empty,
    /// More rules than [`MAX_RULES`].
    #[error("an authority table may have at most {MAX_RULES} rules (got {count})")]
    TooManyRules {
        /// Rules given.
        count: usize,
    },
    /// Two rules share a priority, so their order is undefined.
    #[error("rule {index}: priority {priority} is already used by rule {first_index}")]
    DuplicatePriority {
        /// 0-based index of the later rule.
        index: usize,
        /// The shared priority.
        priority: u32,
        /// 0-based index of the earlier rule.
        first_index: usize,
    },
    /// A field of a rule breaks a rule.
    #[error("rule {index}: {field}: {rule}")]
    Invalid {
        /// 0-based index of the rule in the table as given.
        index: usize,
        /// The field, e.g. `steps[1].votes_required`.
        field: String,
        /// The rule, with the offending value.
        rule: String,
    },
    /// No rule matches the application; the service refuses it (422).
    #[error(
        "no authority rule matches product '{product}', amount {amount} (minor units), risk grade '{grade}'"
    )]
    NoRule {
        /// The product code.
        product: String,
        /// The amount in minor units.
        amount: i64,
        /// The risk grade.
        grade: String,
    },
}

/// A validated authority table, kept in priority order (lowest number first).
///
/// [`AuthorityRules::new`] is the only way in; deserializing checks the same rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<AuthorityRule>", into = "Vec<AuthorityRule>")]
pub struct AuthorityRules(Vec<AuthorityRule>);

impl AuthorityRules {
    /// Validates `rules` and sorts them by priority.
    ///
    /// # Errors
    /// [`AuthorityError::Empty`] without rules; [`AuthorityError::TooManyRules`] above
    /// [`MAX_RULES`];
    /// [`AuthorityError::DuplicatePriority`] when two rules share a priority;
    /// [`AuthorityError::Invalid`] naming the rule's index (as given) and the field when a
    /// product code is empty, an amount is negative or `min > max`, a rule has no steps or
    /// more than [`MAX_STEPS`], an automatic step is not alone, a committee does not satisfy
    /// `1 <= votes_required <= voters <= 15`, another step has other than one vote of one
    /// voter, or an SLA is outside 1..=720 hours. The first problem found is reported.
    pub fn new(rules: Vec<AuthorityRule>) -> Result<AuthorityRules, AuthorityError> {
        if rules.is_empty() {
            return Err(AuthorityError::Empty);
        }
        if rules.len() > MAX_RULES {
            return Err(AuthorityError::TooManyRules { count: rules.len() });
        }
        for (index, rule) in rules.iter().enumerate() {
            if let Some(first_index) = rules[..index]
                .iter()
                .position(|r| r.priority == rule.priority)
            {
                return Err(AuthorityError::DuplicatePriority {
                    index,
                    priority: rule.priority,
                    first_index,
                });
            }
            if let Some((field, rule)) = rule.problems().into_iter().next() {
                return Err(AuthorityError::Invalid { index, field, rule });
            }
        }
        let mut rules = rules;
        rules.sort_by_key(|r| r.priority);
        Ok(AuthorityRules(rules))
    }

    /// The rules, lowest priority number first.
    pub fn rules(&self) -> &[AuthorityRule] {
        &self.0
    }
}

impl TryFrom<Vec<AuthorityRule>> for AuthorityRules {
    type Error = AuthorityError;

    fn try_from(rules: Vec<AuthorityRule>) -> Result<Self, Self::Error> {
        AuthorityRules::new(rules)
    }
}

impl From<AuthorityRules> for Vec<AuthorityRule> {
    fn from(rules: AuthorityRules) -> Self {
        rules.0
    }
}

/// The steps an application must pass: those of the first rule (by priority) that matches
/// its product, amount and risk grade.
///
/// When the rule approves automatically but the credit policy referred the application
/// (`refer`), a loan officer decides instead, within [`REFERRAL_SLA_HOURS`].
///
/// # Errors
/// [`AuthorityError::NoRule`] when no rule matches.
pub fn required_steps(
    rules: &AuthorityRules,
    product_code: &str,
    amount_minor: i64,
    risk_grade: &str,
    refer: bool,
) -> Result<Vec<StepSpec>, AuthorityError> {
    let rule = rules
        .rules()
        .iter()
        .find(|r| r.matches(product_code, amount_minor, risk_grade))
        .ok_or_else(|| AuthorityError::NoRule {
            product: product_code.to_owned(),
            amount: amount_minor,
            grade: risk_grade.to_owned(),
        })?;
    let steps = rule
        .steps
        .iter()
        .map(|step| match step.kind {
            StepKind::Automatic if refer => {
                StepSpec::single(StepKind::LoanOfficer, REFERRAL_SLA_HOURS)
            }
            _ => *step,
        })
        .collect();
    Ok(steps)
}
