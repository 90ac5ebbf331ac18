//! Anti-money-laundering screening (反洗钱): a person against a watch list, by exact ID
//! number and by fuzzy name.
//!
//! Names are compared after normalising (case, spaces, `·` and punctuation removed) with
//! the Jaro–Winkler similarity, which suits short names in any script: 王小明 / 王晓明 = 0.80,
//! "Li Wei" / "LI  WEI" = 1. A name match at or above the threshold (default 0.9) is a hit;
//! an equal ID number is always a hit.
#![allow(clippy::float_arithmetic)]

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
    }
}
