//! Early warnings on every test database: the event rules with real figures, the work
//! (acknowledge, act, close), the limits that refuse a tranche, the hand-over to
//! collections and the permissions.

use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::RepaymentMethod;

use super::*;
use crate::applications::{self, ApplicationInput, FundingSourceInput, create_funding_source};
use crate::customer_records::{
    CollateralInput, CreditReportInput, add_collateral, add_credit_report, upload_document,
};
use crate::customers::{self, CustomerInput};
use crate::origination::contract::{SignInput, generate_contract, sign};
use crate::origination::disbursement::{DisburseInput, disburse};
use crate::servicing::book::{BookLoanInput, book_loan};
use crate::test_support::apps;
use crate::{Role, products};

fn cny_text(text: &str) -> Money {
    Money::parse(text, Currency::CNY).unwrap()
}

fn actor(name: &str, role: Role) -> Actor {
    Actor {
        user_id: 0,
        username: name.into(),
        role,
        request_id: None,
    }
}

/// The product SVC (1,000.00 – 1,000,000.00, 1–36 months) and the funding source OWN.
async fn bank(app: &App, admin: &Actor) {
    let product = json!({
        "code": "SVC", "name": "warning test", "currency": "CNY",
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
}

fn person(seq: u64, name: &str, province: &str, income: &str) -> CustomerInput {
    CustomerInput {
        kind: "individual".into(),
        name: name.into(),
        id_number: Some(crate::demo::resident_id("11010119850312", seq)),
        phone: Some(format!("1380013{seq:04}")),
        province: Some(province.into()),
        monthly_income: Some(income.into()),
        ..CustomerInput::default()
    }
}

async fn customer(app: &App, admin: &Actor, input: &CustomerInput) -> i64 {
    customers::create(app, admin, input).await.unwrap().id
}

/// Books a loan of `principal` at 12% over 12 months on the business date (2026-11-23).
async fn book(app: &App, admin: &Actor, customer_id: i64, principal: &str) -> i64 {
    book_loan(
        app,
        admin,
        &BookLoanInput {
            external_id: None,
            customer_id,
            product_code: "SVC".into(),
            principal: cny_text(principal),
            annual_rate: AnnualRate::parse("0.12").unwrap(),
            term: 12,
            method: RepaymentMethod::Annuity,
            funding_source: "OWN".into(),
        },
    )
    .await
    .unwrap()
}

async fn warnings_of(app: &App, customer_id: i64) -> Vec<WarningView> {
    let filter = ListInput {
        customer_id: Some(customer_id),
        ..ListInput::default()
    };
    list(app, &Actor::system(), &filter).await.unwrap()
}

fn rule_of(e: &ServiceError) -> (String, String) {
    match e {
        ServiceError::Invalid(v) => (v[0].field.clone(), v[0].rule.clone()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_income_drop_of_forty_percent_raises_one_warning_while_open() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        let input = person(1, "王伟", "广东省", "10000.00");
        let id = customer(&app, &admin, &input).await;
        let prospect_input = person(2, "李娜", "广东省", "10000.00");
        let prospect = customer(&app, &admin, &prospect_input).await;
        book(&app, &admin, id, "50000").await;

        // 10,000.00 → 6,000.00: a fall of 4,000 / 10,000 = 0.40 ≥ 0.30
        let fell = CustomerInput {
            monthly_income: Some("6000.00".into()),
            ..input.clone()
        };
        customers::update(&app, &admin, id, &fell).await.unwrap();
        let w = warnings_of(&app, id).await;
        assert_eq!(w.len(), 1, "{label}: {w:?}");
        assert_eq!(
            (
                w[0].rule.as_str(),
                w[0].severity.as_str(),
                w[0].status.as_str()
            ),
            ("income_drop", "medium", "open")
        );
        assert_eq!(
            (w[0].loan_id, w[0].raised_on.as_str()),
            (None, "2026-11-23")
        );
        assert_eq!(w[0].detail["field"], "monthly_income");
        assert_eq!(
            (
                &w[0].detail["before"],
                &w[0].detail["after"],
                &w[0].detail["fall"]
            ),
            (&json!("10000.00"), &json!("6000.00"), &json!("0.4000"))
        );
        // booked outside origination: nobody took the application, the warning is unassigned
        assert_eq!(w[0].owner, None);

        // 6,000.00 → 3,000.00: a second fall, but the warning is open: nothing new
        let again = CustomerInput {
            monthly_income: Some("3000.00".into()),
            ..input.clone()
        };
        customers::update(&app, &admin, id, &again).await.unwrap();
        assert_eq!(warnings_of(&app, id).await.len(), 1, "{label}");

        // 10,000.00 → 7,001.00 is a fall of 29.99%: below the threshold; and a prospect
        // without a loan is not warned at all
        let small = CustomerInput {
            monthly_income: Some("7001.00".into()),
            ..prospect_input.clone()
        };
        customers::update(&app, &admin, prospect, &small)
            .await
            .unwrap();
        let none = CustomerInput {
            monthly_income: Some("1000.00".into()),
            ..prospect_input.clone()
        };
        customers::update(&app, &admin, prospect, &none)
            .await
            .unwrap();
        assert!(warnings_of(&app, prospect).await.is_empty(), "{label}");

        // closed with a resolution, the next fall raises a new warning
        acknowledge(&app, &admin, w[0].id).await.unwrap();
        close(
            &app,
            &admin,
            w[0].id,
            "income verified: new job from December",
        )
        .await
        .unwrap();
        let back = CustomerInput {
            monthly_income: Some("9000.00".into()),
            ..input.clone()
        };
        customers::update(&app, &admin, id, &back).await.unwrap();
        let down = CustomerInput {
            monthly_income: Some("5400.00".into()),
            ..input
        };
        customers::update(&app, &admin, id, &down).await.unwrap();
        let w = warnings_of(&app, id).await;
        assert_eq!(w.len(), 2, "{label}");
        // 9,000 → 5,400: 3,600 / 9,000 = 0.40
        assert_eq!(
            (w[0].status.as_str(), &w[0].detail["fall"]),
            ("open", &json!("0.4000"))
        );
    }
}

#[tokio::test]
async fn a_revenue_drop_and_an_industry_on_the_watch_list_warn_a_business() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        let company = CustomerInput {
            kind: "business".into(),
            name: "福州某贸易有限公司".into(),
            uscc: Some("91350100M000100Y43".into()),
            legal_representative: Some("陈志强".into()),
            industry: Some("wholesale".into()),
            province: Some("福建省".into()),
            annual_revenue: Some("32000000.00".into()),
            ..CustomerInput::default()
        };
        let id = customer(&app, &admin, &company).await;
        book(&app, &admin, id, "500000").await;
        // 32,000,000.00 → 20,000,000.00: 12 / 32 = 0.375
        let fell = CustomerInput {
            annual_revenue: Some("20000000.00".into()),
            ..company
        };
        customers::update(&app, &admin, id, &fell).await.unwrap();
        let added = add_watch(
            &app,
            &admin,
            &WatchInput {
                kind: "industry".into(),
                value: "wholesale".into(),
                reason: "wholesale margins under pressure".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(added.warnings_raised, 1, "{label}");
        let w = warnings_of(&app, id).await;
        let rules: Vec<(&str, &str)> = w
            .iter()
            .map(|w| (w.rule.as_str(), w.severity.as_str()))
            .collect();
        assert_eq!(
            rules,
            [("watch_list", "medium"), ("income_drop", "medium")],
            "{label}"
        );
        assert_eq!(w[1].detail["field"], "annual_revenue");
        assert_eq!(w[1].detail["fall"], "0.3750");
        assert_eq!(w[0].detail["kind"], "industry");
        assert_eq!(w[0].detail["entry_id"], added.entry.id);
    }
}

#[tokio::test]
async fn an_ltv_of_085_warns_and_075_does_not() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        let collateral = |valuation: &str| CollateralInput {
            kind: "real_estate".into(),
            description: "住宅 100㎡".into(),
            valuation: valuation.into(),
            valued_on: "2026-11-01".into(),
            ltv: Some("0.7".into()),
            custody: "bank".into(),
            lien_status: "registered".into(),
        };
        let a = customer(&app, &admin, &person(11, "张三", "北京市", "20000")).await;
        let b = customer(&app, &admin, &person(12, "赵六", "北京市", "20000")).await;
        add_collateral(&app, &admin, a, &collateral("100000"))
            .await
            .unwrap();
        let b_home = add_collateral(&app, &admin, b, &collateral("100000"))
            .await
            .unwrap();
        book(&app, &admin, a, "85000").await;
        book(&app, &admin, b, "75000").await;

        // 85,000.00 / 100,000.00 = 0.85 > 0.80
        let e = evaluate(&app, &admin, Some(a)).await.unwrap();
        let ltv = e.ltv.as_ref().unwrap();
        assert_eq!((ltv.ltv.as_str(), ltv.breach), ("0.8500", true), "{label}");
        assert_eq!(e.collateral_ltv_raised, 1);
        let w = warnings_of(&app, a).await;
        assert_eq!(
            (w[0].rule.as_str(), w[0].severity.as_str()),
            ("collateral_ltv", "high")
        );
        assert_eq!(
            (
                &w[0].detail["ltv"],
                &w[0].detail["outstanding"],
                &w[0].detail["valuation"]
            ),
            (&json!("0.8500"), &json!("85000.00"), &json!("100000.00"))
        );
        // 75,000.00 / 100,000.00 = 0.75 ≤ 0.80
        let e = evaluate(&app, &admin, Some(b)).await.unwrap();
        assert_eq!(
            e.ltv.as_ref().map(|l| (l.ltv.as_str(), l.breach)),
            Some(("0.7500", false))
        );
        assert!(warnings_of(&app, b).await.is_empty(), "{label}");

        // the house is revalued at 88,235.29: 75,000.00 / 88,235.29 = 0.850000… > 0.80
        let r = revalue_collateral(
            &app,
            &admin,
            b_home.id,
            &RevaluationInput {
                valuation: "88235.29".into(),
                valued_on: "2026-11-23".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(r.previous_valuation, cny_text("100000"));
        let ltv = r.ltv.unwrap();
        assert_eq!((ltv.ltv.as_str(), ltv.breach), ("0.8500", true), "{label}");
        assert!(ltv.warning_id.is_some());
        assert_eq!(warnings_of(&app, b).await.len(), 1);

        // the monthly run sees both, raises nothing new while they are open
        let all = evaluate_all(&app, &admin).await.unwrap();
        assert_eq!(
            (
                all.customers_checked,
                all.collateral_ltv_raised,
                all.watch_list_raised
            ),
            (2, 0, 0),
            "{label}"
        );
        // a revaluation in the future is refused, naming the field
        let bad = revalue_collateral(
            &app,
            &admin,
            b_home.id,
            &RevaluationInput {
                valuation: "-1".into(),
                valued_on: "2026-12-01".into(),
            },
        )
        .await
        .unwrap_err();
        match bad {
            ServiceError::Invalid(v) => {
                let f: Vec<&str> = v.iter().map(|x| x.field.as_str()).collect();
                assert_eq!(f, ["valuation", "valued_on"]);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_bureau_report_with_a_new_delinquency_warns() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        let id = customer(&app, &admin, &person(21, "周杰", "江苏省", "15000")).await;
        book(&app, &admin, id, "30000").await;
        let report = |on: &str, delinquencies: i64| CreditReportInput {
            bureau: "pboc".into(),
            pulled_on: on.into(),
            report: json!({"score": 680, "delinquencies_24m": delinquencies}),
        };
        // the first report has nothing to compare with; the second is as clean
        add_credit_report(&app, &admin, id, &report("2026-08-01", 1))
            .await
            .unwrap();
        add_credit_report(&app, &admin, id, &report("2026-10-01", 1))
            .await
            .unwrap();
        assert!(warnings_of(&app, id).await.is_empty(), "{label}");
        // an older report filed late is not a refresh
        add_credit_report(&app, &admin, id, &report("2026-05-01", 0))
            .await
            .unwrap();
        assert!(warnings_of(&app, id).await.is_empty(), "{label}");
        // the refresh of Nov 20 counts 3 delinquencies against 1
        let new = add_credit_report(&app, &admin, id, &report("2026-11-20", 3))
            .await
            .unwrap();
        let w = warnings_of(&app, id).await;
        assert_eq!(w.len(), 1, "{label}");
        assert_eq!(
            (w[0].rule.as_str(), w[0].severity.as_str()),
            ("bureau_delinquency", "medium")
        );
        assert_eq!(w[0].detail["report_id"], new.id);
        assert_eq!(
            (
                &w[0].detail["previous_delinquencies_24m"],
                &w[0].detail["new_delinquencies"]
            ),
            (&json!(1), &json!(2))
        );
    }
}

#[tokio::test]
async fn a_region_on_the_watch_list_flags_exactly_its_borrowers() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        let gd_borrower = customer(&app, &admin, &person(31, "陈一", "广东省", "9000")).await;
        let gd_prospect = customer(&app, &admin, &person(32, "陈二", "广东省", "9000")).await;
        let zj_borrower = customer(&app, &admin, &person(33, "陈三", "浙江省", "9000")).await;
        let gd_second = customer(&app, &admin, &person(34, "陈四", "广东省", "9000")).await;
        book(&app, &admin, gd_borrower, "20000").await;
        book(&app, &admin, zj_borrower, "20000").await;
        book(&app, &admin, gd_second, "20000").await;
        book(&app, &admin, gd_second, "10000").await;
        let region = WatchInput {
            kind: "region".into(),
            value: " 广东省 ".into(),
            reason: "typhoon damage to small businesses".into(),
        };
        let added = add_watch(&app, &admin, &region).await.unwrap();
        assert_eq!(
            (added.entry.value.as_str(), added.warnings_raised),
            ("广东省", 2),
            "{label}"
        );
        for (c, flagged) in [
            (gd_borrower, true),
            (gd_prospect, false),
            (zj_borrower, false),
            (gd_second, true),
        ] {
            let w = warnings_of(&app, c).await;
            assert_eq!(w.len(), usize::from(flagged), "{label}: customer {c}");
            if flagged {
                assert_eq!(
                    (w[0].rule.as_str(), w[0].loan_id, &w[0].detail["value"]),
                    ("watch_list", None, &json!("广东省"))
                );
            }
        }
        // the same region again is refused; the monthly run adds nothing
        assert!(matches!(
            add_watch(&app, &admin, &region).await,
            Err(ServiceError::Conflict(_))
        ));
        assert_eq!(
            evaluate_all(&app, &admin).await.unwrap().watch_list_raised,
            0
        );
        // removed, it is listed only with the removed entries
        remove_watch(&app, &admin, added.entry.id).await.unwrap();
        assert!(watch_list(&app, &admin, false).await.unwrap().is_empty());
        let all = watch_list(&app, &admin, true).await.unwrap();
        assert_eq!(all[0].removed_by.as_deref(), Some("system"), "{label}");
        assert!(matches!(
            remove_watch(&app, &admin, added.entry.id).await,
            Err(ServiceError::Conflict(_))
        ));
        let bad = add_watch(
            &app,
            &admin,
            &WatchInput {
                kind: "city".into(),
                value: String::new(),
                reason: String::new(),
            },
        )
        .await
        .unwrap_err();
        match bad {
            ServiceError::Invalid(v) => {
                let f: Vec<&str> = v.iter().map(|x| x.field.as_str()).collect();
                assert_eq!(f, ["kind", "value", "reason"]);
            }
            other => panic!("{other:?}"),
        }
    }
}

/// The consumer product, the demo policy and scorecard (for straight-through approval).
async fn origination_bank(app: &App, admin: &Actor) {
    let product = json!({
        "code": "CONSUMER", "name": "个人消费贷", "currency": "CNY",
        "amount_min": "1000", "amount_max": "500000", "term_min_months": 3, "term_max_months": 36,
        "rate_min": "0.06", "rate_max": "0.24", "methods": ["annuity", "equal_principal"],
        "grace_days": 3, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
        "required_documents": ["id_card"],
        "fees": {"origination_rate": "0.01"}
    });
    products::add(app, admin, &product).await.unwrap();
    crate::demo::seed_origination(app).await.unwrap();
}

/// A strong applicant (ID card, clean recent report) with a signed contract for 30,000.00
/// approved straight through; the application taken by `officer`.
async fn signed_contract(app: &App, admin: &Actor, officer: &Actor, ops: &Actor) -> (i64, i64) {
    let c = customers::create(app, admin, &person(101, "王强", "广东省", "30000"))
        .await
        .unwrap();
    upload_document(app, admin, c.id, "id_card", "id.pdf", b"%PDF-1.7\n")
        .await
        .unwrap();
    let report = json!({
        "checking_account": "none", "credit_history": "critical_account", "savings": "ge_1000",
        "employment_since": "4_to_7y", "property": "real_estate", "housing": "own",
        "other_installment_plans": "none", "personal_status_sex": "male_single",
        "installment_rate_pct": 1, "delinquencies_24m": 0, "total_debt": "0.00"
    });
    let input = CreditReportInput {
        bureau: "pboc".into(),
        pulled_on: "2026-11-20".into(),
        report,
    };
    add_credit_report(app, admin, c.id, &input).await.unwrap();
    let application = ApplicationInput {
        customer_id: c.id,
        product_code: "CONSUMER".into(),
        amount: "30000".into(),
        term_months: 12,
        method: "annuity".into(),
        purpose: "car_used".into(),
        channel: "app".into(),
        device_id: Some("device-101".into()),
        bank_card: Some(crate::demo::bank_card(101)),
    };
    let a = applications::create(app, officer, &application)
        .await
        .unwrap();
    let a = applications::submit(app, officer, a.id).await.unwrap();
    assert_eq!(a.status, "approved", "{:?}", a.assessment);
    let contract = generate_contract(app, ops, a.id).await.unwrap();
    for (party, signer) in [("borrower", "王强"), ("lender", "信贷部 张经理")] {
        let s = SignInput {
            party: party.into(),
            signer: signer.into(),
            document_sha256: contract.document_sha256.clone(),
        };
        sign(app, ops, contract.id, &s, "10.0.0.8").await.unwrap();
    }
    (c.id, contract.id)
}

fn tranche(amount: &str) -> DisburseInput {
    DisburseInput {
        funding_source: "OWN".into(),
        amount: Some(amount.into()),
    }
}

#[tokio::test]
async fn a_reduced_then_frozen_limit_refuses_further_tranches() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        origination_bank(&app, &admin).await;
        let officer = actor("li.officer", Role::LoanOfficer);
        let ops = actor("zhao.ops", Role::Operations);
        // the region is watched before the loan exists: nobody is flagged yet
        let region = WatchInput {
            kind: "region".into(),
            value: "广东省".into(),
            reason: "regional downturn".into(),
        };
        assert_eq!(
            add_watch(&app, &admin, &region)
                .await
                .unwrap()
                .warnings_raised,
            0
        );
        let (customer_id, contract) = signed_contract(&app, &admin, &officer, &ops).await;
        let t1 = disburse(&app, &ops, contract, &tranche("10000"), None)
            .await
            .unwrap();
        // the first tranche flags the watched borrower; the officer who took the
        // application owns the warning
        let w = warnings_of(&app, customer_id).await;
        assert_eq!(w.len(), 1, "{label}");
        assert_eq!(
            (w[0].rule.as_str(), w[0].owner.as_deref()),
            ("watch_list", Some("li.officer"))
        );
        let id = w[0].id;
        // acting needs an acknowledgement first
        let reduce = ActionInput {
            action: "reduce_limit".into(),
            loan_id: Some(t1.loan_id),
            new_limit: Some("20000".into()),
            ..ActionInput::default()
        };
        assert!(matches!(
            act(&app, &officer, id, &reduce).await,
            Err(ServiceError::Conflict(_))
        ));
        let ack = acknowledge(&app, &officer, id).await.unwrap();
        assert_eq!(
            (ack.status.as_str(), ack.owner.as_deref()),
            ("acknowledged", Some("li.officer"))
        );
        // below what is drawn (10,000.00) is refused, naming the field
        let too_low = ActionInput {
            new_limit: Some("9999.99".into()),
            ..reduce.clone()
        };
        let e = act(&app, &officer, id, &too_low).await.unwrap_err();
        assert_eq!(rule_of(&e).0, "new_limit", "{label}");
        // 30,000.00 → 20,000.00: 10,000.00 more may be drawn
        let done = act(&app, &officer, id, &reduce).await.unwrap();
        assert_eq!(done.status, "actioned");
        let step = done.actions.as_ref().unwrap().last().unwrap().clone();
        assert_eq!(
            (
                step.action.as_str(),
                &step.detail["from"],
                &step.detail["to"]
            ),
            ("reduce_limit", &json!("30000.00"), &json!("20000.00"))
        );
        assert_eq!(step.detail["still_drawable"], "10000.00");
        // 10,000.00 + 15,000.00 = 25,000.00 > 20,000.00
        let e = disburse(&app, &ops, contract, &tranche("15000"), None)
            .await
            .unwrap_err();
        let (field, rule) = rule_of(&e);
        assert_eq!(field, "amount", "{label}");
        assert!(
            rule.contains("20000.00") && rule.contains(&format!("early warning {id} (watch_list)")),
            "{rule}"
        );
        let t2 = disburse(&app, &ops, contract, &tranche("5000"), None)
            .await
            .unwrap();
        assert_eq!(t2.disbursed, cny_text("15000"));
        // frozen: not one more fen
        let freeze = ActionInput {
            action: "freeze_limit".into(),
            loan_id: Some(t1.loan_id),
            ..ActionInput::default()
        };
        act(&app, &officer, id, &freeze).await.unwrap();
        let e = disburse(&app, &ops, contract, &tranche("1000"), None)
            .await
            .unwrap_err();
        let (field, rule) = rule_of(&e);
        assert_eq!(field, "amount", "{label}");
        assert!(
            rule.contains("frozen") && rule.contains("watch_list"),
            "{rule}"
        );
        assert!(matches!(
            act(&app, &officer, id, &freeze).await,
            Err(ServiceError::Conflict(_))
        ));
        // nothing of the refused tranches was posted
        let loan = crate::loans::get(&app, &ops, t1.loan_id).await.unwrap();
        assert_eq!(loan.principal_outstanding, cny_text("15000"), "{label}");
    }
}

#[tokio::test]
async fn tasks_acceleration_and_one_collection_case() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        let input = person(41, "孙七", "四川省", "12000");
        let id = customer(&app, &admin, &input).await;
        let loan = book(&app, &admin, id, "12000").await;
        let other = customer(&app, &admin, &person(42, "孙八", "四川省", "12000")).await;
        let not_theirs = book(&app, &admin, other, "12000").await;
        let fell = CustomerInput {
            monthly_income: Some("4000".into()),
            ..input
        };
        customers::update(&app, &admin, id, &fell).await.unwrap();
        let w = warnings_of(&app, id).await.remove(0);
        acknowledge(&app, &admin, w.id).await.unwrap();

        // a task: more collateral by Dec 15, for the acknowledger by default
        let task = ActionInput {
            action: "request_collateral".into(),
            due_on: Some("2026-12-15".into()),
            note: Some("ask for the flat in 成都".into()),
            ..ActionInput::default()
        };
        let v = act(&app, &admin, w.id, &task).await.unwrap();
        let s = v.actions.unwrap().pop().unwrap();
        assert_eq!(
            (
                s.due_on.as_deref(),
                s.assigned_to.as_deref(),
                &s.detail["note"]
            ),
            (
                Some("2026-12-15"),
                Some("system"),
                &json!("ask for the flat in 成都")
            ),
            "{label}"
        );
        // a loan action on a customer-wide warning names its loan, of that customer
        let hand = ActionInput {
            action: "hand_to_collections".into(),
            ..ActionInput::default()
        };
        assert_eq!(
            rule_of(&act(&app, &admin, w.id, &hand).await.unwrap_err()).0,
            "loan_id"
        );
        let wrong = ActionInput {
            loan_id: Some(not_theirs),
            ..hand.clone()
        };
        assert_eq!(
            rule_of(&act(&app, &admin, w.id, &wrong).await.unwrap_err()).0,
            "loan_id"
        );

        // handed to collections twice: one case
        let hand = ActionInput {
            loan_id: Some(loan),
            ..hand
        };
        let first = act(&app, &admin, w.id, &hand).await.unwrap();
        let opened = first.actions.unwrap().pop().unwrap().detail;
        assert_eq!(
            (&opened["opened"], &opened["queue"], &opened["dpd"]),
            (&json!(true), &json!("M1"), &json!(0)),
            "{label}"
        );
        let second = act(&app, &admin, w.id, &hand).await.unwrap();
        let again = second.actions.unwrap().pop().unwrap().detail;
        assert_eq!(
            (&again["opened"], &again["case_id"]),
            (&json!(false), &opened["case_id"])
        );
        assert_eq!(store::collection_cases_of(app.db(), loan).await.unwrap(), 1);

        // accelerated: everything owed is demanded; once
        let accelerate = ActionInput {
            action: "accelerate".into(),
            loan_id: Some(loan),
            ..ActionInput::default()
        };
        let v = act(&app, &admin, w.id, &accelerate).await.unwrap();
        let demand = &v.detail["accelerated"];
        // booked today: 12,000.00 principal, nothing accrued yet; pay by Nov 23 + 14 days
        assert_eq!(
            (&demand["total"], &demand["pay_by"], &demand["loan_id"]),
            (&json!("12000.00"), &json!("2026-12-07"), &json!(loan)),
            "{label}"
        );
        assert!(matches!(
            act(&app, &admin, w.id, &accelerate).await,
            Err(ServiceError::Conflict(_))
        ));
        // a fully drawn loan has no limit to freeze
        let freeze = ActionInput {
            action: "freeze_limit".into(),
            loan_id: Some(loan),
            ..ActionInput::default()
        };
        assert!(matches!(
            act(&app, &admin, w.id, &freeze).await,
            Err(ServiceError::Conflict(_))
        ));

        // closing needs a resolution; a closed warning takes nothing more
        let e = close(&app, &admin, w.id, "  ").await.unwrap_err();
        assert_eq!(rule_of(&e).0, "resolution", "{label}");
        let closed = close(&app, &admin, w.id, "handed to collections; demand sent")
            .await
            .unwrap();
        assert_eq!(
            (closed.status.as_str(), closed.closed_by.as_deref()),
            ("closed", Some("system"))
        );
        let steps: Vec<String> = closed
            .actions
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
        assert_eq!(
            steps,
            [
                "acknowledge",
                "request_collateral",
                "hand_to_collections",
                "hand_to_collections",
                "accelerate",
                "close"
            ]
        );
        assert!(matches!(
            close(&app, &admin, w.id, "again").await,
            Err(ServiceError::Conflict(_))
        ));
        assert!(matches!(
            act(&app, &admin, w.id, &task).await,
            Err(ServiceError::Conflict(_))
        ));
        let closed_list = list(
            &app,
            &admin,
            &ListInput {
                status: Some("closed".into()),
                ..ListInput::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(closed_list.len(), 1);
    }
}

#[tokio::test]
async fn assignment_and_permissions() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        for (name, role) in [
            ("wu.officer", "loan_officer"),
            ("qian.collector", "collector"),
        ] {
            let new = crate::auth::NewUser {
                username: name.into(),
                display_name: String::new(),
                role: role.into(),
                password: "Password-2026".into(),
            };
            crate::auth::add_user(&app, &admin, &new).await.unwrap();
        }
        let input = person(51, "钱九", "湖南省", "8000");
        let id = customer(&app, &admin, &input).await;
        book(&app, &admin, id, "20000").await;
        let fell = CustomerInput {
            monthly_income: Some("4000".into()),
            ..input
        };
        customers::update(&app, &admin, id, &fell).await.unwrap();
        let w = warnings_of(&app, id).await.remove(0);
        let unassigned = list(
            &app,
            &admin,
            &ListInput {
                unassigned: Some(true),
                status: Some("active".into()),
                ..ListInput::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(unassigned.len(), 1, "{label}");

        // only a user who works warnings may own one
        for bad in ["nobody", "qian.collector"] {
            let e = assign(&app, &admin, w.id, bad).await.unwrap_err();
            assert_eq!(rule_of(&e).0, "owner", "{label}: {bad}");
        }
        let v = assign(&app, &admin, w.id, "wu.officer").await.unwrap();
        assert_eq!(
            (v.status.as_str(), v.owner.as_deref()),
            ("open", Some("wu.officer"))
        );
        // acknowledged by someone else, it keeps its owner
        let v = acknowledge(&app, &admin, w.id).await.unwrap();
        assert_eq!(v.owner.as_deref(), Some("wu.officer"));
        let mine = list(
            &app,
            &admin,
            &ListInput {
                owner: Some("wu.officer".into()),
                ..ListInput::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(mine.len(), 1);

        // a collector works collection cases, not warnings; an officer may not change the
        // watch list
        let collector = actor("qian.collector", Role::Collector);
        let forbidden =
            |r: Result<_, ServiceError>| matches!(r, Err(ServiceError::Forbidden { .. }));
        assert!(forbidden(
            list(&app, &collector, &ListInput::default())
                .await
                .map(|_| ())
        ));
        assert!(forbidden(get(&app, &collector, w.id).await.map(|_| ())));
        assert!(forbidden(
            acknowledge(&app, &collector, w.id).await.map(|_| ())
        ));
        assert!(forbidden(
            close(&app, &collector, w.id, "x").await.map(|_| ())
        ));
        let hand = ActionInput {
            action: "hand_to_collections".into(),
            ..ActionInput::default()
        };
        assert!(forbidden(
            act(&app, &collector, w.id, &hand).await.map(|_| ())
        ));
        assert!(forbidden(evaluate_all(&app, &collector).await.map(|_| ())));
        let officer = actor("wu.officer", Role::LoanOfficer);
        let region = WatchInput {
            kind: "region".into(),
            value: "湖南省".into(),
            reason: "x".into(),
        };
        assert!(forbidden(
            add_watch(&app, &officer, &region).await.map(|_| ())
        ));
        assert!(watch_list(&app, &officer, false).await.is_ok());
        let analyst = actor("he.analyst", Role::CreditAnalyst);
        assert_eq!(
            add_watch(&app, &analyst, &region)
                .await
                .unwrap()
                .warnings_raised,
            1
        );
        assert_eq!(warnings_of(&app, id).await.len(), 2, "{label}");
    }
}
