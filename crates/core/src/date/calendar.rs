//! Holiday calendars held as data, one per jurisdiction, and due-date adjustment.
//!
//! A calendar lists public holidays and, as in mainland China (调休), weekend days that
//! are working days. The operator keeps the list current each year; loanbook never
//! guesses a holiday.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The longest run of non-business days [`HolidayCalendar::adjust`] will step over.
const MAX_NON_BUSINESS_RUN: u32 = 31;

/// How a due date that falls on a non-business day is moved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusinessDayConvention {
    /// Keep the date as it is.
    #[default]
    None,
    /// Move to the next business day.
    Following,
    /// Move to the next business day unless that is in the next month; then to the
    /// previous business day.
    ModifiedFollowing,
}

impl BusinessDayConvention {
    /// The name used in configuration, JSON and the CLI.
    pub const fn code(self) -> &'static str {
        match self {
            BusinessDayConvention::None => "none",
            BusinessDayConvention::Following => "following",
            BusinessDayConvention::ModifiedFollowing => "modified_following",
        }
    }
}

impl fmt::Display for BusinessDayConvention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for BusinessDayConvention {
    type Err = CalendarError;

    /// Accepts `none`, `following`, `modified-following` / `modified_following`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.replace('-', "_").as_str() {
            "none" => Ok(BusinessDayConvention::None),
            "following" => Ok(BusinessDayConvention::Following),
            "modified_following" => Ok(BusinessDayConvention::ModifiedFollowing),
            _ => Err(CalendarError::UnknownConvention(s.to_owned())),
        }
    }
}

/// What can be wrong with a calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A weekday name that is not `mon` … `sun`.
    #[error("unknown weekday '{0}': expected mon, tue, wed, thu, fri, sat or sun")]
    UnknownWeekday(String),
    /// A date listed both as a holiday and as a working day.
    #[error("{0} is listed both as a holiday and as a working day")]
    Contradiction(NaiveDate),
    /// No business day within a month of the date.
    #[error("no business day within {MAX_NON_BUSINESS_RUN} days of {0}")]
    NoBusinessDay(NaiveDate),
    /// A convention name that is not `none`, `following` or `modified-following`.
    #[error(
        "unknown business-day convention '{0}': expected none, following or modified-following"
    )]
    UnknownConvention(String),
    /// The jurisdiction is empty.
    #[error("the calendar has no jurisdiction")]
    NoJurisdiction,
}

/// A dated entry of a calendar file: a holiday or a working weekend day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedDate {
    /// The date.
    pub date: NaiveDate,
    /// What it is, e.g. `春节`.
    #[serde(default)]
    pub name: String,
}

/// A calendar as written in a data file (JSON):
/// `{"jurisdiction": "CN", "weekend": ["sat","sun"], "holidays": [{"date": "2026-10-01", "name": "国庆节"}], "working_days": [...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSpec {
    /// Who the calendar is for, e.g. `CN`.
    pub jurisdiction: String,
    /// Weekly rest days; defaults to Saturday and Sunday.
    #[serde(default = "default_weekend")]
    pub weekend: Vec<String>,
    /// Public holidays.
    #[serde(default)]
    pub holidays: Vec<NamedDate>,
    /// Weekend days that are working days (调休上班).
    #[serde(default)]
    pub working_days: Vec<NamedDate>,
}

fn default_weekend() -> Vec<String> {
    vec!["sat".to_owned(), "sun".to_owned()]
}

/// A validated holiday calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolidayCalendar {
    jurisdiction: String,
    weekend: [bool; 7],
    holidays: BTreeSet<NaiveDate>,
    working_days: BTreeSet<NaiveDate>,
}

impl HolidayCalendar {
    /// A calendar with only Saturday and Sunday off.
    pub fn weekends_only(jurisdiction: &str) -> HolidayCalendar {
        let mut weekend = [false; 7];
        weekend[Weekday::Sat.num_days_from_monday() as usize] = true;
        weekend[Weekday::Sun.num_days_from_monday() as usize] = true;
        HolidayCalendar {
            jurisdiction: jurisdiction.to_owned(),
            weekend,
            holidays: BTreeSet::new(),
            working_days: BTreeSet::new(),
        }
    }

    /// Builds a calendar from its data.
    ///
    /// # Errors
    /// An empty jurisdiction, an unknown weekday, or a date that is both a holiday and a
    /// working day.
    pub fn from_spec(spec: &CalendarSpec) -> Result<HolidayCalendar, CalendarError> {
        if spec.jurisdiction.trim().is_empty() {
            return Err(CalendarError::NoJurisdiction);
        }
        let mut weekend = [false; 7];
        for name in &spec.weekend {
            let day = parse_weekday(name)?;
            weekend[day.num_days_from_monday() as usize] = true;
        }
        let holidays: BTreeSet<NaiveDate> = spec.holidays.iter().map(|h| h.date).collect();
        let working_days: BTreeSet<NaiveDate> = spec.working_days.iter().map(|w| w.date).collect();
        if let Some(both) = holidays.intersection(&working_days).next() {
            return Err(CalendarError::Contradiction(*both));
        }
        Ok(HolidayCalendar {
            jurisdiction: spec.jurisdiction.clone(),
            weekend,
            holidays,
            working_days,
        })
    }

    /// Who the calendar is for.
    pub fn jurisdiction(&self) -> &str {
        &self.jurisdiction
    }

    /// True when `date` is a working day: not a holiday, and either not a weekend day
    /// or a listed working weekend day.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        if self.holidays.contains(&date) {
            return false;
        }
        let weekend = self.weekend[date.weekday().num_days_from_monday() as usize];
        !weekend || self.working_days.contains(&date)
    }

    /// Moves `date` to a business day by `convention`.
    ///
    /// # Errors
    /// [`CalendarError::NoBusinessDay`] when no business day lies within 31 days.
    pub fn adjust(
        &self,
        date: NaiveDate,
        convention: BusinessDayConvention,
    ) -> Result<NaiveDate, CalendarError> {
        match convention {
            BusinessDayConvention::None => Ok(date),
            BusinessDayConvention::Following => self.step(date, 1),
            BusinessDayConvention::ModifiedFollowing => {
                let next = self.step(date, 1)?;
                if next.month() == date.month() {
                    Ok(next)
                } else {
                    self.step(date, -1)
                }
            }
        }
    }

    fn step(&self, date: NaiveDate, direction: i64) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        for _ in 0..=MAX_NON_BUSINESS_RUN {
            if self.is_business_day(day) {
                return Ok(day);
            }
            day = day
                .checked_add_signed(chrono::Duration::days(direction))
                .ok_or(CalendarError::NoBusinessDay(date))?;
        }
        Err(CalendarError::NoBusinessDay(date))
    }
}

fn parse_weekday(name: &str) -> Result<Weekday, CalendarError> {
    match name.to_ascii_lowercase().as_str() {
        "mon" => Ok(Weekday::Mon),
        "tue" => Ok(Weekday::Tue),
        "wed" => Ok(Weekday::Wed),
        "thu" => Ok(Weekday::Thu),
        "fri" => Ok(Weekday::Fri),
        "sat" => Ok(Weekday::Sat),
        "sun" => Ok(Weekday::Sun),
        _ => Err(CalendarError::UnknownWeekday(name.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn named(date: NaiveDate) -> NamedDate {
        NamedDate {
            date,
            name: String::new(),
        }
    }

    /// National Day week 2026 as a test calendar: Oct 1–7 off, Sat Oct 10 a working day.
    fn national_day() -> HolidayCalendar {
        let spec = CalendarSpec {
            jurisdiction: "CN".into(),
            weekend: default_weekend(),
            holidays: (1..=7).map(|d| named(ymd(2026, 10, d))).collect(),
            working_days: vec![named(ymd(2026, 10, 10))],
        };
        HolidayCalendar::from_spec(&spec).unwrap()
    }

    #[test]
    fn business_days_respect_holidays_and_working_weekends() {
        let cal = national_day();
        assert!(!cal.is_business_day(ymd(2026, 10, 1)));
        assert!(cal.is_business_day(ymd(2026, 10, 8)));
        // Saturday Oct 10 is a make-up working day (调休)
        assert!(cal.is_business_day(ymd(2026, 10, 10)));
        assert!(!cal.is_business_day(ymd(2026, 10, 11)));
    }

    #[test]
    fn following_and_modified_following() {
        let cal = national_day();
        assert_eq!(
            cal.adjust(ymd(2026, 10, 1), BusinessDayConvention::Following),
            Ok(ymd(2026, 10, 8))
        );
        assert_eq!(
            cal.adjust(ymd(2026, 10, 1), BusinessDayConvention::None),
            Ok(ymd(2026, 10, 1))
        );
        // Sat Oct 31 2026: following is Mon Nov 2 (next month) → modified-following Fri Oct 30
        assert_eq!(
            cal.adjust(ymd(2026, 10, 31), BusinessDayConvention::Following),
            Ok(ymd(2026, 11, 2))
        );
        assert_eq!(
            cal.adjust(ymd(2026, 10, 31), BusinessDayConvention::ModifiedFollowing),
            Ok(ymd(2026, 10, 30))
        );
    }

    #[test]
    fn refuses_bad_calendars() {
        let mut spec = CalendarSpec {
            jurisdiction: "CN".into(),
            weekend: vec!["saturday".into()],
            holidays: vec![],
            working_days: vec![],
        };
        assert_eq!(
            HolidayCalendar::from_spec(&spec),
            Err(CalendarError::UnknownWeekday("saturday".into()))
        );
        spec.weekend = default_weekend();
        spec.holidays = vec![named(ymd(2026, 1, 4))];
        spec.working_days = vec![named(ymd(2026, 1, 4))];
        assert_eq!(
            HolidayCalendar::from_spec(&spec),
            Err(CalendarError::Contradiction(ymd(2026, 1, 4)))
        );
        let all_week = CalendarSpec {
            jurisdiction: "X".into(),
            weekend: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .map(String::from)
                .to_vec(),
            holidays: vec![],
            working_days: vec![],
        };
        let cal = HolidayCalendar::from_spec(&all_week).unwrap();
        assert_eq!(
            cal.adjust(ymd(2026, 1, 1), BusinessDayConvention::Following),
            Err(CalendarError::NoBusinessDay(ymd(2026, 1, 1)))
        );
    }
}
