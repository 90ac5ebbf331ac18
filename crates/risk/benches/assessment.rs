//! The in-memory risk assessment of one application: anti-fraud rules against 1,000 recent
//! applications, AML screening against a 10,000-entry watch list, the demo scorecard, and
//! the demo credit policy with the credit decision — each step alone and all together.
//!
//! Run: `cargo bench -p loanbook-risk --bench assessment`.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use divan::{Bencher, black_box};
use loanbook_risk::aml::{self, WatchEntry};
use loanbook_risk::decision::{DecisionBounds, decide};
use loanbook_risk::fraud::{self, FraudRules, OtherApplication, Subject};
use loanbook_risk::policy::{Policy, Value as Fact};
use loanbook_risk::scorecard::model::{Model, Value};
use rust_decimal::Decimal;

const MODEL: &str = include_str!("../../../models/german-demo.json");
const POLICY: &str = include_str!("../../../data/policies/consumer.json");

fn main() {
    divan::main();
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// Everything one assessment reads, prepared once.
struct Fixture {
    hashes: Vec<[String; 4]>,
    watch_list: Vec<WatchEntry>,
    model: Model,
    values: Vec<Value>,
    policy: Policy,
    bounds: DecisionBounds,
}

impl Fixture {
    fn new() -> Fixture {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // hashes drawn from a small space so that some applications share attributes
        let hashes = (0..1_000)
            .map(|_| {
                [
                    format!("id-{}", next() % 5_000),
                    format!("ph-{}", next() % 5_000),
                    format!("card-{}", next() % 5_000),
                    format!("dev-{}", next() % 2_000),
                ]
            })
            .collect();
        let syllables = [
            "wang", "li", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu", "xu",
            "sun", "hu", "zhu", "gao", "lin", "he", "guo", "ma", "luo",
        ];
        let watch_list = (0..10_000)
            .map(|i| {
                let pick = |n: u64| syllables[(n % syllables.len() as u64) as usize];
                let name = format!("{} {}{}", pick(next()), pick(next()), pick(next()));
                WatchEntry {
                    id: i,
                    name: aml::normalise_name(&name),
                    id_number_hash: (i % 3 == 0).then(|| format!("wl-{i}")),
                }
            })
            .collect();
        let model = Model::from_json(MODEL).expect("the demo model reads");
        let applicant: BTreeMap<&str, Value> = [
            ("checking_account", Value::Text("none".into())),
            ("credit_history", Value::Text("critical_account".into())),
            ("duration_months", Value::Number(24.0)),
            ("savings", Value::Text("ge_1000".into())),
            ("purpose", Value::Text("car_used".into())),
            ("credit_amount", Value::Number(5_000.0)),
            ("property", Value::Text("real_estate".into())),
            ("age", Value::Number(35.0)),
            ("employment_since", Value::Text("4_to_7y".into())),
            ("housing", Value::Text("own".into())),
            ("other_installment_plans", Value::Text("none".into())),
            ("personal_status_sex", Value::Text("male_single".into())),
            ("installment_rate_pct", Value::Number(2.0)),
        ]
        .into_iter()
        .collect();
        let values = model
            .variables
            .iter()
            .map(|v| {
                applicant
                    .get(v.binning.name.as_str())
                    .cloned()
                    .unwrap_or(Value::Missing)
            })
            .collect();
        Fixture {
            hashes,
            watch_list,
            model,
            values,
            policy: Policy::from_json(POLICY).expect("the demo policy loads"),
            bounds: DecisionBounds {
                rate_min: Decimal::from_str("0.06").expect("a rate"),
                rate_max: Decimal::from_str("0.24").expect("a rate"),
                amount_max_minor: 50_000_000,
                monthly_income_minor: Some(2_000_000),
                requested_minor: 10_000_000,
            },
        }
    }

    fn others(&self) -> Vec<OtherApplication<'_>> {
        let first = day("2025-02-01");
        self.hashes
            .iter()
            .enumerate()
            .map(|(i, h)| OtherApplication {
                application_id: i as i64,
                customer_id: (i % 700) as i64,
                submitted_on: first + chrono::Days::new((i % 60) as u64),
                id_number_hash: Some(&h[0]),
                phone_hash: Some(&h[1]),
                bank_card_hash: Some(&h[2]),
                device_id: Some(&h[3]),
            })
            .collect()
    }

    fn subject(&self) -> Subject<'_> {
        Subject {
            application_id: 5_000,
            customer_id: 42,
            id_number_hash: Some(&self.hashes[10][0]),
            phone_hash: Some("ph-unshared"),
            bank_card_hash: Some("card-unshared"),
            device_id: Some(&self.hashes[900][3]),
            declared_monthly_income_minor: Some(2_000_000),
            verified_monthly_income_minor: Some(1_900_000),
            birth_date: Some(day("1990-05-17")),
            id_birth_date: Some(day("1990-05-17")),
            blacklisted: false,
        }
    }

    /// The policy's facts from the step results.
    fn facts(
        &self,
        fraud_hits: usize,
        aml_hits: usize,
        score: i64,
        band: &str,
    ) -> BTreeMap<String, Fact> {
        [
            ("score", Fact::from(score)),
            ("risk_band", Fact::from(band)),
            ("dti", Fact::Number(Decimal::new(35, 2))),
            ("age", Fact::from(35)),
            ("monthly_income", Fact::from(20_000)),
            ("amount", Fact::from(100_000)),
            ("term_months", Fact::from(24)),
            ("fraud_hits", Fact::from(fraud_hits as i64)),
            ("aml_hits", Fact::from(aml_hits as i64)),
            ("bureau_delinquencies", Fact::from(0)),
            ("customer_kind", Fact::from("individual")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

const AS_OF: &str = "2025-03-31";

#[divan::bench]
fn fraud_screen_1000_applications(bencher: Bencher) {
    let f = Fixture::new();
    let others = f.others();
    let subject = f.subject();
    let rules = FraudRules::default();
    let as_of = day(AS_OF);
    bencher.bench_local(|| fraud::screen(black_box(&subject), black_box(&others), &rules, as_of));
}

#[divan::bench]
fn aml_screen_10000_entries(bencher: Bencher) {
    let f = Fixture::new();
    bencher.bench_local(|| {
        aml::screen(
            black_box("Wang Xiaoming"),
            black_box(Some("no-such-hash")),
            &f.watch_list,
            aml::DEFAULT_THRESHOLD,
        )
    });
}

#[divan::bench]
fn score_german_demo(bencher: Bencher) {
    let f = Fixture::new();
    bencher.bench_local(|| f.model.score(black_box(&f.values)));
}

#[divan::bench]
fn policy_evaluate_and_decide(bencher: Bencher) {
    let f = Fixture::new();
    let facts = f.facts(0, 0, 610, "A");
    bencher.bench_local(|| {
        let eval = f
            .policy
            .evaluate(black_box(&facts))
            .expect("the demo policy decides");
        decide(&eval, &f.bounds)
    });
}

#[divan::bench]
fn full_assessment(bencher: Bencher) {
    let f = Fixture::new();
    let others = f.others();
    let subject = f.subject();
    let rules = FraudRules::default();
    let as_of = day(AS_OF);
    bencher.bench_local(|| {
        let fraud_hits = fraud::screen(black_box(&subject), &others, &rules, as_of);
        let aml_hits = aml::screen(
            black_box("Wang Xiaoming"),
            subject.id_number_hash,
            &f.watch_list,
            aml::DEFAULT_THRESHOLD,
        );
        let scored = f.model.score(black_box(&f.values));
        let band = f.model.bands[scored.band].0.as_str();
        let facts = f.facts(fraud_hits.len(), aml_hits.len(), scored.score, band);
        let eval = f.policy.evaluate(&facts).expect("the demo policy decides");
        decide(&eval, &f.bounds)
    });
}
