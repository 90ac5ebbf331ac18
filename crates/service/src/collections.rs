//! Collections (催收): the strategy and collectors, cases and their work queues, the action
//! log under the contact rules, promises to pay, field visits, legal cases, agency
//! placements, settlements and collateral disposal.
//!
//! Cases are opened, moved, closed and assigned by the daily close ([`close`]); people
//! work them here. A collector works the cases assigned to them (`collection:work`); a
//! manager (`collection:manage`) configures, assigns, files legal action, places with
//! agencies and requests settlements, which someone else approves
//! (`settlement:approve`, four-eyes) — see [`settlements`].

pub mod cases;
pub mod close;
pub mod recovery;
#[cfg(test)]
mod scenario_tests;
pub mod settlements;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use loanbook_core::post_loan::collections::Strategy;
use serde::Serialize;

/// The strategy stored as JSON, or the default one.
pub(crate) fn strategy_from(json: Option<&str>) -> Strategy {
    json.and_then(|j| serde_json::from_str::<Strategy>(j).ok())
        .filter(|s| s.check().is_ok())
        .unwrap_or_default()
}

/// The time zone of a borrower, from its IANA name (default `Asia/Shanghai`).
pub(crate) fn zone(name: Option<&str>) -> Tz {
    name.and_then(|n| n.parse::<Tz>().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai)
}

/// `now` on the wall clock of the borrower in `zone`.
pub(crate) fn local(now: DateTime<Utc>, zone: Tz) -> NaiveDateTime {
    now.with_timezone(&zone).naive_local()
}

/// The UTC instant of a borrower's local time (the earlier one of an ambiguous local
/// time; a local time skipped by a clock change moves an hour on).
pub(crate) fn to_utc(local: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    use chrono::TimeZone;
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.with_timezone(&Utc)
        }
        chrono::LocalResult::None => zone
            .from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc)),
    }
}

/// Money of a view: a 2-decimal string.
pub(crate) fn money(minor: i64) -> String {
    loanbook_core::money::Money::from_minor(minor, loanbook_core::money::Currency::CNY).to_string()
}

/// A collector as the configuration shows it.
#[derive(Clone, Debug, Serialize)]
pub struct CollectorView {
    /// Login name.
    pub username: String,
    /// Queues worked (`M1`, `M2`, …).
    pub queues: Vec<String>,
    /// Region (province) covered.
    pub region: Option<String>,
    /// Takes new cases.
    pub active: bool,
    /// Most open cases at once.
    pub max_open_cases: i64,
    /// Open cases now.
    pub open_cases: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_times_follow_the_borrowers_zone() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 14, 30, 0).unwrap();
        assert_eq!(
            local(now, zone(Some("Asia/Shanghai"))).to_string(),
            "2026-12-01 22:30:00"
        );
        assert_eq!(
            local(now, zone(Some("Europe/London"))).to_string(),
            "2026-12-01 14:30:00"
        );
        assert_eq!(zone(Some("Mars/Olympus")), chrono_tz::Asia::Shanghai);
        let eight = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        assert_eq!(
            to_utc(eight, chrono_tz::Asia::Shanghai),
            Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn a_bad_stored_strategy_falls_back_to_the_default() {
        assert_eq!(strategy_from(None), Strategy::default());
        assert_eq!(strategy_from(Some("{not json")), Strategy::default());
        let mut s = Strategy::default();
        s.steps[1].from_dpd = 10;
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(strategy_from(Some(&json)).steps[1].from_dpd, 10);
    }
}
