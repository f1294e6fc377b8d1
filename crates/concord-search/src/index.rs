//! The tantivy schema, its analyzers, and the index handle that adds, replaces and deletes
//! bib documents.
//!
//! **Invariant:** a bib is one tantivy document, keyed by `bib_id`; `upsert` deletes the old
//! document by that key before adding the new one, so after a commit there is at most one.
//!
//! Holdings-dependent facet values (member, branch, available now) are indexed as
//! `VIEWER:VALUE`, where VIEWER is `*` for items everyone may see and the owning member's code
//! for items kept out of other members' views. A search in member M's view counts and matches
//! only values whose viewer is `*` or `M`, which is how hidden items stay invisible to other
//! members without one index per member. Each also goes, with the number of the bib's copies
//! that give it, into a column of `VIEWER:VALUE:COPIES`, from which the facets count bibs and
//! copies at once (see [`crate::facets`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tantivy::directory::MmapDirectory;
use tantivy::merge_policy::LogMergePolicy;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, Stemmer, TextAnalyzer,
};
use tantivy::{
    Executor, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, SegmentReader,
    TantivyDocument, Term,
};

use crate::broad_words::BroadWords;
use crate::browse::{browse_term, series_title};
use crate::document::{BibDocument, Holding};
use crate::facets::{DenseColumnCache, FacetOrdinalCache, dense_column_bytes};
use crate::parallel::{MIN_RANGE_DOCS, Parallelism};
use crate::searcher::FacetField;
use crate::shared_pass::PassSharing;
use crate::visibility::VisibilityCache;
use crate::words::{DiacriticFolder, WordTokenizer};
use concord_domain::codes::Code;

/// What can go wrong opening, writing or searching the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy reported an error (I/O, corrupt index, bad query structure).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory could not be opened.
    #[error("search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    /// The files of an index made by another version could not be removed.
    #[error("search index files: {0}")]
    Files(#[from] std::io::Error),
    /// The page asked for lies beyond the results a search pages through.
    #[error("only the first {0} results of a search can be paged to")]
    BeyondResultWindow(usize),
}

/// The prefix of the commit payload that records the applied change-log sequence number.
const CHANGE_SEQ_PAYLOAD: &str = "change_seq=";

/// What the documents of this version hold; saved with every commit beside the sequence number.
/// An index whose documents were made by another version counts as having applied nothing, so
/// the change-log follower remakes every document (a rebuild does the same at once). Raise it
/// whenever [`tantivy_document`] indexes something new. Version 2 added the format's words;
/// version 3 indexes texts composed (NFC), so accented words of MARC-8 records are whole;
/// version 4 cuts words with [`crate::words`], keeping combining marks inside their word and
/// folding diacritics a letter has no composed form for, and Greek final sigma; version 5 keeps
/// the full stop of an initial that more punctuation follows ("Smith, J.," is "Smith, J.");
/// version 6 folds the vowel points of Hebrew and Arabic and Arabic's tatweel, and adds the
/// words spelling suggestions come from; version 7 indexes the fields a record gives in their
/// own script (880s) and cuts Chinese, Japanese and Korean text into pairs of characters;
/// version 8 into each character and each pair in turn; version 9 also pairs two such
/// characters with only spaces between them; version 10 cuts Thai, Lao, Khmer and Burmese
/// the same way; version 11 holds when a bib or its newest copy was added; version 12 the keys
/// that tie the editions of a work together; version 13 those of its uniform title (240, 130)
/// too, which ties a translation to its original; version 14 every language of the text (041),
/// each as its current MARC code; version 15 the headings patrons browse; version 16 subject
/// headings with a name's parts together ("Lincoln, Abraham, 1809-1865 -- Assassination")
/// and without their relator or relationship subfields (`$e`, `$i`), and when each member
/// added its newest copy; version 17 each copy's call number for the results list; version 18
/// the members with a copy on the shelf now; version 19 the other titles a bib files under;
/// version 20 how many copies give a bib each holdings value.
const DOCUMENTS_VERSION: u32 = 20;

/// The change-log sequence number of the index's last commit, as its payload records it.
fn committed_change_seq(index: &Index) -> Result<i64, SearchError> {
    let metas = index.load_metas()?;
    Ok(metas
        .payload
        .as_deref()
        .and_then(applied_in_payload)
        .unwrap_or(0))
}

/// The payload part that records [`DOCUMENTS_VERSION`].
const DOCUMENTS_PAYLOAD: &str = " documents=";

/// The viewer marker for values every member may see.
pub(crate) const EVERYONE: &str = "*";

/// The field of each document's bib id, which also breaks ties between equal sort keys.
pub(crate) const BIB_ID: &str = "bib_id";

/// The field of when a bib or its newest copy was added, which "recently added" sorts by.
pub(crate) const ADDED: &str = "added";

/// The field of when each member holding copies of a bib added its newest (a JSON object:
/// `{"SHIRE": {"all": seconds, "own": seconds}}`), which "recently added" sorts by among one
/// member's titles. `all` is its newest copy every member may see; `own` its newest of all, given
/// only when that is a copy it keeps back (newer than `all`, or the only kind it has), as few
/// are. Each member's times are fast columns of their own, read by their paths (see
/// [`member_added_columns`]).
pub(crate) const MEMBER_ADDED: &str = "member_added";

/// The columns of when `member` added its newest copy, as `viewer` may know it: the newest of
/// both in the member's own view, else only the copies every member may see.
pub(crate) fn member_added_columns(member: &str, viewer: Option<&str>) -> Vec<String> {
    let all = format!("{MEMBER_ADDED}.{member}.all");
    if viewer == Some(member) {
        vec![all, format!("{MEMBER_ADDED}.{member}.own")]
    } else {
        vec![all]
    }
}

/// Languages with their own stemmed keyword field, by MARC language code. Every record is
/// also in the English-stemmed `keywords` field, English being the catalogue's main language.
pub(crate) const STEMMED_LANGUAGES: [(&str, &str, Language); 4] = [
    ("fre", "keywords_fre", Language::French),
    ("ger", "keywords_ger", Language::German),
    ("spa", "keywords_spa", Language::Spanish),
    ("ita", "keywords_ita", Language::Italian),
];

/// The fields of the schema, looked up once.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub bib_id: Field,
    pub title: Field,
    pub title_exact: Field,
    pub work: Field,
    pub title_sort: Field,
    /// Every title a bib files under: its own (as `title_sort`) and its other titles
    /// ([`BibDocument::filed_titles`]); what the title browse list reads and `filing_title`
    /// finds.
    pub title_browse: Field,
    /// Each other title's filing form and the title as written, `KEY\u{1}TITLE`, to name a
    /// title browsed under it.
    pub title_variants: Field,
    pub author: Field,
    pub author_sort: Field,
    pub subject: Field,
    pub series: Field,
    pub isbn: Field,
    pub issn: Field,
    pub callnumber: Field,
    pub publisher: Field,
    pub keywords: Field,
    pub keywords_by_language: Vec<(&'static str, Field)>,
    pub year: Field,
    pub added: Field,
    pub member_added: Field,
    pub title_display: Field,
    pub author_display: Field,
    pub holdings_display: Field,
    pub format: Field,
    pub language: Field,
    pub decade: Field,
    pub subject_facet: Field,
    pub author_facet: Field,
    pub audience: Field,
    pub visible_to: Field,
    pub holding_member: Field,
    pub holding_branch: Field,
    pub available_now: Field,
    /// The holdings facets' values with how many of the bib's copies have each, for counting
    /// titles and copies at once (see [`copies_value`]); columns only.
    pub holding_member_copies: Field,
    pub holding_branch_copies: Field,
    pub available_now_copies: Field,
    pub spelling: Field,
    /// The headings patrons browse, each as one term that sorts it (see [`crate::browse`]).
    pub author_browse: Field,
    pub subject_browse: Field,
    pub series_browse: Field,
}

const ANALYZER_ENGLISH: &str = "concord_en";
const ANALYZER_FOLDED: &str = "concord_folded";
const ANALYZER_IDENTIFIER: &str = "concord_identifier";

fn text_field(analyzer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let facet = STRING | FAST;
    let keywords_by_language = STEMMED_LANGUAGES
        .iter()
        .map(|(code, name, _)| (*code, builder.add_text_field(name, text_field(name, false))))
        .collect();
    let fields = Fields {
        bib_id: builder.add_i64_field(BIB_ID, INDEXED | STORED | FAST),
        title: builder.add_text_field("title", text_field(ANALYZER_ENGLISH, false)),
        title_exact: builder.add_text_field("title_exact", STRING),
        work: builder.add_text_field("work", STRING),
        // For sorting only: `title_browse` holds the same terms to look up.
        title_sort: builder.add_text_field("title_sort", FAST),
        title_browse: builder.add_text_field("title_browse", STRING),
        title_variants: builder.add_text_field("title_variants", STORED),
        author: builder.add_text_field("author", text_field(ANALYZER_FOLDED, false)),
        author_sort: builder.add_text_field("author_sort", STRING | FAST),
        subject: builder.add_text_field("subject", text_field(ANALYZER_ENGLISH, false)),
        series: builder.add_text_field("series", text_field(ANALYZER_ENGLISH, false)),
        isbn: builder.add_text_field("isbn", text_field(ANALYZER_IDENTIFIER, false)),
        issn: builder.add_text_field("issn", text_field(ANALYZER_IDENTIFIER, false)),
        callnumber: builder.add_text_field("callnumber", text_field(ANALYZER_FOLDED, false)),
        publisher: builder.add_text_field("publisher", text_field(ANALYZER_FOLDED, false)),
        keywords: builder.add_text_field("keywords", text_field(ANALYZER_ENGLISH, false)),
        keywords_by_language,
        year: builder.add_i64_field("year", INDEXED | STORED | FAST),
        added: builder.add_i64_field(ADDED, STORED | FAST),
        member_added: builder.add_json_field(
            MEMBER_ADDED,
            tantivy::schema::JsonObjectOptions::default().set_fast("raw"),
        ),
        title_display: builder.add_text_field("title_display", STORED),
        author_display: builder.add_text_field("author_display", STORED),
        holdings_display: builder.add_text_field("holdings_display", STORED),
        format: builder.add_text_field("format", facet.clone() | STORED),
        // Stored too: a results page says in which language each title is (WCAG 3.1.2).
        language: builder.add_text_field("language", facet.clone() | STORED),
        decade: builder.add_text_field("decade", facet.clone()),
        subject_facet: builder.add_text_field("subject_facet", facet.clone()),
        author_facet: builder.add_text_field("author_facet", facet.clone()),
        audience: builder.add_text_field("audience", facet.clone()),
        visible_to: builder.add_text_field("visible_to", facet.clone()),
        // Terms only, for narrowing and the own-member boost: the facets count the copies
        // columns below.
        holding_member: builder.add_text_field("holding_member", STRING),
        holding_branch: builder.add_text_field("holding_branch", STRING),
        available_now: builder.add_text_field("available_now", STRING),
        holding_member_copies: builder.add_text_field("holding_member_copies", FAST),
        holding_branch_copies: builder.add_text_field("holding_branch_copies", FAST),
        available_now_copies: builder.add_text_field("available_now_copies", FAST),
        // The words spelling suggestions are taken from: folded, not stemmed; which documents
        // hold a word is all a suggestion needs.
        spelling: builder.add_text_field(
            "spelling",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(ANALYZER_FOLDED)
                    .set_index_option(IndexRecordOption::Basic)
                    .set_fieldnorms(false),
            ),
        ),
        author_browse: builder.add_text_field("author_browse", STRING),
        subject_browse: builder.add_text_field("subject_browse", STRING),
        series_browse: builder.add_text_field("series_browse", STRING),
    };
    (builder.build(), fields)
}

fn base_analyzer() -> tantivy::tokenizer::TextAnalyzerBuilder<impl tantivy::tokenizer::Tokenizer> {
    analyzer_with(WordTokenizer::default())
}

fn analyzer_with(
    words: WordTokenizer,
) -> tantivy::tokenizer::TextAnalyzerBuilder<impl tantivy::tokenizer::Tokenizer> {
    TextAnalyzer::builder(words)
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(DiacriticFolder)
        .filter(AsciiFoldingFilter)
}

fn register_analyzers(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(ANALYZER_FOLDED, base_analyzer().build());
    tokenizers.register(
        ANALYZER_ENGLISH,
        base_analyzer()
            .filter(Stemmer::new(Language::English))
            .build(),
    );
    for (_, name, language) in STEMMED_LANGUAGES {
        tokenizers.register(name, base_analyzer().filter(Stemmer::new(language)).build());
    }
    tokenizers.register(
        ANALYZER_IDENTIFIER,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

/// The analyser of the folded, unstemmed fields (`author`, `spelling`).
pub(crate) fn folded_analyzer() -> TextAnalyzer {
    base_analyzer().build()
}

/// Lower-cased, diacritic-folded words joined by single spaces: the form titles and names
/// take for sorting and for the exact-title match (`"L'Étranger!"` → `"l etranger"`). Runs of
/// Chinese, Japanese and Korean characters stay whole here, so that they sort as written.
pub fn normalised_key(text: &str) -> String {
    let mut analyzer = analyzer_with(WordTokenizer::whole_words()).build();
    let mut stream = analyzer.token_stream(text);
    let mut words: Vec<String> = Vec::new();
    stream.process(&mut |token| words.push(token.text.clone()));
    words.join(" ")
}

/// The keys that tie the editions, translations and formats of one work together: each of
/// [`BibDocument::work_titles`] (title proper, uniform title) with each name of
/// [`BibDocument::work_names`], each folded as keys are (`&` read as "and", which films and
/// their books write either way), `title|name`. A bib without a title or a name has none:
/// "Poems" alone would tie every book of poems together.
pub(crate) fn work_keys(document: &BibDocument) -> Vec<String> {
    let mut keys = Vec::new();
    for title in &document.work_titles {
        let title = normalised_key(&title.replace('&', " and "));
        if title.is_empty() {
            continue;
        }
        for name in &document.work_names {
            let name = normalised_key(name);
            if !name.is_empty() {
                let key = format!("{title}|{name}");
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    }
    keys
}

/// The exact-title keys of a title: the whole title and the part before the subtitle.
pub(crate) fn exact_title_keys(document: &BibDocument) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for title in [&document.title, &document.title_for_sorting] {
        keys.insert(normalised_key(title));
        if let Some(main) = title.split([':', '/', '=']).next() {
            keys.insert(normalised_key(main));
        }
    }
    keys.remove("");
    keys
}

/// An opened index: schema, analyzers and a reader. Cheap to share behind an `Arc`.
pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) fields: Fields,
    reader: IndexReader,
    /// What searches use now; replaced whole by [`SearchIndex::reload`].
    current: RwLock<Arc<Generation>>,
    /// One reload at a time, so that generations are published in commit order.
    reloading: Mutex<()>,
    pub(crate) dense_columns: DenseColumnCache,
    pub(crate) visibility: VisibilityCache,
    /// The threads one search may use (see [`crate::parallel`]).
    pub(crate) parallelism: Parallelism,
    /// What searches of one broad word find in each segment (see [`crate::broad_words`]).
    pub(crate) broad_words: BroadWords,
}

/// One state of the index as searches see it: a searcher over a fixed list of segments and the
/// facet ordinal maps over exactly those segments.
pub(crate) struct Generation {
    pub searcher: Searcher,
    pub facet_ordinals: FacetOrdinalCache,
    /// The change-log sequence number this searcher has applied at least: that of the commit
    /// read before the searcher was opened (the searcher sees that commit or a later one).
    pub applied_change_seq: i64,
}

/// The smallest segment size the follower's merge policy tells apart (see
/// [`SearchIndex::indexer_for_small_changes`]).
const SMALL_CHANGES_MIN_LAYER_SIZE: u32 = 100;

/// The facets whose maps a reload builds even when no search has asked for them yet: those a
/// results page shows in the consortium view.
const FACETS_BUILT_AT_RELOAD: [FacetField; 5] = [
    FacetField::Format,
    FacetField::Language,
    FacetField::Decade,
    FacetField::Subject,
    FacetField::Member,
];

/// Removes every file in `directory` (an index's own directory), leaving the directory.
fn remove_files_in(directory: &Path) -> Result<(), SearchError> {
    for entry in std::fs::read_dir(directory)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

fn segment_ids(searcher: &Searcher) -> Vec<tantivy::index::SegmentId> {
    searcher
        .segment_readers()
        .iter()
        .map(SegmentReader::segment_id)
        .collect()
}

impl SearchIndex {
    /// Opens the index in `directory` (which holds nothing else), creating it when the
    /// directory is empty. An index made with other fields, by an older version, is emptied
    /// and made anew: it then counts as having applied nothing, so the change-log follower
    /// fills it from the store as it does a new one.
    pub fn open_or_create(directory: &Path) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        let existing = MmapDirectory::open(directory)?;
        if Index::exists(&existing).map_err(tantivy::TantivyError::from)?
            && Index::open(existing)?.schema() != schema
        {
            tracing::info!(
                directory = %directory.display(),
                "the search index holds other fields than this version indexes; making it anew"
            );
            remove_files_in(directory)?;
        }
        let index = Index::open_or_create(MmapDirectory::open(directory)?, schema)?;
        SearchIndex::from_index(index, fields)
    }

    /// A throwaway index in memory, for tests and tools.
    pub fn create_in_ram() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        SearchIndex::from_index(Index::create_in_ram(schema), fields)
    }

    fn from_index(index: Index, fields: Fields) -> Result<SearchIndex, SearchError> {
        register_analyzers(&index);
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let applied_change_seq = committed_change_seq(&index)?;
        let searcher = reader.searcher();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        Ok(SearchIndex {
            index,
            fields,
            reader,
            current: RwLock::new(Arc::new(Generation {
                searcher,
                facet_ordinals: FacetOrdinalCache::default(),
                applied_change_seq,
            })),
            reloading: Mutex::new(()),
            dense_columns: DenseColumnCache::default(),
            visibility: VisibilityCache::default(),
            parallelism: Parallelism {
                executor: Executor::multi_thread(threads, "concord-search-")?,
                threads,
                min_range_docs: MIN_RANGE_DOCS,
                in_flight: Default::default(),
                shared: Default::default(),
            },
            broad_words: BroadWords::default(),
        })
    }

    /// Sets how many threads one search may use (by default one per core, at most eight).
    pub fn set_search_threads(&mut self, threads: usize) -> Result<(), SearchError> {
        let threads = threads.max(1);
        self.parallelism.executor = Executor::multi_thread(threads, "concord-search-")?;
        self.parallelism.threads = threads;
        Ok(())
    }

    /// Which plain keyword searches go through sweeps shared with the searches running beside
    /// them (see the crate's `shared_pass` module); by default those that arrive while every
    /// search thread is busy. Answers are the same whichever is chosen.
    pub fn set_pass_sharing(&self, sharing: PassSharing) {
        self.parallelism.shared.set_sharing(sharing);
    }

    /// Whether plain searches of broad words are answered from what the first such search
    /// found in each segment (see the crate's `broad_words` module); on by default. Answers are
    /// the same either way.
    pub fn set_broad_word_summaries(&mut self, enabled: bool) {
        self.broad_words.enabled = enabled;
    }

    /// What the summaries of broad words hold and have answered.
    pub fn broad_word_summaries(&self) -> crate::BroadWordCounts {
        self.broad_words.counts()
    }

    /// What the shared sweeps have done since the index was opened.
    pub fn shared_pass_counts(&self) -> crate::shared_pass::SharedPassCounts {
        self.parallelism.shared.counts()
    }

    /// The generation searches use now.
    pub(crate) fn generation(&self) -> Arc<Generation> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Bytes of the decoded facet ordinals and visible-document sets kept in memory.
    pub fn cached_bytes(&self) -> usize {
        dense_column_bytes(&self.dense_columns)
            + self.visibility.heap_bytes()
            + self.broad_words.heap_bytes()
    }

    /// A writer using `threads` indexing threads and `heap_bytes` of buffer in total.
    /// Only one writer may be open on an index at a time.
    pub fn indexer(&self, threads: usize, heap_bytes: usize) -> Result<Indexer, SearchError> {
        let writer = self
            .index
            .writer_with_num_threads(threads.max(1), heap_bytes)?;
        Ok(Indexer {
            writer,
            fields: self.fields.clone(),
        })
    }

    /// A one-thread writer for a few changes at a time, as the change-log follower makes them.
    /// Its merge policy merges small segments among themselves (sizes count from 100 documents
    /// instead of tantivy's 10,000), so the merge a commit may start rewrites a few hundred
    /// documents rather than the last merged segment of tens of thousands, which made every
    /// eighth change wait up to a second before it could be searched.
    pub fn indexer_for_small_changes(&self, heap_bytes: usize) -> Result<Indexer, SearchError> {
        let indexer = self.indexer(1, heap_bytes)?;
        let mut policy = LogMergePolicy::default();
        policy.set_min_layer_size(SMALL_CHANGES_MIN_LAYER_SIZE);
        indexer.writer.set_merge_policy(Box::new(policy));
        Ok(indexer)
    }

    /// Makes committed changes visible to searches.
    ///
    /// The facet ordinal maps of the new segments are built here, before any search sees them,
    /// for the facets and views the previous generation had been asked for and the facets of a
    /// consortium results page: the caller (the change-log follower) pays the rebuild, not the
    /// first patron to search after a change.
    pub fn reload(&self) -> Result<(), SearchError> {
        let _reloading = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Read before the reader reloads, so that the searcher holds at least this commit.
        let applied_change_seq = committed_change_seq(&self.index)?;
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let previous = self.generation();
        // Over the same segments (only deletions differ) the maps carry over; the loop below
        // then only builds what is missing, such as every map on the first reload after opening.
        let facet_ordinals = if segment_ids(&previous.searcher) == segment_ids(&searcher) {
            previous.facet_ordinals.carried_over()
        } else {
            FacetOrdinalCache::default()
        };
        let mut wanted = previous.facet_ordinals.keys();
        wanted.extend(FACETS_BUILT_AT_RELOAD.map(|facet| (facet, None)));
        wanted.sort();
        wanted.dedup();
        for (facet, view) in wanted {
            facet_ordinals.get(&searcher, &self.dense_columns, facet, view.as_deref())?;
        }
        // The consortium view's visible sets, built here for the same reason as the maps.
        self.visibility
            .segment_sets(&searcher, self.fields.visible_to, None)?;
        self.dense_columns.retain_segments_of(&searcher);
        self.visibility.retain_segments_of(&searcher);
        self.broad_words.retain_segments_of(&searcher);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(Generation {
            searcher,
            facet_ordinals,
            applied_change_seq,
        });
        Ok(())
    }

    /// Builds the facet maps and decoded ordinals of the current generation for the facets of a
    /// consortium results page, as a reload does; for a server or a tool that has just opened
    /// the index.
    pub fn warm_up(&self) -> Result<(), SearchError> {
        let generation = self.generation();
        self.visibility
            .segment_sets(&generation.searcher, self.fields.visible_to, None)?;
        for facet in FACETS_BUILT_AT_RELOAD {
            generation.facet_ordinals.get(
                &generation.searcher,
                &self.dense_columns,
                facet,
                None,
            )?;
        }
        Ok(())
    }

    /// The change-log sequence number whose changes searches see (0 for an index made by
    /// another documents version, which the follower remakes). A commit counts once a reload
    /// has made it searchable, so "applied equals the store's newest" means every change can be
    /// found.
    pub fn applied_change_seq(&self) -> Result<i64, SearchError> {
        Ok(self.generation().applied_change_seq)
    }

    /// The number of documents searches currently see.
    pub fn document_count(&self) -> u64 {
        self.generation().searcher.num_docs()
    }
}

/// Adds, replaces and deletes bib documents; nothing is visible until [`Indexer::commit`] and
/// [`SearchIndex::reload`].
pub struct Indexer {
    writer: IndexWriter<TantivyDocument>,
    fields: Fields,
}

impl Indexer {
    /// Adds the document, replacing any earlier document of the same bib.
    pub fn upsert(&mut self, document: &BibDocument) -> Result<(), SearchError> {
        self.delete(document.bib_id);
        self.add(document)
    }

    /// Adds the document without deleting an earlier one: for building a fresh index.
    pub fn add(&mut self, document: &BibDocument) -> Result<(), SearchError> {
        self.writer
            .add_document(tantivy_document(&self.fields, document))?;
        Ok(())
    }

    /// Removes the bib's document, if any.
    pub fn delete(&mut self, bib_id: i64) {
        self.writer
            .delete_term(Term::from_field_i64(self.fields.bib_id, bib_id));
    }

    /// Removes every document (before a full rebuild).
    pub fn delete_all(&mut self) -> Result<(), SearchError> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Makes the changes durable; call [`SearchIndex::reload`] to search them.
    pub fn commit(&mut self) -> Result<(), SearchError> {
        self.writer.commit()?;
        Ok(())
    }

    /// Makes the changes durable together with the change-log sequence number they reach.
    pub fn commit_with_change_seq(&mut self, seq: i64) -> Result<(), SearchError> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&format!(
            "{CHANGE_SEQ_PAYLOAD}{seq}{DOCUMENTS_PAYLOAD}{DOCUMENTS_VERSION}"
        ));
        prepared.commit()?;
        Ok(())
    }

    /// Waits for background segment merges to finish and releases the writer.
    pub fn finish(self) -> Result<(), SearchError> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

/// What [`Fields::title_variants`] stores of another title: its filing form and the title.
pub(crate) fn title_variant(key: &str, title: &str) -> String {
    format!("{key}{TITLE_VARIANT_SEPARATOR}{title}")
}

/// The title of the variant filed under `key` among a document's [`title_variant`]s.
pub(crate) fn variant_titled<'a>(
    variants: impl IntoIterator<Item = &'a str>,
    key: &str,
) -> Option<&'a str> {
    variants.into_iter().find_map(|variant| {
        let (filed, title) = variant.split_once(TITLE_VARIANT_SEPARATOR)?;
        (filed == key).then_some(title)
    })
}

const TITLE_VARIANT_SEPARATOR: char = '\u{1}';

/// Holding strings for display: `MEMBER|BRANCH|STATUS|1|CALL NUMBER` (1 = visible outside the
/// member; the call number last, and empty when the item has none of its own).
pub(crate) fn holding_display(holding: &Holding) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        holding.member,
        holding.branch,
        holding.status,
        u8::from(holding.visible_outside_member),
        holding.call_number.as_deref().unwrap_or_default()
    )
}

/// The holding a [`holding_display`] string stores; `None` for a string it did not make.
pub(crate) fn holding_from_display(line: &str) -> Option<Holding> {
    let mut parts = line.splitn(5, '|');
    let (member, branch, status, visible) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let call_number = parts.next().filter(|call_number| !call_number.is_empty());
    Some(Holding {
        member: Code::parse("member", member).ok()?,
        branch: Code::parse("branch", branch).ok()?,
        call_number: call_number.map(str::to_owned),
        status: status.to_owned(),
        visible_outside_member: visible == "1",
    })
}

/// The sequence number a commit payload records, when its documents are of this version.
fn applied_in_payload(payload: &str) -> Option<i64> {
    let (seq, version) = payload
        .strip_prefix(CHANGE_SEQ_PAYLOAD)?
        .split_once(DOCUMENTS_PAYLOAD)?;
    (version.parse::<u32>().ok()? == DOCUMENTS_VERSION)
        .then(|| seq.parse().ok())
        .flatten()
}

fn viewer_value(viewer: &str, value: &str) -> String {
    format!("{viewer}:{value}")
}

/// A holdings value as its copies column holds it: `VIEWER:VALUE:COPIES`, the number of the
/// bib's copies that give it the value (codes hold no `:`, so the last one parts the number).
pub(crate) fn copies_value(viewer_value: &str, copies: u32) -> String {
    format!("{viewer_value}:{copies}")
}

/// A `VALUE:COPIES` part of a copies column's term: the value and the number of copies.
pub(crate) fn parse_copies(value_copies: &str) -> Option<(&str, u32)> {
    let (value, copies) = value_copies.rsplit_once(':')?;
    Some((value, copies.parse().ok()?))
}

fn tantivy_document(fields: &Fields, document: &BibDocument) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_i64(fields.bib_id, document.bib_id);
    doc.add_text(fields.title, &document.title);
    doc.add_text(fields.title_display, &document.title);
    for title in &document.other_titles {
        doc.add_text(fields.title, title);
    }
    for key in exact_title_keys(document) {
        doc.add_text(fields.title_exact, key);
    }
    for key in work_keys(document) {
        doc.add_text(fields.work, key);
    }
    let filing_title = normalised_key(&document.title_for_sorting);
    let mut filed = BTreeSet::from([filing_title.clone()]);
    for other in &document.filed_titles {
        let key = normalised_key(&other.filing);
        if !key.is_empty() && filed.insert(key.clone()) {
            doc.add_text(fields.title_browse, &key);
            doc.add_text(fields.title_variants, title_variant(&key, &other.title));
        }
    }
    doc.add_text(fields.title_browse, &filing_title);
    doc.add_text(fields.title_sort, filing_title);
    if let Some(author) = document.main_author() {
        doc.add_text(fields.author_display, author);
        doc.add_text(fields.author_sort, normalised_key(author));
    }
    for author in &document.authors {
        doc.add_text(fields.author, author);
        doc.add_text(fields.author_facet, author);
        doc.add_text(fields.author_browse, browse_term(author));
    }
    for subject in &document.subjects {
        doc.add_text(fields.subject, subject);
        doc.add_text(fields.subject_browse, browse_term(subject));
    }
    for subject in &document.subject_facets {
        doc.add_text(fields.subject_facet, subject);
    }
    let mut series_titles: Vec<&str> = Vec::new();
    for series in &document.series {
        doc.add_text(fields.series, series);
        let title = series_title(series);
        if !title.is_empty() && !series_titles.contains(&title) {
            series_titles.push(title);
            doc.add_text(fields.series_browse, browse_term(title));
        }
    }
    let spelled = std::iter::once(&document.title)
        .chain(&document.other_titles)
        .chain(&document.authors)
        .chain(&document.subjects)
        .chain(&document.series);
    for text in spelled {
        doc.add_text(fields.spelling, text);
    }
    for isbn in &document.isbns {
        doc.add_text(fields.isbn, isbn);
    }
    for issn in &document.issns {
        doc.add_text(fields.issn, issn);
    }
    for call_number in &document.call_numbers {
        doc.add_text(fields.callnumber, call_number);
    }
    for publisher in &document.publishers {
        doc.add_text(fields.publisher, publisher);
    }

    // A keyword search looks in title, author, subject, series and keywords, so `keywords`
    // holds only the text that has no field of its own there: indexing titles, names and
    // subjects a second time nearly doubled the build's work for no extra matches. The
    // language-stemmed field holds everything, as it is the only one with that stemming.
    let own_keyword_text = document
        .publishers
        .iter()
        .chain(&document.other_text)
        .chain(&document.isbns)
        .chain(&document.issns);
    for text in own_keyword_text {
        doc.add_text(fields.keywords, text);
    }
    // Patrons type the format with the title ("pride prejudice dvd", "large print"), and a
    // record's own text often does not say it.
    let format_words = document.format.search_words();
    if !format_words.is_empty() {
        doc.add_text(fields.keywords, format_words);
    }
    // Each language of the text with its own stemming (a parallel text has two).
    let language_fields = fields
        .keywords_by_language
        .iter()
        .filter(|(code, _)| document.languages.iter().any(|language| language == code))
        .map(|(_, field)| *field);
    for field in language_fields {
        let all_text = std::iter::once(&document.title)
            .chain(&document.other_titles)
            .chain(&document.authors)
            .chain(&document.subjects)
            .chain(&document.series)
            .chain(&document.publishers)
            .chain(&document.other_text)
            .chain(&document.isbns)
            .chain(&document.issns);
        for text in all_text {
            doc.add_text(field, text);
        }
    }

    if let Some(added) = document.added {
        doc.add_i64(fields.added, added);
    }
    if !document.member_added.is_empty() {
        use tantivy::schema::OwnedValue;
        let by_member = document
            .member_added
            .iter()
            .map(|added| {
                let mut times = Vec::with_capacity(2);
                if let Some(all) = added.seen_by_all {
                    times.push(("all".to_owned(), OwnedValue::I64(all)));
                }
                if added.seen_by_all < Some(added.own) {
                    times.push(("own".to_owned(), OwnedValue::I64(added.own)));
                }
                (added.member.to_string(), OwnedValue::Object(times))
            })
            .collect();
        doc.add_field_value(fields.member_added, &OwnedValue::Object(by_member));
    }
    if let Some(year) = document.publication_year {
        doc.add_i64(fields.year, year);
        doc.add_text(fields.decade, (year - year.rem_euclid(10)).to_string());
    }
    doc.add_text(fields.format, document.format.code());
    // The main language first: a hit's stored language is the first.
    let other_languages = document
        .languages
        .iter()
        .filter(|language| Some(*language) != document.language.as_ref());
    for language in document.language.iter().chain(other_languages) {
        doc.add_text(fields.language, language);
    }
    if let Some(audience) = document.audience {
        doc.add_text(fields.audience, audience);
    }

    // Visibility and holdings facets, each value once per bib, and with how many copies.
    let mut visible_to = BTreeSet::new();
    let mut members: BTreeMap<String, u32> = BTreeMap::new();
    let mut branches: BTreeMap<String, u32> = BTreeMap::new();
    let mut available: BTreeMap<String, u32> = BTreeMap::new();
    if document.holdings.is_empty() {
        visible_to.insert(EVERYONE.to_owned());
    }
    let add_copy = |values: &mut BTreeMap<String, u32>, viewer: &str, value: &str| {
        *values.entry(viewer_value(viewer, value)).or_default() += 1;
    };
    for holding in &document.holdings {
        let viewer = if holding.visible_outside_member {
            EVERYONE
        } else {
            holding.member.as_str()
        };
        visible_to.insert(viewer.to_owned());
        add_copy(&mut members, viewer, holding.member.as_str());
        add_copy(&mut branches, viewer, holding.branch.as_str());
        // On the shelf now anywhere the viewer may look, and at which library.
        if holding.is_available() {
            add_copy(&mut available, viewer, crate::searcher::AVAILABLE);
            add_copy(&mut available, viewer, holding.member.as_str());
        }
        doc.add_text(fields.holdings_display, holding_display(holding));
    }
    for value in visible_to {
        doc.add_text(fields.visible_to, value);
    }
    for (field, copies_field, values) in [
        (fields.holding_member, fields.holding_member_copies, members),
        (
            fields.holding_branch,
            fields.holding_branch_copies,
            branches,
        ),
        (fields.available_now, fields.available_now_copies, available),
    ] {
        for (value, copies) in values {
            doc.add_text(copies_field, copies_value(&value, copies));
            doc.add_text(field, value);
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_folded_and_lower_cased() {
        assert_eq!(normalised_key("L'Étranger!"), "l etranger");
        assert_eq!(normalised_key("  Müller,   Hans "), "muller hans");
        assert_eq!(normalised_key(""), "");
    }

    #[test]
    fn the_change_seq_is_saved_with_the_commit() {
        let directory = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(directory.path()).unwrap();
        assert_eq!(index.applied_change_seq().unwrap(), 0);
        let mut indexer = index.indexer(1, 15_000_000).unwrap();
        indexer.commit_with_change_seq(42).unwrap();
        indexer.finish().unwrap();
        // Committed is not yet searchable: the number moves with the reload.
        assert_eq!(index.applied_change_seq().unwrap(), 0);
        index.reload().unwrap();
        assert_eq!(index.applied_change_seq().unwrap(), 42);
        drop(index);
        let reopened = SearchIndex::open_or_create(directory.path()).unwrap();
        assert_eq!(reopened.applied_change_seq().unwrap(), 42);
    }

    #[test]
    fn documents_of_another_version_count_as_nothing_applied() {
        let directory = tempfile::tempdir().unwrap();
        let index = SearchIndex::open_or_create(directory.path()).unwrap();
        for (payload, applied) in [
            // Before documents had a version, and an older version: remade from the log.
            ("change_seq=42".to_owned(), 0),
            (
                format!("change_seq=42 documents={}", DOCUMENTS_VERSION - 1),
                0,
            ),
            (format!("change_seq=42 documents={DOCUMENTS_VERSION}"), 42),
            ("something else".to_owned(), 0),
        ] {
            let mut indexer = index.indexer(1, 15_000_000).unwrap();
            let mut prepared = indexer.writer.prepare_commit().unwrap();
            prepared.set_payload(&payload);
            prepared.commit().unwrap();
            indexer.finish().unwrap();
            index.reload().unwrap();
            assert_eq!(index.applied_change_seq().unwrap(), applied, "{payload}");
        }
    }
}
