//! The searches patrons type most — plain words, each looked for in every keyword field,
//! perhaps narrowed by facet values, in any view — evaluated term at a time, a window of
//! documents at a time, instead of through tantivy's document-at-a-time scorers.
//!
//! A broad word matches hundreds of thousands of bibs in ten fields' posting lists. tantivy's
//! union scorer merges those lists one document at a time through boxed scorers, and each
//! match then passes one by one through the count, top-hits and facet collectors. Here, for a
//! window of [`WINDOW`] documents, the rarest word's postings are decoded a block at a time
//! straight into a bitset and an array of scores; each further word is read only where every
//! word before it matched (a few such documents are sought one by one, so that a broad word
//! beside a rare one decodes only their blocks), the facet selections and the view's visible
//! set applied 64 documents at a time, and only then is each match visited once: counted,
//! offered to the top hits if it beats the current last, and handed to the facet counter in
//! blocks.
//!
//! Scores are tantivy's BM25 for the very query [`crate::searcher`] builds: each term's
//! [`Bm25Weight`] from the whole searcher's statistics, boosted by field; a word's score is the
//! sum over its fields, a bib's the sum over the words (rarest in the whole index first, the
//! same order in every segment), plus the exact-title and own-member boosts. Sums may be added in another order than tantivy's, so two scores can differ in the
//! last bit; equal scores break by bib id, lowest first, as [`crate::searcher`] asks tantivy's
//! top collector to break them, so that the order does not depend on where merges put a bib.
//!
//! **Invariant:** a document is counted, ranked and faceted exactly when it is alive, in the
//! view's visible set, matches every word in at least one field and has a selected value of
//! every selected facet — the same set the general query path finds (tests compare the two).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::fastfield::AliveBitSet;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::Bm25Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocAddress, DocId, Score, Searcher, SegmentReader, TERMINATED, Term};

use crate::facets::{FacetCounter, FacetFruit, FacetSegmentCounter, RawTally};
use crate::index::BIB_ID;
use crate::parallel::{DocRange, Parallelism};
use crate::shared_pass::Job;

/// Documents per window: 64 bitset words, and 16 KB of scores that stay in the L1 cache.
pub(crate) const WINDOW: u32 = 4096;
const WORDS: usize = (WINDOW / 64) as usize;

/// Documents in a full block of postings.
const BLOCK_DOCS: usize = 128;

/// At most this many documents still wanted in a window are sought one by one in a further
/// word's postings; more, and its blocks in the window are read through. Seeking decodes the
/// one block a document is in, and a broad word has a dozen blocks in a window.
const SEEK_AT_MOST: u32 = 8;

/// Documents handed to the facet counter at once, as its own collector gathers them.
const FACET_BLOCK: usize = crate::facets::BLOCK;

/// A term scored with BM25, boosted.
#[derive(Debug, Clone)]
pub(crate) struct ScoredTerm {
    pub term: Term,
    pub boost: Score,
    /// How the term's postings are read: with frequencies for text, without for exact keys.
    pub record: IndexRecordOption,
}

/// A plain keyword search, as [`crate::searcher`] would build it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlainQuery {
    /// Every word must match one of its terms (one per keyword field it has a token in).
    pub words: Vec<Vec<ScoredTerm>>,
    /// Added to the score of a match whose title is exactly the query.
    pub exact_title: Option<ScoredTerm>,
    /// A match with any of these terms gets `own_member_boost` once (a member's own bibs first
    /// in its view).
    pub own_member: Vec<Term>,
    pub own_member_boost: Score,
    /// Facet selections: a match must have one of the terms of every selection.
    pub filters: Vec<Vec<Term>>,
}

/// What one search finds: the exact total, the best `limit` (score, bib id, address) best
/// first, and the facet counts.
pub(crate) type Found = (usize, Vec<(Score, i64, DocAddress)>, FacetFruit);

/// Runs `query` over every document of `searcher` in `visible` (one set per segment): cut into
/// ranges run on the search threads when it is the only search running, else in a sweep shared
/// with the other searches running (see [`crate::shared_pass`]).
pub(crate) fn search(
    searcher: &Searcher,
    parallelism: &Parallelism,
    query: &PlainQuery,
    visible: &[Arc<BitSet>],
    facets: &FacetCounter,
    limit: usize,
    broad: Option<&crate::broad_words::Asked<'_>>,
) -> tantivy::Result<Found> {
    let weights = Weights::of(searcher, query)?;
    if let Some(asked) = broad
        && let Some(found) = crate::broad_words::search(
            searcher,
            parallelism,
            asked,
            query,
            &weights,
            visible,
            facets,
            limit,
        )?
    {
        return Ok(found);
    }
    let sizes: Vec<u32> = searcher
        .segment_readers()
        .iter()
        .map(SegmentReader::max_doc)
        .collect();
    let plan = parallelism.begin(&sizes);
    if parallelism.shared.shares(plan.running, parallelism.threads) {
        let job = Job::new(searcher, query, weights, visible, facets, limit);
        return parallelism.shared.search(job, parallelism.threads);
    }
    let run = |range: DocRange| -> tantivy::Result<Found> {
        let Some(visible) = visible.get(range.segment as usize) else {
            return Ok((0, Vec::new(), Vec::new()));
        };
        let reader = searcher.segment_reader(range.segment);
        let child = facets.for_segment(range.segment, reader)?;
        let (count, best, fruit) = search_range(
            reader,
            query,
            &weights,
            Arc::clone(visible),
            range.docs.clone(),
            limit,
            child,
        )?;
        let best = best
            .into_iter()
            .map(|(score, bib, doc)| (score, bib, DocAddress::new(range.segment, doc)))
            .collect();
        Ok((count, best, fruit))
    };
    let fruits: Vec<Found> = plan.run(&parallelism.executor, run)?;
    merged(fruits, limit, facets)
}

/// One search's answer from the answers of its ranges: totals added, the best `limit` of all,
/// facet counts merged.
pub(crate) fn merged(
    fruits: Vec<Found>,
    limit: usize,
    facets: &FacetCounter,
) -> tantivy::Result<Found> {
    let mut total = 0;
    let mut best = Vec::new();
    let mut facet_fruits = Vec::with_capacity(fruits.len());
    for (count, top, facet_fruit) in fruits {
        total += count;
        best.extend(top);
        facet_fruits.push(facet_fruit);
    }
    best.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    best.truncate(limit);
    Ok((total, best, facets.merge_fruits(facet_fruits)?))
}

/// The BM25 weights of the query's scored terms, computed once per search.
#[derive(Clone)]
pub(crate) struct Weights {
    /// Per word, per term, as the query has them.
    pub words: Vec<Vec<Bm25Weight>>,
    pub exact_title: Option<Bm25Weight>,
    /// The words from the fewest postings in the whole index (summed over their fields) to the
    /// most. A window takes them in this order, so every segment sums a bib's score in the same
    /// order and equal bibs score exactly alike wherever they are.
    pub order: Vec<usize>,
}

impl Weights {
    /// Each scored term's BM25 weight from the whole searcher's statistics, boosted.
    pub(crate) fn of(searcher: &Searcher, query: &PlainQuery) -> tantivy::Result<Weights> {
        let weight = |scored: &ScoredTerm| -> tantivy::Result<Bm25Weight> {
            Ok(
                Bm25Weight::for_terms(searcher, std::slice::from_ref(&scored.term))?
                    .boost_by(scored.boost),
            )
        };
        let mut postings = Vec::with_capacity(query.words.len());
        for word in &query.words {
            let mut sum = 0u64;
            for scored in word {
                sum = sum.saturating_add(searcher.doc_freq(&scored.term)?);
            }
            postings.push(sum);
        }
        let mut order: Vec<usize> = (0..query.words.len()).collect();
        order.sort_by_key(|word| postings.get(*word).copied().unwrap_or(0));
        Ok(Weights {
            words: query
                .words
                .iter()
                .map(|word| word.iter().map(weight).collect())
                .collect::<tantivy::Result<_>>()?,
            exact_title: query.exact_title.as_ref().map(weight).transpose()?,
            order,
        })
    }
}

/// One term's postings in one segment, read forward a block at a time.
pub(crate) struct Cursor {
    postings: BlockSegmentPostings,
    /// Position in the current block.
    position: usize,
    scoring: Option<(Bm25Weight, FieldNormReader)>,
}

impl Cursor {
    /// The term's postings from `start`, scored by `weight` when given; `None` when the segment
    /// has not the term.
    pub(crate) fn open(
        reader: &SegmentReader,
        term: &Term,
        record: IndexRecordOption,
        weight: Option<&Bm25Weight>,
        start: DocId,
    ) -> tantivy::Result<Option<Cursor>> {
        let Some(mut postings) = reader
            .inverted_index(term.field())?
            .read_block_postings(term, record)?
        else {
            return Ok(None);
        };
        let position = postings.seek(start);
        let scoring = match weight {
            Some(weight) => {
                // As tantivy scores a field without norms: every document one token long.
                let norms = reader
                    .fieldnorms_readers()
                    .get_field(term.field())?
                    .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
                Some((weight.clone(), norms))
            }
            None => None,
        };
        Ok(Some(Cursor {
            postings,
            position,
            scoring,
        }))
    }

    /// The current document, or [`TERMINATED`].
    fn doc(&self) -> DocId {
        self.postings
            .docs()
            .get(self.position)
            .copied()
            .unwrap_or(TERMINATED)
    }

    /// Moves to the first document at or after `target`.
    fn skip_to(&mut self, target: DocId) {
        if self.doc() < target {
            self.position = self.postings.seek(target);
        }
    }

    /// Whether `target` (at or after the documents passed so far) has the term, and if so its
    /// frequency there (1 when the postings have none) and field length, as its score reads
    /// them.
    pub(crate) fn impact_at(&mut self, target: DocId) -> Option<(u32, u8)> {
        self.skip_to(target);
        if self.doc() != target {
            return None;
        }
        let frequency = self
            .postings
            .freqs()
            .get(self.position)
            .copied()
            .unwrap_or(1);
        let norm = match &self.scoring {
            Some((_, fieldnorms)) => fieldnorms.fieldnorm_id(target),
            None => 0,
        };
        Some((frequency, norm))
    }

    /// Passes the position in the window from `window_start` and the score (0 when unscored)
    /// of every document before `end` that is among `wanted`, and stops on or before the first
    /// document at or after `end`. Only wanted documents have their field lengths read. A few
    /// are sought one by one, which decodes only their blocks; more, and every block of the
    /// window is read.
    fn take_within(
        &mut self,
        window_start: DocId,
        end: DocId,
        wanted: &Bits,
        mut each: impl FnMut(u32, Score),
    ) {
        if wanted.count() > SEEK_AT_MOST {
            self.take(end, Some((window_start, wanted)), |doc, score| {
                each(doc - window_start, score);
            });
            return;
        }
        for position in wanted.positions() {
            let target = window_start + position;
            if target >= end {
                break;
            }
            if let Some((frequency, norm)) = self.impact_at(target) {
                let score = match &self.scoring {
                    Some((weight, _)) => weight.score(norm, frequency),
                    None => 0.0,
                };
                each(position, score);
            }
        }
    }

    /// Passes every document before `end` with its score (0 when unscored), and stops on the
    /// first document at or after `end`.
    fn take_until(&mut self, end: DocId, each: impl FnMut(DocId, Score)) {
        self.take(end, None, each);
    }

    /// Passes every document before `end`, or only those among `wanted` (positions in the
    /// window from its start), with its score (0 when unscored), and stops on the first
    /// document at or after `end`.
    fn take(
        &mut self,
        end: DocId,
        wanted: Option<(DocId, &Bits)>,
        mut each: impl FnMut(DocId, Score),
    ) {
        // The wanted documents of a block and their frequencies, and the field lengths.
        let mut kept_docs = [0 as DocId; BLOCK_DOCS];
        let mut kept_freqs = [1u32; BLOCK_DOCS];
        let mut norms = [0u8; BLOCK_DOCS];
        loop {
            let docs = self.postings.docs();
            if docs.is_empty() {
                return;
            }
            let start = self.position.min(docs.len());
            let rest = docs.get(start..).unwrap_or_default();
            // The documents of this block before `end`.
            let taken = rest.partition_point(|doc| *doc < end);
            let taken_docs = rest.get(..taken).unwrap_or_default();
            // Empty when the postings have no frequencies.
            let freqs = self.postings.freqs().get(start..).unwrap_or_default();
            let (docs, freqs) = match wanted {
                None => (taken_docs, freqs),
                Some((window_start, wanted)) => {
                    // Gathered without a branch on whether each is wanted.
                    let mut count = 0;
                    for (index, doc) in taken_docs.iter().enumerate() {
                        if let Some(slot) = kept_docs.get_mut(count) {
                            *slot = *doc;
                        }
                        if let Some(slot) = kept_freqs.get_mut(count) {
                            *slot = freqs.get(index).copied().unwrap_or(1);
                        }
                        count += usize::from(wanted.contains(doc - window_start));
                    }
                    (
                        kept_docs.get(..count).unwrap_or_default(),
                        kept_freqs.get(..count).unwrap_or_default(),
                    )
                }
            };
            match &self.scoring {
                Some((weight, fieldnorms)) => {
                    // Every field length is read first: the processor then fetches them all at
                    // once, where reading each beside its score waited on memory each time.
                    for (norm, doc) in norms.iter_mut().zip(docs) {
                        *norm = fieldnorms.fieldnorm_id(*doc);
                    }
                    for (index, (doc, norm)) in docs.iter().zip(&norms).enumerate() {
                        let frequency = freqs.get(index).copied().unwrap_or(1);
                        each(*doc, weight.score(*norm, frequency));
                    }
                }
                None => {
                    for doc in docs {
                        each(*doc, 0.0);
                    }
                }
            }
            self.position = start + taken;
            if taken < rest.len() {
                return;
            }
            // The block is used up: on to the next (none left leaves an empty block).
            self.postings.advance();
            self.position = 0;
        }
    }
}

/// A window's documents as bits, 64 to a word.
#[derive(Clone, Copy)]
struct Bits([u64; WORDS]);

impl Bits {
    fn empty() -> Bits {
        Bits([0; WORDS])
    }

    /// Adds a position; whether it was new.
    fn insert(&mut self, position: u32) -> bool {
        match self.0.get_mut((position / 64) as usize) {
            Some(word) => {
                let bit = 1u64 << (position % 64);
                let new = *word & bit == 0;
                *word |= bit;
                new
            }
            None => false,
        }
    }

    fn contains(&self, position: u32) -> bool {
        self.0
            .get((position / 64) as usize)
            .is_some_and(|word| word & (1u64 << (position % 64)) != 0)
    }

    fn intersect(&mut self, other: &Bits) {
        for (word, other) in self.0.iter_mut().zip(&other.0) {
            *word &= *other;
        }
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|word| *word == 0)
    }

    fn count(&self) -> u32 {
        self.0.iter().map(|word| word.count_ones()).sum()
    }

    /// The positions, in order.
    fn positions(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(offset, word)| {
            let mut word = *word;
            std::iter::from_fn(move || {
                (word != 0).then(|| {
                    let position = offset as u32 * 64 + word.trailing_zeros();
                    word &= word - 1;
                    position
                })
            })
        })
    }
}

/// Adds `value` to the slot of `position`, which holds nothing until `written` has the position:
/// the first value written there replaces whatever an earlier window left.
fn add_at(written: &mut Bits, slots: &mut [Score], position: u32, value: Score) {
    if let Some(slot) = slots.get_mut(position as usize) {
        if written.insert(position) {
            *slot = value;
        } else {
            *slot += value;
        }
    }
}

/// The best documents of a range so far, as a heap whose top is the worst of them.
struct Best {
    limit: usize,
    heap: BinaryHeap<Reverse<Ranked>>,
}

/// A document with its score and bib id; greater is better: a higher score, or the same and a
/// lower bib id.
#[derive(Clone, Copy)]
struct Ranked {
    score: Score,
    bib: i64,
    doc: DocId,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then(other.bib.cmp(&self.bib))
    }
}

impl Best {
    fn new(limit: usize) -> Best {
        Best {
            limit,
            heap: BinaryHeap::with_capacity(limit.min(1024) + 1),
        }
    }

    /// Keeps `doc` if it is among the best so far. Its bib id is read only when it is kept or
    /// ties with the worst kept.
    fn offer(&mut self, score: Score, doc: DocId, bib_of: impl FnOnce(DocId) -> i64) {
        if self.limit == 0 {
            return;
        }
        if self.heap.len() < self.limit {
            self.heap.push(Reverse(Ranked {
                score,
                bib: bib_of(doc),
                doc,
            }));
            return;
        }
        let Some(Reverse(worst)) = self.heap.peek() else {
            return;
        };
        if score.total_cmp(&worst.score) == Ordering::Less {
            return;
        }
        let ranked = Ranked {
            score,
            bib: bib_of(doc),
            doc,
        };
        if ranked > *worst {
            self.heap.pop();
            self.heap.push(Reverse(ranked));
        }
    }

    fn into_vec(self) -> Vec<(Score, i64, DocId)> {
        self.heap
            .into_iter()
            .map(|Reverse(ranked)| (ranked.score, ranked.bib, ranked.doc))
            .collect()
    }
}

/// What one search finds in one range: the count, the best (score, bib id, document) and the
/// facet counts.
pub(crate) type RangeFound = (usize, Vec<(Score, i64, DocId)>, FacetFruit);

/// One search over a range of one segment's documents, a window at a time: the state between
/// windows (each term's postings cursor, the best so far, the count and the facet counts), so
/// that one thread can take several searches through the same windows in turn.
pub(crate) struct RangeSearch {
    words: Vec<Vec<Cursor>>,
    /// The words from the fewest postings to the most in the whole index, as a window takes
    /// them (see [`Weights::order`]). The first, the rarest, is read through every window, and
    /// its next document decides the next window.
    word_order: Vec<usize>,
    filters: Vec<Vec<Cursor>>,
    exact_title: Option<Cursor>,
    own_member: Vec<Cursor>,
    own_member_boost: Score,
    visible: Arc<BitSet>,
    alive: Option<AliveBitSet>,
    /// Each document's bib id, which breaks ties between equal scores.
    bib_ids: Column<i64>,
    /// The end of the range.
    end: DocId,
    count: usize,
    best: Best,
    /// Scores and boosts by position in the window; a slot is written before it is read.
    scores: Vec<Score>,
    boosts: Vec<Score>,
    /// Matches not yet handed to the facet counter.
    pending: Vec<DocId>,
    facets: FacetSegmentCounter,
    /// Whether the first word too is read only at the documents the view may see, for a
    /// "view" of a few documents (see [`RangeSearch::among`]).
    sparse: bool,
    /// What is looked for around a score, when a summary is made (see [`CutWatch`]).
    watch: Option<CutWatch>,
}

/// What a summary of a broad word needs to know of the matches that are not its candidates
/// (see [`crate::broad_words`]): the best score below the cut, and the documents that score
/// exactly the cut without being candidates.
#[derive(Debug, Clone)]
pub(crate) struct CutWatch {
    pub cut: Score,
    /// The candidates, in document order.
    pub candidates: Vec<DocId>,
    /// The highest score below the cut.
    pub below: Option<Score>,
    /// Documents scoring the cut that are not candidates, in document order, up to `most`.
    pub tied: Vec<DocId>,
    pub most: usize,
    /// Whether more than `most` were.
    pub overflowed: bool,
}

impl CutWatch {
    fn see(&mut self, doc: DocId, score: Score) {
        match score.total_cmp(&self.cut) {
            Ordering::Less if self.below.is_none_or(|below| score > below) => {
                self.below = Some(score);
            }
            Ordering::Equal if self.candidates.binary_search(&doc).is_err() => {
                if self.tied.len() < self.most {
                    self.tied.push(doc);
                } else {
                    self.overflowed = true;
                }
            }
            _ => {}
        }
    }
}

impl RangeSearch {
    /// The search of `query` over `docs` of `reader`, or `None` when nothing there can match
    /// (a word found nowhere in the segment, or a facet selection with no value there).
    pub(crate) fn open(
        reader: &SegmentReader,
        query: &PlainQuery,
        weights: &Weights,
        visible: Arc<BitSet>,
        docs: std::ops::Range<DocId>,
        limit: usize,
        facets: FacetSegmentCounter,
    ) -> tantivy::Result<Option<RangeSearch>> {
        let start = docs.start;
        let mut words: Vec<Vec<Cursor>> = Vec::with_capacity(query.words.len());
        for (word, word_weights) in query.words.iter().zip(&weights.words) {
            let mut cursors = Vec::with_capacity(word.len());
            for (scored, weight) in word.iter().zip(word_weights) {
                if let Some(cursor) =
                    Cursor::open(reader, &scored.term, scored.record, Some(weight), start)?
                {
                    cursors.push(cursor);
                }
            }
            if cursors.is_empty() {
                // A word found nowhere in this segment: nothing here matches every word.
                return Ok(None);
            }
            words.push(cursors);
        }
        if words.is_empty() {
            return Ok(None);
        }
        let mut filters: Vec<Vec<Cursor>> = Vec::with_capacity(query.filters.len());
        for terms in &query.filters {
            let mut cursors = Vec::new();
            for term in terms {
                if let Some(cursor) =
                    Cursor::open(reader, term, IndexRecordOption::Basic, None, start)?
                {
                    cursors.push(cursor);
                }
            }
            if cursors.is_empty() {
                return Ok(None);
            }
            filters.push(cursors);
        }
        let exact_title = match (&query.exact_title, &weights.exact_title) {
            (Some(scored), Some(weight)) => {
                Cursor::open(reader, &scored.term, scored.record, Some(weight), start)?
            }
            _ => None,
        };
        let mut own_member = Vec::new();
        for term in &query.own_member {
            if let Some(cursor) = Cursor::open(reader, term, IndexRecordOption::Basic, None, start)?
            {
                own_member.push(cursor);
            }
        }
        Ok(Some(RangeSearch {
            words,
            word_order: weights.order.clone(),
            filters,
            exact_title,
            own_member,
            own_member_boost: query.own_member_boost,
            visible,
            alive: reader.alive_bitset().cloned(),
            bib_ids: reader.fast_fields().i64(BIB_ID)?,
            end: docs.end,
            count: 0,
            best: Best::new(limit),
            scores: vec![0.0 as Score; WINDOW as usize],
            boosts: vec![0.0 as Score; WINDOW as usize],
            pending: Vec::with_capacity(FACET_BLOCK),
            facets,
            sparse: false,
            watch: None,
        }))
    }

    /// Watches every match's score against `watch`'s cut; [`RangeSearch::watched`] gives it
    /// back.
    pub(crate) fn watching(mut self, watch: CutWatch) -> RangeSearch {
        self.watch = Some(watch);
        self
    }

    /// What the watch saw.
    pub(crate) fn watched(self) -> Option<CutWatch> {
        self.watch
    }

    /// Counts deleted documents as if they were alive.
    pub(crate) fn with_deleted(mut self) -> RangeSearch {
        self.alive = None;
        self
    }

    /// Takes every window with a document the view may see, reading every word only at those
    /// documents: for a view of a few documents, whose windows are found from the view's set
    /// rather than from the rarest word's postings.
    pub(crate) fn among(mut self) -> RangeSearch {
        self.sparse = true;
        let buckets = self.visible.max_value().div_ceil(64);
        let mut bucket = 0;
        while bucket < buckets {
            let Some(found) = self.visible.first_non_empty_bucket(bucket) else {
                break;
            };
            if found * 64 >= self.end {
                break;
            }
            let window_start = found * 64;
            self.window(window_start);
            bucket = (window_start + WINDOW) / 64;
        }
        self
    }

    /// Takes every window of the range from `start` with a document of the rarest word.
    pub(crate) fn run(&mut self, start: DocId) {
        let mut window_start = start;
        loop {
            // Jump to the window of the next document of the rarest word.
            let next = self.next_doc();
            if next == TERMINATED {
                break;
            }
            // Windows start on a multiple of 64 so that the visible set is read a word at a
            // time (no cursor has a document before the range, so starting a little early is
            // harmless).
            window_start = window_start.max(next);
            window_start -= window_start % 64;
            self.window(window_start);
            window_start = window_start.saturating_add(WINDOW);
        }
    }

    /// The next document of the rarest word, at or after the windows taken so far, or
    /// [`TERMINATED`] when none is left in the range.
    pub(crate) fn next_doc(&self) -> DocId {
        let rarest = self
            .word_order
            .first()
            .and_then(|word| self.words.get(*word));
        let next = rarest.map_or(TERMINATED, |cursors| {
            cursors.iter().map(Cursor::doc).min().unwrap_or(TERMINATED)
        });
        if next < self.end { next } else { TERMINATED }
    }

    /// The documents of the window from `window_start` (a multiple of 64) that the view may see.
    fn visible_in(&self, window_start: DocId) -> Bits {
        let mut bits = Bits::empty();
        let first_bucket = window_start / 64;
        let buckets = self.visible.max_value().div_ceil(64);
        for (offset, word) in bits.0.iter_mut().enumerate() {
            let bucket = first_bucket + offset as u32;
            if bucket < buckets {
                *word = u64::from_le_bytes(self.visible.tinyset(bucket).into_bytes());
            }
        }
        bits
    }

    /// Takes the window of documents from `window_start` (a multiple of 64, after every window
    /// taken before) to `window_start + WINDOW` or the end of the range.
    pub(crate) fn window(&mut self, window_start: DocId) {
        let window_end = window_start.saturating_add(WINDOW).min(self.end);
        if window_start >= window_end {
            return;
        }
        // The rarest word first, over the documents the view may see; each further word only
        // where every word before it matched: a broad word beside a rare one ("the hobbit")
        // neither scores nor reads the field lengths of documents that cannot match.
        let visible = self.visible_in(window_start);
        let scores = &mut self.scores;
        let boosts = &mut self.boosts;
        let mut scored = Bits::empty();
        // None until the first word is read (unless every word is read only where visible).
        let mut wanted: Option<Bits> = self.sparse.then_some(visible);
        for &number in &self.word_order {
            let Some(cursors) = self.words.get_mut(number) else {
                continue;
            };
            let mut word_bits = Bits::empty();
            for cursor in cursors.iter_mut() {
                let mut record = |position: u32, score: Score| {
                    word_bits.insert(position);
                    add_at(&mut scored, scores, position, score);
                };
                cursor.skip_to(window_start);
                match &wanted {
                    // Every posting of the first word: testing each against the visible set
                    // costs more than scoring the few the view may not see.
                    None => cursor.take_until(window_end, |doc, score| {
                        record(doc - window_start, score);
                    }),
                    Some(wanted) => {
                        cursor.take_within(window_start, window_end, wanted, &mut record);
                    }
                }
            }
            let mut matched = wanted.unwrap_or(visible);
            matched.intersect(&word_bits);
            if matched.is_empty() {
                // The other words' cursors seek past this window when the next one starts.
                return;
            }
            wanted = Some(matched);
        }
        let Some(mut matched) = wanted else {
            return;
        };
        for cursors in self.filters.iter_mut() {
            let mut selected = Bits::empty();
            for cursor in cursors.iter_mut() {
                cursor.skip_to(window_start);
                cursor.take_within(window_start, window_end, &matched, |position, _| {
                    selected.insert(position);
                });
            }
            matched.intersect(&selected);
            if matched.is_empty() {
                return;
            }
        }
        // The boosts, summed as tantivy sums optional clauses: exact title, then own member.
        let mut boosted = Bits::empty();
        if let Some(cursor) = self.exact_title.as_mut() {
            cursor.skip_to(window_start);
            cursor.take_until(window_end, |doc, score| {
                let position = doc - window_start;
                if matched.contains(position) {
                    add_at(&mut boosted, boosts, position, score);
                }
            });
        }
        // Once per match, however many of the member's terms it has.
        let mut own = Bits::empty();
        let own_member_boost = self.own_member_boost;
        for cursor in self.own_member.iter_mut() {
            cursor.skip_to(window_start);
            cursor.take_until(window_end, |doc, _| {
                let position = doc - window_start;
                if matched.contains(position) && own.insert(position) {
                    add_at(&mut boosted, boosts, position, own_member_boost);
                }
            });
        }
        // Every match once: counted, offered to the best, handed to the facets.
        for (offset, word) in matched.0.iter().enumerate() {
            let mut word = *word;
            while word != 0 {
                let position = offset as u32 * 64 + word.trailing_zeros();
                word &= word - 1;
                let doc = window_start + position;
                if self
                    .alive
                    .as_ref()
                    .is_some_and(|alive| alive.is_deleted(doc))
                {
                    continue;
                }
                self.count += 1;
                let index = position as usize;
                let mut score = scores.get(index).copied().unwrap_or(0.0);
                if boosted.contains(position) {
                    score += boosts.get(index).copied().unwrap_or(0.0);
                }
                let bib_ids = &self.bib_ids;
                self.best
                    .offer(score, doc, |doc| bib_ids.first(doc).unwrap_or_default());
                if let Some(watch) = self.watch.as_mut() {
                    watch.see(doc, score);
                }
                self.pending.push(doc);
                if self.pending.len() == FACET_BLOCK {
                    self.facets.collect_block(&self.pending);
                    self.pending.clear();
                }
            }
        }
    }

    /// Hands the matches gathered so far to the facet counter. A sweep does so after
    /// each window, while the window's facet values are still in the cache from the search
    /// before.
    pub(crate) fn count_facets(&mut self) {
        if !self.pending.is_empty() {
            self.facets.collect_block(&self.pending);
            self.pending.clear();
        }
    }

    /// The count, the best documents and the facet counts of the range.
    pub(crate) fn finish(mut self) -> RangeFound {
        if !self.pending.is_empty() {
            self.facets.collect_block(&self.pending);
        }
        (self.count, self.best.into_vec(), self.facets.harvest())
    }

    /// [`RangeSearch::finish`] with the facet counts by segment ordinal, as they are before a
    /// generation's maps read them.
    pub(crate) fn finish_raw(mut self) -> (usize, Vec<(Score, i64, DocId)>, Vec<RawTally>) {
        self.count_facets();
        let raw = self.facets.raw();
        (self.count, self.best.into_vec(), raw)
    }
}

/// The count, best documents and facet counts of `docs` in one segment.
pub(crate) fn search_range(
    reader: &SegmentReader,
    query: &PlainQuery,
    weights: &Weights,
    visible: Arc<BitSet>,
    docs: std::ops::Range<DocId>,
    limit: usize,
    facets: FacetSegmentCounter,
) -> tantivy::Result<RangeFound> {
    let start = docs.start;
    let Some(mut search) = RangeSearch::open(reader, query, weights, visible, docs, limit, facets)?
    else {
        return Ok((0, Vec::new(), Vec::new()));
    };
    search.run(start);
    Ok(search.finish())
}
