//! The message catalogue: every piece of interface text is looked up by key, English first, so a
//! member can offer its patrons another language by adding a catalogue file.
//!
//! English is built in (`messages/en.toml`). Further languages are TOML files of the same keys in
//! `DATA_DIR/messages/<lang>.toml`; a missing key falls back to English, so partial translations work.

use concord_domain::circulation::Block;
use std::collections::HashMap;
use std::path::Path;

/// All loaded catalogues.
#[derive(Debug, Clone)]
pub struct Messages {
    catalogues: HashMap<String, HashMap<String, String>>,
}

const ENGLISH: &str = include_str!("../messages/en.toml");

/// A problem with a catalogue file.
#[derive(Debug, thiserror::Error)]
#[error("message catalogue {file}: {message}")]
pub struct CatalogueError {
    pub file: String,
    pub message: String,
}

fn parse(file: &str, text: &str) -> Result<HashMap<String, String>, CatalogueError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| CatalogueError {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    let mut flat = HashMap::new();
    flatten("", &table, &mut flat, file)?;
    Ok(flat)
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut HashMap<String, String>,
    file: &str,
) -> Result<(), CatalogueError> {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::String(text) => {
                out.insert(full, text.clone());
            }
            toml::Value::Table(inner) => flatten(&full, inner, out, file)?,
            _ => {
                return Err(CatalogueError {
                    file: file.to_string(),
                    message: format!("{full} must be text"),
                });
            }
        }
    }
    Ok(())
}

impl Messages {
    /// English only.
    pub fn english() -> Result<Messages, CatalogueError> {
        let mut catalogues = HashMap::new();
        catalogues.insert("en".to_string(), parse("en.toml", ENGLISH)?);
        Ok(Messages { catalogues })
    }

    /// English plus every `<lang>.toml` in `dir` (if the folder exists).
    pub fn load(dir: &Path) -> Result<Messages, CatalogueError> {
        let mut messages = Messages::english()?;
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(messages);
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let Some(lang) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_lowercase)
            else {
                continue;
            };
            let file = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| CatalogueError {
                file: file.clone(),
                message: e.to_string(),
            })?;
            messages.catalogues.insert(lang, parse(&file, &text)?);
        }
        Ok(messages)
    }

    /// The languages on offer, English first.
    pub fn languages(&self) -> Vec<&str> {
        let mut langs: Vec<&str> = self.catalogues.keys().map(String::as_str).collect();
        langs.sort_by_key(|l| (*l != "en", *l));
        langs
    }

    /// The best language for an `Accept-Language` header (or a `lang` choice), else English.
    pub fn negotiate(&self, wanted: Option<&str>) -> String {
        let Some(wanted) = wanted else {
            return "en".to_string();
        };
        let mut choices: Vec<(f32, String)> = wanted
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim().to_lowercase();
                let quality = pieces
                    .find_map(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                Some((quality, tag))
            })
            .collect();
        choices.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, tag) in choices {
            let primary = tag.split('-').next().unwrap_or("");
            if self.catalogues.contains_key(&tag) {
                return tag;
            }
            if self.catalogues.contains_key(primary) {
                return primary.to_string();
            }
        }
        "en".to_string()
    }

    /// The text for `key` in `lang`, falling back to English, then to the key itself (so a missing
    /// message is visible, not blank).
    pub fn get<'a>(&'a self, lang: &str, key: &'a str) -> &'a str {
        self.catalogues
            .get(lang)
            .and_then(|c| c.get(key))
            .or_else(|| self.catalogues.get("en").and_then(|c| c.get(key)))
            .map_or(key, String::as_str)
    }

    /// Like [`Messages::get`] with `{name}` placeholders filled in.
    pub fn format(&self, lang: &str, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.get(lang, key).to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// `number` as the language writes a count, its digits grouped in thousands by its
    /// `number.group_separator` ("4,371").
    pub fn number(&self, lang: &str, number: u64) -> String {
        group_digits(number, self.get(lang, "number.group_separator"))
    }

    /// Like [`Messages::format`] for a message about `count` things: the key's `_one` form
    /// when the language says "one" of `count` (1 in English; 0 and 1 in French and
    /// Portuguese) and the catalogue has that form, with `{count_name}` filled by the number
    /// grouped in thousands by the language's `number.group_separator`.
    pub fn format_counted(
        &self,
        lang: &str,
        key: &str,
        (count_name, count): (&str, u64),
        args: &[(&str, &str)],
    ) -> String {
        // The language whose text is used (English when the language lacks the message)
        // decides the form, so a fallback never mixes a translated and an English form.
        let has = |lang: &str, key: &str| {
            self.catalogues
                .get(lang)
                .is_some_and(|catalogue| catalogue.contains_key(key))
        };
        let source = if has(lang, key) { lang } else { "en" };
        let says_one = match source.split('-').next().unwrap_or(source) {
            "fr" | "pt" => count <= 1,
            _ => count == 1,
        };
        let one = format!("{key}_one");
        let key = if says_one && has(source, &one) {
            one.as_str()
        } else {
            key
        };
        let grouped = self.number(lang, count);
        let mut all = vec![(count_name, grouped.as_str())];
        all.extend_from_slice(args);
        self.format(lang, key, &all)
    }

    /// Whether English has this key (tests check every key the code uses).
    pub fn has_english(&self, key: &str) -> bool {
        self.catalogues
            .get("en")
            .is_some_and(|c| c.contains_key(key))
    }

    /// The words for a checkout or renewal block (`block.<code>` with its figures filled in).
    pub fn block(&self, lang: &str, block: &Block) -> String {
        let args: Vec<(&str, String)> = match block {
            Block::CardExpired { expired_on } => vec![("expired_on", expired_on.to_string())],
            Block::FinesOverLimit { owed, limit } => {
                vec![("owed", owed.to_string()), ("limit", limit.to_string())]
            }
            Block::TooManyLoans { on_loan, limit } => {
                vec![
                    ("on_loan", on_loan.to_string()),
                    ("limit", limit.to_string()),
                ]
            }
            Block::TooManyLoansOfItemType {
                item_type,
                on_loan,
                limit,
            } => vec![
                ("item_type", item_type.to_string()),
                ("on_loan", on_loan.to_string()),
                ("limit", limit.to_string()),
            ],
            Block::NoRenewalsLeft {
                renewals_used,
                renewals_allowed,
            } => vec![
                ("renewals_used", renewals_used.to_string()),
                ("renewals_allowed", renewals_allowed.to_string()),
            ],
            Block::ItemHasHoldsWaiting { holds_waiting } => {
                vec![("holds_waiting", holds_waiting.to_string())]
            }
            Block::PatronBarred
            | Block::NotLendableToPatronsMember { .. }
            | Block::ItemLost
            | Block::ItemClaimedReturned
            | Block::ItemAlreadyOnLoan
            | Block::ItemNotForLoan => Vec::new(),
        };
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.format(lang, &format!("block.{}", block.code()), &args)
    }
}

/// `number` with `separator` between each group of three digits: 1234567 is "1,234,567".
fn group_digits(number: u64, separator: &str) -> String {
    let digits = number.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 * separator.len());
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            grouped.push_str(separator);
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_domain::ErrorCode;

    #[test]
    fn counts_choose_their_form_and_group_their_digits() {
        let mut messages = Messages::english().unwrap();
        let say = |messages: &Messages, lang: &str, count: u64| {
            messages.format_counted(lang, "search.total", ("total", count), &[])
        };
        assert_eq!(say(&messages, "en", 0), "0 results");
        assert_eq!(say(&messages, "en", 1), "1 result");
        assert_eq!(say(&messages, "en", 2), "2 results");
        assert_eq!(say(&messages, "en", 4_371), "4,371 results");
        assert_eq!(say(&messages, "en", 8_100_000), "8,100,000 results");
        assert_eq!(say(&messages, "en", 999), "999 results");
        assert_eq!(messages.number("en", 1_234_567), "1,234,567");
        assert_eq!(messages.number("en", 0), "0");
        // French says "one" of 0 and 1, and groups with a narrow space; a language without
        // the "one" form (or without the message) falls back to the general form.
        messages.catalogues.insert(
            "fr".into(),
            parse(
                "fr.toml",
                "[number]\ngroup_separator = \"\u{202F}\"\n[search]\ntotal = \"{total} résultats\"\ntotal_one = \"{total} résultat\"\n",
            )
            .unwrap(),
        );
        assert_eq!(say(&messages, "fr", 0), "0 résultat");
        assert_eq!(say(&messages, "fr", 1), "1 résultat");
        assert_eq!(say(&messages, "fr", 12_345), "12\u{202F}345 résultats");
        assert_eq!(
            messages.format_counted("fr", "patron.results", ("count", 1), &[]),
            "1 patron found"
        );
        assert_eq!(
            messages.format_counted("fr", "patron.results", ("count", 0), &[]),
            "0 patrons found"
        );
        // A translation without the "one" form keeps its own general form.
        messages.catalogues.insert(
            "de".into(),
            parse("de.toml", "[search]\ntotal = \"{total} Treffer\"\n").unwrap(),
        );
        assert_eq!(say(&messages, "de", 1), "1 Treffer");
    }

    #[test]
    fn every_error_code_has_english_text() {
        let messages = Messages::english().unwrap();
        for code in ErrorCode::ALL {
            let key = format!("error.{}", code.as_str());
            assert!(messages.has_english(&key), "{key} missing from en.toml");
        }
    }

    #[test]
    fn every_block_has_english_text() {
        let messages = Messages::english().unwrap();
        for code in [
            "card_expired",
            "patron_barred",
            "fines_over_limit",
            "too_many_loans",
            "too_many_loans_of_item_type",
            "not_lendable_to_patrons_member",
            "item_lost",
            "item_claimed_returned",
            "item_already_on_loan",
            "item_not_for_loan",
            "no_renewals_left",
            "item_has_holds_waiting",
        ] {
            assert!(
                messages.has_english(&format!("block.{code}")),
                "block.{code}"
            );
        }
        let text = messages.block(
            "en",
            &Block::TooManyLoans {
                on_loan: 3,
                limit: 3,
            },
        );
        assert_eq!(text, "The patron has 3 items out; the limit is 3.");
    }

    #[test]
    fn other_languages_fall_back_to_english() {
        let dir = std::env::temp_dir().join(format!("concord-i18n-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("fr.toml"), "[nav]\nsearch = \"Rechercher\"\n").unwrap();
        let messages = Messages::load(&dir).unwrap();
        assert_eq!(messages.languages(), ["en", "fr"]);
        assert_eq!(messages.negotiate(Some("fr-CA,fr;q=0.9,en;q=0.5")), "fr");
        assert_eq!(messages.negotiate(Some("de,en;q=0.1")), "en");
        assert_eq!(messages.get("fr", "nav.search"), "Rechercher");
        assert_eq!(
            messages.get("fr", "nav.login"),
            messages.get("en", "nav.login")
        );
        assert_eq!(messages.get("fr", "no.such.key"), "no.such.key");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
