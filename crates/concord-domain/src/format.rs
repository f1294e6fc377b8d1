//! What kind of thing a bibliographic record describes (book, DVD, music CD...), its language
//! and its intended audience, derived from the MARC21 leader, 007 and 008 fields.
//!
//! The rules follow the Library of Congress MARC21 bibliographic definitions: leader/06 (type of
//! record) and leader/07 (bibliographic level) give the broad kind; the 008 "form of item" byte
//! (position 23 for books, music, continuing resources, computer files and mixed materials;
//! position 29 for maps and visual materials) says large print, braille, microform or online; the
//! 007 physical description fixed field says which carrier (sound disc versus cassette, DVD versus
//! videotape). Discovery layers such as Evergreen, Koha and VuFind derive their format facets from
//! the same three places; like them this is a best guess over real, imperfectly coded records, so
//! every rule falls back to the broad kind when a finer code is missing or blank.

use serde::Serialize;

/// The material format shown to patrons and used as a search facet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Printed language material, monographic.
    Book,
    /// A book read online or on a device.
    Ebook,
    /// A book in large print.
    LargePrint,
    /// Language material in braille or another tactile form.
    Braille,
    /// Spoken word (audiobook) on compact disc.
    AudiobookCd,
    /// Spoken word on audio cassette.
    AudiobookCassette,
    /// Spoken word delivered online (streamed or downloaded).
    AudiobookOnline,
    /// Spoken word on another or an unstated carrier.
    SpokenWordRecording,
    /// Music on compact disc.
    MusicCd,
    /// Music on a vinyl (analogue) disc.
    MusicVinyl,
    /// Music on audio cassette.
    MusicCassette,
    /// Music delivered online.
    MusicOnline,
    /// Music on another or an unstated carrier.
    MusicRecording,
    /// Notated music, printed or manuscript.
    MusicScore,
    /// A video on DVD.
    Dvd,
    /// A video on Blu-ray disc.
    BluRay,
    /// A video on VHS (or another) videotape.
    Vhs,
    /// A video delivered online.
    VideoOnline,
    /// Film, video or other projected medium on another or an unstated carrier.
    Video,
    /// Cartographic material: maps, atlases, globes.
    Map,
    /// A serial: journal, magazine, newspaper, annual.
    Serial,
    /// A serial read online.
    Ejournal,
    /// An updating website.
    Website,
    /// An updating database.
    Database,
    /// Computer software, data files or games.
    Software,
    /// A kit: several kinds of material meant to be used together.
    Kit,
    /// Mixed materials, typically an archival collection.
    MixedMaterials,
    /// Two-dimensional non-projectable graphics: pictures, posters, photographs.
    VisualMaterial,
    /// Three-dimensional objects and realia: games, models, toys.
    Object,
    /// Manuscript language material.
    Manuscript,
    /// Microfilm, microfiche or microopaque.
    Microform,
    /// Anything the leader does not let us place.
    Other,
}

impl Format {
    /// Every format, in the order facets list them when counts tie.
    pub const ALL: [Format; 32] = [
        Format::Book,
        Format::Ebook,
        Format::LargePrint,
        Format::Braille,
        Format::AudiobookCd,
        Format::AudiobookCassette,
        Format::AudiobookOnline,
        Format::SpokenWordRecording,
        Format::MusicCd,
        Format::MusicVinyl,
        Format::MusicCassette,
        Format::MusicOnline,
        Format::MusicRecording,
        Format::MusicScore,
        Format::Dvd,
        Format::BluRay,
        Format::Vhs,
        Format::VideoOnline,
        Format::Video,
        Format::Map,
        Format::Serial,
        Format::Ejournal,
        Format::Website,
        Format::Database,
        Format::Software,
        Format::Kit,
        Format::MixedMaterials,
        Format::VisualMaterial,
        Format::Object,
        Format::Manuscript,
        Format::Microform,
        Format::Other,
    ];

    /// The stable code used in the index, in URLs and in the API (`large_print`).
    pub fn code(self) -> &'static str {
        match self {
            Format::Book => "book",
            Format::Ebook => "ebook",
            Format::LargePrint => "large_print",
            Format::Braille => "braille",
            Format::AudiobookCd => "audiobook_cd",
            Format::AudiobookCassette => "audiobook_cassette",
            Format::AudiobookOnline => "audiobook_online",
            Format::SpokenWordRecording => "spoken_word_recording",
            Format::MusicCd => "music_cd",
            Format::MusicVinyl => "music_vinyl",
            Format::MusicCassette => "music_cassette",
            Format::MusicOnline => "music_online",
            Format::MusicRecording => "music_recording",
            Format::MusicScore => "music_score",
            Format::Dvd => "dvd",
            Format::BluRay => "blu_ray",
            Format::Vhs => "vhs",
            Format::VideoOnline => "video_online",
            Format::Video => "video",
            Format::Map => "map",
            Format::Serial => "serial",
            Format::Ejournal => "ejournal",
            Format::Website => "website",
            Format::Database => "database",
            Format::Software => "software",
            Format::Kit => "kit",
            Format::MixedMaterials => "mixed_materials",
            Format::VisualMaterial => "visual_material",
            Format::Object => "object",
            Format::Manuscript => "manuscript",
            Format::Microform => "microform",
            Format::Other => "other",
        }
    }

    /// The words a patron adds to a search to ask for this format ("dvd", "large print",
    /// "audiobook"), in English, the catalogue's main language; empty when there are none.
    pub fn search_words(self) -> &'static str {
        match self {
            Format::Book => "book",
            Format::Ebook => "ebook electronic book",
            Format::LargePrint => "large print book",
            Format::Braille => "braille",
            Format::AudiobookCd => "audiobook audio book cd",
            Format::AudiobookCassette => "audiobook audio book cassette",
            Format::AudiobookOnline => "audiobook audio book online",
            Format::SpokenWordRecording => "spoken word recording",
            Format::MusicCd => "music cd",
            Format::MusicVinyl => "music vinyl lp record",
            Format::MusicCassette => "music cassette",
            Format::MusicOnline => "music online",
            Format::MusicRecording => "music recording",
            Format::MusicScore => "music score sheet",
            Format::Dvd => "dvd video film",
            Format::BluRay => "bluray blu ray video film",
            Format::Vhs => "vhs videocassette video film",
            Format::VideoOnline => "video film online streaming",
            Format::Video => "video film",
            Format::Map => "map atlas",
            Format::Serial => "journal magazine periodical serial",
            Format::Ejournal => "ejournal electronic journal online",
            Format::Website => "website",
            Format::Database => "database",
            Format::Software => "software computer game",
            Format::Kit => "kit",
            Format::MixedMaterials => "archive",
            Format::VisualMaterial => "picture poster photograph",
            Format::Object => "object",
            Format::Manuscript => "manuscript",
            Format::Microform => "microform microfilm microfiche",
            Format::Other => "",
        }
    }

    /// Whether it is a film or video (on any carrier): what its director made.
    pub fn is_film(self) -> bool {
        matches!(
            self,
            Format::Dvd | Format::BluRay | Format::Vhs | Format::VideoOnline | Format::Video
        )
    }

    /// The format with this code, if any.
    pub fn from_code(code: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|format| format.code() == code)
    }
}

/// The intended audience, from 008/22 (target audience), where the record type defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// `a`: preschool, 0-5.
    Preschool,
    /// `b`: primary, 6-8.
    Primary,
    /// `c`: pre-adolescent, 9-13.
    PreAdolescent,
    /// `d`: adolescent, 14-17.
    Adolescent,
    /// `e`: adult.
    Adult,
    /// `f`: specialised (a particular audience, e.g. professionals).
    Specialized,
    /// `g`: general.
    General,
    /// `j`: juvenile, unspecified age up to 15.
    Juvenile,
}

impl Audience {
    /// The stable code used in the index, in URLs and in the API.
    pub fn code(self) -> &'static str {
        match self {
            Audience::Preschool => "preschool",
            Audience::Primary => "primary",
            Audience::PreAdolescent => "pre_adolescent",
            Audience::Adolescent => "adolescent",
            Audience::Adult => "adult",
            Audience::Specialized => "specialized",
            Audience::General => "general",
            Audience::Juvenile => "juvenile",
        }
    }
}

/// Which 008 layout ("configuration") a record uses, from leader/06 and leader/07.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Configuration {
    Books,
    ContinuingResources,
    Music,
    Maps,
    VisualMaterials,
    ComputerFiles,
    MixedMaterials,
    Unknown,
}

fn configuration(record_type: u8, bibliographic_level: u8) -> Configuration {
    match record_type {
        b'a' | b't' => match bibliographic_level {
            b'b' | b'i' | b's' => Configuration::ContinuingResources,
            _ => Configuration::Books,
        },
        b'c' | b'd' | b'i' | b'j' => Configuration::Music,
        b'e' | b'f' => Configuration::Maps,
        b'g' | b'k' | b'o' | b'r' => Configuration::VisualMaterials,
        b'm' => Configuration::ComputerFiles,
        b'p' => Configuration::MixedMaterials,
        _ => Configuration::Unknown,
    }
}

/// 008 "form of item": where it sits and what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormOfItem {
    Microform,
    LargePrint,
    Braille,
    Online,
    Other,
}

fn form_of_item(configuration: Configuration, field_008: Option<&str>) -> FormOfItem {
    let position = match configuration {
        Configuration::Maps | Configuration::VisualMaterials => 29,
        Configuration::Unknown => return FormOfItem::Other,
        _ => 23,
    };
    match field_008.and_then(|value| value.as_bytes().get(position)) {
        // a microfilm, b microfiche, c microopaque.
        Some(b'a' | b'b' | b'c') => FormOfItem::Microform,
        Some(b'd') => FormOfItem::LargePrint,
        // f braille; for maps and visual materials LoC has no braille code but tactile maps use f.
        Some(b'f') => FormOfItem::Braille,
        // o online, q direct electronic, s electronic (unspecified).
        Some(b'o' | b'q' | b's') => FormOfItem::Online,
        _ => FormOfItem::Other,
    }
}

/// The carriers that 007 fields describe, reduced to what the format rules need.
#[derive(Debug, Default, Clone, Copy)]
struct Carriers {
    online: bool,
    microform: bool,
    tactile: bool,
    dvd: bool,
    blu_ray: bool,
    videotape: bool,
    compact_disc: bool,
    analogue_disc: bool,
    cassette: bool,
}

fn carriers(fields_007: &[&str]) -> Carriers {
    let mut found = Carriers::default();
    for field in fields_007 {
        let bytes = field.as_bytes();
        let at = |position: usize| bytes.get(position).copied().unwrap_or(b' ');
        match at(0) {
            // Electronic resource; 007/01 r = remote.
            b'c' if at(1) == b'r' => found.online = true,
            b'h' => found.microform = true,
            b'f' => found.tactile = true,
            // Videorecording: 007/04 videorecording format.
            b'v' => match at(4) {
                b'v' => found.dvd = true,
                b's' => found.blu_ray = true,
                // a Beta, b VHS, c U-matic, d EIAJ, e Type C, f Quadruplex, g laserdisc
                // (disc, but treated with tape as "not DVD"), h CED, i Betacam, j Betacam SP,
                // k Super-VHS, m M-II, o D-2, p 8 mm, q Hi-8 mm.
                b'a' | b'b' | b'c' | b'd' | b'e' | b'f' | b'i' | b'j' | b'k' | b'm' | b'o'
                | b'p' | b'q' => found.videotape = true,
                _ => {}
            },
            // Sound recording: 007/01 specific material designation, 007/03 speed,
            // 007/06 dimensions, 007/10 kind of material.
            b's' => match at(1) {
                b'd' => {
                    // f = 1.4 m/s (CD speed); g = 4 3/4 in. disc; 10 m = metal (CD layer).
                    let is_compact = at(3) == b'f' || at(6) == b'g' || at(10) == b'm';
                    // a 16, b 33 1/3, c 45, d 78 rpm; 10 p plastic, s shellac.
                    let is_analogue =
                        matches!(at(3), b'a' | b'b' | b'c' | b'd') || matches!(at(10), b'p' | b's');
                    if is_compact {
                        found.compact_disc = true;
                    } else if is_analogue {
                        found.analogue_disc = true;
                    }
                }
                b's' => found.cassette = true,
                // r = remote (sound file online).
                b'r' => found.online = true,
                _ => {}
            },
            _ => {}
        }
    }
    found
}

/// Derives the material format of a bibliographic record.
///
/// `leader` is the 24-character leader, `fields_007` every 007 in the record and `field_008`
/// the 008 if present. Short or malformed values are tolerated: missing positions count as blank.
pub fn material_format(leader: &str, fields_007: &[&str], field_008: Option<&str>) -> Format {
    let leader = leader.as_bytes();
    let record_type = leader.get(6).copied().unwrap_or(b' ');
    let bibliographic_level = leader.get(7).copied().unwrap_or(b' ');
    let configuration = configuration(record_type, bibliographic_level);
    let form = form_of_item(configuration, field_008);
    let carriers = carriers(fields_007);
    let online = form == FormOfItem::Online || carriers.online;
    let microform = form == FormOfItem::Microform || carriers.microform;

    match record_type {
        b'a' | b't' => {
            if configuration == Configuration::ContinuingResources {
                return continuing_resource_format(
                    bibliographic_level,
                    field_008,
                    online,
                    microform,
                );
            }
            if microform {
                Format::Microform
            } else if form == FormOfItem::Braille || carriers.tactile {
                Format::Braille
            } else if online {
                Format::Ebook
            } else if form == FormOfItem::LargePrint {
                Format::LargePrint
            } else if record_type == b't' {
                Format::Manuscript
            } else {
                Format::Book
            }
        }
        b'c' | b'd' => {
            if microform {
                Format::Microform
            } else {
                Format::MusicScore
            }
        }
        b'i' => {
            if online {
                Format::AudiobookOnline
            } else if carriers.compact_disc {
                Format::AudiobookCd
            } else if carriers.cassette {
                Format::AudiobookCassette
            } else {
                Format::SpokenWordRecording
            }
        }
        b'j' => {
            if online {
                Format::MusicOnline
            } else if carriers.compact_disc {
                Format::MusicCd
            } else if carriers.analogue_disc {
                Format::MusicVinyl
            } else if carriers.cassette {
                Format::MusicCassette
            } else {
                Format::MusicRecording
            }
        }
        b'e' | b'f' => {
            if microform {
                Format::Microform
            } else {
                Format::Map
            }
        }
        b'g' => {
            if carriers.blu_ray {
                Format::BluRay
            } else if carriers.dvd {
                Format::Dvd
            } else if carriers.videotape {
                Format::Vhs
            } else if online {
                Format::VideoOnline
            } else {
                Format::Video
            }
        }
        b'k' => Format::VisualMaterial,
        b'r' => Format::Object,
        b'o' => Format::Kit,
        b'p' => Format::MixedMaterials,
        b'm' => {
            // 008/26 type of computer file: "d" document is an ebook catalogued as a file.
            match field_008.and_then(|value| value.as_bytes().get(26)) {
                Some(b'd') => Format::Ebook,
                _ => Format::Software,
            }
        }
        _ => Format::Other,
    }
}

fn continuing_resource_format(
    bibliographic_level: u8,
    field_008: Option<&str>,
    online: bool,
    microform: bool,
) -> Format {
    // 008/21 type of continuing resource: d updating database, w updating website.
    let kind = field_008
        .and_then(|value| value.as_bytes().get(21))
        .copied();
    match kind {
        Some(b'w') => return Format::Website,
        Some(b'd') => return Format::Database,
        _ => {}
    }
    if bibliographic_level == b'i' && online {
        // An integrating resource online with no more specific type is a website.
        return Format::Website;
    }
    if microform {
        Format::Microform
    } else if online {
        Format::Ejournal
    } else {
        Format::Serial
    }
}

/// The language of the item from 008/35-37, lower-cased, when it is a plausible MARC code.
///
/// Blanks, fill characters (`|||`) and non-letters give `None`; `und` (undetermined) too, since
/// it tells a patron nothing. `zxx` (no linguistic content) and `mul` (multiple) are kept.
pub fn language(field_008: Option<&str>) -> Option<String> {
    let code = field_008?.as_bytes().get(35..38)?;
    if !code.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let code = String::from_utf8_lossy(code).to_ascii_lowercase();
    (code != "und").then_some(code)
}

/// The target audience from 008/22, for record types whose 008 defines it (books, music,
/// computer files and visual materials; not maps, continuing resources or mixed materials).
pub fn audience(leader: &str, field_008: Option<&str>) -> Option<Audience> {
    let leader = leader.as_bytes();
    let configuration = configuration(
        leader.get(6).copied().unwrap_or(b' '),
        leader.get(7).copied().unwrap_or(b' '),
    );
    let defined = matches!(
        configuration,
        Configuration::Books
            | Configuration::Music
            | Configuration::ComputerFiles
            | Configuration::VisualMaterials
    );
    if !defined {
        return None;
    }
    match field_008?.as_bytes().get(22)? {
        b'a' => Some(Audience::Preschool),
        b'b' => Some(Audience::Primary),
        b'c' => Some(Audience::PreAdolescent),
        b'd' => Some(Audience::Adolescent),
        b'e' => Some(Audience::Adult),
        b'f' => Some(Audience::Specialized),
        b'g' => Some(Audience::General),
        b'j' => Some(Audience::Juvenile),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds an 008 of 40 blanks with the given (position, text) pairs written in.
    fn f008(parts: &[(usize, &str)]) -> String {
        let mut bytes = vec![b' '; 40];
        for (position, text) in parts {
            bytes.splice(*position..*position + text.len(), text.bytes());
        }
        String::from_utf8(bytes).unwrap()
    }

    fn leader(record_type: char, bibliographic_level: char) -> String {
        format!("00000n{record_type}{bibliographic_level} a2200000 a 4500")
    }

    #[track_caller]
    fn check(
        (record_type, level): (char, char),
        fields_007: &[&str],
        parts_008: Option<&[(usize, &str)]>,
        expected: Format,
    ) {
        let field_008 = parts_008.map(f008);
        let actual = material_format(
            &leader(record_type, level),
            fields_007,
            field_008.as_deref(),
        );
        assert_eq!(
            actual, expected,
            "leader/06-07 {record_type}{level}, 007 {fields_007:?}, 008 {field_008:?}"
        );
    }

    #[test]
    fn formats_from_leader_007_and_008() {
        // Language material.
        check(('a', 'm'), &[], None, Format::Book);
        check(('a', 'm'), &[], Some(&[]), Format::Book);
        check(('a', 'a'), &[], Some(&[]), Format::Book);
        check(('a', 'm'), &[], Some(&[(23, "d")]), Format::LargePrint);
        check(('a', 'm'), &[], Some(&[(23, "f")]), Format::Braille);
        check(('a', 'm'), &["fb|a|||||"], Some(&[]), Format::Braille);
        check(('a', 'm'), &[], Some(&[(23, "o")]), Format::Ebook);
        check(('a', 'm'), &[], Some(&[(23, "s")]), Format::Ebook);
        check(('a', 'm'), &[], Some(&[(23, "q")]), Format::Ebook);
        check(('a', 'm'), &["cr |n|||||||||"], Some(&[]), Format::Ebook);
        check(('a', 'm'), &["co |||||||||||"], Some(&[]), Format::Book);
        check(('a', 'm'), &[], Some(&[(23, "b")]), Format::Microform);
        check(('a', 'm'), &["he bmb024bbca"], Some(&[]), Format::Microform);
        // Position 29 means nothing for books; it must not be read as form of item.
        check(('a', 'm'), &[], Some(&[(29, "o")]), Format::Book);
        check(('t', 'm'), &[], Some(&[]), Format::Manuscript);
        check(('t', 'm'), &[], Some(&[(23, "o")]), Format::Ebook);
        // Continuing resources.
        check(('a', 's'), &[], Some(&[]), Format::Serial);
        check(('a', 's'), &[], Some(&[(21, "p")]), Format::Serial);
        check(('a', 'b'), &[], Some(&[]), Format::Serial);
        check(
            ('a', 's'),
            &[],
            Some(&[(21, "p"), (23, "o")]),
            Format::Ejournal,
        );
        check(('a', 's'), &["cr cn|||||||||"], Some(&[]), Format::Ejournal);
        check(('a', 's'), &[], Some(&[(23, "a")]), Format::Microform);
        check(
            ('a', 'i'),
            &[],
            Some(&[(21, "w"), (23, "o")]),
            Format::Website,
        );
        check(
            ('a', 'i'),
            &[],
            Some(&[(21, "d"), (23, "o")]),
            Format::Database,
        );
        check(('a', 'i'), &[], Some(&[(23, "o")]), Format::Website);
        check(('a', 'i'), &[], Some(&[(21, "l")]), Format::Serial);
        // Scores.
        check(('c', 'm'), &[], Some(&[]), Format::MusicScore);
        check(('d', 'm'), &[], Some(&[]), Format::MusicScore);
        check(('c', 'm'), &[], Some(&[(23, "b")]), Format::Microform);
        // Spoken word.
        check(
            ('i', 'm'),
            &["sd fsngnnmmned"],
            Some(&[]),
            Format::AudiobookCd,
        );
        check(
            ('i', 'm'),
            &["sd |||g|||||||"],
            Some(&[]),
            Format::AudiobookCd,
        );
        check(
            ('i', 'm'),
            &["ss lsnjlcmpnue"],
            Some(&[]),
            Format::AudiobookCassette,
        );
        check(('i', 'm'), &[], Some(&[(23, "o")]), Format::AudiobookOnline);
        check(
            ('i', 'm'),
            &["sr uunnnnnuneu"],
            Some(&[]),
            Format::AudiobookOnline,
        );
        check(
            ('i', 'm'),
            &["cr una---unuuu", "sr uunnnnnuneu"],
            None,
            Format::AudiobookOnline,
        );
        check(('i', 'm'), &[], Some(&[]), Format::SpokenWordRecording);
        // Music.
        check(('j', 'm'), &["sd fsngnnmmned"], Some(&[]), Format::MusicCd);
        check(
            ('j', 'm'),
            &["sd bmsennmplue"],
            Some(&[]),
            Format::MusicVinyl,
        );
        check(
            ('j', 'm'),
            &["sd d||e|||||s|"],
            Some(&[]),
            Format::MusicVinyl,
        );
        check(
            ('j', 'm'),
            &["ss lsnjlcmpnue"],
            Some(&[]),
            Format::MusicCassette,
        );
        check(('j', 'm'), &[], Some(&[(23, "o")]), Format::MusicOnline);
        check(
            ('j', 'm'),
            &["sz zunnnnnzneu"],
            Some(&[]),
            Format::MusicRecording,
        );
        check(('j', 'm'), &[], None, Format::MusicRecording);
        // Video.
        check(('g', 'm'), &["vd cvaizq"], Some(&[(33, "v")]), Format::Dvd);
        check(
            ('g', 'm'),
            &["vd csaizq"],
            Some(&[(33, "v")]),
            Format::BluRay,
        );
        check(('g', 'm'), &["vf cbahou"], Some(&[(33, "v")]), Format::Vhs);
        check(
            ('g', 'm'),
            &["vd mvaizu", "vd csaizu"],
            None,
            Format::BluRay,
        );
        check(
            ('g', 'm'),
            &[],
            Some(&[(29, "o"), (33, "v")]),
            Format::VideoOnline,
        );
        check(
            ('g', 'm'),
            &["cr una---unuuu"],
            Some(&[(33, "v")]),
            Format::VideoOnline,
        );
        // Form of item for visual materials is at 29, not 23.
        check(
            ('g', 'm'),
            &[],
            Some(&[(23, "o"), (33, "v")]),
            Format::Video,
        );
        check(
            ('g', 'm'),
            &["mr baaadnnarnac"],
            Some(&[(33, "m")]),
            Format::Video,
        );
        // Maps.
        check(('e', 'm'), &[], Some(&[]), Format::Map);
        check(('f', 'm'), &[], Some(&[]), Format::Map);
        check(('e', 'm'), &[], Some(&[(29, "a")]), Format::Microform);
        check(('e', 'm'), &[], Some(&[(23, "a")]), Format::Map);
        // Everything else.
        check(('k', 'm'), &[], Some(&[]), Format::VisualMaterial);
        check(('r', 'm'), &[], Some(&[]), Format::Object);
        check(('o', 'm'), &[], Some(&[]), Format::Kit);
        check(('p', 'c'), &[], Some(&[]), Format::MixedMaterials);
        check(('m', 'm'), &[], Some(&[(26, "b")]), Format::Software);
        check(('m', 'm'), &[], Some(&[(26, "d")]), Format::Ebook);
        check(('z', ' '), &[], None, Format::Other);
        check((' ', ' '), &[], None, Format::Other);
    }

    #[test]
    fn short_and_odd_input_is_tolerated() {
        assert_eq!(material_format("", &[], None), Format::Other);
        assert_eq!(
            material_format("00000nam", &["s"], Some("12")),
            Format::Book
        );
        assert_eq!(
            material_format("00000nim", &["sd"], Some("")),
            Format::SpokenWordRecording
        );
        // A non-ASCII 008 (bad data) must not panic or misplace positions.
        assert_eq!(
            material_format("00000nam", &["€"], Some("ééééééééééééé")),
            Format::Book
        );
    }

    #[test]
    fn codes_round_trip_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for format in Format::ALL {
            assert_eq!(Format::from_code(format.code()), Some(format));
            seen.insert(format.code());
        }
        assert_eq!(seen.len(), 32);
        assert_eq!(Format::from_code("paperback"), None);
    }

    #[track_caller]
    fn check_language(field_008: Option<&str>, expected: Option<&str>) {
        assert_eq!(
            language(field_008).as_deref(),
            expected,
            "008 {field_008:?}"
        );
    }

    #[test]
    fn language_from_008() {
        check_language(Some(&f008(&[(35, "eng")])), Some("eng"));
        check_language(Some(&f008(&[(35, "FRE")])), Some("fre"));
        check_language(Some(&f008(&[(35, "zxx")])), Some("zxx"));
        check_language(Some(&f008(&[(35, "mul")])), Some("mul"));
        check_language(Some(&f008(&[(35, "und")])), None);
        check_language(Some(&f008(&[(35, "|||")])), None);
        check_language(Some(&f008(&[])), None);
        check_language(Some(&f008(&[(35, "e1g")])), None);
        check_language(Some("830506s1983    nyu           000 1 en"), None);
        check_language(None, None);
        // A real 008 from the Evergreen concerto records.
        check_language(
            Some("070605s2006    ilu           000 0 eng d"),
            Some("eng"),
        );
    }

    #[track_caller]
    fn check_audience(
        (record_type, level): (char, char),
        field_008: Option<&str>,
        expected: Option<Audience>,
    ) {
        let actual = audience(&leader(record_type, level), field_008);
        assert_eq!(actual, expected, "{record_type}{level} 008 {field_008:?}");
    }

    #[test]
    fn audience_from_008_where_defined() {
        let juvenile = f008(&[(22, "j")]);
        check_audience(('a', 'm'), Some(&juvenile), Some(Audience::Juvenile));
        check_audience(
            ('a', 'm'),
            Some(&f008(&[(22, "a")])),
            Some(Audience::Preschool),
        );
        check_audience(
            ('a', 'm'),
            Some(&f008(&[(22, "b")])),
            Some(Audience::Primary),
        );
        check_audience(
            ('a', 'm'),
            Some(&f008(&[(22, "c")])),
            Some(Audience::PreAdolescent),
        );
        check_audience(
            ('a', 'm'),
            Some(&f008(&[(22, "d")])),
            Some(Audience::Adolescent),
        );
        check_audience(('a', 'm'), Some(&f008(&[(22, "e")])), Some(Audience::Adult));
        check_audience(
            ('a', 'm'),
            Some(&f008(&[(22, "f")])),
            Some(Audience::Specialized),
        );
        check_audience(
            ('a', 'm'),
            Some(&f008(&[(22, "g")])),
            Some(Audience::General),
        );
        check_audience(('a', 'm'), Some(&f008(&[(22, " ")])), None);
        check_audience(('a', 'm'), Some(&f008(&[(22, "|")])), None);
        check_audience(('j', 'm'), Some(&juvenile), Some(Audience::Juvenile));
        check_audience(('g', 'm'), Some(&juvenile), Some(Audience::Juvenile));
        check_audience(('m', 'm'), Some(&juvenile), Some(Audience::Juvenile));
        // 008/22 means something else for maps, serials and mixed materials.
        check_audience(('e', 'm'), Some(&juvenile), None);
        check_audience(('a', 's'), Some(&juvenile), None);
        check_audience(('p', 'c'), Some(&juvenile), None);
        check_audience(('a', 'm'), None, None);
        check_audience(('a', 'm'), Some("short"), None);
    }
}
