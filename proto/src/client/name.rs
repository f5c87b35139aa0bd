//! A team or event name as a command carries it: one field of UTF-8 text,
//! spelled as the client spelled it (the server matches names ignoring
//! case and answers in its configured spelling).

use std::fmt;

use crate::fields::is_field;

/// A name that is one field, so writing it cannot split or end a line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(String);

impl Name {
    /// `text` as a name; `None` unless it is one field.
    pub fn new(text: &str) -> Option<Self> {
        is_field(text.as_bytes()).then(|| Self(text.to_owned()))
    }

    /// A field of a parsed line as a name; `None` unless it is UTF-8.
    pub fn parse(field: &[u8]) -> Option<Self> {
        Self::new(std::str::from_utf8(field).ok()?)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
