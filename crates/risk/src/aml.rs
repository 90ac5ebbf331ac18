//! Anti-money-laundering screening (反洗钱): a person against a watch list, by exact ID
//! number and by fuzzy name.
//!
//! Names are compared after normalising (case, spaces, `·` and punctuation removed) with
//! the Jaro–Winkler similarity, which suits short names in any script: 王小明 / 王晓明 = 0.80,
//! "Li Wei" / "LI  WEI" = 1. A name match at or above the threshold (default 0.9) is a hit;
//! an equal ID number is always a hit.
//!
//! [`screen`] compares the name with every entry: simple, and the reference, but linear in
//! the list (≈ 0.35 µs an entry, 3.5 ms for 10,000). [`WatchIndex`], built once per list
//! version, gives exactly the same hits from [`screen_index`] while computing Jaro–Winkler
//! only for the few entries that can reach the threshold; see [`WatchIndex`] for the bound.
#![allow(clippy::float_arithmetic)]

use std::collections::HashMap;

use serde::Serialize;

/// The default fuzzy-name threshold.
pub const DEFAULT_THRESHOLD: f64 = 0.9;

/// Lower-case letters and digits (and CJK characters) only.
pub fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Jaro–Winkler similarity of two strings, 0 (nothing alike) to 1 (equal).
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_matched = vec![false; a.len()];
    let mut b_matched = vec![false; b.len()];
    let mut matches = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_matched[j] && b[j] == *ca {
                a_matched[i] = true;
                b_matched[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let a_order = a
        .iter()
        .zip(&a_matched)
        .filter(|(_, m)| **m)
        .map(|(c, _)| c);
    let b_order = b
        .iter()
        .zip(&b_matched)
        .filter(|(_, m)| **m)
        .map(|(c, _)| c);
    let transpositions = a_order.zip(b_order).filter(|(x, y)| x != y).count() / 2;
    let m = matches as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64) / m) / 3.0;
    let prefix = a.iter().zip(&b).take(4).take_while(|(x, y)| x == y).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

/// One watch-list entry, as screening sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchEntry {
    /// Entry id.
    pub id: i64,
    /// Normalised name.
    pub name: String,
    /// Keyed hash of the ID number, if the list gives one.
    pub id_number_hash: Option<String>,
}

/// A screening hit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    /// The entry hit.
    pub entry_id: i64,
    /// `id_number` (exact) or `name` (fuzzy).
    pub on: &'static str,
    /// Name similarity (1 for an ID match).
    pub similarity: f64,
}

/// Screens a person (normalised name, keyed hash of the ID number) against `entries`.
pub fn screen(
    name: &str,
    id_number_hash: Option<&str>,
    entries: &[WatchEntry],
    threshold: f64,
) -> Vec<Hit> {
    let name = normalise_name(name);
    let mut hits = Vec::new();
    for e in entries {
        if id_number_hash.is_some() && e.id_number_hash.as_deref() == id_number_hash {
            hits.push(Hit {
                entry_id: e.id,
                on: "id_number",
                similarity: 1.0,
            });
            continue;
        }
        let similarity = jaro_winkler(&name, &e.name);
        if similarity >= threshold {
            hits.push(Hit {
                entry_id: e.id,
                on: "name",
                similarity,
            });
        }
    }
    hits.sort_by(|x, y| y.similarity.total_cmp(&x.similarity));
    hits
}

/// The smallest threshold [`screen_index`] answers from the index. Below it the bound
/// prunes too little to pay (and at 0.4 or less it prunes nothing), so every entry is
/// compared, as [`screen`] does.
pub const INDEX_MIN_THRESHOLD: f64 = 0.7;

/// Slack on the pruning bound: far above floating-point rounding (≈ 1e-16 here), so that no
/// entry whose computed similarity reaches the threshold is ever pruned. It can only let a
/// few more entries through to the full comparison.
const BOUND_SLACK: f64 = 1e-9;

/// What checking a candidate name reads.
#[derive(Clone, Copy, Debug)]
struct NameInfo {
    /// Where the name's token ranks start in [`WatchIndex::tokens`].
    start: usize,
    /// The name's length in characters.
    len: u32,
    /// The name's first 4 characters.
    lead: [Option<char>; 4],
}

/// One character occurrence: the `k`-th (from 1) `c` of a name. The token sets of two
/// names intersect in exactly the multiset intersection of their characters.
type Token = (char, u32);

/// A name in one token's posting list; lists are sorted by (`len`, `pos`, `name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Posting {
    /// The name's length in characters.
    len: u32,
    /// The token's position in the name's tokens ordered by rank.
    pos: u32,
    /// The name's index in [`WatchIndex::names`].
    name: u32,
    /// The name's first character.
    first: char,
    /// The name's token signature (see [`signature_bit`]).
    signature: u64,
}

/// A watch list prepared for [`screen_index`]: the same hits as [`screen`] without
/// comparing the name with every entry.
///
/// # The bound
///
/// [`jaro_winkler`] is `JW = J + p × 0.1 × (1 − J)`, where `p` ≤ 4 is the number of common
/// leading characters and `J` ≤ 1 the Jaro similarity. So `JW ≥ t` needs
/// `J ≥ (t − 0.1 p) / (1 − 0.1 p)`, at worst (p = 4) `J ≥ (t − 0.4) / 0.6`: 0.8333 at the
/// default 0.9, 0.5 at 0.7. With `m` matched characters and lengths `a`, `b`,
/// `J = (m/a + m/b + (m − transpositions)/m) / 3 ≤ (m/a + m/b + 1) / 3`, and `m ≤ s`, the
/// size of the multiset intersection of the two names' characters (each match pairs equal
/// characters at distinct positions). So a hit needs `(s/a + s/b + 1) / 3 ≥ J_min`, that
/// is `s ≥ k(a, b)`, the smallest such count; `k ≥ 1` because no match gives 0, below any
/// indexed threshold; and `k ≤ min(a, b)`, which bounds the lengths worth looking at.
///
/// A name is kept as the set of its character occurrences ([`Token`]) in one global order,
/// rarest first. If two sets share at least `k` tokens, the first shared token lies in the
/// first `a − k + 1` tokens of one and the first `b − k + 1` of the other (at least `k − 1`
/// shared tokens follow it in both) — the prefix filter of set-similarity joins. So, for
/// each length `b`, the candidates are the names of length `b` listed under one of the
/// query's first `a − k + 1` tokens at a position below `b − k + 1`, with `k` for p = 4 if
/// the name starts with the query's first character and for p = 0 if not (postings carry
/// the first character, so the scan tells them apart).
///
/// The prefix filter alone leaves thousands of candidates on a list of distinct pinyin
/// names (a few dozen letters, each in thousands of names). So each posting also carries
/// the name's 64-bit token signature ([`signature_bit`]): one bit for each of the 63
/// commonest tokens and one shared by the rest. The common bits count the shared tokens
/// exactly, plus at most the query's overflow tokens, and the scan keeps only names where
/// that count reaches `k` — reading nothing but the posting it is on. Each candidate left
/// is checked against `s ≥ k` for its own `p`, by merging the token lists, and only those
/// get the full Jaro–Winkler — the very function [`screen`] calls, so the values are equal
/// to the bit. Query characters in no name count as the rarest.
///
/// The similarity depends on the name alone, so the index holds each distinct name once
/// (lists repeat common names and aliases) and a name's hit is a hit on each of its
/// entries.
#[derive(Clone, Debug)]
pub struct WatchIndex {
    /// The list, in its original order (hits are reported in it).
    entries: Vec<WatchEntry>,
    /// Entry indices by keyed ID-number hash, ascending.
    by_id_number: HashMap<String, Vec<u32>>,
    /// The distinct names, in order of first appearance.
    names: Vec<String>,
    /// Each distinct name's entries, ascending.
    name_entries: Vec<Vec<u32>>,
    /// A token's rank in the global order (rarest first, counted over distinct names).
    ranks: HashMap<Token, u32>,
    /// Names listing each token, by rank.
    postings: Vec<Vec<Posting>>,
    /// Every name's token ranks, ascending, one after the other.
    tokens: Vec<u32>,
    /// What the check of a candidate reads, by name, in one place for the cache.
    name_info: Vec<NameInfo>,
    /// The name lengths present, ascending, without 0.
    lengths: Vec<u32>,
    /// The empty name, if listed (similarity 1 to an empty name, 0 to any other).
    empty_name: Option<u32>,
}

impl WatchIndex {
    /// Indexes `entries` (names already normalised, as [`screen`] expects).
    ///
    /// # Panics
    ///
    /// If there are more than `u32::MAX` entries or a name is longer than `u32::MAX`
    /// characters.
    pub fn new(entries: Vec<WatchEntry>) -> WatchIndex {
        assert!(
            u32::try_from(entries.len()).is_ok(),
            "a watch list of {} entries is over the limit of {}",
            entries.len(),
            u32::MAX
        );
        let mut by_id_number: HashMap<String, Vec<u32>> = HashMap::new();
        let mut name_ids: HashMap<&str, u32> = HashMap::new();
        let mut names = Vec::new();
        let mut name_entries: Vec<Vec<u32>> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            if let Some(hash) = &e.id_number_hash {
                by_id_number.entry(hash.clone()).or_default().push(i as u32);
            }
            let id = *name_ids.entry(e.name.as_str()).or_insert_with(|| {
                names.push(e.name.clone());
                name_entries.push(Vec::new());
                (names.len() - 1) as u32
            });
            name_entries[id as usize].push(i as u32);
        }
        let name_tokens: Vec<Vec<Token>> = names.iter().map(|n| tokens_of(n)).collect();
        let mut frequency: HashMap<Token, u32> = HashMap::new();
        for (name, tokens) in names.iter().zip(&name_tokens) {
            assert!(
                u32::try_from(tokens.len()).is_ok(),
                "watch-list name {name:?} of {} characters is over the limit of {}",
                tokens.len(),
                u32::MAX
            );
            for t in tokens {
                *frequency.entry(*t).or_default() += 1;
            }
        }
        // rarest first; ties by the token itself, so the order is total and reproducible
        let mut order: Vec<(u32, Token)> = frequency.into_iter().map(|(t, f)| (f, t)).collect();
        order.sort_unstable();
        let ranks: HashMap<Token, u32> = order
            .iter()
            .enumerate()
            .map(|(rank, (_, t))| (*t, rank as u32))
            .collect();
        let mut postings = vec![Vec::new(); order.len()];
        let mut tokens = Vec::new();
        let mut name_info = Vec::with_capacity(names.len());
        let mut lengths = Vec::new();
        let mut empty_name = None;
        let token_count = order.len() as u32;
        for (id, name_tokens) in name_tokens.iter().enumerate() {
            let mut name_ranks: Vec<u32> = name_tokens
                .iter()
                .filter_map(|t| ranks.get(t).copied())
                .collect();
            assert_eq!(name_ranks.len(), name_tokens.len(), "every token is ranked");
            name_ranks.sort_unstable();
            let len = name_ranks.len() as u32;
            let signature = name_ranks
                .iter()
                .fold(0, |sig, &rank| sig | signature_bit(rank, token_count));
            for (pos, rank) in name_ranks.iter().enumerate() {
                postings[*rank as usize].push(Posting {
                    len,
                    pos: pos as u32,
                    name: id as u32,
                    first: names[id].chars().next().unwrap_or_default(),
                    signature,
                });
            }
            name_info.push(NameInfo {
                start: tokens.len(),
                len,
                lead: lead_of(&names[id]),
            });
            tokens.extend_from_slice(&name_ranks);
            if len == 0 {
                empty_name = Some(id as u32);
            } else {
                lengths.push(len);
            }
        }
        for list in &mut postings {
            list.sort_unstable();
        }
        lengths.sort_unstable();
        lengths.dedup();
        WatchIndex {
            entries,
            by_id_number,
            names,
            name_entries,
            ranks,
            postings,
            tokens,
            name_info,
            lengths,
            empty_name,
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in the order given to [`WatchIndex::new`].
    pub fn entries(&self) -> &[WatchEntry] {
        &self.entries
    }

    /// Distinct names (indices into `names`) that can reach `threshold` against the
    /// normalised `name`, by the bound in [`WatchIndex`]; a superset of the name hits.
    fn name_candidates(&self, name: &str, threshold: f64) -> Vec<u32> {
        let query = tokens_of(name);
        let la = query.len();
        if la == 0 {
            return self.empty_name.into_iter().collect();
        }
        // query order: tokens in no name first (the rarest), then the others by rank
        let mut known: Vec<u32> = query
            .iter()
            .filter_map(|t| self.ranks.get(t).copied())
            .collect();
        known.sort_unstable();
        let unknown = la - known.len();
        // the query's signature, and how many of its tokens share the overflow bit
        let token_count = self.postings.len() as u32;
        let signature = known
            .iter()
            .fold(0, |sig, &rank| sig | signature_bit(rank, token_count));
        let overflow = known
            .iter()
            .filter(|&&rank| signature_bit(rank, token_count) == OVERFLOW_BIT)
            .count() as u32;
        // at least as many as the tokens a name shares with the query
        let most_shared = |theirs: u64| {
            let common = signature & theirs;
            (common & !OVERFLOW_BIT).count_ones()
                + if common & OVERFLOW_BIT == 0 {
                    0
                } else {
                    overflow
                }
        };
        // names starting like the query come from the weakest bound over p (p = 4 for
        // thresholds ≤ 1), the others (p = 0) from the bound for p = 0
        let jaro_by_prefix = [0, 1, 2, 3, 4].map(|p| jaro_needed(threshold, p));
        let jaro_least = jaro_by_prefix.iter().copied().fold(f64::INFINITY, f64::min);
        let first = name.chars().next().unwrap_or_default();
        // how many known query tokens and name tokens are in the prefixes for `k`
        let prefixes = |k: usize, lb: usize| {
            let query = (la - k + 1).saturating_sub(unknown).min(known.len());
            (query, (lb - k + 1) as u32)
        };
        let mut candidates = Vec::new();
        for &lb in &self.lengths {
            let Some(k_alike) = min_shared(la, lb as usize, jaro_least) else {
                continue;
            };
            let (query_alike, name_alike) = prefixes(k_alike, lb as usize);
            let k_other = min_shared(la, lb as usize, jaro_by_prefix[0]);
            let (query_other, name_other) = k_other.map_or((0, 0), |k| prefixes(k, lb as usize));
            let (k_alike, k_other) = (k_alike as u32, k_other.unwrap_or(usize::MAX) as u32);
            for (j, &rank) in known[..query_alike].iter().enumerate() {
                let list = &self.postings[rank as usize];
                let lo = list.partition_point(|p| p.len < lb);
                let hi = list.partition_point(|p| (p.len, p.pos) < (lb, name_alike));
                let other = j < query_other;
                candidates.extend(
                    list[lo..hi]
                        .iter()
                        .filter(|p| {
                            if p.first == first {
                                most_shared(p.signature) >= k_alike
                            } else {
                                other && p.pos < name_other && most_shared(p.signature) >= k_other
                            }
                        })
                        .map(|p| p.name),
                );
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let lead = lead_of(name);
        candidates.retain(|&id| {
            let info = &self.name_info[id as usize];
            let theirs = &self.tokens[info.start..info.start + info.len as usize];
            let prefix = common_prefix(&lead, &info.lead);
            let s = shared(&known, theirs);
            jaro_bound_passes(s, la, theirs.len(), jaro_by_prefix[prefix])
        });
        candidates
    }
}

/// The Jaro similarity a name needs to reach Jaro–Winkler `threshold` with `prefix` (≤ 4)
/// common leading characters, less [`BOUND_SLACK`].
fn jaro_needed(threshold: f64, prefix: usize) -> f64 {
    let boost = 0.1 * prefix as f64;
    (threshold - boost) / (1.0 - boost) - BOUND_SLACK
}

/// The first 4 characters of a name, `None` past its end.
fn lead_of(name: &str) -> [Option<char>; 4] {
    let mut lead = [None; 4];
    for (slot, c) in lead.iter_mut().zip(name.chars()) {
        *slot = Some(c);
    }
    lead
}

/// The number of common leading characters, at most 4, as [`jaro_winkler`] counts them
/// (it stops at the end of the shorter name, where one of the two is `None`).
fn common_prefix(a: &[Option<char>; 4], b: &[Option<char>; 4]) -> usize {
    a.iter()
        .zip(b)
        .take_while(|(x, y)| x.is_some() && x == y)
        .count()
}

/// The signature bit shared by the rarest tokens.
const OVERFLOW_BIT: u64 = 1 << 63;

/// A token's bit in a name's 64-bit signature: the 63 commonest of `token_count` tokens
/// have a bit each, the rarer ones share [`OVERFLOW_BIT`]. So the tokens two names share
/// number exactly the common bits below the overflow bit, plus at most the query's tokens
/// on the overflow bit if both have it — a bound read from the posting alone.
fn signature_bit(rank: u32, token_count: u32) -> u64 {
    let from_commonest = token_count - 1 - rank;
    if from_commonest < 63 {
        1 << from_commonest
    } else {
        OVERFLOW_BIT
    }
}

/// The name's character occurrences, in order: "anna" → (a,1) (n,1) (n,2) (a,2).
fn tokens_of(name: &str) -> Vec<Token> {
    let mut seen: HashMap<char, u32> = HashMap::new();
    name.chars()
        .map(|c| {
            let k = seen.entry(c).or_insert(0);
            *k += 1;
            (c, *k)
        })
        .collect()
}

/// The number of values two ascending lists without repeats share.
fn shared(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Whether `s` shared characters between names of `la` and `lb` characters allow a Jaro
/// similarity of `jaro_min`: `(s/la + s/lb + 1) / 3 ≥ jaro_min`.
fn jaro_bound_passes(s: usize, la: usize, lb: usize, jaro_min: f64) -> bool {
    let s = s as f64;
    (s / la as f64 + s / lb as f64 + 1.0) / 3.0 >= jaro_min
}

/// The smallest count `k` ≥ 1 of shared characters that passes [`jaro_bound_passes`] for
/// lengths `la`, `lb` ≥ 1, or `None` if even `min(la, lb)` does not.
fn min_shared(la: usize, lb: usize, jaro_min: f64) -> Option<usize> {
    let most = la.min(lb);
    if !jaro_bound_passes(most, la, lb, jaro_min) {
        return None;
    }
    // the closed form s ≥ (3 J_min − 1) a b / (a + b), then a step or two to the exact
    // smallest count under the same floating-point test as the check
    let estimate = ((3.0 * jaro_min - 1.0) * la as f64 * lb as f64 / (la + lb) as f64).ceil();
    let mut k = if estimate >= 1.0 {
        (estimate as usize).min(most)
    } else {
        1
    };
    while k > 1 && jaro_bound_passes(k - 1, la, lb, jaro_min) {
        k -= 1;
    }
    while !jaro_bound_passes(k, la, lb, jaro_min) {
        k += 1;
    }
    Some(k)
}

/// Screens a person like [`screen`] — the same hits, in the same order, with the same
/// similarities — using the index: ID numbers by hash look-up, names compared only with
/// the candidates the bound in [`WatchIndex`] leaves. Thresholds below
/// [`INDEX_MIN_THRESHOLD`] (or NaN) compare every entry.
pub fn screen_index(
    name: &str,
    id_number_hash: Option<&str>,
    index: &WatchIndex,
    threshold: f64,
) -> Vec<Hit> {
    if threshold.is_nan() || threshold < INDEX_MIN_THRESHOLD {
        return screen(name, id_number_hash, &index.entries, threshold);
    }
    let name = normalise_name(name);
    let id_hits: &[u32] = id_number_hash
        .and_then(|h| index.by_id_number.get(h))
        .map_or(&[], Vec::as_slice);
    let mut found: Vec<(u32, Hit)> = id_hits
        .iter()
        .map(|&i| {
            let hit = Hit {
                entry_id: index.entries[i as usize].id,
                on: "id_number",
                similarity: 1.0,
            };
            (i, hit)
        })
        .collect();
    for id in index.name_candidates(&name, threshold) {
        let similarity = jaro_winkler(&name, &index.names[id as usize]);
        if similarity < threshold {
            continue;
        }
        for &i in &index.name_entries[id as usize] {
            if id_hits.binary_search(&i).is_ok() {
                continue; // an ID hit already, as in `screen`
            }
            let hit = Hit {
                entry_id: index.entries[i as usize].id,
                on: "name",
                similarity,
            };
            found.push((i, hit));
        }
    }
    // list order first, then the same stable sort as `screen`, so ties come out alike
    found.sort_by_key(|(i, _)| *i);
    let mut hits: Vec<Hit> = found.into_iter().map(|(_, hit)| hit).collect();
    hits.sort_by(|x, y| y.similarity.total_cmp(&x.similarity));
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaro_winkler_known_values() {
        // The textbook pairs: MARTHA/MARHTA 0.9611, DWAYNE/DUANE 0.84, DIXON/DICKSONX 0.8133
        assert!((jaro_winkler("martha", "marhta") - 0.9611).abs() < 1e-4);
        assert!((jaro_winkler("dwayne", "duane") - 0.84).abs() < 1e-4);
        assert!((jaro_winkler("dixon", "dicksonx") - 0.8133).abs() < 1e-4);
        assert_eq!(jaro_winkler("王伟", "王伟"), 1.0);
        // 2 of 3 characters match in place: jaro (2/3 + 2/3 + 1) / 3 = 0.7778, one common
        // leading character: 0.7778 + 0.1 × 0.2222 = 0.8
        assert!((jaro_winkler("王小明", "王晓明") - 0.8).abs() < 1e-9);
        assert_eq!(jaro_winkler("abc", ""), 0.0);
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalise_name("Li  Wei"), "liwei");
        assert_eq!(normalise_name("阿卜杜·热合曼"), "阿卜杜热合曼");
        assert_eq!(
            jaro_winkler(&normalise_name("LI WEI"), &normalise_name("li-wei")),
            1.0
        );
    }

    #[test]
    fn screening_finds_exact_ids_and_close_names() {
        let entries = vec![
            WatchEntry {
                id: 1,
                name: normalise_name("Zhang Sanfeng"),
                id_number_hash: None,
            },
            WatchEntry {
                id: 2,
                name: normalise_name("某某"),
                id_number_hash: Some("h-123".into()),
            },
            WatchEntry {
                id: 3,
                name: normalise_name("Wang Wei"),
                id_number_hash: None,
            },
        ];
        let hits = screen("ZHANG San-feng", None, &entries, DEFAULT_THRESHOLD);
        assert_eq!(
            hits.iter().map(|h| (h.entry_id, h.on)).collect::<Vec<_>>(),
            [(1, "name")]
        );
        let hits = screen("李四", Some("h-123"), &entries, DEFAULT_THRESHOLD);
        assert_eq!(
            hits,
            vec![Hit {
                entry_id: 2,
                on: "id_number",
                similarity: 1.0
            }]
        );
        assert!(screen("Zhao Liu", None, &entries, DEFAULT_THRESHOLD).is_empty());
        let index = WatchIndex::new(entries.clone());
        assert_eq!(index.len(), 3);
        assert!(!index.is_empty());
        assert_eq!(index.entries(), entries.as_slice());
        for (name, id) in [
            ("ZHANG San-feng", None),
            ("李四", Some("h-123")),
            ("Zhao Liu", None),
            ("王小明", None),
        ] {
            for threshold in [0.0, 0.5, 0.7, 0.8, DEFAULT_THRESHOLD, 1.0, 1.1, f64::NAN] {
                assert_eq!(
                    screen_index(name, id, &index, threshold),
                    screen(name, id, &entries, threshold),
                    "{name} at {threshold}"
                );
            }
        }
    }

    #[test]
    fn rare_characters_on_the_overflow_bit_still_hit() {
        // two names of 78 tokens (26 letters three times each) make every CJK character
        // below rarer than 63 tokens, so all of them share the signature's overflow bit
        let forward: String = ('a'..='z').flat_map(|c| [c, c, c]).collect();
        let backward: String = forward.chars().rev().collect();
        let names = [
            forward.as_str(),
            backward.as_str(),
            "甲乙丙丁己",
            "子丑寅卯辰",
        ];
        let entries: Vec<WatchEntry> = names
            .iter()
            .zip(1..)
            .map(|(name, id)| WatchEntry {
                id,
                name: (*name).to_owned(),
                id_number_hash: None,
            })
            .collect();
        let index = WatchIndex::new(entries.clone());
        assert_eq!(index.postings.len(), 78 + 10);
        let token_count = index.postings.len() as u32;
        assert_eq!(
            signature_bit(index.ranks[&('甲', 1)], token_count),
            OVERFLOW_BIT
        );
        // 4 of 5 shared and the same first 4: J = 0.8667, JW = 0.92
        let hits = screen_index("甲乙丙丁戊", None, &index, DEFAULT_THRESHOLD);
        assert_eq!(
            hits,
            screen("甲乙丙丁戊", None, &entries, DEFAULT_THRESHOLD)
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].entry_id, 3);
        assert!((hits[0].similarity - 0.92).abs() < 1e-12);
    }

    #[test]
    fn the_index_handles_empty_names_and_lists() {
        let entries = vec![
            WatchEntry {
                id: 1,
                name: String::new(),
                id_number_hash: Some("h".into()),
            },
            WatchEntry {
                id: 2,
                name: String::new(),
                id_number_hash: None,
            },
            WatchEntry {
                id: 3,
                name: "ab".into(),
                id_number_hash: Some("h".into()),
            },
        ];
        let index = WatchIndex::new(entries.clone());
        for (name, id) in [
            ("", None),
            ("·", Some("h")),
            ("ab", None),
            ("ba", Some("x")),
        ] {
            for threshold in [0.7, 0.9, 1.0] {
                assert_eq!(
                    screen_index(name, id, &index, threshold),
                    screen(name, id, &entries, threshold)
                );
            }
        }
        let empty = WatchIndex::new(Vec::new());
        assert!(empty.is_empty());
        assert!(screen_index("Li Wei", Some("h"), &empty, DEFAULT_THRESHOLD).is_empty());
    }

    #[test]
    fn the_shared_count_bound_is_the_smallest_passing() {
        // 12 and 11 characters at J ≥ 0.8333: s ≥ 1.5 × 12 × 11 / 23 = 8.61, so 9
        assert_eq!(min_shared(12, 11, 5.0 / 6.0 - BOUND_SLACK), Some(9));
        // 12 and 5: even s = 5 gives (5/12 + 1 + 1) / 3 = 0.806 < 0.8333
        assert_eq!(min_shared(12, 5, 5.0 / 6.0 - BOUND_SLACK), None);
        for la in 1..30 {
            for lb in 1..30 {
                for jaro_min in [0.5, 0.6, 0.75, 0.8, 5.0 / 6.0, 0.9, 1.0 - BOUND_SLACK] {
                    let first = (1..=la.min(lb)).find(|&s| jaro_bound_passes(s, la, lb, jaro_min));
                    assert_eq!(min_shared(la, lb, jaro_min), first);
                }
            }
        }
    }

    mod index_matches_brute_force {
        use super::*;
        use proptest::prelude::*;

        /// Latin letters and CJK characters, few enough to share many.
        const ALPHABET: &[char] = &[
            'a', 'e', 'i', 'o', 'u', 'n', 'g', 'h', 'z', 'w', 'l', 'x', '王', '李', '张', '小',
            '明', '晓', '伟', '芳', '热', '合', '曼', '阿',
        ];

        /// 26 Latin letters and 60 CJK characters: more tokens than a signature has bits,
        /// so the rarer ones share its overflow bit.
        fn wide_alphabet() -> &'static [char] {
            static WIDE: std::sync::OnceLock<Vec<char>> = std::sync::OnceLock::new();
            WIDE.get_or_init(|| {
                ('a'..='z')
                    .chain((0..60).filter_map(|i| char::from_u32(0x4E00 + 37 * i)))
                    .collect()
            })
        }

        fn name(alphabet: &'static [char]) -> impl Strategy<Value = String> {
            prop::collection::vec(prop::sample::select(alphabet), 0..14)
                .prop_map(|cs| cs.into_iter().collect())
        }

        /// `query` edited a little: characters replaced, dropped, doubled or swapped.
        fn near(query: String, alphabet: &'static [char]) -> impl Strategy<Value = String> {
            prop::collection::vec(
                (0usize..4, any::<prop::sample::Index>(), 0..alphabet.len()),
                0..3,
            )
            .prop_map(move |edits| {
                let mut cs: Vec<char> = query.chars().collect();
                for (kind, at, c) in edits {
                    if cs.is_empty() {
                        cs.push(alphabet[c]);
                        continue;
                    }
                    let i = at.index(cs.len());
                    match kind {
                        0 => cs[i] = alphabet[c],
                        1 => {
                            cs.remove(i);
                        }
                        2 => cs.insert(i, alphabet[c]),
                        _ => {
                            let j = (i + 1) % cs.len();
                            cs.swap(i, j);
                        }
                    }
                }
                cs.into_iter().collect()
            })
        }

        type Case = (String, Vec<String>, Vec<Option<u8>>, Option<u8>, f64);

        fn case() -> impl Strategy<Value = Case> {
            case_in(ALPHABET)
        }

        fn case_in(alphabet: &'static [char]) -> impl Strategy<Value = Case> {
            name(alphabet).prop_flat_map(move |query| {
                let names = prop::collection::vec(
                    prop_oneof![
                        name(alphabet),
                        near(query.clone(), alphabet),
                        near(query.clone(), alphabet),
                        // names listed more than once
                        prop::sample::select(vec![
                            "wanghua".to_owned(),
                            "王小明".to_owned(),
                            String::new()
                        ]),
                    ],
                    0..60,
                );
                let hashes = prop::collection::vec(prop::option::of(0u8..8), 60);
                (
                    Just(query),
                    names,
                    hashes,
                    prop::option::of(0u8..8),
                    0.7f64..=1.0,
                )
            })
        }

        fn entries(names: &[String], hashes: &[Option<u8>]) -> Vec<WatchEntry> {
            names
                .iter()
                .zip(hashes)
                .enumerate()
                .map(|(i, (name, hash))| WatchEntry {
                    id: i as i64 * 10,
                    name: normalise_name(name),
                    id_number_hash: hash.map(|h| format!("h-{h}")),
                })
                .collect()
        }

        /// The index and the brute force give the same hits for `case`.
        fn same_hits((query, names, hashes, id, threshold): Case) -> Result<(), TestCaseError> {
            let entries = entries(&names, &hashes);
            let index = WatchIndex::new(entries.clone());
            let id = id.map(|h| format!("h-{h}"));
            prop_assert_eq!(
                screen_index(&query, id.as_deref(), &index, threshold),
                screen(&query, id.as_deref(), &entries, threshold)
            );
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2_000))]

            #[test]
            fn same_hits_at_random_thresholds(case in case()) {
                same_hits(case)?;
            }

            #[test]
            fn same_hits_when_rare_characters_share_a_signature_bit(
                case in case_in(wide_alphabet())
            ) {
                same_hits(case)?;
            }

            #[test]
            fn same_hits_at_thresholds_equal_to_a_similarity(
                (query, names, hashes, id, _) in case()
            ) {
                // the threshold exactly at an entry's similarity: the sharpest edge
                let entries = entries(&names, &hashes);
                let index = WatchIndex::new(entries.clone());
                let id = id.map(|h| format!("h-{h}"));
                let q = normalise_name(&query);
                for e in &entries {
                    let threshold = jaro_winkler(&q, &e.name);
                    if threshold >= INDEX_MIN_THRESHOLD {
                        prop_assert_eq!(
                            screen_index(&query, id.as_deref(), &index, threshold),
                            screen(&query, id.as_deref(), &entries, threshold)
                        );
                    }
                }
            }
        }
    }
}
