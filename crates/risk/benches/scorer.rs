//! Scores per second of a synthetic 20-variable scorecard.
//!
//! Run: `cargo bench -p loanbook-risk --bench scorer`. Results go to docs/performance.md.

#![allow(clippy::float_arithmetic)]

use divan::{Bencher, black_box, counter::ItemsCount};
use loanbook_risk::scorecard::dataset::{ColumnData, Dataset};
use loanbook_risk::scorecard::model::Value;
use loanbook_risk::scorecard::train::{TrainOptions, fit_model};

fn main() {
    divan::main();
}

/// A synthetic table of 20 numeric variables, each weakly predictive.
fn synthetic(rows: usize) -> Dataset {
    let mut csv = String::new();
    let names: Vec<String> = (0..20).map(|j| format!("x{j}")).collect();
    csv.push_str(&names.join(","));
    csv.push_str(",default\n");
    let mut state: u64 = 0x1234_5678;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 10_000) as f64 / 10_000.0
    };
    for _ in 0..rows {
        let xs: Vec<f64> = (0..20).map(|_| next()).collect();
        let risk: f64 = xs
            .iter()
            .enumerate()
            .map(|(j, x)| x * (1.0 + j as f64 / 10.0))
            .sum::<f64>()
            / 30.0;
        let bad = next() < risk * 0.6;
        let cells: Vec<String> = xs.iter().map(|x| format!("{x:.4}")).collect();
        csv.push_str(&cells.join(","));
        csv.push_str(if bad { ",1\n" } else { ",0\n" });
    }
    Dataset::from_csv(csv.as_bytes(), "default", &[]).expect("synthetic data parses")
}

#[divan::bench(sample_count = 200, sample_size = 2000)]
fn score_20_variables(bencher: Bencher) {
    let data = synthetic(20_000);
    let options = TrainOptions {
        min_iv: 0.0,
        max_correlation: 1.0,
        ..TrainOptions::default()
    };
    let model = fit_model(&data, &options).expect("a model");
    let rows: Vec<Vec<Value>> = (0..1024)
        .map(|i| {
            model
                .variables
                .iter()
                .map(|v| {
                    let column = data
                        .columns
                        .iter()
                        .find(|c| c.name == v.binning.name)
                        .expect("column");
                    match &column.data {
                        ColumnData::Numeric(values) => {
                            values[i].map_or(Value::Missing, Value::Number)
                        }
                        ColumnData::Categorical { .. } => Value::Missing,
                    }
                })
                .collect()
        })
        .collect();
    assert!(
        model.variables.len() >= 15,
        "the synthetic model has {} variables",
        model.variables.len()
    );
    let mut i = 0;
    bencher.counter(ItemsCount::new(1usize)).bench_local(|| {
        i = (i + 1) & 1023;
        black_box(model.score(black_box(&rows[i])))
    });
}
