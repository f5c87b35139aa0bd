//! The three kinds of medal.

use std::fmt;

/// A medal kind. Parsed case-insensitively, written in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Medal {
    /// First place.
    Gold,
    /// Second place.
    Silver,
    /// Third place.
    Bronze,
}

impl Medal {
    /// Every medal, in podium order.
    pub const ALL: [Medal; 3] = [Medal::Gold, Medal::Silver, Medal::Bronze];

    /// The medal named `name` (`gold`, `silver`, `bronze`, any case).
    pub fn parse(name: &str) -> Option<Medal> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }

    /// The lower-case name used on the wire and in replies.
    pub fn as_str(self) -> &'static str {
        match self {
            Medal::Gold => "gold",
            Medal::Silver => "silver",
            Medal::Bronze => "bronze",
        }
    }
}

impl fmt::Display for Medal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_any_case_and_print_in_lower_case() {
        assert_eq!(Medal::parse("GoLd"), Some(Medal::Gold));
        assert_eq!(Medal::parse("silver"), Some(Medal::Silver));
        assert_eq!(Medal::parse("BRONZE"), Some(Medal::Bronze));
        assert_eq!(Medal::parse("tin"), None);
        assert_eq!(Medal::parse(""), None);
        assert_eq!(Medal::Bronze.to_string(), "bronze");
    }
}
