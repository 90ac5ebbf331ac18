//! Origination batch work from the command line on a fresh SQLite database: policy and
//! authority-rule imports, an all-or-nothing application import with submission, and
//! the application view.

#![allow(clippy::unwrap_used)]

mod common;
use common::{loanbook, ok};

fn repo(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn policies_rules_and_an_application_import() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "init",
            "--admin-password",
            "Admin-2026-pass",
            "--business-date",
            "2026-11-23",
        ],
    );
    let product = r#"{"code": "CONSUMER", "name": "个人消费贷", "currency": "CNY", "amount_min": "1000",
        "amount_max": "500000", "term_min_months": 3, "term_max_months": 36, "rate_min": "0.06",
        "rate_max": "0.24", "methods": ["annuity"], "grace_days": 3, "penalty_multiplier": "1.5",
        "compound_interest": true, "rounding": "half_up"}"#;
    std::fs::write(d.join("product.json"), product).unwrap();
    ok(d, &["product", "add", "--file", "product.json"]);
    let policy = ok(
        d,
        &[
            "policy",
            "import",
            "--file",
            &repo("data/policies/consumer.json"),
        ],
    );
    assert!(
        policy.starts_with("imported policy consumer version 1 ("),
        "{policy}"
    );
    assert!(
        ok(
            d,
            &[
                "authority-rules",
                "import",
                "--file",
                &repo("data/policies/authority-rules.json")
            ]
        )
        .contains("version 1")
    );
    // a broken policy names the table, the rule and the field; nothing is stored
    std::fs::write(
        d.join("bad-policy.json"),
        r#"{"name": "consumer", "tables": [{"name": "t", "hit_policy": "first", "rules": [{"when": {"score": ">> 1"}, "then": {}}]}]}"#,
    )
    .unwrap();
    let out = loanbook(d, &["policy", "import", "--file", "bad-policy.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("score") && stderr.contains("rule 0"),
        "{stderr}"
    );
    assert_eq!(ok(d, &["policy", "list"]).lines().count(), 1);

    std::fs::write(
        d.join("customers.csv"),
        "kind,name,id_number,uscc,phone,province,city,address,employer,monthly_income,legal_representative,industry\n\
         individual,王伟,110101199003078515,,13800138000,广东省,深圳市,南山区1号,某公司,18500,,\n\
         individual,李娜,11010519491231002X,,13900139000,广东省,广州市,天河区2号,某医院,26000,,\n",
    )
    .unwrap();
    ok(d, &["customer", "import", "--csv", "customers.csv"]);
    let header = "id_number,product_code,amount,term_months,method,purpose,channel,bank_card";
    std::fs::write(
        d.join("bad.csv"),
        format!(
            "{header}\n110101199003078515,CONSUMER,20000,12,annuity,装修,branch,6222020200112233446\n\
             110101199003078516,CONSUMER,abc,12,annuity,装修,branch,\n\
             11010519491231002X,NOPE,20000,12,annuity,装修,fax,\n"
        ),
    )
    .unwrap();
    let out = loanbook(d, &["application", "import", "--csv", "bad.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("row 3: id_number"), "{stderr}");
    assert!(
        stderr.contains("row 4: channel") && stderr.contains("row 4: product_code"),
        "{stderr}"
    );
    std::fs::write(
        d.join("good.csv"),
        format!(
            "{header}\n110101199003078515,CONSUMER,20000,12,annuity,装修,branch,6222020200112233446\n\
             11010519491231002X,CONSUMER,50000,24,annuity,car_used,app,\n"
        ),
    )
    .unwrap();
    let json = ok(
        d,
        &[
            "application",
            "import",
            "--csv",
            "good.csv",
            "--submit",
            "--json",
        ],
    );
    let results: serde_json::Value = serde_json::from_str(&json).unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 2);
    // no documents are required and a policy is active: each is decided or waits for the
    // investigation; none is left a draft
    for r in results {
        let status = r["status"].as_str().unwrap();
        assert!(
            ["approved", "declined", "pre_screened"].contains(&status),
            "{r}"
        );
    }
    let first = results[0]["id"].as_i64().unwrap().to_string();
    let shown = ok(d, &["application", "show", &first]);
    assert!(shown.contains("assessment 1 (preliminary)"), "{shown}");
    assert!(ok(d, &["ledger", "check"]).starts_with("ledger ok"));
}

#[test]
fn the_origination_bench_runs_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let json = ok(
        dir.path(),
        &[
            "bench",
            "origination",
            "--applications",
            "30",
            "--concurrency",
            "3",
            "--watch-list",
            "50",
            "--json",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["applications"], 30);
    // every bench applicant is strong: all approved straight through
    assert_eq!(report["approved"], 30, "{report}");
    assert!(report["per_second"].as_f64().unwrap() > 0.0);
    assert!(report["p99_ms"].as_f64().unwrap() >= report["p50_ms"].as_f64().unwrap());
}
