//! Origination records after the pre-screen: credit policies and authority rules
//! (versioned), the checks and the result of each assessment, the approval chain with
//! its decisions and votes, and counter-offers.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Db, StoreError, Tx};

/// A stored credit-policy version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct PolicyRow {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub status: String,
    pub fingerprint: String,
    pub policy_json: String,
    pub created_by: String,
    pub created_at: String,
}

fn policy_from(r: &AnyRow) -> Result<PolicyRow, StoreError> {
    Ok(PolicyRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        status: r.try_get("status")?,
        fingerprint: r.try_get("fingerprint")?,
        policy_json: r.try_get("policy_json")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

const POLICY_COLUMNS: &str =
    "id, name, version, status, fingerprint, policy_json, created_by, created_at";

/// Stores a new version of policy `p.name` (the next number), retiring the active one;
/// returns (id, version).
///
/// # Errors
/// A database error.
pub async fn insert_policy(tx: &mut Tx<'_>, p: &PolicyRow) -> Result<(i64, i64), StoreError> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM credit_policies WHERE name = $1")
            .bind(&p.name)
            .fetch_one(&mut **tx)
            .await?;
    let version = version.unwrap_or(0) + 1;
    sqlx::query(
        "UPDATE credit_policies SET status = 'retired' WHERE name = $1 AND status = 'active'",
    )
    .bind(&p.name)
    .execute(&mut **tx)
    .await?;
    let id = sqlx::query_scalar(
        "INSERT INTO credit_policies (name, version, status, fingerprint, policy_json, created_by, created_at) \
         VALUES ($1, $2, 'active', $3, $4, $5, $6) RETURNING id",
    )
    .bind(&p.name)
    .bind(version)
    .bind(&p.fingerprint)
    .bind(&p.policy_json)
    .bind(&p.created_by)
    .bind(&p.created_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, version))
}

/// Every policy version, newest first per name.
///
/// # Errors
/// A database error.
pub async fn policies(db: &Db) -> Result<Vec<PolicyRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {POLICY_COLUMNS} FROM credit_policies ORDER BY name, version DESC"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(policy_from).collect()
}

/// Stores a new version of the authority rules; returns its version.
///
/// # Errors
/// A database error.
pub async fn insert_rule_set(
    tx: &mut Tx<'_>,
    rules_json: &str,
    by: &str,
    at: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO authority_rule_sets (rules_json, created_by, created_at) VALUES ($1, $2, $3) RETURNING version",
    )
    .bind(rules_json)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?)
}

/// Every version of the authority rules, newest first: (version, rules_json, by, at).
///
/// # Errors
/// A database error.
pub async fn rule_sets(db: &Db) -> Result<Vec<(i64, String, String, String)>, StoreError> {
    let rows = sqlx::query("SELECT version, rules_json, created_by, created_at FROM authority_rule_sets ORDER BY version DESC")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("version")?,
                r.try_get("rules_json")?,
                r.try_get("created_by")?,
                r.try_get("created_at")?,
            ))
        })
        .collect()
}

/// One check of an assessment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct CheckRow {
    pub application_id: i64,
    pub assessment_no: i64,
    pub kind: String,
    pub outcome: String,
    pub inputs_json: String,
    pub outputs_json: String,
    pub version: String,
    pub created_at: String,
}

/// Stores the checks of one assessment.
///
/// # Errors
/// A database error.
pub async fn insert_checks(tx: &mut Tx<'_>, checks: &[CheckRow]) -> Result<(), StoreError> {
    for chunk in checks.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO application_checks (application_id, assessment_no, kind, outcome, inputs_json, outputs_json, version, created_at) VALUES ",
        );
        sql.push_str(&crate::db::values_placeholders(
            tx.backend(),
            chunk.len(),
            8,
        ));
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q
                .bind(c.application_id)
                .bind(c.assessment_no)
                .bind(&c.kind)
                .bind(&c.outcome)
                .bind(&c.inputs_json)
                .bind(&c.outputs_json)
                .bind(&c.version)
                .bind(&c.created_at);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The checks of assessment `assessment_no` of an application, in order.
///
/// # Errors
/// A database error.
pub async fn checks(
    db: &Db,
    application_id: i64,
    assessment_no: i64,
) -> Result<Vec<CheckRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT application_id, assessment_no, kind, outcome, inputs_json, outputs_json, version, created_at \
         FROM application_checks WHERE application_id = $1 AND assessment_no = $2 ORDER BY id",
    )
    .bind(application_id)
    .bind(assessment_no)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CheckRow {
                application_id: r.try_get("application_id")?,
                assessment_no: r.try_get("assessment_no")?,
                kind: r.try_get("kind")?,
                outcome: r.try_get("outcome")?,
                inputs_json: r.try_get("inputs_json")?,
                outputs_json: r.try_get("outputs_json")?,
                version: r.try_get("version")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// The latest assessment of an application.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct AssessmentRow {
    pub application_id: i64,
    pub assessment_no: i64,
    pub stage: String,
    pub score: Option<i64>,
    pub risk_band: Option<String>,
    pub risk_grade: Option<String>,
    pub decision: String,
    pub reasons_json: String,
    pub offered_rate: Option<String>,
    pub credit_limit_minor: Option<i64>,
    pub model_version: Option<String>,
    pub challenger_json: Option<String>,
    pub policy_version: Option<String>,
    pub steps_json: String,
    pub created_at: String,
}

/// Replaces the assessment of `a.application_id` with `a`.
///
/// # Errors
/// A database error.
pub async fn put_assessment(tx: &mut Tx<'_>, a: &AssessmentRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO assessments (application_id, assessment_no, stage, score, risk_band, risk_grade, decision, reasons_json, offered_rate, credit_limit_minor, model_version, challenger_json, policy_version, steps_json, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (application_id) DO UPDATE SET assessment_no = excluded.assessment_no, stage = excluded.stage, \
         score = excluded.score, risk_band = excluded.risk_band, risk_grade = excluded.risk_grade, decision = excluded.decision, \
         reasons_json = excluded.reasons_json, offered_rate = excluded.offered_rate, credit_limit_minor = excluded.credit_limit_minor, \
         model_version = excluded.model_version, challenger_json = excluded.challenger_json, policy_version = excluded.policy_version, \
         steps_json = excluded.steps_json, created_at = excluded.created_at",
    )
    .bind(a.application_id)
    .bind(a.assessment_no)
    .bind(&a.stage)
    .bind(a.score)
    .bind(&a.risk_band)
    .bind(&a.risk_grade)
    .bind(&a.decision)
    .bind(&a.reasons_json)
    .bind(&a.offered_rate)
    .bind(a.credit_limit_minor)
    .bind(&a.model_version)
    .bind(&a.challenger_json)
    .bind(&a.policy_version)
    .bind(&a.steps_json)
    .bind(&a.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The assessment of an application, if it has been assessed.
///
/// # Errors
/// A database error.
pub async fn assessment<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    application_id: i64,
) -> Result<Option<AssessmentRow>, StoreError> {
    let row = sqlx::query(
        "SELECT application_id, assessment_no, stage, score, risk_band, risk_grade, decision, reasons_json, offered_rate, credit_limit_minor, model_version, challenger_json, policy_version, steps_json, created_at \
         FROM assessments WHERE application_id = $1",
    )
    .bind(application_id)
    .fetch_optional(exec)
    .await?;
    row.map(|r| {
        Ok(AssessmentRow {
            application_id: r.try_get("application_id")?,
            assessment_no: r.try_get("assessment_no")?,
            stage: r.try_get("stage")?,
            score: r.try_get("score")?,
            risk_band: r.try_get("risk_band")?,
            risk_grade: r.try_get("risk_grade")?,
            decision: r.try_get("decision")?,
            reasons_json: r.try_get("reasons_json")?,
            offered_rate: r.try_get("offered_rate")?,
            credit_limit_minor: r.try_get("credit_limit_minor")?,
            model_version: r.try_get("model_version")?,
            challenger_json: r.try_get("challenger_json")?,
            policy_version: r.try_get("policy_version")?,
            steps_json: r.try_get("steps_json")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// The fraud-relevant identifiers of other recent applications sharing any of the given
/// identifiers: (application id, customer id, submitted_on, id-number hash, phone hash,
/// bank-card hash, device id).
///
/// # Errors
/// A database error.
#[allow(clippy::type_complexity)]
pub async fn related_applications(
    db: &Db,
    customer_id: i64,
    id_number_hash: Option<&str>,
    phone_hash: Option<&str>,
    bank_card_hash: Option<&str>,
    device_id: Option<&str>,
    since: &str,
) -> Result<
    Vec<(
        i64,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    )>,
    StoreError,
> {
    // one indexed look-up per identifier (an OR across the join would scan every
    // application in the window). The LIMIT inside keeps the planner from pushing the
    // window into each branch: PostgreSQL then drove the look-ups from the index on
    // `submitted_on` and scanned every application submitted in the window, which grew
    // with every submission (bench/http: 570 → 143 submissions a second).
    const PICK: &str = "SELECT a.id, a.customer_id, a.submitted_on, c.id_number_hash, c.phone_hash, a.bank_card_hash, a.device_id \
         FROM applications a JOIN customers c ON c.id = a.customer_id";
    let rows = sqlx::query(&format!(
        "SELECT * FROM ( \
           {PICK} WHERE a.customer_id = $2 \
           UNION {PICK} WHERE c.id_number_hash = $3 \
           UNION {PICK} WHERE c.phone_hash = $4 \
           UNION {PICK} WHERE a.bank_card_hash = $5 \
           UNION {PICK} WHERE a.device_id = $6 \
           LIMIT 100000 \
         ) r WHERE r.submitted_on IS NOT NULL AND r.submitted_on >= $1 ORDER BY r.id LIMIT 1000"
    ))
    .bind(since)
    .bind(customer_id)
    .bind(id_number_hash.unwrap_or("\u{1}"))
    .bind(phone_hash.unwrap_or("\u{1}"))
    .bind(bank_card_hash.unwrap_or("\u{1}"))
    .bind(device_id.unwrap_or("\u{1}"))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("customer_id")?,
                r.try_get("submitted_on")?,
                r.try_get("id_number_hash")?,
                r.try_get("phone_hash")?,
                r.try_get("bank_card_hash")?,
                r.try_get("device_id")?,
            ))
        })
        .collect()
}

/// One step of an approval chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct StepRow {
    pub id: i64,
    pub application_id: i64,
    pub routing_no: i64,
    pub seq: i64,
    pub kind: String,
    pub votes_required: i64,
    pub voters: i64,
    pub sla_hours: i64,
    pub status: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

const STEP_COLUMNS: &str = "id, application_id, routing_no, seq, kind, votes_required, voters, sla_hours, status, started_at, completed_at";

fn step_from(r: &AnyRow) -> Result<StepRow, StoreError> {
    Ok(StepRow {
        id: r.try_get("id")?,
        application_id: r.try_get("application_id")?,
        routing_no: r.try_get("routing_no")?,
        seq: r.try_get("seq")?,
        kind: r.try_get("kind")?,
        votes_required: r.try_get("votes_required")?,
        voters: r.try_get("voters")?,
        sla_hours: r.try_get("sla_hours")?,
        status: r.try_get("status")?,
        started_at: r.try_get("started_at")?,
        completed_at: r.try_get("completed_at")?,
    })
}

/// Inserts the steps of a routing in one statement; returns them with their ids.
///
/// # Errors
/// A database error.
pub async fn insert_steps(tx: &mut Tx<'_>, steps: &[StepRow]) -> Result<Vec<StepRow>, StoreError> {
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = String::from(
        "INSERT INTO approval_steps (application_id, routing_no, seq, kind, votes_required, voters, sla_hours, status, started_at, completed_at) VALUES ",
    );
    sql.push_str(&crate::db::values_placeholders(
        tx.backend(),
        steps.len(),
        10,
    ));
    sql.push_str(" RETURNING id, seq");
    let mut q = sqlx::query(&sql);
    for s in steps {
        q = q
            .bind(s.application_id)
            .bind(s.routing_no)
            .bind(s.seq)
            .bind(&s.kind)
            .bind(s.votes_required)
            .bind(s.voters)
            .bind(s.sla_hours)
            .bind(&s.status)
            .bind(&s.started_at)
            .bind(&s.completed_at);
    }
    let ids = q.fetch_all(&mut **tx).await?;
    let mut out = steps.to_vec();
    for r in &ids {
        let (id, seq): (i64, i64) = (r.try_get("id")?, r.try_get("seq")?);
        if let Some(step) = out.iter_mut().find(|s| s.seq == seq) {
            step.id = id;
        }
    }
    Ok(out)
}

/// The steps of the latest routing of an application, in order.
///
/// # Errors
/// A database error.
pub async fn steps<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    application_id: i64,
) -> Result<Vec<StepRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM approval_steps WHERE application_id = $1 \
         AND routing_no = (SELECT MAX(routing_no) FROM approval_steps WHERE application_id = $1) ORDER BY seq"
    ))
    .bind(application_id)
    .fetch_all(exec)
    .await?;
    rows.iter().map(step_from).collect()
}

/// Pending steps across applications (the approval queues), oldest first.
///
/// # Errors
/// A database error.
pub async fn pending_steps(
    db: &Db,
    kind: Option<&str>,
    limit: i64,
) -> Result<Vec<StepRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM approval_steps WHERE status = 'pending' AND ($1 = '' OR kind = $1) \
         ORDER BY started_at, id LIMIT $2"
    ))
    .bind(kind.unwrap_or(""))
    .bind(limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(step_from).collect()
}

/// Moves step `id` from `from` to `to` (optimistic); returns false if it was not in `from`.
///
/// # Errors
/// A database error.
pub async fn set_step_status(
    tx: &mut Tx<'_>,
    id: i64,
    from: &str,
    to: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE approval_steps SET status = $1, \
         started_at = CASE WHEN $1 = 'pending' THEN $2 ELSE started_at END, \
         completed_at = CASE WHEN $1 = 'pending' THEN completed_at ELSE $2 END \
         WHERE id = $3 AND status = $4",
    )
    .bind(to)
    .bind(at)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A decision or vote on a step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct DecisionRow {
    pub application_id: i64,
    pub step_id: i64,
    pub decider: String,
    pub role: String,
    pub decision: String,
    pub comment: String,
    pub details_json: String,
    pub created_at: String,
}

/// Stores a decision; a second one by the same person on the same step is a unique
/// violation.
///
/// # Errors
/// A database error.
pub async fn insert_decision(tx: &mut Tx<'_>, d: &DecisionRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO approval_decisions (application_id, step_id, decider, role, decision, comment, details_json, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(d.application_id)
    .bind(d.step_id)
    .bind(&d.decider)
    .bind(&d.role)
    .bind(&d.decision)
    .bind(&d.comment)
    .bind(&d.details_json)
    .bind(&d.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every decision on an application, in order.
///
/// # Errors
/// A database error.
pub async fn decisions<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    application_id: i64,
) -> Result<Vec<DecisionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT application_id, step_id, decider, role, decision, comment, details_json, created_at \
         FROM approval_decisions WHERE application_id = $1 ORDER BY id",
    )
    .bind(application_id)
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DecisionRow {
                application_id: r.try_get("application_id")?,
                step_id: r.try_get("step_id")?,
                decider: r.try_get("decider")?,
                role: r.try_get("role")?,
                decision: r.try_get("decision")?,
                comment: r.try_get("comment")?,
                details_json: r.try_get("details_json")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// A counter-offer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct CounterOfferRow {
    pub id: i64,
    pub application_id: i64,
    pub step_id: i64,
    pub amount_minor: i64,
    pub term_months: i64,
    pub rate: String,
    pub status: String,
    pub offered_by: String,
    pub created_at: String,
    pub responded_by: Option<String>,
    pub responded_at: Option<String>,
}

/// Stores a counter-offer; returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_counter_offer(tx: &mut Tx<'_>, c: &CounterOfferRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO counter_offers (application_id, step_id, amount_minor, term_months, rate, status, offered_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(c.application_id)
    .bind(c.step_id)
    .bind(c.amount_minor)
    .bind(c.term_months)
    .bind(&c.rate)
    .bind(&c.status)
    .bind(&c.offered_by)
    .bind(&c.created_at)
    .fetch_one(&mut **tx)
    .await?)
}

/// The counter-offers of an application, newest first.
///
/// # Errors
/// A database error.
pub async fn counter_offers<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    application_id: i64,
) -> Result<Vec<CounterOfferRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, application_id, step_id, amount_minor, term_months, rate, status, offered_by, created_at, responded_by, responded_at \
         FROM counter_offers WHERE application_id = $1 ORDER BY id DESC",
    )
    .bind(application_id)
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CounterOfferRow {
                id: r.try_get("id")?,
                application_id: r.try_get("application_id")?,
                step_id: r.try_get("step_id")?,
                amount_minor: r.try_get("amount_minor")?,
                term_months: r.try_get("term_months")?,
                rate: r.try_get("rate")?,
                status: r.try_get("status")?,
                offered_by: r.try_get("offered_by")?,
                created_at: r.try_get("created_at")?,
                responded_by: r.try_get("responded_by")?,
                responded_at: r.try_get("responded_at")?,
            })
        })
        .collect()
}

/// Answers an offered counter-offer (optimistic); false if it was no longer offered.
///
/// # Errors
/// A database error.
pub async fn respond_counter_offer(
    tx: &mut Tx<'_>,
    id: i64,
    status: &str,
    by: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE counter_offers SET status = $1, responded_by = $2, responded_at = $3 WHERE id = $4 AND status = 'offered'",
    )
    .bind(status)
    .bind(by)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the approved terms of an application.
///
/// # Errors
/// A database error.
pub async fn set_approved_terms(
    tx: &mut Tx<'_>,
    application_id: i64,
    amount_minor: i64,
    term_months: i64,
    rate: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE applications SET approved_amount_minor = $1, approved_term_months = $2, approved_rate = $3 WHERE id = $4",
    )
    .bind(amount_minor)
    .bind(term_months)
    .bind(rate)
    .bind(application_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The active policy for a product: named `first`, else `second`, else `default`; (id,
/// name, version) without the document.
///
/// # Errors
/// A database error.
pub async fn policy_for(
    db: &Db,
    first: &str,
    second: &str,
) -> Result<Option<(i64, String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, version FROM credit_policies WHERE status = 'active' AND name IN ($1, $2, 'default')",
    )
    .bind(first)
    .bind(second)
    .fetch_all(db.pool())
    .await?;
    let mut found: Vec<(i64, String, i64)> = rows
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("version")?)))
        .collect::<Result<_, StoreError>>()?;
    found.sort_by_key(|(_, name, _)| {
        if name == first {
            0
        } else if name == second {
            1
        } else {
            2
        }
    });
    Ok(found.into_iter().next())
}

/// Policy version `id`.
///
/// # Errors
/// A database error.
pub async fn policy_by_id(db: &Db, id: i64) -> Result<Option<PolicyRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {POLICY_COLUMNS} FROM credit_policies WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(policy_from).transpose()
}

/// The newest version number of the authority rules.
///
/// # Errors
/// A database error.
pub async fn latest_rule_set(db: &Db) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT MAX(version) FROM authority_rule_sets")
            .fetch_one(db.pool())
            .await?,
    )
}

/// The rules of version `version`.
///
/// # Errors
/// A database error.
pub async fn rule_set(db: &Db, version: i64) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT rules_json FROM authority_rule_sets WHERE version = $1")
            .bind(version)
            .fetch_optional(db.pool())
            .await?,
    )
}
