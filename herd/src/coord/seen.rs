//! The flood's memory: every coordination line is forwarded once by every
//! server, so each remembers the lines it has seen (by hash) and drops a
//! line that comes round again. The memory is bounded: the oldest hashes
//! are forgotten first, long after their flood has ended.

use std::collections::{HashSet, VecDeque};

use proto::digest::line_hash;

/// Line hashes remembered; at the herd's few dozen coordination lines a
/// second this is minutes of history, far longer than any flood lasts.
pub const SEEN_CAPACITY: usize = 8192;

/// Hashes of the coordination lines seen lately.
#[derive(Debug, Default)]
pub struct Seen {
    /// The hashes, for lookup.
    set: HashSet<u64>,
    /// The same hashes, oldest first, for forgetting.
    order: VecDeque<u64>,
}

impl Seen {
    /// Remembers `line`; false if it was already seen (do not handle or
    /// forward it again).
    pub fn first_time(&mut self, line: &[u8]) -> bool {
        let hash = line_hash(line);
        if !self.set.insert(hash) {
            return false;
        }
        self.order.push_back(hash);
        if self.order.len() > SEEN_CAPACITY
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_passes_once_and_memory_stays_bounded() {
        let mut seen = Seen::default();
        assert!(seen.first_time(b"LEAD A 1 1"));
        assert!(!seen.first_time(b"LEAD A 1 1"));
        for i in 0..SEEN_CAPACITY + 10 {
            seen.first_time(format!("HERE B {i}").as_bytes());
        }
        assert!(seen.set.len() <= SEEN_CAPACITY && seen.order.len() <= SEEN_CAPACITY);
        assert!(
            seen.first_time(b"LEAD A 1 1"),
            "forgotten after the capacity"
        );
    }
}
