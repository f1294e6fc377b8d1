//! MARCXML writer: a `<collection>` streamed record by record to any `Write`.

use std::io::{self, Write};

use super::MARCXML_NAMESPACE;
use crate::record::{Field, Record};

/// Writes records into one `<collection xmlns="http://www.loc.gov/MARC21/slim">`.
///
/// Call [`MarcXmlWriter::finish`] to close the collection; dropping the writer leaves the
/// document unterminated, which a later reader reports as a syntax error rather than
/// silently accepting a cut-short export.
pub struct MarcXmlWriter<W: Write> {
    output: W,
}

impl<W: Write> MarcXmlWriter<W> {
    /// Starts the document and the collection.
    pub fn new(mut output: W) -> io::Result<MarcXmlWriter<W>> {
        writeln!(output, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(output, r#"<collection xmlns="{MARCXML_NAMESPACE}">"#)?;
        Ok(MarcXmlWriter { output })
    }

    /// Writes one record.
    pub fn write_record(&mut self, record: &Record) -> io::Result<()> {
        let mut text = String::new();
        push_record(&mut text, record, "");
        self.output.write_all(text.as_bytes())
    }

    /// Closes the collection and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        writeln!(self.output, "</collection>")?;
        self.output.flush()?;
        Ok(self.output)
    }
}

/// One record as a standalone MARCXML `<record>` element with the namespace declared.
pub fn to_marcxml(record: &Record) -> String {
    let mut text = String::new();
    push_record(
        &mut text,
        record,
        &format!(r#" xmlns="{MARCXML_NAMESPACE}""#),
    );
    text
}

fn push_record(text: &mut String, record: &Record, namespace_attribute: &str) {
    text.push_str("<record");
    text.push_str(namespace_attribute);
    text.push_str(">\n  <leader>");
    push_escaped(text, record.leader.as_str(), false);
    text.push_str("</leader>\n");
    for field in &record.fields {
        match field {
            Field::Control(control) => {
                text.push_str("  <controlfield tag=\"");
                text.push_str(control.tag.as_str());
                text.push_str("\">");
                push_escaped(text, &control.value, false);
                text.push_str("</controlfield>\n");
            }
            Field::Data(data) => {
                text.push_str("  <datafield tag=\"");
                text.push_str(data.tag.as_str());
                text.push_str("\" ind1=\"");
                push_escaped(text, data.indicator1.encode_utf8(&mut [0; 4]), true);
                text.push_str("\" ind2=\"");
                push_escaped(text, data.indicator2.encode_utf8(&mut [0; 4]), true);
                text.push_str("\">\n");
                for subfield in &data.subfields {
                    text.push_str("    <subfield code=\"");
                    push_escaped(text, subfield.code.encode_utf8(&mut [0; 4]), true);
                    text.push_str("\">");
                    push_escaped(text, &subfield.value, false);
                    text.push_str("</subfield>\n");
                }
                text.push_str("  </datafield>\n");
            }
        }
    }
    text.push_str("</record>\n");
}

/// Escapes markup characters. Carriage returns (and, in attributes, tabs and newlines)
/// are written as character references because XML parsers would otherwise normalise
/// them away. Characters XML 1.0 cannot carry at all (C0 controls, U+FFFE, U+FFFF) are
/// written as U+FFFD: such bytes come only from broken records, and the alternative is a
/// document no parser accepts.
fn push_escaped(text: &mut String, value: &str, attribute: bool) {
    for character in value.chars() {
        match character {
            '&' => text.push_str("&amp;"),
            '<' => text.push_str("&lt;"),
            '>' => text.push_str("&gt;"),
            '"' if attribute => text.push_str("&quot;"),
            '\r' => text.push_str("&#13;"),
            '\t' if attribute => text.push_str("&#9;"),
            '\n' if attribute => text.push_str("&#10;"),
            '\t' | '\n' => text.push(character),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => text.push('\u{fffd}'),
            _ => text.push(character),
        }
    }
}
