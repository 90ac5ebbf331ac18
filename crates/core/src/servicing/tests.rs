//! Servicing scenarios in memory: the money of every close and payment, by hand and by
//! property (what is posted always equals what the loans carry).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::account::MICRO_PER_MINOR;
use super::account::{InstallmentState, LoanAccount, OpenInstallment, ServicingTerms};
use super::close::{CloseError, close_day, needs_installments};
use super::postings::{self, close_lines, repayment_lines};
use super::prepayment::{
    PrepaymentMode, Reschedule, pay_off, payoff_quote, prepay, reschedule_after_current,
};
use super::repayment::apply_payment;
use crate::delinquency::{Bucket, FiveTier};
use crate::ledger::{LineDraft, Side};
use crate::money::Currency;
use crate::rate::AnnualRate;
use crate::schedule::{RepaymentMethod, ScheduleTerms, generate};
use crate::test_support::{cny, dec};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn template(
    principal: &str,
    rate: &str,
    term: u32,
    method: RepaymentMethod,
    start: NaiveDate,
) -> ScheduleTerms {
    ScheduleTerms::new(
        cny(principal),
        AnnualRate::parse(rate).unwrap(),
        term,
        method,
        start,
    )
}

/// A loan disbursed on `start`: its account, installments and the default terms.
fn open(t: &ScheduleTerms) -> (LoanAccount, Vec<OpenInstallment>, ServicingTerms) {
    let schedule = generate(t).unwrap();
    let inst: Vec<OpenInstallment> = schedule
        .installments()
        .iter()
        .map(|i| OpenInstallment {
            number: i.number,
            period_start: i.period_start,
            due_date: i.due_date,
            principal: i.principal.amount_minor(),
            interest: i.interest.amount_minor(),
            paid_principal: 0,
            paid_interest: 0,
            state: InstallmentState::Pending,
            paid_on: None,
        })
        .collect();
    let acct = LoanAccount::new(1, t.principal.amount_minor(), t.start, &inst[0]);
    (
        acct,
        inst,
        ServicingTerms::defaults(t.annual_rate.as_decimal()),
    )
}

/// A ledger in memory: balance (debit − credit) per account.
#[derive(Default)]
struct Book(BTreeMap<String, i64>);

impl Book {
    fn post(&mut self, lines: &[LineDraft]) {
        let (mut dr, mut cr) = (0, 0);
        for l in lines {
            let signed = match l.side {
                Side::Debit => {
                    dr += l.amount_minor;
                    l.amount_minor
                }
                Side::Credit => {
                    cr += l.amount_minor;
                    -l.amount_minor
                }
            };
            *self.0.entry(l.account.clone()).or_default() += signed;
        }
        assert_eq!(dr, cr, "unbalanced: {lines:?}");
    }

    fn get(&self, account: &str) -> i64 {
        self.0.get(account).copied().unwrap_or(0)
    }

    /// The GL control accounts equal the loan's running balances.
    fn reconciles(&self, a: &LoanAccount) {
        assert_eq!(
            self.get("1301"),
            a.principal_outstanding - a.overdue_principal,
            "1301"
        );
        assert_eq!(self.get("1302"), a.overdue_principal, "1302");
        assert_eq!(
            self.get("1311"),
            a.interest_owed() - a.interest_off_book,
            "1311"
        );
        assert_eq!(
            self.get("1312"),
            a.penalty_interest + a.compound_interest - a.penalty_off_book,
            "1312"
        );
        assert_eq!(self.get("1313"), a.fees_due, "1313");
        assert_eq!(self.get("2241"), -a.advance_balance, "2241");
        assert_eq!(self.get("1304"), -a.provision, "1304");
    }
}

/// Runs closes and payments and keeps the book.
struct Run {
    acct: LoanAccount,
    inst: Vec<OpenInstallment>,
    terms: ServicingTerms,
    book: Book,
}

impl Run {
    fn new(t: &ScheduleTerms) -> Run {
        let (acct, inst, terms) = open(t);
        let mut book = Book::default();
        book.post(&[
            line("1301", Side::Debit, t.principal.amount_minor()),
            line("1001", Side::Credit, t.principal.amount_minor()),
        ]);
        Run {
            acct,
            inst,
            terms,
            book,
        }
    }

    fn open_date(&self) -> NaiveDate {
        self.acct.last_closed.succ_opt().unwrap()
    }

    fn close(&mut self) -> super::DayOutcome {
        let date = self.open_date();
        let needs = needs_installments(&self.acct, date, self.terms.grace_days);
        let mut open: Vec<OpenInstallment> = if needs {
            self.inst
                .iter()
                .filter(|i| i.state != InstallmentState::Paid)
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let out = close_day(&mut self.acct, &mut open, &self.terms, date).unwrap();
        for o in open {
            let slot = self.inst.iter_mut().find(|i| i.number == o.number).unwrap();
            *slot = o;
        }
        self.book.post(&close_lines(&out));
        if out.advance_applied.total() > 0 {
            self.book
                .post(&postings::advance_lines(1, &out.advance_applied));
        }
        self.book.reconciles(&self.acct);
        out
    }

    fn close_through(&mut self, last: NaiveDate) {
        while self.open_date() <= last {
            self.close();
        }
    }

    fn pay(&mut self, amount_minor: i64) -> super::repayment::PaymentSplit {
        let date = self.open_date();
        let split = apply_payment(
            &mut self.acct,
            &mut self.inst,
            amount_minor,
            date,
            &self.terms,
        )
        .unwrap();
        self.book.post(&repayment_lines(1, "F", &split));
        self.book.reconciles(&self.acct);
        split
    }
}

fn line(account: &str, side: Side, amount_minor: i64) -> LineDraft {
    LineDraft {
        account: account.into(),
        side,
        amount_minor,
        loan_id: Some(1),
        funding_source: None,
    }
}

#[test]
fn an_on_time_payer_for_twelve_months_pays_exactly_the_schedule() {
    let t = template(
        "100000",
        "0.0435",
        12,
        RepaymentMethod::Annuity,
        d(2026, 1, 31),
    );
    let mut run = Run::new(&t);
    let schedule: Vec<OpenInstallment> = run.inst.clone();
    let mut accrued = 0;
    for i in &schedule {
        while run.open_date() < i.due_date {
            accrued += run.close().interest_accrued;
        }
        // paid on the due date, before its close: the installment falls due and is paid
        let split = run.pay(i.principal + i.interest);
        assert_eq!(
            (split.principal, split.interest, split.advance),
            (i.principal, i.interest, 0)
        );
        accrued += split.accrued_now;
        let out = run.close();
        accrued += out.interest_accrued;
        assert_eq!(run.acct.dpd, 0);
    }
    // Σ accrual = Σ scheduled interest = 2,371.90
    assert_eq!(accrued, 237_190);
    assert!(run.acct.is_settled(), "{:?}", run.acct);
    assert!(run.inst.iter().all(|i| i.state == InstallmentState::Paid));
    assert_eq!(run.acct.class, FiveTier::Pass);
    // provisions went back to zero with the balance
    assert_eq!(run.book.get("1304"), 0);
    assert_eq!(run.book.get("6011"), -237_190);
}

#[test]
fn a_late_payer_bears_penalty_and_compound_interest_by_hand() {
    let t = template(
        "100000",
        "0.0435",
        12,
        RepaymentMethod::Annuity,
        d(2026, 1, 31),
    );
    let mut run = Run::new(&t);
    // installment 1 due Feb 28: 8,168.49 principal + 362.50 interest, not paid
    run.close_through(d(2026, 2, 28));
    assert_eq!(
        (run.acct.due_principal, run.acct.due_interest),
        (816_849, 36_250)
    );
    assert_eq!(
        run.acct.dpd, 0,
        "due, not overdue, at the close of the due date"
    );
    let out = run.close(); // Mar 1
    assert_eq!(out.newly_overdue, 1);
    assert_eq!(
        (run.acct.overdue_principal, run.acct.overdue_interest),
        (816_849, 36_250)
    );
    // daily penalty rate 0.0435 × 1.5 / 360 = 0.00018125
    // penalty: 816849 × 0.00018125 = 148.053881 minor → 1.48
    // compound: 36250 × 0.00018125 = 6.570313 minor → 0.07
    assert_eq!(
        (run.acct.penalty_interest, run.acct.compound_interest),
        (148, 7)
    );
    assert_eq!((run.acct.dpd, run.acct.bucket()), (1, Bucket::M1));
    assert_eq!(run.acct.class, FiveTier::SpecialMention);
    run.close_through(d(2026, 3, 10));
    // ten closed days: 10 × 148.053881 = 1480.53881 → 14.81; 10 × 6.570313 = 65.70313 → 0.66
    assert_eq!(
        (run.acct.penalty_interest, run.acct.compound_interest),
        (1481, 66)
    );
    assert_eq!(run.acct.dpd, 10);
    // provision: 100,000.00 principal outstanding × 2% (special mention) = 2,000.00
    assert_eq!(run.acct.provision, 200_000);
    // Mar 11: 8,530.99 + 14.81 + 0.66 = 8,546.46 pays everything overdue
    let split = run.pay(854_646);
    assert_eq!(
        (
            split.penalty_interest,
            split.compound_interest,
            split.interest,
            split.principal,
            split.advance
        ),
        (1481, 66, 36_250, 816_849, 0)
    );
    run.close();
    assert_eq!((run.acct.dpd, run.acct.bucket()), (0, Bucket::Current));
    // the class improves only after three on-time installments
    assert_eq!(run.acct.class, FiveTier::SpecialMention);
    for due in [d(2026, 3, 31), d(2026, 4, 30)] {
        run.close_through(due.pred_opt().unwrap());
        let next = run.inst.iter().find(|i| i.due_date == due).unwrap().clone();
        run.pay(next.principal + next.interest);
        run.close();
        assert_eq!(run.acct.class, FiveTier::SpecialMention);
    }
    run.close_through(d(2026, 5, 30));
    let next = run
        .inst
        .iter()
        .find(|i| i.due_date == d(2026, 5, 31))
        .unwrap()
        .clone();
    run.pay(next.principal + next.interest);
    run.close();
    assert_eq!(run.acct.class, FiveTier::Pass, "three on-time installments");
}

/// Penalty and compound interest rounded up and paid in full leave a sub-minor remainder
/// owed the other way; the next closes must not turn it into a negative balance (a
/// demo-bank history found this: compound interest of −0.01).
#[test]
fn paying_rounded_up_penalty_never_leaves_a_negative_balance() {
    let t = template(
        "100000",
        "0.0435",
        12,
        RepaymentMethod::Annuity,
        d(2026, 1, 31),
    );
    let mut found = 0;
    for late in 4..40 {
        let mut run = Run::new(&t);
        run.close_through(d(2026, 2, 28) + chrono::Days::new(late));
        let frac = |micro: i64| micro.rem_euclid(MICRO_PER_MINOR);
        let rounded_up = frac(run.acct.compound_micro) >= MICRO_PER_MINOR / 2
            || frac(run.acct.penalty_micro) >= MICRO_PER_MINOR / 2;
        if !rounded_up {
            continue;
        }
        found += 1;
        let due = super::repayment::total_due(&run.acct);
        run.pay(due);
        assert_eq!(
            (run.acct.penalty_interest, run.acct.compound_interest),
            (0, 0)
        );
        assert!(
            run.acct.penalty_micro >= 0 && run.acct.compound_micro >= 0,
            "late {late}"
        );
        for _ in 0..40 {
            run.close();
            assert!(
                run.acct.compound_interest >= 0 && run.acct.penalty_interest >= 0,
                "late {late}"
            );
        }
        assert_eq!(run.acct.check(), Ok(()));
    }
    assert!(found > 5, "only {found} rounded-up days were tried");
}

#[test]
fn grace_days_forgive_a_payment_within_grace_and_backdate_penalty_after() {
    let t = template(
        "100000",
        "0.0435",
        12,
        RepaymentMethod::Annuity,
        d(2026, 1, 31),
    );
    let mut run = Run::new(&t);
    run.terms.grace_days = 3;
    run.close_through(d(2026, 3, 2));
    assert_eq!(
        (
            run.acct.dpd,
            run.acct.overdue_principal,
            run.acct.penalty_interest
        ),
        (0, 0, 0)
    );
    run.close(); // Mar 3: 3 days, still within grace
    assert_eq!((run.acct.dpd, run.acct.penalty_interest), (0, 0));
    run.close(); // Mar 4: 4 days > 3: overdue, penalty for 4 days from Mar 1
    // 4 × 148.053881 = 592.215524 → 5.92
    assert_eq!((run.acct.dpd, run.acct.penalty_interest), (4, 592));
}

#[test]
fn a_payment_ahead_is_held_and_applied_at_the_due_date() {
    let t = template(
        "12000",
        "0.12",
        12,
        RepaymentMethod::EqualPrincipal,
        d(2026, 1, 15),
    );
    let mut run = Run::new(&t);
    run.close_through(d(2026, 2, 1));
    // installment 1: 1,000.00 principal + 120.00 interest, due Feb 15
    let split = run.pay(150_000);
    assert_eq!(split.advance, 150_000, "nothing due yet: all advance");
    run.close_through(d(2026, 2, 15));
    assert_eq!(run.acct.advance_balance, 150_000 - 112_000);
    assert_eq!(run.inst[0].state, InstallmentState::Paid);
    assert_eq!(run.acct.dpd, 0);
}

#[test]
fn non_accrual_keeps_interest_off_book_and_recognises_it_when_paid() {
    let t = template("10000", "0.12", 6, RepaymentMethod::Annuity, d(2026, 1, 1));
    let mut run = Run::new(&t);
    // nothing paid: 91 days past the first due date (Feb 1) → non-accrual at the close of May 3
    run.close_through(d(2026, 5, 2));
    assert_eq!((run.acct.dpd, run.acct.non_accrual), (90, false));
    run.close();
    assert_eq!((run.acct.dpd, run.acct.non_accrual), (91, true));
    assert_eq!(run.acct.class, FiveTier::Substandard);
    run.close_through(d(2026, 5, 20));
    assert!(run.acct.interest_off_book > 0 && run.acct.penalty_off_book > 0);
    let quote = payoff_quote(&run.acct, &run.inst, run.open_date(), &run.terms, dec("0")).unwrap();
    let mut inst = run.inst.clone();
    let date = run.open_date();
    let split = pay_off(
        &mut run.acct,
        &mut inst,
        quote.total,
        date,
        &run.terms,
        dec("0"),
    )
    .unwrap();
    run.inst = inst;
    assert!(split.interest_off_book > 0);
    run.book.post(&repayment_lines(1, "F", &split));
    run.book.reconciles(&run.acct);
    assert!(run.acct.is_settled());
}

#[test]
fn payoff_quote_sums_principal_interest_to_date_and_the_fee() {
    let t = template(
        "100000",
        "0.0435",
        12,
        RepaymentMethod::Annuity,
        d(2026, 1, 31),
    );
    let mut run = Run::new(&t);
    run.close_through(d(2026, 2, 9));
    let quote = payoff_quote(
        &run.acct,
        &run.inst,
        d(2026, 2, 10),
        &run.terms,
        dec("0.01"),
    )
    .unwrap();
    // interest to Feb 10: 362.50 × 10 / 28 = 129.46; fee 1% of 100,000.00 = 1,000.00
    assert_eq!(
        (quote.principal, quote.interest, quote.prepayment_fee),
        (10_000_000, 12_946, 100_000)
    );
    assert_eq!(quote.total, 10_000_000 + 12_946 + 100_000);
    // a quote for a later date projects the closes in between
    let later = payoff_quote(&run.acct, &run.inst, d(2026, 2, 14), &run.terms, dec("0")).unwrap();
    assert_eq!(later.interest, 18_125, "362.50 × 14 / 28");
    assert!(payoff_quote(&run.acct, &run.inst, d(2026, 2, 1), &run.terms, dec("0")).is_err());
    let mut inst = run.inst.clone();
    let split = pay_off(
        &mut run.acct,
        &mut inst,
        quote.total + 500,
        d(2026, 2, 10),
        &run.terms,
        dec("0.01"),
    )
    .unwrap();
    run.inst = inst;
    assert_eq!(
        (split.principal, split.interest, split.fees, split.advance),
        (10_000_000, 12_946, 100_000, 500)
    );
    run.book.post(&repayment_lines(1, "F", &split));
    run.book.reconciles(&run.acct);
    assert_eq!(run.acct.principal_outstanding, 0);
    assert_eq!(
        run.acct.advance_balance, 500,
        "the overpayment is held for a refund"
    );
    assert!(run.inst.iter().all(|i| i.state == InstallmentState::Paid));
    assert_eq!(run.inst.len(), 1, "later installments are cancelled");
}

#[test]
fn partial_prepayment_reduces_the_term_or_the_installment() {
    for mode in [
        PrepaymentMode::ReduceTerm,
        PrepaymentMode::ReduceInstallment,
    ] {
        let t = template(
            "120000",
            "0.06",
            12,
            RepaymentMethod::Annuity,
            d(2026, 1, 10),
        );
        let mut run = Run::new(&t);
        let old = run.inst[1].principal + run.inst[1].interest;
        run.close_through(d(2026, 2, 9));
        let due = run.inst[0].principal + run.inst[0].interest;
        run.pay(due);
        run.close();
        run.close_through(d(2026, 2, 24));
        let date = run.open_date();
        let mut inst = run.inst.clone();
        // 50,000.00: interest of Feb 10 → Feb 25 first, then principal
        let split = prepay(
            &mut run.acct,
            &mut inst,
            5_000_000,
            date,
            &run.terms,
            dec("0"),
            mode,
            &t,
        )
        .unwrap();
        run.inst = inst;
        assert_eq!(split.total(), 5_000_000);
        // 110,131.?? left after installment 1; interest Feb 10 → Feb 25 is 15/28 of the period's
        assert_eq!(split.interest, 29_537);
        assert_eq!(split.principal, 5_000_000 - 29_537);
        run.book.post(&repayment_lines(1, "F", &split));
        run.book.reconciles(&run.acct);
        let pending: Vec<&OpenInstallment> = run
            .inst
            .iter()
            .filter(|i| i.state == InstallmentState::Pending)
            .collect();
        let left: i64 = pending.iter().map(|i| i.principal).sum();
        assert_eq!(left, run.acct.principal_outstanding);
        match mode {
            PrepaymentMode::ReduceTerm => {
                assert!(pending.len() < 11, "{}", pending.len());
                assert!(pending[1].principal + pending[1].interest <= old);
            }
            PrepaymentMode::ReduceInstallment => {
                assert_eq!(pending.len(), 11);
                assert!(pending[1].principal + pending[1].interest < old);
                assert_eq!(pending.last().unwrap().due_date, d(2027, 1, 10));
            }
        }
        // and the loan runs on to the end, paid on time
        for _ in 0..400 {
            if run.acct.is_settled() {
                break;
            }
            if let Some(due) = run.acct.next_due.filter(|d| *d == run.open_date()) {
                let i = run
                    .inst
                    .iter()
                    .find(|i| i.due_date == due && i.state == InstallmentState::Pending)
                    .unwrap();
                let amount = i.principal + i.interest;
                run.pay(amount);
            }
            run.close();
        }
        assert!(run.acct.is_settled(), "{mode:?}: {:?}", run.acct);
    }
}

#[test]
fn an_extension_and_a_rate_change_reschedule_after_the_current_period() {
    let t = template(
        "60000",
        "0.06",
        6,
        RepaymentMethod::EqualPrincipal,
        d(2026, 1, 10),
    );
    let mut run = Run::new(&t);
    run.close_through(d(2026, 1, 20));
    let change = Reschedule {
        extra_periods: 6,
        new_rate: Some(AnnualRate::parse("0.045").unwrap()),
        grace_periods: 0,
    };
    let new = reschedule_after_current(&run.acct, &run.inst, &t, &change).unwrap();
    // five periods left after the current one, plus six: 11 installments of 50,000.00 / 11
    assert_eq!(new.len(), 11);
    assert_eq!(new[0].number, 2);
    assert_eq!(new[0].due_date, d(2026, 3, 10));
    assert_eq!(new.iter().map(|i| i.principal).sum::<i64>(), 5_000_000);
    // 50,000.00 × 4.5% / 12 = 187.50
    assert_eq!(new[0].interest, 18_750);
    assert!(
        reschedule_after_current(
            &run.acct,
            &run.inst[..1],
            &t,
            &Reschedule {
                extra_periods: 0,
                new_rate: None,
                grace_periods: 0,
            }
        )
        .is_err()
    );
}

#[test]
fn the_close_runs_dates_in_order_only() {
    let t = template("10000", "0.12", 3, RepaymentMethod::Annuity, d(2026, 1, 1));
    let (mut acct, mut inst, terms) = open(&t);
    let err = close_day(&mut acct, &mut inst, &terms, d(2026, 1, 2)).unwrap_err();
    assert!(matches!(err, CloseError::OutOfOrder { .. }), "{err}");
    close_day(&mut acct, &mut inst, &terms, d(2026, 1, 1)).unwrap();
    let before = acct.clone();
    assert!(
        close_day(&mut acct, &mut inst, &terms, d(2026, 1, 1)).is_err(),
        "no date twice"
    );
    assert_eq!(acct, before);
    // the first due date needs the installments
    while acct.last_closed < d(2026, 1, 31) {
        let date = acct.last_closed.succ_opt().unwrap();
        close_day(&mut acct, &mut [], &terms, date).unwrap();
    }
    let err = close_day(&mut acct, &mut [], &terms, d(2026, 2, 1)).unwrap_err();
    assert!(
        matches!(err, CloseError::MissingInstallment { number: 1, .. }),
        "{err}"
    );
}

#[test]
fn summary_lines_of_many_loans_add_up() {
    let mut total = super::DayOutcome::default();
    let one = super::DayOutcome {
        interest_accrued: 10,
        late_fees: 5,
        ..Default::default()
    };
    total.add(&one);
    total.add(&one);
    assert_eq!((total.interest_accrued, total.late_fees), (20, 10));
    assert_eq!(postings::close_lines(&total).len(), 4);
    let _ = Currency::CNY;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any pattern of payments: money is conserved, balances never go negative, and the
    /// ledger's control accounts equal the loan's balances after every close and payment.
    #[test]
    fn posted_amounts_always_equal_the_loan_balances(
        principal in 1_000i64..500_000,
        rate_bp in 100u32..3600,
        term in 1u32..13,
        method in prop::sample::select(RepaymentMethod::ALL.to_vec()),
        grace in 0u32..5,
        payments in prop::collection::vec((0u32..40, 0i64..2_000_000), 0..25),
    ) {
        let rate = format!("0.{rate_bp:04}");
        let t = template(&format!("{principal}"), &rate, term, method, d(2026, 1, 31));
        let mut run = Run::new(&t);
        run.terms.grace_days = grace;
        run.terms.late_fee = 2_000;
        let mut received = 0i64;
        let mut paid = 0i64;
        for (days, amount) in payments {
            for _ in 0..days {
                run.close();
            }
            if amount > 0 {
                let split = run.pay(amount);
                prop_assert_eq!(split.total(), amount);
                received += amount;
                paid += split.total() - split.advance;
            }
            prop_assert_eq!(run.acct.check(), Ok(()));
        }
        prop_assert!(paid <= received);
        run.close_through(d(2027, 6, 30));
        // cash in = everything paid + the advance still held
        // cash: the disbursement out, every payment in
        prop_assert_eq!(run.book.get("1001"), received - t.principal.amount_minor());
        prop_assert_eq!(run.acct.check(), Ok(()));
    }
}
