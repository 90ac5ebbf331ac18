//! Tickets and inspections from the command line on a fresh SQLite database: a ticket
//! opened, listed, assigned, resolved and rated; refused input exits 2 naming the flag;
//! an unknown inspection exits 1.

#![allow(clippy::unwrap_used)]

mod common;
use common::{loanbook, ok};

#[test]
fn a_ticket_is_worked_from_the_command_line() {
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
        d.join("customers.csv"),
        "kind,name,id_number,uscc,phone,province,city,address,employer,monthly_income,legal_representative,industry\n\
         individual,王伟,110101199003078515,,13800138000,广东省,深圳市,南山区1号,某公司,18500,,\n",
    )
    .unwrap();
    ok(d, &["customer", "import", "--csv", "customers.csv"]);
    ok(
        d,
        &[
            "user",
            "add",
            "--username",
            "wang.cs",
            "--role",
            "customer_service",
            "--password",
            "Password-2026",
        ],
    );
    let open = |kind: &str, loan: Option<&str>| {
        let mut args = vec![
            "ticket",
            "open",
            "--customer",
            "1",
            "--kind",
            kind,
            "--channel",
            "counter",
            "--subject",
            "咨询提前还款",
            "--description",
            "客户询问提前还款是否收费",
        ];
        if let Some(l) = loan {
            args.extend(["--loan", l]);
        }
        loanbook(d, &args)
    };
    let bad = open("praise", Some("7"));
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("--kind: must be inquiry, complaint or request (got 'praise')")
            && stderr.contains("--loan: there is no loan 7"),
        "{stderr}"
    );
    let opened = open("inquiry", None);
    assert!(opened.status.success());
    let line = String::from_utf8(opened.stdout).unwrap();
    assert!(
        line.starts_with("ticket 1 inquiry (normal, counter) customer 1: open; due "),
        "{line}"
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(d, &["ticket", "list", "--status", "pending", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // the SLA of an inquiry of normal priority: 24 hours
    let opened_at =
        chrono::DateTime::parse_from_rfc3339(listed[0]["created_at"].as_str().unwrap()).unwrap();
    let due =
        chrono::DateTime::parse_from_rfc3339(listed[0]["sla_due_at"].as_str().unwrap()).unwrap();
    assert_eq!((due - opened_at).num_hours(), 24);

    let refused = loanbook(d, &["ticket", "assign", "1", "--to", "nobody"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--to: there is no user 'nobody'"));
    assert!(
        ok(d, &["ticket", "assign", "1", "--to", "wang.cs"])
            .contains("in_progress, assigned to wang.cs")
    );
    ok(
        d,
        &[
            "ticket",
            "resolve",
            "1",
            "--resolution",
            "提前还款不收违约金",
        ],
    );
    let six = loanbook(d, &["ticket", "rate", "1", "--rating", "6"]);
    assert_eq!(six.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&six.stderr)
            .contains("--rating: must be a whole number from 1 to 5 (got 6)")
    );
    assert!(
        ok(d, &["ticket", "rate", "1", "--rating", "4"])
            .contains("closed, assigned to wang.cs, rated 4/5")
    );
    let shown = ok(d, &["ticket", "show", "1"]);
    let kinds: Vec<&str> = shown
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["opened", "assigned", "resolved", "rated"],
        "{shown}"
    );
    assert_eq!(
        ok(d, &["ticket", "sweep"]),
        "0 tickets flagged as past their SLA\n"
    );

    assert_eq!(ok(d, &["inspection", "list", "--due"]), "");
    let bad = loanbook(
        d,
        &[
            "inspection",
            "complete",
            "7",
            "--use-of-funds",
            "fine",
            "--business-status",
            "satisfactory",
            "--collateral",
            "not_applicable",
            "--findings",
            "ok",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--use-of-funds: must be satisfactory"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let missing = loanbook(
        d,
        &[
            "inspection",
            "complete",
            "7",
            "--use-of-funds",
            "satisfactory",
            "--business-status",
            "satisfactory",
            "--collateral",
            "not_applicable",
            "--findings",
            "ok",
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("inspection 7 not found"));
    let verified = ok(d, &["audit", "verify"]);
    assert!(verified.starts_with("audit log intact"), "{verified}");
}
