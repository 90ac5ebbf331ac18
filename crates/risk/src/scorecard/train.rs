//! Training and validation: binning → variable selection → regression → points, and
//! an honest estimate of how the model does on rows it has not seen.
//!
//! Selection: variables with IV below `min_iv` are left out; the rest are taken by IV,
//! skipping any whose WoE correlates above `max_correlation` with one already taken, up
//! to `max_variables`. After the regression, a variable with a non-negative coefficient
//! (more WoE — safer — meaning more risk) is dropped and the regression refitted, so every
//! variable's points rise with its WoE.

use serde::Serialize;

use super::binning::{BinningOptions, VariableBinning, bin_column};
use super::dataset::Dataset;
use super::logistic::{self, FitError};
use super::metrics::{auc, band_table, gini, ks};
use super::model::{FORMAT, Model, ModelMetrics, ModelVariable, Scaling, default_bands};

/// How to validate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Validation {
    /// Hold out this share of rows (seeded shuffle); the model is fitted on the rest.
    Split {
        /// Share held out, in (0, 1).
        test_share: f64,
    },
    /// K-fold cross-validation; the model is then fitted on all rows.
    KFold {
        /// Folds, ≥ 2.
        folds: usize,
    },
}

/// Training settings.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    /// Binning.
    pub binning: BinningOptions,
    /// Smallest IV a variable needs (default 0.02).
    pub min_iv: f64,
    /// Largest |correlation| between the WoE of two chosen variables (default 0.75).
    pub max_correlation: f64,
    /// Most variables (default 20).
    pub max_variables: usize,
    /// L2 penalty (default 0.5).
    pub l2: f64,
    /// Points scaling.
    pub scaling: Scaling,
    /// Seed of the shuffle.
    pub seed: u64,
    /// Validation.
    pub validation: Validation,
    /// Model name and version label.
    pub name: String,
    /// Target column name (recorded in the model).
    pub target: String,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            binning: BinningOptions::default(),
            min_iv: 0.02,
            max_correlation: 0.75,
            max_variables: 20,
            l2: 0.5,
            scaling: Scaling::default(),
            seed: 42,
            validation: Validation::KFold { folds: 5 },
            name: "scorecard".into(),
            target: "default".into(),
        }
    }
}

/// Why training failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// No variable reaches the IV threshold.
    #[error("no variable has an information value of at least {0}: nothing to model")]
    NoVariables(f64),
    /// A fold or the hold-out has only one class.
    #[error("{0}")]
    Validation(String),
    /// The regression failed.
    #[error(transparent)]
    Fit(#[from] FitError),
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        cov += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}

/// Fits a scorecard on all of `data`.
///
/// # Errors
/// [`TrainError`].
pub fn fit_model(data: &Dataset, options: &TrainOptions) -> Result<Model, TrainError> {
    let mut binned: Vec<(VariableBinning, Vec<f64>)> = Vec::new();
    let mut excluded = Vec::new();
    for column in &data.columns {
        let binning = bin_column(column, &data.bad, &options.binning);
        if binning.iv < options.min_iv || binning.bins.len() < 2 {
            excluded.push((
                binning.name.clone(),
                format!(
                    "information value {:.4} below {}",
                    binning.iv, options.min_iv
                ),
            ));
            continue;
        }
        let woe: Vec<f64> = binning
            .assign(column)
            .into_iter()
            .map(|b| binning.bins[b].woe)
            .collect();
        binned.push((binning, woe));
    }
    binned.sort_by(|a, b| b.0.iv.total_cmp(&a.0.iv));
    let mut chosen: Vec<(VariableBinning, Vec<f64>)> = Vec::new();
    for (binning, woe) in binned {
        if chosen.len() >= options.max_variables {
            excluded.push((
                binning.name.clone(),
                format!("beyond the {} strongest variables", options.max_variables),
            ));
            continue;
        }
        if let Some(other) = chosen
            .iter()
            .find(|c| correlation(&c.1, &woe).abs() > options.max_correlation)
        {
            excluded.push((
                binning.name.clone(),
                format!(
                    "WoE correlates above {} with {}",
                    options.max_correlation, other.0.name
                ),
            ));
            continue;
        }
        chosen.push((binning, woe));
    }
    if chosen.is_empty() {
        return Err(TrainError::NoVariables(options.min_iv));
    }
    let fit = loop {
        let columns: Vec<Vec<f64>> = chosen.iter().map(|c| c.1.clone()).collect();
        let fit = logistic::fit(&columns, &data.bad, options.l2)?;
        // the most positive coefficient, if any is not negative
        let wrong = fit
            .coefficients
            .iter()
            .enumerate()
            .filter(|(_, b)| **b >= 0.0)
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i);
        match wrong {
            Some(i) if chosen.len() > 1 => {
                let (binning, _) = chosen.remove(i);
                excluded.push((
                    binning.name,
                    "its coefficient had the wrong sign next to the other variables".into(),
                ));
            }
            _ => break fit,
        }
    };
    let factor = options.scaling.factor();
    let base_points = (options.scaling.offset() - factor * fit.intercept).round() as i64;
    let variables = chosen
        .into_iter()
        .zip(&fit.coefficients)
        .map(|((binning, _), b)| {
            let points = binning
                .bins
                .iter()
                .map(|bin| (-factor * b * bin.woe).round() as i64)
                .collect();
            ModelVariable {
                binning,
                coefficient: *b,
                points,
            }
        })
        .collect();
    Ok(Model {
        format: FORMAT.into(),
        name: options.name.clone(),
        version: "1".into(),
        target: options.target.clone(),
        rows: data.rows(),
        bad_rate: data.bads() as f64 / data.rows() as f64,
        fingerprint: data.fingerprint.clone(),
        scaling: options.scaling,
        intercept: fit.intercept,
        base_points,
        variables,
        bands: default_bands(&options.scaling),
        excluded,
        metrics: ModelMetrics::default(),
    })
}

/// Scores every row of `data` with `model` (whose variables must be columns of `data`):
/// (scores, probabilities).
///
/// # Errors
/// A model variable missing from the data.
pub fn score_dataset(model: &Model, data: &Dataset) -> Result<(Vec<i64>, Vec<f64>), String> {
    let mut scores = vec![model.base_points; data.rows()];
    for variable in &model.variables {
        let column = data
            .columns
            .iter()
            .find(|c| c.name == variable.binning.name)
            .ok_or_else(|| {
                format!(
                    "the data has no column {} that the model needs",
                    variable.binning.name
                )
            })?;
        for (s, bin) in scores.iter_mut().zip(variable.binning.assign(column)) {
            *s += variable.points[bin];
        }
    }
    let pds = scores
        .iter()
        .map(|s| model.scaling.probability(*s as f64))
        .collect();
    Ok((scores, pds))
}

/// A deterministic shuffle (xorshift64*), so a seed gives the same split everywhere.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// What [`train`] returns.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    /// The model (fitted on all rows for k-fold, on the training part for a split), with
    /// its metrics filled in.
    pub model: Model,
    /// Scores of the held-out rows (out-of-fold for k-fold), for the report's charts.
    #[serde(skip)]
    pub held_out_scores: Vec<i64>,
    /// Whether each held-out row was bad.
    #[serde(skip)]
    pub held_out_bad: Vec<bool>,
}

fn evaluate(model: &Model, data: &Dataset) -> Result<(Vec<i64>, Vec<f64>, f64), TrainError> {
    let (scores, pds) = score_dataset(model, data).map_err(TrainError::Validation)?;
    let as_f64: Vec<f64> = scores.iter().map(|s| *s as f64).collect();
    Ok((scores, pds, auc(&as_f64, &data.bad)))
}

fn check_classes(data: &Dataset, what: &str) -> Result<(), TrainError> {
    let bads = data.bads();
    if bads == 0 || bads == data.rows() {
        return Err(TrainError::Validation(format!(
            "the {what} has only one class: use fewer folds or a larger test share"
        )));
    }
    Ok(())
}

/// Trains and validates a scorecard.
///
/// # Errors
/// [`TrainError`].
pub fn train(data: &Dataset, options: &TrainOptions) -> Result<TrainReport, TrainError> {
    let order = shuffled(data.rows(), options.seed);
    let (mut model, held_out, validation, fold_aucs) = match options.validation {
        Validation::Split { test_share } => {
            let test_rows =
                ((data.rows() as f64 * test_share).round() as usize).clamp(1, data.rows() - 1);
            let (test_idx, train_idx) = order.split_at(test_rows);
            let (train_part, test_part) = (data.subset(train_idx), data.subset(test_idx));
            check_classes(&test_part, "test part")?;
            let model = fit_model(&train_part, options)?;
            (
                model,
                test_part,
                format!("{:.0}% hold-out", test_share * 100.0),
                Vec::new(),
            )
        }
        Validation::KFold { folds } => {
            let folds = folds.clamp(2, data.rows());
            let mut out_of_fold: Vec<usize> = Vec::with_capacity(data.rows());
            let mut oof_scores: Vec<i64> = Vec::with_capacity(data.rows());
            let mut fold_aucs = Vec::new();
            for k in 0..folds {
                let test_idx: Vec<usize> = order
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % folds == k)
                    .map(|(_, r)| *r)
                    .collect();
                let train_idx: Vec<usize> = order
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % folds != k)
                    .map(|(_, r)| *r)
                    .collect();
                let test_part = data.subset(&test_idx);
                check_classes(&test_part, "fold")?;
                let model = fit_model(&data.subset(&train_idx), options)?;
                let (scores, _, fold_auc) = evaluate(&model, &test_part)?;
                fold_aucs.push(fold_auc);
                out_of_fold.extend(test_idx);
                oof_scores.extend(scores);
            }
            let model = fit_model(data, options)?;
            // held-out metrics come from the out-of-fold scores
            let held = data.subset(&out_of_fold);
            let mut m = model;
            let as_f64: Vec<f64> = oof_scores.iter().map(|s| *s as f64).collect();
            let pds: Vec<f64> = oof_scores
                .iter()
                .map(|s| m.scaling.probability(*s as f64))
                .collect();
            let (ks_value, _) = ks(&as_f64, &held.bad);
            m.metrics.bands = band_table(&m.bands, &oof_scores, &pds, &held.bad);
            m.metrics.ks = ks_value;
            m.metrics.test_auc = fold_aucs.iter().sum::<f64>() / fold_aucs.len() as f64;
            m.metrics.gini = gini(m.metrics.test_auc);
            m.metrics.fold_aucs = fold_aucs;
            m.metrics.validation = format!("{folds}-fold cross-validation");
            let (train_scores, _, train_auc) = evaluate(&m, data)?;
            m.metrics.train_auc = train_auc;
            m.metrics.score_deciles = deciles(&train_scores);
            return Ok(TrainReport {
                model: m,
                held_out_scores: oof_scores,
                held_out_bad: held.bad,
            });
        }
    };
    let (scores, pds, test_auc) = evaluate(&model, &held_out)?;
    let as_f64: Vec<f64> = scores.iter().map(|s| *s as f64).collect();
    model.metrics.validation = validation;
    model.metrics.test_auc = test_auc;
    model.metrics.gini = gini(test_auc);
    model.metrics.ks = ks(&as_f64, &held_out.bad).0;
    model.metrics.bands = band_table(&model.bands, &scores, &pds, &held_out.bad);
    model.metrics.fold_aucs = fold_aucs;
    let train_rows: Vec<usize> = order[held_out.rows()..].to_vec();
    let (train_scores, _, train_auc) = evaluate(&model, &data.subset(&train_rows))?;
    model.metrics.train_auc = train_auc;
    model.metrics.score_deciles = deciles(&train_scores);
    Ok(TrainReport {
        model,
        held_out_scores: scores,
        held_out_bad: held_out.bad,
    })
}

fn deciles(scores: &[i64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = scores.iter().map(|s| *s as f64).collect();
    sorted.sort_by(f64::total_cmp);
    (1..10)
        .map(|k| sorted[(sorted.len() * k / 10).min(sorted.len() - 1)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shuffle_is_a_seeded_permutation() {
        let a = shuffled(100, 7);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(a, shuffled(100, 7));
        assert_ne!(a, shuffled(100, 8));
    }

    #[test]
    fn correlation_by_hand() {
        assert!((correlation(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
        assert!((correlation(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(correlation(&[1.0, 1.0], &[1.0, 2.0]), 0.0);
    }
}
