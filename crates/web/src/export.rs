//! Report tables as downloads: CSV (RFC 4180) and XLSX (Office Open XML).
//!
//! Pure and dependency-free: the workbook's zip container (STORE method, no
//! compression) and its CRC-32 are written here. Output is deterministic: the same
//! tables give the same bytes (every zip entry carries the DOS date 1980-01-01).
//!
//! Numbers stay exact: a [`Cell::Number`] is an exact decimal string that goes into
//! the file unchanged, never through a float.

mod zip;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use zip::Zip;

/// One cell of an exported table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text, written as a string (in XLSX an inline string).
    Text(String),
    /// An exact decimal such as "1234.50", "0.0435" or "-3": a number cell in XLSX,
    /// as-is in CSV. A string that is not `-?digits(.digits)?` is written as text.
    Number(String),
    /// A whole number.
    Integer(i64),
    /// No value.
    Empty,
}

/// A titled table: one sheet of a workbook, or one CSV file.
#[derive(Clone, Debug)]
pub struct Table {
    /// The sheet name (sanitised for XLSX).
    pub title: String,
    /// The header row (bold in XLSX); empty for none.
    pub headers: Vec<String>,
    /// The data rows.
    pub rows: Vec<Vec<Cell>>,
}

/// The format of a download.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `text/csv`, extension `.csv`.
    Csv,
    /// An Excel workbook, extension `.xlsx`.
    Xlsx,
}

/// Rows in one worksheet, header included (Excel's limit).
pub const MAX_SHEET_ROWS: usize = 1_048_576;
/// Columns in one worksheet (Excel's limit, XFD).
pub const MAX_SHEET_COLUMNS: usize = 16_384;
/// Length of a sheet name in UTF-16 units (Excel's limit).
const MAX_SHEET_NAME: usize = 31;

/// RFC 4180 CSV: CRLF line ends, fields with a comma, quote, CR or LF quoted, quotes
/// doubled; UTF-8 with a BOM so that Excel reads Chinese correctly. Short rows are
/// padded with empty fields to the header's width.
///
/// Formula injection is neutralised: a text field (header or [`Cell::Text`]) starting
/// with `=`, `+`, `-`, `@`, TAB or CR gets a leading apostrophe. Number cells are not
/// touched.
pub fn csv(table: &Table) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let headers: Vec<Cell> = table.headers.iter().cloned().map(Cell::Text).collect();
    let header_row = (!headers.is_empty()).then_some(&headers);
    for row in header_row.into_iter().chain(&table.rows) {
        let width = row.len().max(headers.len());
        for i in 0..width {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, row.get(i).unwrap_or(&Cell::Empty));
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn csv_field(out: &mut String, cell: &Cell) {
    let guarded;
    let text: &str = match cell {
        Cell::Number(n) if is_decimal(n) => n,
        Cell::Text(s) | Cell::Number(s) => {
            guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{s}")
            } else {
                s.clone()
            };
            &guarded
        }
        Cell::Integer(i) => {
            out.push_str(&i.to_string());
            return;
        }
        Cell::Empty => return,
    };
    if text.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// Whether `s` is `-?digits(.digits)?`: safe to write as a number, exactly.
fn is_decimal(s: &str) -> bool {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

/// An Office Open XML workbook (.xlsx), one worksheet per table (a single empty sheet
/// when `tables` is empty). Sheet names come from the titles: at most 31 characters,
/// `[]:*?/\` replaced by `_`, made unique. The header row is bold and frozen; text is
/// written as inline strings, numbers as `<v>` with the decimal string unchanged.
///
/// # Panics
/// If a table has more than [`MAX_SHEET_ROWS`] rows (header included) or a row more
/// than [`MAX_SHEET_COLUMNS`] cells, or the workbook exceeds the 4 GiB a zip without
/// ZIP64 can hold: callers page their reports well below these limits.
pub fn xlsx(tables: &[Table]) -> Vec<u8> {
    let empty = [Table {
        title: "Sheet1".into(),
        headers: Vec::new(),
        rows: Vec::new(),
    }];
    let tables = if tables.is_empty() {
        &empty[..]
    } else {
        tables
    };
    let names = sheet_names(tables.iter().map(|t| t.title.as_str()));

    let mut zip = Zip::default();
    zip.add(
        "[Content_Types].xml",
        content_types(tables.len()).as_bytes(),
    );
    zip.add("_rels/.rels", ROOT_RELS.as_bytes());
    zip.add("xl/workbook.xml", workbook(&names).as_bytes());
    zip.add(
        "xl/_rels/workbook.xml.rels",
        workbook_rels(tables.len()).as_bytes(),
    );
    zip.add("xl/styles.xml", STYLES.as_bytes());
    for (n, table) in tables.iter().enumerate() {
        let name = format!("xl/worksheets/sheet{}.xml", n + 1);
        zip.add(&name, worksheet(table).as_bytes());
    }
    zip.finish()
}

const XML_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
const NS_MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const NS_PKG_REL: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const CT_SHEET: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml";

const ROOT_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/"#,
    r#"relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
);

/// Font 1 is bold; cell format 1 (`s="1"`) uses it.
const STYLES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    r#"<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>"#,
    r#"<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>"#,
    r#"<fills count="2"><fill><patternFill patternType="none"/></fill>"#,
    r#"<fill><patternFill patternType="gray125"/></fill></fills>"#,
    r#"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#,
    r#"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#,
    r#"<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>"#,
    r#"<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>"#,
    r#"<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#,
    r#"</styleSheet>"#
);

const CONTENT_TYPES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
    r#"<Default Extension="rels" "#,
    r#"ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
    r#"<Default Extension="xml" ContentType="application/xml"/>"#,
);

fn content_types(sheets: usize) -> String {
    let mut x = CONTENT_TYPES.to_owned();
    for (part, kind) in [("workbook", "sheet.main"), ("styles", "styles")] {
        x.push_str(&format!(
            r#"<Override PartName="/xl/{part}.xml" ContentType="{CT_SHEET}.{kind}+xml"/>"#
        ));
    }
    for n in 1..=sheets {
        x.push_str(&format!(
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{CT_SHEET}.worksheet+xml"/>"#
        ));
    }
    x + "</Types>"
}

fn workbook(names: &[String]) -> String {
    let mut x = format!(r#"{XML_DECL}<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheets>"#);
    for (i, name) in names.iter().enumerate() {
        let n = i + 1;
        x.push_str(&format!(
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            xml_escape(name)
        ));
    }
    x + "</sheets></workbook>"
}

fn workbook_rels(sheets: usize) -> String {
    let mut x = format!(r#"{XML_DECL}<Relationships xmlns="{NS_PKG_REL}">"#);
    for n in 1..=sheets {
        x.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="{NS_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
    }
    let styles = sheets + 1;
    x + &format!(
        r#"<Relationship Id="rId{styles}" Type="{NS_REL}/styles" Target="styles.xml"/></Relationships>"#
    )
}

fn worksheet(table: &Table) -> String {
    let header = usize::from(!table.headers.is_empty());
    assert!(
        table.rows.len() + header <= MAX_SHEET_ROWS,
        "sheet '{}' has {} rows, more than the {MAX_SHEET_ROWS} a worksheet holds",
        table.title,
        table.rows.len() + header
    );
    let mut x = format!(r#"{XML_DECL}<worksheet xmlns="{NS_MAIN}">"#);
    if header == 1 {
        x.push_str(concat!(
            r#"<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" "#,
            r#"activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#
        ));
    }
    x.push_str("<sheetData>");
    let headers = table
        .headers
        .iter()
        .map(|h| Cell::Text(h.clone()))
        .collect();
    let header_row = (header == 1).then_some((&headers, 1));
    let data_rows = table.rows.iter().map(|r| (r, 0));
    for (i, (cells, style)) in header_row.into_iter().chain(data_rows).enumerate() {
        row(&mut x, i + 1, cells, style);
    }
    x + "</sheetData></worksheet>"
}

/// One `<row>`; `style` 1 is bold. Empty cells are left out.
fn row(x: &mut String, r: usize, cells: &[Cell], style: u8) {
    assert!(
        cells.len() <= MAX_SHEET_COLUMNS,
        "row {r} has {} cells, more than the {MAX_SHEET_COLUMNS} a worksheet holds",
        cells.len()
    );
    let s = if style == 0 {
        String::new()
    } else {
        format!(r#" s="{style}""#)
    };
    x.push_str(&format!(r#"<row r="{r}">"#));
    for (c, cell) in cells.iter().enumerate() {
        let at = format!("{}{r}", column_letters(c));
        match cell {
            Cell::Number(n) if is_decimal(n) => {
                x.push_str(&format!(r#"<c r="{at}"{s}><v>{n}</v></c>"#))
            }
            Cell::Integer(i) => x.push_str(&format!(r#"<c r="{at}"{s}><v>{i}</v></c>"#)),
            Cell::Text(t) | Cell::Number(t) => {
                let text = xml_escape(t);
                let space = if text.trim() == text {
                    ""
                } else {
                    r#" xml:space="preserve""#
                };
                x.push_str(&format!(
                    r#"<c r="{at}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>"#
                ));
            }
            Cell::Empty => {}
        }
    }
    x.push_str("</row>");
}

/// Excel's column name for a 0-based index: 0 → A, 25 → Z, 26 → AA, 702 → AAA.
fn column_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        n -= 1;
        letters.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    letters.iter().rev().map(|&b| char::from(b)).collect()
}

/// Escapes `&<>"'` and drops characters XML 1.0 does not allow (C0 controls other
/// than TAB, LF and CR; U+FFFE and U+FFFF).
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Valid, unique (case-insensitively, as Excel compares) sheet names for `titles`.
fn sheet_names<'a>(titles: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, title) in titles.enumerate() {
        let mut base: String = title
            .chars()
            .filter(|c| !c.is_control() && *c != '\u{fffe}' && *c != '\u{ffff}')
            .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
            .collect();
        if base.trim().is_empty() {
            base = format!("Sheet{}", i + 1);
        } else if base.eq_ignore_ascii_case("history") {
            base.push('_'); // reserved by Excel
        }
        let taken = |n: &str| names.iter().any(|o| o.to_lowercase() == n.to_lowercase());
        let mut name = fit(&base, "");
        let mut k = 2;
        while taken(&name) {
            name = fit(&base, &format!(" ({k})"));
            k += 1;
        }
        names.push(name);
    }
    names
}

/// `base` cut so that `base + suffix` fits in 31 UTF-16 units, then `suffix`; a
/// leading or trailing apostrophe (which Excel refuses) becomes `_`.
fn fit(base: &str, suffix: &str) -> String {
    let mut units = suffix.len();
    let mut name: String = base
        .chars()
        .take_while(|c| {
            units += c.len_utf16();
            units <= MAX_SHEET_NAME
        })
        .collect();
    name.push_str(suffix);
    if name.starts_with('\'') {
        name.replace_range(..1, "_");
    }
    if name.ends_with('\'') {
        name.replace_range(name.len() - 1.., "_");
    }
    name
}

/// A download response: Content-Type for `kind`, `Content-Disposition: attachment`
/// with an ASCII `filename` and the exact name as UTF-8 in `filename*` (RFC 6266,
/// RFC 5987), `Cache-Control: no-store` (reports carry customer data). The extension
/// for `kind` is added to `name` unless it is already there.
pub fn download(name: &str, kind: Kind, bytes: Vec<u8>) -> Response {
    let (content_type, ext) = match kind {
        Kind::Csv => ("text/csv; charset=utf-8", ".csv"),
        Kind::Xlsx => (
            concat!(
                "application/vnd.openxmlformats-officedocument",
                ".spreadsheetml.sheet"
            ),
            ".xlsx",
        ),
    };
    let headers = [
        (header::CONTENT_TYPE, content_type.to_owned()),
        (header::CONTENT_DISPOSITION, content_disposition(name, ext)),
        (header::CACHE_CONTROL, "no-store".to_owned()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    (headers, bytes).into_response()
}

/// `attachment; filename="…"; filename*=UTF-8''…` — visible ASCII only.
fn content_disposition(name: &str, ext: &str) -> String {
    // Path separators and control characters never belong in a file name.
    let unsafe_char = |c: char| c.is_control() || c == '/' || c == '\\';
    let mut name: String = name
        .chars()
        .map(|c| if unsafe_char(c) { '_' } else { c })
        .collect();
    if name.trim().is_empty() {
        name = "export".to_owned();
    }
    let stem_len = name.len().saturating_sub(ext.len());
    let has_ext = name
        .get(stem_len..)
        .is_some_and(|e| e.eq_ignore_ascii_case(ext));
    if !has_ext {
        name.push_str(ext);
    }
    let (stem, ext) = name.split_at(name.len() - ext.len());
    // The fallback: printable ASCII, without what a quoted string or a browser might misread.
    let plain = |c: char| c == ' ' || (c.is_ascii_graphic() && !"\"\\%;".contains(c));
    let ascii_stem: String = stem
        .chars()
        .map(|c| if plain(c) { c } else { '_' })
        .collect();
    let ascii_stem = if ascii_stem.chars().any(|c| c.is_ascii_alphanumeric()) {
        ascii_stem.as_str()
    } else {
        "export"
    };
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii_stem}{ext}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests;
