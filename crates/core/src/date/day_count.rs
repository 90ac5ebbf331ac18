//! Day-count conventions: how many days a period has and how many make a year.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A day-count convention for period interest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DayCount {
    /// 30/360 (bond basis): every month has 30 days, the year 360. A regular monthly
    /// period earns exactly annual / 12. The default.
    #[default]
    #[serde(rename = "30/360")]
    Thirty360,
    /// Actual days over a 360-day year (daily rate = annual / 360, the Chinese bank convention).
    #[serde(rename = "act/360")]
    Act360,
    /// Actual days over a fixed 365-day year.
    #[serde(rename = "act/365")]
    Act365F,
}

impl DayCount {
    /// The name used in configuration, JSON and the CLI.
    pub const fn code(self) -> &'static str {
        match self {
            DayCount::Thirty360 => "30/360",
            DayCount::Act360 => "act/360",
            DayCount::Act365F => "act/365",
        }
    }

    /// Days in a year under this convention: 360 or 365.
    pub const fn year_days(self) -> u32 {
        match self {
            DayCount::Thirty360 | DayCount::Act360 => 360,
            DayCount::Act365F => 365,
        }
    }

    /// Days from `from` to `to` (negative when `to` is earlier).
    ///
    /// 30/360 counts `360·ΔY + 30·ΔM + ΔD` after moving a day-31 start to 30, and a
    /// day-31 end to 30 when the start is then the 30th (ISDA 2006 §4.16(f)).
    pub fn days(self, from: NaiveDate, to: NaiveDate) -> i64 {
        match self {
            DayCount::Act360 | DayCount::Act365F => (to - from).num_days(),
            DayCount::Thirty360 => {
                let d1 = from.day().min(30);
                let d2 = if d1 == 30 { to.day().min(30) } else { to.day() };
                360 * i64::from(to.year() - from.year())
                    + 30 * (i64::from(to.month()) - i64::from(from.month()))
                    + (i64::from(d2) - i64::from(d1))
            }
        }
    }
}

impl fmt::Display for DayCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A day-count name loanbook does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown day count '{0}': expected 30/360, act/360 or act/365")]
pub struct UnknownDayCount(pub String);

impl FromStr for DayCount {
    type Err = UnknownDayCount;

    /// Accepts `30/360`, `act/360`, `act/365` and `act/365f`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "30/360" => Ok(DayCount::Thirty360),
            "act/360" => Ok(DayCount::Act360),
            "act/365" | "act/365f" => Ok(DayCount::Act365F),
            _ => Err(UnknownDayCount(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn thirty_360_counts_months_as_thirty_days() {
        let dc = DayCount::Thirty360;
        assert_eq!(dc.days(ymd(2026, 1, 15), ymd(2026, 2, 15)), 30);
        // Jan 31 → Mar 31: 30 + 30 (both 31sts become 30)
        assert_eq!(dc.days(ymd(2026, 1, 31), ymd(2026, 3, 31)), 60);
        // Jan 31 → Feb 28: 30·1 + (28 − 30) = 28
        assert_eq!(dc.days(ymd(2026, 1, 31), ymd(2026, 2, 28)), 28);
        assert_eq!(dc.days(ymd(2026, 1, 1), ymd(2027, 1, 1)), 360);
        // Feb 28 → Mar 31: the start is not the 30th, so the 31st stays: 30 + 3 = 33
        assert_eq!(dc.days(ymd(2026, 2, 28), ymd(2026, 3, 31)), 33);
    }

    #[test]
    fn actual_counts_calendar_days() {
        assert_eq!(
            DayCount::Act360.days(ymd(2026, 1, 31), ymd(2026, 2, 28)),
            28
        );
        assert_eq!(
            DayCount::Act365F.days(ymd(2028, 1, 1), ymd(2029, 1, 1)),
            366
        );
        assert_eq!(DayCount::Act365F.year_days(), 365);
    }

    #[test]
    fn parses_names() {
        assert_eq!("ACT/365F".parse(), Ok(DayCount::Act365F));
        assert_eq!("30/360".parse(), Ok(DayCount::Thirty360));
        assert!("actual".parse::<DayCount>().is_err());
    }
}
