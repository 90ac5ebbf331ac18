//! Schedules per second: 12- and 360-installment schedules, and the APR of each.
//!
//! Run: `cargo bench -p loanbook-core --bench schedule`. Results go to docs/performance.md.

use chrono::NaiveDate;
use divan::{Bencher, black_box, counter::ItemsCount};
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::{RepaymentMethod, ScheduleTerms, generate};

fn main() {
    divan::main();
}

fn terms(term: u32, method: RepaymentMethod) -> ScheduleTerms {
    ScheduleTerms::new(
        Money::from_minor(10_000_000, Currency::CNY),
        AnnualRate::parse("0.0435").expect("valid rate"),
        term,
        method,
        NaiveDate::from_ymd_opt(2026, 1, 31).expect("valid date"),
    )
}

#[divan::bench(args = [12, 360])]
fn annuity(bencher: Bencher, term: u32) {
    let terms = terms(term, RepaymentMethod::Annuity);
    bencher
        .counter(ItemsCount::new(1usize))
        .bench(|| generate(black_box(&terms)).expect("valid terms"));
}

#[divan::bench(args = [12, 360])]
fn equal_principal(bencher: Bencher, term: u32) {
    let terms = terms(term, RepaymentMethod::EqualPrincipal);
    bencher
        .counter(ItemsCount::new(1usize))
        .bench(|| generate(black_box(&terms)).expect("valid terms"));
}

#[divan::bench(args = [12, 360])]
fn annuity_apr(bencher: Bencher, term: u32) {
    let schedule = generate(&terms(term, RepaymentMethod::Annuity)).expect("valid terms");
    let fee = Money::zero(Currency::CNY);
    bencher
        .counter(ItemsCount::new(1usize))
        .bench(|| black_box(&schedule).apr(fee).expect("has an APR"));
}
