//! Plain keyword searches that arrive while others are running share one pass over the index.
//!
//! A broad word's search is bound by memory: each match's field lengths and facet values are
//! read from arrays of tens of MB, spread so thinly that nearly every cache line of them is
//! fetched. Twenty patrons searching at once make each of those lines come from memory twenty
//! times over. Here the searches waiting are taken together, and one thread goes through the
//! index a window of documents at a time (see [`crate::windowed`]), each search taking the
//! window in turn while the window's lines are still in the cache. Every search keeps its own
//! postings, scores, best hits and counts, so each gets exactly the answer it would get alone.
//!
//! Searches do not wait for company: while there are idle search threads, a search is cut into
//! ranges (alone) or segments (see [`crate::parallel`]) that they take up at once. One that
//! finds every search thread busy joins the queue, and the first caller to find a free runner
//! slot (one per search thread) takes every search queued so far through one pass, on its own
//! thread. Callers wait for their answer on a condition variable.
//!
//! **Invariant:** every job taken into a pass gets an answer, an error if the pass failed
//! (see [`PassGuard`]), so no caller waits forever; at most `runners` passes run at once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use tantivy::collector::Collector;
use tantivy::{BitSet, DocAddress, Searcher, TERMINATED, TantivyError};

use crate::facets::FacetCounter;
use crate::windowed::{Found, PlainQuery, RangeSearch, WINDOW, Weights, merged};

/// The most searches one pass takes: past this, the first ones would wait long for the last,
/// and each search in a pass holds its own counts for every value of every facet it asks for
/// in the segment being read (with a million authors in a segment, 4 MB for that facet alone).
pub(crate) const MAX_PASS_SEARCHES: usize = 16;

/// One search waiting for, or taken through, a shared pass: everything it needs, owned, and
/// where its answer goes.
pub(crate) struct Job {
    searcher: Searcher,
    query: PlainQuery,
    weights: Weights,
    visible: Vec<Arc<BitSet>>,
    facets: FacetCounter,
    limit: usize,
    answer: Mutex<Option<tantivy::Result<Found>>>,
}

impl Job {
    pub(crate) fn new(
        searcher: &Searcher,
        query: &PlainQuery,
        weights: Weights,
        visible: &[Arc<BitSet>],
        facets: &FacetCounter,
        limit: usize,
    ) -> Arc<Job> {
        Arc::new(Job {
            searcher: searcher.clone(),
            query: query.clone(),
            weights,
            visible: visible.to_vec(),
            facets: facets.clone(),
            limit,
            answer: Mutex::new(None),
        })
    }

    fn answer(&self) -> MutexGuard<'_, Option<tantivy::Result<Found>>> {
        self.answer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Which plain keyword searches go through shared passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PassSharing {
    /// None: every search runs on its own (to measure what sharing gains).
    Never,
    /// Those that arrive while every search thread is busy (the default).
    #[default]
    WhenBusy,
    /// Every one, however few run: a pass of one search, or of several when searches arrive
    /// together (for tests that must see passes on any machine).
    Always,
}

impl PassSharing {
    fn from_u8(value: u8) -> PassSharing {
        match value {
            0 => PassSharing::Never,
            2 => PassSharing::Always,
            _ => PassSharing::WhenBusy,
        }
    }
}

/// The queue of searches waiting for a pass, and the passes running.
pub(crate) struct SharedPasses {
    /// A [`PassSharing`] as its discriminant.
    sharing: AtomicU8,
    /// While set, searches queue and no pass starts (for tests: to gather a known pass).
    held: AtomicBool,
    passes: AtomicUsize,
    passed_searches: AtomicUsize,
    largest_pass: AtomicUsize,
    state: Mutex<Queue>,
    /// Signalled whenever a pass ends (its jobs have their answers).
    pass_ended: Condvar,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Arc<Job>>,
    running: usize,
}

impl Default for SharedPasses {
    fn default() -> SharedPasses {
        SharedPasses {
            sharing: AtomicU8::new(PassSharing::WhenBusy as u8),
            held: AtomicBool::new(false),
            passes: AtomicUsize::new(0),
            passed_searches: AtomicUsize::new(0),
            largest_pass: AtomicUsize::new(0),
            state: Mutex::new(Queue::default()),
            pass_ended: Condvar::new(),
        }
    }
}

impl SharedPasses {
    /// Whether a search that began with `running` searches running (itself included) goes
    /// through a shared pass: when there are more than `threads`, the search threads are all
    /// busy, and memory, not cores, is what sharing saves. With fewer, the search is cut into
    /// segments or ranges that idle threads take up at once.
    pub(crate) fn shares(&self, running: usize, threads: usize) -> bool {
        match PassSharing::from_u8(self.sharing.load(Ordering::Relaxed)) {
            PassSharing::Never => false,
            PassSharing::WhenBusy => running > threads,
            PassSharing::Always => true,
        }
    }

    /// How many passes ran so far, how many searches they took, and the most one took.
    pub(crate) fn counts(&self) -> SharedPassCounts {
        SharedPassCounts {
            passes: self.passes.load(Ordering::Relaxed),
            searches: self.passed_searches.load(Ordering::Relaxed),
            largest: self.largest_pass.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn set_sharing(&self, sharing: PassSharing) {
        self.sharing.store(sharing as u8, Ordering::Relaxed);
    }

    /// Queues `job` and returns its answer, running passes on this thread while fewer than
    /// `runners` run and searches are waiting.
    pub(crate) fn search(&self, job: Arc<Job>, runners: usize) -> tantivy::Result<Found> {
        let mut queue = self.lock();
        queue.waiting.push_back(Arc::clone(&job));
        loop {
            if let Some(answer) = job.answer().take() {
                return answer;
            }
            if queue.running < runners.max(1)
                && !queue.waiting.is_empty()
                && !self.held.load(Ordering::Relaxed)
            {
                let take = queue.waiting.len().min(MAX_PASS_SEARCHES);
                let jobs: Vec<Arc<Job>> = queue.waiting.drain(..take).collect();
                queue.running += 1;
                drop(queue);
                self.passes.fetch_add(1, Ordering::Relaxed);
                self.passed_searches
                    .fetch_add(jobs.len(), Ordering::Relaxed);
                self.largest_pass.fetch_max(jobs.len(), Ordering::Relaxed);
                {
                    let _guard = PassGuard {
                        passes: self,
                        jobs: &jobs,
                    };
                    run_pass(&jobs);
                }
                queue = self.lock();
                continue;
            }
            queue = self
                .pass_ended
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Holds passes back (searches only queue) or lets them run again.
    #[cfg(test)]
    pub(crate) fn hold(&self, held: bool) {
        self.held.store(held, Ordering::Relaxed);
        // Under the lock, so that no caller is between looking at `held` and waiting.
        let _queue = self.lock();
        self.pass_ended.notify_all();
    }

    /// How many searches wait for a pass.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the shared passes have done since the index was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SharedPassCounts {
    /// Passes run.
    pub passes: usize,
    /// Searches they took, together.
    pub searches: usize,
    /// The most searches one pass took.
    pub largest: usize,
}

/// Ends a pass, however it ends: a job left without an answer (the pass panicked) gets an
/// error, the runner's slot is freed and every waiting caller is woken to look for its answer.
struct PassGuard<'a> {
    passes: &'a SharedPasses,
    jobs: &'a [Arc<Job>],
}

impl Drop for PassGuard<'_> {
    fn drop(&mut self) {
        for job in self.jobs {
            let mut answer = job.answer();
            if answer.is_none() {
                *answer = Some(Err(TantivyError::InternalError(
                    "a shared search pass ended without an answer".to_owned(),
                )));
            }
        }
        let mut queue = self.passes.lock();
        queue.running = queue.running.saturating_sub(1);
        drop(queue);
        self.passes.pass_ended.notify_all();
    }
}

/// Takes `jobs` through their searchers' segments together, window by window, and leaves each
/// job's answer in it. Each job reads its own searcher, so jobs of different generations are
/// still answered right; they only share less.
fn run_pass(jobs: &[Arc<Job>]) {
    let mut fruits: Vec<Result<Vec<Found>, TantivyError>> =
        jobs.iter().map(|_| Ok(Vec::new())).collect();
    let segments = jobs
        .iter()
        .map(|job| job.searcher.segment_readers().len())
        .max()
        .unwrap_or(0);
    for segment in 0..segments {
        let segment_ordinal = segment as u32;
        let mut searches: Vec<(usize, RangeSearch<'_>)> = Vec::with_capacity(jobs.len());
        for (number, job) in jobs.iter().enumerate() {
            let Some(Ok(_)) = fruits.get(number) else {
                continue;
            };
            let (Some(reader), Some(visible)) = (
                job.searcher.segment_readers().get(segment),
                job.visible.get(segment),
            ) else {
                continue;
            };
            let opened = job
                .facets
                .for_segment(segment_ordinal, reader)
                .and_then(|facets| {
                    RangeSearch::open(
                        reader,
                        &job.query,
                        &job.weights,
                        visible,
                        0..reader.max_doc(),
                        job.limit,
                        facets,
                    )
                });
            match opened {
                Ok(Some(search)) => searches.push((number, search)),
                Ok(None) => {}
                Err(error) => {
                    if let Some(slot) = fruits.get_mut(number) {
                        *slot = Err(error);
                    }
                }
            }
        }
        // Windows on one grid, so that every search takes the same documents' lines in turn.
        let mut window_start = 0;
        loop {
            let next = searches
                .iter()
                .map(|(_, search)| search.next_doc())
                .min()
                .unwrap_or(TERMINATED);
            if next == TERMINATED {
                break;
            }
            window_start = window_start.max(next - next % WINDOW);
            let window_end = window_start.saturating_add(WINDOW);
            for (_, search) in &mut searches {
                if search.next_doc() < window_end {
                    search.window(window_start);
                    search.count_facets();
                }
            }
            window_start = window_end;
        }
        for (number, search) in searches {
            let (count, best, facet_fruit) = search.finish();
            let best = best
                .into_iter()
                .map(|(score, bib, doc)| (score, bib, DocAddress::new(segment_ordinal, doc)))
                .collect();
            if let Some(Ok(found)) = fruits.get_mut(number) {
                found.push((count, best, facet_fruit));
            }
        }
    }
    for (job, fruit) in jobs.iter().zip(fruits) {
        let answer = fruit.and_then(|found| merged(found, job.limit, &job.facets));
        *job.answer() = Some(answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_share_passes_only_when_every_search_thread_is_busy() {
        let passes = SharedPasses::default();
        assert!(!passes.shares(1, 2));
        assert!(!passes.shares(2, 2));
        assert!(passes.shares(3, 2));
        assert!(passes.shares(2, 1));
        passes.set_sharing(PassSharing::Never);
        assert!(!passes.shares(3, 2));
        passes.set_sharing(PassSharing::Always);
        assert!(passes.shares(1, 2));
    }
}
