//! Items from the holdings fields real exports carry (852, 949, 999 SirsiDynix, 952 Koha), with a
//! per-member mapping of subfields to barcode, call number, branch, item type, location and price.

use std::collections::BTreeMap;

use concord_marc::{DataField, Record};
use serde::{Deserialize, Serialize};

use crate::codes::{Barcode, Code};

/// Where one holdings tag keeps each fact of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldingsLayout {
    pub tag: String,
    pub barcode: char,
    /// The branch that owns the item.
    pub branch: char,
    /// Where the item is now, when the export says (Koha's holding branch).
    #[serde(default)]
    pub current_branch: Option<char>,
    /// Subfields joined with a space to make the call number, in this order.
    #[serde(default)]
    pub call_number: Vec<char>,
    #[serde(default)]
    pub item_type: Option<char>,
    #[serde(default)]
    pub location: Option<char>,
    #[serde(default)]
    pub price: Option<char>,
}

/// A member's mapping: which layouts to read, how its old branch codes map to Concord's, and
/// the item type for items whose export names none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldingsMapping {
    #[serde(default = "default_layouts")]
    pub layouts: Vec<HoldingsLayout>,
    /// Branch code in the export → Concord branch code.
    #[serde(default)]
    pub branches: BTreeMap<String, String>,
    #[serde(default = "default_item_type")]
    pub default_item_type: String,
}

fn default_item_type() -> String {
    "BOOK".to_string()
}

fn layout(
    tag: &str,
    barcode: char,
    branch: char,
    call_number: &[char],
    item_type: Option<char>,
    location: Option<char>,
    price: Option<char>,
) -> HoldingsLayout {
    HoldingsLayout {
        tag: tag.to_string(),
        barcode,
        branch,
        current_branch: None,
        call_number: call_number.to_vec(),
        item_type,
        location,
        price,
    }
}

/// The four layouts Concord reads out of the box. 852 is also what `concord export` writes:
/// `$b` branch, `$c` shelving location, `$h` call number, `$p` barcode, `$y` item type,
/// `$9` price.
pub fn default_layouts() -> Vec<HoldingsLayout> {
    let mut koha = layout("952", 'p', 'a', &['o'], Some('y'), Some('c'), Some('g'));
    koha.current_branch = Some('b');
    vec![
        layout(
            "852",
            'p',
            'b',
            &['h', 'i'],
            Some('y'),
            Some('c'),
            Some('9'),
        ),
        layout("949", 'i', 'm', &['a'], Some('t'), Some('l'), Some('p')),
        layout("999", 'i', 'm', &['a'], Some('t'), Some('l'), Some('p')),
        koha,
    ]
}

impl Default for HoldingsMapping {
    fn default() -> Self {
        HoldingsMapping {
            layouts: default_layouts(),
            branches: BTreeMap::new(),
            default_item_type: default_item_type(),
        }
    }
}

impl HoldingsMapping {
    /// Whether `tag` is a holdings tag of this mapping (such fields are not kept in the bib).
    pub fn is_holdings_tag(&self, tag: &str) -> bool {
        self.layouts.iter().any(|layout| layout.tag == tag)
    }
}

/// One item read from a holdings field, not yet checked against the member's branches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldingDraft {
    pub tag: String,
    pub barcode: Barcode,
    pub branch_code: String,
    pub current_branch_code: Option<String>,
    pub call_number: String,
    pub item_type: Code,
    pub shelving_location: Option<Code>,
    pub price_minor: Option<i64>,
}

/// Why a holdings field gave no item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldingProblem {
    pub tag: String,
    pub message: String,
}

/// The items of a record. A holdings field without a barcode is a note, not an item (Koha's 999
/// carries record numbers, many 852s only a location) and is skipped silently; a field with a
/// barcode but no usable branch is a problem the importer reports.
pub fn holdings(
    record: &Record,
    mapping: &HoldingsMapping,
) -> Vec<Result<HoldingDraft, HoldingProblem>> {
    let mut found = Vec::new();
    for layout in &mapping.layouts {
        for field in record.fields(&layout.tag) {
            if let Some(result) = holding(field, layout, mapping) {
                found.push(result);
            }
        }
    }
    found
}

fn holding(
    field: &DataField,
    layout: &HoldingsLayout,
    mapping: &HoldingsMapping,
) -> Option<Result<HoldingDraft, HoldingProblem>> {
    let raw_barcode = field.subfield(layout.barcode)?.trim();
    if raw_barcode.is_empty() {
        return None;
    }
    let problem = |message: String| HoldingProblem {
        tag: layout.tag.clone(),
        message,
    };
    let barcode = match Barcode::parse("barcode", raw_barcode) {
        Ok(barcode) => barcode,
        Err(error) => {
            return Some(Err(problem(format!(
                "{} ${} barcode {raw_barcode:?} {}",
                layout.tag, layout.barcode, error.reason
            ))));
        }
    };
    let map_branch = |raw: &str| {
        let raw = raw.trim();
        mapping
            .branches
            .get(raw)
            .cloned()
            .unwrap_or_else(|| raw.to_ascii_uppercase())
    };
    let Some(branch_code) = field
        .subfield(layout.branch)
        .filter(|b| !b.trim().is_empty())
        .map(map_branch)
    else {
        return Some(Err(problem(format!(
            "item {barcode}: {} has no branch in ${}",
            layout.tag, layout.branch
        ))));
    };
    let current_branch_code = layout
        .current_branch
        .and_then(|code| field.subfield(code))
        .filter(|b| !b.trim().is_empty())
        .map(map_branch);
    let call_number = layout
        .call_number
        .iter()
        .flat_map(|code| field.subfields(*code))
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let Some(item_type) = layout
        .item_type
        .and_then(|code| field.subfield(code))
        .and_then(|raw| Code::parse("item_type", raw).ok())
        .or_else(|| Code::parse("item_type", &mapping.default_item_type).ok())
    else {
        return Some(Err(problem(format!(
            "item {barcode}: no item type, and the mapping's default {:?} is not a code",
            mapping.default_item_type
        ))));
    };
    let shelving_location = layout
        .location
        .and_then(|code| field.subfield(code))
        .and_then(|raw| Code::parse("shelving_location", raw).ok());
    let price_minor = layout
        .price
        .and_then(|code| field.subfield(code))
        .and_then(parse_price);
    Some(Ok(HoldingDraft {
        tag: layout.tag.clone(),
        barcode,
        branch_code,
        current_branch_code,
        call_number,
        item_type,
        shelving_location,
        price_minor,
    }))
}

/// A price as integer minor units from `25.00`, `$25`, `USD 12.5`, `12,50`; `None` if there is
/// no number.
pub fn parse_price(raw: &str) -> Option<i64> {
    let start = raw.find(|c: char| c.is_ascii_digit())?;
    let number: String = raw
        .get(start..)?
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
        .collect();
    let number = number.replace(',', ".");
    let (whole, fraction) = number.split_once('.').unwrap_or((&number, ""));
    let whole: i64 = whole.parse().ok()?;
    let fraction: String = fraction
        .chars()
        .filter(char::is_ascii_digit)
        .take(2)
        .collect();
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(cents)
}

/// A price in minor units as `12.50`, the way 852 $9 carries it.
pub fn format_price(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_marc::{Leader, Tag};

    fn record_with(tag: &str, subfields: &[(char, &str)]) -> Record {
        let mut record = Record::new(Leader::new(b'a', b'm'));
        let mut field = DataField::new(Tag::parse(tag).unwrap(), ' ', ' ');
        for (code, value) in subfields {
            field = field.with_subfield(*code, *value);
        }
        record.push_data(field);
        record
    }

    fn check(
        tag: &str,
        subfields: &[(char, &str)],
        expected: Option<(&str, &str, &str, &str, Option<i64>)>,
    ) {
        let mut mapping = HoldingsMapping::default();
        mapping
            .branches
            .insert("HUNTINGTON".into(), "SHIRE-CEN".into());
        let got = holdings(&record_with(tag, subfields), &mapping);
        match expected {
            None => assert!(got.is_empty(), "{tag} {subfields:?}: {got:?}"),
            Some((barcode, branch, call_number, item_type, price)) => {
                let [Ok(item)] = got.as_slice() else {
                    panic!("{tag} {subfields:?}: {got:?}")
                };
                assert_eq!(item.barcode.as_str(), barcode);
                assert_eq!(item.branch_code, branch);
                assert_eq!(item.call_number, call_number);
                assert_eq!(item.item_type.as_str(), item_type);
                assert_eq!(item.price_minor, price);
            }
        }
    }

    #[test]
    fn each_layout_maps_its_subfields() {
        check(
            "949",
            &[
                ('a', "5490"),
                ('i', "30007007467409"),
                ('t', "SOUND"),
                ('l', "HUNT-AUDIO"),
                ('m', "HUNTINGTON"),
                ('p', "$25.00"),
            ],
            Some(("30007007467409", "SHIRE-CEN", "5490", "SOUND", Some(2500))),
        );
        check(
            "999",
            &[
                ('a', "PS 9455 H68"),
                ('i', "3000700405"),
                ('m', "desmarais"),
                ('t', "BOOKS"),
            ],
            Some(("3000700405", "DESMARAIS", "PS 9455 H68", "BOOKS", None)),
        );
        check(
            "852",
            &[
                ('a', "gaaagpl"),
                ('b', "BR1"),
                ('c', "Stacks"),
                ('h', "G4362.C6C5"),
                ('i', "s250"),
                ('p', "11223344"),
                ('y', "0.00"),
            ],
            Some(("11223344", "BR1", "G4362.C6C5 s250", "BOOK", None)),
        );
        check(
            "952",
            &[
                ('a', "CPL"),
                ('b', "MPL"),
                ('o', "FIC SMI"),
                ('p', "3999900000001"),
                ('y', "BK"),
                ('g', "12,5"),
            ],
            Some(("3999900000001", "CPL", "FIC SMI", "BK", Some(1250))),
        );
        // Koha's 999 carries record numbers, an 852 often just a location: no barcode, no item.
        check("999", &[('c', "1"), ('d', "1")], None);
        check("852", &[('a', "MiU"), ('b', "BUHR"), ('h', "N 5303")], None);
    }

    #[test]
    fn a_barcode_without_a_branch_is_a_problem() {
        let got = holdings(
            &record_with("949", &[('i', "123")]),
            &HoldingsMapping::default(),
        );
        let [Err(problem)] = got.as_slice() else {
            panic!("{got:?}")
        };
        assert!(problem.message.contains("no branch"), "{problem:?}");
    }

    #[test]
    fn mappings_load_from_toml_shaped_data() {
        let mapping: HoldingsMapping = serde_json::from_value(serde_json::json!({
            "layouts": [{"tag": "949", "barcode": "b", "branch": "c", "call_number": ["d"]}],
            "branches": {"MAIN": "SHIRE-CEN"},
        }))
        .unwrap();
        assert_eq!(mapping.default_item_type, "BOOK");
        assert!(mapping.is_holdings_tag("949"));
        assert!(!mapping.is_holdings_tag("852"));
    }

    #[test]
    fn prices_become_minor_units() {
        for (raw, expected) in [
            ("25.00", Some(2500)),
            ("$25", Some(2500)),
            ("USD 12.5", Some(1250)),
            ("12,50", Some(1250)),
            ("0.99", Some(99)),
            ("free", None),
        ] {
            assert_eq!(parse_price(raw), expected, "{raw}");
        }
        assert_eq!(format_price(1250), "12.50");
    }
}
