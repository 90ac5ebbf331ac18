//! Restructuring, LPR repricing, write-off and recovery, closing and class overrides on
//! every test database, each ending with the ledger check.

use loanbook_core::money::Money;
use loanbook_store::restructuring as rstore;

use super::class_override::{self, ClassOverrideInput};
use super::closing;
use super::lpr;
use super::repayments::{pay_off, payoff_quote, repay};
use super::restructure::{self, RestructureInput};
use super::tests::{assert_ledger_ok, bank, book, close_through, cny, d, pay};
use super::write_off::{self, RecoveryInput};
use crate::test_support::apps;
use crate::{Actor, App, Role, ServiceError, ledger, loans};

fn user(name: &str, role: Role) -> Actor {
    Actor {
        user_id: 0,
        username: name.into(),
        role,
        request_id: None,
    }
}

fn refused_by_four_eyes<T: std::fmt::Debug>(r: Result<T, ServiceError>) {
    assert!(
        matches!(
            r,
            Err(ServiceError::Refused {
                rule: "four_eyes",
                ..
            })
        ),
        "{r:?}"
    );
}

/// Pays installment `number` of `loan` in full on its due date (closing up to the day
/// before) and returns the interest it paid.
async fn pay_installment(app: &App, admin: &Actor, loan: i64, number: i64) -> Money {
    let schedule = loans::schedule(app, admin, loan).await.unwrap();
    let i = schedule.iter().find(|i| i.number == number).unwrap();
    let due = chrono::NaiveDate::parse_from_str(&i.due_date, "%Y-%m-%d").unwrap();
    close_through(app, admin, due.pred_opt().unwrap()).await;
    let paid = repay(app, admin, loan, &pay(&i.total.to_string()), None)
        .await
        .unwrap();
    assert_eq!(
        paid.allocation.principal, i.principal,
        "installment {number}"
    );
    paid.allocation.interest
}

/// Σ debit − Σ credit of `account` in the trial balance.
async fn gl(app: &App, admin: &Actor, account: &str) -> i64 {
    let tb = ledger::trial_balance(app, admin).await.unwrap();
    tb.accounts
        .iter()
        .find(|a| a.code == account)
        .map_or(0, |a| a.debit.amount_minor() - a.credit.amount_minor())
}

#[tokio::test]
async fn an_extension_approved_by_a_second_user_reschedules_the_loan() {
    let officer = user("wang", Role::LoanOfficer);
    let approver = user("li", Role::Approver);
    let operations = user("zhao", Role::Operations);
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        // 12,000.00 at 12% over 12 months from 2026-11-23: 1,066.19 a month
        let id = book(&app, &admin, customer, "12000", "0.12", 12).await;
        close_through(&app, &admin, d(2026, 12, 10)).await;
        let input = RestructureInput {
            kind: "extension".into(),
            extra_periods: Some(6),
            reason: "income fell; the borrower asks for 展期".into(),
            ..RestructureInput::default()
        };
        let r = restructure::request(&app, &officer, id, &input)
            .await
            .unwrap();
        assert_eq!(r.status, "requested", "{}", t.label);
        // one waiting request per loan; the requester may not approve; operations may not
        // approve at all
        let again = restructure::request(&app, &officer, id, &input).await;
        assert!(matches!(again, Err(ServiceError::Conflict(_))), "{again:?}");
        let own = user("wang", Role::Admin);
        refused_by_four_eyes(restructure::approve(&app, &own, r.id).await);
        assert!(matches!(
            restructure::approve(&app, &operations, r.id).await,
            Err(ServiceError::Forbidden { .. })
        ));
        let applied = restructure::approve(&app, &approver, r.id).await.unwrap();
        assert_eq!(
            (applied.status.as_str(), applied.decided_by.as_deref()),
            ("applied", Some("li"))
        );
        assert_eq!(applied.result["installments_replaced"], 11);
        assert_eq!(applied.result["new_maturity"], "2028-05-23");
        // installment 1 stays; 11,053.81 over 11 + 6 = 17 periods at 1%:
        // 11,053.81 × 0.01 / (1 − 1.01^−17) = 710.2963 → 710.30; interest 110.54
        let schedule = loans::schedule(&app, &admin, id).await.unwrap();
        assert_eq!(schedule.len(), 18, "{}", t.label);
        assert_eq!(schedule[0].total, cny("1066.19"));
        assert_eq!(
            (schedule[1].interest, schedule[1].principal),
            (cny("110.54"), cny("599.76"))
        );
        let total: i64 = schedule.iter().map(|i| i.principal.amount_minor()).sum();
        assert_eq!(total, 1_200_000);
        let loan = loans::get(&app, &admin, id).await.unwrap();
        assert_eq!(loan.maturity_date, "2028-05-23");
        let history = loanbook_store::testing::count(
            app.db(),
            &format!("SELECT COUNT(*) FROM installment_history WHERE loan_id = {id} AND restructure_id = {}", r.id),
        )
        .await;
        assert_eq!(history, 11, "{}: the old schedule is kept", t.label);
        let kinds: Vec<String> = loans::transactions(&app, &admin, id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect();
        assert!(kinds.contains(&"restructure".to_string()), "{kinds:?}");
        // the loan runs on with the new schedule: installment 1 as before, then
        // 110.54 and (11,053.81 − 599.76) × 1% = 104.54 of interest
        assert_eq!(pay_installment(&app, &admin, id, 1).await, cny("120.00"));
        assert_eq!(pay_installment(&app, &admin, id, 2).await, cny("110.54"));
        assert_eq!(pay_installment(&app, &admin, id, 3).await, cny("104.54"));
        // a 12-month loan may be extended by 12 periods in all: 6 more are allowed, 7 not
        let more = RestructureInput {
            extra_periods: Some(7),
            ..input.clone()
        };
        match restructure::request(&app, &officer, id, &more).await {
            Err(ServiceError::Invalid(v)) => assert_eq!(v[0].field, "extra_periods"),
            other => panic!("{other:?}"),
        }
        close_through(&app, &admin, d(2027, 3, 1)).await;
        let s = loans::get(&app, &admin, id)
            .await
            .unwrap()
            .servicing
            .unwrap();
        assert_eq!(
            (s.dpd, s.five_tier_class.as_str()),
            (0, "pass"),
            "{}",
            t.label
        );
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

#[tokio::test]
async fn a_floating_loan_reprices_on_january_first_to_the_lpr_plus_its_spread() {
    let officer = user("wang", Role::LoanOfficer);
    let approver = user("li", Role::Approver);
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        // a bad file changes nothing and names every bad row
        let bad = b"tenor,effective_date,rate\n3y,2026-10-20,0.035\n5y,2026-13-01,0.035\n5y,2026-10-20,1.5\n";
        match lpr::import_csv(&app, &admin, bad).await {
            Err(ServiceError::Invalid(v)) => {
                let rows: Vec<_> = v.iter().map(|v| (v.row, v.field.as_str())).collect();
                assert_eq!(
                    rows,
                    [
                        (Some(2), "tenor"),
                        (Some(3), "effective_date"),
                        (Some(4), "rate")
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
        let csv = b"tenor,effective_date,rate\n5y,2026-10-20,0.0350\n5y,2026-12-22,0.0330\n1y,2026-10-20,0.0300\n";
        let imported = lpr::import_csv(&app, &admin, csv).await.unwrap();
        assert_eq!((imported.added, imported.unchanged), (3, 0), "{}", t.label);
        assert_eq!(
            lpr::import_csv(&app, &admin, csv).await.unwrap().unchanged,
            3
        );
        let changed = b"tenor,effective_date,rate\n5y,2026-12-22,0.0340\n";
        assert!(matches!(
            lpr::import_csv(&app, &admin, changed).await,
            Err(ServiceError::Invalid(_))
        ));
        assert_eq!(lpr::list(&app, &admin, Some("5y")).await.unwrap().len(), 2);

        // 120,000.00 at 4.35% over 12 months, converted to the 5-year LPR + 0.85%
        let id = book(&app, &admin, customer, "120000", "0.0435", 12).await;
        let conversion = RestructureInput {
            kind: "lpr_conversion".into(),
            lpr_tenor: Some("5y".into()),
            rate_spread: Some("0.0085".into()),
            repricing_rule: Some("january_1".into()),
            reason: "pricing base converted to the LPR".into(),
            ..RestructureInput::default()
        };
        let r = restructure::request(&app, &officer, id, &conversion)
            .await
            .unwrap();
        let applied = restructure::approve(&app, &approver, r.id).await.unwrap();
        assert_eq!(
            applied.result["next_repricing"], "2027-01-01",
            "{}",
            t.label
        );
        // installment 1: 10,237.19 = 435.00 + 9,802.19 (120,000.00 × 4.35% / 12 = 435.00)
        assert_eq!(pay_installment(&app, &admin, id, 1).await, cny("435.00"));
        // the close of 2027-01-01 reprices: 5y LPR on 2027-01-01 is 3.30% (2026-12-22),
        // + 0.85% = 4.15% from the next due date (2027-01-23); installment 2 keeps its
        // interest of 110,197.81 × 4.35% / 12 = 399.47
        close_through(&app, &admin, d(2027, 1, 1)).await;
        let repriced = restructure::list(&app, &admin, Some(id), Some("applied"))
            .await
            .unwrap();
        assert_eq!(repriced[0].kind, "lpr_repricing", "{}", t.label);
        assert_eq!(repriced[0].requested_by, "eod");
        assert_eq!(repriced[0].request["new_rate"], "0.0415");
        let f = rstore::floating_of(app.db().pool(), id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(f.next_repricing, "2028-01-01");
        let schedule = loans::schedule(&app, &admin, id).await.unwrap();
        assert_eq!(schedule[1].interest, cny("399.47"));
        // 100,360.09 left after installment 2 over 10 periods at 4.15%:
        // 100,360.09 × 0.0415 / 12 = 347.0786 → 347.08 of interest in installment 3;
        // 100,360.09 × r / (1 − (1 + r)^−10), r = 0.0415 / 12: 10,227.89 a month
        assert_eq!(schedule[2].interest, cny("347.08"), "{}", t.label);
        assert_eq!(schedule[2].total, cny("10227.89"));
        assert_eq!(
            loans::get(&app, &admin, id).await.unwrap().annual_rate,
            "0.0415"
        );
        // a second close of the same date does not reprice again
        assert_eq!(
            restructure::reprice_due(&app, d(2027, 1, 2))
                .await
                .unwrap()
                .repriced,
            0
        );
        assert_eq!(pay_installment(&app, &admin, id, 2).await, cny("399.47"));
        assert_eq!(pay_installment(&app, &admin, id, 3).await, cny("347.08"));
        close_through(&app, &admin, d(2027, 2, 24)).await;
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

#[tokio::test]
async fn a_write_off_uses_the_provision_first_and_recoveries_are_income() {
    let operations = user("zhao", Role::Operations);
    let approver = user("li", Role::Approver);
    let officer = user("wang", Role::LoanOfficer);
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        // 10,000.00 at 12% over 6 months, never paid: installment 1 falls due 2026-12-23
        let id = book(&app, &admin, customer, "10000", "0.12", 6).await;
        // a manual class of special_mention holds while days past due give the same class
        let set = ClassOverrideInput {
            class: Some("special_mention".into()),
            reason: "borrower's business under review".into(),
        };
        let o = class_override::request(&app, &officer, id, &set)
            .await
            .unwrap();
        class_override::approve(&app, &approver, o.id)
            .await
            .unwrap();
        close_through(&app, &admin, d(2027, 1, 10)).await;
        let early = write_off::request(&app, &operations, id, "hopeless").await;
        assert!(
            matches!(early, Err(ServiceError::Conflict(ref m)) if m.contains("only non-performing")),
            "{early:?}"
        );
        // 91 days past due on 2027-03-24: substandard (the override ends), non-accrual;
        // one more close accrues interest and penalty off book
        close_through(&app, &admin, d(2027, 3, 25)).await;
        let row = loanbook_store::servicing::balance_of(app.db(), id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.account.class_override, None, "{}", t.label);
        let s = loans::get(&app, &admin, id)
            .await
            .unwrap()
            .servicing
            .unwrap();
        assert_eq!((s.dpd, s.five_tier_class.as_str()), (92, "substandard"));
        // provision 25% of 10,000.00
        assert_eq!(s.provision, cny("2500.00"));
        assert!(s.interest_off_book.is_positive(), "{}", t.label);
        let booked = 1_000_000
            + s.interest_accrued.amount_minor()
            + s.due_interest.amount_minor()
            + s.overdue_interest.amount_minor()
            - s.interest_off_book.amount_minor()
            + loanbook_store::servicing::balance_of(app.db(), id)
                .await
                .unwrap()
                .map(|b| {
                    b.account.penalty_interest + b.account.compound_interest
                        - b.account.penalty_off_book
                })
                .unwrap_or(0);
        let r = write_off::request(&app, &admin, id, "borrower insolvent; court ruling 2027-03")
            .await
            .unwrap();
        refused_by_four_eyes(write_off::approve(&app, &admin, r.id).await);
        let expense_before = gl(&app, &admin, "6702").await;
        write_off::approve(&app, &approver, r.id).await.unwrap();
        let w = write_off::written_off(&app, &admin, id).await.unwrap();
        // the provision absorbs 2,500.00, the rest is expense
        assert_eq!(w.principal, cny("10000.00"), "{}", t.label);
        assert_eq!(w.provision_used, cny("2500.00"));
        assert_eq!(w.expense.amount_minor(), booked - 250_000);
        assert_eq!(
            gl(&app, &admin, "6702").await - expense_before,
            booked - 250_000
        );
        assert!(w.off_book.is_positive(), "the off-book memo is kept");
        let loan = loans::get(&app, &admin, id).await.unwrap();
        assert_eq!(loan.status, "written_off");
        assert_eq!(loan.principal_outstanding, cny("0"));
        // the close leaves it alone
        close_through(&app, &admin, d(2027, 3, 31)).await;
        let s = loans::get(&app, &admin, id)
            .await
            .unwrap()
            .servicing
            .unwrap();
        assert_eq!(s.last_closed.as_deref(), Some("2027-03-25"));
        // recoveries: an officer may not post cash; more than the claim is refused; a
        // retry with the same key posts once
        let three = RecoveryInput {
            amount: "3000.00".into(),
            reference: Some("court enforcement".into()),
        };
        assert!(matches!(
            write_off::recover(&app, &officer, id, &three, None).await,
            Err(ServiceError::Forbidden { .. })
        ));
        let too_much = RecoveryInput {
            amount: "99999.00".into(),
            ..three.clone()
        };
        match write_off::recover(&app, &operations, id, &too_much, None).await {
            Err(ServiceError::Invalid(v)) => assert_eq!(v[0].field, "amount"),
            other => panic!("{other:?}"),
        }
        match write_off::recover(&app, &operations, id, &three, Some("")).await {
            Err(ServiceError::Invalid(v)) => assert_eq!(v[0].field, "Idempotency-Key"),
            other => panic!("{other:?}"),
        }
        let got = write_off::recover(&app, &operations, id, &three, Some("r-1"))
            .await
            .unwrap();
        assert_eq!(got.recovered, cny("3000.00"));
        write_off::recover(&app, &operations, id, &three, Some("r-1"))
            .await
            .unwrap();
        assert_eq!(gl(&app, &admin, "6031").await, -300_000, "{}", t.label);
        assert_eq!(
            write_off::written_off(&app, &admin, id)
                .await
                .unwrap()
                .outstanding
                .amount_minor(),
            w.claim.amount_minor() - 300_000
        );
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

#[tokio::test]
async fn closing_opens_a_collateral_release_task_and_archiving_waits_for_it() {
    let operations = user("zhao", Role::Operations);
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        let off = book(&app, &admin, customer, "50000", "0.06", 6).await;
        let short = book(&app, &admin, customer, "1000", "0.12", 1).await;
        close_through(&app, &admin, d(2026, 12, 7)).await;
        let quote = payoff_quote(&app, &admin, off, None).await.unwrap();
        pay_off(&app, &admin, off, &pay(&quote.total.to_string()), None)
            .await
            .unwrap();
        let tasks = closing::tasks(&app, &admin, Some(off), Some("open"))
            .await
            .unwrap();
        assert_eq!(tasks.len(), 1, "{}", t.label);
        assert_eq!(tasks[0].kind, "collateral_release");
        let refused = closing::archive(&app, &operations, off).await;
        assert!(
            matches!(refused, Err(ServiceError::Conflict(ref m)) if m.contains("open task")),
            "{refused:?}"
        );
        assert!(matches!(
            closing::archive(&app, &operations, short).await,
            Err(ServiceError::Conflict(_))
        ));
        closing::complete(&app, &operations, tasks[0].id, "mortgage deregistered")
            .await
            .unwrap();
        assert!(matches!(
            closing::complete(&app, &operations, tasks[0].id, "again").await,
            Err(ServiceError::Conflict(_))
        ));
        closing::archive(&app, &operations, off).await.unwrap();
        assert_eq!(
            loans::get(&app, &admin, off).await.unwrap().status,
            "archived"
        );
        // the final installment of a loan closes it too: 1,000.00 × 1% = 10.00 interest
        assert_eq!(pay_installment(&app, &admin, short, 1).await, cny("10.00"));
        let tasks = closing::tasks(&app, &admin, Some(short), None)
            .await
            .unwrap();
        assert_eq!((tasks.len(), tasks[0].status.as_str()), (1, "open"));
        close_through(&app, &admin, d(2027, 1, 5)).await;
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

#[tokio::test]
async fn a_class_override_holds_through_on_time_payments_until_removed() {
    let officer = user("wang", Role::LoanOfficer);
    let analyst = user("chen", Role::CreditAnalyst);
    let approver = user("li", Role::Approver);
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        let id = book(&app, &admin, customer, "12000", "0.12", 12).await;
        let bad = ClassOverrideInput {
            class: Some("excellent".into()),
            reason: "x".into(),
        };
        match class_override::request(&app, &officer, id, &bad).await {
            Err(ServiceError::Invalid(v)) => assert_eq!(v[0].field, "class"),
            other => panic!("{other:?}"),
        }
        let remove_nothing = ClassOverrideInput {
            class: None,
            reason: "no override".into(),
        };
        assert!(matches!(
            class_override::request(&app, &officer, id, &remove_nothing).await,
            Err(ServiceError::Conflict(_))
        ));
        let set = ClassOverrideInput {
            class: Some("substandard".into()),
            reason: "guarantor bankrupt".into(),
        };
        let r = class_override::request(&app, &analyst, id, &set)
            .await
            .unwrap();
        assert!(matches!(
            class_override::approve(&app, &officer, r.id).await,
            Err(ServiceError::Forbidden { .. })
        ));
        refused_by_four_eyes(class_override::approve(&app, &user("chen", Role::Admin), r.id).await);
        class_override::approve(&app, &approver, r.id)
            .await
            .unwrap();
        let history = loanbook_store::testing::count(
            app.db(),
            &format!("SELECT COUNT(*) FROM class_history WHERE loan_id = {id} AND to_class = 'substandard' AND reason LIKE '%guarantor bankrupt%' AND created_by = 'li'"),
        )
        .await;
        assert_eq!(history, 1, "{}", t.label);
        // four installments on time would upgrade a loan without an override
        for n in 1..=4 {
            pay_installment(&app, &admin, id, n).await;
        }
        close_through(&app, &admin, app.business_date().await.unwrap()).await;
        let s = loans::get(&app, &admin, id)
            .await
            .unwrap()
            .servicing
            .unwrap();
        assert_eq!(s.five_tier_class, "substandard", "{}", t.label);
        // provision follows the class at the close: 25% of the principal outstanding
        assert_eq!(
            s.provision.amount_minor(),
            (loans::get(&app, &admin, id)
                .await
                .unwrap()
                .principal_outstanding
                .amount_minor()
                + 2)
                / 4
        );
        let rejected = class_override::request(&app, &officer, id, &remove_nothing_now())
            .await
            .unwrap();
        class_override::reject(&app, &approver, rejected.id, "keep it")
            .await
            .unwrap();
        let removal = class_override::request(&app, &officer, id, &remove_nothing_now())
            .await
            .unwrap();
        class_override::approve(&app, &approver, removal.id)
            .await
            .unwrap();
        let row = loanbook_store::servicing::balance_of(app.db(), id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.account.class_override, None);
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

fn remove_nothing_now() -> ClassOverrideInput {
    ClassOverrideInput {
        class: None,
        reason: "guarantor replaced".into(),
    }
}

#[tokio::test]
async fn rate_change_principal_grace_plan_change_and_conversion_through_approval() {
    let officer = user("wang", Role::LoanOfficer);
    let approver = user("li", Role::Approver);
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        // 12,000.00 at 12% over 12 months: 11,053.81 left after installment 1
        let id = book(&app, &admin, customer, "12000", "0.12", 12).await;
        let rate = RestructureInput {
            kind: "rate_change".into(),
            new_rate: Some("0.06".into()),
            reason: "competitor offer".into(),
            ..RestructureInput::default()
        };
        let r = restructure::request(&app, &officer, id, &rate)
            .await
            .unwrap();
        refused_by_four_eyes(
            restructure::reject(&app, &user("wang", Role::Admin), r.id, "no").await,
        );
        let rejected = restructure::reject(&app, &approver, r.id, "not justified")
            .await
            .unwrap();
        assert_eq!(
            (rejected.status.as_str(), rejected.decision_note.as_deref()),
            ("rejected", Some("not justified")),
            "{}",
            t.label
        );
        assert!(matches!(
            restructure::approve(&app, &approver, r.id).await,
            Err(ServiceError::Conflict(_))
        ));
        // three interest-only periods after the current one: 11,053.81 × 1% = 110.54 each
        let grace = RestructureInput {
            kind: "principal_grace".into(),
            grace_periods: Some(3),
            reason: "harvest failed".into(),
            ..RestructureInput::default()
        };
        let g = restructure::request(&app, &officer, id, &grace)
            .await
            .unwrap();
        restructure::approve(&app, &approver, g.id).await.unwrap();
        let schedule = loans::schedule(&app, &admin, id).await.unwrap();
        for i in &schedule[1..4] {
            assert_eq!(
                (i.principal, i.interest),
                (cny("0"), cny("110.54")),
                "{}",
                t.label
            );
        }
        assert!(schedule[4].principal.is_positive());
        // then equal principal for the rest: 11,053.81 / 11 = 1,004.89, interest 110.54
        let plan = RestructureInput {
            kind: "plan_change".into(),
            method: Some("equal-principal".into()),
            reason: "borrower prefers falling installments".into(),
            ..RestructureInput::default()
        };
        let p = restructure::request(&app, &officer, id, &plan)
            .await
            .unwrap();
        restructure::approve(&app, &approver, p.id).await.unwrap();
        let schedule = loans::schedule(&app, &admin, id).await.unwrap();
        assert_eq!(
            (schedule[1].principal, schedule[1].interest),
            (cny("1004.89"), cny("110.54"))
        );
        assert_eq!(
            loans::get(&app, &admin, id).await.unwrap().method,
            "equal_principal"
        );
        // both replaced schedules are kept
        let history = loanbook_store::testing::count(
            app.db(),
            &format!("SELECT COUNT(*) FROM installment_history WHERE loan_id = {id}"),
        )
        .await;
        assert_eq!(history, 22);
        // a conversion without a spread keeps the rate: 12% − 1y LPR 3% = 9%
        lpr::import_csv(
            &app,
            &admin,
            b"tenor,effective_date,rate\n1y,2026-10-20,0.03\n",
        )
        .await
        .unwrap();
        let convert = RestructureInput {
            kind: "lpr_conversion".into(),
            lpr_tenor: Some("1y".into()),
            repricing_rule: Some("anniversary".into()),
            reason: "pricing base converted".into(),
            ..RestructureInput::default()
        };
        let c = restructure::request(&app, &officer, id, &convert)
            .await
            .unwrap();
        let done = restructure::approve(&app, &approver, c.id).await.unwrap();
        assert_eq!(done.result["rate_spread"], "0.09");
        assert_eq!(done.result["next_repricing"], "2027-11-23");
        assert_eq!(pay_installment(&app, &admin, id, 1).await, cny("120.00"));
        assert_eq!(pay_installment(&app, &admin, id, 2).await, cny("110.54"));
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}
