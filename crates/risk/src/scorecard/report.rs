//! A validation report a credit committee can read: one HTML page with the model's
//! quality, its bands and variables, and SVG charts (score distribution of goods and
//! bads, ROC, KS) drawn on the server. No scripts, no CDN.

use std::fmt::Write as _;

use super::model::Model;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const W: f64 = 360.0;
const H: f64 = 240.0;
const PAD: f64 = 30.0;

fn frame(title: &str, body: &str) -> String {
    format!(
        "<figure><svg viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{t}\">\
         <rect x=\"{PAD}\" y=\"10\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>{body}</svg><figcaption>{t}</figcaption></figure>",
        W - PAD - 10.0,
        H - PAD - 10.0,
        t = escape(title)
    )
}

fn x_of(fraction: f64) -> f64 {
    PAD + fraction * (W - PAD - 10.0)
}

fn y_of(fraction: f64) -> f64 {
    H - PAD - fraction * (H - PAD - 10.0)
}

fn polyline(points: &[(f64, f64)], colour: &str) -> String {
    let path: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{:.1},{:.1}", x_of(*x), y_of(*y)))
        .collect();
    format!(
        "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
        path.join(" ")
    )
}

/// Cumulative shares of bads and goods as the cut-off score rises.
fn cumulative(scores: &[i64], bad: &[bool]) -> Vec<(i64, f64, f64)> {
    let mut pairs: Vec<(i64, bool)> = scores.iter().copied().zip(bad.iter().copied()).collect();
    pairs.sort_unstable();
    let bads = bad.iter().filter(|b| **b).count().max(1) as f64;
    let goods = (bad.len() as f64 - bads).max(1.0);
    let (mut cb, mut cg) = (0.0, 0.0);
    let mut out = vec![(pairs.first().map_or(0, |p| p.0), 0.0, 0.0)];
    let mut i = 0;
    while i < pairs.len() {
        let s = pairs[i].0;
        while i < pairs.len() && pairs[i].0 == s {
            if pairs[i].1 {
                cb += 1.0
            } else {
                cg += 1.0
            }
            i += 1;
        }
        out.push((s, cb / bads, cg / goods));
    }
    out
}

/// The report page for `model`, with charts from held-out `scores` and `bad`.
pub fn html(model: &Model, scores: &[i64], bad: &[bool]) -> String {
    let m = &model.metrics;
    let curve = cumulative(scores, bad);
    // ROC: share of bads caught (x = goods refused, y = bads refused) as the cut-off rises
    let roc: Vec<(f64, f64)> = curve.iter().map(|(_, b, g)| (*g, *b)).collect();
    let (lo, hi) = (
        curve.first().map_or(0, |c| c.0) as f64,
        curve.last().map_or(1, |c| c.0) as f64,
    );
    let span = (hi - lo).max(1.0);
    let ks_bad: Vec<(f64, f64)> = curve
        .iter()
        .map(|(s, b, _)| ((*s as f64 - lo) / span, *b))
        .collect();
    let ks_good: Vec<(f64, f64)> = curve
        .iter()
        .map(|(s, _, g)| ((*s as f64 - lo) / span, *g))
        .collect();
    // histogram of scores, 20 buckets, goods and bads as shares of their class
    let buckets = 20;
    let mut hist = vec![(0.0f64, 0.0f64); buckets];
    let bads = bad.iter().filter(|b| **b).count().max(1) as f64;
    let goods = (bad.len() as f64 - bads).max(1.0);
    for (s, b) in scores.iter().zip(bad) {
        let k = (((*s as f64 - lo) / span) * buckets as f64)
            .floor()
            .clamp(0.0, buckets as f64 - 1.0) as usize;
        if *b {
            hist[k].1 += 1.0 / bads
        } else {
            hist[k].0 += 1.0 / goods
        }
    }
    let top = hist.iter().map(|h| h.0.max(h.1)).fold(0.01, f64::max);
    let mut bars = String::new();
    let width = (W - PAD - 10.0) / buckets as f64;
    for (k, (g, b)) in hist.iter().enumerate() {
        let x = PAD + k as f64 * width;
        let _ = write!(
            bars,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#2e7d32\" opacity=\"0.6\"/>",
            y_of(g / top),
            width / 2.0,
            y_of(0.0) - y_of(g / top)
        );
        let _ = write!(
            bars,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#c62828\" opacity=\"0.6\"/>",
            x + width / 2.0,
            y_of(b / top),
            width / 2.0,
            y_of(0.0) - y_of(b / top)
        );
    }
    let charts = [
        frame(
            &format!("Score distribution {lo:.0}–{hi:.0}: goods (green), bads (red)"),
            &bars,
        ),
        frame(
            &format!("ROC — AUC {:.4}", m.test_auc),
            &format!(
                "{}{}",
                polyline(&[(0.0, 0.0), (1.0, 1.0)], "#bbb"),
                polyline(&roc, "#1f3a5f")
            ),
        ),
        frame(
            &format!(
                "KS {:.4}: cumulative bads (red) and goods (green) by score",
                m.ks
            ),
            &format!(
                "{}{}",
                polyline(&ks_bad, "#c62828"),
                polyline(&ks_good, "#2e7d32")
            ),
        ),
    ];
    let mut bands = String::new();
    for b in &m.bands {
        let min = if b.min_score == i64::MIN {
            "—".to_owned()
        } else {
            b.min_score.to_string()
        };
        let _ = write!(
            bands,
            "<tr><td>{}</td><td>{min}</td><td>{}</td><td>{}</td><td>{:.2}%</td><td>{:.2}%</td><td>{:.1}%</td><td>{:.1}%</td></tr>",
            escape(&b.band),
            b.count,
            b.bads,
            b.bad_rate * 100.0,
            b.predicted_pd * 100.0,
            b.cumulative_share * 100.0,
            b.cumulative_bads * 100.0
        );
    }
    let mut variables = String::new();
    for v in &model.variables {
        let _ = write!(
            variables,
            "<tr><th colspan=\"5\">{} — IV {:.4}, coefficient {:.4}</th></tr>",
            escape(&v.binning.name),
            v.binning.iv,
            v.coefficient
        );
        for (bin, points) in v.binning.bins.iter().zip(&v.points) {
            let rate = if bin.count == 0 {
                0.0
            } else {
                bin.bads as f64 / bin.count as f64
            };
            let _ = write!(
                variables,
                "<tr><td>{}</td><td>{}</td><td>{:.2}%</td><td>{:.4}</td><td>{points}</td></tr>",
                escape(&bin.label),
                bin.count,
                rate * 100.0,
                bin.woe
            );
        }
    }
    let excluded: String = model
        .excluded
        .iter()
        .map(|(n, why)| format!("<li>{}: {}</li>", escape(n), escape(why)))
        .collect();
    let folds: Vec<String> = m.fold_aucs.iter().map(|a| format!("{a:.4}")).collect();
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{name} — 模型验证报告 validation report</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:24px auto;color:#1d2433}}table{{border-collapse:collapse;margin:12px 0}}\
         td,th{{border:1px solid #ddd;padding:4px 8px;text-align:right}}th{{background:#f0f2f5}}figure{{display:inline-block;margin:8px}}\
         @media print{{figure{{break-inside:avoid}}}}</style></head><body>\
         <h1>{name} — 模型验证报告 / validation report</h1>\
         <table><tr><th>训练样本 rows</th><td>{rows}</td><th>坏账率 bad rate</th><td>{bad_rate:.2}%</td></tr>\
         <tr><th>验证 validation</th><td>{validation}</td><th>AUC (held out)</th><td>{auc:.4}</td></tr>\
         <tr><th>Gini</th><td>{gini:.4}</td><th>KS</th><td>{ks:.4}</td></tr>\
         <tr><th>AUC (training)</th><td>{train_auc:.4}</td><th>fold AUCs</th><td>{folds}</td></tr>\
         <tr><th>scaling</th><td colspan=\"3\">PDO {pdo}, {base} points at {odds}:1 good:bad; base points {base_points}</td></tr>\
         <tr><th>training data SHA-256</th><td colspan=\"3\">{fingerprint}</td></tr></table>\
         {charts}\
         <h2>分数段 Score bands (held out)</h2><table><tr><th>band</th><th>min score</th><th>rows</th><th>bads</th><th>bad rate</th><th>predicted PD</th><th>cum. rows</th><th>cum. bads</th></tr>{bands}</table>\
         <h2>变量 Variables</h2><table><tr><th>bin</th><th>rows</th><th>bad rate</th><th>WoE</th><th>points</th></tr>{variables}</table>\
         <h2>未入模变量 Variables left out</h2><ul>{excluded}</ul></body></html>",
        name = escape(&model.name),
        rows = model.rows,
        bad_rate = model.bad_rate * 100.0,
        validation = escape(&m.validation),
        auc = m.test_auc,
        gini = m.gini,
        ks = m.ks,
        train_auc = m.train_auc,
        folds = folds.join(", "),
        pdo = model.scaling.pdo,
        base = model.scaling.base_score,
        odds = model.scaling.base_odds,
        base_points = model.base_points,
        fingerprint = model.fingerprint,
        charts = charts.join(""),
    )
}
