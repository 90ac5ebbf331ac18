//! Loan products: define a product from JSON, create versions, read them.
//!
//! A product file needs `code`, `name`, `currency`, `amount_min`, `amount_max`,
//! `term_min_months`, `term_max_months`, `rate_min`, `rate_max`, `methods`,
//! `grace_days`, `penalty_multiplier`, `compound_interest` and `rounding`; everything
//! else has a default (docs/products.md). Amounts are strings such as "1000.00" (or
//! whole numbers); rates are strings such as "0.0435".

use loanbook_core::date::{DayCount, Frequency};
use loanbook_core::money::{Currency, Money};
use loanbook_core::product::{Component, Eligibility, Fees, Product};
use loanbook_core::rounding::Rounding;
use loanbook_core::schedule::RepaymentMethod;
use loanbook_store::audit::timestamp;
use loanbook_store::products::{self, ProductRow};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// A stored product version.
#[derive(Clone, Debug, Serialize)]
pub struct ProductVersion {
    /// Code.
    pub code: String,
    /// Version, from 1.
    pub version: i64,
    /// Status.
    pub status: String,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// The definition, with every default filled in.
    pub product: Value,
}

fn view(row: &ProductRow) -> Result<ProductVersion, ServiceError> {
    let product = serde_json::from_str(&row.config_json).map_err(|e| {
        ServiceError::Conflict(format!(
            "product {} v{} is unreadable: {e}",
            row.code, row.version
        ))
    })?;
    Ok(ProductVersion {
        code: row.code.clone(),
        version: row.version,
        status: row.status.clone(),
        created_by: row.created_by.clone(),
        created_at: row.created_at.clone(),
        product,
    })
}

/// Reads fields out of a JSON object, collecting every violation.
struct Reader<'a> {
    object: &'a Map<String, Value>,
    /// Prepended to field names: `fees.` for the fields of `fees`.
    prefix: &'static str,
    violations: Vec<Violation>,
}

impl<'a> Reader<'a> {
    fn new(object: &'a Map<String, Value>, prefix: &'static str) -> Reader<'a> {
        Reader {
            object,
            prefix,
            violations: Vec::new(),
        }
    }

    /// The field's value; a missing required field is a violation.
    fn value(&mut self, field: &str, required: bool) -> Option<&'a Value> {
        let v = self.object.get(field).filter(|v| !v.is_null());
        if v.is_none() && required {
            self.fail(field, "is required");
        }
        v
    }

    fn fail(&mut self, field: &str, rule: impl Into<String>) {
        self.violations
            .push(Violation::new(format!("{}{field}", self.prefix), rule));
    }

    fn text(&mut self, field: &str, required: bool, default: &str) -> String {
        let value = self.value(field, required);
        match value {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => default.to_owned(),
            Some(_) => {
                self.fail(field, "must be a string");
                default.to_owned()
            }
        }
    }

    fn money(&mut self, field: &str, currency: Currency, required: bool) -> Money {
        let value = self.value(field, required);
        let text = match value {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
            Some(Value::Number(_)) => {
                self.fail(
                    field,
                    "write amounts with decimals as strings, e.g. \"1000.50\"",
                );
                return Money::zero(currency);
            }
            None | Some(Value::Null) => return Money::zero(currency),
            Some(_) => {
                self.fail(field, "must be an amount such as \"1000.00\"");
                return Money::zero(currency);
            }
        };
        Money::parse(&text, currency).unwrap_or_else(|e| {
            self.fail(field, e.to_string());
            Money::zero(currency)
        })
    }

    fn decimal(&mut self, field: &str, required: bool, default: &str) -> Decimal {
        let value = self.value(field, required);
        let text = match value {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
            None | Some(Value::Null) => default.to_owned(),
            Some(_) => {
                self.fail(field, "must be a decimal string such as \"0.0435\"");
                return Decimal::ZERO;
            }
        };
        text.parse().unwrap_or_else(|_| {
            self.fail(field, format!("'{text}' is not a decimal number"));
            Decimal::ZERO
        })
    }

    fn count(&mut self, field: &str, required: bool, default: u32) -> u32 {
        let value = self.value(field, required);
        match value {
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or_else(|| {
                    self.fail(field, "must be a whole number ≥ 0");
                    default
                }),
            None | Some(Value::Null) => default,
            Some(_) => {
                self.fail(field, "must be a whole number");
                default
            }
        }
    }

    fn flag(&mut self, field: &str, required: bool, default: bool) -> bool {
        let value = self.value(field, required);
        match value {
            Some(Value::Bool(b)) => *b,
            None | Some(Value::Null) => default,
            Some(_) => {
                self.fail(field, "must be true or false");
                default
            }
        }
    }

    fn strings(&mut self, field: &str, required: bool) -> Vec<String> {
        let value = self.value(field, required);
        match value {
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            None | Some(Value::Null) => Vec::new(),
            Some(_) => {
                self.fail(field, "must be a list of strings");
                Vec::new()
            }
        }
    }

    fn parsed<T: std::str::FromStr>(&mut self, field: &str, text: &str, default: T) -> T
    where
        T::Err: std::fmt::Display,
    {
        text.parse().unwrap_or_else(|e: T::Err| {
            self.fail(field, e.to_string());
            default
        })
    }
}

/// The object in `field` (empty when absent or not an object).
fn nested(object: &Map<String, Value>, field: &str) -> Map<String, Value> {
    object
        .get(field)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Parses a product definition, collecting every violation.
///
/// # Errors
/// [`ServiceError::Invalid`] listing every field and rule broken.
pub fn parse_product(json: &Value) -> Result<Product, ServiceError> {
    let Some(object) = json.as_object() else {
        return Err(ServiceError::invalid("product", "must be a JSON object"));
    };
    let mut r = Reader::new(object, "");
    let code = r.text("code", true, "");
    let name = r.text("name", true, "");
    let currency_text = r.text("currency", true, "CNY");
    let currency = Currency::from_code(&currency_text).unwrap_or_else(|e| {
        r.fail("currency", e.to_string());
        Currency::CNY
    });
    let amount_min = r.money("amount_min", currency, true);
    let amount_max = r.money("amount_max", currency, true);
    let term_min_months = r.count("term_min_months", true, 1);
    let term_max_months = r.count("term_max_months", true, 1);
    let rate_min = r.decimal("rate_min", true, "0");
    let rate_max = r.decimal("rate_max", true, "0");
    let methods = r
        .strings("methods", true)
        .iter()
        .filter_map(|m| {
            m.parse::<RepaymentMethod>()
                .map_err(|e| r.fail("methods", e.to_string()))
                .ok()
        })
        .collect();
    let frequency_text = r.text("frequency", false, "monthly");
    let frequency = r.parsed::<Frequency>("frequency", &frequency_text, Frequency::Monthly);
    let rounding_text = r.text("rounding", true, "half_up");
    let rounding = r.parsed::<Rounding>("rounding", &rounding_text, Rounding::HalfUp);
    let day_count_text = r.text("day_count", false, "30/360");
    let day_count = r.parsed::<DayCount>("day_count", &day_count_text, DayCount::Thirty360);
    let grace_days = r.count("grace_days", true, 0);
    let penalty_multiplier = r.decimal("penalty_multiplier", true, "1.5");
    let compound_interest = r.flag("compound_interest", true, true);
    let fees_object = nested(object, "fees");
    let mut fr = Reader::new(&fees_object, "fees.");
    let fees = Fees {
        origination_rate: fr.decimal("origination_rate", false, "0"),
        origination_fixed: fr.money("origination_fixed", currency, false),
        late_fee: fr.money("late_fee", currency, false),
    };
    r.violations.extend(fr.violations);
    let prepayment_penalty_rate = r.decimal("prepayment_penalty_rate", false, "0");
    let eligibility_object = nested(object, "eligibility");
    let mut er = Reader::new(&eligibility_object, "eligibility.");
    let eligibility = Eligibility {
        age_min: er.count("age_min", false, 18),
        age_max: er.count("age_max", false, 65),
        provinces: er.strings("provinces", false),
    };
    r.violations.extend(er.violations);
    let required_documents = r.strings("required_documents", false);
    let secured = r.flag("secured", false, false);
    let order_codes = r.strings("allocation_order", false);
    let allocation_order = if order_codes.is_empty() {
        Component::DEFAULT_ORDER.to_vec()
    } else {
        order_codes
            .iter()
            .filter_map(|c| {
                let parsed = Component::parse(c);
                if parsed.is_none() {
                    r.fail("allocation_order", format!("unknown component '{c}'"));
                }
                parsed
            })
            .collect()
    };
    let funding_source = Some(r.text("funding_source", false, "")).filter(|s| !s.is_empty());
    let apr_cap = r.decimal("apr_cap", false, "0.24");
    let product = Product {
        code,
        name,
        currency,
        amount_min,
        amount_max,
        term_min_months,
        term_max_months,
        rate_min,
        rate_max,
        methods,
        frequency,
        rounding,
        day_count,
        grace_days,
        penalty_multiplier,
        compound_interest,
        fees,
        prepayment_penalty_rate,
        eligibility,
        required_documents,
        secured,
        allocation_order,
        funding_source,
        apr_cap,
    };
    if r.violations.is_empty() {
        r.violations.extend(
            product
                .check()
                .into_iter()
                .map(|e| Violation::new(e.field, e.rule)),
        );
    }
    if r.violations.is_empty() {
        Ok(product)
    } else {
        Err(ServiceError::Invalid(r.violations))
    }
}

/// Creates a product, or a new version of an existing code.
///
/// # Errors
/// Forbidden without `product:write`; [`ServiceError::Invalid`] with every rule broken.
pub async fn add(app: &App, actor: &Actor, json: &Value) -> Result<ProductVersion, ServiceError> {
    actor.require(Permission::ProductWrite)?;
    let product = parse_product(json)?;
    let config =
        serde_json::to_value(&product).map_err(|e| ServiceError::Conflict(e.to_string()))?;
    let row = ProductRow {
        id: 0,
        code: product.code.clone(),
        version: 0,
        name: product.name.clone(),
        currency: product.currency.code().into(),
        status: "active".into(),
        config_json: config.to_string(),
        created_by: actor.username.clone(),
        created_at: timestamp(app.now()),
    };
    let mut tx = app.db().begin().await?;
    let version = products::insert_next_version(&mut tx, &row).await?;
    record(
        &mut tx,
        actor,
        "product.create_version",
        "product",
        &format!("{}@{version}", row.code),
        None,
        Some(config),
    )
    .await?;
    tx.commit().await?;
    view(&ProductRow { version, ..row })
}

/// The latest version of every product.
///
/// # Errors
/// Forbidden without `product:read`.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<ProductVersion>, ServiceError> {
    actor.require(Permission::ProductRead)?;
    products::latest_all(app.db())
        .await?
        .iter()
        .map(view)
        .collect()
}

/// Version `version` of `code` (the latest when `None`).
///
/// # Errors
/// Forbidden without `product:read`; [`ServiceError::NotFound`].
pub async fn get(
    app: &App,
    actor: &Actor,
    code: &str,
    version: Option<i64>,
) -> Result<ProductVersion, ServiceError> {
    actor.require(Permission::ProductRead)?;
    let row = products::get(app.db(), code, version)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("product {code}")))?;
    view(&row)
}

/// Every version of `code`.
///
/// # Errors
/// Forbidden without `product:read`; [`ServiceError::NotFound`].
pub async fn versions(
    app: &App,
    actor: &Actor,
    code: &str,
) -> Result<Vec<ProductVersion>, ServiceError> {
    actor.require(Permission::ProductRead)?;
    let rows = products::versions(app.db(), code).await?;
    if rows.is_empty() {
        return Err(ServiceError::NotFound(format!("product {code}")));
    }
    rows.iter().map(view).collect()
}

/// Product `code` at `version`, parsed (for a use case that already holds an
/// application or a loan made under it).
///
/// # Errors
/// Not found; a stored definition that no longer parses.
pub(crate) async fn load_version(
    app: &App,
    code: &str,
    version: i64,
) -> Result<Product, ServiceError> {
    let key = (code.to_owned(), version);
    if let Some(p) = app
        .cache()
        .lock()
        .ok()
        .and_then(|c| c.products.get(&key).cloned())
    {
        return Ok((*p).clone());
    }
    let row = products::get(app.db(), code, Some(version))
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("product {code}@{version}")))?;
    let json: Value = serde_json::from_str(&row.config_json)
        .map_err(|e| ServiceError::Conflict(format!("product {code}@{version}: {e}")))?;
    let product = parse_product(&json)?;
    if let Ok(mut c) = app.cache().lock() {
        c.products.insert(key, std::sync::Arc::new(product.clone()));
    }
    Ok(product)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::apps;

    pub(crate) fn consumer() -> Value {
        serde_json::json!({
            "code": "CONSUMER-12", "name": "个人消费贷", "currency": "CNY",
            "amount_min": "1000.00", "amount_max": "200000.00",
            "term_min_months": 3, "term_max_months": 36,
            "rate_min": "0.0435", "rate_max": "0.18",
            "methods": ["annuity", "equal_principal"],
            "grace_days": 3, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
            "eligibility": {"provinces": ["广东省"]}
        })
    }

    #[tokio::test]
    async fn versions_are_kept_and_defaults_filled() {
        for (app, admin, t) in apps().await {
            let v1 = add(&app, &admin, &consumer()).await.unwrap();
            assert_eq!(v1.version, 1, "{}", t.label);
            assert_eq!(v1.product["day_count"], "30/360");
            assert_eq!(v1.product["amount_max"], "200000.00");
            assert_eq!(v1.product["allocation_order"][0], "fees");
            assert_eq!(v1.product["eligibility"]["age_min"], 18);
            let mut edited = consumer();
            edited["rate_max"] = "0.2".into();
            let v2 = add(&app, &admin, &edited).await.unwrap();
            assert_eq!(v2.version, 2);
            assert_eq!(
                get(&app, &admin, "CONSUMER-12", None)
                    .await
                    .unwrap()
                    .product["rate_max"],
                "0.2"
            );
            assert_eq!(
                get(&app, &admin, "CONSUMER-12", Some(1))
                    .await
                    .unwrap()
                    .product["rate_max"],
                "0.18"
            );
            assert_eq!(
                versions(&app, &admin, "CONSUMER-12").await.unwrap().len(),
                2
            );
            assert_eq!(list(&app, &admin).await.unwrap().len(), 1);
        }
    }

    #[tokio::test]
    async fn every_broken_rule_is_listed_and_nothing_written() {
        for (app, admin, t) in apps().await {
            let mut bad = consumer();
            bad["amount_min"] = "-5".into();
            bad["methods"] = serde_json::json!(["balloon"]);
            bad["rounding"] = "up".into();
            bad.as_object_mut().unwrap().remove("grace_days");
            let Err(ServiceError::Invalid(v)) = add(&app, &admin, &bad).await else {
                panic!("{}", t.label)
            };
            let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
            assert_eq!(fields, ["methods", "rounding", "grace_days"], "{v:?}");
            // rules between fields come once the fields themselves parse
            let mut bad = consumer();
            bad["amount_min"] = "300000".into();
            bad["rate_max"] = "0.30".into();
            let Err(ServiceError::Invalid(v)) = add(&app, &admin, &bad).await else {
                panic!()
            };
            let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
            assert_eq!(fields, ["amount_max", "rate_max"], "{v:?}");
            assert!(list(&app, &admin).await.unwrap().is_empty());
        }
    }
}
