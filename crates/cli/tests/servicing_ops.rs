//! The book migration, statements, refunds and reversals from the command line on a fresh
//! SQLite database: bad files exit 2 naming every row, field and rule, and write nothing.

#![allow(clippy::unwrap_used)]

mod common;
use common::{loanbook, ok};

#[test]
fn bad_migration_and_statement_files_name_every_row() {
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
    let product = r#"{"code": "SVC", "name": "servicing", "currency": "CNY", "amount_min": "1000",
        "amount_max": "500000", "term_min_months": 3, "term_max_months": 36, "rate_min": "0.06",
        "rate_max": "0.24", "methods": ["annuity"], "grace_days": 0, "penalty_multiplier": "1.5",
        "compound_interest": true, "rounding": "half_up"}"#;
    std::fs::write(d.join("product.json"), product).unwrap();
    ok(d, &["product", "add", "--file", "product.json"]);
    std::fs::write(
        d.join("loans.csv"),
        "external_id,customer_name,id_number,phone,province,product_code,principal,annual_rate,term,method,disbursed_on\n\
         OLD-1,王伟,110101199003078515,13800138000,广东省,SVC,12000,0.12,12,annuity,2026-08-23\n\
         OLD-2,李娜,11010519491231002X,13900139000,广东省,NOPE,12000,0.12,12,annuity,2026-13-01\n",
    )
    .unwrap();
    let out = loanbook(
        d,
        &[
            "loan",
            "import",
            "--csv",
            "loans.csv",
            "--funding-source",
            "OWN",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "row 2: funding_source: no funding source 'OWN'",
        "row 3: product_code: no product 'NOPE'",
        "row 3: disbursed_on: '2026-13-01' is not a date",
    ] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
    std::fs::write(
        d.join("statement.csv"),
        "loan,amount,paid_on,reference\nOLD-1,100.00,2026-11-23,S-1\n",
    )
    .unwrap();
    let out = loanbook(d, &["payment", "statement", "--csv", "statement.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("row 2: loan: no loan with id or external id 'OLD-1'"),
        "{stderr}"
    );
    let out = loanbook(
        d,
        &[
            "loan",
            "reverse",
            "--loan",
            "7",
            "--transaction",
            "1",
            "--reason",
            "bounced",
        ],
    );
    assert_ne!(out.status.code(), Some(0));
    let out = loanbook(d, &["loan", "refund", "--loan", "7"]);
    assert_ne!(out.status.code(), Some(0));
}
