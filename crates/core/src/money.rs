//! Money: an exact count of minor units (fen, cents) in one currency.
//!
//! Amounts never pass through floating point. Arithmetic is checked: an
//! overflow or a mix of currencies is an error, not a wrong number.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::rounding::Rounding;

/// The largest amount loanbook accepts anywhere: 10^15 minor units (10 trillion yuan).
///
/// Keeping amounts this far below `i64::MAX` leaves room for interest over the
/// longest term without overflow.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

/// An ISO 4217 currency and the number of its minor-unit digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: [u8; 3],
    minor_digits: u8,
}

impl Currency {
    /// Chinese yuan (人民币), two minor digits.
    pub const CNY: Currency = Currency::known(*b"CNY", 2);
    /// US dollar, two minor digits.
    pub const USD: Currency = Currency::known(*b"USD", 2);
    /// Euro, two minor digits.
    pub const EUR: Currency = Currency::known(*b"EUR", 2);
    /// Hong Kong dollar, two minor digits.
    pub const HKD: Currency = Currency::known(*b"HKD", 2);

    const fn known(code: [u8; 3], minor_digits: u8) -> Currency {
        Currency { code, minor_digits }
    }

    /// Looks up a currency loanbook knows by its ISO code (`CNY`, `USD`, `EUR`, `HKD`).
    ///
    /// # Errors
    /// [`MoneyError::UnknownCurrency`] for any other code.
    pub fn from_code(code: &str) -> Result<Currency, MoneyError> {
        [Currency::CNY, Currency::USD, Currency::EUR, Currency::HKD]
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    /// The three-letter ISO code.
    pub fn code(&self) -> &str {
        // The constructor only admits ASCII uppercase letters.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Number of fraction digits of the minor unit (2 for fen and cents).
    pub fn minor_digits(&self) -> u32 {
        u32::from(self.minor_digits)
    }

    fn minor_per_major(&self) -> i64 {
        10_i64.pow(self.minor_digits())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    /// The ISO code: `"CNY"`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What can go wrong with money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not an amount such as `1234.50`.
    #[error(
        "'{0}' is not an amount: expected digits with an optional '.' and up to {1} decimals, like 1234.50"
    )]
    Malformed(String, u32),
    /// More fraction digits than the currency has.
    #[error("'{0}' has more than {1} decimals")]
    TooPrecise(String, u32),
    /// Larger than [`MAX_AMOUNT_MINOR`] or than an `i64` can hold.
    #[error("amount out of range (the limit is 10000000000000.00)")]
    Overflow,
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    /// A currency code loanbook does not know.
    #[error("unknown currency '{0}'")]
    UnknownCurrency(String),
}

/// An amount of money: `amount_minor` minor units of `currency`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount_minor: i64,
    currency: Currency,
}

impl Money {
    /// `amount_minor` minor units (fen) of `currency`.
    pub const fn from_minor(amount_minor: i64, currency: Currency) -> Money {
        Money {
            amount_minor,
            currency,
        }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Money {
        Money::from_minor(0, currency)
    }

    /// The amount in minor units.
    pub const fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    /// The currency.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// True when the amount is greater than zero.
    pub const fn is_positive(&self) -> bool {
        self.amount_minor > 0
    }

    /// True when the amount is below zero.
    pub const fn is_negative(&self) -> bool {
        self.amount_minor < 0
    }

    /// True when the amount is zero.
    pub const fn is_zero(&self) -> bool {
        self.amount_minor == 0
    }

    /// Parses `1234.50`, `-3`, `0.5` in `currency`.
    ///
    /// # Errors
    /// [`MoneyError::Malformed`] for anything but an optional `-`, digits and at most one
    /// `.` (no spaces, thousands separators, `+` or exponents); [`MoneyError::TooPrecise`]
    /// for more decimals than the currency has; [`MoneyError::Overflow`] above the limit.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let digits = currency.minor_digits();
        let malformed = || MoneyError::Malformed(text.to_owned(), digits);
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match body.split_once('.') {
            Some((w, f)) => (w, f),
            None => (body, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(malformed());
        }
        if body.contains('.') && fraction.is_empty() {
            return Err(malformed());
        }
        if fraction.len() > digits as usize {
            return Err(MoneyError::TooPrecise(text.to_owned(), digits));
        }
        // At most 19 digits fit an i64; longer input is out of range anyway.
        if whole.len() > 18 {
            return Err(MoneyError::Overflow);
        }
        let whole_value: i64 = whole.parse().map_err(|_| malformed())?;
        let mut fraction_value: i64 = 0;
        for b in fraction.bytes() {
            fraction_value = fraction_value * 10 + i64::from(b - b'0');
        }
        let scale = 10_i64.pow(digits - fraction.len() as u32);
        let minor = whole_value
            .checked_mul(currency.minor_per_major())
            .and_then(|w| w.checked_add(fraction_value * scale))
            .ok_or(MoneyError::Overflow)?;
        let minor = if negative { -minor } else { minor };
        Money::checked_in_range(minor, currency)
    }

    fn checked_in_range(amount_minor: i64, currency: Currency) -> Result<Money, MoneyError> {
        if amount_minor.abs() > MAX_AMOUNT_MINOR {
            return Err(MoneyError::Overflow);
        }
        Ok(Money::from_minor(amount_minor, currency))
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// `self + other`.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`].
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let sum = self
            .amount_minor
            .checked_add(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Money::checked_in_range(sum, self.currency)
    }

    /// `self − other`.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`].
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let difference = self
            .amount_minor
            .checked_sub(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Money::checked_in_range(difference, self.currency)
    }

    /// The amount in major units (yuan) as an exact decimal: 123450 fen → 1234.50.
    pub fn to_decimal(&self) -> Decimal {
        Decimal::new(self.amount_minor, self.currency.minor_digits())
    }

    /// Rounds a decimal amount in major units to the currency's minor unit by `rounding`.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] when the result is above the limit.
    pub fn from_decimal(
        value: Decimal,
        currency: Currency,
        rounding: Rounding,
    ) -> Result<Money, MoneyError> {
        let rounded = rounding.round(value, currency.minor_digits());
        let minor = rounded
            .checked_mul(Decimal::from(currency.minor_per_major()))
            .and_then(|m| i64::try_from(m).ok())
            .ok_or(MoneyError::Overflow)?;
        Money::checked_in_range(minor, currency)
    }

    /// `self × factor`, rounded to the minor unit by `rounding`.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] when the product is above the limit.
    pub fn mul_decimal(self, factor: Decimal, rounding: Rounding) -> Result<Money, MoneyError> {
        let product = self
            .to_decimal()
            .checked_mul(factor)
            .ok_or(MoneyError::Overflow)?;
        Money::from_decimal(product, self.currency, rounding)
    }
}

impl fmt::Display for Money {
    /// `1234.50`: the amount with exactly the currency's decimals, no code, no
    /// separators. Width and alignment flags pad it like a string (`{:>12}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_digits();
        let per_major = self.currency.minor_per_major().unsigned_abs();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let magnitude = self.amount_minor.unsigned_abs();
        let whole = magnitude / per_major;
        let text = if digits == 0 {
            format!("{sign}{whole}")
        } else {
            let fraction = magnitude % per_major;
            format!("{sign}{whole}.{fraction:0width$}", width = digits as usize)
        };
        f.pad(&text)
    }
}

impl std::ops::Neg for Money {
    type Output = Money;

    /// `−self`; amounts are within ±[`MAX_AMOUNT_MINOR`], so negation cannot overflow.
    fn neg(self) -> Money {
        Money::from_minor(-self.amount_minor, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self, self.currency)
    }
}

impl Serialize for Money {
    /// JSON money is a decimal string with exactly two fraction digits: `"1234.50"`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cny(text: &str) -> Result<Money, MoneyError> {
        Money::parse(text, Currency::CNY)
    }

    #[test]
    fn parses_and_formats_two_decimals() {
        assert_eq!(cny("1234.50").unwrap().amount_minor(), 123_450);
        assert_eq!(cny("1234.5").unwrap().to_string(), "1234.50");
        assert_eq!(cny("100000").unwrap().to_string(), "100000.00");
        assert_eq!(cny("0.05").unwrap().to_string(), "0.05");
        assert_eq!(cny("-3").unwrap().to_string(), "-3.00");
        assert_eq!(cny("-0.07").unwrap().to_string(), "-0.07");
    }

    #[test]
    fn refuses_malformed_amounts() {
        for bad in [
            "", "-", ".5", "5.", "1,234.50", "+5", "1e3", " 5", "5 ", "1.2.3", "¥5", "--5",
        ] {
            assert!(
                matches!(cny(bad), Err(MoneyError::Malformed(..))),
                "{bad:?} should be malformed"
            );
        }
        assert_eq!(cny("1.234"), Err(MoneyError::TooPrecise("1.234".into(), 2)));
        assert_eq!(cny("10000000000000.01"), Err(MoneyError::Overflow));
        assert_eq!(cny("99999999999999999999999"), Err(MoneyError::Overflow));
        assert!(cny("10000000000000.00").is_ok());
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = cny("10000000000000").unwrap();
        assert_eq!(
            a.checked_add(cny("0.01").unwrap()),
            Err(MoneyError::Overflow)
        );
        let usd = Money::parse("1", Currency::USD).unwrap();
        assert_eq!(
            a.checked_sub(usd),
            Err(MoneyError::CurrencyMismatch(Currency::CNY, Currency::USD))
        );
        assert_eq!(
            cny("5.10")
                .unwrap()
                .checked_sub(cny("7.25").unwrap())
                .unwrap()
                .to_string(),
            "-2.15"
        );
    }

    #[test]
    fn multiplies_by_a_rate_with_named_rounding() {
        // 100000.00 × 0.0435 / 12 = 362.5 exactly
        let interest = cny("100000")
            .unwrap()
            .mul_decimal("0.003625".parse().unwrap(), Rounding::HalfUp)
            .unwrap();
        assert_eq!(interest.to_string(), "362.50");
        // 0.25 × 0.5 = 0.125 → 0.13 half-up, 0.12 half-even
        let x = cny("0.25").unwrap();
        let half: Decimal = "0.5".parse().unwrap();
        assert_eq!(
            x.mul_decimal(half, Rounding::HalfUp).unwrap().to_string(),
            "0.13"
        );
        assert_eq!(
            x.mul_decimal(half, Rounding::HalfEven).unwrap().to_string(),
            "0.12"
        );
    }

    #[test]
    fn pads_like_a_string() {
        assert_eq!(format!("{:>10}|", cny("-1.5").unwrap()), "     -1.50|");
        assert_eq!(format!("{:<8}|", cny("3").unwrap()), "3.00    |");
    }

    #[test]
    fn serializes_as_a_string() {
        let json = serde_json::to_string(&cny("1234.5").unwrap()).unwrap();
        assert_eq!(json, "\"1234.50\"");
    }

    #[test]
    fn currency_lookup() {
        assert_eq!(Currency::from_code("USD"), Ok(Currency::USD));
        assert_eq!(
            Currency::from_code("XYZ"),
            Err(MoneyError::UnknownCurrency("XYZ".into()))
        );
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(minor in -MAX_AMOUNT_MINOR..=MAX_AMOUNT_MINOR) {
            let money = Money::from_minor(minor, Currency::CNY);
            prop_assert_eq!(Money::parse(&money.to_string(), Currency::CNY), Ok(money));
        }

        #[test]
        fn to_decimal_then_from_decimal_round_trips(minor in -MAX_AMOUNT_MINOR..=MAX_AMOUNT_MINOR) {
            let money = Money::from_minor(minor, Currency::CNY);
            let back = Money::from_decimal(money.to_decimal(), Currency::CNY, Rounding::HalfEven);
            prop_assert_eq!(back, Ok(money));
        }

        #[test]
        fn add_then_sub_is_identity(a in -MAX_AMOUNT_MINOR/2..MAX_AMOUNT_MINOR/2, b in -MAX_AMOUNT_MINOR/2..MAX_AMOUNT_MINOR/2) {
            let x = Money::from_minor(a, Currency::CNY);
            let y = Money::from_minor(b, Currency::CNY);
            prop_assert_eq!(x.checked_add(y).unwrap().checked_sub(y).unwrap(), x);
        }
    }
}
