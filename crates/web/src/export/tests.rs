use super::zip::crc32;
use super::*;

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

fn num(s: &str) -> Cell {
    Cell::Number(s.to_owned())
}

fn table(title: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> Table {
    Table {
        title: title.to_owned(),
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    }
}

fn csv_text(t: &Table) -> String {
    let bytes = csv(t);
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 BOM first");
    String::from_utf8(bytes[3..].to_vec()).unwrap()
}

#[test]
fn csv_quotes_fields_with_comma_quote_and_line_breaks() {
    let t = table(
        "t",
        &["name", "note"],
        vec![
            vec![text("plain"), text("a,b")],
            vec![text("say \"hi\""), text("line1\nline2")],
            vec![text("cr\r"), Cell::Empty],
        ],
    );
    assert_eq!(
        csv_text(&t),
        "name,note\r\nplain,\"a,b\"\r\n\"say \"\"hi\"\"\",\"line1\nline2\"\r\n\"cr\r\",\r\n"
    );
}

#[test]
fn csv_writes_numbers_as_is_and_pads_short_rows() {
    let t = table(
        "t",
        &["a", "b", "c"],
        vec![
            vec![num("1234.50"), Cell::Integer(-7)],
            vec![num("-3"), num("0.0435"), Cell::Empty],
        ],
    );
    assert_eq!(csv_text(&t), "a,b,c\r\n1234.50,-7,\r\n-3,0.0435,\r\n");
}

#[test]
fn csv_without_headers_starts_with_the_first_row() {
    let t = table("t", &[], vec![vec![text("x")], vec![]]);
    assert_eq!(csv_text(&t), "x\r\n\r\n");
}

#[test]
fn csv_neutralises_formula_injection_in_text_only() {
    let t = table(
        "t",
        &["=header"],
        vec![
            vec![text("=1+1")],
            vec![text("+86 138")],
            vec![text("-2")],
            vec![text("@SUM(A1)")],
            vec![text("\tx")],
            vec![text("\rx")],
            vec![text("=HYPERLINK(\"http://x\",\"y\")")],
            vec![num("-3")],
            vec![num("=cmd|' /C calc'!A0")], // not a decimal: written as guarded text
            vec![text("a=b")],
        ],
    );
    let lines = [
        "'=header",
        "'=1+1",
        "'+86 138",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "\"'\rx\"",
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
        "-3",
        "'=cmd|' /C calc'!A0",
        "a=b",
    ];
    assert_eq!(csv_text(&t), lines.join("\r\n") + "\r\n");
}

#[test]
fn csv_keeps_chinese_text_as_utf8() {
    let t = table(
        "逾期",
        &["客户", "金额"],
        vec![vec![text("张三，李四"), num("1234.50")]],
    );
    let bytes = csv(&t);
    assert_eq!(&bytes[..3], [0xEF, 0xBB, 0xBF]);
    assert_eq!(csv_text(&t), "客户,金额\r\n张三，李四,1234.50\r\n"); // full-width comma needs no quotes
}

#[test]
fn decimals_are_recognised_strictly() {
    for ok in ["0", "-3", "1234.50", "0.0435", "-0.01"] {
        assert!(is_decimal(ok), "{ok}");
    }
    for bad in [
        "", "-", ".5", "5.", "1e5", "+1", "1,000", "NaN", "1.2.3", " 1",
    ] {
        assert!(!is_decimal(bad), "{bad}");
    }
}

#[test]
fn crc32_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn column_letters_are_bijective_base_26() {
    let cases = [
        (0, "A"),
        (1, "B"),
        (25, "Z"),
        (26, "AA"),
        (51, "AZ"),
        (52, "BA"),
    ];
    for (i, want) in cases
        .into_iter()
        .chain([(701, "ZZ"), (702, "AAA"), (16_383, "XFD")])
    {
        assert_eq!(column_letters(i), want, "column {i}");
    }
}

#[test]
fn sheet_names_are_sanitised_truncated_and_unique() {
    let long = "a".repeat(40);
    let titles = [
        "Q1/Q2 [draft]: a*b?c\\d",
        long.as_str(),
        long.as_str(),
        "Report",
        "REPORT",
        "",
        "'quoted'",
        "History",
        "逾期贷款明细表逾期贷款明细表逾期贷款明细表逾期贷款明细表逾期贷款明细表",
        "tab\there",
    ];
    let names = sheet_names(titles.into_iter());
    let a31 = "a".repeat(31);
    let a27 = format!("{} (2)", "a".repeat(27));
    let want = [
        "Q1_Q2 _draft__ a_b_c_d",
        a31.as_str(),
        a27.as_str(),
        "Report",
        "REPORT (2)",
        "Sheet6",
        "_quoted_",
        "History_",
        "逾期贷款明细表逾期贷款明细表逾期贷款明细表逾期贷款明细表逾期贷",
        "tabhere",
    ];
    assert_eq!(names, want);
    for name in &names {
        assert!(name.encode_utf16().count() <= 31, "{name}");
    }
}

#[test]
fn xml_escape_escapes_and_drops_invalid_characters() {
    assert_eq!(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
    assert_eq!(
        xml_escape("x\u{0}\u{1}\u{8}\u{b}\u{1f}\u{fffe}y\t\n\r"),
        "xy\t\n\r"
    );
    assert_eq!(xml_escape("中文"), "中文");
}

/// One entry read back from a zip, checked against its central directory record.
struct Entry {
    name: String,
    data: Vec<u8>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Walks the local headers and the central directory, checking every signature,
/// size, CRC, offset and the end record.
fn read_zip(zip: &[u8]) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut locals = Vec::new();
    let mut at = 0;
    while u32_at(zip, at) == 0x0403_4b50 {
        assert_eq!(u16_at(zip, at + 4), 20, "version needed");
        assert_eq!(u16_at(zip, at + 6), 0, "flags");
        assert_eq!(u16_at(zip, at + 8), 0, "method STORE");
        assert_eq!(u16_at(zip, at + 10), 0, "DOS time 00:00");
        assert_eq!(u16_at(zip, at + 12), 0x0021, "DOS date 1980-01-01");
        let crc = u32_at(zip, at + 14);
        let (packed, size) = (u32_at(zip, at + 18), u32_at(zip, at + 22));
        assert_eq!(packed, size, "stored: compressed size = size");
        let name_len = usize::from(u16_at(zip, at + 26));
        let extra_len = usize::from(u16_at(zip, at + 28));
        let name_at = at + 30;
        let data_at = name_at + name_len + extra_len;
        let data = zip[data_at..data_at + size as usize].to_vec();
        assert_eq!(crc32(&data), crc, "CRC of a local entry");
        let name = String::from_utf8(zip[name_at..name_at + name_len].to_vec()).unwrap();
        locals.push((at, crc, size, name.clone()));
        entries.push(Entry { name, data });
        at = data_at + size as usize;
    }
    let cd_start = at;
    let end = zip.len() - 22;
    assert_eq!(
        u32_at(zip, end),
        0x0605_4b50,
        "end record last (no comment)"
    );
    assert_eq!(u16_at(zip, end + 4), 0);
    assert_eq!(u16_at(zip, end + 6), 0);
    assert_eq!(usize::from(u16_at(zip, end + 8)), locals.len());
    assert_eq!(usize::from(u16_at(zip, end + 10)), locals.len());
    assert_eq!(
        u32_at(zip, end + 12) as usize,
        end - cd_start,
        "directory size"
    );
    assert_eq!(u32_at(zip, end + 16) as usize, cd_start, "directory offset");
    assert_eq!(u16_at(zip, end + 20), 0, "comment length");
    let mut at = cd_start;
    for (offset, crc, size, name) in &locals {
        assert_eq!(u32_at(zip, at), 0x0201_4b50, "central directory entry");
        assert_eq!(u16_at(zip, at + 10), 0, "method STORE");
        assert_eq!(u16_at(zip, at + 14), 0x0021);
        assert_eq!(u32_at(zip, at + 16), *crc, "CRC in the directory");
        assert_eq!(u32_at(zip, at + 20), *size);
        assert_eq!(u32_at(zip, at + 24), *size);
        let name_len = usize::from(u16_at(zip, at + 28));
        let skip = name_len + usize::from(u16_at(zip, at + 30)) + usize::from(u16_at(zip, at + 32));
        assert_eq!(
            u32_at(zip, at + 42) as usize,
            *offset,
            "local header offset"
        );
        assert_eq!(&zip[at + 46..at + 46 + name_len], name.as_bytes());
        at += 46 + skip;
    }
    assert_eq!(at, end, "directory ends at the end record");
    entries
}

fn part<'a>(entries: &'a [Entry], name: &str) -> &'a str {
    let entry = entries.iter().find(|e| e.name == name).unwrap();
    std::str::from_utf8(&entry.data).unwrap()
}

fn report_tables() -> Vec<Table> {
    let mut wide = vec![Cell::Empty; 27];
    wide[26] = text("far");
    vec![
        table(
            "Overdue: Q1/Q2",
            &["客户", "Amount", "Rate", "Days"],
            vec![
                vec![
                    text("张三 & <Co>"),
                    num("1234.50"),
                    num("0.0435"),
                    Cell::Integer(31),
                ],
                vec![text(" padded "), num("-3"), Cell::Empty, text("bell\u{7}")],
                vec![num("1e5")],
            ],
        ),
        table("Overdue: Q1/Q2", &[], vec![wide]),
    ]
}

#[test]
fn xlsx_is_a_valid_stored_zip_with_the_required_parts() {
    let zip = xlsx(&report_tables());
    let names: Vec<String> = read_zip(&zip).into_iter().map(|e| e.name).collect();
    let want = [
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet2.xml",
    ];
    assert_eq!(names, want);
    assert_eq!(xlsx(&report_tables()), zip, "deterministic");
}

#[test]
fn xlsx_parts_reference_each_other() {
    let entries = read_zip(&xlsx(&report_tables()));
    let types = part(&entries, "[Content_Types].xml");
    assert!(types.contains(r#"<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
    assert!(types.contains(r#"<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#));
    assert!(types.contains(r#"<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#));
    assert!(types.contains(r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#));
    assert!(part(&entries, "_rels/.rels").contains(r#"Target="xl/workbook.xml""#));
    let workbook = part(&entries, "xl/workbook.xml");
    assert!(workbook.contains(r#"<sheet name="Overdue_ Q1_Q2" sheetId="1" r:id="rId1"/>"#));
    assert!(workbook.contains(r#"<sheet name="Overdue_ Q1_Q2 (2)" sheetId="2" r:id="rId2"/>"#));
    let rels = part(&entries, "xl/_rels/workbook.xml.rels");
    assert!(rels.contains(r#"Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml""#));
    assert!(rels.contains(r#"Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml""#));
    assert!(part(&entries, "xl/styles.xml").contains("<font><b/>"));
}

#[test]
fn xlsx_sheet_holds_the_expected_cells() {
    let entries = read_zip(&xlsx(&report_tables()));
    let sheet = part(&entries, "xl/worksheets/sheet1.xml");
    for cell in [
        r#"<c r="A1" s="1" t="inlineStr"><is><t>客户</t></is></c>"#,
        r#"<c r="D1" s="1" t="inlineStr"><is><t>Days</t></is></c>"#,
        r#"<c r="A2" t="inlineStr"><is><t>张三 &amp; &lt;Co&gt;</t></is></c>"#,
        r#"<c r="B2"><v>1234.50</v></c>"#,
        r#"<c r="C2"><v>0.0435</v></c>"#,
        r#"<c r="D2"><v>31</v></c>"#,
        r#"<c r="A3" t="inlineStr"><is><t xml:space="preserve"> padded </t></is></c>"#,
        r#"<c r="B3"><v>-3</v></c>"#,
        r#"<c r="D3" t="inlineStr"><is><t>bell</t></is></c>"#,
        r#"<c r="A4" t="inlineStr"><is><t>1e5</t></is></c>"#,
        r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#,
    ] {
        assert!(sheet.contains(cell), "missing {cell} in {sheet}");
    }
    assert!(!sheet.contains(r#"r="C3""#), "empty cells are left out");
    let second = part(&entries, "xl/worksheets/sheet2.xml");
    assert!(
        second.contains(r#"<row r="1"><c r="AA1" t="inlineStr"><is><t>far</t></is></c></row>"#)
    );
    assert!(!second.contains("<pane"), "no header, nothing frozen");
}

#[test]
fn xlsx_of_no_tables_has_one_empty_sheet() {
    let entries = read_zip(&xlsx(&[]));
    assert!(part(&entries, "xl/workbook.xml").contains(r#"<sheet name="Sheet1""#));
    assert!(part(&entries, "xl/worksheets/sheet1.xml").contains("<sheetData></sheetData>"));
}

#[test]
fn download_sets_type_and_both_file_names() {
    let response = download("逾期报表 2024-05", Kind::Xlsx, vec![1, 2, 3]);
    let headers = response.headers();
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"____ 2024-05.xlsx\"; \
         filename*=UTF-8''%E9%80%BE%E6%9C%9F%E6%8A%A5%E8%A1%A8%202024-05.xlsx"
    );
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");

    let response = download("loans.CSV", Kind::Csv, Vec::new());
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"loans.CSV\"; filename*=UTF-8''loans.CSV"
    );
}

#[test]
fn download_names_cannot_break_the_header() {
    let disposition = content_disposition("../a\"b\\c;d%\r\n", ".csv");
    assert_eq!(
        disposition,
        "attachment; filename=\".._a_b_c_d___.csv\"; filename*=UTF-8''.._a%22b_c%3Bd%25__.csv"
    );
    assert_eq!(
        content_disposition(" ", ".xlsx"),
        "attachment; filename=\"export.xlsx\"; filename*=UTF-8''export.xlsx"
    );
    assert_eq!(
        content_disposition("明细", ".csv"),
        "attachment; filename=\"export.csv\"; filename*=UTF-8''%E6%98%8E%E7%BB%86.csv"
    );
}
