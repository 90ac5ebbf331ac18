use super::*;

/// The example of docs/policy.md.
const EXAMPLE: &str = r#"{"name": "consumer", "tables": [
  {"name": "hard_declines", "hit_policy": "collect",
   "rules": [
     {"when": {"score": "< 520"}, "then": {"decline_code": "P01_SCORE", "decline_reason": "score below 520"}},
     {"when": {"dti": "> 0.55"}, "then": {"decline_code": "P02_DTI", "decline_reason": "debt-to-income above 55%"}},
     {"when": {"age": "[18..22)"}, "then": {"refer_code": "R01_YOUNG", "refer_reason": "young applicant: manual review"}}]},
  {"name": "grade", "hit_policy": "first",
   "rules": [{"when": {"score": ">= 700"}, "then": {"risk_grade": "A"}},
             {"when": {"score": "[640..700)"}, "then": {"risk_grade": "B"}},
             {"when": {}, "then": {"risk_grade": "E"}}]},
  {"name": "pricing", "hit_policy": "first",
   "rules": [{"when": {"risk_grade": "\"A\""}, "then": {"rate": "0.0725"}},
             {"when": {"risk_grade": "\"B\",\"C\""}, "then": {"rate": 0.12}}]},
  {"name": "limit", "hit_policy": "first",
   "rules": [{"when": {"risk_grade": "\"A\",\"B\"", "monthly_income": "-"}, "then": {"income_multiple": 15, "max_limit": "300000"}}]}
]}"#;

fn facts(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn example() -> Policy {
    Policy::from_json(EXAMPLE).unwrap()
}

fn matched(eval: &Evaluation, table: &str) -> Vec<usize> {
    eval.trace
        .iter()
        .find(|t| t.table == table)
        .map(|t| t.matched.clone())
        .unwrap()
}

#[test]
fn later_tables_read_earlier_outputs() {
    let eval = example()
        .evaluate(&facts(&[("score", 650.into()), ("dti", d("0.3").into())]))
        .unwrap();
    assert_eq!(eval.context["risk_grade"], Value::from("B"));
    // 0.12 is read from its text: exactly twelve hundredths
    assert_eq!(eval.context["rate"], Value::Number(Decimal::new(12, 2)));
    assert_eq!(eval.context["income_multiple"], Value::from(15));
    assert_eq!(eval.context["max_limit"], Value::from(300_000));
    assert_eq!(matched(&eval, "grade"), [1]);
    assert_eq!(matched(&eval, "pricing"), [1]);
    assert_eq!(matched(&eval, "limit"), [0]);
    assert_eq!(eval.fingerprint, example().fingerprint());
}

#[test]
fn first_takes_only_the_first_match_and_no_match_changes_nothing() {
    let eval = example()
        .evaluate(&facts(&[("score", 720.into())]))
        .unwrap();
    // rules 0 and 2 both match score 720; first takes rule 0
    assert_eq!(matched(&eval, "grade"), [0]);
    assert_eq!(eval.context["risk_grade"], Value::from("A"));
    assert_eq!(eval.context["rate"], Value::Number(d("0.0725")));

    // grade E has no price and no limit: those tables leave the context as it was
    let eval = example()
        .evaluate(&facts(&[("score", 600.into())]))
        .unwrap();
    assert_eq!(eval.context["risk_grade"], Value::from("E"));
    assert!(matched(&eval, "pricing").is_empty());
    assert!(!eval.context.contains_key("rate"));
    assert!(!eval.context.contains_key("max_limit"));
}

#[test]
fn collect_applies_every_match_and_keeps_each_output() {
    let eval = example()
        .evaluate(&facts(&[
            ("score", 500.into()),
            ("dti", d("0.6").into()),
            ("age", 19.into()),
        ]))
        .unwrap();
    assert_eq!(matched(&eval, "hard_declines"), [0, 1, 2]);
    let declines: Vec<&Value> = eval
        .emitted
        .iter()
        .filter_map(|e| e.outputs.get("decline_code"))
        .collect();
    assert_eq!(
        declines,
        [&Value::from("P01_SCORE"), &Value::from("P02_DTI")]
    );
    // in the context the later rule's output wins
    assert_eq!(eval.context["decline_code"], Value::from("P02_DTI"));
    assert_eq!(eval.context["refer_code"], Value::from("R01_YOUNG"));
    assert_eq!(
        (eval.emitted[0].table.as_str(), eval.emitted[0].rule),
        ("hard_declines", 0)
    );
}

#[test]
fn missing_facts_match_only_any_and_null() {
    // no score at all: no decline on score, the catch-all grade E
    let eval = example().evaluate(&BTreeMap::new()).unwrap();
    assert!(matched(&eval, "hard_declines").is_empty());
    assert_eq!(matched(&eval, "grade"), [2]);
}

const UNIQUE: &str = r#"{"name": "u", "tables": [{"name": "band_price", "hit_policy": "unique", "rules": [
  {"when": {"band": "\"A\""}, "then": {"rate": "0.07"}},
  {"when": {"band": "\"A\",\"B\""}, "then": {"rate": "0.09"}},
  {"when": {"band": "\"C\""}, "then": {"rate": "0.12"}}]}]}"#;

#[test]
fn unique_allows_one_match_and_reports_several() {
    let policy = Policy::from_json(UNIQUE).unwrap();
    let eval = policy.evaluate(&facts(&[("band", "C".into())])).unwrap();
    assert_eq!(eval.context["rate"], Value::Number(d("0.12")));
    assert_eq!(matched(&eval, "band_price"), [2]);
    let eval = policy.evaluate(&facts(&[("band", "D".into())])).unwrap();
    assert!(matched(&eval, "band_price").is_empty());
    assert!(!eval.context.contains_key("rate"));

    let e = policy
        .evaluate(&facts(&[("band", "A".into())]))
        .unwrap_err();
    assert_eq!(
        e,
        PolicyError::NotUnique {
            table: "band_price".into(),
            rules: vec![0, 1]
        }
    );
    assert_eq!(
        e.to_string(),
        "table 'band_price' has hit policy unique but rules 0, 1 all match"
    );
}

#[test]
fn outputs_read_numbers_from_text() {
    let policy = Policy::from_json(
        r#"{"name": "o", "tables": [{"name": "t", "hit_policy": "first", "rules": [
        {"when": {}, "then": {"a": 0.1, "b": "0.30", "c": 12345678901234567890, "d": 1e-3,
                              "e": "A", "f": true, "g": null, "h": "", "i": " 7 "}}]}]}"#,
    )
    .unwrap();
    let out = &policy.tables()[0].rules[0].then;
    assert_eq!(out["a"], Value::Number(Decimal::new(1, 1)));
    assert_eq!(out["b"], Value::Number(d("0.30")));
    assert_eq!(out["c"], Value::Number(d("12345678901234567890")));
    assert_eq!(out["d"], Value::Number(d("0.001")));
    assert_eq!(out["e"], Value::from("A"));
    assert_eq!(out["f"], Value::Bool(true));
    assert_eq!(out["g"], Value::Missing);
    assert_eq!(out["h"], Value::from(""));
    assert_eq!(out["i"], Value::from(7));
}

fn load_error(text: &str) -> String {
    Policy::from_json(text).unwrap_err().to_string()
}

fn one_table(hit_policy: &str, rules: &str) -> String {
    format!(
        r#"{{"name": "p", "tables": [{{"name": "grade", "hit_policy": "{hit_policy}", "rules": [{rules}]}}]}}"#
    )
}

#[test]
fn a_bad_condition_is_a_load_error_naming_table_rule_field_and_text() {
    let text = one_table(
        "first",
        r#"{"when": {"score": ">= 700"}, "then": {}}, {"when": {"score": ">= 7OO"}, "then": {}}"#,
    );
    let e = Policy::from_json(&text).unwrap_err();
    assert!(
        matches!(&e, PolicyError::Condition { table, rule: 1, field, text, .. }
            if table == "grade" && field == "score" && text == ">= 7OO"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "table 'grade', rule 1, field 'score': condition '>= 7OO' does not read: \
         unexpected 'O': expected ',' or the end of the condition (at character 5)"
    );
}

#[test]
fn other_load_errors_name_what_is_wrong() {
    let cases = [
        (
            one_table("any", ""),
            "table 'grade': hit policy 'any' is not one of first, collect, unique",
        ),
        (
            one_table("first", r#"{"when": {"x": "1"}, "then": {"y": [1]}}"#),
            "table 'grade', rule 0, field 'y': an output must be",
        ),
        (
            one_table("first", r#"{"when": {"x": "1", "x": "2"}, "then": {}}"#),
            "table 'grade', rule 0, field 'x': has two conditions",
        ),
        (
            one_table("first", r#"{"when": {}, "then": {"y": 1, "y": 2}}"#),
            "table 'grade', rule 0, field 'y': is output twice",
        ),
        (
            one_table("first", r#"{"when": {"x": ["1"]}, "then": {}}"#),
            "table 'grade', rule 0, field 'x': a condition must be a string",
        ),
        (
            one_table("first", r#"{"when": {}, "then": {}, "than": {}}"#),
            "unknown field `than`",
        ),
        (
            r#"{"name": "p", "tables": []}"#.to_owned(),
            "the policy has 0 tables; it needs 1 to 64",
        ),
        (
            r#"{"name": " ", "tables": []}"#.to_owned(),
            "the policy has an empty name",
        ),
        ("[1, 2]".to_owned(), "not a credit policy"),
        (
            r#"{"name": "p", "tables": [{"name": "t", "hit_policy": "first", "rules": []},
                                       {"name": "t", "hit_policy": "first", "rules": []}]}"#
                .to_owned(),
            "two tables are named 't'",
        ),
    ];
    for (text, expected) in cases {
        let e = load_error(&text);
        assert!(e.contains(expected), "{e}\n  expected: {expected}");
    }
}

#[test]
fn limits_are_load_errors() {
    let table = |i: usize| format!(r#"{{"name": "t{i}", "hit_policy": "first", "rules": []}}"#);
    let tables: Vec<String> = (0..=MAX_TABLES).map(table).collect();
    let text = format!(r#"{{"name": "p", "tables": [{}]}}"#, tables.join(","));
    assert_eq!(
        load_error(&text),
        "the policy has 65 tables; it needs 1 to 64"
    );

    let rules = vec![r#"{"when": {}, "then": {}}"#; MAX_RULES + 1].join(",");
    assert_eq!(
        load_error(&one_table("collect", &rules)),
        "table 'grade' has 1001 rules, the limit is 1000"
    );

    let when: Vec<String> = (0..=MAX_CONDITIONS)
        .map(|i| format!(r#""f{i}": "-""#))
        .collect();
    let rule = format!(r#"{{"when": {{{}}}, "then": {{}}}}"#, when.join(","));
    assert_eq!(
        load_error(&one_table("first", &rule)),
        "table 'grade', rule 0 has 65 conditions, the limit is 64"
    );

    // exactly at the limits loads
    let rules = vec![r#"{"when": {}, "then": {}}"#; MAX_RULES].join(",");
    assert!(Policy::from_json(&one_table("collect", &rules)).is_ok());
}

#[test]
fn a_bare_json_number_or_flag_is_read_as_a_condition() {
    let policy = Policy::from_json(&one_table(
        "first",
        r#"{"when": {"term_months": 12, "secured": true, "note": null}, "then": {"ok": true}}"#,
    ))
    .unwrap();
    let eval = policy
        .evaluate(&facts(&[
            ("term_months", 12.into()),
            ("secured", true.into()),
        ]))
        .unwrap();
    assert_eq!(eval.context["ok"], Value::Bool(true));
}

#[test]
fn fingerprint_ignores_layout_and_follows_rules() {
    let policy = example();
    assert_eq!(policy.fingerprint().len(), 64);
    // the same policy, reformatted and with keys reordered
    let reformatted: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
    let pretty = serde_json::to_string_pretty(&reformatted).unwrap();
    assert_eq!(
        Policy::from_json(&pretty).unwrap().fingerprint(),
        policy.fingerprint()
    );
    let spaced = EXAMPLE
        .replace("\"< 520\"", "\"<520\"")
        .replace("0.12", "0.120");
    assert_eq!(
        Policy::from_json(&spaced).unwrap().fingerprint(),
        policy.fingerprint()
    );
    // the canonical form loads back to itself
    let canonical = policy.canonical_json().unwrap();
    let again = Policy::from_json(&canonical).unwrap();
    assert_eq!(again, policy);
    assert_eq!(again.canonical_json().unwrap(), canonical);
    // a changed threshold is a new version
    let changed = EXAMPLE.replace("< 520", "< 530");
    assert_ne!(
        Policy::from_json(&changed).unwrap().fingerprint(),
        policy.fingerprint()
    );
}

#[test]
fn the_evaluation_serialises_with_its_trace() {
    let eval = example()
        .evaluate(&facts(&[("score", 650.into())]))
        .unwrap();
    let json = serde_json::to_value(&eval).unwrap();
    assert_eq!(
        json["trace"][1],
        serde_json::json!({"table": "grade", "matched": [1]})
    );
    assert_eq!(json["context"]["rate"], "0.12");
    assert_eq!(json["emitted"][0]["outputs"]["risk_grade"], "B");
    let trace: Vec<TableTrace> = serde_json::from_value(json["trace"].clone()).unwrap();
    assert_eq!(trace, eval.trace);
}
