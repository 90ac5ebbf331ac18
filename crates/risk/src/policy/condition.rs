//! Unary tests (FEEL-like conditions) of a decision-table cell: parsed once when a policy
//! loads, so a typo is a load error and deciding never meets an unreadable condition.
//!
//! The forms: `-` or empty (anything, Missing too); `< 5`, `<= 5`, `> 5`, `>= 5`, `= 5`,
//! `!= 5` and a bare `5` (equality) on numbers; intervals `[a..b]`, `[a..b)`, `(a..b]`,
//! `(a..b)`; text literals `"A"` and `= "A"`, `!= "A"`; `true`, `false`; `null` (Missing);
//! comma-separated lists of these (any of) and `not(...)` of a list (none of, value present).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::Value;

/// The longest condition text read, in bytes.
pub const MAX_CONDITION_LEN: usize = 1024;
/// The most items in one comma-separated list.
pub const MAX_ITEMS: usize = 256;

/// Why a condition text could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem} (at character {at})")]
pub struct ConditionError {
    /// What was wrong.
    pub problem: String,
    /// 1-based character position in the condition text.
    pub at: usize,
}

/// A comparison operator on numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// One positive unary test.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Null,
    Bool(bool),
    Text(String),
    TextNe(String),
    Cmp(Op, Decimal),
    Interval {
        lo: Decimal,
        lo_closed: bool,
        hi: Decimal,
        hi_closed: bool,
    },
}

/// The whole cell.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Any,
    AnyOf(Vec<Item>),
    NoneOf(Vec<Item>),
}

/// A parsed condition: one decision-table input cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    kind: Kind,
}

impl Condition {
    /// Reads a condition.
    ///
    /// # Errors
    /// Text longer than [`MAX_CONDITION_LEN`], a list of more than [`MAX_ITEMS`] items,
    /// anything outside the forms of the module docs, an empty interval (`[5..3]`).
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        if text.len() > MAX_CONDITION_LEN {
            return Err(ConditionError {
                problem: format!(
                    "condition is {} bytes long, the limit is {MAX_CONDITION_LEN}",
                    text.len()
                ),
                at: 1,
            });
        }
        let mut p = Parser { s: text, pos: 0 };
        p.skip_ws();
        if p.rest().is_empty() || p.rest().trim_end() == "-" {
            return Ok(Condition { kind: Kind::Any });
        }
        let kind = if p.eat_keyword("not") {
            p.skip_ws();
            p.expect("(")?;
            let items = p.items(Some(')'))?;
            p.expect(")")?;
            Kind::NoneOf(items)
        } else {
            Kind::AnyOf(p.items(None)?)
        };
        p.skip_ws();
        if !p.rest().is_empty() {
            return Err(p.error("unexpected text after the condition"));
        }
        Ok(Condition { kind })
    }

    /// The condition that matches anything.
    pub fn any() -> Condition {
        Condition { kind: Kind::Any }
    }

    /// Whether `value` passes the condition.
    pub fn matches(&self, value: &Value) -> bool {
        match &self.kind {
            Kind::Any => true,
            Kind::AnyOf(items) => items.iter().any(|i| i.matches(value)),
            Kind::NoneOf(items) => {
                !matches!(value, Value::Missing) && !items.iter().any(|i| i.matches(value))
            }
        }
    }
}

impl Item {
    fn matches(&self, value: &Value) -> bool {
        match (self, value) {
            (Item::Null, Value::Missing) => true,
            (Item::Bool(b), Value::Bool(v)) => b == v,
            (Item::Text(t), Value::Text(v)) => t == v,
            (Item::TextNe(t), Value::Text(v)) => t != v,
            (Item::Cmp(op, n), Value::Number(x)) => match op {
                Op::Lt => x < n,
                Op::Le => x <= n,
                Op::Gt => x > n,
                Op::Ge => x >= n,
                Op::Eq => x == n,
                Op::Ne => x != n,
            },
            (
                Item::Interval {
                    lo,
                    lo_closed,
                    hi,
                    hi_closed,
                },
                Value::Number(x),
            ) => {
                let above = if *lo_closed { x >= lo } else { x > lo };
                let below = if *hi_closed { x <= hi } else { x < hi };
                above && below
            }
            _ => false,
        }
    }
}

/// A recursive-descent reader over the condition text.
struct Parser<'a> {
    s: &'a str,
    /// Byte offset into `s`.
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn error(&self, problem: impl Into<String>) -> ConditionError {
        ConditionError {
            problem: problem.into(),
            at: self.s[..self.pos].chars().count() + 1,
        }
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.s.len() - trimmed.len();
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), ConditionError> {
        self.skip_ws();
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.error(format!("expected '{token}'")))
        }
    }

    /// Eats `word` when it is followed by something that cannot continue a word.
    fn eat_keyword(&mut self, word: &str) -> bool {
        let rest = self.rest();
        let boundary = rest
            .get(word.len()..)
            .and_then(|r| r.chars().next())
            .is_none_or(|c| !c.is_alphanumeric() && c != '_');
        if rest.starts_with(word) && boundary {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    /// Comma-separated items, up to the end of the text or to `close` (not eaten).
    fn items(&mut self, close: Option<char>) -> Result<Vec<Item>, ConditionError> {
        let mut items = Vec::new();
        loop {
            if items.len() == MAX_ITEMS {
                return Err(self.error(format!("more than {MAX_ITEMS} items in the list")));
            }
            items.push(self.item()?);
            self.skip_ws();
            if self.eat(",") {
                continue;
            }
            let what = if close.is_some() {
                "',' or ')'"
            } else {
                "',' or the end of the condition"
            };
            return match (self.peek(), close) {
                (None, None) => Ok(items),
                (Some(c), Some(close)) if c == close => Ok(items),
                (Some(c), _) => Err(self.error(format!("unexpected '{c}': expected {what}"))),
                (None, _) => Err(self.error(format!("unexpected end: expected {what}"))),
            };
        }
    }

    fn item(&mut self) -> Result<Item, ConditionError> {
        self.skip_ws();
        if self.eat_keyword("null") {
            return Ok(Item::Null);
        }
        if self.eat_keyword("true") {
            return Ok(Item::Bool(true));
        }
        if self.eat_keyword("false") {
            return Ok(Item::Bool(false));
        }
        for (token, op) in [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("!=", Op::Ne),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("=", Op::Eq),
        ] {
            if self.eat(token) {
                self.skip_ws();
                if matches!(op, Op::Eq | Op::Ne) && self.peek() == Some('"') {
                    let text = self.text()?;
                    return Ok(if op == Op::Eq {
                        Item::Text(text)
                    } else {
                        Item::TextNe(text)
                    });
                }
                return Ok(Item::Cmp(op, self.number()?));
            }
        }
        match self.peek() {
            Some('"') => Ok(Item::Text(self.text()?)),
            Some('[' | '(' | ']') => self.interval(),
            Some(c) if c == '-' || c.is_ascii_digit() => Ok(Item::Cmp(Op::Eq, self.number()?)),
            Some(c) => Err(self.error(format!(
                "unexpected '{c}': expected a number, a \"text\", an interval, a comparison, true, false or null"
            ))),
            None => Err(self.error("expected a value")),
        }
    }

    /// A number like `600`, `-3`, `0.55`: no sign `+`, no exponent, no separators.
    fn number(&mut self) -> Result<Decimal, ConditionError> {
        self.skip_ws();
        let rest = self.rest();
        let mut end = usize::from(rest.starts_with('-'));
        let digits = |from: usize| {
            rest[from..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(rest.len(), |n| from + n)
        };
        let int_end = digits(end);
        let well_formed_int =
            int_end > end && !(rest[end..int_end].starts_with('0') && int_end - end > 1);
        if !well_formed_int {
            return Err(self.error("expected a number like 600, -3 or 0.55"));
        }
        end = int_end;
        // a '.' followed by a digit is a fraction; '..' is an interval's separator
        if rest[end..].starts_with('.') && rest[end + 1..].starts_with(|c: char| c.is_ascii_digit())
        {
            end = digits(end + 1);
        }
        let n = Decimal::from_str(&rest[..end])
            .map_err(|e| self.error(format!("'{}' is not a number: {e}", &rest[..end])))?;
        self.pos += end;
        Ok(n)
    }

    /// A double-quoted text literal; `\"` and `\\` escape.
    fn text(&mut self) -> Result<String, ConditionError> {
        let start = self.pos;
        self.pos += 1; // the opening quote
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    _ => {
                        self.pos += i;
                        return Err(self.error("only \\\" and \\\\ may follow a backslash"));
                    }
                },
                c => out.push(c),
            }
        }
        self.pos = start;
        Err(self.error("text literal is not closed by '\"'"))
    }

    fn interval(&mut self) -> Result<Item, ConditionError> {
        let start = self.pos;
        let lo_closed = self.eat("[");
        if !lo_closed {
            self.pos += 1; // '(' or ']'
        }
        let lo = self.number()?;
        self.expect("..")?;
        let hi = self.number()?;
        self.skip_ws();
        let hi_closed = match self.peek() {
            Some(']') => true,
            Some(')' | '[') => false,
            _ => return Err(self.error("expected ']' or ')' to close the interval")),
        };
        self.pos += 1;
        let empty = lo > hi || (lo == hi && !(lo_closed && hi_closed));
        if empty {
            let pos = self.pos;
            self.pos = start;
            let e = self.error(format!("interval '{}' is empty", &self.s[start..pos]));
            return Err(e);
        }
        Ok(Item::Interval {
            lo,
            lo_closed,
            hi,
            hi_closed,
        })
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn quoted(f: &mut fmt::Formatter<'_>, t: &str) -> fmt::Result {
            write!(f, "\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""))
        }
        match self {
            Item::Null => f.write_str("null"),
            Item::Bool(b) => write!(f, "{b}"),
            Item::Text(t) => quoted(f, t),
            Item::TextNe(t) => {
                f.write_str("!= ")?;
                quoted(f, t)
            }
            Item::Cmp(op, n) => {
                let op = match op {
                    Op::Lt => "< ",
                    Op::Le => "<= ",
                    Op::Gt => "> ",
                    Op::Ge => ">= ",
                    Op::Eq => "",
                    Op::Ne => "!= ",
                };
                write!(f, "{op}{}", n.normalize())
            }
            Item::Interval {
                lo,
                lo_closed,
                hi,
                hi_closed,
            } => write!(
                f,
                "{}{}..{}{}",
                if *lo_closed { '[' } else { '(' },
                lo.normalize(),
                hi.normalize(),
                if *hi_closed { ']' } else { ')' }
            ),
        }
    }
}

/// The canonical text: what the fingerprint covers.
impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, items: &[Item]| -> fmt::Result {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{item}")?;
            }
            Ok(())
        };
        match &self.kind {
            Kind::Any => f.write_str("-"),
            Kind::AnyOf(items) => list(f, items),
            Kind::NoneOf(items) => {
                f.write_str("not(")?;
                list(f, items)?;
                f.write_str(")")
            }
        }
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(text: &str) -> Condition {
        Condition::parse(text).unwrap_or_else(|e| panic!("'{text}': {e}"))
    }
    fn n(x: &str) -> Value {
        Value::Number(Decimal::from_str(x).unwrap())
    }
    fn t(x: &str) -> Value {
        Value::Text(x.into())
    }

    #[test]
    fn any_matches_everything_missing_too() {
        for text in ["-", "", "  -  "] {
            let any = c(text);
            for v in [n("1"), t("A"), Value::Bool(false), Value::Missing] {
                assert!(any.matches(&v), "'{text}' vs {v:?}");
            }
        }
    }

    #[test]
    fn comparisons_on_numbers() {
        let cases = [
            ("< 520", "519.99", true),
            ("< 520", "520", false),
            ("<= 520", "520", true),
            ("<= 520", "520.01", false),
            ("> 0.55", "0.56", true),
            ("> 0.55", "0.55", false),
            (">= 700", "700", true),
            (">= 700", "699", false),
            ("= 3", "3.00", true),
            ("= 3", "4", false),
            ("!= 3", "4", true),
            ("!= 3", "3", false),
            ("600", "600", true),
            ("600", "601", false),
            ("-3", "-3", true),
            ("> -1.5", "-1", true),
            ("<-1.5", "-1", false),
        ];
        for (text, x, expected) in cases {
            assert_eq!(c(text).matches(&n(x)), expected, "'{text}' vs {x}");
        }
    }

    #[test]
    fn intervals_open_and_closed() {
        let cases = [
            ("[18..22)", "18", true),
            ("[18..22)", "22", false),
            ("[18..22)", "21.9", true),
            ("[18..22]", "22", true),
            ("(18..22]", "18", false),
            ("(18..22]", "18.01", true),
            ("(0.45..0.6)", "0.6", false),
            ("(0.45..0.6)", "0.45", false),
            ("(0.45..0.6)", "0.5", true),
            ("]0.45..0.6[", "0.5", true),
            ("[1..1]", "1", true),
            ("[ -5 .. 5 ]", "-5", true),
        ];
        for (text, x, expected) in cases {
            assert_eq!(c(text).matches(&n(x)), expected, "'{text}' vs {x}");
        }
    }

    #[test]
    fn text_literals_lists_and_not() {
        assert!(c("\"A\"").matches(&t("A")));
        assert!(!c("\"A\"").matches(&t("a")));
        assert!(c("\"A\",\"B\"").matches(&t("B")));
        assert!(!c("\"A\", \"B\"").matches(&t("C")));
        assert!(c("= \"A\"").matches(&t("A")));
        assert!(c("!= \"A\"").matches(&t("B")));
        assert!(!c("!= \"A\"").matches(&t("A")));
        assert!(c("\"say \\\"hi\\\", then\"").matches(&t("say \"hi\", then")));
        assert!(c("not(\"A\",\"B\")").matches(&t("C")));
        assert!(!c("not(\"A\",\"B\")").matches(&t("A")));
        assert!(
            !c("not(\"A\")").matches(&Value::Missing),
            "not() needs a value"
        );
        assert!(c("not( < 5 )").matches(&n("5")));
        assert!(!c("not(<5)").matches(&n("4")));
        // a mixed list: any of
        assert!(c("< 0, [10..20]").matches(&n("15")));
        assert!(!c("< 0, [10..20]").matches(&n("5")));
    }

    #[test]
    fn booleans_and_null() {
        assert!(c("true").matches(&Value::Bool(true)));
        assert!(!c("true").matches(&Value::Bool(false)));
        assert!(c("false").matches(&Value::Bool(false)));
        assert!(!c("false").matches(&Value::Missing));
        assert!(c("null").matches(&Value::Missing));
        assert!(!c("null").matches(&n("0")));
        assert!(c("null, > 5").matches(&Value::Missing));
        assert!(c("not(null)").matches(&t("x")));
    }

    #[test]
    fn missing_and_mismatched_types_do_not_match() {
        for text in ["< 5", "[1..2]", "\"A\"", "!= 3", "!= \"A\"", "true", "5"] {
            assert!(!c(text).matches(&Value::Missing), "'{text}' vs Missing");
        }
        assert!(!c("< 5").matches(&t("4")), "a number test against text");
        assert!(!c("!= 5").matches(&t("x")));
        assert!(!c("\"5\"").matches(&n("5")), "a text test against a number");
        assert!(!c("true").matches(&t("true")));
    }

    #[test]
    fn bad_conditions_are_errors_with_a_position() {
        for (text, problem) in [
            (">= 7OO", "unexpected 'O'"),
            ("< x", "expected a number"),
            ("[5..3]", "empty"),
            ("[5..5)", "empty"),
            ("[1..2", "expected ']' or ')'"),
            ("[1,2]", "expected '..'"),
            ("\"A", "not closed"),
            ("not(\"A\"", "or ')'"),
            ("\"A\" \"B\"", "unexpected '\"'"),
            ("A", "unexpected 'A'"),
            ("+5", "unexpected '+'"),
            (".5", "unexpected '.'"),
            ("007", "expected a number"),
            ("1e5", "unexpected 'e'"),
            ("\"A\",", "expected a value"),
            ("nullx", "unexpected 'n'"),
        ] {
            let e = Condition::parse(text).expect_err(text);
            assert!(e.to_string().contains(problem), "'{text}': {e}");
        }
        let e = Condition::parse("< 5 x").unwrap_err();
        assert_eq!(e.at, 5, "{e}");
        assert!(Condition::parse(&"1,".repeat(300)).is_err());
        assert!(Condition::parse(&" ".repeat(MAX_CONDITION_LEN + 1)).is_err());
    }

    #[test]
    fn display_is_canonical_and_reads_back() {
        for (text, canonical) in [
            ("  -", "-"),
            ("= 600", "600"),
            ("<=0.550", "<= 0.55"),
            ("]1..2[", "(1..2)"),
            ("\"A\" , \"B\"", "\"A\",\"B\""),
            ("not( \"A\" )", "not(\"A\")"),
            ("= \"x\\\"y\"", "\"x\\\"y\""),
            ("null,true", "null,true"),
        ] {
            let parsed = c(text);
            assert_eq!(parsed.to_string(), canonical);
            assert_eq!(c(canonical), parsed);
        }
    }

    proptest! {
        #[test]
        fn half_open_interval_matches_iff_inside(
            a in -100_000i64..100_000,
            width in 1i64..100_000,
            x in -300_000i64..300_000,
            scale in 0u32..4,
        ) {
            let (a, b, x) = (
                Decimal::new(a, scale),
                Decimal::new(a + width, scale),
                Decimal::new(x, scale),
            );
            let cond = c(&format!("[{a}..{b})"));
            prop_assert_eq!(cond.matches(&Value::Number(x)), a <= x && x < b);
        }
    }
}
