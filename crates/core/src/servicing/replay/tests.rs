//! Replays by hand and by property: a replay with every movement gives the loan as it is;
//! a replay without one, posted as the difference, leaves a book that reconciles.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::ledger::Side;
use crate::rate::AnnualRate;
use crate::schedule::{RepaymentMethod, generate};
use crate::servicing::InstallmentState;
use crate::servicing::postings::difference_lines;
use crate::test_support::cny;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A loan of `principal` at 12% over `term` months disbursed on Jan 31, 2026.
fn open(principal: &str, term: u32) -> (LoanState, ServicingTerms, ScheduleTerms) {
    let t = ScheduleTerms::new(
        cny(principal),
        AnnualRate::parse("0.12").unwrap(),
        term,
        RepaymentMethod::Annuity,
        d(2026, 1, 31),
    );
    let installments: Vec<OpenInstallment> = generate(&t)
        .unwrap()
        .installments()
        .iter()
        .map(|i| OpenInstallment {
            number: i.number,
            period_start: i.period_start,
            due_date: i.due_date,
            principal: i.principal.amount_minor(),
            interest: i.interest.amount_minor(),
            paid_principal: 0,
            paid_interest: 0,
            state: InstallmentState::Pending,
            paid_on: None,
        })
        .collect();
    let account = LoanAccount::new(1, t.principal.amount_minor(), t.start, &installments[0]);
    let terms = ServicingTerms::defaults(t.annual_rate.as_decimal());
    (
        LoanState {
            account,
            installments,
        },
        terms,
        t,
    )
}

/// Balance (debit − credit) per account.
fn book(lines: &[LineDraft]) -> BTreeMap<String, i64> {
    let mut b = BTreeMap::new();
    for l in lines {
        let signed = match l.side {
            Side::Debit => l.amount_minor,
            Side::Credit => -l.amount_minor,
        };
        *b.entry(l.account.clone()).or_insert(0) += signed;
    }
    b
}

/// The control accounts equal the loan's balances.
fn reconciles(b: &BTreeMap<String, i64>, a: &LoanAccount, principal: i64) {
    let get = |k: &str| b.get(k).copied().unwrap_or(0);
    // the disbursement (Dr 1301 / Cr 1001) is not in the lines
    assert_eq!(
        get("1301") + principal,
        a.principal_outstanding - a.overdue_principal,
        "1301 {b:?} {a:?}"
    );
    assert_eq!(get("1302"), a.overdue_principal);
    assert_eq!(get("1311"), a.interest_owed() - a.interest_off_book);
    assert_eq!(
        get("1312"),
        a.penalty_interest + a.compound_interest - a.penalty_off_book,
        "1312 {b:?} {a:?}"
    );
    assert_eq!(get("1313"), a.fees_due);
    assert_eq!(get("2241"), -a.advance_balance);
    assert_eq!(get("1304"), -a.provision);
}

/// Runs `movements` live (as the service does, day by day) through `close_through`.
fn live(
    start: &LoanState,
    movements: &[Posted],
    close_through: NaiveDate,
    ctx: &Context<'_>,
) -> History {
    replay(start, movements, close_through, ctx).unwrap()
}

fn ctx<'a>(terms: &'a ServicingTerms, template: &'a ScheduleTerms) -> Context<'a> {
    Context {
        terms,
        fee_rate: Decimal::ZERO,
        template: Some(template),
        funding_source: "OWN",
    }
}

#[test]
fn reversing_a_payment_brings_back_the_arrears_and_their_penalty() {
    // 12,000.00 at 12%, 12 months: 1,066.19 a month; installment 1 due Feb 28
    let (start, terms, template) = open("12000", 12);
    let c = ctx(&terms, &template);
    let paid = Posted {
        id: 10,
        business_date: d(2026, 2, 28),
        amount: 106_619,
        movement: Movement::Repayment {
            paid_on: d(2026, 2, 28),
        },
    };
    let later = Posted {
        id: 11,
        business_date: d(2026, 3, 31),
        amount: 106_619,
        movement: Movement::Repayment {
            paid_on: d(2026, 3, 31),
        },
    };
    let with = live(&start, &[paid, later], d(2026, 4, 9), &c);
    assert_eq!(
        (with.state.account.dpd, with.state.account.overdue_principal),
        (0, 0)
    );
    let without = replay(&start, &[later], d(2026, 4, 9), &c).unwrap();
    let a = &without.state.account;
    // without the first payment, the Mar 31 payment pays installment 1 (overdue since
    // Mar 1, with 31 days of penalty first), and installment 2 is overdue from Apr 1
    assert!(without.movements[0].applied.split.penalty_interest > 0);
    assert!(a.overdue_principal > 0);
    // the Mar 31 payment paid penalty and compound interest first: installment 1 is
    // still short, 40 days past due at the close of Apr 9
    assert_eq!(a.dpd, 40);
    assert!(a.penalty_interest > 0);
    let diff = difference_lines(1, "OWN", &with.lines, &without.lines);
    crate::ledger::check_entry(&diff).unwrap();
    let cash: i64 = diff
        .iter()
        .filter(|l| l.account == "1001")
        .map(|l| l.amount_minor)
        .sum();
    assert_eq!(cash, 106_619, "the reversed payment leaves the bank");
    let mut all = with.lines.clone();
    all.extend(diff);
    reconciles(&book(&all), a, 1_200_000);
}

#[test]
fn a_refund_beyond_the_advance_stops_the_replay() {
    let (start, terms, template) = open("12000", 12);
    let c = ctx(&terms, &template);
    let over = Posted {
        id: 1,
        business_date: d(2026, 2, 10),
        amount: 50_000,
        movement: Movement::Repayment {
            paid_on: d(2026, 2, 10),
        },
    };
    let refund = Posted {
        id: 2,
        business_date: d(2026, 2, 12),
        amount: 50_000,
        movement: Movement::Refund,
    };
    let with = live(&start, &[over, refund], d(2026, 2, 12), &c);
    assert_eq!(with.state.account.advance_balance, 0);
    let err = replay(&start, &[refund], d(2026, 2, 12), &c).unwrap_err();
    assert!(matches!(err, ReplayError::Refund { .. }), "{err}");
}

#[test]
fn a_later_prepayment_is_replayed_with_its_reschedule() {
    // 12,000.00 at 12%: installment 1 (1,066.19) paid Feb 28, 3,000.00 prepaid on Mar 10
    // (reduce term); the Feb 28 payment is reversed
    let (start, terms, template) = open("12000", 12);
    let c = ctx(&terms, &template);
    let paid = Posted {
        id: 1,
        business_date: d(2026, 2, 28),
        amount: 106_619,
        movement: Movement::Repayment {
            paid_on: d(2026, 2, 28),
        },
    };
    let prepaid = Posted {
        id: 2,
        business_date: d(2026, 3, 10),
        amount: 300_000,
        movement: Movement::Prepayment {
            mode: PrepaymentMode::ReduceTerm,
        },
    };
    let through = d(2026, 3, 20);
    let with = replay(&start, &[paid, prepaid], through, &c).unwrap();
    let without = replay(&start, &[prepaid], through, &c).unwrap();
    let s = &without.movements[0].applied.split;
    // without the Feb 28 payment, the prepayment first pays installment 1, overdue since
    // Mar 1, with 9 days of penalty and compound interest
    assert!(s.penalty_interest > 0 && s.compound_interest > 0);
    assert!(s.principal > 94_619, "installment 1's principal and more");
    assert_eq!(without.state.account.overdue_principal, 0);
    assert_eq!(without.state.account.dpd, 0);
    // less principal was repaid without the reversed payment; the schedule is longer
    assert!(without.state.account.principal_outstanding > with.state.account.principal_outstanding);
    let diff = difference_lines(1, "OWN", &with.lines, &without.lines);
    crate::ledger::check_entry(&diff).unwrap();
    let mut all = with.lines.clone();
    all.extend(diff);
    reconciles(&book(&all), &without.state.account, 1_200_000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_replay_without_one_movement_reconciles_after_the_difference(
        principal in 100_000i64..5_000_000,
        payments in proptest::collection::vec((0i64..150, 1i64..400_000), 1..6),
        drop_index in 0usize..6,
        backdate_days in 0i64..5,
    ) {
        let (mut start, terms, template) = open("1000", 6);
        // scale the schedule to `principal` by rebuilding it
        let t = ScheduleTerms { principal: Money::from_minor(principal, Currency::CNY), ..template.clone() };
        let sched = generate(&t).unwrap();
        start.installments = sched.installments().iter().map(|i| OpenInstallment {
            number: i.number, period_start: i.period_start, due_date: i.due_date,
            principal: i.principal.amount_minor(), interest: i.interest.amount_minor(),
            paid_principal: 0, paid_interest: 0, state: InstallmentState::Pending, paid_on: None,
        }).collect();
        start.account = LoanAccount::new(1, principal, t.start, &start.installments[0]);
        let c = ctx(&terms, &t);
        let mut days: Vec<(i64, i64)> = payments;
        days.sort_by_key(|p| p.0);
        let movements: Vec<Posted> = days.iter().enumerate().map(|(n, (day, amount))| {
            let date = t.start + chrono::Duration::days(*day);
            let paid_on = (date - chrono::Duration::days(backdate_days)).max(t.start);
            Posted { id: n as i64, business_date: date, amount: *amount,
                     movement: Movement::Repayment { paid_on } }
        }).collect();
        let through = t.start + chrono::Duration::days(160);
        let with = replay(&start, &movements, through, &c).unwrap();
        // the same replay twice gives the same loan
        prop_assert_eq!(&replay(&start, &movements, through, &c).unwrap().state, &with.state);
        reconciles(&book(&with.lines), &with.state.account, principal);
        let k = drop_index % movements.len();
        // replay from the state before movement k, without it
        let before = with.movements[k].before.clone();
        let rest: Vec<Posted> = movements[k + 1..].to_vec();
        let mut again: Vec<Posted> = vec![movements[k]];
        again.extend(rest.iter().copied());
        let from_k = replay(&before, &again, through, &c).unwrap();
        prop_assert_eq!(&from_k.state, &with.state, "replaying from a stored state gives the loan as it is");
        let without = replay(&before, &rest, through, &c).unwrap();
        let diff = difference_lines(1, "OWN", &from_k.lines, &without.lines);
        if !diff.is_empty() {
            prop_assert!(crate::ledger::check_entry(&diff).is_ok());
        }
        let mut all = with.lines.clone();
        all.extend(diff);
        reconciles(&book(&all), &without.state.account, principal);
        without.state.account.check().unwrap();
    }
}
