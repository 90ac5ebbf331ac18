//! Floating rates on the loan prime rate (贷款市场报价利率, LPR): the tenors published, the
//! repricing rules a contract picks, and the rate a floating loan gets on a repricing date
//! — the latest LPR of its tenor published on or before that date plus the contract's
//! spread (加点, which may be negative).

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::date::Frequency;
use crate::rate::{AnnualRate, RateError};

/// An LPR tenor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum LprTenor {
    /// The one-year LPR (`1y`).
    #[serde(rename = "1y")]
    OneYear,
    /// The over-five-year LPR (`5y`), the base of mortgages.
    #[serde(rename = "5y")]
    FiveYear,
}

impl LprTenor {
    /// Both tenors.
    pub const ALL: [LprTenor; 2] = [LprTenor::OneYear, LprTenor::FiveYear];

    /// The code: `1y` or `5y`.
    pub const fn code(self) -> &'static str {
        match self {
            LprTenor::OneYear => "1y",
            LprTenor::FiveYear => "5y",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<LprTenor> {
        LprTenor::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// When a floating loan reprices (重定价日).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RepricingRule {
    /// Every January 1 (`january_1`).
    #[serde(rename = "january_1")]
    JanuaryFirst,
    /// Every anniversary of the loan's start date (`anniversary`); a loan that started on
    /// February 29 reprices on February 28 in other years.
    Anniversary,
}

impl RepricingRule {
    /// Both rules.
    pub const ALL: [RepricingRule; 2] = [RepricingRule::JanuaryFirst, RepricingRule::Anniversary];

    /// The code: `january_1` or `anniversary`.
    pub const fn code(self) -> &'static str {
        match self {
            RepricingRule::JanuaryFirst => "january_1",
            RepricingRule::Anniversary => "anniversary",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<RepricingRule> {
        RepricingRule::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The first repricing date strictly after `after` of a loan that started on `start`.
    /// `None` only beyond the calendar's range.
    pub fn next_after(self, start: NaiveDate, after: NaiveDate) -> Option<NaiveDate> {
        match self {
            RepricingRule::JanuaryFirst => NaiveDate::from_ymd_opt(after.year() + 1, 1, 1),
            RepricingRule::Anniversary => {
                let mut years = (after.year() - start.year()).max(1);
                loop {
                    let date = Frequency::Monthly.nth_date(start, years.checked_mul(12)?)?;
                    if date > after {
                        return Some(date);
                    }
                    years += 1;
                }
            }
        }
    }
}

/// The latest rate of `published` (effective date, rate) in effect on `date`: the one
/// with the latest effective date on or before it.
pub fn latest_on(
    published: &[(NaiveDate, Decimal)],
    date: NaiveDate,
) -> Option<(NaiveDate, Decimal)> {
    published
        .iter()
        .filter(|(effective, _)| *effective <= date)
        .max_by_key(|(effective, _)| *effective)
        .copied()
}

/// The rate of a floating loan: `lpr + spread`.
///
/// # Errors
/// [`RateError`] when the sum is not a valid annual rate (below 0, from 1 up, or more than
/// eight decimals).
pub fn floating_rate(lpr: Decimal, spread: Decimal) -> Result<AnnualRate, RateError> {
    AnnualRate::new(lpr + spread)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn repricing_dates_follow_the_rule() {
        let start = d(2026, 11, 23);
        let jan = RepricingRule::JanuaryFirst;
        assert_eq!(jan.next_after(start, d(2026, 11, 23)), Some(d(2027, 1, 1)));
        // strictly after: repriced on January 1, the next is a year later
        assert_eq!(jan.next_after(start, d(2027, 1, 1)), Some(d(2028, 1, 1)));
        let anniversary = RepricingRule::Anniversary;
        assert_eq!(
            anniversary.next_after(start, d(2026, 11, 23)),
            Some(d(2027, 11, 23))
        );
        assert_eq!(
            anniversary.next_after(start, d(2027, 11, 23)),
            Some(d(2028, 11, 23))
        );
        assert_eq!(
            anniversary.next_after(start, d(2028, 2, 1)),
            Some(d(2028, 11, 23))
        );
        // a leap-day loan reprices on February 28, and on February 29 in leap years
        let leap = d(2024, 2, 29);
        assert_eq!(anniversary.next_after(leap, leap), Some(d(2025, 2, 28)));
        assert_eq!(
            anniversary.next_after(leap, d(2027, 3, 1)),
            Some(d(2028, 2, 29))
        );
    }

    #[test]
    fn the_rate_is_the_latest_lpr_on_the_date_plus_the_spread() {
        let published = [
            (d(2026, 10, 20), dec("0.0350")),
            (d(2026, 12, 22), dec("0.0330")),
            (d(2027, 1, 20), dec("0.0320")),
        ];
        assert_eq!(latest_on(&published, d(2026, 10, 19)), None);
        assert_eq!(
            latest_on(&published, d(2027, 1, 1)),
            Some((d(2026, 12, 22), dec("0.0330")))
        );
        // 3.30% + 0.85% = 4.15%; a spread below the LPR is allowed
        assert_eq!(
            floating_rate(dec("0.0330"), dec("0.0085")).unwrap(),
            AnnualRate::parse("0.0415").unwrap()
        );
        assert_eq!(
            floating_rate(dec("0.0330"), dec("-0.0030")).unwrap(),
            AnnualRate::parse("0.03").unwrap()
        );
        assert!(floating_rate(dec("0.0030"), dec("-0.0100")).is_err());
    }

    #[test]
    fn codes_round_trip() {
        for t in LprTenor::ALL {
            assert_eq!(LprTenor::parse(t.code()), Some(t));
        }
        for r in RepricingRule::ALL {
            assert_eq!(RepricingRule::parse(r.code()), Some(r));
        }
        assert_eq!(LprTenor::parse("3y"), None);
    }
}
