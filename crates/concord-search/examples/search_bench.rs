//! Search benchmark: builds a synthetic SEO-size catalogue from the real MARC fixtures, indexes it
//! with tantivy, runs keyword searches with five facets at 1 and 20 concurrent clients, and runs
//! the same searches on PostgreSQL full-text search (tsvector + GIN, facets by GROUP BY).
//!
//! cargo run --release -p concord-search --example search_bench -- [BIBS] [FIXTURES_DIR]
//! PostgreSQL side: set CONCORD_BENCH_POSTGRES_URL (needs psql and pgbench on the PATH).
//! Set CONCORD_BENCH_INDEX_DIR to keep the index there and reuse it in later runs (same BIBS),
//! so that search changes can be compared on the very same index. CONCORD_BENCH_CLIENTS=1,20
//! chooses the client counts of the closed-loop runs (each client searches again as soon as it
//! has an answer). CONCORD_BENCH_RATES=10,20,40 chooses the aggregate rates (searches/s) of the
//! paced runs: 20 clients each searching on its own schedule, latency counted from the scheduled
//! start so that waiting in a queue counts (as wrk2 does); CONCORD_BENCH_PACED_SECONDS (30) is
//! how long each rate runs; CONCORD_BENCH_RATES=none skips them. CONCORD_BENCH_SEARCH_THREADS
//! sets the threads one search may use (default: one per core). CONCORD_BENCH_RELOADS (10) is
//! how many small commits the reload test makes on a hard-linked copy of the index (0 skips).
//! CONCORD_BENCH_POSTGRES_QUERIES=30,100 limits the PostgreSQL searches (1 client, 20 clients).
//! CONCORD_BENCH_QUERIES=titles searches for one to three words from real titles instead of
//! the 40 most frequent title words alone (the default, "frequent").
//! CONCORD_BENCH_EVALUATIONS (general,fastest) chooses which evaluations the tantivy runs use:
//! tantivy's query scorers for every search, and the windowed evaluation of plain keyword
//! searches ("windowed" in the report), both on the same index in the same run.
//! CONCORD_BENCH_MISSPELT=0 skips the misspelt searches (spelling suggestions).
//! CONCORD_BENCH_FACETS=format,subject (or none) counts other facets than the five, to see what
//! each costs. CONCORD_BENCH_EACH=1 times each query alone (the best of three) after the index
//! is ready, prints what each cost and how the cost is spread, and stops there.
//! It also times what the sitemaps of record pages read from the index, pages of the
//! author, subject and series browse lists, and the titles offered as a patron types.
//! A search whose words a large share of a segment's bibs hold is answered from what the first
//! search of them found there (its counts, facet counts and best matches, scored again each
//! time: see ARCHITECTURE.md, `broad_words`); the first search of each query is timed apart,
//! and CONCORD_BENCH_BROAD_WORDS=0 turns this off, so that every search costs as much as the
//! first. Nothing else is kept from one search to the next.
// A benchmark tool, not server code: it fails loudly, and reading the clock is its purpose.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::disallowed_methods
)]

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use concord_search::bench::{CatalogueShape, peak_resident_kib, quantile, synthetic_document};
use concord_search::{
    BibDocument, Evaluation, FacetField, PassSharing, SearchIndex, SearchRequest,
    document_from_record,
};

const QUERIES_ALONE: usize = 300;
const QUERIES_PER_CLIENT: usize = 50;
const CLIENTS: usize = 20;
const BENCH_FACETS: [FacetField; 5] = [
    FacetField::Format,
    FacetField::Language,
    FacetField::Decade,
    FacetField::Subject,
    FacetField::Member,
];

/// The facets each search counts: [`BENCH_FACETS`], or those CONCORD_BENCH_FACETS names.
fn bench_facets() -> &'static [FacetField] {
    static FACETS: OnceLock<Vec<FacetField>> = OnceLock::new();
    FACETS.get_or_init(|| match std::env::var("CONCORD_BENCH_FACETS").as_deref() {
        Err(_) => BENCH_FACETS.to_vec(),
        Ok("none") => Vec::new(),
        Ok(list) => list
            .split(',')
            .map(|name| {
                FacetField::from_name(name.trim())
                    .unwrap_or_else(|| panic!("CONCORD_BENCH_FACETS: unknown facet {name}"))
            })
            .collect(),
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let bibs: usize = args.next().map_or(200_000, |n| n.parse().expect("BIBS"));
    let fixtures = PathBuf::from(args.next().unwrap_or_else(|| "fixtures/marc".to_owned()));
    let templates = load_templates(&fixtures);
    println!(
        "templates: {} real records from {}",
        templates.len(),
        fixtures.display()
    );
    let shape = CatalogueShape::seo_like(bibs);

    let work = std::env::temp_dir().join(format!("concord-search-bench-{}", std::process::id()));
    let kept_index = std::env::var_os("CONCORD_BENCH_INDEX_DIR").map(PathBuf::from);
    let index_dir = kept_index.clone().unwrap_or_else(|| work.join("index"));
    std::fs::create_dir_all(&index_dir).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    println!("load average at start: {}", load_average());

    let mut index = SearchIndex::open_or_create(&index_dir).unwrap();
    if let Ok(threads) = std::env::var("CONCORD_BENCH_SEARCH_THREADS") {
        index
            .set_search_threads(threads.parse().expect("SEARCH_THREADS"))
            .unwrap();
    }
    if std::env::var("CONCORD_BENCH_BROAD_WORDS").as_deref() == Ok("0") {
        index.set_broad_word_summaries(false);
    }
    if index.document_count() as usize == bibs {
        println!(
            "tantivy: reusing the index of {bibs} bibs in {} ({} MB)",
            index_dir.display(),
            directory_bytes(&index_dir) / 1_000_000
        );
    } else {
        // Build.
        let started = Instant::now();
        let mut indexer = index.indexer(2, 500_000_000).unwrap();
        indexer.delete_all().unwrap();
        let mut items = 0;
        for number in 0..bibs {
            let document = synthetic_document(&templates, &shape, number).unwrap();
            items += document.holdings.len();
            indexer.add(&document).unwrap();
        }
        indexer.commit().unwrap();
        indexer.finish().unwrap();
        index.reload().unwrap();
        let build = started.elapsed();
        println!(
            "tantivy build: {bibs} bibs, {items} items in {:.1} s; index {} MB; peak RSS {} MB; load average {}",
            build.as_secs_f64(),
            directory_bytes(&index_dir) / 1_000_000,
            peak_resident_kib().unwrap_or(0) / 1024,
            load_average()
        );
    }

    let started = Instant::now();
    index.warm_up().unwrap();
    println!(
        "facet maps, decoded ordinals and visible sets built in {:.1} s ({} MB of them)",
        started.elapsed().as_secs_f64(),
        index.cached_bytes() / 1_000_000
    );

    // CONCORD_BENCH_QUERIES=frequent (the default): the 40 most frequent title words alone,
    // the broadest single words; =titles: 400 searches of one to three words taken from real
    // titles, as patrons type them.
    let words = match std::env::var("CONCORD_BENCH_QUERIES").as_deref() {
        Ok("titles") => title_queries(&templates),
        Ok("frequent") | Err(_) => query_words(&templates),
        Ok(other) => panic!("CONCORD_BENCH_QUERIES: unknown query set {other}"),
    };
    println!("query words: {}", words.join(" | "));
    // The first search of each query, which makes the summaries of its broad words.
    let mut first_us = Vec::with_capacity(words.len());
    let started = Instant::now();
    let hits: u64 = words
        .iter()
        .map(|word| {
            let began = Instant::now();
            let total = index.search(&bench_request(word)).unwrap().total;
            first_us.push(began.elapsed().as_micros() as u64);
            total
        })
        .sum();
    let first_seconds = started.elapsed().as_secs_f64();
    first_us.sort_unstable();
    let summaries = index.broad_word_summaries();
    println!(
        "{} queries, {} matching bibs each on average; the first search of each, one client: \
         p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms, {:.1} s in all; {} broad-word \
         summaries made ({:.1} MB)",
        words.len(),
        hits / words.len().max(1) as u64,
        quantile(&first_us, 0.5) as f64 / 1000.0,
        quantile(&first_us, 0.95) as f64 / 1000.0,
        first_us.last().copied().unwrap_or(0) as f64 / 1000.0,
        first_seconds,
        summaries.kept,
        summaries.bytes as f64 / 1_000_000.0
    );

    if std::env::var("CONCORD_BENCH_EACH").as_deref() == Ok("1") {
        each_alone(&index, &words);
        return;
    }

    // tantivy, one client then twenty.
    // CONCORD_BENCH_CLIENTS=1 runs the single-client part only (for profiling).
    let client_counts: Vec<usize> = match std::env::var("CONCORD_BENCH_CLIENTS") {
        Ok(list) => list
            .split(',')
            .map(|n| n.trim().parse().expect("CLIENTS"))
            .collect(),
        Err(_) => vec![1, CLIENTS],
    };
    // CONCORD_BENCH_EVALUATIONS=general,separate,fastest: tantivy's query scorers for every
    // search; the windowed evaluation of plain keyword searches with every search on its own;
    // the same with searches that run at the same time sharing passes (the default). All on
    // the same index in the same run.
    let evaluations: Vec<(Evaluation, bool)> = std::env::var("CONCORD_BENCH_EVALUATIONS")
        .unwrap_or_else(|_| "general,separate,fastest".to_owned())
        .split(',')
        .map(|name| match name.trim() {
            "general" => (Evaluation::General, false),
            "separate" => (Evaluation::Fastest, false),
            "fastest" => (Evaluation::Fastest, true),
            other => panic!("CONCORD_BENCH_EVALUATIONS: unknown evaluation {other}"),
        })
        .collect();
    for &(evaluation, shared) in &evaluations {
        index.set_pass_sharing(if shared {
            PassSharing::WhenBusy
        } else {
            PassSharing::Never
        });
        let label = name(evaluation, shared);
        for &clients in &client_counts {
            let per_client = if clients == 1 {
                QUERIES_ALONE
            } else {
                QUERIES_PER_CLIENT
            };
            let started = Instant::now();
            let cpu_before = process_cpu_seconds();
            let mut latencies: Vec<u64> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..clients)
                    .map(|client| {
                        let index = &index;
                        let words = &words;
                        scope.spawn(move || {
                            let mut latencies = Vec::with_capacity(per_client);
                            let mut hits = 0;
                            for n in 0..per_client {
                                let word = &words[(client * 7 + n) % words.len()];
                                let request = bench_request(word);
                                let began = Instant::now();
                                let response = index.search_with(&request, evaluation).unwrap();
                                latencies.push(began.elapsed().as_micros() as u64);
                                hits += response.total;
                            }
                            assert!(hits > 0);
                            latencies
                        })
                    })
                    .collect();
                joined(handles)
            });
            let elapsed = started.elapsed().as_secs_f64();
            report(
                &format!("tantivy {label}"),
                clients,
                &mut latencies,
                elapsed,
            );
            println!(
                "tantivy {label} {clients:>2} client(s): CPU time per search {:.1} ms",
                (process_cpu_seconds() - cpu_before) * 1000.0 / latencies.len() as f64
            );
        }
        let rates: Vec<f64> = match std::env::var("CONCORD_BENCH_RATES") {
            Ok(list) if list == "none" => Vec::new(),
            Ok(list) => list
                .split(',')
                .map(|n| n.trim().parse().expect("RATES"))
                .collect(),
            Err(_) => vec![10.0, 20.0, 40.0],
        };
        let paced_seconds: f64 = std::env::var("CONCORD_BENCH_PACED_SECONDS")
            .map_or(30.0, |n| n.parse().expect("PACED_SECONDS"));
        for rate in rates {
            paced_run(&index, evaluation, label, &words, rate, paced_seconds);
        }
    }
    if std::env::var("CONCORD_BENCH_MISSPELT").as_deref() != Ok("0") {
        misspelt_run(&index, &words);
    }
    let summaries = index.broad_word_summaries();
    println!(
        "tantivy peak RSS after searching: {} MB; {} broad-word summaries ({:.1} MB); \
         segments answered from their candidates {}, ranked in full {}",
        peak_resident_kib().unwrap_or(0) / 1024,
        summaries.kept,
        summaries.bytes as f64 / 1_000_000.0,
        summaries.from_candidates,
        summaries.ranked_in_full
    );
    let sample = index.search(&{
        let mut r = SearchRequest::new(words[0].clone());
        r.facets = bench_facets().to_vec();
        r
    });
    if let Ok(sample) = sample {
        println!("sample: '{}' -> {} hits", words[0], sample.total);
    }
    sitemap_listing(&index);
    browse_lists(&index, &words);
    recently_added(&index, &shape);

    let reloads: usize =
        std::env::var("CONCORD_BENCH_RELOADS").map_or(10, |n| n.parse().expect("RELOADS"));
    if reloads > 0 {
        reload_test(&index_dir, &work, &templates, &shape, &words, reloads);
    }

    match std::env::var("CONCORD_BENCH_POSTGRES_URL") {
        Ok(url) => postgres_baseline(&url, &templates, &shape, &words, &work),
        Err(_) => println!("postgres: skipped (set CONCORD_BENCH_POSTGRES_URL)"),
    }
    std::fs::remove_dir_all(&work).ok();
}

/// What the sitemaps of record pages cost: the ids where each list of 50,000 bibs the
/// consortium's view shows starts (the sitemap index), and one list from the middle.
fn sitemap_listing(index: &SearchIndex) {
    const PER_SITEMAP: usize = 50_000;
    let mut starts_us = Vec::new();
    let mut list_us = Vec::new();
    let mut sitemaps = 0;
    for _ in 0..7 {
        let started = Instant::now();
        let starts = index.visible_bib_id_starts(None, PER_SITEMAP).unwrap();
        starts_us.push(started.elapsed().as_micros() as u64);
        sitemaps = starts.len();
        let middle = starts.get(starts.len() / 2).copied().unwrap_or(0);
        let started = Instant::now();
        let listed = index.visible_bib_ids(None, middle, PER_SITEMAP).unwrap();
        list_us.push(started.elapsed().as_micros() as u64);
        assert!(listed.len() <= PER_SITEMAP);
    }
    starts_us.sort_unstable();
    list_us.sort_unstable();
    println!(
        "sitemaps: {sitemaps} of up to {PER_SITEMAP} record pages; index p50 {:.1} ms, one list p50 {:.1} ms (7 rounds)",
        quantile(&starts_us, 0.5) as f64 / 1000.0,
        quantile(&list_us, 0.5) as f64 / 1000.0
    );
}

/// What browsing headings costs: a page of 20 authors, subjects and series from the first
/// three letters of each query word, and the next page after it, one client.
/// What a front page's "recently added" costs: the consortium's five newest titles, and a
/// member's ("new at our library": its titles by when it added its newest copy), in the
/// consortium's view and in its own, for 20 members, three rounds.
fn recently_added(index: &SearchIndex, shape: &CatalogueShape) {
    use concord_search::SortOrder;
    let newest = |filter: Option<&str>, view: Option<&str>| {
        let mut request = SearchRequest::new("");
        request.facets = Vec::new();
        request.sort = SortOrder::Added;
        request.page_size = 5;
        request.filters = filter
            .map(|member| vec![(FacetField::Member, member.to_owned())])
            .unwrap_or_default();
        request.view = view.map(|code| concord_domain::codes::Code::parse("view", code).unwrap());
        let started = Instant::now();
        let found = index.search(&request).unwrap();
        assert_eq!(found.hits.len(), 5);
        started.elapsed().as_micros() as u64
    };
    let members: Vec<String> = (0..shape.members.min(20))
        .filter_map(concord_search::bench::member_code)
        .map(|code| code.to_string())
        .collect();
    let mut everyone = Vec::new();
    let mut at_member = Vec::new();
    let mut in_own_view = Vec::new();
    for _ in 0..3 {
        for member in &members {
            everyone.push(newest(None, None));
            at_member.push(newest(Some(member), None));
            in_own_view.push(newest(Some(member), Some(member)));
        }
    }
    for (label, times) in [
        ("the consortium's", &mut everyone),
        ("a member's, consortium view", &mut at_member),
        ("a member's, its own view", &mut in_own_view),
    ] {
        times.sort_unstable();
        println!(
            "recently added, {label}: 5 newest of {} searches p50 {:.1} ms p95 {:.1} ms",
            times.len(),
            quantile(times, 0.5) as f64 / 1000.0,
            quantile(times, 0.95) as f64 / 1000.0,
        );
    }
}

fn browse_lists(index: &SearchIndex, words: &[String]) {
    use concord_search::{BrowseFrom, BrowseRequest, HeadingKind};
    for kind in HeadingKind::ALL {
        let mut first_us = Vec::new();
        let mut next_us = Vec::new();
        let mut counted = 0u64;
        for word in words {
            let from: String = word.chars().take(3).collect();
            let mut request = BrowseRequest {
                kind,
                from: BrowseFrom::Text(from),
                limit: 20,
                view: None,
            };
            let started = Instant::now();
            let page = index.browse(&request).unwrap();
            first_us.push(started.elapsed().as_micros() as u64);
            counted += page
                .headings
                .iter()
                .map(|heading| heading.count)
                .sum::<u64>();
            if let Some(last) = page.headings.last() {
                request.from = BrowseFrom::After(last.key.clone());
                let started = Instant::now();
                let next = index.browse(&request).unwrap();
                next_us.push(started.elapsed().as_micros() as u64);
                counted += next
                    .headings
                    .iter()
                    .map(|heading| heading.count)
                    .sum::<u64>();
            }
        }
        first_us.sort_unstable();
        next_us.sort_unstable();
        println!(
            "browse {}: {} pages of 20 from typed text p50 {:.1} ms p95 {:.1} ms; next page p50 {:.1} ms p95 {:.1} ms; {counted} titles counted",
            kind.name(),
            first_us.len(),
            quantile(&first_us, 0.5) as f64 / 1000.0,
            quantile(&first_us, 0.95) as f64 / 1000.0,
            quantile(&next_us, 0.5) as f64 / 1000.0,
            quantile(&next_us, 0.95) as f64 / 1000.0,
        );
    }
    // The titles offered as a patron types: the first 20 that begin with the first three
    // letters of each word, the four with the most bibs read from the stored documents.
    let three_letters: Vec<String> = words
        .iter()
        .map(|word| word.chars().take(3).collect())
        .collect();
    time_suggestions(index, "texts of three letters", &three_letters);
    // A word and the beginning of another ("jazz conc"): few titles begin so, and the titles
    // with both words, the second as begun, are looked for among every bib with the first.
    let word_and_begun: Vec<String> = words
        .iter()
        .zip(words.iter().cycle().skip(1))
        .map(|(word, next)| format!("{word} {}", next.chars().take(4).collect::<String>()))
        .collect();
    time_suggestions(
        index,
        "texts of a word and the beginning of another",
        &word_and_begun,
    );
}

/// Times the titles offered for each of `texts` as a patron types them (four of them wanted).
fn time_suggestions(index: &SearchIndex, label: &str, texts: &[String]) {
    let mut times_us = Vec::new();
    let mut offered = 0;
    for typed in texts {
        let started = Instant::now();
        offered += index.suggested_titles(typed, None, 20, 4).unwrap().len();
        times_us.push(started.elapsed().as_micros() as u64);
    }
    times_us.sort_unstable();
    println!(
        "suggested titles: {} {label} p50 {:.1} ms p95 {:.1} ms; {offered} titles offered",
        times_us.len(),
        quantile(&times_us, 0.5) as f64 / 1000.0,
        quantile(&times_us, 0.95) as f64 / 1000.0,
    );
}

/// User and system CPU time of this process so far, in seconds (Linux, 100 ticks a second): CPU
/// time per search does not depend on how many other programs share the machine, as latency does.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> f64 {
        fields
            .get(index)
            .and_then(|f| f.parse().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The 1, 5 and 15 minute load averages, to judge how shared the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Every client thread's latencies, once all have finished.
fn joined(handles: Vec<std::thread::ScopedJoinHandle<'_, Vec<u64>>>) -> Vec<u64> {
    handles
        .into_iter()
        .flat_map(|handle| handle.join().unwrap())
        .collect()
}

/// How an evaluation is named in the report.
fn name(evaluation: Evaluation, shared: bool) -> &'static str {
    match (evaluation, shared) {
        (Evaluation::General, _) => "general",
        (Evaluation::Fastest, false) => "windowed",
        (Evaluation::Fastest, true) => "windowed+shared",
    }
}

fn bench_request(word: &str) -> SearchRequest {
    let mut request = SearchRequest::new(word.to_owned());
    request.facets = bench_facets().to_vec();
    request.facet_limit = 20;
    request
}

/// Each query alone, the best of three: what it costs, how the cost is spread over the queries,
/// and how much of it the searches of one word take.
fn each_alone(index: &SearchIndex, words: &[String]) {
    let mut costs: Vec<(f64, u64, usize, &str)> = words
        .iter()
        .map(|query| {
            let mut best = f64::MAX;
            let mut total = 0;
            for _ in 0..3 {
                let began = Instant::now();
                total = index.search(&bench_request(query)).unwrap().total;
                best = best.min(began.elapsed().as_secs_f64() * 1000.0);
            }
            (
                best,
                total,
                query.split_whitespace().count(),
                query.as_str(),
            )
        })
        .collect();
    for (ms, total, _, query) in &costs {
        println!("each: {ms:.2} ms, {total} matches: '{query}'");
    }
    let all: f64 = costs.iter().map(|cost| cost.0).sum();
    let share = |part: f64| 100.0 * part / all.max(f64::MIN_POSITIVE);
    costs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let costliest: f64 = costs
        .iter()
        .take(costs.len().div_ceil(20))
        .map(|c| c.0)
        .sum();
    let single: f64 = costs.iter().filter(|c| c.2 == 1).map(|c| c.0).sum();
    println!(
        "each alone: {} queries, mean {:.2} ms; the costliest 5% take {:.0}% of the time, searches of one word {:.0}% ({} of them)",
        costs.len(),
        all / costs.len().max(1) as f64,
        share(costliest),
        share(single),
        costs.iter().filter(|c| c.2 == 1).count()
    );
}

/// Twenty clients, each searching on its own fixed schedule whatever the answers' speed (open
/// loop): together `rate` searches a second for `seconds`. A search's latency runs from when it
/// was due, so a search that had to wait for the one before it counts its wait.
fn paced_run(
    index: &SearchIndex,
    evaluation: Evaluation,
    label: &str,
    words: &[String],
    rate: f64,
    seconds: f64,
) {
    let per_client = ((rate * seconds) / CLIENTS as f64).ceil().max(1.0) as usize;
    let interval = std::time::Duration::from_secs_f64(CLIENTS as f64 / rate);
    let started = Instant::now();
    let mut latencies: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|client| {
                scope.spawn(move || {
                    // Clients are spread evenly over the interval.
                    let offset = interval.mul_f64(client as f64 / CLIENTS as f64);
                    let mut latencies = Vec::with_capacity(per_client);
                    for n in 0..per_client {
                        let due = started + offset + interval * n as u32;
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        let word = &words[(client * 7 + n) % words.len()];
                        // Some title searches find nothing (words cut at marks that the
                        // index keeps inside a word), as in the closed-loop runs.
                        index.search_with(&bench_request(word), evaluation).unwrap();
                        latencies.push(due.elapsed().as_micros() as u64);
                    }
                    latencies
                })
            })
            .collect();
        joined(handles)
    });
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    println!(
        "tantivy {} paced, 20 clients at {rate:.0}/s: {} queries, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms, achieved {:.1} queries/s; load average {}",
        label,
        latencies.len(),
        quantile(&latencies, 0.50) as f64 / 1000.0,
        quantile(&latencies, 0.95) as f64 / 1000.0,
        quantile(&latencies, 0.99) as f64 / 1000.0,
        latencies.last().copied().unwrap_or(0) as f64 / 1000.0,
        latencies.len() as f64 / elapsed,
        load_average(),
    );
}

/// What a small change costs the searches that follow it: on a hard-linked copy of the index
/// (segment files never change, so the original stays as it was), `reloads` times: replace a
/// few bibs with identical documents through a short-lived writer as the change-log follower
/// does, commit, reload (which builds the facet maps of the new segment list), then search.
fn reload_test(
    index_dir: &Path,
    work: &Path,
    templates: &[BibDocument],
    shape: &CatalogueShape,
    words: &[String],
    reloads: usize,
) {
    let copy = work.join("reload-index");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(index_dir).unwrap().flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(".tantivy-") {
            continue;
        }
        std::fs::hard_link(entry.path(), copy.join(&name))
            .or_else(|_| std::fs::copy(entry.path(), copy.join(&name)).map(|_| ()))
            .unwrap();
    }
    let index = SearchIndex::open_or_create(&copy).unwrap();
    index.warm_up().unwrap();
    let broad = bench_request(&words[0]);
    let mut steady = Vec::new();
    for _ in 0..5 {
        let began = Instant::now();
        index.search(&broad).unwrap();
        steady.push(began.elapsed().as_micros() as u64);
    }
    steady.sort_unstable();
    let mut commits = Vec::new();
    let mut reload_times = Vec::new();
    let mut first_searches = Vec::new();
    for round in 0..reloads {
        let began = Instant::now();
        let mut indexer = index.indexer(1, 20_000_000).unwrap();
        for n in 0..5 {
            let number = (round * 7919 + n * 104_729) % shape.bibs;
            indexer
                .upsert(&synthetic_document(templates, shape, number).unwrap())
                .unwrap();
        }
        indexer.commit().unwrap();
        indexer.finish().unwrap();
        commits.push(began.elapsed().as_micros() as u64);
        let began = Instant::now();
        index.reload().unwrap();
        reload_times.push(began.elapsed().as_micros() as u64);
        let began = Instant::now();
        index.search(&broad).unwrap();
        first_searches.push(began.elapsed().as_micros() as u64);
    }
    let ms = |sorted: &mut Vec<u64>, q: f64| {
        sorted.sort_unstable();
        quantile(sorted, q) as f64 / 1000.0
    };
    println!(
        "reload test, {reloads} commits of 5 replaced bibs: commit p50 {:.1} ms max {:.1} ms; reload with facet maps p50 {:.1} ms max {:.1} ms; next '{}' search p50 {:.1} ms max {:.1} ms (steady {:.1} ms); load average {}",
        ms(&mut commits, 0.5),
        ms(&mut commits, 1.0),
        ms(&mut reload_times, 0.5),
        ms(&mut reload_times, 1.0),
        words[0],
        ms(&mut first_searches, 0.5),
        ms(&mut first_searches, 1.0),
        ms(&mut steady, 0.5),
        load_average(),
    );
    drop(index);
    std::fs::remove_dir_all(&copy).ok();
}

/// The query words misspelt as patrons misspell them, two letters in the middle of each word
/// swapped ("histroy"), searched by one client with five facets: they find nothing or next to
/// nothing, so each search also works out a spelling suggestion and counts what it finds.
/// Against the same queries spelt right, alternating, in the same run; and how many suggestions
/// give back the query as it was spelt. CONCORD_BENCH_MISSPELT=0 skips it.
fn misspelt_run(index: &SearchIndex, words: &[String]) {
    let misspell = |word: &str| -> String {
        word.split(' ')
            .map(|word| {
                let mut letters: Vec<char> = word.chars().collect();
                let middle = letters.len() / 2;
                if letters.len() >= 4 && letters[middle - 1] != letters[middle] {
                    letters.swap(middle - 1, middle);
                }
                letters.into_iter().collect::<String>()
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let pairs: Vec<(String, String)> = words
        .iter()
        .map(|word| (word.clone(), misspell(word)))
        .filter(|(word, misspelt)| word != misspelt)
        .collect();
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    let (mut suggested, mut given_back, mut found_nothing) = (0, 0, 0);
    for round in 0..3 {
        for (word, misspelt) in &pairs {
            let began = Instant::now();
            index.search(&bench_request(word)).unwrap();
            right.push(began.elapsed().as_micros() as u64);
            let began = Instant::now();
            let response = index.search(&bench_request(misspelt)).unwrap();
            wrong.push(began.elapsed().as_micros() as u64);
            if round == 0 {
                found_nothing += usize::from(response.total == 0);
                if let Some(suggestion) = response.suggestion {
                    suggested += 1;
                    given_back += usize::from(suggestion.query == word.to_lowercase());
                }
            }
        }
    }
    right.sort_unstable();
    wrong.sort_unstable();
    println!(
        "misspelt: {} queries x 3, spelt right p50 {:.1} ms p95 {:.1} ms, misspelt p50 {:.1} ms p95 {:.1} ms; \
         {found_nothing} found nothing, {suggested} got a suggestion, {given_back} the word as spelt; load average {}",
        pairs.len(),
        quantile(&right, 0.50) as f64 / 1000.0,
        quantile(&right, 0.95) as f64 / 1000.0,
        quantile(&wrong, 0.50) as f64 / 1000.0,
        quantile(&wrong, 0.95) as f64 / 1000.0,
        load_average(),
    );
}

fn report(engine: &str, clients: usize, latencies: &mut [u64], elapsed_seconds: f64) {
    latencies.sort_unstable();
    let mean = latencies.iter().sum::<u64>() as f64 / latencies.len().max(1) as f64;
    println!(
        "{engine} {clients:>2} client(s): {} queries, p50 {:.1} ms, p95 {:.1} ms, mean {:.1} ms, {:.0} queries/s; load average {}",
        latencies.len(),
        quantile(latencies, 0.50) as f64 / 1000.0,
        quantile(latencies, 0.95) as f64 / 1000.0,
        mean / 1000.0,
        latencies.len() as f64 / elapsed_seconds,
        load_average(),
    );
}

fn load_templates(fixtures: &Path) -> Vec<BibDocument> {
    let mut files = Vec::new();
    collect_files(fixtures, &mut files);
    files.sort();
    let mut templates = Vec::new();
    for file in files {
        let Ok(reader) = std::fs::File::open(&file).and_then(concord_marc::read_any) else {
            continue;
        };
        for record in reader.flatten() {
            if record.is_authority() || record.field("245").is_none() {
                continue;
            }
            templates.push(document_from_record(0, &record, Vec::new()));
        }
    }
    templates
}

fn collect_files(directory: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            // Expected outputs repeat the inputs.
            if name != "expected" {
                collect_files(&path, files);
            }
        } else if name.ends_with(".mrc") || name.ends_with(".xml") || name.ends_with(".marc") {
            files.push(path);
        }
    }
}

/// 400 searches of one to three consecutive words (of three letters or more) from the titles of
/// templates picked at random, with a fixed seed.
fn title_queries(templates: &[BibDocument]) -> Vec<String> {
    let mut random = concord_search::bench::SplitMix64::new(0x71_7e5);
    let mut queries = Vec::new();
    while queries.len() < 400 {
        let Some(template) = templates.get(random.below(templates.len())) else {
            break;
        };
        let words: Vec<String> = template
            .title
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| word.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect();
        if words.is_empty() {
            continue;
        }
        let length = (1 + random.below(3)).min(words.len());
        let start = random.below(words.len() - length + 1);
        queries.push(words[start..start + length].join(" "));
    }
    queries
}

/// The 40 most frequent title words of four letters or more: realistic, varied hit counts.
fn query_words(templates: &[BibDocument]) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for template in templates {
        for word in template.title.split(|c: char| !c.is_alphabetic()) {
            let word = word.to_lowercase();
            if word.chars().count() >= 4
                && !["with", "from", "that", "this", "über"].contains(&word.as_str())
            {
                *counts.entry(word).or_default() += 1;
            }
        }
    }
    let mut words: Vec<(String, usize)> = counts.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    words.into_iter().take(40).map(|(word, _)| word).collect()
}

fn directory_bytes(directory: &Path) -> u64 {
    std::fs::read_dir(directory)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| entry.metadata().ok())
                .map(|metadata| metadata.len())
                .sum()
        })
        .unwrap_or(0)
}

fn tsv(text: &str) -> String {
    text.replace(['\t', '\n', '\r'], " ").replace('\\', "\\\\")
}

fn pg_array(values: impl Iterator<Item = String>) -> String {
    let quoted: Vec<String> = values
        .map(|value| format!("\"{}\"", value.replace(['\\', '"'], "")))
        .collect();
    tsv(&format!("{{{}}}", quoted.join(",")))
}

fn psql(url: &str, sql: &str) {
    let status = Command::new("psql")
        .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .status()
        .expect("psql");
    assert!(status.success(), "psql failed: {sql}");
}

fn postgres_baseline(
    url: &str,
    templates: &[BibDocument],
    shape: &CatalogueShape,
    words: &[String],
    work: &Path,
) {
    let started = Instant::now();
    let data = work.join("bibs.tsv");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&data).unwrap());
        for number in 0..shape.bibs {
            let d = synthetic_document(templates, shape, number).unwrap();
            let keywords = d.other_text.join(" ");
            let decade = d
                .publication_year
                .map(|y| (y - y % 10).to_string())
                .unwrap_or_default();
            // The consortium view: members with an item everyone may see.
            let members = d
                .holdings
                .iter()
                .filter(|h| h.visible_outside_member)
                .map(|h| h.member.to_string());
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                d.bib_id,
                tsv(&d.title),
                tsv(&d.authors.join(" ; ")),
                tsv(&d.subjects.join(" ; ")),
                tsv(&format!(
                    "{} {}",
                    d.series.join(" "),
                    d.publishers.join(" ")
                )),
                tsv(&keywords),
                d.format.code(),
                d.language.clone().unwrap_or_default(),
                decade,
                pg_array(d.subject_facets.iter().cloned()),
                pg_array(members),
            )
            .unwrap();
        }
    }
    psql(
        url,
        "DROP TABLE IF EXISTS bench_bib; DROP TABLE IF EXISTS bench_word;",
    );
    psql(
        url,
        "CREATE TABLE bench_bib (id bigint PRIMARY KEY, title text, author text, subject text, \
         series_publisher text, keywords text, format text, language text, decade text, \
         subject_facets text[], members text[])",
    );
    psql(url, &format!("\\copy bench_bib FROM '{}'", data.display()));
    // Weighted like the tantivy side: title A, author B, subject C, the rest D.
    psql(
        url,
        "ALTER TABLE bench_bib ADD COLUMN search tsvector GENERATED ALWAYS AS ( \
         setweight(to_tsvector('english', coalesce(title,'')), 'A') || \
         setweight(to_tsvector('simple', coalesce(author,'')), 'B') || \
         setweight(to_tsvector('english', coalesce(subject,'')), 'C') || \
         setweight(to_tsvector('english', coalesce(series_publisher,'') || ' ' || coalesce(keywords,'')), 'D')) STORED",
    );
    psql(
        url,
        "CREATE INDEX bench_bib_search ON bench_bib USING gin (search)",
    );
    psql(url, "VACUUM ANALYZE bench_bib");
    psql(
        url,
        "CREATE TABLE bench_word (id int PRIMARY KEY, word text)",
    );
    for (number, word) in words.iter().enumerate() {
        psql(
            url,
            &format!(
                "INSERT INTO bench_word VALUES ({}, '{}')",
                number + 1,
                word.replace('\'', "")
            ),
        );
    }
    println!(
        "postgres build: {} bibs in {:.1} s",
        shape.bibs,
        started.elapsed().as_secs_f64()
    );

    // One transaction = one search: total, top 20 by rank, and the same five facets.
    let query = "(SELECT plainto_tsquery('english', word) FROM bench_word WHERE id = :n)";
    let matching = format!("FROM bench_bib WHERE search @@ {query}");
    let script = format!(
        "\\set n random(1, {count})\n\
         SELECT count(*) {matching};\n\
         SELECT id, ts_rank(search, {query}) AS rank {matching} ORDER BY rank DESC LIMIT 20;\n\
         SELECT format, count(*) {matching} GROUP BY format ORDER BY 2 DESC LIMIT 20;\n\
         SELECT language, count(*) {matching} GROUP BY language ORDER BY 2 DESC LIMIT 20;\n\
         SELECT decade, count(*) {matching} GROUP BY decade ORDER BY 2 DESC LIMIT 20;\n\
         SELECT s, count(*) FROM bench_bib, unnest(subject_facets) s WHERE search @@ {query} GROUP BY s ORDER BY 2 DESC LIMIT 20;\n\
         SELECT m, count(*) FROM bench_bib, unnest(members) m WHERE search @@ {query} GROUP BY m ORDER BY 2 DESC LIMIT 20;\n",
        count = words.len(),
    );
    let script_path = work.join("search.sql");
    std::fs::write(&script_path, script).unwrap();
    // CONCORD_BENCH_POSTGRES_QUERIES=ALONE,TWENTY: how many searches in all at 1 and at 20 clients.
    let limits: Vec<usize> = std::env::var("CONCORD_BENCH_POSTGRES_QUERIES")
        .map(|list| {
            list.split(',')
                .map(|n| n.trim().parse().expect("POSTGRES_QUERIES"))
                .collect()
        })
        .unwrap_or_else(|_| vec![QUERIES_ALONE / 10, CLIENTS * QUERIES_PER_CLIENT / 10]);
    for clients in [1, CLIENTS] {
        let total = if clients == 1 { limits[0] } else { limits[1] };
        let per_client = total.div_ceil(clients);
        let log_dir = work.join(format!("pgbench-{clients}"));
        std::fs::create_dir_all(&log_dir).unwrap();
        let started = Instant::now();
        let status = Command::new("pgbench")
            .current_dir(&log_dir)
            .args([
                "-n",
                "-M",
                "prepared",
                "-f",
                &script_path.display().to_string(),
                "-c",
                &clients.to_string(),
                "-j",
                &clients.to_string(),
                "-t",
                &per_client.max(1).to_string(),
                "--log",
                "--log-prefix=search",
                url,
            ])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("pgbench");
        assert!(status.success(), "pgbench failed");
        let elapsed = started.elapsed().as_secs_f64();
        let mut latencies = Vec::new();
        for entry in std::fs::read_dir(&log_dir).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            // client_id transaction_no time_us script_no epoch epoch_us
            latencies.extend(
                text.lines()
                    .filter_map(|line| line.split_whitespace().nth(2)?.parse::<u64>().ok()),
            );
        }
        report("postgres", clients, &mut latencies, elapsed);
    }
    psql(url, "DROP TABLE bench_bib; DROP TABLE bench_word;");
}
