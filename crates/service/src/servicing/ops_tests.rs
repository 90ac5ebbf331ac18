//! Scenarios of the book migration, bank statements, refunds and reversals on every test
//! database, each ending with the ledger check.

use loanbook_core::delinquency::FiveTier;
use loanbook_core::servicing::LoanAccount;

use super::migration::{ImportOptions, import_loans};
use super::refunds::{RefundInput, refund};
use super::repayments::{pay_off, payoff_quote, repay};
use super::reversals::reverse;
use super::statements::import_statement;
use super::tests::{assert_ledger_ok, bank, book, close_through, cny, d, pay};
use crate::test_support::apps;
use crate::{Actor, App, ServiceError};

async fn account(app: &App, loan_id: i64) -> LoanAccount {
    loanbook_store::servicing::balance_of(app.db(), loan_id)
        .await
        .unwrap()
        .unwrap()
        .account
}

async fn loan_count(app: &App) -> usize {
    crate::loans::list(app, &Actor::system(), None, None, Some(500))
        .await
        .unwrap()
        .len()
}

const HEADER: &str = "external_id,customer_name,id_number,phone,province,product_code,principal,annual_rate,term,method,disbursed_on,first_due,principal_repaid,interest_repaid";

fn opts() -> ImportOptions {
    ImportOptions {
        funding_source: Some("OWN".into()),
    }
}

#[tokio::test]
async fn a_book_migration_brings_loans_to_the_business_date_or_nothing() {
    for (app, admin, t) in apps().await {
        let known = bank(&app, &admin).await;
        let known_id = crate::demo::resident_id("11010119850312", 7);
        let new_id = crate::demo::resident_id("44030119900101", 3);
        // 12,000.00 at 12% over 12 months from Aug 23: 1,066.19 a month.
        // installment 1 (Sep 23): interest 12000.00 × 1% = 120.00, principal 946.19;
        // installment 2 (Oct 23): interest 11053.81 × 1% = 110.54, principal 955.65;
        // installment 3 (Nov 23): interest 10098.16 × 1% = 100.98.
        let file = format!(
            "{HEADER}\n\
             OLD-001,李四,{known_id},13800138007,广东省,SVC,12000,0.12,12,annuity,2026-08-23,,1901.84,230.54\n\
             OLD-002,王芳,{new_id},13900139001,广东省,SVC,12000,0.12,12,annuity,2026-08-23,,946.19,120.00\n\
             OLD-003,王芳,{new_id},13900139001,广东省,SVC,6000,0.12,6,equal_principal,2026-10-10,2026-11-15,,\n"
        );
        let view = import_loans(&app, &admin, &file, &opts()).await.unwrap();
        assert_eq!(view.loans.len(), 3, "{}", t.label);
        assert_eq!((view.customers_created, view.customers_reused), (1, 1));
        assert_eq!(view.loans[0].customer_id, known, "matched by ID number");
        assert_eq!(view.loans[1].customer_id, view.loans[2].customer_id);

        // OLD-001 paid up: two installments repaid, the third accruing.
        let a = account(&app, view.loans[0].loan_id).await;
        // 12000.00 − 946.19 − 955.65 = 10,098.16
        assert_eq!(a.principal_outstanding, 1_009_816, "{}", t.label);
        // closed through Nov 22: 30 of the 31 days of Oct 23 → Nov 23: 10098 × 30 / 31 = 9772.26
        assert_eq!(a.interest_accrued, 9_772);
        assert_eq!(
            (a.dpd, a.class, a.last_closed),
            (0, FiveTier::Pass, d(2026, 11, 22))
        );
        // provision 1% × 10,098.16 = 100.98
        assert_eq!(a.provision, 10_098);

        // OLD-002 late: installment 2 (Oct 23) unpaid, overdue from the close of Oct 24.
        let b = account(&app, view.loans[1].loan_id).await;
        assert_eq!((b.overdue_principal, b.overdue_interest), (95_565, 11_054));
        // daily rate 0.12 × 1.5 / 360 = 0.0005; 30 closed days (Oct 24 – Nov 22):
        // penalty 95565 × 0.0005 × 30 = 1433.475 → 14.33; compound 11054 × 0.0005 × 30
        // = 165.81 → 1.66
        assert_eq!((b.penalty_interest, b.compound_interest), (1_433, 166));
        assert_eq!((b.dpd, b.class), (30, FiveTier::SpecialMention));
        // provision 2% × 11,053.81 = 221.08
        assert_eq!(b.provision, 22_108);
        assert_eq!(b.interest_accrued, 9_772);

        // OLD-003: a broken first period to Nov 15, nothing repaid: 7 days past due.
        let c = account(&app, view.loans[2].loan_id).await;
        assert_eq!((c.dpd, c.class), (7, FiveTier::SpecialMention));
        assert_eq!(c.overdue_principal, 100_000, "6,000.00 / 6 falls due first");
        assert_ledger_ok(&app, &admin, t.label).await;

        // a bad file: every bad row is reported, nothing is imported
        let before = loan_count(&app).await;
        let bad = format!(
            "{HEADER}\n\
             OLD-001,李四,{known_id},13800138007,广东省,SVC,12000,0.12,12,annuity,2026-08-23,,,\n\
             OLD-010,赵六,110101199003070000,13800138000,北京市,SVC,1000,0.12,12,annuity,2026-08-23,,,\n\
             OLD-011,王芳,{new_id},13900139001,广东省,NOPE,1000,0.12,12,annuity,2026-08-23,,,\n\
             OLD-012,王芳,{new_id},13900139001,广东省,SVC,1000,0.12,12,annuity,2026-08-23,,,999.00\n\
             12345,王芳,{new_id},13900139001,广东省,SVC,1000,0.12,0,weekly,2026-12-01,,,\n\
             OLD-013,王芳,{new_id},13900139001,广东省,SVC,1000,0.12,12,annuity,2026-08-23,,,\n\
             OLD-013,王芳,{new_id},13900139001,广东省,SVC,1000,0.12,12,annuity,2026-08-23,,,\n"
        );
        match import_loans(&app, &admin, &bad, &opts()).await {
            Err(ServiceError::Invalid(v)) => {
                let found: Vec<(usize, &str)> = v
                    .iter()
                    .map(|x| (x.row.unwrap(), x.field.as_str()))
                    .collect();
                assert_eq!(
                    found,
                    [
                        (2, "external_id"),
                        (3, "id_number"),
                        (4, "product_code"),
                        (5, "interest_repaid"),
                        (6, "external_id"),
                        (6, "term"),
                        (6, "method"),
                        (6, "disbursed_on"),
                        (8, "external_id"),
                    ],
                    "{}: {v:?}",
                    t.label
                );
                assert!(v[0].rule.contains("booked already"), "{}", v[0].rule);
                assert!(v[8].rule.contains("repeats row 7"), "{}", v[8].rule);
                // 1,000.00 at 12%: 88.85 a month; interest 10.00 + 921.15 × 1% = 9.21
                assert!(v[3].rule.ends_with("(19.21)"), "{}", v[3].rule);
            }
            other => panic!("{}: {other:?}", t.label),
        }
        assert_eq!(loan_count(&app).await, before, "nothing half-imported");

        // the imported loans close with the rest of the book
        close_through(&app, &admin, d(2026, 11, 23)).await;
        let b = account(&app, view.loans[1].loan_id).await;
        assert_eq!(b.dpd, 31);
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

#[tokio::test]
async fn a_bank_statement_posts_every_line_or_none() {
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        // business date 2026-11-23: 12,000.00 at 12% over 12 months, 1,066.19 a month
        let first = book(&app, &admin, customer, "12000", "0.12", 12).await;
        let second = book(&app, &admin, customer, "6000", "0.12", 6).await;
        close_through(&app, &admin, d(2026, 12, 22)).await;
        let statement = format!(
            "loan,amount,paid_on,reference\n{first},1066.19,2026-12-23,BANK-0001\n{second},1035.29,2026-12-23,BANK-0002\n"
        );
        let view = import_statement(&app, &admin, &statement).await.unwrap();
        assert_eq!((view.rows, view.total), (2, cny("2101.48")), "{}", t.label);
        assert_eq!(view.repayments[0].allocation.interest, cny("120.00"));
        assert_eq!(view.repayments[0].allocation.principal, cny("946.19"));
        // 6,000.00 at 12% over 6 months: 1,035.29 a month, interest 60.00
        assert_eq!(view.repayments[1].allocation.interest, cny("60.00"));
        assert_eq!(view.repayments[1].allocation.advance, cny("0.00"));
        // the same file again: every reference was imported already; nothing posts
        match import_statement(&app, &admin, &statement).await {
            Err(ServiceError::Invalid(v)) => {
                assert_eq!(v.len(), 2, "{}: {v:?}", t.label);
                assert!(v.iter().all(|x| x.field == "reference"));
                assert!(v[0].rule.contains("imported already"), "{}", v[0].rule);
            }
            other => panic!("{other:?}"),
        }
        let mixed = format!(
            "loan,amount,paid_on,reference\n{first},10.00,2026-12-23,BANK-0003\nNOPE-1,5.00,2026-12-23,BANK-0004\n{first},-1,2027-01-30,\n{first},1.00,2026-12-23,BANK-0003\n"
        );
        match import_statement(&app, &admin, &mixed).await {
            Err(ServiceError::Invalid(v)) => {
                let found: Vec<(usize, &str)> = v
                    .iter()
                    .map(|x| (x.row.unwrap(), x.field.as_str()))
                    .collect();
                assert_eq!(
                    found,
                    [
                        (3, "loan"),
                        (4, "amount"),
                        (4, "paid_on"),
                        (4, "reference"),
                        (5, "reference")
                    ],
                    "{}",
                    t.label
                );
            }
            other => panic!("{other:?}"),
        }
        let a = account(&app, first).await;
        assert_eq!(
            a.advance_balance, 0,
            "the 10.00 of the refused file was not posted"
        );
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

#[tokio::test]
async fn an_overpayment_is_refunded_and_the_settled_loan_closes() {
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        let id = book(&app, &admin, customer, "12000", "0.12", 12).await;
        close_through(&app, &admin, d(2026, 12, 10)).await;
        let quote = payoff_quote(&app, &admin, id, None).await.unwrap();
        // 500.00 more than the quote: held as an advance to be refunded
        let amount = quote.total.amount_minor() + 50_000;
        let paid = pay_off(
            &app,
            &admin,
            id,
            &pay(&loanbook_core::money::Money::from_minor(
                amount,
                loanbook_core::money::Currency::CNY,
            )
            .to_string()),
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            paid.loan_status, "active",
            "{}: the advance is still held",
            t.label
        );
        assert_eq!(account(&app, id).await.advance_balance, 50_000);
        let part = RefundInput {
            amount: Some("200.00".into()),
            reference: "REFUND-1".into(),
        };
        let r = refund(&app, &admin, id, &part, Some("refund-key-1"))
            .await
            .unwrap();
        assert_eq!((r.amount, r.advance_left), (cny("200.00"), cny("300.00")));
        // a retry with the key answers the first refund
        let again = refund(&app, &admin, id, &part, Some("refund-key-1"))
            .await
            .unwrap();
        assert_eq!(again.transaction_id, r.transaction_id);
        let too_much = RefundInput {
            amount: Some("300.01".into()),
            reference: "REFUND-2".into(),
        };
        match refund(&app, &admin, id, &too_much, None).await {
            Err(ServiceError::Invalid(v)) => assert_eq!(v[0].field, "amount", "{v:?}"),
            other => panic!("{other:?}"),
        }
        let rest = RefundInput {
            amount: None,
            reference: "REFUND-2".into(),
        };
        let r = refund(&app, &admin, id, &rest, None).await.unwrap();
        assert_eq!(
            (r.amount, r.loan_status.as_str()),
            (cny("300.00"), "closed")
        );
        let loan = crate::loans::get(&app, &admin, id).await.unwrap();
        assert_eq!(loan.status, "closed", "{}", t.label);
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

#[tokio::test]
async fn a_reversed_payment_replays_the_later_one_and_penalty_reaccrues() {
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        // business date 2026-11-23: 12,000.00 at 12% over 12 months; installment 1 due
        // Dec 23: principal 946.19, interest 120.00
        let id = book(&app, &admin, customer, "12000", "0.12", 12).await;
        close_through(&app, &admin, d(2026, 12, 22)).await;
        let first = repay(&app, &admin, id, &pay("1066.19"), None)
            .await
            .unwrap();
        close_through(&app, &admin, d(2027, 1, 9)).await;
        // Jan 10: 300.00 paid ahead (nothing due): held as an advance
        let later = repay(&app, &admin, id, &pay("300.00"), None).await.unwrap();
        assert_eq!(later.allocation.advance, cny("300.00"));
        close_through(&app, &admin, d(2027, 1, 14)).await;

        // Jan 15: the Dec 23 payment bounced
        let r = reverse(
            &app,
            &admin,
            id,
            first.transaction_id,
            "returned by the bank",
        )
        .await
        .unwrap();
        // without it, installment 1 is overdue from the close of Dec 24. Daily penalty
        // rate 0.12 × 1.5 / 360 = 0.0005; Dec 24 – Jan 9 is 17 closes:
        // penalty 94619 × 0.0005 × 17 = 804.2615 → 8.04; compound 12000 × 0.0005 × 17
        // = 102 → 1.02. The Jan 10 payment of 300.00 is re-applied down the waterfall:
        // 8.04 + 1.02 + 120.00 interest + 170.94 principal.
        assert_eq!(r.replayed.len(), 1, "{}", t.label);
        let a = &r.replayed[0].allocation;
        assert_eq!(
            (
                a.penalty_interest,
                a.compound_interest,
                a.interest,
                a.principal,
                a.advance
            ),
            (
                cny("8.04"),
                cny("1.02"),
                cny("120.00"),
                cny("170.94"),
                cny("0.00")
            ),
            "{}",
            t.label
        );
        let acct = account(&app, id).await;
        // 946.19 − 170.94 = 775.25 overdue; Jan 10 – 14, 5 closes: 77525 × 0.0005 × 5
        // = 193.8125, with the 0.2615 left of Jan 10: 194.074 → 1.94
        assert_eq!(acct.overdue_principal, 77_525);
        assert_eq!((acct.penalty_interest, acct.compound_interest), (194, 0));
        assert_eq!((acct.dpd, acct.class), (22, FiveTier::SpecialMention));
        assert_eq!(acct.advance_balance, 0);
        assert_eq!(r.dpd, 22);
        assert_ledger_ok(&app, &admin, t.label).await;

        // reversing twice is refused
        assert!(matches!(
            reverse(&app, &admin, id, first.transaction_id, "again").await,
            Err(ServiceError::Conflict(_))
        ));
        // a later payment: 1.94 + 775.25 = 777.19 clears the arrears, 22.81 is held
        let p = repay(&app, &admin, id, &pay("800.00"), None).await.unwrap();
        assert_eq!(p.allocation.advance, cny("22.81"), "{}", t.label);
        close_through(&app, &admin, d(2027, 1, 15)).await;
        assert_eq!(account(&app, id).await.dpd, 0);
        // the later payment can itself be reversed from its replayed state
        let r2 = reverse(&app, &admin, id, later.transaction_id, "wrong loan")
            .await
            .unwrap();
        assert_eq!(r2.replayed.len(), 1);
        assert!(account(&app, id).await.overdue_principal > 0);
        assert_ledger_ok(&app, &admin, t.label).await;
        refused(&app, &admin, id, r.transaction_id).await;
    }
}

#[tokio::test]
async fn a_reversed_payoff_services_the_loan_again() {
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        let id = book(&app, &admin, customer, "12000", "0.12", 12).await;
        close_through(&app, &admin, d(2026, 12, 10)).await;
        let quote = payoff_quote(&app, &admin, id, None).await.unwrap();
        let paid = pay_off(&app, &admin, id, &pay(&quote.total.to_string()), None)
            .await
            .unwrap();
        assert_eq!(paid.loan_status, "closed", "{}", t.label);
        let open = super::closing::tasks(&app, &admin, Some(id), Some("open"))
            .await
            .unwrap();
        assert_eq!(open.len(), 1, "the collateral-release task");
        // the payoff's money never arrived: the loan is serviced again from Dec 11
        let r = reverse(
            &app,
            &admin,
            id,
            paid.transaction_id,
            "returned by the bank",
        )
        .await
        .unwrap();
        assert_eq!((r.loan_status.as_str(), r.replayed.len()), ("active", 0));
        let loan = crate::loans::get(&app, &admin, id).await.unwrap();
        assert_eq!(loan.status, "active", "{}", t.label);
        assert_eq!(loan.principal_outstanding, cny("12000"));
        let open = super::closing::tasks(&app, &admin, Some(id), Some("open"))
            .await
            .unwrap();
        assert!(open.is_empty(), "the release task ends with the reversal");
        close_through(&app, &admin, d(2026, 12, 24)).await;
        let a = account(&app, id).await;
        assert_eq!(
            (a.dpd, a.last_closed),
            (1, d(2026, 12, 24)),
            "installment 1 is late"
        );
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}

/// A reversal is not reversed; an empty reason is refused.
async fn refused(app: &App, admin: &Actor, id: i64, reversal: i64) {
    assert!(matches!(
        reverse(app, admin, id, reversal, "x").await,
        Err(ServiceError::Invalid(_))
    ));
    assert!(matches!(
        reverse(app, admin, id, reversal, " ").await,
        Err(ServiceError::Invalid(_))
    ));
}

#[tokio::test]
#[ignore = "timing only"]
async fn timing_of_a_large_migration() {
    for (app, admin, t) in apps().await {
        bank(&app, &admin).await;
        let n: u64 = std::env::var("ROWS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(2000);
        let mut file = String::from(HEADER);
        file.push('\n');
        for k in 0..n {
            let id = crate::demo::resident_id("44030119900101", k % 1000);
            let id = if k < 1000 {
                id
            } else {
                crate::demo::resident_id("44030119910101", k % 1000)
            };
            file.push_str(&format!(
                "M-{k},客户{k},{id},13900139001,广东省,SVC,12000,0.12,24,annuity,2025-11-23,,{},{}\n",
                if k % 20 == 0 { "0" } else { "5000" },
                if k % 20 == 0 { "0" } else { "900" }
            ));
        }
        let started = std::time::Instant::now();
        let view = import_loans(&app, &admin, &file, &opts()).await.unwrap();
        eprintln!(
            "{}: {} loans in {:?}",
            t.label,
            view.loans.len(),
            started.elapsed()
        );
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}
