//! The approval funnel (审批漏斗): of the applications created in a period, how many were
//! submitted, approved, contracted and disbursed, how many declined; the approval rate
//! (approved ÷ decided) and the time from submission to decision (median and 90th
//! percentile, in whole minutes).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::ratio;

/// How far one application went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Path {
    /// When it was first submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When it was first approved or declined.
    pub decided_at: Option<DateTime<Utc>>,
    /// Reached approved.
    pub approved: bool,
    /// Reached declined.
    pub declined: bool,
    /// Reached contracted.
    pub contracted: bool,
    /// Reached disbursed.
    pub disbursed: bool,
}

/// The funnel of a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Funnel {
    /// Applications created.
    pub created: i64,
    /// Submitted.
    pub submitted: i64,
    /// Approved.
    pub approved: i64,
    /// Declined.
    pub declined: i64,
    /// Contracted.
    pub contracted: i64,
    /// Disbursed.
    pub disbursed: i64,
    /// Approved ÷ (approved + declined).
    pub approval_rate: Decimal,
    /// Median minutes from submission to decision.
    pub decision_minutes_p50: Option<i64>,
    /// 90th percentile of the same.
    pub decision_minutes_p90: Option<i64>,
}

/// The nearest-rank percentile `p` (1–100) of sorted `values`.
fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The funnel of `paths`.
pub fn funnel(paths: &[Path]) -> Funnel {
    let count = |f: fn(&Path) -> bool| paths.iter().filter(|p| f(p)).count() as i64;
    let approved = count(|p| p.approved);
    let declined = count(|p| p.declined);
    let mut minutes: Vec<i64> = paths
        .iter()
        .filter_map(|p| Some((p.decided_at? - p.submitted_at?).num_minutes()))
        .filter(|m| *m >= 0)
        .collect();
    minutes.sort_unstable();
    Funnel {
        created: paths.len() as i64,
        submitted: count(|p| p.submitted_at.is_some()),
        approved,
        declined,
        contracted: count(|p| p.contracted),
        disbursed: count(|p| p.disbursed),
        approval_rate: ratio(approved, approved + declined),
        decision_minutes_p50: percentile(&minutes, 50),
        decision_minutes_p90: percentile(&minutes, 90),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: i64) -> Option<DateTime<Utc>> {
        Some(
            Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap() + chrono::Duration::minutes(minute),
        )
    }

    #[test]
    fn a_crafted_month_of_applications() {
        let approved = |decided| Path {
            submitted_at: at(0),
            decided_at: at(decided),
            approved: true,
            ..Path::default()
        };
        let mut paths: Vec<Path> = (1..=8).map(|m| approved(m * 10)).collect();
        paths[0].contracted = true;
        paths[0].disbursed = true;
        paths.push(Path {
            submitted_at: at(0),
            decided_at: at(5),
            declined: true,
            ..Path::default()
        });
        paths.push(Path::default()); // a draft never submitted
        let f = funnel(&paths);
        assert_eq!(
            (
                f.created,
                f.submitted,
                f.approved,
                f.declined,
                f.contracted,
                f.disbursed
            ),
            (10, 9, 8, 1, 1, 1)
        );
        // 8 of 9 decided were approved
        assert_eq!(f.approval_rate.to_string(), "0.8889");
        // decision times 5, 10, 20, …, 80 minutes: the median the 5th, p90 the 9th
        assert_eq!(
            (f.decision_minutes_p50, f.decision_minutes_p90),
            (Some(40), Some(80))
        );
        assert_eq!(funnel(&[]).decision_minutes_p50, None);
    }
}
