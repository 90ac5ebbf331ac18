use super::*;
use crate::Role;
use crate::test_support::apps;

const ID_WANG: &str = "110101199003078515";
const ID_LI: &str = "11010519491231002X";
const USCC: &str = "91350100M000100Y43";

fn wang() -> CustomerInput {
    CustomerInput {
        kind: "individual".into(),
        name: "王伟".into(),
        id_number: Some(ID_WANG.into()),
        phone: Some("13800138000".into()),
        province: Some("广东省".into()),
        city: Some("深圳市".into()),
        address: Some("深圳市南山区科技园路1号".into()),
        employer: Some("深圳某科技有限公司".into()),
        monthly_income: Some("18500.00".into()),
        marital_status: Some("married".into()),
        education: Some("bachelor".into()),
        employment_years: Some("6".into()),
        housing: Some("mortgage".into()),
        ..CustomerInput::default()
    }
}

fn company() -> CustomerInput {
    CustomerInput {
        kind: "business".into(),
        name: "福州某贸易有限公司".into(),
        uscc: Some(USCC.into()),
        legal_representative: Some("陈志强".into()),
        industry: Some("wholesale".into()),
        registered_capital: Some("5000000".into()),
        established_on: Some("2015-06-01".into()),
        annual_revenue: Some("32000000.00".into()),
        employees: Some("45".into()),
        ..CustomerInput::default()
    }
}

fn role(r: Role) -> Actor {
    Actor {
        user_id: 99,
        username: r.code().into(),
        role: r,
        request_id: None,
    }
}

#[tokio::test]
async fn an_individual_is_stored_encrypted_and_shown_masked() {
    for (app, admin, t) in apps().await {
        let c = create(&app, &admin, &wang()).await.unwrap();
        assert_eq!(
            c.id_number.as_deref(),
            Some("1101**********8515"),
            "{}",
            t.label
        );
        assert_eq!(c.phone.as_deref(), Some("138****8000"));
        assert_eq!(c.address.as_deref(), Some("深圳市南山区******"));
        // derived from the ID number: born 1990-03-07, male, 36 on 2026-11-23; the birth date
        // itself only unmasked
        assert_eq!(c.birth_date, None);
        assert_eq!(c.sex.as_deref(), Some("male"));
        assert_eq!(c.age, Some(36));
        assert_eq!(c.monthly_income.unwrap().to_string(), "18500.00");
        // the raw rows and the audit log hold no personal data in clear
        let dump = loanbook_store::testing::dump_text(app.db(), &["customers", "audit_log"]).await;
        for secret in [ID_WANG, "13800138000", "科技园路1号"] {
            assert!(
                !dump.contains(secret),
                "{}: '{secret}' is stored in clear",
                t.label
            );
        }
        // unmasking needs pii:view and is audited
        assert!(matches!(
            get(&app, &role(Role::LoanOfficer), c.id, true).await,
            Err(ServiceError::Forbidden { .. })
        ));
        let clear = get(&app, &role(Role::Compliance), c.id, true)
            .await
            .unwrap();
        assert_eq!(clear.id_number.as_deref(), Some(ID_WANG));
        assert_eq!(clear.birth_date.as_deref(), Some("1990-03-07"));
        assert_eq!(clear.phone.as_deref(), Some("13800138000"));
        assert_eq!(clear.address.as_deref(), Some("深圳市南山区科技园路1号"));
        let log = loanbook_store::audit::query(
            app.db(),
            &loanbook_store::audit::AuditFilter {
                entity: Some("customer".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(log[0].action, "customer.unmask");
        assert_eq!(log[0].actor, "compliance");
    }
}

#[tokio::test]
async fn bad_customers_list_every_rule_and_change_nothing() {
    for (app, admin, t) in apps().await {
        let mut bad = wang();
        bad.id_number = Some("110101199003078514".into()); // wrong check digit
        bad.phone = Some("12345".into());
        bad.monthly_income = Some("12.345".into());
        bad.education = Some("phd".into());
        bad.uscc = Some(USCC.into());
        let Err(ServiceError::Invalid(v)) = create(&app, &admin, &bad).await else {
            panic!("{}", t.label)
        };
        let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["monthly_income", "education", "id_number", "uscc", "phone"],
            "{v:?}"
        );
        assert_eq!(v[2].rule, "check character is 4 but the number requires 5");
        let missing = CustomerInput {
            kind: "individual".into(),
            name: "张三".into(),
            ..Default::default()
        };
        let Err(ServiceError::Invalid(v)) = create(&app, &admin, &missing).await else {
            panic!()
        };
        assert_eq!(
            v.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(),
            ["id_number", "phone"]
        );
        assert_eq!(customers::count(app.db()).await.unwrap(), 0);
        // a collector may not create customers
        assert!(matches!(
            create(&app, &role(Role::Collector), &wang()).await,
            Err(ServiceError::Forbidden { .. })
        ));
    }
}

#[tokio::test]
async fn duplicates_are_found_by_keyed_hash() {
    for (app, admin, t) in apps().await {
        let first = create(&app, &admin, &wang()).await.unwrap();
        // the same ID number again is refused, naming the customer who has it
        let Err(ServiceError::Invalid(v)) = create(&app, &admin, &wang()).await else {
            panic!("{}", t.label)
        };
        assert_eq!(
            v[0].rule,
            format!("customer {} already has this id_number", first.id)
        );
        // a shared phone is allowed but reported
        let mut spouse = wang();
        spouse.name = "李娜".into();
        spouse.id_number = Some(ID_LI.into());
        let second = create(&app, &admin, &spouse).await.unwrap();
        assert_eq!(
            second.duplicates,
            vec![Duplicate {
                customer_id: first.id,
                name: "王伟".into(),
                on: "phone".into()
            }]
        );
        // businesses are unique by USCC
        create(&app, &admin, &company()).await.unwrap();
        let Err(ServiceError::Invalid(v)) = create(&app, &admin, &company()).await else {
            panic!()
        };
        assert_eq!(v[0].field, "uscc");
        // search by exact identity finds through the hash
        let found = search(
            &app,
            &admin,
            &SearchInput {
                identity: Some(ID_LI.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            found.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![second.id]
        );
        let found = search(
            &app,
            &admin,
            &SearchInput {
                identity: Some("13800138000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(found.len(), 2);
        // a collector may list customers but not confirm a guessed phone; each look-up is audited
        let collector = role(Role::Collector);
        let by_phone = SearchInput {
            identity: Some("13800138000".into()),
            ..Default::default()
        };
        assert!(matches!(
            search(&app, &collector, &by_phone).await,
            Err(ServiceError::Forbidden { .. })
        ));
        let filter = loanbook_store::audit::AuditFilter {
            actor: Some("system".into()),
            limit: 1,
            ..Default::default()
        };
        let log = loanbook_store::audit::query(app.db(), &filter)
            .await
            .unwrap();
        assert_eq!(log[0].action, "customer.identity_search");
        assert!(log[0].after.as_deref().unwrap().contains("138****8000"));
        let found = search(
            &app,
            &admin,
            &SearchInput {
                name: Some("贸易".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(found[0].uscc.as_deref(), Some(USCC));
        assert_eq!(
            found[0].registered_capital.unwrap().to_string(),
            "5000000.00"
        );
    }
}

#[tokio::test]
async fn blacklisting_needs_a_reason() {
    for (app, admin, t) in apps().await {
        let c = create(&app, &admin, &wang()).await.unwrap();
        assert!(matches!(
            set_status(&app, &admin, c.id, "blacklisted", None).await,
            Err(ServiceError::Invalid(_))
        ));
        let b = set_status(
            &app,
            &admin,
            c.id,
            "blacklisted",
            Some("fraudulent documents"),
        )
        .await
        .unwrap();
        assert_eq!(
            (b.status.as_str(), b.status_reason.as_deref()),
            ("blacklisted", Some("fraudulent documents")),
            "{}",
            t.label
        );
        assert!(matches!(
            set_status(&app, &admin, 999, "closed", None).await,
            Err(ServiceError::NotFound(_))
        ));
    }
}

const HEADER: &str = "kind,name,id_number,uscc,phone,province,city,address,employer,monthly_income,legal_representative,industry";

#[tokio::test]
async fn csv_import_is_all_or_nothing() {
    for (app, admin, t) in apps().await {
        let bad = format!(
            "{HEADER}\n\
             individual,王伟,{ID_WANG},,13800138000,广东省,深圳市,南山区1号,某公司,18500,,\n\
             individual,李娜,110101199003078514,,13900139000,广东省,广州市,天河区2号,,9000,,\n\
             business,某贸易公司,,{USCC},,福建省,福州市,,,,,wholesale\n\
             individual,王伟重复,{ID_WANG},,13700137000,,,,,abc,,\n"
        );
        let Err(ServiceError::Invalid(v)) = import_csv(&app, &admin, bad.as_bytes()).await else {
            panic!("{}", t.label)
        };
        let rows: Vec<_> = v
            .iter()
            .map(|v| (v.row.unwrap(), v.field.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                (3, "id_number"),
                (4, "legal_representative"),
                (5, "monthly_income"),
                (5, "id_number")
            ],
            "{v:?}"
        );
        assert_eq!(v[3].rule, "repeats row 2");
        assert_eq!(
            customers::count(app.db()).await.unwrap(),
            0,
            "nothing half-imported"
        );
        let good = format!(
            "{HEADER}\n\
             individual,王伟,{ID_WANG},,13800138000,广东省,深圳市,南山区1号,某公司,18500,,\n\
             business,某贸易公司,,{USCC},,福建省,福州市,,,,陈志强,wholesale\n"
        );
        assert_eq!(import_csv(&app, &admin, good.as_bytes()).await.unwrap(), 2);
        assert_eq!(customers::count(app.db()).await.unwrap(), 2);
        // importing the same file again collides with what is stored
        let Err(ServiceError::Invalid(v)) = import_csv(&app, &admin, good.as_bytes()).await else {
            panic!()
        };
        assert_eq!(v.len(), 2);
        let Err(ServiceError::Invalid(v)) =
            import_csv(&app, &admin, b"kind,name\nindividual,x\n").await
        else {
            panic!()
        };
        assert_eq!(v.len(), 10, "every missing column is named");
        assert_eq!(v[0].row, Some(1));
    }
}
