//! Credit policies (授信政策, versioned decision tables) and the approval authority rules
//! (审批权限, versioned as a whole set): import, list.
//!
//! Decisions: importing a policy under an existing name makes a new version and retires
//! the active one; applications already assessed keep the version they were assessed
//! under (stored with every check). An import that does not load changes nothing and
//! names the table, rule and field at fault.

use loanbook_core::approval::AuthorityRules;
use loanbook_risk::policy::Policy;
use loanbook_store::audit::timestamp;
use loanbook_store::origination::{self as store, PolicyRow};
use serde::Serialize;

use crate::{Actor, App, Permission, ServiceError, record};

/// Largest policy or rules document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// A policy version as shown.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyView {
    /// Registry id.
    pub id: i64,
    /// Name (a product code, or `default`).
    pub name: String,
    /// Version of that name.
    pub version: i64,
    /// active or retired.
    pub status: String,
    /// SHA-256 of the canonical document.
    pub fingerprint: String,
    /// The document.
    pub policy: serde_json::Value,
    /// Who imported it.
    pub created_by: String,
    /// When.
    pub created_at: String,
}

fn view(r: &PolicyRow) -> PolicyView {
    PolicyView {
        id: r.id,
        name: r.name.clone(),
        version: r.version,
        status: r.status.clone(),
        fingerprint: r.fingerprint.clone(),
        policy: serde_json::from_str(&r.policy_json).unwrap_or_default(),
        created_by: r.created_by.clone(),
        created_at: r.created_at.clone(),
    }
}

/// Imports a policy document as the next version of its `name`.
///
/// # Errors
/// Forbidden without `policy:manage`; a document that is too large or does not load.
pub async fn import_policy(
    app: &App,
    actor: &Actor,
    text: &str,
) -> Result<PolicyView, ServiceError> {
    actor.require(Permission::PolicyManage)?;
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(ServiceError::invalid(
            "policy",
            format!("must be at most {MAX_DOCUMENT_BYTES} bytes"),
        ));
    }
    let policy =
        Policy::from_json(text).map_err(|e| ServiceError::invalid("policy", e.to_string()))?;
    let name = policy.name().to_owned();
    if name.is_empty() || name.len() > 64 {
        return Err(ServiceError::invalid("name", "must be 1–64 characters"));
    }
    let mut row = PolicyRow {
        name,
        status: "active".into(),
        fingerprint: policy.fingerprint().to_owned(),
        policy_json: text.to_owned(),
        created_by: actor.username.clone(),
        created_at: timestamp(app.now()),
        ..PolicyRow::default()
    };
    let mut tx = app.db().begin().await?;
    let (id, version) = store::insert_policy(&mut tx, &row).await?;
    row.id = id;
    row.version = version;
    record(
        &mut tx,
        actor,
        "policy.import",
        "credit_policy",
        &format!("{}@{version}", row.name),
        None,
        Some(serde_json::json!({"fingerprint": row.fingerprint})),
    )
    .await?;
    tx.commit().await?;
    Ok(view(&row))
}

/// Every policy version.
///
/// # Errors
/// Forbidden without `application:read`.
pub async fn policies(app: &App, actor: &Actor) -> Result<Vec<PolicyView>, ServiceError> {
    actor.require(Permission::ApplicationRead)?;
    Ok(store::policies(app.db()).await?.iter().map(view).collect())
}

/// Parses and checks an authority-rules document: a JSON array of rules, or an object
/// with a `rules` array.
///
/// # Errors
/// [`ServiceError::Invalid`] naming the rule and the field.
pub fn parse_rules(text: &str) -> Result<AuthorityRules, ServiceError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ServiceError::invalid("rules", format!("is not JSON: {e}")))?;
    let list = match value {
        serde_json::Value::Object(mut o) => o.remove("rules").unwrap_or_default(),
        other => other,
    };
    serde_json::from_value::<AuthorityRules>(list)
        .map_err(|e| ServiceError::invalid("rules", e.to_string()))
}

/// A version of the authority rules as shown.
#[derive(Clone, Debug, Serialize)]
pub struct RuleSetView {
    /// Version.
    pub version: i64,
    /// The rules, in priority order.
    pub rules: serde_json::Value,
    /// Who imported them.
    pub created_by: String,
    /// When.
    pub created_at: String,
}

/// Imports a new version of the authority rules.
///
/// # Errors
/// Forbidden without `policy:manage`; a document that does not check.
pub async fn import_rules(
    app: &App,
    actor: &Actor,
    text: &str,
) -> Result<RuleSetView, ServiceError> {
    actor.require(Permission::PolicyManage)?;
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(ServiceError::invalid(
            "rules",
            format!("must be at most {MAX_DOCUMENT_BYTES} bytes"),
        ));
    }
    let rules = parse_rules(text)?;
    let canonical =
        serde_json::to_string(&rules).map_err(|e| ServiceError::Conflict(e.to_string()))?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let version = store::insert_rule_set(&mut tx, &canonical, &actor.username, &at).await?;
    record(
        &mut tx,
        actor,
        "authority_rules.import",
        "authority_rules",
        &version.to_string(),
        None,
        Some(serde_json::json!({"rules": rules.rules().len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(RuleSetView {
        version,
        rules: serde_json::from_str(&canonical).unwrap_or_default(),
        created_by: actor.username.clone(),
        created_at: at,
    })
}

/// Every version of the authority rules, newest first.
///
/// # Errors
/// Forbidden without `application:read`.
pub async fn rule_sets(app: &App, actor: &Actor) -> Result<Vec<RuleSetView>, ServiceError> {
    actor.require(Permission::ApplicationRead)?;
    Ok(store::rule_sets(app.db())
        .await?
        .into_iter()
        .map(|(version, json, by, at)| RuleSetView {
            version,
            rules: serde_json::from_str(&json).unwrap_or_default(),
            created_by: by,
            created_at: at,
        })
        .collect())
}
