//! Reading amounts from user input, with the violation named after the field.

use loanbook_core::money::{Currency, Money};

use crate::Violation;

/// Which amounts a field accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sign {
    /// Greater than zero.
    Positive,
    /// Zero or more.
    NonNegative,
}

/// Parses `text` as an amount in `currency`; a bad value adds a violation of `field` and
/// gives `None`.
pub(crate) fn amount(
    field: &str,
    text: &str,
    currency: Currency,
    sign: Sign,
    v: &mut Vec<Violation>,
) -> Option<Money> {
    match Money::parse(text.trim(), currency) {
        Ok(m) if sign == Sign::Positive && !m.is_positive() => {
            v.push(Violation::new(field, "must be greater than 0"));
            None
        }
        Ok(m) if m.is_negative() => {
            v.push(Violation::new(field, "must not be negative"));
            None
        }
        Ok(m) => Some(m),
        Err(e) => {
            v.push(Violation::new(field, e.to_string()));
            None
        }
    }
}

/// Every cell of a CSV text holding a NUL character, named by its column and row (the
/// header is row 1): no database stores NUL in text, so such a file is refused whole.
pub(crate) fn nul_cells(data: &str) -> Vec<Violation> {
    if !data.contains('\0') {
        return Vec::new();
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data.as_bytes());
    let mut header: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let Ok(record) = record else { continue };
        if index == 0 {
            header = record.iter().map(str::to_owned).collect();
        }
        for (column, cell) in record.iter().enumerate() {
            if cell.contains('\0') {
                let field = header
                    .get(column)
                    .filter(|h| !h.contains('\0') && index > 0)
                    .map_or_else(|| "csv".to_owned(), Clone::clone);
                out.push(
                    Violation::new(field, "must not contain a NUL character").at_row(index + 1),
                );
            }
        }
    }
    if out.is_empty() {
        out.push(Violation::new("csv", "must not contain a NUL character"));
    }
    out
}

#[cfg(test)]
mod nul_tests {
    use super::*;

    #[test]
    fn a_nul_in_a_cell_is_named_by_column_and_row() {
        assert!(nul_cells("a,b\n1,2\n").is_empty());
        let v = nul_cells("loan,amount\n7,1\0\n");
        assert_eq!((v[0].field.as_str(), v[0].row), ("amount", Some(2)));
        let v = nul_cells("lo\0an,amount\n");
        assert_eq!(v[0].field, "csv");
    }
}
