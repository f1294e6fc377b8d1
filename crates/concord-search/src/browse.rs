//! Browsing the catalogue's headings in alphabetical order — titles, authors, subjects,
//! series — as library catalogues offer beside searching ("Browse the catalogue"): a patron
//! types the beginning of a title or a name and sees the headings from there on, each with the
//! number of bibs the view sees under it, and pages on or back.
//!
//! Titles are listed as they file (without a leading article the record says to pass over),
//! from the index's sort key of titles: each title is shown as the first of its bibs the view
//! sees gives it, and leads to exactly its bibs ([`crate::FacetField::FilingTitle`]), or to
//! the one record when there is one.
//!
//! Each heading is indexed once more, as one term of a browse field: its sort key
//! ([`browse_key`]: folded, punctuation as spaces), a separator below every character, then the
//! heading as the record gives it ([`browse_term`]). The term dictionary is then the browse
//! list in order: "Dvořák" beside "Dvorak", "Smith, John" before "Smith, John, 1950-" and
//! both before "Smithson". A page merges the segments' dictionaries from where the patron is
//! and counts each heading's bibs by its postings, with the view's visible set and deletions
//! applied as for a search: a heading only hidden copies hold is not listed in other views.
//! The same term is the search filter a heading links to ([`crate::FacetField::SubjectHeading`],
//! [`crate::FacetField::SeriesHeading`]; authors link to the author facet, whose values are the
//! same headings), so the search finds exactly the count the list shows.

use std::ops::ControlFlow;

use concord_domain::catalogue::without_leading_article;
use concord_domain::codes::Code;
use concord_domain::text::fold;
use concord_marc::{DataField, Record};
use tantivy::postings::TermInfo;
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, Scorer, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{
    BitSet, DocAddress, DocId, DocSet, InvertedIndexReader, Score, Searcher, SegmentReader,
    TERMINATED, TantivyDocument, Term,
};
use unicode_normalization::char::is_combining_mark;

use crate::document::{name_heading, subject_heading};
use crate::index::{SearchError, SearchIndex, normalised_key};
use crate::searcher::FacetField;

/// Between a heading's sort key and the heading in a browse term: below every character a key
/// holds, so that a heading sorts before the longer headings its key begins.
const SEPARATOR: char = '\u{1}';

/// The most headings one page lists.
pub const MAX_BROWSE_PAGE: usize = 100;

/// The most terms one page reads: a view that sees none of the headings after a point must
/// not read the whole dictionary for one page.
const MAX_TERMS_READ: usize = 20_000;

/// The most words a word being typed stands for in the titles offered from words inside titles:
/// the most frequent of those it begins.
const BEGUN_TERMS: usize = 32;

/// How many letters the stem of a word may be shorter than what was typed of it, when no word
/// begins with what was typed ("runni" for "running", whose stem is "run").
const STEM_SHORTER_BY: usize = 3;

/// The best-matching bibs whose titles are offered from words inside titles.
const WORD_HITS: usize = 50;

/// The most bibs whose titles have the words typed that are read for those best-matching: text
/// that most titles have ("of th") offers titles from the first bibs read, at a bounded cost.
const WORD_MATCHES_READ: usize = 5_000;

/// The column of each bib's own filing title.
const TITLE_SORT: &str = "title_sort";

/// The headings a patron can browse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeadingKind {
    Title,
    Author,
    Subject,
    Series,
}

impl HeadingKind {
    /// Every list a patron can browse, in the order they are offered.
    pub const ALL: [HeadingKind; 4] = [
        HeadingKind::Title,
        HeadingKind::Author,
        HeadingKind::Subject,
        HeadingKind::Series,
    ];

    /// The headings proper: names, subjects and series, which authority records control and
    /// the search box offers beside titles.
    pub const NAMED: [HeadingKind; 3] = [
        HeadingKind::Author,
        HeadingKind::Subject,
        HeadingKind::Series,
    ];

    /// The kind's name in URLs and the API: `title`, `author`, `subject`, `series`.
    pub fn name(self) -> &'static str {
        match self {
            HeadingKind::Title => "title",
            HeadingKind::Author => "author",
            HeadingKind::Subject => "subject",
            HeadingKind::Series => "series",
        }
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<HeadingKind> {
        HeadingKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
    }

    /// The search filter that finds exactly the bibs counted under a heading of this kind (by
    /// its [`BrowsedHeading::key`]): the author facet (whose values are the same headings),
    /// the heading's own filter, or a title's filing form.
    pub fn filter(self) -> FacetField {
        match self {
            HeadingKind::Title => FacetField::FilingTitle,
            HeadingKind::Author => FacetField::Author,
            HeadingKind::Subject => FacetField::SubjectHeading,
            HeadingKind::Series => FacetField::SeriesHeading,
        }
    }

    fn field(self, index: &SearchIndex) -> Field {
        match self {
            HeadingKind::Title => index.fields.title_browse,
            HeadingKind::Author => index.fields.author_browse,
            HeadingKind::Subject => index.fields.subject_browse,
            HeadingKind::Series => index.fields.series_browse,
        }
    }

    /// The term of the heading with this key in the kind's field: a title's filing form is
    /// its own term; a heading follows its sort key ([`browse_term`]).
    fn term(self, key: &str) -> String {
        match self {
            HeadingKind::Title => key.to_owned(),
            _ => browse_term(key),
        }
    }

    /// Where typed text starts the list: a title's filing form (without a leading article,
    /// as titles file), a heading's sort key.
    fn start(self, text: &str) -> String {
        match self {
            HeadingKind::Title => {
                let key = normalised_key(text);
                match without_leading_article(&key) {
                    Some(rest) if !rest.is_empty() => rest.to_owned(),
                    _ => key,
                }
            }
            _ => browse_key(text),
        }
    }
}

/// Where a page of headings starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowseFrom {
    /// The first headings whose sort key is at or after that of the text a patron typed.
    Text(String),
    /// The headings right after the one with this key (the next page).
    After(String),
    /// The headings right before the one with this key (the previous page).
    Before(String),
}

/// A page of headings to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseRequest {
    pub kind: HeadingKind,
    pub from: BrowseFrom,
    /// At most [`MAX_BROWSE_PAGE`].
    pub limit: usize,
    /// The member whose view it is; `None` for the consortium's.
    pub view: Option<Code>,
}

/// One heading and the number of bibs the view sees under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowsedHeading {
    /// As the records give it; a title as the first of its bibs the view sees gives it.
    pub heading: String,
    /// What pages start from ([`BrowseFrom::After`], [`BrowseFrom::Before`]) and the kind's
    /// [`HeadingKind::filter`] finds: the heading itself, or a title's filing form.
    pub key: String,
    pub count: u64,
    /// A title's one bib, when it has only one.
    pub bib_id: Option<i64>,
    /// For a title of one bib listed under another title of it (a 246, 740 or uniform title),
    /// the bib's own title: "Philosopher's stone", other title of "Harry Potter and the
    /// sorcerer's stone".
    pub other_title_of: Option<String>,
}

/// A page of headings in alphabetical order, and whether there are more either side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowsePage {
    pub headings: Vec<BrowsedHeading>,
    /// Whether the view sees headings before the first listed.
    pub earlier: bool,
    /// The key of the heading the view sees right before the first listed (or, past the last
    /// heading, before where the page began): where the entries between two pages start.
    pub previous: Option<String>,
    /// Whether the view sees headings after the last listed.
    pub later: bool,
}

/// The sort key of a heading or of typed text: folded (case and accents, see
/// [`concord_domain::text::fold`]), with every run of punctuation and spaces one space, so
/// that "Smith, John" and "smith john" sort together.
pub fn browse_key(text: &str) -> String {
    let folded = fold(text);
    let mut key = String::with_capacity(folded.len());
    for word in folded.split(|c: char| !(c.is_alphanumeric() || is_combining_mark(c))) {
        if word.is_empty() {
            continue;
        }
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(word);
    }
    key
}

/// Whether typed text is long enough to offer titles and headings for: two letters or digits,
/// or one character of a script written without spaces, such as a Chinese ideograph, which can
/// be a word alone ("妇" begins "妇女"). One Latin letter begins too much to choose from.
pub fn long_enough_to_suggest(typed: &str) -> bool {
    let key = browse_key(typed);
    let mut characters = key.chars();
    match (characters.next(), characters.next()) {
        (Some(_), Some(_)) => true,
        (Some(only), None) => crate::words::is_paired_script(only),
        _ => false,
    }
}

/// The browse field's term of a heading: its key, the separator, the heading.
pub(crate) fn browse_term(heading: &str) -> String {
    format!("{}{SEPARATOR}{heading}", browse_key(heading))
}

/// The heading a browse term holds.
fn heading_of(term: &[u8]) -> Option<&str> {
    let term = std::str::from_utf8(term).ok()?;
    term.split_once(SEPARATOR).map(|(_, heading)| heading)
}

/// How a cross-reference leads from where a patron looks to a heading the catalogue uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The form looked under is not used: its titles are under the heading (a 4XX "see from"
    /// tracing).
    See,
    /// The form looked under is a heading too, and the heading is related to it (a 5XX "see
    /// also from" tracing with no special relationship).
    SeeAlso,
    /// The heading is a narrower term of the one looked under (5XX `$w` g: a broader term).
    NarrowerTerm,
    /// The heading is a broader term of the one looked under (5XX `$w` h: a narrower term).
    BroaderTerm,
    /// The heading is a later form of the one looked under (5XX `$w` a: an earlier heading).
    LaterHeading,
    /// The heading is an earlier form of the one looked under (5XX `$w` b: a later heading).
    EarlierHeading,
}

impl Relation {
    pub const ALL: [Relation; 6] = [
        Relation::See,
        Relation::SeeAlso,
        Relation::NarrowerTerm,
        Relation::BroaderTerm,
        Relation::LaterHeading,
        Relation::EarlierHeading,
    ];

    /// The relation's name in the store and the API.
    pub fn name(self) -> &'static str {
        match self {
            Relation::See => "see",
            Relation::SeeAlso => "see_also",
            Relation::NarrowerTerm => "narrower",
            Relation::BroaderTerm => "broader",
            Relation::LaterHeading => "later",
            Relation::EarlierHeading => "earlier",
        }
    }

    /// The relation with this name.
    pub fn from_name(name: &str) -> Option<Relation> {
        Relation::ALL
            .into_iter()
            .find(|relation| relation.name() == name)
    }

    /// The relation a 5XX tracing makes, by the first character of its control subfield
    /// `$w` (MARC 21 authority format, "special relationship"); any other code, or none, is a
    /// plain "see also".
    fn of_tracing(field: &DataField) -> Relation {
        match field.subfield('w').and_then(|code| code.chars().next()) {
            Some('g') => Relation::NarrowerTerm,
            Some('h') => Relation::BroaderTerm,
            Some('a') => Relation::LaterHeading,
            Some('b') => Relation::EarlierHeading,
            _ => Relation::SeeAlso,
        }
    }
}

/// A form a patron may look under, and a heading the catalogue uses that it leads to, as a
/// browse list shows it: "Clemens, Samuel Langhorne, 1835-1910", see "Twain, Mark,
/// 1835-1910"; "Music", narrower term "Jazz".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossReference {
    pub kind: HeadingKind,
    pub relation: Relation,
    /// The form a patron may look under: an authority record's variant (see), or a related
    /// heading (see also).
    pub from: String,
    /// The heading of the authority record, the form the catalogue's records use.
    pub heading: String,
}

impl CrossReference {
    /// Where the reference stands in its browse list: the sort key of the form looked under.
    pub fn sort_key(&self) -> String {
        browse_key(&self.from)
    }
}

/// The cross-references of an authority record to its name (100, 110, 111) or subject (150,
/// 151, 155) heading: "see" from each variant (400, 410, 411; 450, 451, 455) and "see also"
/// from each related heading (500, 510, 511; 550, 551, 555), with the relation its `$w` codes.
/// Every form is made as the bibs' headings are, so that the heading is the one their browse
/// list counts. Name-title headings (`$t`) are left out, as are forms that read as the heading
/// and a variant given twice; other authorities (titles, series) give none.
pub fn cross_references(authority: &Record) -> Vec<CrossReference> {
    type Form = fn(&DataField) -> String;
    /// A kind of heading: its tags as heading, see from and see also from, and its form.
    type Tracings = (
        HeadingKind,
        [&'static str; 3],
        [&'static str; 3],
        [&'static str; 3],
        Form,
    );
    let kinds: [Tracings; 2] = [
        (
            HeadingKind::Author,
            ["100", "110", "111"],
            ["400", "410", "411"],
            ["500", "510", "511"],
            name_heading,
        ),
        (
            HeadingKind::Subject,
            ["150", "151", "155"],
            ["450", "451", "455"],
            ["550", "551", "555"],
            subject_heading,
        ),
    ];
    let mut references: Vec<CrossReference> = Vec::new();
    for (kind, heading_tags, see_tags, see_also_tags, form) in kinds {
        let Some(heading_field) = heading_tags
            .iter()
            .find_map(|tag| authority.field(tag))
            .filter(|field| field.subfield('t').is_none())
        else {
            continue;
        };
        let heading = form(heading_field);
        if heading.is_empty() {
            continue;
        }
        let tracings = see_tags
            .iter()
            .flat_map(|tag| authority.fields(tag).map(|field| (field, Relation::See)))
            .chain(see_also_tags.iter().flat_map(|tag| {
                authority
                    .fields(tag)
                    .map(|field| (field, Relation::of_tracing(field)))
            }));
        for (field, relation) in tracings {
            if field.subfield('t').is_some() {
                continue;
            }
            let from = form(field);
            let known = references
                .iter()
                .any(|reference| reference.from == from && reference.relation == relation);
            if from.is_empty() || browse_key(&from) == browse_key(&heading) || known {
                continue;
            }
            references.push(CrossReference {
                kind,
                relation,
                from,
                heading: heading.clone(),
            });
        }
    }
    references
}

/// The title of a series statement without its numbering ("Discworld ; 12" is "Discworld"),
/// as a series is browsed and linked.
pub fn series_title(series: &str) -> &str {
    series.split(" ;").next().unwrap_or(series).trim()
}

impl SearchIndex {
    /// A page of `request.kind` headings in alphabetical order with the number of bibs
    /// `request.view` sees under each; headings it sees none under are passed over.
    pub fn browse(&self, request: &BrowseRequest) -> Result<BrowsePage, SearchError> {
        let limit = request.limit.clamp(1, MAX_BROWSE_PAGE);
        let kind = request.kind;
        let (backward, bound) = match &request.from {
            BrowseFrom::Text(text) => (false, Bound::AtOrAfter(kind.start(text))),
            BrowseFrom::After(key) => (false, Bound::After(kind.term(key))),
            BrowseFrom::Before(key) => (true, Bound::Before(kind.term(key))),
        };
        let generation = self.generation();
        let searcher = &generation.searcher;
        // One more than the page, to know whether there are more.
        let mut found = self.headings(searcher, request, &bound, limit + 1)?;
        let beyond = found.get(limit).map(|(heading, _)| heading.key.clone());
        found.truncate(limit);
        let mut headings = Vec::with_capacity(found.len());
        for (mut heading, first) in found {
            if let (HeadingKind::Title, Some(first)) = (kind, first) {
                let named = self.title_of(searcher, first, &heading.key)?;
                heading.heading = named.title;
                // A title of several bibs is theirs, whichever of them calls it another title.
                let one = heading.count == 1;
                heading.bib_id = named.bib_id.filter(|_| one);
                heading.other_title_of = named.other_title_of.filter(|_| one);
            }
            headings.push(heading);
        }
        if backward {
            headings.reverse();
            let later = !headings.is_empty()
                || self.nearest(searcher, request, &bound.flipped())?.is_some();
            return Ok(BrowsePage {
                headings,
                earlier: beyond.is_some(),
                previous: beyond,
                later,
            });
        }
        let previous = match headings.first() {
            Some(first) => {
                self.nearest(searcher, request, &Bound::Before(kind.term(&first.key)))?
            }
            None => self.nearest(searcher, request, &bound.flipped())?,
        };
        Ok(BrowsePage {
            headings,
            earlier: previous.is_some(),
            previous,
            later: beyond.is_some(),
        })
    }

    /// The key of the heading the view sees nearest `bound`, within it.
    fn nearest(
        &self,
        searcher: &Searcher,
        request: &BrowseRequest,
        bound: &Bound,
    ) -> Result<Option<String>, SearchError> {
        Ok(self
            .headings(searcher, request, bound, 1)?
            .pop()
            .map(|(found, _)| found.key))
    }

    /// Up to `wanted` headings within `bound` that the view sees, nearest the bound first,
    /// each with the first document the view sees under it. A title is named by its filing
    /// form here; [`SearchIndex::title_of`] reads it from that document.
    fn headings(
        &self,
        searcher: &Searcher,
        request: &BrowseRequest,
        bound: &Bound,
        wanted: usize,
    ) -> Result<Vec<(BrowsedHeading, Option<DocAddress>)>, SearchError> {
        let mut found = Vec::new();
        let titles = request.kind == HeadingKind::Title;
        self.visit_terms(
            searcher,
            request.kind.field(self),
            request.view.as_ref(),
            bound,
            |term, count, first| {
                let heading = if titles {
                    std::str::from_utf8(term).ok()
                } else {
                    heading_of(term)
                };
                if count > 0
                    && let Some(heading) = heading
                {
                    found.push((
                        BrowsedHeading {
                            heading: heading.to_owned(),
                            key: heading.to_owned(),
                            count,
                            bib_id: None,
                            other_title_of: None,
                        },
                        first,
                    ));
                }
                if found.len() < wanted {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(())
                }
            },
        )?;
        Ok(found)
    }

    /// Reads the terms of `field` in every segment of `searcher` together, in term order from
    /// `bound`, and hands `visit` each with the number of live bibs `view` sees under it and
    /// the first of them, until it says to stop or [`MAX_TERMS_READ`] terms have been read.
    fn visit_terms(
        &self,
        searcher: &Searcher,
        field: Field,
        view: Option<&Code>,
        bound: &Bound,
        mut visit: impl FnMut(&[u8], u64, Option<DocAddress>) -> ControlFlow<()>,
    ) -> Result<(), SearchError> {
        let visible = self.visibility.segment_sets(
            searcher,
            self.fields.visible_to,
            view.map(Code::as_str),
        )?;
        let segments = searcher.segment_readers();
        let dictionaries = segments
            .iter()
            .map(|segment| segment.inverted_index(field))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let mut streams = Vec::with_capacity(dictionaries.len());
        for dictionary in &dictionaries {
            let range = dictionary.terms().range();
            let range = match bound {
                Bound::AtOrAfter(key) => range.ge(key),
                Bound::After(term) => range.gt(term),
                Bound::Before(term) => range.lt(term).backward(),
                Bound::AtOrBefore(term) => range.le(term).backward(),
            };
            let mut stream = range.into_stream()?;
            let current = stream.advance().then(|| stream.key().to_vec());
            streams.push((stream, current));
        }
        let backward = bound.is_backward();
        for _ in 0..MAX_TERMS_READ {
            // The next term of the merged dictionaries, in the direction of reading.
            let Some(term) = streams
                .iter()
                .filter_map(|(_, current)| current.as_ref())
                .reduce(|best, term| {
                    let nearer = if backward { term > best } else { term < best };
                    if nearer { term } else { best }
                })
                .cloned()
            else {
                break;
            };
            let mut count = 0u64;
            let mut first = None;
            for (number, (stream, current)) in streams.iter_mut().enumerate() {
                if current.as_deref() != Some(term.as_slice()) {
                    continue;
                }
                let (Some(segment), Some(dictionary), Some(visible)) = (
                    segments.get(number),
                    dictionaries.get(number),
                    visible.get(number),
                ) else {
                    continue;
                };
                let (seen, first_here) =
                    first_seen_under(segment, dictionary, stream.value(), visible)?;
                count += seen;
                if first.is_none() {
                    first = first_here.map(|doc| DocAddress::new(number as u32, doc));
                }
                *current = stream.advance().then(|| stream.key().to_vec());
            }
            if visit(&term, count, first).is_break() {
                break;
            }
        }
        Ok(())
    }
}

/// A title as a bib under it names it ([`SearchIndex::title_of`]).
struct NamedTitle {
    title: String,
    bib_id: Option<i64>,
    other_title_of: Option<String>,
}

/// A title offered as a patron types in the search box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestedTitle {
    /// The title as it files, which [`FacetField::FilingTitle`] finds exactly.
    pub filing_title: String,
    /// The title as the first of its bibs the view sees gives it.
    pub title: String,
    /// The bibs the view sees with exactly this title (editions and formats).
    pub count: u64,
    /// That bib's id, when it is the only one.
    pub bib_id: Option<i64>,
    /// When the title is one bib's and another title of it (a 246, 740 or uniform title), the
    /// bib's own title.
    pub other_title_of: Option<String>,
}

impl SearchIndex {
    /// Of the first `read` titles that begin with what a patron typed (as titles file, folded)
    /// and that `view` sees bibs under, the `keep` with the most bibs, the most first (equal
    /// counts in title order); the text without a leading article when no title begins with
    /// it as typed. At most [`MAX_TERMS_READ`] titles are read. When fewer than `keep` begin
    /// so, titles with the words typed further in follow, the best-matching first ("prejud"
    /// offers "Pride and prejudice").
    pub fn suggested_titles(
        &self,
        typed: &str,
        view: Option<&Code>,
        read: usize,
        keep: usize,
    ) -> Result<Vec<SuggestedTitle>, SearchError> {
        let key = normalised_key(typed);
        if key.is_empty() {
            return Ok(Vec::new());
        }
        let mut found = self.titles_beginning(&key, view, read, keep)?;
        // "the hob" for "The hobbit", which its record files as "hobbit".
        if let (Some(rest), true) = (without_leading_article(&key), found.is_empty()) {
            found = self.titles_beginning(rest, view, read, keep)?;
        }
        if found.len() < keep {
            let more = self.titles_with_words(typed, view, keep - found.len(), &found)?;
            found.extend(more);
        }
        Ok(found)
    }

    fn titles_beginning(
        &self,
        key: &str,
        view: Option<&Code>,
        wanted: usize,
        keep: usize,
    ) -> Result<Vec<SuggestedTitle>, SearchError> {
        let generation = self.generation();
        let searcher = &generation.searcher;
        // Each title with its count and first document seen.
        let mut found: Vec<(String, u64, DocAddress)> = Vec::new();
        self.visit_terms(
            searcher,
            self.fields.title_browse,
            view,
            &Bound::AtOrAfter(key.to_owned()),
            |term, count, first| {
                if !term.starts_with(key.as_bytes()) {
                    return ControlFlow::Break(());
                }
                if let (true, Some(first), Ok(filing_title)) =
                    (count > 0, first, std::str::from_utf8(term))
                {
                    found.push((filing_title.to_owned(), count, first));
                }
                if found.len() < wanted {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(())
                }
            },
        )?;
        // Only the titles kept are read from the stored documents.
        found.sort_by_key(|(_, count, _)| std::cmp::Reverse(*count));
        found.truncate(keep);
        let mut titles = Vec::with_capacity(found.len());
        for (filing_title, count, first) in found {
            titles.push(self.suggested(searcher, filing_title, count, first)?);
        }
        Ok(titles)
    }

    /// The title filed as `filing_title`, under which the view sees `count` bibs, the first at
    /// `first`, as it is offered.
    fn suggested(
        &self,
        searcher: &Searcher,
        filing_title: String,
        count: u64,
        first: DocAddress,
    ) -> Result<SuggestedTitle, SearchError> {
        let named = self.title_of(searcher, first, &filing_title)?;
        Ok(SuggestedTitle {
            filing_title,
            title: named.title,
            count,
            bib_id: named.bib_id.filter(|_| count == 1),
            other_title_of: named.other_title_of.filter(|_| count == 1),
        })
    }

    /// At most `keep` titles of the bibs `view` sees whose titles have every word typed, the
    /// last as begun ("prejud" offers "Pride and prejudice"), the best-matching first, each
    /// once and none of those already `offered` (nor one of the bibs they lead to). The word
    /// being typed stands for the [`BEGUN_TERMS`] most frequent words it begins, and titles are
    /// drawn from the [`WORD_HITS`] best-matching of the first [`WORD_MATCHES_READ`] bibs.
    fn titles_with_words(
        &self,
        typed: &str,
        view: Option<&Code>,
        keep: usize,
        offered: &[SuggestedTitle],
    ) -> Result<Vec<SuggestedTitle>, SearchError> {
        let words: Vec<&str> = typed.split_whitespace().collect();
        let Some((last, before)) = words.split_last() else {
            return Ok(Vec::new());
        };
        let generation = self.generation();
        let searcher = &generation.searcher;
        let field = self.fields.title;
        let scored = |term: Term| -> Box<dyn Query> {
            Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in before {
            for token in self.tokens(field, word)? {
                clauses.push((Occur::Must, scored(Term::from_field_text(field, &token))));
            }
        }
        // The word being typed as the title field stems it and as typed (folded): the stem of
        // a part of a word need not begin the word's stem.
        let mut prefixes = self.tokens(field, last)?;
        prefixes.extend(self.tokens(self.fields.author, last)?);
        prefixes.retain(|prefix| prefix.chars().count() >= 2);
        prefixes.sort_unstable();
        prefixes.dedup();
        let begun = words_beginning(searcher, field, &prefixes)?;
        if !begun.is_empty() {
            let either = begun
                .into_iter()
                .map(|term| (Occur::Should, scored(term)))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(either))));
        } else if !prefixes.is_empty() || clauses.is_empty() {
            // The word being typed begins no word of any title.
            return Ok(Vec::new());
        }
        let query = BooleanQuery::new(clauses);
        let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
        let visible = self.visibility.segment_sets(
            searcher,
            self.fields.visible_to,
            view.map(Code::as_str),
        )?;
        // The best-matching bibs: (score, bib id, segment, document).
        let mut best: Vec<(Score, i64, u32, DocId)> = Vec::new();
        let by_score = |a: &(Score, i64, u32, DocId), b: &(Score, i64, u32, DocId)| {
            b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
        };
        let mut read = 0;
        for (ordinal, segment) in searcher.segment_readers().iter().enumerate() {
            let Some(visible) = visible.get(ordinal) else {
                continue;
            };
            let alive = segment.alive_bitset();
            let bib_ids = segment.fast_fields().i64(crate::index::BIB_ID)?;
            let mut scorer = weight.scorer(segment, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED && read < WORD_MATCHES_READ {
                if visible.contains(doc) && !alive.is_some_and(|alive| alive.is_deleted(doc)) {
                    read += 1;
                    let bib = bib_ids.first(doc).unwrap_or_default();
                    best.push((scorer.score(), bib, ordinal as u32, doc));
                    if best.len() >= 4 * WORD_HITS {
                        best.select_nth_unstable_by(WORD_HITS, by_score);
                        best.truncate(WORD_HITS);
                    }
                }
                doc = scorer.advance();
            }
        }
        best.sort_unstable_by(by_score);
        best.truncate(WORD_HITS);
        let mut titles: Vec<SuggestedTitle> = Vec::new();
        for (_, bib, ordinal, doc) in best {
            if titles.len() >= keep {
                break;
            }
            let segment = searcher.segment_reader(ordinal);
            let Some(filing_title) = self.filing_title_of(segment, doc)? else {
                continue;
            };
            let known = |title: &SuggestedTitle| {
                title.filing_title == filing_title || title.bib_id == Some(bib)
            };
            if offered.iter().any(known) || titles.iter().any(known) {
                continue;
            }
            if let Some((count, first)) = self.title_count(searcher, view, &filing_title)? {
                titles.push(self.suggested(searcher, filing_title, count, first)?);
            }
        }
        Ok(titles)
    }

    /// The title document `doc` of `segment` files under (its own, not another title of it).
    fn filing_title_of(
        &self,
        segment: &SegmentReader,
        doc: DocId,
    ) -> Result<Option<String>, SearchError> {
        let Some(column) = segment.fast_fields().str(TITLE_SORT)? else {
            return Ok(None);
        };
        let mut title = String::new();
        for ordinal in column.term_ords(doc) {
            if column.ord_to_str(ordinal, &mut title)? {
                return Ok(Some(title));
            }
        }
        Ok(None)
    }

    /// How many bibs the view sees under the title filed as `filing_title`, and the first.
    fn title_count(
        &self,
        searcher: &Searcher,
        view: Option<&Code>,
        filing_title: &str,
    ) -> Result<Option<(u64, DocAddress)>, SearchError> {
        let mut found = None;
        self.visit_terms(
            searcher,
            self.fields.title_browse,
            view,
            &Bound::AtOrAfter(filing_title.to_owned()),
            |term, count, first| {
                if term == filing_title.as_bytes() && count > 0 {
                    found = first.map(|first| (count, first));
                }
                ControlFlow::Break(())
            },
        )?;
        Ok(found)
    }
}

/// The most frequent (at most [`BEGUN_TERMS`]) words of `field` in every segment that begin
/// with one of `prefixes`, reading at most [`MAX_TERMS_READ`] words of each segment for each;
/// when none does, the words a few letters shorter that begin one of them.
fn words_beginning(
    searcher: &Searcher,
    field: Field,
    prefixes: &[String],
) -> Result<Vec<Term>, SearchError> {
    let mut frequencies: std::collections::BTreeMap<Vec<u8>, u64> =
        std::collections::BTreeMap::new();
    for segment in searcher.segment_readers() {
        let dictionary = segment.inverted_index(field)?;
        for prefix in prefixes {
            let mut stream = dictionary.terms().range().ge(prefix).into_stream()?;
            for _ in 0..MAX_TERMS_READ {
                if !stream.advance() || !stream.key().starts_with(prefix.as_bytes()) {
                    break;
                }
                *frequencies.entry(stream.key().to_vec()).or_default() +=
                    u64::from(stream.value().doc_freq);
            }
        }
    }
    if frequencies.is_empty() {
        // Typed past a word's stem ("runni" for "running", indexed as "run"): the stems that
        // begin it, a few letters shorter.
        for segment in searcher.segment_readers() {
            let dictionary = segment.inverted_index(field)?;
            for prefix in prefixes {
                let letters: Vec<(usize, char)> = prefix.char_indices().collect();
                let shortest = letters.len().saturating_sub(STEM_SHORTER_BY).max(3);
                for (end, _) in letters.iter().skip(shortest) {
                    let stem = prefix.get(..*end).unwrap_or_default();
                    if let Some(info) = dictionary.terms().get(stem)? {
                        *frequencies.entry(stem.as_bytes().to_vec()).or_default() +=
                            u64::from(info.doc_freq);
                    }
                }
            }
        }
    }
    let mut frequent: Vec<(Vec<u8>, u64)> = frequencies.into_iter().collect();
    frequent.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    frequent.truncate(BEGUN_TERMS);
    Ok(frequent
        .into_iter()
        .filter_map(|(word, _)| {
            let word = String::from_utf8(word).ok()?;
            Some(Term::from_field_text(field, &word))
        })
        .collect())
}

impl SearchIndex {
    /// How the bib at `address` names the title filed as `filing_title`: by the other title
    /// filed so, when it is one of its other titles, else by its own title as its record gives
    /// it (`filing_title` when it has none to show); and its bib id.
    fn title_of(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        filing_title: &str,
    ) -> Result<NamedTitle, SearchError> {
        let document: TantivyDocument = searcher.doc(address)?;
        let own = document
            .get_first(self.fields.title_display)
            .and_then(|value| value.as_str())
            .unwrap_or(filing_title)
            .to_owned();
        let bib_id = document
            .get_first(self.fields.bib_id)
            .and_then(|value| value.as_i64());
        let variants = document
            .get_all(self.fields.title_variants)
            .filter_map(|value| value.as_str());
        Ok(match crate::index::variant_titled(variants, filing_title) {
            Some(other) => NamedTitle {
                title: other.to_owned(),
                bib_id,
                other_title_of: Some(own),
            },
            None => NamedTitle {
                title: own,
                bib_id,
                other_title_of: None,
            },
        })
    }

    /// The number of bibs `view` sees under each of `headings` of `kind` (0 for a heading no
    /// bib has), in their order: what the headings see references lead to count.
    pub fn heading_counts(
        &self,
        kind: HeadingKind,
        headings: &[String],
        view: Option<&Code>,
    ) -> Result<Vec<u64>, SearchError> {
        let generation = self.generation();
        let searcher = &generation.searcher;
        let field = kind.field(self);
        let visible = self.visibility.segment_sets(
            searcher,
            self.fields.visible_to,
            view.map(Code::as_str),
        )?;
        let mut counts = vec![0; headings.len()];
        for (segment, visible) in searcher.segment_readers().iter().zip(&visible) {
            let dictionary = segment.inverted_index(field)?;
            for (heading, count) in headings.iter().zip(counts.iter_mut()) {
                let term = Term::from_field_text(field, &kind.term(heading));
                if let Some(info) = dictionary.get_term_info(&term)? {
                    *count += seen_under(segment, &dictionary, &info, visible)?;
                }
            }
        }
        Ok(counts)
    }
}

/// How many live documents of `segment` that `visible` holds have the term of `info`.
fn seen_under(
    segment: &SegmentReader,
    dictionary: &InvertedIndexReader,
    info: &TermInfo,
    visible: &BitSet,
) -> Result<u64, SearchError> {
    Ok(first_seen_under(segment, dictionary, info, visible)?.0)
}

/// [`seen_under`], and the first of those documents.
fn first_seen_under(
    segment: &SegmentReader,
    dictionary: &InvertedIndexReader,
    info: &TermInfo,
    visible: &BitSet,
) -> Result<(u64, Option<DocId>), SearchError> {
    let alive = segment.alive_bitset();
    let mut postings = dictionary.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
    let mut count = 0;
    let mut first = None;
    let mut doc = postings.doc();
    while doc != TERMINATED {
        if visible.contains(doc) && !alive.is_some_and(|alive| alive.is_deleted(doc)) {
            count += 1;
            first.get_or_insert(doc);
        }
        doc = postings.advance();
    }
    Ok((count, first))
}

/// Where in a browse field's dictionary reading starts, and which way it goes.
enum Bound {
    /// Forward from the first term at or after this key.
    AtOrAfter(String),
    /// Forward from the first term after this one.
    After(String),
    /// Backward from the last term before this one.
    Before(String),
    /// Backward from the last term at or before this one.
    AtOrBefore(String),
}

impl Bound {
    fn is_backward(&self) -> bool {
        matches!(self, Bound::Before(_) | Bound::AtOrBefore(_))
    }

    /// The terms on the other side of the bound, read away from it.
    fn flipped(&self) -> Bound {
        match self {
            Bound::AtOrAfter(key) => Bound::Before(key.clone()),
            Bound::After(term) => Bound::AtOrBefore(term.clone()),
            Bound::Before(term) => Bound::AtOrAfter(term.clone()),
            Bound::AtOrBefore(term) => Bound::After(term.clone()),
        }
    }
}

/// The term a filter on a heading looks for.
pub(crate) fn heading_filter_term(field: Field, heading: &str) -> Term {
    Term::from_field_text(field, &browse_term(heading))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_case_accents_and_punctuation() {
        assert_eq!(
            browse_key("Dvořák, Antonín, 1841-1904."),
            "dvorak antonin 1841 1904"
        );
        assert_eq!(browse_key("  smith -- JOHN "), "smith john");
        assert_eq!(browse_key("Müller"), browse_key("MULLER"));
        assert_eq!(browse_key("...."), "");
        // The marks that spell a Devanagari word stay inside it.
        assert_eq!(browse_key("कला"), "कला");
        // A heading sorts before the longer headings its key begins, whatever follows.
        let mut terms = [
            browse_term("Smithson, Ann"),
            browse_term("Smith, John, 1950-"),
            browse_term("Smith, John"),
            browse_term("Smith, J."),
        ];
        terms.sort();
        let headings: Vec<&str> = terms
            .iter()
            .filter_map(|term| heading_of(term.as_bytes()))
            .collect();
        assert_eq!(
            headings,
            [
                "Smith, J.",
                "Smith, John",
                "Smith, John, 1950-",
                "Smithson, Ann"
            ]
        );
        assert_eq!(series_title("Discworld ; 12"), "Discworld");
        assert!(long_enough_to_suggest("to"));
        assert!(long_enough_to_suggest(" 妇 "));
        assert!(!long_enough_to_suggest("t"));
        assert!(!long_enough_to_suggest("É."));
        assert!(!long_enough_to_suggest(""));
    }

    #[test]
    fn an_authority_record_gives_see_and_see_also_references() {
        use crate::document::data_field as field;
        let mut twain =
            Record::new(concord_marc::Leader::parse("00000nz  a2200000n  4500").unwrap());
        twain.push_data(field(
            "100",
            ('1', ' '),
            &[('a', "Twain, Mark,"), ('d', "1835-1910")],
        ));
        twain.push_data(field(
            "400",
            ('1', ' '),
            &[('a', "Clemens, Samuel Langhorne,"), ('d', "1835-1910")],
        ));
        twain.push_data(field(
            "400",
            ('1', ' '),
            &[('a', "TWAIN, MARK,"), ('d', "1835-1910")],
        ));
        twain.push_data(field(
            "400",
            ('1', ' '),
            &[
                ('a', "Snodgrass, Quintus Curtius,"),
                ('d', "1835-1910"),
                ('t', "Letters"),
            ],
        ));
        twain.push_data(field("410", ('2', ' '), &[('a', "Mark Twain Project")]));
        // A related name, and a name-title heading that is left out.
        twain.push_data(field(
            "500",
            ('1', ' '),
            &[('a', "Clemens, Orion,"), ('d', "1825-1897")],
        ));
        twain.push_data(field(
            "500",
            ('1', ' '),
            &[('a', "Twain, Mark,"), ('d', "1835-1910."), ('t', "Works")],
        ));
        let references = cross_references(&twain);
        let listed: Vec<(HeadingKind, Relation, &str, &str)> = references
            .iter()
            .map(|reference| {
                (
                    reference.kind,
                    reference.relation,
                    reference.from.as_str(),
                    reference.heading.as_str(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (
                    HeadingKind::Author,
                    Relation::See,
                    "Clemens, Samuel Langhorne, 1835-1910",
                    "Twain, Mark, 1835-1910"
                ),
                (
                    HeadingKind::Author,
                    Relation::See,
                    "Mark Twain Project",
                    "Twain, Mark, 1835-1910"
                ),
                (
                    HeadingKind::Author,
                    Relation::SeeAlso,
                    "Clemens, Orion, 1825-1897",
                    "Twain, Mark, 1835-1910"
                ),
            ]
        );
        assert_eq!(
            references[0].sort_key(),
            "clemens samuel langhorne 1835 1910"
        );

        let mut subject =
            Record::new(concord_marc::Leader::parse("00000nz  a2200000n  4500").unwrap());
        subject.push_data(field(
            "150",
            (' ', ' '),
            &[('a', "World War, 1939-1945"), ('x', "Campaigns.")],
        ));
        subject.push_data(field(
            "450",
            (' ', ' '),
            &[('a', "Second World War"), ('x', "Campaigns")],
        ));
        // The relation coded in $w: a broader term leads down to this narrower one, and so on.
        let related: [(&str, &[(char, &str)]); 6] = [
            ("550", &[('w', "g"), ('a', "World War, 1939-1945")]),
            ("550", &[('w', "h"), ('a', "Battles")]),
            ("551", &[('a', "Europe"), ('x', "History")]),
            ("550", &[('w', "a"), ('a', "Military campaigns")]),
            ("550", &[('w', "bnnn"), ('a', "War campaigns")]),
            ("555", &[('w', "r"), ('a', "War films")]),
        ];
        for (tag, subfields) in related {
            subject.push_data(field(tag, (' ', ' '), subfields));
        }
        let subject_heading = "World War, 1939-1945 -- Campaigns";
        let reference = |relation, from: &str| CrossReference {
            kind: HeadingKind::Subject,
            relation,
            from: from.into(),
            heading: subject_heading.into(),
        };
        assert_eq!(
            cross_references(&subject),
            [
                reference(Relation::See, "Second World War -- Campaigns"),
                reference(Relation::NarrowerTerm, "World War, 1939-1945"),
                reference(Relation::BroaderTerm, "Battles"),
                reference(Relation::LaterHeading, "Military campaigns"),
                reference(Relation::EarlierHeading, "War campaigns"),
                reference(Relation::SeeAlso, "Europe -- History"),
                reference(Relation::SeeAlso, "War films"),
            ]
        );
        for relation in Relation::ALL {
            assert_eq!(Relation::from_name(relation.name()), Some(relation));
        }
        // A title authority gives none.
        let mut title =
            Record::new(concord_marc::Leader::parse("00000nz  a2200000n  4500").unwrap());
        title.push_data(field("130", (' ', '0'), &[('a', "Beowulf")]));
        title.push_data(field("430", (' ', '0'), &[('a', "Biowulf")]));
        assert!(cross_references(&title).is_empty());
        assert_eq!(series_title("Discworld"), "Discworld");
    }
}
