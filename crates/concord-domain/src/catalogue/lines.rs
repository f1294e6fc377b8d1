//! The MARC editor's text: yaz's line format (`245 10 $a Title / $c author.`) parsed back into a
//! record, with every problem reported by line and tag at once.

use concord_marc::{DataField, Leader, Record, Subfield, Tag};

/// One problem in the editor's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// The tag on that line, as typed (empty for the leader).
    pub tag: String,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.tag.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {} (tag {}): {}", self.line, self.tag, self.message)
        }
    }
}

/// Parses the text [`concord_marc::to_line_format`] writes. A subfield starts at ` $c ` (a
/// space, a dollar sign, one letter or digit, a space), so values may contain `$25.00`.
/// The record must have a leader, a 245 with `$a`, and only valid tags, indicators and
/// subfield codes.
pub fn parse_line_format(text: &str) -> Result<Record, Vec<LineError>> {
    let mut errors = Vec::new();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim_end_matches('\r')))
        .filter(|(_, line)| !line.trim().is_empty());
    let leader = match lines.next() {
        Some((number, line)) => {
            let candidate = line.strip_prefix("LDR ").unwrap_or(line);
            match Leader::parse(candidate) {
                Some(mut leader) => {
                    leader.normalize_for_marc21();
                    Some(leader)
                }
                None => {
                    errors.push(LineError {
                        line: number,
                        tag: String::new(),
                        message: format!(
                            "the first line must be the 24-character leader (found {} characters)",
                            candidate.chars().count()
                        ),
                    });
                    None
                }
            }
        }
        None => {
            errors.push(LineError {
                line: 1,
                tag: String::new(),
                message: "the record is empty".into(),
            });
            None
        }
    };
    let mut record = Record::new(leader.unwrap_or_else(|| Leader::new(b'a', b'm')));
    for (number, line) in lines {
        let raw_tag = line.get(..3).unwrap_or(line);
        let mut error = |message: String| {
            errors.push(LineError {
                line: number,
                tag: raw_tag.to_string(),
                message,
            });
        };
        let tag = match Tag::parse(raw_tag) {
            Ok(tag) => tag,
            Err(_) => {
                error(format!(
                    "{raw_tag:?} is not a tag (three letters or digits)"
                ));
                continue;
            }
        };
        let rest = line.get(3..).unwrap_or("");
        if tag.is_control() {
            record.push_control(tag, rest.strip_prefix(' ').unwrap_or(rest));
            continue;
        }
        let indicators: Vec<char> = rest.chars().skip(1).take(2).collect();
        let (Some(&indicator1), Some(&indicator2)) = (indicators.first(), indicators.get(1)) else {
            error("a data field needs two indicators after the tag".into());
            continue;
        };
        let valid_indicator = |c: char| c == ' ' || c.is_ascii_digit() || c.is_ascii_lowercase();
        if !rest.starts_with(' ') || !valid_indicator(indicator1) || !valid_indicator(indicator2) {
            error(format!(
                "indicators must be digits, lower-case letters or blanks (found {:?})",
                indicators.iter().collect::<String>()
            ));
            continue;
        }
        let body = rest
            .get(1 + indicator1.len_utf8() + indicator2.len_utf8()..)
            .unwrap_or("");
        match parse_subfields(body) {
            Ok(subfields) if subfields.is_empty() => {
                error("a data field needs at least one subfield ($a ...)".into())
            }
            Ok(subfields) => {
                let mut field = DataField::new(tag, indicator1, indicator2);
                field.subfields = subfields;
                record.push_data(field);
            }
            Err(message) => error(message),
        }
    }
    if leader.is_some()
        && !record.fields("245").any(|f| f.subfield('a').is_some())
        && !record.is_authority()
    {
        errors.push(LineError {
            line: 1,
            tag: "245".into(),
            message: "a bibliographic record needs a title (245 $a)".into(),
        });
    }
    if errors.is_empty() {
        Ok(record)
    } else {
        Err(errors)
    }
}

fn parse_subfields(body: &str) -> Result<Vec<Subfield>, String> {
    let chars: Vec<(usize, char)> = body.char_indices().collect();
    let mut starts = Vec::new();
    for window in chars.windows(4) {
        if let [(at, ' '), (_, '$'), (_, code), (_, ' ')] = window
            && (code.is_ascii_lowercase() || code.is_ascii_digit())
        {
            starts.push((*at, *code));
        }
    }
    // A field ending in an empty subfield (`$a` with nothing after) has no trailing space.
    if let [.., (at, ' '), (_, '$'), (_, code)] = chars.as_slice()
        && (code.is_ascii_lowercase() || code.is_ascii_digit())
    {
        starts.push((*at, *code));
    }
    match starts.first() {
        Some((first, _))
            if body
                .get(..*first)
                .is_some_and(|lead| lead.trim().is_empty()) => {}
        Some(_) | None if body.trim().is_empty() => return Ok(Vec::new()),
        _ => {
            return Err(format!(
                "subfields must start with \" $\" and a letter or digit code (found {:?})",
                body.trim()
            ));
        }
    }
    let mut subfields = Vec::with_capacity(starts.len());
    for (index, (at, code)) in starts.iter().enumerate() {
        let value_start = (at + 4).min(body.len());
        let value_end = starts.get(index + 1).map_or(body.len(), |(next, _)| *next);
        let value = body.get(value_start..value_end).unwrap_or("");
        subfields.push(Subfield::new(*code, value));
    }
    Ok(subfields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_marc::to_line_format;

    const LEADER: &str = "00759cam a2200229 a 4500";

    #[test]
    fn line_format_round_trips() {
        let text = format!(
            "{LEADER}\n001 11939876\n008 960718s1996    nyu\n245 14 $a The amazing adventures : $b a novel / $c Michael Chabon.\n020    $a 0679450041 $c $25.00\n"
        );
        let record = parse_line_format(&text).unwrap();
        assert_eq!(to_line_format(&record), text);
        let isbn = record.field("020").unwrap();
        assert_eq!(isbn.subfield('c'), Some("$25.00"));
    }

    fn check(text: &str, expected: &[(usize, &str, &str)]) {
        let errors = parse_line_format(text).unwrap_err();
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.tag.as_str())).collect();
        let wanted: Vec<(usize, &str)> = expected.iter().map(|(l, t, _)| (*l, *t)).collect();
        assert_eq!(got, wanted, "{errors:?}");
        for (error, (_, _, words)) in errors.iter().zip(expected) {
            assert!(
                error.message.contains(words),
                "{error} should say {words:?}"
            );
        }
    }

    #[test]
    fn errors_name_the_line_and_tag() {
        check("short\n245 10 $a T", &[(1, "", "leader")]);
        check(
            &format!("{LEADER}\n24A 10 $a T\n2x 1"),
            &[(3, "2x ", "not a tag"), (1, "245", "title")],
        );
        check(
            &format!("{LEADER}\n245 1X $a T"),
            &[(2, "245", "indicators"), (1, "245", "title")],
        );
        check(
            &format!("{LEADER}\n245 10 $a T\n650  0 Cats"),
            &[(3, "650", "subfields")],
        );
        check(
            &format!("{LEADER}\n245 10 $a T\n500   "),
            &[(3, "500", "at least one subfield")],
        );
        check("", &[(1, "", "empty")]);
    }
}
