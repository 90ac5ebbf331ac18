//! Dates of loans: month arithmetic, repayment frequencies, day counts and
//! holiday calendars. All functions take dates as arguments; none reads a clock.

mod calendar;
mod day_count;
mod frequency;
mod months;

pub use calendar::{
    BusinessDayConvention, CalendarError, CalendarSpec, HolidayCalendar, NamedDate,
};
pub use day_count::DayCount;
pub use frequency::Frequency;
pub use months::{add_months, days_in_month};
