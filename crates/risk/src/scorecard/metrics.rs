//! How well scores separate goods from bads: AUC, Gini, KS, PSI, bands, calibration.
//! Scores here are "higher is safer" (scorecard points).

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// The area under the ROC curve: the chance that a random good scores above a random
/// bad (ties count half). 0.5 is chance, 1 is perfect.
pub fn auc(scores: &[f64], bad: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let (mut rank_sum_goods, mut goods, mut i) = (0.0, 0usize, 0);
    while i < order.len() {
        let mut j = i;
        while j < order.len() && scores[order[j]] == scores[order[i]] {
            j += 1;
        }
        let average_rank = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            if !bad[k] {
                rank_sum_goods += average_rank;
                goods += 1;
            }
        }
        i = j;
    }
    let bads = scores.len() - goods;
    if goods == 0 || bads == 0 {
        return 0.5;
    }
    (rank_sum_goods - (goods * (goods + 1)) as f64 / 2.0) / (goods as f64 * bads as f64)
}

/// Gini = 2·AUC − 1.
pub fn gini(auc: f64) -> f64 {
    2.0 * auc - 1.0
}

/// Kolmogorov–Smirnov: the largest gap between the cumulative shares of bads and goods
/// over the score, and the score where it occurs.
pub fn ks(scores: &[f64], bad: &[bool]) -> (f64, f64) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let bads = bad.iter().filter(|b| **b).count() as f64;
    let goods = scores.len() as f64 - bads;
    let (mut cum_bad, mut cum_good, mut best, mut at) = (0.0, 0.0, 0.0, f64::NAN);
    let mut i = 0;
    while i < order.len() {
        let s = scores[order[i]];
        while i < order.len() && scores[order[i]] == s {
            if bad[order[i]] {
                cum_bad += 1.0
            } else {
                cum_good += 1.0
            }
            i += 1;
        }
        let gap = (cum_bad / bads.max(1.0) - cum_good / goods.max(1.0)).abs();
        if gap > best {
            best = gap;
            at = s;
        }
    }
    (best, at)
}

/// Population stability index of `actual` against `expected`, over the deciles of
/// `expected`: Σ (a% − e%) · ln(a% / e%), with 0.0001 floors. Below 0.1 is stable, above
/// 0.25 is a shift.
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    let mut sorted = expected.to_vec();
    sorted.sort_by(f64::total_cmp);
    let cuts: Vec<f64> = (1..10)
        .map(|k| sorted[(sorted.len() * k / 10).min(sorted.len().saturating_sub(1))])
        .collect();
    psi_with_cuts(expected, actual, &cuts)
}

/// PSI over the bins given by ascending `cuts`.
pub fn psi_with_cuts(expected: &[f64], actual: &[f64], cuts: &[f64]) -> f64 {
    let shares = |xs: &[f64]| {
        let mut counts = vec![0usize; cuts.len() + 1];
        for x in xs {
            counts[cuts.partition_point(|c| c <= x)] += 1;
        }
        counts
            .into_iter()
            .map(|c| (c as f64 / xs.len().max(1) as f64).max(0.0001))
            .collect::<Vec<_>>()
    };
    let (e, a) = (shares(expected), shares(actual));
    e.iter().zip(&a).map(|(e, a)| (a - e) * (a / e).ln()).sum()
}

/// PSI of `actual` scores against a training distribution known by its decile `cuts`
/// (nine ascending cuts: each of the ten bins held 10% of the training scores).
pub fn psi_against_deciles(cuts: &[f64], actual: &[f64]) -> f64 {
    let bins = cuts.len() + 1;
    let mut counts = vec![0usize; bins];
    for x in actual {
        counts[cuts.partition_point(|c| c <= x)] += 1;
    }
    let expected = 1.0 / bins as f64;
    counts
        .into_iter()
        .map(|c| {
            let a = (c as f64 / actual.len().max(1) as f64).max(0.0001);
            (a - expected) * (a / expected).ln()
        })
        .sum()
}

/// The lowest whole score of each training decile bin above the first: a whole score
/// `s` is in the bin of the cuts `c ≤ s`, that is of the cuts with `⌈c⌉ ≤ s`. `None`
/// unless there are nine cuts. For reports that band live scores like training.
pub fn decile_floors(cuts: &[f64]) -> Option<Vec<i64>> {
    (cuts.len() == 9 && cuts.iter().all(|c| c.is_finite()))
        .then(|| cuts.iter().map(|c| c.ceil() as i64).collect())
}

/// PSI of whole-number `scores` against the training decile `cuts`
/// ([`psi_against_deciles`]), half up to 4 places: the exact value reports carry. `None`
/// without nine cuts or without scores.
pub fn psi_of_scores(cuts: &[f64], scores: &[i64]) -> Option<Decimal> {
    if cuts.len() != 9 || scores.is_empty() {
        return None;
    }
    let actual: Vec<f64> = scores.iter().map(|s| *s as f64).collect();
    let psi = Decimal::from_f64_retain(psi_against_deciles(cuts, &actual))?;
    let mut psi = psi.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
    psi.rescale(4);
    Some(psi)
}

/// PSI of one month's live scores against training.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MonthDrift {
    /// `YYYY-MM`.
    pub month: String,
    /// Scores that month.
    pub count: usize,
    /// Mean score.
    pub mean_score: f64,
    /// Population stability index against the training deciles (< 0.1 stable, > 0.25 shift).
    pub psi: f64,
}

/// Groups `(YYYY-MM-DD, score)` pairs by month and measures each month's PSI against the
/// training decile `cuts`; `None` when the model has no deciles.
pub fn drift_by_month(cuts: &[f64], scores: &[(String, i64)]) -> Option<Vec<MonthDrift>> {
    if cuts.len() != 9 {
        return None;
    }
    let mut by_month: std::collections::BTreeMap<String, Vec<f64>> =
        std::collections::BTreeMap::new();
    for (date, score) in scores {
        by_month
            .entry(date.chars().take(7).collect())
            .or_default()
            .push(*score as f64);
    }
    Some(
        by_month
            .into_iter()
            .map(|(month, s)| MonthDrift {
                count: s.len(),
                mean_score: s.iter().sum::<f64>() / s.len() as f64,
                psi: psi_against_deciles(cuts, &s),
                month,
            })
            .collect(),
    )
}

/// One row of a score-band table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandRow {
    /// Band name.
    pub band: String,
    /// Lowest score in the band.
    pub min_score: i64,
    /// Rows.
    pub count: usize,
    /// Bads.
    pub bads: usize,
    /// Observed bad rate.
    pub bad_rate: f64,
    /// Mean predicted probability of default (calibration).
    pub predicted_pd: f64,
    /// Cumulative share of all rows from the riskiest band up to this one.
    pub cumulative_share: f64,
    /// Cumulative share of all bads from the riskiest band up to this one.
    pub cumulative_bads: f64,
}

/// Tallies `scores` into bands given as (name, lowest score), ordered from the
/// riskiest (lowest) up.
pub fn band_table(
    bands: &[(String, i64)],
    scores: &[i64],
    pds: &[f64],
    bad: &[bool],
) -> Vec<BandRow> {
    let total = scores.len().max(1) as f64;
    let total_bads = bad.iter().filter(|b| **b).count().max(1) as f64;
    let mut rows: Vec<BandRow> = bands
        .iter()
        .map(|(name, min)| BandRow {
            band: name.clone(),
            min_score: *min,
            count: 0,
            bads: 0,
            bad_rate: 0.0,
            predicted_pd: 0.0,
            cumulative_share: 0.0,
            cumulative_bads: 0.0,
        })
        .collect();
    for ((s, pd), b) in scores.iter().zip(pds).zip(bad) {
        let index = bands.iter().rposition(|(_, min)| s >= min).unwrap_or(0);
        rows[index].count += 1;
        rows[index].bads += usize::from(*b);
        rows[index].predicted_pd += pd;
    }
    let (mut cum, mut cum_bads) = (0.0, 0.0);
    for r in &mut rows {
        cum += r.count as f64;
        cum_bads += r.bads as f64;
        r.bad_rate = if r.count == 0 {
            0.0
        } else {
            r.bads as f64 / r.count as f64
        };
        r.predicted_pd = if r.count == 0 {
            0.0
        } else {
            r.predicted_pd / r.count as f64
        };
        r.cumulative_share = cum / total;
        r.cumulative_bads = cum_bads / total_bads;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_and_ks_by_hand() {
        // goods score 3, 4, 5; bads score 1, 2, 4.
        // pairs (good > bad): 3>{1,2}=2, 4>{1,2}+tie 4=2.5, 5>{1,2,4}=3 → 7.5 of 9 = 0.8333
        let scores = [3.0, 4.0, 5.0, 1.0, 2.0, 4.0];
        let bad = [false, false, false, true, true, true];
        assert!((auc(&scores, &bad) - 7.5 / 9.0).abs() < 1e-12);
        assert!((gini(7.5 / 9.0) - 6.0 / 9.0).abs() < 1e-12);
        // cumulative from the lowest score: after 2 → bads 2/3, goods 0 → KS 0.6667 at 2
        let (ks, at) = ks(&scores, &bad);
        assert!((ks - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(at, 2.0);
        assert_eq!(auc(&[1.0, 2.0], &[true, true]), 0.5);
    }

    #[test]
    fn psi_by_hand() {
        // expected shares 50/50 across the cut 10; actual 80/20:
        // (0.8−0.5)·ln(0.8/0.5) + (0.2−0.5)·ln(0.2/0.5) = 0.14100 + 0.27489 = 0.41589
        let expected = [5.0, 5.0, 15.0, 15.0];
        let actual = [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 15.0, 15.0];
        let v = psi_with_cuts(&expected, &actual, &[10.0]);
        assert!((v - 0.41589).abs() < 1e-4, "{v}");
        assert!(psi(&expected, &expected).abs() < 1e-12);
    }

    #[test]
    fn psi_against_training_deciles() {
        // scores spread evenly over the training deciles: no shift
        let cuts: Vec<f64> = (1..10).map(|k| f64::from(k) * 10.0).collect();
        let even: Vec<f64> = (0..100).map(|i| f64::from(i) + 0.5).collect();
        assert!(psi_against_deciles(&cuts, &even).abs() < 1e-12);
        // all scores in the top decile: (1 − 0.1)·ln(10) + 9 × (0.0001 − 0.1)·ln(0.001) = 8.28
        let shifted = vec![95.0; 50];
        let v = psi_against_deciles(&cuts, &shifted);
        assert!((v - 8.28).abs() < 0.01, "{v}");
    }

    #[test]
    fn live_scores_are_banded_and_measured_like_training() {
        let cuts = [
            467.0, 484.0, 497.0, 510.0, 523.0, 535.0, 546.0, 562.0, 580.5,
        ];
        let floors = decile_floors(&cuts).unwrap();
        assert_eq!(floors, [467, 484, 497, 510, 523, 535, 546, 562, 581]);
        assert_eq!(decile_floors(&cuts[..3]), None);
        // one score per training bin: no shift
        let even = [400, 470, 490, 500, 515, 530, 540, 550, 570, 600];
        assert_eq!(psi_of_scores(&cuts, &even).unwrap().to_string(), "0.0000");
        // all in the lowest bin: (1 − 0.1)·ln(10) + 9 × (0.0001 − 0.1)·ln(0.001)
        // = 2.07233 + 9 × 0.69009 = 8.2831
        let low = psi_of_scores(&cuts, &[400; 20]).unwrap();
        assert_eq!(low.to_string(), "8.2831");
        assert_eq!(psi_of_scores(&cuts, &[]), None);
        assert_eq!(psi_of_scores(&[], &[500]), None);
    }

    #[test]
    fn bands_tally() {
        let bands = vec![
            ("E".to_owned(), i64::MIN),
            ("C".to_owned(), 500),
            ("A".to_owned(), 600),
        ];
        let rows = band_table(
            &bands,
            &[450, 520, 610, 650],
            &[0.3, 0.1, 0.02, 0.01],
            &[true, false, false, false],
        );
        assert_eq!(rows.iter().map(|r| r.count).collect::<Vec<_>>(), [1, 1, 2]);
        assert_eq!(rows[0].bad_rate, 1.0);
        assert!((rows[2].predicted_pd - 0.015).abs() < 1e-12);
        assert_eq!(rows[2].cumulative_share, 1.0);
    }
}
