//! Leads (客户开发): prospective borrowers, worked from `new` to `converted` (a customer and
//! an application) or `lost`.
//!
//! Decisions: new → contacted → qualified → converted, and any open lead may be lost.
//! Converting either links an existing customer (`customer_id`) or creates one from the
//! details given, then creates the draft application; each step is its own transaction, so
//! if the application is refused the lead stays qualified and the conversion can be retried
//! with the customer now on file.

use loanbook_risk::identity::MobilePhone;
use loanbook_store::audit::timestamp;
use loanbook_store::crypto::mask_phone;
use loanbook_store::leads::{self as store, LeadRow};
use serde::{Deserialize, Serialize};

use crate::applications::{self, ApplicationInput, ApplicationView};
use crate::customers::{self, CustomerInput};
use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// Where leads come from.
pub const SOURCES: [&str; 5] = ["walk_in", "referral", "online", "partner", "campaign"];
/// Lead states.
pub const STATUSES: [&str; 5] = ["new", "contacted", "qualified", "converted", "lost"];

/// A lead as entered.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadInput {
    /// Name.
    pub name: String,
    /// Mobile phone (stored encrypted).
    pub phone: Option<String>,
    /// walk_in, referral, online, partner or campaign.
    pub source: String,
    /// The officer who owns it (default: whoever creates it).
    pub owner: Option<String>,
    /// Notes.
    #[serde(default)]
    pub note: String,
}

/// A lead as shown (phone masked).
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct LeadView {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub source: String,
    pub owner: String,
    pub status: String,
    pub note: String,
    pub customer_id: Option<i64>,
    pub application_id: Option<i64>,
    pub created_at: String,
}

fn view(l: &LeadRow) -> LeadView {
    LeadView {
        id: l.id,
        name: l.name.clone(),
        phone: l.phone_masked.clone(),
        source: l.source.clone(),
        owner: l.owner.clone(),
        status: l.status.clone(),
        note: l.note.clone(),
        customer_id: l.customer_id,
        application_id: l.application_id,
        created_at: l.created_at.clone(),
    }
}

/// Records a lead.
///
/// # Errors
/// Forbidden without `application:write`; invalid fields.
pub async fn create(app: &App, actor: &Actor, input: &LeadInput) -> Result<LeadView, ServiceError> {
    actor.require(Permission::ApplicationWrite)?;
    let mut v = Vec::new();
    if input.name.trim().is_empty() || input.name.chars().count() > 100 {
        v.push(Violation::new("name", "must be 1–100 characters"));
    }
    if !SOURCES.contains(&input.source.as_str()) {
        v.push(Violation::new(
            "source",
            format!("must be one of {}", SOURCES.join(", ")),
        ));
    }
    let phone = match input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(p) => MobilePhone::parse(p)
            .map_err(|e| v.push(Violation::new("phone", e.to_string())))
            .ok(),
        None => None,
    };
    if input.note.chars().count() > 2000 {
        v.push(Violation::new("note", "must be at most 2000 characters"));
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let now = timestamp(app.now());
    let mut row = LeadRow {
        name: input.name.trim().to_owned(),
        phone_enc: phone.as_ref().map(|p| app.keys().encrypt(p.as_str())),
        phone_hash: phone
            .as_ref()
            .map(|p| app.keys().lookup_hash("phone", p.as_str())),
        phone_masked: phone.as_ref().map(|p| mask_phone(p.as_str())),
        source: input.source.clone(),
        owner: input
            .owner
            .clone()
            .filter(|o| !o.trim().is_empty())
            .unwrap_or_else(|| actor.username.clone()),
        status: "new".into(),
        note: input.note.trim().to_owned(),
        created_at: now.clone(),
        updated_at: now,
        ..LeadRow::default()
    };
    let mut tx = app.db().begin().await?;
    row.id = store::insert(&mut tx, &row).await?;
    record(
        &mut tx,
        actor,
        "lead.create",
        "lead",
        &row.id.to_string(),
        None,
        Some(serde_json::to_value(view(&row)).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view(&row))
}

fn allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("new", "contacted")
            | ("contacted", "qualified")
            | ("qualified", "converted")
            | ("new" | "contacted" | "qualified", "lost")
    )
}

async fn move_lead(
    app: &App,
    actor: &Actor,
    id: i64,
    to: &str,
    customer_id: Option<i64>,
    application_id: Option<i64>,
) -> Result<LeadView, ServiceError> {
    let lead = store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("lead {id}")))?;
    if !STATUSES.contains(&to) {
        return Err(ServiceError::invalid(
            "status",
            format!("must be one of {}", STATUSES.join(", ")),
        ));
    }
    if !allowed(&lead.status, to) {
        return Err(ServiceError::Conflict(format!(
            "lead {id} is {}; it cannot become {to}",
            lead.status
        )));
    }
    let mut tx = app.db().begin().await?;
    if !store::set_status(
        &mut tx,
        id,
        &lead.status,
        to,
        customer_id,
        application_id,
        &timestamp(app.now()),
    )
    .await?
    {
        return Err(ServiceError::Conflict(format!(
            "lead {id} changed meanwhile; reload it"
        )));
    }
    record(&mut tx, actor, &format!("lead.{to}"), "lead", &id.to_string(), Some(serde_json::json!({"status": lead.status})),
        Some(serde_json::json!({"status": to, "customer_id": customer_id, "application_id": application_id}))).await?;
    tx.commit().await?;
    let row = store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("lead {id}")))?;
    Ok(view(&row))
}

/// Moves a lead to `contacted`, `qualified` or `lost`.
///
/// # Errors
/// Forbidden without `application:write`; not found; a move the lead cannot make.
pub async fn set_status(
    app: &App,
    actor: &Actor,
    id: i64,
    status: &str,
) -> Result<LeadView, ServiceError> {
    actor.require(Permission::ApplicationWrite)?;
    if status == "converted" {
        return Err(ServiceError::invalid(
            "status",
            "convert a lead with its customer and application (POST …/convert)",
        ));
    }
    move_lead(app, actor, id, status, None, None).await
}

/// What converting a lead needs: an existing customer, or the details of a new one, and
/// the application.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertInput {
    /// An existing customer.
    pub customer_id: Option<i64>,
    /// A new customer.
    pub customer: Option<CustomerInput>,
    /// The application (its `customer_id` is filled in).
    pub application: ConvertApplication,
}

/// The application part of a conversion.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ConvertApplication {
    pub product_code: String,
    pub amount: String,
    pub term_months: u32,
    pub method: String,
    pub purpose: String,
    pub channel: String,
}

/// Converts a qualified lead into a customer (existing or new) and a draft application.
///
/// # Errors
/// Forbidden without `application:write` (and `customer:write` to create a customer); a
/// lead that is not qualified; the refusals of creating the customer or the application.
pub async fn convert(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &ConvertInput,
) -> Result<(LeadView, ApplicationView), ServiceError> {
    actor.require(Permission::ApplicationWrite)?;
    let lead = store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("lead {id}")))?;
    if lead.status != "qualified" {
        return Err(ServiceError::Conflict(format!(
            "lead {id} is {}; only a qualified lead converts",
            lead.status
        )));
    }
    let customer_id = match (input.customer_id, &input.customer) {
        (Some(existing), None) => existing,
        (None, Some(details)) => customers::create(app, actor, details).await?.id,
        _ => {
            return Err(ServiceError::invalid(
                "customer",
                "give either customer_id or the details of a new customer",
            ));
        }
    };
    let a = &input.application;
    let application = applications::create(
        app,
        actor,
        &ApplicationInput {
            customer_id,
            product_code: a.product_code.clone(),
            amount: a.amount.clone(),
            term_months: a.term_months,
            method: a.method.clone(),
            purpose: a.purpose.clone(),
            channel: a.channel.clone(),
            device_id: None,
            bank_card: None,
        },
    )
    .await?;
    let lead = move_lead(
        app,
        actor,
        id,
        "converted",
        Some(customer_id),
        Some(application.id),
    )
    .await?;
    Ok((lead, application))
}

/// Leads, by owner and status.
///
/// # Errors
/// Forbidden without `application:read`.
pub async fn list(
    app: &App,
    actor: &Actor,
    owner: Option<&str>,
    status: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<LeadView>, ServiceError> {
    actor.require(Permission::ApplicationRead)?;
    Ok(store::list(app.db(), owner, status, limit.unwrap_or(50))
        .await?
        .iter()
        .map(view)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::apps;

    #[tokio::test]
    async fn a_lead_becomes_a_customer_and_an_application() {
        for (app, admin, t) in apps().await {
            let product = serde_json::json!({
                "code": "CONSUMER", "name": "消费贷", "currency": "CNY", "amount_min": "1000", "amount_max": "100000",
                "term_min_months": 3, "term_max_months": 36, "rate_min": "0.05", "rate_max": "0.18", "methods": ["annuity"],
                "grace_days": 3, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up"
            });
            crate::products::add(&app, &admin, &product).await.unwrap();
            let lead = create(
                &app,
                &admin,
                &LeadInput {
                    name: "王伟".into(),
                    phone: Some("13800138000".into()),
                    source: "referral".into(),
                    owner: None,
                    note: "朋友介绍".into(),
                },
            )
            .await
            .unwrap();
            assert_eq!(
                (lead.status.as_str(), lead.phone.as_deref()),
                ("new", Some("138****8000")),
                "{}",
                t.label
            );
            let convert_input = ConvertInput {
                customer_id: None,
                customer: Some(CustomerInput {
                    kind: "individual".into(),
                    name: "王伟".into(),
                    id_number: Some("110101199003078515".into()),
                    phone: Some("13800138000".into()),
                    ..CustomerInput::default()
                }),
                application: ConvertApplication {
                    product_code: "CONSUMER".into(),
                    amount: "30000".into(),
                    term_months: 12,
                    method: "annuity".into(),
                    purpose: "装修".into(),
                    channel: "branch".into(),
                },
            };
            // only a qualified lead converts
            assert!(matches!(
                convert(&app, &admin, lead.id, &convert_input).await,
                Err(ServiceError::Conflict(_))
            ));
            set_status(&app, &admin, lead.id, "contacted")
                .await
                .unwrap();
            set_status(&app, &admin, lead.id, "qualified")
                .await
                .unwrap();
            let (converted, application) = convert(&app, &admin, lead.id, &convert_input)
                .await
                .unwrap();
            assert_eq!(converted.status, "converted");
            assert_eq!(converted.application_id, Some(application.id));
            assert_eq!(application.status, "draft");
            assert!(matches!(
                set_status(&app, &admin, lead.id, "lost").await,
                Err(ServiceError::Conflict(_))
            ));
            assert_eq!(
                list(&app, &admin, Some("system"), Some("converted"), None)
                    .await
                    .unwrap()
                    .len(),
                1
            );
            let Err(ServiceError::Invalid(v)) = create(
                &app,
                &admin,
                &LeadInput {
                    name: "".into(),
                    phone: Some("123".into()),
                    source: "tv".into(),
                    owner: None,
                    note: String::new(),
                },
            )
            .await
            else {
                panic!()
            };
            assert_eq!(
                v.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(),
                ["name", "source", "phone"]
            );
        }
    }
}
