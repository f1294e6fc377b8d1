//! Synthetic catalogues for the search benchmark: many bibs made by recombining the parts of a
//! few hundred real records, with holdings spread over the consortium's members and branches.
//!
//! Deterministic (a fixed seed gives the same catalogue) so that the tantivy and PostgreSQL
//! sides of a run, and two runs, search the same data.

use concord_domain::codes::Code;

use crate::document::{BibDocument, Holding, MemberAdded};

/// The shape of a synthetic catalogue.
#[derive(Debug, Clone)]
pub struct CatalogueShape {
    /// Number of bibs.
    pub bibs: usize,
    /// Average items per bib (each bib gets between 1 and `2 * average - 1`).
    pub average_items_per_bib: usize,
    /// Number of member libraries.
    pub members: usize,
    /// Number of branches, spread evenly over the members.
    pub branches: usize,
    /// Seed of the pseudo-random choices.
    pub seed: u64,
}

impl CatalogueShape {
    /// The SEO consortium's size scaled to `bibs`: two items per bib, 97 members, 257 branches.
    pub fn seo_like(bibs: usize) -> CatalogueShape {
        CatalogueShape {
            bibs,
            average_items_per_bib: 2,
            members: 97,
            branches: 257,
            seed: 0x5e0,
        }
    }
}

/// A small, fast pseudo-random generator (SplitMix64); statistical quality is all we need.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound.max(1) as u64) as usize
    }
}

/// The code of the `member`th member of a synthetic consortium.
pub fn member_code(member: usize) -> Option<Code> {
    Code::parse("member", &format!("M{member:03}")).ok()
}

fn branch_code(branch: usize) -> Option<Code> {
    Code::parse("branch", &format!("B{branch:03}")).ok()
}

/// The `number`th bib of a synthetic catalogue made from `templates` (which must not be empty).
///
/// Title, authors, subjects, series and publisher each come from a different template chosen at
/// random, and the title gets a random word from another template's title, so most titles
/// are new combinations while the vocabulary stays that of real records.
pub fn synthetic_document(
    templates: &[BibDocument],
    shape: &CatalogueShape,
    number: usize,
) -> Option<BibDocument> {
    let mut random =
        SplitMix64::new(shape.seed ^ (number as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
    let pick = |random: &mut SplitMix64| templates.get(random.below(templates.len()));
    let base = pick(&mut random)?;
    let extra_word = pick(&mut random)?
        .title
        .split_whitespace()
        .filter(|word| word.len() > 3)
        .nth(random.below(3))
        .unwrap_or("new")
        .to_owned();
    let mut document = base.clone();
    document.bib_id = number as i64 + 1;
    document.title = format!("{} {}", base.title, extra_word);
    document.title_for_sorting = format!("{} {}", base.title_for_sorting, extra_word);
    let authors_from = pick(&mut random)?;
    document.authors = authors_from.authors.clone();
    document.cited_names = authors_from.cited_names.clone();
    let subjects_from = pick(&mut random)?;
    document.subjects = subjects_from.subjects.clone();
    document.subject_facets = subjects_from.subject_facets.clone();
    document.series = pick(&mut random)?.series.clone();
    document.publishers = pick(&mut random)?.publishers.clone();
    document.publication_year = Some(1900 + random.below(126) as i64);
    document.isbns = Vec::new();
    document.issns = Vec::new();

    // Copies shelved under the record's call number, as most are.
    let call_number = document.call_numbers.first().cloned();
    let item_count = 1 + random.below(shape.average_items_per_bib.max(1) * 2 - 1);
    let branches_per_member = (shape.branches / shape.members.max(1)).max(1);
    document.holdings = (0..item_count)
        .map(|_| {
            let member = random.below(shape.members);
            let branch = (member * branches_per_member + random.below(branches_per_member))
                .min(shape.branches.saturating_sub(1));
            let status = match random.below(10) {
                0..=5 => "available",
                6..=8 => "on_loan",
                _ => "in_transit",
            };
            Some(Holding {
                member: member_code(member)?,
                branch: branch_code(branch)?,
                call_number: call_number.clone(),
                status: status.to_owned(),
                // One item in twenty is kept out of other members' views.
                visible_outside_member: random.below(20) != 0,
            })
        })
        .collect::<Option<Vec<Holding>>>()?;
    // Each copy added at some second of the last ten years; the bib when its first copy was.
    let newest = 1_790_000_000;
    let ten_years = 10 * 365 * 86_400;
    let copies: Vec<(Code, i64, bool)> = document
        .holdings
        .iter()
        .map(|holding| {
            let added = newest - random.below(ten_years) as i64;
            (
                holding.member.clone(),
                added,
                holding.visible_outside_member,
            )
        })
        .collect();
    document.added = copies
        .iter()
        .filter(|(_, _, seen_by_all)| *seen_by_all)
        .map(|(_, added, _)| *added)
        .max();
    document.member_added = MemberAdded::of(
        copies
            .iter()
            .map(|(member, added, seen_by_all)| (member, *added, *seen_by_all)),
    );
    Some(document)
}

/// Peak resident memory of this process in kibibytes (Linux `VmHWM`), if known.
pub fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The value at quantile `q` (0.0-1.0) of sorted durations in microseconds.
pub fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let position = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(position).copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::document_from_record;
    use concord_marc::{DataField, Leader, Record, Tag};

    fn template(title: &str, author: &str) -> BibDocument {
        let mut record = Record::new(Leader::parse("00000nam a2200000 a 4500").unwrap());
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '1', '0').with_subfield('a', title),
        );
        record.push_data(
            DataField::new(Tag::parse("100").unwrap(), '1', ' ').with_subfield('a', author),
        );
        document_from_record(1, &record, Vec::new())
    }

    #[test]
    fn synthetic_documents_are_deterministic_and_spread() {
        let templates = vec![
            template("Piano concertos", "Mozart"),
            template("Symphonies complete", "Haydn"),
        ];
        let shape = CatalogueShape::seo_like(1000);
        let first: Vec<BibDocument> = (0..1000)
            .map(|n| synthetic_document(&templates, &shape, n).unwrap())
            .collect();
        let again = synthetic_document(&templates, &shape, 17).unwrap();
        assert_eq!(first[17], again);
        let ids: std::collections::BTreeSet<i64> = first.iter().map(|d| d.bib_id).collect();
        assert_eq!(ids.len(), 1000);
        let items: usize = first.iter().map(|d| d.holdings.len()).sum();
        assert!((1800..=2200).contains(&items), "{items} items");
        let members: std::collections::BTreeSet<&str> = first
            .iter()
            .flat_map(|d| d.holdings.iter().map(|h| h.member.as_str()))
            .collect();
        assert!(members.len() > 90);
        assert!(
            first
                .iter()
                .any(|d| d.holdings.iter().any(|h| !h.visible_outside_member))
        );
        assert!(synthetic_document(&[], &shape, 0).is_none());
    }

    #[test]
    fn quantiles() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&values, 0.5), 51);
        assert_eq!(quantile(&values, 0.95), 95);
        assert_eq!(quantile(&[], 0.5), 0);
    }
}
