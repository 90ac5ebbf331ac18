//! Pre-loan investigation (贷前调查): the field visit, the document checklist and the
//! financial analysis — debt-to-income for individuals, debt-service coverage for
//! businesses — recorded on a pre-screened application, which moves to `investigating`.
//!
//! Decisions: the new loan's payments are taken from its schedule at the product's highest
//! rate (the rate is priced later, so the analysis is conservative); DTI uses the largest
//! installment, DSCR the payments of the first twelve months. An individual's income
//! defaults to the monthly income on the customer record. A later report on the same
//! application is kept beside the earlier ones; the newest counts.

use chrono::{Months, NaiveDate};
use loanbook_core::investigation::{debt_service_coverage, debt_to_income};
use loanbook_core::money::{Currency, Money};
use loanbook_core::origination::ApplicationStatus;
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::{ScheduleTerms, generate};
use loanbook_store::applications::{self as store, InvestigationRow};
use loanbook_store::audit::timestamp;
use loanbook_store::customers;
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Permission, ServiceError, Violation, products, record};

/// One line of the document-verification checklist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// What was checked, e.g. `id_card matches the applicant`.
    pub item: String,
    /// Whether it checked out.
    pub verified: bool,
    /// Notes.
    #[serde(default)]
    pub note: String,
}

/// An investigation as entered.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvestigationInput {
    /// Date of the field visit (YYYY-MM-DD).
    pub visited_on: String,
    /// What was seen.
    pub visit_summary: String,
    /// The document checklist.
    #[serde(default)]
    pub checklist: Vec<ChecklistItem>,
    /// Individual: monthly income (default: the customer record's).
    pub monthly_income: Option<String>,
    /// Individual: existing monthly debt payments (default 0).
    pub existing_monthly_debt: Option<String>,
    /// Business: annual revenue.
    pub annual_revenue: Option<String>,
    /// Business: annual net profit.
    pub annual_profit: Option<String>,
    /// Business: annual operating cash flow.
    pub operating_cash_flow: Option<String>,
    /// Business: existing annual debt service (default 0).
    pub existing_annual_debt_service: Option<String>,
}

/// An investigation as shown.
#[derive(Clone, Debug, Serialize)]
pub struct InvestigationView {
    /// The application.
    pub application_id: i64,
    /// Who investigated (four-eyes: may not approve).
    pub investigator: String,
    /// Visit date.
    pub visited_on: String,
    /// Visit summary.
    pub visit_summary: String,
    /// Checklist.
    pub checklist: Vec<ChecklistItem>,
    /// The figures used, as entered or derived.
    pub figures: serde_json::Value,
    /// Debt-to-income, four decimals.
    pub dti: Option<String>,
    /// Debt-service coverage, four decimals.
    pub dscr: Option<String>,
    /// When recorded.
    pub created_at: String,
    /// The application's status after the assessment that follows the investigation.
    pub application_status: Option<String>,
}

fn view(r: &InvestigationRow) -> InvestigationView {
    InvestigationView {
        application_id: r.application_id,
        investigator: r.investigator.clone(),
        visited_on: r.visited_on.clone(),
        visit_summary: r.visit_summary.clone(),
        checklist: serde_json::from_str(&r.checklist_json).unwrap_or_default(),
        figures: serde_json::from_str(&r.figures_json).unwrap_or_default(),
        dti: r.dti.clone(),
        dscr: r.dscr.clone(),
        created_at: r.created_at.clone(),
        application_status: None,
    }
}

fn amount(field: &str, text: Option<&str>, v: &mut Vec<Violation>) -> Option<Money> {
    crate::input::amount(
        field,
        text?,
        Currency::CNY,
        crate::input::Sign::NonNegative,
        v,
    )
}

/// Records the investigation of application `id`.
///
/// # Errors
/// Forbidden without `document:write`; not found; an application that is not pre-screened
/// or under investigation; every invalid field.
pub async fn investigate(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &InvestigationInput,
) -> Result<InvestigationView, ServiceError> {
    actor.require(Permission::DocumentWrite)?;
    let as_of = app.business_date().await?;
    let a = store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("application {id}")))?;
    let status: ApplicationStatus = a.status.parse().map_err(ServiceError::Conflict)?;
    if status != ApplicationStatus::PreScreened && status != ApplicationStatus::Investigating {
        return Err(ServiceError::Conflict(format!(
            "application {id} is {status}; only a pre-screened application is investigated"
        )));
    }
    let customer = customers::get(app.db().pool(), a.customer_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("customer {}", a.customer_id)))?;
    let mut v = Vec::new();
    match NaiveDate::parse_from_str(&input.visited_on, "%Y-%m-%d") {
        Ok(d) if d <= as_of => {}
        Ok(_) => v.push(Violation::new(
            "visited_on",
            "must not be after the business date",
        )),
        Err(_) => v.push(Violation::new("visited_on", "is not a date (YYYY-MM-DD)")),
    }
    if input.visit_summary.trim().is_empty() || input.visit_summary.chars().count() > 4000 {
        v.push(Violation::new("visit_summary", "must be 1–4000 characters"));
    }
    if input.checklist.iter().any(|c| c.item.trim().is_empty()) || input.checklist.len() > 100 {
        v.push(Violation::new(
            "checklist",
            "at most 100 items, each naming what was checked",
        ));
    }
    let income = amount("monthly_income", input.monthly_income.as_deref(), &mut v).or_else(|| {
        customer
            .monthly_income_minor
            .map(|m| Money::from_minor(m, Currency::CNY))
    });
    let existing_debt = amount(
        "existing_monthly_debt",
        input.existing_monthly_debt.as_deref(),
        &mut v,
    )
    .unwrap_or(Money::zero(Currency::CNY));
    let revenue = amount("annual_revenue", input.annual_revenue.as_deref(), &mut v);
    let profit = amount("annual_profit", input.annual_profit.as_deref(), &mut v);
    let cash_flow = amount(
        "operating_cash_flow",
        input.operating_cash_flow.as_deref(),
        &mut v,
    );
    let existing_service = amount(
        "existing_annual_debt_service",
        input.existing_annual_debt_service.as_deref(),
        &mut v,
    )
    .unwrap_or(Money::zero(Currency::CNY));
    let business = customer.kind == "business";
    if !business && income.is_none_or(|m| !m.is_positive()) {
        v.push(Violation::new(
            "monthly_income",
            "is required for an individual (none on the customer record)",
        ));
    }
    if business && cash_flow.is_none() {
        v.push(Violation::new(
            "operating_cash_flow",
            "is required for a business",
        ));
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    // the new loan's payments at the product's highest rate
    let product = products::load_version(app, &a.product_code, a.product_version).await?;
    let rate =
        AnnualRate::new(product.rate_max).map_err(|e| ServiceError::Conflict(e.to_string()))?;
    let method = a
        .method
        .parse()
        .map_err(|_| ServiceError::Conflict(format!("application {id} has an unknown method")))?;
    let mut terms = ScheduleTerms::new(
        Money::from_minor(a.amount_minor, product.currency),
        rate,
        u32::try_from(a.term_months).unwrap_or(0),
        method,
        as_of,
    );
    terms.frequency = product.frequency;
    terms.rounding = product.rounding;
    terms.day_count = product.day_count;
    let schedule = generate(&terms)
        .map_err(|e| ServiceError::invalid(format!("application.{}", e.field), e.rule))?;
    let largest = schedule
        .installments()
        .iter()
        .map(|i| i.total.amount_minor())
        .max()
        .unwrap_or(0);
    let year_end = as_of.checked_add_months(Months::new(12)).unwrap_or(as_of);
    let first_year: i64 = schedule
        .installments()
        .iter()
        .filter(|i| i.due_date <= year_end)
        .map(|i| i.total.amount_minor())
        .sum();
    let new_installment = Money::from_minor(largest, Currency::CNY);
    let new_service = Money::from_minor(first_year, Currency::CNY);
    let dti = if business {
        None
    } else {
        income.and_then(|i| debt_to_income(i, existing_debt, new_installment))
    };
    let dscr = if business {
        cash_flow.and_then(|c| debt_service_coverage(c, existing_service, new_service))
    } else {
        None
    };
    let figures = serde_json::json!({
        "priced_at_rate": product.rate_max.to_string(),
        "new_installment": new_installment,
        "new_first_year_debt_service": new_service,
        "monthly_income": income,
        "existing_monthly_debt": existing_debt,
        "annual_revenue": revenue,
        "annual_profit": profit,
        "operating_cash_flow": cash_flow,
        "existing_annual_debt_service": existing_service,
    });
    let now = timestamp(app.now());
    let row = InvestigationRow {
        id: 0,
        application_id: id,
        investigator: actor.username.clone(),
        visited_on: input.visited_on.clone(),
        visit_summary: input.visit_summary.trim().to_owned(),
        checklist_json: serde_json::to_string(&input.checklist).unwrap_or_else(|_| "[]".into()),
        figures_json: figures.to_string(),
        dti: dti.map(|d| format!("{d:.4}")),
        dscr: dscr.map(|d| format!("{d:.4}")),
        created_at: now.clone(),
    };
    // the final assessment reads the investigated income and DTI
    let assessed = crate::origination::assessment::assess(
        app,
        &a,
        &customer,
        &product,
        Some(&row),
        "final",
        as_of,
    )
    .await?;
    let mut tx = app.db().begin().await?;
    let mut path = crate::origination::Path::new(status);
    if status == ApplicationStatus::PreScreened {
        path.push(
            id,
            ApplicationStatus::Investigating,
            &actor.username,
            "investigation recorded",
        )?;
    }
    store::insert_investigation(&mut tx, &row).await?;
    record(
        &mut tx,
        actor,
        "application.investigation",
        "application",
        &id.to_string(),
        None,
        Some(serde_json::json!({"dti": row.dti, "dscr": row.dscr, "visited_on": row.visited_on})),
    )
    .await?;
    let after =
        crate::origination::apply_assessment(&mut tx, actor, &a, &mut path, &assessed, &now)
            .await?;
    path.run(&mut tx, id, None, None, &now).await?;
    tx.commit().await?;
    let mut shown = view(&row);
    shown.application_status = Some(after.0.code().to_owned());
    Ok(shown)
}

/// The latest investigation of application `id`.
///
/// # Errors
/// Forbidden without `application:read`; not found.
pub async fn latest(app: &App, actor: &Actor, id: i64) -> Result<InvestigationView, ServiceError> {
    actor.require(Permission::ApplicationRead)?;
    store::latest_investigation(app.db(), id)
        .await?
        .map(|r| view(&r))
        .ok_or_else(|| ServiceError::NotFound(format!("an investigation of application {id}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applications::{self, ApplicationInput};
    use crate::customer_records::upload_document;
    use crate::customers::{self as customer_service, CustomerInput};
    use crate::test_support::apps;

    #[tokio::test]
    async fn an_individual_is_investigated_with_dti() {
        for (app, admin, t) in apps().await {
            let product = serde_json::json!({
                "code": "CONSUMER", "name": "消费贷", "currency": "CNY", "amount_min": "1000", "amount_max": "300000",
                "term_min_months": 3, "term_max_months": 36, "rate_min": "0.0435", "rate_max": "0.0435", "methods": ["annuity"],
                "grace_days": 3, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up"
            });
            products::add(&app, &admin, &product).await.unwrap();
            let c = customer_service::create(
                &app,
                &admin,
                &CustomerInput {
                    kind: "individual".into(),
                    name: "王伟".into(),
                    id_number: Some("110101199003078515".into()),
                    phone: Some("13800138000".into()),
                    monthly_income: Some("18500".into()),
                    ..CustomerInput::default()
                },
            )
            .await
            .unwrap();
            upload_document(&app, &admin, c.id, "id_card", "id.pdf", b"%PDF-1.7\n")
                .await
                .unwrap();
            let a = applications::create(
                &app,
                &admin,
                &ApplicationInput {
                    customer_id: c.id,
                    product_code: "CONSUMER".into(),
                    amount: "100000".into(),
                    term_months: 12,
                    method: "annuity".into(),
                    purpose: "装修".into(),
                    channel: "branch".into(),
                    device_id: None,
                    bank_card: None,
                },
            )
            .await
            .unwrap();
            // not yet pre-screened
            let input = InvestigationInput {
                visited_on: "2026-11-20".into(),
                visit_summary: "现场核实工作单位与住址".into(),
                checklist: vec![ChecklistItem {
                    item: "身份证原件".into(),
                    verified: true,
                    note: String::new(),
                }],
                existing_monthly_debt: Some("2000".into()),
                ..InvestigationInput::default()
            };
            assert!(
                matches!(
                    investigate(&app, &admin, a.id, &input).await,
                    Err(ServiceError::Conflict(_))
                ),
                "{}",
                t.label
            );
            assert_eq!(
                applications::submit(&app, &admin, a.id)
                    .await
                    .unwrap()
                    .status,
                "pre_screened"
            );
            let bad = InvestigationInput {
                visited_on: "2026-12-01".into(),
                visit_summary: String::new(),
                ..InvestigationInput::default()
            };
            let Err(ServiceError::Invalid(v)) = investigate(&app, &admin, a.id, &bad).await else {
                panic!()
            };
            assert_eq!(
                v.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(),
                ["visited_on", "visit_summary"]
            );
            let report = investigate(&app, &admin, a.id, &input).await.unwrap();
            // 100000 at 4.35% over 12 months: 8530.99 a month, the last 8531.01 (the largest);
            // (2000 + 8531.01) / 18500 = 0.56924… → 0.5692; first-year service 102371.90
            assert_eq!(report.figures["new_installment"], "8531.01");
            assert_eq!(report.figures["new_first_year_debt_service"], "102371.90");
            assert_eq!(report.dti.as_deref(), Some("0.5692"));
            assert_eq!(report.dscr, None);
            // no credit policy is active: the final assessment refers it to people
            assert_eq!(report.application_status.as_deref(), Some("in_review"));
            assert_eq!(
                applications::get(&app, &admin, a.id).await.unwrap().status,
                "in_review"
            );
            assert_eq!(
                latest(&app, &admin, a.id).await.unwrap().investigator,
                "system"
            );
        }
    }
}
