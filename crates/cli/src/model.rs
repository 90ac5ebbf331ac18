//! `loanbook model train | evaluate | score`: application scorecards from CSV files.
//! (Model statistics are floating point; nothing here is money.)
#![allow(clippy::float_arithmetic)]

use clap::{Args, Subcommand};
use loanbook_risk::scorecard::binning::Monotonic;
use loanbook_risk::scorecard::dataset::Dataset;
use loanbook_risk::scorecard::metrics::{auc, gini, ks, psi_against_deciles};
use loanbook_risk::scorecard::model::{Model, Scaling, Value};
use loanbook_risk::scorecard::report;
use loanbook_risk::scorecard::train::{TrainOptions, Validation, score_dataset, train};
use serde::Serialize;

use crate::context::json;
use crate::error::CliError;

/// `loanbook model …`
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Train and validate a scorecard from a CSV of past loans.
    Train(TrainArgs),
    /// Measure a model on a labelled CSV.
    Evaluate {
        /// The model file.
        #[arg(long)]
        model: String,
        /// The CSV.
        #[arg(long)]
        data: String,
        /// The 0/1 (1 = default) or good/bad column.
        #[arg(long)]
        target: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Deploy a model to the registry with its field mapping (checked now, not at scoring).
    Deploy {
        /// The model file.
        #[arg(long)]
        model: String,
        /// The mapping file: {"variable": "application.amount" | "customer.age" | "credit_report.KEY"}.
        #[arg(long)]
        mapping: String,
        /// draft, champion or challenger.
        #[arg(long, default_value = "draft")]
        status: String,
        /// Share of applications a challenger also scores (default 0.1).
        #[arg(long)]
        share: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The registry: every deployed version and its status.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a deployed model's status: draft, champion, challenger or retired.
    SetStatus {
        /// Registry id.
        #[arg(long)]
        id: i64,
        /// The new status.
        #[arg(long)]
        status: String,
        /// Challenger share.
        #[arg(long)]
        share: Option<String>,
    },
    /// Score drift: PSI of live scores against training, by month.
    Monitor {
        /// Registry id.
        #[arg(long)]
        id: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Score every row of a CSV: adds score, probability, band and reasons columns.
    Score {
        /// The model file.
        #[arg(long)]
        model: String,
        /// The CSV.
        #[arg(long)]
        data: String,
        /// Where to write the scored CSV.
        #[arg(long)]
        out: String,
    },
}

/// Arguments of `loanbook model train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The training CSV: a header row, numeric or text columns, empty cells missing.
    #[arg(long)]
    data: String,
    /// The target column: 1/0 (1 = default) or bad/good.
    #[arg(long)]
    target: String,
    /// Columns to leave out (ids, dates, anything not known at application time).
    #[arg(long, value_delimiter = ',')]
    exclude: Vec<String>,
    /// Hold out this share of rows for testing (used when --folds is not given).
    #[arg(long)]
    test_share: Option<f64>,
    /// K-fold cross-validation instead of a hold-out.
    #[arg(long)]
    folds: Option<usize>,
    /// Seed of the shuffle.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// auto (numeric bins follow the variable's trend) or none.
    #[arg(long, default_value = "auto")]
    monotonic: String,
    /// Points to double the odds.
    #[arg(long, default_value_t = 20.0)]
    pdo: f64,
    /// Score at the base odds.
    #[arg(long, default_value_t = 600.0)]
    base_score: f64,
    /// Good:bad odds at the base score.
    #[arg(long, default_value_t = 50.0)]
    base_odds: f64,
    /// L2 penalty of the regression (0 for none).
    #[arg(long, default_value_t = 0.5)]
    l2: f64,
    /// Model name.
    #[arg(long, default_value = "scorecard")]
    name: String,
    /// Where to write the model (JSON).
    #[arg(long)]
    out: String,
    /// Where to write the validation report (HTML).
    #[arg(long)]
    report: Option<String>,
    /// Print the metrics as JSON.
    #[arg(long)]
    json: bool,
}

fn read(argument: &str, path: &str) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::usage(argument, format!("cannot read {path}: {e}")))
}

fn write(argument: &str, path: &str, contents: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, contents)
        .map_err(|e| CliError::usage(argument, format!("cannot write {path}: {e}")))
}

fn load_model(path: &str) -> Result<Model, CliError> {
    let text = String::from_utf8(read("--model", path)?)
        .map_err(|_| CliError::usage("--model", "the file is not UTF-8 text"))?;
    Model::from_json(&text).map_err(|e| CliError::usage("--model", e))
}

#[derive(Serialize)]
struct Summary<'a> {
    rows: usize,
    bad_rate: f64,
    variables: Vec<&'a str>,
    validation: &'a str,
    auc: f64,
    gini: f64,
    ks: f64,
    train_auc: f64,
    fold_aucs: &'a [f64],
    seconds: f64,
}

impl ModelCommand {
    /// True for the commands that work on files alone (no database).
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            ModelCommand::Train(_) | ModelCommand::Evaluate { .. } | ModelCommand::Score { .. }
        )
    }
}

/// Runs a registry command (deploy, list, set-status, monitor).
pub async fn run_registry(
    location: &crate::context::Location,
    command: &ModelCommand,
) -> Result<String, CliError> {
    use loanbook_service::models;
    let app = location.app().await?;
    let actor = crate::context::operator();
    match command {
        ModelCommand::Deploy {
            model,
            mapping,
            status,
            share,
            json: as_json,
        } => {
            let model_text = String::from_utf8(read("--model", model)?)
                .map_err(|_| CliError::usage("--model", "not UTF-8 text"))?;
            let mapping_text = read("--mapping", mapping)?;
            let mapping: loanbook_risk::scorecard::mapping::Mapping =
                serde_json::from_slice(&mapping_text).map_err(|e| {
                    CliError::usage("--mapping", format!("not a mapping object: {e}"))
                })?;
            let deployed = models::deploy(
                &app,
                &actor,
                &model_text,
                &mapping,
                status,
                share.as_deref(),
            )
            .await?;
            if *as_json {
                json(&deployed)
            } else {
                Ok(format!(
                    "deployed {} version {} as {} (registry id {})\n",
                    deployed.name, deployed.version, deployed.status, deployed.id
                ))
            }
        }
        ModelCommand::List { json: as_json } => {
            let all = models::list(&app, &actor).await?;
            if *as_json {
                return json(&all);
            }
            let mut out = format!(
                "{:>4}  {:<20}  {:>7}  {:<10}  {:>6}  {:>8}  {}\n",
                "id", "name", "version", "status", "share", "test AUC", "deployed"
            );
            for m in &all {
                out.push_str(&format!(
                    "{:>4}  {:<20}  {:>7}  {:<10}  {:>6}  {:>8}  {} by {}\n",
                    m.id,
                    m.name,
                    m.version,
                    m.status,
                    m.challenger_share,
                    m.test_auc,
                    m.created_at,
                    m.created_by
                ));
            }
            Ok(out)
        }
        ModelCommand::SetStatus { id, status, share } => {
            let m = models::set_status(&app, &actor, *id, status, share.as_deref()).await?;
            Ok(format!(
                "model {} ({} version {}) is now {}\n",
                m.id, m.name, m.version, m.status
            ))
        }
        ModelCommand::Monitor { id, json: as_json } => {
            let drift = models::monitor(&app, &actor, *id).await?;
            if *as_json {
                return json(&drift);
            }
            let mut out = format!(
                "{:<8}  {:>7}  {:>10}  {:>7}\n",
                "month", "scores", "mean", "PSI"
            );
            for d in &drift {
                let verdict = if d.psi > 0.25 {
                    "  shift"
                } else if d.psi > 0.1 {
                    "  watch"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "{:<8}  {:>7}  {:>10.1}  {:>7.4}{verdict}\n",
                    d.month, d.count, d.mean_score, d.psi
                ));
            }
            Ok(out)
        }
        _ => unreachable!("offline commands run without the database"),
    }
}

/// Runs a model command that works on files alone.
pub fn run(command: &ModelCommand) -> Result<String, CliError> {
    match command {
        ModelCommand::Train(a) => train_command(a),
        ModelCommand::Evaluate {
            model,
            data,
            target,
            json: as_json,
        } => {
            let model = load_model(model)?;
            let data = Dataset::from_csv(&read("--data", data)?, target, &[])
                .map_err(|e| CliError::usage("--data", e))?;
            let (scores, _) =
                score_dataset(&model, &data).map_err(|e| CliError::usage("--data", e))?;
            let as_f64: Vec<f64> = scores.iter().map(|s| *s as f64).collect();
            let a = auc(&as_f64, &data.bad);
            // PSI of these scores against the training score deciles stored in the model
            let psi = (model.metrics.score_deciles.len() == 9)
                .then(|| psi_against_deciles(&model.metrics.score_deciles, &as_f64));
            let result = serde_json::json!({"rows": data.rows(), "auc": a, "gini": gini(a), "ks": ks(&as_f64, &data.bad).0, "psi": psi});
            if *as_json {
                json(&result)
            } else {
                Ok(format!(
                    "rows {}  AUC {:.4}  Gini {:.4}  KS {:.4}  PSI against training {}\n",
                    data.rows(),
                    a,
                    gini(a),
                    result["ks"].as_f64().unwrap_or(0.0),
                    psi.map_or("n/a".to_owned(), |p| format!("{p:.4}"))
                ))
            }
        }
        ModelCommand::Score { model, data, out } => score_command(&load_model(model)?, data, out),
        _ => unreachable!("registry commands need the database"),
    }
}

fn train_command(a: &TrainArgs) -> Result<String, CliError> {
    let started = std::time::Instant::now();
    let monotonic = match a.monotonic.as_str() {
        "auto" => Monotonic::Auto,
        "none" => Monotonic::None,
        other => {
            return Err(CliError::usage(
                "--monotonic",
                format!("must be auto or none (got '{other}')"),
            ));
        }
    };
    let validation = match (a.folds, a.test_share) {
        (Some(_), Some(_)) => {
            return Err(CliError::usage(
                "--folds",
                "give --folds or --test-share, not both",
            ));
        }
        (Some(k), None) if !(2..=20).contains(&k) => {
            return Err(CliError::usage(
                "--folds",
                format!("must be between 2 and 20 (got {k})"),
            ));
        }
        (Some(k), None) => Validation::KFold { folds: k },
        (None, Some(s)) if !(s > 0.0 && s < 1.0) => {
            return Err(CliError::usage(
                "--test-share",
                format!("must be above 0 and below 1 (got {s})"),
            ));
        }
        (None, share) => Validation::Split {
            test_share: share.unwrap_or(0.3),
        },
    };
    if !(a.l2 >= 0.0 && a.l2.is_finite()) {
        return Err(CliError::usage(
            "--l2",
            format!("must be 0 or more (got {})", a.l2),
        ));
    }
    if !(a.pdo > 0.0 && a.base_odds > 0.0) {
        return Err(CliError::usage(
            "--pdo",
            "PDO and base odds must be positive",
        ));
    }
    let data = Dataset::from_csv(&read("--data", &a.data)?, &a.target, &a.exclude)
        .map_err(|e| CliError::usage("--data", e))?;
    let mut options = TrainOptions {
        scaling: Scaling {
            pdo: a.pdo,
            base_score: a.base_score,
            base_odds: a.base_odds,
        },
        seed: a.seed,
        l2: a.l2,
        validation,
        name: a.name.clone(),
        target: a.target.clone(),
        ..TrainOptions::default()
    };
    options.binning.monotonic = monotonic;
    let trained = train(&data, &options).map_err(|e| CliError::usage("--data", e))?;
    let model = &trained.model;
    let text = serde_json::to_string_pretty(model).map_err(|e| CliError::Failed(e.to_string()))?;
    write("--out", &a.out, text.as_bytes())?;
    if let Some(path) = &a.report {
        write(
            "--report",
            path,
            report::html(model, &trained.held_out_scores, &trained.held_out_bad).as_bytes(),
        )?;
    }
    let m = &model.metrics;
    let summary = Summary {
        rows: model.rows,
        bad_rate: model.bad_rate,
        variables: model
            .variables
            .iter()
            .map(|v| v.binning.name.as_str())
            .collect(),
        validation: &m.validation,
        auc: m.test_auc,
        gini: m.gini,
        ks: m.ks,
        train_auc: m.train_auc,
        fold_aucs: &m.fold_aucs,
        seconds: started.elapsed().as_secs_f64(),
    };
    if a.json {
        return json(&summary);
    }
    Ok(format!(
        "trained {} on {} rows ({:.1}% bad) in {:.2} s: {} variables\n{}: AUC {:.4}  Gini {:.4}  KS {:.4}  (training AUC {:.4})\nwrote {}{}\n",
        model.name,
        summary.rows,
        summary.bad_rate * 100.0,
        summary.seconds,
        summary.variables.len(),
        m.validation,
        m.test_auc,
        m.gini,
        m.ks,
        m.train_auc,
        a.out,
        a.report
            .as_ref()
            .map(|r| format!(" and {r}"))
            .unwrap_or_default()
    ))
}

fn score_command(model: &Model, data: &str, out: &str) -> Result<String, CliError> {
    let bytes = read("--data", data)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| CliError::usage("--data", format!("row 1: {e}")))?
        .clone();
    let positions: Vec<usize> = model
        .variables
        .iter()
        .map(|v| {
            headers
                .iter()
                .position(|h| h == v.binning.name)
                .ok_or_else(|| {
                    CliError::usage(
                        "--data",
                        format!(
                            "row 1: column {} is missing (the model needs it)",
                            v.binning.name
                        ),
                    )
                })
        })
        .collect::<Result<_, _>>()?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = headers.iter().map(str::to_owned).collect();
    header.extend(["score", "probability", "band", "reasons"].map(String::from));
    writer
        .write_record(&header)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let mut rows = 0;
    for (index, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| CliError::usage("--data", format!("row {}: {e}", index + 2)))?;
        let values: Vec<Value> = positions
            .iter()
            .map(|&p| match record.get(p).unwrap_or("") {
                "" => Value::Missing,
                cell => cell
                    .parse::<f64>()
                    .map_or_else(|_| Value::Text(cell.to_owned()), Value::Number),
            })
            .collect();
        let scored = model.score(&values);
        let mut out_row: Vec<String> = record.iter().map(str::to_owned).collect();
        out_row.push(scored.score.to_string());
        out_row.push(format!("{:.6}", scored.probability));
        out_row.push(model.bands[scored.band].0.clone());
        out_row.push(model.reason_texts(&scored, &values).join("; "));
        writer
            .write_record(&out_row)
            .map_err(|e| CliError::Failed(e.to_string()))?;
        rows += 1;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| CliError::Failed(e.to_string()))?;
    write("--out", out, &bytes)?;
    Ok(format!("scored {rows} rows into {out}\n"))
}
