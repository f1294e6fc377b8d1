//! Citation exports of a bib for reference managers: RIS and BibTeX, built from the same
//! [`BibDocument`] the index uses so that what is cited is what was found.

use concord_domain::format::Format;

use crate::document::BibDocument;

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
        Format::Dvd | Format::BluRay | Format::Vhs | Format::VideoOnline | Format::Video => "VIDEO",
        Format::Map => "MAP",
        Format::Website => "ELEC",
        Format::Database => "DBASE",
        Format::Software => "COMP",
        Format::Manuscript => "MANSCPT",
        _ => "GEN",
    }
}

/// The bib as one RIS record (CRLF line ends, as the format's readers expect). `url` is the
/// record's permalink.
pub fn to_ris(document: &BibDocument, url: &str) -> String {
    let mut lines = vec![format!("TY  - {}", ris_type(document.format))];
    lines.push(format!("TI  - {}", document.title));
    for author in &document.authors {
        lines.push(format!("AU  - {author}"));
    }
    if let Some(year) = document.publication_year {
        lines.push(format!("PY  - {year}"));
    }
    for publisher in &document.publishers {
        lines.push(format!("PB  - {publisher}"));
    }
    for number in document.isbns.iter().chain(&document.issns) {
        lines.push(format!("SN  - {number}"));
    }
    for subject in &document.subjects {
        lines.push(format!("KW  - {subject}"));
    }
    if let Some(language) = &document.language {
        lines.push(format!("LA  - {language}"));
    }
    lines.push(format!("UR  - {url}"));
    lines.push(format!("ID  - {}", document.bib_id));
    lines.push("ER  - ".to_string());
    lines.join("\r\n") + "\r\n"
}

/// BibTeX's special characters escaped (braces kept balanced, `%`, `&`, `$`, `#`, `_`).
fn bibtex_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for character in value.chars() {
        match character {
            '{' | '}' | '\\' => {}
            '%' | '&' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(character);
            }
            _ => out.push(character),
        }
    }
    out
}

/// The bib as one BibTeX entry keyed `concordID`.
pub fn to_bibtex(document: &BibDocument, url: &str) -> String {
    let kind = match document.format {
        Format::Book | Format::LargePrint | Format::Braille | Format::Ebook => "book",
        _ => "misc",
    };
    let mut fields = vec![("title", bibtex_text(&document.title))];
    if !document.authors.is_empty() {
        let authors: Vec<String> = document.authors.iter().map(|a| bibtex_text(a)).collect();
        fields.push(("author", authors.join(" and ")));
    }
    if let Some(year) = document.publication_year {
        fields.push(("year", year.to_string()));
    }
    if let Some(publisher) = document.publishers.first() {
        fields.push(("publisher", bibtex_text(publisher)));
    }
    if let Some(isbn) = document.isbns.first() {
        fields.push(("isbn", isbn.clone()));
    }
    if let Some(issn) = document.issns.first() {
        fields.push(("issn", issn.clone()));
    }
    if let Some(language) = &document.language {
        fields.push(("language", language.clone()));
    }
    fields.push(("url", url.to_string()));
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
        let ris = to_ris(&sample(), "https://example.org/record/7");
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
    fn bibtex_escapes_special_characters() {
        let bibtex = to_bibtex(&sample(), "https://example.org/record/7");
        assert!(bibtex.starts_with("@book{concord7,\n"), "{bibtex}");
        assert!(
            bibtex.contains("title = {The hobbit \\& other 100\\% tales}"),
            "{bibtex}"
        );
        assert!(bibtex.contains("year = {1937}"), "{bibtex}");
        assert!(bibtex.contains("publisher = {Allen \\& Unwin}"), "{bibtex}");
    }
}
