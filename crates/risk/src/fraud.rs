//! Anti-fraud rules (反欺诈) on one application against recent applications: shared
//! identity attributes across customers, application velocity, the blacklist, and
//! declared facts that disagree with verified ones.
//!
//! Each rule has a stable code (`F01_SHARED_ID` … `F08_BIRTH_MISMATCH`) that policies and
//! reports key on; a rule hits at most once, with a detail naming the applications behind it.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

/// The most application ids a detail text lists.
pub const MAX_IDS_IN_DETAIL: usize = 10;

/// The application being screened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject<'a> {
    /// Its application id.
    pub application_id: i64,
    /// The applicant.
    pub customer_id: i64,
    /// Keyed hash of the ID number.
    pub id_number_hash: Option<&'a str>,
    /// Keyed hash of the mobile phone.
    pub phone_hash: Option<&'a str>,
    /// Keyed hash of the bank card.
    pub bank_card_hash: Option<&'a str>,
    /// Device fingerprint.
    pub device_id: Option<&'a str>,
    /// Monthly income the applicant declared, in minor units.
    pub declared_monthly_income_minor: Option<i64>,
    /// Monthly income as verified (payslips, bank statements), in minor units.
    pub verified_monthly_income_minor: Option<i64>,
    /// Birth date as recorded on the customer.
    pub birth_date: Option<NaiveDate>,
    /// Birth date encoded in the ID number.
    pub id_birth_date: Option<NaiveDate>,
    /// Whether the customer is on the internal blacklist.
    pub blacklisted: bool,
}

/// Another recent application, as screening sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OtherApplication<'a> {
    /// Its application id.
    pub application_id: i64,
    /// Its applicant.
    pub customer_id: i64,
    /// The day it was submitted.
    pub submitted_on: NaiveDate,
    /// Keyed hash of the ID number.
    pub id_number_hash: Option<&'a str>,
    /// Keyed hash of the mobile phone.
    pub phone_hash: Option<&'a str>,
    /// Keyed hash of the bank card.
    pub bank_card_hash: Option<&'a str>,
    /// Device fingerprint.
    pub device_id: Option<&'a str>,
}

/// The tunable thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FraudRules {
    /// How far back other applications count, in days.
    pub window_days: u32,
    /// The most applications of one customer in the window, this one included.
    pub velocity_max: u32,
    /// How far verified income may fall short of declared income, as a fraction.
    pub income_tolerance: Decimal,
}

impl Default for FraudRules {
    /// 30 days, 3 applications, 30%.
    fn default() -> FraudRules {
        FraudRules {
            window_days: 30,
            velocity_max: 3,
            income_tolerance: Decimal::new(30, 2),
        }
    }
}

/// One rule that hit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FraudHit {
    /// Stable rule code.
    pub code: &'static str,
    /// What was found, naming the other applications.
    pub detail: String,
}

/// Reads one identity attribute of another application.
type Attribute = for<'x> fn(&'x OtherApplication<'x>) -> Option<&'x str>;

/// Screens `subject` against `others` as of `as_of`; hits ordered by code.
///
/// Other applications count when submitted on or after `as_of − window_days` (exactly
/// `window_days` ago counts); the subject's own application id is ignored.
pub fn screen(
    subject: &Subject,
    others: &[OtherApplication],
    rules: &FraudRules,
    as_of: NaiveDate,
) -> Vec<FraudHit> {
    let since = as_of.checked_sub_days(Days::new(u64::from(rules.window_days)));
    let recent: Vec<&OtherApplication> = others
        .iter()
        .filter(|o| o.application_id != subject.application_id)
        .filter(|o| since.is_none_or(|since| o.submitted_on >= since))
        .collect();
    let mut hits = Vec::new();
    let shared: [(&'static str, &str, Attribute, Option<&str>); 4] = [
        (
            "F01_SHARED_ID",
            "ID number",
            |o| o.id_number_hash,
            subject.id_number_hash,
        ),
        (
            "F02_SHARED_PHONE",
            "phone",
            |o| o.phone_hash,
            subject.phone_hash,
        ),
        (
            "F03_SHARED_CARD",
            "bank card",
            |o| o.bank_card_hash,
            subject.bank_card_hash,
        ),
        (
            "F04_SHARED_DEVICE",
            "device",
            |o| o.device_id,
            subject.device_id,
        ),
    ];
    for (code, what, attribute, mine) in shared {
        let Some(mine) = mine.filter(|m| !m.is_empty()) else {
            continue;
        };
        let ids: Vec<i64> = recent
            .iter()
            .filter(|o| o.customer_id != subject.customer_id && attribute(o) == Some(mine))
            .map(|o| o.application_id)
            .collect();
        if !ids.is_empty() {
            hits.push(FraudHit {
                code,
                detail: format!("{what} also on {} of other customers", applications(ids)),
            });
        }
    }
    if let Some(hit) = velocity(subject, &recent, rules) {
        hits.push(hit);
    }
    if subject.blacklisted {
        hits.push(FraudHit {
            code: "F06_BLACKLIST",
            detail: format!("customer {} is on the blacklist", subject.customer_id),
        });
    }
    if let Some(hit) = income_mismatch(subject, rules) {
        hits.push(hit);
    }
    if let (Some(recorded), Some(in_id)) = (subject.birth_date, subject.id_birth_date)
        && recorded != in_id
    {
        hits.push(FraudHit {
            code: "F08_BIRTH_MISMATCH",
            detail: format!("recorded birth date {recorded} differs from {in_id} in the ID number"),
        });
    }
    hits.sort_by_key(|h| h.code);
    hits
}

/// F05: this customer's applications in the window, this one included, above the maximum.
fn velocity(
    subject: &Subject,
    recent: &[&OtherApplication],
    rules: &FraudRules,
) -> Option<FraudHit> {
    let mut ids: Vec<i64> = recent
        .iter()
        .filter(|o| o.customer_id == subject.customer_id)
        .map(|o| o.application_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let count = ids.len().saturating_add(1);
    if count <= usize::try_from(rules.velocity_max).unwrap_or(usize::MAX) {
        return None;
    }
    Some(FraudHit {
        code: "F05_VELOCITY",
        detail: format!(
            "{count} applications of this customer in {} days (limit {}): this one and {}",
            rules.window_days,
            rules.velocity_max,
            applications(ids)
        ),
    })
}

/// F07: verified income below declared × (1 − tolerance).
fn income_mismatch(subject: &Subject, rules: &FraudRules) -> Option<FraudHit> {
    let declared = Decimal::new(subject.declared_monthly_income_minor?, 2);
    let verified = Decimal::new(subject.verified_monthly_income_minor?, 2);
    let floor = declared.checked_mul(Decimal::ONE.checked_sub(rules.income_tolerance)?)?;
    if verified >= floor {
        return None;
    }
    Some(FraudHit {
        code: "F07_INCOME_MISMATCH",
        detail: format!(
            "verified monthly income {verified} is more than {}% below the declared {declared}",
            (rules.income_tolerance * Decimal::ONE_HUNDRED).normalize()
        ),
    })
}

/// `application 12` or `applications 12, 15`, ids sorted, at most [`MAX_IDS_IN_DETAIL`].
fn applications(mut ids: Vec<i64>) -> String {
    ids.sort_unstable();
    ids.dedup();
    let shown: Vec<String> = ids
        .iter()
        .take(MAX_IDS_IN_DETAIL)
        .map(i64::to_string)
        .collect();
    let more = ids.len().saturating_sub(MAX_IDS_IN_DETAIL);
    let noun = if ids.len() == 1 {
        "application"
    } else {
        "applications"
    };
    if more > 0 {
        format!("{noun} {} and {more} more", shown.join(", "))
    } else {
        format!("{noun} {}", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    const AS_OF: &str = "2025-03-31";

    fn subject() -> Subject<'static> {
        Subject {
            application_id: 100,
            customer_id: 1,
            id_number_hash: Some("id-1"),
            phone_hash: Some("ph-1"),
            bank_card_hash: Some("card-1"),
            device_id: Some("dev-1"),
            declared_monthly_income_minor: Some(800_000),
            verified_monthly_income_minor: Some(800_000),
            birth_date: Some(day("1990-05-17")),
            id_birth_date: Some(day("1990-05-17")),
            blacklisted: false,
        }
    }

    fn other(
        application_id: i64,
        customer_id: i64,
        submitted_on: &str,
    ) -> OtherApplication<'static> {
        OtherApplication {
            application_id,
            customer_id,
            submitted_on: day(submitted_on),
            id_number_hash: None,
            phone_hash: None,
            bank_card_hash: None,
            device_id: None,
        }
    }

    fn codes(hits: &[FraudHit]) -> Vec<&'static str> {
        hits.iter().map(|h| h.code).collect()
    }

    fn run(subject: &Subject, others: &[OtherApplication]) -> Vec<FraudHit> {
        screen(subject, others, &FraudRules::default(), day(AS_OF))
    }

    #[test]
    fn a_clean_application_has_no_hits() {
        let others = [other(1, 2, "2025-03-30"), other(2, 1, "2025-03-30")];
        assert!(run(&subject(), &others).is_empty());
    }

    #[test]
    fn shared_attributes_of_other_customers_hit() {
        type Share = fn(&mut OtherApplication<'static>);
        let cases: [(&str, Share); 4] = [
            ("F01_SHARED_ID", |o| o.id_number_hash = Some("id-1")),
            ("F02_SHARED_PHONE", |o| o.phone_hash = Some("ph-1")),
            ("F03_SHARED_CARD", |o| o.bank_card_hash = Some("card-1")),
            ("F04_SHARED_DEVICE", |o| o.device_id = Some("dev-1")),
        ];
        for (code, share) in cases {
            let mut a = other(12, 2, "2025-03-20");
            let mut b = other(15, 3, "2025-03-21");
            share(&mut a);
            share(&mut b);
            // the same customer's own other application shares it too, and is no hit
            let mut own = other(7, 1, "2025-03-22");
            share(&mut own);
            let hits = run(&subject(), &[b, own, a]);
            assert_eq!(codes(&hits), [code]);
            assert!(
                hits[0]
                    .detail
                    .ends_with("also on applications 12, 15 of other customers"),
                "{}",
                hits[0].detail
            );

            // an attribute the subject lacks never hits
            let mut lacking = subject();
            lacking.id_number_hash = None;
            lacking.phone_hash = None;
            lacking.bank_card_hash = None;
            lacking.device_id = Some("");
            assert!(run(&lacking, &[a, b]).is_empty());
            // another value does not hit
            let different = other(12, 2, "2025-03-20");
            assert!(run(&subject(), &[different]).is_empty());
        }
        let mut a = other(12, 2, "2025-03-20");
        a.phone_hash = Some("ph-1");
        assert_eq!(
            run(&subject(), &[a])[0].detail,
            "phone also on application 12 of other customers"
        );
    }

    #[test]
    fn the_window_edge_counts_and_a_day_more_does_not() {
        let mut edge = other(12, 2, "2025-03-01"); // 2025-03-31 − 30 days
        edge.phone_hash = Some("ph-1");
        assert_eq!(codes(&run(&subject(), &[edge])), ["F02_SHARED_PHONE"]);
        let mut older = other(12, 2, "2025-02-28");
        older.phone_hash = Some("ph-1");
        assert!(run(&subject(), &[older]).is_empty());
    }

    #[test]
    fn velocity_counts_this_application_and_the_window() {
        // this one plus two in the window: 3, the limit
        let two = [other(1, 1, "2025-03-01"), other(2, 1, "2025-03-30")];
        assert!(run(&subject(), &two).is_empty());
        // plus one more: 4 > 3
        let three = [two[0], two[1], other(3, 1, "2025-03-15")];
        let hits = run(&subject(), &three);
        assert_eq!(codes(&hits), ["F05_VELOCITY"]);
        assert_eq!(
            hits[0].detail,
            "4 applications of this customer in 30 days (limit 3): this one and applications 1, 2, 3"
        );
        // one of them a day too old: 3 again; other customers' applications don't count
        let old = [
            two[0],
            two[1],
            other(3, 1, "2025-02-28"),
            other(4, 9, "2025-03-15"),
        ];
        assert!(run(&subject(), &old).is_empty());
    }

    #[test]
    fn the_own_application_is_ignored() {
        let mut me = other(100, 2, "2025-03-30");
        me.phone_hash = Some("ph-1");
        me.device_id = Some("dev-1");
        let mine = [
            me,
            other(100, 1, "2025-03-30"),
            other(100, 1, "2025-03-29"),
            other(1, 1, "2025-03-29"),
        ];
        assert!(run(&subject(), &mine).is_empty());
    }

    #[test]
    fn blacklist_income_and_birth_date() {
        let mut s = subject();
        s.blacklisted = true;
        assert_eq!(codes(&run(&s, &[])), ["F06_BLACKLIST"]);

        // 8000.00 × (1 − 0.30) = 5600.00: exactly the floor passes, a fen less hits
        let mut s = subject();
        s.verified_monthly_income_minor = Some(560_000);
        assert!(run(&s, &[]).is_empty());
        s.verified_monthly_income_minor = Some(559_999);
        let hits = run(&s, &[]);
        assert_eq!(codes(&hits), ["F07_INCOME_MISMATCH"]);
        assert_eq!(
            hits[0].detail,
            "verified monthly income 5599.99 is more than 30% below the declared 8000.00"
        );
        s.verified_monthly_income_minor = None;
        assert!(run(&s, &[]).is_empty(), "nothing verified yet");

        let mut s = subject();
        s.birth_date = Some(day("1990-05-18"));
        let hits = run(&s, &[]);
        assert_eq!(codes(&hits), ["F08_BIRTH_MISMATCH"]);
        assert_eq!(
            hits[0].detail,
            "recorded birth date 1990-05-18 differs from 1990-05-17 in the ID number"
        );
        s.id_birth_date = None;
        assert!(run(&s, &[]).is_empty());
    }

    #[test]
    fn one_hit_per_rule_ordered_by_code() {
        let mut s = subject();
        s.blacklisted = true;
        s.birth_date = Some(day("1991-01-01"));
        s.verified_monthly_income_minor = Some(100_000);
        let others: Vec<OtherApplication> = (0..20)
            .map(|i| OtherApplication {
                id_number_hash: Some("id-1"),
                phone_hash: Some("ph-1"),
                bank_card_hash: Some("card-1"),
                device_id: Some("dev-1"),
                ..other(i, if i < 5 { 1 } else { 50 + i }, "2025-03-30")
            })
            .collect();
        let hits = run(&s, &others);
        assert_eq!(
            codes(&hits),
            [
                "F01_SHARED_ID",
                "F02_SHARED_PHONE",
                "F03_SHARED_CARD",
                "F04_SHARED_DEVICE",
                "F05_VELOCITY",
                "F06_BLACKLIST",
                "F07_INCOME_MISMATCH",
                "F08_BIRTH_MISMATCH"
            ]
        );
        // 15 other customers' applications: ten listed
        assert_eq!(
            hits[0].detail,
            "ID number also on applications 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 and 5 more of other customers"
        );
    }
}
