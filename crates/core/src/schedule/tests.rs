//! Golden cases (published figures and hand arithmetic), rule checks and property tests.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::date::{CalendarSpec, NamedDate};
use crate::money::{Currency, Money};

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn cny(text: &str) -> Money {
    Money::parse(text, Currency::CNY).unwrap()
}

fn rate(text: &str) -> AnnualRate {
    AnnualRate::parse(text).unwrap()
}

fn terms(principal: &str, annual: &str, term: u32, method: RepaymentMethod) -> ScheduleTerms {
    ScheduleTerms::new(cny(principal), rate(annual), term, method, ymd(2026, 1, 31))
}

/// (principal, interest, total, balance) of installment `number` as strings.
fn row(schedule: &Schedule, number: usize) -> (String, String, String, String) {
    let i = &schedule.installments()[number - 1];
    (
        i.principal.to_string(),
        i.interest.to_string(),
        i.total.to_string(),
        i.balance.to_string(),
    )
}

fn strings(p: &str, i: &str, t: &str, b: &str) -> (String, String, String, String) {
    (p.into(), i.into(), t.into(), b.into())
}

fn apr6(schedule: &Schedule) -> String {
    let apr = schedule.apr(Money::zero(Currency::CNY)).unwrap();
    format!("{:.6}", apr.round_dp(6))
}

#[test]
fn annuity_issue_case() {
    // 100000 at 4.35% over 12 months from 2026-01-31.
    // r = 0.0435 / 12 = 0.003625; P·r / (1 − 1.003625^−12) = 8530.9906… → 8530.99
    let s = generate(&terms("100000", "0.0435", 12, RepaymentMethod::Annuity)).unwrap();
    assert_eq!(s.installments()[0].due_date, ymd(2026, 2, 28));
    assert_eq!(s.installments()[1].due_date, ymd(2026, 3, 31));
    assert_eq!(s.installments()[11].due_date, ymd(2027, 1, 31));
    // interest 1: 100000 × 0.0435 / 12 = 362.50; principal 8530.99 − 362.50 = 8168.49
    assert_eq!(
        row(&s, 1),
        strings("8168.49", "362.50", "8530.99", "91831.51")
    );
    // the last clears the balance: 8500.20 principal + 8500.20 × 0.003625 = 30.81
    assert_eq!(row(&s, 12), strings("8500.20", "30.81", "8531.01", "0.00"));
    assert!(
        s.installments()[..11]
            .iter()
            .all(|i| i.total == cny("8530.99"))
    );
    assert_eq!(s.total_interest().to_string(), "2371.90");
    assert_eq!(s.total_payment().to_string(), "102371.90");
    assert_eq!(apr6(&s), "0.043500");
}

#[test]
fn annuity_published_mortgage_case() {
    // The figure every Chinese bank calculator shows: 1,000,000 at 4.9% over 30 years,
    // 等额本息 → 5307.27 a month. r = 0.049 / 12; P·r / (1 − (1+r)^−360) = 5307.2704…
    let s = generate(&terms("1000000", "0.049", 360, RepaymentMethod::Annuity)).unwrap();
    // interest 1: 1000000 × 0.049 / 12 = 4083.333… → 4083.33
    assert_eq!(
        row(&s, 1),
        strings("1223.94", "4083.33", "5307.27", "998776.06")
    );
    assert_eq!(s.installments().len(), 360);
    // Calculators quote 910616.19 from unrounded installments; rounding every interest
    // to the fen and letting the last installment clear gives 910615.12.
    assert_eq!(s.total_interest().to_string(), "910615.12");
    assert_eq!(row(&s, 360), strings("5283.62", "21.57", "5305.19", "0.00"));
    assert_eq!(apr6(&s), "0.049000");
}

#[test]
fn annuity_textbook_case() {
    // PMT(1%, 12, 10000) = 888.4879 → 888.49 (the classic textbook example)
    let s = generate(&terms("10000", "0.12", 12, RepaymentMethod::Annuity)).unwrap();
    assert_eq!(row(&s, 1), strings("788.49", "100.00", "888.49", "9211.51"));
    assert_eq!(s.total_interest().to_string(), "661.86");
    // Rounding 888.4879 up to 888.49 costs the borrower 0.0006% a year: 12.0000 6…%
    assert_eq!(apr6(&s), "0.120001");
}

#[test]
fn equal_principal_published_mortgage_case() {
    // 1,000,000 at 4.9% over 30 years, 等额本金: the first month 6861.11, each month
    // 11.34 less. principal 1000000 / 360 = 2777.777… → 2777.78; interest 4083.33.
    let s = generate(&terms(
        "1000000",
        "0.049",
        360,
        RepaymentMethod::EqualPrincipal,
    ))
    .unwrap();
    assert_eq!(
        row(&s, 1),
        strings("2777.78", "4083.33", "6861.11", "997222.22")
    );
    // interest 2: 997222.22 × 0.049 / 12 = 4071.99; 6861.11 − 6849.77 = 11.34
    assert_eq!(
        row(&s, 2),
        strings("2777.78", "4071.99", "6849.77", "994444.44")
    );
    // the last takes the remainder: 1000000 − 359 × 2777.78 = 2776.98
    assert_eq!(row(&s, 360), strings("2776.98", "11.34", "2788.32", "0.00"));
    // Calculators quote 737041.67 = 361 × 4083.33…/ 2 from unrounded parts.
    assert_eq!(s.total_interest().to_string(), "737041.08");
    assert_eq!(apr6(&s), "0.049000");
}

#[test]
fn interest_only_case() {
    // 100000 at 6% for 6 months: 500.00 a month, principal with the sixth.
    let s = generate(&terms("100000", "0.06", 6, RepaymentMethod::InterestOnly)).unwrap();
    assert_eq!(row(&s, 1), strings("0.00", "500.00", "500.00", "100000.00"));
    assert_eq!(
        row(&s, 6),
        strings("100000.00", "500.00", "100500.00", "0.00")
    );
    assert_eq!(s.total_interest().to_string(), "3000.00");
    assert_eq!(apr6(&s), "0.060000");
}

#[test]
fn bullet_case() {
    // 100000 at 4.35% for 12 months: 100000 × 0.0435 / 12 × 12 = 4350.00 at maturity.
    let s = generate(&terms("100000", "0.0435", 12, RepaymentMethod::Bullet)).unwrap();
    assert_eq!(s.installments().len(), 1);
    assert_eq!(s.installments()[0].due_date, ymd(2027, 1, 31));
    assert_eq!(
        row(&s, 1),
        strings("100000.00", "4350.00", "104350.00", "0.00")
    );
    // IRR: 12 × (1.0435^(1/12) − 1) = 0.0426560…
    assert_eq!(apr6(&s), "0.042656");
}

#[test]
fn bullet_counts_actual_days_under_act_360() {
    // 100000 at 3.65% from 2026-01-31 to 2026-04-30 (89 days): 100000 × 0.0365 × 89 / 360 = 902.36
    let mut t = terms("100000", "0.0365", 3, RepaymentMethod::Bullet);
    t.day_count = DayCount::Act360;
    let s = generate(&t).unwrap();
    assert_eq!(
        row(&s, 1),
        strings("100000.00", "902.36", "100902.36", "0.00")
    );
}

#[test]
fn flat_case() {
    // 12000 at 12% flat over 12 months: principal 1000.00, interest 12000 × 0.12 / 12 = 120.00.
    let s = generate(&terms("12000", "0.12", 12, RepaymentMethod::Flat)).unwrap();
    assert!(s.installments().iter().all(|i| i.total == cny("1120.00")));
    assert_eq!(s.total_interest().to_string(), "1440.00");
    // The true cost of a 12% flat rate: 12 × IRR(12000; 12 × 1120) = 21.4572%
    assert_eq!(apr6(&s), "0.214572");
}

#[test]
fn principal_grace_pays_interest_first() {
    // 120000 at 6%, 12 months, 2 months' grace: 600.00 interest, then PMT(0.5%, 10, 120000) = 12332.47
    let mut t = terms("120000", "0.06", 12, RepaymentMethod::Annuity);
    t.grace_principal = 2;
    let s = generate(&t).unwrap();
    assert_eq!(row(&s, 1), strings("0.00", "600.00", "600.00", "120000.00"));
    assert_eq!(row(&s, 2), strings("0.00", "600.00", "600.00", "120000.00"));
    // 12332.47 − 600.00 = 11732.47
    assert_eq!(
        row(&s, 3),
        strings("11732.47", "600.00", "12332.47", "108267.53")
    );
    assert_eq!(s.total_interest().to_string(), "4524.69");

    // Equal principal with grace: 120000 / 10 = 12000.00 from the third installment.
    t.method = RepaymentMethod::EqualPrincipal;
    let s = generate(&t).unwrap();
    assert_eq!(row(&s, 2), strings("0.00", "600.00", "600.00", "120000.00"));
    assert_eq!(
        row(&s, 3),
        strings("12000.00", "600.00", "12600.00", "108000.00")
    );

    // Flat with grace: 120000 × 0.06 / 12 = 600.00 every month, principal 12000.00 from the third.
    t.method = RepaymentMethod::Flat;
    let s = generate(&t).unwrap();
    assert_eq!(row(&s, 2), strings("0.00", "600.00", "600.00", "120000.00"));
    assert_eq!(
        row(&s, 12),
        strings("12000.00", "600.00", "12600.00", "0.00")
    );
}

#[test]
fn installment_multiple_rounds_up_and_the_last_clears() {
    // 8530.99 rounded up to a multiple of 10.00 → 8540.00; the last is smaller.
    let mut t = terms("100000", "0.0435", 12, RepaymentMethod::Annuity);
    t.installment_multiple = Some(cny("10"));
    let s = generate(&t).unwrap();
    assert!(
        s.installments()[..11]
            .iter()
            .all(|i| i.total == cny("8540.00"))
    );
    assert_eq!(row(&s, 12), strings("8399.26", "30.45", "8429.71", "0.00"));
    assert_eq!(s.total_interest().to_string(), "2369.71");

    // Flat: 1120.00 → 1200.00 with a multiple of 100.00: principal 1080.00 a month,
    // 11 × 1080 = 11880, the last repays 120.00.
    let mut t = terms("12000", "0.12", 12, RepaymentMethod::Flat);
    t.installment_multiple = Some(cny("100"));
    let s = generate(&t).unwrap();
    assert_eq!(
        row(&s, 1),
        strings("1080.00", "120.00", "1200.00", "10920.00")
    );
    assert_eq!(row(&s, 12), strings("120.00", "120.00", "240.00", "0.00"));
}

#[test]
fn broken_first_period_charges_actual_days_over_360() {
    // From 2026-01-10, first due 2026-02-20: 41 days. 100000 × 0.0435 × 41 / 360 = 495.4166… → 495.42
    let mut t = terms("100000", "0.0435", 12, RepaymentMethod::Annuity);
    t.start = ymd(2026, 1, 10);
    t.first_due = Some(ymd(2026, 2, 20));
    let s = generate(&t).unwrap();
    assert!(s.has_broken_first_period());
    // The principal part stays the regular one: 8530.99 − 362.50 = 8168.49
    assert_eq!(
        row(&s, 1),
        strings("8168.49", "495.42", "8663.91", "91831.51")
    );
    // Later installments anchor on the first due date and stay equal.
    assert_eq!(s.installments()[1].due_date, ymd(2026, 3, 20));
    assert_eq!(s.installments()[11].due_date, ymd(2027, 1, 20));
    assert!(
        s.installments()[1..11]
            .iter()
            .all(|i| i.total == cny("8530.99"))
    );
    // The longer first period costs a little more than 4.35%.
    let apr = s.apr(Money::zero(Currency::CNY)).unwrap();
    assert!(
        apr > "0.0435".parse::<Decimal>().unwrap() && apr < "0.0440".parse::<Decimal>().unwrap(),
        "{apr}"
    );

    // A first due date exactly one period on is a regular period.
    t.first_due = Some(ymd(2026, 2, 10));
    let s = generate(&t).unwrap();
    assert!(!s.has_broken_first_period());
    assert_eq!(row(&s, 1).1, "362.50");
}

#[test]
fn broken_first_period_for_equal_principal_and_flat() {
    // Short first period: 2026-01-31 → 2026-02-15 is 15 days.
    let mut t = terms("36000", "0.072", 12, RepaymentMethod::EqualPrincipal);
    t.first_due = Some(ymd(2026, 2, 15));
    let s = generate(&t).unwrap();
    // 36000 × 0.072 × 15 / 360 = 108.00; principal 36000 / 12 = 3000.00
    assert_eq!(
        row(&s, 1),
        strings("3000.00", "108.00", "3108.00", "33000.00")
    );
    // then 33000 × 0.072 / 12 = 198.00 on 2026-03-15
    assert_eq!(
        row(&s, 2),
        strings("3000.00", "198.00", "3198.00", "30000.00")
    );
    assert_eq!(s.installments()[1].due_date, ymd(2026, 3, 15));

    t.method = RepaymentMethod::Flat;
    let s = generate(&t).unwrap();
    // 108.00 for the broken period, then 36000 × 0.072 / 12 = 216.00
    assert_eq!(
        row(&s, 1),
        strings("3000.00", "108.00", "3108.00", "33000.00")
    );
    assert_eq!(
        row(&s, 2),
        strings("3000.00", "216.00", "3216.00", "30000.00")
    );
}

#[test]
fn act_360_and_act_365_period_interest() {
    // Equal principal 36500 at 7.3%: Jan 31 → Feb 28 is 28 days.
    let mut t = terms("36500", "0.073", 2, RepaymentMethod::EqualPrincipal);
    t.day_count = DayCount::Act365F;
    let s = generate(&t).unwrap();
    // 36500 × 0.073 × 28 / 365 = 204.40; then 18250 × 0.073 × 31 / 365 = 113.15
    assert_eq!(row(&s, 1).1, "204.40");
    assert_eq!(row(&s, 2).1, "113.15");
    t.day_count = DayCount::Act360;
    let s = generate(&t).unwrap();
    // 36500 × 0.073 × 28 / 360 = 207.2388… → 207.24
    assert_eq!(row(&s, 1).1, "207.24");
}

#[test]
fn weekly_and_quarterly_frequencies() {
    // Quarterly interest-only: 100000 × 0.08 × 3 / 12 = 2000.00
    let mut t = terms("100000", "0.08", 4, RepaymentMethod::InterestOnly);
    t.frequency = Frequency::Quarterly;
    let s = generate(&t).unwrap();
    assert_eq!(s.installments()[0].due_date, ymd(2026, 4, 30));
    assert_eq!(row(&s, 1).1, "2000.00");
    assert_eq!(apr6(&s), "0.080000");
    // Weekly under 30/360, a regular period is 1/52 of a year: 100000 × 0.08 / 52 = 153.846… → 153.85
    t.frequency = Frequency::Weekly;
    let s = generate(&t).unwrap();
    assert_eq!(s.installments()[0].due_date, ymd(2026, 2, 7));
    assert_eq!(s.installments()[3].due_date, ymd(2026, 2, 28));
    assert_eq!(row(&s, 1).1, "153.85");
    // rounding 153.846 up to 153.85 each week costs 0.0002% a year
    assert_eq!(apr6(&s), "0.080002");
    // Biweekly under ACT/365F: 100000 × 0.08 × 14 / 365 = 306.849… → 306.85
    t.frequency = Frequency::Biweekly;
    t.day_count = DayCount::Act365F;
    let s = generate(&t).unwrap();
    assert_eq!(row(&s, 1).1, "306.85");
}

#[test]
fn act_annuity_is_sized_on_the_actual_periods() {
    // 1,000,000 at 12% over 30 years, ACT/360: the installment is sized so that the
    // actual-day interest of every period is covered and the loan amortises evenly.
    let mut t = terms("1000000", "0.12", 360, RepaymentMethod::Annuity);
    t.day_count = DayCount::Act360;
    let s = generate(&t).unwrap();
    let level = s.installments()[0].total;
    // Dearer than the 30/360 installment of 10286.13: a year of actual days / 360 is
    // 365.25 / 360 of the nominal rate.
    assert!(
        level.amount_minor() > cny("10286.13").amount_minor(),
        "{level:?}"
    );
    assert!(s.installments()[..359].iter().all(|i| i.total == level));
    let last = s.installments()[359].total.amount_minor();
    // the last differs from the others only by the fen rounding that accumulated
    assert!(
        (last - level.amount_minor()).abs() < 50_000,
        "last {last} level {level:?}"
    );
    // Feb 2026 (28 days) repays more principal than Mar 2026 (31 days)
    assert!(
        s.installments()[0].principal.amount_minor() > s.installments()[1].principal.amount_minor()
    );
}

#[test]
fn tiny_equal_principal_never_repays_early() {
    // 502.50 over 480 months: 502.50 / 480 = 1.046875 → 1.05 would repay by
    // installment 479 (479 × 1.05 = 502.95), so the part is rounded down to 1.04 and
    // the last takes 502.50 − 479 × 1.04 = 4.34.
    let s = generate(&terms(
        "502.50",
        "0.05",
        480,
        RepaymentMethod::EqualPrincipal,
    ))
    .unwrap();
    assert_eq!(s.installments()[0].principal, cny("1.04"));
    assert_eq!(s.installments()[478].principal, cny("1.04"));
    assert_eq!(s.installments()[479].principal, cny("4.34"));
}

#[test]
fn long_high_rate_annuity_keeps_equal_installments() {
    // 76.44% quarterly over 159 quarters: the first principal parts are a tenth of a
    // fen, so rounding the installment up would repay the loan at installment 158.
    // The installment is lowered until it does not.
    let mut t = ScheduleTerms::new(
        Money::from_minor(6_235_747_701_903, Currency::CNY),
        rate("0.7644"),
        159,
        RepaymentMethod::Annuity,
        ymd(2026, 1, 31),
    );
    t.frequency = Frequency::Quarterly;
    let s = generate(&t).unwrap();
    let first = s.installments()[0].total;
    assert!(s.installments()[..158].iter().all(|i| i.total == first));
    assert!(s.installments()[158].principal.is_positive());
}

#[test]
fn half_even_rounding_is_applied() {
    // 1000.00 × 0.0003 / 12 = 0.025: 0.03 half-up, 0.02 half-even.
    let mut t = terms("1000", "0.0003", 1, RepaymentMethod::Bullet);
    let s = generate(&t).unwrap();
    assert_eq!(row(&s, 1).1, "0.03");
    t.rounding = Rounding::HalfEven;
    let s = generate(&t).unwrap();
    assert_eq!(row(&s, 1).1, "0.02");
}

#[test]
fn zero_rate_spreads_principal() {
    // 1000 over 3 months interest-free: 333.33, 333.33, 333.34
    let s = generate(&terms("1000", "0", 3, RepaymentMethod::Annuity)).unwrap();
    assert_eq!(row(&s, 1), strings("333.33", "0.00", "333.33", "666.67"));
    assert_eq!(row(&s, 3), strings("333.34", "0.00", "333.34", "0.00"));
    assert_eq!(apr6(&s), "0.000000");
}

#[test]
fn calendar_moves_due_dates_but_not_interest() {
    let spec = CalendarSpec {
        jurisdiction: "CN".into(),
        weekend: vec!["sat".into(), "sun".into()],
        holidays: vec![NamedDate {
            date: ymd(2026, 3, 31),
            name: "test".into(),
        }],
        working_days: vec![],
    };
    let calendar = HolidayCalendar::from_spec(&spec).unwrap();
    let mut s = generate(&terms("100000", "0.0435", 12, RepaymentMethod::Annuity)).unwrap();
    let before = s.clone();
    s.adjust_due_dates(&calendar, BusinessDayConvention::ModifiedFollowing)
        .unwrap();
    // Sat 2026-02-28: following is Mon Mar 2 (next month) → modified-following Fri Feb 27
    assert_eq!(s.installments()[0].due_date, ymd(2026, 2, 27));
    assert_eq!(s.installments()[0].period_end, ymd(2026, 2, 28));
    // Tue 2026-03-31 is a holiday: Apr 1 is next month → Mon Mar 30
    assert_eq!(s.installments()[1].due_date, ymd(2026, 3, 30));
    assert_eq!(s.total_interest(), before.total_interest());
    s.adjust_due_dates(&calendar, BusinessDayConvention::Following)
        .unwrap();
    assert_eq!(s.installments()[0].due_date, ymd(2026, 3, 2));
}

#[test]
fn upfront_fees_raise_the_apr_and_the_cost() {
    let s = generate(&terms("100000", "0.0435", 12, RepaymentMethod::Annuity)).unwrap();
    let fee = cny("1000");
    assert_eq!(s.total_cost(fee).unwrap().to_string(), "3371.90");
    let with_fee = s.apr(fee).unwrap();
    // Receiving 99000 and repaying 102371.90 over a year costs about 6.2%.
    assert!(
        with_fee > "0.0615".parse::<Decimal>().unwrap()
            && with_fee < "0.0625".parse::<Decimal>().unwrap(),
        "{with_fee}"
    );
    assert!(matches!(
        s.apr(cny("100000")),
        Err(AprError::FeesNotBelowPrincipal)
    ));
}

fn refused(t: &ScheduleTerms) -> (&'static str, String) {
    let e = generate(t).unwrap_err();
    (e.field, e.rule)
}

#[test]
fn bad_terms_name_the_field_and_the_rule() {
    let base = terms("100000", "0.0435", 12, RepaymentMethod::Annuity);
    let mut t = base.clone();
    t.principal = cny("0");
    assert_eq!(
        refused(&t),
        ("principal", "must be greater than 0 (got 0.00)".into())
    );
    t.principal = cny("100000000000.01");
    assert_eq!(refused(&t).0, "principal");

    let mut t = base.clone();
    t.term = 0;
    assert_eq!(
        refused(&t),
        ("term", "must be between 1 and 480 (got 0)".into())
    );
    t.term = 481;
    assert_eq!(refused(&t).0, "term");
    t.term = 161;
    t.frequency = Frequency::Quarterly;
    assert_eq!(
        refused(&t),
        (
            "term",
            "a quarterly loan may have at most 160 periods (40 years) (got 161)".into()
        )
    );

    let mut t = base.clone();
    t.grace_principal = 12;
    assert_eq!(
        refused(&t),
        (
            "grace_principal",
            "must be less than the term (got 12 with a term of 12)".into()
        )
    );
    t.method = RepaymentMethod::InterestOnly;
    t.grace_principal = 1;
    assert_eq!(refused(&t).0, "grace_principal");

    let mut t = base.clone();
    t.method = RepaymentMethod::EqualPrincipal;
    t.installment_multiple = Some(cny("10"));
    assert_eq!(
        refused(&t),
        (
            "installment_multiple",
            "applies only to the annuity and flat methods (got equal_principal)".into()
        )
    );
    t.method = RepaymentMethod::Annuity;
    t.installment_multiple = Some(cny("50000"));
    assert_eq!(
        refused(&t),
        (
            "installment_multiple",
            "is too large: an installment of 50000.00 would repay the loan by installment 3 of 12"
                .into()
        )
    );

    let mut t = base.clone();
    t.first_due = Some(ymd(2026, 1, 31));
    assert_eq!(refused(&t).0, "first_due");
    t.first_due = Some(ymd(2026, 4, 1));
    assert_eq!(
        refused(&t),
        ("first_due", "must be at most two periods after the start date, on or before 2026-03-31 (got 2026-04-01)".into())
    );
    t.method = RepaymentMethod::Bullet;
    t.first_due = Some(ymd(2026, 2, 15));
    assert_eq!(refused(&t).0, "first_due");

    let mut t = base.clone();
    t.method = RepaymentMethod::Flat;
    t.day_count = DayCount::Act360;
    assert_eq!(refused(&t).0, "day_count");

    let mut t = base;
    t.start = NaiveDate::MAX;
    assert_eq!(refused(&t).0, "start");
}

// ---------------------------------------------------------------- properties

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

fn any_day_count() -> impl Strategy<Value = DayCount> {
    prop::sample::select(vec![
        DayCount::Thirty360,
        DayCount::Act360,
        DayCount::Act365F,
    ])
}

prop_compose! {
    /// Any valid terms: every method, frequency, day count, rounding and option.
    fn any_terms()(
        principal_minor in 1i64..=MAX_PRINCIPAL_MINOR,
        rate_bp in 0i64..10_000,
        term in 1u32..=MAX_TERM,
        method in any_method(),
        frequency in any_frequency(),
        day_count in any_day_count(),
        half_even in any::<bool>(),
        start_offset in 0u64..3_650,
        grace_share in 0u32..100,
        multiple_minor in prop::option::of(1i64..100_000),
        first_due_offset in prop::option::of(1u64..56),
    ) -> ScheduleTerms {
        let term = term.min(MAX_YEARS * frequency.periods_per_year());
        let start = ymd(2020, 1, 1) + chrono::Days::new(start_offset);
        let mut t = ScheduleTerms::new(
            Money::from_minor(principal_minor, Currency::CNY),
            AnnualRate::new(Decimal::new(rate_bp, 4)).unwrap(),
            term,
            method,
            start,
        );
        t.frequency = frequency;
        t.day_count = if method == RepaymentMethod::Flat { DayCount::Thirty360 } else { day_count };
        t.rounding = if half_even { Rounding::HalfEven } else { Rounding::HalfUp };
        if method.amortises() {
            t.grace_principal = grace_share * (term - 1) / 100 / 4;
        }
        if method.has_constant_installment() {
            t.installment_multiple = multiple_minor.map(|m| Money::from_minor(m, Currency::CNY));
        }
        if method != RepaymentMethod::Bullet {
            t.first_due = first_due_offset.map(|d| start + chrono::Days::new(d));
        }
        t
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn schedules_conserve_principal(t in any_terms()) {
        match generate(&t) {
            Ok(s) => {
                // principal parts sum exactly to the principal
                prop_assert_eq!(s.total_principal(), t.principal);
                // balances never negative, the last zero, and each balance is the
                // previous one less the principal part
                let mut balance = t.principal.amount_minor();
                for i in s.installments() {
                    prop_assert!(!i.principal.is_negative() && !i.interest.is_negative());
                    balance -= i.principal.amount_minor();
                    prop_assert_eq!(i.balance.amount_minor(), balance);
                    prop_assert!(balance >= 0);
                    prop_assert_eq!(i.total.amount_minor(), i.principal.amount_minor() + i.interest.amount_minor());
                    prop_assert!(i.period_start < i.period_end);
                }
                prop_assert_eq!(balance, 0);
                let expected_len = if t.method == RepaymentMethod::Bullet { 1 } else { t.term as usize };
                prop_assert_eq!(s.installments().len(), expected_len);
                prop_assert_eq!(s.total_payment().amount_minor(),
                    s.total_principal().amount_minor() + s.total_interest().amount_minor());
            }
            // the only refusals valid-looking terms may get
            Err(e) => prop_assert!(
                e.field == "installment_multiple" || e.field == "first_due",
                "unexpected refusal {e}"
            ),
        }
    }

    #[test]
    fn annuity_installments_are_equal_but_the_last(
        principal_minor in 100_000i64..=MAX_PRINCIPAL_MINOR,
        rate_bp in 0i64..10_000,
        term in 2u32..=MAX_TERM,
        frequency in any_frequency(),
        half_even in any::<bool>(),
    ) {
        let term = term.min(MAX_YEARS * frequency.periods_per_year());
        let mut t = ScheduleTerms::new(
            Money::from_minor(principal_minor, Currency::CNY),
            AnnualRate::new(Decimal::new(rate_bp, 4)).unwrap(),
            term,
            RepaymentMethod::Annuity,
            ymd(2026, 1, 31),
        );
        t.frequency = frequency;
        t.rounding = if half_even { Rounding::HalfEven } else { Rounding::HalfUp };
        let s = generate(&t).unwrap();
        let first = s.installments()[0].total;
        prop_assert!(s.installments()[..term as usize - 1].iter().all(|i| i.total == first));
    }

    #[test]
    fn act_annuity_installments_are_equal_but_the_last(
        principal_minor in 1_000_000i64..=MAX_PRINCIPAL_MINOR,
        rate_bp in 1i64..1_200,
        term in 2u32..=360,
        act_365 in any::<bool>(),
        start_offset in 0u64..3_650,
    ) {
        // Up to 12% over 30 years no month's actual-day interest exceeds the installment.
        let mut t = ScheduleTerms::new(
            Money::from_minor(principal_minor, Currency::CNY),
            AnnualRate::new(Decimal::new(rate_bp, 4)).unwrap(),
            term,
            RepaymentMethod::Annuity,
            ymd(2020, 1, 1) + chrono::Days::new(start_offset),
        );
        t.day_count = if act_365 { DayCount::Act365F } else { DayCount::Act360 };
        let s = generate(&t).unwrap();
        let first = s.installments()[0].total;
        prop_assert!(s.installments()[..term as usize - 1].iter().all(|i| i.total == first));
    }

    #[test]
    fn apr_equals_the_nominal_rate_without_a_broken_period(
        principal_digits in 4u32..=13,
        principal_scale in 1i64..10,
        rate_bp in 0i64..3_600,
        term in 1u32..=360,
        method in prop::sample::select(vec![
            RepaymentMethod::Annuity,
            RepaymentMethod::EqualPrincipal,
            RepaymentMethod::InterestOnly,
        ]),
    ) {
        // principal from 100.00 to 100,000,000,000.00 on a log scale
        let principal_minor = (principal_scale * 10i64.pow(principal_digits)).min(MAX_PRINCIPAL_MINOR);
        let annual = Decimal::new(rate_bp, 4);
        let t = ScheduleTerms::new(
            Money::from_minor(principal_minor, Currency::CNY),
            AnnualRate::new(annual).unwrap(),
            term,
            method,
            ymd(2026, 1, 31),
        );
        let s = generate(&t).unwrap();
        let apr = s.apr(Money::zero(Currency::CNY)).unwrap();
        // Only the fen rounding of each interest separates them: at most one fen per
        // period on the principal, annualised (12 / principal in fen).
        let tolerance = Decimal::from(12) / Decimal::from(principal_minor);
        prop_assert!((apr - annual).abs() <= tolerance, "apr {} nominal {}", apr, annual);
        // From 1,000,000.00 on, the six-decimal APR is the nominal rate exactly.
        if principal_minor >= 100_000_000 {
            prop_assert_eq!(format!("{:.6}", apr.round_dp(6)), format!("{:.6}", annual));
        }
    }
}
