//! Customer-service tickets on every test database: a complaint that breaches its SLA
//! and is flagged once, resolved and rated; refused input that changes nothing; a
//! reopened ticket; an account statement for a request.

use chrono::{Duration, TimeZone};

use super::open::open_at;
use super::work::{rate_at, reopen_at, resolve_at};
use super::*;
use crate::Role;
use crate::inspections::tests::{actor, book, borrowers, staff};
use crate::test_support::apps;

/// 2026-12-01 09:00 UTC plus `hours`.
fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap() + Duration::hours(hours)
}

fn complaint(customer: i64, loan: Option<i64>) -> TicketInput {
    TicketInput {
        customer_id: customer,
        loan_id: loan,
        kind: "complaint".into(),
        channel: "phone".into(),
        priority: None,
        subject: "还款已扣款但显示逾期".into(),
        description: "客户称12月1日已通过银行卡还款，App仍显示逾期一天。".into(),
    }
}

fn fields(e: ServiceError) -> Vec<String> {
    match e {
        ServiceError::Invalid(v) => v.into_iter().map(|x| x.field).collect(),
        other => panic!("{other:?}"),
    }
}

fn kinds(d: &TicketDetail) -> Vec<&str> {
    d.events.iter().map(|e| e.kind.as_str()).collect()
}

async fn count(app: &App) -> usize {
    list(app, &Actor::system(), &ListInput::default())
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_complaint_breaches_its_sla_is_flagged_once_then_resolved_and_rated() {
    for (app, _, t) in apps().await {
        staff(&app).await;
        let cs = actor("wang.cs", Role::CustomerService);
        let (business, _) = borrowers(&app).await;
        let loan = book(&app, business).await;
        let opened = open_at(&app, &cs, &complaint(business, Some(loan)), at(0))
            .await
            .unwrap();
        let id = opened.ticket.id;
        // a complaint of normal priority is due 48 hours after it was opened
        assert_eq!(
            opened.ticket.sla_due_at, "2026-12-03T09:00:00.000000Z",
            "{}",
            t.label
        );
        assert_eq!(
            (
                opened.ticket.status.as_str(),
                opened.ticket.priority.as_str()
            ),
            ("open", "normal")
        );
        assert_eq!(kinds(&opened), ["opened"]);

        assert_eq!(sweep_sla(&app, at(47)).await.unwrap(), 0, "{}", t.label);
        assert!(!get(&app, &cs, id).await.unwrap().ticket.breached);

        let worked = assign(&app, &cs, id, "wang.cs").await.unwrap();
        assert_eq!(worked.ticket.status, "in_progress");
        let answered = comment(
            &app,
            &cs,
            id,
            &CommentInput {
                note: "已联系客户，正在核查扣款记录".into(),
                kind: None,
            },
        )
        .await
        .unwrap();
        let first = answered.ticket.first_response_at.clone();
        assert!(first.is_some());
        let noted = comment(
            &app,
            &cs,
            id,
            &CommentInput {
                note: "转核算部核查".into(),
                kind: Some("note".into()),
            },
        )
        .await
        .unwrap();
        assert_eq!(noted.ticket.first_response_at, first, "set once");

        // 49 hours: past due, flagged once
        assert_eq!(sweep_sla(&app, at(49)).await.unwrap(), 1, "{}", t.label);
        assert_eq!(sweep_sla(&app, at(50)).await.unwrap(), 0, "{}", t.label);
        let flagged = get(&app, &cs, id).await.unwrap();
        assert!(flagged.ticket.breached);
        assert_eq!(
            flagged.ticket.breached_at.as_deref(),
            Some("2026-12-03T10:00:00.000000Z")
        );
        assert_eq!(
            kinds(&flagged),
            ["opened", "assigned", "response", "note", "sla_breached"]
        );
        assert_eq!(flagged.events[4].actor, "system");
        let breached = list(
            &app,
            &cs,
            &ListInput {
                breached: Some(true),
                status: Some("pending".into()),
                assigned_to: Some("wang.cs".into()),
                ..ListInput::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(breached.iter().map(|x| x.id).collect::<Vec<_>>(), [id]);

        let resolved = resolve_at(&app, &cs, id, "系统延迟入账，已更正逾期记录并致歉", at(50))
            .await
            .unwrap();
        assert_eq!(
            (
                resolved.ticket.status.as_str(),
                resolved.ticket.resolved_by.as_deref()
            ),
            ("resolved", Some("wang.cs"))
        );
        assert!(!resolved.ticket.overdue);
        // a rating of 6 is refused and changes nothing
        let bad = RatingInput {
            rating: 6,
            comment: None,
        };
        let e = rate_at(&app, &cs, id, &bad, at(51)).await.unwrap_err();
        assert_eq!(fields(e), ["rating"], "{}", t.label);
        let still = get(&app, &cs, id).await.unwrap();
        assert_eq!(
            (still.ticket.status.as_str(), still.ticket.rating),
            ("resolved", None)
        );
        let rated = rate_at(
            &app,
            &cs,
            id,
            &RatingInput {
                rating: 4,
                comment: Some("处理及时".into()),
            },
            at(52),
        )
        .await
        .unwrap();
        assert_eq!(
            (rated.ticket.status.as_str(), rated.ticket.rating),
            ("closed", Some(4)),
            "{}",
            t.label
        );
        assert_eq!(rated.events.last().unwrap().note, "4/5: 处理及时");
        assert!(matches!(
            rate_at(
                &app,
                &cs,
                id,
                &RatingInput {
                    rating: 5,
                    comment: None
                },
                at(53)
            )
            .await,
            Err(ServiceError::Conflict(_))
        ));
        // the breach stays on record, the ticket no longer counts as overdue
        assert!(rated.ticket.breached && !rated.ticket.overdue);
        let audit = loanbook_store::audit::query(
            app.db(),
            &loanbook_store::audit::AuditFilter {
                entity: Some("ticket".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let actions: Vec<&str> = audit.iter().rev().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "ticket.open",
                "ticket.assign",
                "ticket.comment",
                "ticket.comment",
                "ticket.sla_sweep",
                "ticket.resolve",
                "ticket.rate"
            ],
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn bad_tickets_name_their_fields_and_change_nothing() {
    for (app, _, t) in apps().await {
        staff(&app).await;
        let cs = actor("wang.cs", Role::CustomerService);
        let (business, individual) = borrowers(&app).await;
        let theirs = book(&app, individual).await;
        let mut bad = complaint(business, Some(theirs));
        bad.kind = "praise".into();
        bad.channel = "fax".into();
        bad.priority = Some("urgent".into());
        bad.subject = "x".repeat(201);
        let e = open(&app, &cs, &bad).await.unwrap_err();
        assert_eq!(
            fields(e),
            ["kind", "channel", "priority", "subject", "loan_id"],
            "{}",
            t.label
        );
        let e = open(&app, &cs, &complaint(business, Some(theirs)))
            .await
            .unwrap_err();
        match e {
            ServiceError::Invalid(v) => {
                assert_eq!(v[0].field, "loan_id");
                assert!(
                    v[0].rule.contains("belongs to another customer"),
                    "{}",
                    v[0].rule
                );
            }
            other => panic!("{other:?}"),
        }
        let e = open(&app, &cs, &complaint(9999, None)).await.unwrap_err();
        assert_eq!(fields(e), ["customer_id"]);
        let collector = actor("zhao.collector", Role::Collector);
        assert!(matches!(
            open(&app, &collector, &complaint(business, None)).await,
            Err(ServiceError::Forbidden { .. })
        ));
        assert_eq!(count(&app).await, 0, "{}: nothing opened", t.label);

        let id = open(&app, &cs, &complaint(individual, Some(theirs)))
            .await
            .unwrap()
            .ticket
            .id;
        for (who, field) in [("zhao.collector", "assigned_to"), ("nobody", "assigned_to")] {
            let e = assign(&app, &cs, id, who).await.unwrap_err();
            assert_eq!(fields(e), [field]);
        }
        let e = resolve(&app, &cs, id, "  ").await.unwrap_err();
        assert_eq!(fields(e), ["resolution"]);
        let e = comment(
            &app,
            &cs,
            id,
            &CommentInput {
                note: "x".into(),
                kind: Some("shout".into()),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(e), ["kind"]);
        assert!(matches!(
            rate(
                &app,
                &cs,
                id,
                &RatingInput {
                    rating: 3,
                    comment: None
                }
            )
            .await,
            Err(ServiceError::Conflict(_))
        ));
        assert!(matches!(
            reopen(&app, &cs, id, "unhappy").await,
            Err(ServiceError::Conflict(_))
        ));
        let e = list(
            &app,
            &cs,
            &ListInput {
                status: Some("stuck".into()),
                ..ListInput::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(e), ["status"]);
        let shown = get(&app, &cs, id).await.unwrap();
        assert_eq!(kinds(&shown), ["opened"], "{}", t.label);
        assert!(matches!(
            get(&app, &cs, id + 100).await,
            Err(ServiceError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn an_unhappy_customer_reopens_a_ticket_within_seven_days() {
    for (app, _, t) in apps().await {
        staff(&app).await;
        let cs = actor("wang.cs", Role::CustomerService);
        let (business, _) = borrowers(&app).await;
        let mut input = complaint(business, None);
        input.kind = "inquiry".into();
        input.priority = Some("high".into());
        input.channel = "app".into();
        let opened = open_at(&app, &cs, &input, at(0)).await.unwrap();
        // an urgent inquiry is due in 8 hours
        assert_eq!(opened.ticket.sla_due_at, "2026-12-01T17:00:00.000000Z");
        let id = opened.ticket.id;
        resolve_at(&app, &cs, id, "已解释还款日规则", at(1))
            .await
            .unwrap();
        let rated = rate_at(
            &app,
            &cs,
            id,
            &RatingInput {
                rating: 1,
                comment: None,
            },
            at(2),
        )
        .await
        .unwrap();
        assert_eq!(rated.ticket.status, "closed");
        let again = reopen_at(&app, &cs, id, "客户不认可解释", at(72))
            .await
            .unwrap();
        // unassigned: back to open, a new clock of 8 hours from the reopening
        assert_eq!(
            (
                again.ticket.status.as_str(),
                again.ticket.sla_due_at.as_str(),
                again.ticket.rating,
                again.ticket.resolution.as_deref()
            ),
            ("open", "2026-12-04T17:00:00.000000Z", None, None),
            "{}",
            t.label
        );
        assert_eq!(
            again.events.last().unwrap().note,
            "客户不认可解释 (was rated 1/5)"
        );
        resolve_at(&app, &cs, id, "主管回电解释并减免当期罚息", at(73))
            .await
            .unwrap();
        // more than 7 days after the resolution: a new ticket instead
        let late = reopen_at(&app, &cs, id, "again", at(73 + 7 * 24 + 1)).await;
        assert!(matches!(late, Err(ServiceError::Conflict(_))), "{late:?}");
        let ok = reopen_at(&app, &cs, id, "again", at(73 + 7 * 24)).await;
        assert!(ok.is_ok(), "{}: exactly 7 days is within", t.label);
    }
}

#[tokio::test]
async fn a_request_ticket_produces_an_account_statement() {
    for (app, _, t) in apps().await {
        staff(&app).await;
        let cs = actor("wang.cs", Role::CustomerService);
        let (business, individual) = borrowers(&app).await;
        let loan = book(&app, business).await;
        let other = book(&app, individual).await;
        let mut input = complaint(business, Some(loan));
        input.kind = "request".into();
        input.subject = "申请11月对账单".into();
        let id = open(&app, &cs, &input).await.unwrap().ticket.id;
        let period = |from: &str, to: &str| StatementInput {
            loan_id: None,
            from: from.into(),
            to: to.into(),
        };
        let e = statement(&app, &cs, id, &period("2026-11-30", "2026-11-01"))
            .await
            .unwrap_err();
        assert_eq!(fields(e), ["to"]);
        let e = statement(&app, &cs, id, &period("2026-11-01", "2026-11-24"))
            .await
            .unwrap_err();
        assert_eq!(fields(e), ["to"], "after the business date 2026-11-23");
        let e = statement(
            &app,
            &cs,
            id,
            &StatementInput {
                loan_id: Some(other),
                ..period("2026-11-01", "2026-11-23")
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(e), ["loan_id"]);
        let s = statement(&app, &cs, id, &period("2026-11-01", "2026-11-23"))
            .await
            .unwrap();
        assert_eq!(
            s.lines.iter().map(|l| l.kind.as_str()).collect::<Vec<_>>(),
            ["disbursement"],
            "{}",
            t.label
        );
        assert_eq!(s.totals.disbursed.to_string(), "10000.00");
        assert_eq!(s.totals.paid.to_string(), "0.00");
        assert!(s.installments.is_empty(), "the first falls due 2026-12-23");
        assert_eq!(s.loan.principal_outstanding.to_string(), "10000.00");
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["lines"][0]["amount"], "10000.00");
        assert_eq!(json["from"], "2026-11-01");
        let shown = get(&app, &cs, id).await.unwrap();
        assert_eq!(kinds(&shown), ["opened", "statement"]);
        assert!(shown.ticket.first_response_at.is_some());
        assert_eq!(
            shown.events[1].note,
            format!("statement of loan {loan} from 2026-11-01 to 2026-11-23: 1 movement")
        );
        let complaint_id = open(&app, &cs, &complaint(business, Some(loan)))
            .await
            .unwrap()
            .ticket
            .id;
        assert!(matches!(
            statement(&app, &cs, complaint_id, &period("2026-11-01", "2026-11-23")).await,
            Err(ServiceError::Conflict(_))
        ));
    }
}

#[test]
fn stored_timestamps_compare_as_text_in_time_order() {
    // the sweep compares sla_due_at < now in SQL, as text
    let times = [at(-1), at(0), at(1), at(49), at(24 * 400)];
    let texts: Vec<String> = times.iter().map(|t| timestamp(*t)).collect();
    let mut sorted = texts.clone();
    sorted.sort();
    assert_eq!(sorted, texts);
    assert_eq!(texts[3], "2026-12-03T10:00:00.000000Z");
    let fraction = timestamp(at(0) + Duration::microseconds(1));
    assert!(fraction > texts[1] && fraction < texts[2], "{fraction}");
}
