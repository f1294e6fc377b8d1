//! Policy rules as staff type them — match points by code, values as text such as `14d`, `4h`,
//! `0.25` or `yes` — parsed into a rule draft, reporting every wrong field at once.

use crate::FieldError;
use crate::codes::Code;
use crate::money::{Currency, Money};

use super::policy::{LoanPeriod, PolicyField, PolicySettings, PolicyValue, PolicyValueKind};

/// The longest loans accepted: ten years by the day, thirty days by the hour. Longer is a typo.
const MAX_LOAN_DAYS: u32 = 3650;
const MAX_LOAN_HOURS: u32 = 720;
/// The largest count (renewals, loan limits) accepted.
const MAX_COUNT: u32 = 100_000;

/// A rule as typed. Empty match points are wildcards; settings missing or empty are inherited.
#[derive(Debug, Clone, Default)]
pub struct PolicyRuleInput {
    pub description: String,
    pub circulating_member: String,
    pub circulating_branch: String,
    pub patron_home_member: String,
    pub patron_type: String,
    pub item_type: String,
    pub shelving_location: String,
    /// Setting name (`loan_period`, `fine_per_period`...) and its text.
    pub settings: Vec<(String, String)>,
}

/// A parsed rule. Members and branches are still codes; the service resolves them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRuleDraft {
    pub description: String,
    pub circulating_member: Option<Code>,
    pub circulating_branch: Option<Code>,
    pub patron_home_member: Option<Code>,
    pub patron_type: Option<Code>,
    pub item_type: Option<Code>,
    pub shelving_location: Option<Code>,
    pub settings: PolicySettings,
}

impl PolicyRuleDraft {
    /// Parses a rule; money is read in the consortium's `currency`.
    pub fn parse(
        input: &PolicyRuleInput,
        currency: Currency,
    ) -> Result<PolicyRuleDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let description = input.description.trim().to_string();
        if description.is_empty() {
            errors.push(FieldError::new(
                "description",
                "is required: say what the rule is for, e.g. \"DVDs: one week\"",
            ));
        } else if description.chars().count() > 200 {
            errors.push(FieldError::new(
                "description",
                "must be at most 200 characters",
            ));
        }
        let mut code = |field: &str, raw: &str| -> Option<Code> {
            if raw.trim().is_empty() {
                return None;
            }
            Code::parse(field, raw).map_err(|e| errors.push(e)).ok()
        };
        let circulating_member = code("circulating_member", &input.circulating_member);
        let circulating_branch = code("circulating_branch", &input.circulating_branch);
        let patron_home_member = code("patron_home_member", &input.patron_home_member);
        let patron_type = code("patron_type", &input.patron_type);
        let item_type = code("item_type", &input.item_type);
        let shelving_location = code("shelving_location", &input.shelving_location);

        let mut settings = PolicySettings::default();
        for (name, raw) in &input.settings {
            let Some(field) = PolicyField::from_name(name.trim()) else {
                errors.push(FieldError::new(
                    name.as_str(),
                    format!(
                        "is not a policy setting (known: {})",
                        PolicyField::ALL
                            .iter()
                            .map(|f| f.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
                continue;
            };
            match parse_policy_value(field, raw, currency) {
                // The parse gives a value of the field's own kind, so `set` cannot refuse it.
                Ok(value) => {
                    if settings.set(field, value).is_err() {
                        errors.push(FieldError::new(field.as_str(), "has the wrong kind"));
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PolicyRuleDraft {
            description,
            circulating_member,
            circulating_branch,
            patron_home_member,
            patron_type,
            item_type,
            shelving_location,
            settings,
        })
    }
}

/// A loan period as typed: `14d`, `14 days`, `1 day`, `4h`, `4 hours`.
pub fn parse_loan_period(field: &str, raw: &str) -> Result<LoanPeriod, FieldError> {
    let text = raw.trim().to_ascii_lowercase();
    let bad = || {
        FieldError::new(
            field,
            format!(
                "{:?} is not a loan period; write days like 14d or hours like 4h",
                raw.trim()
            ),
        )
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let number: u32 = number.parse().map_err(|_| bad())?;
    let period = match unit.trim() {
        "d" | "day" | "days" => LoanPeriod::Days(number),
        "h" | "hour" | "hours" => LoanPeriod::Hours(number),
        _ => return Err(bad()),
    };
    match period {
        LoanPeriod::Days(0) | LoanPeriod::Hours(0) => {
            Err(FieldError::new(field, "must be at least 1 day or 1 hour"))
        }
        LoanPeriod::Days(n) if n > MAX_LOAN_DAYS => Err(FieldError::new(
            field,
            format!("must be at most {MAX_LOAN_DAYS} days"),
        )),
        LoanPeriod::Hours(n) if n > MAX_LOAN_HOURS => Err(FieldError::new(
            field,
            format!("must be at most {MAX_LOAN_HOURS} hours; use days for longer loans"),
        )),
        period => Ok(period),
    }
}

/// One value as typed; empty text means "not set here, inherit".
pub fn parse_policy_value(
    field: PolicyField,
    raw: &str,
    currency: Currency,
) -> Result<Option<PolicyValue>, FieldError> {
    let name = field.as_str();
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let value = match field.kind() {
        PolicyValueKind::LoanPeriod => PolicyValue::LoanPeriod(parse_loan_period(name, text)?),
        PolicyValueKind::Count => {
            let n: u32 = text.parse().map_err(|_| {
                FieldError::new(name, format!("{text:?} is not a whole number like 2"))
            })?;
            if n > MAX_COUNT {
                return Err(FieldError::new(
                    name,
                    format!("must be at most {MAX_COUNT}"),
                ));
            }
            PolicyValue::Count(n)
        }
        PolicyValueKind::Money => PolicyValue::Money(Money::parse(name, text, currency)?),
        PolicyValueKind::Flag => match text.to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" | "on" => PolicyValue::Flag(true),
            "no" | "n" | "false" | "0" | "off" => PolicyValue::Flag(false),
            _ => {
                return Err(FieldError::new(name, format!("{text:?} is not yes or no")));
            }
        },
    };
    Ok(Some(value))
}

/// A value as staff would type it back into a form: `14d`, `4h`, `2`, `0.25`, `yes`.
pub fn format_policy_value(value: &PolicyValue) -> String {
    match value {
        PolicyValue::LoanPeriod(LoanPeriod::Days(n)) => format!("{n}d"),
        PolicyValue::LoanPeriod(LoanPeriod::Hours(n)) => format!("{n}h"),
        PolicyValue::Count(n) => n.to_string(),
        PolicyValue::Money(money) => money.format_amount(),
        PolicyValue::Flag(true) => "yes".to_string(),
        PolicyValue::Flag(false) => "no".to_string(),
    }
}

/// Every value a rule sets, as editable text, keyed by setting name.
pub fn settings_as_text(settings: &PolicySettings) -> Vec<(String, String)> {
    PolicyField::ALL
        .iter()
        .filter_map(|field| {
            settings
                .get(*field)
                .map(|v| (field.as_str().to_string(), format_policy_value(&v)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(field: PolicyField, raw: &str, expected: Result<Option<&str>, &str>) {
        let got = parse_policy_value(field, raw, Currency::GBP);
        match (got, expected) {
            (Ok(value), Ok(text)) => assert_eq!(
                value.as_ref().map(format_policy_value).as_deref(),
                text,
                "{raw:?}"
            ),
            (Err(err), Err(reason)) => {
                assert_eq!(err.field, field.as_str());
                assert!(err.reason.contains(reason), "{raw:?}: {err} vs {reason:?}");
            }
            (got, want) => panic!("{raw:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn values_parse_as_staff_type_them() {
        use PolicyField::*;
        for (field, raw, expected) in [
            (LoanPeriod, "14d", Ok(Some("14d"))),
            (LoanPeriod, "14 days", Ok(Some("14d"))),
            (LoanPeriod, "1 day", Ok(Some("1d"))),
            (LoanPeriod, "4h", Ok(Some("4h"))),
            (LoanPeriod, " 4 Hours ", Ok(Some("4h"))),
            (LoanPeriod, "", Ok(None)),
            (LoanPeriod, "14", Err("write days like 14d")),
            (LoanPeriod, "two weeks", Err("not a loan period")),
            (LoanPeriod, "0d", Err("at least 1 day")),
            (LoanPeriod, "5000d", Err("at most 3650 days")),
            (LoanPeriod, "1000h", Err("use days")),
            (LoanPeriod, "3w", Err("not a loan period")),
            (RenewalsAllowed, "2", Ok(Some("2"))),
            (RenewalsAllowed, "0", Ok(Some("0"))),
            (RenewalsAllowed, "-1", Err("whole number")),
            (RenewalsAllowed, "2.5", Err("whole number")),
            (MaxLoansTotal, "999999", Err("at most")),
            (FinePerPeriod, "0.25", Ok(Some("0.25"))),
            (FinePerPeriod, "2", Ok(Some("2.00"))),
            (FinePerPeriod, "0,25", Err("decimal point")),
            (FinePerPeriod, "0.255", Err("decimal places")),
            (MaxFinePerItem, "-1", Err("negative")),
            (Holdable, "yes", Ok(Some("yes"))),
            (Holdable, "No", Ok(Some("no"))),
            (Holdable, "true", Ok(Some("yes"))),
            (Holdable, "maybe", Err("yes or no")),
        ] {
            check(field, raw, expected);
        }
    }

    #[test]
    fn a_rule_reports_every_bad_field() {
        let input = PolicyRuleInput {
            description: "".into(),
            circulating_member: "not a code!".into(),
            item_type: "dvd".into(),
            settings: vec![
                ("loan_period".into(), "7".into()),
                ("fine_per_period".into(), "0.10".into()),
                ("colour".into(), "red".into()),
            ],
            ..PolicyRuleInput::default()
        };
        let errors = PolicyRuleDraft::parse(&input, Currency::GBP).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["description", "circulating_member", "loan_period", "colour"]
        );
    }

    #[test]
    fn a_good_rule_parses_and_formats_back() {
        let input = PolicyRuleInput {
            description: "DVDs: one week".into(),
            item_type: "dvd".into(),
            settings: vec![
                ("loan_period".into(), "7d".into()),
                ("fine_per_period".into(), "1".into()),
                ("holdable".into(), "no".into()),
                ("renewals_allowed".into(), "".into()),
            ],
            ..PolicyRuleInput::default()
        };
        let draft = PolicyRuleDraft::parse(&input, Currency::GBP).unwrap();
        assert_eq!(draft.item_type.as_ref().map(Code::as_str), Some("DVD"));
        assert_eq!(draft.circulating_member, None);
        assert_eq!(draft.settings.loan_period, Some(LoanPeriod::Days(7)));
        assert_eq!(draft.settings.renewals_allowed, None);
        assert_eq!(
            settings_as_text(&draft.settings),
            [
                ("loan_period".to_string(), "7d".to_string()),
                ("fine_per_period".to_string(), "1.00".to_string()),
                ("holdable".to_string(), "no".to_string()),
            ]
        );
        // Yen have no minor unit, so decimals are refused.
        let mut yen = input.clone();
        yen.settings = vec![("fine_per_period".into(), "0.5".into())];
        let errors = PolicyRuleDraft::parse(&yen, Currency::JPY).unwrap_err();
        assert!(errors[0].reason.contains("no minor unit"), "{errors:?}");
    }
}
