//! Hostile input over the real router, on SQLite and PostgreSQL: every POST/PUT/PATCH
//! operation of the OpenAPI document that takes a JSON body, and every CSV import, gets
//! bodies that are not JSON, truncated, of the wrong shape, with wrong-typed properties,
//! SQL and HTML injection strings, unicode edge cases, huge, and proptest-generated
//! mixtures of these. Each answer is a 4xx `application/problem+json` (never 2xx, never
//! 5xx, never `text/html`), and nothing is written: the audit chain and the journal end
//! where they began.
//!
//! What axum itself answers, and how the API shapes it: every JSON body goes through
//! `JsonBody`, which turns each of axum's rejections (syntax, data, missing content type
//! and a body over the 2 MB default limit) into a 400 problem; so a JSON endpoint never
//! answers a bare 413 or 415. CSV imports take `String`/`Bytes`; axum's own rejections
//! there (a body that is not UTF-8, one over the limit) are plain text, which the checks
//! below allow only for 413/415.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use loanbook_store::{Db, audit, ledger};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

mod common;
use common::{apps, call, login};

/// Strings that must come to no harm: SQL, HTML, unicode edge cases.
const NASTY: &[&str] = &[
    "'; DROP TABLE loans; --",
    "1 OR 1=1",
    "\" OR \"\"=\"",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\u{202E}gnp.exe",
    "👨\u{200D}👩\u{200D}👧",
    "nul\u{0000}byte",
    "\u{FEFF}bom",
    "𝕏̷̡͎",
    "../../etc/passwd",
    "%00%27",
    "${jndi:ldap://x}",
];

/// The answers a hostile body may get.
const ALLOWED: &[u16] = &[400, 404, 409, 413, 415, 422];

/// Path parameters: an id that exists nowhere.
const NO_SUCH_ID: &str = "999999999";

/// Cases skipped because they show a bug in the library, each with a `// KNOWN:` note
/// (none now: the LPR header, an empty authority table, non-UTF-8 text bodies and NUL
/// cells in the loan import were fixed when this test found them).
/// Each is (method, path template, case label prefix).
const KNOWN: &[(&str, &str, &str)] = &[];

#[derive(Debug, Clone)]
struct Prop {
    name: String,
    /// JSON types the schema allows ("string", "integer", "null", …); empty: unknown.
    types: Vec<String>,
}

#[derive(Debug, Clone)]
struct Op {
    method: String,
    template: String,
    uri: String,
    content_type: String,
    /// Whether the request-body schema lists its properties.
    known: bool,
    required: Vec<String>,
    props: Vec<Prop>,
}

impl Op {
    fn has_params(&self) -> bool {
        self.template.contains('{')
    }
    fn label(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.template)
    }
}

fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        schema = &doc["components"]["schemas"][name];
    }
    schema
}

fn types_of(doc: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(doc, schema);
    match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ if schema.get("properties").is_some() => vec!["object".into()],
        _ => Vec::new(),
    }
}

/// Every POST/PUT/PATCH operation with a request body, from the OpenAPI document.
fn operations(doc: &Value) -> Vec<Op> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["post", "put", "patch"].contains(&method.as_str()) {
                continue;
            }
            let Some(content) = op["requestBody"]["content"].as_object() else {
                continue;
            };
            for (content_type, media) in content {
                let schema = resolve(doc, &media["schema"]);
                let props: Vec<Prop> = schema["properties"]
                    .as_object()
                    .map(|p| {
                        p.iter()
                            .map(|(name, s)| Prop {
                                name: name.clone(),
                                types: types_of(doc, s),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let uri = path
                    .split('/')
                    .map(|seg| {
                        if seg.starts_with('{') {
                            NO_SUCH_ID
                        } else {
                            seg
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(Op {
                    method: method.clone(),
                    template: path.clone(),
                    uri,
                    content_type: content_type.clone(),
                    known: !props.is_empty(),
                    required: schema["required"]
                        .as_array()
                        .map(|r| {
                            r.iter()
                                .filter_map(|v| v.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    props,
                });
            }
        }
    }
    out
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

async fn send(
    router: &axum::Router,
    op: &Op,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Answer {
    let request = Request::builder()
        .method(op.method.to_uppercase().as_str())
        .uri(&op.uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?").to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    Answer {
        status,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// One hostile request: a label for the report, the content type and the bytes.
struct Case {
    label: String,
    content_type: String,
    body: Vec<u8>,
}

fn json_case(label: impl Into<String>, value: &Value) -> Case {
    Case {
        label: label.into(),
        content_type: "application/json".into(),
        body: value.to_string().into_bytes(),
    }
}

fn raw_case(label: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Case {
    Case {
        label: label.into(),
        content_type: content_type.into(),
        body: body.into(),
    }
}

/// Values of the wrong type for a property allowing `types` (all of them when unknown;
/// a string is never "wrong" for an unknown property, so it is not among them).
fn wrong_values(types: &[String]) -> Vec<(&'static str, Value)> {
    let allows = |t: &str| types.iter().any(|x| x == t);
    let number_ok = allows("integer") || allows("number");
    let mut out = Vec::new();
    if !number_ok {
        out.push(("number", json!(12345)));
        out.push(("float", json!(1.5e300)));
    }
    if number_ok || !types.is_empty() && !allows("string") {
        out.push(("string", json!("not-a-number")));
    }
    if allows("integer") {
        out.push(("fraction", json!(2.5)));
        out.push(("huge integer", json!(u64::MAX)));
    }
    if !allows("object") {
        out.push(("object", json!({"nested": {"deeper": 1}})));
    }
    if !allows("array") {
        out.push(("array", json!([1, "two", null])));
    }
    if !allows("null") {
        out.push(("null", Value::Null));
    }
    if !allows("boolean") {
        out.push(("bool", json!(true)));
    }
    out
}

/// Property names for a schema the document does not spell out: those the API names in
/// its answer to `{}` (a missing field, or a violation's field) and a few guesses.
async fn learn(router: &axum::Router, op: &mut Op, token: &str) {
    if op.known {
        return;
    }
    let mut names: BTreeSet<String> =
        ["name", "amount", "reason", "note", "kind", "status", "code"]
            .into_iter()
            .map(str::to_owned)
            .collect();
    if op.has_params() {
        let answer = send(router, op, token, "application/json", b"{}".to_vec()).await;
        let problem: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        if let Some(detail) = problem["detail"].as_str()
            && let Some(at) = detail.find("missing field `")
        {
            let rest = &detail[at + 15..];
            names.insert(rest[..rest.find('`').unwrap_or(0)].to_owned());
        }
        for e in problem["errors"].as_array().into_iter().flatten() {
            if let Some(f) = e["field"].as_str() {
                names.insert(f.to_owned());
            }
        }
    }
    op.props = names
        .into_iter()
        .filter(|n| !n.is_empty())
        .map(|name| Prop {
            name,
            types: Vec::new(),
        })
        .collect();
}

/// A hostile JSON value: injection strings, extreme numbers, nesting, nulls.
fn hostile_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        proptest::sample::select(NASTY).prop_map(|s| json!(s)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        any::<bool>().prop_map(|b| json!(b)),
        Just(Value::Null),
        "\\PC{0,40}".prop_map(|s| json!(s)),
        (1usize..5000).prop_map(|n| json!("9".repeat(n))),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("\\PC{0,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The fixed hostile bodies for `op`, then `generated` proptest mixtures.
fn cases(op: &Op, runner: &mut TestRunner, generated: usize) -> Vec<Case> {
    let first = op
        .props
        .first()
        .map_or_else(|| "name".to_owned(), |p| p.name.clone());
    let mut out = vec![
        raw_case("not JSON", "application/json", "hello, world"),
        raw_case("empty body", "application/json", ""),
        raw_case("XML", "application/json", "<?xml version=\"1.0\"?><a/>"),
        raw_case(
            "truncated",
            "application/json",
            format!("{{\"{first}\": \"abc"),
        ),
        raw_case("trailing comma", "application/json", "{\"a\": 1,}"),
        raw_case("single quotes", "application/json", "{'a': 1}"),
        raw_case(
            "invalid UTF-8",
            "application/json",
            [
                b"{\"".as_slice(),
                &first.clone().into_bytes(),
                b"\": \"\xff\xfe\"}",
            ]
            .concat(),
        ),
        raw_case(
            "lone surrogate escape",
            "application/json",
            format!("{{\"{first}\": \"\\ud800\"}}"),
        ),
        raw_case(
            "deep nesting",
            "application/json",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        raw_case(
            "number out of range",
            "application/json",
            format!("{{\"{first}\": 1e999999}}"),
        ),
        raw_case(
            "text/plain object",
            "text/plain",
            json!({ first.clone(): 1 }).to_string(),
        ),
        raw_case(
            "form encoded",
            "application/x-www-form-urlencoded",
            format!("{first}=1"),
        ),
        json_case("array", &json!([])),
        json_case("array of object", &json!([{}])),
        json_case("number", &json!(42)),
        json_case("string", &json!("text")),
        json_case("null", &Value::Null),
        json_case("bool", &json!(true)),
        json_case(
            "huge string",
            &json!({ first.clone(): "A".repeat(3 << 20) }),
        ),
        json_case("huge key", &json!({ "k".repeat(1 << 20): 1 })),
        raw_case(
            "duplicate keys",
            "application/json",
            format!("{{\"{first}\": 1, \"{first}\": []}}"),
        ),
    ];
    // `{}` is hostile unless the schema lists no required property (then it is a valid
    // request, e.g. the daily close's defaults), which only a missing path id refuses.
    if !op.known || !op.required.is_empty() || op.has_params() {
        out.push(json_case("{}", &json!({})));
    }
    // each property, then all at once, of each wrong type
    for p in &op.props {
        for (kind, v) in wrong_values(&p.types) {
            out.push(json_case(
                format!("{} as {kind}", p.name),
                &json!({ p.name.clone(): v }),
            ));
        }
    }
    for (kind, _) in wrong_values(&[]) {
        let all: Map<String, Value> = op
            .props
            .iter()
            .filter_map(|p| {
                wrong_values(&p.types)
                    .into_iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, v)| (p.name.clone(), v))
            })
            .collect();
        if !all.is_empty() {
            out.push(json_case(format!("all as {kind}"), &Value::Object(all)));
        }
    }
    // injection and unicode strings in every property, beside one wrong-typed property
    // (a string is a valid type for text fields; what must be refused is the body)
    let typed: Vec<&Prop> = op.props.iter().collect();
    for (i, s) in NASTY.iter().enumerate() {
        let mut body: Map<String, Value> = op
            .props
            .iter()
            .map(|p| (p.name.clone(), json!(s)))
            .collect();
        if let Some(p) = typed.get(i % typed.len().max(1))
            && let Some((_, v)) = wrong_values(&p.types).into_iter().next()
        {
            body.insert(p.name.clone(), v);
        }
        body.insert((*s).to_owned(), json!(s));
        out.push(json_case(format!("injection {i}"), &Value::Object(body)));
    }
    // proptest mixtures: known properties with hostile values, one surely wrong-typed
    let strategy = (
        proptest::collection::vec(hostile_value(), op.props.len()..=op.props.len()),
        any::<proptest::sample::Index>(),
        any::<proptest::sample::Index>(),
    );
    for n in 0..generated {
        let (values, which, wrong) = strategy.new_tree(runner).unwrap().current();
        let mut body: Map<String, Value> = op
            .props
            .iter()
            .zip(values)
            .map(|(p, v)| (p.name.clone(), v))
            .collect();
        if !op.props.is_empty() {
            let p = &op.props[which.index(op.props.len())];
            let choices = wrong_values(&p.types);
            body.insert(
                p.name.clone(),
                choices[wrong.index(choices.len())].1.clone(),
            );
        }
        out.push(json_case(format!("generated {n}"), &Value::Object(body)));
    }
    out
}

/// Hostile CSV bodies for an import.
fn csv_cases(runner: &mut TestRunner) -> Vec<Case> {
    let csv = "text/csv";
    let mut out = vec![
        raw_case("csv empty", csv, ""),
        raw_case("csv blank lines", csv, "\n\n\r\n"),
        raw_case("csv wrong columns", csv, "a,b,c\n1,2,3\n"),
        raw_case("csv header only garbage", csv, "\u{FEFF}x;y;z\n"),
        raw_case("csv BOM garbage", csv, "\u{FEFF}foo,bar\n\"baz\",qux\n"),
        raw_case("csv unbalanced quote", csv, "a,\"b\nc,d\n"),
        raw_case("csv quote in field", csv, "a,b\"c\",d\n"),
        raw_case("csv NUL", csv, "a,b\0,c\n"),
        raw_case(
            "csv invalid UTF-8",
            csv,
            b"a,b,c\n\xff\xfe,\xc3\x28,x\n".to_vec(),
        ),
        raw_case("csv JSON", csv, "{\"rows\": []}"),
        raw_case("csv very long line", csv, "x,".repeat(200_000)),
        raw_case(
            "csv garbage rows",
            csv,
            (0..10_000)
                .map(|i| {
                    format!(
                        "{i},\"{}\",zz{i},,;;\n",
                        NASTY[i % NASTY.len()].replace('"', "\"\"")
                    )
                })
                .collect::<String>(),
        ),
        raw_case("csv as JSON content type", "application/json", "a,b\n1,2\n"),
    ];
    // each import's own header, with injection strings in every cell
    for header in [
        "list,name,id_number,reason",
        "tenor,effective_date,rate",
        "order_id,status,bank_reference,reason",
        "loan_id,amount,paid_on,reference",
        "external_id,customer_name,id_number,phone,province,product_code,principal,annual_rate,term,method,disbursed_on",
    ] {
        let columns = header.split(',').count();
        let rows: String = NASTY
            .iter()
            .map(|s| {
                let cell = format!("\"{}\"", s.replace('"', "\"\""));
                format!("{}\n", vec![cell; columns].join(","))
            })
            .collect();
        out.push(raw_case(
            &format!("csv injection under {}", header.split(',').next().unwrap()),
            csv,
            format!("{header}\n{rows}"),
        ));
    }
    // the loan import's header with one row: NUL in every cell, then no NUL at all
    let loans = "external_id,customer_name,id_number,phone,province,product_code,principal,annual_rate,term,method,disbursed_on";
    for (label, cell) in [
        ("csv NUL cells", "a\u{0}b"),
        ("csv script cells", "<script>alert(1)</script>"),
    ] {
        out.push(raw_case(
            label,
            csv,
            format!("{loans}\n{}\n", [cell; 11].join(",")),
        ));
    }
    let line = proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(NASTY).prop_map(str::to_owned),
            "[\\PC,\"\n\r]{0,20}",
        ],
        0..8,
    );
    let strategy = proptest::collection::vec(line, 1..30);
    for n in 0..6 {
        let rows = strategy.new_tree(runner).unwrap().current();
        let body: String = rows.iter().map(|r| r.join(",") + "\n").collect();
        out.push(raw_case(&format!("csv generated {n}"), csv, body));
    }
    out
}

/// The newest audit record and journal entry: where the chain and the journal end.
async fn marks(db: &Db) -> (i64, i64) {
    let filter = audit::AuditFilter {
        entity: None,
        entity_id: None,
        actor: None,
        before_id: None,
        limit: 1,
    };
    let audit = audit::query(db, &filter)
        .await
        .unwrap()
        .first()
        .map_or(0, |r| r.id);
    let journal = ledger::entries(db, None, 1)
        .await
        .unwrap()
        .first()
        .map_or(0, |e| e.id);
    (audit, journal)
}

fn check(op: &Op, case: &Case, answer: &Answer, failures: &mut Vec<String>) {
    let status = answer.status.as_u16();
    let framework = matches!(status, 413 | 415);
    let mut wrong = Vec::new();
    if !ALLOWED.contains(&status) {
        wrong.push(format!("status {status}"));
    }
    if answer.content_type.contains("html") {
        wrong.push(format!("content type {}", answer.content_type));
    }
    if !framework && answer.content_type != "application/problem+json" {
        wrong.push(format!("content type {:?}", answer.content_type));
    }
    if answer.content_type.contains("problem+json") {
        let problem: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        if problem["status"].as_u64() != Some(u64::from(status)) || problem["title"].is_null() {
            wrong.push("problem body malformed".into());
        }
    }
    // echoing a string inside JSON is escaped; a raw tag outside JSON is not
    if !answer.content_type.contains("json") && answer.body.contains("<script>") {
        wrong.push("script echoed outside JSON".into());
    }
    if !wrong.is_empty() {
        let shown: String = answer.body.chars().take(200).collect();
        failures.push(format!(
            "{} [{}]: {} — {shown}",
            op.label(),
            case.label,
            wrong.join(", ")
        ));
    }
}

fn known(op: &Op, case: &Case) -> bool {
    KNOWN.iter().any(|(m, p, c)| {
        m.eq_ignore_ascii_case(&op.method) && *p == op.template && case.label == *c
    })
}

#[tokio::test]
async fn hostile_bodies_get_clear_refusals_and_change_nothing() {
    for (router, _app, t) in apps().await {
        let (status, doc, _) = call(&router, "GET", "/api/openapi.json", None, None).await;
        assert_eq!(status, StatusCode::OK);
        let token = login(&router, "admin").await;
        let mut ops = operations(&doc);
        let json_ops = ops
            .iter()
            .filter(|o| o.content_type == "application/json")
            .count();
        let csv_ops = ops.iter().filter(|o| o.content_type == "text/csv").count();
        assert!(
            json_ops >= 60 && csv_ops >= 4,
            "{json_ops} JSON, {csv_ops} CSV"
        );
        let before = marks(&t.db).await;
        // CI sends 6 generated bodies per operation from a fixed seed; bench/hostile sends
        // more, from a seed of its choosing (printed, to replay a failure)
        let generated: usize = std::env::var("LOANBOOK_HOSTILE_GENERATED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(6);
        let mut runner = match std::env::var("LOANBOOK_HOSTILE_SEED") {
            Ok(seed) => {
                let mut bytes = [0u8; 32];
                for (i, b) in seed.bytes().enumerate() {
                    bytes[i % 32] ^= b;
                }
                eprintln!("{}: hostile bodies from seed {seed}", t.label);
                TestRunner::new_with_rng(
                    proptest::test_runner::Config::default(),
                    proptest::test_runner::TestRng::from_seed(
                        proptest::test_runner::RngAlgorithm::ChaCha,
                        &bytes,
                    ),
                )
            }
            Err(_) => TestRunner::deterministic(),
        };
        let csv = csv_cases(&mut runner);
        let mut failures = Vec::new();
        let mut writers = Vec::new();
        let (mut sent, mut skipped) = (0usize, 0usize);
        for op in &mut ops {
            let cases = match op.content_type.as_str() {
                "application/json" => {
                    learn(&router, op, &token).await;
                    cases(op, &mut runner, generated)
                }
                "text/csv" => csv
                    .iter()
                    .map(|c| raw_case(&c.label, &c.content_type, c.body.clone()))
                    .collect(),
                _ => continue,
            };
            let mark = marks(&t.db).await;
            for case in &cases {
                if known(op, case) {
                    skipped += 1;
                    continue;
                }
                let answer = send(&router, op, &token, &case.content_type, case.body.clone()).await;
                sent += 1;
                check(op, case, &answer, &mut failures);
            }
            if marks(&t.db).await != mark {
                writers.push(op.label());
            }
        }
        eprintln!(
            "{}: {json_ops} JSON and {csv_ops} CSV operations, {sent} hostile requests, {skipped} known skipped",
            t.label
        );
        assert!(
            failures.is_empty() && writers.is_empty(),
            "{}: {} bad answers:\n{}\nwrote something: {writers:?}",
            t.label,
            failures.len(),
            failures.join("\n")
        );
        assert_eq!(marks(&t.db).await, before, "{}", t.label);
        assert!(audit::verify(&t.db).await.unwrap().is_ok(), "{}", t.label);
    }
}
