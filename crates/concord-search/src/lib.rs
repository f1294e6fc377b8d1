//! Catalogue search for the whole consortium: a tantivy index of bib documents with exact
//! totals and facet counts, fielded queries, and member views that respect item visibility.
//!
//! * [`document`] turns a MARC record and its items into a [`BibDocument`] (pure).
//! * [`index`] holds the schema and the [`Indexer`] that adds, replaces and deletes documents.
//! * [`searcher`] runs a [`SearchRequest`] and returns a [`SearchResponse`].
//! * `words` cuts text into the index's words, keeping combining marks inside their word.
//! * `facets` counts facet values exactly by term ordinals, for the searcher.
//! * `visibility` keeps which bibs each view may see, per segment.
//! * `parallel` spreads one search over the cores by document ranges.
//! * `windowed` evaluates plain keyword searches a window of documents at a time, and
//!   `shared_pass` takes the searches that run at the same time through one pass.
//! * [`browse`] lists authors, subjects and series in alphabetical order with exact counts.
//! * `spelling` suggests a better spelling for a search that finds next to nothing.
//! * [`description`] says what a record page shows of a record beyond its searchable fields:
//!   notes, contents, summaries, links online (pure).
//! * [`styles`] cites a bib in APA, MLA and Chicago style (pure).
//! * [`citation`] writes a bib as RIS or BibTeX.
//! * [`bench`] generates a large synthetic catalogue from real records, for the benchmark.
//!
//! **Boundary:** no SQL and no HTTP here. The caller feeds documents in (from the store's change
//! log) and exposes searches over its own transports.

pub mod bench;
mod broad_words;
pub mod browse;
pub mod citation;
pub mod description;
pub mod document;
mod editions;
mod facets;
pub mod index;
mod listing;
mod member_added;
mod parallel;
pub mod searcher;
mod segment_cache;
mod shared_pass;
mod spelling;
pub mod styles;
mod visibility;
mod windowed;
mod words;

pub use broad_words::BroadWordCounts;
pub use browse::{
    BrowseFrom, BrowsePage, BrowseRequest, BrowsedHeading, HeadingKind, SuggestedTitle,
};
pub use description::{Description, describe, remove_private};
pub use document::{
    BibDocument, CitedName, Holding, MemberAdded, NameKind, NameRole, document_from_record,
    document_from_summary, title_in_own_script,
};
pub use index::{Indexer, SearchError, SearchIndex};
pub use searcher::{
    AVAILABLE, BranchHoldings, Evaluation, FacetCount, FacetField, MAX_RESULT_WINDOW,
    MemberHoldings, SearchHit, SearchRequest, SearchResponse, SortOrder, Suggestion,
};
pub use shared_pass::{PassSharing, SharedPassCounts};

#[cfg(test)]
mod catalogue_tests;
