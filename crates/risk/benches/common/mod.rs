//! The in-memory data one risk assessment reads, shared by the `assessment` and
//! `assessment_latency` benches: 1,000 recent applications for the anti-fraud rules, a
//! watch list of any size (brute force and indexed), the demo scorecard and the demo credit
//! policy — and varied applicants to assess against them.
//!
//! Everything is drawn from a fixed xorshift sequence, so runs compare like with like. The
//! watch-list names come from 20 pinyin syllables: a tiny alphabet, the hardest case for a
//! character-based index, since every name shares letters with every other.

// each bench includes this module and uses a part of it
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use loanbook_risk::aml::{self, WatchEntry, WatchIndex};
use loanbook_risk::decision::{CreditDecision, DecisionBounds, decide};
use loanbook_risk::fraud::{self, FraudRules, OtherApplication, Subject};
use loanbook_risk::policy::{Policy, Value as Fact};
use loanbook_risk::scorecard::model::{Model, Value};
use rust_decimal::Decimal;

const MODEL: &str = include_str!("../../../../models/german-demo.json");
const POLICY: &str = include_str!("../../../../data/policies/consumer.json");

/// The business day the assessments run on.
pub const AS_OF: &str = "2025-03-31";

/// The surnames and given-name syllables of the watch list.
const SYLLABLES: [&str; 20] = [
    "wang", "li", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu", "xu", "sun", "hu",
    "zhu", "gao", "lin", "he", "guo", "ma", "luo",
];

/// Given-name syllables applicants use beyond the watch list's.
const GIVEN: [&str; 16] = [
    "xiao", "ming", "hong", "jun", "fang", "mei", "qiang", "jie", "lei", "yan", "ping", "hui",
    "jing", "tao", "bo", "na",
];

/// Characters of applicants' names in Chinese script.
const HANZI: [char; 16] = [
    '王', '李', '张', '刘', '陈', '杨', '小', '明', '晓', '伟', '芳', '娜', '强', '军', '静', '磊',
];

/// A date in `%Y-%m-%d`.
pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// A xorshift64 sequence: fast, fixed, good enough to vary test data.
pub struct Rng(u64);

impl Rng {
    /// A sequence from `seed` (not 0).
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next value.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One of `items`.
    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// How the watch-list names are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchNames {
    /// Three of the 20 pinyin syllables, as the original benchmark: at most 8,000
    /// distinct names, so long lists repeat each name many times.
    Pinyin3,
    /// Pinyin of about 700 syllables, or Chinese characters of 2,500, two or three
    /// each: nearly every name distinct, as on real lists.
    Varied,
}

/// How the assessment screens against the watch list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screening {
    /// [`aml::screen_index`] on the prepared [`WatchIndex`].
    Index,
    /// [`aml::screen`] over every entry (the reference).
    BruteForce,
}

/// One applicant, with what every step of the assessment reads.
pub struct Applicant {
    /// Name as typed (not normalised).
    pub name: String,
    /// Keyed hash of the ID number.
    pub id_number_hash: String,
    /// Keyed hash of the phone number.
    pub phone_hash: String,
    /// Keyed hash of the bank card.
    pub bank_card_hash: String,
    /// Device fingerprint.
    pub device_id: String,
    /// Declared monthly income, minor units.
    pub declared_income_minor: i64,
    /// Verified monthly income, minor units.
    pub verified_income_minor: i64,
    /// Requested amount, minor units.
    pub requested_minor: i64,
    /// Requested term.
    pub term_months: i64,
    /// Age in years.
    pub age_years: i64,
    /// Delinquencies on the credit report.
    pub bureau_delinquencies: i64,
    /// The scorecard's inputs, in [`Model::variables`] order.
    pub values: Vec<Value>,
}

/// What one assessment found and decided.
pub struct Assessment {
    /// Anti-fraud rules hit.
    pub fraud_hits: usize,
    /// Watch-list hits.
    pub aml_hits: usize,
    /// The credit decision.
    pub decision: CreditDecision,
}

/// Everything one assessment reads, prepared once.
pub struct Fixture {
    /// Identity hashes of the other applications: ID number, phone, card, device.
    pub hashes: Vec<[String; 4]>,
    /// The watch list.
    pub watch_list: Vec<WatchEntry>,
    /// The same list, indexed.
    pub index: WatchIndex,
    /// The demo scorecard.
    pub model: Model,
    /// The demo credit policy.
    pub policy: Policy,
    /// The anti-fraud thresholds.
    pub rules: FraudRules,
    /// The business day.
    pub as_of: NaiveDate,
}

impl Fixture {
    /// The fixture with a watch list of `watch_entries` entries (the first 10,000 are the
    /// same whatever the size; every third entry has an ID-number hash `wl-<id>`).
    pub fn new(watch_entries: usize) -> Fixture {
        Fixture::with_names(watch_entries, WatchNames::Pinyin3)
    }

    /// The fixture with a watch list of `watch_entries` entries drawn as `names` says.
    pub fn with_names(watch_entries: usize, names: WatchNames) -> Fixture {
        let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
        // hashes drawn from a small space so that some applications share attributes
        let hashes = (0..1_000)
            .map(|_| {
                [
                    format!("id-{}", rng.next() % 5_000),
                    format!("ph-{}", rng.next() % 5_000),
                    format!("card-{}", rng.next() % 5_000),
                    format!("dev-{}", rng.next() % 2_000),
                ]
            })
            .collect();
        let watch_list: Vec<WatchEntry> = (0..watch_entries as i64)
            .map(|i| {
                let name = match names {
                    WatchNames::Pinyin3 => {
                        let mut pick = || SYLLABLES[rng.below(SYLLABLES.len())];
                        format!("{} {}{}", pick(), pick(), pick())
                    }
                    WatchNames::Varied => varied_name(&mut rng),
                };
                WatchEntry {
                    id: i,
                    name: aml::normalise_name(&name),
                    id_number_hash: (i % 3 == 0).then(|| format!("wl-{i}")),
                }
            })
            .collect();
        Fixture {
            hashes,
            index: WatchIndex::new(watch_list.clone()),
            watch_list,
            model: Model::from_json(MODEL).expect("the demo model reads"),
            policy: Policy::from_json(POLICY).expect("the demo policy loads"),
            rules: FraudRules::default(),
            as_of: day(AS_OF),
        }
    }

    /// The other applications the anti-fraud rules look at, over the 60 days to `as_of`.
    pub fn others(&self) -> Vec<OtherApplication<'_>> {
        let first = day("2025-02-01");
        self.hashes
            .iter()
            .enumerate()
            .map(|(i, h)| OtherApplication {
                application_id: i as i64,
                customer_id: (i % 700) as i64,
                submitted_on: first + chrono::Days::new((i % 60) as u64),
                id_number_hash: Some(&h[0]),
                phone_hash: Some(&h[1]),
                bank_card_hash: Some(&h[2]),
                device_id: Some(&h[3]),
            })
            .collect()
    }

    /// The one applicant of the original benchmark: "Wang Xiaoming", sharing an ID number
    /// and a device with other applications, a good credit profile.
    pub fn demo_applicant(&self) -> Applicant {
        let inputs = ScorecardInputs {
            checking_account: "none",
            credit_history: "critical_account",
            savings: "ge_1000",
            purpose: "car_used",
            property: "real_estate",
            employment_since: "4_to_7y",
            housing: "own",
            other_installment_plans: "none",
            personal_status_sex: "male_single",
            installment_rate_pct: 2,
        };
        Applicant {
            name: "Wang Xiaoming".into(),
            id_number_hash: self.hashes[10][0].clone(),
            phone_hash: "ph-unshared".into(),
            bank_card_hash: "card-unshared".into(),
            device_id: self.hashes[900][3].clone(),
            declared_income_minor: 2_000_000,
            verified_income_minor: 1_900_000,
            requested_minor: 10_000_000,
            term_months: 24,
            age_years: 35,
            bureau_delinquencies: 0,
            values: self.values(&inputs, 24, 5_000, 35),
        }
    }

    /// `count` applicants drawn from `seed`: a quarter named like a watch-list entry
    /// (the same name in other case and spacing, or one letter changed or dropped), the
    /// rest pinyin or Chinese-script names; one in 50 with a listed ID number, one in 10
    /// with an ID number and one in 5 with a device used by other applications; incomes,
    /// amounts, terms, ages and credit profiles varied.
    pub fn applicants(&self, count: usize, seed: u64) -> Vec<Applicant> {
        let mut rng = Rng::new(seed);
        (0..count).map(|i| self.applicant(i, &mut rng)).collect()
    }

    /// One varied applicant (see [`Fixture::applicants`]).
    fn applicant(&self, i: usize, rng: &mut Rng) -> Applicant {
        let name = self.applicant_name(rng);
        let id_number_hash = match rng.below(50) {
            0 if !self.watch_list.is_empty() => {
                format!("wl-{}", 3 * rng.below(self.watch_list.len().div_ceil(3)))
            }
            1..=5 => rng.pick(&self.hashes)[0].clone(),
            _ => format!("id-applicant-{i}"),
        };
        let device_id = if rng.below(5) == 0 {
            rng.pick(&self.hashes)[3].clone()
        } else {
            format!("dev-applicant-{i}")
        };
        let declared_income_minor = 300_000 + 100 * rng.below(57_000) as i64;
        let verified_income_minor = declared_income_minor * (60 + rng.below(46) as i64) / 100;
        let requested_minor = 100_000 * (5 + rng.below(296) as i64);
        let term_months = *rng.pick(&[6, 12, 18, 24, 36, 48, 60]);
        let age_years = 19 + rng.below(52) as i64;
        let bureau_delinquencies = *rng.pick(&[0, 0, 0, 0, 0, 0, 1, 1, 2, 3]);
        let inputs = ScorecardInputs {
            checking_account: rng.pick_str(&["none", "ge_200_or_salary", "0_to_200", "lt_0"]),
            credit_history: rng.pick_str(&[
                "critical_account",
                "existing_paid_duly",
                "past_delays",
                "all_paid_this_bank",
                "no_credits_or_all_paid",
            ]),
            savings: rng.pick_str(&[
                "ge_1000",
                "unknown_or_none",
                "500_to_1000",
                "100_to_500",
                "lt_100",
            ]),
            purpose: rng.pick_str(&[
                "car_used",
                "radio_tv",
                "furniture",
                "business",
                "car_new",
                "education",
            ]),
            property: rng.pick_str(&[
                "real_estate",
                "savings_or_insurance",
                "car_or_other",
                "unknown_or_none",
            ]),
            employment_since: rng.pick_str(&["4_to_7y", "ge_7y", "1_to_4y", "unemployed", "lt_1y"]),
            housing: rng.pick_str(&["own", "rent", "free"]),
            other_installment_plans: rng.pick_str(&["none", "stores", "bank"]),
            personal_status_sex: rng.pick_str(&[
                "male_single",
                "male_married_or_widowed",
                "female_div_or_married",
                "male_divorced",
            ]),
            installment_rate_pct: 1 + rng.below(4) as i64,
        };
        Applicant {
            name,
            id_number_hash,
            phone_hash: format!("ph-applicant-{i}"),
            bank_card_hash: format!("card-applicant-{i}"),
            device_id,
            declared_income_minor,
            verified_income_minor,
            requested_minor,
            term_months,
            age_years,
            bureau_delinquencies,
            values: self.values(&inputs, term_months, requested_minor / 1_000, age_years),
        }
    }

    /// A name: near a watch-list name one time in four, otherwise pinyin or hanzi.
    fn applicant_name(&self, rng: &mut Rng) -> String {
        let kind = rng.below(8);
        if kind < 2 && !self.watch_list.is_empty() {
            // the listed name typed differently: "ZHANG  liwu"
            let listed = &rng.pick(&self.watch_list).name;
            let cut = listed
                .char_indices()
                .nth(1 + rng.below(4))
                .map_or(listed.len(), |(at, _)| at);
            return format!("{}  {}", listed[..cut].to_uppercase(), &listed[cut..]);
        }
        if kind < 4 && !self.watch_list.is_empty() {
            // one letter changed or dropped
            let mut letters: Vec<char> = rng.pick(&self.watch_list).name.chars().collect();
            let at = rng.below(letters.len().max(1));
            if kind == 2 && !letters.is_empty() {
                letters.remove(at);
            } else if !letters.is_empty() {
                letters[at] = *rng.pick(&['a', 'e', 'i', 'o', 'u', 'n', 'g', 'h']);
            }
            return letters.into_iter().collect();
        }
        if kind == 4 {
            return (0..2 + rng.below(2)).map(|_| *rng.pick(&HANZI)).collect();
        }
        let surname = rng.pick(&SYLLABLES);
        let given: String = (0..1 + rng.below(2)).map(|_| *rng.pick(&GIVEN)).collect();
        format!("{surname} {given}")
    }

    /// The scorecard's inputs in [`Model::variables`] order.
    fn values(
        &self,
        inputs: &ScorecardInputs,
        duration_months: i64,
        credit_amount: i64,
        age_years: i64,
    ) -> Vec<Value> {
        let text = |s: &str| Value::Text(s.into());
        let applicant: BTreeMap<&str, Value> = [
            ("checking_account", text(inputs.checking_account)),
            ("credit_history", text(inputs.credit_history)),
            ("duration_months", Value::Number(duration_months as f64)),
            ("savings", text(inputs.savings)),
            ("purpose", text(inputs.purpose)),
            ("credit_amount", Value::Number(credit_amount as f64)),
            ("property", text(inputs.property)),
            ("age", Value::Number(age_years as f64)),
            ("employment_since", text(inputs.employment_since)),
            ("housing", text(inputs.housing)),
            (
                "other_installment_plans",
                text(inputs.other_installment_plans),
            ),
            ("personal_status_sex", text(inputs.personal_status_sex)),
            (
                "installment_rate_pct",
                Value::Number(inputs.installment_rate_pct as f64),
            ),
        ]
        .into_iter()
        .collect();
        self.model
            .variables
            .iter()
            .map(|v| {
                applicant
                    .get(v.binning.name.as_str())
                    .cloned()
                    .unwrap_or(Value::Missing)
            })
            .collect()
    }

    /// The whole in-memory assessment: anti-fraud rules, AML screening, score, policy and
    /// the credit decision.
    pub fn assess(
        &self,
        a: &Applicant,
        others: &[OtherApplication<'_>],
        screening: Screening,
    ) -> Assessment {
        let birth_date = self
            .as_of
            .checked_sub_months(chrono::Months::new(12 * a.age_years as u32 + 5))
            .expect("a birth date");
        let subject = Subject {
            application_id: 5_000,
            customer_id: 42,
            id_number_hash: Some(&a.id_number_hash),
            phone_hash: Some(&a.phone_hash),
            bank_card_hash: Some(&a.bank_card_hash),
            device_id: Some(&a.device_id),
            declared_monthly_income_minor: Some(a.declared_income_minor),
            verified_monthly_income_minor: Some(a.verified_income_minor),
            birth_date: Some(birth_date),
            id_birth_date: Some(birth_date),
            blacklisted: false,
        };
        let fraud_hits = fraud::screen(&subject, others, &self.rules, self.as_of).len();
        let id = Some(a.id_number_hash.as_str());
        let aml_hits = match screening {
            Screening::Index => aml::screen_index(&a.name, id, &self.index, aml::DEFAULT_THRESHOLD),
            Screening::BruteForce => {
                aml::screen(&a.name, id, &self.watch_list, aml::DEFAULT_THRESHOLD)
            }
        }
        .len();
        let scored = self.model.score(&a.values);
        let band = self.model.bands[scored.band].0.as_str();
        // dti: the monthly principal over verified income, to 2 places
        let dti = Decimal::from(a.requested_minor / a.term_months)
            .checked_div(Decimal::from(a.verified_income_minor.max(1)))
            .expect("a ratio")
            .round_dp(2);
        let facts: BTreeMap<String, Fact> = [
            ("score", Fact::from(scored.score)),
            ("risk_band", Fact::from(band)),
            ("dti", Fact::Number(dti)),
            ("age", Fact::from(a.age_years)),
            ("monthly_income", Fact::from(a.verified_income_minor / 100)),
            ("amount", Fact::from(a.requested_minor / 100)),
            ("term_months", Fact::from(a.term_months)),
            ("fraud_hits", Fact::from(fraud_hits as i64)),
            ("aml_hits", Fact::from(aml_hits as i64)),
            ("bureau_delinquencies", Fact::from(a.bureau_delinquencies)),
            ("customer_kind", Fact::from("individual")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let eval = self
            .policy
            .evaluate(&facts)
            .expect("the demo policy decides");
        let bounds = DecisionBounds {
            rate_min: Decimal::from_str("0.06").expect("a rate"),
            rate_max: Decimal::from_str("0.24").expect("a rate"),
            amount_max_minor: 50_000_000,
            monthly_income_minor: Some(a.verified_income_minor),
            requested_minor: a.requested_minor,
        };
        Assessment {
            fraud_hits,
            aml_hits,
            decision: decide(&eval, &bounds),
        }
    }
}

/// Pinyin initials (with the empty one) for [`WatchNames::Varied`].
const INITIALS: [&str; 22] = [
    "", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "zh", "ch", "sh",
    "r", "z", "c", "s",
];

/// Pinyin finals for [`WatchNames::Varied`].
const FINALS: [&str; 32] = [
    "a", "o", "e", "i", "u", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong", "ia", "ie",
    "iao", "iu", "ian", "in", "iang", "ing", "iong", "ua", "uo", "uai", "ui", "uan", "un", "uang",
    "ue", "er",
];

/// A name of [`WatchNames::Varied`]: one in four in Chinese characters (a surname of the
/// 60 commonest code points drawn here, one or two given-name characters of 2,500), the
/// rest in pinyin (a surname and one or two given syllables, each initial × final).
fn varied_name(rng: &mut Rng) -> String {
    let given = 1 + rng.below(2);
    if rng.below(4) == 0 {
        let hanzi = |n: usize| char::from_u32(0x4E00 + n as u32).unwrap_or('王');
        let surname = hanzi(rng.below(60) * 37);
        return std::iter::once(surname)
            .chain((0..given).map(|_| hanzi(rng.below(2_500) * 7)))
            .collect();
    }
    let syllable = |rng: &mut Rng| format!("{}{}", rng.pick(&INITIALS), rng.pick(&FINALS));
    let mut name = syllable(rng);
    name.push(' ');
    for _ in 0..given {
        let s = syllable(rng);
        name.push_str(&s);
    }
    name
}

/// The categorical (and small integer) scorecard inputs.
struct ScorecardInputs {
    checking_account: &'static str,
    credit_history: &'static str,
    savings: &'static str,
    purpose: &'static str,
    property: &'static str,
    employment_since: &'static str,
    housing: &'static str,
    other_installment_plans: &'static str,
    personal_status_sex: &'static str,
    installment_rate_pct: i64,
}
