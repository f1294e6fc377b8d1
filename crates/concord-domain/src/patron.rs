//! Patrons: one identity across every member of the consortium, logging in with card and PIN.

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::auth::Principal;
use crate::calendar::Date;
use crate::codes::{Barcode, Code};
use crate::ids::{BranchId, MemberId, PatronId};
use crate::org::parse_name;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patron {
    pub id: PatronId,
    pub cards: Vec<Barcode>,
    pub family_name: String,
    pub given_names: String,
    pub home_branch: BranchId,
    pub home_member: MemberId,
    pub patron_type: Code,
    pub expires_on: Date,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub sms_number: Option<String>,
    pub date_of_birth: Option<Date>,
    /// Where holds are sent unless the patron says otherwise; always a pickup location.
    pub preferred_pickup_branch: Option<BranchId>,
    pub notices: NoticePreferences,
    pub privacy: PrivacyChoices,
    pub status: PatronStatus,
}

/// Whether a patron record may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatronStatus {
    Active,
    /// Registered online; cannot log in until staff of the home member approve.
    Pending,
    /// Registered online and turned down by staff.
    Rejected,
}

impl PatronStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PatronStatus::Active => "active",
            PatronStatus::Pending => "pending",
            PatronStatus::Rejected => "rejected",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<PatronStatus, FieldError> {
        match raw {
            "active" => Ok(PatronStatus::Active),
            "pending" => Ok(PatronStatus::Pending),
            "rejected" => Ok(PatronStatus::Rejected),
            other => Err(FieldError::new(
                field,
                format!("{other:?} is not a patron status"),
            )),
        }
    }
}

/// How the patron wants notices (hold ready, overdue, pre-due): one choice per channel, used for
/// every kind of notice. Per-kind choices are what few patrons ever change and would multiply the
/// account page by the number of notice kinds; a later notice kind can still add its own opt-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NoticePreferences {
    pub email: bool,
    pub sms: bool,
    pub print: bool,
}

impl Default for NoticePreferences {
    fn default() -> Self {
        NoticePreferences {
            email: true,
            sms: false,
            print: false,
        }
    }
}

impl NoticePreferences {
    /// The stored form: the chosen channels, comma-separated (`email,sms`).
    pub fn to_stored(self) -> String {
        [
            (self.email, "email"),
            (self.sms, "sms"),
            (self.print, "print"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(",")
    }

    pub fn from_stored(stored: &str) -> NoticePreferences {
        let has = |name| stored.split(',').any(|c| c.trim() == name);
        NoticePreferences {
            email: has("email"),
            sms: has("sms"),
            print: has("print"),
        }
    }
}

/// What the patron allows Concord to keep and show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrivacyChoices {
    /// Keep a list of what they borrowed after it is returned. Opt-in: off unless they say so.
    pub keep_reading_history: bool,
    /// Show their email and phone numbers only to staff of their home member; desks of other
    /// members see name, cards and status.
    pub contact_home_member_only: bool,
}

/// What decides who sees a patron's contact details: who they are, their home member and
/// their choice. Also read from the patron documents kept in audit entries.
#[derive(Debug, Clone, Copy, Deserialize)]
struct ContactOwner {
    id: PatronId,
    home_member: MemberId,
    privacy: PrivacyChoices,
}

impl ContactOwner {
    fn contact_visible_to(&self, principal: &Principal) -> bool {
        if !self.privacy.contact_home_member_only {
            return true;
        }
        match principal {
            Principal::Operator => true,
            Principal::Patron { id, .. } => *id == self.id,
            Principal::Staff { grants, .. } | Principal::Token { grants, .. } => grants
                .iter()
                .any(|grant| grant.scope.member() == Some(self.home_member)),
        }
    }
}

/// The keys of a patron document that [`Patron::without_contact`] empties.
const CONTACT_KEYS: [&str; 4] = ["email", "phone", "sms_number", "date_of_birth"];

/// An audit entry's before or after document as `principal` may see it: every patron record
/// in it (a patron, or the patrons of a merge) loses its contact details and date of birth
/// when `principal` may not see them ([`Patron::contact_visible_to`]) by the choice recorded
/// in it, or always when `hide_all` (the patron's choice today forbids it: a record written
/// before the patron made the choice is covered by it too). A record whose owner cannot be
/// read (an older shape) but that carries the choice is hidden, as the choice asks. Text that
/// is not JSON is returned unchanged.
pub fn audit_document_as_seen_by(document: &str, principal: &Principal, hide_all: bool) -> String {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(document) else {
        return document.to_owned();
    };
    if hide_contacts(&mut value, principal, hide_all) {
        value.to_string()
    } else {
        document.to_owned()
    }
}

/// Empties the contact keys of every patron object in `value` (one with privacy choices) that
/// `principal` may not see, or of all of them when `hide_all`; whether anything changed.
fn hide_contacts(value: &mut serde_json::Value, principal: &Principal, hide_all: bool) -> bool {
    match value {
        serde_json::Value::Array(items) => {
            // Every item is visited: stopping at the first change would leave the rest shown.
            let mut changed = false;
            for item in items {
                changed |= hide_contacts(item, principal, hide_all);
            }
            changed
        }
        serde_json::Value::Object(object) => {
            let mut changed = false;
            let choice = object
                .get("privacy")
                .and_then(|privacy| privacy.get("contact_home_member_only"))
                .and_then(serde_json::Value::as_bool);
            let hide = match choice {
                None => false,
                Some(_) if hide_all => true,
                Some(restricted) => {
                    restricted
                        && !matches!(principal, Principal::Operator)
                        && !serde_json::from_value::<ContactOwner>(serde_json::Value::Object(
                            object.clone(),
                        ))
                        .is_ok_and(|owner| owner.contact_visible_to(principal))
                }
            };
            if hide {
                for key in CONTACT_KEYS {
                    if let Some(slot) = object.get_mut(key)
                        && !slot.is_null()
                    {
                        *slot = serde_json::Value::Null;
                        changed = true;
                    }
                }
            }
            for item in object.values_mut() {
                changed |= hide_contacts(item, principal, hide_all);
            }
            changed
        }
        _ => false,
    }
}

impl Patron {
    pub fn display_name(&self) -> String {
        if self.given_names.is_empty() {
            self.family_name.clone()
        } else {
            format!("{} {}", self.given_names, self.family_name)
        }
    }

    pub fn is_expired_on(&self, today: Date) -> bool {
        self.expires_on < today
    }

    /// Whether `principal`, who may already read this patron, also sees their email, phone and
    /// SMS numbers and date of birth. A patron who chose to keep them to their own library shows
    /// them only to themselves and to staff with a grant inside their home member: consortium-wide
    /// accounts and other members' desks see name, cards and status.
    pub fn contact_visible_to(&self, principal: &Principal) -> bool {
        ContactOwner {
            id: self.id,
            home_member: self.home_member,
            privacy: self.privacy,
        }
        .contact_visible_to(principal)
    }

    /// The record without its contact details and date of birth: what a principal who may not
    /// see them is given.
    pub fn without_contact(self) -> Patron {
        Patron {
            email: None,
            phone: None,
            sms_number: None,
            date_of_birth: None,
            ..self
        }
    }

    /// The record as `principal` may see it (see [`Patron::contact_visible_to`]).
    pub fn as_seen_by(self, principal: &Principal) -> Patron {
        if self.contact_visible_to(principal) {
            self
        } else {
            self.without_contact()
        }
    }

    /// A staff edit with this patron's stored contact details and date of birth in place of what
    /// the form carried: what a save by someone who does not see them uses, so that it never
    /// erases them.
    pub fn keeping_contact(&self, input: &PatronInput) -> PatronInput {
        PatronInput {
            email: self.email.clone().unwrap_or_default(),
            phone: self.phone.clone().unwrap_or_default(),
            sms_number: self.sms_number.clone().unwrap_or_default(),
            date_of_birth: self
                .date_of_birth
                .map(|date| date.to_string())
                .unwrap_or_default(),
            ..input.clone()
        }
    }

    /// An account change with this patron's stored contact details and the choice that hides
    /// them in place of what was sent (see [`Patron::keeping_contact`]): only the patron and
    /// their home member's staff change either.
    pub fn keeping_contact_choices(&self, input: &AccountInput) -> AccountInput {
        AccountInput {
            email: self.email.clone().unwrap_or_default(),
            phone: self.phone.clone().unwrap_or_default(),
            sms_number: self.sms_number.clone().unwrap_or_default(),
            contact_home_member_only: self.privacy.contact_home_member_only,
            ..input.clone()
        }
    }
}

/// The key a patron is found, ordered and compared by name: family name then given names, through
/// [`crate::text::fold_name`] — "Müller, Jürgen" is `muller jurgen`, "O'Connor-Byrne, Siobhán"
/// `oconnor byrne siobhan`. Staff find a patron by typing the start of it in any case, with or
/// without accents and apostrophes, with hyphens or spaces ([`name_starts_with`]), and two
/// records with the same key have the same name for duplicate detection.
///
/// **Invariant:** the store keeps this key beside every patron (`patron.search_name`) and
/// narrows both name search and duplicate candidates by it, so a change to how it is made needs a
/// migration that has the store work the stored keys out again.
pub fn name_key(family_name: &str, given_names: &str) -> String {
    crate::text::fold_name(&format!("{family_name} {given_names}"))
}

/// What a name typed into a patron search is compared with [`name_key`]s as: folded the same way,
/// so "muller", "MÜLLER J" and "muller, j" all find "Müller, Jürgen". `None` when the text has no
/// letter or digit, which finds no one by name (rather than everyone).
pub fn typed_name_key(typed: &str) -> Option<String> {
    Some(crate::text::fold_name(typed)).filter(|key| !key.is_empty())
}

/// Whether a patron named `family_name`, `given_names` is found by name by the text `typed`.
pub fn name_starts_with(family_name: &str, given_names: &str, typed: &str) -> bool {
    typed_name_key(typed)
        .is_some_and(|typed| name_key(family_name, given_names).starts_with(&typed))
}

/// A patron as typed or loaded, before validation. The home branch is given by its code; the
/// caller resolves it.
#[derive(Debug, Clone, Default)]
pub struct PatronInput {
    pub card: String,
    pub family_name: String,
    pub given_names: String,
    pub home_branch: String,
    pub patron_type: String,
    pub expires_on: String,
    pub email: String,
    pub phone: String,
    pub sms_number: String,
    pub date_of_birth: String,
    /// A branch code, or empty for "no preference".
    pub preferred_pickup_branch: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatronDraft {
    pub card: Barcode,
    pub family_name: String,
    pub given_names: String,
    pub home_branch: Code,
    pub patron_type: Code,
    pub expires_on: Date,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub sms_number: Option<String>,
    pub date_of_birth: Option<Date>,
    pub preferred_pickup_branch: Option<Code>,
}

impl PatronDraft {
    pub fn parse(input: &PatronInput) -> Result<PatronDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let card = Barcode::parse("card", &input.card)
            .map_err(|e| errors.push(e))
            .ok();
        let family_name = parse_name("family_name", &input.family_name)
            .map_err(|e| errors.push(e))
            .ok();
        let given_names = input.given_names.trim().to_string();
        if given_names.chars().count() > 200 {
            errors.push(FieldError::new(
                "given_names",
                "must be at most 200 characters",
            ));
        }
        let home_branch = Code::parse("home_branch", &input.home_branch)
            .map_err(|e| errors.push(e))
            .ok();
        let patron_type = Code::parse("patron_type", &input.patron_type)
            .map_err(|e| errors.push(e))
            .ok();
        let expires_on = Date::parse("expires_on", &input.expires_on)
            .map_err(|e| errors.push(e))
            .ok();
        let email = parse_optional(&input.email, |e| parse_email("email", e), &mut errors);
        let phone = parse_optional(&input.phone, |p| parse_phone("phone", p), &mut errors);
        let sms_number = parse_optional(
            &input.sms_number,
            |p| parse_phone("sms_number", p),
            &mut errors,
        );
        let date_of_birth = parse_date_of_birth(&input.date_of_birth, expires_on, &mut errors);
        let preferred_pickup_branch = if input.preferred_pickup_branch.trim().is_empty() {
            None
        } else {
            Code::parse("preferred_pickup_branch", &input.preferred_pickup_branch)
                .map_err(|e| errors.push(e))
                .ok()
        };
        match (card, family_name, home_branch, patron_type, expires_on) {
            (
                Some(card),
                Some(family_name),
                Some(home_branch),
                Some(patron_type),
                Some(expires_on),
            ) if errors.is_empty() => Ok(PatronDraft {
                card,
                family_name,
                given_names,
                home_branch,
                patron_type,
                expires_on,
                email,
                phone,
                sms_number,
                date_of_birth,
                preferred_pickup_branch,
            }),
            _ => Err(errors),
        }
    }
}

/// An optional date of birth: a real date, not after the card's expiry (a stand-in for "not in
/// the future" that needs no clock) and not more than 130 years before it.
fn parse_date_of_birth(
    raw: &str,
    expires_on: Option<Date>,
    errors: &mut Vec<FieldError>,
) -> Option<Date> {
    if raw.trim().is_empty() {
        return None;
    }
    let date = Date::parse("date_of_birth", raw)
        .map_err(|e| errors.push(e))
        .ok()?;
    if let Some(expires_on) = expires_on
        && (date > expires_on || date < expires_on.add_days(-130 * 366))
    {
        errors.push(FieldError::new(
            "date_of_birth",
            format!("{date} is not a plausible date of birth"),
        ));
        return None;
    }
    Some(date)
}

fn parse_optional(
    raw: &str,
    parse: impl Fn(&str) -> Result<String, FieldError>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    parse(raw).map_err(|e| errors.push(e)).ok()
}

/// An email address good enough to send notices to: one `@`, a dot in the domain, no spaces.
pub fn parse_email(field: &str, raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    let bad = || FieldError::new(field, format!("{raw:?} is not an email address"));
    let (local, domain) = raw.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || raw.chars().any(|c| c.is_whitespace() || c.is_control())
        || domain.contains('@')
        || raw.len() > 254
    {
        return Err(bad());
    }
    Ok(raw.to_string())
}

/// A phone number: digits with optional `+`, spaces, dashes, dots and brackets; 6 to 20 digits.
pub fn parse_phone(field: &str, raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    let digits = raw.chars().filter(char::is_ascii_digit).count();
    let allowed = raw
        .chars()
        .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
    if !allowed || !(6..=20).contains(&digits) {
        return Err(FieldError::new(
            field,
            format!("{raw:?} is not a phone number"),
        ));
    }
    Ok(raw.to_string())
}

/// What a patron may change on their own account page: how to reach them, where holds go, how
/// notices come and what is kept. Staff can make the same changes for them.
#[derive(Debug, Clone, Default)]
pub struct AccountInput {
    pub email: String,
    pub phone: String,
    pub sms_number: String,
    pub preferred_pickup_branch: String,
    pub notice_email: bool,
    pub notice_sms: bool,
    pub notice_print: bool,
    pub keep_reading_history: bool,
    pub contact_home_member_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountDraft {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub sms_number: Option<String>,
    pub preferred_pickup_branch: Option<Code>,
    pub notices: NoticePreferences,
    pub privacy: PrivacyChoices,
}

impl AccountDraft {
    pub fn parse(input: &AccountInput) -> Result<AccountDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = parse_optional(&input.email, |e| parse_email("email", e), &mut errors);
        let phone = parse_optional(&input.phone, |p| parse_phone("phone", p), &mut errors);
        let sms_number = parse_optional(
            &input.sms_number,
            |p| parse_phone("sms_number", p),
            &mut errors,
        );
        let preferred_pickup_branch = if input.preferred_pickup_branch.trim().is_empty() {
            None
        } else {
            Code::parse("preferred_pickup_branch", &input.preferred_pickup_branch)
                .map_err(|e| errors.push(e))
                .ok()
        };
        // A channel with nowhere to send to would silently lose notices.
        if input.notice_email && input.email.trim().is_empty() {
            errors.push(FieldError::new(
                "notice_email",
                "needs an email address to send to",
            ));
        }
        if input.notice_sms && input.sms_number.trim().is_empty() {
            errors.push(FieldError::new(
                "notice_sms",
                "needs a number to send text messages to",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(AccountDraft {
            email,
            phone,
            sms_number,
            preferred_pickup_branch,
            notices: NoticePreferences {
                email: input.notice_email,
                sms: input.notice_sms,
                print: input.notice_print,
            },
            privacy: PrivacyChoices {
                keep_reading_history: input.keep_reading_history,
                contact_home_member_only: input.contact_home_member_only,
            },
        })
    }
}

/// The record that remains when `absorb` is merged into `keep`: `keep`'s identity, home and
/// choices; contact details `keep` lacks are taken from `absorb`; the later expiry; and for
/// privacy the more protective choice of the two, since either record may hold the patron's
/// real wish. Cards (and later loans, holds and fines) are moved by the store, not here.
pub fn merged_patron(keep: &Patron, absorb: &Patron) -> Patron {
    let mut cards = keep.cards.clone();
    cards.extend(absorb.cards.iter().cloned());
    Patron {
        cards,
        email: keep.email.clone().or_else(|| absorb.email.clone()),
        phone: keep.phone.clone().or_else(|| absorb.phone.clone()),
        sms_number: keep
            .sms_number
            .clone()
            .or_else(|| absorb.sms_number.clone()),
        date_of_birth: keep.date_of_birth.or(absorb.date_of_birth),
        preferred_pickup_branch: keep
            .preferred_pickup_branch
            .or(absorb.preferred_pickup_branch),
        expires_on: keep.expires_on.max(absorb.expires_on),
        privacy: PrivacyChoices {
            keep_reading_history: keep.privacy.keep_reading_history
                && absorb.privacy.keep_reading_history,
            contact_home_member_only: keep.privacy.contact_home_member_only
                || absorb.privacy.contact_home_member_only,
        },
        ..keep.clone()
    }
}

/// A patron's PIN: 4 to 12 digits, as self-check kiosks and SIP2 accept.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    pub fn parse(field: &str, raw: &str) -> Result<Pin, FieldError> {
        if raw.len() < 4 || raw.len() > 12 || !raw.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(field, "must be 4 to 12 digits"));
        }
        Ok(Pin(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PatronInput {
        PatronInput {
            card: "29000000001".into(),
            family_name: "Rossi".into(),
            given_names: "Maria".into(),
            home_branch: "shire-cen".into(),
            patron_type: "adult".into(),
            expires_on: "2028-01-31".into(),
            email: "maria@example.org".into(),
            phone: "".into(),
            ..PatronInput::default()
        }
    }

    #[test]
    fn names_are_found_whatever_the_accents_case_and_punctuation() {
        let cases = [
            (
                "Müller",
                "Jürgen",
                "muller jurgen",
                &["muller", "MÜLLER", "Muller, J", "mull"][..],
            ),
            (
                "Dvořák",
                "Antonín",
                "dvorak antonin",
                &["dvorak", "DVOŘÁK ANT", "dvorak  a"],
            ),
            (
                "Pospíšil",
                "Jan",
                "pospisil jan",
                &["pospisil", "Pospíšil, Jan"],
            ),
            (
                "O'Connor",
                "Siobhán",
                "oconnor siobhan",
                &["oconnor", "o'connor", "O’Connor s"],
            ),
            (
                "Smith-Jones",
                "Mary",
                "smith jones mary",
                &["smith-jones", "smith jones", "Smith Jones, M"],
            ),
            ("Wałęsa", "Lech", "walesa lech", &["walesa", "wałęsa l"]),
            ("Øberg", "Åse", "oberg ase", &["oberg", "Øberg"]),
            ("Strauß", "", "strauss", &["strauss", "STRAUSS", "strauß"]),
            (
                "  van der  Berg ",
                " Anna ",
                "van der berg anna",
                &["van der berg", "van der b"],
            ),
            (
                "Παπαδόπουλος",
                "Γιώργος",
                "παπαδοπουλοσ γιωργοσ",
                &["παπαδόπουλος", "παπαδ", "ΠΑΠΑΔΟΠΟΥΛΟΣ Γ"],
            ),
            ("Иванова", "Анна", "иванова анна", &["иванова", "ИВАНОВА А"]),
            ("王", "小明", "王 小明", &["王"]),
        ];
        for (family, given, key, found_by) in cases {
            assert_eq!(name_key(family, given), key, "{family}, {given}");
            for typed in found_by {
                assert!(
                    name_starts_with(family, given, typed),
                    "{typed} finds {family}, {given}"
                );
            }
        }
        // Not a prefix of the key, and text with no letter or digit finds no one.
        for typed in ["jurgen", "mullerj", "", "  ", "%", "_", "'-,"] {
            assert!(!name_starts_with("Müller", "Jürgen", typed), "{typed:?}");
        }
        assert_eq!(typed_name_key(" -- "), None);
        assert_eq!(typed_name_key("O'Con").as_deref(), Some("ocon"));
    }

    #[test]
    fn a_valid_patron_parses() {
        let draft = PatronDraft::parse(&input()).unwrap();
        assert_eq!(draft.home_branch.as_str(), "SHIRE-CEN");
        assert_eq!(draft.patron_type.as_str(), "ADULT");
        assert_eq!(draft.phone, None);
    }

    #[test]
    fn bad_patron_fields_are_all_named() {
        let bad = PatronInput {
            card: "".into(),
            expires_on: "31/01/2028".into(),
            email: "maria at example".into(),
            phone: "call me".into(),
            ..input()
        };
        let errors = PatronDraft::parse(&bad).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["card", "expires_on", "email", "phone"]);
    }

    #[test]
    fn emails_phones_and_pins() {
        for ok in ["a@b.co", "maria.rossi+lib@example.org"] {
            assert!(parse_email("email", ok).is_ok(), "{ok}");
        }
        for bad in ["a@b", "@b.co", "a b@c.de", "a@.de", "a@de.", "a@@b.de"] {
            assert!(parse_email("email", bad).is_err(), "{bad}");
        }
        assert!(parse_phone("phone", "+44 (0)117 496 0000").is_ok());
        assert!(parse_phone("phone", "12345").is_err());
        assert!(Pin::parse("pin", "1234").is_ok());
        assert!(Pin::parse("pin", "12a4").is_err());
        assert_eq!(
            format!("{:?}", Pin::parse("pin", "1234").unwrap()),
            "Pin(<redacted>)"
        );
    }

    fn patron(id: i64, card: &str) -> Patron {
        Patron {
            id: PatronId(id),
            cards: vec![Barcode::parse("card", card).unwrap()],
            family_name: "Rossi".into(),
            given_names: "Maria".into(),
            home_branch: BranchId(1),
            home_member: MemberId(1),
            patron_type: Code::parse("t", "ADULT").unwrap(),
            expires_on: Date::parse("d", "2027-01-01").unwrap(),
            email: None,
            phone: None,
            sms_number: None,
            date_of_birth: None,
            preferred_pickup_branch: None,
            notices: NoticePreferences::default(),
            privacy: PrivacyChoices::default(),
            status: PatronStatus::Active,
        }
    }

    #[test]
    fn merging_keeps_the_survivor_and_fills_gaps() {
        let keep = Patron {
            email: Some("maria@example.org".into()),
            privacy: PrivacyChoices {
                keep_reading_history: true,
                contact_home_member_only: false,
            },
            ..patron(1, "A1")
        };
        let absorb = Patron {
            family_name: "Rossi-Bianchi".into(),
            email: Some("old@example.org".into()),
            phone: Some("0117 496 0000".into()),
            expires_on: Date::parse("d", "2029-06-30").unwrap(),
            privacy: PrivacyChoices {
                keep_reading_history: false,
                contact_home_member_only: true,
            },
            ..patron(2, "B1")
        };
        let merged = merged_patron(&keep, &absorb);
        assert_eq!(merged.id, PatronId(1));
        assert_eq!(merged.family_name, "Rossi");
        assert_eq!(merged.email.as_deref(), Some("maria@example.org"));
        assert_eq!(merged.phone.as_deref(), Some("0117 496 0000"));
        assert_eq!(merged.expires_on.to_string(), "2029-06-30");
        assert_eq!(merged.cards.len(), 2);
        assert!(!merged.privacy.keep_reading_history);
        assert!(merged.privacy.contact_home_member_only);
    }

    /// Staff of member 1 (the patrons' home) and consortium-wide staff.
    fn home_staff() -> Principal {
        staff_with(crate::auth::Scope::Member {
            member: MemberId(1),
        })
    }

    fn central_staff() -> Principal {
        staff_with(crate::auth::Scope::Consortium)
    }

    fn staff_with(scope: crate::auth::Scope) -> Principal {
        Principal::Staff {
            id: crate::ids::StaffId(9),
            username: "s".into(),
            grants: vec![crate::auth::Grant {
                role: crate::auth::Role::ConsortiumAdmin,
                scope,
            }],
        }
    }

    /// A patron of member 1 with contact details kept to their own library.
    fn private_patron() -> Patron {
        Patron {
            email: Some("maria@example.org".into()),
            phone: Some("0117 496 0000".into()),
            date_of_birth: Some(Date::parse("d", "1990-02-03").unwrap()),
            privacy: PrivacyChoices {
                keep_reading_history: false,
                contact_home_member_only: true,
            },
            ..patron(1, "A1")
        }
    }

    #[test]
    fn contact_kept_to_the_home_member_is_hidden_from_everyone_else() {
        let (home, central) = (home_staff(), central_staff());
        let private = private_patron();
        assert!(private.contact_visible_to(&home));
        assert!(private.contact_visible_to(&Principal::Operator));
        assert!(private.contact_visible_to(&Principal::Patron {
            id: PatronId(1),
            home_member: MemberId(1),
        }));
        assert!(!private.contact_visible_to(&central));
        let seen = private.clone().as_seen_by(&central);
        assert_eq!(
            (seen.email, seen.phone, seen.date_of_birth),
            (None, None, None)
        );
        assert_eq!(seen.family_name, private.family_name);
        assert_eq!(seen.cards, private.cards);
        let open = Patron {
            privacy: PrivacyChoices::default(),
            ..private
        };
        assert!(open.contact_visible_to(&central));
    }

    #[test]
    fn audit_documents_hide_contact_kept_to_the_home_member() {
        let (home, central) = (home_staff(), central_staff());
        let private = private_patron();
        let open = Patron {
            id: PatronId(2),
            email: Some("open@example.org".into()),
            privacy: PrivacyChoices::default(),
            ..private.clone()
        };
        let single = serde_json::to_string(&private).unwrap();
        let merge = serde_json::json!({"keep": &open, "absorb": &private, "moved": []}).to_string();

        let hidden: Patron =
            serde_json::from_str(&audit_document_as_seen_by(&single, &central, false)).unwrap();
        assert_eq!(hidden, private.clone().without_contact());
        for allowed in [&home, &Principal::Operator] {
            assert_eq!(audit_document_as_seen_by(&single, allowed, false), single);
        }

        let seen: serde_json::Value =
            serde_json::from_str(&audit_document_as_seen_by(&merge, &central, false)).unwrap();
        assert_eq!(seen["keep"]["email"], "open@example.org");
        assert!(seen["absorb"]["email"].is_null());
        assert!(seen["absorb"]["date_of_birth"].is_null());
        assert_eq!(seen["absorb"]["family_name"], private.family_name.as_str());

        // A record of an older shape that carries the choice is hidden all the same.
        let older = r#"{"email":"x@example.org","privacy":{"contact_home_member_only":true}}"#;
        let seen: serde_json::Value =
            serde_json::from_str(&audit_document_as_seen_by(older, &home, false)).unwrap();
        assert!(seen["email"].is_null());
        assert_eq!(
            audit_document_as_seen_by("not json", &central, true),
            "not json"
        );

        // The patron's choice today covers what was recorded before it was made.
        let before_choice = serde_json::to_string(&open).unwrap();
        assert_eq!(
            audit_document_as_seen_by(&before_choice, &central, false),
            before_choice
        );
        let seen: Patron =
            serde_json::from_str(&audit_document_as_seen_by(&before_choice, &central, true))
                .unwrap();
        assert_eq!(seen, open.clone().without_contact());
    }

    #[test]
    fn account_changes_need_somewhere_to_send_notices() {
        let ok = AccountInput {
            email: "maria@example.org".into(),
            sms_number: "+39 06 1234 5678".into(),
            notice_email: true,
            notice_sms: true,
            keep_reading_history: true,
            preferred_pickup_branch: "shire-hob".into(),
            ..AccountInput::default()
        };
        let draft = AccountDraft::parse(&ok).unwrap();
        assert_eq!(draft.notices.to_stored(), "email,sms");
        assert!(draft.privacy.keep_reading_history);
        assert_eq!(draft.preferred_pickup_branch.unwrap().as_str(), "SHIRE-HOB");
        let bad = AccountInput {
            email: "".into(),
            sms_number: "".into(),
            ..ok
        };
        let fields: Vec<String> = AccountDraft::parse(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["notice_email", "notice_sms"]);
        for stored in ["", "email", "sms,print", "email,sms,print"] {
            assert_eq!(NoticePreferences::from_stored(stored).to_stored(), stored);
        }
    }

    #[test]
    fn dates_of_birth_must_be_plausible() {
        for (raw, ok) in [
            ("1980-02-29", true),
            ("", true),
            ("2030-01-01", false),
            ("1850-01-01", false),
            ("1980-13-01", false),
        ] {
            let input = PatronInput {
                date_of_birth: raw.into(),
                ..input()
            };
            assert_eq!(PatronDraft::parse(&input).is_ok(), ok, "{raw}");
        }
    }

    #[test]
    fn expiry_is_inclusive() {
        let draft = PatronDraft::parse(&input()).unwrap();
        let patron = Patron {
            id: PatronId(1),
            cards: vec![draft.card],
            family_name: draft.family_name,
            given_names: draft.given_names,
            home_branch: BranchId(1),
            home_member: MemberId(1),
            patron_type: draft.patron_type,
            expires_on: draft.expires_on,
            email: None,
            phone: None,
            sms_number: None,
            date_of_birth: None,
            preferred_pickup_branch: None,
            notices: NoticePreferences::default(),
            privacy: PrivacyChoices::default(),
            status: PatronStatus::Active,
        };
        assert!(!patron.is_expired_on(Date::parse("d", "2028-01-31").unwrap()));
        assert!(patron.is_expired_on(Date::parse("d", "2028-02-01").unwrap()));
        assert_eq!(patron.display_name(), "Maria Rossi");
    }
}
