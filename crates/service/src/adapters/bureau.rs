//! Credit-bureau pulls (征信查询) behind the [`CreditBureau`] trait: a real client for a
//! bureau gateway that speaks JSON over HTTP ([`HttpJsonBureau`]) and a deterministic
//! simulator for demos and tests ([`SimulatedBureau`]).
//!
//! Decisions: the ID number travels only in the request body to the bureau; it is masked
//! in `Debug` output and never appears in an error (a bureau's error text is scrubbed of
//! it too). A report is a flat JSON object of scalars so that it can be stored as the
//! customer's credit-report snapshot and read by scorecards field by field.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_store::crypto::mask_id_number;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::http::{self, HttpError};

/// Most fields a bureau report may have.
pub const MAX_REPORT_FIELDS: usize = 1_000;

/// Most characters of a bureau's error message kept in [`BureauError::Rejected`].
const MAX_MESSAGE_CHARS: usize = 300;

/// What to pull a credit report for.
#[derive(Clone, PartialEq, Eq)]
pub struct BureauRequest {
    /// The customer the report is for.
    pub customer_id: i64,
    /// The customer's legal name.
    pub name: String,
    /// The resident ID number or USCC, in plain text: sent only to the bureau, never
    /// logged (masked in `Debug`).
    pub id_number: String,
    /// `individual` or `business`.
    pub kind: String,
    /// Declared monthly income in minor units (fen), if known.
    pub monthly_income_minor: Option<i64>,
    /// Why the report is pulled (e.g. `loan_application`): bureaus require a purpose.
    pub purpose: String,
}

impl fmt::Debug for BureauRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BureauRequest")
            .field("customer_id", &self.customer_id)
            .field("name", &self.name)
            .field("id_number", &mask_id_number(&self.id_number))
            .field("kind", &self.kind)
            .field("monthly_income_minor", &self.monthly_income_minor)
            .field("purpose", &self.purpose)
            .finish()
    }
}

impl BureauRequest {
    /// Checks the request before anything is sent.
    fn validate(&self) -> Result<(), BureauError> {
        let invalid = |field: &str, rule: &str| {
            Err(BureauError::InvalidRequest {
                field: field.to_owned(),
                rule: rule.to_owned(),
            })
        };
        if self.name.trim().is_empty() {
            return invalid("name", "is required");
        }
        if self.id_number.trim().is_empty() {
            return invalid("id_number", "is required");
        }
        if self.kind != "individual" && self.kind != "business" {
            return invalid(
                "kind",
                &format!("must be individual or business, not '{}'", self.kind),
            );
        }
        if self.purpose.trim().is_empty() {
            return invalid("purpose", "is required");
        }
        if self.monthly_income_minor.is_some_and(|m| m < 0) {
            return invalid("monthly_income_minor", "must not be negative");
        }
        Ok(())
    }
}

/// A pulled credit report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BureauReport {
    /// The bureau's name (`simulated` for the simulator).
    pub bureau: String,
    /// The business date of the pull.
    pub pulled_on: NaiveDate,
    /// The report: a flat JSON object of scalars (strings, numbers, booleans, nulls).
    pub report: Value,
}

/// Why a pull failed.
#[derive(Debug, thiserror::Error)]
pub enum BureauError {
    /// The request is incomplete or inconsistent; nothing was sent.
    #[error("bureau request: {field} {rule}")]
    InvalidRequest {
        /// The field.
        field: String,
        /// The rule it breaks (never the ID number itself).
        rule: String,
    },
    /// The bureau could not be reached or did not answer HTTP properly.
    #[error("credit bureau unreachable: {0}")]
    Http(#[from] HttpError),
    /// The bureau answered with a status other than 200.
    #[error("the credit bureau refused the query (HTTP {status}): {message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The bureau's `error` or `detail` text, with the ID number scrubbed.
        message: String,
    },
    /// The bureau's 200 answer is not `{"report": {…flat object…}}`.
    #[error("the credit bureau's answer is malformed: {0}")]
    Malformed(String),
}

/// A credit bureau.
pub trait CreditBureau: Send + Sync + fmt::Debug {
    /// The bureau's name, stored with every report.
    fn name(&self) -> &str;

    /// Pulls the report for `request` on business date `as_of`.
    ///
    /// # Errors
    /// [`BureauError`]: an invalid request, a transport failure, a refusal or a
    /// malformed answer.
    fn pull<'a>(
        &'a self,
        request: &'a BureauRequest,
        as_of: NaiveDate,
    ) -> Pin<Box<dyn Future<Output = Result<BureauReport, BureauError>> + Send + 'a>>;
}

/// A bureau gateway that takes a JSON POST and answers `{"report": {…}}`.
///
/// Request body: `{"name", "id_number", "kind", "purpose", "query_date"}` with
/// `Authorization: Bearer <api key>`; a 200 answer carries `{"report": {…}}`, any other
/// status is a refusal whose reason is the body's `error` or `detail`.
#[derive(Clone)]
pub struct HttpJsonBureau {
    name: String,
    url: String,
    api_key: String,
    timeout: Duration,
}

impl fmt::Debug for HttpJsonBureau {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpJsonBureau")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("api_key", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl HttpJsonBureau {
    /// A client for the gateway at `url` (`http://…`) with `api_key`, giving each pull at
    /// most `timeout`.
    ///
    /// # Errors
    /// [`BureauError::Http`] with [`HttpError::BadUrl`] for an unusable URL;
    /// [`BureauError::InvalidRequest`] for an empty API key or one with control
    /// characters.
    pub fn new(
        url: impl Into<String>,
        api_key: impl Into<String>,
        timeout: Duration,
    ) -> Result<HttpJsonBureau, BureauError> {
        let url = url.into();
        let api_key = api_key.into().trim().to_owned();
        http::parse_url(&url)?;
        if api_key.is_empty() || api_key.chars().any(char::is_control) {
            return Err(BureauError::InvalidRequest {
                field: "api_key".to_owned(),
                rule: "must be non-empty text without control characters".to_owned(),
            });
        }
        Ok(HttpJsonBureau {
            name: "http_json".to_owned(),
            url,
            api_key,
            timeout,
        })
    }

    /// The same client, storing its reports under bureau `name` (e.g. `pboc`, `baihang`)
    /// instead of `http_json`.
    pub fn named(mut self, name: impl Into<String>) -> HttpJsonBureau {
        self.name = name.into();
        self
    }

    async fn pull_http(
        &self,
        request: &BureauRequest,
        as_of: NaiveDate,
    ) -> Result<BureauReport, BureauError> {
        request.validate()?;
        let body = json!({
            "name": request.name,
            "id_number": request.id_number,
            "kind": request.kind,
            "purpose": request.purpose,
            "query_date": as_of.format("%Y-%m-%d").to_string(),
        });
        let authorization = format!("Bearer {}", self.api_key);
        let headers = [("Authorization", authorization.as_str())];
        let (status, answer) = match http::post_json(&self.url, &headers, &body, self.timeout).await
        {
            Ok(answer) => answer,
            Err(HttpError::NotJson { status, .. }) if status != 200 => {
                return Err(BureauError::Rejected {
                    status,
                    message: "(the answer is not JSON)".to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        if status != 200 {
            return Err(BureauError::Rejected {
                status,
                message: error_message(&answer, &request.id_number),
            });
        }
        let report = flat_report(answer)?;
        Ok(BureauReport {
            bureau: self.name().to_owned(),
            pulled_on: as_of,
            report,
        })
    }
}

impl CreditBureau for HttpJsonBureau {
    fn name(&self) -> &str {
        &self.name
    }

    fn pull<'a>(
        &'a self,
        request: &'a BureauRequest,
        as_of: NaiveDate,
    ) -> Pin<Box<dyn Future<Output = Result<BureauReport, BureauError>> + Send + 'a>> {
        Box::pin(self.pull_http(request, as_of))
    }
}

/// The refusal text: the body's `error` or `detail` (a string, or `message` inside an
/// object), cut to [`MAX_MESSAGE_CHARS`], with the ID number replaced by its mask.
fn error_message(answer: &Value, id_number: &str) -> String {
    let text = ["error", "detail"]
        .iter()
        .find_map(|key| match answer.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(o)) => o.get("message").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        });
    let Some(text) = text else {
        return "(no error message)".to_owned();
    };
    let id = id_number.trim();
    let text = if id.is_empty() {
        text
    } else {
        text.replace(id, &mask_id_number(id))
    };
    text.chars().take(MAX_MESSAGE_CHARS).collect()
}

/// The `report` member of a 200 answer, checked to be a flat object of scalars.
fn flat_report(answer: Value) -> Result<Value, BureauError> {
    let Value::Object(mut outer) = answer else {
        return Err(BureauError::Malformed(format!(
            "expected an object with 'report', got {}",
            kind_of(&answer)
        )));
    };
    let report = match outer.remove("report") {
        Some(Value::Object(fields)) => fields,
        Some(other) => {
            return Err(BureauError::Malformed(format!(
                "'report' must be an object, got {}",
                kind_of(&other)
            )));
        }
        None => return Err(BureauError::Malformed("'report' is missing".to_owned())),
    };
    if report.len() > MAX_REPORT_FIELDS {
        return Err(BureauError::Malformed(format!(
            "'report' has {} fields, more than {MAX_REPORT_FIELDS}",
            report.len()
        )));
    }
    let nested: Vec<&str> = report
        .iter()
        .filter(|(_, v)| v.is_array() || v.is_object())
        .map(|(k, _)| k.as_str())
        .take(10)
        .collect();
    if !nested.is_empty() {
        return Err(BureauError::Malformed(format!(
            "'report' must be flat, but {} hold arrays or objects",
            nested.join(", ")
        )));
    }
    Ok(Value::Object(report))
}

/// The JSON type of `value`, for messages (never the value: it may be personal).
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A deterministic stand-in for a bureau, for demos and tests — not a real bureau.
///
/// The report depends only on the request: the ID number's SHA-256 seeds a generator,
/// and a higher monthly income makes good levels more likely. Values are the German
/// credit data's level labels (`lt_0`, `critical_account`, …), which the demo scorecard reads.
///
/// Test trigger: an ID number whose four digits before the check digit are `0000`
/// (e.g. `11010119900110000X`) always has `delinquencies_24m` = 4.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimulatedBureau;

impl CreditBureau for SimulatedBureau {
    fn name(&self) -> &str {
        "simulated"
    }

    fn pull<'a>(
        &'a self,
        request: &'a BureauRequest,
        as_of: NaiveDate,
    ) -> Pin<Box<dyn Future<Output = Result<BureauReport, BureauError>> + Send + 'a>> {
        Box::pin(async move {
            request.validate()?;
            Ok(BureauReport {
                bureau: self.name().to_owned(),
                pulled_on: as_of,
                report: simulate(request),
            })
        })
    }
}

/// True for the documented trigger: the four characters before the check digit are
/// `0000`.
fn is_delinquency_trigger(id_number: &str) -> bool {
    let chars: Vec<char> = id_number.trim().chars().collect();
    chars.len() >= 5
        && chars[chars.len() - 5..chars.len() - 1]
            .iter()
            .all(|&c| c == '0')
}

/// SplitMix64: a small, well-mixed generator; enough for a simulator.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An index into `weights`, each chosen in proportion to its weight.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut ticket = self.below(total.max(1));
        for (i, &w) in weights.iter().enumerate() {
            if ticket < w {
                return i;
            }
            ticket -= w;
        }
        weights.len() - 1
    }
}

/// Income tier 0 (low) … 3 (high) from monthly income; unknown income counts as tier 1.
fn income_tier(monthly_income_minor: Option<i64>) -> usize {
    match monthly_income_minor {
        None => 1,
        Some(m) if m < 500_000 => 0,
        Some(m) if m < 1_200_000 => 1,
        Some(m) if m < 3_000_000 => 2,
        Some(_) => 3,
    }
}

/// A level chosen with the weights of income tier `tier`.
fn level<'a>(
    rng: &mut SplitMix64,
    levels: &[&'a str],
    weights: &[[u64; 5]; 4],
    tier: usize,
) -> &'a str {
    levels[rng.weighted(&weights[tier][..levels.len()])]
}

/// The simulated report for `request`.
fn simulate(request: &BureauRequest) -> Value {
    let digest = Sha256::digest(request.id_number.trim().as_bytes());
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&digest[..8]);
    let mut rng = SplitMix64(u64::from_be_bytes(seed));
    let tier = income_tier(request.monthly_income_minor);

    // Weights per income tier (rows: low … high income), good levels gaining with income.
    let checking = level(
        &mut rng,
        &["lt_0", "0_to_200", "ge_200_or_salary", "none"],
        &[
            [40, 30, 5, 25, 0],
            [28, 28, 7, 37, 0],
            [18, 24, 10, 48, 0],
            [10, 18, 14, 58, 0],
        ],
        tier,
    );
    let history = level(
        &mut rng,
        &[
            "no_credits_or_all_paid",
            "all_paid_this_bank",
            "existing_paid_duly",
            "past_delays",
            "critical_account",
        ],
        &[
            [6, 6, 50, 14, 24],
            [4, 5, 53, 9, 29],
            [3, 5, 55, 6, 31],
            [2, 4, 56, 4, 34],
        ],
        tier,
    );
    let savings = level(
        &mut rng,
        &[
            "lt_100",
            "100_to_500",
            "500_to_1000",
            "ge_1000",
            "unknown_or_none",
        ],
        &[
            [75, 10, 3, 2, 10],
            [60, 11, 6, 5, 18],
            [45, 12, 9, 9, 25],
            [30, 12, 12, 16, 30],
        ],
        tier,
    );
    let employment = level(
        &mut rng,
        &["unemployed", "lt_1y", "1_to_4y", "4_to_7y", "ge_7y"],
        &[
            [12, 25, 35, 13, 15],
            [6, 17, 35, 17, 25],
            [3, 12, 32, 20, 33],
            [1, 8, 28, 22, 41],
        ],
        tier,
    );
    let property = level(
        &mut rng,
        &[
            "real_estate",
            "savings_or_insurance",
            "car_or_other",
            "unknown_or_none",
        ],
        &[
            [15, 22, 33, 30, 0],
            [25, 23, 33, 19, 0],
            [33, 24, 31, 12, 0],
            [42, 24, 27, 7, 0],
        ],
        tier,
    );
    let housing = level(
        &mut rng,
        &["rent", "own", "free"],
        &[
            [35, 50, 15, 0, 0],
            [20, 70, 10, 0, 0],
            [14, 78, 8, 0, 0],
            [9, 85, 6, 0, 0],
        ],
        tier,
    );
    let plans = level(
        &mut rng,
        &["bank", "stores", "none"],
        &[
            [18, 8, 74, 0, 0],
            [14, 5, 81, 0, 0],
            [11, 4, 85, 0, 0],
            [8, 3, 89, 0, 0],
        ],
        tier,
    );
    let personal = level(
        &mut rng,
        &[
            "male_divorced",
            "female_div_or_married",
            "male_single",
            "male_married_or_widowed",
            "female_single",
        ],
        &[[5, 31, 52, 9, 3]; 4],
        tier,
    );
    const RATE: [[u64; 4]; 4] = [
        [8, 17, 18, 57],
        [13, 23, 16, 48],
        [16, 26, 15, 43],
        [20, 28, 14, 38],
    ];
    let installment_rate_pct = 1 + rng.weighted(&RATE[tier]) as u64;
    const DELINQUENT: [[u64; 5]; 4] = [
        [70, 14, 8, 5, 3],
        [78, 11, 6, 3, 2],
        [84, 9, 4, 2, 1],
        [90, 6, 2, 1, 1],
    ];
    let mut delinquencies = rng.weighted(&DELINQUENT[tier]) as u64;
    if is_delinquency_trigger(&request.id_number) {
        delinquencies = 4;
    }
    let open_loans = rng.below(7);
    // Up to 150,000 yuan per open loan, in whole yuan.
    let mut debt_minor: i64 = 0;
    for _ in 0..open_loans {
        debt_minor += i64::try_from(rng.below(150_000) + 1).unwrap_or(0) * 100;
    }
    let total_debt = Money::from_minor(debt_minor, Currency::CNY).to_string();
    let inquiries = rng.below(6);

    let mut score: i64 = 560 + 35 * tier as i64;
    score += match checking {
        "lt_0" => -40,
        "0_to_200" => -10,
        _ => 30,
    };
    score += match history {
        "past_delays" => -40,
        "critical_account" => -70,
        _ => 20,
    };
    score -= 45 * delinquencies as i64 + 12 * inquiries as i64 + 5 * open_loans as i64;
    score += i64::try_from(rng.below(121)).unwrap_or(0) - 60;
    let score = score.clamp(350, 850);

    let mut report = Map::new();
    for (key, value) in [
        ("checking_account", json!(checking)),
        ("credit_history", json!(history)),
        ("savings", json!(savings)),
        ("employment_since", json!(employment)),
        ("property", json!(property)),
        ("housing", json!(housing)),
        ("other_installment_plans", json!(plans)),
        ("personal_status_sex", json!(personal)),
        ("installment_rate_pct", json!(installment_rate_pct)),
        ("delinquencies_24m", json!(delinquencies)),
        ("open_loans", json!(open_loans)),
        ("total_debt", json!(total_debt)),
        ("inquiries_3m", json!(inquiries)),
        ("score", json!(score)),
    ] {
        report.insert(key.to_owned(), value);
    }
    Value::Object(report)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::adapters::http::test_server::{json as respond, once};

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date")
    }

    fn request(id_number: &str, income_minor: Option<i64>) -> BureauRequest {
        BureauRequest {
            customer_id: 7,
            name: "张三".to_owned(),
            id_number: id_number.to_owned(),
            kind: "individual".to_owned(),
            monthly_income_minor: income_minor,
            purpose: "loan_application".to_owned(),
        }
    }

    const ID: &str = "110101199003071234";

    #[tokio::test]
    async fn the_simulator_is_deterministic() {
        let r = request(ID, Some(1_000_000));
        let a = SimulatedBureau.pull(&r, date()).await.expect("pull");
        let b = SimulatedBureau
            .pull(&r.clone(), date())
            .await
            .expect("pull");
        assert_eq!(a, b);
        assert_eq!(a.bureau, "simulated");
        assert_eq!(a.pulled_on, date());
        let other = SimulatedBureau
            .pull(&request("110101199003075678", Some(1_000_000)), date())
            .await
            .expect("pull");
        assert_ne!(a.report, other.report);
    }

    #[tokio::test]
    async fn the_simulator_produces_every_key_with_valid_values() {
        let codes = |labels: &[&str]| -> BTreeSet<String> {
            labels.iter().map(|l| (*l).to_owned()).collect()
        };
        let levels: BTreeMap<&str, BTreeSet<String>> = BTreeMap::from([
            (
                "checking_account",
                codes(&["lt_0", "0_to_200", "ge_200_or_salary", "none"]),
            ),
            (
                "credit_history",
                codes(&[
                    "no_credits_or_all_paid",
                    "all_paid_this_bank",
                    "existing_paid_duly",
                    "past_delays",
                    "critical_account",
                ]),
            ),
            (
                "savings",
                codes(&[
                    "lt_100",
                    "100_to_500",
                    "500_to_1000",
                    "ge_1000",
                    "unknown_or_none",
                ]),
            ),
            (
                "employment_since",
                codes(&["unemployed", "lt_1y", "1_to_4y", "4_to_7y", "ge_7y"]),
            ),
            (
                "property",
                codes(&[
                    "real_estate",
                    "savings_or_insurance",
                    "car_or_other",
                    "unknown_or_none",
                ]),
            ),
            ("housing", codes(&["rent", "own", "free"])),
            (
                "other_installment_plans",
                codes(&["bank", "stores", "none"]),
            ),
            (
                "personal_status_sex",
                codes(&[
                    "male_divorced",
                    "female_div_or_married",
                    "male_single",
                    "male_married_or_widowed",
                    "female_single",
                ]),
            ),
        ]);
        let numbers: [(&str, i64, i64); 5] = [
            ("installment_rate_pct", 1, 4),
            ("delinquencies_24m", 0, 4),
            ("open_loans", 0, 6),
            ("inquiries_3m", 0, 5),
            ("score", 350, 850),
        ];
        let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut clean = 0;
        for i in 0..1_000_i64 {
            let id = format!("1101011990{:07}X", i * 7_919);
            let income = [
                None,
                Some(300_000),
                Some(900_000),
                Some(2_000_000),
                Some(5_000_000),
            ];
            let r = request(&id, income[(i % 5) as usize]);
            let report = SimulatedBureau.pull(&r, date()).await.expect("pull").report;
            let fields = report.as_object().expect("an object");
            assert_eq!(fields.len(), 14, "{report}");
            for (key, allowed) in &levels {
                let value = fields[*key].as_str().expect("a code");
                assert!(allowed.contains(value), "{key} = {value}");
                seen.entry((*key).to_owned())
                    .or_default()
                    .insert(value.to_owned());
            }
            for (key, low, high) in numbers {
                let value = fields[key].as_i64().expect("a number");
                assert!((low..=high).contains(&value), "{key} = {value}");
                seen.entry(key.to_owned())
                    .or_default()
                    .insert(value.to_string());
            }
            let debt = fields["total_debt"].as_str().expect("a decimal string");
            let debt = Money::parse(debt, Currency::CNY).expect("an amount");
            assert!(!debt.is_negative());
            assert_eq!(debt.is_zero(), fields["open_loans"] == 0, "{report}");
            if fields["delinquencies_24m"] == 0 {
                clean += 1;
            }
        }
        for (key, allowed) in &levels {
            assert_eq!(&seen[*key], allowed, "every level of {key} occurs");
        }
        for (key, low, high) in numbers.into_iter().filter(|(k, ..)| *k != "score") {
            assert_eq!(
                seen[key].len() as i64,
                high - low + 1,
                "every value of {key} occurs"
            );
        }
        // About 80% have no delinquency.
        assert!((720..=880).contains(&clean), "{clean} of 1000 clean");
    }

    #[tokio::test]
    async fn higher_income_means_better_reports() {
        let mut low = 0;
        let mut high = 0;
        for i in 0..500 {
            let id = format!("3201021985{:07}1", i * 104_729);
            let (poor, rich) = (request(&id, Some(300_000)), request(&id, Some(5_000_000)));
            let poor = SimulatedBureau.pull(&poor, date()).await.expect("pull");
            let rich = SimulatedBureau.pull(&rich, date()).await.expect("pull");
            low += poor.report["score"].as_i64().expect("score");
            high += rich.report["score"].as_i64().expect("score");
        }
        assert!(
            high > low + 500 * 50,
            "average {} vs {}",
            high / 500,
            low / 500
        );
    }

    #[tokio::test]
    async fn the_delinquency_trigger_always_fires() {
        for i in 0..200 {
            let id = format!("110101{:07}0000{}", 1_980_000 + i, i % 10);
            assert!(is_delinquency_trigger(&id));
            let r = request(&id, Some(9_000_000));
            let report = SimulatedBureau.pull(&r, date()).await.expect("pull").report;
            assert_eq!(report["delinquencies_24m"], 4, "{id}");
        }
        assert!(is_delinquency_trigger("11010119900110000X"));
        assert!(!is_delinquency_trigger("110101199001010001"));
    }

    #[tokio::test]
    async fn invalid_requests_are_refused_without_the_id_number() {
        let mut r = request(ID, None);
        r.kind = "person".to_owned();
        let err = SimulatedBureau.pull(&r, date()).await.expect_err("kind");
        assert!(err.to_string().contains("'person'"), "{err}");
        assert!(!format!("{r:?}").contains(ID), "{r:?}");
        assert!(format!("{r:?}").contains("1101**********1234"), "{r:?}");
    }

    fn bureau(url: &str) -> HttpJsonBureau {
        HttpJsonBureau::new(url, "secret-key", Duration::from_secs(5)).expect("bureau")
    }

    #[tokio::test]
    async fn the_http_bureau_sends_the_query_and_reads_the_report() {
        let answer = json!({"report": {"score": 712, "grade": "B", "frozen": false, "note": null}});
        let (url, seen) = once(respond(200, &answer)).await;
        let report = bureau(&url)
            .pull(&request(ID, Some(1_000_000)), date())
            .await
            .expect("pull");
        assert_eq!(report.bureau, "http_json");
        assert_eq!(bureau(&url).named("baihang").name(), "baihang");
        assert_eq!(report.pulled_on, date());
        assert_eq!(report.report, answer["report"]);
        let seen = seen.await.expect("server");
        assert!(
            seen.head.contains("Authorization: Bearer secret-key"),
            "{}",
            seen.head
        );
        assert_eq!(
            seen.body,
            json!({"name": "张三", "id_number": ID, "kind": "individual",
                   "purpose": "loan_application", "query_date": "2026-11-23"})
        );
    }

    #[tokio::test]
    async fn a_401_is_a_rejection_with_the_bureaus_reason() {
        let body = json!({"error": format!("key not valid for {ID}")});
        let (url, _seen) = once(respond(401, &body)).await;
        let err = bureau(&url)
            .pull(&request(ID, None), date())
            .await
            .expect_err("401");
        match &err {
            BureauError::Rejected { status, message } => {
                assert_eq!(*status, 401);
                assert_eq!(message, "key not valid for 1101**********1234");
            }
            other => panic!("{other}"),
        }
        assert!(!err.to_string().contains(ID), "{err}");

        let (url, _seen) = once(respond(422, &json!({"detail": "purpose unknown"}))).await;
        let err = bureau(&url)
            .pull(&request(ID, None), date())
            .await
            .expect_err("422");
        assert!(
            err.to_string().contains("HTTP 422): purpose unknown"),
            "{err}"
        );

        let html = b"HTTP/1.1 503 Unavailable\r\nContent-Length: 5\r\n\r\n<html".to_vec();
        let (url, _seen) = once(html).await;
        let err = bureau(&url)
            .pull(&request(ID, None), date())
            .await
            .expect_err("503");
        assert!(
            matches!(err, BureauError::Rejected { status: 503, .. }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_malformed_report_is_refused() {
        for answer in [
            json!({"report": {"score": 700, "accounts": [1, 2]}}),
            json!({"report": "fine"}),
            json!({"result": {}}),
            json!([ID]),
        ] {
            let (url, _seen) = once(respond(200, &answer)).await;
            let err = bureau(&url)
                .pull(&request(ID, None), date())
                .await
                .expect_err("malformed");
            assert!(matches!(err, BureauError::Malformed(_)), "{answer}: {err}");
            assert!(!err.to_string().contains(ID), "{err}");
        }
    }

    #[test]
    fn construction_checks_the_url_and_key_and_hides_the_key() {
        let err = HttpJsonBureau::new("https://b.example/", "k", Duration::from_secs(1))
            .expect_err("https");
        assert!(err.to_string().contains("https://b.example/"), "{err}");
        assert!(HttpJsonBureau::new("http://b.example/", " ", Duration::from_secs(1)).is_err());
        let b = bureau("http://b.example/q");
        assert!(!format!("{b:?}").contains("secret-key"));
    }
}
