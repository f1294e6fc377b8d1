//! Which version of a record the catalogue keeps when a file brings one it already holds: the
//! record status in leader/05 says whether the sender deleted the record, and the date and
//! time of the latest transaction in 005 which of two versions is the later.
//!
//! **Invariant:** a version replaces only an earlier one, by their 005s: without them there is
//! no telling a later version from another record under a control number used twice. Two
//! versions with the same content (leader lengths and status aside) are the same version,
//! whatever their 005 says.

use concord_marc::Record;

/// What the sender says of a record in leader/05.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStatus {
    /// New, corrected, revised, or raised in encoding level: a record to keep.
    Current,
    /// Deleted (`d`); for authorities also a heading split (`s`), a heading replaced (`x`)
    /// or an obsolete heading (`o`): a record to take out of the catalogue.
    Deleted,
}

/// The status leader/05 gives the record. MARC 21 bibliographic and holdings records delete
/// with `d`; authority records also with `s`, `x` and `o`, whose heading is no longer one to
/// look under.
pub fn record_status(record: &Record) -> RecordStatus {
    match (record.leader.get(5), record.is_authority()) {
        ('d', _) | ('s' | 'x' | 'o', true) => RecordStatus::Deleted,
        _ => RecordStatus::Current,
    }
}

/// How an incoming version of a record stands to the one the catalogue holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// The same content: nothing to do.
    Same,
    /// Different content with a later 005 than the stored version's.
    Newer,
    /// Different content with an earlier 005 than the stored version's.
    Older,
    /// Different content, and no telling which is later: a 005 is missing or not a time, or
    /// both give the same time. Possibly another record under a number used twice.
    Unknown,
}

/// Compares the `incoming` version of a record with the `stored` one.
pub fn compare(stored: &Record, incoming: &Record) -> Comparison {
    if same_content(stored, incoming) {
        return Comparison::Same;
    }
    match (latest_transaction(stored), latest_transaction(incoming)) {
        (Some(kept), Some(brought)) if brought > kept => Comparison::Newer,
        (Some(kept), Some(brought)) if brought < kept => Comparison::Older,
        _ => Comparison::Unknown,
    }
}

/// The date and time of the latest transaction (005, `yyyymmddhhmmss.f`) as a number that
/// orders like the time: the fourteen digits and the tenth of a second. `None` when the
/// record has no 005 or one that is not a time.
pub fn latest_transaction(record: &Record) -> Option<u64> {
    let value = record.control("005")?.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let tenth = match fraction.bytes().next() {
        Some(digit @ b'0'..=b'9') => u64::from(digit - b'0'),
        None => 0,
        Some(_) => return None,
    };
    let (month, day) = (&whole[4..6], &whole[6..8]);
    if !("01"..="12").contains(&month) || !("01"..="31").contains(&day) {
        return None;
    }
    Some(whole.parse::<u64>().ok()? * 10 + tenth)
}

/// Sets the record's 005 to `unix_seconds`, in place of the one it had or in its place among
/// the control fields (after 001 to 004) when it had none.
pub fn stamp(record: &mut Record, unix_seconds: i64) {
    use concord_marc::{ControlField, Field, Tag};
    let value = crate::calendar::marc_transaction_time(unix_seconds);
    let existing = record.fields.iter_mut().find_map(|field| match field {
        Field::Control(control) if control.tag.as_str() == "005" => Some(control),
        _ => None,
    });
    if let Some(control) = existing {
        control.value = value;
        return;
    }
    let at = record
        .fields
        .iter()
        .position(|field| field.tag().as_str() > "005")
        .unwrap_or(record.fields.len());
    if let Ok(tag) = Tag::parse("005") {
        record
            .fields
            .insert(at, Field::Control(ControlField { tag, value }));
    }
}

/// The same fields in the same order, and the same leader but for the positions a writer
/// fills in (record length, base address) and the record status.
fn same_content(a: &Record, b: &Record) -> bool {
    let significant = |record: &Record| {
        let bytes = *record.leader.as_bytes();
        (bytes[6..12].to_vec(), bytes[17..24].to_vec())
    };
    a.fields == b.fields && significant(a) == significant(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_marc::{DataField, Leader, Tag};

    fn record(status: u8, record_type: u8, stamp: Option<&str>, title: &str) -> Record {
        let mut leader = Leader::new(record_type, b'm');
        leader.set(5, status);
        let mut record = Record::new(leader);
        record.push_control(Tag::parse("001").unwrap(), "ocm00012345");
        if let Some(stamp) = stamp {
            record.push_control(Tag::parse("005").unwrap(), stamp);
        }
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '1', '0').with_subfield('a', title),
        );
        record
    }

    #[test]
    fn deleted_records_are_told_by_leader_05_as_each_format_defines_it() {
        let cases = [
            (b'n', b'a', RecordStatus::Current),
            (b'c', b'a', RecordStatus::Current),
            (b'p', b'a', RecordStatus::Current),
            (b'd', b'a', RecordStatus::Deleted),
            // s, x and o delete only in the authority format.
            (b's', b'a', RecordStatus::Current),
            (b'x', b'a', RecordStatus::Current),
            (b'n', b'z', RecordStatus::Current),
            (b'c', b'z', RecordStatus::Current),
            (b'a', b'z', RecordStatus::Current),
            (b'd', b'z', RecordStatus::Deleted),
            (b's', b'z', RecordStatus::Deleted),
            (b'x', b'z', RecordStatus::Deleted),
            (b'o', b'z', RecordStatus::Deleted),
        ];
        for (status, record_type, expected) in cases {
            let record = record(status, record_type, None, "A title");
            assert_eq!(
                record_status(&record),
                expected,
                "leader/05 {} in a {} record",
                char::from(status),
                char::from(record_type)
            );
        }
    }

    #[test]
    fn a_later_version_replaces_an_earlier_one_and_never_the_reverse() {
        let stored = record(b'n', b'a', Some("20240101120000.0"), "Old title");
        let later = record(b'c', b'a', Some("20250315083000.0"), "New title");
        let earlier = record(b'c', b'a', Some("20231231235959.9"), "Older title");
        let tenth_later = record(b'c', b'a', Some("20240101120000.1"), "A tenth later");
        let same_time = record(b'c', b'a', Some("20240101120000.0"), "Same time");
        let undated = record(b'c', b'a', None, "No 005");
        let unreadable = record(b'c', b'a', Some("2024-01-01"), "Not a time");
        assert_eq!(compare(&stored, &later), Comparison::Newer);
        assert_eq!(compare(&stored, &earlier), Comparison::Older);
        assert_eq!(compare(&stored, &tenth_later), Comparison::Newer);
        assert_eq!(compare(&stored, &same_time), Comparison::Unknown);
        assert_eq!(compare(&stored, &undated), Comparison::Unknown);
        assert_eq!(compare(&undated, &stored), Comparison::Unknown);
        assert_eq!(compare(&stored, &unreadable), Comparison::Unknown);
        assert_eq!(compare(&later, &stored), Comparison::Older);
    }

    #[test]
    fn the_same_content_is_the_same_version_whatever_its_status_and_lengths() {
        let stored = record(b'n', b'a', Some("20240101120000.0"), "A title");
        let mut again = record(b'c', b'a', Some("20240101120000.0"), "A title");
        again.leader.set(0, b'9');
        again.leader.set(13, b'7');
        assert_eq!(compare(&stored, &again), Comparison::Same);
        let mut other_type = again.clone();
        other_type.leader.set(6, b'c');
        assert_eq!(compare(&stored, &other_type), Comparison::Unknown);
    }

    #[test]
    fn latest_transaction_reads_only_a_real_time() {
        let at = |value: &str| latest_transaction(&record(b'n', b'a', Some(value), "T"));
        assert_eq!(at("19940223151047.0"), Some(199_402_231_510_470));
        assert_eq!(at("19940223151047"), Some(199_402_231_510_470));
        assert_eq!(at(" 20010101000000.5 "), Some(200_101_010_000_005));
        assert_eq!(at("1994022315104"), None);
        assert_eq!(at("19941323151047.0"), None);
        assert_eq!(at("19940200151047.0"), None);
        assert_eq!(at("1994022315104x.0"), None);
        assert_eq!(at("19940223151047.x"), None);
        assert_eq!(latest_transaction(&record(b'n', b'a', None, "T")), None);
    }

    #[test]
    fn a_stamp_is_the_utc_time_in_place_of_the_old_one_or_among_the_control_fields() {
        // 2026-11-28 03:48:58 UTC.
        assert_eq!(
            crate::calendar::marc_transaction_time(1_795_837_738),
            "20261128034858.0"
        );
        assert_eq!(
            crate::calendar::marc_transaction_time(0),
            "19700101000000.0"
        );
        let mut stamped = record(b'n', b'a', Some("19940223151047.0"), "T");
        stamp(&mut stamped, 1_795_837_738);
        assert_eq!(stamped.control("005"), Some("20261128034858.0"));
        assert_eq!(stamped.control_fields().count(), 2);
        let mut unstamped = record(b'n', b'a', None, "T");
        stamp(&mut unstamped, 0);
        let tags: Vec<String> = unstamped
            .fields
            .iter()
            .map(|f| f.tag().as_str().to_string())
            .collect();
        assert_eq!(tags, ["001", "005", "245"]);
    }
}
