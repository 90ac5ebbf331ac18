//! The assessment (风险评估) of an application: identity, the credit-bureau pull,
//! anti-fraud rules, AML screening, the champion scorecard (and the challenger on its
//! share), the credit policy and the approval route. Every check is stored with its
//! inputs, outputs and versions, so a decision can be replayed and explained.
//!
//! Decisions: the assessment runs twice. At submission (`preliminary`) it decides what
//! can be decided without people: a hard decline, or a straight-through approval when the
//! authority rules give an automatic step and the policy approves within the limit.
//! Anything else waits for the investigation, after which the `final` assessment runs
//! with the investigated income and debt-to-income and routes the application to its
//! approval steps. The policy used is the active one named after the product code (as
//! written, then in lower case), else `default`; the scorecard is the champion named after the product code, else the most
//! recently deployed champion. A bureau report pulled in the last 30 days is reused.
//! Before the investigation, debt-to-income is estimated from the declared income, the
//! new loan's largest installment at the product's highest rate and the bureau's total
//! debt spread over twelve months.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use loanbook_core::approval::{AuthorityRules, StepKind, StepSpec, required_steps};
use loanbook_core::product::Product;
use loanbook_risk::aml::{DEFAULT_THRESHOLD, WatchEntry, WatchIndex, screen_index};
use loanbook_risk::decision::{
    CreditDecision, DecisionBounds, Outcome, Reason, Screening, apply_screening, decide,
};
use loanbook_risk::fraud::{self, FraudRules, OtherApplication, Subject};
use loanbook_risk::identity::IdNumber;
use loanbook_risk::policy::{Policy, Value as Fact};
use loanbook_risk::scorecard::mapping::{FieldValue, Mapping, model_value, selects_challenger};
use loanbook_risk::scorecard::model::{Model, Value};
use loanbook_store::applications::{ApplicationRow, InvestigationRow};
use loanbook_store::customer_records::{self as records, CreditReportRow};
use loanbook_store::customers::CustomerRow;
use loanbook_store::origination::{self as store, AssessmentRow, CheckRow};
use loanbook_store::{score_models, watch_list};
use rust_decimal::Decimal;
use serde_json::{Value as Json, json};

use crate::adapters::BureauRequest;
use crate::{App, ServiceError};

/// What an assessment produced, ready to store.
#[derive(Clone, Debug)]
pub(crate) struct Assessed {
    /// The assessment row.
    pub row: AssessmentRow,
    /// Its checks.
    pub checks: Vec<CheckRow>,
    /// The approval steps it routes to (empty when declined).
    pub steps: Vec<StepSpec>,
    /// The policy's decision.
    pub decision: CreditDecision,
    /// A bureau report pulled for it, to keep on the customer record.
    pub new_report: Option<CreditReportRow>,
    /// Scores given: (model id, score, decided), for model monitoring.
    pub scores: Vec<(i64, i64, bool)>,
}

impl Assessed {
    /// True when it may be approved straight through: approve, automatic route, within
    /// the limit.
    pub fn straight_through(&self, amount_minor: i64) -> bool {
        self.decision.outcome == Outcome::Approve
            && self.steps.len() == 1
            && self.steps[0].kind == StepKind::Automatic
            && self
                .decision
                .credit_limit_minor
                .is_none_or(|l| amount_minor <= l)
    }
}

/// Cached, parsed versions of what every assessment reads.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    watch_list: Option<(i64, Arc<WatchIndex>)>,
    policies: BTreeMap<i64, Arc<Policy>>,
    models: BTreeMap<i64, Arc<(Model, Mapping)>>,
    rules: Option<(i64, Arc<AuthorityRules>)>,
    /// Parsed product versions (immutable once stored).
    pub(crate) products: BTreeMap<(String, i64), Arc<Product>>,
}

#[allow(clippy::too_many_arguments)]
fn check(
    a: &ApplicationRow,
    no: i64,
    kind: &str,
    outcome: &str,
    inputs: Json,
    outputs: Json,
    version: &str,
    at: &str,
) -> CheckRow {
    CheckRow {
        application_id: a.id,
        assessment_no: no,
        kind: kind.into(),
        outcome: outcome.into(),
        inputs_json: inputs.to_string(),
        outputs_json: outputs.to_string(),
        version: version.into(),
        created_at: at.into(),
    }
}

async fn watch_entries(app: &App) -> Result<(i64, Arc<WatchIndex>), ServiceError> {
    let version = watch_list::latest_version(app.db()).await?.unwrap_or(0);
    if let Some((v, e)) = &app.cache().lock().map_err(poisoned)?.watch_list
        && *v == version
    {
        return Ok((*v, e.clone()));
    }
    let (v, rows) = watch_list::current(app.db()).await?;
    let entries: Arc<WatchIndex> = Arc::new(WatchIndex::new(
        rows.iter()
            .map(|e| WatchEntry {
                id: e.id,
                name: e.name_normalised.clone(),
                id_number_hash: e.id_number_hash.clone(),
            })
            .collect(),
    ));
    app.cache().lock().map_err(poisoned)?.watch_list = Some((v, entries.clone()));
    Ok((v, entries))
}

fn poisoned<T>(_: T) -> ServiceError {
    ServiceError::Conflict("an internal cache was poisoned by a crash; restart loanbook".into())
}

async fn policy_for(
    app: &App,
    product_code: &str,
) -> Result<Option<(String, Arc<Policy>)>, ServiceError> {
    let Some((id, name, version)) =
        store::policy_for(app.db(), product_code, &product_code.to_lowercase()).await?
    else {
        return Ok(None);
    };
    let label = format!("{name}@{version}");
    if let Some(p) = app.cache().lock().map_err(poisoned)?.policies.get(&id) {
        return Ok(Some((label, p.clone())));
    }
    let row = store::policy_by_id(app.db(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("policy {label}")))?;
    let policy = Arc::new(Policy::from_json(&row.policy_json).map_err(|e| {
        ServiceError::Conflict(format!("stored policy {label} does not load: {e}"))
    })?);
    app.cache()
        .lock()
        .map_err(poisoned)?
        .policies
        .insert(id, policy.clone());
    Ok(Some((label, policy)))
}

#[allow(clippy::type_complexity)]
async fn model_by_status(
    app: &App,
    heads: &[(i64, String, i64, String, String, String)],
    product_code: &str,
    status: &str,
) -> Result<Option<(i64, String, String, Arc<(Model, Mapping)>)>, ServiceError> {
    let pick = heads
        .iter()
        .filter(|m| m.3 == status)
        .max_by_key(|m| (m.1 == product_code, m.5.clone(), m.0));
    let Some((id, name, version, _, share, _)) = pick else {
        return Ok(None);
    };
    let label = format!("{name}@{version}");
    if let Some(m) = app.cache().lock().map_err(poisoned)?.models.get(id) {
        return Ok(Some((*id, label, share.clone(), m.clone())));
    }
    let row = score_models::get(app.db().pool(), *id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("model {label}")))?;
    let model = Model::from_json(&row.model_json).map_err(ServiceError::Conflict)?;
    let mapping: Mapping = serde_json::from_str(&row.mapping_json)
        .map_err(|e| ServiceError::Conflict(e.to_string()))?;
    let both = Arc::new((model, mapping));
    app.cache()
        .lock()
        .map_err(poisoned)?
        .models
        .insert(*id, both.clone());
    Ok(Some((*id, label, share.clone(), both)))
}

/// The newest authority rules (version, rules).
pub(crate) async fn authority_rules(
    app: &App,
) -> Result<Option<(i64, Arc<AuthorityRules>)>, ServiceError> {
    let Some(version) = store::latest_rule_set(app.db()).await? else {
        return Ok(None);
    };
    if let Some((v, r)) = &app.cache().lock().map_err(poisoned)?.rules
        && *v == version
    {
        return Ok(Some((*v, r.clone())));
    }
    let json = store::rule_set(app.db(), version)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("authority rules {version}")))?;
    let rules = Arc::new(crate::policies::parse_rules(&json)?);
    app.cache().lock().map_err(poisoned)?.rules = Some((version, rules.clone()));
    Ok(Some((version, rules)))
}

/// The value of `source.field` for scoring.
fn field_value(
    binding: &str,
    a: &ApplicationRow,
    c: &CustomerRow,
    age: Option<u32>,
    report: &Json,
) -> FieldValue {
    let (source, field) = binding.split_once('.').unwrap_or(("", binding));
    let minor = |m: Option<i64>| m.map_or(FieldValue::Missing, FieldValue::Minor);
    let int = |m: Option<i64>| m.map_or(FieldValue::Missing, FieldValue::Int);
    let text = |t: &Option<String>| t.clone().map_or(FieldValue::Missing, FieldValue::Text);
    match (source, field) {
        ("application", "amount") => minor(Some(a.amount_minor)),
        ("application", "term_months") => int(Some(a.term_months)),
        ("application", "purpose") => FieldValue::Text(a.purpose.clone()),
        ("application", "method") => FieldValue::Text(a.method.clone()),
        ("application", "channel") => FieldValue::Text(a.channel.clone()),
        ("customer", "age") => int(age.map(i64::from)),
        ("customer", "monthly_income") => minor(c.monthly_income_minor),
        ("customer", "employment_years") => int(c.employment_years),
        ("customer", "province") => text(&c.province),
        ("customer", "city") => text(&c.city),
        ("customer", "housing") => text(&c.housing),
        ("customer", "education") => text(&c.education),
        ("customer", "marital_status") => text(&c.marital_status),
        ("customer", "sex") => text(&c.sex),
        ("customer", "industry") => text(&c.industry),
        ("customer", "annual_revenue") => minor(c.annual_revenue_minor),
        ("customer", "registered_capital") => minor(c.registered_capital_minor),
        ("customer", "employees") => int(c.employees),
        ("credit_report", key) => report
            .get(key)
            .cloned()
            .map_or(FieldValue::Missing, FieldValue::Json),
        _ => FieldValue::Missing,
    }
}

fn yuan_fact(minor: i64) -> Fact {
    Fact::Number(Decimal::new(minor, 2))
}

/// Runs the assessment of `a` at `stage` (`preliminary` or `final`).
#[allow(clippy::too_many_lines)]
pub(crate) async fn assess(
    app: &App,
    a: &ApplicationRow,
    customer: &CustomerRow,
    product: &Product,
    investigation: Option<&InvestigationRow>,
    stage: &str,
    as_of: NaiveDate,
) -> Result<Assessed, ServiceError> {
    let at = loanbook_store::audit::timestamp(app.now());
    let no = store::assessment(app.db().pool(), a.id)
        .await?
        .map_or(1, |p| p.assessment_no + 1);
    let mut checks = Vec::new();

    // identity
    let id_number = customer
        .id_number_enc
        .as_deref()
        .map(|e| app.keys().decrypt(e))
        .transpose()?;
    let identity = match (&customer.kind[..], &id_number) {
        ("individual", Some(n)) => IdNumber::parse(n, as_of)
            .map(|id| id.birth_date())
            .map_err(|e| e.to_string()),
        ("individual", None) => Err("no ID number on file".to_owned()),
        _ => Ok(NaiveDate::MIN),
    };
    let id_birth = identity
        .as_ref()
        .ok()
        .copied()
        .filter(|d| *d != NaiveDate::MIN);
    checks.push(check(
        a,
        no,
        "identity",
        if identity.is_ok() { "pass" } else { "fail" },
        json!({"kind": customer.kind, "id_number": customer.id_number_masked, "uscc": customer.uscc.is_some()}),
        json!({"error": identity.as_ref().err()}),
        "GB 11643-1999",
        &at,
    ));

    // the credit bureau: reuse a report of the last 30 days, else pull one
    let reports = records::credit_reports(app.db(), customer.id).await?;
    let recent = reports.iter().rev().find(|r| {
        NaiveDate::parse_from_str(&r.pulled_on, "%Y-%m-%d")
            .is_ok_and(|d| (as_of - d).num_days() <= 30)
    });
    let mut new_report = None;
    let (bureau, report): (String, Json) = match recent {
        Some(r) => (
            r.bureau.clone(),
            serde_json::from_str(&r.report_json).unwrap_or(Json::Null),
        ),
        None => {
            let request = BureauRequest {
                customer_id: customer.id,
                name: customer.name.clone(),
                id_number: id_number
                    .clone()
                    .or_else(|| customer.uscc.clone())
                    .unwrap_or_default(),
                kind: customer.kind.clone(),
                monthly_income_minor: customer.monthly_income_minor,
                purpose: a.purpose.clone(),
            };
            match app.bureau().pull(&request, as_of).await {
                Ok(r) => {
                    new_report = Some(CreditReportRow {
                        id: 0,
                        customer_id: customer.id,
                        bureau: r.bureau.clone(),
                        pulled_on: r.pulled_on.to_string(),
                        report_json: r.report.to_string(),
                        created_at: at.clone(),
                    });
                    (r.bureau, r.report)
                }
                Err(e) => {
                    checks.push(check(
                        a,
                        no,
                        "bureau",
                        "error",
                        json!({"bureau": app.bureau().name()}),
                        json!({"error": e.to_string()}),
                        app.bureau().name(),
                        &at,
                    ));
                    (app.bureau().name().to_owned(), Json::Null)
                }
            }
        }
    };
    let delinquencies = report.get("delinquencies_24m").and_then(Json::as_i64);
    checks.push(check(
        a,
        no,
        "bureau",
        if report.is_object() { "pass" } else { "missing" },
        json!({"bureau": bureau, "reused": recent.is_some()}),
        json!({"delinquencies_24m": delinquencies, "fields": report.as_object().map_or(0, serde_json::Map::len)}),
        &bureau,
        &at,
    ));

    // anti-fraud
    let rules = FraudRules::default();
    let since = (as_of - chrono::Days::new(u64::from(rules.window_days))).to_string();
    let related = store::related_applications(
        app.db(),
        customer.id,
        customer.id_number_hash.as_deref(),
        customer.phone_hash.as_deref(),
        a.bank_card_hash.as_deref(),
        a.device_id.as_deref(),
        &since,
    )
    .await?;
    let others: Vec<OtherApplication<'_>> = related
        .iter()
        .filter_map(|r| {
            Some(OtherApplication {
                application_id: r.0,
                customer_id: r.1,
                submitted_on: NaiveDate::parse_from_str(&r.2, "%Y-%m-%d").ok()?,
                id_number_hash: r.3.as_deref(),
                phone_hash: r.4.as_deref(),
                bank_card_hash: r.5.as_deref(),
                device_id: r.6.as_deref(),
            })
        })
        .collect();
    let verified_income = investigation
        .and_then(|i| serde_json::from_str::<Json>(&i.figures_json).ok())
        .and_then(|f| {
            f.get("monthly_income")
                .and_then(Json::as_str)
                .map(str::to_owned)
        })
        .and_then(|s| loanbook_core::money::Money::parse(&s, product.currency).ok())
        .map(|m| m.amount_minor());
    let subject = Subject {
        application_id: a.id,
        customer_id: customer.id,
        id_number_hash: customer.id_number_hash.as_deref(),
        phone_hash: customer.phone_hash.as_deref(),
        bank_card_hash: a.bank_card_hash.as_deref(),
        device_id: a.device_id.as_deref(),
        declared_monthly_income_minor: customer.monthly_income_minor,
        verified_monthly_income_minor: verified_income,
        birth_date: customer
            .birth_date
            .as_deref()
            .and_then(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").ok()),
        id_birth_date: id_birth,
        blacklisted: customer.status == "blacklisted",
    };
    let fraud_hits = fraud::screen(&subject, &others, &rules, as_of);
    checks.push(check(
        a,
        no,
        "fraud",
        if fraud_hits.is_empty() { "pass" } else { "hit" },
        json!({"related_applications": others.len(), "window_days": rules.window_days, "velocity_max": rules.velocity_max}),
        json!({"hits": fraud_hits.iter().map(|h| json!({"code": h.code, "detail": h.detail})).collect::<Vec<_>>()}),
        "fraud-rules-1",
        &at,
    ));

    // AML
    let (list_version, entries) = watch_entries(app).await?;
    let aml_hits = screen_index(
        &customer.name,
        customer.id_number_hash.as_deref(),
        &entries,
        DEFAULT_THRESHOLD,
    );
    checks.push(check(
        a,
        no,
        "aml",
        if aml_hits.is_empty() { "pass" } else { "hit" },
        json!({"name": customer.name, "threshold": DEFAULT_THRESHOLD.to_string(), "list_version": list_version}),
        json!({"hits": aml_hits.iter().map(|h| json!({"entry_id": h.entry_id, "on": h.on, "similarity": format!("{:.4}", h.similarity)})).collect::<Vec<_>>()}),
        &format!("watch-list@{list_version}"),
        &at,
    ));

    // the scorecards
    let age = id_birth
        .or_else(|| {
            customer
                .birth_date
                .as_deref()
                .and_then(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").ok())
        })
        .map(|b| as_of.years_since(b).unwrap_or(0));
    let mut score = None;
    let mut band = None;
    let mut model_label = None;
    let mut challenger = None;
    let mut scores = Vec::new();
    let heads = score_models::live_heads(app.db()).await?;
    for status in ["champion", "challenger"] {
        let Some((model_id, label, share, both)) =
            model_by_status(app, &heads, &a.product_code, status).await?
        else {
            continue;
        };
        let (model, mapping) = &*both;
        if status == "challenger" {
            let bp = share
                .parse::<Decimal>()
                .ok()
                .and_then(|s| u32::try_from((s * Decimal::from(10_000)).trunc().mantissa()).ok())
                .unwrap_or(0);
            if !selects_challenger(&a.id.to_string(), bp) {
                continue;
            }
        }
        let values: Vec<Value> = model
            .variables
            .iter()
            .map(|v| {
                mapping.0.get(&v.binning.name).map_or(Value::Missing, |b| {
                    model_value(&field_value(b, a, customer, age, &report))
                })
            })
            .collect();
        let scored = model.score(&values);
        let band_name = model.bands.get(scored.band).map(|b| b.0.clone());
        let reasons = model.reason_texts(&scored, &values);
        checks.push(check(
            a,
            no,
            status,
            "scored",
            json!({"values": model.variables.iter().zip(&values).map(|(v, x)| (v.binning.name.clone(), format!("{x:?}"))).collect::<BTreeMap<_, _>>()}),
            json!({"score": scored.score, "band": band_name, "probability": format!("{:.4}", scored.probability), "reasons": reasons}),
            &label,
            &at,
        ));
        scores.push((model_id, scored.score, status == "champion"));
        if status == "champion" {
            score = Some(scored.score);
            band = band_name;
            model_label = Some(label);
        } else {
            challenger = Some(json!({"model": label, "score": scored.score, "band": band_name}));
        }
    }

    // the credit policy
    let income = verified_income.or(customer.monthly_income_minor);
    let dti = match investigation {
        Some(i) => i.dti.as_deref().and_then(|d| d.parse::<Decimal>().ok()),
        None => preliminary_dti(a, product, income, &report, as_of),
    };
    let mut facts: BTreeMap<String, Fact> = BTreeMap::new();
    let mut put = |k: &str, v: Fact| {
        facts.insert(k.to_owned(), v);
    };
    put(
        "score",
        score.map_or(Fact::Missing, |s| Fact::Number(Decimal::from(s))),
    );
    put("risk_band", band.clone().map_or(Fact::Missing, Fact::Text));
    put("dti", dti.map_or(Fact::Missing, Fact::Number));
    put(
        "age",
        age.map_or(Fact::Missing, |a| Fact::Number(Decimal::from(a))),
    );
    put("monthly_income", income.map_or(Fact::Missing, yuan_fact));
    put("amount", yuan_fact(a.amount_minor));
    put("term_months", Fact::Number(Decimal::from(a.term_months)));
    put("fraud_hits", Fact::Number(Decimal::from(fraud_hits.len())));
    put("aml_hits", Fact::Number(Decimal::from(aml_hits.len())));
    put(
        "bureau_delinquencies",
        delinquencies.map_or(Fact::Missing, |d| Fact::Number(Decimal::from(d))),
    );
    put("customer_kind", Fact::Text(customer.kind.clone()));
    put("stage", Fact::Text(stage.to_owned()));
    let bounds = DecisionBounds {
        rate_min: product.rate_min,
        rate_max: product.rate_max,
        amount_max_minor: product.amount_max.amount_minor(),
        monthly_income_minor: income,
        requested_minor: a.amount_minor,
    };
    let (policy_label, mut decision) = match policy_for(app, &a.product_code).await? {
        Some((label, policy)) => {
            let eval = policy
                .evaluate(&facts)
                .map_err(|e| ServiceError::Conflict(format!("policy {label}: {e}")))?;
            let decision = decide(&eval, &bounds);
            checks.push(check(
                a,
                no,
                "policy",
                outcome_code(decision.outcome),
                json!({"facts": facts.iter().map(|(k, v)| (k.clone(), fact_json(v))).collect::<BTreeMap<_, _>>()}),
                json!({"trace": eval.trace, "outcome": outcome_code(decision.outcome), "reasons": decision.reasons.iter().map(|r| json!({"code": r.code, "text": r.text})).collect::<Vec<_>>(), "risk_grade": decision.risk_grade, "rate": decision.rate.map(|r| r.to_string()), "credit_limit_minor": decision.credit_limit_minor}),
                &format!("{label} {}", policy.fingerprint()),
                &at,
            ));
            (Some(label), decision)
        }
        None => (
            None,
            CreditDecision {
                outcome: Outcome::Refer,
                reasons: vec![Reason {
                    code: "NO_POLICY".into(),
                    text: "no credit policy is active: manual review".into(),
                }],
                risk_grade: band.clone(),
                rate: Some(product.rate_max),
                credit_limit_minor: Some(product.amount_max.amount_minor()),
            },
        ),
    };
    apply_screening(
        &mut decision,
        &Screening {
            fraud: fraud_hits
                .iter()
                .map(|h| (h.code.to_owned(), h.detail.clone()))
                .collect(),
            aml_hits: aml_hits.len(),
            identity_ok: identity.is_ok(),
        },
    );

    // the route through the approval chain
    let mut steps = Vec::new();
    let mut rules_version = None;
    if decision.outcome != Outcome::Decline {
        let grade = decision.risk_grade.clone().unwrap_or_else(|| "E".into());
        let over_limit = decision
            .credit_limit_minor
            .is_some_and(|l| a.amount_minor > l);
        let refer = decision.outcome == Outcome::Refer || over_limit;
        steps = match authority_rules(app).await? {
            Some((version, rules)) => {
                rules_version = Some(version);
                required_steps(&rules, &a.product_code, a.amount_minor, &grade, refer)
                    .map_err(|e| ServiceError::invalid("authority_rules", e.to_string()))?
            }
            None => default_steps(),
        };
    }
    checks.push(check(
        a,
        no,
        "routing",
        if steps.is_empty() { "none" } else { "routed" },
        json!({"amount_minor": a.amount_minor, "risk_grade": decision.risk_grade, "outcome": outcome_code(decision.outcome)}),
        json!({"steps": steps.iter().map(step_json).collect::<Vec<_>>()}),
        &rules_version.map_or("built-in".to_owned(), |v| format!("authority-rules@{v}")),
        &at,
    ));
    let row = AssessmentRow {
        application_id: a.id,
        assessment_no: no,
        stage: stage.into(),
        score,
        risk_band: band,
        risk_grade: decision.risk_grade.clone(),
        decision: outcome_code(decision.outcome).into(),
        reasons_json: serde_json::to_string(
            &decision
                .reasons
                .iter()
                .map(|r| json!({"code": r.code, "text": r.text}))
                .collect::<Vec<_>>(),
        )
        .unwrap_or_else(|_| "[]".into()),
        offered_rate: decision.rate.map(|r| r.to_string()),
        credit_limit_minor: decision.credit_limit_minor,
        model_version: model_label,
        challenger_json: challenger.map(|c| c.to_string()),
        policy_version: policy_label,
        steps_json: serde_json::to_string(&steps.iter().map(step_json).collect::<Vec<_>>())
            .unwrap_or_else(|_| "[]".into()),
        created_at: at,
    };
    Ok(Assessed {
        row,
        checks,
        steps,
        decision,
        new_report,
        scores,
    })
}

/// Debt-to-income before any investigation: the new loan's largest installment at the
/// product's highest rate plus an estimate of existing payments — the bureau's total debt
/// spread over twelve months (conservative) — over the declared monthly income.
fn preliminary_dti(
    a: &ApplicationRow,
    product: &Product,
    income_minor: Option<i64>,
    report: &Json,
    as_of: NaiveDate,
) -> Option<Decimal> {
    use loanbook_core::money::Money;
    let income = Money::from_minor(income_minor?, product.currency);
    let rate = loanbook_core::rate::AnnualRate::new(product.rate_max).ok()?;
    let mut terms = loanbook_core::schedule::ScheduleTerms::new(
        Money::from_minor(a.amount_minor, product.currency),
        rate,
        u32::try_from(a.term_months).ok()?,
        a.method.parse().ok()?,
        as_of,
    );
    terms.frequency = product.frequency;
    terms.rounding = product.rounding;
    terms.day_count = product.day_count;
    let schedule = loanbook_core::schedule::generate(&terms).ok()?;
    let largest = schedule
        .installments()
        .iter()
        .map(|i| i.total.amount_minor())
        .max()?;
    let debt_total = report
        .get("total_debt")
        .and_then(Json::as_str)
        .and_then(|t| Money::parse(t, product.currency).ok())
        .map_or(0, |m| m.amount_minor());
    let existing = Money::from_minor(debt_total / 12, product.currency);
    loanbook_core::investigation::debt_to_income(
        income,
        existing,
        Money::from_minor(largest, product.currency),
    )
}

/// Without authority rules: officer then branch manager, never automatic.
fn default_steps() -> Vec<StepSpec> {
    vec![
        StepSpec {
            kind: StepKind::LoanOfficer,
            votes_required: 1,
            voters: 1,
            sla_hours: 24,
        },
        StepSpec {
            kind: StepKind::BranchManager,
            votes_required: 1,
            voters: 1,
            sla_hours: 48,
        },
    ]
}

/// A step as JSON.
pub(crate) fn step_json(s: &StepSpec) -> Json {
    json!({"kind": s.kind.code(), "votes_required": s.votes_required, "voters": s.voters, "sla_hours": s.sla_hours})
}

/// `approve`, `refer` or `decline`.
pub(crate) fn outcome_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Approve => "approve",
        Outcome::Refer => "refer",
        Outcome::Decline => "decline",
    }
}

fn fact_json(v: &Fact) -> Json {
    match v {
        Fact::Number(d) => Json::String(d.to_string()),
        Fact::Text(t) => Json::String(t.clone()),
        Fact::Bool(b) => Json::Bool(*b),
        Fact::Missing => Json::Null,
    }
}

/// A reason (code and text) as shown.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReasonView {
    /// Stable code, e.g. `P03_SCORE` or `F02_SHARED_PHONE`.
    pub code: String,
    /// What it means for this application.
    pub text: String,
}

/// One stored check as shown.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckView {
    /// identity, bureau, fraud, aml, champion, challenger, policy, routing.
    pub kind: String,
    /// Its outcome.
    pub outcome: String,
    /// What it read.
    pub inputs: Json,
    /// What it found (the policy trace for `policy`).
    pub outputs: Json,
    /// The version of the rules, model or list it used.
    pub version: String,
}

/// The latest assessment of an application as shown.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AssessmentView {
    /// preliminary (at submission) or final (after the investigation).
    pub stage: String,
    /// Its number for the application.
    pub assessment_no: i64,
    /// The champion's score.
    pub score: Option<i64>,
    /// The champion's band.
    pub risk_band: Option<String>,
    /// The policy's risk grade.
    pub risk_grade: Option<String>,
    /// approve, refer or decline.
    pub decision: String,
    /// Reasons for a decline or a referral.
    pub reasons: Vec<ReasonView>,
    /// The priced annual rate.
    pub offered_rate: Option<String>,
    /// The credit limit.
    pub credit_limit: Option<loanbook_core::money::Money>,
    /// The champion model, `name@version`.
    pub model_version: Option<String>,
    /// The challenger's score, when it scored this application.
    pub challenger: Option<Json>,
    /// The credit policy, `name@version`.
    pub policy_version: Option<String>,
    /// The approval steps it routed to.
    pub steps: Json,
    /// Every check, in order.
    pub checks: Vec<CheckView>,
}

/// The latest assessment of application `id`, if any.
pub(crate) async fn view(app: &App, id: i64) -> Result<Option<AssessmentView>, ServiceError> {
    let Some(row) = store::assessment(app.db().pool(), id).await? else {
        return Ok(None);
    };
    let checks = store::checks(app.db(), id, row.assessment_no).await?;
    Ok(Some(view_from(&row, &checks)))
}

/// An assessment as shown, from its rows.
pub(crate) fn view_from(row: &AssessmentRow, checks: &[CheckRow]) -> AssessmentView {
    AssessmentView {
        stage: row.stage.clone(),
        assessment_no: row.assessment_no,
        score: row.score,
        risk_band: row.risk_band.clone(),
        risk_grade: row.risk_grade.clone(),
        decision: row.decision.clone(),
        reasons: serde_json::from_str(&row.reasons_json).unwrap_or_default(),
        offered_rate: row.offered_rate.clone(),
        credit_limit: row.credit_limit_minor.map(|m| {
            loanbook_core::money::Money::from_minor(m, loanbook_core::money::Currency::CNY)
        }),
        model_version: row.model_version.clone(),
        challenger: row
            .challenger_json
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok()),
        policy_version: row.policy_version.clone(),
        steps: serde_json::from_str(&row.steps_json).unwrap_or_default(),
        checks: checks
            .iter()
            .map(|c| CheckView {
                kind: c.kind.clone(),
                outcome: c.outcome.clone(),
                inputs: serde_json::from_str(&c.inputs_json).unwrap_or_default(),
                outputs: serde_json::from_str(&c.outputs_json).unwrap_or_default(),
                version: c.version.clone(),
            })
            .collect(),
    }
}
