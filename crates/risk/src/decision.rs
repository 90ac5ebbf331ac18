//! The credit decision read off a policy evaluation: outcome, reasons, grade, price and
//! limit — kept inside the product's bounds whatever the policy says, because the product
//! (not the policy) is what the contract and the regulator hold us to.
//!
//! The policy outputs read: `decline_code` / `decline_reason`, `refer_code` /
//! `refer_reason` (from every applied rule), and `risk_grade`, `rate`, `max_limit` (yuan),
//! `income_multiple` (from the final context).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::policy::{Evaluation, Value};

/// The reason code of a referral for a policy that set no grade or no rate.
pub const POLICY_INCOMPLETE: &str = "POLICY_INCOMPLETE";

/// What the product allows and what the applicant asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecisionBounds {
    /// The lowest annual rate the product may price at.
    pub rate_min: Decimal,
    /// The highest annual rate the product may price at.
    pub rate_max: Decimal,
    /// The product's largest amount, in minor units.
    pub amount_max_minor: i64,
    /// The applicant's verified monthly income, in minor units, if known.
    pub monthly_income_minor: Option<i64>,
    /// The amount asked for, in minor units.
    pub requested_minor: i64,
}

/// The policy's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Goes on to the approval chain as an approval.
    Approve,
    /// Needs a person to look at it.
    Refer,
    /// Turned down.
    Decline,
}

/// One reason for the outcome, as shown to staff and in the adverse-action notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable code (`P01_FRAUD`).
    pub code: String,
    /// Plain words.
    pub text: String,
}

/// The credit decision of one application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreditDecision {
    /// Approve, refer or decline.
    pub outcome: Outcome,
    /// The reasons for that outcome: the declines of a decline, the referrals of a
    /// referral, none for an approval. One per code, in the order the policy gave them.
    pub reasons: Vec<Reason>,
    /// The policy's risk grade.
    pub risk_grade: Option<String>,
    /// The annual rate within the product's bounds; none for a decline.
    pub rate: Option<Decimal>,
    /// The most that may be lent, in minor units; none for a decline.
    pub credit_limit_minor: Option<i64>,
}

/// Reads the decision off `eval` within `product`'s bounds.
///
/// Decline if any applied rule output a `decline_code`; else refer if any output a
/// `refer_code` or the policy set no `risk_grade` or no numeric `rate`; else approve. A
/// requested amount above the limit changes nothing here: the approval step counter-offers.
/// Bounds are taken as valid (`rate_min <= rate_max`, `amount_max_minor >= 0`); if they are
/// not, the upper bound wins.
pub fn decide(eval: &Evaluation, product: &DecisionBounds) -> CreditDecision {
    let declines = emitted_reasons(eval, "decline_code", "decline_reason", "declined");
    let risk_grade = match eval.context.get("risk_grade") {
        None | Some(Value::Missing) => None,
        Some(v) => Some(v.to_string()),
    };
    if !declines.is_empty() {
        return CreditDecision {
            outcome: Outcome::Decline,
            reasons: declines,
            risk_grade,
            rate: None,
            credit_limit_minor: None,
        };
    }
    let rate = eval
        .context
        .get("rate")
        .and_then(Value::as_number)
        .map(|r| r.max(product.rate_min).min(product.rate_max));
    let mut referrals = emitted_reasons(eval, "refer_code", "refer_reason", "referred");
    let unset: Vec<&str> = [
        ("risk_grade", risk_grade.is_none()),
        ("rate", rate.is_none()),
    ]
    .into_iter()
    .filter_map(|(field, unset)| unset.then_some(field))
    .collect();
    if !unset.is_empty() {
        referrals.push(Reason {
            code: POLICY_INCOMPLETE.to_owned(),
            text: format!("the policy set no {}", unset.join(", ")),
        });
    }
    CreditDecision {
        outcome: if referrals.is_empty() {
            Outcome::Approve
        } else {
            Outcome::Refer
        },
        reasons: referrals,
        risk_grade,
        rate,
        credit_limit_minor: Some(credit_limit_minor(eval, product)),
    }
}

/// One reason per distinct code output under `code_field` by any applied rule.
fn emitted_reasons(
    eval: &Evaluation,
    code_field: &str,
    text_field: &str,
    verb: &str,
) -> Vec<Reason> {
    let mut reasons: Vec<Reason> = Vec::new();
    for e in &eval.emitted {
        let code = match e.outputs.get(code_field) {
            None | Some(Value::Missing) => continue,
            Some(code) => code.to_string(),
        };
        if code.is_empty() || reasons.iter().any(|r| r.code == code) {
            continue;
        }
        let text = match e.outputs.get(text_field) {
            None | Some(Value::Missing) => {
                format!("{verb} by policy table '{}', rule {}", e.table, e.rule)
            }
            Some(text) => text.to_string(),
        };
        reasons.push(Reason { code, text });
    }
    reasons
}

/// The smallest of the policy's `max_limit`, `income_multiple` × monthly income and the
/// product's maximum; the product's maximum when the policy sets neither.
fn credit_limit_minor(eval: &Evaluation, product: &DecisionBounds) -> i64 {
    let number = |field: &str| eval.context.get(field).and_then(Value::as_number);
    let mut limit = product.amount_max_minor;
    if let Some(cap) = number("max_limit").and_then(yuan_to_minor) {
        limit = limit.min(cap);
    }
    if let (Some(multiple), Some(income_minor)) =
        (number("income_multiple"), product.monthly_income_minor)
    {
        // whole yuan, rounded down: the limit is a cap
        let cap = multiple
            .checked_mul(Decimal::new(income_minor, 2))
            .map(|yuan| yuan.round_dp_with_strategy(0, RoundingStrategy::ToZero))
            .and_then(yuan_to_minor);
        if let Some(cap) = cap {
            limit = limit.min(cap);
        }
    }
    limit.max(0).min(product.amount_max_minor)
}

/// Yuan to minor units, whole fen rounded down; negative caps are zero. None when the
/// amount does not fit an `i64` (so large it caps nothing).
fn yuan_to_minor(yuan: Decimal) -> Option<i64> {
    yuan.max(Decimal::ZERO)
        .checked_mul(Decimal::ONE_HUNDRED)?
        .round_dp_with_strategy(0, RoundingStrategy::ToZero)
        .to_i64()
}

/// What the screens found outside the policy: every anti-fraud hit (code, detail), the
/// number of AML watch-list hits, and whether the identity check passed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Screening {
    /// Anti-fraud hits: (code, detail).
    pub fraud: Vec<(String, String)>,
    /// Watch-list hits.
    pub aml_hits: usize,
    /// Whether the identity check passed.
    pub identity_ok: bool,
}

/// Screening hits are hard declines whatever a policy says (a policy cannot approve a
/// fraud, watch-list or identity failure): each adds its reason once and the outcome
/// becomes `Decline`.
pub fn apply_screening(decision: &mut CreditDecision, screening: &Screening) {
    let add = |decision: &mut CreditDecision, code: &str, text: String| {
        if !decision.reasons.iter().any(|r| r.code == code) {
            decision.reasons.push(Reason {
                code: code.to_owned(),
                text,
            });
        }
        decision.outcome = Outcome::Decline;
    };
    for (code, detail) in &screening.fraud {
        add(decision, code, detail.clone());
    }
    let n = screening.aml_hits;
    if n > 0 {
        // a policy's own AML reason (e.g. P02_AML) already says it
        if !decision.reasons.iter().any(|r| r.code.contains("AML")) {
            decision.reasons.push(Reason {
                code: "AML_WATCH_LIST".to_owned(),
                text: format!(
                    "the applicant matches {n} watch-list entr{}",
                    if n == 1 { "y" } else { "ies" }
                ),
            });
        }
        decision.outcome = Outcome::Decline;
    }
    if !screening.identity_ok {
        add(
            decision,
            "ID_INVALID",
            "the identity check failed".to_owned(),
        );
    }
}

#[cfg(test)]
mod screening_tests {
    use super::*;

    fn approved() -> CreditDecision {
        CreditDecision {
            outcome: Outcome::Approve,
            reasons: Vec::new(),
            risk_grade: Some("A".into()),
            rate: None,
            credit_limit_minor: None,
        }
    }

    #[test]
    fn screening_hits_decline_with_one_reason_each() {
        let mut d = approved();
        let screening = Screening {
            fraud: vec![(
                "F03_SHARED_CARD".into(),
                "card also on application 7".into(),
            )],
            aml_hits: 2,
            identity_ok: false,
        };
        apply_screening(&mut d, &screening);
        apply_screening(&mut d, &screening);
        assert_eq!(d.outcome, Outcome::Decline);
        let codes: Vec<&str> = d.reasons.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["F03_SHARED_CARD", "AML_WATCH_LIST", "ID_INVALID"]);
        assert_eq!(
            d.reasons[1].text,
            "the applicant matches 2 watch-list entries"
        );
    }

    #[test]
    fn a_policy_aml_reason_is_not_repeated_and_a_clean_screen_changes_nothing() {
        let mut d = approved();
        d.reasons.push(Reason {
            code: "P02_AML".into(),
            text: "watch-list (AML) match".into(),
        });
        apply_screening(
            &mut d,
            &Screening {
                aml_hits: 1,
                identity_ok: true,
                ..Screening::default()
            },
        );
        assert_eq!((d.outcome, d.reasons.len()), (Outcome::Decline, 1));
        let mut clean = approved();
        apply_screening(
            &mut clean,
            &Screening {
                identity_ok: true,
                ..Screening::default()
            },
        );
        assert_eq!(clean, approved());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Emitted, Policy};
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn bounds() -> DecisionBounds {
        DecisionBounds {
            rate_min: d("0.06"),
            rate_max: d("0.24"),
            amount_max_minor: 50_000_000,        // 500000.00
            monthly_income_minor: Some(800_000), // 8000.00
            requested_minor: 10_000_000,
        }
    }

    /// An evaluation whose context holds `context` and whose rules emitted `emitted`.
    fn eval(context: &[(&str, Value)], emitted: &[&[(&str, Value)]]) -> Evaluation {
        let map = |pairs: &[(&str, Value)]| -> BTreeMap<String, Value> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect()
        };
        Evaluation {
            policy: "test".into(),
            fingerprint: String::new(),
            context: map(context),
            trace: Vec::new(),
            emitted: emitted
                .iter()
                .enumerate()
                .map(|(rule, outputs)| Emitted {
                    table: "t".into(),
                    rule,
                    outputs: map(outputs),
                })
                .collect(),
        }
    }

    fn priced() -> Vec<(&'static str, Value)> {
        vec![("risk_grade", "B".into()), ("rate", d("0.12").into())]
    }

    #[test]
    fn a_complete_clean_evaluation_approves() {
        let decision = decide(&eval(&priced(), &[]), &bounds());
        assert_eq!(decision.outcome, Outcome::Approve);
        assert!(decision.reasons.is_empty());
        assert_eq!(decision.risk_grade.as_deref(), Some("B"));
        assert_eq!(decision.rate, Some(d("0.12")));
        assert_eq!(decision.credit_limit_minor, Some(50_000_000));
    }

    #[test]
    fn decline_beats_refer_and_every_collected_decline_counts() {
        let e = eval(
            &priced(),
            &[
                &[("refer_code", "R01_YOUNG".into())],
                &[
                    ("decline_code", "P01_SCORE".into()),
                    ("decline_reason", "score below 520".into()),
                ],
                &[("decline_code", "P02_DTI".into())],
                &[("decline_code", "P01_SCORE".into())],
            ],
        );
        let decision = decide(&e, &bounds());
        assert_eq!(decision.outcome, Outcome::Decline);
        assert_eq!(
            decision.reasons,
            [
                Reason {
                    code: "P01_SCORE".into(),
                    text: "score below 520".into()
                },
                Reason {
                    code: "P02_DTI".into(),
                    text: "declined by policy table 't', rule 2".into()
                },
            ]
        );
        assert_eq!((decision.rate, decision.credit_limit_minor), (None, None));
        assert_eq!(decision.risk_grade.as_deref(), Some("B"));
    }

    #[test]
    fn referrals_and_an_incomplete_policy_refer() {
        let e = eval(
            &priced(),
            &[&[
                ("refer_code", "R01_YOUNG".into()),
                ("refer_reason", "young".into()),
            ]],
        );
        let decision = decide(&e, &bounds());
        assert_eq!(decision.outcome, Outcome::Refer);
        assert_eq!(decision.reasons[0].code, "R01_YOUNG");
        assert_eq!(decision.rate, Some(d("0.12")));

        let decision = decide(&eval(&[("risk_grade", "E".into())], &[]), &bounds());
        assert_eq!(decision.outcome, Outcome::Refer);
        assert_eq!(
            decision.reasons,
            [Reason {
                code: POLICY_INCOMPLETE.into(),
                text: "the policy set no rate".into()
            }]
        );
        // a rate that is not a number is no rate
        let decision = decide(&eval(&[("rate", "cheap".into())], &[]), &bounds());
        assert_eq!(
            decision.reasons[0].text,
            "the policy set no risk_grade, rate"
        );
        assert_eq!(decision.rate, None);
    }

    #[test]
    fn the_rate_is_clamped_into_the_product_bounds() {
        for (rate, expected) in [("0.30", "0.24"), ("0.03", "0.06"), ("0.0725", "0.0725")] {
            let e = eval(&[("risk_grade", "A".into()), ("rate", d(rate).into())], &[]);
            assert_eq!(decide(&e, &bounds()).rate, Some(d(expected)), "{rate}");
        }
    }

    fn limit(context: &[(&str, Value)], income_minor: Option<i64>) -> Option<i64> {
        let mut all = priced();
        all.extend_from_slice(context);
        let product = DecisionBounds {
            monthly_income_minor: income_minor,
            ..bounds()
        };
        decide(&eval(&all, &[]), &product).credit_limit_minor
    }

    #[test]
    fn the_limit_is_the_smallest_cap() {
        let caps = [
            ("income_multiple", Value::from(15)),
            ("max_limit", Value::from(300_000)),
        ];
        // 8000.00 × 15 = 120000.00 < max_limit 300000 < product 500000
        assert_eq!(limit(&caps, Some(800_000)), Some(12_000_000));
        // 30000.00 × 15 = 450000.00 > max_limit 300000
        assert_eq!(limit(&caps, Some(3_000_000)), Some(30_000_000));
        // no income: max_limit 300000
        assert_eq!(limit(&caps, None), Some(30_000_000));
        // 8000.37 × 15 = 120005.55 → 120005 whole yuan, rounded down
        assert_eq!(limit(&caps, Some(800_037)), Some(12_000_500));
        // max_limit 900000 and 80000.00 × 15 = 1200000.00 both above the product's 500000
        let high = [
            ("income_multiple", Value::from(15)),
            ("max_limit", Value::from(900_000)),
        ];
        assert_eq!(limit(&high, Some(8_000_000)), Some(50_000_000));
        // neither cap set: the product's maximum
        assert_eq!(limit(&[], Some(800_000)), Some(50_000_000));
        // max_limit 1234.567 yuan → 123456 fen, rounded down
        assert_eq!(
            limit(&[("max_limit", d("1234.567").into())], None),
            Some(123_456)
        );
        // a negative cap is zero; an enormous one caps nothing
        assert_eq!(limit(&[("max_limit", Value::from(-5))], None), Some(0));
        assert_eq!(
            limit(&[("max_limit", Decimal::MAX.into())], None),
            Some(50_000_000)
        );
    }

    #[test]
    fn asking_for_more_than_the_limit_changes_nothing() {
        let product = DecisionBounds {
            requested_minor: 90_000_000,
            ..bounds()
        };
        let decision = decide(&eval(&priced(), &[]), &product);
        assert_eq!(decision.outcome, Outcome::Approve);
        assert!(decision.reasons.is_empty());
        assert_eq!(decision.credit_limit_minor, Some(50_000_000));
    }

    const CONSUMER: &str = include_str!("../../../data/policies/consumer.json");

    fn applicant(changes: &[(&str, Value)]) -> BTreeMap<String, Value> {
        let mut facts: BTreeMap<String, Value> = [
            ("score", Value::from(640)),
            ("risk_band", "A".into()),
            ("dti", d("0.25").into()),
            ("age", 35.into()),
            ("monthly_income", 20_000.into()),
            ("amount", 100_000.into()),
            ("term_months", 24.into()),
            ("fraud_hits", 0.into()),
            ("aml_hits", 0.into()),
            ("bureau_delinquencies", 0.into()),
            ("customer_kind", "individual".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (k, v) in changes {
            facts.insert((*k).to_owned(), v.clone());
        }
        facts
    }

    fn consumer_bounds() -> DecisionBounds {
        DecisionBounds {
            rate_min: d("0.06"),
            rate_max: d("0.24"),
            amount_max_minor: 50_000_000,
            monthly_income_minor: Some(2_000_000),
            requested_minor: 10_000_000,
        }
    }

    #[test]
    fn the_demo_policy_approves_a_strong_applicant() {
        let policy = Policy::from_json(CONSUMER).unwrap();
        let decision = decide(
            &policy.evaluate(&applicant(&[])).unwrap(),
            &consumer_bounds(),
        );
        assert_eq!(decision.outcome, Outcome::Approve, "{decision:?}");
        assert_eq!(decision.risk_grade.as_deref(), Some("A"));
        assert_eq!(decision.rate, Some(d("0.0725")));
        // 20000.00 × 15 = 300000.00 = max_limit 300000 < product 500000
        assert_eq!(decision.credit_limit_minor, Some(30_000_000));
    }

    #[test]
    fn the_demo_policy_declines_fraud() {
        let policy = Policy::from_json(CONSUMER).unwrap();
        let eval = policy
            .evaluate(&applicant(&[("fraud_hits", 1.into())]))
            .unwrap();
        let decision = decide(&eval, &consumer_bounds());
        assert_eq!(decision.outcome, Outcome::Decline);
        assert_eq!(decision.reasons[0].code, "P01_FRAUD");
    }

    #[test]
    fn the_demo_policy_refers_and_grades_across_the_range() {
        let policy = Policy::from_json(CONSUMER).unwrap();
        let run = |changes: &[(&str, Value)]| {
            decide(
                &policy.evaluate(&applicant(changes)).unwrap(),
                &consumer_bounds(),
            )
        };
        let young = run(&[("age", 20.into())]);
        assert_eq!(young.outcome, Outcome::Refer);
        let high_dti = run(&[("dti", d("0.5").into())]);
        assert_eq!(high_dti.outcome, Outcome::Refer);
        let declined = run(&[("dti", d("0.61").into()), ("aml_hits", 1.into())]);
        assert_eq!(
            declined
                .reasons
                .iter()
                .map(|r| r.code.as_str())
                .collect::<Vec<_>>(),
            ["P02_AML", "P04_DTI"]
        );
        for (score, grade) in [
            (600, "A"),
            (599, "B"),
            (573, "B"),
            (560, "C"),
            (530, "D"),
            (500, "E"),
        ] {
            let d = run(&[("score", score.into())]);
            assert_eq!(d.risk_grade.as_deref(), Some(grade), "score {score}");
            assert!(d.rate.is_some(), "score {score}");
        }
        assert_eq!(run(&[("score", 479.into())]).outcome, Outcome::Decline);
        assert_eq!(run(&[("score", Value::Missing)]).outcome, Outcome::Refer);
    }

    proptest! {
        #[test]
        fn the_rate_is_always_within_bounds(
            rate in -1_000_000i64..1_000_000,
            lo in 0i64..5_000,
            width in 0i64..5_000,
        ) {
            let product = DecisionBounds {
                rate_min: Decimal::new(lo, 4),
                rate_max: Decimal::new(lo + width, 4),
                ..bounds()
            };
            let e = eval(&[("risk_grade", "C".into()), ("rate", Decimal::new(rate, 4).into())], &[]);
            let r = decide(&e, &product).rate;
            prop_assert!(r.is_some_and(|r| product.rate_min <= r && r <= product.rate_max));
        }

        #[test]
        fn the_limit_never_exceeds_the_product_maximum(
            amount_max in 0i64..i64::MAX,
            max_limit in proptest::option::of(-1_000_000_000i64..i64::MAX),
            multiple in proptest::option::of(-100i64..1_000),
            income in proptest::option::of(0i64..i64::MAX),
        ) {
            let mut context = priced();
            if let Some(m) = max_limit {
                context.push(("max_limit", m.into()));
            }
            if let Some(m) = multiple {
                context.push(("income_multiple", m.into()));
            }
            let product = DecisionBounds {
                amount_max_minor: amount_max,
                monthly_income_minor: income,
                ..bounds()
            };
            let limit = decide(&eval(&context, &[]), &product).credit_limit_minor;
            prop_assert!(limit.is_some_and(|l| (0..=amount_max).contains(&l)));
        }
    }
}
