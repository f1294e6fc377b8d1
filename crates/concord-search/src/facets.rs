//! Exact facet counting by term ordinals, with the ordinal maps cached per index generation.
//!
//! Each segment stores a facet field as a sorted dictionary of values and, per document, the
//! ordinals of its values. Counting increments an array indexed by ordinal; only the few values
//! that make the top of a facet are ever turned back into text. To add up counts from several
//! segments, whose ordinals differ, each segment's ordinals are mapped to *global* ordinals
//! (positions in the sorted union of all segments' values), so ties between equal counts still
//! break by value without looking values up.
//!
//! Holdings facets are indexed as `VIEWER:VALUE` (see [`crate::index`]); for them the map goes
//! from a segment ordinal straight to the visible value in one view (or to nothing when the
//! viewer may not see it), and a value counts once per document even when `*:A` and `A:A` both
//! occur in it.
//!
//! **Invariant:** the maps depend only on the segments' dictionaries, which never change once a
//! segment is written, so they are cached by the searcher's list of segment ids and rebuilt on
//! the first search after a reload brings new segments.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, Column, StrColumn};
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, Searcher, SegmentReader};

use crate::index::EVERYONE;
use crate::searcher::{FacetCount, FacetField};

/// A segment ordinal that maps to no value (a holdings value the viewer may not see).
const HIDDEN: u32 = u32::MAX;

/// The values of one facet across every segment of a searcher, for one view.
pub(crate) struct FacetOrdinals {
    /// Per segment (in the searcher's order): segment ordinal → global ordinal or [`HIDDEN`].
    segment_maps: Vec<Arc<[u32]>>,
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

type CacheKey = (FacetField, Option<String>);

/// The ordinal maps of the current index generation, built lazily per facet and view.
#[derive(Default)]
pub(crate) struct FacetOrdinalCache {
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    segments: Vec<SegmentId>,
    maps: HashMap<CacheKey, Arc<FacetOrdinals>>,
}

impl FacetOrdinalCache {
    /// The maps of `facet` for `view` over the segments of `searcher`, built if needed.
    pub(crate) fn get(
        &self,
        searcher: &Searcher,
        facet: FacetField,
        view: Option<&str>,
    ) -> tantivy::Result<Arc<FacetOrdinals>> {
        let segments: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(SegmentReader::segment_id)
            .collect();
        let key: CacheKey = (
            facet,
            view.filter(|_| facet.depends_on_view()).map(str::to_owned),
        );
        {
            let state = self
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if state.segments == segments
                && let Some(found) = state.maps.get(&key)
            {
                return Ok(Arc::clone(found));
            }
        }
        // Built outside the lock: two searches may build the same map once, which is harmless.
        let built = Arc::new(build_ordinals(searcher, facet, key.1.as_deref())?);
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.segments != segments {
            state.segments = segments;
            state.maps.clear();
        }
        state.maps.insert(key, Arc::clone(&built));
        Ok(built)
    }
}

fn build_ordinals(
    searcher: &Searcher,
    facet: FacetField,
    view: Option<&str>,
) -> tantivy::Result<FacetOrdinals> {
    let columns: Vec<Option<StrColumn>> = searcher
        .segment_readers()
        .iter()
        .map(|segment| segment.fast_fields().str(facet.index_field_name()))
        .collect::<tantivy::Result<_>>()?;
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
        (GlobalValues::Owned(values), true)
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
        values,
        deduplicate,
    })
}

/// Counts the requested facets over every matching document (no scores needed).
#[derive(Clone)]
pub(crate) struct FacetCounter {
    pub facets: Vec<(FacetField, Arc<FacetOrdinals>)>,
}

/// Per facet, the non-zero counts by global ordinal.
pub(crate) type FacetFruit = Vec<Vec<(u32, u64)>>;

pub(crate) struct FacetSegmentCounter {
    facets: Vec<SegmentFacet>,
    /// Documents passed one at a time (with a score), counted in blocks.
    pending: Vec<DocId>,
}

/// How many documents to gather before counting them as a block.
const BLOCK: usize = 64;

struct SegmentFacet {
    ordinals: Option<Column<u64>>,
    map: Arc<[u32]>,
    deduplicate: bool,
    /// Plain facets: counts by segment ordinal. Holdings facets: counts by global ordinal.
    counts: Vec<u32>,
    seen_in_document: Vec<u32>,
    /// Whether every document has at most one value, so a block of documents can be read in
    /// one batched call.
    single_valued: bool,
    block_values: Vec<Option<u64>>,
}

impl Collector for FacetCounter {
    type Fruit = FacetFruit;
    type Child = FacetSegmentCounter;

    fn for_segment(
        &self,
        segment_ordinal: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCounter> {
        let mut facets = Vec::with_capacity(self.facets.len());
        for (facet, ordinals) in &self.facets {
            let column = segment.fast_fields().str(facet.index_field_name())?;
            let map = ordinals
                .segment_maps
                .get(segment_ordinal as usize)
                .cloned()
                .unwrap_or_else(|| Arc::from(Vec::new()));
            let counted = match &ordinals.values {
                GlobalValues::Owned(values) => values.len(),
                GlobalValues::InDictionary { .. } => map.len(),
            };
            let ordinals_column = column.map(|column| column.ords().clone());
            let single_valued = ordinals_column
                .as_ref()
                .is_some_and(|column| column.get_cardinality() != Cardinality::Multivalued);
            facets.push(SegmentFacet {
                ordinals: ordinals_column,
                map,
                deduplicate: ordinals.deduplicate,
                counts: vec![0; counted],
                seen_in_document: Vec::new(),
                single_valued,
                block_values: Vec::new(),
            });
        }
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

impl SegmentFacet {
    fn count_block(&mut self, docs: &[DocId]) {
        let Some(column) = &self.ordinals else {
            return;
        };
        if !self.single_valued || self.deduplicate {
            for doc in docs {
                self.count(*doc);
            }
            return;
        }
        self.block_values.clear();
        self.block_values.resize(docs.len(), None);
        column.first_vals(docs, &mut self.block_values);
        for ordinal in self.block_values.iter().flatten() {
            if let Some(count) = self.counts.get_mut(*ordinal as usize) {
                *count += 1;
            }
        }
    }

    fn count(&mut self, doc: DocId) {
        let Some(column) = &self.ordinals else {
            return;
        };
        if !self.deduplicate {
            for ordinal in column.values_for_doc(doc) {
                if let Some(count) = self.counts.get_mut(ordinal as usize) {
                    *count += 1;
                }
            }
            return;
        }
        self.seen_in_document.clear();
        for ordinal in column.values_for_doc(doc) {
            if let Some(global) = self.map.get(ordinal as usize).copied()
                && global != HIDDEN
            {
                self.seen_in_document.push(global);
            }
        }
        self.seen_in_document.sort_unstable();
        self.seen_in_document.dedup();
        for global in &self.seen_in_document {
            if let Some(count) = self.counts.get_mut(*global as usize) {
                *count += 1;
            }
        }
    }

    fn harvest(self) -> Vec<(u32, u64)> {
        let counted = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0);
        if self.deduplicate {
            counted
                .map(|(global, count)| (global as u32, u64::from(*count)))
                .collect()
        } else {
            counted
                .filter_map(|(ordinal, count)| {
                    let global = self.map.get(ordinal).copied()?;
                    (global != HIDDEN).then_some((global, u64::from(*count)))
                })
                .collect()
        }
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
