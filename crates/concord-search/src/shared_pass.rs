//! Plain keyword searches that arrive while others are running share passes over the index.
//!
//! A broad word's search is bound by memory: each match's field lengths and facet values are
//! read from arrays of tens of MB, spread so thinly that nearly every cache line of them is
//! fetched. Twenty patrons searching at once make each of those lines come from memory twenty
//! times over. Here the searches waiting go round the index together: one thread takes the
//! index a window of documents at a time (see [`crate::windowed`]), each search taking the
//! window in turn while the window's lines are still in the cache. Every search keeps its own
//! postings, scores, best hits and counts, so each gets exactly the answer it would get alone.
//!
//! Searches do not wait for company: while there are idle search threads, a search is cut into
//! ranges (alone) or segments (see [`crate::parallel`]) that they take up at once. One that
//! finds every search thread busy joins the queue. A *sweep* (one per search thread at most)
//! goes round the index's segments window by window, over and over while it has searches: a
//! search waiting joins a sweep at its next window, reads from there to the end of the index
//! and on from the start back to where it joined, and is answered as soon as it is round, not
//! when a whole batch is done. So a search waits about one round of the searches beside it,
//! however broad the search that happened to start just before it. A sweep is run by the thread
//! of one of the searches in it; when that search is answered, its thread hands the sweep on to
//! the thread of another search waiting, which takes it up where it stopped.
//!
//! **Invariant:** every job taken into a sweep gets an answer, an error if its sweep failed
//! (see [`SweepGuard`]), so no caller waits forever; at most `runners` sweeps exist at once,
//! and each has a thread running it or is offered to the threads waiting.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use tantivy::collector::Collector;
use tantivy::{BitSet, DocAddress, DocId, Searcher, TERMINATED, TantivyError};

use crate::facets::FacetCounter;
use crate::windowed::{Found, PlainQuery, RangeSearch, WINDOW, Weights, merged};

/// The most searches one sweep takes at once: past this, each would wait long for the others'
/// windows, and each search in a sweep holds its own counts for every value of every facet it
/// asks for in the segment being read (with a million authors in a segment, 4 MB for that
/// facet alone).
pub(crate) const MAX_PASS_SEARCHES: usize = 16;

/// One search waiting for, or taken into, a sweep: everything it needs, owned, and where its
/// answer goes.
pub(crate) struct Job {
    searcher: Searcher,
    query: PlainQuery,
    weights: Weights,
    visible: Vec<Arc<BitSet>>,
    facets: FacetCounter,
    limit: usize,
    answer: Mutex<Option<tantivy::Result<Found>>>,
    /// Wakes the job's caller (with the queue's lock): when the job is answered, or when a
    /// sweep wants a thread.
    woken: Condvar,
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
            woken: Condvar::new(),
        })
    }

    fn answer(&self) -> MutexGuard<'_, Option<tantivy::Result<Found>>> {
        self.answer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Which plain keyword searches go through sweeps shared with the searches beside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PassSharing {
    /// None: every search runs on its own (to measure what sharing gains).
    Never,
    /// Those that arrive while every search thread is busy (the default).
    #[default]
    WhenBusy,
    /// Every one, however few run: a sweep of one search, or of several when searches arrive
    /// together (for tests that must see sweeps on any machine).
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

/// The queue of searches waiting for a sweep, and the sweeps.
pub(crate) struct SharedPasses {
    /// A [`PassSharing`] as its discriminant.
    sharing: AtomicU8,
    /// While set, searches queue and no sweep starts or takes them (for tests: to gather a
    /// known sweep).
    held: AtomicBool,
    /// How many searches wait in the queue, read by running sweeps without the lock.
    waiting_count: AtomicUsize,
    passes: AtomicUsize,
    passed_searches: AtomicUsize,
    largest_pass: AtomicUsize,
    joined_midway: AtomicUsize,
    state: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Arc<Job>>,
    /// Sweeps whose thread left them (its search was answered), for a waiting thread to run.
    offered: Vec<Sweep>,
    /// Sweeps that exist: running on a thread, or offered.
    sweeps: usize,
    /// The jobs whose callers wait to be woken, each on its job's condition variable: one at a
    /// time, so that an answer or an offered sweep wakes one thread, not all of them.
    sleepers: Vec<Arc<Job>>,
}

impl Queue {
    /// Wakes one waiting caller, when a sweep is offered or a new one may start, so that a
    /// thread takes it up.
    fn wake_one(&mut self, runners: usize) {
        let wanted =
            !self.offered.is_empty() || (self.sweeps < runners && !self.waiting.is_empty());
        if wanted && let Some(sleeper) = self.sleepers.pop() {
            sleeper.woken.notify_one();
        }
    }
}

impl Default for SharedPasses {
    fn default() -> SharedPasses {
        SharedPasses {
            sharing: AtomicU8::new(PassSharing::WhenBusy as u8),
            held: AtomicBool::new(false),
            waiting_count: AtomicUsize::new(0),
            passes: AtomicUsize::new(0),
            passed_searches: AtomicUsize::new(0),
            largest_pass: AtomicUsize::new(0),
            joined_midway: AtomicUsize::new(0),
            state: Mutex::new(Queue::default()),
        }
    }
}

impl SharedPasses {
    /// Whether a search that began with `running` searches running (itself included) goes
    /// through a sweep: when there are more than `threads`, the search threads are all busy,
    /// and memory, not cores, is what sharing saves. With fewer, the search is cut into
    /// segments or ranges that idle threads take up at once.
    pub(crate) fn shares(&self, running: usize, threads: usize) -> bool {
        match PassSharing::from_u8(self.sharing.load(Ordering::Relaxed)) {
            PassSharing::Never => false,
            PassSharing::WhenBusy => running > threads,
            PassSharing::Always => true,
        }
    }

    /// How many sweeps ran so far, how many searches they took, and the most one held at once.
    pub(crate) fn counts(&self) -> SharedPassCounts {
        SharedPassCounts {
            passes: self.passes.load(Ordering::Relaxed),
            searches: self.passed_searches.load(Ordering::Relaxed),
            largest: self.largest_pass.load(Ordering::Relaxed),
            joined_midway: self.joined_midway.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn set_sharing(&self, sharing: PassSharing) {
        self.sharing.store(sharing as u8, Ordering::Relaxed);
    }

    /// Queues `job` and returns its answer. While it waits, this thread runs a sweep that no
    /// thread runs (one offered, or a new one while fewer than `runners` exist), until the job
    /// has its answer.
    pub(crate) fn search(&self, job: Arc<Job>, runners: usize) -> tantivy::Result<Found> {
        let mut queue = self.lock();
        queue.waiting.push_back(Arc::clone(&job));
        self.waiting_count.fetch_add(1, Ordering::Relaxed);
        loop {
            if let Some(answer) = job.answer().take() {
                // Woken for a sweep while being answered: another takes it up.
                queue.wake_one(runners);
                return answer;
            }
            if !self.held.load(Ordering::Relaxed) {
                let sweep = match queue.offered.pop() {
                    Some(sweep) => Some(sweep),
                    None if queue.sweeps < runners.max(1) && !queue.waiting.is_empty() => {
                        queue.sweeps += 1;
                        self.passes.fetch_add(1, Ordering::Relaxed);
                        Some(Sweep::default())
                    }
                    None => None,
                };
                if let Some(sweep) = sweep {
                    drop(queue);
                    self.run(sweep, &job, runners);
                    queue = self.lock();
                    continue;
                }
            }
            queue.sleepers.push(Arc::clone(&job));
            queue = job
                .woken
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
            queue.sleepers.retain(|sleeper| !Arc::ptr_eq(sleeper, &job));
        }
    }

    /// Runs `sweep` until `own` has its answer or the sweep has no search left; then offers it
    /// to another thread or ends it.
    fn run(&self, sweep: Sweep, own: &Job, runners: usize) {
        let mut guard = SweepGuard {
            passes: self,
            sweep: Some(sweep),
            runners,
        };
        while let Some(sweep) = guard.sweep.as_mut() {
            if own.answer().is_some() {
                break;
            }
            self.admit(sweep);
            if sweep.searches.is_empty() {
                break;
            }
            let answered = sweep.step();
            if !answered.is_empty() {
                // Under the lock, so that no caller is between looking for its answer and
                // waiting.
                let _queue = self.lock();
                for job in answered {
                    job.woken.notify_one();
                }
            }
        }
        let Some(sweep) = guard.sweep.take() else {
            return;
        };
        let mut queue = self.lock();
        if sweep.searches.is_empty() {
            queue.sweeps = queue.sweeps.saturating_sub(1);
        } else {
            queue.offered.push(sweep);
        }
        queue.wake_one(runners);
    }

    /// Takes searches waiting into `sweep` at its next window, as many as it has room for.
    fn admit(&self, sweep: &mut Sweep) {
        if self.waiting_count.load(Ordering::Relaxed) == 0
            || self.held.load(Ordering::Relaxed)
            || sweep.searches.len() >= MAX_PASS_SEARCHES
        {
            return;
        }
        let mut queue = self.lock();
        let room = MAX_PASS_SEARCHES - sweep.searches.len();
        let take = queue.waiting.len().min(room);
        let jobs: Vec<Arc<Job>> = queue.waiting.drain(..take).collect();
        self.waiting_count.fetch_sub(take, Ordering::Relaxed);
        drop(queue);
        self.passed_searches.fetch_add(take, Ordering::Relaxed);
        for job in jobs {
            if sweep.join(job) {
                self.joined_midway.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.largest_pass
            .fetch_max(sweep.searches.len(), Ordering::Relaxed);
    }

    /// Holds sweeps back (searches only queue) or lets them run again.
    #[cfg(test)]
    pub(crate) fn hold(&self, held: bool) {
        self.held.store(held, Ordering::Relaxed);
        // Under the lock, so that no caller is between looking at `held` and waiting.
        let queue = self.lock();
        for sleeper in &queue.sleepers {
            sleeper.woken.notify_one();
        }
    }

    /// How many searches wait for a sweep.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Searches going round the index together, and where they are.
#[derive(Default)]
struct Sweep {
    /// The segment (by ordinal) the sweep is in.
    segment: u32,
    /// The first document of its next window there, a multiple of [`WINDOW`].
    window_start: DocId,
    /// The most segments any of its searches' searchers has: one round.
    segments: u32,
    searches: Vec<Sweeping>,
}

/// One search in a sweep.
struct Sweeping {
    job: Arc<Job>,
    /// The parts of segments it has still to read, in the order the sweep comes to them: from
    /// where it joined to the end of the index, then from the start back to there.
    parts: VecDeque<(u32, Range<DocId>)>,
    /// The part being read, once the sweep has come to it.
    reading: Option<RangeSearch>,
    /// What each part read found, or the error that ended the search.
    found: tantivy::Result<Vec<Found>>,
}

impl Sweep {
    /// Takes `job` in at the sweep's next window; whether it joined inside a segment (and so
    /// reads that segment's start last).
    fn join(&mut self, job: Arc<Job>) -> bool {
        let max_docs: Vec<DocId> = job
            .searcher
            .segment_readers()
            .iter()
            .map(|reader| reader.max_doc())
            .collect();
        self.segments = self.segments.max(max_docs.len() as u32);
        if self.segment >= self.segments {
            self.segment = 0;
            self.window_start = 0;
        }
        let parts = parts_from(self.segment, self.window_start, self.segments, &max_docs);
        let midway = self.window_start > 0;
        self.searches.push(Sweeping {
            job,
            parts,
            reading: None,
            found: Ok(Vec::new()),
        });
        midway
    }

    /// Takes the sweep one window further, or to the next segment when none of its searches
    /// has anything left in this one. Answers the searches that are round, and returns them.
    fn step(&mut self) -> Vec<Arc<Job>> {
        let (segment, window_start) = (self.segment, self.window_start);
        // Open the parts the sweep has come to.
        for search in &mut self.searches {
            search.open_part_at(segment, window_start);
        }
        let next = self
            .searches
            .iter()
            .filter_map(|search| search.reading.as_ref())
            .map(RangeSearch::next_doc)
            .min()
            .unwrap_or(TERMINATED);
        if next == TERMINATED {
            // Nothing left here: the parts being read are done (each at its end).
            for search in &mut self.searches {
                search.finish_part();
            }
            self.segment = if segment + 1 >= self.segments {
                0
            } else {
                segment + 1
            };
            self.window_start = 0;
        } else {
            // Windows on one grid, so that every search takes the same documents' lines in turn.
            let window_start = window_start.max(next - next % WINDOW);
            let window_end = window_start.saturating_add(WINDOW);
            for search in &mut self.searches {
                if let Some(reading) = search.reading.as_mut()
                    && reading.next_doc() < window_end
                {
                    reading.window(window_start);
                    reading.count_facets();
                }
            }
            self.window_start = window_end;
            // A part read to its end is done now, not when the segment is.
            for search in &mut self.searches {
                if search
                    .reading
                    .as_ref()
                    .is_some_and(|reading| reading.next_doc() == TERMINATED)
                {
                    search.finish_part();
                }
            }
        }
        // Answer the searches that are round.
        let mut answered = Vec::new();
        self.searches.retain_mut(|search| {
            if !search.parts.is_empty() && search.found.is_ok() {
                return true;
            }
            let found = std::mem::replace(&mut search.found, Ok(Vec::new()));
            let answer =
                found.and_then(|found| merged(found, search.job.limit, &search.job.facets));
            *search.job.answer() = Some(answer);
            answered.push(Arc::clone(&search.job));
            false
        });
        answered
    }
}

/// The parts of its segments (`max_docs`, by ordinal) a search joining a sweep of `segments`
/// segments at document `from` of segment `here` reads, in the order the sweep comes to them:
/// from there to the end of the index, then from the start back to there. Together they cover
/// every document of every segment once.
fn parts_from(
    here: u32,
    from: DocId,
    segments: u32,
    max_docs: &[DocId],
) -> VecDeque<(u32, Range<DocId>)> {
    let max_doc = |segment: u32| max_docs.get(segment as usize).copied().unwrap_or(0);
    let own_segments = max_docs.len() as u32;
    let mut parts = VecDeque::with_capacity(max_docs.len() + 1);
    for step in 0..segments {
        let segment = (here + step) % segments;
        if segment >= own_segments {
            continue;
        }
        let start = if step == 0 { from } else { 0 };
        if start < max_doc(segment) {
            parts.push_back((segment, start..max_doc(segment)));
        }
    }
    if here < own_segments && from > 0 {
        parts.push_back((here, 0..from.min(max_doc(here))));
    }
    parts
}

impl Sweeping {
    /// Opens the search's next part when it begins where the sweep is.
    fn open_part_at(&mut self, segment: u32, window_start: DocId) {
        if self.reading.is_some() || self.found.is_err() {
            return;
        }
        while let Some((part_segment, docs)) = self.parts.front().cloned() {
            if part_segment != segment || docs.start != window_start {
                return;
            }
            let job = &self.job;
            let (Some(reader), Some(visible)) = (
                job.searcher.segment_readers().get(segment as usize),
                job.visible.get(segment as usize),
            ) else {
                self.parts.pop_front();
                continue;
            };
            let opened = job.facets.for_segment(segment, reader).and_then(|facets| {
                RangeSearch::open(
                    reader,
                    &job.query,
                    &job.weights,
                    Arc::clone(visible),
                    docs,
                    job.limit,
                    facets,
                )
            });
            match opened {
                Ok(Some(search)) => {
                    self.reading = Some(search);
                    return;
                }
                // Nothing there can match: the part is done.
                Ok(None) => {
                    self.parts.pop_front();
                }
                Err(error) => {
                    self.found = Err(error);
                    return;
                }
            }
        }
    }

    /// Ends the part being read: what it found is kept, and the next part is the sweep's to
    /// come to.
    fn finish_part(&mut self) {
        let Some(reading) = self.reading.take() else {
            return;
        };
        let Some((segment, _)) = self.parts.pop_front() else {
            return;
        };
        let (count, best, facet_fruit) = reading.finish();
        let best = best
            .into_iter()
            .map(|(score, bib, doc)| (score, bib, DocAddress::new(segment, doc)))
            .collect();
        if let Ok(found) = self.found.as_mut() {
            found.push((count, best, facet_fruit));
        }
    }
}

/// What the sweeps have done since the index was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SharedPassCounts {
    /// Sweeps started.
    pub passes: usize,
    /// Searches they took, together.
    pub searches: usize,
    /// The most searches one sweep held at once.
    pub largest: usize,
    /// Searches that joined a sweep inside a segment, and read its start last.
    pub joined_midway: usize,
}

/// Ends a sweep's run, however it ends: on a panic, every search in the sweep gets an error,
/// the sweep ends and every waiting caller is woken to look for its answer.
struct SweepGuard<'a> {
    passes: &'a SharedPasses,
    /// The sweep while it runs; taken out when the run ends normally.
    sweep: Option<Sweep>,
    runners: usize,
}

impl Drop for SweepGuard<'_> {
    fn drop(&mut self) {
        let Some(sweep) = self.sweep.take() else {
            return;
        };
        for search in &sweep.searches {
            let mut answer = search.job.answer();
            if answer.is_none() {
                *answer = Some(Err(TantivyError::InternalError(
                    "a shared search sweep ended without an answer".to_owned(),
                )));
            }
        }
        let mut queue = self.passes.lock();
        queue.sweeps = queue.sweeps.saturating_sub(1);
        for search in &sweep.searches {
            search.job.woken.notify_one();
        }
        queue.wake_one(self.runners);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_joining_a_sweep_reads_every_document_once_from_where_it_joined() {
        let max_docs = [10_000, 300, 9_000];
        let parts = |here, from, segments| -> Vec<(u32, Range<DocId>)> {
            parts_from(here, from, segments, &max_docs)
                .into_iter()
                .collect()
        };
        // At the start: every segment whole, in order.
        assert_eq!(parts(0, 0, 3), [(0, 0..10_000), (1, 0..300), (2, 0..9_000)]);
        // Inside the first segment: its rest, the others, then its start.
        assert_eq!(
            parts(0, 4096, 3),
            [(0, 4096..10_000), (1, 0..300), (2, 0..9_000), (0, 0..4096)]
        );
        // Inside the last: round to the first.
        assert_eq!(
            parts(2, 8192, 3),
            [(2, 8192..9_000), (0, 0..10_000), (1, 0..300), (2, 0..8192)]
        );
        // A sweep that goes round more segments than the search's searcher has (a newer
        // generation beside it): the search's own, in the sweep's order.
        assert_eq!(
            parts(3, 4096, 5),
            [(0, 0..10_000), (1, 0..300), (2, 0..9_000)]
        );
        assert_eq!(parts(1, 0, 5), [(1, 0..300), (2, 0..9_000), (0, 0..10_000)]);
        // Joining past the end of a short segment (the window grid of a longer one in another
        // generation): only its start, last.
        assert_eq!(
            parts(1, 4096, 3),
            [(2, 0..9_000), (0, 0..10_000), (1, 0..300)]
        );
    }

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
