//! The value axis: a "nice" scale (the rule is in the parent module's docs) and the integer
//! division helpers the charts use.

/// The most steps an axis has (so at most 6 gridlines).
const MAX_STEPS: i128 = 5;

/// The value axis: from `low` to `high` in whole `step`s; `low <= 0 < high`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Scale {
    pub(super) low: i128,
    pub(super) high: i128,
    pub(super) step: i128,
}

impl Scale {
    /// The nice axis that holds 0, `min` and `max` (the rule is in the parent module's docs).
    pub(super) fn nice(min: i128, max: i128) -> Scale {
        let (bottom, top) = (min.min(0), max.max(0));
        let top = if bottom == 0 && top == 0 { 1 } else { top };
        let candidates = (0..=36_u32).flat_map(|k| {
            let power = 10_i128.pow(k);
            [(10, k), (20, k), (25, k), (50, k)]
                .into_iter()
                .filter(|&(m, k)| m != 25 || k > 0)
                .map(move |(m, _)| power * m / 10)
        });
        for step in candidates {
            let below = ceil_div(-bottom, step);
            let above = ceil_div(top, step);
            if below + above <= MAX_STEPS {
                return Scale {
                    low: -below * step,
                    high: above * step,
                    step,
                };
            }
        }
        // Unreachable for sums of i64 values: 10^36 steps cover any of them.
        Scale {
            low: bottom,
            high: top,
            step: top - bottom,
        }
    }

    /// The tick values, bottom up.
    pub(super) fn ticks(&self) -> impl Iterator<Item = i128> + '_ {
        (0..=(self.high - self.low) / self.step).map(|k| self.low + k * self.step)
    }
}

/// The nice scale for `values`, or None when there are none.
pub(super) fn range(values: impl Iterator<Item = i128>) -> Option<Scale> {
    let (min, max) = values.fold(None, |acc: Option<(i128, i128)>, v| {
        Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
    })?;
    Some(Scale::nice(min, max))
}

/// `n / d` rounded half up, for `d > 0`.
pub(super) fn div_round(n: i128, d: i128) -> i128 {
    (2 * n + d).div_euclid(2 * d)
}

/// `n / d` rounded up, for `n >= 0`, `d > 0`.
pub(super) fn ceil_div(n: i128, d: i128) -> i128 {
    (n + d - 1) / d
}
