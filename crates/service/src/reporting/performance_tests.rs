//! Officer performance, model performance and funding-source liquidity on the crafted
//! two-loan book of [`super::tests`], on every test database: alice's application made
//! the loan that misses every installment (OWN funds), bob's the one that pays (BANK-A);
//! bob also had one declined. The champion scored alice's application 470 (after a first
//! 520) and bob's 600.

use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::reporting::ratio;
use loanbook_core::schedule::RepaymentMethod;
use loanbook_risk::scorecard::mapping::Mapping;
use loanbook_store::applications::{self as store, ApplicationRow};
use loanbook_store::testing::execute;

use super::*;
use crate::applications::{FundingSourceInput, create_funding_source};
use crate::servicing::book::{BookLoanInput, book_loan};
use crate::servicing::repayments::repay;
use crate::servicing::tests::{bank, book, close_through, d, pay};
use crate::test_support::apps;
use crate::{loans, models};

fn demo_model(deciles: bool) -> (String, Mapping) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("german-demo.json")).unwrap())
            .unwrap();
    if !deciles {
        model["metrics"]["score_deciles"] = serde_json::json!([]);
    }
    let mapping = std::fs::read_to_string(dir.join("german-demo.mapping.json")).unwrap();
    (model.to_string(), serde_json::from_str(&mapping).unwrap())
}

/// An application of `officer`, submitted on the business date and then approved or
/// declined (or left a draft when `outcome` is empty).
async fn application(app: &App, customer: i64, officer: &str, outcome: &str) -> i64 {
    let at = "2026-11-23T09:00:00.000000Z";
    let row = ApplicationRow {
        customer_id: customer,
        product_code: "SVC".into(),
        product_version: 1,
        channel: "branch".into(),
        amount_minor: 1_200_000,
        term_months: 12,
        method: "annuity".into(),
        purpose: "working capital".into(),
        status: "draft".into(),
        created_by: officer.into(),
        created_at: at.into(),
        updated_at: at.into(),
        ..ApplicationRow::default()
    };
    let mut tx = app.db().begin().await.unwrap();
    let id = store::insert(&mut tx, &row).await.unwrap();
    if !outcome.is_empty() {
        for (from, to) in [("draft", "submitted"), ("submitted", outcome)] {
            assert!(
                store::transition(&mut tx, id, from, to, officer, "", None, at)
                    .await
                    .unwrap()
            );
        }
    }
    tx.commit().await.unwrap();
    id
}

async fn link_and_score(app: &App, loan: i64, application: i64, scores: &[(i64, i64, &str)]) {
    let mut tx = app.db().begin().await.unwrap();
    if loan > 0 {
        let sql = format!("UPDATE loans SET application_id = {application} WHERE id = {loan}");
        execute(&mut tx, &sql).await;
    }
    for (model, score, on) in scores {
        let subject = application.to_string();
        loanbook_store::score_models::insert_score(&mut tx, *model, on, &subject, *score, true)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

fn minor(m: Money) -> i64 {
    m.amount_minor()
}

#[tokio::test]
async fn officer_model_and_liquidity_figures_equal_the_direct_calculation() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        let customer = bank(&app, &admin).await;
        let source = FundingSourceInput {
            code: "BANK-A".into(),
            name: "bank A".into(),
            currency: None,
            limit: "50000.00".into(),
        };
        create_funding_source(&app, &admin, &source).await.unwrap();
        let (file, mapping) = demo_model(true);
        let champion = models::deploy(&app, &admin, &file, &mapping, "champion", None)
            .await
            .unwrap()
            .id;
        let (file, mapping) = demo_model(false);
        let flat = models::deploy(&app, &admin, &file, &mapping, "draft", None)
            .await
            .unwrap()
            .id;
        let late = book(&app, &admin, customer, "12000", "0.12", 12).await;
        let good = book_loan(
            &app,
            &admin,
            &BookLoanInput {
                external_id: None,
                customer_id: customer,
                product_code: "SVC".into(),
                principal: Money::parse("36000", Currency::CNY).unwrap(),
                annual_rate: AnnualRate::parse("0.12").unwrap(),
                term: 12,
                method: RepaymentMethod::Annuity,
                funding_source: "BANK-A".into(),
            },
        )
        .await
        .unwrap();
        application(&app, customer, "alice", "").await; // a draft: not submitted
        let a1 = application(&app, customer, "alice", "approved").await;
        let b1 = application(&app, customer, "bob", "approved").await;
        let b2 = application(&app, customer, "bob", "declined").await;
        let scores = [
            (champion, 520, "2026-11-20"),
            (champion, 470, "2026-11-23"),
            (flat, 512, "2026-11-23"),
        ];
        link_and_score(&app, late, a1, &scores).await;
        let scores = [(champion, 600, "2026-11-23"), (flat, 640, "2026-11-23")];
        link_and_score(&app, good, b1, &scores).await;
        link_and_score(&app, 0, b2, &[(champion, 450, "2026-11-23")]).await;
        // a score from August, outside the recent three months
        link_and_score(&app, 0, 9_999, &[(champion, 300, "2026-08-31")]).await;

        close_through(&app, &admin, d(2026, 12, 22)).await;
        let s_late = loans::schedule(&app, &admin, late).await.unwrap();
        let s_good = loans::schedule(&app, &admin, good).await.unwrap();
        repay(&app, &admin, good, &pay(&s_good[0].total.to_string()), None)
            .await
            .unwrap();
        close_through(&app, &admin, d(2026, 12, 24)).await;
        let p_late = minor(
            loans::get(&app, &admin, late)
                .await
                .unwrap()
                .principal_outstanding,
        );
        let p_good = minor(
            loans::get(&app, &admin, good)
                .await
                .unwrap()
                .principal_outstanding,
        );

        // officers: bob's book is the larger; 1 of his 2 decided applications approved
        let r = officer_performance(&app, &admin, d(2026, 11, 1), d(2026, 11, 30))
            .await
            .unwrap();
        let names: Vec<&str> = r.officers.iter().map(|o| o.officer.as_str()).collect();
        assert_eq!(names, ["bob", "alice"], "{label}");
        let (bob, alice) = (&r.officers[0], &r.officers[1]);
        assert_eq!(
            (bob.submitted, bob.approved, bob.declined),
            (2, 1, 1),
            "{label}"
        );
        assert_eq!(bob.approval_rate, ratio(1, 2).to_string());
        assert_eq!(
            (bob.loans_disbursed, bob.principal_disbursed.as_str()),
            (1, "36000.00")
        );
        assert_eq!(
            (bob.loans, bob.principal_outstanding.clone()),
            (1, money(p_good))
        );
        assert_eq!(
            (alice.submitted, alice.approval_rate.as_str()),
            (1, "1.0000"),
            "{label}"
        );
        assert_eq!(alice.principal_outstanding, money(p_late));
        // one day past due is not PAR30
        assert_eq!(
            (alice.par30.as_str(), alice.npl_ratio.as_str()),
            ("0.0000", "0.0000")
        );
        let december = officer_performance(&app, &admin, d(2026, 12, 1), d(2026, 12, 31))
            .await
            .unwrap();
        assert_eq!(december.officers[0].submitted, 0);
        assert_eq!(december.officers[0].principal_outstanding, money(p_good));
        let bad = officer_performance(&app, &admin, d(2026, 12, 2), d(2026, 12, 1)).await;
        assert!(matches!(bad, Err(ServiceError::Invalid(_))), "{bad:?}");

        // liquidity: each source's drawn principal and the inflows of its own loans,
        // adding up to the cash-flow projection
        let l = liquidity(&app, &admin, 2).await.unwrap();
        assert_eq!(
            l.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(),
            ["BANK-A", "OWN"]
        );
        let (bank_a, own) = (&l[0], &l[1]);
        assert_eq!(
            (bank_a.limit.as_str(), bank_a.drawn.clone()),
            ("50000.00", money(p_good))
        );
        assert_eq!(bank_a.available, money(5_000_000 - p_good), "{label}");
        assert_eq!(bank_a.utilisation, ratio(p_good, 5_000_000).to_string());
        // booked (not disbursed through origination) loans do not draw on what the
        // source records as lendable
        assert_eq!(bank_a.lendable, "50000.00");
        assert_eq!(own.drawn, money(p_late));
        assert_eq!(own.utilisation, ratio(p_late, 10_000_000_000).to_string());
        // December: the late loan's arrears, the good loan's first installment paid
        assert_eq!(own.inflows[0].principal, s_late[0].principal.to_string());
        assert_eq!(own.inflows[0].interest, s_late[0].interest.to_string());
        assert_eq!(bank_a.inflows[0].installments, 0);
        assert_eq!(bank_a.inflows[1].principal, s_good[1].principal.to_string());
        let flow = cash_flow(&app, &admin, 2).await.unwrap();
        for (k, month) in flow.iter().enumerate() {
            let each: i64 = l
                .iter()
                .map(|s| Money::parse(&s.inflows[k].principal, Currency::CNY).unwrap())
                .map(minor)
                .sum();
            assert_eq!(money(each), month.principal, "{label}: {}", month.month);
        }
        let bad = liquidity(&app, &admin, 0).await;
        assert!(matches!(bad, Err(ServiceError::Invalid(_))), "{bad:?}");

        // the model: no loan has three months on book yet
        let m = model_performance(&app, &admin, None).await.unwrap();
        assert_eq!(
            (m.model_id, m.banding),
            (champion, "training_deciles"),
            "{label}"
        );
        assert_eq!((m.loans, m.too_recent, m.bands.len()), (0, 2, 10));

        // through 2027-02-23, three months after both loans started: the late one was 39
        // days past due at the end of January; the good one 8 (its second installment),
        // then paid up
        close_through(&app, &admin, d(2027, 1, 31)).await;
        let catch_up = minor(s_good[1].total) + 10_000;
        repay(&app, &admin, good, &pay(&money(catch_up)), None)
            .await
            .unwrap();
        close_through(&app, &admin, d(2027, 2, 23)).await;
        let dpd = |l: loans::LoanView| l.servicing.map(|s| s.dpd);
        assert!(dpd(loans::get(&app, &admin, late).await.unwrap()) >= Some(30));
        assert_eq!(
            dpd(loans::get(&app, &admin, good).await.unwrap()),
            Some(0),
            "{label}"
        );
        let m = model_performance(&app, &admin, None).await.unwrap();
        assert_eq!(
            (m.as_of, m.loans, m.bad, m.too_recent),
            (d(2027, 2, 23), 2, 1, 0)
        );
        assert_eq!(m.bad_rate, "0.5000", "{label}");
        // training deciles 467, 484, …, 580: 470 is in the second band, 600 in the last
        let b = |k: usize| {
            let band = &m.bands[k];
            (
                band.min_score,
                band.max_score,
                band.loans,
                band.bad,
                band.bad_rate.clone(),
            )
        };
        assert_eq!(
            b(1),
            (Some(467), Some(483), 1, 1, "1.0000".into()),
            "{label}"
        );
        assert_eq!(b(9), (Some(580), None, 1, 0, "0.0000".into()));
        assert_eq!(m.bands.iter().map(|b| b.loans).sum::<i64>(), 2);
        // PSI of 520, 470, 600 and 450 (September to November) against training: four
        // bins hold a quarter each, six none (0.0001):
        // 4 × 0.15 × ln 2.5 + 6 × (0.0001 − 0.1) × ln 0.001 = 0.54977 + 4.14051 = 4.6903
        assert_eq!(
            (m.recent_from, m.recent_to),
            (Some(d(2026, 9, 1)), Some(d(2026, 11, 23)))
        );
        assert_eq!(
            (m.recent_scores, m.psi.as_deref()),
            (4, Some("4.6903")),
            "{label}"
        );

        // a model without training deciles: 50-point bands over 512 and 640, no PSI
        let m = model_performance(&app, &admin, Some(flat)).await.unwrap();
        assert_eq!(
            (m.banding, m.psi.as_deref()),
            ("fixed_width", None),
            "{label}"
        );
        assert_eq!(m.bands.len(), 3);
        assert_eq!(b_tuple(&m.bands[0]), (None, Some(549), 1, 1));
        assert_eq!(b_tuple(&m.bands[2]), (Some(600), None, 1, 0));
        let missing = model_performance(&app, &admin, Some(999)).await;
        assert!(
            matches!(missing, Err(ServiceError::NotFound(_))),
            "{missing:?}"
        );
    }
}

fn b_tuple(b: &ScoreBandView) -> (Option<i64>, Option<i64>, i64, i64) {
    (b.min_score, b.max_score, b.loans, b.bad)
}
