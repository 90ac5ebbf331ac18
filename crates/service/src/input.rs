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
