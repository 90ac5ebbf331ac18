use super::*;
use crate::Role;
use crate::test_support::apps;

fn demo() -> String {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/german-demo.json");
    std::fs::read_to_string(path).unwrap()
}

fn demo_mapping() -> Mapping {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/german-demo.mapping.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn deploy_promote_and_retire() {
    for (app, admin, t) in apps().await {
        let v1 = deploy(&app, &admin, &demo(), &demo_mapping(), "champion", None)
            .await
            .unwrap();
        assert_eq!(
            (v1.version, v1.status.as_str()),
            (1, "champion"),
            "{}",
            t.label
        );
        assert!(v1.bindings.iter().any(|b| b.variable == "credit_amount"
            && b.source == "application"
            && b.field == "amount"));
        let v2 = deploy(
            &app,
            &admin,
            &demo(),
            &demo_mapping(),
            "challenger",
            Some("0.2"),
        )
        .await
        .unwrap();
        assert_eq!((v2.version, v2.challenger_share.as_str()), (2, "0.2"));
        // promoting the challenger retires the champion
        let promoted = set_status(&app, &admin, v2.id, "champion", None)
            .await
            .unwrap();
        assert_eq!(promoted.status, "champion");
        let all = list(&app, &admin).await.unwrap();
        assert_eq!(
            all.iter().map(|m| m.status.as_str()).collect::<Vec<_>>(),
            ["retired", "champion"]
        );
        assert!(matches!(
            set_status(&app, &admin, v1.id, "draft", Some("0.5")).await,
            Err(ServiceError::Invalid(_))
        ));
        assert!(matches!(
            set_status(&app, &admin, 99, "retired", None).await,
            Err(ServiceError::NotFound(_))
        ));
        let officer = Actor {
            user_id: 5,
            username: "o".into(),
            role: Role::LoanOfficer,
            request_id: None,
        };
        assert!(matches!(
            list(&app, &officer).await,
            Err(ServiceError::Forbidden { .. })
        ));
    }
}

#[tokio::test]
async fn a_missing_or_wrong_binding_is_refused_at_deployment() {
    for (app, admin, t) in apps().await {
        let mut mapping = demo_mapping();
        mapping.0.remove("age");
        mapping
            .0
            .insert("credit_amount".into(), "customer.province".into());
        mapping
            .0
            .insert("purpose".into(), "application.colour".into());
        let Err(ServiceError::Invalid(v)) =
            deploy(&app, &admin, &demo(), &mapping, "draft", None).await
        else {
            panic!("{}", t.label)
        };
        let rules: Vec<&str> = v.iter().map(|v| v.rule.as_str()).collect();
        assert!(
            rules.iter().any(|r| r.starts_with("age: no binding")),
            "{rules:?}"
        );
        assert!(
            rules.iter().any(|r| r.starts_with(
                "credit_amount: the model bins it as Numeric but customer.province is Text"
            )),
            "{rules:?}"
        );
        assert!(
            rules
                .iter()
                .any(|r| r.starts_with("purpose: application has no field 'colour'")),
            "{rules:?}"
        );
        assert!(list(&app, &admin).await.unwrap().is_empty());
        assert!(matches!(
            deploy(&app, &admin, "{}", &demo_mapping(), "draft", None).await,
            Err(ServiceError::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn monthly_psi_against_training() {
    for (app, admin, t) in apps().await {
        let m = deploy(&app, &admin, &demo(), &demo_mapping(), "champion", None)
            .await
            .unwrap();
        let (_, model) = get(&app, &admin, m.id).await.unwrap();
        let cuts = model.metrics.score_deciles.clone();
        let mut tx = app.db().begin().await.unwrap();
        // November: scores spread like training (one per decile bin, repeated)
        for i in 0..100 {
            let k = i % 10;
            let score = if k == 0 {
                cuts[0] - 5.0
            } else {
                cuts[k - 1] + 0.1
            };
            loanbook_store::score_models::insert_score(
                &mut tx,
                m.id,
                "2026-11-20",
                &format!("A{i}"),
                score.ceil() as i64,
                true,
            )
            .await
            .unwrap();
        }
        // December: everyone in the lowest decile
        for i in 0..50 {
            loanbook_store::score_models::insert_score(
                &mut tx,
                m.id,
                "2026-12-02",
                &format!("B{i}"),
                (cuts[0] - 20.0) as i64,
                true,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let drift = monitor(&app, &admin, m.id).await.unwrap();
        assert_eq!(
            drift.iter().map(|d| d.month.as_str()).collect::<Vec<_>>(),
            ["2026-11", "2026-12"],
            "{}",
            t.label
        );
        assert!(drift[0].psi < 0.1, "{drift:?}");
        assert!(drift[1].psi > 0.25, "{drift:?}");
    }
}
