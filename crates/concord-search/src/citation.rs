//! Citation exports of a bib for reference managers: RIS and BibTeX, and the OpenURL that a
//! page's COinS carries, built from the same [`BibDocument`] the index uses so that what is
//! cited is what was found.

use concord_domain::format::Format;
use concord_domain::percent::percent_encode;

use crate::description::{Description, LinkRelationship, NoteKind};
use crate::document::{BibDocument, CitedName, NameKind, NameRole};

/// The RIS reference type of a format.
fn ris_type(format: Format) -> &'static str {
    match format {
        Format::Book | Format::LargePrint | Format::Braille => "BOOK",
        Format::Ebook => "EBOOK",
        Format::Serial => "JFULL",
        Format::Ejournal => "EJOUR",
        Format::MusicScore => "MUSIC",
        Format::AudiobookCd
        | Format::AudiobookCassette
        | Format::AudiobookOnline
        | Format::SpokenWordRecording
        | Format::MusicCd
        | Format::MusicVinyl
        | Format::MusicCassette
        | Format::MusicOnline
        | Format::MusicRecording => "SOUND",
        format if format.is_film() => "VIDEO",
        Format::Map => "MAP",
        Format::Website => "ELEC",
        Format::Database => "DBASE",
        Format::Software => "COMP",
        Format::Manuscript => "MANSCPT",
        _ => "GEN",
    }
}

/// A value on one line: a line break or other control character inside it would end the
/// line (and with it the tag's value) early, so each run of them becomes one space.
fn one_line(value: &str) -> String {
    let mut line = String::with_capacity(value.len());
    let mut in_break = false;
    for character in value.chars() {
        if character.is_control() {
            if !in_break {
                line.push(' ');
            }
            in_break = true;
        } else {
            line.push(character);
            in_break = false;
        }
    }
    line
}

/// The summary a citation carries as its abstract: one that describes the work (a summary,
/// abstract, scope or subject note), not a review or content advice.
fn abstract_of(description: &Description) -> Option<&str> {
    description
        .summaries
        .iter()
        .find(|summary| {
            matches!(
                summary.kind,
                NoteKind::Summary | NoteKind::Abstract | NoteKind::Scope | NoteKind::Subject
            )
        })
        .map(|summary| summary.text.as_str())
}

/// The bib as one RIS record (CRLF line ends, as the format's readers expect), with the
/// edition, abstract and links online of its `description`. `url` is the record's permalink,
/// the first `UR`; the resource online and its other versions follow it. Every value is on
/// its tag's line, whatever the record holds.
pub fn to_ris(document: &BibDocument, description: &Description, url: &str) -> String {
    let mut lines = vec![format!("TY  - {}", ris_type(document.format))];
    let mut push = |tag: &str, value: &str| lines.push(format!("{tag}  - {}", one_line(value)));
    push("TI", &document.title);
    // Authors as AU, editors as ED and every other contributor (illustrator, translator,
    // director, performer) as A4, RIS's subsidiary author, by their headings' relators. Its
    // `Lastname, Firstname, Suffix` syntax has no place for the dates a heading adds: hence
    // the cited names.
    // A film's directors are its authors (Zotero reads a video's AU as its director), and
    // the names its record gives without a role (its cast, often) are other contributors.
    let film = document.format.is_film();
    for name in &document.cited_names {
        let tag = if name.role.credited_as_author(film) {
            "AU"
        } else if name.role == NameRole::Editor {
            "ED"
        } else {
            "A4"
        };
        push(tag, &name.name);
    }
    if let Some(year) = document.publication_year {
        push("PY", &year.to_string());
    }
    if let Some(edition) = description.editions.first() {
        push("ET", edition);
    }
    for publisher in &document.publishers {
        push("PB", publisher);
    }
    for number in document.isbns.iter().chain(&document.issns) {
        push("SN", number);
    }
    for subject in &document.subjects {
        push("KW", subject);
    }
    if let Some(language) = &document.language {
        push("LA", language);
    }
    if let Some(summary) = abstract_of(description) {
        push("AB", summary);
    }
    push("UR", url);
    for link in &description.online {
        if link.relationship != LinkRelationship::Related {
            push("UR", &link.url);
        }
    }
    push("ID", &document.bib_id.to_string());
    lines.push("ER  - ".to_string());
    lines.join("\r\n") + "\r\n"
}

/// What an OpenURL citation of a bib says: from a [`BibDocument`] on its record page, or from
/// a [`crate::SearchHit`] on a results page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitedWork<'a> {
    pub format: Format,
    pub title: &'a str,
    pub names: Vec<&'a str>,
    pub year: Option<i64>,
    pub publisher: Option<&'a str>,
    pub isbn: Option<&'a str>,
    pub issn: Option<&'a str>,
    pub language: Option<&'a str>,
}

impl<'a> CitedWork<'a> {
    pub fn of_document(document: &'a BibDocument) -> CitedWork<'a> {
        CitedWork {
            format: document.format,
            title: &document.title,
            // As the citations credit them: a reference manager saves them as the authors.
            names: document
                .credited_names()
                .into_iter()
                .map(|name| name.name.as_str())
                .collect(),
            year: document.publication_year,
            publisher: document.publishers.first().map(String::as_str),
            isbn: document.isbns.first().map(String::as_str),
            issn: document.issns.first().map(String::as_str),
            language: document.language.as_deref(),
        }
    }

    pub fn of_hit(hit: &'a crate::SearchHit) -> CitedWork<'a> {
        CitedWork {
            format: Format::from_code(&hit.format).unwrap_or(Format::Other),
            title: &hit.title,
            names: hit.author.as_deref().into_iter().collect(),
            year: hit.year,
            publisher: None,
            isbn: None,
            issn: None,
            language: None,
        }
    }
}

/// The work as an OpenURL ContextObject in key/encoded-value form (Z39.88-2004), which a COinS
/// span carries in its `title` so that reference managers' browser connectors (Zotero's) can
/// save it from the page: books in the book format, serials in the journal format, anything
/// else (films, music, maps) in Dublin Core.
pub fn to_openurl(work: &CitedWork<'_>) -> String {
    let mut pairs: Vec<(&str, String)> = vec![
        ("url_ver", "Z39.88-2004".into()),
        ("ctx_ver", "Z39.88-2004".into()),
    ];
    let mut push = |key: &'static str, value: &str| {
        let value = one_line(value);
        let value = value.trim();
        if !value.is_empty() {
            pairs.push((key, value.to_owned()));
        }
    };
    let year = work.year.map(|year| year.to_string()).unwrap_or_default();
    match work.format {
        Format::Book | Format::LargePrint | Format::Braille | Format::Ebook => {
            push("rft_val_fmt", "info:ofi/fmt:kev:mtx:book");
            push("rft.genre", "book");
            push("rft.btitle", work.title);
            for name in &work.names {
                push("rft.au", name);
            }
            push("rft.date", &year);
            push("rft.pub", work.publisher.unwrap_or_default());
            push("rft.isbn", work.isbn.unwrap_or_default());
        }
        Format::Serial | Format::Ejournal => {
            push("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal");
            push("rft.genre", "journal");
            push("rft.jtitle", work.title);
            push("rft.issn", work.issn.unwrap_or_default());
            push("rft.date", &year);
        }
        _ => {
            push("rft_val_fmt", "info:ofi/fmt:kev:mtx:dc");
            push("rft.title", work.title);
            for name in &work.names {
                push("rft.creator", name);
            }
            push("rft.date", &year);
            push("rft.publisher", work.publisher.unwrap_or_default());
            push("rft.type", ris_type(work.format));
        }
    }
    push("rft.language", work.language.unwrap_or_default());
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", form_encoded(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `value` percent-encoded as a form value, a space as `+` as OpenURL's examples write it.
fn form_encoded(value: &str) -> String {
    percent_encode(value).replace("%20", "+")
}

/// A value for a braced BibTeX field, on one line, with every character special to LaTeX
/// escaped so that it prints as itself. BibTeX counts every brace, a backslash before it or
/// not, to find where a value ends, so braces (and the backslash, tilde and caret, which LaTeX
/// would read as commands) are written as the text commands that print them: the value's
/// own braces always balance.
fn bibtex_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for character in one_line(value).chars() {
        match character {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' => out.push_str("\\textbraceleft{}"),
            '}' => out.push_str("\\textbraceright{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '%' | '&' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(character);
            }
            _ => out.push(character),
        }
    }
    out
}

/// One name of a BibTeX `author` list. BibTeX separates people at the word `and` (in any case)
/// and takes a person's name apart at its commas and spaces, but never inside braces. So an
/// organisation or a person known by a forename is braced whole ("{Smith and Sons}", not two
/// people; "{Library of Congress}", not "Congress, Library of"); a person's `Family, Given`
/// keeps its first comma, with any `and` braced and a given part with further commas braced
/// whole (three commas would be too many for BibTeX).
fn bibtex_name(name: &CitedName) -> String {
    let text = bibtex_text(&name.name);
    let braced = |text: &str| format!("{{{text}}}");
    match name.kind {
        NameKind::Corporate | NameKind::PersonByForename => braced(&text),
        NameKind::Person => match text.split_once(',') {
            Some((family, given)) if !family.trim().is_empty() => {
                let given = given.trim();
                let given = if given.contains(',') {
                    braced(given)
                } else {
                    without_and_separators(given)
                };
                format!("{}, {given}", without_and_separators(family.trim()))
                    .trim_end_matches([',', ' '])
                    .to_string()
            }
            Some(_) => braced(&text),
            None => without_and_separators(&text),
        },
    }
}

/// The text with every word `and` braced, so that BibTeX does not take it for the separator of
/// two names.
fn without_and_separators(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.eq_ignore_ascii_case("and") {
                format!("{{{word}}}")
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The bib as one BibTeX entry keyed `concordID`, with the edition and abstract of its
/// `description`.
pub fn to_bibtex(document: &BibDocument, description: &Description, url: &str) -> String {
    let kind = match document.format {
        Format::Book | Format::LargePrint | Format::Braille | Format::Ebook => "book",
        _ => "misc",
    };
    let mut fields = vec![("title", bibtex_text(&document.title))];
    // The authors (a film's directors) and the editors; BibTeX has no field for other
    // contributors.
    let film = document.format.is_film();
    for field in ["author", "editor"] {
        let names: Vec<String> = document
            .cited_names
            .iter()
            .filter(|name| match field {
                "author" => name.role.credited_as_author(film),
                _ => name.role == NameRole::Editor,
            })
            .map(bibtex_name)
            .collect();
        if !names.is_empty() {
            fields.push((field, names.join(" and ")));
        }
    }
    if let Some(year) = document.publication_year {
        fields.push(("year", year.to_string()));
    }
    if let Some(edition) = description.editions.first() {
        fields.push(("edition", bibtex_text(edition)));
    }
    if let Some(publisher) = document.publishers.first() {
        fields.push(("publisher", bibtex_text(publisher)));
    }
    if let Some(isbn) = document.isbns.first() {
        fields.push(("isbn", bibtex_text(isbn)));
    }
    if let Some(issn) = document.issns.first() {
        fields.push(("issn", bibtex_text(issn)));
    }
    if let Some(language) = &document.language {
        fields.push(("language", bibtex_text(language)));
    }
    if let Some(summary) = abstract_of(description) {
        fields.push(("abstract", bibtex_text(summary)));
    }
    // A URL is read verbatim (the url package), so only its line is guarded.
    fields.push(("url", one_line(url)));
    let body: Vec<String> = fields
        .into_iter()
        .map(|(name, value)| format!("  {name} = {{{value}}}"))
        .collect();
    format!(
        "@{kind}{{concord{},\n{}\n}}\n",
        document.bib_id,
        body.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use concord_marc::{DataField, Leader, Record, Tag};

    use super::*;
    use crate::document::document_from_record;

    fn sample() -> BibDocument {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_control(
            Tag::parse("008").unwrap(),
            "200101s1937    enk           000 1 eng d",
        );
        record.push_data(
            DataField::new(Tag::parse("020").unwrap(), ' ', ' ').with_subfield('a', "0261102214"),
        );
        record.push_data(
            DataField::new(Tag::parse("100").unwrap(), '1', ' ')
                .with_subfield('a', "Tolkien, J. R. R."),
        );
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '1', '4')
                .with_subfield('a', "The hobbit & {other} 100% tales"),
        );
        record.push_data(
            DataField::new(Tag::parse("260").unwrap(), ' ', ' ')
                .with_subfield('b', "Allen & Unwin")
                .with_subfield('c', "1937"),
        );
        document_from_record(7, &record, Vec::new())
    }

    #[test]
    fn ris_names_type_title_author_year_and_ends_the_record() {
        let ris = to_ris(
            &sample(),
            &Description::default(),
            "https://example.org/record/7",
        );
        assert!(ris.starts_with("TY  - BOOK\r\n"), "{ris}");
        assert!(ris.contains("AU  - Tolkien, J. R. R.\r\n"), "{ris}");
        assert!(ris.contains("PY  - 1937\r\n"), "{ris}");
        assert!(
            ris.contains("UR  - https://example.org/record/7\r\n"),
            "{ris}"
        );
        assert!(ris.ends_with("ER  - \r\n"), "{ris}");
    }

    #[test]
    fn exports_carry_the_edition_abstract_and_links_online() {
        use crate::description::{Note, OnlineLink};
        let link = |url: &str, relationship| OnlineLink {
            url: url.into(),
            text: None,
            note: None,
            relationship,
        };
        let description = Description {
            editions: vec!["2nd ed.".into()],
            summaries: vec![
                Note {
                    kind: NoteKind::ContentAdvice,
                    text: "Contains peril.".into(),
                },
                Note {
                    kind: NoteKind::Summary,
                    text: "A hobbit goes there & back again.".into(),
                },
            ],
            online: vec![
                link("https://ebooks.example.org/7", LinkRelationship::Resource),
                link("https://covers.example.org/7", LinkRelationship::Related),
            ],
            ..Description::default()
        };
        let ris = to_ris(&sample(), &description, "https://example.org/record/7");
        assert!(ris.contains("ET  - 2nd ed.\r\n"), "{ris}");
        assert!(
            ris.contains("AB  - A hobbit goes there & back again.\r\n"),
            "{ris}"
        );
        // The permalink first, then the resource; not what is only related to it.
        assert!(
            ris.contains(
                "UR  - https://example.org/record/7\r\nUR  - https://ebooks.example.org/7\r\n"
            ),
            "{ris}"
        );
        assert!(!ris.contains("covers.example.org"), "{ris}");
        assert!(!ris.contains("peril"), "{ris}");
        let bibtex = to_bibtex(&sample(), &description, "https://example.org/record/7");
        assert!(bibtex.contains("  edition = {2nd ed.},\n"), "{bibtex}");
        assert!(
            bibtex.contains("  abstract = {A hobbit goes there \\& back again.},\n"),
            "{bibtex}"
        );
    }

    #[test]
    fn openurl_citations_follow_the_format() {
        let document = sample();
        let book = to_openurl(&CitedWork::of_document(&document));
        assert!(
            book.starts_with(
                "url_ver=Z39.88-2004&ctx_ver=Z39.88-2004&rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Abook&rft.genre=book&"
            ),
            "{book}"
        );
        for pair in [
            "rft.btitle=The+hobbit+%26+%7Bother%7D+100%25+tales",
            "rft.au=Tolkien%2C+J.+R.+R.",
            "rft.date=1937",
            "rft.pub=Allen+%26+Unwin",
        ] {
            assert!(book.split('&').any(|p| p == pair), "{pair} in {book}");
        }
        let film = CitedWork {
            format: Format::Dvd,
            title: "Pride & prejudice",
            names: vec!["Wright, Joe"],
            year: Some(2005),
            publisher: None,
            isbn: None,
            issn: None,
            language: Some("eng"),
        };
        assert_eq!(
            to_openurl(&film),
            "url_ver=Z39.88-2004&ctx_ver=Z39.88-2004&rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Adc\
             &rft.title=Pride+%26+prejudice&rft.creator=Wright%2C+Joe&rft.date=2005\
             &rft.type=VIDEO&rft.language=eng"
        );
        let serial = CitedWork {
            format: Format::Serial,
            issn: Some("0028-0836"),
            year: None,
            names: Vec::new(),
            ..film
        };
        assert_eq!(
            to_openurl(&serial),
            "url_ver=Z39.88-2004&ctx_ver=Z39.88-2004&rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Ajournal\
             &rft.genre=journal&rft.jtitle=Pride+%26+prejudice&rft.issn=0028-0836&rft.language=eng"
        );
        assert_eq!(form_encoded("Müller é"), "M%C3%BCller+%C3%A9");
    }

    #[test]
    fn authors_editors_and_other_contributors_go_where_each_format_has_them() {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '0', '0').with_subfield('a', "Essays"),
        );
        for (name, relator) in [
            ("Writer, Ann,", "author."),
            ("Editor, Bo,", "editor."),
            ("Drawer, Cy,", "illustrator."),
        ] {
            record.push_data(
                DataField::new(Tag::parse("700").unwrap(), '1', ' ')
                    .with_subfield('a', name)
                    .with_subfield('e', relator),
            );
        }
        let document = document_from_record(3, &record, Vec::new());
        let ris = to_ris(
            &document,
            &Description::default(),
            "https://example.org/record/3",
        );
        for line in [
            "AU  - Writer, Ann\r\n",
            "ED  - Editor, Bo\r\n",
            "A4  - Drawer, Cy\r\n",
        ] {
            assert!(ris.contains(line), "{line}{ris}");
        }
        let bibtex = to_bibtex(
            &document,
            &Description::default(),
            "https://example.org/record/3",
        );
        assert!(bibtex.contains("  author = {Writer, Ann},\n"), "{bibtex}");
        assert!(bibtex.contains("  editor = {Editor, Bo},\n"), "{bibtex}");
        assert!(!bibtex.contains("Drawer"), "{bibtex}");
    }

    #[test]
    fn bibtex_escapes_special_characters() {
        let bibtex = to_bibtex(
            &sample(),
            &Description::default(),
            "https://example.org/record/7",
        );
        assert!(bibtex.starts_with("@book{concord7,\n"), "{bibtex}");
        assert!(
            bibtex.contains(
                "title = {The hobbit \\& \\textbraceleft{}other\\textbraceright{} 100\\% tales}"
            ),
            "{bibtex}"
        );
        assert!(bibtex.contains("year = {1937}"), "{bibtex}");
        assert!(bibtex.contains("publisher = {Allen \\& Unwin}"), "{bibtex}");
    }

    #[track_caller]
    fn check_bibtex_text(value: &str, expected: &str) {
        assert_eq!(bibtex_text(value), expected, "{value:?}");
    }

    #[test]
    fn every_latex_special_character_prints_as_itself() {
        check_bibtex_text("{x}", "\\textbraceleft{}x\\textbraceright{}");
        check_bibtex_text("a}b", "a\\textbraceright{}b");
        check_bibtex_text("C:\\dir", "C:\\textbackslash{}dir");
        check_bibtex_text("~ ^", "\\textasciitilde{} \\textasciicircum{}");
        check_bibtex_text("% & $ # _", "\\% \\& \\$ \\# \\_");
        check_bibtex_text("Café", "Café");
    }

    #[test]
    fn line_breaks_in_values_stay_inside_their_field() {
        let mut document = sample();
        document.title = "Two\nlines\r\nand\ta tab".to_owned();
        document.cited_names = vec![CitedName {
            name: "Newline,\nAuthor".to_owned(),
            kind: NameKind::Person,
            role: crate::document::NameRole::Author,
        }];
        let ris = to_ris(
            &document,
            &Description::default(),
            "https://example.org/record/7",
        );
        assert!(ris.contains("TI  - Two lines and a tab\r\n"), "{ris}");
        assert!(ris.contains("AU  - Newline, Author\r\n"), "{ris}");
        for line in ris.split("\r\n").filter(|line| !line.is_empty()) {
            assert!(line.get(2..6) == Some("  - "), "{line:?} in {ris}");
        }
        let bibtex = to_bibtex(
            &document,
            &Description::default(),
            "https://example.org/record/7",
        );
        assert!(
            bibtex.contains("  title = {Two lines and a tab},\n"),
            "{bibtex}"
        );
        assert!(
            bibtex.contains("  author = {Newline, Author},\n"),
            "{bibtex}"
        );
    }

    fn name_field(tag: &str, indicator1: char, subfields: &[(char, &str)]) -> DataField {
        let mut field = DataField::new(Tag::parse(tag).unwrap(), indicator1, ' ');
        for (code, value) in subfields {
            field = field.with_subfield(*code, *value);
        }
        field
    }

    /// The names of a BibTeX `author` value as BibTeX finds them: split at the word `and`, in
    /// any case, outside braces.
    fn bibtex_people(value: &str) -> Vec<String> {
        let mut people = vec![String::new()];
        let mut depth = 0;
        for word in value.split(' ') {
            if depth == 0 && word.eq_ignore_ascii_case("and") {
                people.push(String::new());
                continue;
            }
            for character in word.chars() {
                match character {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            let person = people.last_mut().unwrap();
            if !person.is_empty() {
                person.push(' ');
            }
            person.push_str(word);
        }
        people
    }

    /// Checks the `author` value of the BibTeX entry and the AU lines of the RIS record of a
    /// book with these name headings, and that BibTeX finds one person per heading.
    #[track_caller]
    fn check_names(headings: &[DataField], bibtex_author: &str, ris_authors: &[&str]) {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '1', '0').with_subfield('a', "A title"),
        );
        for heading in headings {
            record.push_data(heading.clone());
        }
        let document = document_from_record(9, &record, Vec::new());
        let bibtex = to_bibtex(
            &document,
            &Description::default(),
            "https://example.org/record/9",
        );
        let author = bibtex
            .lines()
            .find_map(|line| line.strip_prefix("  author = {"))
            .and_then(|value| value.strip_suffix("},"))
            .unwrap_or_else(|| panic!("no author in {bibtex}"));
        assert_eq!(author, bibtex_author, "{bibtex}");
        assert_eq!(
            bibtex_people(author).len(),
            document.cited_names.len(),
            "{author}"
        );
        let ris = to_ris(
            &document,
            &Description::default(),
            "https://example.org/record/9",
        );
        let au: Vec<&str> = ris
            .split("\r\n")
            .filter_map(|line| line.strip_prefix("AU  - "))
            .collect();
        assert_eq!(au, ris_authors, "{ris}");
    }

    #[test]
    fn names_are_cited_whole_or_as_family_and_given() {
        // A person: family name first, without the dates and fuller form of the heading.
        check_names(
            &[name_field(
                "100",
                '1',
                &[
                    ('a', "Tolkien, J. R. R."),
                    ('q', "(John Ronald Reuel),"),
                    ('d', "1892-1973."),
                ],
            )],
            "Tolkien, J. R. R.",
            &["Tolkien, J. R. R."],
        );
        // Organisations and meetings are one name each, never split at "and" nor inverted.
        check_names(
            &[name_field("110", '2', &[('a', "Smith and Sons.")])],
            "{Smith and Sons}",
            &["Smith and Sons"],
        );
        check_names(
            &[name_field(
                "710",
                '2',
                &[
                    ('a', "Library of Congress."),
                    ('b', "Cataloging Policy and Support Office."),
                ],
            )],
            "{Library of Congress. Cataloging Policy and Support Office}",
            &["Library of Congress. Cataloging Policy and Support Office"],
        );
        check_names(
            &[name_field(
                "111",
                '2',
                &[
                    ('a', "Conference on Rust & Libraries"),
                    ('d', "(2024 :"),
                    ('c', "Leeds, England)"),
                ],
            )],
            "{Conference on Rust \\& Libraries (2024 : Leeds, England)}",
            &["Conference on Rust & Libraries (2024 : Leeds, England)"],
        );
        // A person known by a forename, with a numeration: one name, not "II, Elizabeth".
        check_names(
            &[name_field(
                "100",
                '0',
                &[
                    ('a', "Elizabeth"),
                    ('b', "II,"),
                    ('c', "Queen of Great Britain,"),
                    ('d', "1926-2022."),
                ],
            )],
            "{Elizabeth II}",
            &["Elizabeth II"],
        );
        // "and" inside a person's name, in any case, is not a separator.
        check_names(
            &[name_field(
                "700",
                '1',
                &[('a', "Brown, Sue and Ann AND Jo")],
            )],
            "Brown, Sue {and} Ann {AND} Jo",
            &["Brown, Sue and Ann AND Jo"],
        );
        check_names(
            &[name_field("700", '1', &[('a', "Gilbert and Sullivan")])],
            "Gilbert {and} Sullivan",
            &["Gilbert and Sullivan"],
        );
        // Two people in one badly catalogued heading: more commas than BibTeX allows in a
        // name, so the given part is kept whole.
        check_names(
            &[name_field(
                "700",
                '1',
                &[('a', "Gilbert, W. S. and Sullivan, Arthur")],
            )],
            "Gilbert, {W. S. and Sullivan, Arthur}",
            &["Gilbert, W. S. and Sullivan, Arthur"],
        );
        // Several names, the main entry first and then the added entries of people before
        // those of organisations (as `authors` lists them), joined by BibTeX's separator.
        check_names(
            &[
                name_field(
                    "100",
                    '1',
                    &[('a', "Tolkien, J. R. R.,"), ('d', "1892-1973.")],
                ),
                name_field("710", '2', &[('a', "Allen & Unwin.")]),
                name_field("700", '1', &[('a', "Tolkien, Christopher.")]),
            ],
            "Tolkien, J. R. R. and Tolkien, Christopher and {Allen \\& Unwin}",
            &["Tolkien, J. R. R.", "Tolkien, Christopher", "Allen & Unwin"],
        );
    }
}
