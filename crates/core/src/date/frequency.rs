//! How often installments fall due.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::months::add_months;

/// The repayment frequency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every month on the anchor day (clamped to month end).
    #[default]
    Monthly,
    /// Every three months on the anchor day.
    Quarterly,
    /// Every 14 days.
    Biweekly,
    /// Every 7 days.
    Weekly,
}

impl Frequency {
    /// The name used in configuration and JSON.
    pub const fn code(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Biweekly => "biweekly",
            Frequency::Weekly => "weekly",
        }
    }

    /// Periods in a year: 12, 4, 26 or 52.
    pub const fn periods_per_year(self) -> u32 {
        match self {
            Frequency::Monthly => 12,
            Frequency::Quarterly => 4,
            Frequency::Biweekly => 26,
            Frequency::Weekly => 52,
        }
    }

    /// Months in one period for month-based frequencies, `None` for week-based ones.
    pub const fn months(self) -> Option<u32> {
        match self {
            Frequency::Monthly => Some(1),
            Frequency::Quarterly => Some(3),
            Frequency::Biweekly | Frequency::Weekly => None,
        }
    }

    /// Days in one period for week-based frequencies, `None` for month-based ones.
    pub const fn days(self) -> Option<u32> {
        match self {
            Frequency::Biweekly => Some(14),
            Frequency::Weekly => Some(7),
            Frequency::Monthly | Frequency::Quarterly => None,
        }
    }

    /// The date `periods` periods after (or before, when negative) `anchor`.
    /// Month-based periods keep the anchor day and clamp to month end.
    /// Returns `None` outside the calendar's range.
    pub fn nth_date(self, anchor: NaiveDate, periods: i32) -> Option<NaiveDate> {
        match (self.months(), self.days()) {
            (Some(months), _) => add_months(anchor, periods.checked_mul(months as i32)?),
            (None, Some(days)) => {
                let offset = Days::new(u64::from(periods.unsigned_abs()) * u64::from(days));
                if periods >= 0 {
                    anchor.checked_add_days(offset)
                } else {
                    anchor.checked_sub_days(offset)
                }
            }
            (None, None) => None,
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A frequency name loanbook does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown frequency '{0}': expected monthly, quarterly, biweekly or weekly")]
pub struct UnknownFrequency(pub String);

impl FromStr for Frequency {
    type Err = UnknownFrequency;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "monthly" => Ok(Frequency::Monthly),
            "quarterly" => Ok(Frequency::Quarterly),
            "biweekly" => Ok(Frequency::Biweekly),
            "weekly" => Ok(Frequency::Weekly),
            _ => Err(UnknownFrequency(s.to_owned())),
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
    fn nth_dates() {
        let start = ymd(2026, 1, 31);
        assert_eq!(
            Frequency::Monthly.nth_date(start, 1),
            Some(ymd(2026, 2, 28))
        );
        assert_eq!(
            Frequency::Quarterly.nth_date(start, 1),
            Some(ymd(2026, 4, 30))
        );
        assert_eq!(
            Frequency::Quarterly.nth_date(start, 4),
            Some(ymd(2027, 1, 31))
        );
        assert_eq!(
            Frequency::Biweekly.nth_date(start, 2),
            Some(ymd(2026, 2, 28))
        );
        assert_eq!(Frequency::Weekly.nth_date(start, 1), Some(ymd(2026, 2, 7)));
        assert_eq!(
            Frequency::Weekly.nth_date(start, -1),
            Some(ymd(2026, 1, 24))
        );
        assert_eq!(
            Frequency::Monthly.nth_date(start, -1),
            Some(ymd(2025, 12, 31))
        );
    }

    #[test]
    fn parses_names() {
        assert_eq!("quarterly".parse(), Ok(Frequency::Quarterly));
        assert!("daily".parse::<Frequency>().is_err());
    }
}
