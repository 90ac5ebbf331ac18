//! The post-loan lifecycle on every test database: reminders delivered by real SMTP and an
//! HTTP SMS gateway to servers the test starts (quiet hours, a retry, the daily cap), a
//! loan going overdue into the M1 queue and to a collector, the contact rules, a broken
//! promise escalating, a settlement approved by a second person and posted, the case
//! closed — ending with the ledger check.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::cases::{self, ActionInput, CaseQuery, CollectorInput, PromiseInput};
use super::settlements::{self, SettlementInput};
use crate::adapters::sinks::{SmtpSink, WebhookSink};
use crate::adapters::{HttpSmsGateway, SmtpConfig, SmtpMailer};
use crate::auth::{NewUser, add_user};
use crate::notifications::{self, MessageQuery, PreferencesInput};
use crate::servicing::tests::{assert_ledger_ok, bank, book, close_through, d};
use crate::test_support::apps;
use crate::{Actor, Role, ServiceError, loans};

async fn user(app: &crate::App, admin: &Actor, name: &str, role: Role) -> Actor {
    let v = add_user(
        app,
        admin,
        &NewUser {
            username: name.into(),
            display_name: name.into(),
            role: role.code().into(),
            password: "Passw0rd-long".into(),
        },
    )
    .await
    .unwrap();
    Actor {
        user_id: v.id,
        username: name.into(),
        role,
        request_id: None,
    }
}

fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, day, h, min, 0).unwrap()
}

#[tokio::test]
async fn an_overdue_loan_is_reminded_collected_and_settled() {
    for (app, admin, t) in apps().await {
        let label = t.label;
        let smtp = SmtpSink::start().await;
        let sms = WebhookSink::start().await;
        let app = app
            .with_mailer(Arc::new(SmtpMailer::new(SmtpConfig {
                host: "127.0.0.1".into(),
                port: smtp.port(),
                helo: "loanbook.test".into(),
                from: "notices@lender.test".into(),
                username: None,
                password: None,
                timeout: Duration::from_secs(5),
            })))
            .with_sms(Arc::new(HttpSmsGateway::new(
                sms.url(),
                Some("key-1".into()),
                "LENDER".into(),
                Duration::from_secs(5),
            )));
        let customer = bank(&app, &admin).await;
        notifications::set_preferences(
            &app,
            &admin,
            customer,
            &PreferencesInput {
                email: Some("li.si@example.com".into()),
                language: Some("zh".into()),
                time_zone: Some("Asia/Shanghai".into()),
                sms: None,
                email_enabled: None,
                in_app: None,
            },
        )
        .await
        .unwrap();
        // 12,000.00 at 12% over 12 months from 2026-11-23: 1,066.19 due on 2026-12-23
        let loan = book(&app, &admin, customer, "12000", "0.12", 12).await;
        let zhao = user(&app, &admin, "zhao", Role::Collector).await;
        let qian = user(&app, &admin, "qian", Role::Operations).await;
        let sun = user(&app, &admin, "sun.yi", Role::Approver).await;
        cases::put_collector(
            &app,
            &qian,
            &CollectorInput {
                username: "zhao".into(),
                queues: vec!["M1".into()],
                region: Some("广东省".into()),
                active: None,
                max_open_cases: None,
            },
        )
        .await
        .unwrap();

        // T-3: the close of 12-19 writes the reminder for 12-23; the dispatcher runs at
        // 23:00 in Shanghai (15:00 UTC): quiet hours, everything deferred to 08:00
        close_through(&app, &admin, d(2026, 12, 19)).await;
        let night = notifications::dispatch(&app, utc(2026, 12, 19, 15, 0))
            .await
            .unwrap();
        assert_eq!((night.sent, night.deferred), (0, 3), "{label}");
        assert!(smtp.received().is_empty() && sms.received().is_empty());
        // 08:00:30 local: the gateway is busy once (a retry a minute later), mail goes
        sms.fail_next(1, 503);
        let morning = notifications::dispatch(&app, utc(2026, 12, 20, 0, 0))
            .await
            .unwrap();
        assert_eq!((morning.sent, morning.retried), (2, 1), "{label}");
        let later = notifications::dispatch(&app, utc(2026, 12, 20, 0, 1))
            .await
            .unwrap();
        assert_eq!(later.sent, 1, "{label}");
        let mail = smtp.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(mail.len(), 1, "{label}");
        assert_eq!(mail[0].to, ["li.si@example.com"]);
        assert!(
            mail[0].subject().contains("2026-12-23"),
            "{}",
            mail[0].subject()
        );
        assert!(mail[0].body().contains("1066.19"), "{}", mail[0].body());
        let texts = sms.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(texts[0]["to"], "13800138007", "{label}");
        assert!(texts[0]["text"].as_str().unwrap().contains("李四"));
        let tried = sms.requests();
        assert_eq!(tried.len(), 2, "{label}: one refused, one accepted");
        assert_eq!(tried[1].header("authorization"), Some("Bearer key-1"));

        // unpaid: overdue at the close of 12-24 (dpd 1), a case in M1 at the reminder
        // stage; the first installment unpaid is a first-payment default
        close_through(&app, &admin, d(2026, 12, 24)).await;
        let open = cases::list(&app, &admin, &CaseQuery::default())
            .await
            .unwrap();
        assert_eq!(open.len(), 1, "{label}");
        let case = &open[0];
        assert_eq!(
            (
                case.loan_id,
                case.queue.as_str(),
                case.stage.as_str(),
                case.dpd,
                case.assigned_to.as_deref()
            ),
            (loan, "M1", "reminder", 1, None),
            "{label}"
        );
        let warnings = loanbook_store::collections::open_warning_rules(app.db().pool(), loan)
            .await
            .unwrap();
        assert_eq!(warnings, ["first_payment_default"], "{label}");
        // dpd 4: the phone stage, and the close gives the case to zhao
        close_through(&app, &admin, d(2026, 12, 27)).await;
        let mine = cases::list(&app, &zhao, &CaseQuery::default())
            .await
            .unwrap();
        assert_eq!(mine.len(), 1, "{label}");
        assert_eq!(
            (
                mine[0].stage.as_str(),
                mine[0].assigned_to.as_deref(),
                mine[0].dpd
            ),
            ("phone", Some("zhao"), 4),
            "{label}"
        );
        let case_id = mine[0].id;

        // the contact rules: no call at 23:00 local, nothing about the debt to a neighbour
        let call = |party: &str, outcome: &str| ActionInput {
            kind: "call".into(),
            party: party.into(),
            outcome: outcome.into(),
            note: String::new(),
        };
        let late = cases::log_action(
            &app,
            &zhao,
            case_id,
            &call("borrower", "no_answer"),
            utc(2026, 12, 28, 15, 0),
        )
        .await;
        assert!(
            matches!(&late, Err(ServiceError::Invalid(v)) if v[0].field == "at"),
            "{late:?}"
        );
        let told = cases::log_action(
            &app,
            &zhao,
            case_id,
            &call("third_party", "promise_to_pay"),
            utc(2026, 12, 28, 3, 0),
        )
        .await;
        assert!(
            matches!(&told, Err(ServiceError::Invalid(v)) if v[0].field == "party"),
            "{told:?}"
        );
        cases::log_action(
            &app,
            &zhao,
            case_id,
            &call("borrower", "promise_to_pay"),
            utc(2026, 12, 28, 3, 0),
        )
        .await
        .unwrap();
        // another collector may not work zhao's case
        let other = cases::log_action(
            &app,
            &user(&app, &admin, "wu.li", Role::Collector).await,
            case_id,
            &call("borrower", "no_answer"),
            utc(2026, 12, 28, 3, 0),
        )
        .await;
        assert!(
            matches!(
                other,
                Err(ServiceError::Refused {
                    rule: "case_owner",
                    ..
                })
            ),
            "{other:?}"
        );

        // a promise of 500.00 by 12-30 that is not kept: the case escalates to the field
        let too_much = cases::promise(
            &app,
            &zhao,
            case_id,
            &PromiseInput {
                amount: "99999.00".into(),
                promised_date: "2026-12-30".into(),
            },
        )
        .await;
        assert!(
            matches!(&too_much, Err(ServiceError::Invalid(v)) if v[0].field == "amount"),
            "{too_much:?}"
        );
        cases::promise(
            &app,
            &zhao,
            case_id,
            &PromiseInput {
                amount: "500.00".into(),
                promised_date: "2026-12-30".into(),
            },
        )
        .await
        .unwrap();
        close_through(&app, &admin, d(2026, 12, 30)).await;
        let detail = cases::get(&app, &zhao, case_id).await.unwrap();
        assert_eq!(detail.promises[0].status, "broken", "{label}");
        assert_eq!(
            (
                detail.case.stage.as_str(),
                detail.case.escalations,
                detail.case.broken_promises
            ),
            ("field", 1, 1),
            "{label}"
        );
        let warnings = loanbook_store::collections::open_warning_rules(app.db().pool(), loan)
            .await
            .unwrap();
        assert_eq!(
            warnings,
            ["broken_promise", "first_payment_default"],
            "{label}"
        );

        // the day's messages: the settlement offer among them; at most 3 SMS and e-mails
        // a day, the rest wait for tomorrow
        let day = notifications::dispatch(&app, utc(2026, 12, 31, 2, 0))
            .await
            .unwrap();
        assert!(day.deferred > 0, "{label}: {day:?}");
        let sent_that_day = notifications::messages(
            &app,
            &admin,
            &MessageQuery {
                status: Some("sent".into()),
                ..MessageQuery::default()
            },
        )
        .await
        .unwrap()
        .iter()
        .filter(|m| {
            m.channel != "in_app"
                && m.sent_at
                    .as_deref()
                    .is_some_and(|s| s.starts_with("2026-12-31"))
        })
        .count();
        assert_eq!(sent_that_day, 3, "{label}");
        let capped = notifications::messages(
            &app,
            &admin,
            &MessageQuery {
                status: Some("deferred".into()),
                ..MessageQuery::default()
            },
        )
        .await
        .unwrap();
        assert!(
            capped
                .iter()
                .all(|m| m.deferred_reason.as_deref() == Some("daily_cap")),
            "{label}"
        );
        // days later everything has gone out
        for day in 1..=6 {
            notifications::dispatch(&app, utc(2027, 1, day, 2, 0))
                .await
                .unwrap();
        }
        let all = notifications::messages(&app, &admin, &MessageQuery::default())
            .await
            .unwrap();
        assert!(
            all.iter().all(|m| m.status == "sent"),
            "{label}: {:?}",
            all.iter().map(|m| (&m.kind, &m.status)).collect::<Vec<_>>()
        );
        assert!(
            all.iter()
                .any(|m| m.kind == "broken_promise" && m.channel == "sms"),
            "{label}"
        );

        // a settlement of 9,000.00: neither its requester nor operations may approve it
        let offer = SettlementInput {
            amount: "9000.00".into(),
            pay_by: "2027-01-15".into(),
            reason: "hardship: job lost".into(),
        };
        let s = settlements::request(&app, &admin, case_id, &offer)
            .await
            .unwrap();
        let sid = s["id"].as_i64().unwrap();
        let owed = s["owed_minor"].as_i64().unwrap();
        assert_eq!(
            s["discount_minor"].as_i64().unwrap(),
            owed - 900_000,
            "{label}"
        );
        let own = settlements::approve(&app, &admin, sid, None).await;
        assert!(
            matches!(
                own,
                Err(ServiceError::Refused {
                    rule: "four_eyes",
                    ..
                })
            ),
            "{own:?}"
        );
        let clerk = settlements::approve(&app, &qian, sid, None).await;
        assert!(
            matches!(clerk, Err(ServiceError::Forbidden { .. })),
            "{clerk:?}"
        );
        settlements::approve(&app, &sun, sid, Some("ok"))
            .await
            .unwrap();
        // the borrower hears the offer the next morning
        notifications::dispatch(&app, utc(2027, 1, 7, 2, 0))
            .await
            .unwrap();
        let offer_mail = smtp.received();
        let offer_mail = offer_mail.last().unwrap();
        assert!(
            offer_mail.body().contains("9000.00") && offer_mail.body().contains("2027-01-15"),
            "{label}: {}",
            offer_mail.body()
        );
        let paid = settlements::pay(&app, &admin, sid, "bank ref 77")
            .await
            .unwrap();
        assert_eq!(paid["status"], "settled", "{label}");
        let l = loans::get(&app, &admin, loan).await.unwrap();
        assert_eq!(l.status, "closed", "{label}");
        let closed = cases::get(&app, &admin, case_id).await.unwrap();
        assert_eq!(
            (
                closed.case.status.as_str(),
                closed.case.close_reason.as_deref()
            ),
            ("closed", Some("settled")),
            "{label}"
        );

        // the month's performance: one call logged (the refused ones were not), a contact;
        // one promise judged, broken; the M1 case recovered the settlement's 9,000.00
        let perf =
            crate::reporting::collection_performance(&app, &admin, d(2026, 12, 1), d(2027, 1, 31))
                .await
                .unwrap();
        assert_eq!(
            (perf.attempts, perf.contacts, perf.contact_rate.as_str()),
            (1, 1, "1.0000"),
            "{label}"
        );
        assert_eq!(
            (
                perf.promises_kept,
                perf.promises_broken,
                perf.promise_kept_rate.as_str()
            ),
            (0, 1, "0.0000")
        );
        assert_eq!(perf.recovery.len(), 1, "{label}");
        assert_eq!(
            (
                perf.recovery[0].queue.as_str(),
                perf.recovery[0].cases,
                perf.recovery[0].recovered.as_str()
            ),
            ("M1", 1, "9000.00"),
            "{label}"
        );

        close_through(&app, &admin, d(2027, 1, 12)).await;
        assert_ledger_ok(&app, &admin, label).await;
    }
}
