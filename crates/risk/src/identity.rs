//! Identity numbers: the resident ID number (GB 11643), the unified social credit code
//! (GB 32100) and mainland mobile numbers. Each type can only be made by `parse`, which
//! checks every rule and says which one failed.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// Why an identity number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Wrong length.
    #[error("must be {expected} characters (got {got})")]
    Length {
        /// Required length.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// A character outside the allowed set.
    #[error("{0}")]
    Characters(String),
    /// The region code names no province.
    #[error("region code {0} is not a province of China")]
    Region(String),
    /// The birth date is impossible or in the future (the date itself is not repeated:
    /// error messages never carry personal data).
    #[error(
        "the birth date (characters 7–14) is not a valid date between 1900 and the business date"
    )]
    BirthDate,
    /// The check character does not match.
    #[error("check character is {found} but the number requires {expected}")]
    Checksum {
        /// The check character given.
        found: char,
        /// The one the other characters require.
        expected: char,
    },
    /// Not a mainland mobile number (the value is not repeated).
    #[error("is not a mainland mobile number (11 digits starting 13–19)")]
    Phone,
}

/// Province-level codes (the first two digits of a region code).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The sex recorded in a resident ID number (odd sequence: male).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    /// `male` or `female`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// The check character (ISO 7064 MOD 11-2) of the first 17 digits of a resident ID
/// number; `None` unless `first17` is 17 ASCII digits.
pub fn id_check_character(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(ID_CHECK[(sum % 11) as usize])
}

/// The Luhn check digit (ISO/IEC 7812, bank cards) that completes `body`; `None` unless
/// `body` is ASCII digits.
pub fn luhn_check_digit(body: &str) -> Option<u8> {
    if !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // the check digit will be rightmost, so the body's rightmost digit is doubled
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    u8::try_from((10 - sum % 10) % 10).ok()
}

/// Whether `number` (digits only) passes the Luhn check.
pub fn luhn_valid(number: &str) -> bool {
    match number.len() {
        0 | 1 => false,
        n => {
            luhn_check_digit(&number[..n - 1]).is_some_and(|d| number.as_bytes()[n - 1] == b'0' + d)
        }
    }
}

/// A valid 18-character resident ID number (居民身份证号, GB 11643-1999).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber {
    text: String,
    birth_date: NaiveDate,
}

impl IdNumber {
    /// Parses and checks `text` (a trailing `x` is read as `X`) against `as_of`, the
    /// business date: 18 characters, a province region code, a real birth date not after
    /// `as_of` and from 1900 on, and the ISO 7064 MOD 11-2 check character.
    ///
    /// # Errors
    /// The first rule broken, as an [`IdentityError`].
    pub fn parse(text: &str, as_of: NaiveDate) -> Result<IdNumber, IdentityError> {
        let text = text.trim().to_ascii_uppercase();
        let chars: Vec<char> = text.chars().collect();
        if chars.len() != 18 {
            return Err(IdentityError::Length {
                expected: 18,
                got: chars.len(),
            });
        }
        if !chars[..17].iter().all(char::is_ascii_digit)
            || !(chars[17].is_ascii_digit() || chars[17] == 'X')
        {
            return Err(IdentityError::Characters(
                "must be 17 digits followed by a digit or X".into(),
            ));
        }
        if !PROVINCES.contains(&&text[..2]) {
            return Err(IdentityError::Region(text[..6].to_owned()));
        }
        let birth = &text[6..14];
        let birth_date = NaiveDate::parse_from_str(birth, "%Y%m%d")
            .ok()
            .filter(|d| *d <= as_of && d.year() >= 1900)
            .ok_or(IdentityError::BirthDate)?;
        let expected = id_check_character(&text[..17]).unwrap_or('?');
        if chars[17] != expected {
            return Err(IdentityError::Checksum {
                found: chars[17],
                expected,
            });
        }
        Ok(IdNumber { text, birth_date })
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The date of birth it encodes.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The sex it encodes.
    pub fn sex(&self) -> Sex {
        let sequence = self.text.as_bytes()[16] - b'0';
        if sequence % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Age in whole years on `on`.
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        on.years_since(self.birth_date).unwrap_or(0)
    }

    /// The province code (first two digits).
    pub fn province_code(&self) -> &str {
        &self.text[..2]
    }
}

impl fmt::Debug for IdNumber {
    /// Never prints the number in clear.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IdNumber({}**********{})",
            &self.text[..4],
            &self.text[14..]
        )
    }
}

const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A valid unified social credit code (统一社会信用代码, GB 32100-2015).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Uscc(String);

impl Uscc {
    /// Parses and checks `text`: 18 characters from the code's 31-character alphabet
    /// (no I, O, S, V, Z), region digits in places 3–8, and the MOD 31 check character.
    ///
    /// # Errors
    /// The first rule broken, as an [`IdentityError`].
    pub fn parse(text: &str) -> Result<Uscc, IdentityError> {
        let text = text.trim().to_ascii_uppercase();
        let chars: Vec<char> = text.chars().collect();
        if chars.len() != 18 {
            return Err(IdentityError::Length {
                expected: 18,
                got: chars.len(),
            });
        }
        let values: Option<Vec<u32>> = chars
            .iter()
            .map(|c| USCC_ALPHABET.find(*c).map(|i| i as u32))
            .collect();
        let Some(values) = values else {
            return Err(IdentityError::Characters(
                "may contain only digits and the letters A–Y except I, O, S, V".into(),
            ));
        };
        if !chars[2..8].iter().all(char::is_ascii_digit) {
            return Err(IdentityError::Characters(
                "places 3–8 must be a numeric region code".into(),
            ));
        }
        let sum: u32 = values[..17]
            .iter()
            .zip(USCC_WEIGHTS)
            .map(|(v, w)| v * w)
            .sum();
        let check = (31 - sum % 31) % 31;
        let expected = USCC_ALPHABET.as_bytes()[check as usize] as char;
        if chars[17] != expected {
            return Err(IdentityError::Checksum {
                found: chars[17],
                expected,
            });
        }
        Ok(Uscc(text))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mainland mobile number: 11 digits starting 13–19.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MobilePhone(String);

impl MobilePhone {
    /// Parses `text`, allowing spaces, hyphens and a leading `+86` or `86`.
    ///
    /// # Errors
    /// [`IdentityError::Phone`].
    pub fn parse(text: &str) -> Result<MobilePhone, IdentityError> {
        let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("86").filter(|d| d.len() == 11))
            .unwrap_or(&digits);
        let bytes = digits.as_bytes();
        let valid = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if valid {
            Ok(MobilePhone(digits.to_owned()))
        } else {
            Err(IdentityError::Phone)
        }
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MobilePhone {
    /// Never prints the number in clear.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobilePhone({}****{})", &self.0[..3], &self.0[7..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn accepts_the_standard_example() {
        // GB 11643's own example: 11010519491231002X, born 1949-12-31, sequence 002 → female
        let id = IdNumber::parse("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.age_on(today()), 76);
        // 110101199003078515: born 1990-03-07, sequence 851 → male, 36 on 2026-11-23
        let id = IdNumber::parse("110101199003078515", today()).unwrap();
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.age_on(today()), 36);
        assert_eq!(format!("{id:?}"), "IdNumber(1101**********8515)");
    }

    #[test]
    fn refuses_each_broken_rule() {
        let t = today();
        assert_eq!(
            IdNumber::parse("11010519491231002", t),
            Err(IdentityError::Length {
                expected: 18,
                got: 17
            })
        );
        assert!(matches!(
            IdNumber::parse("1101051949123100AX", t),
            Err(IdentityError::Characters(_))
        ));
        assert_eq!(
            IdNumber::parse("990105194912310021", t),
            Err(IdentityError::Region("990105".into()))
        );
        // 1990-02-30 does not exist
        assert!(matches!(
            IdNumber::parse("110101199002300011", t),
            Err(IdentityError::BirthDate)
        ));
        // born after the business date
        assert!(matches!(
            IdNumber::parse("110101202712310011", t),
            Err(IdentityError::BirthDate)
        ));
        assert_eq!(
            IdNumber::parse("110105194912310021", t),
            Err(IdentityError::Checksum {
                found: '1',
                expected: 'X'
            })
        );
    }

    #[test]
    fn uscc_checksum() {
        assert_eq!(
            Uscc::parse("91350100M000100Y43").unwrap().as_str(),
            "91350100M000100Y43"
        );
        assert_eq!(
            Uscc::parse("91110000100000000r").unwrap().as_str(),
            "91110000100000000R"
        );
        assert_eq!(
            Uscc::parse("91350100M000100Y44"),
            Err(IdentityError::Checksum {
                found: '4',
                expected: '3'
            })
        );
        assert!(matches!(
            Uscc::parse("91350100M000100YI3"),
            Err(IdentityError::Characters(_))
        ));
        assert!(matches!(
            Uscc::parse("913501"),
            Err(IdentityError::Length { .. })
        ));
    }

    #[test]
    fn mobile_numbers() {
        assert_eq!(
            MobilePhone::parse("138 0013 8000").unwrap().as_str(),
            "13800138000"
        );
        assert_eq!(
            MobilePhone::parse("+86-13800138000").unwrap().as_str(),
            "13800138000"
        );
        assert_eq!(
            MobilePhone::parse("8613800138000").unwrap().as_str(),
            "13800138000"
        );
        assert!(MobilePhone::parse("12800138000").is_err());
        assert!(MobilePhone::parse("1380013800").is_err());
        assert!(MobilePhone::parse("010-12345678").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_valid_id_number_round_trips(region in 0usize..34, days in 0i64..40_000, seq in 0u32..1000) {
            let birth = NaiveDate::from_ymd_opt(1910, 1, 1).unwrap() + chrono::Days::new(days as u64);
            let birth = birth.min(today());
            let body = format!("{}0101{}{:03}", PROVINCES[region], birth.format("%Y%m%d"), seq);
            let text = format!("{body}{}", id_check_character(&body).unwrap());
            let id = IdNumber::parse(&text, today()).unwrap();
            proptest::prop_assert_eq!(id.birth_date(), birth);
            // changing any one of the first 17 digits breaks the checksum (or another rule)
            let mut broken: Vec<char> = text.chars().collect();
            broken[16] = if broken[16] == '9' { '8' } else { char::from(broken[16] as u8 + 1) };
            let broken: String = broken.into_iter().collect();
            proptest::prop_assert!(IdNumber::parse(&broken, today()).is_err());
        }
    }

    #[test]
    fn luhn_check_digits() {
        // the textbook number 7992739871 completes with 3
        assert_eq!(luhn_check_digit("7992739871"), Some(3));
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(luhn_valid("4111111111111111"));
        assert!(!luhn_valid("41111111111111a1"));
        assert_eq!(luhn_check_digit("12a"), None);
    }

    proptest::proptest! {
        #[test]
        fn a_completed_number_is_luhn_valid(body in "[0-9]{11,18}") {
            let digit = luhn_check_digit(&body).unwrap();
            let number = format!("{body}{digit}");
            proptest::prop_assert!(luhn_valid(&number));
        }
    }
}
