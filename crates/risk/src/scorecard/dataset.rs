//! A training table: columns of numbers or text, missing cells, and a 0/1 target.

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Most rows a table may have.
pub const MAX_ROWS: usize = 2_000_000;
/// Most columns a table may have.
pub const MAX_COLUMNS: usize = 500;

/// The values of one column.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnData {
    /// Numbers; `None` is missing.
    Numeric(Vec<Option<f64>>),
    /// Text as codes into `levels`; `None` is missing.
    Categorical {
        /// Level of each row.
        codes: Vec<Option<u32>>,
        /// The distinct texts.
        levels: Vec<String>,
    },
}

/// A named column.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Header name.
    pub name: String,
    /// Values.
    pub data: ColumnData,
}

/// A table with a target: `bad[i]` is true when row `i` defaulted.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Candidate variables.
    pub columns: Vec<Column>,
    /// The target (true = bad / default).
    pub bad: Vec<bool>,
    /// SHA-256 of the source bytes.
    pub fingerprint: String,
}

/// A cell or structure that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{}{}{rule}", row.map(|r| format!("row {r}: ")).unwrap_or_default(), column.as_ref().map(|c| format!("column {c}: ")).unwrap_or_default())]
pub struct DataError {
    /// The row (the header is row 1).
    pub row: Option<usize>,
    /// The column.
    pub column: Option<String>,
    /// What is wrong.
    pub rule: String,
}

fn error(row: Option<usize>, column: Option<&str>, rule: impl Into<String>) -> DataError {
    DataError {
        row,
        column: column.map(str::to_owned),
        rule: rule.into(),
    }
}

/// Reads a target cell: 1/0, bad/good, yes/no, true/false (any case).
pub fn parse_target(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "bad" | "yes" | "true" | "default" => Some(true),
        "0" | "good" | "no" | "false" => Some(false),
        _ => None,
    }
}

impl Dataset {
    /// Reads CSV text: a header row; a column is numeric when its first non-empty cell is
    /// a number, and then every non-empty cell must be one; an empty cell is missing.
    ///
    /// # Errors
    /// The first problem, with its row and column: no header, a missing or unknown
    /// target, a bad target value, text in a numeric column, ragged rows, no rows, or a
    /// target with only one class.
    pub fn from_csv(bytes: &[u8], target: &str, exclude: &[String]) -> Result<Dataset, DataError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let headers = reader
            .headers()
            .map_err(|e| error(Some(1), None, format!("cannot read the header: {e}")))?
            .clone();
        let names: Vec<String> = headers.iter().map(str::to_owned).collect();
        if names.len() > MAX_COLUMNS {
            return Err(error(
                Some(1),
                None,
                format!("more than {MAX_COLUMNS} columns"),
            ));
        }
        let target_index = names.iter().position(|n| n == target).ok_or_else(|| {
            error(
                Some(1),
                Some(target),
                "the target column is not in the header",
            )
        })?;
        for name in exclude {
            if !names.contains(name) {
                return Err(error(
                    Some(1),
                    Some(name),
                    "an excluded column is not in the header",
                ));
            }
        }
        let used: Vec<usize> = (0..names.len())
            .filter(|i| *i != target_index && !exclude.contains(&names[*i]))
            .collect();
        let mut numeric: Vec<Option<bool>> = vec![None; names.len()];
        let mut numbers: Vec<Vec<Option<f64>>> = vec![Vec::new(); names.len()];
        let mut codes: Vec<Vec<Option<u32>>> = vec![Vec::new(); names.len()];
        let mut levels: Vec<HashMap<String, u32>> = vec![HashMap::new(); names.len()];
        let mut bad = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let row = index + 2;
            let record = record.map_err(|e| error(Some(row), None, e.to_string()))?;
            if index >= MAX_ROWS {
                return Err(error(Some(row), None, format!("more than {MAX_ROWS} rows")));
            }
            if record.len() != names.len() {
                return Err(error(
                    Some(row),
                    None,
                    format!(
                        "has {} cells but the header has {}",
                        record.len(),
                        names.len()
                    ),
                ));
            }
            let target_cell = &record[target_index];
            bad.push(parse_target(target_cell).ok_or_else(|| {
                error(
                    Some(row),
                    Some(target),
                    format!(
                        "'{target_cell}' is not a target value: use 1/0 (1 = default) or bad/good"
                    ),
                )
            })?);
            for &c in &used {
                let cell = &record[c];
                if numeric[c].is_none() && !cell.is_empty() {
                    numeric[c] = Some(cell.parse::<f64>().is_ok_and(f64::is_finite));
                }
                if numeric[c] == Some(true) {
                    if cell.is_empty() {
                        numbers[c].push(None);
                    } else {
                        let value = cell
                            .parse::<f64>()
                            .ok()
                            .filter(|v| v.is_finite())
                            .ok_or_else(|| {
                                error(
                                    Some(row),
                                    Some(&names[c]),
                                    format!("'{cell}' is not a number (the column is numeric)"),
                                )
                            })?;
                        numbers[c].push(Some(value));
                    }
                } else {
                    // still undecided (all empty so far) or text
                    numbers[c].push(None);
                    if cell.is_empty() {
                        codes[c].push(None);
                    } else {
                        let next = levels[c].len() as u32;
                        codes[c].push(Some(*levels[c].entry(cell.to_owned()).or_insert(next)));
                    }
                }
            }
        }
        if bad.is_empty() {
            return Err(error(None, None, "the file has no rows"));
        }
        if bad.iter().all(|b| *b) || bad.iter().all(|b| !*b) {
            return Err(error(
                None,
                Some(target),
                "the target has only one class: a model needs both goods and bads",
            ));
        }
        let rows = bad.len();
        let columns = used
            .into_iter()
            .map(|c| {
                let data = match numeric[c] {
                    Some(true) | None => ColumnData::Numeric(std::mem::take(&mut numbers[c])),
                    Some(false) => {
                        let mut column_codes = std::mem::take(&mut codes[c]);
                        // rows before the first text cell were empty: missing
                        while column_codes.len() < rows {
                            column_codes.insert(0, None);
                        }
                        let mut by_code: Vec<(u32, String)> =
                            levels[c].drain().map(|(k, v)| (v, k)).collect();
                        by_code.sort();
                        ColumnData::Categorical {
                            codes: column_codes,
                            levels: by_code.into_iter().map(|(_, k)| k).collect(),
                        }
                    }
                };
                Column {
                    name: names[c].clone(),
                    data,
                }
            })
            .collect();
        Ok(Dataset {
            columns,
            bad,
            fingerprint: hex::encode(Sha256::digest(bytes)),
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.bad.len()
    }

    /// Number of bads.
    pub fn bads(&self) -> usize {
        self.bad.iter().filter(|b| **b).count()
    }

    /// The rows at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let columns = self
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                data: match &c.data {
                    ColumnData::Numeric(v) => {
                        ColumnData::Numeric(indices.iter().map(|&i| v[i]).collect())
                    }
                    ColumnData::Categorical { codes, levels } => ColumnData::Categorical {
                        codes: indices.iter().map(|&i| codes[i]).collect(),
                        levels: levels.clone(),
                    },
                },
            })
            .collect();
        Dataset {
            columns,
            bad: indices.iter().map(|&i| self.bad[i]).collect(),
            fingerprint: self.fingerprint.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_text_missing_and_target() {
        let csv = "age,housing,default\n25,own,0\n,rent,1\n40,,good\n33,own,bad\n";
        let d = Dataset::from_csv(csv.as_bytes(), "default", &[]).unwrap();
        assert_eq!(d.bad, vec![false, true, false, true]);
        assert_eq!(
            d.columns[0].data,
            ColumnData::Numeric(vec![Some(25.0), None, Some(40.0), Some(33.0)])
        );
        let ColumnData::Categorical { codes, levels } = &d.columns[1].data else {
            panic!()
        };
        assert_eq!(levels, &["own", "rent"]);
        assert_eq!(codes, &[Some(0), Some(1), None, Some(0)]);
    }

    #[test]
    fn names_the_row_and_column_of_bad_cells() {
        let e = Dataset::from_csv(b"age,default\n25,0\nabc,1\n", "default", &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "row 3: column age: 'abc' is not a number (the column is numeric)"
        );
        let e = Dataset::from_csv(b"age,default\n25,maybe\n", "default", &[]).unwrap_err();
        assert_eq!(e.row, Some(2));
        assert!(
            Dataset::from_csv(b"age,default\n", "default", &[])
                .unwrap_err()
                .rule
                .contains("no rows")
        );
        assert!(
            Dataset::from_csv(b"age,y\n1,0\n", "default", &[])
                .unwrap_err()
                .rule
                .contains("not in the header")
        );
        assert!(
            Dataset::from_csv(b"age,default\n1,0\n2,0\n", "default", &[])
                .unwrap_err()
                .rule
                .contains("one class")
        );
        let excluded =
            Dataset::from_csv(b"id,age,default\n1,2,0\n2,3,1\n", "default", &["id".into()])
                .unwrap();
        assert_eq!(excluded.columns.len(), 1);
    }
}
