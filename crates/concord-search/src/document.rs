//! What the index knows about one bibliographic record: search text, sort keys, facet values
//! and holdings, extracted from a MARC record by a pure function.
//!
//! **Invariant:** every text of a [`BibDocument`] is [`readable_text`]: composed (NFC), without
//! control characters, line breaks or runs of spaces. The record page, the citations and the
//! index all read these texts, so none of them meets a raw line break or a letter split from
//! its accent.

use std::borrow::Cow;

use concord_domain::catalogue::{BibSummary, nonfiling_characters};
use concord_domain::codes::Code;
use concord_domain::format::{self, Format};
use concord_domain::languages::record_languages;
use concord_marc::{DataField, Record};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// One item of a bib as search sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// The member library that owns the item.
    pub member: Code,
    /// The branch the item belongs to (its shelving branch).
    pub branch: Code,
    /// The item's call number, if it has its own.
    pub call_number: Option<String>,
    /// The item status code (`available`, `on_loan`, `in_transit`...).
    pub status: String,
    /// False when the owning member keeps this item out of other members' views.
    pub visible_outside_member: bool,
}

/// When a member's newest copy of a bib was added (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAdded {
    pub member: Code,
    /// Its newest copy of all, which its own view sees.
    pub own: i64,
    /// Its newest copy every member may see; `None` when it keeps every copy back.
    pub seen_by_all: Option<i64>,
}

impl MemberAdded {
    /// Each member's newest copy among `copies`: (its member, when it was added, whether every
    /// member may see it), in the order members first appear.
    pub fn of<'a>(copies: impl IntoIterator<Item = (&'a Code, i64, bool)>) -> Vec<MemberAdded> {
        let mut by_member: Vec<MemberAdded> = Vec::new();
        for (member, added, seen_by_all) in copies {
            let seen_by_all = seen_by_all.then_some(added);
            match by_member.iter_mut().find(|known| known.member == *member) {
                Some(known) => {
                    known.own = known.own.max(added);
                    known.seen_by_all = known.seen_by_all.max(seen_by_all);
                }
                None => by_member.push(MemberAdded {
                    member: member.clone(),
                    own: added,
                    seen_by_all,
                }),
            }
        }
        by_member
    }
}

impl Holding {
    /// Whether a patron could take the item off the shelf now.
    pub fn is_available(&self) -> bool {
        self.status == "available"
    }

    /// Whether a patron searching in `view` (a member's view, or the whole consortium when
    /// `None`) may see this item. The owning member always sees its own items.
    pub fn is_visible_in(&self, view: Option<&Code>) -> bool {
        self.visible_outside_member || view == Some(&self.member)
    }
}

/// What kind of name a [`CitedName`] is, which decides how a citation format may take it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A person entered under a surname or family name (100/700 first indicator 1, 2 or 3),
    /// written `Family, Given`.
    Person,
    /// A person entered under a forename ("Homer", "Elizabeth II"; first indicator 0): one
    /// name that is never inverted.
    PersonByForename,
    /// An organisation or a meeting (110/111/710/711): one name that is never split into
    /// several people ("Smith and Sons") or inverted ("Library of Congress").
    Corporate,
}

/// A name as citations give it: a person's name without the dates, fuller form and titles
/// that a heading adds (`Tolkien, J. R. R.` of `Tolkien, J. R. R. (John Ronald Reuel),
/// 1892-1973`), which citation formats would read as further parts of the name; an
/// organisation's or meeting's whole heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitedName {
    pub name: String,
    pub kind: NameKind,
    pub role: NameRole,
}

/// The part a name had in the work, as its heading's relator says: a code in `$4` (`aut`, or
/// the id.loc.gov address ending in it) or a term in `$e` (`$j` for a meeting). A heading
/// without a relator is taken as an author's, as cataloguing before relators had them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRole {
    Author,
    /// An editor or compiler.
    Editor,
    /// A film's (or a television programme's) director.
    Director,
    /// Anyone else: illustrator, translator, performer, former owner…
    Other,
}

impl NameRole {
    /// Whether a name in this role is cited as the author of a work: the director of a film
    /// (whose cast its records often enter without a role), the author of anything else.
    pub fn credited_as_author(self, film: bool) -> bool {
        if film {
            self == NameRole::Director
        } else {
            self == NameRole::Author
        }
    }

    fn of_heading(field: &DataField) -> NameRole {
        let meeting = field.tag.as_str().ends_with("11");
        let codes: Vec<String> = field
            .subfields('4')
            .map(|code| {
                let code = code.trim().trim_end_matches(['.', ',']);
                code.rsplit('/').next().unwrap_or(code).to_ascii_lowercase()
            })
            .collect();
        let terms: Vec<String> = field
            .subfields(if meeting { 'j' } else { 'e' })
            .map(|term| {
                term.trim()
                    .trim_end_matches(['.', ',', ';'])
                    .trim()
                    .to_lowercase()
            })
            .collect();
        if codes.is_empty() && terms.is_empty() {
            return NameRole::Author;
        }
        let is = |wanted_codes: &[&str], wanted_terms: &[&str]| {
            codes
                .iter()
                .any(|code| wanted_codes.contains(&code.as_str()))
                || terms
                    .iter()
                    .any(|term| wanted_terms.contains(&term.as_str()))
        };
        if is(
            &["aut", "cre"],
            &["author", "joint author", "creator", "writer"],
        ) {
            NameRole::Author
        } else if is(
            &["edt", "com"],
            &["editor", "ed", "compiler", "comp", "editor of compilation"],
        ) {
            NameRole::Editor
        } else if is(
            &["drt", "fmd", "tld"],
            &[
                "director",
                "film director",
                "motion picture director",
                "television director",
            ],
        ) {
            NameRole::Director
        } else {
            NameRole::Other
        }
    }
}

impl CitedName {
    /// The cited form of a name heading (100, 110, 111, 700, 710, 711), if it has a name.
    fn of_heading(field: &DataField) -> Option<CitedName> {
        let tag = field.tag.as_str();
        let (name, kind) = if tag.ends_with("00") {
            // $a the name, $b the numeration ("II"); $c titles, $d dates and $q the fuller
            // form stay out.
            let kind = if field.indicator1 == '0' {
                NameKind::PersonByForename
            } else {
                NameKind::Person
            };
            (joined(field, &['a', 'b']), kind)
        } else {
            (
                joined(field, &['a', 'b', 'c', 'q', 'd']),
                NameKind::Corporate,
            )
        };
        (!name.is_empty()).then(|| CitedName {
            name,
            kind,
            role: NameRole::of_heading(field),
        })
    }
}

/// A title as a record writes it and as it files (without the leading article the field's
/// nonfiling indicator counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledTitle {
    pub title: String,
    pub filing: String,
}

/// The searchable form of one bibliographic record and its holdings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BibDocument {
    /// The store's id of the bib.
    pub bib_id: i64,
    /// The display title (245 $a $b $n $p).
    pub title: String,
    /// Other titles searched as titles: 246, 130, 240, 730, 740.
    pub other_titles: Vec<String>,
    /// The other titles a patron may browse under (246, 130, 240, 730, 740): each as written
    /// and as it files.
    pub filed_titles: Vec<FiledTitle>,
    /// The title without its leading article (245 second indicator), for sorting and exact match.
    pub title_for_sorting: String,
    /// Names: the main entry first (100/110/111), then added entries (700/710/711).
    pub authors: Vec<String>,
    /// The names of `authors` as a citation gives them, in the same order (a heading without
    /// a name to cite, only dates say, has none): see [`CitedName`].
    pub cited_names: Vec<CitedName>,
    /// Subject headings (600-651, 655), subdivisions joined with ` -- `.
    pub subjects: Vec<String>,
    /// The main part ($a) of each subject heading, as facet values.
    pub subject_facets: Vec<String>,
    /// Series statements and added entries (490, 830).
    pub series: Vec<String>,
    /// ISBNs, digits only, in both their 10- and 13-digit forms where convertible.
    pub isbns: Vec<String>,
    /// ISSNs, eight characters without the hyphen, lower-case `x`.
    pub issns: Vec<String>,
    /// Classification numbers from the record (050, 082, 090, 092, 099) and items' call numbers.
    pub call_numbers: Vec<String>,
    /// Publishers (260 $b, 264 $b).
    pub publishers: Vec<String>,
    /// The year of publication: 260/264 $c, else 008/07-10.
    pub publication_year: Option<i64>,
    /// The material format.
    pub format: Format,
    /// The language of the item, as a current MARC code: 008/35-37, else the first of its
    /// text's in 041 (see [`concord_domain::languages::record_languages`]).
    pub language: Option<String>,
    /// Every language of its text or of what is sung or spoken in it (008, 041 $a $d),
    /// `language` first: the language facet's values.
    pub languages: Vec<String>,
    /// The languages it was translated from (041 $h).
    pub original_languages: Vec<String>,
    /// The target audience code from 008/22.
    pub audience: Option<&'static str>,
    /// Other searchable text: statement of responsibility, edition, notes.
    pub other_text: Vec<String>,
    /// The items, each with its member, branch and visibility.
    pub holdings: Vec<Holding>,
    /// When the bib, or its newest copy every member may see, was added (Unix seconds): the
    /// order of "recently added". `None` when the store has not said.
    pub added: Option<i64>,
    /// When each member holding copies added its newest: the order of "recently added" among
    /// one member's titles ("new at our library"). Empty when the store has not said.
    pub member_added: Vec<MemberAdded>,
    /// The title proper (245 $a $n $p, without its leading article), then the uniform title
    /// (240, or a main entry 130, $a $n $p) when it differs: with one of `work_names`, what the
    /// editions, translations and formats of one work share (see [`crate::index`]'s work
    /// keys). A translation's 240 gives the original's title, which the original's 245 has.
    pub work_titles: Vec<String>,
    /// The main entry's name (100, 110, 111 $a), or, in a record without one (a film, a
    /// collection), each added entry's (700, 710, 711 $a).
    pub work_names: Vec<String>,
}

impl BibDocument {
    /// The names a citation credits with the work: its authors (a film's directors, see
    /// [`NameRole::credited_as_author`]), or, of a work that is not a film and has no author,
    /// its editors. Never illustrators, translators, performers or a film's cast.
    pub fn credited_names(&self) -> Vec<&CitedName> {
        let film = self.format.is_film();
        let with = |credited: &dyn Fn(NameRole) -> bool| -> Vec<&CitedName> {
            self.cited_names
                .iter()
                .filter(|name| credited(name.role))
                .collect()
        };
        let authors = with(&|role| role.credited_as_author(film));
        if authors.is_empty() && !film {
            with(&|role| role == NameRole::Editor)
        } else {
            authors
        }
    }

    /// The first author, for display and sorting.
    pub fn main_author(&self) -> Option<&str> {
        self.authors.first().map(String::as_str)
    }

    /// Whether a patron searching in `view` may see this bib at all. A bib with no items
    /// (an ebook, a record not yet received) is visible everywhere; a bib whose every item is
    /// kept out of other members' views is visible only to those members.
    pub fn is_visible_in(&self, view: Option<&Code>) -> bool {
        self.holdings.is_empty()
            || self
                .holdings
                .iter()
                .any(|holding| holding.is_visible_in(view))
    }
}

/// Builds the search document of a bib from its MARC record and its items.
pub fn document_from_record(bib_id: i64, record: &Record, holdings: Vec<Holding>) -> BibDocument {
    let field_008 = record.control("008");
    let fields_007: Vec<&str> = record
        .control_fields()
        .filter(|field| field.tag.as_str() == "007")
        .map(|field| field.value.as_str())
        .collect();
    let leader = record.leader.as_str();

    let title_field = record.field("245");
    let title = title_field
        .map(|field| joined(field, &['a', 'b', 'n', 'p']))
        .unwrap_or_default();
    let title_for_sorting = title_field
        .map(|field| title_without_leading_article(&title, nonfiling_characters(field)))
        .unwrap_or_default();

    let mut work_titles = Vec::new();
    let title_proper = title_field
        .map(|field| {
            title_without_leading_article(
                &joined(field, &['a', 'n', 'p']),
                nonfiling_characters(field),
            )
        })
        .unwrap_or_default();
    if !title_proper.is_empty() {
        work_titles.push(title_proper);
    }
    for field in record.fields("240").chain(record.fields("130")) {
        let uniform = title_without_leading_article(
            &joined(field, &['a', 'n', 'p']),
            nonfiling_characters(field),
        );
        if !uniform.is_empty() {
            push_unique(&mut work_titles, uniform);
        }
    }
    let main_names: Vec<String> = ["100", "110", "111"]
        .iter()
        .flat_map(|tag| record.fields(tag))
        .filter_map(|field| field.subfield('a').map(trim_punctuation))
        .filter(|name| !name.is_empty())
        .collect();
    let work_names = if main_names.is_empty() {
        ["700", "710", "711"]
            .iter()
            .flat_map(|tag| record.fields(tag))
            .filter_map(|field| field.subfield('a').map(trim_punctuation))
            .filter(|name| !name.is_empty())
            .fold(Vec::new(), |mut names, name| {
                push_unique(&mut names, name);
                names
            })
    } else {
        main_names
    };

    let mut other_titles = Vec::new();
    // The title in its own script (an 880 linked to the 245) is found as a title too.
    for field in vernacular(record, "245") {
        push_unique(&mut other_titles, joined(field, &['a', 'b', 'n', 'p']));
    }
    for tag in ["246", "130", "240", "730", "740"] {
        for field in with_vernacular(record, tag) {
            push_unique(&mut other_titles, joined(field, &['a', 'b', 'n', 'p', 'k']));
        }
    }
    // Browsed as the record writes them, filed without the leading article their nonfiling
    // indicator counts (a 246 records none).
    let mut filed_titles: Vec<FiledTitle> = Vec::new();
    for tag in ["246", "130", "240", "730", "740"] {
        for field in record.fields(tag) {
            let title = joined(field, &['a', 'b', 'n', 'p', 'k']);
            let filing = title_without_leading_article(&title, nonfiling_characters(field));
            let known = filed_titles.iter().any(|filed| filed.filing == filing);
            if !title.is_empty() && filing != title_for_sorting && !known {
                filed_titles.push(FiledTitle { title, filing });
            }
        }
    }

    let mut authors = Vec::new();
    let mut cited_names = Vec::new();
    for tag in ["100", "110", "111", "700", "710", "711"] {
        for field in record.fields(tag) {
            let heading = name_heading(field);
            if heading.is_empty() || authors.contains(&heading) {
                continue;
            }
            authors.push(heading);
            cited_names.extend(CitedName::of_heading(field));
        }
    }
    // Names in their own script follow the romanised ones (so the main author stays the
    // heading's); citations keep to the headings.
    for tag in ["100", "110", "111", "700", "710", "711"] {
        for field in vernacular(record, tag) {
            push_unique(&mut authors, name_heading(field));
        }
    }

    let mut subjects = Vec::new();
    let mut subject_facets = Vec::new();
    for tag in ["600", "610", "611", "630", "648", "650", "651", "655"] {
        for field in with_vernacular(record, tag) {
            push_unique(&mut subjects, subject_heading(field));
            if let Some(main) = field.subfield('a') {
                push_unique(&mut subject_facets, trim_punctuation(main));
            }
        }
    }

    let mut series = Vec::new();
    for tag in ["490", "800", "810", "830"] {
        for field in with_vernacular(record, tag) {
            push_unique(&mut series, joined(field, &['a', 't', 'n', 'p', 'v']));
        }
    }

    let mut isbns = Vec::new();
    for field in record.fields("020") {
        for value in field.subfields('a') {
            for isbn in normalised_isbns(value) {
                push_unique(&mut isbns, isbn);
            }
        }
    }
    let mut issns = Vec::new();
    for field in record.fields("022") {
        for value in field.subfields('a') {
            if let Some(issn) = normalised_issn(value) {
                push_unique(&mut issns, issn);
            }
        }
    }

    let mut call_numbers = Vec::new();
    for tag in ["050", "082", "090", "092", "099"] {
        for field in record.fields(tag) {
            push_unique(&mut call_numbers, joined(field, &['a', 'b']));
        }
    }
    for holding in &holdings {
        if let Some(call_number) = &holding.call_number {
            push_unique(&mut call_numbers, readable_text(call_number));
        }
    }

    let mut publishers = Vec::new();
    let mut dates = Vec::new();
    for field in with_vernacular(record, "260") {
        field
            .subfields('b')
            .for_each(|value| push_unique(&mut publishers, trim_punctuation(value)));
        dates.extend(field.subfields('c').map(str::to_owned));
    }
    // 264 second indicator 1 is publication; 4 (copyright) only dates when nothing better.
    for indicator in ['1', '4'] {
        for field in with_vernacular(record, "264").filter(|field| field.indicator2 == indicator) {
            field
                .subfields('b')
                .for_each(|value| push_unique(&mut publishers, trim_punctuation(value)));
            dates.extend(field.subfields('c').map(str::to_owned));
        }
    }
    let publication_year = dates
        .iter()
        .find_map(|date| first_year(date))
        .or_else(|| year_from_008(field_008));

    let languages = record_languages(field_008, record.fields("041"));

    let mut other_text = Vec::new();
    let title_fields = title_field.into_iter().chain(vernacular(record, "245"));
    for responsibility in title_fields.filter_map(|field| field.subfield('c')) {
        push_unique(&mut other_text, trim_punctuation(responsibility));
    }
    for field in record.data_fields() {
        let tag = linked_tag(field).unwrap_or(field.tag.as_str());
        if tag == "250" || (tag.starts_with('5') && tag != "590") {
            push_unique(&mut other_text, joined(field, &['a']));
        }
    }

    BibDocument {
        bib_id,
        title,
        other_titles,
        filed_titles,
        title_for_sorting,
        authors,
        cited_names,
        subjects,
        subject_facets,
        series,
        isbns,
        issns,
        call_numbers,
        publishers,
        publication_year,
        format: format::material_format(leader, &fields_007, field_008),
        language: languages.main,
        languages: languages.text,
        original_languages: languages.original,
        audience: format::audience(leader, field_008).map(|audience| audience.code()),
        other_text,
        holdings,
        added: None,
        member_added: Vec::new(),
        work_titles,
        work_names,
    }
}

/// The document of a bib whose stored MARC record cannot be read, made from the summary the
/// store keeps beside the record (title, main author, year, record type and level): enough to
/// show the bib and its copies, though the rest of the record is lost to it. The main author's
/// kind of name is not kept, so it has no cited name.
pub fn document_from_summary(
    bib_id: i64,
    summary: &BibSummary,
    holdings: Vec<Holding>,
) -> BibDocument {
    let title = trim_punctuation(&summary.title);
    let mut authors = Vec::new();
    push_unique(&mut authors, trim_punctuation(&summary.author));
    let leader = format!(
        "00000n{}{}",
        summary.record_type, summary.bibliographic_level
    );
    let mut call_numbers = Vec::new();
    for holding in &holdings {
        if let Some(call_number) = &holding.call_number {
            push_unique(&mut call_numbers, readable_text(call_number));
        }
    }
    let work_titles = vec![title.clone()];
    let work_names = authors.clone();
    BibDocument {
        bib_id,
        title_for_sorting: title.clone(),
        title,
        other_titles: Vec::new(),
        filed_titles: Vec::new(),
        authors,
        cited_names: Vec::new(),
        subjects: Vec::new(),
        subject_facets: Vec::new(),
        series: Vec::new(),
        isbns: Vec::new(),
        issns: Vec::new(),
        call_numbers,
        publishers: Vec::new(),
        publication_year: summary.publication_year.map(i64::from),
        format: format::material_format(&leader, &[], None),
        language: None,
        languages: Vec::new(),
        original_languages: Vec::new(),
        audience: None,
        other_text: Vec::new(),
        holdings,
        added: None,
        member_added: Vec::new(),
        work_titles,
        work_names,
    }
}

/// The chosen subfields of a field, in record order, joined by spaces, with the ISBD
/// punctuation that ends a field (` /`, ` :`, `.`) removed.
/// A name heading as authors are searched, counted and browsed: the name with its numeration,
/// titles, fuller form and dates (`$a $b $c $q $d`), from a bib's 1XX/7XX or an authority's
/// 1XX/4XX alike.
pub(crate) fn name_heading(field: &DataField) -> String {
    joined(field, &['a', 'b', 'c', 'q', 'd'])
}

/// A subject heading as subjects are searched and browsed, from a bib's 6XX or an authority's
/// 15X, 45X or 55X alike: the entry (a name with its dates, a term, a place, a title) with its
/// parts joined by spaces, then each subdivision (`$v`, `$x`, `$y`, `$z`) after " -- ", as
/// "Lincoln, Abraham, 1809-1865 -- Assassination". A relator (`$e`), relationship information
/// (`$i`) and an authority tracing's control subfield (`$w`) say how the heading is used, and
/// are not part of it; nor are the numbered subfields (links, sources).
pub(crate) fn subject_heading(field: &DataField) -> String {
    let mut entry: Vec<&str> = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    for subfield in &field.subfields {
        let code = subfield.code;
        if !code.is_ascii_lowercase() || matches!(code, 'e' | 'i' | 'w') {
            continue;
        }
        if matches!(code, 'v' | 'x' | 'y' | 'z') {
            // The entry ends at the first subdivision.
            if !entry.is_empty() {
                parts.push(trim_punctuation(&entry.join(" ")));
                entry.clear();
            }
            parts.push(trim_punctuation(&subfield.value));
        } else if parts.is_empty() {
            entry.push(subfield.value.trim());
        } else {
            // A stray entry part after a subdivision is read as one more part.
            parts.push(trim_punctuation(&subfield.value));
        }
    }
    if !entry.is_empty() {
        parts.push(trim_punctuation(&entry.join(" ")));
    }
    parts.retain(|part| !part.is_empty());
    parts.join(" -- ")
}

fn joined(field: &DataField, codes: &[char]) -> String {
    let parts: Vec<&str> = field
        .subfields
        .iter()
        .filter(|subfield| codes.contains(&subfield.code))
        .map(|subfield| subfield.value.trim())
        .filter(|value| !value.is_empty())
        .collect();
    trim_punctuation(&parts.join(" "))
}

/// A value as people read and search it: composed (Unicode NFC), so that a letter and the
/// separate accent a MARC-8 record gives it become the one character a patron types, and the
/// tokenizer, which splits words at anything not a letter or digit, does not cut "Que\u{301}bec"
/// in two; tabs, line breaks and other C0 controls as a space, C1 controls (such as UNIMARC's
/// non-sorting markers) dropped, and runs of spaces as one, trimmed.
pub fn readable_text(value: &str) -> String {
    let composed = if is_nfc_quick(value.chars()) == IsNormalized::Yes {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(value.nfc().collect::<String>())
    };
    let mut readable = String::with_capacity(composed.len());
    let mut space_before_next = false;
    for character in composed.chars() {
        if character.is_whitespace() || character.is_ascii_control() {
            space_before_next = true;
        } else if !character.is_control() {
            if space_before_next && !readable.is_empty() {
                readable.push(' ');
            }
            space_before_next = false;
            readable.push(character);
        }
    }
    readable
}

/// The value as [`readable_text`] without the ISBD punctuation cataloguers put at the end of
/// subfields.
pub(crate) fn trim_punctuation(value: &str) -> String {
    let value = readable_text(value);
    let trimmed = value.trim_end_matches([' ', '/', ':', ';', ',', '=', '.']);
    // Keep a full stop that ends an initial ("Smith, J.") or an abbreviation ("Jr."), also
    // when more punctuation follows it ("Tolkien, J. R. R.," before the dates).
    let keep_full_stop = value
        .get(trimmed.len()..)
        .is_some_and(|rest| rest.starts_with('.'))
        && trimmed
            .rsplit([' ', ',', '.'])
            .next()
            .is_some_and(|last| last.chars().count() == 1 || last == "Jr" || last == "Sr");
    let mut result = trimmed.to_owned();
    if keep_full_stop {
        result.push('.');
    }
    result
}

/// The tag an alternate graphic representation (880) stands for, from its linkage ($6
/// `245-01/$1`): the field in its own script (Chinese, Cyrillic, Hebrew...) that a romanised
/// field carries. `None` for other fields and unlinked 880s (`245-00` still names its tag).
fn linked_tag(field: &DataField) -> Option<&str> {
    if field.tag.as_str() != "880" {
        return None;
    }
    let linkage = field.subfield('6')?;
    let tag = linkage.get(..3)?;
    tag.bytes().all(|byte| byte.is_ascii_digit()).then_some(tag)
}

/// The 880 fields that give a `tag` field in its own script.
fn vernacular<'r>(record: &'r Record, tag: &'r str) -> impl Iterator<Item = &'r DataField> {
    record
        .fields("880")
        .filter(move |field| linked_tag(field) == Some(tag))
}

/// The title as the record gives it in its own script (the 880 linked to the 245), for a
/// record romanised in its 245: `车票去哪儿了` beside "Che piao qu na er le".
/// An 880 whose linkage names Latin as its script (`245-01/(B`) gives the romanised form of a
/// 245 written in its own script, and is not shown as such.
pub fn title_in_own_script(record: &Record) -> Option<String> {
    vernacular(record, "245")
        .filter(|field| {
            !field
                .subfield('6')
                .is_some_and(|linkage| linkage.contains("/(B"))
        })
        .map(|field| joined(field, &['a', 'b', 'n', 'p']))
        .find(|title| !title.is_empty())
}

/// The `tag` fields, then the 880s that give them in their own script.
fn with_vernacular<'r>(record: &'r Record, tag: &'r str) -> impl Iterator<Item = &'r DataField> {
    record.fields(tag).chain(vernacular(record, tag))
}

fn push_unique(values: &mut Vec<String>, value: String) {
    if !value.is_empty() && !values.contains(&value) {
        values.push(value);
    }
}

/// The title with its non-filing characters removed ("The ", "L'"), as 245/ind2 counts them.
fn title_without_leading_article(title: &str, non_filing_characters: usize) -> String {
    let rest: String = title.chars().skip(non_filing_characters).collect();
    // Fall back to the whole title when the indicator is wrong and skipping would cut a word.
    if rest.trim().is_empty() {
        title.to_owned()
    } else {
        rest.trim_start().to_owned()
    }
}

/// ISBN forms to index for one 020 $a: the ten- and thirteen-digit forms of the number that
/// starts the subfield (qualifiers like "(pbk.)" follow it).
pub fn normalised_isbns(value: &str) -> Vec<String> {
    let digits: String = value
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'X' || *c == 'x')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match digits.len() {
        10 => {
            let mut forms = vec![digits.clone()];
            forms.extend(isbn10_to_isbn13(&digits));
            forms
        }
        13 if digits.chars().all(|c| c.is_ascii_digit()) => {
            let mut forms = vec![digits.clone()];
            forms.extend(isbn13_to_isbn10(&digits));
            forms
        }
        _ => Vec::new(),
    }
}

fn isbn10_to_isbn13(isbn10: &str) -> Option<String> {
    let body = isbn10.get(..9)?;
    let prefixed = format!("978{body}");
    let check = isbn13_check_digit(&prefixed)?;
    Some(format!("{prefixed}{check}"))
}

fn isbn13_to_isbn10(isbn13: &str) -> Option<String> {
    let body = isbn13.strip_prefix("978")?.get(..9)?;
    let sum: u32 = body
        .chars()
        .zip((2..=10).rev())
        .map(|(c, weight)| c.to_digit(10).unwrap_or(0) * weight)
        .sum();
    let check = (11 - sum % 11) % 11;
    let check = if check == 10 {
        'X'
    } else {
        char::from_digit(check, 10)?
    };
    Some(format!("{body}{check}"))
}

fn isbn13_check_digit(first_twelve: &str) -> Option<char> {
    let mut sum = 0;
    for (index, c) in first_twelve.chars().enumerate() {
        let digit = c.to_digit(10)?;
        sum += if index % 2 == 0 { digit } else { digit * 3 };
    }
    char::from_digit((10 - sum % 10) % 10, 10)
}

/// An ISSN as eight characters without its hyphen (`0317847x`), if the value holds one.
pub fn normalised_issn(value: &str) -> Option<String> {
    let issn: String = value
        .split_whitespace()
        .next()?
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'X' || *c == 'x')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (issn.len() == 8).then_some(issn)
}

/// The first plausible four-digit year in a date statement ("c1998.", "[2006?]", "1983-").
fn first_year(date: &str) -> Option<i64> {
    let bytes = date.as_bytes();
    bytes.windows(4).enumerate().find_map(|(start, window)| {
        let before_is_digit = start
            .checked_sub(1)
            .and_then(|index| bytes.get(index))
            .is_some_and(u8::is_ascii_digit);
        let after_is_digit = bytes.get(start + 4).is_some_and(u8::is_ascii_digit);
        if before_is_digit || after_is_digit || !window.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let year: i64 = std::str::from_utf8(window).ok()?.parse().ok()?;
        (1000..=2999).contains(&year).then_some(year)
    })
}

/// 008/07-10, date 1, when it is four digits.
fn year_from_008(field_008: Option<&str>) -> Option<i64> {
    let date = field_008?.get(7..11)?;
    if !date.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    date.parse()
        .ok()
        .filter(|year| (1000..=2999).contains(year))
}

/// A data field with these indicators and subfields, for tests.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn data_field(
    tag: &str,
    indicators: (char, char),
    subfields: &[(char, &str)],
) -> DataField {
    let tag = concord_marc::Tag::parse(tag).unwrap();
    subfields.iter().fold(
        DataField::new(tag, indicators.0, indicators.1),
        |field, (code, value)| field.with_subfield(*code, *value),
    )
}

/// A book record whose only field is a 245 with `title` in $a, for tests.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn titled_record(title: &str) -> Record {
    let mut record = Record::new(concord_marc::Leader::parse("00000nam a2200000 a 4500").unwrap());
    record.push_data(data_field("245", ('1', '0'), &[('a', title)]));
    record
}

#[cfg(test)]
mod tests {
    use super::data_field as field;
    use super::*;
    use concord_marc::{Leader, Tag};

    #[test]
    fn relators_say_who_wrote_edited_or_did_something_else() {
        let heading = |tag: &str, subfields: &[(char, &str)]| {
            let mut record = titled_record("A title");
            record.push_data(field(tag, ('1', ' '), subfields));
            document_from_record(1, &record, Vec::new())
                .cited_names
                .first()
                .map(|name| name.role)
        };
        for (tag, subfields, role) in [
            ("100", &[('a', "Writer, A.")][..], NameRole::Author),
            (
                "700",
                &[('a', "Drawer, B."), ('e', "illustrator.")][..],
                NameRole::Other,
            ),
            (
                "700",
                &[('a', "Editor, C."), ('4', "edt")][..],
                NameRole::Editor,
            ),
            (
                "700",
                &[('a', "Compiler, D."), ('e', "compiler,")][..],
                NameRole::Editor,
            ),
            (
                "700",
                &[
                    ('a', "Writer, E."),
                    ('4', "http://id.loc.gov/vocabulary/relators/aut"),
                ][..],
                NameRole::Author,
            ),
            (
                "710",
                &[('a', "Studio"), ('e', "production company.")][..],
                NameRole::Other,
            ),
            (
                "700",
                &[('a', "Varda, Agnès,"), ('e', "film director.")][..],
                NameRole::Director,
            ),
            (
                "700",
                &[('a', "Kurosawa, Akira,"), ('4', "drt")][..],
                NameRole::Director,
            ),
            (
                "711",
                &[('a', "Conference"), ('j', "author.")][..],
                NameRole::Author,
            ),
        ] {
            assert_eq!(heading(tag, subfields), Some(role), "{tag} {subfields:?}");
        }
    }

    #[test]
    fn fields_in_their_own_script_are_indexed_as_the_fields_they_stand_for() {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_data(field(
            "100",
            ('1', ' '),
            &[('6', "880-01"), ('a', "Ivanov, Ivan.")],
        ));
        record.push_data(field(
            "245",
            ('1', '0'),
            &[('6', "880-02"), ('a', "Voina /")],
        ));
        record.push_data(field(
            "260",
            (' ', ' '),
            &[('6', "880-03"), ('b', "Nauka,")],
        ));
        record.push_data(field("650", (' ', '0'), &[('a', "War.")]));
        record.push_data(field(
            "880",
            ('1', ' '),
            &[('6', "100-01/(N"), ('a', "Иванов, Иван.")],
        ));
        record.push_data(field(
            "880",
            ('1', '0'),
            &[('6', "245-02/(N"), ('a', "Война /")],
        ));
        record.push_data(field(
            "880",
            (' ', ' '),
            &[('6', "260-03/(N"), ('b', "Наука,")],
        ));
        // An 880 whose linkage names no field, and one that is not linked, are left alone.
        record.push_data(field("880", (' ', ' '), &[('6', "xyz"), ('a', "Ничто")]));
        record.push_data(field("880", (' ', ' '), &[('a', "Без связи")]));
        let document = document_from_record(1, &record, Vec::new());
        assert_eq!(document.title, "Voina");
        assert_eq!(document.other_titles, ["Война"]);
        assert_eq!(document.authors, ["Ivanov, Ivan", "Иванов, Иван"]);
        assert_eq!(document.main_author(), Some("Ivanov, Ivan"));
        assert_eq!(document.publishers, ["Nauka", "Наука"]);
        assert_eq!(title_in_own_script(&record).as_deref(), Some("Война"));
        // A 245 in its own script with its romanised form in the 880: that is not shown as the
        // title in its own script.
        let mut reversed = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        reversed.push_data(field("245", ('1', '0'), &[('6', "880-01"), ('a', "Война")]));
        reversed.push_data(field(
            "880",
            ('1', '0'),
            &[('6', "245-01/(B"), ('a', "Voina")],
        ));
        assert_eq!(title_in_own_script(&reversed), None);
        assert_eq!(
            document_from_record(2, &reversed, Vec::new()).other_titles,
            ["Voina"]
        );
    }

    fn sample_record() -> Record {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_control(Tag::parse("001").unwrap(), "42");
        record.push_control(
            Tag::parse("008").unwrap(),
            "070605s2006    ilu    j      000 0 ger d",
        );
        record.push_data(field("020", (' ', ' '), &[('a', "0-596-52068-9 (pbk.)")]));
        record.push_data(field("022", (' ', ' '), &[('a', "0317-847X")]));
        record.push_data(field(
            "050",
            (' ', '4'),
            &[('a', "QA76.73.R87"), ('b', "K53 2006")],
        ));
        record.push_data(field(
            "100",
            ('1', ' '),
            &[('a', "Müller, Hans,"), ('d', "1950-")],
        ));
        record.push_data(field(
            "245",
            ('1', '4'),
            &[
                ('a', "The lovely bones :"),
                ('b', "a novel /"),
                ('c', "by Hans Müller."),
            ],
        ));
        record.push_data(field("246", ('3', ' '), &[('a', "Bones")]));
        record.push_data(field(
            "264",
            (' ', '1'),
            &[('a', "Berlin :"), ('b', "Verlag X,"), ('c', "[2008]")],
        ));
        record.push_data(field(
            "490",
            ('1', ' '),
            &[('a', "Rust books ;"), ('v', "3")],
        ));
        record.push_data(field(
            "650",
            (' ', '0'),
            &[('a', "Murder"), ('x', "Fiction."), ('z', "Pennsylvania.")],
        ));
        record.push_data(field("700", ('1', ' '), &[('a', "Smith, J.")]));
        record.push_data(field(
            "500",
            (' ', ' '),
            &[('a', "Translated from the English.")],
        ));
        record
    }

    #[test]
    fn a_subject_heading_leaves_out_how_it_is_used() {
        // A relator, relationship information, a control subfield and an authority link are
        // not part of the heading a patron browses.
        let depicted = field(
            "600",
            ('1', '0'),
            &[
                ('i', "Subject of:"),
                ('a', "Lincoln, Abraham,"),
                ('d', "1809-1865"),
                ('e', "depicted."),
                ('0', "n79006779"),
            ],
        );
        assert_eq!(subject_heading(&depicted), "Lincoln, Abraham, 1809-1865");
        let assassination = field(
            "600",
            ('1', '0'),
            &[
                ('a', "Lincoln, Abraham,"),
                ('d', "1809-1865"),
                ('x', "Assassination"),
                ('v', "Juvenile literature."),
            ],
        );
        assert_eq!(
            subject_heading(&assassination),
            "Lincoln, Abraham, 1809-1865 -- Assassination -- Juvenile literature"
        );
        let place = field(
            "651",
            (' ', '0'),
            &[
                ('a', "Paris (France)"),
                ('x', "History"),
                ('y', "1870-1940."),
            ],
        );
        assert_eq!(
            subject_heading(&place),
            "Paris (France) -- History -- 1870-1940"
        );
        let meeting = field(
            "611",
            ('2', '0'),
            &[
                ('a', "Olympic Games"),
                ('n', "(23rd :"),
                ('d', "1984 :"),
                ('c', "Los Angeles, Calif.)"),
                ('v', "Periodicals."),
            ],
        );
        assert_eq!(
            subject_heading(&meeting),
            "Olympic Games (23rd : 1984 : Los Angeles, Calif.) -- Periodicals"
        );
        let broader = field("550", (' ', ' '), &[('w', "g"), ('a', "Buildings")]);
        assert_eq!(subject_heading(&broader), "Buildings");
    }

    #[test]
    fn other_titles_file_without_the_article_their_indicators_count() {
        let mut record = titled_record("Collected plays");
        for (tag, indicators, title) in [
            ("130", ('4', ' '), "The tempest"),
            ("730", ('2', '2'), "A midsummer night's dream."),
            ("740", ('0', '2'), "Othello"),
            ("246", ('1', '3'), "Plays, collected"),
            // Its own title again, and a title given twice: neither is listed.
            ("246", ('1', '0'), "Collected plays"),
            ("740", ('0', '2'), "Othello"),
        ] {
            record.push_data(field(tag, indicators, &[('a', title)]));
        }
        let filed: Vec<(String, String)> = document_from_record(1, &record, Vec::new())
            .filed_titles
            .into_iter()
            .map(|filed| (filed.title, filed.filing))
            .collect();
        let pair = |title: &str, filing: &str| (title.to_owned(), filing.to_owned());
        assert_eq!(
            filed,
            [
                pair("Plays, collected", "Plays, collected"),
                pair("The tempest", "tempest"),
                pair("A midsummer night's dream", "midsummer night's dream"),
                pair("Othello", "Othello"),
            ]
        );
    }

    fn holding(member: &str, branch: &str, status: &str, visible: bool) -> Holding {
        Holding {
            member: Code::parse("member", member).unwrap(),
            branch: Code::parse("branch", branch).unwrap(),
            call_number: Some("FIC MUL".to_owned()),
            status: status.to_owned(),
            visible_outside_member: visible,
        }
    }

    #[test]
    fn extracts_every_searchable_part() {
        let document = document_from_record(
            7,
            &sample_record(),
            vec![holding("A", "A-MAIN", "available", true)],
        );
        assert_eq!(document.bib_id, 7);
        assert_eq!(document.title, "The lovely bones : a novel");
        assert_eq!(document.title_for_sorting, "lovely bones : a novel");
        assert_eq!(document.other_titles, ["Bones"]);
        assert_eq!(document.authors, ["Müller, Hans, 1950-", "Smith, J."]);
        let person = |name: &str| CitedName {
            name: name.to_owned(),
            kind: NameKind::Person,
            role: NameRole::Author,
        };
        assert_eq!(
            document.cited_names,
            [person("Müller, Hans"), person("Smith, J.")]
        );
        assert_eq!(document.main_author(), Some("Müller, Hans, 1950-"));
        assert_eq!(document.subjects, ["Murder -- Fiction -- Pennsylvania"]);
        assert_eq!(document.subject_facets, ["Murder"]);
        assert_eq!(document.series, ["Rust books ; 3"]);
        assert_eq!(document.isbns, ["0596520689", "9780596520687"]);
        assert_eq!(document.issns, ["0317847x"]);
        assert_eq!(document.call_numbers, ["QA76.73.R87 K53 2006", "FIC MUL"]);
        assert_eq!(document.publishers, ["Verlag X"]);
        assert_eq!(document.publication_year, Some(2008));
        assert_eq!(document.format, Format::Book);
        assert_eq!(document.language.as_deref(), Some("ger"));
        assert_eq!(document.audience, Some("juvenile"));
        assert_eq!(
            document.other_text,
            ["by Hans Müller", "Translated from the English"]
        );
    }

    #[test]
    fn names_keep_their_kind_for_citations() {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_data(field(
            "100",
            ('1', ' '),
            &[('a', "Tolkien, J. R. R.,"), ('d', "1892-1973.")],
        ));
        record.push_data(field("110", ('2', ' '), &[('a', "Smith and Sons.")]));
        record.push_data(field(
            "111",
            ('2', ' '),
            &[('a', "Rust Conf"), ('d', "(2024)")],
        ));
        record.push_data(field("700", ('0', ' '), &[('a', "Homer.")]));
        // A heading with dates only has no name to cite; a repeated heading is one name.
        record.push_data(field("700", ('1', ' '), &[('d', "1900-")]));
        record.push_data(field(
            "700",
            ('1', ' '),
            &[('a', "Tolkien, J. R. R.,"), ('d', "1892-1973.")],
        ));
        let document = document_from_record(1, &record, Vec::new());
        assert_eq!(
            document.authors,
            [
                "Tolkien, J. R. R., 1892-1973",
                "Smith and Sons",
                "Rust Conf (2024)",
                "Homer",
                "1900-"
            ]
        );
        let cited: Vec<(&str, NameKind)> = document
            .cited_names
            .iter()
            .map(|name| (name.name.as_str(), name.kind))
            .collect();
        assert_eq!(
            cited,
            [
                ("Tolkien, J. R. R.", NameKind::Person),
                ("Smith and Sons", NameKind::Corporate),
                ("Rust Conf (2024)", NameKind::Corporate),
                ("Homer", NameKind::PersonByForename),
            ]
        );
    }

    #[test]
    fn a_bib_without_a_readable_record_keeps_its_summary() {
        let summary = BibSummary {
            record_type: 'g',
            bibliographic_level: 'm',
            title: "Fish\n& chips /".to_owned(),
            author: "Cook, A.".to_owned(),
            publication_year: Some(1999),
        };
        let document = document_from_summary(5, &summary, Vec::new());
        assert_eq!(document.bib_id, 5);
        assert_eq!(document.title, "Fish & chips");
        assert_eq!(document.authors, ["Cook, A."]);
        assert!(document.cited_names.is_empty());
        assert_eq!(document.publication_year, Some(1999));
        assert_eq!(document.format, Format::Video);
        let untitled = BibSummary {
            title: String::new(),
            author: String::new(),
            ..summary
        };
        let document = document_from_summary(6, &untitled, Vec::new());
        assert_eq!(document.title, "");
        assert!(document.authors.is_empty());
    }

    #[test]
    fn date_falls_back_to_008() {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_control(
            Tag::parse("008").unwrap(),
            "830506s1983    nyu           000 1 eng  ",
        );
        record.push_data(field("260", (' ', ' '), &[('b', "Knopf,"), ('c', "n.d.")]));
        let document = document_from_record(1, &record, Vec::new());
        assert_eq!(document.publication_year, Some(1983));
        assert_eq!(document.publishers, ["Knopf"]);
        assert_eq!(document.title, "");
    }

    #[track_caller]
    fn check_readable(value: &str, expected: &str) {
        assert_eq!(readable_text(value), expected, "{value:?}");
    }

    #[test]
    fn texts_are_composed_on_one_line_without_control_characters() {
        // MARC-8 records give accents as separate combining characters.
        check_readable("Que\u{301}bec", "Qu\u{e9}bec");
        check_readable(
            "A title\nbroken over\r\nlines\tand tabbed",
            "A title broken over lines and tabbed",
        );
        check_readable("  spaced   out  ", "spaced out");
        // UNIMARC's non-sorting markers (C1 controls) and stray subfield delimiters.
        check_readable("\u{88}L'\u{89}altra faccia", "L'altra faccia");
        check_readable("00\u{1f}a9 181", "00 a9 181");
        check_readable("", "");

        let record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        let mut record = record;
        record.push_data(field(
            "245",
            ('1', '0'),
            &[
                ('a', "Bibliothe\u{300}que\nde Que\u{301}bec :"),
                ('b', "\u{88}Le\u{89}s livres"),
            ],
        ));
        record.push_data(field("100", ('1', ' '), &[('a', "Dupont,\tJean.")]));
        let document = document_from_record(1, &record, Vec::new());
        assert_eq!(
            document.title,
            "Biblioth\u{e8}que de Qu\u{e9}bec : Les livres"
        );
        assert_eq!(document.authors, ["Dupont, Jean"]);
    }

    #[track_caller]
    fn check_trimmed(value: &str, expected: &str) {
        assert_eq!(trim_punctuation(value), expected, "{value:?}");
    }

    #[test]
    fn closing_punctuation_goes_but_an_initial_keeps_its_full_stop() {
        check_trimmed("The lovely bones :", "The lovely bones");
        check_trimmed("Bones.", "Bones");
        check_trimmed("Smith, J.", "Smith, J.");
        check_trimmed("Smith, J.,", "Smith, J.");
        check_trimmed("Tolkien, J. R. R.,", "Tolkien, J. R. R.");
        check_trimmed("King, Martin Luther, Jr.,", "King, Martin Luther, Jr.");
        check_trimmed("Verlag X, ", "Verlag X");
        check_trimmed(" / ", "");
    }

    #[track_caller]
    fn check_year(date: &str, expected: Option<i64>) {
        assert_eq!(first_year(date), expected, "{date:?}");
    }

    #[test]
    fn years_from_date_statements() {
        check_year("c1998.", Some(1998));
        check_year("[2006?]", Some(2006));
        check_year("1983-", Some(1983));
        check_year("p1990, c1991", Some(1990));
        check_year("19--", None);
        check_year("12345", None);
        check_year("0999", None);
        check_year("", None);
    }

    #[track_caller]
    fn check_isbn(value: &str, expected: &[&str]) {
        assert_eq!(normalised_isbns(value), expected, "{value:?}");
    }

    #[test]
    fn isbns_in_both_forms() {
        check_isbn("0-596-52068-9", &["0596520689", "9780596520687"]);
        check_isbn("9780596520687 (pbk.)", &["9780596520687", "0596520689"]);
        check_isbn("080442957X", &["080442957X", "9780804429573"]);
        check_isbn("9798886451740", &["9798886451740"]);
        check_isbn("12345", &[]);
        check_isbn("", &[]);
    }

    #[test]
    fn visibility_of_holdings_and_bibs() {
        let member_a = Code::parse("member", "A").unwrap();
        let member_b = Code::parse("member", "B").unwrap();
        let hidden = holding("A", "A-MAIN", "available", false);
        assert!(hidden.is_visible_in(Some(&member_a)));
        assert!(!hidden.is_visible_in(Some(&member_b)));
        assert!(!hidden.is_visible_in(None));

        let record = sample_record();
        let only_hidden = document_from_record(1, &record, vec![hidden.clone()]);
        assert!(only_hidden.is_visible_in(Some(&member_a)));
        assert!(!only_hidden.is_visible_in(Some(&member_b)));
        assert!(!only_hidden.is_visible_in(None));
        let mixed = document_from_record(
            1,
            &record,
            vec![hidden, holding("B", "B-MAIN", "on_loan", true)],
        );
        assert!(mixed.is_visible_in(None));
        let no_items = document_from_record(1, &record, Vec::new());
        assert!(no_items.is_visible_in(None));
    }
}
