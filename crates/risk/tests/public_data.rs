//! The scorecard on the public credit data sets in ../shared/data: honest (cross-
//! validated) AUC targets of the credit-model issue.

#![allow(clippy::unwrap_used, clippy::float_arithmetic)]

use std::path::PathBuf;

use loanbook_risk::scorecard::dataset::Dataset;
use loanbook_risk::scorecard::train::{TrainOptions, Validation, train};

/// The shared data sets: `LOANBOOK_SHARED_DATA`, else `../shared/data` beside the
/// repository, else the workplace's `/work/shared/data` (a clone elsewhere still finds them).
fn shared_data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("LOANBOOK_SHARED_DATA") {
        return PathBuf::from(dir);
    }
    let beside: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "..",
        "shared",
        "data",
    ]
    .iter()
    .collect();
    if beside.is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared/data")
}

fn shared(file: &str) -> Vec<u8> {
    let path = shared_data_dir().join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn german_credit_five_fold_auc() {
    let data = Dataset::from_csv(&shared("german_credit.csv"), "default", &[]).unwrap();
    assert_eq!((data.rows(), data.bads()), (1000, 300));
    let options = TrainOptions {
        validation: Validation::KFold { folds: 5 },
        ..TrainOptions::default()
    };
    let model = train(&data, &options).unwrap().model;
    eprintln!(
        "german: cv auc {:.4} folds {:?} train {:.4} ks {:.4} vars {}",
        model.metrics.test_auc,
        model.metrics.fold_aucs,
        model.metrics.train_auc,
        model.metrics.ks,
        model.variables.len()
    );
    assert!(
        model.metrics.test_auc >= 0.78,
        "5-fold AUC {:.4}",
        model.metrics.test_auc
    );
}

#[test]
fn taiwan_credit_card_five_fold_auc() {
    let data = Dataset::from_csv(
        &shared("taiwan_credit_card_default.csv"),
        "default",
        &["id".into()],
    )
    .unwrap();
    assert_eq!(data.rows(), 30_000);
    let options = TrainOptions {
        validation: Validation::KFold { folds: 5 },
        ..TrainOptions::default()
    };
    let model = train(&data, &options).unwrap().model;
    eprintln!(
        "taiwan: cv auc {:.4} folds {:?} train {:.4} ks {:.4} vars {}",
        model.metrics.test_auc,
        model.metrics.fold_aucs,
        model.metrics.train_auc,
        model.metrics.ks,
        model.variables.len()
    );
    assert!(
        model.metrics.test_auc >= 0.765,
        "5-fold AUC {:.4}",
        model.metrics.test_auc
    );
}

#[test]
fn the_shipped_demo_model_reads_and_scores() {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "models",
        "german-demo.json",
    ]
    .iter()
    .collect();
    let model =
        loanbook_risk::scorecard::model::Model::from_json(&std::fs::read_to_string(path).unwrap())
            .unwrap();
    let data = Dataset::from_csv(&shared("german_credit.csv"), "default", &[]).unwrap();
    assert_eq!(
        model.fingerprint, data.fingerprint,
        "the demo model was trained on this file"
    );
    let (scores, _) = loanbook_risk::scorecard::train::score_dataset(&model, &data).unwrap();
    let scores: Vec<f64> = scores.iter().map(|s| *s as f64).collect();
    let auc = loanbook_risk::scorecard::metrics::auc(&scores, &data.bad);
    assert!(
        (auc - model.metrics.train_auc).abs() < 1e-9,
        "{auc} vs {}",
        model.metrics.train_auc
    );
}
