//! Exact facet counting by term ordinals, with the ordinal maps built once per index generation
//! and every document's ordinals decoded once per segment.
//!
//! Each segment stores a facet field as a sorted dictionary of values and, per document, the
//! ordinals of its values. Counting increments an array indexed by ordinal; only the few values
//! that make the top of a facet are ever turned back into text. To add up counts from several
//! segments, whose ordinals differ, each segment's ordinals are mapped to *global* ordinals
//! (positions in the sorted union of all segments' values), so ties between equal counts still
//! break by value without looking values up.
//!
//! Reading a document's ordinals from tantivy's columns goes through an optional or
//! multi-valued index and bit-unpacking for every value, which was most of a broad search's
//! time. So each segment's ordinals are decoded once into plain arrays of the smallest integer
//! type that holds them ([`DenseColumn`]: one byte a document for format, language or decade),
//! cached by segment id, as a segment never changes once written.
//!
//! Holdings facets are indexed as `VIEWER:VALUE` (see [`crate::index`]); for them the map goes
//! from a segment ordinal to the visible value in one view (or to nothing when the viewer may
//! not see it), and a value counts once per document even when `*:A` and `A:A` both occur in it.
//!
//! **Invariant:** the maps and arrays depend only on the segments' dictionaries and documents,
//! which never change once a segment is written. The maps belong to one index generation (one
//! list of segments) and are built before that generation is searched (see
//! [`crate::index::SearchIndex::reload`]); the arrays are kept per segment for as long as the
//! segment is searched.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, StrColumn};
use tantivy::{DocId, Score, Searcher, SegmentReader};

use crate::index::EVERYONE;
use crate::searcher::{FacetCount, FacetField};
use crate::segment_cache::SegmentCache;

/// A segment ordinal that maps to no value (a holdings value the viewer may not see).
const HIDDEN: u32 = u32::MAX;

/// The values of one facet across every segment of a searcher, for one view.
pub(crate) struct FacetOrdinals {
    /// Per segment (in the searcher's order): segment ordinal → global ordinal or [`HIDDEN`].
    segment_maps: Vec<Arc<[u32]>>,
    /// Per segment (in the searcher's order): every document's segment ordinals.
    dense_columns: Vec<Option<Arc<DenseColumn>>>,
    /// Per global ordinal, where to read its value.
    values: GlobalValues,
    /// Whether several segment ordinals of one document can map to the same global ordinal, so
    /// that a document must count each global ordinal once.
    deduplicate: bool,
}

enum GlobalValues {
    /// Plain facets: the segment and segment ordinal of the first occurrence; read from the
    /// dictionary only for the values that are returned.
    InDictionary {
        columns: Vec<Option<StrColumn>>,
        first_occurrence: Vec<(u32, u64)>,
    },
    /// Holdings facets in one view: the (few) visible values, sorted.
    Owned(Vec<String>),
}

impl FacetOrdinals {
    fn value(&self, global: u32) -> Option<String> {
        match &self.values {
            GlobalValues::Owned(values) => values.get(global as usize).cloned(),
            GlobalValues::InDictionary {
                columns,
                first_occurrence,
            } => {
                let (segment, ordinal) = *first_occurrence.get(global as usize)?;
                let column = columns.get(segment as usize)?.as_ref()?;
                let mut text = String::new();
                column
                    .ord_to_str(ordinal, &mut text)
                    .ok()
                    .filter(|found| *found)
                    .map(|_| text)
            }
        }
    }
}

/// Which maps a cache holds: a facet, and the view for facets that depend on it.
pub(crate) type CacheKey = (FacetField, Option<String>);

/// The ordinal maps of one index generation (one searcher), built per facet and view.
#[derive(Default)]
pub(crate) struct FacetOrdinalCache {
    maps: Mutex<HashMap<CacheKey, Arc<FacetOrdinals>>>,
}

impl FacetOrdinalCache {
    /// The maps of `facet` for `view` over the segments of `searcher` (which must be the
    /// searcher of this cache's generation), built if needed.
    pub(crate) fn get(
        &self,
        searcher: &Searcher,
        dense_columns: &DenseColumnCache,
        facet: FacetField,
        view: Option<&str>,
    ) -> tantivy::Result<Arc<FacetOrdinals>> {
        let key: CacheKey = (
            facet,
            view.filter(|_| facet.depends_on_view()).map(str::to_owned),
        );
        if let Some(found) = self
            .maps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Arc::clone(found));
        }
        // Built outside the lock: two searches may build the same map once, which is harmless.
        let built = Arc::new(build_ordinals(
            searcher,
            dense_columns,
            facet,
            key.1.as_deref(),
        )?);
        self.maps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, Arc::clone(&built));
        Ok(built)
    }

    /// The facets and views whose maps have been built.
    pub(crate) fn keys(&self) -> Vec<CacheKey> {
        self.maps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    /// A cache for a new searcher over the very same segments (only deletions differ): the
    /// maps depend on the segments' dictionaries alone, so they carry over.
    pub(crate) fn carried_over(&self) -> FacetOrdinalCache {
        FacetOrdinalCache {
            maps: Mutex::new(
                self.maps
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone(),
            ),
        }
    }
}

/// The decoded ordinals of every segment still searched, by segment and facet field.
pub(crate) type DenseColumnCache = SegmentCache<FacetField, DenseColumn>;

/// The bytes the decoded arrays in `cache` take.
pub(crate) fn dense_column_bytes(cache: &DenseColumnCache) -> usize {
    cache.total(DenseColumn::heap_bytes)
}

/// Ordinals in the smallest unsigned type that holds every ordinal of the segment plus the
/// type's maximum, which stands for "no value".
pub(crate) enum Packed {
    Narrow(Box<[u8]>),
    Medium(Box<[u16]>),
    Wide(Box<[u32]>),
}

impl Packed {
    /// `ordinals` with `u32::MAX` for "no value"; `num_terms` is the segment's number of values.
    fn pack(ordinals: Vec<u32>, num_terms: usize) -> Packed {
        if num_terms < usize::from(u8::MAX) {
            Packed::Narrow(
                ordinals
                    .into_iter()
                    .map(|ordinal| u8::try_from(ordinal).unwrap_or(u8::MAX))
                    .collect(),
            )
        } else if num_terms < usize::from(u16::MAX) {
            Packed::Medium(
                ordinals
                    .into_iter()
                    .map(|ordinal| u16::try_from(ordinal).unwrap_or(u16::MAX))
                    .collect(),
            )
        } else {
            Packed::Wide(ordinals.into_boxed_slice())
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Packed::Narrow(values) => values.len(),
            Packed::Medium(values) => values.len() * 2,
            Packed::Wide(values) => values.len() * 4,
        }
    }
}

/// Every document's ordinals of one facet in one segment.
pub(crate) enum DenseColumn {
    /// At most one value per document: the ordinal at the document's position.
    Single(Packed),
    /// The ordinals of document `d` are `values[starts[d]..starts[d + 1]]`.
    Multiple { starts: Box<[u32]>, values: Packed },
}

/// How many documents to decode per batched column read.
const DECODE_BLOCK: u32 = 1024;

impl DenseColumn {
    fn decode(column: &StrColumn, max_doc: u32) -> DenseColumn {
        let ordinals = column.ords();
        let num_terms = column.num_terms();
        let as_u32 = |ordinal: u64| u32::try_from(ordinal).unwrap_or(u32::MAX);
        if ordinals.get_cardinality() != Cardinality::Multivalued {
            let mut values = Vec::with_capacity(max_doc as usize);
            let mut docs: Vec<DocId> = Vec::with_capacity(DECODE_BLOCK as usize);
            let mut block: Vec<Option<u64>> = Vec::with_capacity(DECODE_BLOCK as usize);
            let mut start = 0;
            while start < max_doc {
                let end = start.saturating_add(DECODE_BLOCK).min(max_doc);
                docs.clear();
                docs.extend(start..end);
                block.clear();
                block.resize(docs.len(), None);
                ordinals.first_vals(&docs, &mut block);
                values.extend(block.iter().map(|value| value.map_or(u32::MAX, as_u32)));
                start = end;
            }
            return DenseColumn::Single(Packed::pack(values, num_terms));
        }
        let mut starts = Vec::with_capacity(max_doc as usize + 1);
        let mut values = Vec::new();
        starts.push(0);
        for doc in 0..max_doc {
            values.extend(ordinals.values_for_doc(doc).map(as_u32));
            starts.push(u32::try_from(values.len()).unwrap_or(u32::MAX));
        }
        DenseColumn::Multiple {
            starts: starts.into_boxed_slice(),
            values: Packed::pack(values, num_terms),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            DenseColumn::Single(values) => values.heap_bytes(),
            DenseColumn::Multiple { starts, values } => starts.len() * 4 + values.heap_bytes(),
        }
    }
}

fn build_ordinals(
    searcher: &Searcher,
    dense_columns: &DenseColumnCache,
    facet: FacetField,
    view: Option<&str>,
) -> tantivy::Result<FacetOrdinals> {
    let columns: Vec<Option<StrColumn>> = searcher
        .segment_readers()
        .iter()
        .map(|segment| segment.fast_fields().str(facet.index_field_name()))
        .collect::<tantivy::Result<_>>()?;
    let dense: Vec<Option<Arc<DenseColumn>>> = searcher
        .segment_readers()
        .iter()
        .zip(&columns)
        .map(|(segment, column)| {
            column.as_ref().map(|column| {
                dense_columns.get_or_build(segment.segment_id(), facet, || {
                    DenseColumn::decode(column, segment.max_doc())
                })
            })
        })
        .collect();
    // Every (value, segment, segment ordinal), sorted by value.
    let mut occurrences: Vec<(Vec<u8>, u32, u64)> = Vec::new();
    for (segment, column) in columns.iter().enumerate() {
        let Some(column) = column else {
            continue;
        };
        let mut stream = column.dictionary().stream()?;
        while stream.advance() {
            occurrences.push((stream.key().to_vec(), segment as u32, stream.term_ord()));
        }
    }
    occurrences.sort_unstable();

    let mut segment_maps: Vec<Vec<u32>> = columns
        .iter()
        .map(|column| vec![HIDDEN; column.as_ref().map_or(0, |column| column.num_terms())])
        .collect();
    let mut set = |segment: u32, ordinal: u64, global: u32| {
        if let Some(slot) = segment_maps
            .get_mut(segment as usize)
            .and_then(|map| map.get_mut(ordinal as usize))
        {
            *slot = global;
        }
    };

    let (values, deduplicate) = if facet.depends_on_view() {
        // The values this viewer may see, sorted, and each term's place among them.
        let visible = |term: &[u8]| -> Option<String> {
            let term = std::str::from_utf8(term).ok()?;
            let (viewer, value) = term.split_once(':')?;
            (viewer == EVERYONE || view == Some(viewer)).then(|| value.to_owned())
        };
        let values: Vec<String> = occurrences
            .iter()
            .filter_map(|(term, _, _)| visible(term))
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        let position: BTreeMap<&str, u32> = values
            .iter()
            .enumerate()
            .map(|(index, value)| (value.as_str(), index as u32))
            .collect();
        for (term, segment, ordinal) in &occurrences {
            if let Some(global) = visible(term).and_then(|value| position.get(value.as_str())) {
                set(*segment, *ordinal, *global);
            }
        }
        // In the consortium view only `*:VALUE` terms are visible, one per value, so no
        // document can count a value twice; a member's view sees `*:A` and `A:A` as one value.
        (GlobalValues::Owned(values), view.is_some())
    } else {
        let mut first_occurrence: Vec<(u32, u64)> = Vec::new();
        let mut previous: Option<&[u8]> = None;
        for (term, segment, ordinal) in &occurrences {
            if previous != Some(term.as_slice()) {
                first_occurrence.push((*segment, *ordinal));
                previous = Some(term.as_slice());
            }
            set(*segment, *ordinal, first_occurrence.len() as u32 - 1);
        }
        (
            GlobalValues::InDictionary {
                columns,
                first_occurrence,
            },
            false,
        )
    };
    Ok(FacetOrdinals {
        segment_maps: segment_maps.into_iter().map(Arc::from).collect(),
        dense_columns: dense,
        values,
        deduplicate,
    })
}

/// Counts the requested facets over every matching document (no scores needed).
#[derive(Clone)]
pub(crate) struct FacetCounter {
    pub facets: Vec<(FacetField, Arc<FacetOrdinals>)>,
}

/// Per facet, the non-zero counts by global ordinal (a global ordinal may occur more than once;
/// its counts add up).
pub(crate) type FacetFruit = Vec<Vec<(u32, u64)>>;

pub(crate) struct FacetSegmentCounter {
    facets: Vec<SegmentFacet>,
    /// Documents passed one at a time (with a score), counted in blocks.
    pending: Vec<DocId>,
}

/// How many documents to gather before counting them as a block.
const BLOCK: usize = 64;

struct SegmentFacet {
    column: Option<Arc<DenseColumn>>,
    map: Arc<[u32]>,
    deduplicate: bool,
    /// Counts by segment ordinal.
    counts: Vec<u32>,
}

impl Collector for FacetCounter {
    type Fruit = FacetFruit;
    type Child = FacetSegmentCounter;

    fn for_segment(
        &self,
        segment_ordinal: u32,
        _segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCounter> {
        let facets = self
            .facets
            .iter()
            .map(|(_, ordinals)| {
                let map = ordinals
                    .segment_maps
                    .get(segment_ordinal as usize)
                    .cloned()
                    .unwrap_or_else(|| Arc::from(Vec::new()));
                SegmentFacet {
                    column: ordinals
                        .dense_columns
                        .get(segment_ordinal as usize)
                        .cloned()
                        .flatten(),
                    counts: vec![0; map.len()],
                    map,
                    deduplicate: ordinals.deduplicate,
                }
            })
            .collect();
        Ok(FacetSegmentCounter {
            facets,
            pending: Vec::with_capacity(BLOCK),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segment_fruits: Vec<FacetFruit>) -> tantivy::Result<FacetFruit> {
        let mut merged: Vec<HashMap<u32, u64>> = vec![HashMap::new(); self.facets.len()];
        for fruit in segment_fruits {
            for (target, counts) in merged.iter_mut().zip(fruit) {
                for (global, count) in counts {
                    *target.entry(global).or_default() += count;
                }
            }
        }
        Ok(merged
            .into_iter()
            .map(|counts| counts.into_iter().collect())
            .collect())
    }
}

/// An ordinal as stored in a [`Packed`] array.
trait Ordinal: Copy + Eq {
    fn index(self) -> usize;
}

impl Ordinal for u8 {
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl Ordinal for u16 {
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl Ordinal for u32 {
    fn index(self) -> usize {
        self as usize
    }
}

/// Counts single-valued documents; "no value" is past the end of `counts` and so not counted.
fn count_single<T: Ordinal>(values: &[T], docs: &[DocId], counts: &mut [u32]) {
    for doc in docs {
        if let Some(ordinal) = values.get(*doc as usize)
            && let Some(count) = counts.get_mut(ordinal.index())
        {
            *count += 1;
        }
    }
}

fn count_multiple<T: Ordinal>(
    starts: &[u32],
    values: &[T],
    docs: &[DocId],
    counts: &mut [u32],
    map: &[u32],
    deduplicate: bool,
) {
    // Most of the time goes in waiting for memory (a broad query touches arrays of tens of MB at
    // scattered places). Reading every document's bounds first, then every document's values,
    // lets the processor fetch a whole block's cache lines at once instead of one after another.
    let mut bounds = [(0u32, 0u32); BLOCK];
    for block in docs.chunks(BLOCK) {
        for (bound, doc) in bounds.iter_mut().zip(block) {
            let doc = *doc as usize;
            *bound = (
                starts.get(doc).copied().unwrap_or(0),
                starts.get(doc + 1).copied().unwrap_or(0),
            );
        }
        for (start, end) in bounds.iter().take(block.len()) {
            let Some(ordinals) = values.get(*start as usize..*end as usize) else {
                continue;
            };
            for (position, ordinal) in ordinals.iter().enumerate() {
                if deduplicate {
                    // Count a visible value once per document: skip hidden ordinals and those
                    // whose value an earlier ordinal of this document already counted. A
                    // document has a handful of holdings values, so the scan is short.
                    let global = map.get(ordinal.index()).copied().unwrap_or(HIDDEN);
                    let counted_before = ordinals.iter().take(position).any(|earlier| {
                        map.get(earlier.index()).copied().unwrap_or(HIDDEN) == global
                    });
                    if global == HIDDEN || counted_before {
                        continue;
                    }
                }
                if let Some(count) = counts.get_mut(ordinal.index()) {
                    *count += 1;
                }
            }
        }
    }
}

impl SegmentFacet {
    fn count_block(&mut self, docs: &[DocId]) {
        let Some(column) = self.column.as_deref() else {
            return;
        };
        let counts = &mut self.counts;
        match column {
            // One value per document cannot repeat a value, so no deduplication is needed.
            DenseColumn::Single(Packed::Narrow(values)) => count_single(values, docs, counts),
            DenseColumn::Single(Packed::Medium(values)) => count_single(values, docs, counts),
            DenseColumn::Single(Packed::Wide(values)) => count_single(values, docs, counts),
            DenseColumn::Multiple { starts, values } => {
                let (map, deduplicate) = (&self.map, self.deduplicate);
                match values {
                    Packed::Narrow(values) => {
                        count_multiple(starts, values, docs, counts, map, deduplicate);
                    }
                    Packed::Medium(values) => {
                        count_multiple(starts, values, docs, counts, map, deduplicate);
                    }
                    Packed::Wide(values) => {
                        count_multiple(starts, values, docs, counts, map, deduplicate);
                    }
                }
            }
        }
    }

    fn harvest(self) -> Vec<(u32, u64)> {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .filter_map(|(ordinal, count)| {
                let global = self.map.get(ordinal).copied()?;
                (global != HIDDEN).then_some((global, u64::from(*count)))
            })
            .collect()
    }
}

impl SegmentCollector for FacetSegmentCounter {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.pending.push(doc);
        if self.pending.len() == BLOCK {
            let pending = std::mem::take(&mut self.pending);
            self.collect_block(&pending);
            self.pending = pending;
            self.pending.clear();
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        // Facet by facet keeps one column's data hot in the cache.
        for facet in &mut self.facets {
            facet.count_block(docs);
        }
    }

    fn harvest(mut self) -> FacetFruit {
        let pending = std::mem::take(&mut self.pending);
        self.collect_block(&pending);
        self.facets.into_iter().map(SegmentFacet::harvest).collect()
    }
}
/// The top `limit` values of each facet by descending count, ties by value, as text.
pub(crate) fn top_values(
    counter: &FacetCounter,
    fruit: FacetFruit,
    limit: usize,
) -> BTreeMap<FacetField, Vec<FacetCount>> {
    counter
        .facets
        .iter()
        .zip(fruit)
        .map(|((facet, ordinals), mut counts)| {
            // Global ordinals follow value order, so sorting by ordinal breaks ties by value.
            let order = |a: &(u32, u64), b: &(u32, u64)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
            if counts.len() > limit {
                counts.select_nth_unstable_by(limit, order);
                counts.truncate(limit);
            }
            counts.sort_unstable_by(order);
            let values = counts
                .into_iter()
                .filter_map(|(global, count)| {
                    ordinals
                        .value(global)
                        .map(|value| FacetCount { value, count })
                })
                .collect();
            (*facet, values)
        })
        .collect()
}
