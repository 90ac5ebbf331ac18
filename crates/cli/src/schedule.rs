//! `loanbook schedule`: the repayment-schedule calculator.

use std::fmt::Write as _;

use chrono::NaiveDate;
use clap::Args;
use loanbook_core::date::{
    BusinessDayConvention, CalendarSpec, DayCount, Frequency, HolidayCalendar,
};
use loanbook_core::legal_cap::{APR_SCALE, CapCheck, LegalCap};
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::rounding::Rounding;
use loanbook_core::schedule::{self, RepaymentMethod, Schedule, ScheduleTerms};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::error::CliError;

/// Arguments of `loanbook schedule`. Values are taken as text and parsed here, so
/// every refusal names the argument and the rule in loanbook's own words.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Amount lent, e.g. 100000 or 100000.00.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    principal: String,
    /// Nominal annual rate as a fraction: 0.0435 is 4.35%.
    #[arg(long, value_name = "RATE", allow_hyphen_values = true)]
    annual_rate: String,
    /// Number of installments (1–480); for bullet, periods until maturity.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    term: String,
    /// annuity (等额本息), equal-principal (等额本金), interest-only (先息后本),
    /// bullet (到期一次还本付息) or flat (等本等息).
    #[arg(long, value_name = "METHOD")]
    method: String,
    /// Disbursement date (YYYY-MM-DD); periods are counted from it.
    #[arg(long, value_name = "DATE")]
    start: String,
    /// monthly, quarterly, biweekly or weekly.
    #[arg(long, value_name = "FREQ", default_value = "monthly")]
    frequency: String,
    /// half-up (四舍五入) or half-even.
    #[arg(long, value_name = "MODE", default_value = "half-up")]
    rounding: String,
    /// Round the installment up to a multiple of this amount (annuity and flat).
    #[arg(long, value_name = "M", allow_hyphen_values = true)]
    installment_multiple: Option<String>,
    /// Principal grace: the first G installments pay interest only.
    #[arg(long, value_name = "G", allow_hyphen_values = true)]
    grace_principal: Option<String>,
    /// First due date, making a broken first period; later dates anchor on it.
    #[arg(long, value_name = "DATE")]
    first_due: Option<String>,
    /// Day count of period interest: 30/360, act/360 or act/365.
    #[arg(long, value_name = "BASIS", default_value = "30/360")]
    day_count: String,
    /// Currency of the amounts (ISO code).
    #[arg(long, value_name = "CODE", default_value = "CNY")]
    currency: String,
    /// Fees the borrower pays up front: deducted from the amount received for the APR.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    upfront_fee: Option<String>,
    /// Report by how much the APR exceeds this annual cap, e.g. 0.24.
    #[arg(long, value_name = "RATE", allow_hyphen_values = true)]
    legal_cap: Option<String>,
    /// Holiday calendar (JSON) to move due dates off non-business days.
    #[arg(long, value_name = "FILE")]
    calendar: Option<String>,
    /// How due dates move with --calendar: none, following (the default) or modified-following.
    #[arg(long, value_name = "RULE")]
    adjust: Option<String>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// The validated request: terms plus what is reported beside the schedule.
struct Request {
    terms: ScheduleTerms,
    upfront_fee: Money,
    legal_cap: Option<LegalCap>,
    calendar: Option<(HolidayCalendar, BusinessDayConvention)>,
}

/// Runs the calculator and returns what to print.
pub fn run(args: &ScheduleArgs) -> Result<String, CliError> {
    let request = parse(args)?;
    let mut schedule = schedule::generate(&request.terms)
        .map_err(|e| CliError::usage(format!("--{}", e.field.replace('_', "-")), e.rule))?;
    if let Some((calendar, convention)) = &request.calendar {
        schedule
            .adjust_due_dates(calendar, *convention)
            .map_err(|e| CliError::usage("--calendar", e))?;
    }
    let apr = schedule
        .apr(request.upfront_fee)
        .map_err(|e| CliError::usage("--upfront-fee", e))?;
    let cap = request.legal_cap.map(|cap| cap.check(apr));
    let report = Report::new(&schedule, request.upfront_fee, apr, cap);
    if args.json {
        let mut text = serde_json::to_string_pretty(&report)
            .map_err(|e| CliError::Failed(format!("cannot write JSON: {e}")))?;
        text.push('\n');
        Ok(text)
    } else {
        Ok(report.table())
    }
}

fn parse(args: &ScheduleArgs) -> Result<Request, CliError> {
    let currency =
        Currency::from_code(&args.currency).map_err(|e| CliError::usage("--currency", e))?;
    let money = |argument: &str, text: &str| {
        Money::parse(text, currency).map_err(|e| CliError::usage(argument, e))
    };
    let count = |argument: &str, text: &str| {
        text.parse::<u32>().map_err(|_| {
            CliError::usage(
                argument,
                format!("'{text}' is not a whole number of periods"),
            )
        })
    };
    let principal = money("--principal", &args.principal)?;
    let annual_rate =
        AnnualRate::parse(&args.annual_rate).map_err(|e| CliError::usage("--annual-rate", e))?;
    let term = count("--term", &args.term)?;
    let method: RepaymentMethod = args
        .method
        .parse()
        .map_err(|e| CliError::usage("--method", e))?;
    let start = date("--start", &args.start)?;
    let mut terms = ScheduleTerms::new(principal, annual_rate, term, method, start);
    terms.frequency = args
        .frequency
        .parse::<Frequency>()
        .map_err(|e| CliError::usage("--frequency", e))?;
    terms.rounding = args
        .rounding
        .parse::<Rounding>()
        .map_err(|e| CliError::usage("--rounding", e))?;
    terms.day_count = args
        .day_count
        .parse::<DayCount>()
        .map_err(|e| CliError::usage("--day-count", e))?;
    if let Some(text) = &args.installment_multiple {
        terms.installment_multiple = Some(money("--installment-multiple", text)?);
    }
    if let Some(text) = &args.grace_principal {
        terms.grace_principal = count("--grace-principal", text)?;
    }
    if let Some(text) = &args.first_due {
        terms.first_due = Some(date("--first-due", text)?);
    }
    let upfront_fee = match &args.upfront_fee {
        Some(text) => money("--upfront-fee", text)?,
        None => Money::zero(currency),
    };
    let legal_cap = args
        .legal_cap
        .as_deref()
        .map(|text| {
            let value: Decimal = text.parse().map_err(|_| {
                CliError::usage(
                    "--legal-cap",
                    format!("'{text}' is not a rate such as 0.24"),
                )
            })?;
            LegalCap::new(value).map_err(|e| CliError::usage("--legal-cap", e))
        })
        .transpose()?;
    Ok(Request {
        terms,
        upfront_fee,
        legal_cap,
        calendar: calendar(args)?,
    })
}

fn date(argument: &str, text: &str) -> Result<NaiveDate, CliError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        CliError::usage(
            argument,
            format!("'{text}' is not a valid date (expected YYYY-MM-DD)"),
        )
    })
}

fn calendar(
    args: &ScheduleArgs,
) -> Result<Option<(HolidayCalendar, BusinessDayConvention)>, CliError> {
    let Some(path) = &args.calendar else {
        if args.adjust.is_some() {
            return Err(CliError::usage(
                "--adjust",
                "needs a holiday calendar (--calendar FILE)",
            ));
        }
        return Ok(None);
    };
    let convention = match &args.adjust {
        Some(text) => text.parse().map_err(|e| CliError::usage("--adjust", e))?,
        None => BusinessDayConvention::Following,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage("--calendar", format!("cannot read {path}: {e}")))?;
    let spec: CalendarSpec = serde_json::from_str(&text)
        .map_err(|e| CliError::usage("--calendar", format!("{path} is not a calendar: {e}")))?;
    let calendar =
        HolidayCalendar::from_spec(&spec).map_err(|e| CliError::usage("--calendar", e))?;
    Ok(Some((calendar, convention)))
}

/// What `loanbook schedule` prints, as JSON or as a table.
#[derive(Serialize)]
struct Report {
    principal: Money,
    annual_rate: AnnualRate,
    method: RepaymentMethod,
    term: u32,
    frequency: Frequency,
    day_count: DayCount,
    rounding: Rounding,
    start: NaiveDate,
    first_due: Option<NaiveDate>,
    grace_principal: u32,
    installment_multiple: Option<Money>,
    installments: Vec<InstallmentRow>,
    total_principal: Money,
    total_interest: Money,
    total_payment: Money,
    upfront_fee: Money,
    total_cost: Money,
    apr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    legal_cap: Option<CapRow>,
}

#[derive(Serialize)]
struct InstallmentRow {
    number: u32,
    due_date: NaiveDate,
    period_start: NaiveDate,
    period_end: NaiveDate,
    principal: Money,
    interest: Money,
    total: Money,
    balance: Money,
}

#[derive(Serialize)]
struct CapRow {
    cap: String,
    apr: String,
    exceeds: bool,
    excess: String,
}

/// A rate as a string with exactly six decimals: `0.043500`.
fn six_places(value: Decimal) -> String {
    let rounded = value.round_dp_with_strategy(APR_SCALE, RoundingStrategy::MidpointAwayFromZero);
    format!("{rounded:.6}")
}

impl Report {
    fn new(schedule: &Schedule, upfront_fee: Money, apr: Decimal, cap: Option<CapCheck>) -> Report {
        let terms = schedule.terms();
        Report {
            principal: terms.principal,
            annual_rate: terms.annual_rate,
            method: terms.method,
            term: terms.term,
            frequency: terms.frequency,
            day_count: terms.day_count,
            rounding: terms.rounding,
            start: terms.start,
            first_due: terms.first_due,
            grace_principal: terms.grace_principal,
            installment_multiple: terms.installment_multiple,
            installments: schedule
                .installments()
                .iter()
                .map(|i| InstallmentRow {
                    number: i.number,
                    due_date: i.due_date,
                    period_start: i.period_start,
                    period_end: i.period_end,
                    principal: i.principal,
                    interest: i.interest,
                    total: i.total,
                    balance: i.balance,
                })
                .collect(),
            total_principal: schedule.total_principal(),
            total_interest: schedule.total_interest(),
            total_payment: schedule.total_payment(),
            upfront_fee,
            // Interest plus fees fits: both are far below the money limit.
            total_cost: schedule
                .total_cost(upfront_fee)
                .unwrap_or(schedule.total_interest()),
            apr: six_places(apr),
            legal_cap: cap.map(|c| CapRow {
                cap: c.cap.normalize().to_string(),
                apr: six_places(c.apr),
                exceeds: c.exceeds(),
                excess: six_places(c.excess),
            }),
        }
    }

    fn table(&self) -> String {
        let mut out = String::new();
        let chinese = match self.method {
            RepaymentMethod::Annuity => "等额本息",
            RepaymentMethod::EqualPrincipal => "等额本金",
            RepaymentMethod::InterestOnly => "先息后本",
            RepaymentMethod::Bullet => "到期一次还本付息",
            RepaymentMethod::Flat => "等本等息",
        };
        let percent = |rate: Decimal| format!("{}%", (rate * Decimal::ONE_HUNDRED).normalize());
        let _ = writeln!(
            out,
            "{} ({chinese}): {} {} at {} a year, {} {} periods from {}",
            self.method,
            self.principal,
            self.principal_currency(),
            percent(self.annual_rate.as_decimal()),
            self.term,
            self.frequency,
            self.start
        );
        let _ = writeln!(
            out,
            "day count {}, rounding {}",
            self.day_count, self.rounding
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:>4}  {:<10}  {:>14}  {:>12}  {:>14}  {:>16}",
            "No.", "Due date", "Principal", "Interest", "Total", "Balance"
        );
        for row in &self.installments {
            let moved = if row.due_date == row.period_end {
                String::new()
            } else {
                format!("  (from {})", row.period_end)
            };
            let _ = writeln!(
                out,
                "{:>4}  {:<10}  {:>14}  {:>12}  {:>14}  {:>16}{moved}",
                row.number, row.due_date, row.principal, row.interest, row.total, row.balance
            );
        }
        let _ = writeln!(
            out,
            "{:>4}  {:<10}  {:>14}  {:>12}  {:>14}",
            "", "Total", self.total_principal, self.total_interest, self.total_payment
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "APR (IRR method): {}   total interest {}   upfront fee {}   total cost {}",
            self.apr, self.total_interest, self.upfront_fee, self.total_cost
        );
        if let Some(cap) = &self.legal_cap {
            let verdict = if cap.exceeds {
                format!("EXCEEDS the legal cap {} by {}", cap.cap, cap.excess)
            } else {
                format!("within the legal cap {}", cap.cap)
            };
            let _ = writeln!(out, "APR {}: {verdict}", cap.apr);
        }
        out
    }

    fn principal_currency(&self) -> String {
        self.principal.currency().to_string()
    }
}
