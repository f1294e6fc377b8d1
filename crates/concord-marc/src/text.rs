//! A record as human-readable tagged text, in yaz-marcdump's line format
//! (`245 10 $a Title / $c author.`), for the cataloguer's MARC view and for logs.

use crate::record::{Field, Record};

/// The record in yaz's line format: the leader, then one line per field. Control fields
/// are `TAG value`; data fields are `TAG`, the two indicators, then ` $code value` per
/// subfield. Every line ends with a newline.
pub fn to_line_format(record: &Record) -> String {
    let mut text = String::new();
    text.push_str(record.leader.as_str());
    text.push('\n');
    for field in &record.fields {
        text.push_str(&field_line(field));
        text.push('\n');
    }
    text
}

/// The record in line format for people to read, as the MARC views show it: like
/// [`to_line_format`], but each control character inside the leader or a value is shown as its
/// Unicode control picture (`␟` for a subfield delimiter stuck in a control field, `␊` for a
/// line break, `␉` for a tab), and C1 controls as U+FFFD. Every field is then one line, and
/// the text holds no character that HTML forbids in a page.
pub fn to_readable_line_format(record: &Record) -> String {
    let mut text = String::new();
    push_readable(&mut text, record.leader.as_str());
    text.push('\n');
    for field in &record.fields {
        push_readable(&mut text, &field_line(field));
        text.push('\n');
    }
    text
}

fn push_readable(text: &mut String, value: &str) {
    for character in value.chars() {
        text.push(match character {
            '\u{0}'..='\u{1f}' => {
                char::from_u32(0x2400 + u32::from(character)).unwrap_or('\u{fffd}')
            }
            '\u{7f}' => '\u{2421}',
            other if other.is_control() => '\u{fffd}',
            other => other,
        });
    }
}

/// One field in line format, without the newline.
pub fn field_line(field: &Field) -> String {
    match field {
        Field::Control(control) => format!("{} {}", control.tag, control.value),
        Field::Data(data) => {
            let mut line = format!("{} {}{}", data.tag, data.indicator1, data.indicator2);
            for subfield in &data.subfields {
                line.push_str(" $");
                line.push(subfield.code);
                line.push(' ');
                line.push_str(&subfield.value);
            }
            line
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{DataField, Leader, Tag};

    #[test]
    fn writes_yaz_line_format() {
        let mut record = Record::new(Leader::parse("00759cam a2200229 a 4500").unwrap());
        record.push_control(Tag::parse("001").unwrap(), "11939876");
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '1', '4')
                .with_subfield('a', "The amazing adventures of Kavalier and Clay :")
                .with_subfield('b', "a novel /")
                .with_subfield('c', "Michael Chabon."),
        );
        record.push_data(
            DataField::new(Tag::parse("020").unwrap(), ' ', ' ').with_subfield('a', "0679450041"),
        );
        assert_eq!(
            to_line_format(&record),
            "00759cam a2200229 a 4500\n\
             001 11939876\n\
             245 14 $a The amazing adventures of Kavalier and Clay : $b a novel / $c Michael Chabon.\n\
             020    $a 0679450041\n"
        );
    }

    #[test]
    fn readable_line_format_shows_control_characters_without_breaking_lines() {
        let mut record = Record::new(Leader::parse("00759cam a2200229 a 4500").unwrap());
        record.push_control(Tag::parse("001").unwrap(), "00\u{1f}a9 181\u{1f}b71");
        record.push_data(
            DataField::new(Tag::parse("245").unwrap(), '1', '0')
                .with_subfield('a', "Two\nlines\tand \u{88}L'\u{89}altra \u{7f}"),
        );
        assert_eq!(
            to_readable_line_format(&record),
            "00759cam a2200229 a 4500\n\
             001 00\u{241f}a9 181\u{241f}b71\n\
             245 10 $a Two\u{240a}lines\u{2409}and \u{fffd}L'\u{fffd}altra \u{2421}\n"
        );
        // Text without control characters reads as the plain line format.
        record.fields.truncate(0);
        record.push_control(Tag::parse("001").unwrap(), "plain");
        assert_eq!(to_readable_line_format(&record), to_line_format(&record));
    }
}
