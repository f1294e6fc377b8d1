//! Percent-encoding (RFC 3986) of the values an address carries: a search's parameters, an
//! OpenURL's keys.

/// `value` with every byte but RFC 3986's unreserved characters (letters, digits, `-`, `_`,
/// `.`, `~`) written as `%XX` of its UTF-8, so that it can stand anywhere in a path or query.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_stand_as_themselves() {
        assert_eq!(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(
            percent_encode("Müller & Co/1"),
            "M%C3%BCller%20%26%20Co%2F1"
        );
    }
}
