//! The search freshness benchmark: how long after a catalogue change commits it can be found,
//! through the path a running server uses (the store's change log, the follower task, the index
//! commit and reload).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use concord_domain::auth::Principal;
use concord_domain::ids::BibId;
use concord_search::{SearchRequest, SortOrder};
use concord_server::Context;
use concord_server::service::catalogue::{self, ItemInput};
use concord_server::service::{org, search};

use super::{DataArgs, open, service, settings_for};

/// The longest a change may take to become searchable before the run fails.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);
/// How often the benchmark asks whether the change is searchable yet: the figures' resolution.
const POLL_EVERY: Duration = Duration::from_millis(1);

/// A monotonic clock for latencies. It measures this process, never a business "now", so the
/// clock rule does not apply.
#[allow(clippy::disallowed_methods)]
fn monotonic_now() -> Instant {
    Instant::now()
}

/// `concord bench search-freshness`: on a data directory with a catalogue, brings the index up
/// to date, starts the change-log follower as `serve` does, then makes `changes` changes one at
/// a time, alternately a bib edit (a new word in the title, through the MARC editor's service)
/// and a new item (a new call number, through the item service), and measures from each
/// change's commit until a search finds it.
pub async fn freshness(
    data: &DataArgs,
    changes: usize,
    pause: Duration,
    member: Option<String>,
) -> anyhow::Result<()> {
    let ctx = open(&settings_for(data)).await?;
    let status = search::status(&ctx).await.map_err(service)?;
    if status.applied_change_seq < status.latest_change_seq {
        let started = monotonic_now();
        let report = search::reindex(&ctx, |_, _| {}).await.map_err(service)?;
        println!(
            "index rebuilt: {} bibs, {} items in {:.1} s",
            report.bibs,
            report.items,
            started.elapsed().as_secs_f64()
        );
    }
    let documents = ctx.search.document_count();
    if documents == 0 {
        bail!("the catalogue is empty: import records first (concord import marc)");
    }
    let branch = org::list_branches(&ctx, member.as_deref())
        .await
        .map_err(service)?
        .into_iter()
        .next()
        .context("no branch to add items to")?;
    let bibs = bibs_to_change(&ctx, changes).await?;
    let follower = search::follow(Arc::clone(&ctx));
    // A run marker keeps this run's words and call numbers apart from an earlier run's.
    let run = ctx.new_id().rem_euclid(1_000_000);
    println!(
        "index of {documents} bibs; {changes} changes, alternately a title edit and a new item at {}",
        branch.code
    );

    let mut bib_edits = Vec::new();
    let mut new_items = Vec::new();
    for (number, bib_id) in bibs.iter().cycle().take(changes).enumerate() {
        let marker = format!("fresh{run}x{number}");
        let query = if number % 2 == 0 {
            edit_title(&ctx, *bib_id, &marker).await?;
            marker.clone()
        } else {
            add_item(&ctx, *bib_id, &branch.code.to_string(), &marker).await?;
            format!("callnumber:{marker}")
        };
        let committed = monotonic_now();
        loop {
            let mut request = SearchRequest::new(query.clone());
            request.facets = Vec::new();
            request.page_size = 1;
            request.sort = SortOrder::Relevance;
            if search::search(&ctx, request).await.map_err(service)?.total > 0 {
                break;
            }
            if committed.elapsed() > GIVE_UP_AFTER {
                follower.abort();
                bail!("change {number} was not searchable after {GIVE_UP_AFTER:?}");
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
        let latency = committed.elapsed().as_micros() as u64;
        if number % 2 == 0 {
            bib_edits.push(latency);
        } else {
            new_items.push(latency);
        }
        tokio::time::sleep(pause).await;
    }
    follower.abort();
    let mut all: Vec<u64> = bib_edits.iter().chain(&new_items).copied().collect();
    for (what, latencies) in [
        ("all changes", &mut all),
        ("title edits", &mut bib_edits),
        ("new items", &mut new_items),
    ] {
        latencies.sort_unstable();
        println!(
            "{what}: {} changes, commit to searchable p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            latencies.len(),
            quantile(latencies, 0.50),
            quantile(latencies, 0.95),
            latencies.last().copied().unwrap_or(0) as f64 / 1000.0,
        );
    }
    Ok(())
}

/// The `q` quantile of sorted microseconds, in milliseconds.
fn quantile(sorted: &[u64], q: f64) -> f64 {
    let position = ((sorted.len() as f64 - 1.0) * q).round().max(0.0) as usize;
    sorted.get(position).copied().unwrap_or(0) as f64 / 1000.0
}

/// Up to `wanted` bibs of the catalogue, found by searching everything.
async fn bibs_to_change(ctx: &Context, wanted: usize) -> anyhow::Result<Vec<BibId>> {
    let mut request = SearchRequest::new("");
    request.facets = Vec::new();
    request.page_size = wanted.clamp(1, 1000);
    let response = search::search(ctx, request).await.map_err(service)?;
    Ok(response.hits.iter().map(|hit| BibId(hit.bib_id)).collect())
}

/// Puts `marker` at the start of the bib's title through the MARC editor's service.
async fn edit_title(ctx: &Context, bib_id: BibId, marker: &str) -> anyhow::Result<()> {
    let detail = catalogue::bib(ctx, bib_id).await.map_err(service)?;
    let text = concord_marc::to_line_format(detail.readable_record().map_err(service)?);
    let mut edited = String::with_capacity(text.len() + marker.len() + 1);
    let mut found = false;
    for line in text.lines() {
        match line.strip_prefix("245 ").and_then(|rest| {
            let (indicators, subfields) = rest.split_once(" $a ")?;
            Some((indicators, subfields))
        }) {
            Some((indicators, subfields)) if !found => {
                // Drop an earlier run's marker so titles do not grow run after run.
                let title = match subfields.split_once(' ') {
                    Some((first, rest)) if first.starts_with("fresh") => rest,
                    _ => subfields,
                };
                edited.push_str(&format!("245 {indicators} $a {marker} {title}"));
                found = true;
            }
            _ => edited.push_str(line),
        }
        edited.push('\n');
    }
    if !found {
        bail!("bib {bib_id} has no 245 $a to edit");
    }
    catalogue::update_record(ctx, &Principal::Operator, bib_id, &edited)
        .await
        .map_err(service)?;
    Ok(())
}

/// Adds an item with the call number `marker` to the bib through the item service.
async fn add_item(ctx: &Context, bib_id: BibId, branch: &str, marker: &str) -> anyhow::Result<()> {
    let input = ItemInput {
        barcode: marker.to_uppercase(),
        branch: branch.to_owned(),
        current_branch: None,
        call_number: marker.to_owned(),
        item_type: "BOOK".to_owned(),
        shelving_location: String::new(),
        price: String::new(),
        status: "available".to_owned(),
        hidden_from_other_members: false,
    };
    catalogue::add_item(ctx, &Principal::Operator, bib_id, &input)
        .await
        .map_err(service)?;
    Ok(())
}
