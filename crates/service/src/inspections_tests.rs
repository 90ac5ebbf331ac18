//! Post-loan inspections on every test database: the first inspection of a business loan,
//! the checklist recorded and the next one scheduled, the work queue, and inspections
//! brought forward by a worse class.

use chrono::NaiveDate;
use loanbook_core::delinquency::FiveTier;
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::RepaymentMethod;

use super::*;
use crate::Role;
use crate::applications::{FundingSourceInput, create_funding_source};
use crate::auth::{NewUser, add_user};
use crate::customers::{self, CustomerInput};
use crate::servicing::book::{BookLoanInput, book_loan};
use crate::test_support::apps;
use crate::{Actor, App, ServiceError, products};

pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub(crate) fn actor(name: &str, role: Role) -> Actor {
    Actor {
        user_id: 0,
        username: name.into(),
        role,
        request_id: None,
    }
}

/// The people of the service desk and the loan department, as users: `li.officer`
/// (loan officer), `wang.cs` (customer service), `zhao.collector` (collector).
pub(crate) async fn staff(app: &App) {
    for (name, role) in [
        ("li.officer", "loan_officer"),
        ("wang.cs", "customer_service"),
        ("zhao.collector", "collector"),
    ] {
        add_user(
            app,
            &Actor::system(),
            &NewUser {
                username: name.into(),
                display_name: String::new(),
                role: role.into(),
                password: "Password-2026".into(),
            },
        )
        .await
        .unwrap();
    }
}

/// A product, a funding source, a business borrower and an individual one:
/// (business, individual).
pub(crate) async fn borrowers(app: &App) -> (i64, i64) {
    let admin = Actor::system();
    let product = serde_json::json!({
        "code": "PL", "name": "post-loan test", "currency": "CNY",
        "amount_min": "1000", "amount_max": "5000000", "term_min_months": 1, "term_max_months": 36,
        "rate_min": "0.01", "rate_max": "0.24", "methods": ["annuity", "equal_principal"],
        "grace_days": 0, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
        "prepayment_penalty_rate": "0"
    });
    products::add(app, &admin, &product).await.unwrap();
    create_funding_source(
        app,
        &admin,
        &FundingSourceInput {
            code: "OWN".into(),
            name: "own funds".into(),
            currency: None,
            limit: "100000000.00".into(),
        },
    )
    .await
    .unwrap();
    two_customers(app).await
}

/// A business borrower and an individual one: (business, individual).
async fn two_customers(app: &App) -> (i64, i64) {
    let admin = Actor::system();
    let business = customers::create(
        app,
        &admin,
        &CustomerInput {
            kind: "business".into(),
            name: "福州某贸易有限公司".into(),
            uscc: Some("91350100M000100Y43".into()),
            legal_representative: Some("陈志强".into()),
            industry: Some("wholesale".into()),
            ..CustomerInput::default()
        },
    )
    .await
    .unwrap()
    .id;
    let individual = customers::create(
        app,
        &admin,
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
    .id;
    (business, individual)
}

/// Books 10,000.00 at 12% over 12 months for `customer` on the business date
/// (2026-11-23).
pub(crate) async fn book(app: &App, customer: i64) -> i64 {
    book_loan(
        app,
        &Actor::system(),
        &BookLoanInput {
            external_id: None,
            customer_id: customer,
            product_code: "PL".into(),
            principal: Money::parse("10000", Currency::CNY).unwrap(),
            annual_rate: AnnualRate::parse("0.12").unwrap(),
            term: 12,
            method: RepaymentMethod::Annuity,
            funding_source: "OWN".into(),
        },
    )
    .await
    .unwrap()
}

/// What the disbursement does for a loan's first tranche.
async fn first_disbursement(app: &App, loan: i64, customer: i64, business: bool) -> Option<i64> {
    let mut tx = app.db().begin().await.unwrap();
    let id = schedule_first(&mut tx, loan, customer, business, d(2026, 11, 23))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn of_loan(app: &App, loan: i64) -> Vec<InspectionView> {
    list(
        app,
        &Actor::system(),
        &ListInput {
            loan_id: Some(loan),
            ..ListInput::default()
        },
    )
    .await
    .unwrap()
}

fn fields(e: ServiceError) -> Vec<String> {
    match e {
        ServiceError::Invalid(v) => v.into_iter().map(|x| x.field).collect(),
        other => panic!("{other:?}"),
    }
}

fn answers(a: &[(&str, &str)]) -> BTreeMap<String, String> {
    a.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn a_business_loan_is_first_inspected_thirty_days_after_disbursement() {
    for (app, _, t) in apps().await {
        let (business, individual) = borrowers(&app).await;
        let (b, i) = (book(&app, business).await, book(&app, individual).await);
        assert!(first_disbursement(&app, b, business, true).await.is_some());
        assert_eq!(first_disbursement(&app, i, individual, false).await, None);
        let found = of_loan(&app, b).await;
        assert_eq!(found.len(), 1, "{}", t.label);
        // disbursed 2026-11-23 + 30 days
        assert_eq!(
            (
                found[0].kind.as_str(),
                found[0].due_on.as_str(),
                found[0].status.as_str()
            ),
            ("first", "2026-12-23", "pending"),
            "{}",
            t.label
        );
        assert_eq!(found[0].customer_id, business);
        assert!(!found[0].overdue);
        assert!(of_loan(&app, i).await.is_empty(), "{}", t.label);
    }
}

#[tokio::test]
async fn completing_an_inspection_records_it_and_schedules_the_next() {
    for (app, admin, t) in apps().await {
        staff(&app).await;
        let officer = actor("li.officer", Role::LoanOfficer);
        let (business, individual) = borrowers(&app).await;
        let loan = book(&app, business).await;
        let id = first_disbursement(&app, loan, business, true)
            .await
            .unwrap();
        let theirs = crate::customer_records::upload_document(
            &app,
            &admin,
            business,
            "field_visit",
            "site.pdf",
            b"%PDF-1.7\n",
        )
        .await
        .unwrap()
        .id;
        let other = crate::customer_records::upload_document(
            &app,
            &admin,
            individual,
            "other",
            "x.pdf",
            b"%PDF-1.7\n",
        )
        .await
        .unwrap()
        .id;

        // assignment: only to a user who does inspections
        let refused = assign(&app, &officer, id, "wang.cs").await.unwrap_err();
        assert_eq!(fields(refused), ["assigned_to"], "{}", t.label);
        let cs = actor("wang.cs", Role::CustomerService);
        assert!(matches!(
            assign(&app, &cs, id, "li.officer").await,
            Err(ServiceError::Forbidden { .. })
        ));
        let a = assign(&app, &officer, id, "li.officer").await.unwrap();
        assert_eq!(a.assigned_to.as_deref(), Some("li.officer"));

        // every broken rule is named, nothing changes
        let bad = CompleteInput {
            done_on: Some("2026-11-24".into()),
            checklist: answers(&[("use_of_funds", "fine"), ("weather", "satisfactory")]),
            findings: " ".into(),
            document_ids: vec![],
            follow_ups: vec![FollowUp {
                task: "补充存货照片".into(),
                due_on: "2026-11-30".into(),
                owner: "nobody".into(),
            }],
        };
        let e = complete(&app, &officer, id, &bad).await.unwrap_err();
        assert_eq!(
            fields(e),
            [
                "done_on",
                "checklist.use_of_funds",
                "checklist.business_status",
                "checklist.collateral",
                "checklist.weather",
                "findings",
                "follow_ups[0].owner"
            ],
            "{}",
            t.label
        );
        let good = CompleteInput {
            done_on: None,
            checklist: answers(&[
                ("use_of_funds", "satisfactory"),
                ("business_status", "concern"),
                ("collateral", "not_applicable"),
            ]),
            findings: "资金用于采购存货，库存较上月下降三成".into(),
            document_ids: vec![theirs, other],
            follow_ups: vec![FollowUp {
                task: "一个月后复核库存".into(),
                due_on: "2026-12-23".into(),
                owner: "li.officer".into(),
            }],
        };
        let e = complete(&app, &officer, id, &good).await.unwrap_err();
        assert_eq!(fields(e), ["document_ids"], "another customer's document");
        assert_eq!(get(&app, &officer, id).await.unwrap().status, "pending");

        let done = complete(
            &app,
            &officer,
            id,
            &CompleteInput {
                document_ids: vec![theirs, theirs],
                ..good.clone()
            },
        )
        .await
        .unwrap();
        let i = &done.inspection;
        assert_eq!(
            (i.status.as_str(), i.result.as_deref(), i.done_on.as_deref()),
            ("done", Some("concern"), Some("2026-11-23")),
            "{}: the worst answer",
            t.label
        );
        assert_eq!(i.done_by.as_deref(), Some("li.officer"));
        assert_eq!(i.checklist["business_status"], "concern");
        assert_eq!(i.document_ids, [theirs]);
        assert_eq!(i.follow_ups[0].owner, "li.officer");
        // a business loan of class pass: the next in 180 days (2026-11-23 → 2027-05-22)
        let next = done.next.as_ref().unwrap();
        assert_eq!(
            (
                next.kind.as_str(),
                next.due_on.as_str(),
                next.status.as_str()
            ),
            ("periodic", "2027-05-22", "pending"),
            "{}",
            t.label
        );
        assert!(matches!(
            complete(&app, &officer, id, &good).await,
            Err(ServiceError::Conflict(_))
        ));
        let shown = get(&app, &officer, id).await.unwrap();
        assert_eq!(shown, done.inspection);

        // an inspection by hand, due today: the officer's work queue
        assert!(queue(&app, &officer, None).await.unwrap().is_empty());
        let e = schedule(
            &app,
            &officer,
            loan,
            &ScheduleInput {
                due_on: Some("2026-11-22".into()),
                assigned_to: Some("zhao.collector".into()),
                reason: String::new(),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(
            fields(e),
            ["reason", "due_on", "assigned_to"],
            "{}",
            t.label
        );
        let adhoc = schedule(
            &app,
            &officer,
            loan,
            &ScheduleInput {
                due_on: None,
                assigned_to: Some("li.officer".into()),
                reason: "客户反映经营场所搬迁".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (adhoc.kind.as_str(), adhoc.due_on.as_str()),
            ("triggered", "2026-11-23")
        );
        let mine = queue(&app, &officer, None).await.unwrap();
        assert_eq!(mine.iter().map(|x| x.id).collect::<Vec<_>>(), [adhoc.id]);
        assert!(
            queue(&app, &officer, Some("wang.cs"))
                .await
                .unwrap()
                .is_empty()
        );
        let due = list(
            &app,
            &officer,
            &ListInput {
                status: Some("pending".into()),
                due_by: Some("2027-05-22".into()),
                ..ListInput::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            due.iter().map(|x| x.due_on.as_str()).collect::<Vec<_>>(),
            ["2026-11-23", "2027-05-22"]
        );
        // the periodic one is due by the next routine date: nothing more is scheduled
        let done = complete(
            &app,
            &officer,
            adhoc.id,
            &CompleteInput {
                document_ids: vec![],
                follow_ups: vec![],
                checklist: answers(&[
                    ("use_of_funds", "satisfactory"),
                    ("business_status", "satisfactory"),
                    ("collateral", "adverse"),
                ]),
                ..good.clone()
            },
        )
        .await
        .unwrap();
        assert_eq!(done.inspection.result.as_deref(), Some("adverse"));
        assert!(done.next.is_none(), "{}", t.label);
        let audit = loanbook_store::audit::query(
            app.db(),
            &loanbook_store::audit::AuditFilter {
                entity: Some("inspection".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let actions: Vec<&str> = audit.iter().rev().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "inspection.assign",
                "inspection.complete",
                "inspection.schedule",
                "inspection.complete"
            ]
        );
    }
}

#[tokio::test]
async fn a_worse_class_brings_an_inspection_forward() {
    for (app, _, t) in apps().await {
        let (business, individual) = borrowers(&app).await;
        let worse_individual = book(&app, individual).await;
        let covered = book(&app, business).await;
        let worse_business = book(&app, business).await;
        let better = book(&app, individual).await;
        first_disbursement(&app, covered, business, true).await;
        let date = d(2026, 11, 23);
        let changes = [
            (worse_individual, FiveTier::Pass, FiveTier::Substandard),
            (covered, FiveTier::Pass, FiveTier::SpecialMention),
            (worse_business, FiveTier::Pass, FiveTier::Doubtful),
            (better, FiveTier::SpecialMention, FiveTier::Pass),
        ];
        let mut tx = app.db().begin().await.unwrap();
        after_class_changes(&mut tx, date, &changes).await.unwrap();
        tx.commit().await.unwrap();
        let one = |list: Vec<InspectionView>| {
            list.iter()
                .map(|i| (i.kind.clone(), i.due_on.clone()))
                .collect::<Vec<_>>()
        };
        // individual, substandard: 90 days (2026-11-23 → 2027-02-21)
        assert_eq!(
            one(of_loan(&app, worse_individual).await),
            [("triggered".to_owned(), "2027-02-21".to_owned())],
            "{}",
            t.label
        );
        // the first inspection (2026-12-23) comes before 90 days: nothing added
        assert_eq!(
            one(of_loan(&app, covered).await),
            [("first".to_owned(), "2026-12-23".to_owned())]
        );
        // business, doubtful: 30 days
        let b = of_loan(&app, worse_business).await;
        assert_eq!(
            one(b.clone()),
            [("triggered".to_owned(), "2026-12-23".to_owned())]
        );
        assert_eq!(b[0].reason, "class pass → doubtful on 2026-11-23");
        assert_eq!(b[0].created_by, "eod");
        assert!(of_loan(&app, better).await.is_empty());
        // the same changes again: every loan has an inspection due in time
        let mut tx = app.db().begin().await.unwrap();
        after_class_changes(&mut tx, date, &changes).await.unwrap();
        after_class_changes(&mut tx, date, &[]).await.unwrap();
        tx.commit().await.unwrap();
        let all = list(&app, &Actor::system(), &ListInput::default())
            .await
            .unwrap();
        assert_eq!(all.len(), 3, "{}", t.label);
    }
}

#[tokio::test]
async fn inspection_lists_refuse_bad_filters() {
    for (app, _, _) in apps().await {
        let e = list(
            &app,
            &Actor::system(),
            &ListInput {
                status: Some("open".into()),
                due_by: Some("2026-13-01".into()),
                limit: Some(0),
                ..ListInput::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(e), ["status", "due_by", "limit"]);
        let collector = actor("zhao.collector", Role::Collector);
        assert!(matches!(
            schedule(&app, &collector, 1, &ScheduleInput::default()).await,
            Err(ServiceError::Forbidden { .. })
        ));
        assert!(matches!(
            get(&app, &collector, 99).await,
            Err(ServiceError::NotFound(_))
        ));
    }
}

/// A loan officer named `name`.
fn officer(name: &str) -> Actor {
    actor(name, Role::LoanOfficer)
}

/// Walks an application of `customer` (whose name is `name`) for 100,000.00 over 12
/// months of the product SME from submission to approval by an officer and the branch
/// manager and a signed contract; returns the contract.
async fn contract(app: &App, customer: i64, name: &str, business: bool, seq: u64) -> i64 {
    use crate::applications::{self, ApplicationInput};
    use crate::investigation::{InvestigationInput, investigate};
    use crate::origination::approval::{DecisionInput, decide};
    use crate::origination::contract::{SignInput, generate_contract, sign};
    let a = applications::create(
        app,
        &officer("o1"),
        &ApplicationInput {
            customer_id: customer,
            product_code: "SME".into(),
            amount: "100000".into(),
            term_months: 12,
            method: "annuity".into(),
            purpose: "business".into(),
            channel: "branch".into(),
            device_id: Some(format!("device-{seq}")),
            bank_card: Some(crate::demo::bank_card(seq)),
        },
    )
    .await
    .unwrap();
    applications::submit(app, &officer("o1"), a.id)
        .await
        .unwrap();
    let figures = if business {
        InvestigationInput {
            annual_revenue: Some("32000000".into()),
            annual_profit: Some("2400000".into()),
            operating_cash_flow: Some("3000000".into()),
            ..InvestigationInput::default()
        }
    } else {
        InvestigationInput {
            monthly_income: Some("60000".into()),
            existing_monthly_debt: Some("0".into()),
            ..InvestigationInput::default()
        }
    };
    let visit = InvestigationInput {
        visited_on: "2026-11-22".into(),
        visit_summary: "实地走访：经营正常".into(),
        ..figures
    };
    investigate(app, &officer("o2"), a.id, &visit)
        .await
        .unwrap();
    let approve = DecisionInput {
        decision: "approve".into(),
        comment: "同意".into(),
        ..DecisionInput::default()
    };
    for who in [officer("o3"), actor("mgr", Role::Approver)] {
        decide(app, &who, a.id, &approve).await.unwrap();
    }
    let ops = actor("ops", Role::Operations);
    let c = generate_contract(app, &ops, a.id).await.unwrap();
    for (party, signer) in [("borrower", name), ("lender", "信贷部 张经理")] {
        sign(
            app,
            &ops,
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

/// Releases `amount` of contract `contract`; returns the loan.
async fn tranche(app: &App, contract: i64, amount: &str) -> i64 {
    use crate::origination::disbursement::{DisburseInput, disburse};
    let input = DisburseInput {
        funding_source: "OWN".into(),
        amount: Some(amount.into()),
    };
    disburse(app, &actor("ops", Role::Operations), contract, &input, None)
        .await
        .unwrap()
        .loan_id
}

#[tokio::test]
async fn the_first_disbursement_of_a_business_loan_schedules_its_first_inspection() {
    for (app, admin, t) in apps().await {
        crate::demo::seed_origination(&app).await.unwrap();
        let (business, individual) = two_customers(&app).await;
        let product = serde_json::json!({
            "code": "SME", "name": "小微经营贷", "currency": "CNY",
            "amount_min": "1000", "amount_max": "3000000", "term_min_months": 6, "term_max_months": 60,
            "rate_min": "0.0385", "rate_max": "0.15", "methods": ["annuity"],
            "grace_days": 3, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up"
        });
        products::add(&app, &admin, &product).await.unwrap();
        let c = contract(&app, business, "福州某贸易有限公司", true, 301).await;
        let loan = tranche(&app, c, "50000").await;
        // a second tranche is not a first disbursement: still one inspection
        assert_eq!(tranche(&app, c, "50000").await, loan);
        let found = of_loan(&app, loan).await;
        assert_eq!(found.len(), 1, "{}", t.label);
        assert_eq!(
            (
                found[0].kind.as_str(),
                found[0].due_on.as_str(),
                found[0].created_by.as_str()
            ),
            ("first", "2026-12-23", "disbursement"),
            "{}",
            t.label
        );
        let c = contract(&app, individual, "李四", false, 302).await;
        let loan = tranche(&app, c, "100000").await;
        assert!(of_loan(&app, loan).await.is_empty(), "{}", t.label);
    }
}
