//! The commands, their arguments and their output.

mod bench_circulation;
mod bench_search;
mod catalogue;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use concord_domain::audit::AuditFilter;
use concord_domain::auth::Principal;
use concord_domain::ids::ApiTokenId;
use concord_server::clock::{Clock, SystemClock};
use concord_server::http::{self, AppState};
use concord_server::i18n::Messages;
use concord_server::service::search::CatalogueSearch;
use concord_server::service::{accounts, audit, circulation, demo, org, orgfile, patrons, search};
use concord_server::settings::{LogFormat, Settings};
use concord_server::{Context, ServiceError};
use concord_store::Store;

/// Concord: a library services platform for library consortia.
#[derive(Parser, Debug)]
#[command(name = "concord", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data is. Every command that reads or writes data takes these.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// The data directory (SQLite database, backups, message catalogues).
    #[arg(
        long,
        env = "CONCORD_DATA_DIR",
        default_value = "concord-data",
        global = true
    )]
    data_dir: PathBuf,
    /// Use PostgreSQL at this URL instead of the embedded store, e.g. postgres://user:pw@host/db.
    #[arg(
        long,
        env = "CONCORD_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    database_url: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server in production, configured by a file and CONCORD_* environment variables.
    Serve {
        /// A TOML settings file (keys: data_dir, database_url, listen, public_url, session_hours,
        /// secure_cookies, log_format, durable_commits). Environment variables override it.
        #[arg(long, env = "CONCORD_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Create (if needed) a demo consortium, serve it, and print where to open it and how to log in.
    Demo {
        #[command(flatten)]
        data: DataArgs,
        /// The port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Create the demo data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Bring the database schema up to date and exit.
    Migrate {
        #[command(flatten)]
        data: DataArgs,
    },
    /// The consortium's organisation: members and branches.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Staff accounts.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Patrons.
    Patron {
        #[command(subcommand)]
        command: PatronCommand,
    },
    /// API tokens for integrations (self-check kiosks, discovery layers, vendors).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Browse the audit log, newest first.
    Audit {
        #[command(flatten)]
        data: DataArgs,
        /// Only changes to this member's data.
        #[arg(long)]
        member: Option<String>,
        /// Only changes by this actor (e.g. staff:alice, token:kiosk, operator).
        #[arg(long)]
        actor: Option<String>,
        /// Only this kind of record (member, branch, patron, staff, api_token).
        #[arg(long)]
        entity_kind: Option<String>,
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent copy of the database to FILE while the server keeps running.
    Backup {
        #[command(flatten)]
        data: DataArgs,
        /// The backup file to create (must not exist).
        file: PathBuf,
    },
    /// Load records into the shared catalogue.
    Import {
        #[command(subcommand)]
        command: catalogue::ImportCommand,
    },
    /// Write the catalogue out.
    Export {
        #[command(subcommand)]
        command: catalogue::ExportCommand,
    },
    /// Rebuild the catalogue search index from the store, with progress. A running server keeps
    /// following the change log afterwards by itself.
    Reindex {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Benchmark helpers (MARC parse rate against yaz-marcdump, a large generated MARC file, the
    /// circulation benchmark).
    Bench {
        #[command(subcommand)]
        command: bench_circulation::BenchCommand,
    },
    /// Scheduled circulation work: overdue fines and reading-history anonymisation.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Check that loans and items agree: every open loan's item is out and every item out has a
    /// loan, and no ledger entry names a missing loan. Exits 1 if not.
    CheckLoans {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
enum JobsCommand {
    /// Run every due job from the queue (with --now: queue and run both daily jobs now), then queue
    /// the next daily runs. Run it from cron daily, or leave it to the scheduler.
    RunDaily {
        #[command(flatten)]
        data: DataArgs,
        /// Run both daily jobs now instead of only those due.
        #[arg(long)]
        now: bool,
        /// Remove the patron from reading-history entries older than this many days.
        #[arg(long, default_value_t = 365)]
        reading_history_days: u32,
    },
}

#[derive(Subcommand, Debug)]
enum OrgCommand {
    /// Load a whole-consortium TOML file: creates new members and branches, updates changed ones.
    Load {
        #[command(flatten)]
        data: DataArgs,
        /// The file (see README for its format).
        file: PathBuf,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the consortium's members and branches in the file format `org load` reads.
    Export {
        #[command(flatten)]
        data: DataArgs,
        /// The file to write (standard output if not given).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// List members and their branches.
    Show {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
enum StaffCommand {
    /// Create a staff account. The password is read from standard input (one line).
    Add {
        #[command(flatten)]
        data: DataArgs,
        username: String,
        /// The person's name as shown in the audit log and pages.
        #[arg(long)]
        name: String,
        /// consortium_admin, member_admin, circulation, cataloguing or read_only.
        #[arg(long)]
        role: String,
        /// consortium, member:CODE or branch:CODE.
        #[arg(long)]
        scope: String,
    },
    /// List staff accounts.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Set a new password (read from standard input); ends the account's sessions.
    Password {
        #[command(flatten)]
        data: DataArgs,
        username: String,
    },
    /// Disable an account at once (its sessions end).
    Disable {
        #[command(flatten)]
        data: DataArgs,
        username: String,
    },
    /// Enable a disabled account.
    Enable {
        #[command(flatten)]
        data: DataArgs,
        username: String,
    },
}

#[derive(Subcommand, Debug)]
enum PatronCommand {
    /// Find patrons by card, name (surname first; accents, case and apostrophes ignored), email
    /// or phone.
    Find {
        #[command(flatten)]
        data: DataArgs,
        query: String,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Issue a token; the secret is printed once.
    Create {
        #[command(flatten)]
        data: DataArgs,
        /// What the token is for, e.g. "Main Library kiosk 1".
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        scope: String,
        /// Expire after this many days (default: until revoked).
        #[arg(long)]
        days: Option<i64>,
    },
    /// List tokens.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Revoke a token by id.
    Revoke {
        #[command(flatten)]
        data: DataArgs,
        id: i64,
    },
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CONCORD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

pub(crate) fn settings_for(data: &DataArgs) -> Settings {
    Settings {
        data_dir: data.data_dir.clone(),
        database_url: data.database_url.clone(),
        ..Settings::default()
    }
}

pub(crate) async fn open(settings: &Settings) -> anyhow::Result<Arc<Context>> {
    let store = Store::open(&settings.store_config())
        .await
        .with_context(|| match &settings.database_url {
            Some(_) => "cannot open the PostgreSQL database".to_string(),
            None => format!(
                "cannot open the data directory {}",
                settings.data_dir.display()
            ),
        })?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let search = CatalogueSearch::open(&settings.data_dir.join("search-index")).map_err(service)?;
    Ok(Arc::new(
        Context::new(store, clock, settings.session_hours)
            .map_err(service)?
            .with_search(search),
    ))
}

pub(crate) fn service(error: ServiceError) -> anyhow::Error {
    let mut text = error.message.clone();
    if error.fields.len() > 1
        || error
            .fields
            .first()
            .is_some_and(|f| !error.message.contains(&f.reason))
    {
        for field in &error.fields {
            text.push_str(&format!("\n  {}: {}", field.field, field.reason));
        }
    }
    anyhow::anyhow!(text)
}

fn read_secret(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("{prompt}: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn serve(
    ctx: Arc<Context>,
    settings: &Settings,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<()> {
    let messages =
        Messages::load(&settings.data_dir.join("messages")).map_err(|e| anyhow::anyhow!(e))?;
    let state = Arc::new(AppState {
        ctx: Arc::clone(&ctx),
        messages,
        secure_cookies: settings.secure_cookies,
        site: Default::default(),
        view_answers: Default::default(),
    });
    http::serve(listener, state, shutdown_signal())
        .await
        .context("the server stopped")?;
    ctx.store.close().await;
    tracing::info!("stopped cleanly");
    Ok(())
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { config } => {
            let settings = Settings::load(config.as_deref(), std::env::vars())
                .map_err(|e| anyhow::anyhow!(e))?;
            init_logging(settings.log_format);
            tracing::info!(?settings, "starting");
            let ctx = open(&settings).await?;
            let listener = tokio::net::TcpListener::bind(settings.listen)
                .await
                .with_context(|| format!("cannot listen on {}", settings.listen))?;
            let address = listener
                .local_addr()
                .context("the listener has no address")?;
            tracing::info!(%address, "listening");
            println!("listening on http://{address}/");
            serve(ctx, &settings, listener).await?;
        }
        Command::Demo {
            data,
            port,
            host,
            no_serve,
        } => {
            let settings = settings_for(&data);
            init_logging(LogFormat::Text);
            let ctx = open(&settings).await?;
            let summary = demo::ensure(&ctx).await.map_err(service)?;
            let listener = if no_serve {
                None
            } else {
                let address = format!("{host}:{port}");
                Some(tokio::net::TcpListener::bind(&address).await.with_context(|| {
                    format!("cannot listen on {address}; choose another port with --port (0 picks a free one)")
                })?)
            };
            let http_port = match &listener {
                Some(l) => l.local_addr()?.port(),
                None => port,
            };
            let url = format!("http://{host}:{http_port}/");
            write_demo_credentials(&settings.data_dir, &url, http_port, &summary)?;
            println!(
                "{} — {} members, {} branches, {} patrons",
                summary.consortium, summary.members, summary.branches, summary.patrons
            );
            println!();
            println!("Open {url}");
            println!();
            println!("Staff logins ({url}login):");
            for login in &summary.staff {
                println!(
                    "  {:<12} {:<16} {} ({})",
                    login.username, login.password, login.role, login.scope
                );
            }
            println!(
                "Patron login ({url}account/login): card {} PIN {} ({})",
                summary.patron_card, summary.patron_pin, summary.patron_name
            );
            println!();
            println!(
                "These are also in {}",
                settings.data_dir.join("demo-credentials.json").display()
            );
            if let Some(listener) = listener {
                println!("Press Ctrl-C to stop.");
                serve(ctx, &settings, listener).await?;
            } else {
                ctx.store.close().await;
            }
        }
        Command::Migrate { data } => {
            let ctx = open(&settings_for(&data)).await?;
            ctx.store.close().await;
            println!("the database schema is up to date");
        }
        Command::Org { command } => match command {
            OrgCommand::Load { data, file, json } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let ctx = open(&settings_for(&data)).await?;
                let result = orgfile::load(&ctx, &Principal::Operator, &text).await;
                ctx.store.close().await;
                let summary = result.map_err(|e| {
                    service(e).context(format!("{} was not loaded", file.display()))
                })?;
                if json {
                    println!("{}", serde_json::to_string(&summary)?);
                } else {
                    println!(
                        "members: {} created, {} updated, {} unchanged; branches: {} created, {} updated, {} unchanged",
                        summary.members_created,
                        summary.members_updated,
                        summary.members_unchanged,
                        summary.branches_created,
                        summary.branches_updated,
                        summary.branches_unchanged
                    );
                }
            }
            OrgCommand::Export { data, output } => {
                let ctx = open(&settings_for(&data)).await?;
                let result = orgfile::export(&ctx, &Principal::Operator).await;
                ctx.store.close().await;
                let text = result.map_err(service)?;
                match output {
                    Some(path) => std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                    None => print!("{text}"),
                }
            }
            OrgCommand::Show { data } => {
                let ctx = open(&settings_for(&data)).await?;
                let consortium = org::consortium(&ctx).await.map_err(service)?;
                println!("{} ({})", consortium.name, consortium.code);
                let members = org::list_members(&ctx).await.map_err(service)?;
                let branches = org::list_branches(&ctx, None).await.map_err(service)?;
                for member in &members {
                    println!("{:<12} {} [{}]", member.code, member.name, member.kind);
                    for branch in branches.iter().filter(|b| b.member_id == member.id) {
                        let flags = [
                            (branch.is_pickup_location, "pickup"),
                            (branch.has_curbside, "curbside"),
                        ]
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, n)| *n)
                        .collect::<Vec<_>>()
                        .join(", ");
                        println!(
                            "  {:<14} {} {}",
                            branch.code,
                            branch.name,
                            if flags.is_empty() {
                                String::new()
                            } else {
                                format!("({flags})")
                            }
                        );
                    }
                }
                ctx.store.close().await;
            }
        },
        Command::Staff { command } => match command {
            StaffCommand::Add {
                data,
                username,
                name,
                role,
                scope,
            } => {
                let password = read_secret("password")?;
                let ctx = open(&settings_for(&data)).await?;
                let input = accounts::StaffInput {
                    username,
                    display_name: name,
                    password,
                    grants: vec![(role, scope)],
                };
                let result = accounts::create_staff(&ctx, &Principal::Operator, &input).await;
                ctx.store.close().await;
                let staff = result.map_err(service)?;
                println!("created staff account {}", staff.username);
            }
            StaffCommand::List { data } => {
                let ctx = open(&settings_for(&data)).await?;
                for staff in accounts::list_staff(&ctx, &Principal::Operator)
                    .await
                    .map_err(service)?
                {
                    let mut grants = Vec::new();
                    for g in &staff.grants {
                        grants.push(format!(
                            "{} {}",
                            g.role,
                            accounts::describe_scope(&ctx, g.scope)
                                .await
                                .map_err(service)?
                        ));
                    }
                    println!(
                        "{:<16} {:<24} {}{}",
                        staff.username,
                        staff.display_name,
                        grants.join("; "),
                        if staff.disabled { " (disabled)" } else { "" }
                    );
                }
                ctx.store.close().await;
            }
            StaffCommand::Password { data, username } => {
                let password = read_secret("new password")?;
                let ctx = open(&settings_for(&data)).await?;
                let result =
                    accounts::set_staff_password(&ctx, &Principal::Operator, &username, &password)
                        .await;
                ctx.store.close().await;
                result.map_err(service)?;
                println!("password changed for {username}; their sessions have ended");
            }
            StaffCommand::Disable { data, username } => {
                let ctx = open(&settings_for(&data)).await?;
                let result =
                    accounts::set_staff_disabled(&ctx, &Principal::Operator, &username, true).await;
                ctx.store.close().await;
                result.map_err(service)?;
                println!("{username} is disabled");
            }
            StaffCommand::Enable { data, username } => {
                let ctx = open(&settings_for(&data)).await?;
                let result =
                    accounts::set_staff_disabled(&ctx, &Principal::Operator, &username, false)
                        .await;
                ctx.store.close().await;
                result.map_err(service)?;
                println!("{username} is enabled");
            }
        },
        Command::Patron { command } => match command {
            PatronCommand::Find { data, query } => {
                let ctx = open(&settings_for(&data)).await?;
                let found = patrons::search(&ctx, &Principal::Operator, &query)
                    .await
                    .map_err(service)?;
                for p in &found {
                    let branch = org::branch_by_id(&ctx, p.home_branch)
                        .await
                        .map_err(service)?;
                    println!(
                        "{:<20} {:<30} {:<14} expires {}",
                        p.cards.first().map(ToString::to_string).unwrap_or_default(),
                        format!("{}, {}", p.family_name, p.given_names),
                        branch.code,
                        p.expires_on
                    );
                }
                println!("{} found", found.len());
                ctx.store.close().await;
            }
        },
        Command::Token { command } => match command {
            TokenCommand::Create {
                data,
                name,
                role,
                scope,
                days,
            } => {
                let ctx = open(&settings_for(&data)).await?;
                let result = accounts::create_api_token(
                    &ctx,
                    &Principal::Operator,
                    &name,
                    &role,
                    &scope,
                    days,
                )
                .await;
                ctx.store.close().await;
                let issued = result.map_err(service)?;
                println!("token {} for {}:", issued.record.id, issued.record.name);
                println!("{}", issued.secret);
                eprintln!("(shown once; send it as 'Authorization: Bearer <token>')");
            }
            TokenCommand::List { data } => {
                let ctx = open(&settings_for(&data)).await?;
                for t in accounts::list_api_tokens(&ctx, &Principal::Operator)
                    .await
                    .map_err(service)?
                {
                    let scope = accounts::describe_scope(&ctx, t.grant.scope)
                        .await
                        .map_err(service)?;
                    println!(
                        "{:<20} {:<28} {} {}{}",
                        t.id,
                        t.name,
                        t.grant.role,
                        scope,
                        if t.revoked_at.is_some() {
                            " (revoked)"
                        } else {
                            ""
                        }
                    );
                }
                ctx.store.close().await;
            }
            TokenCommand::Revoke { data, id } => {
                let ctx = open(&settings_for(&data)).await?;
                let result =
                    accounts::revoke_api_token(&ctx, &Principal::Operator, ApiTokenId(id)).await;
                ctx.store.close().await;
                result.map_err(service)?;
                println!("token {id} revoked");
            }
        },
        Command::Audit {
            data,
            member,
            actor,
            entity_kind,
            limit,
            json,
        } => {
            let ctx = open(&settings_for(&data)).await?;
            let member_id = match member {
                Some(code) => Some(org::member(&ctx, &code).await.map_err(service)?.id),
                None => None,
            };
            let filter = AuditFilter {
                member_id,
                actor,
                entity_kind,
                limit,
                ..AuditFilter::default()
            };
            let entries = audit::browse(&ctx, &Principal::Operator, &filter)
                .await
                .map_err(service)?;
            for e in &entries {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "id": e.id.0, "at": e.at, "actor": e.actor, "action": e.action,
                            "entity_kind": e.entity_kind, "entity_id": e.entity_id, "reason": e.reason,
                            "before": e.before.as_deref().and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok()),
                            "after": e.after.as_deref().and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok()),
                        })
                    );
                } else {
                    println!(
                        "{:>12} {:<22} {:<16} {} {}",
                        e.at, e.actor, e.action, e.entity_kind, e.entity_id
                    );
                }
            }
            ctx.store.close().await;
        }
        Command::Jobs {
            command:
                JobsCommand::RunDaily {
                    data,
                    now,
                    reading_history_days,
                },
        } => {
            let ctx = open(&settings_for(&data)).await?;
            let run = circulation::run_due_jobs(
                &ctx,
                &Principal::Operator,
                Some(reading_history_days),
                now,
            )
            .await
            .map_err(service)?;
            ctx.store.close().await;
            println!(
                "loans fined: {}; reading-history entries anonymised: {}",
                run.loans_fined, run.reading_history_anonymised
            );
        }
        Command::CheckLoans { data } => {
            let ctx = open(&settings_for(&data)).await?;
            let check = circulation::check_consistency(&ctx, &Principal::Operator)
                .await
                .map_err(service)?;
            ctx.store.close().await;
            println!("{}", serde_json::to_string(&check)?);
            if check.loans_with_item_not_on_loan
                + check.items_on_loan_without_loan
                + check.ledger_entries_without_loan
                > 0
            {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Backup { data, file } => {
            let ctx = open(&settings_for(&data)).await?;
            if file.exists() {
                bail!("{} already exists; choose a new file name", file.display());
            }
            let result = ctx.store.backup_to(&file).await;
            ctx.store.close().await;
            result.map_err(|e| anyhow::anyhow!(e))?;
            println!("backed up to {}", file.display());
        }
        Command::Import { command } => catalogue::import(command).await?,
        Command::Export { command } => catalogue::export(command).await?,
        Command::Bench { command } => bench_circulation::bench(command).await?,
        Command::Reindex { data } => {
            let ctx = open(&settings_for(&data)).await?;
            let show_progress = std::io::stderr().is_terminal();
            let started = catalogue::start_timer();
            let result = search::reindex(&ctx, |done, total| {
                if show_progress {
                    eprint!("\r{}", progress_bar(done, total));
                }
            })
            .await;
            if show_progress {
                eprintln!();
            }
            ctx.store.close().await;
            let report = result.map_err(service)?;
            println!(
                "indexed {} records with {} items in {:.1} s (change log at {})",
                report.bibs,
                report.items,
                started.elapsed().as_secs_f64(),
                report.change_seq
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_demo_credentials(
    data_dir: &Path,
    url: &str,
    port: u16,
    summary: &demo::DemoSummary,
) -> anyhow::Result<()> {
    let document = serde_json::json!({
        "url": url,
        "ports": { "http": port },
        "consortium": summary.consortium,
        "staff": summary.staff,
        "patron": { "card": summary.patron_card, "pin": summary.patron_pin, "name": summary.patron_name },
    });
    let path = data_dir.join("demo-credentials.json");
    std::fs::write(&path, serde_json::to_string_pretty(&document)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// `[#########           ]  45%  4500/10000 records`, for a terminal.
fn progress_bar(done: u64, total: u64) -> String {
    const WIDTH: u64 = 30;
    let total = total.max(done).max(1);
    let filled = done * WIDTH / total;
    format!(
        "[{}{}] {:>3}%  {done}/{total} records",
        "#".repeat(usize::try_from(filled).unwrap_or(0)),
        " ".repeat(usize::try_from(WIDTH - filled).unwrap_or(0)),
        done * 100 / total
    )
}
