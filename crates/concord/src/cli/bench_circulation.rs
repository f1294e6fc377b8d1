//! The circulation benchmark: a generated consortium of a million items and a hundred thousand
//! patrons, checkout and check-in cycles over HTTP against the running server, and the same
//! writes as raw SQL transactions on a copy of the database (what the disk allows).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use concord_domain::auth::Principal;
use concord_domain::calendar::Date;
use concord_server::service::{accounts, demo, org};
use concord_store::bench_fixture::{self, FixtureBranch};
use concord_store::{Store, StoreConfig};
use serde::{Deserialize, Serialize};

use super::{DataArgs, open, service, settings_for};

/// `concord bench …`: the catalogue's helpers and the circulation benchmark.
#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    #[command(flatten)]
    Catalogue(super::catalogue::BenchCommand),
    /// Make the circulation benchmark's data in a fresh data directory: the demo consortium and
    /// its rules, then ITEMS items on ITEMS/2 bibs and PATRONS patrons spread over every branch,
    /// and a circulation API token for the load.
    MakeCirculation {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, default_value_t = 1_000_000)]
        items: u64,
        #[arg(long, default_value_t = 100_000)]
        patrons: u64,
    },
    /// Run checkout + check-in cycles over HTTP against the running server on that data, then the
    /// same writes as raw SQL on a copy of its database; print latency percentiles, throughput
    /// and the ratio.
    Circulation {
        #[command(flatten)]
        data: DataArgs,
        /// The running server, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 75)]
        clients: u64,
        /// How long to measure (e.g. 60s); the raw baseline runs as long.
        #[arg(long, default_value = "60s", value_parser = parse_duration)]
        duration: Duration,
        /// Load before measuring starts.
        #[arg(long, default_value = "5s", value_parser = parse_duration)]
        warmup: Duration,
        /// Only the HTTP load (e.g. on PostgreSQL).
        #[arg(long)]
        skip_baseline: bool,
        /// Paced (open-loop) load instead of back-to-back requests: this many transactions per
        /// second in all, shared by the clients. A list (500,1000,1500) runs one step per rate,
        /// each with its own warm-up, and prints one line per rate.
        #[arg(long, value_delimiter = ',', value_parser = parse_rate)]
        rate: Vec<f64>,
    },
    /// Measure how long catalogue changes take to become searchable through the change-log
    /// follower a server runs: alternately a title edit and a new item, one at a time, each
    /// searched for until found. Needs a data directory with a catalogue (the index is brought
    /// up to date first).
    SearchFreshness {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, default_value_t = 300)]
        changes: usize,
        /// Pause between one change being found and the next change (e.g. 0s, 200ms).
        #[arg(long, default_value = "0s", value_parser = parse_duration)]
        pause: Duration,
        /// The member whose branch gets the new items (default: the first branch).
        #[arg(long)]
        member: Option<String>,
    },
}

pub async fn bench(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Catalogue(command) => super::catalogue::bench(command),
        BenchCommand::MakeCirculation {
            data,
            items,
            patrons,
        } => make_fixture(&data, items, patrons).await,
        BenchCommand::Circulation {
            data,
            url,
            clients,
            duration,
            warmup,
            skip_baseline,
            rate,
        } => {
            run_load(
                &data,
                LoadOptions {
                    url,
                    clients: clients.max(1),
                    duration,
                    warmup,
                    skip_baseline,
                    rates: rate,
                },
            )
            .await
        }
        BenchCommand::SearchFreshness {
            data,
            changes,
            pause,
            member,
        } => super::bench_search::freshness(&data, changes, pause, member).await,
    }
}

/// What `make-circulation` made, read back by `circulation`.
#[derive(Serialize, Deserialize)]
struct Fixture {
    items: u64,
    patrons: u64,
    /// Branch codes in code order: item and patron `n` belong to branch `n % len`.
    branches: Vec<String>,
    /// A circulation token for the whole consortium (the load authenticates with it).
    token: String,
    made_at: i64,
}

const FIXTURE_FILE: &str = "bench-circulation.json";

/// Transactions per commit in the grouped raw baseline.
const RAW_GROUP: usize = 32;

/// A monotonic clock for latencies. It measures this process, never a business "now", so the
/// clock rule does not apply.
#[allow(clippy::disallowed_methods)]
fn monotonic_now() -> Instant {
    Instant::now()
}

/// `concord bench make-circulation`: the demo consortium and its rules, then bibs, items and
/// patrons by set-based inserts, one transaction per table.
pub async fn make_fixture(data: &DataArgs, items: u64, patrons: u64) -> anyhow::Result<()> {
    let fixture_path = data.data_dir.join(FIXTURE_FILE);
    if fixture_path.exists() {
        bail!(
            "{} exists: this data directory already has a benchmark fixture",
            fixture_path.display()
        );
    }
    let ctx = open(&settings_for(data)).await?;
    let started = monotonic_now();
    demo::ensure(&ctx).await.map_err(service)?;
    let mut branches = org::list_branches(&ctx, None).await.map_err(service)?;
    branches.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
    let places: Vec<FixtureBranch> = branches
        .iter()
        .map(|b| FixtureBranch {
            branch_id: b.id.0,
            member_id: b.member_id.0,
        })
        .collect();
    let count = places.len() as u64;
    if count == 0 {
        bail!("the consortium has no branches");
    }
    let now = ctx.now();
    let expires_on = Date::from_unix(now, 0).add_days(5 * 365).to_string();

    let mut tx = ctx.store.write().await.map_err(|e| anyhow::anyhow!(e))?;
    bench_fixture::insert_bibs(&mut tx, items.div_ceil(2), now).await?;
    tx.commit().await?;
    eprintln!("bibs: {:.1} s", started.elapsed().as_secs_f64());
    let mut tx = ctx.store.write().await.map_err(|e| anyhow::anyhow!(e))?;
    for (index, place) in places.iter().enumerate() {
        bench_fixture::insert_items(&mut tx, *place, index as u64, count, items, now).await?;
    }
    tx.commit().await?;
    eprintln!("items: {:.1} s", started.elapsed().as_secs_f64());
    let mut tx = ctx.store.write().await.map_err(|e| anyhow::anyhow!(e))?;
    for (index, place) in places.iter().enumerate() {
        bench_fixture::insert_patrons(
            &mut tx,
            *place,
            index as u64,
            count,
            patrons,
            &expires_on,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    eprintln!("patrons: {:.1} s", started.elapsed().as_secs_f64());

    let token = accounts::create_api_token(
        &ctx,
        &Principal::Operator,
        "circulation benchmark",
        "circulation",
        "consortium",
        Some(30),
    )
    .await
    .map_err(service)?;
    let fixture = Fixture {
        items,
        patrons,
        branches: branches.iter().map(|b| b.code.to_string()).collect(),
        token: token.secret,
        made_at: now,
    };
    std::fs::write(&fixture_path, serde_json::to_string_pretty(&fixture)?)
        .with_context(|| format!("cannot write {}", fixture_path.display()))?;
    ctx.store.close().await;
    println!(
        "made {items} items, {} bibs and {patrons} patrons over {count} branches in {:.1} s; the load's token is in {}",
        items.div_ceil(2),
        started.elapsed().as_secs_f64(),
        fixture_path.display()
    );
    Ok(())
}

/// A small deterministic generator (splitmix64): the load needs spread, not cryptography.
struct Spread(u64);

impl Spread {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

/// One cycle's choice for client `client` of `clients`: an item only this client uses (so no two
/// clients ever race for one item) and a patron of the item's branch.
struct Pick {
    branch: String,
    item: String,
    card: String,
}

fn pick(fixture: &Fixture, spread: &mut Spread, client: u64, clients: u64) -> Pick {
    let branches = fixture.branches.len().max(1) as u64;
    let per_client = (fixture.items / clients.max(1)).max(1);
    let item = spread.below(per_client) * clients + client;
    let index = item % branches;
    let patrons_here = (fixture.patrons.saturating_sub(index))
        .div_ceil(branches)
        .max(1);
    let patron = spread.below(patrons_here) * branches + index;
    Pick {
        branch: fixture
            .branches
            .get(usize::try_from(index).unwrap_or(0))
            .cloned()
            .unwrap_or_default(),
        item: bench_fixture::item_barcode(item),
        card: bench_fixture::patron_card(patron),
    }
}

/// Latencies and failures of one side of the benchmark.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    failures: u64,
    first_failure: Option<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.failures += other.failures;
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
    }

    fn fail(&mut self, what: String) {
        self.failures += 1;
        if self.first_failure.is_none() {
            self.first_failure = Some(what);
        }
    }
}

#[derive(Serialize)]
struct Figures {
    transactions: u64,
    failures: u64,
    seconds: f64,
    per_second: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

fn figures(tally: &mut Tally, elapsed: Duration) -> Figures {
    tally.latencies.sort_unstable();
    let at = |q: f64| -> f64 {
        let n = tally.latencies.len();
        if n == 0 {
            return 0.0;
        }
        let index = ((n as f64 * q).ceil() as usize).clamp(1, n) - 1;
        tally
            .latencies
            .get(index)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let transactions = tally.latencies.len() as u64;
    Figures {
        transactions,
        failures: tally.failures,
        seconds: elapsed.as_secs_f64(),
        per_second: transactions as f64 / elapsed.as_secs_f64().max(1e-9),
        p50_ms: at(0.50),
        p95_ms: at(0.95),
        p99_ms: at(0.99),
        max_ms: at(1.0),
    }
}

pub struct LoadOptions {
    pub url: String,
    pub clients: u64,
    pub duration: Duration,
    pub warmup: Duration,
    pub skip_baseline: bool,
    /// Paced steps in transactions per second; empty for the closed-loop run.
    pub rates: Vec<f64>,
}

/// The two requests of one cycle: lend the item, then take it back.
fn cycle_requests(base: &str, choice: &Pick) -> [(String, serde_json::Value); 2] {
    [
        (
            format!("{base}/api/v1/checkout"),
            serde_json::json!({ "branch": choice.branch, "patron_card": choice.card, "item_barcode": choice.item }),
        ),
        (
            format!("{base}/api/v1/checkin"),
            serde_json::json!({ "branch": choice.branch, "item_barcode": choice.item }),
        ),
    ]
}

/// Sends one request and reads its answer; the error text says what failed.
async fn send(
    client: &reqwest::Client,
    url: &str,
    auth: &str,
    body: &serde_json::Value,
) -> Result<(), String> {
    match client
        .post(url)
        .header("authorization", auth)
        .json(body)
        .send()
        .await
    {
        Ok(response) if response.status().is_success() => {
            // Read the body so that the connection is reused.
            let _ = response.bytes().await;
            Ok(())
        }
        Ok(response) => {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            Err(format!("{url}: {status} {text}"))
        }
        Err(error) => Err(format!("{url}: {error}")),
    }
}

/// One client: checkout then check-in of its own items until `until`; latencies after `measure_from`.
async fn http_client(
    client: reqwest::Client,
    base: String,
    fixture: Arc<Fixture>,
    index: u64,
    clients: u64,
    measure_from: Instant,
    until: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut spread = Spread(0x5EED ^ (index << 32));
    let auth = format!("Bearer {}", fixture.token);
    while monotonic_now() < until {
        let choice = pick(&fixture, &mut spread, index, clients);
        for (url, body) in cycle_requests(&base, &choice) {
            let started = monotonic_now();
            let outcome = send(&client, &url, &auth, &body).await;
            let elapsed = started.elapsed();
            match outcome {
                Ok(()) if started >= measure_from => tally.latencies.push(elapsed),
                Ok(()) => {}
                Err(what) => tally.fail(what),
            }
        }
    }
    tally
}

/// One client's share of a paced run: requests due every `interval`, the first at `phase` after
/// the step starts (like wrk2). A client that falls behind sends its next request as soon as the
/// last is answered, and the request's latency still counts from when it was due, so the time it
/// waited behind a slow answer is measured (no coordinated omission).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Pace {
    interval: Duration,
    phase: Duration,
}

impl Pace {
    /// The schedule of one of `clients` sharing `rate` transactions per second evenly, shifted by
    /// `phase_fraction` (in [0, 1)) of its interval so that the clients do not fire together.
    fn new(rate: f64, clients: u64, phase_fraction: f64) -> Pace {
        let interval = Duration::from_secs_f64(clients.max(1) as f64 / rate.max(1e-3));
        // A whole interval later is the same slot as no shift at all; rounding to nanoseconds
        // can turn a fraction just below 1 into a whole interval.
        let phase = interval.mul_f64(phase_fraction.rem_euclid(1.0));
        Pace {
            interval,
            phase: if phase >= interval {
                Duration::ZERO
            } else {
                phase
            },
        }
    }

    /// When request `n` (from 0) is due, after the step's start.
    fn due(&self, n: u64) -> Duration {
        self.phase + self.interval.mul_f64(n as f64)
    }

    /// How many requests are due before `end` (after the step's start).
    fn due_before(&self, end: Duration) -> u64 {
        if end <= self.phase {
            return 0;
        }
        let after_phase = (end - self.phase).as_secs_f64() / self.interval.as_secs_f64();
        // Request n is due before `end` when phase + n × interval < end.
        after_phase.ceil() as u64
    }
}

/// What one client saw in one paced step.
#[derive(Default)]
struct PacedTally {
    /// Latencies, from when each request was due, of the requests due in the measured window.
    tally: Tally,
    /// How late each request due in the window was sent: the load generator's own timer and
    /// scheduling delay, plus any wait behind the client's previous request.
    sent_late: Vec<Duration>,
    /// Requests answered inside the measured window (the achieved throughput).
    answered_in_window: u64,
    /// Requests due in the window but never sent because the client was still behind at the
    /// end of the grace period; their latency is counted as their wait until then (a lower bound).
    abandoned: u64,
}

/// Times of one paced step, all as instants.
#[derive(Clone, Copy)]
struct Step {
    start: Instant,
    measure_from: Instant,
    until: Instant,
    /// After `until`, a client that is behind stops starting cycles at this instant.
    give_up_at: Instant,
}

#[allow(clippy::too_many_arguments)]
async fn paced_client(
    client: reqwest::Client,
    base: String,
    fixture: Arc<Fixture>,
    index: u64,
    clients: u64,
    pace: Pace,
    step: Step,
    seed: u64,
) -> PacedTally {
    let mut seen = PacedTally::default();
    let mut spread = Spread(seed ^ (index << 32));
    let auth = format!("Bearer {}", fixture.token);
    let mut n = 0_u64;
    // Cycles start only while their checkout is due before the end; a started cycle always ends
    // with its check-in, so every item is back on the shelf when the step ends.
    while step.start + pace.due(n) < step.until {
        if monotonic_now() >= step.give_up_at {
            let due_in_window = pace.due_before(step.until - step.start);
            let stopped_at = monotonic_now();
            for late in n..due_in_window {
                let due = step.start + pace.due(late);
                if due >= step.measure_from {
                    seen.abandoned += 1;
                    seen.tally
                        .latencies
                        .push(stopped_at.saturating_duration_since(due));
                }
            }
            break;
        }
        let choice = pick(&fixture, &mut spread, index, clients);
        for (url, body) in cycle_requests(&base, &choice) {
            let due = step.start + pace.due(n);
            n += 1;
            tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
            let sent = monotonic_now();
            let outcome = send(&client, &url, &auth, &body).await;
            let answered = monotonic_now();
            if let Err(what) = outcome {
                seen.tally.fail(what);
                continue;
            }
            if due >= step.measure_from && due < step.until {
                seen.tally
                    .latencies
                    .push(answered.saturating_duration_since(due));
                seen.sent_late.push(sent.saturating_duration_since(due));
            }
            if answered >= step.measure_from && answered < step.until {
                seen.answered_in_window += 1;
            }
        }
    }
    seen
}

/// One paced step's figures.
#[derive(Serialize)]
struct PacedFigures {
    rate: f64,
    clients: u64,
    achieved_per_second: f64,
    latency: Figures,
    /// How late requests were sent after they were due (median and 95th percentile).
    sent_late_p50_ms: f64,
    sent_late_p95_ms: f64,
    abandoned: u64,
}

fn http_client_pool(clients: u64) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(usize::try_from(clients).unwrap_or(64))
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// The paced (open-loop) load: one step per rate, each with its own warm-up.
async fn paced_load(
    fixture: Arc<Fixture>,
    options: &LoadOptions,
) -> anyhow::Result<Vec<PacedFigures>> {
    let client = http_client_pool(options.clients)?;
    let base = options.url.trim_end_matches('/').to_string();
    let mut steps = Vec::new();
    for (step_number, &rate) in options.rates.iter().enumerate() {
        let start = monotonic_now();
        let measure_from = start + options.warmup;
        let until = measure_from + options.duration;
        let step = Step {
            start,
            measure_from,
            until,
            give_up_at: until + options.warmup.max(Duration::from_secs(5)),
        };
        let mut phases = Spread(0xFA5E ^ step_number as u64);
        let mut tasks = tokio::task::JoinSet::new();
        for index in 0..options.clients {
            let phase_fraction = phases.below(1 << 20) as f64 / f64::from(1_u32 << 20);
            tasks.spawn(paced_client(
                client.clone(),
                base.clone(),
                fixture.clone(),
                index,
                options.clients,
                Pace::new(rate, options.clients, phase_fraction),
                step,
                0x9ACE_0000 + step_number as u64,
            ));
        }
        let mut seen = PacedTally::default();
        while let Some(done) = tasks.join_next().await {
            let done = done?;
            seen.answered_in_window += done.answered_in_window;
            seen.sent_late.extend(done.sent_late);
            seen.abandoned += done.abandoned;
            seen.tally.merge(done.tally);
        }
        if let Some(first) = &seen.tally.first_failure {
            eprintln!(
                "{} failed requests; the first: {first}",
                seen.tally.failures
            );
        }
        let latency = figures(&mut seen.tally, options.duration);
        let mut late = Tally {
            latencies: std::mem::take(&mut seen.sent_late),
            ..Tally::default()
        };
        let late = figures(&mut late, options.duration);
        let paced = PacedFigures {
            rate,
            clients: options.clients,
            achieved_per_second: seen.answered_in_window as f64
                / options.duration.as_secs_f64().max(1e-9),
            latency,
            sent_late_p50_ms: late.p50_ms,
            sent_late_p95_ms: late.p95_ms,
            abandoned: seen.abandoned,
        };
        print_paced(&paced);
        steps.push(paced);
    }
    Ok(steps)
}

fn print_paced(step: &PacedFigures) {
    println!(
        "paced {:>6.0}/s {} clients: achieved {:>7.1} tx/s; latency from due time p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.1} ms; sent late p50 {:.2} ms, p95 {:.2} ms; {} failed, {} abandoned",
        step.rate,
        step.clients,
        step.achieved_per_second,
        step.latency.p50_ms,
        step.latency.p95_ms,
        step.latency.p99_ms,
        step.latency.max_ms,
        step.sent_late_p50_ms,
        step.sent_late_p95_ms,
        step.latency.failures,
        step.abandoned
    );
}

async fn http_load(fixture: Arc<Fixture>, options: &LoadOptions) -> anyhow::Result<Figures> {
    let client = http_client_pool(options.clients)?;
    let base = options.url.trim_end_matches('/').to_string();
    let start = monotonic_now();
    let measure_from = start + options.warmup;
    let until = measure_from + options.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..options.clients {
        tasks.spawn(http_client(
            client.clone(),
            base.clone(),
            fixture.clone(),
            index,
            options.clients,
            measure_from,
            until,
        ));
    }
    let mut tally = Tally::default();
    while let Some(done) = tasks.join_next().await {
        tally.merge(done?);
    }
    let elapsed = monotonic_now().saturating_duration_since(measure_from);
    if let Some(first) = &tally.first_failure {
        eprintln!("{} failed requests; the first: {first}", tally.failures);
    }
    Ok(figures(&mut tally, elapsed))
}

/// The same writes as raw SQL on one writer connection of a copy of the database with the
/// server's pragmas (WAL, synchronous=FULL): with `per_commit` 1, one transaction (one fsync) per
/// checkout or check-in — the disk's limit for transactions committed one by one; with more,
/// that many per commit — the disk's limit when commits are grouped as the server groups them.
/// Latency is per transaction, from its first statement to the commit that made it durable.
async fn raw_baseline(
    fixture: &Fixture,
    copy_dir: &Path,
    duration: Duration,
    per_commit: usize,
) -> anyhow::Result<Figures> {
    let store = Store::open(&StoreConfig::Sqlite {
        data_dir: copy_dir.to_path_buf(),
        synchronous_full: true,
    })
    .await?;
    let mut spread = Spread(0xBA5E ^ per_commit as u64);
    let mut tally = Tally::default();
    let mut loan_id = 9_000_000_000_i64 + 100_000_000 * per_commit as i64;
    let now = fixture.made_at;
    let started = monotonic_now();
    let until = started + duration;
    let mut tx = store.write().await?;
    let mut began: Vec<Instant> = Vec::with_capacity(per_commit);
    while monotonic_now() < until {
        let choice = pick(fixture, &mut spread, 0, 1);
        for checkout in [true, false] {
            began.push(monotonic_now());
            let done = if checkout {
                loan_id += 1;
                bench_fixture::raw_checkout(
                    &mut tx,
                    &choice.branch,
                    &choice.card,
                    &choice.item,
                    loan_id,
                    now,
                )
                .await?
            } else {
                bench_fixture::raw_checkin(&mut tx, &choice.branch, &choice.item, now).await?
            };
            if !done {
                tally.fail(format!("{} was not in the expected state", choice.item));
            }
            if began.len() >= per_commit {
                tx.commit().await?;
                tally
                    .latencies
                    .extend(began.drain(..).map(|at| at.elapsed()));
                tx = store.write().await?;
            }
        }
    }
    tx.commit().await?;
    tally
        .latencies
        .extend(began.drain(..).map(|at| at.elapsed()));
    let elapsed = started.elapsed();
    store.close().await;
    Ok(figures(&mut tally, elapsed))
}

fn print_figures(name: &str, figures: &Figures) {
    println!(
        "{name:<9} {:>8} tx in {:>5.1} s = {:>7.1} tx/s; latency p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.1} ms; {} failed",
        figures.transactions,
        figures.seconds,
        figures.per_second,
        figures.p50_ms,
        figures.p95_ms,
        figures.p99_ms,
        figures.max_ms,
        figures.failures
    );
}

/// `concord bench circulation`: the HTTP load against the running server, then the raw baseline
/// on a consistent copy of its database.
pub async fn run_load(data: &DataArgs, options: LoadOptions) -> anyhow::Result<()> {
    let fixture_path = data.data_dir.join(FIXTURE_FILE);
    let fixture: Fixture =
        serde_json::from_str(&std::fs::read_to_string(&fixture_path).with_context(|| {
            format!(
                "cannot read {}; run bench make-circulation first",
                fixture_path.display()
            )
        })?)?;
    let fixture = Arc::new(fixture);
    println!(
        "{} clients, {} s (after {} s warm-up), {} items, {} patrons, {} branches",
        options.clients,
        options.duration.as_secs_f64(),
        options.warmup.as_secs_f64(),
        fixture.items,
        fixture.patrons,
        fixture.branches.len()
    );
    let mut report = serde_json::Map::new();
    // The closed loop measures saturation (and its ratio to the raw baseline); paced steps
    // measure latency at a given offered load.
    let closed_loop = if options.rates.is_empty() {
        let http = http_load(fixture.clone(), &options).await?;
        print_figures("http", &http);
        report.insert("http".into(), serde_json::to_value(&http)?);
        Some(http)
    } else {
        let steps = paced_load(fixture.clone(), &options).await?;
        if let Some(best) = steps
            .iter()
            .filter(|step| step.latency.p95_ms <= 10.0 && step.latency.failures == 0)
            .max_by(|a, b| a.rate.total_cmp(&b.rate))
        {
            println!(
                "highest rate with p95 <= 10 ms at {} clients: {:.0}/s (achieved {:.1} tx/s)",
                options.clients, best.rate, best.achieved_per_second
            );
        }
        report.insert("paced".into(), serde_json::to_value(&steps)?);
        None
    };
    if !options.skip_baseline {
        if data.database_url.is_some() {
            bail!("the raw baseline copies the SQLite file; pass --skip-baseline on PostgreSQL");
        }
        let copy_dir: PathBuf = data.data_dir.join("bench-baseline-copy");
        if copy_dir.exists() {
            std::fs::remove_dir_all(&copy_dir)
                .with_context(|| format!("cannot remove {}", copy_dir.display()))?;
        }
        std::fs::create_dir_all(&copy_dir)?;
        let source = open(&settings_for(data)).await?;
        source
            .store
            .backup_to(&copy_dir.join(concord_store::engine::SQLITE_FILE))
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        source.store.close().await;
        let raw = raw_baseline(&fixture, &copy_dir, options.duration, 1).await?;
        print_figures("raw SQL", &raw);
        let grouped = raw_baseline(&fixture, &copy_dir, options.duration, RAW_GROUP).await?;
        print_figures("raw x32", &grouped);
        report.insert("raw".into(), serde_json::to_value(&raw)?);
        report.insert("raw_grouped".into(), serde_json::to_value(&grouped)?);
        if let Some(http) = &closed_loop {
            let ratio = http.per_second / raw.per_second.max(1e-9);
            let grouped_ratio = http.per_second / grouped.per_second.max(1e-9);
            println!(
                "http / raw throughput: {:.0} % of one commit per transaction, {:.0} % of {RAW_GROUP} per commit",
                ratio * 100.0,
                grouped_ratio * 100.0
            );
            report.insert("ratio".into(), serde_json::json!(ratio));
            report.insert("ratio_grouped".into(), serde_json::json!(grouped_ratio));
        }
        std::fs::remove_dir_all(&copy_dir)
            .with_context(|| format!("cannot remove {}", copy_dir.display()))?;
    }
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// "60s", "2m" or plain seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (number, unit) = match raw.strip_suffix("ms") {
        Some(n) => (n, 0.001),
        None => match raw.strip_suffix('s') {
            Some(n) => (n, 1.0),
            None => match raw.strip_suffix('m') {
                Some(n) => (n, 60.0),
                None => (raw, 1.0),
            },
        },
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration (e.g. 60s, 2m)"))?;
    if !(value.is_finite() && value >= 0.0) {
        return Err(format!("{raw:?} is not a duration"));
    }
    Ok(Duration::from_secs_f64(value * unit))
}

/// A paced rate: transactions per second, more than zero.
fn parse_rate(raw: &str) -> Result<f64, String> {
    let rate: f64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("{raw:?} is not a rate in transactions per second"))?;
    if rate.is_finite() && rate > 0.0 {
        Ok(rate)
    } else {
        Err(format!("{raw:?}: a rate must be more than zero"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn clients_never_share_an_item_and_patrons_live_at_the_item_branch() {
        let fixture = Fixture {
            items: 1000,
            patrons: 100,
            branches: vec!["A".into(), "B".into(), "C".into()],
            token: String::new(),
            made_at: 0,
        };
        let mut spread = Spread(1);
        for client in 0..7 {
            for _ in 0..50 {
                let choice = pick(&fixture, &mut spread, client, 7);
                let item: u64 = choice.item[1..].parse::<u64>().unwrap() - 1_000_000_000;
                let patron: u64 = choice.card[1..].parse::<u64>().unwrap() - 1_000_000_000;
                assert_eq!(item % 7, client);
                assert!(item < 1000 && patron < 100);
                assert_eq!(item % 3, patron % 3);
                assert_eq!(choice.branch, ["A", "B", "C"][(item % 3) as usize]);
            }
        }
    }

    #[test]
    fn rates_parse_and_refuse_nonsense() {
        assert_eq!(parse_rate("1500"), Ok(1500.0));
        assert_eq!(parse_rate(" 250.5 "), Ok(250.5));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("-5").is_err());
        assert!(parse_rate("fast").is_err());
    }

    #[test]
    fn each_client_gets_an_even_share_of_the_rate() {
        // 75 clients sharing 1,500 transactions per second: one request every 50 ms each.
        let pace = Pace::new(1500.0, 75, 0.0);
        assert_eq!(pace.interval, Duration::from_millis(50));
        assert_eq!(pace.due(0), Duration::ZERO);
        assert_eq!(pace.due(1), Duration::from_millis(50));
        assert_eq!(pace.due(20), Duration::from_secs(1));
        let one = Pace::new(1.0, 1, 0.0);
        assert_eq!(one.interval, Duration::from_secs(1));
    }

    #[test]
    fn the_phase_shifts_a_client_within_one_interval() {
        let pace = Pace::new(1500.0, 75, 0.5);
        assert_eq!(pace.phase, Duration::from_millis(25));
        assert_eq!(pace.due(0), Duration::from_millis(25));
        assert_eq!(pace.due(2), Duration::from_millis(125));
        // Shifts of a whole interval or more wrap around inside the interval.
        assert_eq!(Pace::new(1500.0, 75, 1.0).phase, Duration::ZERO);
        assert!(Pace::new(1500.0, 75, 1.0 - f64::EPSILON).phase < pace.interval);
        assert_eq!(
            Pace::new(1500.0, 75, 1.25).phase,
            Duration::from_micros(12_500)
        );
        assert_eq!(Pace::new(1500.0, 75, -1.0).phase, Duration::ZERO);
    }

    #[test]
    fn due_before_counts_the_requests_whose_due_time_falls_before_the_end() {
        let pace = Pace::new(10.0, 1, 0.5); // every 100 ms, from 50 ms
        assert_eq!(pace.due_before(Duration::ZERO), 0);
        assert_eq!(pace.due_before(Duration::from_millis(50)), 0);
        assert_eq!(pace.due_before(Duration::from_millis(51)), 1);
        assert_eq!(pace.due_before(Duration::from_millis(150)), 1);
        assert_eq!(pace.due_before(Duration::from_millis(151)), 2);
        assert_eq!(pace.due_before(Duration::from_secs(1)), 10);
        for n in 1..30 {
            let due = pace.due(n);
            assert_eq!(pace.due_before(due - Duration::from_millis(1)), n);
            assert_eq!(pace.due_before(due + Duration::from_millis(1)), n + 1);
        }
    }

    #[test]
    fn all_clients_together_offer_the_rate() {
        // Whatever the phases, the clients together have rate × window requests due in a window
        // (each client at most one more or less).
        let (rate, clients, window) = (1234.0, 75_u64, Duration::from_secs(10));
        let mut phases = Spread(7);
        let total: u64 = (0..clients)
            .map(|_| {
                let fraction = phases.below(1000) as f64 / 1000.0;
                Pace::new(rate, clients, fraction).due_before(window)
            })
            .sum();
        let expected = rate * window.as_secs_f64();
        assert!(
            (total as f64 - expected).abs() <= clients as f64,
            "{total} vs {expected}"
        );
    }
}
