//! Searching one query on several threads: the documents of the index are cut into ranges of
//! about equal size, each range is collected on the search thread pool, and the fruits merge as
//! tantivy merges segments' fruits.
//!
//! tantivy's own multi-threaded search gives one task per segment, which does little for an
//! index whose largest segment holds half the documents (a freshly built 4M-bib index has one
//! of 2.2M and several of 270k). Ranges within a segment let both halves of that segment run at
//! once. Scores do not change: BM25 statistics come from the whole searcher, not the range.
//!
//! **Invariant:** the ranges of a segment are disjoint and cover it, and deleted documents are
//! skipped as tantivy skips them, so counts are the same as a single-threaded search's. Only
//! documents the view may see are collected (see [`crate::visibility`]).

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{EnableScoring, Query};
use tantivy::{BitSet, DocId, DocSet, Executor, Searcher, TERMINATED};

/// Ranges smaller than this are not worth a task of their own (the scorer set-up per range
/// looks up every query term again).
pub(crate) const MIN_RANGE_DOCS: u32 = 50_000;

/// A range of one segment's documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DocRange {
    pub segment: u32,
    pub docs: Range<DocId>,
}

/// How one search is spread over threads.
pub(crate) struct Parallelism {
    pub executor: Executor,
    pub threads: usize,
    /// The smallest range worth a task ([`MIN_RANGE_DOCS`]; tests make it tiny).
    pub min_range_docs: u32,
    /// Searches running now.
    pub in_flight: AtomicUsize,
    /// Plain keyword searches that arrive while others run share sweeps over the index.
    pub shared: crate::shared_pass::SharedPasses,
}

impl Parallelism {
    /// A search starting now: cut into ranges of about equal size over every search thread
    /// when it is the only one running, else into whole segments. When searches already share
    /// the cores, cutting a segment up adds the cost of the cuts (every range looks its terms
    /// up again) and finishes nothing sooner. Either way the ranges run on the search threads,
    /// whose queue serves searches in turn, so a long one does not slow every other down.
    pub(crate) fn begin(&self, segment_sizes: &[u32]) -> Plan<'_> {
        let running = self.in_flight.fetch_add(1, AtomicOrdering::Relaxed) + 1;
        let ranges = if running == 1 {
            doc_ranges(segment_sizes, self.threads, self.min_range_docs)
        } else {
            whole_segments(segment_sizes)
        };
        Plan {
            in_flight: &self.in_flight,
            running,
            ranges,
            parallel: self.threads > 1,
        }
    }
}

/// How one search is cut; the search counts as running while this lives.
pub(crate) struct Plan<'a> {
    in_flight: &'a AtomicUsize,
    /// How many searches were running when this one began, itself included.
    pub running: usize,
    /// The ranges, covering every document once.
    pub ranges: Vec<DocRange>,
    /// Whether to run the ranges on the search threads.
    pub parallel: bool,
}

impl Plan<'_> {
    /// `task` over every range, on the search threads when the plan says so, in range order.
    pub(crate) fn run<T: Send>(
        &self,
        executor: &Executor,
        task: impl Fn(DocRange) -> tantivy::Result<T> + Sync,
    ) -> tantivy::Result<Vec<T>> {
        if self.parallel && self.ranges.len() > 1 {
            executor.map(task, self.ranges.iter().cloned())
        } else {
            self.ranges.iter().cloned().map(task).collect()
        }
    }
}

impl Drop for Plan<'_> {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, AtomicOrdering::Relaxed);
    }
}

/// One range per segment.
fn whole_segments(segment_sizes: &[u32]) -> Vec<DocRange> {
    segment_sizes
        .iter()
        .enumerate()
        .map(|(segment, size)| DocRange {
            segment: segment as u32,
            docs: 0..*size,
        })
        .collect()
}

/// Runs `query` with `collector` over every document of `searcher` that is in `visible` (one set
/// per segment, in the searcher's order), cut into ranges.
pub(crate) fn search<C: Collector>(
    searcher: &Searcher,
    parallelism: &Parallelism,
    query: &dyn Query,
    visible: &[Arc<BitSet>],
    collector: &C,
) -> tantivy::Result<C::Fruit> {
    let scoring = collector.requires_scoring();
    let weight = if scoring {
        query.weight(EnableScoring::enabled_from_searcher(searcher))?
    } else {
        query.weight(EnableScoring::disabled_from_searcher(searcher))?
    };
    let segment_sizes: Vec<u32> = searcher
        .segment_readers()
        .iter()
        .map(|segment| segment.max_doc())
        .collect();
    let plan = parallelism.begin(&segment_sizes);
    let collect = |range: DocRange| -> tantivy::Result<<C::Child as SegmentCollector>::Fruit> {
        let segment = searcher.segment_reader(range.segment);
        let mut child = collector.for_segment(range.segment, segment)?;
        let mut scorer = weight.scorer(segment, 1.0)?;
        let mut doc = scorer.doc();
        if doc < range.docs.start {
            doc = scorer.seek(range.docs.start);
        }
        let alive = segment.alive_bitset();
        // A segment without a set has nothing the viewer may see.
        let Some(visible) = visible.get(range.segment as usize) else {
            return Ok(child.harvest());
        };
        while doc < range.docs.end && doc != TERMINATED {
            if visible.contains(doc) && alive.is_none_or(|alive| alive.is_alive(doc)) {
                let score = if scoring { scorer.score() } else { 0.0 };
                child.collect(doc, score);
            }
            doc = scorer.advance();
        }
        Ok(child.harvest())
    };
    let fruits = plan.run(&parallelism.executor, collect)?;
    collector.merge_fruits(fruits)
}

/// Cuts segments of the given sizes into ranges: about two per thread over the whole index, so
/// that a thread finishing early finds another, and none smaller than `min_range_docs` unless
/// its segment is.
pub(crate) fn doc_ranges(
    segment_sizes: &[u32],
    threads: usize,
    min_range_docs: u32,
) -> Vec<DocRange> {
    let total: u64 = segment_sizes.iter().map(|size| u64::from(*size)).sum();
    let wanted = (threads.max(1) * 2) as u64;
    let target = u32::try_from(total.div_ceil(wanted))
        .unwrap_or(u32::MAX)
        .max(min_range_docs.max(1));
    let mut ranges = Vec::new();
    for (segment, size) in segment_sizes.iter().enumerate() {
        let pieces = size.div_ceil(target).max(1);
        let piece = size.div_ceil(pieces);
        let mut start = 0;
        while start < *size {
            let end = start.saturating_add(piece).min(*size);
            ranges.push(DocRange {
                segment: segment as u32,
                docs: start..end,
            });
            start = end;
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(sizes: &[u32], threads: usize, expected: &[(u32, Range<DocId>)]) {
        let ranges: Vec<(u32, Range<DocId>)> = doc_ranges(sizes, threads, MIN_RANGE_DOCS)
            .into_iter()
            .map(|range| (range.segment, range.docs))
            .collect();
        assert_eq!(ranges, expected);
    }

    #[test]
    fn a_search_alone_cuts_segments_and_one_among_others_does_not() {
        let parallelism = Parallelism {
            executor: Executor::single_thread(),
            threads: 2,
            min_range_docs: MIN_RANGE_DOCS,
            in_flight: AtomicUsize::new(0),
            shared: Default::default(),
        };
        let sizes = [2_000_000, 200_000];
        let alone = parallelism.begin(&sizes);
        assert_eq!(alone.ranges.len(), 5);
        let second = parallelism.begin(&sizes);
        let whole: Vec<(u32, Range<DocId>)> = second
            .ranges
            .iter()
            .map(|range| (range.segment, range.docs.clone()))
            .collect();
        assert_eq!(whole, [(0, 0..2_000_000), (1, 0..200_000)]);
        drop(second);
        drop(alone);
        assert_eq!(parallelism.in_flight.load(AtomicOrdering::Relaxed), 0);
        assert_eq!(parallelism.begin(&sizes).ranges.len(), 5);
    }

    #[test]
    fn small_segments_stay_whole() {
        check(&[10, 0, 30_000], 2, &[(0, 0..10), (2, 0..30_000)]);
    }

    #[test]
    fn a_large_segment_is_cut_into_equal_ranges() {
        check(
            &[2_000_000, 200_000],
            2,
            &[
                (0, 0..500_000),
                (0, 500_000..1_000_000),
                (0, 1_000_000..1_500_000),
                (0, 1_500_000..2_000_000),
                (1, 0..200_000),
            ],
        );
    }

    #[test]
    fn one_thread_cuts_in_two() {
        check(&[300_000], 1, &[(0, 0..150_000), (0, 150_000..300_000)]);
    }

    #[test]
    fn ranges_cover_every_document_once() {
        let sizes = [2_173_659, 272_301, 123_816, 70_566, 1];
        for threads in 1..=8 {
            let ranges = doc_ranges(&sizes, threads, MIN_RANGE_DOCS);
            for (segment, size) in sizes.iter().enumerate() {
                let mut next = 0;
                for range in ranges
                    .iter()
                    .filter(|range| range.segment == segment as u32)
                {
                    assert_eq!(range.docs.start, next);
                    next = range.docs.end;
                }
                assert_eq!(next, *size);
            }
        }
    }
}
