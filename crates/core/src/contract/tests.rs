use chrono::NaiveDate;

use super::*;
use crate::rate::AnnualRate;
use crate::schedule::{RepaymentMethod, ScheduleTerms};
use crate::test_support::cny;
use crate::tranche::{Tranche, combined_schedule};

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn every_field() -> BTreeMap<String, String> {
    let mut all: BTreeMap<String, String> = FIELDS
        .iter()
        .map(|f| ((*f).to_owned(), format!("[{f}]")))
        .collect();
    all.insert("borrower_name".into(), "<script>alert('x')</script>".into());
    all
}

fn twelve_installments() -> Vec<LoanInstallment> {
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let terms = ScheduleTerms::new(
        cny("100000"),
        AnnualRate::parse("0.0435").unwrap(),
        12,
        RepaymentMethod::Annuity,
        start,
    );
    combined_schedule(
        &terms,
        &[Tranche {
            amount: cny("100000"),
            on: start,
        }],
    )
    .unwrap()
}

#[test]
fn the_default_template_renders_every_field_and_the_schedule() {
    let html = render(DEFAULT_TEMPLATE, &every_field(), &twelve_installments()).unwrap();
    assert!(!html.contains("{{"), "a placeholder was left");
    assert!(!html.contains("}}"));
    for field in FIELDS {
        if *field != "borrower_name" {
            assert!(html.contains(&format!("[{field}]")), "{field} not rendered");
        }
    }
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(!html.contains("<script>"));
    // 12 schedule rows: the first and last installments of 8530.99 (lib.rs example)
    assert_eq!(html.matches("<tr><td>").count(), 12);
    assert!(html.contains("<tr><td>1</td><td>2026-02-28</td>"));
    assert!(html.contains("<td>8530.99</td>"));
    assert!(html.contains("<tr><td>12</td><td>2027-01-31</td>"));
    // printable and self-contained
    assert!(html.contains("@media print"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("罚息") && html.contains("复利") && html.contains("提前到期"));
}

#[test]
fn the_default_template_needs_exactly_the_documented_fields() {
    for missing in FIELDS {
        let mut some = every_field();
        some.remove(*missing);
        let err = render(DEFAULT_TEMPLATE, &some, &[]).unwrap_err();
        assert!(
            matches!(&err, TemplateError::UnknownField { name, .. } if name == missing),
            "{err}"
        );
    }
    assert!(DEFAULT_TEMPLATE.len() <= MAX_TEMPLATE_BYTES);
}

#[test]
fn placeholders_are_replaced_and_escaped() {
    let f = fields(&[("name", "A & B \"Ltd\""), ("n", "1")]);
    assert_eq!(
        render("Dear {{name}}, {{ n }}!", &f, &[]).unwrap(),
        "Dear A &amp; B &quot;Ltd&quot;, 1!"
    );
    assert_eq!(render("", &f, &[]).unwrap(), "");
    assert_eq!(render("no tags", &f, &[]).unwrap(), "no tags");
    // a single brace is text (CSS)
    assert_eq!(render("a { b: c }", &f, &[]).unwrap(), "a { b: c }");
}

#[test]
fn the_schedule_repeats_per_installment() {
    let rows = twelve_installments();
    let f = fields(&[("currency", "CNY")]);
    let out = render(
        "{{#schedule}}{{number}}:{{principal}}+{{interest}}={{total}} {{currency}};{{/schedule}}",
        &f,
        &rows[..2],
    )
    .unwrap();
    // 100000 × 0.0435 / 12 = 362.50 interest; 8530.99 − 362.50 = 8168.49 principal
    assert_eq!(
        out,
        format!(
            "1:8168.49+362.50=8530.99 CNY;2:{}+{}=8530.99 CNY;",
            rows[1].principal, rows[1].interest
        )
    );
    assert_eq!(
        render("[{{#schedule}}x{{/schedule}}]", &f, &[]).unwrap(),
        "[]"
    );
}

#[test]
fn bad_templates_name_the_tag_and_the_line() {
    let f = fields(&[("name", "x")]);
    let err = |t: &str| render(t, &f, &[]).unwrap_err();
    assert_eq!(
        err("ok\n{{nmae}}"),
        TemplateError::UnknownField {
            name: "nmae".into(),
            line: 2
        }
    );
    assert_eq!(
        err("a\nb\n{{nmae}}").to_string(),
        "line 3: unknown placeholder '{{nmae}}'"
    );
    // an installment's placeholder outside the schedule is unknown
    assert!(matches!(
        err("{{number}}"),
        TemplateError::UnknownField { .. }
    ));
    assert_eq!(err("{{name"), TemplateError::Unclosed { line: 1 });
    assert!(matches!(err("{{Name}}"), TemplateError::BadTag { .. }));
    assert!(matches!(err("{{}}"), TemplateError::BadTag { .. }));
    assert_eq!(
        err("{{#rows}}{{/rows}}"),
        TemplateError::UnknownSection {
            name: "rows".into(),
            line: 1
        }
    );
    assert_eq!(
        err("{{#schedule}}\n{{#schedule}}{{/schedule}}{{/schedule}}"),
        TemplateError::Nested {
            name: "schedule".into(),
            line: 2
        }
    );
    assert!(matches!(
        err("{{/schedule}}"),
        TemplateError::UnmatchedClose { .. }
    ));
    assert_eq!(
        err("\n{{#schedule}} never closed"),
        TemplateError::UnclosedSection { line: 2 }
    );
    // the error comes before any output, even when the bad tag is last
    assert!(matches!(
        err("{{name}} … {{unknown}}"),
        TemplateError::UnknownField { .. }
    ));
    let huge = "x".repeat(MAX_TEMPLATE_BYTES + 1);
    assert_eq!(
        err(&huge),
        TemplateError::TooLarge {
            size_bytes: MAX_TEMPLATE_BYTES + 1
        }
    );
    let many = vec![twelve_installments()[0]; 481];
    assert_eq!(
        render("x", &f, &many),
        Err(TemplateError::TooManyInstallments { count: 481 })
    );
}
