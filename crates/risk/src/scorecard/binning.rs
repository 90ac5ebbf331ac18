//! Supervised binning, weight of evidence (WoE) and information value (IV).
//!
//! Numeric variables: values are pre-grouped into at most `prebins` groups of about
//! equal size at value boundaries; then the bin whose best split gains the most IV is
//! split, again and again, while a split gains at least `min_iv_gain`, every bin keeps
//! at least `min_bin_share` of the rows, and there are fewer than `max_bins` bins. With
//! monotonic binning the adjacent bins that break the trend of the bad rate are merged
//! (pool-adjacent-violators). Categorical variables: levels rarer than `rare_share`
//! are pooled into `(other)`; the rest are ordered by bad rate and split the same way.
//! Missing values always get their own bin.
//!
//! `WoE = ln(%good / %bad)` with 0.5 added to each count (no infinite WoE for a pure
//! bin); `IV = Σ (%good − %bad) · WoE`. Higher WoE means lower risk.

use serde::{Deserialize, Serialize};

use super::dataset::{Column, ColumnData};

/// The level standing for rare levels pooled together, and for levels never seen.
pub const OTHER: &str = "(other)";

/// Whether bins must have a monotonic bad rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monotonic {
    /// Numeric bins follow the variable's overall trend (direction found from the data).
    Auto,
    /// No constraint.
    None,
}

/// Binning settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinningOptions {
    /// Smallest share of rows in a bin (default 5%).
    pub min_bin_share: f64,
    /// Most bins per variable, not counting the missing bin (default 8).
    pub max_bins: usize,
    /// Pre-bins for numeric variables (default 50).
    pub prebins: usize,
    /// Smallest IV gain for a split (default 0.001).
    pub min_iv_gain: f64,
    /// Categorical levels below this share are pooled (default 2%).
    pub rare_share: f64,
    /// Monotonic bad rate for numeric variables.
    pub monotonic: Monotonic,
}

impl Default for BinningOptions {
    fn default() -> BinningOptions {
        BinningOptions {
            min_bin_share: 0.05,
            max_bins: 8,
            prebins: 50,
            min_iv_gain: 0.001,
            rare_share: 0.02,
            monotonic: Monotonic::Auto,
        }
    }
}

/// How values map to bins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BinRule {
    /// Bin `i` holds values in `[cuts[i-1], cuts[i])` (open ends outside).
    Numeric {
        /// Ascending cut points; `cuts.len() + 1` bins.
        cuts: Vec<f64>,
    },
    /// Bin `i` holds the levels of `groups[i]`.
    Categorical {
        /// Levels of each bin.
        groups: Vec<Vec<String>>,
    },
}

/// One bin with its statistics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Readable label: `[25, 33)`, `own, free`, `missing`.
    pub label: String,
    /// Rows in the bin.
    pub count: usize,
    /// Bads in the bin.
    pub bads: usize,
    /// Weight of evidence.
    pub woe: f64,
    /// The bin's part of the IV.
    pub iv: f64,
}

/// The binning of one variable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariableBinning {
    /// Variable name.
    pub name: String,
    /// Value → bin.
    pub rule: BinRule,
    /// True when the last bin holds missing values.
    pub missing_bin: bool,
    /// Bin for values never seen in training (a missing value without a missing bin, an
    /// unknown level): the `other` bin when there is one, else the riskiest bin.
    pub fallback_bin: usize,
    /// The bins, in order; the missing bin last.
    pub bins: Vec<Bin>,
    /// Information value.
    pub iv: f64,
}

/// Counts of one candidate bin.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    rows: usize,
    bads: usize,
}

impl Counts {
    fn add(self, other: Counts) -> Counts {
        Counts {
            rows: self.rows + other.rows,
            bads: self.bads + other.bads,
        }
    }
}

/// (WoE, IV part) of a bin with `c` counts in a table of `goods` and `bads`.
pub fn woe_iv(bin_goods: usize, bin_bads: usize, goods: usize, bads: usize) -> (f64, f64) {
    let g = (bin_goods as f64 + 0.5) / (goods as f64 + 0.5);
    let b = (bin_bads as f64 + 0.5) / (bads as f64 + 0.5);
    let woe = (g / b).ln();
    (woe, (g - b) * woe)
}

fn iv_of(c: Counts, goods: usize, bads: usize) -> f64 {
    woe_iv(c.rows - c.bads, c.bads, goods, bads).1
}

/// Splits ordered groups into bins: returns the indices where each bin starts.
fn split_ordered(
    groups: &[Counts],
    goods: usize,
    bads: usize,
    min_rows: usize,
    options: &BinningOptions,
) -> Vec<usize> {
    let prefix: Vec<Counts> = std::iter::once(Counts::default())
        .chain(groups.iter().scan(Counts::default(), |acc, g| {
            *acc = acc.add(*g);
            Some(*acc)
        }))
        .collect();
    let range = |a: usize, b: usize| Counts {
        rows: prefix[b].rows - prefix[a].rows,
        bads: prefix[b].bads - prefix[a].bads,
    };
    // best split of [a, b): (gain, k)
    let best = |a: usize, b: usize| -> Option<(f64, usize)> {
        let whole = iv_of(range(a, b), goods, bads);
        (a + 1..b)
            .filter(|&k| range(a, k).rows >= min_rows && range(k, b).rows >= min_rows)
            .map(|k| {
                (
                    iv_of(range(a, k), goods, bads) + iv_of(range(k, b), goods, bads) - whole,
                    k,
                )
            })
            .max_by(|x, y| x.0.total_cmp(&y.0))
    };
    let mut starts = vec![0, groups.len()];
    while starts.len() - 1 < options.max_bins {
        let candidate = starts
            .windows(2)
            .filter_map(|w| best(w[0], w[1]))
            .max_by(|x, y| x.0.total_cmp(&y.0));
        match candidate {
            Some((gain, k)) if gain >= options.min_iv_gain => {
                let at = starts.partition_point(|s| *s < k);
                starts.insert(at, k);
            }
            _ => break,
        }
    }
    starts.pop();
    starts
}

/// Merges adjacent bins until the bad rate moves one way (increasing when `rising`).
fn make_monotonic(mut bins: Vec<(usize, Counts)>, rising: bool) -> Vec<(usize, Counts)> {
    let rate = |c: &Counts| (c.bads as f64 + 0.5) / (c.rows as f64 + 1.0);
    loop {
        let violation = bins.windows(2).position(|w| {
            let (a, b) = (rate(&w[0].1), rate(&w[1].1));
            if rising { b < a } else { b > a }
        });
        match violation {
            Some(i) => {
                let merged = bins[i].1.add(bins[i + 1].1);
                bins[i].1 = merged;
                bins.remove(i + 1);
            }
            None => return bins,
        }
    }
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Bins `column` against `bad`.
pub fn bin_column(column: &Column, bad: &[bool], options: &BinningOptions) -> VariableBinning {
    let total_bads = bad.iter().filter(|b| **b).count();
    let total_goods = bad.len() - total_bads;
    let min_rows = ((bad.len() as f64 * options.min_bin_share).ceil() as usize).max(1);
    let mut missing = Counts::default();
    let (rule, mut bin_counts, labels) = match &column.data {
        ColumnData::Numeric(values) => {
            let mut pairs: Vec<(f64, bool)> = Vec::with_capacity(values.len());
            for (v, b) in values.iter().zip(bad) {
                match v {
                    Some(x) => pairs.push((*x, *b)),
                    None => {
                        missing = missing.add(Counts {
                            rows: 1,
                            bads: usize::from(*b),
                        })
                    }
                }
            }
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            // pre-bins of about equal size, cut only between distinct values
            let target = (pairs.len() / options.prebins.max(1)).max(1);
            let mut groups: Vec<(f64, Counts)> = Vec::new(); // (first value, counts)
            let mut i = 0;
            while i < pairs.len() {
                let start_value = pairs[i].0;
                let mut c = Counts::default();
                let mut j = i;
                while j < pairs.len() && (c.rows < target || pairs[j].0 == pairs[j - 1].0) {
                    c = c.add(Counts {
                        rows: 1,
                        bads: usize::from(pairs[j].1),
                    });
                    j += 1;
                }
                groups.push((start_value, c));
                i = j;
            }
            let counts: Vec<Counts> = groups.iter().map(|g| g.1).collect();
            let starts = split_ordered(&counts, total_goods, total_bads, min_rows, options);
            let mut bins: Vec<(usize, Counts)> = starts
                .iter()
                .enumerate()
                .map(|(n, &s)| {
                    let end = starts.get(n + 1).copied().unwrap_or(counts.len());
                    (
                        s,
                        counts[s..end]
                            .iter()
                            .fold(Counts::default(), |a, c| a.add(*c)),
                    )
                })
                .collect();
            if options.monotonic == Monotonic::Auto && bins.len() > 2 {
                // the trend: bad rate of the lower half against the upper half
                let half = pairs.len() / 2;
                let low = pairs[..half].iter().filter(|p| p.1).count() as f64 / half.max(1) as f64;
                let high = pairs[half..].iter().filter(|p| p.1).count() as f64
                    / (pairs.len() - half).max(1) as f64;
                bins = make_monotonic(bins, high >= low);
            }
            let cuts: Vec<f64> = bins.iter().skip(1).map(|(s, _)| groups[*s].0).collect();
            let mut labels = Vec::new();
            for k in 0..bins.len() {
                let lower = if k == 0 {
                    "-∞".to_owned()
                } else {
                    format_number(cuts[k - 1])
                };
                let upper = cuts.get(k).map_or("+∞".to_owned(), |c| format_number(*c));
                labels.push(format!("[{lower}, {upper})"));
            }
            (
                BinRule::Numeric { cuts },
                bins.into_iter().map(|b| b.1).collect::<Vec<_>>(),
                labels,
            )
        }
        ColumnData::Categorical { codes, levels } => {
            let mut per_level = vec![Counts::default(); levels.len()];
            for (code, b) in codes.iter().zip(bad) {
                let one = Counts {
                    rows: 1,
                    bads: usize::from(*b),
                };
                match code {
                    Some(c) => per_level[*c as usize] = per_level[*c as usize].add(one),
                    None => missing = missing.add(one),
                }
            }
            let rare_rows = (bad.len() as f64 * options.rare_share).ceil() as usize;
            let mut groups: Vec<(Vec<String>, Counts)> = Vec::new();
            let mut rare: (Vec<String>, Counts) = (Vec::new(), Counts::default());
            for (level, c) in levels.iter().zip(&per_level) {
                if c.rows == 0 {
                    continue;
                }
                if c.rows < rare_rows {
                    rare.0.push(level.clone());
                    rare.1 = rare.1.add(*c);
                } else {
                    groups.push((vec![level.clone()], *c));
                }
            }
            if !rare.0.is_empty() {
                rare.0.insert(0, OTHER.to_owned());
                groups.push(rare);
            }
            let rate = |c: &Counts| (c.bads as f64 + 0.5) / (c.rows as f64 + 1.0);
            groups.sort_by(|a, b| rate(&a.1).total_cmp(&rate(&b.1)));
            let counts: Vec<Counts> = groups.iter().map(|g| g.1).collect();
            let starts = split_ordered(&counts, total_goods, total_bads, min_rows, options);
            let mut merged_groups = Vec::new();
            let mut bin_counts = Vec::new();
            for (n, &s) in starts.iter().enumerate() {
                let end = starts.get(n + 1).copied().unwrap_or(groups.len());
                let levels_in: Vec<String> =
                    groups[s..end].iter().flat_map(|g| g.0.clone()).collect();
                bin_counts.push(
                    groups[s..end]
                        .iter()
                        .fold(Counts::default(), |a, g| a.add(g.1)),
                );
                merged_groups.push(levels_in);
            }
            let labels = merged_groups.iter().map(|g| g.join(", ")).collect();
            (
                BinRule::Categorical {
                    groups: merged_groups,
                },
                bin_counts,
                labels,
            )
        }
    };
    let mut labels = labels;
    let missing_bin = missing.rows > 0;
    if missing_bin {
        bin_counts.push(missing);
        labels.push("missing".to_owned());
    }
    let bins: Vec<Bin> = bin_counts
        .iter()
        .zip(labels)
        .map(|(c, label)| {
            let (woe, iv) = woe_iv(c.rows - c.bads, c.bads, total_goods, total_bads);
            Bin {
                label,
                count: c.rows,
                bads: c.bads,
                woe,
                iv,
            }
        })
        .collect();
    let other = match &rule {
        BinRule::Categorical { groups } => groups.iter().position(|g| g.iter().any(|l| l == OTHER)),
        BinRule::Numeric { .. } => None,
    };
    let riskiest = bins
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.woe.total_cmp(&b.1.woe))
        .map_or(0, |(i, _)| i);
    let iv = bins.iter().map(|b| b.iv).sum();
    VariableBinning {
        name: column.name.clone(),
        rule,
        missing_bin,
        fallback_bin: other.unwrap_or(riskiest),
        bins,
        iv,
    }
}

impl VariableBinning {
    /// The bin of a number (missing when `None`).
    pub fn bin_of_number(&self, value: Option<f64>) -> usize {
        match (value, &self.rule) {
            (None, _) if self.missing_bin => self.bins.len() - 1,
            (Some(v), BinRule::Numeric { cuts }) if v.is_finite() => {
                cuts.partition_point(|c| *c <= v)
            }
            _ => self.fallback_bin,
        }
    }

    /// The bin of a text level (missing when `None`).
    pub fn bin_of_level(&self, level: Option<&str>) -> usize {
        match (level, &self.rule) {
            (None, _) if self.missing_bin => self.bins.len() - 1,
            (Some(l), BinRule::Categorical { groups }) => groups
                .iter()
                .position(|g| g.iter().any(|x| x == l))
                .unwrap_or(self.fallback_bin),
            _ => self.fallback_bin,
        }
    }

    /// The bin of every row of `column` (which must be the variable's column).
    pub fn assign(&self, column: &Column) -> Vec<usize> {
        match &column.data {
            ColumnData::Numeric(values) => values.iter().map(|v| self.bin_of_number(*v)).collect(),
            ColumnData::Categorical { codes, levels } => {
                // map each level once
                let level_bins: Vec<usize> =
                    levels.iter().map(|l| self.bin_of_level(Some(l))).collect();
                codes
                    .iter()
                    .map(|c| c.map_or_else(|| self.bin_of_level(None), |c| level_bins[c as usize]))
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn woe_and_iv_by_hand() {
        // a bin with 30 of 70 goods and 20 of 30 bads:
        // %good = 30.5/70.5 = 0.43262, %bad = 20.5/30.5 = 0.67213
        // WoE = ln(0.43262 / 0.67213) = -0.44065; IV part = (0.43262 - 0.67213) × -0.44065 = 0.10554
        let (woe, iv) = woe_iv(30, 20, 70, 30);
        assert!((woe - -0.44065).abs() < 1e-4, "{woe}");
        assert!((iv - 0.10554).abs() < 1e-4, "{iv}");
    }

    fn column(values: Vec<Option<f64>>) -> Column {
        Column {
            name: "x".into(),
            data: ColumnData::Numeric(values),
        }
    }

    #[test]
    fn a_clean_threshold_is_found_and_missing_gets_its_own_bin() {
        // x < 50 is bad, x ≥ 50 good; 10 missing rows
        let mut values = Vec::new();
        let mut bad = Vec::new();
        for i in 0..100 {
            values.push(Some(f64::from(i)));
            bad.push(i < 50);
        }
        for i in 0..10 {
            values.push(None);
            bad.push(i % 2 == 0);
        }
        let b = bin_column(&column(values), &bad, &BinningOptions::default());
        let BinRule::Numeric { cuts } = &b.rule else {
            panic!()
        };
        assert_eq!(cuts, &[50.0]);
        assert!(b.missing_bin);
        assert_eq!(b.bins.last().unwrap().count, 10);
        assert_eq!(b.bin_of_number(None), b.bins.len() - 1);
        assert!(b.bins[b.bin_of_number(Some(10.0))].woe < 0.0);
        assert!(b.bins[b.bin_of_number(Some(90.0))].woe > 0.0);
        assert!(b.iv > 0.5, "{}", b.iv);
        // every bin keeps its share
        assert!(b.bins.iter().take(b.bins.len() - 1).all(|x| x.count >= 6));
    }

    #[test]
    fn monotonic_bins_follow_the_trend() {
        // bad rate falls with x, with noise in the middle
        let values: Vec<Option<f64>> = (0..1000).map(|i| Some(f64::from(i))).collect();
        let bad: Vec<bool> = (0..1000).map(|i| (i * 7919 % 1000) < 600 - i / 2).collect();
        let b = bin_column(&column(values), &bad, &BinningOptions::default());
        let woes: Vec<f64> = b.bins.iter().map(|x| x.woe).collect();
        assert!(woes.windows(2).all(|w| w[1] >= w[0]), "{woes:?}");
    }

    #[test]
    fn rare_levels_are_pooled_and_unknown_levels_fall_back() {
        let levels = vec!["own".to_owned(), "rent".to_owned(), "boat".to_owned()];
        let mut codes = Vec::new();
        let mut bad = Vec::new();
        for i in 0..200 {
            let code = if i == 0 {
                2
            } else if i % 2 == 0 {
                0
            } else {
                1
            };
            codes.push(Some(code));
            bad.push(code == 1 && i % 3 == 0);
        }
        let col = Column {
            name: "housing".into(),
            data: ColumnData::Categorical { codes, levels },
        };
        let b = bin_column(&col, &bad, &BinningOptions::default());
        let BinRule::Categorical { groups } = &b.rule else {
            panic!()
        };
        assert!(
            groups
                .iter()
                .any(|g| g.contains(&"boat".to_owned()) && g.contains(&OTHER.to_owned())),
            "{groups:?}"
        );
        assert_eq!(b.bin_of_level(Some("submarine")), b.fallback_bin);
        assert_eq!(b.bin_of_level(Some("boat")), b.fallback_bin);
    }
}
