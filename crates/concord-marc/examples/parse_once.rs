//! Parses a MARC file once the way `concord bench marc-parse` does, for instruction counts
//! under `valgrind --tool=callgrind` (which repeat exactly, unlike wall-clock times on a
//! shared machine): `cargo build --release -p concord-marc --example parse_once`, then
//! `valgrind --tool=callgrind target/release/examples/parse_once [--owned] FILE`. With
//! `--owned` each record is built as an owned `Record`, as the importer then uses it.

// A measuring tool run by hand: failing loudly on a bad argument is what it should do.
#![allow(clippy::expect_used)]

/// The allocator the `concord` binary uses, so the counts match what it does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let owned = arguments.iter().any(|argument| argument == "--owned");
    let path = arguments
        .iter()
        .find(|argument| !argument.starts_with("--"))
        .expect("usage: parse_once [--owned] FILE");
    let bytes = std::fs::read(path).expect("cannot read the file");
    let mut reader = concord_marc::read_any_with_options(
        bytes.as_slice(),
        concord_marc::ReadOptions {
            invalid_text: concord_marc::InvalidText::Replace,
        },
    )
    .expect("cannot start reading");
    if owned {
        let records = reader.filter(Result::is_ok).count();
        println!("{records} records");
        return;
    }
    let mut record = concord_marc::ParsedRecord::new();
    let (mut records, mut text_bytes) = (0u64, 0usize);
    while let Some(item) = reader.next_into(&mut record) {
        if item.is_ok() {
            records += 1;
            // Every value looked at, as a caller would.
            for field in record.fields() {
                text_bytes += match field {
                    concord_marc::FieldView::Control { value, .. } => value.len(),
                    concord_marc::FieldView::Data(data) => {
                        data.subfields().map(|(_, value)| value.len()).sum()
                    }
                };
            }
        }
    }
    println!("{records} records, {text_bytes} bytes of text");
}
