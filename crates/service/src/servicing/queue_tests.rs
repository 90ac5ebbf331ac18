//! The posting queue: repayments asked for at the same time are posted together and come
//! out as if posted one by one; a refusal, a retry and a reused key inside a batch are
//! each answered on their own.

use super::repayments::{RepaymentInput, prepay, repay};
use super::tests::{assert_ledger_ok, bank, book, close_through, cny, d, pay};
use crate::test_support::apps;
use crate::{ServiceError, loans};
use loanbook_core::servicing::prepayment::PrepaymentMode;

#[tokio::test]
async fn concurrent_repayments_equal_the_same_posted_one_by_one() {
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        // three loans posted to at once, three twins posted to one at a time
        let mut together = Vec::new();
        let mut alone = Vec::new();
        for (principal, term) in [("12000", 12), ("30000", 24), ("5000", 6)] {
            together.push(book(&app, &admin, customer, principal, "0.12", term).await);
            alone.push(book(&app, &admin, customer, principal, "0.12", term).await);
        }
        // the first installments fall due on 2026-12-23 and are 8 days late
        close_through(&app, &admin, d(2026, 12, 31)).await;
        let amounts = ["100.00", "250.50", "1000.00", "0.01", "3000.00", "42.42"];

        let mut tasks = tokio::task::JoinSet::new();
        for (n, amount) in amounts.iter().enumerate() {
            for (k, loan) in together.iter().enumerate() {
                let (app, admin, loan) = (app.clone(), admin.clone(), *loan);
                let key = format!("q-{k}-{n}");
                let input = pay(amount);
                tasks.spawn(async move { repay(&app, &admin, loan, &input, Some(&key)).await });
            }
        }
        // a retry of one of them (same key, same request) and a key reused for another amount
        let (a, b) = (app.clone(), admin.clone());
        let first = together[0];
        tasks.spawn(async move { repay(&a, &b, first, &pay("100.00"), Some("q-0-0")).await });
        let (a, b) = (app.clone(), admin.clone());
        tasks.spawn(async move { repay(&a, &b, first, &pay("999.00"), Some("q-0-1")).await });
        // a prepayment the core refuses (it would repay all principal: a payoff is asked for)
        let (a, b) = (app.clone(), admin.clone());
        let second = together[1];
        tasks.spawn(async move {
            prepay(
                &a,
                &b,
                second,
                &pay("999999.00"),
                PrepaymentMode::ReduceTerm,
                Some("refused"),
            )
            .await
        });
        let mut posted = Vec::new();
        let mut conflicts = 0;
        let mut refused = 0;
        while let Some(joined) = tasks.join_next().await {
            match joined.unwrap() {
                Ok(view) => posted.push(view),
                Err(ServiceError::Conflict(m)) => {
                    assert!(m.contains("different request"), "{}: {m}", t.label);
                    conflicts += 1;
                }
                Err(ServiceError::Invalid(v)) => {
                    assert_eq!(v[0].field, "amount", "{}: {v:?}", t.label);
                    refused += 1;
                }
                Err(e) => panic!("{}: {e}", t.label),
            }
        }
        assert_eq!((conflicts, refused), (1, 1), "{}", t.label);
        // 18 postings and the retry, which answers the first posting again
        assert_eq!(posted.len(), 19, "{}", t.label);
        let mut ids: Vec<i64> = posted.iter().map(|v| v.transaction_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 18, "{}: the retry posted nothing", t.label);

        for amount in amounts {
            for loan in &alone {
                repay(&app, &admin, *loan, &pay(amount), None)
                    .await
                    .unwrap();
            }
        }
        for (x, y) in together.iter().zip(&alone) {
            let (vx, vy) = (
                loans::get(&app, &admin, *x).await.unwrap(),
                loans::get(&app, &admin, *y).await.unwrap(),
            );
            assert_eq!(
                vx.principal_outstanding, vy.principal_outstanding,
                "{}",
                t.label
            );
            let (sx, sy) = (vx.servicing.unwrap(), vy.servicing.unwrap());
            assert_eq!(
                serde_json::to_value(&sx).unwrap(),
                serde_json::to_value(&sy).unwrap(),
                "{}: loan {x} posted together, loan {y} alone",
                t.label
            );
            let paid: i64 = loans::transactions(&app, &admin, *x)
                .await
                .unwrap()
                .iter()
                .filter(|tr| tr.kind == "repayment")
                .map(|tr| tr.amount.amount_minor())
                .sum();
            assert_eq!(paid, cny("4392.93").amount_minor(), "{}", t.label);
        }
        // the refused prepayment left its key free for a corrected request
        let again = RepaymentInput {
            amount: "8000.00".into(),
            ..pay("0")
        };
        prepay(
            &app,
            &admin,
            together[1],
            &again,
            PrepaymentMode::ReduceTerm,
            Some("refused"),
        )
        .await
        .unwrap();
        assert_ledger_ok(&app, &admin, t.label).await;
    }
}
