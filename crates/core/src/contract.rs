//! The loan contract document (借款合同): a tiny template language and the default
//! bilingual contract.
//!
//! The service fills a template with display strings (amounts already formatted, rates
//! as the lender prints them) and the loan's schedule, and stores the rendered HTML with
//! the contract. The template language has two constructs:
//!
//! - `{{name}}` — the value of field `name`, HTML-escaped (`& < > " '`);
//! - `{{#schedule}}…{{/schedule}}` — its body once per installment, where `{{number}}`,
//!   `{{due_date}}`, `{{principal}}`, `{{interest}}`, `{{total}}` and `{{balance}}` are
//!   the installment's (document fields are visible inside too).
//!
//! The whole template is parsed before anything is output, so an unknown placeholder or
//! a malformed tag is an error naming it and its line, never a half-rendered contract.
//! No other section and no nesting exists: a contract is a document to read, and logic
//! belongs in the service, which chooses the template.
//!
//! [`DEFAULT_TEMPLATE`] takes exactly the fields of [`FIELDS`]. Its legal text is a sound,
//! concise starting point (loan terms, APR disclosure, fees never deducted from the
//! principal, penalty and compound interest at the contract rate × multiplier with a
//! daily rate of annual / 360, default and acceleration, prepayment, disputes); it is a
//! template, not legal advice, and a lender should have its counsel review its own.

use std::collections::BTreeMap;

use crate::schedule::MAX_TERM;
use crate::tranche::LoanInstallment;

/// The largest template accepted: 256 KiB.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;

/// The fields the service fills for [`DEFAULT_TEMPLATE`], all display strings:
/// `contract_no`, `lender`, `borrower_name`, `borrower_id_masked` (e.g.
/// `1101**********1234`), `borrower_address`, `product_name`, `amount` (`100000.00`),
/// `currency` (`CNY`), `term_months`, `method` (the method's display name), `annual_rate`
/// and `apr` (as printed, e.g. `7.20%`), `penalty_multiplier` (`1.5`), `grace_days`,
/// `origination_fee`, `funding_source` (the disbursement account or funding source),
/// `first_due_date`, `maturity_date`, `signed_place`, `generated_on`.
pub const FIELDS: &[&str] = &[
    "contract_no",
    "lender",
    "borrower_name",
    "borrower_id_masked",
    "borrower_address",
    "product_name",
    "amount",
    "currency",
    "term_months",
    "method",
    "annual_rate",
    "apr",
    "penalty_multiplier",
    "grace_days",
    "origination_fee",
    "funding_source",
    "first_due_date",
    "maturity_date",
    "signed_place",
    "generated_on",
];

/// The placeholders of one installment inside `{{#schedule}}`.
pub const SCHEDULE_FIELDS: &[&str] = &[
    "number",
    "due_date",
    "principal",
    "interest",
    "total",
    "balance",
];

/// The name of the one repeating section.
const SCHEDULE: &str = "schedule";

/// A complete, printable bilingual (中文 / English) HTML loan contract with inline CSS
/// and print rules; it takes the fields of [`FIELDS`] and the schedule.
pub const DEFAULT_TEMPLATE: &str = include_str!("contract/default_template.html");

/// Why a template cannot be rendered. Lines are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Larger than [`MAX_TEMPLATE_BYTES`].
    #[error("the template is {size_bytes} bytes; the limit is {MAX_TEMPLATE_BYTES}")]
    TooLarge {
        /// Its size.
        size_bytes: usize,
    },
    /// More installments than the longest schedule has.
    #[error("{count} installments; a schedule has at most {MAX_TERM}")]
    TooManyInstallments {
        /// Installments given.
        count: usize,
    },
    /// `{{` without a closing `}}`.
    #[error("line {line}: '{{{{' is not closed by '}}}}'")]
    Unclosed {
        /// Where it opens.
        line: usize,
    },
    /// A tag that is not a name of letters, digits and `_`.
    #[error(
        "line {line}: '{{{{{tag}}}}}' is not a placeholder (expected a name of a–z, 0–9 and _)"
    )]
    BadTag {
        /// The text between the braces.
        tag: String,
        /// Where it is.
        line: usize,
    },
    /// A placeholder no field fills.
    #[error("line {line}: unknown placeholder '{{{{{name}}}}}'")]
    UnknownField {
        /// The name.
        name: String,
        /// Where it is.
        line: usize,
    },
    /// A section other than `schedule`.
    #[error("line {line}: unknown section '{{{{#{name}}}}}'; only {{{{#schedule}}}} exists")]
    UnknownSection {
        /// The name.
        name: String,
        /// Where it is.
        line: usize,
    },
    /// A section opened inside the schedule.
    #[error("line {line}: '{{{{#{name}}}}}' inside {{{{#schedule}}}}; sections do not nest")]
    Nested {
        /// The name.
        name: String,
        /// Where it is.
        line: usize,
    },
    /// A close without its open.
    #[error("line {line}: '{{{{/{name}}}}}' closes no open section")]
    UnmatchedClose {
        /// The name.
        name: String,
        /// Where it is.
        line: usize,
    },
    /// `{{#schedule}}` never closed.
    #[error("line {line}: {{{{#schedule}}}} is not closed by {{{{/schedule}}}}")]
    UnclosedSection {
        /// Where it opens.
        line: usize,
    },
}

/// A parsed piece of a template.
#[derive(Debug, PartialEq, Eq)]
enum Node<'a> {
    Text(&'a str),
    Field(&'a str),
    Schedule(Vec<Node<'a>>),
}

/// Renders `template` with `fields` and one `{{#schedule}}` row per installment.
///
/// # Errors
/// [`TemplateError::TooLarge`] above 256 KiB; [`TemplateError::TooManyInstallments`] above
/// [`MAX_TERM`]; otherwise the first malformed or unknown tag, with its line (checked
/// before anything is output).
pub fn render(
    template: &str,
    fields: &BTreeMap<String, String>,
    installments: &[LoanInstallment],
) -> Result<String, TemplateError> {
    if template.len() > MAX_TEMPLATE_BYTES {
        return Err(TemplateError::TooLarge {
            size_bytes: template.len(),
        });
    }
    if installments.len() > MAX_TERM as usize {
        return Err(TemplateError::TooManyInstallments {
            count: installments.len(),
        });
    }
    let nodes = parse(template, fields)?;
    let mut out = String::with_capacity(template.len() * 2);
    for node in &nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Field(name) => escape_into(&mut out, field(fields, None, name)),
            Node::Schedule(body) => {
                for installment in installments {
                    let row = row_values(installment);
                    for node in body {
                        match node {
                            Node::Text(text) => out.push_str(text),
                            Node::Field(name) => {
                                escape_into(&mut out, field(fields, Some(&row), name));
                            }
                            // parse() refuses nested sections.
                            Node::Schedule(_) => {}
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The value of placeholder `name`: the installment's own first, then the document's.
/// Parsing checked that one of them exists.
fn field<'a>(
    fields: &'a BTreeMap<String, String>,
    row: Option<&'a [(&'static str, String); 6]>,
    name: &str,
) -> &'a str {
    row.and_then(|r| r.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()))
        .or_else(|| fields.get(name).map(String::as_str))
        .unwrap_or_default()
}

fn row_values(i: &LoanInstallment) -> [(&'static str, String); 6] {
    [
        ("number", i.number.to_string()),
        ("due_date", i.due_date.to_string()),
        ("principal", i.principal.to_string()),
        ("interest", i.interest.to_string()),
        ("total", i.total.to_string()),
        ("balance", i.balance.to_string()),
    ]
}

/// Appends `value` with `& < > " '` escaped for HTML text and attributes.
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Parses the whole template, checking every tag and placeholder.
fn parse<'a>(
    template: &'a str,
    fields: &BTreeMap<String, String>,
) -> Result<Vec<Node<'a>>, TemplateError> {
    // Lines are counted incrementally, so parsing stays linear in the template's size.
    let (mut line, mut counted_to) = (1, 0);
    let mut document = Vec::new();
    // The open schedule section: its body and the line it opened on.
    let mut section: Option<(Vec<Node<'a>>, usize)> = None;
    let mut rest = 0;
    while let Some(found) = template[rest..].find("{{") {
        let open = rest + found;
        line += template[counted_to..open].matches('\n').count();
        counted_to = open;
        let close = template[open + 2..]
            .find("}}")
            .map(|c| open + 2 + c)
            .ok_or(TemplateError::Unclosed { line })?;
        let in_section = section.is_some();
        let nodes = match section.as_mut() {
            Some((body, _)) => body,
            None => &mut document,
        };
        if open > rest {
            nodes.push(Node::Text(&template[rest..open]));
        }
        rest = close + 2;
        let tag = template[open + 2..close].trim();
        if let Some(name) = tag.strip_prefix('#') {
            let name = name.trim().to_owned();
            if section.is_some() {
                return Err(TemplateError::Nested { name, line });
            }
            if name != SCHEDULE {
                return Err(TemplateError::UnknownSection { name, line });
            }
            section = Some((Vec::new(), line));
        } else if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            match section.take() {
                Some((body, _)) if name == SCHEDULE => document.push(Node::Schedule(body)),
                _ => {
                    return Err(TemplateError::UnmatchedClose {
                        name: name.to_owned(),
                        line,
                    });
                }
            }
        } else {
            let valid = !tag.is_empty()
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                return Err(TemplateError::BadTag {
                    tag: tag.to_owned(),
                    line,
                });
            }
            let in_schedule = in_section && SCHEDULE_FIELDS.contains(&tag);
            if !in_schedule && !fields.contains_key(tag) {
                return Err(TemplateError::UnknownField {
                    name: tag.to_owned(),
                    line,
                });
            }
            nodes.push(Node::Field(tag));
        }
    }
    if let Some((_, line)) = section {
        return Err(TemplateError::UnclosedSection { line });
    }
    if rest < template.len() {
        document.push(Node::Text(&template[rest..]));
    }
    Ok(document)
}

#[cfg(test)]
mod tests;
