//! Binding a model's variables to the fields loanbook holds, checked when the model is
//! deployed — never discovered missing while scoring an applicant.
//!
//! A mapping is a JSON object `{"variable": "source.field"}` where the source is
//! `application` (fields of a loan application), `customer` (the customer record) or
//! `credit_report` (any key of the latest credit-report snapshot).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::binning::BinRule;
use super::model::Model;

/// Whether a field holds numbers or text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A number.
    Numeric,
    /// Text.
    Text,
}

/// The customer fields a model may read.
pub const CUSTOMER_FIELDS: &[(&str, FieldKind)] = &[
    ("age", FieldKind::Numeric),
    ("monthly_income", FieldKind::Numeric),
    ("employment_years", FieldKind::Numeric),
    ("province", FieldKind::Text),
    ("city", FieldKind::Text),
    ("housing", FieldKind::Text),
    ("education", FieldKind::Text),
    ("marital_status", FieldKind::Text),
    ("sex", FieldKind::Text),
    ("industry", FieldKind::Text),
    ("annual_revenue", FieldKind::Numeric),
    ("registered_capital", FieldKind::Numeric),
    ("employees", FieldKind::Numeric),
];

/// The application fields a model may read.
pub const APPLICATION_FIELDS: &[(&str, FieldKind)] = &[
    ("amount", FieldKind::Numeric),
    ("term_months", FieldKind::Numeric),
    ("purpose", FieldKind::Text),
    ("method", FieldKind::Text),
    ("channel", FieldKind::Text),
];

/// A model's declared bindings: variable → `source.field`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Mapping(pub BTreeMap<String, String>);

/// Where a variable's value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Binding {
    /// The model variable.
    pub variable: String,
    /// `application`, `customer` or `credit_report`.
    pub source: String,
    /// The field.
    pub field: String,
}

fn kind_of(source: &str, field: &str) -> Result<Option<FieldKind>, String> {
    let table = match source {
        "customer" => CUSTOMER_FIELDS,
        "application" => APPLICATION_FIELDS,
        "credit_report" if !field.is_empty() => return Ok(None),
        _ => {
            return Err(format!(
                "unknown source '{source}': use application, customer or credit_report"
            ));
        }
    };
    table
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, kind)| Some(*kind))
        .ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            format!(
                "{source} has no field '{field}' (it has {})",
                names.join(", ")
            )
        })
}

/// Checks that every variable of `model` is bound to a known field of a matching kind.
///
/// # Errors
/// Every problem: a variable without a binding, an unknown source or field, a numeric
/// variable bound to a text field (or the reverse), a binding for no variable.
pub fn check(model: &Model, mapping: &Mapping) -> Result<Vec<Binding>, Vec<String>> {
    let mut problems = Vec::new();
    let mut bindings = Vec::new();
    for variable in &model.variables {
        let name = &variable.binning.name;
        let Some(path) = mapping.0.get(name) else {
            problems.push(format!(
                "{name}: no binding (map it to application.*, customer.* or credit_report.*)"
            ));
            continue;
        };
        let Some((source, field)) = path.split_once('.') else {
            problems.push(format!("{name}: '{path}' is not source.field"));
            continue;
        };
        match kind_of(source, field) {
            Err(e) => problems.push(format!("{name}: {e}")),
            Ok(kind) => {
                let wants = match variable.binning.rule {
                    BinRule::Numeric { .. } => FieldKind::Numeric,
                    BinRule::Categorical { .. } => FieldKind::Text,
                };
                if let Some(kind) = kind.filter(|k| *k != wants) {
                    problems.push(format!(
                        "{name}: the model bins it as {wants:?} but {path} is {kind:?}"
                    ));
                } else {
                    bindings.push(Binding {
                        variable: name.clone(),
                        source: source.into(),
                        field: field.into(),
                    });
                }
            }
        }
    }
    for variable in mapping.0.keys() {
        if !model.variables.iter().any(|v| &v.binning.name == variable) {
            problems.push(format!(
                "{variable}: bound, but the model has no such variable"
            ));
        }
    }
    if problems.is_empty() {
        Ok(bindings)
    } else {
        Err(problems)
    }
}

/// A field's value as loanbook holds it, before it becomes a model input.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// An amount in minor units (fen); the model reads yuan.
    Minor(i64),
    /// A whole number (months, years, people, an age).
    Int(i64),
    /// Text.
    Text(String),
    /// A value of a credit-report snapshot, as stored.
    Json(serde_json::Value),
    /// Not on file.
    Missing,
}

/// The model input for a field value. Scorecard inputs are statistical features, not
/// money: an amount becomes a float of yuan for binning, as the model was trained.
#[allow(clippy::cast_precision_loss, clippy::float_arithmetic)]
pub fn model_value(value: &FieldValue) -> super::model::Value {
    use super::model::Value;
    match value {
        FieldValue::Minor(m) => Value::Number(*m as f64 / 100.0),
        FieldValue::Int(n) => Value::Number(*n as f64),
        FieldValue::Text(t) => Value::Text(t.clone()),
        FieldValue::Json(serde_json::Value::Number(n)) => {
            n.as_f64().map_or(Value::Missing, Value::Number)
        }
        FieldValue::Json(serde_json::Value::String(t)) => Value::Text(t.clone()),
        FieldValue::Json(serde_json::Value::Bool(b)) => Value::Text(b.to_string()),
        FieldValue::Json(_) | FieldValue::Missing => Value::Missing,
    }
}

/// Whether the subject (an application id) is also scored by the challenger: a stable
/// hash of the subject falls in the first `share_basis_points` of 10,000.
pub fn selects_challenger(subject: &str, share_basis_points: u32) -> bool {
    // FNV-1a: stable across machines and runs
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in subject.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (hash % 10_000) < u64::from(share_basis_points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenger_share_is_stable_and_close_to_its_target() {
        let chosen = (0..100_000)
            .filter(|i| selects_challenger(&format!("APP-{i}"), 1_000))
            .count();
        // 10% of 100,000 = 10,000, within 3%
        assert!((9_700..=10_300).contains(&chosen), "{chosen}");
        assert_eq!(
            selects_challenger("APP-42", 1_000),
            selects_challenger("APP-42", 1_000)
        );
        assert!(!selects_challenger("APP-42", 0));
        assert!(selects_challenger("APP-42", 10_000));
    }
}

#[cfg(test)]
mod value_tests {
    use super::*;
    use crate::scorecard::model::Value;

    #[test]
    fn field_values_become_model_inputs() {
        // 3,000,000 fen = 30000 yuan
        assert_eq!(
            model_value(&FieldValue::Minor(3_000_000)),
            Value::Number(30000.0)
        );
        assert_eq!(model_value(&FieldValue::Int(12)), Value::Number(12.0));
        assert_eq!(
            model_value(&FieldValue::Json(serde_json::json!("none"))),
            Value::Text("none".into())
        );
        assert_eq!(
            model_value(&FieldValue::Json(serde_json::json!(1))),
            Value::Number(1.0)
        );
        assert_eq!(
            model_value(&FieldValue::Json(serde_json::Value::Null)),
            Value::Missing
        );
        assert_eq!(model_value(&FieldValue::Missing), Value::Missing);
    }
}
