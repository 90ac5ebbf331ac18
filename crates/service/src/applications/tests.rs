use super::*;
use crate::Role;
use crate::customer_records::upload_document;
use crate::customers::{self, CustomerInput};
use crate::test_support::apps;

const PDF: &[u8] = b"%PDF-1.7\n%%EOF\n";

async fn setup(app: &App, admin: &Actor) -> i64 {
    let product = serde_json::json!({
        "code": "GD-ONLINE", "name": "粤通网贷", "currency": "CNY",
        "amount_min": "1000", "amount_max": "200000", "term_min_months": 3, "term_max_months": 24,
        "rate_min": "0.072", "rate_max": "0.24", "methods": ["annuity", "equal_principal"],
        "grace_days": 3, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
        "eligibility": {"age_min": 22, "age_max": 60, "provinces": ["广东省"]},
        "required_documents": ["id_card", "bank_statement"]
    });
    products::add(app, admin, &product).await.unwrap();
    let customer = CustomerInput {
        kind: "individual".into(),
        name: "王伟".into(),
        id_number: Some("110101199003078515".into()),
        phone: Some("13800138000".into()),
        province: Some("广东省".into()),
        ..CustomerInput::default()
    };
    customers::create(app, admin, &customer).await.unwrap().id
}

fn input(customer_id: i64, amount: &str) -> ApplicationInput {
    ApplicationInput {
        customer_id,
        product_code: "GD-ONLINE".into(),
        amount: amount.into(),
        term_months: 12,
        method: "annuity".into(),
        purpose: "家庭装修".into(),
        channel: "online".into(),
        device_id: None,
        bank_card: None,
    }
}

#[tokio::test]
async fn missing_documents_return_and_a_resubmission_passes() {
    for (app, admin, t) in apps().await {
        let customer = setup(&app, &admin).await;
        let a = create(&app, &admin, &input(customer, "50000"))
            .await
            .unwrap();
        assert_eq!(
            (a.status.as_str(), a.product_version),
            ("draft", 1),
            "{}",
            t.label
        );
        upload_document(&app, &admin, customer, "id_card", "id.pdf", PDF)
            .await
            .unwrap();
        let returned = submit(&app, &admin, a.id).await.unwrap();
        assert_eq!(returned.status, "returned");
        assert_eq!(
            returned.prescreen,
            vec![FailedRule {
                rule: "required_document".into(),
                kind: "completeness".into(),
                detail: "the product requires a bank_statement document".into()
            }]
        );
        upload_document(&app, &admin, customer, "bank_statement", "流水.pdf", PDF)
            .await
            .unwrap();
        let passed = submit(&app, &admin, a.id).await.unwrap();
        assert_eq!(passed.status, "pre_screened");
        assert!(passed.prescreen.is_empty());
        let steps: Vec<String> = history(&app, &admin, a.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.3)
            .collect();
        assert_eq!(
            steps,
            ["submitted", "returned", "submitted", "pre_screened"]
        );
        // a pre-screened application cannot be submitted again
        assert!(matches!(
            submit(&app, &admin, a.id).await,
            Err(ServiceError::Conflict(_))
        ));
    }
}

#[tokio::test]
async fn compliance_failures_decline_with_every_rule() {
    for (app, admin, t) in apps().await {
        let customer = setup(&app, &admin).await;
        customers::set_status(&app, &admin, customer, "blacklisted", Some("fraud ring"))
            .await
            .unwrap();
        let mut big = input(customer, "250000");
        big.term_months = 36;
        let a = create(&app, &admin, &big).await.unwrap();
        let declined = submit(&app, &admin, a.id).await.unwrap();
        assert_eq!(declined.status, "declined", "{}", t.label);
        let rules: Vec<&str> = declined.prescreen.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "required_document",
                "required_document",
                "blacklist",
                "amount_range",
                "term_range"
            ]
        );
        assert!(matches!(
            withdraw(&app, &admin, a.id, "changed mind").await,
            Err(ServiceError::Conflict(_))
        ));
    }
}

#[tokio::test]
async fn bad_input_and_permissions() {
    for (app, admin, t) in apps().await {
        let customer = setup(&app, &admin).await;
        let mut bad = input(customer, "12.345");
        bad.term_months = 0;
        bad.method = "balloon".into();
        bad.channel = "fax".into();
        let Err(ServiceError::Invalid(v)) = create(&app, &admin, &bad).await else {
            panic!("{}", t.label)
        };
        assert_eq!(
            v.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(),
            ["amount", "term_months", "method", "channel"]
        );
        assert!(matches!(
            create(&app, &admin, &input(999, "1000")).await,
            Err(ServiceError::Invalid(_))
        ));
        let collector = Actor {
            user_id: 3,
            username: "c".into(),
            role: Role::Collector,
            request_id: None,
        };
        assert!(matches!(
            create(&app, &collector, &input(customer, "1000")).await,
            Err(ServiceError::Forbidden { .. })
        ));
        let a = create(&app, &admin, &input(customer, "1000"))
            .await
            .unwrap();
        let w = withdraw(&app, &admin, a.id, "no longer needed")
            .await
            .unwrap();
        assert_eq!(w.status, "withdrawn");
        assert_eq!(
            list(&app, &admin, Some("withdrawn"), None, None, None)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn funding_sources_are_created_once() {
    for (app, admin, t) in apps().await {
        let f = create_funding_source(
            &app,
            &admin,
            &FundingSourceInput {
                code: "OWN".into(),
                name: "自有资金".into(),
                currency: None,
                limit: "50000000".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (
                f.limit.to_string().as_str(),
                f.available.to_string().as_str()
            ),
            ("50000000.00", "50000000.00"),
            "{}",
            t.label
        );
        assert!(matches!(
            create_funding_source(
                &app,
                &admin,
                &FundingSourceInput {
                    code: "OWN".into(),
                    name: "x".into(),
                    currency: None,
                    limit: "1".into()
                }
            )
            .await,
            Err(ServiceError::Conflict(_))
        ));
        assert_eq!(funding_sources(&app, &admin).await.unwrap().len(), 1);
    }
}
