//! Server-rendered SVG charts for the console's reports: line charts, grouped or stacked
//! bars, and a one-bar share chart. Pure functions from values to an inline `<svg>` string
//! (viewBox, `width="100%"`, `role="img"`, a `<title>`) — no scripts, no external fonts or
//! style sheets, every text XML-escaped.
//!
//! Integer arithmetic only (DESIGN.md §3): values are `i64` (money in minor units, ratios in
//! 1/10000 — the caller's `format` writes them as text); pixel coordinates are computed in
//! `i128` and rounded half up to whole viewBox units.
//!
//! The value axis holds 0 and every value. Its step is the smallest of 1, 2, 2.5, 5 × 10^k
//! (2.5 only from 25 up, so steps stay integers) that covers the range in at most 5 steps;
//! the axis then runs over whole steps. That gives 4–6 gridlines whenever the values reach
//! 3 or more away from 0 (one exception: −5..=5 gets 3): 0..=87 → step 20, 0..100;
//! 0..=1234 → step 250, 0..1250; −30..=70 → step 25, −50..75.
//!
//! Category values missing from a series (`values` shorter than `categories`) count as
//! `None`; values past the last category are ignored.

use std::fmt::Write as _;

use crate::console::escape;
use scale::{Scale, ceil_div, div_round, range};

mod scale;

#[cfg(test)]
mod tests;

/// A named series of values, one per category (None: no value, e.g. a vintage cell not reached yet).
#[derive(Clone, Debug)]
pub struct Series {
    /// The name shown in the legend and tooltips.
    pub name: String,
    /// One value per category.
    pub values: Vec<Option<i64>>,
}

/// What a chart shows: category labels along x, series of values, and how to write a value as text (axis ticks, tooltips).
pub struct Chart<'a> {
    /// The chart's title (also its accessible name).
    pub title: &'a str,
    /// The labels along x.
    pub categories: &'a [String],
    /// The series drawn, coloured by index.
    pub series: &'a [Series],
    /// Writes a value as text, e.g. minor units as `1,234.50`.
    pub format: &'a dyn Fn(i64) -> String,
}

const WIDTH: i128 = 720;
const HEIGHT: i128 = 300;
const SHARE_HEIGHT: i128 = 80;
const EMPTY_HEIGHT: i128 = 60;
/// Right edge of the plot area.
const RIGHT: i128 = 708;
/// Bottom edge of the plot area; x labels sit below it.
const BOTTOM: i128 = 268;
/// Baseline of the first legend row; rows are `LEGEND_ROW` apart.
const LEGEND_Y: i128 = 38;
const LEGEND_ROW: i128 = 16;
const LEGEND_ROWS: i128 = 2;
const MAX_X_LABELS: i128 = 12;
/// Okabe–Ito based, distinguishable with the common colour-vision deficiencies.
const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D31", "#4D4D4D",
];
const NO_DATA: &str = "无数据 No data";

/// A line chart (one polyline per series; gaps where values are None; points with <title> tooltips "category · series: value").
pub fn line(chart: &Chart) -> String {
    let n = chart.categories.len();
    let all = (0..n).flat_map(|i| chart.series.iter().filter_map(move |s| value(s, i)));
    let Some(scale) = range(all.map(i128::from)) else {
        return empty(chart.title);
    };
    let (mut out, frame) = frame(chart, scale);
    for (index, series) in chart.series.iter().enumerate() {
        let colour = colour(index);
        out.push_str("<g>");
        let mut run: Vec<(i128, i128)> = Vec::new();
        for i in 0..=n {
            match (i < n).then(|| value(series, i)).flatten() {
                Some(v) => run.push((frame.x_center(i), frame.y(i128::from(v)))),
                None => polyline(&mut out, &std::mem::take(&mut run), colour),
            }
        }
        for (i, v) in (0..n).filter_map(|i| value(series, i).map(|v| (i, v))) {
            let (x, y) = (frame.x_center(i), frame.y(i128::from(v)));
            let tip = tooltip(chart, i, series, v);
            let _ = write!(
                out,
                r#"<circle cx="{x}" cy="{y}" r="3" fill="{colour}"><title>{tip}</title></circle>"#
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// A bar chart: grouped bars per category, or stacked when `stacked`.
pub fn bars(chart: &Chart, stacked: bool) -> String {
    let n = chart.categories.len();
    let scale = if stacked {
        let sums = (0..n).flat_map(|i| {
            let values = || chart.series.iter().filter_map(move |s| value(s, i));
            let up: i128 = values().filter(|v| *v > 0).map(i128::from).sum();
            let down: i128 = values().filter(|v| *v < 0).map(i128::from).sum();
            let any = values().next().is_some();
            any.then_some([up, down]).into_iter().flatten()
        });
        range(sums)
    } else {
        let all = (0..n).flat_map(|i| chart.series.iter().filter_map(move |s| value(s, i)));
        range(all.map(i128::from))
    };
    let Some(scale) = scale else {
        return empty(chart.title);
    };
    let (mut out, frame) = frame(chart, scale);
    let groups = i128::try_from(chart.series.len())
        .unwrap_or(i128::MAX)
        .max(1);
    for i in 0..n {
        let (start, end) = frame.band(i);
        let pad = (end - start) / 10;
        let (start, width) = (start + pad, end - start - 2 * pad);
        let (mut up, mut down) = (0_i128, 0_i128);
        for (k, series) in chart.series.iter().enumerate() {
            let Some(v) = value(series, i) else { continue };
            let (x, w, from, to) = if stacked {
                let acc = if v >= 0 { &mut up } else { &mut down };
                let from = *acc;
                *acc += i128::from(v);
                (start, width, from, *acc)
            } else {
                let k = i128::try_from(k).unwrap_or(i128::MAX);
                let x0 = start + k * width / groups;
                let x1 = start + (k + 1) * width / groups;
                (x0, (x1 - x0).max(1), 0, i128::from(v))
            };
            let (y0, y1) = (frame.y(from), frame.y(to));
            let (y, h) = (y0.min(y1), (y0 - y1).abs());
            let (colour, tip) = (colour(k), tooltip(chart, i, series, v));
            let _ = write!(
                out,
                r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{colour}"><title>{tip}</title></rect>"#
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// One horizontal bar split into parts by value (e.g. the five-tier class shares), with a legend; parts of 0 are skipped.
///
/// Negative parts cannot be drawn as a share and are skipped too. Each part keeps the colour
/// of its index, so the same tier has the same colour whichever parts are empty.
pub fn share_bar(title: &str, parts: &[(String, i64)], format: &dyn Fn(i64) -> String) -> String {
    let total: i128 = parts.iter().map(|p| i128::from(p.1.max(0))).sum();
    if total == 0 {
        return empty(title);
    }
    let (left, right) = (8_i128, WIDTH - 8);
    let mut out = open(title, SHARE_HEIGHT);
    let (mut acc, mut legend_x) = (0_i128, left);
    let mut legend = String::new();
    for (index, (name, v)) in parts.iter().enumerate().filter(|(_, p)| p.1 > 0) {
        let x0 = left + div_round(acc * (right - left), total);
        acc += i128::from(*v);
        let x1 = left + div_round(acc * (right - left), total);
        let tenths = div_round(i128::from(*v) * 1000, total);
        let percent = format!("{}.{}%", tenths / 10, tenths % 10);
        let (colour, w) = (colour(index), x1 - x0);
        let tip = escape(&format!("{name}: {} ({percent})", format(*v)));
        let _ = write!(
            out,
            r#"<rect x="{x0}" y="26" width="{w}" height="22" fill="{colour}"><title>{tip}</title></rect>"#
        );
        let label = format!("{name} {percent}");
        let item = 14 + text_width(&label) + 14;
        if legend_x + item <= WIDTH {
            swatch(&mut legend, legend_x, 70, colour, &label);
        } else if legend_x <= WIDTH {
            legend.push_str(r#"<text x="712" y="70" text-anchor="end">…</text>"#);
        }
        legend_x += item;
    }
    out.push_str(&legend);
    out.push_str("</svg>");
    out
}

/// Where the plot area lies and how values map to it.
struct Frame {
    left: i128,
    top: i128,
    n: i128,
    scale: Scale,
}

impl Frame {
    /// The x range of category `i`'s band.
    fn band(&self, i: usize) -> (i128, i128) {
        let i = i128::try_from(i).unwrap_or(0);
        let edge = |k: i128| self.left + div_round(k * (RIGHT - self.left), self.n);
        (edge(i), edge(i + 1))
    }

    /// The middle of category `i`'s band.
    fn x_center(&self, i: usize) -> i128 {
        let i = i128::try_from(i).unwrap_or(0);
        self.left + div_round((2 * i + 1) * (RIGHT - self.left), 2 * self.n)
    }

    /// The y coordinate of `value`.
    fn y(&self, value: i128) -> i128 {
        let Scale { low, high, .. } = self.scale;
        BOTTOM - div_round((value - low) * (BOTTOM - self.top), high - low)
    }
}

/// Opens the chart: title, legend, gridlines with tick labels, x labels.
fn frame(chart: &Chart, scale: Scale) -> (String, Frame) {
    let mut out = open(chart.title, HEIGHT);
    let (mut x, mut row) = (8_i128, 0_i128);
    for (index, series) in chart.series.iter().enumerate() {
        let item = 14 + text_width(&series.name) + 14;
        if x + item > WIDTH && x > 8 {
            (x, row) = (8, row + 1);
        }
        if row == LEGEND_ROWS {
            let y = LEGEND_Y + (LEGEND_ROWS - 1) * LEGEND_ROW;
            let _ = write!(out, r#"<text x="712" y="{y}" text-anchor="end">…</text>"#);
            row -= 1;
            break;
        }
        swatch(
            &mut out,
            x,
            LEGEND_Y + row * LEGEND_ROW,
            colour(index),
            &series.name,
        );
        x += item;
    }
    let top = LEGEND_Y + row * LEGEND_ROW + 14;
    let labels: Vec<(i128, String)> = scale
        .ticks()
        .map(|t| (t, (chart.format)(clamp(t))))
        .collect();
    let widest = labels.iter().map(|(_, l)| text_width(l)).max().unwrap_or(0);
    let left = (widest + 14).clamp(40, 240);
    let n = i128::try_from(chart.categories.len()).unwrap_or(1).max(1);
    let frame = Frame {
        left,
        top,
        n,
        scale,
    };
    for (t, label) in &labels {
        let y = frame.y(*t);
        let stroke = if *t == 0 { "#9aa3b2" } else { "#e3e6eb" };
        let (tx, ty, label) = (left - 6, y + 4, escape(label));
        let _ = write!(
            out,
            r##"<line x1="{left}" y1="{y}" x2="{RIGHT}" y2="{y}" stroke="{stroke}"/><text x="{tx}" y="{ty}" text-anchor="end" fill="#4b5563">{label}</text>"##
        );
    }
    let widest = chart.categories.iter().map(|c| text_width(c)).max();
    for i in x_labels(n, widest.unwrap_or(0), RIGHT - left) {
        let i = usize::try_from(i).unwrap_or(0);
        let (x, label) = (frame.x_center(i), escape(&chart.categories[i]));
        let y = BOTTOM + 16;
        let _ = write!(
            out,
            r##"<text x="{x}" y="{y}" text-anchor="middle" fill="#4b5563">{label}</text>"##
        );
    }
    (out, frame)
}

/// Which of `n` categories get an x label: every `stride`-th, with the stride such that at
/// most `MAX_X_LABELS` show and labels `widest` wide don't touch; always the first and the
/// last (the one before the last makes way when it is closer than a stride).
fn x_labels(n: i128, widest: i128, plot_width: i128) -> Vec<i128> {
    let by_count = ceil_div(n, MAX_X_LABELS);
    let by_width = ceil_div((widest + 8) * n, plot_width.max(1));
    let stride = by_count.max(by_width).max(1);
    let mut shown: Vec<i128> = (0..n)
        .step_by(usize::try_from(stride).unwrap_or(1))
        .collect();
    if shown.last().is_some_and(|&i| i != n - 1) {
        if shown.len() > 1 && shown.last().is_some_and(|&i| n - 1 - i < stride) {
            shown.pop();
        }
        shown.push(n - 1);
    }
    shown
}

/// The `<svg>` start tag, the accessible title and the visible title.
fn open(title: &str, height: i128) -> String {
    let title = escape(title);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" font-family="system-ui,sans-serif" font-size="11" fill="#1d2433"><title>{title}</title><text x="8" y="16" font-size="13" font-weight="600">{title}</text>"##
    )
}

/// The small chart for no data.
fn empty(title: &str) -> String {
    let mut out = open(title, EMPTY_HEIGHT);
    let _ = write!(
        out,
        r##"<text x="360" y="42" text-anchor="middle" fill="#6b7280">{NO_DATA}</text></svg>"##
    );
    out
}

/// A polyline through `points`; a single point gets none (its circle shows it).
fn polyline(out: &mut String, points: &[(i128, i128)], colour: &str) {
    if points.len() < 2 {
        return;
    }
    let points: Vec<String> = points.iter().map(|(x, y)| format!("{x},{y}")).collect();
    let points = points.join(" ");
    let _ = write!(
        out,
        r#"<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>"#
    );
}

/// A legend entry: a colour square and its label, baseline at `y`.
fn swatch(out: &mut String, x: i128, y: i128, colour: &str, label: &str) {
    let (ry, tx, label) = (y - 9, x + 14, escape(label));
    let _ = write!(
        out,
        r#"<rect x="{x}" y="{ry}" width="10" height="10" fill="{colour}"/><text x="{tx}" y="{y}">{label}</text>"#
    );
}

/// The escaped tooltip "category · series: value".
fn tooltip(chart: &Chart, i: usize, series: &Series, v: i64) -> String {
    let category = &chart.categories[i];
    escape(&format!(
        "{category} · {}: {}",
        series.name,
        (chart.format)(v)
    ))
}

/// Series value at category `i`, missing values counting as None.
fn value(series: &Series, i: usize) -> Option<i64> {
    series.values.get(i).copied().flatten()
}

fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// A rough width of `text` at font size 11: 6 units a Latin character, 11 a CJK one.
fn text_width(text: &str) -> i128 {
    text.chars()
        .map(|c| if c.is_ascii() { 6 } else { 11 })
        .sum()
}

/// A tick value as the `i64` the caller formats (saturating; only reachable for stacked
/// sums beyond the i64 range).
fn clamp(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}
