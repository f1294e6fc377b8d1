//! Reload benchmark for catalogues with many distinct facet values: every bib of a synthetic
//! catalogue gets an author name of its own (as a real catalogue of millions of records has
//! millions of names), then a few single-bib commits are made as the change-log follower makes
//! them, and each reload (which rebuilds the facet maps of every facet asked for) is timed; then
//! the empty search (browsing everything) is timed without facets, with the author facet and
//! with all nine.
//!
//! cargo run --release -p concord-search --example reload_bench -- [BIBS] [FIXTURES_DIR]
//! Set CONCORD_BENCH_INDEX_DIR to keep the index there and reuse it in later runs (same BIBS).
// A benchmark tool, not server code: it fails loudly, and reading the clock is its purpose.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

use std::path::PathBuf;
use std::time::Instant;

use concord_search::bench::{CatalogueShape, quantile, synthetic_document};
use concord_search::{BibDocument, FacetField, SearchIndex, SearchRequest, document_from_record};

const RELOADS: usize = 10;

fn main() {
    let mut args = std::env::args().skip(1);
    let bibs: usize = args.next().map_or(1_000_000, |n| n.parse().expect("BIBS"));
    let fixtures = PathBuf::from(args.next().unwrap_or_else(|| "fixtures/marc".to_owned()));
    let records = std::fs::File::open(fixtures.join("solrmarc/demoRecs.mrc")).unwrap();
    let templates: Vec<BibDocument> = concord_marc::read_any(records)
        .unwrap()
        .flatten()
        .enumerate()
        .map(|(number, record)| document_from_record(number as i64, &record, Vec::new()))
        .collect();
    let shape = CatalogueShape::seo_like(bibs);
    let with_own_author = |number: usize| {
        let mut document = synthetic_document(&templates, &shape, number).unwrap();
        document.authors = vec![format!("Author {number:08}, Unique")];
        document
    };

    let work = std::env::temp_dir().join(format!("concord-reload-bench-{}", std::process::id()));
    let directory = std::env::var_os("CONCORD_BENCH_INDEX_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| work.join("index"));
    std::fs::create_dir_all(&directory).unwrap();
    let index = SearchIndex::open_or_create(&directory).unwrap();
    if index.document_count() as usize != bibs {
        let started = Instant::now();
        let mut indexer = index.indexer(2, 400_000_000).unwrap();
        indexer.delete_all().unwrap();
        for number in 0..bibs {
            indexer.add(&with_own_author(number)).unwrap();
            // Several commits leave several segments, as a catalogue built over time has.
            if number % 200_000 == 199_999 {
                indexer.commit().unwrap();
            }
        }
        indexer.commit().unwrap();
        indexer.finish().unwrap();
        println!(
            "built {bibs} bibs with {bibs} distinct authors in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    index.reload().unwrap();
    index.warm_up().unwrap();
    // The results page asks for every facet, authors among them.
    index.search(&SearchRequest::new("music")).unwrap();

    let mut reloads = Vec::with_capacity(RELOADS);
    for round in 0..RELOADS {
        let mut indexer = index.indexer(1, 20_000_000).unwrap();
        indexer
            .upsert(&with_own_author(round * 7919 % bibs))
            .unwrap();
        indexer.commit().unwrap();
        indexer.finish().unwrap();
        let began = Instant::now();
        index.reload().unwrap();
        reloads.push(began.elapsed().as_micros() as u64);
    }
    reloads.sort_unstable();
    println!(
        "reload with facet maps, {RELOADS} single-bib commits, {bibs} distinct authors: p50 {:.1} ms, max {:.1} ms",
        quantile(&reloads, 0.5) as f64 / 1000.0,
        reloads.last().copied().unwrap_or(0) as f64 / 1000.0
    );

    // Browsing the whole catalogue (the empty search) counts every author: a million counts to
    // merge across the segments and choose the top values from. Median of 20 of each,
    // alternating, each search on every core.
    let mut times: Vec<(&str, Vec<u64>)> = vec![
        ("no facets", vec![]),
        ("author", vec![]),
        ("all nine facets", vec![]),
    ];
    let mut total = 0;
    for _ in 0..20 {
        for (name, samples) in &mut times {
            let mut request = SearchRequest::new("");
            request.facets = match *name {
                "no facets" => Vec::new(),
                "author" => vec![FacetField::Author],
                _ => FacetField::ALL.to_vec(),
            };
            let began = Instant::now();
            total = index.search(&request).unwrap().total;
            samples.push(began.elapsed().as_micros() as u64);
        }
    }
    for (name, mut samples) in times {
        samples.sort_unstable();
        println!(
            "browse all {total} bibs, {name}: median {:.1} ms",
            quantile(&samples, 0.5) as f64 / 1000.0
        );
    }
    std::fs::remove_dir_all(&work).ok();
}
