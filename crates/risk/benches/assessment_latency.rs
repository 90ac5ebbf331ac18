//! Per-call latency of the whole in-memory risk assessment (anti-fraud rules against 1,000
//! recent applications, AML screening, the demo scorecard, the demo credit policy and the
//! credit decision) as percentiles, against the target p99 < 2 ms.
//!
//! divan reports means and medians of batches; a latency target needs the tail of single
//! calls, so this bench times each assessment with [`Instant`] over 20,000 varied
//! applicants (a quarter named like a listed person) and sorts the durations. The indexed
//! screening runs on the original benchmark's watch lists (three of 20 pinyin syllables, so
//! at most 8,000 distinct names) of 10,000, 100,000 and 200,000 entries, and on lists of
//! 100,000 and 200,000 nearly all distinct names; the brute-force screening runs once, on
//! 10,000 entries and fewer calls, for comparison. The `names` column counts the distinct
//! names. PASS needs every indexed run on a list of up to 100,000 entries under the
//! target; the 200,000-entry lists are reported beside it.
//!
//! History (2 shared cores): when the index was added it filtered by a prefix of rare
//! characters alone, and the lists of distinct names were its worst case — p99 ≈ 1.4–2.7 ms
//! at 100,000 and ≈ 4.7 ms at 200,000 — because a pinyin name shares most letters with
//! thousands of others. The token signature in each posting (see
//! `loanbook_risk::aml::WatchIndex`) took them to ≈ 0.4 ms and ≈ 0.8 ms.
//!
//! Run: `cargo bench -p loanbook-risk --bench assessment_latency [-- --json]`.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{Fixture, Screening, WatchNames};

/// The target for the 99th percentile.
const TARGET_P99: Duration = Duration::from_millis(2);

/// Assessments timed per indexed run.
const COUNT: usize = 20_000;

/// Assessments timed for the brute-force comparison (each takes milliseconds).
const BRUTE_FORCE_COUNT: usize = 2_000;

/// Untimed assessments before each run, to warm caches and the allocator.
const WARM_UP: usize = 1_000;

/// One run: a watch-list size, a screening, and what was measured.
/// The longest watch list the p99 target is held to.
const TARGET_MAX_ENTRIES: usize = 100_000;

struct Run {
    entries: usize,
    distinct_names: usize,
    screening: Screening,
    count: usize,
    aml_hit_count: usize,
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
}

impl Run {
    fn screening_name(&self) -> &'static str {
        match self.screening {
            Screening::Index => "index",
            Screening::BruteForce => "brute force",
        }
    }
}

/// The nearest-rank percentile `pct` of ascending `sorted` (not empty).
fn percentile(sorted: &[Duration], pct: usize) -> Duration {
    let rank = (sorted.len() * pct).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// Times `count` assessments against a fresh fixture of `entries` entries.
fn run(entries: usize, names: WatchNames, screening: Screening, count: usize) -> Run {
    let f = Fixture::with_names(entries, names);
    let mut distinct: Vec<&str> = f.watch_list.iter().map(|e| e.name.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let distinct_names = distinct.len();
    let others = f.others();
    let applicants = f.applicants(count + WARM_UP, 0x2545_f491_4f6c_dd1d);
    let (warm_up, timed) = applicants.split_at(WARM_UP);
    for a in warm_up {
        black_box(f.assess(a, &others, screening));
    }
    let mut durations = Vec::with_capacity(count);
    let mut aml_hit_count = 0;
    for a in timed {
        let start = Instant::now();
        let assessment = black_box(f.assess(black_box(a), &others, screening));
        durations.push(start.elapsed());
        aml_hit_count += usize::from(assessment.aml_hits > 0);
    }
    durations.sort_unstable();
    Run {
        entries,
        distinct_names,
        screening,
        count,
        aml_hit_count,
        p50: percentile(&durations, 50),
        p90: percentile(&durations, 90),
        p99: percentile(&durations, 99),
        max: durations[durations.len() - 1],
    }
}

/// Microseconds, for the JSON report.
#[allow(clippy::float_arithmetic)]
fn micros_f64(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Microseconds to one decimal place, without float arithmetic.
fn micros(d: Duration) -> String {
    let tenths = d.as_nanos() / 100;
    format!("{}.{}", tenths / 10, tenths % 10)
}

fn main() {
    // cargo passes `--bench`; only `--json` means anything here
    let json = std::env::args().any(|a| a == "--json");
    let runs = [
        run(10_000, WatchNames::Pinyin3, Screening::Index, COUNT),
        run(100_000, WatchNames::Pinyin3, Screening::Index, COUNT),
        run(200_000, WatchNames::Pinyin3, Screening::Index, COUNT),
        run(100_000, WatchNames::Varied, Screening::Index, COUNT),
        run(200_000, WatchNames::Varied, Screening::Index, COUNT),
        run(
            10_000,
            WatchNames::Pinyin3,
            Screening::BruteForce,
            BRUTE_FORCE_COUNT,
        ),
    ];
    // The target holds for watch lists up to TARGET_MAX_ENTRIES; longer lists of distinct
    // names are reported beside it (see docs/performance.md).
    let pass = runs
        .iter()
        .filter(|r| r.screening == Screening::Index && r.entries <= TARGET_MAX_ENTRIES)
        .all(|r| r.p99 < TARGET_P99);
    let verdict = if pass {
        "PASS p99 < 2 ms for watch lists up to 100,000 entries"
    } else {
        "FAIL"
    };
    if json {
        let rows: Vec<serde_json::Value> = runs
            .iter()
            .map(|r| {
                serde_json::json!({
                    "entries": r.entries,
                    "distinct_names": r.distinct_names,
                    "screening": r.screening_name(),
                    "count": r.count,
                    "aml_hit_count": r.aml_hit_count,
                    "p50_us": micros_f64(r.p50),
                    "p90_us": micros_f64(r.p90),
                    "p99_us": micros_f64(r.p99),
                    "max_us": micros_f64(r.max),
                })
            })
            .collect();
        let report = serde_json::json!({
            "target_p99_us": micros_f64(TARGET_P99),
            "pass": pass,
            "verdict": verdict,
            "runs": rows,
        });
        println!("{report:#}");
        return;
    }
    println!(
        "{:>8}  {:>8}  {:<11}  {:>6}  {:>8}  {:>9}  {:>9}  {:>9}  {:>9}",
        "entries",
        "names",
        "screening",
        "count",
        "aml hits",
        "p50 µs",
        "p90 µs",
        "p99 µs",
        "max µs"
    );
    for r in &runs {
        println!(
            "{:>8}  {:>8}  {:<11}  {:>6}  {:>8}  {:>9}  {:>9}  {:>9}  {:>9}",
            r.entries,
            r.distinct_names,
            r.screening_name(),
            r.count,
            r.aml_hit_count,
            micros(r.p50),
            micros(r.p90),
            micros(r.p99),
            micros(r.max)
        );
    }
    println!("{verdict}");
}
