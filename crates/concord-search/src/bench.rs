//! Synthetic catalogues for the search benchmark.
