//! The model artifact (a versioned JSON file) and the scorer.
//!
//! Points: `factor = PDO / ln 2`, `offset = base score − factor · ln(base odds)` (odds
//! good:bad). The regression gives `ln(odds good:bad) = −(b0 + Σ bj·WoEj)`, so
//! `score = offset − factor·b0 − Σ factor·bj·WoEj`: base points `round(offset − factor·b0)`
//! plus, per variable, `round(−factor·bj·WoE)` of the applicant's bin.

use serde::{Deserialize, Serialize};

use super::binning::VariableBinning;
use super::metrics::BandRow;

/// The format tag of model files this loanbook reads.
pub const FORMAT: &str = "loanbook-scorecard/1";

/// Points scaling.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// Points to double the odds (default 20).
    pub pdo: f64,
    /// Score at the base odds (default 600).
    pub base_score: f64,
    /// Good:bad odds at the base score (default 50).
    pub base_odds: f64,
}

impl Default for Scaling {
    fn default() -> Scaling {
        Scaling {
            pdo: 20.0,
            base_score: 600.0,
            base_odds: 50.0,
        }
    }
}

impl Scaling {
    /// Points per unit of ln(odds).
    pub fn factor(&self) -> f64 {
        self.pdo / std::f64::consts::LN_2
    }

    /// The score at odds 1:1.
    pub fn offset(&self) -> f64 {
        self.base_score - self.factor() * self.base_odds.ln()
    }

    /// Probability of default at `score`.
    pub fn probability(&self, score: f64) -> f64 {
        let ln_odds_good = (score - self.offset()) / self.factor();
        1.0 / (1.0 + ln_odds_good.exp())
    }

    /// Score at probability of default `pd`.
    pub fn score_at(&self, pd: f64) -> f64 {
        self.offset() + self.factor() * ((1.0 - pd) / pd).ln()
    }
}

/// A variable of the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelVariable {
    /// Its bins.
    pub binning: VariableBinning,
    /// Regression coefficient on the WoE.
    pub coefficient: f64,
    /// Points per bin.
    pub points: Vec<i64>,
}

impl ModelVariable {
    /// The most points a bin gives.
    pub fn max_points(&self) -> i64 {
        self.points.iter().copied().max().unwrap_or(0)
    }
}

/// Measured quality, stored with the model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelMetrics {
    /// How it was validated: `5-fold cross-validation` or `30% hold-out`.
    pub validation: String,
    /// AUC on the training rows.
    pub train_auc: f64,
    /// AUC on held-out rows (mean over folds for k-fold).
    pub test_auc: f64,
    /// Per-fold AUCs (k-fold only).
    pub fold_aucs: Vec<f64>,
    /// Gini on held-out rows.
    pub gini: f64,
    /// KS on held-out rows.
    pub ks: f64,
    /// Band table on held-out rows.
    pub bands: Vec<BandRow>,
    /// Scores of the training rows, by decile cut, for monitoring (PSI).
    pub score_deciles: Vec<f64>,
}

/// A trained scorecard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Always [`FORMAT`].
    pub format: String,
    /// Model name.
    pub name: String,
    /// Version label.
    pub version: String,
    /// Target column it was trained on.
    pub target: String,
    /// Rows trained on.
    pub rows: usize,
    /// Bad rate of the training rows.
    pub bad_rate: f64,
    /// SHA-256 of the training file.
    pub fingerprint: String,
    /// Points scaling.
    pub scaling: Scaling,
    /// Regression intercept.
    pub intercept: f64,
    /// Points everyone starts with.
    pub base_points: i64,
    /// The variables.
    pub variables: Vec<ModelVariable>,
    /// Bands from the riskiest up: (name, lowest score).
    pub bands: Vec<(String, i64)>,
    /// Candidate variables left out and why.
    pub excluded: Vec<(String, String)>,
    /// Validation results.
    pub metrics: ModelMetrics,
}

/// One input value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number.
    Number(f64),
    /// A text level.
    Text(String),
    /// Missing.
    Missing,
}

/// How many reason codes a score carries.
pub const REASONS: usize = 3;

/// A score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    /// Points.
    pub score: i64,
    /// Probability of default.
    pub probability: f64,
    /// Index into [`Model::bands`].
    pub band: usize,
    /// Variables (indices into [`Model::variables`]) where the applicant lost most points
    /// against the best bin, most first.
    pub reasons: [Option<u16>; REASONS],
}

/// Default bands by probability of default: A < 2%, B < 5%, C < 10%, D < 20%, E the rest.
pub fn default_bands(scaling: &Scaling) -> Vec<(String, i64)> {
    let mut bands = vec![("E".to_owned(), i64::MIN)];
    for (name, pd) in [("D", 0.20), ("C", 0.10), ("B", 0.05), ("A", 0.02)] {
        bands.push((name.to_owned(), scaling.score_at(pd).ceil() as i64));
    }
    bands
}

impl Model {
    /// Reads a model file.
    ///
    /// # Errors
    /// Text that is not a model of this format.
    pub fn from_json(text: &str) -> Result<Model, String> {
        let model: Model =
            serde_json::from_str(text).map_err(|e| format!("not a loanbook model: {e}"))?;
        if model.format != FORMAT {
            return Err(format!(
                "unsupported model format '{}' (this loanbook reads {FORMAT})",
                model.format
            ));
        }
        Ok(model)
    }

    /// The bin of `value` for variable `index`.
    fn bin(&self, index: usize, value: &Value) -> usize {
        let b = &self.variables[index].binning;
        match value {
            Value::Number(x) => b.bin_of_number(Some(*x)),
            Value::Text(t) => match t.parse::<f64>() {
                Ok(x) if matches!(b.rule, super::binning::BinRule::Numeric { .. }) => {
                    b.bin_of_number(Some(x))
                }
                _ => b.bin_of_level(Some(t)),
            },
            Value::Missing => match b.rule {
                super::binning::BinRule::Numeric { .. } => b.bin_of_number(None),
                super::binning::BinRule::Categorical { .. } => b.bin_of_level(None),
            },
        }
    }

    /// Scores one applicant; `values` follow the order of [`Model::variables`].
    ///
    /// # Panics
    /// When `values` has fewer entries than the model has variables.
    pub fn score(&self, values: &[Value]) -> Scored {
        let mut score = self.base_points;
        let mut reasons: [(i64, Option<u16>); REASONS] = [(0, None); REASONS];
        for (index, variable) in self.variables.iter().enumerate() {
            let points = variable.points[self.bin(index, &values[index])];
            score += points;
            let lost = variable.max_points() - points;
            if lost > 0 {
                // keep the top REASONS by points lost
                if let Some(slot) = reasons.iter().position(|r| r.1.is_none() || lost > r.0) {
                    reasons[slot..].rotate_right(1);
                    reasons[slot] = (lost, Some(index as u16));
                }
            }
        }
        let band = self
            .bands
            .iter()
            .rposition(|(_, min)| score >= *min)
            .unwrap_or(0);
        Scored {
            score,
            probability: self.scaling.probability(score as f64),
            band,
            reasons: reasons.map(|r| r.1),
        }
    }

    /// Reason code texts of a score: `variable: bin label (−points)`.
    pub fn reason_texts(&self, scored: &Scored, values: &[Value]) -> Vec<String> {
        scored
            .reasons
            .iter()
            .flatten()
            .map(|&i| {
                let v = &self.variables[i as usize];
                let bin = self.bin(i as usize, &values[i as usize]);
                format!(
                    "{}: {} (−{})",
                    v.binning.name,
                    v.binning.bins[bin].label,
                    v.max_points() - v.points[bin]
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_round_trips() {
        let s = Scaling::default();
        // factor = 20 / ln 2 = 28.8539; offset = 600 − 28.8539 · ln 50 = 487.1229
        assert!((s.factor() - 28.853_900_8).abs() < 1e-6);
        assert!((s.offset() - 487.122_876).abs() < 1e-5);
        // at 600 the odds are 50:1 → PD = 1/51; 20 points more doubles the odds → 1/101
        assert!((s.probability(600.0) - 1.0 / 51.0).abs() < 1e-12);
        assert!((s.probability(620.0) - 1.0 / 101.0).abs() < 1e-12);
        for pd in [0.01, 0.05, 0.3, 0.9] {
            assert!((s.probability(s.score_at(pd)) - pd).abs() < 1e-12);
        }
        let bands = default_bands(&s);
        assert_eq!(
            bands.iter().map(|b| b.0.as_str()).collect::<Vec<_>>(),
            ["E", "D", "C", "B", "A"]
        );
        assert!(bands.windows(2).all(|w| w[0].1 < w[1].1));
    }
}
