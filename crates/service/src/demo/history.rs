//! The demo bank's past: eighteen months lived day by day through the real services.
//! Each weekday officers take applications that go through pre-screen, assessment,
//! investigation and the approval chain; approved ones are contracted and disbursed;
//! borrowers pay by habit (on time, late, stop paying, pay off early); write-offs of
//! hopeless loans are requested and approved; and every evening the real daily close
//! runs. Nothing is written behind the services' backs, so every page and report shows
//! what the bank would have shown.
//!
//! Decisions: borrowers' habits depend on the risk grade the scorecard gave (so the
//! model-performance report has something to find); a habit is drawn once per loan
//! from a deterministic generator, so every demo bank is the same.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, Weekday};
use loanbook_core::money::Money;

use super::Dice;
use crate::applications::{self, ApplicationInput};
use crate::customer_records::upload_document;
use crate::investigation::{self, InvestigationInput};
use crate::origination::approval::{self, DecisionInput};
use crate::origination::contract::{self, SignInput};
use crate::origination::disbursement::{self, DisburseInput};
use crate::servicing::eod::{self, RunOptions};
use crate::servicing::repayments::{self, RepaymentInput};
use crate::servicing::write_off;
use crate::{Actor, App, ServiceError, loans};

/// The demo's staff, each with their own login.
pub struct Staff {
    /// Loan officers (three, so that submitter, investigator and decider differ).
    pub officers: Vec<Actor>,
    /// The branch manager (approver).
    pub manager: Actor,
    /// Credit-committee members (three; two votes decide).
    pub committee: Vec<Actor>,
    /// Operations: contracts, disbursements, repayments, the close, write-off requests.
    pub operations: Actor,
    /// Customer service: borrowers' tickets.
    pub customer_service: Actor,
}

/// What the history made.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct HistoryReport {
    /// Business days closed.
    pub days_closed: u32,
    /// Applications taken.
    pub applications: u32,
    /// Loans disbursed.
    pub loans: u32,
    /// Repayments posted.
    pub repayments: u32,
    /// Loans written off.
    pub written_off: u32,
}

/// How a borrower pays.
#[derive(Clone, Copy, Debug)]
enum Habit {
    /// Pays each installment the day after it falls due.
    OnTime,
    /// Pays each installment this many days after it falls due.
    Late(u32),
    /// Pays this many installments, then nothing.
    StopsAfter(usize),
    /// Pays this many installments, then pays the loan off.
    PaysOff(usize),
}

/// A habit for a loan of risk grade `grade`: worse grades pay worse.
fn habit(dice: &mut Dice, grade: &str, installments: usize) -> Habit {
    let (stops, late) = match grade {
        "A" => (2, 4),
        "B" => (4, 7),
        "C" => (8, 10),
        "D" => (14, 12),
        _ => (20, 15),
    };
    let roll = dice.below(100);
    if roll < stops {
        Habit::StopsAfter(dice.below(installments.min(6) as u64) as usize)
    } else if roll < stops + late {
        Habit::Late(5 + dice.below(50) as u32)
    } else if roll < stops + late + 6 && installments > 3 {
        Habit::PaysOff(1 + dice.below(installments as u64 - 2) as usize)
    } else {
        Habit::OnTime
    }
}

/// Borrowers' payments planned per business date, and the loans that stopped paying.
#[derive(Default)]
struct Plans {
    payments: BTreeMap<NaiveDate, Vec<(i64, bool)>>,
    defaulted: Vec<i64>,
}

impl Plans {
    fn plan(&mut self, loan_id: i64, habit: Habit, due_dates: &[NaiveDate]) {
        for (i, due) in due_dates.iter().enumerate() {
            let (delay, pay_off) = match habit {
                Habit::OnTime => (1, false),
                Habit::Late(days) => (days, false),
                Habit::StopsAfter(n) if i >= n => {
                    self.defaulted.push(loan_id);
                    return;
                }
                Habit::StopsAfter(_) => (1, false),
                Habit::PaysOff(n) if i == n => (10, true),
                Habit::PaysOff(n) if i > n => return,
                Habit::PaysOff(_) => (1, false),
            };
            let on = *due + chrono::Days::new(u64::from(delay));
            self.payments
                .entry(on)
                .or_default()
                .push((loan_id, pay_off));
        }
    }
}

/// Lives the bank's days from the open business date up to (not including) `until`:
/// the open business date is `until` afterwards.
///
/// # Errors
/// Any refusal of a service (a bug in the demo).
pub async fn live(
    app: &App,
    staff: &Staff,
    customers: &[i64],
    until: NaiveDate,
    progress: &(dyn Fn(NaiveDate) + Sync),
) -> Result<HistoryReport, ServiceError> {
    let mut dice = Dice(0x0DE5_1A7E_2026_0001);
    let mut report = HistoryReport::default();
    let mut plans = Plans::default();
    let mut next_customer = customers.iter();
    let mut grades: HashMap<i64, String> = HashMap::new();
    let mut date = app.business_date().await?;
    while date < until {
        if date.day() == 1 {
            progress(date);
        }
        for (loan_id, pay_off) in plans.payments.remove(&date).unwrap_or_default() {
            if pay(app, &staff.operations, loan_id, pay_off).await? {
                report.repayments += 1;
            }
        }
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            for _ in 0..1 + dice.below(5) {
                let Some(&customer) = next_customer.next() else {
                    break;
                };
                report.applications += 1;
                let officer = report.applications as usize % staff.officers.len();
                if let Some((loan_id, grade)) =
                    originate(app, staff, &mut dice, customer, officer, date).await?
                {
                    report.loans += 1;
                    let schedule = loans::schedule(app, &staff.operations, loan_id).await?;
                    let due: Vec<NaiveDate> = schedule
                        .iter()
                        .filter_map(|i| NaiveDate::parse_from_str(&i.due_date, "%Y-%m-%d").ok())
                        .collect();
                    let h = habit(&mut dice, &grade, due.len());
                    plans.plan(loan_id, h, &due);
                    grades.insert(loan_id, grade);
                }
            }
        }
        if date.day() == 1 {
            report.written_off += write_off_hopeless(app, staff, &mut plans.defaulted).await?;
        }
        let opts = RunOptions {
            until: Some(date),
            workers: 1,
            ..RunOptions::default()
        };
        eod::run(app, &staff.operations, &opts, &|_, _, _| {}).await?;
        report.days_closed += 1;
        date = app.business_date().await?;
    }
    Ok(report)
}

/// Pays what is due on a loan still serviced (or pays it off); false when nothing was
/// due.
async fn pay(app: &App, ops: &Actor, loan_id: i64, pay_off: bool) -> Result<bool, ServiceError> {
    let loan = loans::get(app, ops, loan_id).await?;
    if loan.status != "active" {
        return Ok(false);
    }
    if pay_off {
        let quote = repayments::payoff_quote(app, ops, loan_id, None).await?;
        let input = payment(quote.total);
        repayments::pay_off(app, ops, loan_id, &input, None).await?;
        return Ok(true);
    }
    let Some(s) = &loan.servicing else {
        return Ok(false);
    };
    let due = [
        s.overdue_principal,
        s.due_principal,
        s.due_interest,
        s.overdue_interest,
        s.penalty_interest,
        s.compound_interest,
        loan.fees_due,
    ]
    .iter()
    .map(|m| m.amount_minor())
    .sum::<i64>()
        - s.advance_balance.amount_minor();
    if due <= 0 {
        return Ok(false);
    }
    let input = payment(Money::from_minor(
        due,
        loan.principal_outstanding.currency(),
    ));
    repayments::repay(app, ops, loan_id, &input, None).await?;
    Ok(true)
}

fn payment(amount: Money) -> RepaymentInput {
    RepaymentInput {
        amount: amount.to_string(),
        paid_on: None,
        channel: Some("auto_debit".into()),
        reference: None,
    }
}

/// Requests and approves the write-off of loans that stopped paying more than 180 days
/// ago.
async fn write_off_hopeless(
    app: &App,
    staff: &Staff,
    defaulted: &mut Vec<i64>,
) -> Result<u32, ServiceError> {
    let mut done = 0;
    let mut still = Vec::new();
    for &loan_id in defaulted.iter() {
        let loan = loans::get(app, &staff.operations, loan_id).await?;
        let dpd = loan.servicing.as_ref().map_or(0, |s| s.dpd);
        if loan.status != "active" {
            continue;
        }
        if dpd < 180 {
            still.push(loan_id);
            continue;
        }
        let r = write_off::request(
            app,
            &staff.operations,
            loan_id,
            "逾期超过180天，催收无果 over 180 days past due, collection failed",
        )
        .await?;
        write_off::approve(app, &staff.manager, r.id).await?;
        done += 1;
    }
    *defaulted = still;
    Ok(done)
}

/// Takes one application from `customer` by officer number `officer` and carries it as
/// far as its decisions go; the loan id and risk grade when it was disbursed.
pub(super) async fn originate(
    app: &App,
    staff: &Staff,
    dice: &mut Dice,
    customer: i64,
    officer: usize,
    date: NaiveDate,
) -> Result<Option<(i64, String)>, ServiceError> {
    let n = staff.officers.len();
    let (submitter, investigator, decider) = (
        &staff.officers[officer % n],
        &staff.officers[(officer + 1) % n],
        &staff.officers[(officer + 2) % n],
    );
    let id = apply(app, submitter, dice, customer, date, None).await?;
    let mut a = applications::submit(app, submitter, id).await?;
    if a.status == "pre_screened" {
        visit(app, investigator, id, date).await?;
        a = applications::get(app, submitter, id).await?;
    }
    if a.status == "in_review" {
        let decline = dice.below(10) == 0;
        decide_all(app, staff, decider, id, decline).await?;
        a = applications::get(app, submitter, id).await?;
    }
    if a.status != "approved" {
        return Ok(None);
    }
    let grade = a
        .assessment
        .as_ref()
        .and_then(|x| x.risk_grade.clone())
        .unwrap_or_else(|| "C".into());
    let loan_id = contract_and_disburse(app, &staff.operations, id, dice).await?;
    Ok(Some((loan_id, grade)))
}

/// The pre-loan investigation of application `id` by `investigator`: the visit
/// confirmed what the applicant said.
pub(super) async fn visit(
    app: &App,
    investigator: &Actor,
    id: i64,
    date: NaiveDate,
) -> Result<(), ServiceError> {
    investigation::investigate(
        app,
        investigator,
        id,
        &InvestigationInput {
            visited_on: date.to_string(),
            visit_summary: "上门核实：工作单位、住址属实 visit: employer and address confirmed"
                .into(),
            existing_monthly_debt: Some("0".into()),
            ..InvestigationInput::default()
        },
    )
    .await?;
    Ok(())
}

/// Creates an application with the documents its product needs.
pub(super) async fn apply(
    app: &App,
    officer: &Actor,
    dice: &mut Dice,
    customer: i64,
    date: NaiveDate,
    asked: Option<(&str, u64, u32)>,
) -> Result<i64, ServiceError> {
    let drawn = match dice.below(10) {
        0 => (
            "SME",
            100_000 + 10_000 * dice.below(20),
            [12, 24, 36][dice.below(3) as usize],
        ),
        1 | 2 => (
            "GD-ONLINE",
            3_000 + 1_000 * dice.below(30),
            [6, 12][dice.below(2) as usize],
        ),
        _ => (
            "CONSUMER",
            5_000 + 1_000 * dice.below(46),
            [6, 12, 12, 24][dice.below(4) as usize],
        ),
    };
    let (product, amount, term) = asked.unwrap_or(drawn);
    let day = date.format("%Y%m%d");
    for (kind, file) in [("id_card", "id.pdf"), ("bank_statement", "statement.pdf")] {
        upload_document(
            app,
            officer,
            customer,
            kind,
            file,
            format!("%PDF-1.7 {customer} {day}\n").as_bytes(),
        )
        .await?;
    }
    let a = applications::create(
        app,
        officer,
        &ApplicationInput {
            customer_id: customer,
            product_code: product.into(),
            amount: format!("{amount}.00"),
            term_months: term,
            method: if dice.below(4) == 0 {
                "equal_principal"
            } else {
                "annuity"
            }
            .into(),
            purpose: [
                "消费 consumption",
                "装修 home repair",
                "教育 education",
                "经营周转 working capital",
            ][dice.below(4) as usize]
                .into(),
            channel: ["branch", "app", "partner"][dice.below(3) as usize].into(),
            device_id: Some(format!("demo-device-{customer}")),
            bank_card: Some(super::bank_card(customer as u64)),
        },
    )
    .await?;
    Ok(a.id)
}

/// Decides every step of the chain: the officer step by `decider`, the manager's and the
/// committee's by them; `decline` makes the officer decline.
pub(super) async fn decide_all(
    app: &App,
    staff: &Staff,
    decider: &Actor,
    id: i64,
    decline: bool,
) -> Result<(), ServiceError> {
    let yes = DecisionInput {
        decision: "approve".into(),
        comment: "同意 agreed".into(),
        ..DecisionInput::default()
    };
    let no = DecisionInput {
        decision: "decline".into(),
        comment: "负债偏高 debt too high".into(),
        ..DecisionInput::default()
    };
    for _ in 0..4 {
        let a = applications::get(app, decider, id).await?;
        if a.status != "in_review" {
            break;
        }
        let Some(step) = a
            .approval
            .as_ref()
            .and_then(|x| x.required_steps.iter().find(|s| s.status == "pending"))
        else {
            break;
        };
        match step.kind.as_str() {
            "loan_officer" => {
                approval::decide(app, decider, id, if decline { &no } else { &yes }).await?;
            }
            "branch_manager" => {
                approval::decide(app, &staff.manager, id, &yes).await?;
            }
            _ => {
                for member in staff.committee.iter().take(2) {
                    approval::decide(app, member, id, &yes).await?;
                }
            }
        }
    }
    Ok(())
}

/// Generates the contract, has both parties sign and disburses from one of the funding
/// sources; the loan id.
pub(super) async fn contract_and_disburse(
    app: &App,
    ops: &Actor,
    application_id: i64,
    dice: &mut Dice,
) -> Result<i64, ServiceError> {
    let c = sign_contract(app, ops, application_id).await?;
    // one loan in five is funded by the partner bank while its limit lasts
    let amount = applications::get(app, ops, application_id)
        .await?
        .approved_amount
        .map_or(0, |m| m.amount_minor());
    let partner_has_room = applications::funding_sources(app, ops)
        .await?
        .iter()
        .any(|f| f.code == "BANK-A" && f.available.amount_minor() >= amount);
    let source = if dice.below(5) == 0 && partner_has_room {
        "BANK-A"
    } else {
        "OWN"
    };
    let key = format!("demo-disburse-{application_id}");
    let d = disbursement::disburse(
        app,
        ops,
        c,
        &DisburseInput {
            funding_source: source.into(),
            amount: None,
        },
        Some(&key),
    )
    .await?;
    Ok(d.loan_id)
}

/// Generates and signs the contract of an approved application; the contract id.
pub(super) async fn sign_contract(
    app: &App,
    ops: &Actor,
    application_id: i64,
) -> Result<i64, ServiceError> {
    let c = contract::generate_contract(app, ops, application_id).await?;
    let customer = applications::get(app, ops, application_id)
        .await?
        .customer_id;
    let borrower = crate::customers::get(app, ops, customer, false).await?.name;
    for (party, signer) in [
        ("borrower", borrower.as_str()),
        ("lender", "信贷部 credit dept."),
    ] {
        contract::sign(
            app,
            ops,
            c.id,
            &SignInput {
                party: party.into(),
                signer: signer.into(),
                document_sha256: c.document_sha256.clone(),
            },
            "127.0.0.1",
        )
        .await?;
    }
    Ok(c.id)
}
