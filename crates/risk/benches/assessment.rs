//! The in-memory risk assessment of one application: anti-fraud rules against 1,000 recent
//! applications, AML screening against a 10,000-entry watch list (indexed, and brute force
//! for comparison), the demo scorecard, and the demo credit policy with the credit
//! decision — each step alone and all together. Per-call percentiles over varied
//! applicants are in the `assessment_latency` bench.
//!
//! Run: `cargo bench -p loanbook-risk --bench assessment`.

mod common;

use std::collections::BTreeMap;

use common::{Fixture, Screening};
use divan::{Bencher, black_box};
use loanbook_risk::aml;
use loanbook_risk::decision::decide;
use loanbook_risk::fraud;
use loanbook_risk::policy::Value as Fact;
use rust_decimal::Decimal;

fn main() {
    divan::main();
}

#[divan::bench]
fn fraud_screen_1000_applications(bencher: Bencher) {
    let f = Fixture::new(0);
    let others = f.others();
    let a = f.demo_applicant();
    let subject = fraud::Subject {
        application_id: 5_000,
        customer_id: 42,
        id_number_hash: Some(&a.id_number_hash),
        phone_hash: Some(&a.phone_hash),
        bank_card_hash: Some(&a.bank_card_hash),
        device_id: Some(&a.device_id),
        declared_monthly_income_minor: Some(a.declared_income_minor),
        verified_monthly_income_minor: Some(a.verified_income_minor),
        birth_date: Some(common::day("1990-05-17")),
        id_birth_date: Some(common::day("1990-05-17")),
        blacklisted: false,
    };
    bencher
        .bench_local(|| fraud::screen(black_box(&subject), black_box(&others), &f.rules, f.as_of));
}

#[divan::bench]
fn aml_screen_10000_entries(bencher: Bencher) {
    let f = Fixture::new(10_000);
    bencher.bench_local(|| {
        aml::screen(
            black_box("Wang Xiaoming"),
            black_box(Some("no-such-hash")),
            &f.watch_list,
            aml::DEFAULT_THRESHOLD,
        )
    });
}

#[divan::bench(args = [10_000, 100_000, 200_000])]
fn aml_screen_index(bencher: Bencher, entries: usize) {
    let f = Fixture::new(entries);
    bencher.bench_local(|| {
        aml::screen_index(
            black_box("Wang Xiaoming"),
            black_box(Some("no-such-hash")),
            &f.index,
            aml::DEFAULT_THRESHOLD,
        )
    });
}

#[divan::bench]
fn score_german_demo(bencher: Bencher) {
    let f = Fixture::new(0);
    let a = f.demo_applicant();
    bencher.bench_local(|| f.model.score(black_box(&a.values)));
}

#[divan::bench]
fn policy_evaluate_and_decide(bencher: Bencher) {
    let f = Fixture::new(0);
    let facts: BTreeMap<String, Fact> = [
        ("score", Fact::from(610)),
        ("risk_band", Fact::from("A")),
        ("dti", Fact::Number(Decimal::new(35, 2))),
        ("age", Fact::from(35)),
        ("monthly_income", Fact::from(20_000)),
        ("amount", Fact::from(100_000)),
        ("term_months", Fact::from(24)),
        ("fraud_hits", Fact::from(0)),
        ("aml_hits", Fact::from(0)),
        ("bureau_delinquencies", Fact::from(0)),
        ("customer_kind", Fact::from("individual")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let bounds = loanbook_risk::decision::DecisionBounds {
        rate_min: Decimal::new(6, 2),
        rate_max: Decimal::new(24, 2),
        amount_max_minor: 50_000_000,
        monthly_income_minor: Some(2_000_000),
        requested_minor: 10_000_000,
    };
    bencher.bench_local(|| {
        let eval = f
            .policy
            .evaluate(black_box(&facts))
            .expect("the demo policy decides");
        decide(&eval, &bounds)
    });
}

/// The whole assessment with the indexed AML screening.
#[divan::bench]
fn full_assessment(bencher: Bencher) {
    let f = Fixture::new(10_000);
    let others = f.others();
    let a = f.demo_applicant();
    bencher.bench_local(|| f.assess(black_box(&a), &others, Screening::Index));
}

/// The whole assessment with the brute-force AML screening, for comparison.
#[divan::bench]
fn full_assessment_brute_force(bencher: Bencher) {
    let f = Fixture::new(10_000);
    let others = f.others();
    let a = f.demo_applicant();
    bencher.bench_local(|| f.assess(black_box(&a), &others, Screening::BruteForce));
}
