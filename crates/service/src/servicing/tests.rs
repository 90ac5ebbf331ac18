//! Servicing scenarios on every test database: loans booked, months of daily closes with
//! on-time, late and early payments, each ending with the ledger check.

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::RepaymentMethod;
use loanbook_core::servicing::prepayment::PrepaymentMode;

use super::book::{BookLoanInput, book_loan};
use super::eod::{RunOptions, run};
use super::repayments::{RepaymentInput, pay_off, payoff_quote, prepay, repay};
use crate::applications::{FundingSourceInput, create_funding_source};
use crate::customers::{self, CustomerInput};
use crate::test_support::apps;
use crate::{Actor, App, ServiceError, ledger, loans, products};

pub(crate) fn cny(text: &str) -> Money {
    Money::parse(text, Currency::CNY).unwrap()
}

pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A product without grace (penalty ×1.5, compound interest) and a funding source.
pub(crate) async fn bank(app: &App, admin: &Actor) -> i64 {
    let product = serde_json::json!({
        "code": "SVC", "name": "servicing test", "currency": "CNY",
        "amount_min": "1000", "amount_max": "1000000", "term_min_months": 1, "term_max_months": 36,
        "rate_min": "0.01", "rate_max": "0.24", "methods": ["annuity", "equal_principal"],
        "grace_days": 0, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
        "prepayment_penalty_rate": "0"
    });
    products::add(app, admin, &product).await.unwrap();
    create_funding_source(
        app,
        admin,
        &FundingSourceInput {
            code: "OWN".into(),
            name: "own funds".into(),
            currency: None,
            limit: "100000000.00".into(),
        },
    )
    .await
    .unwrap();
    customers::create(
        app,
        admin,
        &CustomerInput {
            kind: "individual".into(),
            name: "李四".into(),
            id_number: Some(crate::demo::resident_id("11010119850312", 7)),
            phone: Some("13800138007".into()),
            province: Some("广东省".into()),
            ..CustomerInput::default()
        },
    )
    .await
    .unwrap()
    .id
}

pub(crate) async fn book(
    app: &App,
    admin: &Actor,
    customer: i64,
    principal: &str,
    rate: &str,
    term: u32,
) -> i64 {
    book_loan(
        app,
        admin,
        &BookLoanInput {
            external_id: None,
            customer_id: customer,
            product_code: "SVC".into(),
            principal: cny(principal),
            annual_rate: AnnualRate::parse(rate).unwrap(),
            term,
            method: RepaymentMethod::Annuity,
            funding_source: "OWN".into(),
        },
    )
    .await
    .unwrap()
}

/// Closes every date up to and including `last`.
pub(crate) async fn close_through(app: &App, admin: &Actor, last: NaiveDate) {
    let opts = RunOptions {
        until: Some(last),
        ..RunOptions::default()
    };
    run(app, admin, &opts, &|_, _, _| {}).await.unwrap();
}

pub(crate) fn pay(amount: &str) -> RepaymentInput {
    RepaymentInput {
        amount: amount.into(),
        channel: Some("bank_transfer".into()),
        reference: Some("test".into()),
        ..RepaymentInput::default()
    }
}

pub(crate) async fn assert_ledger_ok(app: &App, admin: &Actor, label: &str) {
    let check = ledger::check(app, admin).await.unwrap();
    assert!(check.is_ok(), "{label}: {check:?}");
}

#[tokio::test]
async fn an_on_time_payer_for_twelve_months_closes_the_loan() {
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        // business date 2026-11-23: 12,000.00 at 12% over 12 months, 1,066.19 a month
        let id = book(&app, &admin, customer, "12000", "0.12", 12).await;
        let schedule = loans::schedule(&app, &admin, id).await.unwrap();
        let mut interest = 0;
        for i in &schedule {
            let due = NaiveDate::parse_from_str(&i.due_date, "%Y-%m-%d").unwrap();
            close_through(&app, &admin, due.pred_opt().unwrap()).await;
            let paid = repay(&app, &admin, id, &pay(&i.total.to_string()), None)
                .await
                .unwrap();
            assert_eq!(paid.allocation.principal, i.principal, "{}", t.label);
            assert_eq!(paid.allocation.interest, i.interest, "{}", t.label);
            interest += paid.allocation.interest.amount_minor();
        }
        let loan = loans::get(&app, &admin, id).await.unwrap();
        assert_eq!(loan.status, "closed", "{}", t.label);
        assert_eq!(loan.principal_outstanding, cny("0"));
        let total: i64 = schedule.iter().map(|i| i.interest.amount_minor()).sum();
        assert_eq!(
            interest, total,
            "{}: every fen of scheduled interest",
            t.label
        );
        close_through(&app, &admin, app.business_date().await.unwrap()).await;
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

#[tokio::test]
async fn a_late_payer_bears_penalty_compound_interest_and_a_worse_class() {
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        // 100,000.00 at 4.35% over 12 months from 2026-11-23: installment 1 due 2026-12-23 is
        // 8,168.49 principal + 362.50 interest (100000 × 0.0435 / 12)
        let id = book(&app, &admin, customer, "100000", "0.0435", 12).await;
        close_through(&app, &admin, d(2027, 1, 2)).await;
        let loan = loans::get(&app, &admin, id).await.unwrap();
        let s = loan.servicing.as_ref().unwrap();
        // Dec 24 … Jan 2: ten closed days past the due date
        // penalty: 816849 × 0.0435 × 1.5 / 360 = 148.053881 minor a day × 10 = 14.81
        // compound: 36250 × 0.00018125 = 6.570313 minor a day × 10 = 0.66
        assert_eq!(
            (
                s.overdue_principal,
                s.overdue_interest,
                s.penalty_interest,
                s.compound_interest
            ),
            (cny("8168.49"), cny("362.50"), cny("14.81"), cny("0.66")),
            "{}",
            t.label
        );
        assert_eq!(
            (s.dpd, s.bucket.as_str(), s.five_tier_class.as_str()),
            (10, "M1", "special_mention")
        );
        // provision 2% of 100,000.00
        assert_eq!(s.provision, cny("2000.00"));
        // Jan 3: the payoff of the arrears in one payment, in waterfall order
        let paid = repay(&app, &admin, id, &pay("8546.46"), Some("k-1"))
            .await
            .unwrap();
        let a = &paid.allocation;
        assert_eq!(
            (
                a.penalty_interest,
                a.compound_interest,
                a.interest,
                a.principal,
                a.advance
            ),
            (
                cny("14.81"),
                cny("0.66"),
                cny("362.50"),
                cny("8168.49"),
                cny("0")
            ),
            "{}",
            t.label
        );
        // a retry with the same key answers the first result and posts nothing
        let again = repay(&app, &admin, id, &pay("8546.46"), Some("k-1"))
            .await
            .unwrap();
        assert_eq!(again.transaction_id, paid.transaction_id);
        let other = repay(&app, &admin, id, &pay("1.00"), Some("k-1")).await;
        assert!(matches!(other, Err(ServiceError::Conflict(_))), "{other:?}");
        close_through(&app, &admin, d(2027, 1, 3)).await;
        let s = loans::get(&app, &admin, id)
            .await
            .unwrap()
            .servicing
            .unwrap();
        assert_eq!(
            (s.dpd, s.five_tier_class.as_str()),
            (0, "special_mention"),
            "upgrades wait"
        );
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

#[tokio::test]
async fn prepayments_in_both_modes_and_a_payoff_balance_the_ledger() {
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        let term = book(&app, &admin, customer, "120000", "0.06", 12).await;
        let installment = book(&app, &admin, customer, "120000", "0.06", 12).await;
        let off = book(&app, &admin, customer, "50000", "0.06", 6).await;
        close_through(&app, &admin, d(2026, 12, 7)).await;
        for (id, mode) in [
            (term, PrepaymentMode::ReduceTerm),
            (installment, PrepaymentMode::ReduceInstallment),
        ] {
            let before = loans::schedule(&app, &admin, id).await.unwrap();
            let paid = prepay(&app, &admin, id, &pay("30000"), mode, None)
                .await
                .unwrap();
            assert_eq!(
                paid.allocation.principal.amount_minor() + paid.allocation.interest.amount_minor(),
                3_000_000
            );
            let after = loans::schedule(&app, &admin, id).await.unwrap();
            let pending: Vec<_> = after.iter().filter(|i| i.status == "pending").collect();
            match mode {
                PrepaymentMode::ReduceTerm => {
                    assert!(pending.len() < 12, "{}: {}", t.label, pending.len())
                }
                PrepaymentMode::ReduceInstallment => {
                    assert_eq!(pending.len(), 12, "{}", t.label);
                    assert!(pending[1].total.amount_minor() < before[1].total.amount_minor());
                }
            }
        }
        // a payoff quote for today: principal + interest of Nov 23 → Dec 8 (15 days of 30)
        let quote = payoff_quote(&app, &admin, off, None).await.unwrap();
        assert_eq!(quote.principal, cny("50000"));
        // 50000 × 0.06 / 12 = 250.00 for the period; × 15 / 30 = 125.00
        assert_eq!(quote.interest, cny("125.00"), "{}", t.label);
        let short = pay_off(&app, &admin, off, &pay("100"), None).await;
        assert!(matches!(short, Err(ServiceError::Invalid(_))), "{short:?}");
        let done = pay_off(&app, &admin, off, &pay(&quote.total.to_string()), None)
            .await
            .unwrap();
        assert_eq!(done.loan_status, "closed");
        close_through(&app, &admin, d(2027, 3, 1)).await;
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

#[tokio::test]
async fn a_rerun_changes_nothing_and_bad_input_is_refused() {
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        let id = book(&app, &admin, customer, "10000", "0.12", 6).await;
        close_through(&app, &admin, d(2026, 11, 30)).await;
        let before = loans::get(&app, &admin, id)
            .await
            .unwrap()
            .servicing
            .unwrap();
        let again = run(
            &app,
            &admin,
            &RunOptions {
                until: Some(d(2026, 11, 30)),
                ..RunOptions::default()
            },
            &|_, _, _| {},
        )
        .await
        .unwrap();
        assert!(again[0].already_closed, "{}", t.label);
        let after = loans::get(&app, &admin, id)
            .await
            .unwrap()
            .servicing
            .unwrap();
        assert_eq!(before.interest_accrued, after.interest_accrued);
        // 10000 × 0.12 / 12 = 100.00 for Nov 23 → Dec 23; 7 of 30 days closed → 23.33
        assert_eq!(after.interest_accrued, cny("23.33"), "{}", t.label);
        for (input, field) in [
            (pay("-5"), "amount"),
            (pay("abc"), "amount"),
            (
                RepaymentInput {
                    paid_on: Some("2030-01-01".into()),
                    ..pay("10")
                },
                "paid_on",
            ),
            (
                RepaymentInput {
                    channel: Some("pigeon".into()),
                    ..pay("10")
                },
                "channel",
            ),
        ] {
            match repay(&app, &admin, id, &input, None).await {
                Err(ServiceError::Invalid(v)) => assert_eq!(v[0].field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

#[tokio::test]
async fn a_loan_is_resolved_by_its_id_or_its_external_id() {
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        let id = book_loan(
            &app,
            &admin,
            &BookLoanInput {
                external_id: Some("LEGACY-0042".into()),
                customer_id: customer,
                product_code: "SVC".into(),
                principal: cny("5000"),
                annual_rate: AnnualRate::parse("0.12").unwrap(),
                term: 6,
                method: RepaymentMethod::Annuity,
                funding_source: "OWN".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            loans::resolve(&app, &admin, &id.to_string()).await.unwrap(),
            id
        );
        assert_eq!(
            loans::resolve(&app, &admin, "LEGACY-0042").await.unwrap(),
            id,
            "{}",
            t.label
        );
        // digits are an id, looked up by the use case that takes it
        assert_eq!(loans::resolve(&app, &admin, "007").await.unwrap(), 7);
        for unknown in [
            "legacy-0042",
            "",
            "99999999999999999999",
            &"X".repeat(loans::MAX_EXTERNAL_ID_CHARS + 1),
        ] {
            let r = loans::resolve(&app, &admin, unknown).await;
            assert!(
                matches!(r, Err(ServiceError::NotFound(_))),
                "{unknown}: {r:?}"
            );
        }
    }
}
