//! The system-of-record commands end to end on a fresh SQLite database.

#![allow(clippy::unwrap_used)]

mod common;
use common::{loanbook, ok};

const HEADER: &str = "kind,name,id_number,uscc,phone,province,city,address,employer,monthly_income,legal_representative,industry";

#[test]
fn init_import_verify_and_tamper() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let init = ok(
        d,
        &[
            "init",
            "--admin-password",
            "Admin-2026-pass",
            "--business-date",
            "2026-11-23",
        ],
    );
    assert!(init.contains("business date 2026-11-23"), "{init}");
    // a second init is refused
    assert_eq!(
        loanbook(d, &["init", "--admin-password", "Admin-2026-pass"])
            .status
            .code(),
        Some(1)
    );

    // a file with bad rows: exit 2, every bad row named, nothing imported
    let bad = format!(
        "{HEADER}\nindividual,王伟,110101199003078515,,13800138000,广东省,深圳市,南山区1号,某公司,18500,,\n\
         individual,李娜,110101199003078514,,13900139000,广东省,广州市,,,9000,,\n\
         business,某公司,,91350100M000100Y43,,福建省,福州市,,,,,\n"
    );
    std::fs::write(d.join("bad.csv"), bad).unwrap();
    let out = loanbook(d, &["customer", "import", "--csv", "bad.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "error: 2 bad rows; nothing was imported",
            "  row 3: id_number: check character is 4 but the number requires 5",
            "  row 4: legal_representative: is required for a business",
        ]
    );
    assert!(ok(d, &["customer", "list"]).ends_with("0 customers\n"));

    let good = format!(
        "{HEADER}\nindividual,王伟,110101199003078515,,13800138000,广东省,深圳市,南山区1号,某公司,18500,,\n\
         business,某公司,,91350100M000100Y43,,福建省,福州市,,,,陈志强,wholesale\n"
    );
    std::fs::write(d.join("good.csv"), good).unwrap();
    assert_eq!(
        ok(d, &["customer", "import", "--csv", "good.csv"]),
        "imported 2 customers from good.csv\n"
    );
    let shown: serde_json::Value =
        serde_json::from_str(&ok(d, &["customer", "show", "1", "--json"])).unwrap();
    assert_eq!(shown["id_number"], "1101**********8515");
    assert_eq!(shown["monthly_income"], "18500.00");

    assert!(ok(d, &["ledger", "check"]).starts_with("ledger ok"));
    let verified = ok(d, &["audit", "verify"]);
    assert!(verified.starts_with("audit log intact"), "{verified}");
}

#[test]
fn a_bad_product_file_names_every_field() {
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
    std::fs::write(
        d.join("p.json"),
        r#"{"code":"X","name":"n","currency":"CNY","amount_min":"1.234"}"#,
    )
    .unwrap();
    let out = loanbook(d, &["product", "add", "--file", "p.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("amount_min: '1.234' has more than 2 decimals"),
        "{stderr}"
    );
    assert!(stderr.contains("methods: is required"), "{stderr}");
    assert!(!ok(d, &["product", "list"]).contains('X'));
}

#[test]
fn commands_refuse_an_uninitialised_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = loanbook(dir.path(), &["customer", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("loanbook init"), "{stderr}");
}

/// A database with four audit records, and a way to run SQL on it behind loanbook's back.
fn audited() -> (tempfile::TempDir, impl Fn(&str)) {
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
    ok(
        d,
        &[
            "user",
            "add",
            "--username",
            "wang",
            "--role",
            "loan_officer",
            "--password",
            "Officer-2026-x",
        ],
    );
    ok(
        d,
        &[
            "user",
            "add",
            "--username",
            "li.na",
            "--role",
            "collector",
            "--password",
            "Collector-2026-x",
        ],
    );
    assert!(ok(d, &["audit", "verify"]).starts_with("audit log intact: 4 records"));
    let url = format!("sqlite://{}", d.join("loanbook-data/loanbook.db").display());
    let tamper = move |sql: &str| {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let db = loanbook_store::Db::connect(&url).await.unwrap();
            let mut tx = db.begin().await.unwrap();
            loanbook_store::testing::execute(&mut tx, sql).await;
            tx.commit().await.unwrap();
            db.close().await;
        });
    };
    (dir, tamper)
}

#[test]
fn audit_verify_names_an_edited_record() {
    let (dir, tamper) = audited();
    tamper("UPDATE audit_log SET actor = 'mallory' WHERE id = 3");
    let out = loanbook(dir.path(), &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: audit record 3 was edited: its hash does not match its contents"
    );
}

#[test]
fn audit_verify_names_a_deleted_record() {
    let (dir, tamper) = audited();
    tamper("DELETE FROM audit_log WHERE id = 2");
    let out = loanbook(dir.path(), &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: audit record 2 is missing or the chain was re-linked (next present record is 3)"
    );
}
