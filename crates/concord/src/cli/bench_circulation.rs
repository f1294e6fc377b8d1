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
        } => {
            run_load(
                &data,
                LoadOptions {
                    url,
                    clients: clients.max(1),
                    duration,
                    warmup,
                    skip_baseline,
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
        let requests = [
            (
                format!("{base}/api/v1/checkout"),
                serde_json::json!({ "branch": choice.branch, "patron_card": choice.card, "item_barcode": choice.item }),
            ),
            (
                format!("{base}/api/v1/checkin"),
                serde_json::json!({ "branch": choice.branch, "item_barcode": choice.item }),
            ),
        ];
        for (url, body) in requests {
            let started = monotonic_now();
            let outcome = client
                .post(&url)
                .header("authorization", &auth)
                .json(&body)
                .send()
                .await;
            let elapsed = started.elapsed();
            let counted = started >= measure_from;
            match outcome {
                Ok(response) if response.status().is_success() => {
                    // Read the body so that the connection is reused.
                    let _ = response.bytes().await;
                    if counted {
                        tally.latencies.push(elapsed);
                    }
                }
                Ok(response) => {
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    tally.fail(format!("{url}: {status} {text}"));
                }
                Err(error) => tally.fail(format!("{url}: {error}")),
            }
        }
    }
    tally
}

async fn http_load(fixture: Arc<Fixture>, options: &LoadOptions) -> anyhow::Result<Figures> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::try_from(options.clients).unwrap_or(64))
        .timeout(Duration::from_secs(30))
        .build()?;
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
    let http = http_load(fixture.clone(), &options).await?;
    print_figures("http", &http);
    let mut report = serde_json::Map::new();
    report.insert("http".into(), serde_json::to_value(&http)?);
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
        let ratio = http.per_second / raw.per_second.max(1e-9);
        let grouped_ratio = http.per_second / grouped.per_second.max(1e-9);
        println!(
            "http / raw throughput: {:.0} % of one commit per transaction, {:.0} % of {RAW_GROUP} per commit",
            ratio * 100.0,
            grouped_ratio * 100.0
        );
        report.insert("raw".into(), serde_json::to_value(&raw)?);
        report.insert("raw_grouped".into(), serde_json::to_value(&grouped)?);
        report.insert("ratio".into(), serde_json::json!(ratio));
        report.insert("ratio_grouped".into(), serde_json::json!(grouped_ratio));
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
}
