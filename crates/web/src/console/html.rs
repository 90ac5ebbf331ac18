//! Small pieces of HTML the console's pages are made of. Cells and bodies passed in are
//! HTML already; every text from data goes through [`escape`] first.

use loanbook_core::money::Money;

use super::i18n::Lang;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A table with headers given as label keys; "nothing here" when there are no rows.
/// A header key starting with `#` is a numeric column (right-aligned).
pub fn table(lang: Lang, headers: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return format!("<p class=\"muted\">{}</p>", lang.t("no_items"));
    }
    let numeric: Vec<bool> = headers.iter().map(|h| h.starts_with('#')).collect();
    let mut out = String::from("<table><thead><tr>");
    for (h, n) in headers.iter().zip(&numeric) {
        let key = h.trim_start_matches('#');
        out.push_str(&format!(
            "<th{}>{}</th>",
            if *n { " class=\"num\"" } else { "" },
            escape(lang.t(key))
        ));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let num = numeric.get(i).copied().unwrap_or(false);
            out.push_str(&format!(
                "<td{}>{cell}</td>",
                if num { " class=\"num\"" } else { "" }
            ));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A panel with a heading.
pub fn panel(title: &str, body: &str) -> String {
    format!(
        "<section class=\"panel\"><h2>{}</h2>{body}</section>",
        escape(title)
    )
}

/// A figure tile: a label and a value.
pub fn tile(label: &str, value: &str) -> String {
    format!(
        "<div class=\"tile\"><span class=\"muted\">{}</span><b>{}</b></div>",
        escape(label),
        escape(value)
    )
}

/// A link.
pub fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", escape(href), escape(text))
}

/// A status as a coloured badge (bad, warning or good by its meaning).
pub fn badge(status: &str) -> String {
    let tone = match status {
        "declined" | "written_off" | "overdue" | "breached" | "substandard" | "doubtful"
        | "loss" | "failed" | "M3" | "M4+" | "high" => " bad",
        "in_review" | "pre_screened" | "pending" | "open" | "special_mention" | "M1" | "M2"
        | "returned" | "draft" | "running" => " warn",
        "approved" | "disbursed" | "active" | "pass" | "closed" | "done" | "current"
        | "resolved" | "signed" | "confirmed" => " good",
        _ => "",
    };
    format!("<span class=\"badge{tone}\">{}</span>", escape(status))
}

/// Money with thousands separators, e.g. `1,234,567.89`.
pub fn money(m: Money) -> String {
    grouped(&m.to_string())
}

/// A decimal string with thousands separators in its whole part.
pub fn grouped(decimal: &str) -> String {
    let (sign, rest) = decimal
        .strip_prefix('-')
        .map_or(("", decimal), |r| ("-", r));
    let (whole, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// A ratio string such as `0.0342` as a percentage, `3.42%` (exact: the decimal point
/// moves two places).
pub fn percent(ratio: &str) -> String {
    match rust_decimal::Decimal::from_str_exact(ratio) {
        Ok(d) => format!("{}%", (d * rust_decimal::Decimal::ONE_HUNDRED).round_dp(2)),
        Err(_) => ratio.to_owned(),
    }
}

/// A form posting to `action` with the CSRF field, the given fields and a submit button.
pub fn form(action: &str, csrf_field: &str, fields: &str, button: &str, id: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\" class=\"inline\" id=\"{id}\">{csrf_field}{fields}\
         <button class=\"primary\" type=\"submit\">{}</button></form>",
        escape(action),
        escape(button)
    )
}

/// A labelled text input.
pub fn input(label: &str, name: &str, value: &str) -> String {
    format!(
        "<label>{}<input name=\"{name}\" id=\"{name}\" value=\"{}\"></label>",
        escape(label),
        escape(value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape("<script>alert('x')</script>&"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
    }

    #[test]
    fn groups_thousands_and_keeps_the_fraction() {
        assert_eq!(grouped("1234567.89"), "1,234,567.89");
        assert_eq!(grouped("-1000.00"), "-1,000.00");
        assert_eq!(grouped("999.5"), "999.5");
        assert_eq!(grouped("100"), "100");
        assert_eq!(percent("0.0342"), "3.42%");
        assert_eq!(percent("1.0000"), "100.00%");
    }

    #[test]
    fn an_empty_table_says_so_and_numbers_align_right() {
        assert!(table(Lang::En, &["loan"], &[]).contains("Nothing here"));
        let t = table(
            Lang::Zh,
            &["loan", "#amount"],
            &[vec!["1".into(), "2.00".into()]],
        );
        assert!(
            t.contains("<th class=\"num\">金额</th>") && t.contains("<td class=\"num\">2.00</td>")
        );
    }
}
