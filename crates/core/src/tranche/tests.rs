use chrono::Datelike;
use proptest::prelude::*;

use super::*;
use crate::date::DayCount;
use crate::money::Currency;
use crate::rate::AnnualRate;
use crate::schedule::RepaymentMethod;
use crate::test_support::cny;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn base(method: RepaymentMethod) -> ScheduleTerms {
    ScheduleTerms::new(
        cny("1"),
        AnnualRate::parse("0.0435").unwrap(),
        12,
        method,
        ymd(2000, 1, 1),
    )
}

fn tranche(amount: &str, on: NaiveDate) -> Tranche {
    Tranche {
        amount: cny(amount),
        on,
    }
}

fn as_loan(installments: &[Installment]) -> Vec<LoanInstallment> {
    installments
        .iter()
        .map(|i| LoanInstallment {
            number: i.number,
            due_date: i.due_date,
            principal: i.principal,
            interest: i.interest,
            total: i.total,
            balance: i.balance,
        })
        .collect()
}

#[test]
fn first_due_date_keeps_the_day_and_clamps() {
    assert_eq!(
        first_due_date(ymd(2026, 1, 10), Frequency::Monthly),
        Some(ymd(2026, 2, 10))
    );
    assert_eq!(
        first_due_date(ymd(2026, 1, 31), Frequency::Monthly),
        Some(ymd(2026, 2, 28))
    );
    assert_eq!(
        first_due_date(ymd(2026, 11, 30), Frequency::Quarterly),
        Some(ymd(2027, 2, 28))
    );
    assert_eq!(
        first_due_date(ymd(2026, 1, 10), Frequency::Weekly),
        Some(ymd(2026, 1, 17))
    );
    assert_eq!(first_due_date(NaiveDate::MAX, Frequency::Monthly), None);
}

#[test]
fn one_tranche_is_the_plain_schedule() {
    let t = [tranche("100000", ymd(2026, 1, 31))];
    let loan = combined_schedule(&base(RepaymentMethod::Annuity), &t).unwrap();
    let mut terms = base(RepaymentMethod::Annuity);
    terms.principal = cny("100000");
    terms.start = ymd(2026, 1, 31);
    let plain = generate(&terms).unwrap();
    assert_eq!(loan, as_loan(plain.installments()));
    // 100000 × 0.0435 / 12 → 8530.99 a month (lib.rs doc example)
    assert_eq!(loan[0].total, cny("8530.99"));
}

#[test]
fn a_second_tranche_earns_interest_from_its_own_date() {
    // 60000 on 2026-01-10 and 40000 on 2026-01-25, equal principal over 12 months.
    let terms = base(RepaymentMethod::EqualPrincipal);
    let loan = combined_schedule(
        &terms,
        &[
            tranche("60000", ymd(2026, 1, 10)),
            tranche("40000", ymd(2026, 1, 25)),
        ],
    )
    .unwrap();
    assert_eq!(loan.len(), 12);
    assert_eq!(loan[0].due_date, ymd(2026, 2, 10));
    // principal 60000 / 12 + 40000 / 12 = 5000.00 + 3333.33
    assert_eq!(loan[0].principal, cny("8333.33"));
    // 60000 × 0.0435 / 12 = 217.50; 40000 × 0.0435 × 16 / 360 = 77.33 (Jan 25 → Feb 10)
    assert_eq!(loan[0].interest, cny("294.83"));
    assert_eq!(loan[0].total, cny("8628.16"));
    assert_eq!(loan[0].balance, cny("91666.67"));
    // then both earn a regular month: 55000 × 0.0435 / 12 + 36666.67 × 0.0435 / 12
    // = 199.38 + 132.92 = 332.30
    assert_eq!(loan[1].interest, cny("332.30"));
    assert_eq!(loan[1].due_date, ymd(2026, 3, 10));
    assert_eq!(loan[11].balance, cny("0"));
}

#[test]
fn due_dates_stay_anchored_on_the_first_tranche_after_a_clamp() {
    let loan = combined_schedule(
        &base(RepaymentMethod::Annuity),
        &[
            tranche("50000", ymd(2026, 1, 31)),
            tranche("50000", ymd(2026, 2, 10)),
        ],
    )
    .unwrap();
    let dates: Vec<NaiveDate> = loan.iter().take(3).map(|i| i.due_date).collect();
    assert_eq!(
        dates,
        [ymd(2026, 2, 28), ymd(2026, 3, 31), ymd(2026, 4, 30)]
    );
    // second tranche: 50000 × 0.0435 × 18 / 360 = 108.75 (Feb 10 → Feb 28); first: 181.25
    assert_eq!(loan[0].interest, cny("290.00"));
}

#[test]
fn a_later_tranche_never_pays_more_than_a_full_period() {
    // Quarterly 30/360, the 92-day quarter Jul 1 → Oct 1: a tranche on Jul 2 is out
    // 91 days, and 10000 × 0.0435 × 91 / 360 = 109.96 is more than the first tranche's
    // 3 / 12 of a year, so it is capped at that.
    let mut terms = base(RepaymentMethod::InterestOnly);
    terms.frequency = Frequency::Quarterly;
    terms.term = 4;
    let loan = combined_schedule(
        &terms,
        &[
            tranche("10000", ymd(2026, 7, 1)),
            tranche("10000", ymd(2026, 7, 2)),
        ],
    )
    .unwrap();
    // 10000 × 0.0435 × 3 / 12 = 108.75 each
    assert_eq!(loan[0].interest, cny("217.50"));
}

#[test]
fn bullet_loans_take_tranches_before_maturity() {
    let mut terms = base(RepaymentMethod::Bullet);
    terms.term = 6;
    let loan = combined_schedule(
        &terms,
        &[
            tranche("100000", ymd(2026, 1, 1)),
            tranche("100000", ymd(2026, 3, 2)),
        ],
    )
    .unwrap();
    assert_eq!(loan.len(), 1);
    assert_eq!(loan[0].due_date, ymd(2026, 7, 1));
    // 100000 × 0.0435 × 6 / 12 = 2175.00; 100000 × 0.0435 × 121 / 360 = 1462.08
    assert_eq!(loan[0].interest, cny("3637.08"));
    assert_eq!(loan[0].principal, cny("200000"));
}

#[test]
fn refuses_bad_tranches() {
    let terms = base(RepaymentMethod::Annuity);
    let jan = |d| ymd(2026, 1, d);
    assert_eq!(
        combined_schedule(&terms, &[]),
        Err(TrancheError::NoTranches)
    );
    assert_eq!(
        combined_schedule(&terms, &[tranche("1", jan(10)); 13]),
        Err(TrancheError::TooMany { count: 13 })
    );
    assert_eq!(
        combined_schedule(&terms, &[tranche("1", jan(10)), tranche("1", jan(9))]),
        Err(TrancheError::BeforeFirst {
            number: 2,
            on: jan(9),
            first: jan(10)
        })
    );
    assert_eq!(
        combined_schedule(
            &terms,
            &[
                tranche("1", jan(10)),
                tranche("1", jan(20)),
                tranche("1", jan(15))
            ]
        ),
        Err(TrancheError::NotInOrder {
            number: 3,
            on: jan(15),
            previous: jan(20)
        })
    );
    let err = combined_schedule(
        &terms,
        &[tranche("1", jan(10)), tranche("1", ymd(2026, 2, 10))],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tranche 2: 2026-02-10 is not before the loan's first due date 2026-02-10; every tranche is drawn before it"
    );
    let usd = Tranche {
        amount: Money::from_minor(100, Currency::USD),
        on: jan(11),
    };
    assert!(matches!(
        combined_schedule(&terms, &[tranche("1", jan(10)), usd]),
        Err(TrancheError::Money(MoneyError::CurrencyMismatch(..)))
    ));
    assert!(matches!(
        combined_schedule(&terms, &[tranche("0", jan(10))]),
        Err(TrancheError::Schedule { number: 1, .. })
    ));
    let mut long = terms.clone();
    long.term = 481;
    let err = combined_schedule(&long, &[tranche("1", jan(10))]).unwrap_err();
    assert!(err.to_string().starts_with("tranche 1: term: "), "{err}");
    let huge = [
        tranche("60000000000", jan(10)),
        tranche("60000000000", jan(11)),
    ];
    assert!(matches!(
        combined_schedule(&terms, &huge),
        Err(TrancheError::TotalTooLarge { .. })
    ));
}

#[test]
fn check_tranche_keeps_draws_within_the_contract() {
    let contract = cny("100000");
    assert_eq!(check_tranche(contract, cny("60000"), cny("40000")), Ok(()));
    assert_eq!(check_tranche(contract, cny("0"), cny("100000")), Ok(()));
    let err = check_tranche(contract, cny("60000"), cny("40000.01")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "drawing 40000.01 on top of 60000.00 already drawn exceeds the contract amount 100000.00"
    );
    assert_eq!(
        check_tranche(contract, cny("0"), cny("0")),
        Err(TrancheError::NonPositive { amount: cny("0") })
    );
    assert!(matches!(
        check_tranche(contract, cny("0"), Money::from_minor(1, Currency::USD)),
        Err(TrancheError::Money(_))
    ));
}

fn any_method() -> impl Strategy<Value = RepaymentMethod> {
    prop::sample::select(RepaymentMethod::ALL.to_vec())
}

fn any_frequency() -> impl Strategy<Value = Frequency> {
    prop::sample::select(vec![
        Frequency::Monthly,
        Frequency::Quarterly,
        Frequency::Biweekly,
        Frequency::Weekly,
    ])
}

prop_compose! {
    /// Terms and 1–5 tranches drawn before the first due date, in date order.
    fn any_loan()(
        method in any_method(),
        frequency in any_frequency(),
        act in any::<bool>(),
        term in 1u32..=36,
        rate_bp in 0u32..2400,
        start_offset in 0i64..3000,
        draws in proptest::collection::vec((1i64..=50_000_000, 0u32..1000), 1..=5),
    ) -> (ScheduleTerms, Vec<Tranche>) {
        let mut terms = base(method);
        terms.term = term;
        terms.frequency = frequency;
        terms.annual_rate = AnnualRate::new(Decimal::new(i64::from(rate_bp), 4)).unwrap();
        if act && method != RepaymentMethod::Flat {
            terms.day_count = DayCount::Act360;
        }
        let start = ymd(2024, 1, 1) + chrono::Days::new(start_offset as u64);
        let first_due = if method == RepaymentMethod::Bullet {
            frequency.nth_date(start, term as i32).unwrap()
        } else {
            first_due_date(start, frequency).unwrap()
        };
        let span = (first_due - start).num_days();
        let mut days: Vec<i64> = draws.iter().map(|(_, d)| i64::from(*d) % span).collect();
        days[0] = 0;
        days.sort_unstable();
        let tranches = draws
            .iter()
            .zip(days)
            .map(|((amount, _), day)| Tranche {
                amount: Money::from_minor(*amount, Currency::CNY),
                on: start + chrono::Days::new(day as u64),
            })
            .collect();
        (terms, tranches)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn tranche_schedules_conserve_principal((terms, tranches) in any_loan()) {
        let loan = combined_schedule(&terms, &tranches).unwrap();
        let drawn: i64 = tranches.iter().map(|t| t.amount.amount_minor()).sum();
        let repaid: i64 = loan.iter().map(|i| i.principal.amount_minor()).sum();
        prop_assert_eq!(repaid, drawn);
        prop_assert!(loan.last().is_some_and(|i| i.balance.is_zero()));
        let mut previous = drawn;
        for i in &loan {
            prop_assert!(i.balance.amount_minor() <= previous);
            prop_assert!(!i.interest.is_negative() && !i.principal.is_negative());
            prop_assert_eq!(i.total.amount_minor(), i.principal.amount_minor() + i.interest.amount_minor());
            previous = i.balance.amount_minor();
        }
    }

    #[test]
    fn the_first_tranche_is_unchanged_by_later_ones((terms, tranches) in any_loan()) {
        let alone = combined_schedule(&terms, &tranches[..1]).unwrap();
        let mut plain_terms = terms.clone();
        plain_terms.principal = tranches[0].amount;
        plain_terms.start = tranches[0].on;
        let plain = generate(&plain_terms).unwrap();
        prop_assert_eq!(&alone, &as_loan(plain.installments()));
        // The loan less the first tranche is the loan of the later tranches alone,
        // computed on the first tranche's dates.
        let all = combined_schedule(&terms, &tranches).unwrap();
        prop_assert_eq!(all.len(), alone.len());
        for (loan, first) in all.iter().zip(&alone) {
            prop_assert_eq!(loan.due_date, first.due_date);
            prop_assert!(loan.interest.amount_minor() >= first.interest.amount_minor());
        }
    }

    /// Where anchoring on the first due date cannot drift (start day ≤ 27, 30/360, monthly
    /// or weekly periods), a later tranche's schedule is exactly `generate` with its own
    /// start and the loan's first due date.
    #[test]
    fn a_later_tranche_is_a_broken_period_schedule(
        (terms, tranches) in any_loan(),
        frequency in prop::sample::select(vec![Frequency::Monthly, Frequency::Biweekly, Frequency::Weekly]),
    ) {
        let mut terms = terms;
        terms.frequency = frequency;
        terms.day_count = DayCount::Thirty360;
        prop_assume!(terms.method != RepaymentMethod::Bullet);
        let start = tranches[0].on;
        prop_assume!(start.day() <= 27);
        let first_due = first_due_date(start, frequency).unwrap();
        let later = tranches
            .iter()
            .map(|t| Tranche { on: t.on.min(first_due.pred_opt().unwrap()), ..*t })
            .find(|t| t.on > start);
        prop_assume!(later.is_some());
        let later = later.unwrap();
        let loan = combined_schedule(&terms, &[tranches[0], later]).unwrap();
        let first = combined_schedule(&terms, &tranches[..1]).unwrap();
        let mut own = terms.clone();
        own.principal = later.amount;
        own.start = later.on;
        own.first_due = Some(first_due);
        let own = generate(&own).unwrap();
        for ((loan, first), own) in loan.iter().zip(&first).zip(own.installments()) {
            prop_assert_eq!(loan.due_date, own.due_date);
            prop_assert_eq!(loan.principal.amount_minor() - first.principal.amount_minor(), own.principal.amount_minor());
            prop_assert_eq!(loan.interest.amount_minor() - first.interest.amount_minor(), own.interest.amount_minor());
        }
    }
}
