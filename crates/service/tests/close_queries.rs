//! The daily close's queries, audited from what it actually sends: a demo bank lives two
//! months, then every SQL statement of 30 more closes is captured (sqlx reports each
//! one to `tracing`) and checked on SQLite and PostgreSQL:
//!
//! - no statement joins a customer-scoped table (in Citus those live on another
//!   distribution key, and the join would move rows between machines);
//! - every join between loan-scoped tables, or with a derived table, equates loan ids
//!   (co-located: each machine joins its own shards), so no statement joins across loans;
//! - no statement lists tables with commas (an implicit join this check cannot see);
//! - no statement writes a customer-scoped table from loan rows, but for the ones named
//!   in [`CROSS_KEY_WRITES`] with the reason they are allowed.
//!
//! The table lists are those of docs/scaling.md; a table the close touches that is in
//! neither list fails the test, so a new table has to be placed on the map.
//!
//! This file holds one test, so the process-wide subscriber sees only its statements.

#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use chrono::NaiveDate;
use loanbook_service::servicing::eod::{self, RunOptions};
use loanbook_service::{Actor, App, admin, demo};
use loanbook_store::crypto::Keys;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, registry};

/// Distributed by `loan_id` (`loans` by `id`), all co-located.
const LOAN_SCOPED: &[&str] = &[
    "loans",
    "loan_balances",
    "installments",
    "installment_history",
    "loan_transactions",
    "loan_states",
    "class_history",
    "class_overrides",
    "collection_cases",
    "collection_actions",
    "promises_to_pay",
    "field_visits",
    "legal_cases",
    "agency_placements",
    "settlements",
    "collateral_disposals",
    "notices",
    "inspections",
    "loan_month_ends",
    "restructures",
    "write_offs",
    "disbursements",
    "payment_orders",
];

/// Distributed by `customer_id`.
const CUSTOMER_SCOPED: &[&str] = &[
    "customers",
    "customer_contacts",
    "documents",
    "credit_reports",
    "collaterals",
    "guarantees",
    "contact_preferences",
    "leads",
    "tickets",
    "ticket_events",
    "warnings",
    "warning_actions",
];

/// Small tables copied to every machine, and the coordinator's own tables.
const REFERENCE_OR_LOCAL: &[&str] = &[
    "loan_products",
    "gl_accounts",
    "funding_sources",
    "authority_rule_sets",
    "credit_policies",
    "score_models",
    "users",
    "business_dates",
    "lpr_rates",
    "collection_strategies",
    "collectors",
    "message_templates",
    "risk_watch_list",
    "watch_list_versions",
    "watch_list_entries",
    "journal_entries",
    "journal_lines",
    "eod_runs",
    "eod_partitions",
    "outbox",
    "tasks",
    "idempotency_keys",
    "audit_log",
    "audit_head",
    "portfolio_snapshots",
];

/// Statements of the close that write a customer-scoped table from loan rows (in Citus an
/// `INSERT … SELECT` between distribution keys goes through the coordinator), each with
/// why it stays.
const CROSS_KEY_WRITES: &[(&str, &str)] = &[(
    "warnings",
    "delinquency warnings belong to the customer (other warnings come from the customer's \
     own facts); a close raises a few per thousand delinquent loans",
)];

/// The statements captured while `Some`.
static CAPTURED: Mutex<Option<Vec<String>>> = Mutex::new(None);

/// Keeps the SQL of every `sqlx::query` event while capturing.
struct Statements;

struct SqlField(String, String);

impl Visit for SqlField {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "db.statement" => self.0 = value.to_owned(),
            "summary" => self.1 = value.to_owned(),
            _ => {}
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut sql = SqlField(String::new(), String::new());
        event.record(&mut sql);
        let text = if sql.0.trim().is_empty() {
            sql.1
        } else {
            sql.0
        };
        if let Some(list) = CAPTURED.lock().unwrap().as_mut() {
            list.push(text.trim().to_owned());
        }
    }
}

/// What is wrong with one statement, if anything.
fn audit(sql: &str) -> Vec<String> {
    let s = normalise(sql);
    let mut problems = Vec::new();
    let words: Vec<&str> = s.split(' ').collect();
    if let ["insert", "into", table, ..] = words.as_slice()
        && CUSTOMER_SCOPED.contains(table)
        && words.iter().any(|w| LOAN_SCOPED.contains(w))
        && !CROSS_KEY_WRITES.iter().any(|(t, _)| t == table)
    {
        problems.push(format!(
            "writes the customer-scoped `{table}` from loan rows"
        ));
    }
    for (i, w) in words.iter().enumerate() {
        let for_update = *w == "update" && i > 0 && words[i - 1] == "for";
        if !for_update
            && matches!(*w, "from" | "join" | "into" | "update")
            && let Some(table) = words.get(i + 1).filter(|t| is_identifier(t))
        {
            if !known(table) {
                problems.push(format!("`{table}` is not on the Citus map"));
            }
            if *w == "from" && lists_tables(&words[i + 1..]) {
                problems.push(format!("tables listed with commas after `{table}`"));
            }
        }
        if *w != "join" {
            continue;
        }
        let target = words.get(i + 1).copied().unwrap_or("");
        let condition = join_condition(&words[i + 1..]);
        if CUSTOMER_SCOPED.contains(&target) {
            problems.push(format!("joins the customer-scoped `{target}`"));
        } else if (target == "(" || LOAN_SCOPED.contains(&target)) && !equates_loans(&condition) {
            problems.push(format!(
                "joins `{target}` on `{condition}`, not on the loan id"
            ));
        }
    }
    problems
}

/// Lower case, one space between words, parentheses and commas as words of their own.
fn normalise(sql: &str) -> String {
    let spaced = sql
        .to_lowercase()
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace(',', " , ")
        .replace('=', " = ");
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_identifier(w: &str) -> bool {
    !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

fn known(table: &str) -> bool {
    LOAN_SCOPED.contains(&table)
        || CUSTOMER_SCOPED.contains(&table)
        || REFERENCE_OR_LOCAL.contains(&table)
        || table == "schema_migrations"
}

/// `FROM a x, b y`: a comma right after a table (and its alias) at the same depth.
fn lists_tables(after_from: &[&str]) -> bool {
    match after_from {
        [_, ",", next, ..] | [_, _, ",", next, ..] => is_identifier(next) && known(next),
        _ => false,
    }
}

/// The words of the `ON` condition of a join starting at the joined table.
fn join_condition(words: &[&str]) -> String {
    let mut depth = 0i32;
    let mut start = None;
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        match *w {
            "(" => depth += 1,
            ")" => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            break;
        }
        if start.is_none() {
            if depth == 0 && *w == "on" {
                start = Some(i);
            }
            continue;
        }
        if depth == 0
            && matches!(
                *w,
                "join"
                    | "left"
                    | "inner"
                    | "where"
                    | "group"
                    | "order"
                    | "limit"
                    | "on"
                    | "returning"
                    | "union"
                    | "set"
            )
        {
            break;
        }
        out.push(*w);
    }
    out.join(" ")
}

/// Whether a join condition equates two loan keys (`x.loan_id`, `loans.id`, a derived
/// table's loan column).
fn equates_loans(condition: &str) -> bool {
    let words: Vec<&str> = condition.split(' ').collect();
    words
        .windows(3)
        .any(|w| w[1] == "=" && loan_key(w[0]) && loan_key(w[2]))
}

fn loan_key(term: &str) -> bool {
    let column = term.rsplit('.').next().unwrap_or(term);
    let qualifier = term.split('.').next().unwrap_or("");
    column == "loan_id"
        || column == "column1"
        || (column == "id" && (qualifier == "l" || qualifier == "loans"))
        || column == "l"
}

#[test]
fn the_audit_itself_sees_what_it_should() {
    assert!(audit("SELECT l.id FROM loans l JOIN customers c ON c.id = l.customer_id").len() == 1);
    assert!(
        audit("SELECT 1 FROM loans a JOIN loans b ON a.customer_id = b.customer_id")[0]
            .contains("not on the loan id")
    );
    assert!(!audit("SELECT 1 FROM loans, loan_balances WHERE 1 = 1").is_empty());
    assert!(audit("SELECT 1 FROM mystery_table").len() == 1);
    assert_eq!(
        audit("INSERT INTO tickets (customer_id) SELECT l.customer_id FROM loans l WHERE l.id = 1"),
        vec!["writes the customer-scoped `tickets` from loan rows".to_owned()]
    );
    assert!(audit(
        "SELECT i.id FROM installments i JOIN (SELECT loan_id AS l FROM installments GROUP BY loan_id) o ON i.loan_id = o.l"
    )
    .is_empty());
    assert!(audit("UPDATE loan_balances SET dpd = v.column2 FROM (VALUES (1, 2)) AS v WHERE loan_id = v.column1").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_statement_of_the_close_joins_across_loans_or_distribution_keys() {
    let _ = tracing::subscriber::set_global_default(registry().with(Statements));
    for t in loanbook_store::testing::databases().await {
        let app = App::new(t.db.clone(), Keys::from_master(&[5u8; 32]), t.dir.path());
        let start = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        admin::initialise(&app, start, "admin", "Password-2026")
            .await
            .unwrap();
        let until = NaiveDate::from_ymd_opt(2026, 8, 1).unwrap();
        demo::seed(&app, 400, Some(until), &|_| {}).await.unwrap();

        *CAPTURED.lock().unwrap() = Some(Vec::new());
        let options = RunOptions {
            until: Some(until + chrono::Days::new(29)),
            partition_size: 25,
            ..RunOptions::default()
        };
        let reports = eod::run(&app, &Actor::system(), &options, &|_, _, _| {})
            .await
            .unwrap();
        let statements = CAPTURED.lock().unwrap().take().unwrap();
        assert_eq!(reports.len(), 30, "{}", t.label);

        // the close did the work the audit is about
        let opened: u64 = reports.iter().map(|r| r.post_loan.cases_opened).sum();
        let notices: u64 = reports.iter().map(|r| r.post_loan.notices).sum();
        assert!(
            opened > 0 && notices > 0,
            "{}: {opened} cases, {notices} notices",
            t.label
        );
        let seen = |needle: &str| statements.iter().any(|s| normalise(s).contains(needle));
        for step in [
            "insert into collection_cases",
            "update loan_balances",
            "insert into notices",
            "insert into journal_lines",
            "insert into class_history",
        ] {
            assert!(
                seen(step),
                "{}: no `{step}` among {} statements",
                t.label,
                statements.len()
            );
        }

        let mut problems: Vec<String> = Vec::new();
        for s in &statements {
            for p in audit(s) {
                let line = format!("{p}: {}", s.chars().take(300).collect::<String>());
                if !problems.contains(&line) {
                    problems.push(line);
                }
            }
        }
        assert!(
            problems.is_empty(),
            "{}: {} of {} statements break the Citus map:\n{}",
            t.label,
            problems.len(),
            statements.len(),
            problems.join("\n")
        );
    }
}
