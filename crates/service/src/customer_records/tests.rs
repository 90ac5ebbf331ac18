use super::*;
use crate::customers::{self, CustomerInput};
use crate::test_support::apps;

fn wang() -> CustomerInput {
    CustomerInput {
        kind: "individual".into(),
        name: "王伟".into(),
        id_number: Some("110101199003078515".into()),
        phone: Some("13800138000".into()),
        ..CustomerInput::default()
    }
}

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];

#[tokio::test]
async fn documents_are_kept_by_hash_and_checked_by_content() {
    for (app, admin, t) in apps().await {
        let c = customers::create(&app, &admin, &wang()).await.unwrap();
        let doc = upload_document(&app, &admin, c.id, "bank_statement", "流水.pdf", PDF)
            .await
            .unwrap();
        assert_eq!(doc.content_type, "application/pdf", "{}", t.label);
        assert_eq!(doc.sha256, hex::encode(Sha256::digest(PDF)));
        let (shown, bytes) = document_content(&app, &admin, doc.id).await.unwrap();
        assert_eq!(
            (shown.size_bytes, bytes.as_slice()),
            (PDF.len() as i64, PDF)
        );
        // a PNG named .pdf is mislabelled; text is not a document; nothing is stored
        let Err(ServiceError::Invalid(v)) =
            upload_document(&app, &admin, c.id, "id_card", "id.pdf", PNG).await
        else {
            panic!()
        };
        assert_eq!(
            v[0].rule,
            "says application/pdf but the content is image/png: the file is mislabelled"
        );
        let Err(ServiceError::Invalid(v)) =
            upload_document(&app, &admin, c.id, "passport", "x.pdf", b"hello").await
        else {
            panic!()
        };
        assert_eq!(
            v.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(),
            ["kind", "file"]
        );
        let big = [PDF, &vec![b' '; MAX_DOCUMENT_BYTES]].concat();
        let Err(ServiceError::Invalid(v)) =
            upload_document(&app, &admin, c.id, "other", "big.pdf", &big).await
        else {
            panic!()
        };
        assert!(v[0].rule.contains("the limit is 10485760"), "{v:?}");
        assert_eq!(documents(&app, &admin, c.id).await.unwrap().len(), 1);
        // a file changed on disk is caught when read
        std::fs::write(
            app.data_dir()
                .join(format!("documents/{}/{}.pdf", c.id, doc.sha256)),
            b"%PDF-tampered",
        )
        .unwrap();
        assert!(document_content(&app, &admin, doc.id).await.is_err());
        assert!(matches!(
            upload_document(&app, &admin, 999, "other", "a.pdf", PDF).await,
            Err(ServiceError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn contacts_reports_collateral_and_guarantees() {
    for (app, admin, t) in apps().await {
        let c = customers::create(&app, &admin, &wang()).await.unwrap();
        add_contact(
            &app,
            &admin,
            c.id,
            &ContactInput {
                channel: "phone".into(),
                direction: "outbound".into(),
                summary: "核实收入".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            contacts(&app, &admin, c.id).await.unwrap()[0].summary,
            "核实收入",
            "{}",
            t.label
        );
        assert!(matches!(
            add_contact(&app, &admin, c.id, &ContactInput { channel: "fax".into(), direction: "in".into(), summary: "".into() }).await,
            Err(ServiceError::Invalid(v)) if v.len() == 3
        ));

        let report = CreditReportInput {
            bureau: "pboc".into(),
            pulled_on: "2026-11-20".into(),
            report: serde_json::json!({"score": 712, "overdue_accounts": 0}),
        };
        add_credit_report(&app, &admin, c.id, &report)
            .await
            .unwrap();
        assert_eq!(
            credit_reports(&app, &admin, c.id).await.unwrap()[0].report["score"],
            712
        );
        let future = CreditReportInput {
            pulled_on: "2026-12-01".into(),
            ..report
        };
        assert!(matches!(
            add_credit_report(&app, &admin, c.id, &future).await,
            Err(ServiceError::Invalid(_))
        ));

        let house = CollateralInput {
            kind: "real_estate".into(),
            description: "深圳市南山区某小区 3-1201".into(),
            valuation: "3200000.00".into(),
            valued_on: "2026-10-15".into(),
            ltv: Some("0.7".into()),
            custody: "bank".into(),
            lien_status: "registered".into(),
        };
        let added = add_collateral(&app, &admin, c.id, &house).await.unwrap();
        assert_eq!(added.valuation.to_string(), "3200000.00");
        let bad = CollateralInput {
            ltv: Some("1.5".into()),
            valuation: "-1".into(),
            ..house
        };
        let Err(ServiceError::Invalid(v)) = add_collateral(&app, &admin, c.id, &bad).await else {
            panic!()
        };
        assert_eq!(
            v.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(),
            ["valuation", "ltv"]
        );

        let outside = GuaranteeInput {
            guarantor_customer_id: None,
            guarantor_name: Some("李娜".into()),
            guarantor_id_number: Some("11010519491231002X".into()),
            amount: "500000".into(),
        };
        let g = add_guarantee(&app, &admin, c.id, &outside).await.unwrap();
        assert_eq!(g.guarantor_id_number.as_deref(), Some("1101**********002X"));
        let own = GuaranteeInput {
            guarantor_customer_id: Some(c.id),
            guarantor_name: None,
            guarantor_id_number: None,
            amount: "1".into(),
        };
        assert!(matches!(
            add_guarantee(&app, &admin, c.id, &own).await,
            Err(ServiceError::Invalid(_))
        ));
        let dump = loanbook_store::testing::dump_text(app.db(), &["guarantees", "audit_log"]).await;
        assert!(
            !dump.contains("11010519491231002X"),
            "the guarantor's ID number is stored in clear"
        );
        assert_eq!(guarantees(&app, &admin, c.id).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn an_update_is_checked_and_audited_with_before_and_after() {
    for (app, admin, t) in apps().await {
        let c = customers::create(&app, &admin, &wang()).await.unwrap();
        let mut changed = wang();
        changed.phone = Some("13900139000".into());
        changed.monthly_income = Some("25000".into());
        let after = customers::update(&app, &admin, c.id, &changed)
            .await
            .unwrap();
        assert_eq!(after.phone.as_deref(), Some("139****9000"), "{}", t.label);
        assert_eq!(after.monthly_income.unwrap().to_string(), "25000.00");
        let mut business = changed.clone();
        business.kind = "business".into();
        assert!(matches!(
            customers::update(&app, &admin, c.id, &business).await,
            Err(ServiceError::Invalid(_))
        ));
        let log = loanbook_store::audit::query(
            app.db(),
            &loanbook_store::audit::AuditFilter {
                entity: Some("customer".into()),
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let update = log.iter().find(|r| r.action == "customer.update").unwrap();
        assert!(update.before.as_deref().unwrap().contains("138****8000"));
        assert!(update.after.as_deref().unwrap().contains("139****9000"));
    }
}
