//! Message templates (消息模板) in Chinese and English, filled with loan fields.
//!
//! A template is text with `{field}` placeholders; `{{` and `}}` stand for literal braces.
//! The fields a notice offers are listed in [`FIELDS`]; a template naming another field
//! is refused when saved, so a message never goes out with a hole in it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::reminders::NoticeKind;

/// The fields a message may use.
pub const FIELDS: [&str; 10] = [
    "name",
    "loan",
    "amount",
    "due_date",
    "dpd",
    "overdue_amount",
    "promised_amount",
    "promised_date",
    "settlement_amount",
    "pay_by",
];

/// Languages of messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// 中文.
    Zh,
    /// English.
    En,
}

impl Language {
    /// `zh` or `en`.
    pub const fn code(self) -> &'static str {
        match self {
            Language::Zh => "zh",
            Language::En => "en",
        }
    }

    /// Parses `zh`, `zh-CN`, `en`, `en-US`… (case-insensitive).
    pub fn parse(code: &str) -> Option<Language> {
        let c = code.trim().to_ascii_lowercase();
        if c == "zh" || c.starts_with("zh-") {
            Some(Language::Zh)
        } else if c == "en" || c.starts_with("en-") {
            Some(Language::En)
        } else {
            None
        }
    }
}

/// A template: the subject (e-mail) and the body (every channel).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Subject line of an e-mail.
    pub subject: String,
    /// Text of the message.
    pub body: String,
}

/// Why a template cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A placeholder names no known field.
    #[error("unknown field '{{{0}}}': the fields are {fields}", fields = FIELDS.join(", "))]
    UnknownField(String),
    /// A brace is not closed or not escaped.
    #[error("unbalanced brace at character {0}: write {{{{ or }}}} for a literal brace")]
    Unbalanced(usize),
    /// The notice has no value for a field the template uses.
    #[error("the message needs '{{{0}}}' but the notice has no value for it")]
    Missing(String),
    /// Empty text.
    #[error("the template is empty")]
    Empty,
}

/// The parts of a template: literal text and field names.
enum Part<'a> {
    Text(&'a str),
    Field(&'a str),
}

fn parts(template: &str) -> Result<Vec<Part<'_>>, TemplateError> {
    let mut out = Vec::new();
    let bytes = template.as_bytes();
    let (mut i, mut start) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                out.push(Part::Text(&template[start..=i]));
                i += 2;
                start = i;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                out.push(Part::Text(&template[start..=i]));
                i += 2;
                start = i;
            }
            b'{' => {
                out.push(Part::Text(&template[start..i]));
                let end = template[i + 1..]
                    .find('}')
                    .ok_or(TemplateError::Unbalanced(i))?;
                let name = &template[i + 1..i + 1 + end];
                if !FIELDS.contains(&name) {
                    return Err(TemplateError::UnknownField(name.to_owned()));
                }
                out.push(Part::Field(name));
                i += end + 2;
                start = i;
            }
            b'}' => return Err(TemplateError::Unbalanced(i)),
            _ => i += 1,
        }
    }
    out.push(Part::Text(&template[start..]));
    Ok(out)
}

/// Checks that a template names only known fields and balances its braces.
///
/// # Errors
/// [`TemplateError`].
pub fn check(template: &str) -> Result<(), TemplateError> {
    if template.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    parts(template).map(|_| ())
}

/// Fills a template with `fields`.
///
/// # Errors
/// [`TemplateError`]: a bad template or a field without a value.
pub fn render(template: &str, fields: &BTreeMap<&str, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 32);
    for part in parts(template)? {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Field(f) => out.push_str(
                fields
                    .get(f)
                    .ok_or_else(|| TemplateError::Missing(f.to_owned()))?,
            ),
        }
    }
    Ok(out)
}

/// The built-in template of a notice kind in a language.
pub fn builtin(kind: NoticeKind, language: Language) -> Template {
    let (subject, body) = match (kind, language) {
        (NoticeKind::DueSoon, Language::Zh) => (
            "还款提醒：贷款 {loan} 将于 {due_date} 到期",
            "尊敬的{name}：您的贷款 {loan} 本期应还 {amount} 元，将于 {due_date} 到期，请提前存入足额资金。如已还款请忽略。",
        ),
        (NoticeKind::DueSoon, Language::En) => (
            "Reminder: loan {loan} is due on {due_date}",
            "Dear {name}, the installment of {amount} CNY on your loan {loan} is due on {due_date}. Please have the funds ready. Ignore this message if you have paid.",
        ),
        (NoticeKind::DueToday, Language::Zh) => (
            "今日还款：贷款 {loan}",
            "尊敬的{name}：您的贷款 {loan} 本期应还 {amount} 元今日（{due_date}）到期，请确保账户余额充足。",
        ),
        (NoticeKind::DueToday, Language::En) => (
            "Due today: loan {loan}",
            "Dear {name}, the installment of {amount} CNY on your loan {loan} is due today ({due_date}). Please make sure your account has enough funds.",
        ),
        (NoticeKind::Overdue, Language::Zh) => (
            "逾期通知：贷款 {loan}",
            "尊敬的{name}：您的贷款 {loan} 已逾期 {dpd} 天，逾期金额 {overdue_amount} 元，罚息按日计收。请尽快还款，以免影响您的信用记录。",
        ),
        (NoticeKind::Overdue, Language::En) => (
            "Overdue notice: loan {loan}",
            "Dear {name}, your loan {loan} is {dpd} days past due with {overdue_amount} CNY overdue; penalty interest accrues daily. Please pay as soon as possible to protect your credit record.",
        ),
        (NoticeKind::BrokenPromise, Language::Zh) => (
            "承诺还款未履行：贷款 {loan}",
            "尊敬的{name}：您承诺于 {promised_date} 偿还 {promised_amount} 元（贷款 {loan}），截至目前尚未足额到账。逾期金额 {overdue_amount} 元，请立即还款。",
        ),
        (NoticeKind::BrokenPromise, Language::En) => (
            "Promise to pay not kept: loan {loan}",
            "Dear {name}, you promised to pay {promised_amount} CNY on loan {loan} by {promised_date}; it has not been received in full. {overdue_amount} CNY is overdue: please pay now.",
        ),
        (NoticeKind::SettlementOffer, Language::Zh) => (
            "和解方案：贷款 {loan}",
            "尊敬的{name}：经审批，您的贷款 {loan} 可于 {pay_by} 前一次性偿还 {settlement_amount} 元结清，余款予以减免。逾期未还则方案失效。",
        ),
        (NoticeKind::SettlementOffer, Language::En) => (
            "Settlement offer: loan {loan}",
            "Dear {name}, your loan {loan} will be settled in full if you pay {settlement_amount} CNY by {pay_by}; the rest will be waived. The offer lapses after that date.",
        ),
    };
    Template {
        subject: subject.to_owned(),
        body: body.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> BTreeMap<&'static str, String> {
        FIELDS.iter().map(|f| (*f, format!("<{f}>"))).collect()
    }

    #[test]
    fn every_builtin_template_is_valid_and_renders() {
        for kind in NoticeKind::ALL {
            for lang in [Language::Zh, Language::En] {
                let t = builtin(kind, lang);
                check(&t.subject).unwrap();
                check(&t.body).unwrap();
                let body = render(&t.body, &fields()).unwrap();
                assert!(body.contains("<loan>"), "{body}");
                assert!(!body.contains('{'), "{body}");
            }
        }
    }

    #[test]
    fn placeholders_are_filled_and_literal_braces_kept() {
        let mut f = BTreeMap::new();
        f.insert("name", "张三".to_owned());
        f.insert("amount", "1234.50".to_owned());
        assert_eq!(
            render("{name} owes {amount} {{sic}}", &f).unwrap(),
            "张三 owes 1234.50 {sic}"
        );
    }

    #[test]
    fn bad_templates_name_the_problem() {
        assert_eq!(
            check("pay {amout} now"),
            Err(TemplateError::UnknownField("amout".into()))
        );
        assert_eq!(check("pay {amount now"), Err(TemplateError::Unbalanced(4)));
        assert_eq!(check("pay } now"), Err(TemplateError::Unbalanced(4)));
        assert_eq!(check("  "), Err(TemplateError::Empty));
        assert_eq!(
            render("{dpd}", &BTreeMap::new()),
            Err(TemplateError::Missing("dpd".into()))
        );
        let e = check("{x}").unwrap_err().to_string();
        assert!(
            e.contains("unknown field '{x}'") && e.contains("due_date"),
            "{e}"
        );
    }

    #[test]
    fn languages_parse_with_regions() {
        assert_eq!(Language::parse("zh-CN"), Some(Language::Zh));
        assert_eq!(Language::parse("EN"), Some(Language::En));
        assert_eq!(Language::parse("fr"), None);
    }
}
