//! Money as whole minor units (pence, cents, yen) of a configured currency, never floating point.
//!
//! Fines, fees and payments are added, compared and capped many times over a patron's life; binary
//! floating point cannot represent 0.10 exactly, so every amount here is an `i64` count of the
//! currency's smallest unit and every arithmetic step is checked instead of wrapping or panicking.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::FieldError;

/// An ISO 4217 currency code: three upper-case ASCII letters (`GBP`, `EUR`, `JPY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    pub fn parse(field: &str, raw: &str) -> Result<CurrencyCode, FieldError> {
        let upper = raw.trim().to_ascii_uppercase();
        match upper.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|byte| byte.is_ascii_uppercase()) => {
                Ok(CurrencyCode([*a, *b, *c]))
            }
            _ => Err(FieldError::new(
                field,
                format!("{raw:?} is not a three-letter currency code like GBP"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl TryFrom<String> for CurrencyCode {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CurrencyCode::parse("currency", &value)
    }
}

impl From<CurrencyCode> for String {
    fn from(code: CurrencyCode) -> String {
        code.as_str().to_string()
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A currency and how many decimal places its minor unit has. The consortium configures one; the
/// constants cover the common cases and [`Currency::new`] any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Currency {
    pub code: CurrencyCode,
    /// Decimal places of the minor unit: 2 for GBP (pence), 0 for JPY, 3 for KWD.
    pub exponent: u8,
}

/// The largest exponent accepted; ISO 4217 has none above 4 (Uruguay's UYW).
const MAX_EXPONENT: u8 = 4;

impl Currency {
    pub const GBP: Currency = Currency {
        code: CurrencyCode(*b"GBP"),
        exponent: 2,
    };
    pub const USD: Currency = Currency {
        code: CurrencyCode(*b"USD"),
        exponent: 2,
    };
    pub const EUR: Currency = Currency {
        code: CurrencyCode(*b"EUR"),
        exponent: 2,
    };
    pub const JPY: Currency = Currency {
        code: CurrencyCode(*b"JPY"),
        exponent: 0,
    };

    /// A configured currency, e.g. from the consortium's settings file.
    pub fn new(field: &str, code: &str, exponent: u8) -> Result<Currency, FieldError> {
        let code = CurrencyCode::parse(field, code)?;
        if exponent > MAX_EXPONENT {
            return Err(FieldError::new(
                field,
                format!("{code} cannot have {exponent} decimal places (at most {MAX_EXPONENT})"),
            ));
        }
        Ok(Currency { code, exponent })
    }

    /// The currency with this ISO 4217 code and its standard number of decimal places: the few
    /// currencies without a minor unit or with three decimals are listed, every other has two.
    /// The consortium stores only the code, so this is how its currency is known.
    pub fn iso(field: &str, code: &str) -> Result<Currency, FieldError> {
        let code = CurrencyCode::parse(field, code)?;
        const NO_DECIMALS: &[&str] = &[
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
            "VUV", "XAF", "XOF", "XPF",
        ];
        const THREE_DECIMALS: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
        let exponent = if NO_DECIMALS.contains(&code.as_str()) {
            0
        } else if THREE_DECIMALS.contains(&code.as_str()) {
            3
        } else {
            2
        };
        Ok(Currency { code, exponent })
    }

    /// Minor units in one major unit: 100 for GBP, 1 for JPY.
    pub fn minor_per_major(self) -> i64 {
        10_i64.pow(u32::from(self.exponent))
    }
}

/// Why an arithmetic step on money was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum MoneyError {
    #[error("cannot combine {left} with {right}")]
    CurrencyMismatch {
        left: CurrencyCode,
        right: CurrencyCode,
    },
    #[error("the amount is too large")]
    Overflow,
}

/// An amount of money: a signed count of minor units of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor_units: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor_units: i64, currency: Currency) -> Money {
        Money {
            minor_units,
            currency,
        }
    }

    pub fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }

    pub fn is_zero(self) -> bool {
        self.minor_units == 0
    }

    pub fn is_positive(self) -> bool {
        self.minor_units > 0
    }

    pub fn is_negative(self) -> bool {
        self.minor_units < 0
    }

    /// Parses an amount as staff type it: `2.50`, `2.5`, `2` or `0.05`; never negative, no
    /// thousands separators, `.` as the decimal point, at most as many decimals as the currency
    /// has. A comma is refused rather than guessed at, since `1,000` and `2,50` mean different
    /// things in different countries.
    pub fn parse(field: &str, raw: &str, currency: Currency) -> Result<Money, FieldError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        if text.contains(',') {
            return Err(FieldError::new(
                field,
                format!(
                    "{text:?} uses ','; write the amount with '.' as the decimal point, like 2.50"
                ),
            ));
        }
        if text.starts_with('-') {
            return Err(FieldError::new(field, "must not be negative"));
        }
        let bad = || {
            FieldError::new(
                field,
                format!("{text:?} is not an amount of money like 2.50"),
            )
        };
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let too_large = || FieldError::new(field, format!("{text:?} is too large"));
        let mut minor: i64 = 0;
        for digit in whole.bytes() {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(digit - b'0')))
                .ok_or_else(too_large)?;
        }
        minor = minor
            .checked_mul(currency.minor_per_major())
            .ok_or_else(too_large)?;
        if let Some(fraction) = fraction {
            if currency.exponent == 0 {
                return Err(FieldError::new(
                    field,
                    format!(
                        "{text:?} has decimals but {} has no minor unit",
                        currency.code
                    ),
                ));
            }
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            if fraction.len() > usize::from(currency.exponent) {
                return Err(FieldError::new(
                    field,
                    format!(
                        "{text:?} has more than {} decimal places for {}",
                        currency.exponent, currency.code
                    ),
                ));
            }
            // "2.5" is 2.50: scale the typed digits up to the currency's full exponent.
            let mut fraction_minor: i64 = 0;
            for place in 0..usize::from(currency.exponent) {
                let digit = fraction.as_bytes().get(place).map_or(0, |b| b - b'0');
                fraction_minor = fraction_minor * 10 + i64::from(digit);
            }
            minor = minor.checked_add(fraction_minor).ok_or_else(too_large)?;
        }
        Ok(Money::new(minor, currency))
    }

    /// The amount without the currency code: `2.50`, `-0.05`, `1500` (JPY).
    pub fn format_amount(self) -> String {
        let exponent = usize::from(self.currency.exponent);
        let sign = if self.minor_units < 0 { "-" } else { "" };
        let magnitude = self.minor_units.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{magnitude}");
        }
        let per_major = self.currency.minor_per_major().unsigned_abs();
        let whole = magnitude / per_major;
        let fraction = magnitude % per_major;
        format!("{sign}{whole}.{fraction:0exponent$}")
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency.code,
                right: other.currency.code,
            })
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor_units
            .checked_add(other.minor_units)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor_units
            .checked_sub(other.minor_units)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// The amount times a count (a daily fine times days overdue).
    pub fn checked_mul(self, times: i64) -> Result<Money, MoneyError> {
        self.minor_units
            .checked_mul(times)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// The smaller of two amounts of the same currency (used to cap fines).
    pub fn min(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(if other.minor_units < self.minor_units {
            other
        } else {
            self
        })
    }

    /// Compares two amounts of the same currency.
    pub fn checked_cmp(self, other: Money) -> Result<std::cmp::Ordering, MoneyError> {
        self.same_currency(other)?;
        Ok(self.minor_units.cmp(&other.minor_units))
    }

    /// Sums amounts, all in `currency`; an empty list is zero.
    pub fn sum(
        currency: Currency,
        amounts: impl IntoIterator<Item = Money>,
    ) -> Result<Money, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Money::zero(currency), |total, amount| {
                total.checked_add(amount)
            })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format_amount(), self.currency.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, currency: Currency, expected: Result<i64, &str>) {
        let got = Money::parse("fine_per_day", raw, currency);
        match (got, expected) {
            (Ok(money), Ok(minor)) => {
                assert_eq!(money.minor_units, minor, "{raw:?}");
                assert_eq!(money.currency, currency);
            }
            (Err(err), Err(reason)) => {
                assert_eq!(err.field, "fine_per_day");
                assert!(err.reason.contains(reason), "{raw:?}: {err} vs {reason:?}");
            }
            (got, want) => panic!("{raw:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn iso_currencies_know_their_decimals() {
        for (code, exponent) in [("gbp", 2), ("JPY", 0), ("KWD", 3), ("EUR", 2), ("ISK", 0)] {
            assert_eq!(
                Currency::iso("c", code).unwrap().exponent,
                exponent,
                "{code}"
            );
        }
        assert_eq!(Currency::iso("c", "GBP").unwrap(), Currency::GBP);
        assert!(Currency::iso("c", "pounds").is_err());
    }

    #[test]
    fn parsing_amounts() {
        let kwd = Currency::new("currency", "kwd", 3).unwrap();
        for (raw, currency, expected) in [
            ("2.50", Currency::GBP, Ok(250)),
            ("2.5", Currency::GBP, Ok(250)),
            ("2", Currency::GBP, Ok(200)),
            (" 0.05 ", Currency::EUR, Ok(5)),
            ("0", Currency::USD, Ok(0)),
            ("1500", Currency::JPY, Ok(1500)),
            ("1.234", kwd, Ok(1234)),
            ("1.2", kwd, Ok(1200)),
            ("2,50", Currency::EUR, Err("with '.' as the decimal point")),
            ("1,000.00", Currency::USD, Err("uses ','")),
            ("-1.00", Currency::GBP, Err("must not be negative")),
            ("", Currency::GBP, Err("is required")),
            (
                "2.505",
                Currency::GBP,
                Err("more than 2 decimal places for GBP"),
            ),
            ("15.5", Currency::JPY, Err("JPY has no minor unit")),
            (".50", Currency::GBP, Err("not an amount of money")),
            ("2.", Currency::GBP, Err("not an amount of money")),
            ("£2.50", Currency::GBP, Err("not an amount of money")),
            ("2.5x", Currency::GBP, Err("not an amount of money")),
            ("1e3", Currency::GBP, Err("not an amount of money")),
            ("92233720368547758.07", Currency::GBP, Ok(i64::MAX)),
            ("92233720368547758.08", Currency::GBP, Err("too large")),
            ("99999999999999999999", Currency::JPY, Err("too large")),
        ] {
            check(raw, currency, expected);
        }
    }

    #[test]
    fn formatting_round_trips() {
        for (minor, currency, text) in [
            (250, Currency::GBP, "2.50 GBP"),
            (5, Currency::EUR, "0.05 EUR"),
            (-5, Currency::EUR, "-0.05 EUR"),
            (-250, Currency::USD, "-2.50 USD"),
            (1500, Currency::JPY, "1500 JPY"),
            (0, Currency::GBP, "0.00 GBP"),
            (i64::MIN, Currency::GBP, "-92233720368547758.08 GBP"),
        ] {
            let money = Money::new(minor, currency);
            assert_eq!(money.to_string(), text);
            if minor >= 0 {
                assert_eq!(
                    Money::parse("x", &money.format_amount(), currency).unwrap(),
                    money
                );
            }
        }
    }

    #[test]
    fn arithmetic_is_checked() {
        let gbp = |m| Money::new(m, Currency::GBP);
        assert_eq!(gbp(250).checked_add(gbp(50)), Ok(gbp(300)));
        assert_eq!(gbp(250).checked_sub(gbp(300)), Ok(gbp(-50)));
        assert_eq!(gbp(25).checked_mul(4), Ok(gbp(100)));
        assert_eq!(gbp(i64::MAX).checked_add(gbp(1)), Err(MoneyError::Overflow));
        assert_eq!(gbp(i64::MAX).checked_mul(2), Err(MoneyError::Overflow));
        assert_eq!(gbp(i64::MIN).checked_sub(gbp(1)), Err(MoneyError::Overflow));
        assert_eq!(
            gbp(1).checked_add(Money::new(1, Currency::EUR)),
            Err(MoneyError::CurrencyMismatch {
                left: Currency::GBP.code,
                right: Currency::EUR.code
            })
        );
        assert_eq!(gbp(300).min(gbp(200)), Ok(gbp(200)));
        assert_eq!(Money::sum(Currency::GBP, [gbp(1), gbp(2)]), Ok(gbp(3)));
        assert_eq!(Money::sum(Currency::GBP, []), Ok(gbp(0)));
    }

    #[test]
    fn currencies_are_configurable_and_checked() {
        let chf = Currency::new("currency", " chf", 2).unwrap();
        assert_eq!(chf.code.as_str(), "CHF");
        assert!(Currency::new("currency", "CH", 2).is_err());
        assert!(Currency::new("currency", "C1F", 2).is_err());
        let err = Currency::new("currency", "XYZ", 9).unwrap_err();
        assert!(err.reason.contains("at most 4"), "{err}");
        let json = serde_json::to_string(&Money::new(250, Currency::GBP)).unwrap();
        assert_eq!(
            json,
            r#"{"minor_units":250,"currency":{"code":"GBP","exponent":2}}"#
        );
    }
}
