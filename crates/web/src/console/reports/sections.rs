//! Each report's figures laid out: tiles, SVG charts and tables (which are also its
//! export). Figures come from `service::reporting` as they are; here they are only drawn.

use chrono::{Datelike, NaiveDate};
use loanbook_service::{ServiceError, reporting};
use rust_decimal::Decimal;

use super::super::Ctx;
use super::super::html::{escape, grouped, percent, tile};
use super::{Report, ReportQuery};
use crate::charts::{self, Chart, Series};
use crate::export::Cell;

pub(super) fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

pub(super) fn number(s: &str) -> Cell {
    Cell::Number(s.to_owned())
}

/// A decimal string scaled to an integer (money ×100 → minor units, ratios ×10000 →
/// basis points of a percent), for charts.
pub(super) fn scaled(s: &str, scale: u32) -> i64 {
    Decimal::from_str_exact(s)
        .ok()
        .and_then(|d| {
            (d * Decimal::from(10i64.pow(scale)))
                .round()
                .try_into()
                .ok()
        })
        .unwrap_or(0)
}

pub(super) fn money_axis(minor: i64) -> String {
    grouped(&format!("{}", minor / 100))
}

pub(super) fn ratio_axis(ten_thousandths: i64) -> String {
    format!(
        "{}.{:02}%",
        ten_thousandths / 100,
        (ten_thousandths % 100).abs()
    )
}

/// The period of a report: `from`/`to` when given, else the twelve months up to the
/// last closed date.
pub(super) fn period(ctx: &Ctx, q: &ReportQuery) -> Result<(NaiveDate, NaiveDate), ServiceError> {
    let open: NaiveDate = ctx
        .date
        .parse()
        .map_err(|_| ServiceError::invalid("date", "no business date"))?;
    let last = open.pred_opt().unwrap_or(open);
    let parse = |field: &str, v: &Option<String>, default: NaiveDate| match v
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        None => Ok(default),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| ServiceError::invalid(field, "must be a date YYYY-MM-DD")),
    };
    let to = parse("to", &q.to, last)?;
    let from = parse("from", &q.from, to - chrono::Months::new(12))?;
    Ok((from, to))
}

pub(super) async fn portfolio(ctx: &Ctx, r: &mut Report) -> Result<(), ServiceError> {
    let app = &ctx.state.app;
    let p = reporting::portfolio(app, &ctx.actor, None, None).await?;
    r.html.push_str(&format!(
        "<div class=\"tiles\">{}{}{}{}{}{}{}</div>",
        tile(ctx.t("principal"), &grouped(&p.principal)),
        tile(ctx.t("count"), &p.loans.to_string()),
        tile("PAR1", &percent(&p.par1)),
        tile("PAR30", &percent(&p.par30)),
        tile("PAR90", &percent(&p.par90)),
        tile(ctx.t("npl"), &percent(&p.npl_ratio)),
        tile(ctx.t("provision_coverage"), &percent(&p.provision_coverage)),
    ));
    let parts: Vec<(String, i64)> = p
        .five_tier
        .iter()
        .map(|c| {
            (
                format!("{} {}", c.name_zh, c.class),
                scaled(&c.principal, 2),
            )
        })
        .collect();
    r.chart(
        ctx.t("five_tier"),
        charts::share_bar(ctx.t("five_tier"), &parts, &money_axis),
    );
    r.table(
        ctx,
        ctx.t("five_tier"),
        &["five_tier", "#principal", "#share"],
        p.five_tier
            .iter()
            .map(|c| {
                vec![
                    text(&format!("{} {}", c.name_zh, c.class)),
                    number(&c.principal),
                    number(&c.share),
                ]
            })
            .collect(),
    );
    let months = reporting::monthly_overview(app, &ctx.actor).await?;
    let cats: Vec<String> = months.iter().map(|m| m.month.clone()).collect();
    let book = [Series {
        name: ctx.t("principal").to_owned(),
        values: months
            .iter()
            .map(|m| m.principal.as_deref().map(|p| scaled(p, 2)))
            .collect(),
    }];
    r.chart(
        ctx.pick("月末贷款余额", "Principal at month end"),
        charts::bars(
            &Chart {
                title: ctx.t("principal"),
                categories: &cats,
                series: &book,
                format: &money_axis,
            },
            false,
        ),
    );
    let flows = [
        Series {
            name: ctx.pick("放款", "Disbursed").to_owned(),
            values: months
                .iter()
                .map(|m| Some(scaled(&m.disbursed, 2)))
                .collect(),
        },
        Series {
            name: ctx.pick("回收", "Collected").to_owned(),
            values: months
                .iter()
                .map(|m| Some(scaled(&m.collected, 2)))
                .collect(),
        },
    ];
    r.chart(
        ctx.pick("月度放款与回收", "Disbursed and collected by month"),
        charts::bars(
            &Chart {
                title: ctx.t("portfolio"),
                categories: &cats,
                series: &flows,
                format: &money_axis,
            },
            false,
        ),
    );
    r.table(
        ctx,
        ctx.t("portfolio"),
        &["month", "#count", "#principal", "#disbursed", "#collected"],
        months
            .iter()
            .map(|m| {
                vec![
                    text(&m.month),
                    m.loans.map_or(Cell::Empty, Cell::Integer),
                    m.principal.as_deref().map_or(Cell::Empty, number),
                    number(&m.disbursed),
                    number(&m.collected),
                ]
            })
            .collect(),
    );
    Ok(())
}

pub(super) async fn approvals(
    ctx: &Ctx,
    q: &ReportQuery,
    r: &mut Report,
) -> Result<(), ServiceError> {
    let (from, to) = period(ctx, q)?;
    let f = reporting::approval_funnel(&ctx.state.app, &ctx.actor, from, to).await?;
    let stages = [
        ("created", f.created),
        ("submitted", f.submitted),
        ("approved", f.approved),
        ("declined", f.declined),
        ("contracted", f.contracted),
        ("disbursed", f.disbursed),
    ];
    r.html.push_str(&format!(
        "<p class=\"muted\">{from} – {to}</p><div class=\"tiles\">{}{}{}</div>",
        tile(
            ctx.t("approval_rate"),
            &percent(&f.approval_rate.to_string())
        ),
        tile(
            ctx.pick("决策用时 P50 (分钟)", "Minutes to decision, p50"),
            &f.decision_minutes_p50.map_or("-".into(), |m| m.to_string())
        ),
        tile(
            ctx.pick("决策用时 P90 (分钟)", "Minutes to decision, p90"),
            &f.decision_minutes_p90.map_or("-".into(), |m| m.to_string())
        ),
    ));
    let cats: Vec<String> = stages.iter().map(|(k, _)| ctx.t(k).to_owned()).collect();
    let series = [Series {
        name: ctx.t("applications").to_owned(),
        values: stages.iter().map(|(_, n)| Some(*n)).collect(),
    }];
    r.chart(
        ctx.t("approval_funnel"),
        charts::bars(
            &Chart {
                title: ctx.t("approval_funnel"),
                categories: &cats,
                series: &series,
                format: &|n| n.to_string(),
            },
            false,
        ),
    );
    r.table(
        ctx,
        ctx.t("approval_funnel"),
        &["status", "#count"],
        stages
            .iter()
            .map(|(k, n)| vec![text(ctx.t(k)), Cell::Integer(*n)])
            .collect(),
    );
    Ok(())
}

pub(super) async fn vintages(ctx: &Ctx, r: &mut Report) -> Result<(), ServiceError> {
    let v = reporting::vintages(&ctx.state.app, &ctx.actor).await?;
    let longest = v.iter().map(|c| c.ever_30dpd.len()).max().unwrap_or(0);
    let cats: Vec<String> = (1..=longest).map(|m| format!("MOB {m}")).collect();
    let series: Vec<Series> = v
        .iter()
        .map(|c| Series {
            name: c.cohort.clone(),
            values: c.ever_30dpd.iter().map(|x| Some(scaled(x, 4))).collect(),
        })
        .collect();
    r.chart(
        ctx.pick("30+ 逾期占比（按账龄）", "Ever 30+ DPD by months on book"),
        charts::line(&Chart {
            title: ctx.t("vintage"),
            categories: &cats,
            series: &series,
            format: &ratio_axis,
        }),
    );
    let mut headers = vec![
        "cohort".to_owned(),
        "#count".to_owned(),
        "#disbursed".to_owned(),
    ];
    headers.extend((1..=longest).map(|m| format!("#MOB {m}")));
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let rows = v
        .iter()
        .map(|c| {
            let mut row = vec![
                text(&c.cohort),
                Cell::Integer(c.loans as i64),
                number(&c.disbursed),
            ];
            row.extend(c.ever_30dpd.iter().map(|x| number(x)));
            row
        })
        .collect();
    r.table(ctx, ctx.t("vintage"), &header_refs, rows);
    Ok(())
}

pub(super) async fn roll_rates(
    ctx: &Ctx,
    q: &ReportQuery,
    r: &mut Report,
) -> Result<(), ServiceError> {
    let open: NaiveDate = ctx.date.parse().unwrap_or_default();
    let default = (open.with_day(1).unwrap_or(open) - chrono::Months::new(1))
        .format("%Y-%m")
        .to_string();
    let month = q.month.clone().filter(|m| !m.is_empty()).unwrap_or(default);
    let rows = reporting::roll_rates(&ctx.state.app, &ctx.actor, &month).await?;
    let buckets: Vec<&str> = rows.iter().map(|x| x.from).collect();
    r.html.push_str(&format!(
        "<form method=\"get\" class=\"inline\"><label>{}<input name=\"month\" value=\"{}\"></label><button class=\"primary\">{}</button></form>\
         <p class=\"muted\">{}</p>",
        escape(ctx.pick("起始月份", "From month end")),
        escape(&month),
        escape(ctx.t("search")),
        escape(ctx.pick("上月末各逾期档本金在本月末的去向（按本金加权）", "Where each bucket's principal at that month end was one month later (principal-weighted)")),
    ));
    let mut headers = vec!["bucket".to_owned(), "#principal".to_owned()];
    headers.extend(buckets.iter().map(|b| format!("#{b}")));
    headers.push("#closed".to_owned());
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let table_rows = rows
        .iter()
        .map(|x| {
            let mut row = vec![text(x.from), number(&x.principal)];
            row.extend(x.to.iter().map(|t| number(t)));
            row.push(number(&x.closed));
            row
        })
        .collect();
    r.table(
        ctx,
        &format!("{} {month}", ctx.t("roll_rate")),
        &header_refs,
        table_rows,
    );
    Ok(())
}

pub(super) async fn collections(
    ctx: &Ctx,
    q: &ReportQuery,
    r: &mut Report,
) -> Result<(), ServiceError> {
    let (from, to) = period(ctx, q)?;
    let c = reporting::collection_performance(&ctx.state.app, &ctx.actor, from, to).await?;
    r.html.push_str(&format!(
        "<p class=\"muted\">{from} – {to}</p><div class=\"tiles\">{}{}{}{}</div>",
        tile(
            ctx.pick("联络尝试", "Contact attempts"),
            &c.attempts.to_string()
        ),
        tile(
            ctx.pick("联络率", "Contact rate"),
            &percent(&c.contact_rate)
        ),
        tile(
            ctx.pick("承诺履约率", "Promise-kept rate"),
            &percent(&c.promise_kept_rate)
        ),
        tile(
            ctx.pick("违约承诺", "Broken promises"),
            &c.promises_broken.to_string()
        ),
    ));
    let cats: Vec<String> = c.recovery.iter().map(|q| q.queue.clone()).collect();
    let series = [Series {
        name: ctx.pick("回收金额", "Recovered").to_owned(),
        values: c
            .recovery
            .iter()
            .map(|q| Some(scaled(&q.recovered, 2)))
            .collect(),
    }];
    r.chart(
        ctx.pick("按逾期档回收", "Recovery by bucket"),
        charts::bars(
            &Chart {
                title: ctx.t("collection_performance"),
                categories: &cats,
                series: &series,
                format: &money_axis,
            },
            false,
        ),
    );
    r.table(
        ctx,
        ctx.t("collection_performance"),
        &["queue", "#count", "#recovered"],
        c.recovery
            .iter()
            .map(|q| vec![text(&q.queue), Cell::Integer(q.cases), number(&q.recovered)])
            .collect(),
    );
    Ok(())
}

pub(super) async fn cash_flow(ctx: &Ctx, r: &mut Report) -> Result<(), ServiceError> {
    let app = &ctx.state.app;
    let months = reporting::cash_flow(app, &ctx.actor, 12).await?;
    let cats: Vec<String> = months.iter().map(|m| m.month.clone()).collect();
    let series = [
        Series {
            name: ctx.t("principal").to_owned(),
            values: months
                .iter()
                .map(|m| Some(scaled(&m.principal, 2)))
                .collect(),
        },
        Series {
            name: ctx.t("interest").to_owned(),
            values: months
                .iter()
                .map(|m| Some(scaled(&m.interest, 2)))
                .collect(),
        },
    ];
    r.chart(
        ctx.pick("按月预期回款", "Expected inflows by month"),
        charts::bars(
            &Chart {
                title: ctx.t("cash_flow"),
                categories: &cats,
                series: &series,
                format: &money_axis,
            },
            true,
        ),
    );
    r.table(
        ctx,
        ctx.t("cash_flow"),
        &["month", "#principal", "#interest", "#count"],
        months
            .iter()
            .map(|m| {
                vec![
                    text(&m.month),
                    number(&m.principal),
                    number(&m.interest),
                    Cell::Integer(m.installments as i64),
                ]
            })
            .collect(),
    );
    let sources = reporting::liquidity(app, &ctx.actor, 12).await?;
    r.table(
        ctx,
        ctx.t("liquidity"),
        &[
            "funding_source",
            "#limit",
            "#drawn",
            "#available",
            "#utilisation",
        ],
        sources
            .iter()
            .map(|s| {
                vec![
                    text(&format!("{} {}", s.code, s.name)),
                    number(&s.limit),
                    number(&s.drawn),
                    number(&s.available),
                    number(&s.utilisation),
                ]
            })
            .collect(),
    );
    Ok(())
}

pub(super) async fn officers(
    ctx: &Ctx,
    q: &ReportQuery,
    r: &mut Report,
) -> Result<(), ServiceError> {
    let (from, to) = period(ctx, q)?;
    let v = reporting::officer_performance(&ctx.state.app, &ctx.actor, from, to).await?;
    let cats: Vec<String> = v.officers.iter().map(|o| o.officer.clone()).collect();
    let series = [Series {
        name: ctx.t("principal").to_owned(),
        values: v
            .officers
            .iter()
            .map(|o| Some(scaled(&o.principal_outstanding, 2)))
            .collect(),
    }];
    r.html
        .push_str(&format!("<p class=\"muted\">{from} – {to}</p>"));
    r.chart(
        ctx.t("officer_performance"),
        charts::bars(
            &Chart {
                title: ctx.t("officer_performance"),
                categories: &cats,
                series: &series,
                format: &money_axis,
            },
            false,
        ),
    );
    r.table(
        ctx,
        ctx.t("officer_performance"),
        &[
            "loan_officer",
            "#submitted",
            "#approved",
            "#declined",
            "#approval_rate",
            "#disbursed",
            "#principal",
            "#par30",
            "#npl",
        ],
        v.officers
            .iter()
            .map(|o| {
                vec![
                    text(&o.officer),
                    Cell::Integer(o.submitted),
                    Cell::Integer(o.approved),
                    Cell::Integer(o.declined),
                    number(&o.approval_rate),
                    number(&o.principal_disbursed),
                    number(&o.principal_outstanding),
                    number(&o.par30),
                    number(&o.npl_ratio),
                ]
            })
            .collect(),
    );
    Ok(())
}

pub(super) async fn models(ctx: &Ctx, r: &mut Report) -> Result<(), ServiceError> {
    let m = reporting::model_performance(&ctx.state.app, &ctx.actor, None).await?;
    r.html.push_str(&format!(
        "<p>{} v{} · {}</p><div class=\"tiles\">{}{}{}{}</div>",
        escape(&m.name),
        m.version,
        escape(&m.status),
        tile(
            ctx.pick("已观察贷款", "Seasoned loans"),
            &m.loans.to_string()
        ),
        tile(
            ctx.pick("坏账率 (30+)", "Bad rate (30+)"),
            &percent(&m.bad_rate)
        ),
        tile("PSI", m.psi.as_deref().unwrap_or("-")),
        tile(
            ctx.pick("观察期不足", "Too recent"),
            &m.too_recent.to_string()
        ),
    ));
    let band = |b: &reporting::ScoreBandView| {
        format!(
            "{}–{}",
            b.min_score.map_or("".into(), |s| s.to_string()),
            b.max_score.map_or("".into(), |s| s.to_string())
        )
    };
    let cats: Vec<String> = m.bands.iter().map(band).collect();
    let series = [Series {
        name: ctx.pick("坏账率", "Bad rate").to_owned(),
        values: m
            .bands
            .iter()
            .map(|b| Some(scaled(&b.bad_rate, 4)))
            .collect(),
    }];
    r.chart(
        ctx.pick("分数段坏账率", "Bad rate by score band"),
        charts::bars(
            &Chart {
                title: ctx.t("model_performance"),
                categories: &cats,
                series: &series,
                format: &ratio_axis,
            },
            false,
        ),
    );
    r.table(
        ctx,
        ctx.t("model_performance"),
        &["score", "#count", "#bad", "#bad_rate"],
        m.bands
            .iter()
            .map(|b| {
                vec![
                    text(&band(b)),
                    Cell::Integer(b.loans),
                    Cell::Integer(b.bad),
                    number(&b.bad_rate),
                ]
            })
            .collect(),
    );
    Ok(())
}
