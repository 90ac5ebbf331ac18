//! Reports and dashboards: each report is read from `service::reporting`, drawn as SVG
//! charts and tables, and offered as CSV (its main table) and XLSX (all its tables).
//! The monthly performance report and the risk analysis report put several together
//! on one printable page. No figure is computed here: pages only lay out what the
//! service returned.

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use loanbook_service::ServiceError;
use serde::Deserialize;

use super::Ctx;
use super::html::{escape, grouped, panel, table};
use crate::AppState;
use crate::export::{self, Cell, Kind, Table};

mod sections;
use sections::{
    approvals, cash_flow, collections, models, officers, portfolio, roll_rates, vintages,
};

/// The reports, in the order of the index: (path name, label key).
const REPORTS: [(&str, &str); 10] = [
    ("portfolio", "portfolio"),
    ("approvals", "approval_funnel"),
    ("vintages", "vintage"),
    ("roll-rates", "roll_rate"),
    ("collections", "collection_performance"),
    ("cash-flow", "cash_flow"),
    ("officers", "officer_performance"),
    ("models", "model_performance"),
    ("monthly", "monthly_report"),
    ("risk", "risk_report"),
];

#[derive(Deserialize, Default)]
struct ReportQuery {
    format: Option<String>,
    from: Option<String>,
    to: Option<String>,
    month: Option<String>,
}

/// A report laid out: its HTML and its tables for export.
#[derive(Default)]
struct Report {
    html: String,
    tables: Vec<Table>,
}

impl Report {
    /// Adds a table both to the page and to the export.
    fn table(&mut self, ctx: &Ctx, title: &str, headers: &[&str], rows: Vec<Vec<Cell>>) {
        let html_rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Cell::Text(t) => escape(t),
                        Cell::Number(n) => grouped(n),
                        Cell::Integer(i) => i.to_string(),
                        Cell::Empty => String::new(),
                    })
                    .collect()
            })
            .collect();
        self.html
            .push_str(&panel(title, &table(ctx.lang, headers, &html_rows)));
        self.tables.push(Table {
            title: title.to_owned(),
            headers: headers
                .iter()
                .map(|h| ctx.t(h.trim_start_matches('#')).to_owned())
                .collect(),
            rows,
        });
    }

    fn chart(&mut self, title: &str, svg: String) {
        self.html.push_str(&panel(title, &svg));
    }
}

/// Builds report `name`.
async fn build(ctx: &Ctx, name: &str, q: &ReportQuery) -> Result<Report, ServiceError> {
    let mut r = Report::default();
    match name {
        "portfolio" => portfolio(ctx, &mut r).await?,
        "approvals" => approvals(ctx, q, &mut r).await?,
        "vintages" => vintages(ctx, &mut r).await?,
        "roll-rates" => roll_rates(ctx, q, &mut r).await?,
        "collections" => collections(ctx, q, &mut r).await?,
        "cash-flow" => cash_flow(ctx, &mut r).await?,
        "officers" => officers(ctx, q, &mut r).await?,
        "models" => models(ctx, &mut r).await?,
        "monthly" => {
            portfolio(ctx, &mut r).await?;
            approvals(ctx, q, &mut r).await?;
            collections(ctx, q, &mut r).await?;
            officers(ctx, q, &mut r).await?;
            cash_flow(ctx, &mut r).await?;
        }
        "risk" => {
            portfolio(ctx, &mut r).await?;
            roll_rates(ctx, q, &mut r).await?;
            vintages(ctx, &mut r).await?;
            models(ctx, &mut r).await?;
        }
        _ => return Err(ServiceError::NotFound(format!("report {name}"))),
    }
    Ok(r)
}

async fn index(ctx: Ctx) -> Response {
    let cards: String = REPORTS
        .iter()
        .map(|(path, key)| {
            format!(
                "<a class=\"tile\" href=\"/reports/{path}\" id=\"report-{path}\">{}</a>",
                escape(ctx.t(key))
            )
        })
        .collect();
    ctx.page(
        ctx.t("reports"),
        &format!(
            "<h1>{}</h1><div class=\"tiles\">{cards}</div>",
            escape(ctx.t("reports"))
        ),
    )
}

async fn show(
    ctx: Ctx,
    _headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let title = REPORTS
        .iter()
        .find(|(p, _)| *p == name)
        .map_or(name.as_str(), |(_, k)| ctx.t(k))
        .to_owned();
    let r = match build(&ctx, &name, &q).await {
        Ok(r) => r,
        Err(e) => return ctx.refused(&title, &e),
    };
    let file = format!("{name}-{}", ctx.date);
    match q.format.as_deref() {
        Some("csv") => {
            let first = r.tables.first().cloned().unwrap_or(Table {
                title: title.clone(),
                headers: Vec::new(),
                rows: Vec::new(),
            });
            return export::download(&file, Kind::Csv, export::csv(&first));
        }
        Some("xlsx") => return export::download(&file, Kind::Xlsx, export::xlsx(&r.tables)),
        _ => {}
    }
    let query = |format: &str| {
        let mut parts = vec![format!("format={format}")];
        for (k, v) in [("from", &q.from), ("to", &q.to), ("month", &q.month)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", escape(v)));
            }
        }
        parts.join("&amp;")
    };
    let printable = matches!(name.as_str(), "monthly" | "risk");
    let body = format!(
        "<h1>{}</h1><p class=\"muted\">{} {} · loanbook</p><div class=\"actions\">\
         <a class=\"button\" id=\"csv\" href=\"/reports/{name}?{}\">{}</a> <a class=\"button\" id=\"xlsx\" href=\"/reports/{name}?{}\">{}</a>{}</div>{}",
        escape(&title),
        escape(ctx.t("business_date")),
        escape(&ctx.date),
        query("csv"),
        escape(ctx.t("download_csv")),
        query("xlsx"),
        escape(ctx.t("download_xlsx")),
        if printable {
            format!(
                " <button class=\"secondary\" onclick=\"window.print()\">{}</button>",
                escape(ctx.t("print"))
            )
        } else {
            String::new()
        },
        r.html
    );
    ctx.page(&title, &body)
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(index))
        .route("/reports/{name}", get(show))
}
