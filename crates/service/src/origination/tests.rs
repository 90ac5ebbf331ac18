//! Scenario tests of origination, on every test database: each walks applications
//! from submission to a loan (or a refusal) and ends with the ledger check.

use loanbook_core::money::{Currency, Money};

use super::approval::{DecisionInput, answer_counter_offer, decide, queue};
use super::contract::{SignInput, generate_contract, sign};
use super::disbursement::{DisburseInput, disburse, import_confirmations};
use crate::applications::{self, ApplicationInput, FundingSourceInput, create_funding_source};
use crate::customer_records::{CreditReportInput, add_credit_report, upload_document};
use crate::customers::{self, CustomerInput};
use crate::test_support::apps;
use crate::{Actor, App, Role, ServiceError, aml, ledger, loans, products};

fn actor(name: &str, role: Role) -> Actor {
    Actor {
        user_id: 0,
        username: name.into(),
        role,
        request_id: None,
    }
}

/// A valid resident ID number born 1985-03-12 with sequence `seq`.
fn id_number(seq: u32) -> String {
    crate::demo::resident_id("11010119850312", u64::from(seq))
}

/// A Luhn-valid bank card.
fn card(seq: u32) -> String {
    crate::demo::bank_card(u64::from(seq))
}

fn cny(text: &str) -> Money {
    Money::parse(text, Currency::CNY).unwrap()
}

/// A bank: the consumer product (1% origination fee), the demo policy, scorecard and
/// authority rules, the funding sources OWN (50,000,000.00) and SMALL (100,000.00).
async fn bank(app: &App, admin: &Actor) {
    let product = serde_json::json!({
        "code": "CONSUMER", "name": "个人消费贷", "currency": "CNY",
        "amount_min": "1000", "amount_max": "500000", "term_min_months": 3, "term_max_months": 36,
        "rate_min": "0.06", "rate_max": "0.24", "methods": ["annuity", "equal_principal"],
        "grace_days": 3, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
        "required_documents": ["id_card"],
        "fees": {"origination_rate": "0.01"}
    });
    products::add(app, admin, &product).await.unwrap();
    crate::demo::seed_origination(app).await.unwrap();
    create_funding_source(
        app,
        admin,
        &FundingSourceInput {
            code: "SMALL".into(),
            name: "a small partner".into(),
            currency: None,
            limit: "100000.00".into(),
        },
    )
    .await
    .unwrap();
}

/// A customer with an ID card on file and a clean, recent credit report (the scorecard's
/// best levels): a strong applicant.
async fn strong_customer(app: &App, admin: &Actor, seq: u32, name: &str, income: &str) -> i64 {
    let c = customers::create(
        app,
        admin,
        &CustomerInput {
            kind: "individual".into(),
            name: name.into(),
            id_number: Some(id_number(seq)),
            phone: Some(format!("1380013{seq:04}")),
            province: Some("广东省".into()),
            monthly_income: Some(income.into()),
            ..CustomerInput::default()
        },
    )
    .await
    .unwrap();
    upload_document(app, admin, c.id, "id_card", "id.pdf", b"%PDF-1.7\n")
        .await
        .unwrap();
    let report = serde_json::json!({
        "checking_account": "none", "credit_history": "critical_account", "savings": "ge_1000",
        "employment_since": "4_to_7y", "property": "real_estate", "housing": "own",
        "other_installment_plans": "none", "personal_status_sex": "male_single",
        "installment_rate_pct": 1, "delinquencies_24m": 0, "total_debt": "0.00"
    });
    add_credit_report(
        app,
        admin,
        c.id,
        &CreditReportInput {
            bureau: "pboc".into(),
            pulled_on: "2026-11-20".into(),
            report,
        },
    )
    .await
    .unwrap();
    c.id
}

fn application(customer_id: i64, amount: &str, term: u32, seq: u32) -> ApplicationInput {
    ApplicationInput {
        customer_id,
        product_code: "CONSUMER".into(),
        amount: amount.into(),
        term_months: term,
        method: "annuity".into(),
        purpose: "car_used".into(),
        channel: "app".into(),
        device_id: Some(format!("device-{seq}")),
        bank_card: Some(card(seq)),
    }
}

async fn contract_signed(app: &App, ops: &Actor, application_id: i64, borrower: &str) -> i64 {
    let c = generate_contract(app, ops, application_id).await.unwrap();
    assert_eq!(c.status, "draft");
    for (party, signer) in [("borrower", borrower), ("lender", "信贷部 张经理")] {
        sign(
            app,
            ops,
            c.id,
            &SignInput {
                party: party.into(),
                signer: signer.into(),
                document_sha256: c.document_sha256.clone(),
            },
            "10.0.0.8",
        )
        .await
        .unwrap();
    }
    c.id
}

async fn assert_ledger_ok(app: &App, admin: &Actor, label: &str) {
    let check = ledger::check(app, admin).await.unwrap();
    assert!(check.is_ok(), "{label}: {check:?}");
}

fn approve() -> DecisionInput {
    DecisionInput {
        decision: "approve".into(),
        comment: "同意".into(),
        ..DecisionInput::default()
    }
}

async fn investigate(app: &App, who: &Actor, id: i64) -> String {
    crate::investigation::investigate(
        app,
        who,
        id,
        &crate::investigation::InvestigationInput {
            visited_on: "2026-11-22".into(),
            visit_summary: "上门核实：工作单位、住址属实".into(),
            existing_monthly_debt: Some("0".into()),
            ..crate::investigation::InvestigationInput::default()
        },
    )
    .await
    .unwrap()
    .application_status
    .unwrap()
}

#[tokio::test]
async fn a_strong_applicant_is_approved_automatically_and_disbursed_once() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        let officer = actor("li.officer", Role::LoanOfficer);
        let ops = actor("zhao.ops", Role::Operations);
        let customer = strong_customer(&app, &admin, 101, "王强", "30000").await;
        let a = applications::create(&app, &officer, &application(customer, "30000", 12, 101))
            .await
            .unwrap();
        let a = applications::submit(&app, &officer, a.id).await.unwrap();
        assert_eq!(a.status, "approved", "{label}: {:?}", a.assessment);
        let x = a.assessment.as_ref().unwrap();
        assert_eq!(
            (x.stage.as_str(), x.decision.as_str()),
            ("preliminary", "approve")
        );
        assert!(matches!(x.risk_grade.as_deref(), Some("A" | "B")), "{x:?}");
        assert_eq!(x.policy_version.as_deref(), Some("consumer@1"));
        assert!(x.model_version.as_deref().unwrap().ends_with("@1"));
        let kinds: Vec<&str> = x.checks.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "identity", "bureau", "fraud", "aml", "champion", "policy", "routing"
            ]
        );
        let trace = &x.checks[5].outputs["trace"];
        assert!(trace.as_array().unwrap().len() >= 4, "{trace}");
        // grade A prices at 7.25%, grade B at 9.5%
        let rate = a.approved_rate.clone().unwrap();
        assert!(rate == "0.0725" || rate == "0.095", "{rate}");
        let approval = a.approval.as_ref().unwrap();
        assert_eq!(approval.required_steps.len(), 1);
        assert_eq!(
            (
                approval.required_steps[0].kind.as_str(),
                approval.required_steps[0].status.as_str()
            ),
            ("automatic", "approved")
        );

        let contract = contract_signed(&app, &ops, a.id, "王强").await;
        let shown = super::contract::get(&app, &ops, contract).await.unwrap();
        assert_eq!(shown.status, "signed");
        assert_eq!(shown.terms.origination_fee_minor, 30_000); // 30000.00 × 1% = 300.00
        let html = super::contract::document(&app, &ops, contract)
            .await
            .unwrap();
        assert!(html.contains("王强") && html.contains("30000.00"));
        assert_eq!(
            applications::get(&app, &ops, a.id).await.unwrap().status,
            "contracted"
        );

        let input = DisburseInput {
            funding_source: "OWN".into(),
            amount: None,
        };
        let first = disburse(&app, &ops, contract, &input, Some("pay-1"))
            .await
            .unwrap();
        assert_eq!(
            (
                first.status.as_str(),
                first.payment_status.as_str(),
                first.tranche_no
            ),
            ("active", "confirmed", 1),
            "{label}"
        );
        assert_eq!(first.amount, cny("30000"));
        // the same key again: the first answer, nothing posted twice
        let again = disburse(&app, &ops, contract, &input, Some("pay-1"))
            .await
            .unwrap();
        assert_eq!(
            (again.loan_id, again.journal_entry_id),
            (first.loan_id, first.journal_entry_id)
        );
        let other = DisburseInput {
            funding_source: "OWN".into(),
            amount: Some("100".into()),
        };
        assert!(matches!(
            disburse(&app, &ops, contract, &other, Some("pay-1")).await,
            Err(ServiceError::Conflict(_))
        ));
        // a new key on a fully drawn contract is refused
        assert!(matches!(
            disburse(&app, &ops, contract, &input, Some("pay-2")).await,
            Err(ServiceError::Conflict(_))
        ));
        let loan = loans::get(&app, &ops, first.loan_id).await.unwrap();
        assert_eq!(loan.principal_outstanding, cny("30000"));
        assert_eq!(loan.fees_due, cny("300"));
        let schedule = loans::schedule(&app, &ops, loan.id).await.unwrap();
        assert_eq!(schedule.len(), 12);
        let principal: i64 = schedule.iter().map(|i| i.principal.amount_minor()).sum();
        assert_eq!(principal, 3_000_000);
        let txns = loans::transactions(&app, &ops, loan.id).await.unwrap();
        assert_eq!(
            txns.iter().map(|t| t.kind.as_str()).collect::<Vec<_>>(),
            ["disbursement", "fee_charged"]
        );
        let entry = txns[0].entry.as_ref().unwrap();
        assert_eq!(entry.lines.len(), 4);
        let sources = applications::funding_sources(&app, &admin).await.unwrap();
        let own = sources.iter().find(|f| f.code == "OWN").unwrap();
        assert_eq!(own.available, cny("49970000")); // 50,000,000 − 30,000
        assert_eq!(
            applications::get(&app, &ops, a.id).await.unwrap().status,
            "disbursed"
        );
        // the funnel of the day: one application, all the way through, decided at once
        let today = chrono::Utc::now().date_naive();
        let day = |n| today + chrono::Duration::days(n);
        let f = crate::reporting::approval_funnel(&app, &admin, day(-1), day(1))
            .await
            .unwrap();
        assert_eq!(
            (
                f.created,
                f.submitted,
                f.approved,
                f.declined,
                f.contracted,
                f.disbursed
            ),
            (1, 1, 1, 0, 1, 1),
            "{label}"
        );
        assert_eq!(f.approval_rate.to_string(), "1.0000");
        assert_eq!(f.decision_minutes_p50, Some(0));
        assert_ledger_ok(&app, &admin, label).await;
    }
}

#[tokio::test]
async fn a_large_loan_goes_through_officer_and_committee_and_two_tranches() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        let (o1, o2, o3) = (
            actor("o1", Role::LoanOfficer),
            actor("o2", Role::LoanOfficer),
            actor("o3", Role::LoanOfficer),
        );
        let manager = actor("branch.mgr", Role::Approver);
        let members: Vec<Actor> = ["m1", "m2", "m3"]
            .iter()
            .map(|m| actor(m, Role::CommitteeMember))
            .collect();
        let ops = actor("ops", Role::Operations);
        let customer = strong_customer(&app, &admin, 202, "陈静", "60000").await;
        let a = applications::create(&app, &o1, &application(customer, "300000", 24, 202))
            .await
            .unwrap();
        let a = applications::submit(&app, &o1, a.id).await.unwrap();
        assert_eq!(a.status, "pre_screened", "{label}");
        assert_eq!(investigate(&app, &o2, a.id).await, "in_review");
        let shown = applications::get(&app, &o1, a.id).await.unwrap();
        let steps: Vec<String> = shown
            .approval
            .as_ref()
            .unwrap()
            .required_steps
            .iter()
            .map(|s| format!("{}:{}", s.kind, s.status))
            .collect();
        assert_eq!(steps, ["loan_officer:pending", "committee:waiting"]);
        // four-eyes: the submitter and the investigator may not decide; a manager is not
        // the officer step's role
        for (who, rule) in [
            (&o1, "four_eyes"),
            (&o2, "four_eyes"),
            (&manager, "step_role"),
        ] {
            match decide(&app, who, a.id, &approve()).await {
                Err(ServiceError::Refused { rule: r, .. }) => assert_eq!(r, rule),
                other => panic!("{label}: {} was not refused: {other:?}", who.username),
            }
        }
        let queue_now = queue(&app, &o3, Some("loan_officer"), false).await.unwrap();
        assert!(queue_now.iter().any(|q| q.application_id == a.id));
        decide(&app, &o3, a.id, &approve()).await.unwrap();
        // the committee: 2 of 3; a decline and an approval leave it pending; one vote each
        let no = DecisionInput {
            decision: "decline".into(),
            comment: "行业风险偏高".into(),
            ..DecisionInput::default()
        };
        assert_eq!(
            decide(&app, &members[0], a.id, &approve())
                .await
                .unwrap()
                .code(),
            "in_review"
        );
        assert!(matches!(
            decide(&app, &members[0], a.id, &approve()).await,
            Err(ServiceError::Refused {
                rule: "four_eyes",
                ..
            })
        ));
        assert!(matches!(
            decide(&app, &o3, a.id, &approve()).await,
            Err(ServiceError::Refused { .. })
        ));
        assert_eq!(
            decide(&app, &members[1], a.id, &no).await.unwrap().code(),
            "in_review"
        );
        assert_eq!(
            decide(&app, &members[2], a.id, &approve())
                .await
                .unwrap()
                .code(),
            "approved"
        );
        let approved = applications::get(&app, &o1, a.id).await.unwrap();
        assert_eq!(approved.approved_amount, Some(cny("300000")));
        assert_eq!(approved.approval.as_ref().unwrap().completed_steps.len(), 2);

        let contract = contract_signed(&app, &ops, a.id, "陈静").await;
        // SMALL has only 100,000.00: a clear refusal that changes nothing
        let too_much = DisburseInput {
            funding_source: "SMALL".into(),
            amount: Some("150000".into()),
        };
        let Err(ServiceError::Invalid(v)) = disburse(&app, &ops, contract, &too_much, None).await
        else {
            panic!("{label}: an underfunded source was not refused")
        };
        assert_eq!(v[0].field, "funding_source");
        assert!(v[0].rule.contains("100000.00 available"), "{}", v[0].rule);
        assert!(
            loans::list(&app, &ops, None, None, None)
                .await
                .unwrap()
                .is_empty()
        );
        // tranche 1 today, tranche 2 ten days later
        let half = DisburseInput {
            funding_source: "OWN".into(),
            amount: Some("150000".into()),
        };
        let t1 = disburse(&app, &ops, contract, &half, Some("t1"))
            .await
            .unwrap();
        assert_eq!((t1.tranche_no, t1.disbursed), (1, cny("150000")));
        let mut tx = app.db().begin().await.unwrap();
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let from = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert!(
            loanbook_store::business_date::advance(&mut tx, from, day(3), "t")
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        let t2 = disburse(&app, &ops, contract, &half, Some("t2"))
            .await
            .unwrap();
        assert_eq!((t2.tranche_no, t2.loan_id), (2, t1.loan_id));
        assert_eq!(t2.disbursed, cny("300000"));
        let schedule = loans::schedule(&app, &ops, t1.loan_id).await.unwrap();
        assert_eq!(schedule.len(), 24);
        let principal: i64 = schedule.iter().map(|i| i.principal.amount_minor()).sum();
        assert_eq!(principal, 30_000_000);
        assert_eq!(schedule.last().unwrap().balance, cny("0"));
        // the first installment is due one month after the first tranche
        assert_eq!(schedule[0].due_date, "2026-12-23");
        let loan = loans::get(&app, &ops, t1.loan_id).await.unwrap();
        assert_eq!(
            (loan.principal_outstanding, loan.fees_due),
            (cny("300000"), cny("3000"))
        );
        assert_ledger_ok(&app, &admin, label).await;
    }
}

#[tokio::test]
async fn fraud_and_aml_hits_stop_applications_with_their_reasons() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        let officer = actor("o1", Role::LoanOfficer);
        // two customers applying with the same bank card: the second is a fraud hit
        let first = strong_customer(&app, &admin, 301, "刘洋", "30000").await;
        let second = strong_customer(&app, &admin, 302, "赵敏", "30000").await;
        let a1 = applications::create(&app, &officer, &application(first, "20000", 12, 301))
            .await
            .unwrap();
        assert_eq!(
            applications::submit(&app, &officer, a1.id)
                .await
                .unwrap()
                .status,
            "approved"
        );
        let mut shared = application(second, "20000", 12, 302);
        shared.bank_card = Some(card(301));
        let a2 = applications::create(&app, &officer, &shared).await.unwrap();
        let a2 = applications::submit(&app, &officer, a2.id).await.unwrap();
        assert_eq!(a2.status, "declined", "{label}");
        let codes: Vec<&str> = a2
            .decline_notice
            .as_ref()
            .unwrap()
            .reasons
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        assert!(codes.contains(&"F03_SHARED_CARD"), "{codes:?}");
        assert!(codes.contains(&"P01_FRAUD"), "{codes:?}");
        let notice = a2.decline_notice.as_ref().unwrap();
        assert!(notice.text_zh.contains("未获批准") && notice.text_en.contains("not approved"));
        let fraud = &a2.assessment.as_ref().unwrap().checks[2];
        assert_eq!(
            (fraud.kind.as_str(), fraud.outcome.as_str()),
            ("fraud", "hit")
        );
        assert!(
            fraud.outputs["hits"][0]["detail"]
                .as_str()
                .unwrap()
                .contains(&a1.id.to_string())
        );

        // a customer on the watch list
        let listed = strong_customer(&app, &admin, 303, "孙立新", "30000").await;
        let list = format!(
            "list,name,id_number,reason\nPBOC,孙立新,{},涉嫌洗钱\n",
            id_number(303)
        );
        aml::import_csv(&app, &admin, list.as_bytes(), "test")
            .await
            .unwrap();
        let a3 = applications::create(&app, &officer, &application(listed, "20000", 12, 303))
            .await
            .unwrap();
        let a3 = applications::submit(&app, &officer, a3.id).await.unwrap();
        assert_eq!(a3.status, "declined");
        let x = a3.assessment.as_ref().unwrap();
        assert!(
            x.reasons.iter().any(|r| r.code == "P02_AML"),
            "{:?}",
            x.reasons
        );
        let aml_check = x.checks.iter().find(|c| c.kind == "aml").unwrap();
        assert_eq!(aml_check.outputs["hits"][0]["on"], "id_number");
        assert_eq!(aml_check.version, "watch-list@1");
        assert_ledger_ok(&app, &admin, label).await;
    }
}

#[tokio::test]
async fn a_counter_offer_is_accepted_and_the_chain_goes_on_with_its_terms() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        let (o1, o2, o3) = (
            actor("o1", Role::LoanOfficer),
            actor("o2", Role::LoanOfficer),
            actor("o3", Role::LoanOfficer),
        );
        let manager = actor("branch.mgr", Role::Approver);
        let chief = actor("chief", Role::Admin);
        let customer = strong_customer(&app, &admin, 404, "周敏", "20000").await;
        let a = applications::create(&app, &o1, &application(customer, "150000", 24, 404))
            .await
            .unwrap();
        applications::submit(&app, &o1, a.id).await.unwrap();
        assert_eq!(investigate(&app, &o2, a.id).await, "in_review", "{label}");
        // a counter-offer needs a reason and terms within the product
        let bad = DecisionInput {
            decision: "counter_offer".into(),
            comment: "收入覆盖不足".into(),
            amount: Some("600000".into()),
            ..DecisionInput::default()
        };
        let Err(ServiceError::Invalid(v)) = decide(&app, &o3, a.id, &bad).await else {
            panic!("{label}: an offer above the product maximum was accepted")
        };
        assert_eq!(v[0].field, "amount");
        let offer = DecisionInput {
            decision: "counter_offer".into(),
            comment: "收入覆盖不足，建议降低额度".into(),
            amount: Some("100000".into()),
            term_months: Some(12),
            ..DecisionInput::default()
        };
        assert_eq!(
            decide(&app, &o3, a.id, &offer).await.unwrap().code(),
            "in_review"
        );
        // while the offer is open nobody decides the step
        assert!(matches!(
            decide(&app, &manager, a.id, &approve()).await,
            Err(ServiceError::Conflict(_))
        ));
        assert_eq!(
            answer_counter_offer(&app, &o1, a.id, true)
                .await
                .unwrap()
                .code(),
            "in_review"
        );
        // the chief (admin) approves the manager's step
        assert_eq!(
            decide(&app, &chief, a.id, &approve()).await.unwrap().code(),
            "approved"
        );
        let shown = applications::get(&app, &o1, a.id).await.unwrap();
        assert_eq!(
            (shown.approved_amount, shown.approved_term_months),
            (Some(cny("100000")), Some(12))
        );
        assert_eq!(
            shown
                .approval
                .as_ref()
                .unwrap()
                .counter_offer
                .as_ref()
                .unwrap()
                .status,
            "accepted"
        );
        let ops = actor("ops", Role::Operations);
        let contract = contract_signed(&app, &ops, a.id, "周敏").await;
        // four-eyes: whoever approved may not also release the money
        assert!(matches!(
            disburse(
                &app,
                &chief,
                contract,
                &DisburseInput {
                    funding_source: "OWN".into(),
                    amount: None
                },
                None
            )
            .await,
            Err(ServiceError::Refused {
                rule: "four_eyes",
                ..
            })
        ));
        let d = disburse(
            &app,
            &ops,
            contract,
            &DisburseInput {
                funding_source: "OWN".into(),
                amount: None,
            },
            None,
        )
        .await
        .unwrap();
        assert_eq!(d.amount, cny("100000"));
        assert_eq!(
            loans::schedule(&app, &ops, d.loan_id).await.unwrap().len(),
            12
        );
        assert_ledger_ok(&app, &admin, label).await;
    }
}

#[tokio::test]
async fn a_rejected_counter_offer_and_a_failed_payment_are_undone() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        bank(&app, &admin).await;
        let (o1, o2, o3) = (
            actor("o1", Role::LoanOfficer),
            actor("o2", Role::LoanOfficer),
            actor("o3", Role::LoanOfficer),
        );
        let customer = strong_customer(&app, &admin, 505, "吴刚", "20000").await;
        let a = applications::create(&app, &o1, &application(customer, "150000", 24, 505))
            .await
            .unwrap();
        applications::submit(&app, &o1, a.id).await.unwrap();
        investigate(&app, &o2, a.id).await;
        let offer = DecisionInput {
            decision: "counter_offer".into(),
            comment: "降低额度".into(),
            amount: Some("80000".into()),
            ..DecisionInput::default()
        };
        decide(&app, &o3, a.id, &offer).await.unwrap();
        assert_eq!(
            answer_counter_offer(&app, &o1, a.id, false)
                .await
                .unwrap()
                .code(),
            "declined",
            "{label}"
        );
        let shown = applications::get(&app, &o1, a.id).await.unwrap();
        assert!(
            shown
                .decline_notice
                .unwrap()
                .text_en
                .contains("rejected the counter-offer")
        );

        // the simulated bank fails an amount ending in .13: the tranche is reversed
        let strong = strong_customer(&app, &admin, 506, "郑爽", "30000").await;
        let b = applications::create(&app, &o1, &application(strong, "20000.13", 12, 506))
            .await
            .unwrap();
        assert_eq!(
            applications::submit(&app, &o1, b.id).await.unwrap().status,
            "approved"
        );
        let ops = actor("ops", Role::Operations);
        let contract = contract_signed(&app, &ops, b.id, "郑爽").await;
        let d = disburse(
            &app,
            &ops,
            contract,
            &DisburseInput {
                funding_source: "OWN".into(),
                amount: None,
            },
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            (d.payment_status.as_str(), d.status.as_str()),
            ("failed", "cancelled")
        );
        let loan = loans::get(&app, &ops, d.loan_id).await.unwrap();
        assert_eq!(
            (loan.principal_outstanding, loan.fees_due),
            (cny("0"), cny("0"))
        );
        let own = applications::funding_sources(&app, &admin).await.unwrap();
        assert_eq!(
            own.iter().find(|f| f.code == "OWN").unwrap().available,
            cny("50000000")
        );
        // a confirmation file naming an unknown order is refused whole
        let Err(ServiceError::Invalid(v)) = import_confirmations(
            &app,
            &ops,
            "order_id,status,bank_reference\n999,confirmed,X1\n",
        )
        .await
        else {
            panic!("{label}: an unknown order was accepted")
        };
        assert_eq!(v[0].field, "order_id");
        assert_ledger_ok(&app, &admin, label).await;
    }
}

#[test]
fn the_test_identities_are_valid() {
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    for seq in [101, 202, 301, 999] {
        assert!(loanbook_risk::identity::IdNumber::parse(&id_number(seq), as_of).is_ok());
    }
    assert_eq!(card(301).len(), 16);
}
