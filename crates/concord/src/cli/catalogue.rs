//! The catalogue commands: `import marc`, `export marc` and the `bench` helpers.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::{Subcommand, ValueEnum};
use concord_domain::auth::Principal;
use concord_domain::catalogue::holdings::HoldingsMapping;
use concord_marc::{InvalidText, ReadOptions, RecordOffset, read_any_with_options};
use concord_server::Context;
use concord_server::service::catalogue::{
    self, ExportWriteError, ImportOptions, ImportSummary, Rejection,
};

use super::{DataArgs, open, service, settings_for};

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Load MARC21 records (ISO 2709 or MARCXML, detected) into the shared catalogue for a member.
    /// Items come from 852, 949, 999 and 952 fields; records matching an existing bib attach
    /// their items to it. Rejected records go to FILE.rejects.mrc with reasons in
    /// FILE.rejects.txt.
    Marc {
        #[command(flatten)]
        data: DataArgs,
        /// The member whose items these are.
        #[arg(long)]
        member: String,
        /// Print the summary as one JSON object.
        #[arg(long)]
        json: bool,
        /// A TOML holdings mapping (layouts, branches, default_item_type) instead of the defaults.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Where to write rejected records (default: next to each input, INPUT.rejects.mrc).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Import text that does not decode (U+FFFD for bad UTF-8, undefined MARC-8 dropped)
        /// instead of rejecting the record.
        #[arg(long)]
        replace_invalid_text: bool,
        /// Records per transaction.
        #[arg(long, default_value_t = catalogue::DEFAULT_BATCH_SIZE)]
        batch_size: usize,
        /// The files to load.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Iso2709,
    Marcxml,
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Write the catalogue as MARC21 with each item as an 852 ($a member, $b branch, $c
    /// location, $h call number, $p barcode, $y item type, $9 price). Bibs whose stored
    /// record cannot be read, or that the format cannot hold, are left out and named on stderr.
    Marc {
        #[command(flatten)]
        data: DataArgs,
        /// Only this member's items (and the bibs that have them).
        #[arg(long)]
        member: Option<String>,
        /// Only bibs changed on or after this date (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, value_enum, default_value = "iso2709")]
        format: ExportFormat,
        /// The file to write.
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Parse a MARC file N times with Concord's reader and with yaz-marcdump; print records/s.
    MarcParse {
        file: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Make a large ISO 2709 file by varying real records (unique 001, ISBN, title, barcodes).
    MakeMarc {
        /// Source records (default: every ISO 2709 file given).
        #[arg(long, required = true)]
        source: Vec<PathBuf>,
        #[arg(long, default_value_t = 100_000)]
        records: usize,
        /// Branch code written into each record's 949 $m.
        #[arg(long, default_value = "SHIRE-CEN")]
        branch: String,
        #[arg(long)]
        output: PathBuf,
    },
}

/// A monotonic start time for rates on the operator's terminal and benchmark figures. Elapsed
/// time here measures this process, never a business "now", so the clock rule does not apply.
#[allow(clippy::disallowed_methods)]
pub(crate) fn start_timer() -> Instant {
    Instant::now()
}

/// A reader that counts the bytes read through it, for the progress bar's ETA.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Writes rejected records and their reasons as they come.
struct RejectsFile {
    input: PathBuf,
    records_path: PathBuf,
    records: Option<BufWriter<File>>,
    notes: Option<BufWriter<File>>,
}

impl RejectsFile {
    fn write(&mut self, rejection: &Rejection) -> anyhow::Result<()> {
        if self.records.is_none() {
            self.records = Some(BufWriter::new(
                File::create(&self.records_path)
                    .with_context(|| format!("cannot create {}", self.records_path.display()))?,
            ));
            let notes_path = self.records_path.with_extension("txt");
            self.notes = Some(BufWriter::new(
                File::create(&notes_path)
                    .with_context(|| format!("cannot create {}", notes_path.display()))?,
            ));
        }
        let bytes = match &rejection.record {
            Some(bytes) => Some(bytes.clone()),
            None => raw_record_at(&self.input, rejection.byte_offset).ok(),
        };
        if let (Some(out), Some(bytes)) = (self.records.as_mut(), bytes) {
            out.write_all(&bytes)?;
        }
        if let Some(notes) = self.notes.as_mut() {
            writeln!(
                notes,
                "{}\trecord {}\tbyte {}\t{}",
                self.input.display(),
                rejection.record_number,
                rejection.byte_offset,
                rejection.reason
            )?;
        }
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        if let Some(out) = self.records.as_mut() {
            out.flush()?;
        }
        if let Some(notes) = self.notes.as_mut() {
            notes.flush()?;
        }
        Ok(())
    }
}

/// The raw bytes of the ISO 2709 record starting at `offset`, up to its terminator.
fn raw_record_at(path: &Path, offset: u64) -> anyhow::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = file.read(&mut buffer)?;
        let chunk = buffer.get(..n).unwrap_or_default();
        if let Some(end) = chunk.iter().position(|b| *b == 0x1d) {
            bytes.extend_from_slice(chunk.get(..=end).unwrap_or_default());
            break;
        }
        bytes.extend_from_slice(chunk);
        if n == 0 || bytes.len() > 200_000 {
            break;
        }
    }
    if bytes.first() == Some(&b'<') {
        bail!("not ISO 2709");
    }
    Ok(bytes)
}

fn load_mapping(path: Option<&Path>) -> anyhow::Result<HoldingsMapping> {
    match path {
        None => Ok(HoldingsMapping::default()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            toml::from_str(&text)
                .with_context(|| format!("{} is not a holdings mapping", path.display()))
        }
    }
}

pub async fn import(command: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Marc {
        data,
        member,
        json,
        mapping,
        rejects,
        replace_invalid_text,
        batch_size,
        files,
    } = command;
    let mapping = load_mapping(mapping.as_deref())?;
    let ctx = open(&settings_for(&data)).await?;
    let result = import_files(
        &ctx,
        &member,
        &mapping,
        rejects.as_deref(),
        replace_invalid_text,
        batch_size,
        &files,
    )
    .await;
    ctx.store.close().await;
    let (total, elapsed) = result?;
    if json {
        println!("{}", serde_json::to_string(&total)?);
    } else {
        let c = &total.counts;
        let messages = concord_server::i18n::Messages::english()?;
        let number = |n: u64| messages.number("en", n);
        let parts: Vec<String> = c
            .shown()
            .into_iter()
            .map(|(name, count)| format!("{name} {}", number(count)))
            .collect();
        println!(
            "{} ({:.0} records/s)",
            parts.join(" · "),
            c.read as f64 / elapsed.max(1e-9)
        );
        for note in total.rejections.iter().take(20) {
            println!(
                "  rejected record {} (byte {}): {}",
                note.record_number, note.byte_offset, note.reason
            );
        }
        if total.rejections.len() > 20 {
            println!(
                "  … {} more in the rejects file",
                total.rejections.len() - 20
            );
        }
    }
    Ok(())
}

async fn import_files(
    ctx: &Context,
    member: &str,
    mapping: &HoldingsMapping,
    rejects: Option<&Path>,
    replace_invalid_text: bool,
    batch_size: usize,
    files: &[PathBuf],
) -> anyhow::Result<(ImportSummary, f64)> {
    let started = start_timer();
    let mut total = ImportSummary::default();
    let show_progress = std::io::stderr().is_terminal() && std::io::stdout().is_terminal();
    for path in files {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let consumed = Arc::new(AtomicU64::new(0));
        let reader = Counting {
            inner: file,
            count: Arc::clone(&consumed),
        };
        let options = ReadOptions {
            invalid_text: if replace_invalid_text {
                InvalidText::Replace
            } else {
                InvalidText::Error
            },
        };
        let records = read_any_with_options(reader, options)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut rejects_file = RejectsFile {
            input: path.clone(),
            records_path: rejects.map_or_else(
                || PathBuf::from(format!("{}.rejects.mrc", path.display())),
                Path::to_path_buf,
            ),
            records: None,
            notes: None,
        };
        let mut write_error = None;
        let file_started = start_timer();
        let file_name = path.display().to_string();
        let summary = catalogue::import(
            ctx,
            &Principal::Operator,
            records.with_offsets(),
            &ImportOptions {
                member_code: member,
                mapping,
                batch_size,
                file_name: &file_name,
            },
            |rejection| {
                if let Err(error) = rejects_file.write(rejection) {
                    write_error.get_or_insert(error);
                }
            },
            |read| {
                if show_progress {
                    progress(
                        &file_name,
                        read,
                        consumed.load(Ordering::Relaxed),
                        size,
                        file_started,
                    );
                }
            },
        )
        .await
        .map_err(|e| service(e).context(format!("{} was not imported", path.display())))?;
        if show_progress {
            eprintln!();
        }
        rejects_file.finish()?;
        if let Some(error) = write_error {
            return Err(error.context("cannot write the rejects file"));
        }
        let c = &mut total.counts;
        c.read += summary.counts.read;
        c.created += summary.counts.created;
        c.merged += summary.counts.merged;
        c.unchanged += summary.counts.unchanged;
        c.rejected += summary.counts.rejected;
        c.authorities += summary.counts.authorities;
        c.items_created += summary.counts.items_created;
        c.updated += summary.counts.updated;
        c.deleted += summary.counts.deleted;
        c.older += summary.counts.older;
        total.rejections.extend(summary.rejections);
    }
    Ok((total, started.elapsed().as_secs_f64()))
}

/// One line of progress on the terminal: a bar by bytes, the rate and the time left.
fn progress(name: &str, read: u64, consumed: u64, size: u64, started: Instant) {
    let elapsed = started.elapsed().as_secs_f64().max(1e-3);
    let fraction = if size == 0 {
        0.0
    } else {
        (consumed as f64 / size as f64).min(1.0)
    };
    let width = 30;
    let filled = (fraction * width as f64) as usize;
    let eta = if fraction > 0.0 {
        elapsed / fraction - elapsed
    } else {
        0.0
    };
    eprint!(
        "\r{name} [{}{}] {:>3.0}% {read} records, {:.0}/s, ETA {:.0}s   ",
        "#".repeat(filled),
        " ".repeat(width - filled),
        fraction * 100.0,
        read as f64 / elapsed,
        eta
    );
}

pub async fn export(command: ExportCommand) -> anyhow::Result<()> {
    let ExportCommand::Marc {
        data,
        member,
        since,
        format,
        output,
    } = command;
    let since = match since {
        Some(text) => Some(
            i64::from(
                concord_domain::calendar::Date::parse("since", &text)
                    .map_err(|e| anyhow::anyhow!("--since: {}", e.reason))?
                    .days_since_epoch(),
            ) * 86_400,
        ),
        None => None,
    };
    let ctx = open(&settings_for(&data)).await?;
    let file =
        File::create(&output).with_context(|| format!("cannot create {}", output.display()))?;
    let mut out = BufWriter::new(file);
    let result = match format {
        ExportFormat::Iso2709 => {
            catalogue::export(
                &ctx,
                &Principal::Operator,
                member.as_deref(),
                since,
                |record| {
                    let bytes = concord_marc::to_iso2709(record)
                        .map_err(|e| ExportWriteError::RecordRefused(e.to_string()))?;
                    out.write_all(&bytes).map_err(|e| {
                        ExportWriteError::Output(concord_server::ServiceError::internal(
                            e.to_string(),
                        ))
                    })
                },
            )
            .await
        }
        ExportFormat::Marcxml => {
            let mut writer = concord_marc::MarcXmlWriter::new(&mut out)?;
            let exported = catalogue::export(
                &ctx,
                &Principal::Operator,
                member.as_deref(),
                since,
                |record| {
                    writer.write_record(record).map_err(|e| {
                        ExportWriteError::Output(concord_server::ServiceError::internal(
                            e.to_string(),
                        ))
                    })
                },
            )
            .await;
            writer.finish()?;
            exported
        }
    };
    ctx.store.close().await;
    let summary = result.map_err(service)?;
    out.flush()?;
    println!(
        "exported {} records to {}",
        summary.written,
        output.display()
    );
    // The file holds every record that could be written; the bibs left out are named on
    // stderr with their count, and the export still succeeds, as an import with rejects does.
    if !summary.skipped.is_empty() {
        eprintln!(
            "left out {} bibs (repair them in the MARC editor and export them again):",
            summary.skipped.len()
        );
        for skipped in &summary.skipped {
            eprintln!("  bib {}: {}", skipped.bib, skipped.reason);
        }
    }
    Ok(())
}

pub fn bench(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::MarcParse { file, runs } => bench_parse(&file, runs),
        BenchCommand::MakeMarc {
            source,
            records,
            branch,
            output,
        } => make_marc(&source, records, &branch, &output),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn bench_parse(file: &Path, runs: usize) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let options = ReadOptions {
        invalid_text: InvalidText::Replace,
    };
    // The reader's fast path, as the importer's reader runs it: every record parsed into
    // one reused `ParsedRecord`, and every value looked at.
    let mut ours = Vec::new();
    let mut count = 0u64;
    let mut record = concord_marc::ParsedRecord::new();
    for _ in 0..runs.max(1) {
        let started = start_timer();
        let mut reader = read_any_with_options(bytes.as_slice(), options)?;
        let (mut records, mut text_bytes) = (0u64, 0usize);
        while let Some(item) = reader.next_into(&mut record) {
            if item.is_ok() {
                records += 1;
                text_bytes += record
                    .fields()
                    .map(|field| match field {
                        concord_marc::FieldView::Control { value, .. } => value.len(),
                        concord_marc::FieldView::Data(data) => {
                            data.subfields().map(|(_, value)| value.len()).sum()
                        }
                    })
                    .sum::<usize>();
            }
        }
        std::hint::black_box(text_bytes);
        count = records;
        ours.push(count as f64 / started.elapsed().as_secs_f64().max(1e-9));
    }
    // The same with an owned `Record` built from each, as the importer then does.
    let mut owned = Vec::new();
    for _ in 0..runs.max(1) {
        let started = start_timer();
        let reader = read_any_with_options(bytes.as_slice(), options)?;
        let records = reader.filter(Result::is_ok).count() as u64;
        owned.push(records as f64 / started.elapsed().as_secs_f64().max(1e-9));
    }
    let is_xml = concord_marc::detect_format(bytes.get(..1024).unwrap_or(&bytes))
        == Some(concord_marc::Format::MarcXml);
    let mut theirs = Vec::new();
    for _ in 0..runs.max(1) {
        let started = start_timer();
        let mut command = std::process::Command::new("yaz-marcdump");
        if is_xml {
            command.args(["-i", "marcxml"]);
        }
        let status = command
            .arg("-n")
            .arg(file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        match status {
            Ok(_) => theirs.push(count as f64 / started.elapsed().as_secs_f64().max(1e-9)),
            Err(error) => {
                eprintln!("yaz-marcdump did not run ({error}); install the Debian package yaz");
                break;
            }
        }
    }
    let ours = median(ours);
    println!("{} records, {} runs", count, runs);
    println!("concord      {:>12.0} records/s (median)", ours);
    println!(
        "  owned      {:>12.0} records/s (median, an owned Record per record)",
        median(owned)
    );
    if !theirs.is_empty() {
        let theirs = median(theirs);
        println!("yaz-marcdump {:>12.0} records/s (median)", theirs);
        println!("ratio        {:>12.2}x", ours / theirs.max(1e-9));
    }
    Ok(())
}

fn make_marc(
    sources: &[PathBuf],
    wanted: usize,
    branch: &str,
    output: &Path,
) -> anyhow::Result<()> {
    use concord_marc::{DataField, Field, Tag};
    let mut originals = Vec::new();
    for source in sources {
        let bytes =
            std::fs::read(source).with_context(|| format!("cannot read {}", source.display()))?;
        let reader = read_any_with_options(
            bytes.as_slice(),
            ReadOptions {
                invalid_text: InvalidText::Replace,
            },
        )?;
        originals.extend(reader.filter_map(Result::ok).filter(|r| !r.is_authority()));
    }
    if originals.is_empty() {
        bail!("no readable bibliographic records in the sources");
    }
    let tag = |t: &str| Tag::parse(t).map_err(|e| anyhow::anyhow!(e));
    let mut out = BufWriter::new(File::create(output)?);
    for n in 0..wanted {
        let Some(original) = originals.get(n % originals.len()) else {
            break;
        };
        let mut record = original.clone();
        record.leader.set(9, b'a');
        record.fields.retain(|f| {
            !matches!(
                f.tag().as_str(),
                "001" | "010" | "020" | "022" | "035" | "852" | "949" | "999" | "952"
            )
        });
        let serial = n + 1;
        // A valid, unique ISBN-13 per record (978 + 9 digits + check digit).
        let body = format!("978{:09}", serial);
        let isbn = concord_domain::catalogue::identifiers::normalize_isbn(&format!(
            "{body}{}",
            isbn_check(&body)
        ))
        .unwrap_or_default();
        record.fields.insert(
            0,
            Field::Control(concord_marc::ControlField {
                tag: tag("001")?,
                value: format!("bench{serial}"),
            }),
        );
        record.push_data(DataField::new(tag("020")?, ' ', ' ').with_subfield('a', isbn));
        for field in record.fields.iter_mut() {
            if let Field::Data(data) = field
                && data.tag.as_str() == "245"
                && let Some(title) = data.subfields.iter_mut().find(|s| s.code == 'a')
            {
                title.value = format!(
                    "{} (copy {serial})",
                    title.value.trim_end_matches([' ', '/', ':'])
                );
            }
        }
        record.push_data(
            DataField::new(tag("949")?, ' ', ' ')
                .with_subfield('a', format!("BENCH {serial}"))
                .with_subfield('i', format!("B{serial:09}"))
                .with_subfield('m', branch)
                .with_subfield('t', "BOOK"),
        );
        concord_marc::write_iso2709(&mut out, &record).map_err(|e| anyhow::anyhow!(e))?;
    }
    out.flush()?;
    println!("wrote {wanted} records to {}", output.display());
    Ok(())
}

fn isbn_check(first12: &str) -> u32 {
    let sum: u32 = first12
        .chars()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d } else { d * 3 })
        .sum();
    (10 - sum % 10) % 10
}
