//! The circulation policy matrix: which loan rules apply when a patron borrows an item at a branch.
//!
//! The consortium writes default rules (rules that name no member) and each member writes its own.
//! A rule names any of six match points and leaves the rest as wildcards:
//!
//! | match point          | weight |
//! |----------------------|-------:|
//! | circulating branch   |     32 |
//! | circulating member   |     16 |
//! | shelving location    |      8 |
//! | item type            |      4 |
//! | patron type          |      2 |
//! | patron's home member |      1 |
//!
//! A rule's **specificity** is the sum of the weights of the match points it names. The weights are
//! powers of two, so comparing specificities compares the named match points in the order of the
//! table: a rule naming the branch beats every rule that does not, whatever else either names. This
//! puts the lending library first, as Koha's issuing rules and Evergreen's default matrix weights
//! do, so a member's own rule always beats a consortium default even if the default is narrower on
//! item or patron type. Two matching rules can only tie if they name the same match points with the
//! same values (a duplicate); the lower rule id (the older rule) then wins, so the choice never
//! depends on the order rules were loaded in.
//!
//! **Fallthrough:** a rule sets only the values it cares about. Each value of the policy comes from
//! the most specific matching rule that sets it, as in Koha's "all libraries / all item types"
//! fallback. A member can therefore change only the loan period and inherit every other value from
//! the consortium's defaults. If no matching rule sets a value the policy is incomplete and
//! [`resolve_policy`] says which values are missing: the consortium should keep one rule that
//! matches everything and sets every value.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::codes::Code;
use crate::ids::{BranchId, MemberId, PolicyRuleId};
use crate::money::Money;

/// How long a loan lasts. Day loans end at the close of the local due day; hourly loans end at a
/// time of day (see [`crate::circulation::due`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoanPeriod {
    Days(u32),
    Hours(u32),
}

impl fmt::Display for LoanPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoanPeriod::Days(1) => f.write_str("1 day"),
            LoanPeriod::Days(n) => write!(f, "{n} days"),
            LoanPeriod::Hours(1) => f.write_str("1 hour"),
            LoanPeriod::Hours(n) => write!(f, "{n} hours"),
        }
    }
}

/// One value of a policy, for explanations and display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum PolicyValue {
    LoanPeriod(LoanPeriod),
    Count(u32),
    Money(Money),
    Flag(bool),
}

impl fmt::Display for PolicyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyValue::LoanPeriod(period) => period.fmt(f),
            PolicyValue::Count(n) => n.fmt(f),
            PolicyValue::Money(money) => money.fmt(f),
            PolicyValue::Flag(true) => f.write_str("yes"),
            PolicyValue::Flag(false) => f.write_str("no"),
        }
    }
}

/// The kinds of value a policy field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyValueKind {
    LoanPeriod,
    Count,
    Money,
    Flag,
}

// The list of policy values is written once here; the macro makes the partial form a rule carries
// (`PolicySettings`), the complete form circulation uses (`CirculationPolicy`) and the names
// (`PolicyField`) explanations refer to, so the three can never disagree.
macro_rules! policy_fields {
    ($( $(#[$doc:meta])* $name:ident $field:ident : $ty:ty => $variant:ident, )*) => {
        /// The values one rule sets; `None` means "inherit from a less specific rule".
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct PolicySettings {
            $( $(#[$doc])* #[serde(default, skip_serializing_if = "Option::is_none")]
            pub $field: Option<$ty>, )*
        }

        /// The complete policy for one patron, item and branch: every value decided.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct CirculationPolicy {
            $( $(#[$doc])* pub $field: $ty, )*
        }

        /// The name of one policy value.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum PolicyField { $( $name, )* }

        impl PolicyField {
            pub const ALL: &'static [PolicyField] = &[ $( PolicyField::$name, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( PolicyField::$name => stringify!($field), )* }
            }

            /// What kind of value this field holds, for parsing what staff type.
            pub fn kind(self) -> PolicyValueKind {
                match self { $( PolicyField::$name => PolicyValueKind::$variant, )* }
            }

            /// The field with this name (`loan_period`, `holdable`...).
            pub fn from_name(name: &str) -> Option<PolicyField> {
                PolicyField::ALL.iter().copied().find(|f| f.as_str() == name)
            }
        }

        impl PolicySettings {
            /// The value this rule sets for `field`, if it sets one.
            pub fn get(&self, field: PolicyField) -> Option<PolicyValue> {
                match field { $( PolicyField::$name => self.$field.map(PolicyValue::$variant), )* }
            }

            /// Sets (or with `None` clears) one value; a value of the wrong kind is refused and
            /// leaves the settings as they were.
            pub fn set(&mut self, field: PolicyField, value: Option<PolicyValue>) -> Result<(), PolicyValueKind> {
                match field {
                    $( PolicyField::$name => match value {
                        None => self.$field = None,
                        Some(PolicyValue::$variant(v)) => self.$field = Some(v),
                        Some(_) => return Err(PolicyValueKind::$variant),
                    }, )*
                }
                Ok(())
            }

            /// Fills every value not yet set from `fallback`.
            fn fill_from(&mut self, fallback: &PolicySettings) {
                $( if self.$field.is_none() { self.$field = fallback.$field; } )*
            }

            /// The complete policy, or the names of the values nobody set.
            fn complete(&self) -> Result<CirculationPolicy, Vec<PolicyField>> {
                let mut missing = Vec::new();
                $( if self.$field.is_none() { missing.push(PolicyField::$name); } )*
                match ( $( self.$field, )* ) {
                    ( $( Some($field), )* ) => Ok(CirculationPolicy { $( $field, )* }),
                    _ => Err(missing),
                }
            }
        }

        impl CirculationPolicy {
            pub fn get(&self, field: PolicyField) -> PolicyValue {
                match field { $( PolicyField::$name => PolicyValue::$variant(self.$field), )* }
            }
        }
    };
}

policy_fields! {
    /// How long a loan lasts, in days or hours.
    LoanPeriod loan_period: LoanPeriod => LoanPeriod,
    /// How many times a loan may be renewed.
    RenewalsAllowed renewals_allowed: u32 => Count,
    /// How many items the patron may have on loan in all.
    MaxLoansTotal max_loans_total: u32 => Count,
    /// How many items of this item type the patron may have on loan.
    MaxLoansOfItemType max_loans_of_item_type: u32 => Count,
    /// The overdue fine per day for day loans, per hour for hourly loans.
    FinePerPeriod fine_per_period: Money => Money,
    /// Days (hours for hourly loans) an item may be late without any fine.
    GracePeriods grace_periods: u32 => Count,
    /// The most one overdue loan can be fined.
    MaxFinePerItem max_fine_per_item: Money => Money,
    /// Whether days (hours) the branch is closed count towards the fine; most libraries say no.
    ChargeFinesWhenClosed charge_fines_when_closed: bool => Flag,
    /// A patron owing more than this may not borrow.
    PatronFineLimit patron_fine_limit: Money => Money,
    /// Charged for a lost item that has no price of its own.
    DefaultReplacementCost default_replacement_cost: Money => Money,
    /// Added to the replacement cost of a lost item.
    LostItemProcessingFee lost_item_processing_fee: Money => Money,
    /// Whether patrons may place holds on the item.
    Holdable holdable: bool => Flag,
    /// Whether the item may be lent to patrons of other members.
    LendableOutsideOwningMember lendable_outside_owning_member: bool => Flag,
}

/// The facts a rule is matched against: who borrows what, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyContext {
    pub circulating_member: MemberId,
    pub circulating_branch: BranchId,
    pub patron_home_member: MemberId,
    pub patron_type: Code,
    pub item_type: Code,
    pub shelving_location: Code,
}

/// The match points a rule names; `None` is a wildcard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchPoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circulating_member: Option<MemberId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circulating_branch: Option<BranchId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patron_home_member: Option<MemberId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patron_type: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_type: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shelving_location: Option<Code>,
}

/// One match point, listed from most to least significant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchPoint {
    CirculatingBranch,
    CirculatingMember,
    ShelvingLocation,
    ItemType,
    PatronType,
    PatronHomeMember,
}

impl MatchPoint {
    pub const ALL: [MatchPoint; 6] = [
        MatchPoint::CirculatingBranch,
        MatchPoint::CirculatingMember,
        MatchPoint::ShelvingLocation,
        MatchPoint::ItemType,
        MatchPoint::PatronType,
        MatchPoint::PatronHomeMember,
    ];

    /// The weight this match point adds to a rule's specificity (see the module documentation).
    pub fn weight(self) -> u8 {
        match self {
            MatchPoint::CirculatingBranch => 32,
            MatchPoint::CirculatingMember => 16,
            MatchPoint::ShelvingLocation => 8,
            MatchPoint::ItemType => 4,
            MatchPoint::PatronType => 2,
            MatchPoint::PatronHomeMember => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MatchPoint::CirculatingBranch => "circulating_branch",
            MatchPoint::CirculatingMember => "circulating_member",
            MatchPoint::ShelvingLocation => "shelving_location",
            MatchPoint::ItemType => "item_type",
            MatchPoint::PatronType => "patron_type",
            MatchPoint::PatronHomeMember => "patron_home_member",
        }
    }
}

/// A match point a rule names with a value the context does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    pub match_point: MatchPoint,
    pub rule_wants: String,
    pub context_has: String,
}

impl MatchPoints {
    /// What this rule names for `point`, and what the context has there, as display text.
    fn compare(&self, point: MatchPoint, context: &PolicyContext) -> Option<(String, String)> {
        fn pair<T: PartialEq + ToString>(wanted: &Option<T>, has: &T) -> Option<(String, String)> {
            wanted
                .as_ref()
                .filter(|wanted| *wanted != has)
                .map(|wanted| (wanted.to_string(), has.to_string()))
        }
        match point {
            MatchPoint::CirculatingBranch => {
                pair(&self.circulating_branch, &context.circulating_branch)
            }
            MatchPoint::CirculatingMember => {
                pair(&self.circulating_member, &context.circulating_member)
            }
            MatchPoint::ShelvingLocation => {
                pair(&self.shelving_location, &context.shelving_location)
            }
            MatchPoint::ItemType => pair(&self.item_type, &context.item_type),
            MatchPoint::PatronType => pair(&self.patron_type, &context.patron_type),
            MatchPoint::PatronHomeMember => {
                pair(&self.patron_home_member, &context.patron_home_member)
            }
        }
    }

    fn names(&self, point: MatchPoint) -> bool {
        match point {
            MatchPoint::CirculatingBranch => self.circulating_branch.is_some(),
            MatchPoint::CirculatingMember => self.circulating_member.is_some(),
            MatchPoint::ShelvingLocation => self.shelving_location.is_some(),
            MatchPoint::ItemType => self.item_type.is_some(),
            MatchPoint::PatronType => self.patron_type.is_some(),
            MatchPoint::PatronHomeMember => self.patron_home_member.is_some(),
        }
    }

    /// The sum of the weights of the match points this rule names.
    pub fn specificity(&self) -> u8 {
        MatchPoint::ALL
            .iter()
            .filter(|point| self.names(**point))
            .map(|point| point.weight())
            .sum()
    }

    /// Every match point this rule names with a value the context does not have; empty means the
    /// rule matches.
    pub fn mismatches(&self, context: &PolicyContext) -> Vec<Mismatch> {
        MatchPoint::ALL
            .iter()
            .filter_map(|point| {
                self.compare(*point, context)
                    .map(|(rule_wants, context_has)| Mismatch {
                        match_point: *point,
                        rule_wants,
                        context_has,
                    })
            })
            .collect()
    }
}

/// One rule of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRule {
    pub id: PolicyRuleId,
    pub match_points: MatchPoints,
    pub settings: PolicySettings,
}

/// Why no policy could be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum PolicyError {
    #[error("no matching circulation rule sets {}", field_list(missing))]
    Incomplete { missing: Vec<PolicyField> },
}

fn field_list(fields: &[PolicyField]) -> String {
    fields
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// All rules from most to least specific, ties broken by the lower id.
fn ranked(rules: &[PolicyRule]) -> Vec<&PolicyRule> {
    let mut ranked: Vec<&PolicyRule> = rules.iter().collect();
    ranked.sort_by_key(|rule| (std::cmp::Reverse(rule.match_points.specificity()), rule.id));
    ranked
}

/// The policy for `context`: each value from the most specific matching rule that sets it.
pub fn resolve_policy(
    rules: &[PolicyRule],
    context: &PolicyContext,
) -> Result<CirculationPolicy, PolicyError> {
    let mut merged = PolicySettings::default();
    for rule in ranked(rules) {
        if rule.match_points.mismatches(context).is_empty() {
            merged.fill_from(&rule.settings);
        }
    }
    merged
        .complete()
        .map_err(|missing| PolicyError::Incomplete { missing })
}

/// How one rule fared against the context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleVerdict {
    pub rule_id: PolicyRuleId,
    pub specificity: u8,
    /// Empty when the rule matches.
    pub mismatches: Vec<Mismatch>,
}

impl RuleVerdict {
    pub fn matched(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Why a rule more specific than the one that supplied a value did not supply it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum PassedOverReason {
    /// The rule sets this value but does not match the context.
    DidNotMatch { mismatches: Vec<Mismatch> },
    /// The rule matches but leaves this value to less specific rules.
    DoesNotSetValue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassedOver {
    pub rule_id: PolicyRuleId,
    pub reason: PassedOverReason,
}

/// Where one value of the policy came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueExplanation {
    pub field: PolicyField,
    /// `None` when no matching rule sets the value.
    pub value: Option<PolicyValue>,
    pub supplied_by: Option<PolicyRuleId>,
    /// The more specific rules that could have supplied the value, most specific first.
    pub passed_over: Vec<PassedOver>,
}

/// The answer to "which rule applies and why", for staff screens and the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyExplanation {
    pub context: PolicyContext,
    pub policy: Result<CirculationPolicy, PolicyError>,
    /// Every rule, most specific first.
    pub rules: Vec<RuleVerdict>,
    /// Every value of the policy, in [`PolicyField::ALL`] order.
    pub values: Vec<ValueExplanation>,
}

/// Resolves the policy for `context` and says, for every value, which rule supplied it and why
/// each more specific rule did not.
pub fn explain_policy(rules: &[PolicyRule], context: &PolicyContext) -> PolicyExplanation {
    let ranked = ranked(rules);
    let verdicts: Vec<RuleVerdict> = ranked
        .iter()
        .map(|rule| RuleVerdict {
            rule_id: rule.id,
            specificity: rule.match_points.specificity(),
            mismatches: rule.match_points.mismatches(context),
        })
        .collect();
    let values = PolicyField::ALL
        .iter()
        .map(|field| {
            let mut passed_over = Vec::new();
            for (rule, verdict) in ranked.iter().zip(&verdicts) {
                let value = rule.settings.get(*field);
                match (value, verdict.matched()) {
                    (Some(value), true) => {
                        return ValueExplanation {
                            field: *field,
                            value: Some(value),
                            supplied_by: Some(rule.id),
                            passed_over,
                        };
                    }
                    (Some(_), false) => passed_over.push(PassedOver {
                        rule_id: rule.id,
                        reason: PassedOverReason::DidNotMatch {
                            mismatches: verdict.mismatches.clone(),
                        },
                    }),
                    (None, true) => passed_over.push(PassedOver {
                        rule_id: rule.id,
                        reason: PassedOverReason::DoesNotSetValue,
                    }),
                    // A rule that neither matches nor sets the value has no bearing on it.
                    (None, false) => {}
                }
            }
            ValueExplanation {
                field: *field,
                value: None,
                supplied_by: None,
                passed_over,
            }
        })
        .collect();
    PolicyExplanation {
        context: context.clone(),
        policy: resolve_policy(rules, context),
        rules: verdicts,
        values,
    }
}

impl fmt::Display for PolicyExplanation {
    /// One line per value and one indented line per passed-over rule, for logs and staff tools.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for value in &self.values {
            match (&value.value, value.supplied_by) {
                (Some(v), Some(rule)) => {
                    writeln!(f, "{} = {v} from rule {rule}", value.field.as_str())?
                }
                _ => writeln!(
                    f,
                    "{} is not set by any matching rule",
                    value.field.as_str()
                )?,
            }
            for passed in &value.passed_over {
                match &passed.reason {
                    PassedOverReason::DoesNotSetValue => {
                        writeln!(f, "  rule {} matches but does not set it", passed.rule_id)?
                    }
                    PassedOverReason::DidNotMatch { mismatches } => {
                        let why = mismatches
                            .iter()
                            .map(|m| {
                                format!(
                                    "{} is {}, not {}",
                                    m.match_point.as_str(),
                                    m.context_has,
                                    m.rule_wants
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("; ");
                        writeln!(f, "  rule {} does not match: {why}", passed.rule_id)?
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn gbp(minor: i64) -> Money {
        Money::new(minor, Currency::GBP)
    }

    fn code(raw: &str) -> Code {
        Code::parse("code", raw).unwrap()
    }

    /// Member 1 (SHIRE) has branches 11 and 12; member 2 (VALE) has branch 21.
    fn context(
        branch: i64,
        patron_member: i64,
        patron_type: &str,
        item: &str,
        shelf: &str,
    ) -> PolicyContext {
        PolicyContext {
            circulating_member: MemberId(branch / 10),
            circulating_branch: BranchId(branch),
            patron_home_member: MemberId(patron_member),
            patron_type: code(patron_type),
            item_type: code(item),
            shelving_location: code(shelf),
        }
    }

    /// A rule written compactly: `"member=1 branch=11 item=DVD"` and a loan period in days.
    fn rule(id: i64, matches: &str, settings: PolicySettings) -> PolicyRule {
        let mut points = MatchPoints::default();
        for pair in matches.split_whitespace() {
            let (key, value) = pair.split_once('=').unwrap();
            match key {
                "member" => points.circulating_member = Some(MemberId(value.parse().unwrap())),
                "branch" => points.circulating_branch = Some(BranchId(value.parse().unwrap())),
                "home" => points.patron_home_member = Some(MemberId(value.parse().unwrap())),
                "patron" => points.patron_type = Some(code(value)),
                "item" => points.item_type = Some(code(value)),
                "shelf" => points.shelving_location = Some(code(value)),
                other => panic!("unknown match point {other}"),
            }
        }
        PolicyRule {
            id: PolicyRuleId(id),
            match_points: points,
            settings,
        }
    }

    fn days(n: u32) -> PolicySettings {
        PolicySettings {
            loan_period: Some(LoanPeriod::Days(n)),
            ..PolicySettings::default()
        }
    }

    /// The consortium default: every value set.
    fn defaults() -> PolicySettings {
        PolicySettings {
            loan_period: Some(LoanPeriod::Days(21)),
            renewals_allowed: Some(2),
            max_loans_total: Some(30),
            max_loans_of_item_type: Some(30),
            fine_per_period: Some(gbp(20)),
            grace_periods: Some(1),
            max_fine_per_item: Some(gbp(500)),
            charge_fines_when_closed: Some(false),
            patron_fine_limit: Some(gbp(1000)),
            default_replacement_cost: Some(gbp(1500)),
            lost_item_processing_fee: Some(gbp(500)),
            holdable: Some(true),
            lendable_outside_owning_member: Some(true),
        }
    }

    fn matrix() -> Vec<PolicyRule> {
        vec![
            rule(1, "", defaults()),
            rule(2, "item=DVD", days(7)),
            rule(3, "member=1", days(28)),
            rule(4, "member=1 item=DVD", days(14)),
            rule(5, "branch=12", days(10)),
            rule(6, "member=1 shelf=QUICK", days(3)),
            rule(7, "member=1 patron=CHILD", days(35)),
            rule(8, "member=1 item=DVD patron=CHILD", days(5)),
            rule(9, "home=2", days(12)),
            rule(10, "member=2 home=1 item=DVD", days(2)),
        ]
    }

    /// Checks the loan period the matrix gives a context, and the rule that supplied it.
    fn check(context: PolicyContext, expected_days: u32, expected_rule: i64) {
        let rules = matrix();
        let policy = resolve_policy(&rules, &context).unwrap();
        assert_eq!(
            policy.loan_period,
            LoanPeriod::Days(expected_days),
            "{context:?}"
        );
        let explanation = explain_policy(&rules, &context);
        let loan = explanation
            .values
            .iter()
            .find(|v| v.field == PolicyField::LoanPeriod)
            .unwrap();
        assert_eq!(
            loan.supplied_by,
            Some(PolicyRuleId(expected_rule)),
            "{context:?}"
        );
        assert_eq!(explanation.policy, Ok(policy));
    }

    #[test]
    fn the_most_specific_matching_rule_decides() {
        // Another member's branch with nothing specific: the consortium default.
        check(context(21, 3, "ADULT", "BOOK", "STACKS"), 21, 1);
        // A consortium item-type rule applies where no member rule exists.
        check(context(21, 2, "ADULT", "DVD", "STACKS"), 7, 2);
        // The member's general rule beats the consortium's item-type rule (member first).
        check(context(11, 1, "ADULT", "BOOK", "STACKS"), 28, 3);
        check(context(11, 1, "ADULT", "DVD", "STACKS"), 14, 4);
        // A branch rule beats every member rule, even narrower ones.
        check(context(12, 1, "CHILD", "DVD", "QUICK"), 10, 5);
        // Shelving location outranks item type and patron type.
        check(context(11, 1, "CHILD", "DVD", "QUICK"), 3, 6);
        // Item type outranks patron type...
        check(context(11, 1, "CHILD", "BOOK", "STACKS"), 35, 7);
        check(context(11, 1, "CHILD", "DVD", "STACKS"), 5, 8);
        // ...and patron's home member is the least significant point.
        check(context(21, 1, "ADULT", "DVD", "STACKS"), 2, 10);
        check(context(21, 2, "ADULT", "BOOK", "STACKS"), 12, 9);
        check(context(21, 2, "ADULT", "DVD", "STACKS"), 7, 2);
        check(context(11, 2, "ADULT", "BOOK", "STACKS"), 28, 3);
        // Codes match case-insensitively because they are parsed to upper case.
        check(context(21, 2, "adult", "dvd", "stacks"), 7, 2);
    }

    #[test]
    fn specificity_is_the_sum_of_weights_in_the_documented_order() {
        for (matches, expected) in [
            ("", 0),
            ("home=1", 1),
            ("patron=A", 2),
            ("item=A", 4),
            ("shelf=A", 8),
            ("member=1", 16),
            ("branch=11", 32),
            ("member=1 item=A patron=B", 22),
            ("shelf=A item=A patron=A home=1", 15),
            ("branch=11 member=1 shelf=A item=A patron=A home=1", 63),
        ] {
            assert_eq!(
                rule(1, matches, days(1)).match_points.specificity(),
                expected,
                "{matches}"
            );
        }
        // Every combination of lower points weighs less than one higher point.
        for pair in MatchPoint::ALL.windows(2) {
            let below: u8 = MatchPoint::ALL
                .iter()
                .skip_while(|p| **p != pair[1])
                .map(|p| p.weight())
                .sum();
            assert!(pair[0].weight() > below, "{:?}", pair[0]);
        }
    }

    #[test]
    fn ties_go_to_the_lower_rule_id_whatever_the_order() {
        let ctx = context(11, 1, "ADULT", "BOOK", "STACKS");
        for rules in [
            vec![
                rule(1, "", defaults()),
                rule(40, "member=1", days(9)),
                rule(30, "member=1", days(8)),
            ],
            vec![
                rule(30, "member=1", days(8)),
                rule(40, "member=1", days(9)),
                rule(1, "", defaults()),
            ],
        ] {
            assert_eq!(
                resolve_policy(&rules, &ctx).unwrap().loan_period,
                LoanPeriod::Days(8)
            );
        }
    }

    #[test]
    fn values_fall_through_to_less_specific_rules() {
        let rules = vec![
            rule(1, "", defaults()),
            rule(
                2,
                "member=1",
                PolicySettings {
                    renewals_allowed: Some(5),
                    fine_per_period: Some(gbp(10)),
                    ..PolicySettings::default()
                },
            ),
            rule(
                3,
                "member=1 item=DVD",
                PolicySettings {
                    loan_period: Some(LoanPeriod::Days(7)),
                    fine_per_period: Some(gbp(100)),
                    ..PolicySettings::default()
                },
            ),
        ];
        let policy = resolve_policy(&rules, &context(11, 1, "ADULT", "DVD", "STACKS")).unwrap();
        assert_eq!(policy.loan_period, LoanPeriod::Days(7));
        assert_eq!(policy.fine_per_period, gbp(100));
        assert_eq!(policy.renewals_allowed, 5);
        assert_eq!(policy.max_loans_total, 30);
        assert_eq!(policy.patron_fine_limit, gbp(1000));
    }

    #[test]
    fn an_incomplete_matrix_names_the_missing_values() {
        let rules = vec![rule(
            1,
            "",
            PolicySettings {
                holdable: Some(true),
                ..defaults()
            },
        )];
        let mut partial = rules.clone();
        partial[0].settings.loan_period = None;
        partial[0].settings.holdable = None;
        let ctx = context(11, 1, "ADULT", "BOOK", "STACKS");
        assert!(resolve_policy(&rules, &ctx).is_ok());
        let err = resolve_policy(&partial, &ctx).unwrap_err();
        assert_eq!(
            err,
            PolicyError::Incomplete {
                missing: vec![PolicyField::LoanPeriod, PolicyField::Holdable]
            }
        );
        assert_eq!(
            err.to_string(),
            "no matching circulation rule sets loan_period, holdable"
        );
        // No rules at all: every value is missing.
        let Err(PolicyError::Incomplete { missing }) = resolve_policy(&[], &ctx) else {
            panic!("an empty matrix cannot decide a policy");
        };
        assert_eq!(missing.len(), PolicyField::ALL.len());
    }

    #[test]
    fn explain_says_which_rule_supplied_each_value_and_why_others_did_not() {
        let rules = vec![
            rule(1, "", defaults()),
            rule(
                3,
                "member=1",
                PolicySettings {
                    renewals_allowed: Some(5),
                    ..PolicySettings::default()
                },
            ),
            rule(4, "member=1 item=DVD", days(14)),
            rule(5, "branch=12", days(10)),
            rule(6, "member=1 item=DVD patron=CHILD home=2", days(5)),
        ];
        let explanation = explain_policy(&rules, &context(11, 1, "ADULT", "DVD", "STACKS"));
        let text = explanation.to_string();
        let expected = "\
loan_period = 14 days from rule 4
  rule 5 does not match: circulating_branch is 11, not 12
  rule 6 does not match: patron_type is ADULT, not CHILD; patron_home_member is 1, not 2
renewals_allowed = 5 from rule 3
  rule 4 matches but does not set it
max_loans_total = 30 from rule 1
  rule 4 matches but does not set it
  rule 3 matches but does not set it
";
        assert!(text.starts_with(expected), "{text}");
        assert!(text.contains("holdable = yes from rule 1\n"), "{text}");
        assert!(
            text.contains("fine_per_period = 0.20 GBP from rule 1\n"),
            "{text}"
        );
        let order: Vec<i64> = explanation.rules.iter().map(|r| r.rule_id.0).collect();
        assert_eq!(order, [5, 6, 4, 3, 1]);
        let matched: Vec<bool> = explanation.rules.iter().map(RuleVerdict::matched).collect();
        assert_eq!(matched, [false, false, true, true, true]);
        assert_eq!(explanation.values.len(), PolicyField::ALL.len());
    }

    #[test]
    fn explain_shows_values_nobody_set() {
        let rules = vec![rule(2, "item=DVD", days(7))];
        let explanation = explain_policy(&rules, &context(11, 1, "ADULT", "BOOK", "STACKS"));
        let text = explanation.to_string();
        assert!(
            text.starts_with(
                "loan_period is not set by any matching rule\n  rule 2 does not match: item_type is BOOK, not DVD\nrenewals_allowed is not set by any matching rule\n"
            ),
            "{text}"
        );
        assert!(explanation.policy.is_err());
    }

    #[test]
    fn explanations_and_rules_serialise_for_the_api() {
        let rules = vec![
            rule(1, "", defaults()),
            rule(2, "item=DVD member=1", days(7)),
        ];
        let json = serde_json::to_value(&rules[1]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": 2,
                "match_points": {"circulating_member": 1, "item_type": "DVD"},
                "settings": {"loan_period": {"days": 7}}
            })
        );
        let back: PolicyRule = serde_json::from_value(json).unwrap();
        assert_eq!(back, rules[1]);
        let explanation = explain_policy(&rules, &context(11, 1, "ADULT", "DVD", "STACKS"));
        let json = serde_json::to_value(&explanation).unwrap();
        assert_eq!(json["values"][0]["supplied_by"], 2);
        assert_eq!(
            json["values"][0]["value"],
            serde_json::json!({"kind": "loan_period", "value": {"days": 7}})
        );
        assert_eq!(
            json["values"][1]["passed_over"][0]["reason"]["reason"],
            "does_not_set_value"
        );
    }
}
