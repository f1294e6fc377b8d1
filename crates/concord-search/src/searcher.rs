//! Searching the index: the query language, member views, sorting, paging and exact facets.
//!
//! **Invariant:** totals and facet counts are exact. The total is tantivy's `Count`; facets are
//! counted by the `facets` module, which visits every matching document and reads the facet
//! fields' ordinals, once per distinct value per bib, never from a sample or a top-N shortlist.

use std::collections::BTreeMap;

use concord_domain::codes::Code;
use concord_domain::languages::current_code;
use serde::Serialize;
use std::sync::Arc;
use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue, SortByString};
use tantivy::collector::{Collector, Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, QueryParser, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};

use tantivy::{BitSet, DocAddress, Order, Score, Searcher, TantivyDocument, Term};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::facets::{FacetCounter, top_values};
use crate::index::{SearchError, SearchIndex, normalised_key};
use crate::member_added::ByMemberAdded;
use crate::windowed::{PlainQuery, ScoredTerm};

/// How far a search pages: the hits of a page must lie within the first this many results (the
/// total and facets still count every match). Deeper pages would have each search keep that
/// many candidates; a patron narrows the search long before.
pub const MAX_RESULT_WINDOW: usize = 10_000;

/// The value of the `available_now` facet for a title on the shelf now at any library the view
/// sees; its other values are the codes of those libraries (codes are upper case).
pub const AVAILABLE: &str = "available";

/// Which evaluation a relevance search may use. Both give the same answer; the benchmark
/// runs both in one process to compare them, and the tests check that they agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Evaluation {
    /// The windowed evaluation for plain keyword searches (see the `windowed` module), and
    /// tantivy's query scorers for the rest.
    #[default]
    Fastest,
    /// tantivy's query scorers for every search.
    General,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Best match first (the default).
    #[default]
    Relevance,
    /// By title, ignoring leading articles, A to Z.
    Title,
    /// By main author, A to Z.
    Author,
    /// Newest first.
    Date,
    /// Most recently added to the catalogue first: a new bib, or a new copy of an old one
    /// that every member may see.
    Added,
}

/// The facets a search can count and filter by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FacetField {
    /// Material format code.
    Format,
    /// Language code.
    Language,
    /// Decade of publication (`1990` for 1990-1999).
    Decade,
    /// Main subject heading.
    Subject,
    /// Author name.
    Author,
    /// Member library holding a visible item.
    Member,
    /// Branch holding a visible item.
    Branch,
    /// Whether a visible item is on the shelf now (value [`AVAILABLE`]), and at which members
    /// (their codes).
    AvailableNow,
    /// Target audience code.
    Audience,
    /// A whole subject heading, subdivisions and all, as the browse list gives it: a filter
    /// only, never counted.
    SubjectHeading,
    /// A series' title without its numbering, as the browse list gives it: a filter only,
    /// never counted.
    SeriesHeading,
    /// A title as it files (without a leading article the record marks, folded as sort keys
    /// are: "hobbit or there and back again"), which a title suggestion leads to: every edition
    /// with exactly that title, as its own or as another title (246, 130, 240, 730, 740). A
    /// filter only, never counted.
    FilingTitle,
}

impl FacetField {
    /// Every facet, in display order.
    pub const ALL: [FacetField; 9] = [
        FacetField::Format,
        FacetField::Language,
        FacetField::Decade,
        FacetField::Subject,
        FacetField::Author,
        FacetField::Member,
        FacetField::Branch,
        FacetField::AvailableNow,
        FacetField::Audience,
    ];

    /// The whole headings and titles the browse lists and suggestions link to: filters only,
    /// never counted.
    pub const HEADINGS: [FacetField; 3] = [
        FacetField::SubjectHeading,
        FacetField::SeriesHeading,
        FacetField::FilingTitle,
    ];

    /// Every facet a search can be narrowed by: the counted ones, then the headings.
    pub fn filters() -> impl Iterator<Item = FacetField> {
        FacetField::ALL.into_iter().chain(FacetField::HEADINGS)
    }

    /// Whether a search can count the facet's values (the headings of the browse lists are
    /// filters only).
    pub fn is_counted(self) -> bool {
        !FacetField::HEADINGS.contains(&self)
    }

    /// The facet's name in URLs and the API.
    pub fn name(self) -> &'static str {
        match self {
            FacetField::Format => "format",
            FacetField::Language => "language",
            FacetField::Decade => "decade",
            FacetField::Subject => "subject",
            FacetField::Author => "author",
            FacetField::Member => "member",
            FacetField::Branch => "branch",
            FacetField::AvailableNow => "available_now",
            FacetField::Audience => "audience",
            FacetField::SubjectHeading => "subject_heading",
            FacetField::SeriesHeading => "series_heading",
            FacetField::FilingTitle => "filing_title",
        }
    }

    /// The facet with this name.
    pub fn from_name(name: &str) -> Option<FacetField> {
        FacetField::filters().find(|facet| facet.name() == name)
    }

    pub(crate) fn index_field_name(self) -> &'static str {
        match self {
            FacetField::Format => "format",
            FacetField::Language => "language",
            FacetField::Decade => "decade",
            FacetField::Subject => "subject_facet",
            FacetField::Author => "author_facet",
            FacetField::Member => "holding_member",
            FacetField::Branch => "holding_branch",
            FacetField::AvailableNow => "available_now",
            FacetField::Audience => "audience",
            FacetField::SubjectHeading => "subject_browse",
            FacetField::SeriesHeading => "series_browse",
            FacetField::FilingTitle => "title_browse",
        }
    }

    /// The column a facet is counted from: for holdings facets the one that also says how
    /// many copies give a bib each value (see [`crate::index::copies_value`]).
    pub(crate) fn counted_field_name(self) -> &'static str {
        match self {
            FacetField::Member => "holding_member_copies",
            FacetField::Branch => "holding_branch_copies",
            FacetField::AvailableNow => "available_now_copies",
            other => other.index_field_name(),
        }
    }

    /// Whether the facet's values depend on which items the viewer may see. These are the
    /// holdings facets, which count copies as well as bibs.
    pub(crate) fn depends_on_view(self) -> bool {
        matches!(
            self,
            FacetField::Member | FacetField::Branch | FacetField::AvailableNow
        )
    }
}

/// One search.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The query text in the catalogue's query language (see [`SearchIndex::search`]).
    pub query: String,
    /// Extra fielded terms ANDed with the query (`("author", "Müller")`), as an advanced
    /// search form sends them.
    pub fielded: Vec<(String, String)>,
    /// The member whose view this is; `None` for the whole consortium.
    pub view: Option<Code>,
    /// Facet selections: values of one facet are ORed, different facets ANDed.
    pub filters: Vec<(FacetField, String)>,
    /// The facets to count.
    pub facets: Vec<FacetField>,
    /// How many values of each facet to return (the counts are exact whatever this is).
    pub facet_limit: usize,
    /// Result order.
    pub sort: SortOrder,
    /// Zero-based page number.
    pub page: usize,
    /// Hits per page.
    pub page_size: usize,
}

impl SearchRequest {
    /// A consortium-wide search for `query` with every facet, 20 hits a page.
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            fielded: Vec::new(),
            view: None,
            filters: Vec::new(),
            facets: FacetField::ALL.to_vec(),
            facet_limit: 50,
            sort: SortOrder::Relevance,
            page: 0,
            page_size: 20,
        }
    }
}

/// The items of one member in a hit, as the viewer may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberHoldings {
    /// The member's code.
    pub member: String,
    /// Visible items.
    pub total: u32,
    /// Visible items on the shelf now.
    pub available: u32,
    /// The same by branch, in branch code order.
    pub branches: Vec<BranchHoldings>,
}

/// The items of one branch in a hit, as the viewer may see them: where to find one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchHoldings {
    /// The branch's code.
    pub branch: String,
    /// Visible items.
    pub total: u32,
    /// Visible items on the shelf now.
    pub available: u32,
    /// The call number of its first copy on the shelf, or of its first copy when none is; none
    /// when that copy has no call number of its own.
    pub call_number: Option<String>,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// The bib's store id.
    pub bib_id: i64,
    /// Display title.
    pub title: String,
    /// Main author.
    pub author: Option<String>,
    /// Publication year.
    pub year: Option<i64>,
    /// Format code.
    pub format: String,
    /// The MARC code of the language it is in (008/35-37), when the record says.
    pub language: Option<String>,
    /// Visible holdings by member; the viewing member first, then by code.
    pub holdings: Vec<MemberHoldings>,
    /// When the bib, or its newest copy every member may see, was added (Unix seconds); in a
    /// search sorted by [`SortOrder::Added`] with one member selected, when that member added
    /// its newest copy.
    pub added: Option<i64>,
}

/// One facet value and the exact number of matching bibs that have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    /// The value.
    pub value: String,
    /// How many matching bibs have it.
    pub count: u64,
    /// For the holdings facets (member, branch, available now): how many copies of the
    /// matching bibs the viewer may see give the value (at that member or branch, or on the
    /// shelf there); `None` for the others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copies: Option<u64>,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResponse {
    /// The exact number of matching bibs.
    pub total: u64,
    /// The requested page of hits.
    pub hits: Vec<SearchHit>,
    /// For each requested facet, values by descending count (ties by value), up to the limit.
    pub facets: BTreeMap<FacetField, Vec<FacetCount>>,
    /// For a search that found next to nothing, the query spelled as the catalogue spells its
    /// words, when that finds more in the same view with the same narrowing.
    pub suggestion: Option<Suggestion>,
}

/// "Did you mean": a query with its unknown or rare words replaced by the catalogue's most
/// common words one or two edits away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The query text to search for instead.
    pub query: String,
    /// How many bibs it finds, in the same view with the same narrowing.
    pub total: u64,
}

/// Fields a query may name, with the boost a match there gets in a keyword search.
const DEFAULT_FIELD_BOOSTS: [(&str, Score); 5] = [
    ("title", 4.0),
    ("author", 3.0),
    ("subject", 2.0),
    ("series", 1.5),
    ("keywords", 1.0),
];

/// The boost of a bib whose title is exactly the query.
const EXACT_TITLE_BOOST: Score = 20.0;
/// The boost of a bib the viewing member holds, in that member's view: large enough to put
/// all of them before other members' bibs, ranked by relevance within each group.
const OWN_MEMBER_BOOST: Score = 1000.0;

impl SearchIndex {
    /// Runs a search.
    ///
    /// The query language is tantivy's: words (all must match), `field:word` with the fields
    /// `title`, `author`, `subject`, `series`, `isbn`, `issn`, `callnumber`, `publisher`,
    /// `"phrases"`, `AND`, `OR`, `NOT`, `-word`, `+word` and parentheses. Unparseable parts
    /// are dropped rather than failing, as a patron's typing should never give an error page.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, SearchError> {
        self.search_with(request, Evaluation::Fastest)
    }

    /// [`SearchIndex::search`] by the given evaluation.
    pub fn search_with(
        &self,
        request: &SearchRequest,
        evaluation: Evaluation,
    ) -> Result<SearchResponse, SearchError> {
        let mut response = self.search_without_suggestion(request, evaluation)?;
        if response.total < crate::spelling::SUGGEST_BELOW {
            response.suggestion = self.suggestion(request, response.total)?;
        }
        Ok(response)
    }

    /// A better spelling of the request's query that finds more than `found` bibs with the
    /// request's view and narrowing, if there is one.
    fn suggestion(
        &self,
        request: &SearchRequest,
        found: u64,
    ) -> Result<Option<Suggestion>, SearchError> {
        let searcher = self.generation().searcher.clone();
        let mut analyzer = crate::index::folded_analyzer();
        let fields = crate::spelling::SpellingFields {
            words: self.fields.spelling,
            spelt: vec![self.fields.title_display, self.fields.author_display],
        };
        let Some(query) =
            crate::spelling::corrected_query(&searcher, &fields, &mut analyzer, &request.query)?
        else {
            return Ok(None);
        };
        let counted = SearchRequest {
            query,
            facets: Vec::new(),
            page: 0,
            page_size: 1,
            ..request.clone()
        };
        let total = self
            .search_without_suggestion(&counted, Evaluation::Fastest)?
            .total;
        Ok((total > found).then_some(Suggestion {
            query: counted.query,
            total,
        }))
    }

    fn search_without_suggestion(
        &self,
        request: &SearchRequest,
        evaluation: Evaluation,
    ) -> Result<SearchResponse, SearchError> {
        let composed;
        let request = match composed_request(request) {
            Some(changed) => {
                composed = changed;
                &composed
            }
            None => request,
        };
        let page_size = request.page_size.max(1);
        if request.page.saturating_add(1).saturating_mul(page_size) > MAX_RESULT_WINDOW {
            return Err(SearchError::BeyondResultWindow(MAX_RESULT_WINDOW));
        }
        let query = self.build_query(request);
        let generation = self.generation();
        let searcher = &generation.searcher;
        let view = request.view.as_ref().map(Code::as_str);
        let mut facet_ordinals = Vec::with_capacity(request.facets.len());
        // The headings of the browse lists are filters only: nothing to count them by.
        for facet in request.facets.iter().filter(|facet| facet.is_counted()) {
            let ordinals =
                generation
                    .facet_ordinals
                    .get(searcher, &self.dense_columns, *facet, view)?;
            facet_ordinals.push((*facet, ordinals));
        }
        let facets = FacetCounter {
            facets: facet_ordinals,
        };
        let visible = self
            .visibility
            .segment_sets(searcher, self.fields.visible_to, view)?;
        let top = TopDocs::with_limit(page_size).and_offset(request.page * page_size);
        // Recently added among the titles of one member: by when that member added them.
        let by_member_added = match request
            .filters
            .iter()
            .filter(|(facet, _)| *facet == FacetField::Member)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [(_, member)] if request.sort == SortOrder::Added => {
                Some(ByMemberAdded::new(member, view))
            }
            _ => None,
        };
        let plain = match (request.sort, evaluation) {
            (SortOrder::Relevance, Evaluation::Fastest) => self.plain_query(request),
            _ => None,
        };
        let (total, addresses, facet_counts) = match (request.sort, plain) {
            (SortOrder::Relevance, Some(plain)) => {
                let wanted = request.page.saturating_add(1).saturating_mul(page_size);
                let broad = crate::broad_words::Asked {
                    words: &self.broad_words,
                    view,
                };
                let (total, best, facet_counts) = crate::windowed::search(
                    searcher,
                    &self.parallelism,
                    &plain,
                    &visible,
                    &facets,
                    wanted,
                    Some(&broad),
                )?;
                let addresses = best
                    .into_iter()
                    .skip(request.page.saturating_mul(page_size))
                    .map(|(_, _, address)| address)
                    .collect();
                (total, addresses, facet_counts)
            }
            // Every order ends in the bib id, so that bibs with equal keys come in the same
            // order whatever segments merges put them in, on every server.
            (SortOrder::Relevance, None) => self.counted_top(
                searcher,
                query.as_ref(),
                &visible,
                top.order_by(((SortBySimilarityScore, Order::Desc), by_bib_id())),
                &facets,
            )?,
            (SortOrder::Title, _) => self.counted_top(
                searcher,
                query.as_ref(),
                &visible,
                top.order_by((
                    (SortByString::for_field("title_sort"), Order::Asc),
                    by_bib_id(),
                )),
                &facets,
            )?,
            (SortOrder::Author, _) => self.counted_top(
                searcher,
                query.as_ref(),
                &visible,
                top.order_by((
                    (SortByString::for_field("author_sort"), Order::Asc),
                    by_bib_id(),
                )),
                &facets,
            )?,
            (SortOrder::Date, _) => self.counted_top(
                searcher,
                query.as_ref(),
                &visible,
                top.order_by((
                    (SortByStaticFastValue::<i64>::for_field("year"), Order::Desc),
                    by_bib_id(),
                )),
                &facets,
            )?,
            // Among one member's titles, by when it added its newest copy ("new at our
            // library"); the newer bib first of those added in the same second.
            (SortOrder::Added, _) => match &by_member_added {
                Some(by_member) => self.counted_top(
                    searcher,
                    query.as_ref(),
                    &visible,
                    top.order_by((
                        (by_member.clone(), Order::Desc),
                        (
                            SortByStaticFastValue::<i64>::for_field(crate::index::BIB_ID),
                            Order::Desc,
                        ),
                    )),
                    &facets,
                )?,
                // The newer bib first of those added in the same second (ids grow with time).
                None => self.counted_top(
                    searcher,
                    query.as_ref(),
                    &visible,
                    top.order_by((
                        (
                            SortByStaticFastValue::<i64>::for_field(crate::index::ADDED),
                            Order::Desc,
                        ),
                        (
                            SortByStaticFastValue::<i64>::for_field(crate::index::BIB_ID),
                            Order::Desc,
                        ),
                    )),
                    &facets,
                )?,
            },
        };
        let mut hits = Vec::with_capacity(addresses.len());
        for address in addresses {
            let document: TantivyDocument = searcher.doc(address)?;
            let mut hit = self.hit(&document, request.view.as_ref());
            // In the member's order, when the member added it.
            if let Some(by_member) = &by_member_added {
                hit.added = by_member.added(searcher, address)?;
            }
            hits.push(hit);
        }
        Ok(SearchResponse {
            total: total as u64,
            hits,
            facets: top_values(&facets, facet_counts, request.facet_limit),
            suggestion: None,
        })
    }

    /// The exact total, the top hits in `order` and the facet counts, in one pass over the
    /// matches.
    pub(crate) fn counted_top<K, T, F>(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        visible: &[Arc<BitSet>],
        order: T,
        facets: &F,
    ) -> Result<(usize, Vec<DocAddress>, F::Fruit), SearchError>
    where
        T: Collector<Fruit = Vec<(K, DocAddress)>>,
        F: Collector + Clone,
    {
        let (total, top, facets) =
            self.search_in_parallel(searcher, query, visible, &(Count, order, facets.clone()))?;
        Ok((total, addresses_of(top), facets))
    }

    fn search_in_parallel<C: Collector>(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        visible: &[Arc<BitSet>],
        collector: &C,
    ) -> Result<C::Fruit, SearchError> {
        Ok(crate::parallel::search(
            searcher,
            &self.parallelism,
            query,
            visible,
            collector,
        )?)
    }

    fn build_query(&self, request: &SearchRequest) -> Box<dyn Query> {
        let fields = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();

        let text = request.query.trim();
        if !text.is_empty() {
            clauses.push((Occur::Must, self.parse_user_query(text)));
            if let Some(exact) = exact_title_candidate(text) {
                let term = Term::from_field_text(fields.title_exact, &exact);
                let exact_title = TermQuery::new(term, IndexRecordOption::Basic);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(exact_title), EXACT_TITLE_BOOST)),
                ));
            }
        }
        for (field, value) in &request.fielded {
            let fielded = format!("{field}:({value})");
            clauses.push((Occur::Must, self.parse_user_query(&fielded)));
        }
        if clauses.iter().all(|(occur, _)| *occur != Occur::Must) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }

        let view = request.view.as_ref().map(Code::as_str);
        // Which bibs the viewer may see (those with an item the viewer may see, or no items at
        // all) is not a query clause: the search tests each match against the view's cached
        // set (see `crate::visibility`).

        for terms in self.selection_terms(request) {
            clauses.push((Occur::Must, filter(any_term(terms.into_iter()))));
        }

        if view.is_some() {
            let own = any_term(self.own_member_terms(request).into_iter());
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(ConstScoreQuery::new(own, 1.0)),
                    OWN_MEMBER_BOOST,
                )),
            ));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// Per selected facet, the terms of which a match must have one: values of one facet are
    /// ORed, facets ANDed; holdings values as any viewer of the view may see them.
    fn selection_terms(&self, request: &SearchRequest) -> Vec<Vec<Term>> {
        let viewers = crate::visibility::viewers(request.view.as_ref().map(Code::as_str));
        let mut selections: BTreeMap<FacetField, Vec<&str>> = BTreeMap::new();
        for (facet, value) in &request.filters {
            selections.entry(*facet).or_default().push(value);
        }
        selections
            .into_iter()
            .map(|(facet, values)| {
                let field = self.facet_index_field(facet);
                if facet.depends_on_view() {
                    values
                        .iter()
                        .flat_map(|value| {
                            viewers.iter().map(move |viewer| {
                                Term::from_field_text(field, &format!("{viewer}:{value}"))
                            })
                        })
                        .collect()
                } else if facet == FacetField::FilingTitle {
                    // Folded as the index folds titles for sorting.
                    values
                        .iter()
                        .map(|value| Term::from_field_text(field, &normalised_key(value)))
                        .collect()
                } else if !facet.is_counted() {
                    // A heading is its browse term.
                    values
                        .iter()
                        .map(|value| crate::browse::heading_filter_term(field, value))
                        .collect()
                } else if facet == FacetField::Language {
                    // The index holds each language by its current code: `fra` finds `fre`.
                    values
                        .iter()
                        .map(|value| Term::from_field_text(field, &current_code(value)))
                        .collect()
                } else {
                    values
                        .iter()
                        .map(|value| Term::from_field_text(field, value))
                        .collect()
                }
            })
            .collect()
    }

    /// The holdings terms of the viewing member's own bibs (none in the consortium view).
    fn own_member_terms(&self, request: &SearchRequest) -> Vec<Term> {
        let Some(member) = request.view.as_ref().map(Code::as_str) else {
            return Vec::new();
        };
        crate::visibility::viewers(Some(member))
            .iter()
            .map(|viewer| {
                Term::from_field_text(self.fields.holding_member, &format!("{viewer}:{member}"))
            })
            .collect()
    }

    /// The request as a [`PlainQuery`] when it is plain words (letters and digits, no field
    /// names, quotes or operators) each of one token in every keyword field, sorted by
    /// relevance, without advanced-search fields: the searches the windowed evaluation runs.
    pub(crate) fn plain_query(&self, request: &SearchRequest) -> Option<PlainQuery> {
        if !request.fielded.is_empty() {
            return None;
        }
        let text = request.query.trim();
        let fields = self.default_fields();
        let mut words = Vec::new();
        for word in text.split_whitespace() {
            // One word as the index cuts words: letters and digits, with any marks after them.
            let one_word = word.chars().next().is_some_and(char::is_alphanumeric)
                && word.chars().all(crate::words::continues_word);
            if matches!(word, "AND" | "OR" | "NOT") || !one_word {
                return None;
            }
            let mut terms = Vec::new();
            for (field, boost) in &fields {
                let tokens = self.tokens(*field, word).ok()?;
                match tokens.as_slice() {
                    [] => {}
                    [token] => terms.push(ScoredTerm {
                        term: Term::from_field_text(*field, token),
                        boost: *boost,
                        record: IndexRecordOption::WithFreqs,
                    }),
                    // Several tokens make a phrase.
                    _ => return None,
                }
            }
            if terms.is_empty() {
                return None;
            }
            words.push(terms);
        }
        if words.is_empty() {
            return None;
        }
        let exact_title = exact_title_candidate(text).map(|exact| ScoredTerm {
            term: Term::from_field_text(self.fields.title_exact, &exact),
            boost: EXACT_TITLE_BOOST,
            record: IndexRecordOption::Basic,
        });
        Some(PlainQuery {
            words,
            exact_title,
            own_member: self.own_member_terms(request),
            own_member_boost: OWN_MEMBER_BOOST,
            filters: self.selection_terms(request),
        })
    }

    /// The tokens `field`'s analyzer makes of `text`.
    pub(crate) fn tokens(&self, field: Field, text: &str) -> Result<Vec<String>, SearchError> {
        let mut analyzer = self.index.tokenizer_for_field(field)?;
        let mut tokens = Vec::new();
        analyzer
            .token_stream(text)
            .process(&mut |token| tokens.push(token.text.clone()));
        Ok(tokens)
    }

    /// The fields a keyword search looks in, with their boosts.
    fn default_fields(&self) -> Vec<(Field, Score)> {
        let schema = self.index.schema();
        DEFAULT_FIELD_BOOSTS
            .iter()
            .filter_map(|(name, boost)| schema.get_field(name).ok().map(|field| (field, *boost)))
            .chain(
                self.fields
                    .keywords_by_language
                    .iter()
                    .map(|(_, field)| (*field, 1.0)),
            )
            .collect()
    }

    fn parse_user_query(&self, text: &str) -> Box<dyn Query> {
        let default_fields = self.default_fields();
        let mut parser = QueryParser::for_index(
            &self.index,
            default_fields.iter().map(|(field, _)| *field).collect(),
        );
        parser.set_conjunction_by_default();
        for (field, boost) in default_fields {
            parser.set_field_boost(field, boost);
        }
        let rewritten = not_as_exclusion(&normalise_identifiers(text));
        let (query, errors) = parser.parse_query_lenient(&rewritten);
        if !errors.is_empty() {
            tracing::debug!(query = text, errors = ?errors, "parts of a search query were ignored");
        }
        query
    }

    fn facet_index_field(&self, facet: FacetField) -> Field {
        let fields = &self.fields;
        match facet {
            FacetField::Format => fields.format,
            FacetField::Language => fields.language,
            FacetField::Decade => fields.decade,
            FacetField::Subject => fields.subject_facet,
            FacetField::Author => fields.author_facet,
            FacetField::Member => fields.holding_member,
            FacetField::Branch => fields.holding_branch,
            FacetField::AvailableNow => fields.available_now,
            FacetField::Audience => fields.audience,
            FacetField::SubjectHeading => fields.subject_browse,
            FacetField::SeriesHeading => fields.series_browse,
            FacetField::FilingTitle => fields.title_browse,
        }
    }

    pub(crate) fn hit(&self, document: &TantivyDocument, view: Option<&Code>) -> SearchHit {
        let fields = &self.fields;
        let text = |field: Field| {
            document
                .get_first(field)
                .and_then(|value| value.as_str().map(str::to_owned))
        };
        let number = |field: Field| document.get_first(field).and_then(|value| value.as_i64());
        let mut by_member: BTreeMap<String, MemberHoldings> = BTreeMap::new();
        let mut by_branch: BTreeMap<(String, String), BranchHoldings> = BTreeMap::new();
        let shown = document
            .get_all(fields.holdings_display)
            .filter_map(|value| value.as_str().and_then(crate::index::holding_from_display))
            .filter(|holding| holding.is_visible_in(view));
        for holding in shown {
            let member = holding.member.to_string();
            let available = u32::from(holding.is_available());
            let entry = by_member
                .entry(member.clone())
                .or_insert_with(|| MemberHoldings {
                    member: member.clone(),
                    total: 0,
                    available: 0,
                    branches: Vec::new(),
                });
            entry.total += 1;
            entry.available += available;
            let branch = by_branch
                .entry((member, holding.branch.to_string()))
                .or_insert_with(|| BranchHoldings {
                    branch: holding.branch.to_string(),
                    total: 0,
                    available: 0,
                    call_number: None,
                });
            // The first copy's call number, until a copy on the shelf gives its own.
            if branch.total == 0 || (available == 1 && branch.available == 0) {
                branch.call_number = holding.call_number;
            }
            branch.total += 1;
            branch.available += available;
        }
        for ((member, _), branch) in by_branch {
            if let Some(holdings) = by_member.get_mut(&member) {
                holdings.branches.push(branch);
            }
        }
        let mut holdings: Vec<MemberHoldings> = by_member.into_values().collect();
        holdings.sort_by_key(|holding| view.is_none_or(|code| code.as_str() != holding.member));
        SearchHit {
            bib_id: number(fields.bib_id).unwrap_or_default(),
            title: text(fields.title_display).unwrap_or_default(),
            author: text(fields.author_display),
            year: number(fields.year),
            format: text(fields.format).unwrap_or_default(),
            language: text(fields.language),
            holdings,
            added: number(fields.added),
        }
    }
}

/// The last key of every order: the bib id, lowest first.
pub(crate) fn by_bib_id() -> (SortByStaticFastValue<i64>, Order) {
    (
        SortByStaticFastValue::for_field(crate::index::BIB_ID),
        Order::Asc,
    )
}

fn addresses_of<K>(top: Vec<(K, DocAddress)>) -> Vec<DocAddress> {
    top.into_iter().map(|(_, address)| address).collect()
}

/// A query matching documents with any of the terms.
pub(crate) fn any_term(terms: impl Iterator<Item = Term>) -> Box<dyn Query> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .map(|term| {
            let query: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::Basic));
            (Occur::Should, query)
        })
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

/// A restriction that does not change scores.
fn filter(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, 0.0))
}

/// The normalised query when it is plain words (no fields, quotes or operators), so that a
/// bib with exactly that title can be put first.
fn exact_title_candidate(text: &str) -> Option<String> {
    let has_syntax = text.contains([':', '"', '(', ')', '[', ']', '{', '}', '^', '*'])
        || text
            .split_whitespace()
            .any(|word| matches!(word, "AND" | "OR" | "NOT") || word.starts_with(['-', '+']));
    if has_syntax {
        return None;
    }
    Some(normalised_key(text)).filter(|key| !key.is_empty())
}

/// The request with its texts composed (Unicode NFC) as the documents' texts are, when some
/// were not: a search pasted from a decomposed source ("Que\u{301}bec") must find what the
/// same words typed on a keyboard find.
fn composed_request(request: &SearchRequest) -> Option<SearchRequest> {
    let decomposed = |text: &str| is_nfc_quick(text.chars()) != IsNormalized::Yes;
    let any_decomposed =
        decomposed(&request.query) || request.fielded.iter().any(|(_, value)| decomposed(value));
    any_decomposed.then(|| SearchRequest {
        query: request.query.nfc().collect(),
        fielded: request
            .fielded
            .iter()
            .map(|(field, value)| (field.clone(), value.nfc().collect()))
            .collect(),
        ..request.clone()
    })
}

/// Removes hyphens and spaces inside `isbn:` and `issn:` values, which are indexed bare.
fn normalise_identifiers(text: &str) -> String {
    let mut result = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = ["isbn:", "issn:"]
        .iter()
        .filter_map(|prefix| rest.find(prefix).map(|at| at + prefix.len()))
        .min()
    {
        let (before, after) = rest.split_at(position);
        result.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || c == ')')
            .unwrap_or(after.len());
        let (value, tail) = after.split_at(end);
        result.extend(value.chars().filter(|c| *c != '-'));
        rest = tail;
    }
    result.push_str(rest);
    result
}

/// Writes `NOT word` as `-word`: tantivy's grammar reads `a AND NOT b` as "a and (nothing)",
/// while patrons (and Lucene) mean "a but not b".
fn not_as_exclusion(text: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut negate_next = false;
    for word in text.split_whitespace() {
        if word == "NOT" {
            negate_next = true;
            continue;
        }
        if negate_next {
            words.push(format!("-{word}"));
            negate_next = false;
        } else {
            words.push(word.to_owned());
        }
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_lose_their_hyphens() {
        assert_eq!(
            normalise_identifiers("isbn:0-596-52068-9 rust"),
            "isbn:0596520689 rust"
        );
        assert_eq!(
            normalise_identifiers("(issn:0317-847X OR title:x-y)"),
            "(issn:0317847X OR title:x-y)"
        );
        assert_eq!(normalise_identifiers("no identifiers"), "no identifiers");
    }

    #[test]
    fn not_becomes_exclusion() {
        assert_eq!(
            not_as_exclusion("piano AND NOT violin"),
            "piano AND -violin"
        );
        assert_eq!(not_as_exclusion("NOT (a OR b) c"), "-(a OR b) c");
        assert_eq!(not_as_exclusion("knot not NOT"), "knot not");
    }

    #[test]
    fn exact_title_only_for_plain_words() {
        assert_eq!(
            exact_title_candidate("The Lovely Bones").as_deref(),
            Some("the lovely bones")
        );
        assert_eq!(exact_title_candidate("title:bones"), None);
        assert_eq!(exact_title_candidate("\"lovely bones\""), None);
        assert_eq!(exact_title_candidate("bones -lovely"), None);
        assert_eq!(exact_title_candidate("bones OR skulls"), None);
        assert_eq!(exact_title_candidate("!!"), None);
    }

    #[test]
    fn decomposed_queries_are_composed_and_others_left_alone() {
        let mut request = SearchRequest::new("Que\u{301}bec");
        request
            .fielded
            .push(("author".into(), "Mu\u{308}ller".into()));
        let composed = composed_request(&request).unwrap();
        assert_eq!(composed.query, "Qu\u{e9}bec");
        assert_eq!(
            composed.fielded,
            [("author".to_string(), "M\u{fc}ller".to_string())]
        );
        assert!(composed_request(&SearchRequest::new("Qu\u{e9}bec")).is_none());
    }

    #[test]
    fn facet_names_round_trip() {
        for facet in FacetField::filters() {
            assert_eq!(FacetField::from_name(facet.name()), Some(facet));
            // Only the facets searches count are counted; the headings are filters only.
            assert_eq!(facet.is_counted(), FacetField::ALL.contains(&facet));
        }
        assert_eq!(FacetField::filters().count(), 12);
        assert_eq!(FacetField::from_name("colour"), None);
    }
}
