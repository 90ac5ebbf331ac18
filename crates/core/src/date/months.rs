//! Month arithmetic that keeps the anchor day and clamps to the month's end.

use chrono::{Datelike, NaiveDate};

/// Number of days in `month` (1–12) of `year`.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|first| first.pred_opt())
        .map_or(31, |last| last.day())
}

/// `anchor` moved by `months` (which may be negative), keeping the anchor's day and
/// clamping it to the last day of the target month.
///
/// Every due date is computed from the same anchor, so a clamp never sticks:
/// Jan 31 + 1 → Feb 28, Jan 31 + 2 → Mar 31. Returns `None` outside chrono's range.
pub fn add_months(anchor: NaiveDate, months: i32) -> Option<NaiveDate> {
    let index = anchor.year().checked_mul(12)? + anchor.month0() as i32;
    let target = index.checked_add(months)?;
    let year = target.div_euclid(12);
    let month = target.rem_euclid(12) as u32 + 1;
    let day = anchor.day().min(days_in_month(year, month));
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn keeps_the_anchor_day_and_clamps() {
        let jan31 = ymd(2026, 1, 31);
        assert_eq!(add_months(jan31, 1), Some(ymd(2026, 2, 28)));
        assert_eq!(add_months(jan31, 2), Some(ymd(2026, 3, 31)));
        assert_eq!(add_months(jan31, 3), Some(ymd(2026, 4, 30)));
        assert_eq!(add_months(ymd(2027, 12, 31), 2), Some(ymd(2028, 2, 29)));
        assert_eq!(add_months(ymd(2026, 3, 31), -1), Some(ymd(2026, 2, 28)));
        assert_eq!(add_months(ymd(2026, 1, 15), -13), Some(ymd(2024, 12, 15)));
        assert_eq!(add_months(ymd(2026, 11, 30), 480), Some(ymd(2066, 11, 30)));
    }

    #[test]
    fn month_lengths() {
        assert_eq!(days_in_month(2026, 2), 28);
        assert_eq!(days_in_month(2028, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2026, 12), 31);
        assert_eq!(days_in_month(2026, 4), 30);
    }

    proptest! {
        #[test]
        fn day_is_kept_or_clamped(day in 1u32..=31, months in -600i32..600) {
            let anchor = ymd(2024, 1, day);
            let moved = add_months(anchor, months).unwrap();
            let expected = day.min(days_in_month(moved.year(), moved.month()));
            prop_assert_eq!(moved.day(), expected);
            let month_index = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
            prop_assert_eq!(month_index(moved) - month_index(anchor), months);
        }
    }
}
