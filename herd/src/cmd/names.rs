//! `TEAMS` and `EVENTS`: the configured names, so clients (the REST facade)
//! can tell an unknown name from a malformed request.

use bytes::Bytes;

use crate::shared::Shared;

/// Which list to give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// `TEAMS`
    Teams,
    /// `EVENTS`
    Events,
}

impl Names {
    /// `TEAMS <team> ...` or `EVENTS <event> ...`, in configured order.
    pub fn apply(self, shared: &Shared) -> Bytes {
        let (verb, names) = match self {
            Names::Teams => ("TEAMS", shared.olympics.teams()),
            Names::Events => ("EVENTS", shared.olympics.events()),
        };
        let mut line = String::from(verb);
        for name in names {
            line.push(' ');
            line.push_str(name);
        }
        line.push('\n');
        Bytes::from(line)
    }
}
