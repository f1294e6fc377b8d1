//! A bib cited in the styles students are asked for: APA (7th edition), MLA (9th) and Chicago
//! (17th, bibliography), from the same [`BibDocument`] and [`Description`] the record page shows,
//! as the "Cite" boxes of library catalogues give them. Pure.
//!
//! A film is cited as the styles cite films: by its directors (APA's "(Director)", MLA's and
//! Chicago's "Directed by"), never by its cast, which film records often enter without a role.
//! APA says what a work that is not a book is ("[Film]", "[Album]", "[Audiobook]", "[Map]"),
//! and Chicago names a recording's carrier ("DVD", "CD").
//!
//! Each citation is a list of [`Run`]s, so that a page can set the title in italics and a
//! plain-text reader gets the same words.

use concord_domain::format::Format;

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

/// Who the cited names are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credit {
    /// The authors (or composers, artists: whoever the record enters without another role).
    Written,
    /// The editors of a work without authors.
    Edited,
    /// A film's directors.
    Directed,
}

/// What every style cites.
struct Work<'a> {
    /// The authors; of a work without any, its editors; of a film, its directors
    /// (see `credit`). Illustrators, translators, performers and other contributors are not
    /// cited, nor a film's cast, which its records often enter without a role.
    names: Vec<&'a CitedName>,
    credit: Credit,
    /// APA's description of a work that is not a book, in brackets after the title ("Film").
    kind: Option<&'static str>,
    /// The carrier Chicago names at the end ("DVD").
    medium: Option<&'static str>,
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
        let names = document.credited_names();
        let credit = if document.format.is_film() {
            Credit::Directed
        } else if names.iter().any(|name| name.role == NameRole::Editor) {
            Credit::Edited
        } else {
            Credit::Written
        };
        Work {
            names,
            credit,
            kind: apa_kind(document.format),
            medium: medium(document.format),
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

/// What APA calls a work of `format` in brackets after its title: films, albums, audiobooks,
/// maps and software; nothing for books and the rest.
fn apa_kind(format: Format) -> Option<&'static str> {
    match format {
        format if format.is_film() => Some("Film"),
        Format::MusicCd
        | Format::MusicVinyl
        | Format::MusicCassette
        | Format::MusicOnline
        | Format::MusicRecording => Some("Album"),
        Format::AudiobookCd | Format::AudiobookCassette | Format::AudiobookOnline => {
            Some("Audiobook")
        }
        Format::SpokenWordRecording => Some("Audio recording"),
        Format::Map => Some("Map"),
        Format::Software => Some("Computer software"),
        _ => None,
    }
}

/// The carrier Chicago names after the facts of publication of a recording.
fn medium(format: Format) -> Option<&'static str> {
    match format {
        Format::Dvd => Some("DVD"),
        Format::BluRay => Some("Blu-ray"),
        Format::Vhs => Some("VHS"),
        Format::VideoOnline => Some("Streaming video"),
        Format::MusicCd | Format::AudiobookCd => Some("CD"),
        Format::MusicVinyl => Some("LP"),
        Format::MusicCassette | Format::AudiobookCassette => Some("Audiocassette"),
        _ => None,
    }
}

/// "Peter Jackson", "Anthony Russo and Joe Russo", and for more, MLA's "Anthony Russo et al."
/// or Chicago's "A, B, and C": names as a credit after the title gives them.
fn credited(names: &[&CitedName], et_al: bool) -> String {
    match names {
        [] => String::new(),
        [one] => direct(one),
        [first, second] => format!("{} and {}", direct(first), direct(second)),
        [first, ..] if et_al => format!("{} et al.", direct(first)),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(|name| direct(name)).collect();
            format!("{}, and {}", rest.join(", "), direct(last))
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

/// APA: `Austen, J., & Brontë, C. (1813). *Pride and prejudice* (2nd ed.). T. Egerton.`, a
/// film `Jackson, P. (Director). (2001). *The lord of the rings* [Film]. New Line Cinema.`
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
    // After the title, in plain type: the edition, then what kind of work it is.
    let mut after_title = String::new();
    if let Some(edition) = &work.edition {
        after_title.push_str(&format!(" ({edition})"));
    }
    if let Some(kind) = work.kind {
        after_title.push_str(&format!(" [{kind}]"));
    }
    let after_title = (!after_title.is_empty()).then_some(after_title);
    match names.as_slice() {
        [] => {
            // Without an author the title leads.
            match &after_title {
                Some(after_title) => {
                    runs.push(Run::Italic(work.title.clone()));
                    runs.push(Run::Plain(format!("{after_title}. ({year}).")));
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
            let one = names.len() == 1;
            match work.credit {
                Credit::Written => {}
                Credit::Edited => listed.push_str(if one { " (Ed.)" } else { " (Eds.)" }),
                Credit::Directed => {
                    listed.push_str(if one { " (Director)" } else { " (Directors)" });
                }
            }
            runs.push(Run::Plain(format!("{} ({year}). ", ending(&listed, '.'))));
            match &after_title {
                Some(after_title) => {
                    runs.push(Run::Italic(work.title.clone()));
                    runs.push(Run::Plain(format!("{after_title}.")));
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
    // A film is cited by its title, its directors credited after it.
    let leading: &[&CitedName] = if work.credit == Credit::Directed {
        &[]
    } else {
        &work.names
    };
    let names = match leading {
        [] => None,
        [one] => Some(inverted(one)),
        [first, second] => Some(format!("{}, and {}", inverted(first), direct(second))),
        [first, ..] => Some(format!("{}, et al.", inverted(first))),
    };
    if let Some(mut names) = names {
        if work.credit == Credit::Edited {
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
    if work.credit == Credit::Directed && !work.names.is_empty() {
        rest.push(format!("Directed by {}", credited(&work.names, true)));
    }
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
    // A film is cited by its title, its directors credited after it.
    let leading: &[&CitedName] = if work.credit == Credit::Directed {
        &[]
    } else {
        &work.names
    };
    // Up to ten names; of more, the first seven and "et al."
    let many = leading.len() > 10;
    let shown: Vec<&CitedName> = leading
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
        if work.credit == Credit::Edited {
            names.push_str(if work.names.len() == 1 {
                ", ed."
            } else {
                ", eds."
            });
        }
        runs.push(Run::Plain(format!("{} ", ending(&names, '.'))));
    }
    runs.push(Run::Italic(ending(&work.title_cased(), '.')));
    if work.credit == Credit::Directed && !work.names.is_empty() {
        let directors = credited(&work.names, false);
        runs.push(Run::Plain(format!(
            " Directed by {}",
            ending(&directors, '.')
        )));
    }
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
    if let Some(medium) = work.medium {
        runs.push(Run::Plain(format!(" {medium}.")));
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
    fn a_film_is_cited_with_its_directors_never_its_cast() {
        let role = |mut cited: CitedName, role| {
            cited.role = role;
            cited
        };
        let mut film = document(
            "The lord of the rings : the fellowship of the ring",
            vec![
                // Cast entered without a role, as film records often do.
                name("McKellen, Ian", NameKind::Person),
                role(name("Jackson, Peter", NameKind::Person), NameRole::Director),
            ],
        );
        film.format = Format::Dvd;
        film.publication_year = Some(2002);
        film.publishers = vec!["New Line Home Entertainment".into()];
        let description = described(None, "Burbank, CA : New Line Home Entertainment, 2002.");
        assert_eq!(
            cite(&film, &description, Style::Apa),
            [
                Run::Plain("Jackson, P. (Director). (2002). ".into()),
                Run::Italic("The lord of the rings: the fellowship of the ring".into()),
                Run::Plain(" [Film].".into()),
                Run::Plain(" New Line Home Entertainment.".into()),
            ]
        );
        assert_eq!(
            text(&film, &description, Style::Mla),
            "The Lord of the Rings: The Fellowship of the Ring. Directed by Peter Jackson, \
             New Line Home Entertainment, 2002."
        );
        assert_eq!(
            text(&film, &description, Style::Chicago),
            "The Lord of the Rings: The Fellowship of the Ring. Directed by Peter Jackson. \
             Burbank, CA: New Line Home Entertainment, 2002. DVD."
        );
        // Several directors; and a film whose record names none leads with its title.
        let russo = |given: &str| {
            role(
                name(&format!("Russo, {given}"), NameKind::Person),
                NameRole::Director,
            )
        };
        film.cited_names = vec![russo("Anthony"), russo("Joe")];
        film.format = Format::BluRay;
        assert!(
            text(&film, &description, Style::Apa)
                .starts_with("Russo, A., & Russo, J. (Directors). (2002). ")
        );
        assert!(
            text(&film, &description, Style::Mla)
                .contains(". Directed by Anthony Russo and Joe Russo, New Line")
        );
        film.cited_names.push(russo("Jeanne"));
        assert!(
            text(&film, &description, Style::Mla).contains(". Directed by Anthony Russo et al., ")
        );
        assert!(
            text(&film, &description, Style::Chicago).contains(
                ". Directed by Anthony Russo, Joe Russo, and Jeanne Russo. Burbank, CA: "
            )
        );
        assert!(text(&film, &description, Style::Chicago).ends_with(", 2002. Blu-ray."));
        film.cited_names = vec![name("McKellen, Ian", NameKind::Person)];
        assert_eq!(
            text(&film, &Description::default(), Style::Apa),
            "The lord of the rings: the fellowship of the ring [Film]. (2002). \
             New Line Home Entertainment."
        );
    }

    #[test]
    fn recordings_and_maps_say_what_they_are() {
        let mut album = document("Kind of blue", vec![name("Davis, Miles", NameKind::Person)]);
        album.format = Format::MusicCd;
        album.publication_year = Some(1997);
        album.publishers = vec!["Columbia".into()];
        let description = described(Some("Remastered edition."), "New York : Columbia, 1997.");
        assert_eq!(
            text(&album, &description, Style::Apa),
            "Davis, M. (1997). Kind of blue (Remastered edition) [Album]. Columbia."
        );
        assert_eq!(
            text(&album, &description, Style::Chicago),
            "Davis, Miles. Kind of Blue. Remastered edition. New York: Columbia, 1997. CD."
        );
        let mut audiobook = document("Becoming", vec![name("Obama, Michelle", NameKind::Person)]);
        audiobook.format = Format::AudiobookOnline;
        assert_eq!(
            text(&audiobook, &Description::default(), Style::Apa),
            "Obama, M. (1813). Becoming [Audiobook]. T. Egerton."
        );
        let mut map = document("Ohio road map", Vec::new());
        map.format = Format::Map;
        assert_eq!(
            text(&map, &Description::default(), Style::Apa),
            "Ohio road map [Map]. (1813). T. Egerton."
        );
        // A book is a book: no description.
        let book = document("Emma", vec![name("Austen, Jane", NameKind::Person)]);
        assert_eq!(
            text(&book, &Description::default(), Style::Apa),
            "Austen, J. (1813). Emma. T. Egerton."
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
