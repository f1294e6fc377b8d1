//! MARCXML (the MARC21 slim schema): a streaming reader and a streaming writer.

mod reader;
#[cfg(test)]
mod reference;
mod writer;

pub use reader::{MarcXmlReader, read_marcxml, read_marcxml_from};
pub use writer::{MarcXmlWriter, to_marcxml};

/// The MARC21 slim namespace.
pub const MARCXML_NAMESPACE: &str = "http://www.loc.gov/MARC21/slim";
