//! Credit policy as versioned decision tables (JDM-like, our own evaluator): the rules a
//! credit analyst owns — hard declines, referrals, grade, price, limit — kept as data, so a
//! policy change is an import with a new fingerprint rather than a release.
//!
//! A policy is a list of tables evaluated in order over one context (facts about the
//! application). Each table's rules have conditions on context fields ([`Condition`]) and
//! outputs that are written back into the context, so later tables read earlier outputs.
//! Rules are numbered from 0 in file order, in errors and in the trace alike.

pub mod condition;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

pub use condition::{Condition, ConditionError};

/// The most tables in a policy.
pub const MAX_TABLES: usize = 64;
/// The most rules in one table.
pub const MAX_RULES: usize = 1_000;
/// The most conditions in one rule.
pub const MAX_CONDITIONS: usize = 64;
/// The most outputs of one rule.
pub const MAX_OUTPUTS: usize = 64;
/// The largest policy text read, in bytes.
pub const MAX_POLICY_BYTES: usize = 16 * 1024 * 1024;

/// A fact or an output: what a condition is tested against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A number (amounts in yuan, ratios, scores, counts).
    Number(Decimal),
    /// A text (codes, grades, kinds).
    Text(String),
    /// A flag.
    Bool(bool),
    /// Not known.
    Missing,
}

impl Value {
    /// The number, if this is one.
    pub fn as_number(&self) -> Option<Decimal> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// Reads one JSON output value: numbers and numeric strings become numbers (read from
    /// their text, never through binary floating point), `null` becomes Missing.
    fn from_json_output(raw: &RawValue) -> Result<Value, String> {
        let text = raw.get().trim();
        match text {
            "null" => return Ok(Value::Missing),
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            _ => {}
        }
        if text.starts_with('"') {
            let s: String = serde_json::from_str(text).map_err(|e| e.to_string())?;
            return Ok(match Decimal::from_str(s.trim()) {
                Ok(n) if !s.trim().is_empty() => Value::Number(n),
                _ => Value::Text(s),
            });
        }
        if text.starts_with(['[', '{']) {
            return Err("an output must be a number, a text, true, false or null".into());
        }
        Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map(Value::Number)
            .map_err(|e| format!("number {text} does not fit a decimal: {e}"))
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => write!(f, "{}", n.normalize()),
            Value::Text(t) => f.write_str(t),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Missing => f.write_str("null"),
        }
    }
}

/// JSON: numbers as decimal strings (`"0.0725"`), texts as strings, flags as booleans,
/// Missing as `null`.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Number(n) => serializer.collect_str(&n.normalize()),
            Value::Text(t) => serializer.serialize_str(t),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Missing => serializer.serialize_none(),
        }
    }
}

impl From<Decimal> for Value {
    fn from(n: Decimal) -> Value {
        Value::Number(n)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(Decimal::from(n))
    }
}
impl From<&str> for Value {
    fn from(t: &str) -> Value {
        Value::Text(t.to_owned())
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

/// How a table's matching rules are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HitPolicy {
    /// The first matching rule, in order.
    First,
    /// Every matching rule, in order (a later rule's output wins in the context).
    Collect,
    /// At most one rule may match; more is an evaluation error.
    Unique,
}

/// One rule: conditions on context fields, outputs into the context.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rule {
    /// The analyst's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Conditions by field; all must hold.
    pub when: BTreeMap<String, Condition>,
    /// Outputs by field.
    pub then: BTreeMap<String, Value>,
}

impl Rule {
    fn matches(&self, context: &BTreeMap<String, Value>) -> bool {
        self.when
            .iter()
            .all(|(field, c)| c.matches(context.get(field).unwrap_or(&Value::Missing)))
    }
}

/// One decision table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    /// Name, unique in the policy.
    pub name: String,
    /// The analyst's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How matching rules are used.
    pub hit_policy: HitPolicy,
    /// The rules, in order.
    pub rules: Vec<Rule>,
}

impl Table {
    /// Indexes of the rules that apply under the hit policy.
    fn applying(&self, context: &BTreeMap<String, Value>) -> Result<Vec<usize>, PolicyError> {
        let mut matching = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(context))
            .map(|(i, _)| i);
        match self.hit_policy {
            HitPolicy::First => Ok(matching.next().into_iter().collect()),
            HitPolicy::Collect => Ok(matching.collect()),
            HitPolicy::Unique => {
                let all: Vec<usize> = matching.collect();
                if all.len() > 1 {
                    return Err(PolicyError::NotUnique {
                        table: self.name.clone(),
                        rules: all,
                    });
                }
                Ok(all)
            }
        }
    }
}

/// A loaded, validated credit policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Policy {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    tables: Vec<Table>,
    #[serde(skip)]
    fingerprint: String,
}

/// What a table did: the rules that applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableTrace {
    /// Table name.
    pub table: String,
    /// Indexes of the rules applied, in order.
    pub matched: Vec<usize>,
}

/// The outputs of one applied rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Emitted {
    /// Table name.
    pub table: String,
    /// Rule index in the table.
    pub rule: usize,
    /// The rule's outputs.
    pub outputs: BTreeMap<String, Value>,
}

/// The result of running a policy over an application's facts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Name of the policy run.
    pub policy: String,
    /// Its fingerprint, to tie the result to the version.
    pub fingerprint: String,
    /// The facts plus every output, as the last table left them.
    pub context: BTreeMap<String, Value>,
    /// Per table, the rules that applied ("the policy trace").
    pub trace: Vec<TableTrace>,
    /// Every applied rule's outputs in order, including those a later rule overwrote in
    /// the context (several declines of one `collect` table).
    pub emitted: Vec<Emitted>,
}

/// Why a policy did not load or could not decide.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not JSON of the policy format.
    #[error("not a credit policy: {0}")]
    Format(String),
    /// Text beyond [`MAX_POLICY_BYTES`].
    #[error("the policy is {bytes} bytes long, the limit is {max}")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A name that is empty.
    #[error("{what} has an empty name")]
    EmptyName {
        /// `the policy` or `table N`.
        what: String,
    },
    /// Zero tables, or more than [`MAX_TABLES`].
    #[error("the policy has {count} tables; it needs 1 to {max}")]
    TableCount {
        /// Tables found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Two tables of one name.
    #[error("two tables are named '{table}'")]
    DuplicateTable {
        /// The name.
        table: String,
    },
    /// A hit policy other than first, collect, unique.
    #[error("table '{table}': hit policy '{hit_policy}' is not one of first, collect, unique")]
    HitPolicy {
        /// Table name.
        table: String,
        /// What it said.
        hit_policy: String,
    },
    /// More than [`MAX_RULES`] rules.
    #[error("table '{table}' has {count} rules, the limit is {max}")]
    TooManyRules {
        /// Table name.
        table: String,
        /// Rules found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// More than [`MAX_CONDITIONS`] conditions or [`MAX_OUTPUTS`] outputs in a rule.
    #[error("table '{table}', rule {rule} has {count} {what}, the limit is {max}")]
    RuleTooLarge {
        /// Table name.
        table: String,
        /// Rule index.
        rule: usize,
        /// `conditions` or `outputs`.
        what: &'static str,
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A condition that does not read.
    #[error(
        "table '{table}', rule {rule}, field '{field}': condition '{text}' does not read: {problem}"
    )]
    Condition {
        /// Table name.
        table: String,
        /// Rule index.
        rule: usize,
        /// Field tested.
        field: String,
        /// The condition text.
        text: String,
        /// What is wrong.
        problem: String,
    },
    /// An output that is not a plain value, or a field given twice.
    #[error("table '{table}', rule {rule}, field '{field}': {problem}")]
    Field {
        /// Table name.
        table: String,
        /// Rule index.
        rule: usize,
        /// The field.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// More than one rule of a `unique` table matched.
    #[error(
        "table '{table}' has hit policy unique but rules {} all match",
        join(rules)
    )]
    NotUnique {
        /// Table name.
        table: String,
        /// The rules that matched.
        rules: Vec<usize>,
    },
}

fn join(xs: &[usize]) -> String {
    xs.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Policy {
    /// Reads and validates a policy: every condition is parsed here, so a bad one is a
    /// load error and never a surprise while deciding.
    ///
    /// # Errors
    /// Text that is not JSON of the format; an empty policy or table name; zero or more
    /// than [`MAX_TABLES`] tables; duplicate table names; an unknown hit policy; more than
    /// [`MAX_RULES`] rules, [`MAX_CONDITIONS`] conditions or [`MAX_OUTPUTS`] outputs; a
    /// condition that does not read; an output that is an array or object; a field given
    /// twice in one rule's `when` or `then`. Each names the table, the rule and the field.
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge {
                bytes: text.len(),
                max: MAX_POLICY_BYTES,
            });
        }
        let raw: RawPolicy =
            serde_json::from_str(text).map_err(|e| PolicyError::Format(e.to_string()))?;
        if raw.name.trim().is_empty() {
            return Err(PolicyError::EmptyName {
                what: "the policy".into(),
            });
        }
        if raw.tables.is_empty() || raw.tables.len() > MAX_TABLES {
            return Err(PolicyError::TableCount {
                count: raw.tables.len(),
                max: MAX_TABLES,
            });
        }
        let mut tables: Vec<Table> = Vec::with_capacity(raw.tables.len());
        for (index, t) in raw.tables.into_iter().enumerate() {
            let table = build_table(index, t)?;
            if tables.iter().any(|x| x.name == table.name) {
                return Err(PolicyError::DuplicateTable { table: table.name });
            }
            tables.push(table);
        }
        let mut policy = Policy {
            name: raw.name,
            description: raw.description,
            tables,
            fingerprint: String::new(),
        };
        policy.fingerprint = hex::encode(Sha256::digest(policy.canonical_json()?.as_bytes()));
        Ok(policy)
    }

    /// The canonical JSON of the policy: sorted fields, canonical condition texts,
    /// normalised numbers. It loads back to the same policy; the fingerprint covers it.
    ///
    /// # Errors
    /// None in practice (serialising these types does not fail); reported as
    /// [`PolicyError::Format`].
    pub fn canonical_json(&self) -> Result<String, PolicyError> {
        serde_json::to_string(self).map_err(|e| PolicyError::Format(e.to_string()))
    }

    /// Hex SHA-256 of [`Policy::canonical_json`]: the version identity. Layout, key order
    /// and spacing of the imported text do not change it; any rule change does.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tables, in evaluation order.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// Runs the tables in order over `facts`.
    ///
    /// # Errors
    /// [`PolicyError::NotUnique`] when more than one rule of a `unique` table matches.
    pub fn evaluate(&self, facts: &BTreeMap<String, Value>) -> Result<Evaluation, PolicyError> {
        let mut context = facts.clone();
        let mut trace = Vec::with_capacity(self.tables.len());
        let mut emitted = Vec::new();
        for table in &self.tables {
            // a table sees the context as it stood before its own rules applied
            let matched = table.applying(&context)?;
            for &rule in &matched {
                let outputs = &table.rules[rule].then;
                for (field, value) in outputs {
                    context.insert(field.clone(), value.clone());
                }
                emitted.push(Emitted {
                    table: table.name.clone(),
                    rule,
                    outputs: outputs.clone(),
                });
            }
            trace.push(TableTrace {
                table: table.name.clone(),
                matched,
            });
        }
        Ok(Evaluation {
            policy: self.name.clone(),
            fingerprint: self.fingerprint.clone(),
            context,
            trace,
            emitted,
        })
    }
}

fn build_table(index: usize, raw: RawTable) -> Result<Table, PolicyError> {
    if raw.name.trim().is_empty() {
        return Err(PolicyError::EmptyName {
            what: format!("table {index}"),
        });
    }
    let name = raw.name;
    let hit_policy = match raw.hit_policy.as_str() {
        "first" => HitPolicy::First,
        "collect" => HitPolicy::Collect,
        "unique" => HitPolicy::Unique,
        other => {
            return Err(PolicyError::HitPolicy {
                table: name,
                hit_policy: other.to_owned(),
            });
        }
    };
    if raw.rules.len() > MAX_RULES {
        return Err(PolicyError::TooManyRules {
            table: name,
            count: raw.rules.len(),
            max: MAX_RULES,
        });
    }
    let rules = raw
        .rules
        .into_iter()
        .enumerate()
        .map(|(rule, r)| build_rule(&name, rule, r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Table {
        name,
        description: raw.description,
        hit_policy,
        rules,
    })
}

fn build_rule(table: &str, rule: usize, raw: RawRule) -> Result<Rule, PolicyError> {
    let too_large = |what, count, max| PolicyError::RuleTooLarge {
        table: table.to_owned(),
        rule,
        what,
        count,
        max,
    };
    let field_error = |field: &str, problem: String| PolicyError::Field {
        table: table.to_owned(),
        rule,
        field: field.to_owned(),
        problem,
    };
    if raw.when.0.len() > MAX_CONDITIONS {
        return Err(too_large("conditions", raw.when.0.len(), MAX_CONDITIONS));
    }
    if raw.then.0.len() > MAX_OUTPUTS {
        return Err(too_large("outputs", raw.then.0.len(), MAX_OUTPUTS));
    }
    let mut when = BTreeMap::new();
    for (field, cell) in raw.when.0 {
        let text = cell_text(&cell).map_err(|p| field_error(&field, p))?;
        let condition = Condition::parse(&text).map_err(|e| PolicyError::Condition {
            table: table.to_owned(),
            rule,
            field: field.clone(),
            text: text.clone(),
            problem: e.to_string(),
        })?;
        if when.insert(field.clone(), condition).is_some() {
            return Err(field_error(&field, "has two conditions".into()));
        }
    }
    let mut then = BTreeMap::new();
    for (field, raw_value) in raw.then.0 {
        let value = Value::from_json_output(&raw_value).map_err(|p| field_error(&field, p))?;
        if then.insert(field.clone(), value).is_some() {
            return Err(field_error(&field, "is output twice".into()));
        }
    }
    Ok(Rule {
        description: raw.description,
        when,
        then,
    })
}

/// A condition cell is a string; a bare JSON number, boolean or null is read as its text.
fn cell_text(cell: &RawValue) -> Result<String, String> {
    let text = cell.get().trim();
    if text.starts_with('"') {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else if text.starts_with(['[', '{']) {
        Err("a condition must be a string such as \"< 520\"".into())
    } else {
        Ok(text.to_owned())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    #[serde(default)]
    description: Option<String>,
    tables: Vec<RawTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    name: String,
    #[serde(default)]
    description: Option<String>,
    hit_policy: String,
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    when: Entries,
    #[serde(default)]
    then: Entries,
}

/// A JSON object's entries in order, duplicates kept (so they can be reported), values
/// unparsed (so numbers are read from their text).
#[derive(Default)]
struct Entries(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Entries, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                // bounded by MAX_POLICY_BYTES; the rule limits are checked after reading
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

#[cfg(test)]
mod tests;
