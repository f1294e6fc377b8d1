//! The names of the languages a MARC record's 008/35-37 (and 041) may give, by code.
//!
//! The codes are the MARC Code List for Languages: the bibliographic codes of ISO 639-2 (whose
//! registration authority is the Library of Congress), with their terminology twins (`deu` for
//! `ger`), which some systems write instead, and the codes the MARC list has discontinued but
//! older records still carry (`scr` Croatian, `fri` Frisian, `esk` Eskimo languages). English
//! names as the iso-codes project publishes ISO 639-2 (LGPL-2.1-or-later), each its first name
//! where it gives several ("Spanish" for "Spanish; Castilian"), and the MARC list's names for the
//! discontinued codes.
//!
//! [`record_languages`] reads what a record says of its languages (008/35-37 and 041), each
//! code as the MARC list's current bibliographic one ([`current_code`]), so that a facet
//! counts French once whether a record says `fre` or `fra`.

use concord_marc::DataField;

/// The English name of the language whose MARC code is `code` (any case), if it is one.
pub fn language_name(code: &str) -> Option<&'static str> {
    let code = code.to_ascii_lowercase();
    LANGUAGES
        .binary_search_by(|(known, _)| (*known).cmp(code.as_str()))
        .ok()
        .and_then(|found| LANGUAGES.get(found))
        .map(|(_, name)| *name)
}

/// The language tag (BCP 47) a page gives text in the language whose MARC code is `code` (any
/// case), so that a screen reader speaks a French title as French (WCAG 2.1, 3.1.2 Language of
/// Parts): its ISO 639-1 code, which BCP 47 asks for where one exists, from bibliographic,
/// terminology and discontinued MARC codes alike (`fre`, `fra` → `fr`; `scr` → `hr`). `None`
/// for the languages without one, collections of languages, "multiple" and "undetermined":
/// saying nothing is better than saying something wrong.
pub fn language_tag(code: &str) -> Option<&'static str> {
    let code = code.to_ascii_lowercase();
    LANGUAGE_TAGS
        .binary_search_by(|(known, _)| (*known).cmp(code.as_str()))
        .ok()
        .and_then(|found| LANGUAGE_TAGS.get(found))
        .map(|(_, tag)| *tag)
}

/// The MARC list's current bibliographic code for `code` (any case): the bibliographic twin
/// of an ISO 639-2 terminology code (`fra` → `fre`), the code that replaced a discontinued
/// one (`scr` → `hrv`), else `code` itself, lower-cased.
pub fn current_code(code: &str) -> String {
    let code = code.to_ascii_lowercase();
    REPLACED_CODES
        .binary_search_by(|(known, _)| (*known).cmp(code.as_str()))
        .ok()
        .and_then(|found| REPLACED_CODES.get(found))
        .map_or(code, |(_, current)| (*current).to_owned())
}

/// What a record says of its languages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordLanguages {
    /// The language of the item: 008/35-37 (`mul` and `zxx` included), else the first
    /// language of its text in 041.
    pub main: Option<String>,
    /// Every language of its text or of what is sung or spoken in it (008, 041 $a and $d),
    /// `main` first, each once: the languages a patron finds it under.
    pub text: Vec<String>,
    /// The languages it was translated from (041 $h), each once.
    pub original: Vec<String>,
}

/// The languages of a record from its 008 and its 041 fields.
///
/// 041 codes are read from the MARC list (second indicator blank) or, with second indicator 7,
/// from ISO 639-2 (`$2 iso639-2b`); other lists (ISO 639-3, RFC 5646) are not MARC codes and
/// are left alone. Older records run several codes together in one subfield (`$a engfre`), as
/// was the practice before 2001: they are cut into codes of three letters. `und`
/// (undetermined) says nothing and is dropped.
pub fn record_languages<'a>(
    field_008: Option<&str>,
    fields_041: impl IntoIterator<Item = &'a DataField>,
) -> RecordLanguages {
    let mut languages = RecordLanguages {
        main: crate::format::language(field_008).map(|code| current_code(&code)),
        ..RecordLanguages::default()
    };
    let mut from_041 = Vec::new();
    for field in fields_041 {
        let marc_codes = match field.indicator2 {
            ' ' => true,
            '7' => field
                .subfield('2')
                .is_some_and(|source| source.trim().eq_ignore_ascii_case("iso639-2b")),
            _ => false,
        };
        if !marc_codes {
            continue;
        }
        for subfield in &field.subfields {
            let codes = codes_in(&subfield.value);
            match subfield.code {
                'a' | 'd' => from_041.extend(codes),
                'h' => codes.for_each(|code| push_once(&mut languages.original, code)),
                _ => {}
            }
        }
    }
    if languages.main.is_none() {
        languages.main = from_041.first().cloned();
    }
    for code in languages.main.iter().cloned().chain(from_041) {
        push_once(&mut languages.text, code);
    }
    languages
}

/// The language codes in one subfield of 041: one code, or several run together, each as its
/// current code; nothing from a value that is not three letters or a run of them.
fn codes_in(value: &str) -> impl Iterator<Item = String> + '_ {
    let value = value.trim().trim_end_matches(['.', ',', ';']).trim();
    let codes = if value.len().is_multiple_of(3) && value.bytes().all(|b| b.is_ascii_alphabetic()) {
        value
    } else {
        ""
    };
    codes
        .as_bytes()
        .chunks(3)
        .filter_map(|code| std::str::from_utf8(code).ok())
        .map(current_code)
        .filter(|code| code != "und")
}

fn push_once(codes: &mut Vec<String>, code: String) {
    if !codes.contains(&code) {
        codes.push(code);
    }
}

/// Codes the MARC list does not use, with the code it uses instead, in code order: ISO 639-2's
/// terminology codes with their bibliographic twins, and the MARC codes discontinued in favour
/// of another.
const REPLACED_CODES: &[(&str, &str)] = &[
    ("bod", "tib"),
    ("cam", "khm"),
    ("ces", "cze"),
    ("cym", "wel"),
    ("deu", "ger"),
    ("ell", "gre"),
    ("esp", "epo"),
    ("eth", "gez"),
    ("eus", "baq"),
    ("far", "fao"),
    ("fas", "per"),
    ("fra", "fre"),
    ("fri", "fry"),
    ("gae", "gla"),
    ("gag", "glg"),
    ("gua", "grn"),
    ("hye", "arm"),
    ("int", "ina"),
    ("iri", "gle"),
    ("isl", "ice"),
    ("kat", "geo"),
    ("kus", "kos"),
    ("lan", "oci"),
    ("lap", "smi"),
    ("max", "glv"),
    ("mkd", "mac"),
    ("mla", "mlg"),
    ("mol", "rum"),
    ("mri", "mao"),
    ("msa", "may"),
    ("mya", "bur"),
    ("nld", "dut"),
    ("ron", "rum"),
    ("sao", "smo"),
    ("scc", "srp"),
    ("scr", "hrv"),
    ("sho", "sna"),
    ("slk", "slo"),
    ("snh", "sin"),
    ("sqi", "alb"),
    ("sso", "sot"),
    ("swz", "ssw"),
    ("tag", "tgl"),
    ("taj", "tgk"),
    ("tar", "tat"),
    ("tsw", "tsn"),
    ("zho", "chi"),
];

/// MARC language codes with their ISO 639-1 codes, in MARC code order (for the binary search).
const LANGUAGE_TAGS: &[(&str, &str)] = &[
    ("aar", "aa"),
    ("abk", "ab"),
    ("afr", "af"),
    ("aka", "ak"),
    ("alb", "sq"),
    ("amh", "am"),
    ("ara", "ar"),
    ("arg", "an"),
    ("arm", "hy"),
    ("asm", "as"),
    ("ava", "av"),
    ("ave", "ae"),
    ("aym", "ay"),
    ("aze", "az"),
    ("bak", "ba"),
    ("bam", "bm"),
    ("baq", "eu"),
    ("bel", "be"),
    ("ben", "bn"),
    ("bis", "bi"),
    ("bod", "bo"),
    ("bos", "bs"),
    ("bre", "br"),
    ("bul", "bg"),
    ("bur", "my"),
    ("cam", "km"),
    ("cat", "ca"),
    ("ces", "cs"),
    ("cha", "ch"),
    ("che", "ce"),
    ("chi", "zh"),
    ("chu", "cu"),
    ("chv", "cv"),
    ("cor", "kw"),
    ("cos", "co"),
    ("cre", "cr"),
    ("cym", "cy"),
    ("cze", "cs"),
    ("dan", "da"),
    ("deu", "de"),
    ("div", "dv"),
    ("dut", "nl"),
    ("dzo", "dz"),
    ("ell", "el"),
    ("eng", "en"),
    ("epo", "eo"),
    ("esp", "eo"),
    ("est", "et"),
    ("eus", "eu"),
    ("ewe", "ee"),
    ("fao", "fo"),
    ("far", "fo"),
    ("fas", "fa"),
    ("fij", "fj"),
    ("fin", "fi"),
    ("fra", "fr"),
    ("fre", "fr"),
    ("fri", "fy"),
    ("fry", "fy"),
    ("ful", "ff"),
    ("gae", "gd"),
    ("gag", "gl"),
    ("geo", "ka"),
    ("ger", "de"),
    ("gla", "gd"),
    ("gle", "ga"),
    ("glg", "gl"),
    ("glv", "gv"),
    ("gre", "el"),
    ("grn", "gn"),
    ("gua", "gn"),
    ("guj", "gu"),
    ("hat", "ht"),
    ("hau", "ha"),
    ("heb", "he"),
    ("her", "hz"),
    ("hin", "hi"),
    ("hmo", "ho"),
    ("hrv", "hr"),
    ("hun", "hu"),
    ("hye", "hy"),
    ("ibo", "ig"),
    ("ice", "is"),
    ("ido", "io"),
    ("iii", "ii"),
    ("iku", "iu"),
    ("ile", "ie"),
    ("ina", "ia"),
    ("ind", "id"),
    ("int", "ia"),
    ("ipk", "ik"),
    ("iri", "ga"),
    ("isl", "is"),
    ("ita", "it"),
    ("jav", "jv"),
    ("jpn", "ja"),
    ("kal", "kl"),
    ("kan", "kn"),
    ("kas", "ks"),
    ("kat", "ka"),
    ("kau", "kr"),
    ("kaz", "kk"),
    ("khm", "km"),
    ("kik", "ki"),
    ("kin", "rw"),
    ("kir", "ky"),
    ("kom", "kv"),
    ("kon", "kg"),
    ("kor", "ko"),
    ("kua", "kj"),
    ("kur", "ku"),
    ("lan", "oc"),
    ("lao", "lo"),
    ("lat", "la"),
    ("lav", "lv"),
    ("lim", "li"),
    ("lin", "ln"),
    ("lit", "lt"),
    ("ltz", "lb"),
    ("lub", "lu"),
    ("lug", "lg"),
    ("mac", "mk"),
    ("mah", "mh"),
    ("mal", "ml"),
    ("mao", "mi"),
    ("mar", "mr"),
    ("may", "ms"),
    ("mkd", "mk"),
    ("mla", "mg"),
    ("mlg", "mg"),
    ("mlt", "mt"),
    ("mol", "ro"),
    ("mon", "mn"),
    ("mri", "mi"),
    ("msa", "ms"),
    ("mya", "my"),
    ("nau", "na"),
    ("nav", "nv"),
    ("nbl", "nr"),
    ("nde", "nd"),
    ("ndo", "ng"),
    ("nep", "ne"),
    ("nld", "nl"),
    ("nno", "nn"),
    ("nob", "nb"),
    ("nor", "no"),
    ("nya", "ny"),
    ("oci", "oc"),
    ("oji", "oj"),
    ("ori", "or"),
    ("orm", "om"),
    ("oss", "os"),
    ("pan", "pa"),
    ("per", "fa"),
    ("pli", "pi"),
    ("pol", "pl"),
    ("por", "pt"),
    ("pus", "ps"),
    ("que", "qu"),
    ("roh", "rm"),
    ("ron", "ro"),
    ("rum", "ro"),
    ("run", "rn"),
    ("rus", "ru"),
    ("sag", "sg"),
    ("san", "sa"),
    ("sao", "sm"),
    ("scc", "sr"),
    ("scr", "hr"),
    ("sho", "sn"),
    ("sin", "si"),
    ("slk", "sk"),
    ("slo", "sk"),
    ("slv", "sl"),
    ("sme", "se"),
    ("smo", "sm"),
    ("sna", "sn"),
    ("snd", "sd"),
    ("snh", "si"),
    ("som", "so"),
    ("sot", "st"),
    ("spa", "es"),
    ("sqi", "sq"),
    ("srd", "sc"),
    ("srp", "sr"),
    ("sso", "st"),
    ("ssw", "ss"),
    ("sun", "su"),
    ("swa", "sw"),
    ("swe", "sv"),
    ("swz", "ss"),
    ("tag", "tl"),
    ("tah", "ty"),
    ("taj", "tg"),
    ("tam", "ta"),
    ("tar", "tt"),
    ("tat", "tt"),
    ("tel", "te"),
    ("tgk", "tg"),
    ("tgl", "tl"),
    ("tha", "th"),
    ("tib", "bo"),
    ("tir", "ti"),
    ("ton", "to"),
    ("tsn", "tn"),
    ("tso", "ts"),
    ("tsw", "tn"),
    ("tuk", "tk"),
    ("tur", "tr"),
    ("twi", "tw"),
    ("uig", "ug"),
    ("ukr", "uk"),
    ("urd", "ur"),
    ("uzb", "uz"),
    ("ven", "ve"),
    ("vie", "vi"),
    ("vol", "vo"),
    ("wel", "cy"),
    ("wln", "wa"),
    ("wol", "wo"),
    ("xho", "xh"),
    ("yid", "yi"),
    ("yor", "yo"),
    ("zha", "za"),
    ("zho", "zh"),
    ("zul", "zu"),
];

/// Every code with its name, in code order (for the binary search).
const LANGUAGES: &[(&str, &str)] = &[
    ("aar", "Afar"),
    ("abk", "Abkhazian"),
    ("ace", "Achinese"),
    ("ach", "Acoli"),
    ("ada", "Adangme"),
    ("ady", "Adyghe"),
    ("afa", "Afro-Asiatic languages"),
    ("afh", "Afrihili"),
    ("afr", "Afrikaans"),
    ("ain", "Ainu"),
    ("ajm", "Aljamía"),
    ("aka", "Akan"),
    ("akk", "Akkadian"),
    ("alb", "Albanian"),
    ("ale", "Aleut"),
    ("alg", "Algonquian languages"),
    ("alt", "Southern Altai"),
    ("amh", "Amharic"),
    ("ang", "English, Old (ca. 450-1100)"),
    ("anp", "Angika"),
    ("apa", "Apache languages"),
    ("ara", "Arabic"),
    ("arc", "Official Aramaic (700-300 BCE)"),
    ("arg", "Aragonese"),
    ("arm", "Armenian"),
    ("arn", "Mapudungun"),
    ("arp", "Arapaho"),
    ("art", "Artificial languages"),
    ("arw", "Arawak"),
    ("asm", "Assamese"),
    ("ast", "Asturian"),
    ("ath", "Athapascan languages"),
    ("aus", "Australian languages"),
    ("ava", "Avaric"),
    ("ave", "Avestan"),
    ("awa", "Awadhi"),
    ("aym", "Aymara"),
    ("aze", "Azerbaijani"),
    ("bad", "Banda languages"),
    ("bai", "Bamileke languages"),
    ("bak", "Bashkir"),
    ("bal", "Baluchi"),
    ("bam", "Bambara"),
    ("ban", "Balinese"),
    ("baq", "Basque"),
    ("bas", "Basa"),
    ("bat", "Baltic languages"),
    ("bej", "Beja"),
    ("bel", "Belarusian"),
    ("bem", "Bemba"),
    ("ben", "Bengali"),
    ("ber", "Berber languages"),
    ("bho", "Bhojpuri"),
    ("bih", "Bihari languages"),
    ("bik", "Bikol"),
    ("bin", "Bini"),
    ("bis", "Bislama"),
    ("bla", "Siksika"),
    ("bnt", "Bantu (Other)"),
    ("bod", "Tibetan"),
    ("bos", "Bosnian"),
    ("bra", "Braj"),
    ("bre", "Breton"),
    ("btk", "Batak languages"),
    ("bua", "Buriat"),
    ("bug", "Buginese"),
    ("bul", "Bulgarian"),
    ("bur", "Burmese"),
    ("byn", "Blin"),
    ("cad", "Caddo"),
    ("cai", "Central American Indian languages"),
    ("cam", "Khmer"),
    ("car", "Galibi Carib"),
    ("cat", "Catalan"),
    ("cau", "Caucasian languages"),
    ("ceb", "Cebuano"),
    ("cel", "Celtic languages"),
    ("ces", "Czech"),
    ("cha", "Chamorro"),
    ("chb", "Chibcha"),
    ("che", "Chechen"),
    ("chg", "Chagatai"),
    ("chi", "Chinese"),
    ("chk", "Chuukese"),
    ("chm", "Mari"),
    ("chn", "Chinook jargon"),
    ("cho", "Choctaw"),
    ("chp", "Chipewyan"),
    ("chr", "Cherokee"),
    ("chu", "Church Slavic"),
    ("chv", "Chuvash"),
    ("chy", "Cheyenne"),
    ("cmc", "Chamic languages"),
    ("cnr", "Montenegrin"),
    ("cop", "Coptic"),
    ("cor", "Cornish"),
    ("cos", "Corsican"),
    ("cpe", "Creoles and pidgins, English based"),
    ("cpf", "Creoles and pidgins, French-based"),
    ("cpp", "Creoles and pidgins, Portuguese-based"),
    ("cre", "Cree"),
    ("crh", "Crimean Tatar"),
    ("crp", "Creoles and pidgins"),
    ("csb", "Kashubian"),
    ("cus", "Cushitic languages"),
    ("cym", "Welsh"),
    ("cze", "Czech"),
    ("dak", "Dakota"),
    ("dan", "Danish"),
    ("dar", "Dargwa"),
    ("day", "Land Dayak languages"),
    ("del", "Delaware"),
    ("den", "Slave (Athapascan)"),
    ("deu", "German"),
    ("dgr", "Dogrib"),
    ("din", "Dinka"),
    ("div", "Divehi"),
    ("doi", "Dogri"),
    ("dra", "Dravidian languages"),
    ("dsb", "Lower Sorbian"),
    ("dua", "Duala"),
    ("dum", "Dutch, Middle (ca. 1050-1350)"),
    ("dut", "Dutch"),
    ("dyu", "Dyula"),
    ("dzo", "Dzongkha"),
    ("efi", "Efik"),
    ("egy", "Egyptian (Ancient)"),
    ("eka", "Ekajuk"),
    ("ell", "Greek, Modern (1453-)"),
    ("elx", "Elamite"),
    ("eng", "English"),
    ("enm", "English, Middle (1100-1500)"),
    ("epo", "Esperanto"),
    ("esk", "Eskimo languages"),
    ("esp", "Esperanto"),
    ("est", "Estonian"),
    ("eth", "Ethiopic"),
    ("eus", "Basque"),
    ("ewe", "Ewe"),
    ("ewo", "Ewondo"),
    ("fan", "Fang"),
    ("fao", "Faroese"),
    ("far", "Faroese"),
    ("fas", "Persian"),
    ("fat", "Fanti"),
    ("fij", "Fijian"),
    ("fil", "Filipino"),
    ("fin", "Finnish"),
    ("fiu", "Finno-Ugrian languages"),
    ("fon", "Fon"),
    ("fra", "French"),
    ("fre", "French"),
    ("fri", "Frisian"),
    ("frm", "French, Middle (ca. 1400-1600)"),
    ("fro", "French, Old (842-ca. 1400)"),
    ("frr", "Northern Frisian"),
    ("frs", "Eastern Frisian"),
    ("fry", "Western Frisian"),
    ("ful", "Fulah"),
    ("fur", "Friulian"),
    ("gaa", "Ga"),
    ("gae", "Scottish Gaelic"),
    ("gag", "Galician"),
    ("gay", "Gayo"),
    ("gba", "Gbaya"),
    ("gem", "Germanic languages"),
    ("geo", "Georgian"),
    ("ger", "German"),
    ("gez", "Geez"),
    ("gil", "Gilbertese"),
    ("gla", "Gaelic"),
    ("gle", "Irish"),
    ("glg", "Galician"),
    ("glv", "Manx"),
    ("gmh", "German, Middle High (ca. 1050-1500)"),
    ("goh", "German, Old High (ca. 750-1050)"),
    ("gon", "Gondi"),
    ("gor", "Gorontalo"),
    ("got", "Gothic"),
    ("grb", "Grebo"),
    ("grc", "Greek, Ancient (to 1453)"),
    ("gre", "Greek, Modern (1453-)"),
    ("grn", "Guarani"),
    ("gsw", "Swiss German"),
    ("gua", "Guarani"),
    ("guj", "Gujarati"),
    ("gwi", "Gwich'in"),
    ("hai", "Haida"),
    ("hat", "Haitian"),
    ("hau", "Hausa"),
    ("haw", "Hawaiian"),
    ("heb", "Hebrew"),
    ("her", "Herero"),
    ("hil", "Hiligaynon"),
    ("him", "Himachali languages"),
    ("hin", "Hindi"),
    ("hit", "Hittite"),
    ("hmn", "Hmong"),
    ("hmo", "Hiri Motu"),
    ("hrv", "Croatian"),
    ("hsb", "Upper Sorbian"),
    ("hun", "Hungarian"),
    ("hup", "Hupa"),
    ("hye", "Armenian"),
    ("iba", "Iban"),
    ("ibo", "Igbo"),
    ("ice", "Icelandic"),
    ("ido", "Ido"),
    ("iii", "Sichuan Yi"),
    ("ijo", "Ijo languages"),
    ("iku", "Inuktitut"),
    ("ile", "Interlingue"),
    ("ilo", "Iloko"),
    (
        "ina",
        "Interlingua (International Auxiliary Language Association)",
    ),
    ("inc", "Indic languages"),
    ("ind", "Indonesian"),
    ("ine", "Indo-European languages"),
    ("inh", "Ingush"),
    ("int", "Interlingua"),
    ("ipk", "Inupiaq"),
    ("ira", "Iranian languages"),
    ("iri", "Irish"),
    ("iro", "Iroquoian languages"),
    ("isl", "Icelandic"),
    ("ita", "Italian"),
    ("jav", "Javanese"),
    ("jbo", "Lojban"),
    ("jpn", "Japanese"),
    ("jpr", "Judeo-Persian"),
    ("jrb", "Judeo-Arabic"),
    ("kaa", "Kara-Kalpak"),
    ("kab", "Kabyle"),
    ("kac", "Kachin"),
    ("kal", "Kalaallisut"),
    ("kam", "Kamba"),
    ("kan", "Kannada"),
    ("kar", "Karen languages"),
    ("kas", "Kashmiri"),
    ("kat", "Georgian"),
    ("kau", "Kanuri"),
    ("kaw", "Kawi"),
    ("kaz", "Kazakh"),
    ("kbd", "Kabardian"),
    ("kha", "Khasi"),
    ("khi", "Khoisan languages"),
    ("khm", "Central Khmer"),
    ("kho", "Khotanese"),
    ("kik", "Kikuyu"),
    ("kin", "Kinyarwanda"),
    ("kir", "Kirghiz"),
    ("kmb", "Kimbundu"),
    ("kok", "Konkani"),
    ("kom", "Komi"),
    ("kon", "Kongo"),
    ("kor", "Korean"),
    ("kos", "Kosraean"),
    ("kpe", "Kpelle"),
    ("krc", "Karachay-Balkar"),
    ("krl", "Karelian"),
    ("kro", "Kru languages"),
    ("kru", "Kurukh"),
    ("kua", "Kuanyama"),
    ("kum", "Kumyk"),
    ("kur", "Kurdish"),
    ("kus", "Kosraean"),
    ("kut", "Kutenai"),
    ("lad", "Ladino"),
    ("lah", "Lahnda"),
    ("lam", "Lamba"),
    ("lan", "Occitan"),
    ("lao", "Lao"),
    ("lap", "Sami"),
    ("lat", "Latin"),
    ("lav", "Latvian"),
    ("lez", "Lezghian"),
    ("lim", "Limburgan"),
    ("lin", "Lingala"),
    ("lit", "Lithuanian"),
    ("lol", "Mongo"),
    ("loz", "Lozi"),
    ("ltz", "Luxembourgish"),
    ("lua", "Luba-Lulua"),
    ("lub", "Luba-Katanga"),
    ("lug", "Ganda"),
    ("lui", "Luiseno"),
    ("lun", "Lunda"),
    ("luo", "Luo (Kenya and Tanzania)"),
    ("lus", "Lushai"),
    ("mac", "Macedonian"),
    ("mad", "Madurese"),
    ("mag", "Magahi"),
    ("mah", "Marshallese"),
    ("mai", "Maithili"),
    ("mak", "Makasar"),
    ("mal", "Malayalam"),
    ("man", "Mandingo"),
    ("mao", "Maori"),
    ("map", "Austronesian languages"),
    ("mar", "Marathi"),
    ("mas", "Masai"),
    ("max", "Manx"),
    ("may", "Malay"),
    ("mdf", "Moksha"),
    ("mdr", "Mandar"),
    ("men", "Mende"),
    ("mga", "Irish, Middle (900-1200)"),
    ("mic", "Mi'kmaq"),
    ("min", "Minangkabau"),
    ("mis", "Uncoded languages"),
    ("mkd", "Macedonian"),
    ("mkh", "Mon-Khmer languages"),
    ("mla", "Malagasy"),
    ("mlg", "Malagasy"),
    ("mlt", "Maltese"),
    ("mnc", "Manchu"),
    ("mni", "Manipuri"),
    ("mno", "Manobo languages"),
    ("moh", "Mohawk"),
    ("mol", "Moldavian"),
    ("mon", "Mongolian"),
    ("mos", "Mossi"),
    ("mri", "Maori"),
    ("msa", "Malay"),
    ("mul", "Multiple languages"),
    ("mun", "Munda languages"),
    ("mus", "Creek"),
    ("mwl", "Mirandese"),
    ("mwr", "Marwari"),
    ("mya", "Burmese"),
    ("myn", "Mayan languages"),
    ("myv", "Erzya"),
    ("nah", "Nahuatl languages"),
    ("nai", "North American Indian languages"),
    ("nap", "Neapolitan"),
    ("nau", "Nauru"),
    ("nav", "Navajo"),
    ("nbl", "Ndebele, South"),
    ("nde", "Ndebele, North"),
    ("ndo", "Ndonga"),
    ("nds", "Low German"),
    ("nep", "Nepali"),
    ("new", "Nepal Bhasa"),
    ("nia", "Nias"),
    ("nic", "Niger-Kordofanian languages"),
    ("niu", "Niuean"),
    ("nld", "Dutch"),
    ("nno", "Norwegian Nynorsk"),
    ("nob", "Bokmål, Norwegian"),
    ("nog", "Nogai"),
    ("non", "Norse, Old"),
    ("nor", "Norwegian"),
    ("nqo", "N'Ko"),
    ("nso", "Pedi"),
    ("nub", "Nubian languages"),
    ("nwc", "Classical Newari"),
    ("nya", "Chichewa"),
    ("nym", "Nyamwezi"),
    ("nyn", "Nyankole"),
    ("nyo", "Nyoro"),
    ("nzi", "Nzima"),
    ("oci", "Occitan (post 1500)"),
    ("oji", "Ojibwa"),
    ("ori", "Oriya"),
    ("orm", "Oromo"),
    ("osa", "Osage"),
    ("oss", "Ossetian"),
    ("ota", "Turkish, Ottoman (1500-1928)"),
    ("oto", "Otomian languages"),
    ("paa", "Papuan languages"),
    ("pag", "Pangasinan"),
    ("pal", "Pahlavi"),
    ("pam", "Pampanga"),
    ("pan", "Panjabi"),
    ("pap", "Papiamento"),
    ("pau", "Palauan"),
    ("peo", "Persian, Old (ca. 600-400 B.C.)"),
    ("per", "Persian"),
    ("phi", "Philippine languages"),
    ("phn", "Phoenician"),
    ("pli", "Pali"),
    ("pol", "Polish"),
    ("pon", "Pohnpeian"),
    ("por", "Portuguese"),
    ("pra", "Prakrit languages"),
    ("pro", "Provençal, Old (to 1500)"),
    ("pus", "Pushto"),
    ("que", "Quechua"),
    ("raj", "Rajasthani"),
    ("rap", "Rapanui"),
    ("rar", "Rarotongan"),
    ("roa", "Romance languages"),
    ("roh", "Romansh"),
    ("rom", "Romany"),
    ("ron", "Romanian"),
    ("rum", "Romanian"),
    ("run", "Rundi"),
    ("rup", "Aromanian"),
    ("rus", "Russian"),
    ("sad", "Sandawe"),
    ("sag", "Sango"),
    ("sah", "Yakut"),
    ("sai", "South American Indian (Other)"),
    ("sal", "Salishan languages"),
    ("sam", "Samaritan Aramaic"),
    ("san", "Sanskrit"),
    ("sao", "Samoan"),
    ("sas", "Sasak"),
    ("sat", "Santali"),
    ("scc", "Serbian"),
    ("scn", "Sicilian"),
    ("sco", "Scots"),
    ("scr", "Croatian"),
    ("sel", "Selkup"),
    ("sem", "Semitic languages"),
    ("sga", "Irish, Old (to 900)"),
    ("sgn", "Sign Languages"),
    ("shn", "Shan"),
    ("sho", "Shona"),
    ("sid", "Sidamo"),
    ("sin", "Sinhala"),
    ("sio", "Siouan languages"),
    ("sit", "Sino-Tibetan languages"),
    ("sla", "Slavic languages"),
    ("slk", "Slovak"),
    ("slo", "Slovak"),
    ("slv", "Slovenian"),
    ("sma", "Southern Sami"),
    ("sme", "Northern Sami"),
    ("smi", "Sami languages"),
    ("smj", "Lule Sami"),
    ("smn", "Inari Sami"),
    ("smo", "Samoan"),
    ("sms", "Skolt Sami"),
    ("sna", "Shona"),
    ("snd", "Sindhi"),
    ("snh", "Sinhalese"),
    ("snk", "Soninke"),
    ("sog", "Sogdian"),
    ("som", "Somali"),
    ("son", "Songhai languages"),
    ("sot", "Sotho, Southern"),
    ("spa", "Spanish"),
    ("sqi", "Albanian"),
    ("srd", "Sardinian"),
    ("srn", "Sranan Tongo"),
    ("srp", "Serbian"),
    ("srr", "Serer"),
    ("ssa", "Nilo-Saharan languages"),
    ("sso", "Sotho"),
    ("ssw", "Swati"),
    ("suk", "Sukuma"),
    ("sun", "Sundanese"),
    ("sus", "Susu"),
    ("sux", "Sumerian"),
    ("swa", "Swahili"),
    ("swe", "Swedish"),
    ("swz", "Swazi"),
    ("syc", "Classical Syriac"),
    ("syr", "Syriac"),
    ("tag", "Tagalog"),
    ("tah", "Tahitian"),
    ("tai", "Tai languages"),
    ("taj", "Tajik"),
    ("tam", "Tamil"),
    ("tar", "Tatar"),
    ("tat", "Tatar"),
    ("tel", "Telugu"),
    ("tem", "Timne"),
    ("ter", "Tereno"),
    ("tet", "Tetum"),
    ("tgk", "Tajik"),
    ("tgl", "Tagalog"),
    ("tha", "Thai"),
    ("tib", "Tibetan"),
    ("tig", "Tigre"),
    ("tir", "Tigrinya"),
    ("tiv", "Tiv"),
    ("tkl", "Tokelau"),
    ("tlh", "Klingon"),
    ("tli", "Tlingit"),
    ("tmh", "Tamashek"),
    ("tog", "Tonga (Nyasa)"),
    ("ton", "Tonga (Tonga Islands)"),
    ("tpi", "Tok Pisin"),
    ("tru", "Chuukese"),
    ("tsi", "Tsimshian"),
    ("tsn", "Tswana"),
    ("tso", "Tsonga"),
    ("tsw", "Tswana"),
    ("tuk", "Turkmen"),
    ("tum", "Tumbuka"),
    ("tup", "Tupi languages"),
    ("tur", "Turkish"),
    ("tut", "Altaic languages"),
    ("tvl", "Tuvalu"),
    ("twi", "Twi"),
    ("tyv", "Tuvinian"),
    ("udm", "Udmurt"),
    ("uga", "Ugaritic"),
    ("uig", "Uighur"),
    ("ukr", "Ukrainian"),
    ("umb", "Umbundu"),
    ("und", "Undetermined"),
    ("urd", "Urdu"),
    ("uzb", "Uzbek"),
    ("vai", "Vai"),
    ("ven", "Venda"),
    ("vie", "Vietnamese"),
    ("vol", "Volapük"),
    ("vot", "Votic"),
    ("wak", "Wakashan languages"),
    ("wal", "Walamo"),
    ("war", "Waray"),
    ("was", "Washo"),
    ("wel", "Welsh"),
    ("wen", "Sorbian languages"),
    ("wln", "Walloon"),
    ("wol", "Wolof"),
    ("xal", "Kalmyk"),
    ("xho", "Xhosa"),
    ("yao", "Yao"),
    ("yap", "Yapese"),
    ("yid", "Yiddish"),
    ("yor", "Yoruba"),
    ("ypk", "Yupik languages"),
    ("zap", "Zapotec"),
    ("zbl", "Blissymbols"),
    ("zen", "Zenaga"),
    ("zgh", "Standard Moroccan Tamazight"),
    ("zha", "Zhuang"),
    ("zho", "Chinese"),
    ("znd", "Zande languages"),
    ("zul", "Zulu"),
    ("zun", "Zuni"),
    ("zxx", "No linguistic content"),
    ("zza", "Zaza"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_the_two_letter_codes_bcp_47_asks_for() {
        assert!(LANGUAGE_TAGS.windows(2).all(|pair| pair[0].0 < pair[1].0));
        for (code, tag) in [
            ("fre", Some("fr")),
            ("FRA", Some("fr")),
            ("ger", Some("de")),
            ("chi", Some("zh")),
            ("wel", Some("cy")),
            ("scr", Some("hr")),
            ("eng", Some("en")),
            ("haw", None),
            ("und", None),
            ("mul", None),
            ("zzz", None),
        ] {
            assert_eq!(language_tag(code), tag, "{code}");
        }
        // Every code with a tag is a language the list names.
        for (code, _) in LANGUAGE_TAGS {
            assert!(language_name(code).is_some(), "{code}");
        }
    }

    #[test]
    fn replaced_codes_become_current_codes_of_the_same_language() {
        assert!(REPLACED_CODES.windows(2).all(|pair| pair[0].0 < pair[1].0));
        for (old, current) in REPLACED_CODES {
            // The current code is one the list names and replaces nothing itself.
            assert!(language_name(current).is_some(), "{current}");
            assert_eq!(current_code(current), *current, "{current}");
            // Where the old code has a two-letter tag, the current one has the same.
            if let Some(tag) = language_tag(old) {
                assert_eq!(language_tag(current), Some(tag), "{old} -> {current}");
            }
        }
        assert_eq!(current_code("FRA"), "fre");
        assert_eq!(current_code("fre"), "fre");
        assert_eq!(current_code("scr"), "hrv");
        assert_eq!(current_code("xyz"), "xyz");
    }

    fn field_041(indicator2: char, subfields: &[(char, &str)]) -> DataField {
        let tag = concord_marc::Tag::parse("041").unwrap();
        subfields.iter().fold(
            DataField::new(tag, '0', indicator2),
            |field, (code, value)| field.with_subfield(*code, *value),
        )
    }

    fn f008(language: &str) -> String {
        let mut field = format!("{:<40}", "850101s1985    fr            000 1");
        field.replace_range(35..38, language);
        field
    }

    #[test]
    fn a_record_is_found_under_every_language_of_its_text() {
        // Parallel text, codes run together as before 2001.
        let found = record_languages(Some(&f008("eng")), &[field_041(' ', &[('a', "engfre")])]);
        assert_eq!(found.main.as_deref(), Some("eng"));
        assert_eq!(found.text, ["eng", "fre"]);
        assert!(found.original.is_empty());

        // A translation: the original language is not a language of the text.
        let found = record_languages(
            Some(&f008("eng")),
            &[field_041(' ', &[('a', "eng"), ('h', "rus")])],
        );
        assert_eq!(found.text, ["eng"]);
        assert_eq!(found.original, ["rus"]);

        // Sung or spoken languages count; subtitles and summaries do not.
        let found = record_languages(
            Some(&f008("fre")),
            &[field_041(
                ' ',
                &[('d', "fre"), ('d', "ita"), ('j', "eng"), ('b', "ger")],
            )],
        );
        assert_eq!(found.text, ["fre", "ita"]);

        // "Multiple languages" stays the main one, with the languages 041 names beside it.
        let found = record_languages(
            Some(&f008("mul")),
            &[field_041(' ', &[('a', "fre"), ('a', "deu"), ('a', "spa.")])],
        );
        assert_eq!(found.main.as_deref(), Some("mul"));
        assert_eq!(found.text, ["mul", "fre", "ger", "spa"]);
    }

    #[test]
    fn without_a_language_in_008_the_first_of_041_is_the_main_one() {
        for field_008 in [
            None,
            Some(f008("   ")),
            Some(f008("und")),
            Some("short".into()),
        ] {
            let found = record_languages(
                field_008.as_deref(),
                &[field_041(' ', &[('a', "und"), ('a', "ger"), ('a', "eng")])],
            );
            assert_eq!(found.main.as_deref(), Some("ger"), "{field_008:?}");
            assert_eq!(found.text, ["ger", "eng"]);
        }
        assert_eq!(record_languages(None, &[]), RecordLanguages::default());
        // A terminology code in 008 is counted as the MARC list's.
        let found = record_languages(Some(&f008("fra")), &[]);
        assert_eq!(found.main.as_deref(), Some("fre"));
    }

    #[test]
    fn only_codes_from_the_marc_list_or_iso_639_2_are_read() {
        let iso_639_3 = field_041('7', &[('a', "fra"), ('a', "bre"), ('2', "iso639-3")]);
        let iso_639_2 = field_041('7', &[('a', "fra"), ('2', "iso639-2b")]);
        let rfc = field_041('7', &[('a', "fr-CA"), ('2', "rfc5646")]);
        let found = record_languages(Some(&f008("eng")), &[iso_639_3, iso_639_2, rfc]);
        assert_eq!(found.text, ["eng", "fre"]);
        // Values that are not codes of three letters are passed over, not cut up.
        let found = record_languages(
            None,
            &[field_041(
                ' ',
                &[('a', "en"), ('a', "English"), ('a', "fre ger")],
            )],
        );
        assert_eq!(found, RecordLanguages::default());
    }

    #[test]
    fn codes_are_sorted_unique_and_three_lower_case_letters() {
        for pair in LANGUAGES.windows(2) {
            if let [(first, _), (second, _)] = pair {
                assert!(first < second, "{first} before {second}");
            }
        }
        for (code, name) in LANGUAGES {
            assert!(
                code.len() == 3 && code.bytes().all(|b| b.is_ascii_lowercase()),
                "{code}"
            );
            assert!(!name.is_empty(), "{code}");
        }
    }

    #[test]
    fn bibliographic_terminology_and_discontinued_codes_are_named() {
        assert_eq!(language_name("eng"), Some("English"));
        assert_eq!(language_name("FRE"), Some("French"));
        assert_eq!(language_name("fra"), Some("French"));
        assert_eq!(language_name("ger"), Some("German"));
        assert_eq!(language_name("deu"), Some("German"));
        assert_eq!(language_name("chi"), Some("Chinese"));
        assert_eq!(language_name("nep"), Some("Nepali"));
        assert_eq!(language_name("scr"), Some("Croatian"));
        assert_eq!(language_name("hrv"), Some("Croatian"));
        assert_eq!(language_name("mul"), Some("Multiple languages"));
        assert_eq!(language_name("zxx"), Some("No linguistic content"));
        assert_eq!(language_name("spa"), Some("Spanish"));
        assert_eq!(language_name("dut"), Some("Dutch"));
        assert_eq!(language_name("xyz"), None);
        assert_eq!(language_name(""), None);
    }
}
