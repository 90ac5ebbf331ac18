//! `loanbook warning list | show | ack | assign | act | close | evaluate | revalue` and
//! `loanbook risk-watch add | list | remove`: early warnings (风险预警) and the industry and
//! region watch list from the command line. The CLI acts as `cli:<os user>` with the admin
//! role, so acknowledging an unassigned warning makes that name its owner.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use loanbook_service::warnings::{
    self, ActionInput, ListInput, RevaluationInput, WarningView, WatchInput, WatchView,
};

use crate::context::{Location, json, operator};
use crate::error::CliError;

/// `loanbook warning …`
#[derive(Debug, Subcommand)]
pub enum WarningCommand {
    /// The worklist, newest first.
    List(ListArgs),
    /// One warning with its history.
    Show {
        /// Warning id.
        id: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge an open warning (it becomes yours unless assigned).
    Ack {
        /// Warning id.
        id: i64,
    },
    /// Give a warning to an owner (a user who works warnings).
    Assign {
        /// Warning id.
        id: i64,
        /// The owner's username.
        #[arg(long)]
        owner: String,
    },
    /// Act on an acknowledged warning.
    Act(Box<ActArgs>),
    /// Close a warning with its resolution.
    Close {
        /// Warning id.
        id: i64,
        /// How it was resolved.
        #[arg(long)]
        resolution: String,
    },
    /// Evaluate the loan-to-value and watch-list rules: one customer, or the whole book
    /// (the monthly run).
    Evaluate {
        /// One customer.
        #[arg(long)]
        customer: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revalue a collateral; the customer's loan-to-value is evaluated at once.
    Revalue {
        /// Collateral id.
        id: i64,
        /// The appraised value, e.g. 880000.00.
        #[arg(long)]
        valuation: String,
        /// Appraisal date (YYYY-MM-DD).
        #[arg(long)]
        valued_on: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `loanbook warning list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// open, acknowledged, actioned, closed, or active (all but closed).
    #[arg(long)]
    status: Option<String>,
    /// low, medium or high.
    #[arg(long)]
    severity: Option<String>,
    /// A rule, e.g. income_drop.
    #[arg(long)]
    rule: Option<String>,
    /// An owner.
    #[arg(long)]
    owner: Option<String>,
    /// Only warnings nobody owns.
    #[arg(long)]
    unassigned: bool,
    /// Of one customer.
    #[arg(long)]
    customer: Option<i64>,
    /// Of one loan.
    #[arg(long)]
    loan: Option<i64>,
    /// Older than this id (the next page).
    #[arg(long)]
    before: Option<i64>,
    /// Page size (1–500, default 50).
    #[arg(long)]
    limit: Option<i64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `loanbook warning act ID --action …`
#[derive(Debug, Args)]
pub struct ActArgs {
    /// Warning id.
    id: i64,
    /// reduce_limit, freeze_limit, request_collateral, request_guarantor, accelerate or
    /// hand_to_collections.
    #[arg(long)]
    action: String,
    /// The loan (for a warning on the customer as a whole).
    #[arg(long)]
    loan: Option<i64>,
    /// reduce_limit: the most the loan may have drawn in all.
    #[arg(long)]
    new_limit: Option<String>,
    /// Tasks: the due date; accelerate: the date to repay by (default: 14 days on).
    #[arg(long)]
    due_on: Option<String>,
    /// Tasks: who does it (default: the owner).
    #[arg(long)]
    assigned_to: Option<String>,
    /// A note.
    #[arg(long)]
    note: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `loanbook risk-watch …`
#[derive(Debug, Subcommand)]
pub enum RiskWatchCommand {
    /// Watch an industry or region: customers with an active loan there are warned.
    Add {
        /// industry or region.
        #[arg(long)]
        kind: String,
        /// The industry, or the province as customers record it (e.g. 广东省).
        #[arg(long)]
        value: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// The watch list.
    List {
        /// With the removed entries.
        #[arg(long)]
        removed: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Take an entry off the list.
    Remove {
        /// Entry id.
        id: i64,
    },
}

fn flags(e: loanbook_service::ServiceError) -> CliError {
    CliError::from_service(e, true)
}

fn line(w: &WarningView) -> String {
    let on = w.loan_id.map_or_else(
        || format!("customer {}", w.customer_id),
        |l| format!("loan {l}"),
    );
    format!(
        "warning {:<5} {:<14} {:<22} {:<6} {:<12} {:<14} raised {}",
        w.id,
        on,
        w.rule,
        w.severity,
        w.status,
        w.owner.as_deref().unwrap_or("(unassigned)"),
        w.raised_on
    )
}

fn shown(w: &WarningView, as_json: bool) -> Result<String, CliError> {
    if as_json {
        return json(w);
    }
    let mut out = format!("{}\n  detail: {}\n", line(w), w.detail);
    if let Some(r) = &w.resolution {
        let _ = writeln!(out, "  resolution: {r}");
    }
    for a in w.actions.iter().flatten() {
        let due = a
            .due_on
            .as_deref()
            .map(|d| format!(" due {d}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {} by {}{due}: {}",
            a.at, a.action, a.actor, a.detail
        );
    }
    Ok(out)
}

fn watch_line(w: &WatchView) -> String {
    let removed = w
        .removed_at
        .as_deref()
        .map(|at| format!(" (removed {at})"))
        .unwrap_or_default();
    format!(
        "entry {:<4} {:<8} {:<20} {}{removed}\n",
        w.id, w.kind, w.value, w.reason
    )
}

/// Runs a `warning` command.
pub async fn run(location: &Location, c: &WarningCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match c {
        WarningCommand::List(a) => {
            let input = ListInput {
                status: a.status.clone(),
                severity: a.severity.clone(),
                rule: a.rule.clone(),
                owner: a.owner.clone(),
                unassigned: Some(a.unassigned),
                customer_id: a.customer,
                loan_id: a.loan,
                before_id: a.before,
                limit: a.limit,
            };
            let list = warnings::list(&app, &actor, &input).await.map_err(flags)?;
            if a.json {
                return json(&list);
            }
            Ok(list.iter().map(|w| line(w) + "\n").collect())
        }
        WarningCommand::Show { id, json: as_json } => {
            shown(&warnings::get(&app, &actor, *id).await?, *as_json)
        }
        WarningCommand::Ack { id } => {
            Ok(line(&warnings::acknowledge(&app, &actor, *id).await?) + "\n")
        }
        WarningCommand::Assign { id, owner } => Ok(line(
            &warnings::assign(&app, &actor, *id, owner)
                .await
                .map_err(flags)?,
        ) + "\n"),
        WarningCommand::Act(a) => {
            let input = ActionInput {
                action: a.action.clone(),
                loan_id: a.loan,
                new_limit: a.new_limit.clone(),
                due_on: a.due_on.clone(),
                assigned_to: a.assigned_to.clone(),
                note: a.note.clone(),
            };
            let w = warnings::act(&app, &actor, a.id, &input)
                .await
                .map_err(|e| match e {
                    loanbook_service::ServiceError::Invalid(mut v) => {
                        for x in &mut v {
                            if x.field == "loan_id" {
                                x.field = "loan".into();
                            }
                        }
                        flags(loanbook_service::ServiceError::Invalid(v))
                    }
                    other => flags(other),
                })?;
            shown(&w, a.json)
        }
        WarningCommand::Close { id, resolution } => Ok(line(
            &warnings::close(&app, &actor, *id, resolution)
                .await
                .map_err(flags)?,
        ) + "\n"),
        WarningCommand::Evaluate {
            customer,
            json: as_json,
        } => {
            let v = warnings::evaluate(&app, &actor, *customer).await?;
            if *as_json {
                return json(&v);
            }
            let ltv = v
                .ltv
                .as_ref()
                .map(|l| {
                    format!(
                        "; loan-to-value {} ({} / {})",
                        l.ltv, l.outstanding, l.valuation
                    )
                })
                .unwrap_or_default();
            Ok(format!(
                "{} customers checked: {} collateral_ltv and {} watch_list warnings raised{ltv}\n",
                v.customers_checked, v.collateral_ltv_raised, v.watch_list_raised
            ))
        }
        WarningCommand::Revalue {
            id,
            valuation,
            valued_on,
            json: as_json,
        } => {
            let input = RevaluationInput {
                valuation: valuation.clone(),
                valued_on: valued_on.clone(),
            };
            let v = warnings::revalue_collateral(&app, &actor, *id, &input)
                .await
                .map_err(flags)?;
            if *as_json {
                return json(&v);
            }
            let ltv = match &v.ltv {
                Some(l) if l.warning_id.is_some() => format!(
                    "; loan-to-value {}: warning {} raised",
                    l.ltv,
                    l.warning_id.unwrap_or_default()
                ),
                Some(l) => format!("; loan-to-value {}", l.ltv),
                None => String::new(),
            };
            Ok(format!(
                "collateral {} of customer {}: {} → {} on {}{ltv}\n",
                v.collateral_id, v.customer_id, v.previous_valuation, v.valuation, v.valued_on
            ))
        }
    }
}

/// Runs a `risk-watch` command.
pub async fn risk_watch(location: &Location, c: &RiskWatchCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match c {
        RiskWatchCommand::Add {
            kind,
            value,
            reason,
        } => {
            let input = WatchInput {
                kind: kind.clone(),
                value: value.clone(),
                reason: reason.clone(),
            };
            let added = warnings::add_watch(&app, &actor, &input)
                .await
                .map_err(flags)?;
            Ok(format!(
                "{}{} watch_list warnings raised\n",
                watch_line(&added.entry),
                added.warnings_raised
            ))
        }
        RiskWatchCommand::List {
            removed,
            json: as_json,
        } => {
            let list = warnings::watch_list(&app, &actor, *removed).await?;
            if *as_json {
                return json(&list);
            }
            Ok(list.iter().map(watch_line).collect())
        }
        RiskWatchCommand::Remove { id } => Ok(watch_line(
            &warnings::remove_watch(&app, &actor, *id).await?,
        )),
    }
}
