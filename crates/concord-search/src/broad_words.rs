//! Summaries of the broad words: what a plain search of words that a large share of a
//! segment's bibs hold ("the", "music", "jazz history") finds in that segment, worked out the
//! first time it is searched there and kept while the segment is searched.
//!
//! Such a search costs most of all the others together: "the" alone matches half the
//! catalogue, and every match is scored and faceted. A word is broad in a segment when its
//! fields together have a posting for at least one document in 64 there (and 20,000 at
//! least); the words are few (a couple of hundred in a segment of two million bibs), and a
//! search is summarised only when every one of its words is broad and it narrows by no facet.
//! What a summary keeps:
//!
//! * the search's **count and facet counts** over the segment's documents the view may see,
//!   deleted or not, by segment ordinal ([`RawTally`]), so that a new generation's maps read
//!   them as they read a search's; the documents deleted since are counted apart, only those
//!   deleted since the last search, and taken off;
//! * its **best [`BroadWords::candidates`] matches** with what each scores from (each term's
//!   frequency and field length, whether it has the exact title and the view's own member), so
//!   that they are scored again with the searcher's statistics of the moment, exactly as a
//!   search scores them; the score of the worst of them when it was made (the *cut*), the best
//!   score below it, and the ways of scoring the cut of the matches that tie with it without
//!   being candidates (with the lowest bib id of each).
//!
//! A bib that is not a candidate scored below the cut, or tied with it in one of the listed
//! ways. Statistics move as bibs come and go, but a term's score can grow by no more than the
//! most that its BM25 weight now gives over the one it was made with, for any field length and
//! frequency (its *drift*, about 1 when the catalogue has grown by a few bibs in a million). So
//! when the last of the best candidates still alive scores above the best below the cut times
//! the drift, and above every listed tie scored now (or level with it and a lower bib id), no
//! other bib can come among them and the answer is exact. Otherwise (candidates deleted, a page
//! beyond them) the segment is ranked in full, as any search is, and only the counts come from
//! the summary. Summaries take at most [`BUDGET_BYTES`]; the least recently used go first.
//!
//! **Invariant:** a search answered from summaries counts, ranks and facets exactly as it would
//! be without them (the catalogue tests compare both, with deletions before and after a summary
//! is made and bibs added between, and one in which bibs the summary did not keep overtake its
//! candidates).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::query::Bm25Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocAddress, DocId, Score, Searcher, SegmentReader, Term};

use crate::facets::{FacetCounter, RawTally};
use crate::parallel::Parallelism;
use crate::searcher::FacetField;
use crate::windowed::{
    Cursor, CutWatch, Found, PlainQuery, RangeFound, RangeSearch, Weights, merged,
};

/// How many of a search's best matches a summary keeps.
pub(crate) const CANDIDATES: usize = 256;

/// A word is broad in a segment when its fields have, all together, at least one posting for
/// every this many documents...
const SHARE: u32 = 64;

/// ...and at least this many postings: a small segment is searched quickly anyway.
const MIN_POSTINGS: u32 = 20_000;

/// The memory summaries may take; beyond it the least recently used are dropped.
const BUDGET_BYTES: usize = 128 << 20;

/// Relative room left for the rounding of summed scores when a candidate's score is compared
/// with the bound on every other bib's.
const ROUNDING: Score = 1e-4;

/// The summaries of the searches of broad words so far, by segment, words, view and facets.
pub(crate) struct BroadWords {
    /// A word is broad in a segment where its fields together have at least this many
    /// postings ([`MIN_POSTINGS`])...
    pub min_postings: u32,
    /// ...and one for every `share` documents ([`SHARE`]); tests make every word broad.
    pub share: u32,
    /// How many best matches a summary keeps ([`CANDIDATES`]; tests make it small).
    pub candidates: usize,
    /// Whether searches use summaries at all (to measure them).
    pub enabled: bool,
    budget: usize,
    entries: Mutex<HashMap<Key, Arc<Entry>>>,
    /// Each segment's deleted documents, listed once per number of deletions.
    deleted: Mutex<HashMap<SegmentId, Arc<DeletedDocs>>>,
    clock: AtomicU64,
    /// Segments answered with their best candidates, and ranked in full instead.
    from_candidates: AtomicUsize,
    ranked_in_full: AtomicUsize,
}

impl Default for BroadWords {
    fn default() -> Self {
        BroadWords {
            min_postings: MIN_POSTINGS,
            share: SHARE,
            candidates: CANDIDATES,
            enabled: true,
            budget: BUDGET_BYTES,
            entries: Mutex::new(HashMap::new()),
            deleted: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
            from_candidates: AtomicUsize::new(0),
            ranked_in_full: AtomicUsize::new(0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    segment: SegmentId,
    /// Per word, its terms.
    terms: Vec<Vec<Term>>,
    exact_title: Option<Term>,
    view: Option<String>,
    facets: Vec<FacetField>,
}

/// A summary, built by the first search that wants it while the others wait.
#[derive(Default)]
struct Entry {
    summary: Mutex<Option<Arc<Summary>>>,
    used: AtomicU64,
    bytes: AtomicUsize,
}

/// What a search of broad words finds in one segment in one view (see the module's
/// documentation).
struct Summary {
    /// Matches the view may see, deleted ones included.
    count: usize,
    /// Their facet counts by segment ordinal, for the facets of the key.
    facets: Vec<RawTally>,
    /// The words' terms the segment has, as (word, place in the word), with each one's weight
    /// when the summary was made; a candidate's impacts follow this order.
    terms: Vec<Place>,
    exact_title: Option<Bm25Weight>,
    candidates: Vec<Candidate>,
    /// The lowest score among the candidates when more matched than were kept; `None` when
    /// every match is a candidate.
    cut: Option<Score>,
    /// The highest score of the matches below the cut.
    below: Option<Score>,
    /// The matches that scored the cut without being candidates, one per way of scoring it,
    /// with the lowest bib id among them; `None` when there were too many to list.
    tied: Option<Vec<Tied>>,
    /// The deleted documents counted apart so far.
    deducted: Mutex<Option<Arc<Deducted>>>,
}

/// One of a summary's best matches and what its score is made of.
struct Candidate {
    doc: DocId,
    bib: i64,
    scoring: Scoring,
}

/// A term of a query's words: its word, its place in the word, and its weight when a summary
/// was made.
type Place = (usize, usize, Bm25Weight);

/// What a match's score is made of.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Scoring {
    /// Per term of [`Summary::terms`], the frequency (0 when the bib has not the term) and the
    /// field length.
    impacts: Vec<(u32, u8)>,
    /// The field length of its exact title, when it has the query as exact title.
    exact_title: Option<u8>,
    own_member: bool,
}

/// Matches that scored the cut without being candidates and score alike: the lowest bib id
/// among them.
struct Tied {
    scoring: Scoring,
    bib: i64,
}

/// At most this many matches scoring the cut without being candidates are looked at; more, and
/// a summary's candidates must score above the cut to be shown the best.
const MOST_TIED: usize = 1 << 16;

/// The documents deleted from a segment that a summary has taken off, and what they counted.
struct Deducted {
    /// How many documents the segment had deleted.
    deleted: u32,
    /// The deleted documents the view may see.
    gone: BitSet,
    count: usize,
    facets: Vec<RawTally>,
}

/// A segment's deleted documents, in order, when it had `deleted` of them.
struct DeletedDocs {
    deleted: u32,
    docs: Vec<DocId>,
}

impl Summary {
    fn heap_bytes(&self) -> usize {
        let facets: usize = self.facets.iter().map(RawTally::heap_bytes).sum();
        let candidates: usize = self
            .candidates
            .iter()
            .map(|candidate| {
                std::mem::size_of::<Candidate>()
                    + candidate.scoring.impacts.capacity() * std::mem::size_of::<(u32, u8)>()
            })
            .sum();
        let tied: usize = self
            .tied
            .iter()
            .flatten()
            .map(|tied| {
                std::mem::size_of::<Tied>()
                    + tied.scoring.impacts.capacity() * std::mem::size_of::<(u32, u8)>()
            })
            .sum();
        std::mem::size_of::<Summary>() + facets + candidates + tied
    }
}

/// What the summaries of broad words hold and have answered since the index was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BroadWordCounts {
    /// Summaries kept (one per segment, word, view and set of facets).
    pub kept: usize,
    /// The bytes they take.
    pub bytes: usize,
    /// Segments whose best matches came from a summary's candidates.
    pub from_candidates: usize,
    /// Segments ranked in full because the candidates could not be shown to be the best (too
    /// many deleted, or a page beyond them); their counts still came from the summary.
    pub ranked_in_full: usize,
}

/// What a plain search asks of the summaries.
pub(crate) struct Asked<'a> {
    pub words: &'a BroadWords,
    pub view: Option<&'a str>,
}

impl BroadWords {
    /// Forgets the segments that `searcher` no longer has.
    pub(crate) fn retain_segments_of(&self, searcher: &Searcher) {
        let current = crate::segment_cache::segments_of(searcher);
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|key, _| current.contains(&key.segment));
        self.deleted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|segment, _| current.contains(segment));
    }

    /// The bytes the summaries take.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|entry| entry.bytes.load(Ordering::Relaxed))
            .sum()
    }

    /// What the summaries hold and have answered.
    pub(crate) fn counts(&self) -> BroadWordCounts {
        let kept = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        BroadWordCounts {
            kept,
            bytes: self.heap_bytes(),
            from_candidates: self.from_candidates.load(Ordering::Relaxed),
            ranked_in_full: self.ranked_in_full.load(Ordering::Relaxed),
        }
    }

    /// Whether every word of `query` is broad in `reader`'s segment: has enough postings in
    /// all its fields together, which a search reads through.
    fn is_broad(&self, reader: &SegmentReader, query: &PlainQuery) -> bool {
        let threshold = u64::from(
            self.min_postings
                .max(reader.max_doc() / self.share.max(1))
                .max(1),
        );
        query.words.iter().all(|word| {
            let postings: u64 = word
                .iter()
                .filter_map(|scored| {
                    reader
                        .inverted_index(scored.term.field())
                        .ok()?
                        .doc_freq(&scored.term)
                        .ok()
                })
                .map(u64::from)
                .sum();
            postings >= threshold
        })
    }

    /// The summary of `key`, made by `build` when there is none yet (one search makes it while
    /// others asking wait for it).
    fn summary(
        &self,
        key: Key,
        build: impl FnOnce() -> tantivy::Result<Summary>,
    ) -> tantivy::Result<Arc<Summary>> {
        let entry = Arc::clone(
            self.entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key)
                .or_default(),
        );
        entry.used.store(
            self.clock.fetch_add(1, Ordering::Relaxed),
            Ordering::Relaxed,
        );
        let mut slot = entry.summary.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(summary) = slot.as_ref() {
            return Ok(Arc::clone(summary));
        }
        let built = Arc::new(build()?);
        entry.bytes.store(built.heap_bytes(), Ordering::Relaxed);
        *slot = Some(Arc::clone(&built));
        drop(slot);
        self.keep_within_budget();
        Ok(built)
    }

    /// Drops the least recently used summaries while they take more than the budget.
    fn keep_within_budget(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let mut total: usize = entries
            .values()
            .map(|entry| entry.bytes.load(Ordering::Relaxed))
            .sum();
        while total > self.budget && entries.len() > 1 {
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, entry)| entry.used.load(Ordering::Relaxed))
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            if let Some(entry) = entries.remove(&oldest) {
                total = total.saturating_sub(entry.bytes.load(Ordering::Relaxed));
            }
        }
    }

    /// The deleted documents of `reader`'s segment.
    fn deleted_docs(&self, reader: &SegmentReader) -> Arc<DeletedDocs> {
        let deleted = reader.num_deleted_docs();
        let mut lists = self.deleted.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(list) = lists.get(&reader.segment_id())
            && list.deleted == deleted
        {
            return Arc::clone(list);
        }
        let docs = match reader.alive_bitset() {
            Some(alive) => (0..reader.max_doc())
                .filter(|doc| alive.is_deleted(*doc))
                .collect(),
            None => Vec::new(),
        };
        let list = Arc::new(DeletedDocs { deleted, docs });
        // An older searcher's fewer deletions are not kept over a newer one's.
        let newer = lists
            .get(&reader.segment_id())
            .is_some_and(|kept| kept.deleted > deleted);
        if !newer {
            lists.insert(reader.segment_id(), Arc::clone(&list));
        }
        list
    }
}

/// Answers `query` from the summaries when it narrows by no facet and its words are all broad
/// in some segment (the other segments searched as usual); `None` otherwise, for the usual
/// evaluation. The segments are taken on the search threads, so the first search of the words
/// makes their summaries of several segments at once.
#[allow(clippy::too_many_arguments)]
pub(crate) fn search(
    searcher: &Searcher,
    parallelism: &Parallelism,
    asked: &Asked<'_>,
    query: &PlainQuery,
    weights: &Weights,
    visible: &[Arc<BitSet>],
    facets: &FacetCounter,
    limit: usize,
) -> tantivy::Result<Option<Found>> {
    let broad = asked.words;
    if !broad.enabled
        || limit > broad.candidates
        || query.words.is_empty()
        || !query.filters.is_empty()
    {
        return Ok(None);
    }
    let readers = searcher.segment_readers();
    let broad_in: Vec<bool> = readers
        .iter()
        .map(|reader| broad.is_broad(reader, query))
        .collect();
    if !broad_in.contains(&true) {
        return Ok(None);
    }
    let segment = |ordinal: u32| -> tantivy::Result<Found> {
        let (Some(reader), Some(visible)) =
            (readers.get(ordinal as usize), visible.get(ordinal as usize))
        else {
            return Ok((0, Vec::new(), Vec::new()));
        };
        let segment = Segment {
            reader,
            ordinal,
            query,
            weights,
            visible,
            facets,
        };
        let (count, best, fruit) = if broad_in.get(ordinal as usize) == Some(&true) {
            let key = Key {
                segment: reader.segment_id(),
                terms: query
                    .words
                    .iter()
                    .map(|word| word.iter().map(|scored| scored.term.clone()).collect())
                    .collect(),
                exact_title: query.exact_title.as_ref().map(|scored| scored.term.clone()),
                view: asked.view.map(str::to_owned),
                facets: facets.facets.iter().map(|(facet, _)| *facet).collect(),
            };
            let summary = broad.summary(key, || summarise(segment, broad.candidates))?;
            answer(broad, &summary, segment, limit)?
        } else {
            segment.ranked(limit, facets)?
        };
        let best = best
            .into_iter()
            .map(|(score, bib, doc)| (score, bib, DocAddress::new(ordinal, doc)))
            .collect();
        Ok((count, best, fruit))
    };
    let ordinals = 0..readers.len() as u32;
    let fruits = if parallelism.threads > 1 && readers.len() > 1 {
        parallelism.executor.map(segment, ordinals)?
    } else {
        ordinals.map(segment).collect::<tantivy::Result<Vec<_>>>()?
    };
    merged(fruits, limit, facets).map(Some)
}

/// One segment of a search: what summarising it and answering from it read.
#[derive(Clone, Copy)]
struct Segment<'a> {
    reader: &'a SegmentReader,
    ordinal: u32,
    query: &'a PlainQuery,
    weights: &'a Weights,
    visible: &'a Arc<BitSet>,
    facets: &'a FacetCounter,
}

impl Segment<'_> {
    /// A search of `query` (the search's own or part of it) over every document of the
    /// segment in `visible`, keeping the best `limit` and counting `facets`.
    fn open(
        &self,
        query: &PlainQuery,
        visible: Arc<BitSet>,
        limit: usize,
        facets: &FacetCounter,
    ) -> tantivy::Result<Option<RangeSearch>> {
        RangeSearch::open(
            self.reader,
            query,
            self.weights,
            visible,
            0..self.reader.max_doc(),
            limit,
            facets.for_segment(self.ordinal, self.reader)?,
        )
    }

    /// The segment searched in full, as without summaries, counting `facets`.
    fn ranked(&self, limit: usize, facets: &FacetCounter) -> tantivy::Result<RangeFound> {
        crate::windowed::search_range(
            self.reader,
            self.query,
            self.weights,
            Arc::clone(self.visible),
            0..self.reader.max_doc(),
            limit,
            facets.for_segment(self.ordinal, self.reader)?,
        )
    }
}

/// Searches `query` over the whole segment, deleted documents too, and keeps what a summary
/// holds; when more matched than the candidates, a second pass finds the best score below the
/// cut and the matches that tie with it.
fn summarise(segment: Segment<'_>, candidates: usize) -> tantivy::Result<Summary> {
    let Segment {
        reader,
        query,
        weights,
        facets,
        ..
    } = segment;
    let open = |limit: usize, facets: &FacetCounter| -> tantivy::Result<Option<RangeSearch>> {
        Ok(segment
            .open(query, Arc::clone(segment.visible), limit, facets)?
            .map(RangeSearch::with_deleted))
    };
    let (count, mut best, raw) = match open(candidates, facets)? {
        Some(mut search) => {
            search.run(0);
            search.finish_raw()
        }
        None => (0, Vec::new(), Vec::new()),
    };
    best.sort_unstable_by_key(|(_, _, doc)| *doc);
    let docs: Vec<DocId> = best.iter().map(|(_, _, doc)| *doc).collect();
    let cut = (count > best.len()).then(|| {
        best.iter()
            .map(|(score, _, _)| *score)
            .fold(Score::INFINITY, Score::min)
    });
    let mut below = None;
    let mut tied_docs = Vec::new();
    let mut overflowed = false;
    if let Some(cut) = cut {
        let nothing = FacetCounter { facets: Vec::new() };
        if let Some(search) = open(0, &nothing)? {
            let mut search = search.watching(CutWatch {
                cut,
                candidates: docs.clone(),
                below: None,
                tied: Vec::new(),
                most: MOST_TIED,
                overflowed: false,
            });
            search.run(0);
            if let Some(watch) = search.watched() {
                below = watch.below;
                tied_docs = watch.tied;
                overflowed = watch.overflowed;
            }
        }
    }
    let (terms, exact_title, scored) = scorings(reader, query, weights, &docs)?;
    let candidates = best
        .into_iter()
        .zip(scored)
        .map(|((_, bib, doc), scoring)| Candidate { doc, bib, scoring })
        .collect();
    let tied = if overflowed {
        None
    } else {
        let (_, _, scored) = scorings(reader, query, weights, &tied_docs)?;
        let bib_ids = reader.fast_fields().i64(crate::index::BIB_ID)?;
        let mut lowest: HashMap<Scoring, i64> = HashMap::new();
        for (doc, scoring) in tied_docs.iter().zip(scored) {
            let bib = bib_ids.first(*doc).unwrap_or_default();
            lowest
                .entry(scoring)
                .and_modify(|kept| *kept = (*kept).min(bib))
                .or_insert(bib);
        }
        Some(
            lowest
                .into_iter()
                .map(|(scoring, bib)| Tied { scoring, bib })
                .collect(),
        )
    };
    Ok(Summary {
        count,
        facets: raw,
        terms,
        exact_title,
        candidates,
        cut,
        below,
        tied,
        deducted: Mutex::new(None),
    })
}

/// The words' terms the segment has (with their weights now), the exact title's weight, and
/// what each of `docs` (in document order) scores from.
#[allow(clippy::type_complexity)]
fn scorings(
    reader: &SegmentReader,
    query: &PlainQuery,
    weights: &Weights,
    docs: &[DocId],
) -> tantivy::Result<(Vec<Place>, Option<Bm25Weight>, Vec<Scoring>)> {
    let mut scorings: Vec<Scoring> = vec![
        Scoring {
            impacts: Vec::new(),
            exact_title: None,
            own_member: false,
        };
        docs.len()
    ];
    let mut terms = Vec::new();
    for (number, (word, word_weights)) in query.words.iter().zip(&weights.words).enumerate() {
        for (place, (scored, weight)) in word.iter().zip(word_weights).enumerate() {
            let Some(mut cursor) =
                Cursor::open(reader, &scored.term, scored.record, Some(weight), 0)?
            else {
                continue;
            };
            terms.push((number, place, weight.clone()));
            for (doc, scoring) in docs.iter().zip(scorings.iter_mut()) {
                scoring
                    .impacts
                    .push(cursor.impact_at(*doc).unwrap_or((0, 0)));
            }
        }
    }
    let exact_title = match (&query.exact_title, &weights.exact_title) {
        (Some(scored), Some(weight)) => {
            if let Some(mut cursor) =
                Cursor::open(reader, &scored.term, scored.record, Some(weight), 0)?
            {
                for (doc, scoring) in docs.iter().zip(scorings.iter_mut()) {
                    scoring.exact_title = cursor.impact_at(*doc).map(|(_, norm)| norm);
                }
            }
            Some(weight.clone())
        }
        _ => None,
    };
    for term in &query.own_member {
        if let Some(mut cursor) = Cursor::open(reader, term, IndexRecordOption::Basic, None, 0)? {
            for (doc, scoring) in docs.iter().zip(scorings.iter_mut()) {
                scoring.own_member |= cursor.impact_at(*doc).is_some();
            }
        }
    }
    Ok((terms, exact_title, scorings))
}

/// The answer in one segment from its summary: the count and facets less the deleted
/// documents', and the best candidates scored now, or the segment ranked in full when they
/// cannot be shown to be the best.
fn answer(
    broad: &BroadWords,
    summary: &Summary,
    segment: Segment<'_>,
    limit: usize,
) -> tantivy::Result<RangeFound> {
    let Segment {
        reader,
        ordinal,
        query,
        weights,
        facets,
        ..
    } = segment;
    let deducted = deducted(broad, summary, segment)?;
    let count = summary.count.saturating_sub(deducted.count);
    let mut counter = facets.for_segment(ordinal, reader)?;
    counter.load_raw(&summary.facets, &deducted.facets);
    let alive = reader.alive_bitset();
    let mut best: Vec<(Score, i64, DocId)> = summary
        .candidates
        .iter()
        .filter(|candidate| alive.is_none_or(|alive| alive.is_alive(candidate.doc)))
        .map(|candidate| {
            let score = score_now(
                &candidate.scoring,
                &summary.terms,
                weights,
                query.own_member_boost,
            );
            (score, candidate.bib, candidate.doc)
        })
        .collect();
    best.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    best.truncate(limit);
    let exact = match (summary.cut, best.last()) {
        (None, _) => true,
        _ if limit == 0 => true,
        (Some(_), None) => false,
        (Some(cut), Some(&(last, last_bib, _))) => {
            let drift = drift(summary, weights);
            // Every other bib scored below the cut, or tied with it in one of the listed ways
            // (scored now exactly), or when those were too many, at most the cut.
            let beaten = |bound: Score| last > bound * drift * (1.0 + ROUNDING);
            let below = summary.below.is_none_or(beaten);
            let tied = match &summary.tied {
                Some(tied) => tied.iter().all(|tied| {
                    let score = score_now(
                        &tied.scoring,
                        &summary.terms,
                        weights,
                        query.own_member_boost,
                    );
                    match last.total_cmp(&score) {
                        std::cmp::Ordering::Greater => true,
                        std::cmp::Ordering::Equal => last_bib < tied.bib,
                        std::cmp::Ordering::Less => false,
                    }
                }),
                None => beaten(cut),
            };
            best.len() == limit && below && tied
        }
    };
    if exact {
        broad.from_candidates.fetch_add(1, Ordering::Relaxed);
    } else {
        broad.ranked_in_full.fetch_add(1, Ordering::Relaxed);
        // Ranked in full; the counts are the summary's all the same.
        let (_, ranked, _) = segment.ranked(limit, &FacetCounter { facets: Vec::new() })?;
        best = ranked;
    }
    Ok((count, best, counter.harvest()))
}

/// A match's score with the weights of now, summed as [`crate::windowed`] sums it: the words
/// from the fewest postings to the most, each word's terms in the query's order, then the
/// exact title's and the own member's boosts.
fn score_now(
    scoring: &Scoring,
    terms: &[Place],
    weights: &Weights,
    own_member_boost: Score,
) -> Score {
    let mut score: Option<Score> = None;
    for word in &weights.order {
        for ((number, place, _), (frequency, norm)) in terms.iter().zip(&scoring.impacts) {
            if number != word || *frequency == 0 {
                continue;
            }
            let Some(weight) = weights.words.get(*number).and_then(|word| word.get(*place)) else {
                continue;
            };
            let term = weight.score(*norm, *frequency);
            score = Some(score.map_or(term, |sum| sum + term));
        }
    }
    let mut boost: Option<Score> = None;
    if let (Some(norm), Some(weight)) = (scoring.exact_title, weights.exact_title.as_ref()) {
        boost = Some(weight.score(norm, 1));
    }
    if scoring.own_member {
        boost = Some(boost.map_or(own_member_boost, |sum| sum + own_member_boost));
    }
    let score = score.unwrap_or(0.0);
    match boost {
        Some(boost) => score + boost,
        None => score,
    }
}

/// The most a bib's score can have grown since the summary was made: for every term, the
/// largest ratio of its weight now to its weight then over every field length, at the least
/// and the greatest frequency (a ratio moves one way as the frequency grows), and never less
/// than 1 (boosts do not move).
fn drift(summary: &Summary, weights: &Weights) -> Score {
    let mut most: Score = 1.0;
    let mut compare = |now: &Bm25Weight, then: &Bm25Weight| {
        for norm in 0..=u8::MAX {
            for frequency in [1, 1 << 24] {
                let (now, then) = (now.score(norm, frequency), then.score(norm, frequency));
                if then > 0.0 {
                    most = most.max(now / then);
                } else if now > 0.0 {
                    most = Score::INFINITY;
                }
            }
        }
    };
    for (number, place, then) in &summary.terms {
        if let Some(now) = weights.words.get(*number).and_then(|word| word.get(*place)) {
            compare(now, then);
        }
    }
    if let (Some(now), Some(then)) = (weights.exact_title.as_ref(), summary.exact_title.as_ref()) {
        compare(now, then);
    }
    most
}

/// What the segment's deleted documents that the view may see count for the summary's words,
/// counted anew only for the documents deleted since it was last asked.
fn deducted(
    broad: &BroadWords,
    summary: &Summary,
    segment: Segment<'_>,
) -> tantivy::Result<Arc<Deducted>> {
    let Segment {
        reader,
        query,
        visible,
        facets,
        ..
    } = segment;
    let deleted = reader.num_deleted_docs();
    let mut kept = summary
        .deducted
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(deducted) = kept.as_ref()
        && deducted.deleted == deleted
    {
        return Ok(Arc::clone(deducted));
    }
    // From what was deducted before, unless that was for a newer searcher's deletions.
    let before = kept.as_ref().filter(|before| before.deleted < deleted);
    let list = broad.deleted_docs(reader);
    let mut fresh = BitSet::with_max_value(reader.max_doc());
    let mut any = false;
    for doc in &list.docs {
        if visible.contains(*doc) && before.is_none_or(|before| !before.gone.contains(*doc)) {
            fresh.insert(*doc);
            any = true;
        }
    }
    let (count, raw) = if any {
        let word_only = PlainQuery {
            words: query.words.clone(),
            ..PlainQuery::default()
        };
        match segment.open(&word_only, Arc::new(fresh.clone()), 0, facets)? {
            Some(search) => {
                let (count, _, raw) = search.with_deleted().among().finish_raw();
                (count, raw)
            }
            None => (0, Vec::new()),
        }
    } else {
        (0, Vec::new())
    };
    let mut gone = fresh;
    let (count, facets) = match before {
        Some(before) => {
            for bucket in 0..before.gone.max_value().div_ceil(64) {
                for doc in before.gone.tinyset(bucket).into_iter() {
                    gone.insert(bucket * 64 + doc);
                }
            }
            let facets = if raw.is_empty() {
                before.facets.clone()
            } else if before.facets.is_empty() {
                raw
            } else {
                before
                    .facets
                    .iter()
                    .zip(&raw)
                    .map(|(before, fresh)| before.plus(fresh))
                    .collect()
            };
            (before.count + count, facets)
        }
        None => (count, raw),
    };
    let deducted = Arc::new(Deducted {
        deleted,
        gone,
        count,
        facets,
    });
    // An older searcher's fewer deletions are not kept over a newer one's.
    if kept.as_ref().is_none_or(|kept| kept.deleted < deleted) {
        *kept = Some(Arc::clone(&deducted));
    }
    Ok(deducted)
}
