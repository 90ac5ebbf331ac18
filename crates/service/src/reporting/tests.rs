use super::*;
use crate::loans;
use crate::servicing::repayments::repay;
use crate::servicing::tests::{bank, book, close_through, d, pay};
use crate::test_support::apps;

/// Two loans booked on 2026-11-23; the second pays its first installment, the first
/// does not: at the close of 12-24 PAR1 is the first loan's share of the principal,
/// and the December projection holds the first loan's arrears.
#[tokio::test]
async fn figures_equal_the_direct_calculation_on_a_crafted_book() {
    for (app, admin, t) in apps().await {
        let customer = bank(&app, &admin).await;
        let late = book(&app, &admin, customer, "12000", "0.12", 12).await;
        let good = book(&app, &admin, customer, "36000", "0.12", 12).await;
        close_through(&app, &admin, d(2026, 12, 22)).await;
        let first = loans::schedule(&app, &admin, good).await.unwrap()[0].total;
        repay(&app, &admin, good, &pay(&first.to_string()), None)
            .await
            .unwrap();
        close_through(&app, &admin, d(2026, 12, 24)).await;
        let p_late = loans::get(&app, &admin, late)
            .await
            .unwrap()
            .principal_outstanding
            .amount_minor();
        let p_good = loans::get(&app, &admin, good)
            .await
            .unwrap()
            .principal_outstanding
            .amount_minor();
        let q = portfolio(&app, &admin, None, None).await.unwrap();
        assert_eq!(q.business_date, d(2026, 12, 24), "{}", t.label);
        assert_eq!(q.loans, 2);
        assert_eq!(q.principal, money(p_late + p_good));
        assert_eq!(
            q.par1,
            loanbook_core::reporting::ratio(p_late, p_late + p_good).to_string()
        );
        assert_eq!(
            (q.par30.as_str(), q.npl_ratio.as_str()),
            ("0.0000", "0.0000")
        );
        let other = portfolio(&app, &admin, Some(d(2026, 12, 25)), None).await;
        assert!(matches!(other, Err(ServiceError::Invalid(_))), "{other:?}");

        let s_late = loans::schedule(&app, &admin, late).await.unwrap();
        let s_good = loans::schedule(&app, &admin, good).await.unwrap();
        let flow = cash_flow(&app, &admin, 2).await.unwrap();
        assert_eq!(flow[0].month, "2026-12");
        assert_eq!(
            flow[0].principal,
            s_late[0].principal.to_string(),
            "{}",
            t.label
        );
        assert_eq!(flow[0].installments, 1);
        assert_eq!(flow[1].month, "2027-01");
        let jan = s_late[1].principal.amount_minor() + s_good[1].principal.amount_minor();
        assert_eq!(flow[1].principal, money(jan));
        assert_eq!(flow[1].installments, 2);

        // through January: at the end of December the late loan is in M1 (8 days) and
        // the other current; at the end of January the late one is in M2 (39 days) and
        // the other, its second installment unpaid, in M1
        close_through(&app, &admin, d(2027, 1, 31)).await;
        let rolls = roll_rates(&app, &admin, "2027-01").await.unwrap();
        assert_eq!(rolls[0].from, "current");
        assert_eq!(rolls[0].to[1], "1.0000", "{}", t.label);
        assert_eq!(rolls[1].from, "M1");
        assert_eq!(rolls[1].to[2], "1.0000", "{}", t.label);
        assert_eq!(rolls[1].principal, money(p_late));
        let bad = roll_rates(&app, &admin, "2027-13").await;
        assert!(matches!(bad, Err(ServiceError::Invalid(_))), "{bad:?}");
        let none = roll_rates(&app, &admin, "2026-06").await;
        assert!(matches!(none, Err(ServiceError::NotFound(_))), "{none:?}");
        // the November cohort: 12,000.00 of 48,000.00 was 30+ days past due at the end
        // of its second month on book
        let v = vintages(&app, &admin).await.unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(
            (v[0].cohort.as_str(), v[0].loans, v[0].disbursed.as_str()),
            ("2026-11", 2, "48000.00")
        );
        assert_eq!(v[0].ever_30dpd, ["0.0000", "0.2500"], "{}", t.label);
        // the overview by month: 48,000.00 disbursed in November, the one repayment in
        // December, nothing collected in January; both loans at each month end with
        // their principal untouched since the first installment
        let months = monthly_overview(&app, &admin).await.unwrap();
        let row = |m: &str| months.iter().find(|r| r.month == m).unwrap().clone();
        let nov = row("2026-11");
        assert_eq!(
            (nov.disbursed.as_str(), nov.collected.as_str(), nov.loans),
            ("48000.00", "0.00", Some(2)),
            "{}",
            t.label
        );
        let dec = row("2026-12");
        assert_eq!(dec.collected, first.to_string(), "{}", t.label);
        assert_eq!(dec.disbursed, "0.00");
        assert_eq!(dec.loans, Some(2));
        assert_eq!(dec.principal, Some(money(p_late + p_good)));
        let jan = row("2027-01");
        assert_eq!((jan.collected.as_str(), jan.loans), ("0.00", Some(2)));
        assert_eq!(jan.principal, Some(money(p_late + p_good)));
    }
}
