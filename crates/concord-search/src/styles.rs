//! A bib cited in the styles students are asked for: APA (7th edition), MLA (9th) and Chicago
//! (17th, bibliography), from the same [`BibDocument`] and [`Description`] the record page shows,
//! as the "Cite" boxes of library catalogues give them. Pure.
//!
//! Each citation is a list of [`Run`]s, so that a page can set the title in italics and a
//! plain-text reader gets the same words.

use crate::description::{Description, PublicationRole};
use crate::document::{BibDocument, CitedName, NameKind, NameRole};

/// A piece of a citation: plain text, or a title to be set in italics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    Plain(String),
    Italic(String),
}

/// The citation styles offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Apa,
    Mla,
    Chicago,
}

impl Style {
    pub const ALL: [Style; 3] = [Style::Apa, Style::Mla, Style::Chicago];

    /// The style's name in the JSON record: `apa`, `mla`, `chicago`.
    pub fn key(self) -> &'static str {
        match self {
            Style::Apa => "apa",
            Style::Mla => "mla",
            Style::Chicago => "chicago",
        }
    }

    /// The style's usual name, the same in every language.
    pub fn name(self) -> &'static str {
        match self {
            Style::Apa => "APA",
            Style::Mla => "MLA",
            Style::Chicago => "Chicago",
        }
    }
}

/// The bib cited in `style`.
pub fn cite(document: &BibDocument, description: &Description, style: Style) -> Vec<Run> {
    let work = Work::of(document, description);
    match style {
        Style::Apa => apa(&work),
        Style::Mla => mla(&work),
        Style::Chicago => chicago(&work),
    }
}

/// The runs as plain text.
pub fn plain_text(runs: &[Run]) -> String {
    runs.iter()
        .map(|run| match run {
            Run::Plain(text) | Run::Italic(text) => text.as_str(),
        })
        .collect()
}

/// What every style cites.
struct Work<'a> {
    /// The authors; of a work without any, its editors (`edited`). Illustrators, translators,
    /// performers and other contributors are not cited.
    names: Vec<&'a CitedName>,
    edited: bool,
    /// The title with ISBD's " : " before a subtitle written as ": ".
    title: String,
    /// Titles are written in their own language's capitals; English ones in title case where
    /// the style asks for it.
    english: bool,
    year: Option<i64>,
    /// The edition statement, when it is not a first edition, without its final full stop.
    edition: Option<String>,
    publisher: Option<&'a str>,
    place: Option<String>,
}

impl<'a> Work<'a> {
    fn of(document: &'a BibDocument, description: &'a Description) -> Work<'a> {
        let edition = description
            .editions
            .first()
            .map(|edition| without_final_full_stop(edition.trim()))
            .filter(|edition| {
                let lower = edition.to_lowercase();
                !edition.is_empty() && !lower.starts_with("1st") && !lower.starts_with("first")
            });
        // The place is what a publication statement gives before its " : " (ISBD), without
        // the brackets of a place the cataloguer supplied.
        let place = description
            .publication
            .iter()
            .find(|publication| publication.role == PublicationRole::Publication)
            .and_then(|publication| publication.statement.split_once(" : "))
            .map(|(place, _)| {
                place
                    .split(" ; ")
                    .next()
                    .unwrap_or(place)
                    .trim_matches(['[', ']', ' '])
                    .to_owned()
            })
            .filter(|place| !place.is_empty() && !place.to_lowercase().starts_with("s.l"));
        let with_role = |role: NameRole| -> Vec<&'a CitedName> {
            document
                .cited_names
                .iter()
                .filter(|name| name.role == role)
                .collect()
        };
        let authors = with_role(NameRole::Author);
        let (names, edited) = if authors.is_empty() {
            (with_role(NameRole::Editor), true)
        } else {
            (authors, false)
        };
        Work {
            edited: edited && !names.is_empty(),
            names,
            title: document.title.replace(" : ", ": ").replace(" ; ", "; "),
            english: document
                .language
                .as_deref()
                .is_none_or(|code| code == "eng"),
            year: document.publication_year,
            edition,
            publisher: document.publishers.first().map(String::as_str),
            place,
        }
    }

    /// The title in title case when it is English, as MLA and Chicago write titles.
    fn title_cased(&self) -> String {
        if self.english {
            title_case(&self.title)
        } else {
            self.title.clone()
        }
    }
}

/// A person's family name and given names, as a heading gives them ("Austen, Jane"); the
/// whole heading for an organisation or a person known by one name.
fn parts(name: &CitedName) -> (&str, Option<&str>) {
    match name.kind {
        NameKind::Person => match name.name.split_once(',') {
            Some((family, given)) if !given.trim().is_empty() => {
                (family.trim(), Some(given.trim()))
            }
            _ => (name.name.trim(), None),
        },
        NameKind::PersonByForename | NameKind::Corporate => (name.name.trim(), None),
    }
}

/// "Jane" as "J.", "Ursula K." as "U. K.", "Jean-Paul" as "J.-P.".
fn initials(given: &str) -> String {
    given
        .split_whitespace()
        .map(|part| {
            part.split('-')
                .filter_map(|piece| piece.chars().find(|c| c.is_alphabetic()))
                .map(|first| format!("{first}."))
                .collect::<Vec<_>>()
                .join("-")
        })
        .filter(|initial| !initial.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// "Family, Given" or the whole name (whose full stop, if any, ends an initial).
fn inverted(name: &CitedName) -> String {
    match parts(name) {
        (family, Some(given)) => format!("{family}, {given}"),
        (whole, None) => whole.to_owned(),
    }
}

/// "Given Family" or the whole name.
fn direct(name: &CitedName) -> String {
    match parts(name) {
        (family, Some(given)) => format!("{given} {family}"),
        (whole, None) => whole.to_owned(),
    }
}

/// An edition statement without the full stop that ends it as a sentence ("Second edition."),
/// keeping the one of an abbreviation ("2nd ed.", "Rev. ed.").
fn without_final_full_stop(edition: &str) -> String {
    let Some(bare) = edition.strip_suffix('.') else {
        return edition.to_owned();
    };
    let last_word = bare.rsplit([' ', '.']).next().unwrap_or(bare);
    if last_word.chars().count() <= 4 {
        edition.to_owned()
    } else {
        bare.to_owned()
    }
}

/// `text` followed by `mark`, unless it already ends with a mark of its own ("Tales!").
fn ending(text: &str, mark: char) -> String {
    if text.ends_with(['.', '?', '!']) {
        text.to_owned()
    } else {
        format!("{text}{mark}")
    }
}

const MINOR_WORDS: [&str; 21] = [
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "on",
    "or", "over", "so", "the", "to", "up", "with",
];

/// An English title in title case: every word capitalised but articles, short prepositions and
/// conjunctions, which keep lower case unless they begin the title or follow a colon. Words
/// already holding capitals (names, acronyms) are left as they are.
fn title_case(title: &str) -> String {
    let mut out = Vec::new();
    let mut starts = true;
    for word in title.split(' ') {
        let lower = word.to_lowercase();
        let written = if !starts && MINOR_WORDS.contains(&lower.as_str()) {
            lower
        } else if word.chars().any(char::is_uppercase) {
            word.to_owned()
        } else {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        };
        starts = word.ends_with(':') || word.ends_with('?') || word.ends_with('!');
        out.push(written);
    }
    out.join(" ")
}

/// APA: `Austen, J., & Brontë, C. (1813). *Pride and prejudice* (2nd ed.). T. Egerton.`
fn apa(work: &Work<'_>) -> Vec<Run> {
    let mut runs = Vec::new();
    let names: Vec<String> = work
        .names
        .iter()
        .take(20)
        .map(|name| match parts(name) {
            (family, Some(given)) => format!("{family}, {}", initials(given)),
            (whole, None) => whole.to_owned(),
        })
        .collect();
    let year = work
        .year
        .map_or_else(|| "n.d.".to_owned(), |year| year.to_string());
    let title = ending(&work.title, '.');
    let edition = work.edition.as_ref().map(|edition| format!(" ({edition})"));
    match names.as_slice() {
        [] => {
            // Without an author the title leads.
            match &edition {
                Some(edition) => {
                    runs.push(Run::Italic(work.title.clone()));
                    runs.push(Run::Plain(format!("{edition}. ({year}).")));
                }
                None => {
                    runs.push(Run::Italic(title));
                    runs.push(Run::Plain(format!(" ({year}).")));
                }
            }
        }
        names => {
            let mut listed = match names {
                [one] => one.clone(),
                [first, second] => format!("{first}, & {second}"),
                [rest @ .., last] => format!("{}, & {last}", rest.join(", ")),
                [] => String::new(),
            };
            if work.edited {
                listed.push_str(if names.len() == 1 {
                    " (Ed.)"
                } else {
                    " (Eds.)"
                });
            }
            runs.push(Run::Plain(format!("{} ({year}). ", ending(&listed, '.'))));
            match &edition {
                Some(edition) => {
                    runs.push(Run::Italic(work.title.clone()));
                    runs.push(Run::Plain(format!("{edition}.")));
                }
                None => runs.push(Run::Italic(title)),
            }
        }
    }
    if let Some(publisher) = work.publisher {
        runs.push(Run::Plain(format!(" {}", ending(publisher, '.'))));
    }
    runs
}

/// MLA: `Austen, Jane, and Charlotte Brontë. *Pride and Prejudice*. 2nd ed., T. Egerton, 1813.`
fn mla(work: &Work<'_>) -> Vec<Run> {
    let mut runs = Vec::new();
    let names = match work.names.as_slice() {
        [] => None,
        [one] => Some(inverted(one)),
        [first, second] => Some(format!("{}, and {}", inverted(first), direct(second))),
        [first, ..] => Some(format!("{}, et al.", inverted(first))),
    };
    if let Some(mut names) = names {
        if work.edited {
            names.push_str(if work.names.len() == 1 {
                ", editor"
            } else {
                ", editors"
            });
        }
        runs.push(Run::Plain(format!("{} ", ending(&names, '.'))));
    }
    runs.push(Run::Italic(ending(&work.title_cased(), '.')));
    let mut rest: Vec<String> = Vec::new();
    if let Some(edition) = &work.edition {
        rest.push(edition.clone());
    }
    rest.extend(work.publisher.map(str::to_owned));
    rest.extend(work.year.map(|year| year.to_string()));
    if !rest.is_empty() {
        runs.push(Run::Plain(format!(" {}", ending(&rest.join(", "), '.'))));
    }
    runs
}

/// Chicago (bibliography): `Austen, Jane. *Pride and Prejudice*. 2nd ed. London: T. Egerton,
/// 1813.`
fn chicago(work: &Work<'_>) -> Vec<Run> {
    let mut runs = Vec::new();
    // Up to ten names; of more, the first seven and "et al."
    let many = work.names.len() > 10;
    let shown: Vec<&CitedName> = work
        .names
        .iter()
        .copied()
        .take(if many { 7 } else { 10 })
        .collect();
    let names = match shown.as_slice() {
        [] => None,
        [one] if !many => Some(inverted(one)),
        [first, rest @ ..] => {
            let mut listed = inverted(first);
            for (n, name) in rest.iter().enumerate() {
                let last = n + 1 == rest.len() && !many;
                listed.push_str(if last { ", and " } else { ", " });
                listed.push_str(&direct(name));
            }
            if many {
                listed.push_str(", et al.");
            }
            Some(listed)
        }
    };
    if let Some(mut names) = names {
        if work.edited {
            names.push_str(if work.names.len() == 1 {
                ", ed."
            } else {
                ", eds."
            });
        }
        runs.push(Run::Plain(format!("{} ", ending(&names, '.'))));
    }
    runs.push(Run::Italic(ending(&work.title_cased(), '.')));
    if let Some(edition) = &work.edition {
        runs.push(Run::Plain(format!(" {}", ending(edition, '.'))));
    }
    let imprint = match (&work.place, work.publisher) {
        (Some(place), Some(publisher)) => Some(format!("{place}: {publisher}")),
        (None, Some(publisher)) => Some(publisher.to_owned()),
        (Some(place), None) => Some(place.clone()),
        (None, None) => None,
    };
    let year = work.year.map(|year| year.to_string());
    let facts: Vec<String> = imprint.into_iter().chain(year).collect();
    if !facts.is_empty() {
        runs.push(Run::Plain(format!(" {}.", facts.join(", "))));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::description::{Publication, PublicationRole};

    fn name(name: &str, kind: NameKind) -> CitedName {
        CitedName {
            name: name.into(),
            kind,
            role: NameRole::Author,
        }
    }

    fn document(title: &str, names: Vec<CitedName>) -> BibDocument {
        let mut document = crate::document::document_from_record(
            1,
            &crate::document::titled_record(title),
            Vec::new(),
        );
        document.title = title.into();
        document.cited_names = names;
        document.publication_year = Some(1813);
        document.publishers = vec!["T. Egerton".into()];
        document.language = Some("eng".into());
        document
    }

    fn described(edition: Option<&str>, statement: &str) -> Description {
        Description {
            editions: edition.into_iter().map(str::to_owned).collect(),
            publication: vec![Publication {
                role: PublicationRole::Publication,
                statement: statement.into(),
            }],
            ..Description::default()
        }
    }

    fn text(document: &BibDocument, description: &Description, style: Style) -> String {
        plain_text(&cite(document, description, style))
    }

    #[test]
    fn one_author_in_each_style() {
        let novel = document(
            "Pride and prejudice : a novel",
            vec![name("Austen, Jane", NameKind::Person)],
        );
        let description = described(Some("2nd ed."), "London : T. Egerton, 1813.");
        assert_eq!(
            cite(&novel, &description, Style::Apa),
            [
                Run::Plain("Austen, J. (1813). ".into()),
                Run::Italic("Pride and prejudice: a novel".into()),
                Run::Plain(" (2nd ed.).".into()),
                Run::Plain(" T. Egerton.".into()),
            ]
        );
        assert_eq!(
            text(&novel, &description, Style::Mla),
            "Austen, Jane. Pride and Prejudice: A Novel. 2nd ed., T. Egerton, 1813."
        );
        assert_eq!(
            text(&novel, &description, Style::Chicago),
            "Austen, Jane. Pride and Prejudice: A Novel. 2nd ed. London: T. Egerton, 1813."
        );
        // A first edition is not named; a supplied place is unbracketed.
        let first = described(Some("First edition."), "[London] : T. Egerton, 1813.");
        assert_eq!(
            text(&novel, &first, Style::Chicago),
            "Austen, Jane. Pride and Prejudice: A Novel. London: T. Egerton, 1813."
        );
        assert_eq!(
            text(&novel, &first, Style::Apa),
            "Austen, J. (1813). Pride and prejudice: a novel. T. Egerton."
        );
    }

    #[test]
    fn several_authors_initials_and_organisations() {
        let names = vec![
            name("Le Guin, Ursula K.", NameKind::Person),
            name("Sartre, Jean-Paul", NameKind::Person),
            name("Library of Congress", NameKind::Corporate),
        ];
        let work = document("The dispossessed", names.clone());
        let description = Description::default();
        assert_eq!(
            text(&work, &description, Style::Apa),
            "Le Guin, U. K., Sartre, J.-P., & Library of Congress. (1813). The dispossessed. T. Egerton."
        );
        assert_eq!(
            text(&work, &description, Style::Mla),
            "Le Guin, Ursula K., et al. The Dispossessed. T. Egerton, 1813."
        );
        assert_eq!(
            text(&work, &description, Style::Chicago),
            "Le Guin, Ursula K., Jean-Paul Sartre, and Library of Congress. The Dispossessed. T. Egerton, 1813."
        );
        let two = document("Dialogues", names[..2].to_vec());
        assert_eq!(
            text(&two, &description, Style::Apa),
            "Le Guin, U. K., & Sartre, J.-P. (1813). Dialogues. T. Egerton."
        );
        assert_eq!(
            text(&two, &description, Style::Mla),
            "Le Guin, Ursula K., and Jean-Paul Sartre. Dialogues. T. Egerton, 1813."
        );
    }

    #[test]
    fn editors_are_cited_when_there_is_no_author_and_others_never() {
        let role = |mut cited: CitedName, role| {
            cited.role = role;
            cited
        };
        let edited = document(
            "Essays on libraries",
            vec![
                role(name("Smith, Jane", NameKind::Person), NameRole::Editor),
                role(name("Doe, John", NameKind::Person), NameRole::Editor),
                role(name("Drawer, Ann", NameKind::Person), NameRole::Other),
            ],
        );
        let description = Description::default();
        assert_eq!(
            text(&edited, &description, Style::Apa),
            "Smith, J., & Doe, J. (Eds.). (1813). Essays on libraries. T. Egerton."
        );
        assert_eq!(
            text(&edited, &description, Style::Mla),
            "Smith, Jane, and John Doe, editors. Essays on Libraries. T. Egerton, 1813."
        );
        assert_eq!(
            text(&edited, &description, Style::Chicago),
            "Smith, Jane, and John Doe, eds. Essays on Libraries. T. Egerton, 1813."
        );
        // A film's director and cast are not its authors: the title comes first.
        let film = document(
            "Casablanca",
            vec![role(
                name("Curtiz, Michael", NameKind::Person),
                NameRole::Other,
            )],
        );
        assert_eq!(
            text(&film, &description, Style::Chicago),
            "Casablanca. T. Egerton, 1813."
        );
        // With an author, the editor is not cited as one.
        let novel = document(
            "Emma",
            vec![
                role(name("Smith, Jane", NameKind::Person), NameRole::Editor),
                name("Austen, Jane", NameKind::Person),
            ],
        );
        assert_eq!(
            text(&novel, &description, Style::Mla),
            "Austen, Jane. Emma. T. Egerton, 1813."
        );
    }

    #[test]
    fn no_author_no_year_and_other_languages() {
        let mut film = document("Casablanca", Vec::new());
        film.publication_year = None;
        film.publishers = Vec::new();
        let description = Description::default();
        assert_eq!(text(&film, &description, Style::Apa), "Casablanca. (n.d.).");
        assert_eq!(text(&film, &description, Style::Mla), "Casablanca.");
        assert_eq!(text(&film, &description, Style::Chicago), "Casablanca.");
        // A French title keeps its own capitals.
        let mut french = document(
            "Les misérables",
            vec![name("Hugo, Victor", NameKind::Person)],
        );
        french.language = Some("fre".into());
        assert_eq!(
            text(&french, &description, Style::Mla),
            "Hugo, Victor. Les misérables. T. Egerton, 1813."
        );
        assert_eq!(
            title_case("the lord of the rings: the return of the king"),
            "The Lord of the Rings: The Return of the King"
        );
        assert_eq!(title_case("a history of NASA"), "A History of NASA");
        assert_eq!(initials("J. R. R."), "J. R. R.");
        assert_eq!(without_final_full_stop("Second edition."), "Second edition");
        assert_eq!(without_final_full_stop("Rev. ed."), "Rev. ed.");
        assert_eq!(without_final_full_stop("3rd ed"), "3rd ed");
    }
}
