//! Values worked out once per index segment and key (a facet field, a view), kept while the
//! segment is searched.
//!
//! **Invariant:** a value depends only on its segment, which never changes once written, so it
//! stays valid until the segment leaves the searcher (merged away), when
//! [`SegmentCache::retain_segments_of`] drops it. Searches still running on an older searcher
//! keep their own references.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::index::SegmentId;
use tantivy::{Searcher, SegmentReader};

/// The segments `searcher` reads.
pub(crate) fn segments_of(searcher: &Searcher) -> HashSet<SegmentId> {
    searcher
        .segment_readers()
        .iter()
        .map(SegmentReader::segment_id)
        .collect()
}

pub(crate) struct SegmentCache<K, V> {
    entries: Mutex<HashMap<(SegmentId, K), Arc<V>>>,
}

impl<K, V> Default for SegmentCache<K, V> {
    fn default() -> Self {
        SegmentCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V> SegmentCache<K, V> {
    /// The value for `segment` and `key`, built by `build` the first time. It is built outside
    /// the lock: two searches may build the same value at once, which is harmless.
    pub(crate) fn get_or_try_build<E>(
        &self,
        segment: SegmentId,
        key: K,
        build: impl FnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        let key = (segment, key);
        if let Some(found) = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Arc::clone(found));
        }
        let built = Arc::new(build()?);
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, Arc::clone(&built));
        Ok(built)
    }

    /// [`SegmentCache::get_or_try_build`] for a build that cannot fail.
    pub(crate) fn get_or_build(
        &self,
        segment: SegmentId,
        key: K,
        build: impl FnOnce() -> V,
    ) -> Arc<V> {
        match self.get_or_try_build(segment, key, || Ok::<V, Infallible>(build())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Forgets the segments that `searcher` no longer has (merged away or deleted).
    pub(crate) fn retain_segments_of(&self, searcher: &Searcher) {
        let current = segments_of(searcher);
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(segment, _), _| current.contains(segment));
    }

    /// The sum of `size` over every value kept.
    pub(crate) fn total(&self, size: impl Fn(&V) -> usize) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|value| size(value))
            .sum()
    }
}
