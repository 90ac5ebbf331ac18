//! Application scorecards (风险评价模型): train from a table of past loans, validate
//! honestly, score applicants with reason codes.
//!
//! The pipeline, all pure computation:
//! 1. [`dataset`] — a table of numeric and text columns with a good/bad target;
//! 2. [`binning`] — supervised bins per variable (missing values in their own bin), with
//!    weight of evidence `WoE = ln(%good / %bad)` and information value per bin;
//! 3. [`train`] — variables chosen by IV and WoE correlation, a logistic regression on the
//!    WoE values ([`logistic`]), variables with the wrong sign dropped, points scaled by
//!    PDO / base score / base odds ([`model`]);
//! 4. [`metrics`] — AUC, Gini, KS, PSI, score bands, calibration; k-fold or split validation.
//!
//! Statistics use `f64` — nothing here is money: points are integers, probabilities are
//! estimates. (The workspace warns on float arithmetic to keep it away from money; this
//! module is the one place it belongs.)
#![allow(clippy::float_arithmetic)]

pub mod binning;
pub mod dataset;
pub mod logistic;
pub mod mapping;
pub mod metrics;
pub mod model;
pub mod report;
pub mod train;
