//! A summary of the location store that two servers compare to find what
//! one holds and the other lacks (anti-entropy), at a cost that stays small
//! when nothing differs.
//!
//! Every client falls in one of [`LEAVES`] leaves, chosen by a hash of its
//! ID that every server computes alike. A leaf's hash is the XOR of the
//! hashes of the `AT` lines stored in it; an inner node's hash is the XOR of
//! its children's. The tree has [`FANOUT`] children per node and three
//! levels under the root, so 16, 256 and 4,096 nodes. Equal hashes mean
//! (but for a 2⁻⁶⁴ accident) equal contents; a difference is found by
//! descending only where the hashes differ. XOR makes every update a
//! constant-time toggle of one node per level, whatever the store holds.
//!
//! Hashes are xxh3 (64-bit), fixed by its specification, so servers built
//! at different times still agree.

use std::sync::atomic::{AtomicU64, Ordering};

/// Children per node.
pub const FANOUT: usize = 16;

/// Levels below the root; the last holds the leaves.
pub const DEPTH: u8 = 3;

/// Number of leaves: [`FANOUT`] to the power [`DEPTH`].
pub const LEAVES: usize = FANOUT * FANOUT * FANOUT;

/// The hash that places a client in the store and in the tree.
pub fn client_hash(client: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(client)
}

/// The leaf of a client with hash `client_hash`. Taken from bits the hash
/// table does not use for its own placement (its low bits and top seven),
/// so the clients of one leaf still spread well in their leaf's table.
pub fn leaf_of(client_hash: u64) -> usize {
    ((client_hash >> 40) as usize) & (LEAVES - 1)
}

/// The hash one stored line contributes to its leaf.
pub fn line_hash(at_line: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(at_line)
}

/// A node of the tree: the root (depth 0), an inner node, or a leaf
/// (depth [`DEPTH`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    /// 0 for the root, [`DEPTH`] for a leaf.
    depth: u8,
    /// Index among the nodes of its depth.
    index: u16,
}

impl Node {
    /// The root, whose children are the first level.
    pub const ROOT: Node = Node { depth: 0, index: 0 };

    /// Leaf number `leaf` (below [`LEAVES`]).
    pub fn leaf(leaf: usize) -> Node {
        Node {
            depth: DEPTH,
            index: (leaf % LEAVES) as u16,
        }
    }

    /// True for a leaf.
    pub fn is_leaf(self) -> bool {
        self.depth == DEPTH
    }

    /// The leaf number, for a leaf.
    pub fn leaf_index(self) -> Option<usize> {
        self.is_leaf().then_some(usize::from(self.index))
    }

    /// Child `i` (below [`FANOUT`]) of an inner node.
    pub fn child(self, i: usize) -> Option<Node> {
        (!self.is_leaf() && i < FANOUT).then(|| Node {
            depth: self.depth + 1,
            index: self.index * FANOUT as u16 + i as u16,
        })
    }

    /// The text form: `-` for the root, else one lower-case hex digit per
    /// level (`a`, `a3`, `a3f`).
    pub fn write(self, out: &mut Vec<u8>) {
        if self.depth == 0 {
            out.push(b'-');
            return;
        }
        for level in (0..self.depth).rev() {
            let digit = (self.index >> (4 * level)) & 0xf;
            out.push(b"0123456789abcdef"[usize::from(digit)]);
        }
    }

    /// Reads the text form made by [`Node::write`].
    pub fn parse(text: &[u8]) -> Option<Node> {
        if text == b"-" {
            return Some(Node::ROOT);
        }
        if text.is_empty() || text.len() > usize::from(DEPTH) {
            return None;
        }
        let mut index: u16 = 0;
        for &b in text {
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                _ => return None,
            };
            index = index * 16 + u16::from(digit);
        }
        Some(Node {
            depth: text.len() as u8,
            index,
        })
    }
}

/// The hashes of every node but the root, updated concurrently: XOR
/// commutes, so toggles from many threads need no lock.
#[derive(Debug)]
pub struct DigestTree {
    /// `levels[d]` holds the nodes of depth `d + 1`.
    levels: [Box<[AtomicU64]>; DEPTH as usize],
}

impl Default for DigestTree {
    fn default() -> Self {
        let level = |n: usize| (0..n).map(|_| AtomicU64::new(0)).collect();
        Self {
            levels: [level(FANOUT), level(FANOUT * FANOUT), level(LEAVES)],
        }
    }
}

impl DigestTree {
    /// Adds or removes (the same thing, under XOR) a line of hash `hash` in
    /// leaf `leaf`.
    pub fn toggle(&self, leaf: usize, hash: u64) {
        let mut index = leaf % LEAVES;
        for level in self.levels.iter().rev() {
            level[index].fetch_xor(hash, Ordering::Relaxed);
            index /= FANOUT;
        }
    }

    /// The hash of `node` (the root's is the XOR of everything).
    pub fn hash(&self, node: Node) -> u64 {
        if node.depth == 0 {
            return self.levels[0]
                .iter()
                .fold(0, |acc, h| acc ^ h.load(Ordering::Relaxed));
        }
        self.levels[usize::from(node.depth) - 1][usize::from(node.index)].load(Ordering::Relaxed)
    }

    /// The hashes of the children of inner node `node`.
    pub fn children(&self, node: Node) -> [u64; FANOUT] {
        let mut out = [0; FANOUT];
        for (i, slot) in out.iter_mut().enumerate() {
            if let Some(child) = node.child(i) {
                *slot = self.hash(child);
            }
        }
        out
    }
}

/// Nodes in the whole tree, root and leaves included.
pub const NODES: usize = 1 + FANOUT + FANOUT * FANOUT + LEAVES;

/// Where the nodes of each depth start in the flat numbering of [`NODES`].
const DEPTH_START: [usize; DEPTH as usize + 1] = [0, 1, 1 + FANOUT, 1 + FANOUT + FANOUT * FANOUT];

impl Node {
    /// The node's number among all [`NODES`], root first, leaves last.
    fn flat(self) -> usize {
        DEPTH_START[usize::from(self.depth)] + usize::from(self.index)
    }

    /// The node numbered `flat` (below [`NODES`]).
    fn from_flat(flat: usize) -> Node {
        let depth = DEPTH_START
            .iter()
            .rposition(|&start| start <= flat)
            .unwrap_or(0);
        Node {
            depth: depth as u8,
            index: (flat - DEPTH_START[depth]) as u16,
        }
    }
}

/// A set of tree nodes, as a bitmap: bounded whatever is asked for, and a
/// node asked for twice is in it once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeSet {
    /// Bit `i % 64` of word `i / 64` is the node numbered `i`; empty until
    /// first used.
    words: Vec<u64>,
}

impl NodeSet {
    /// Adds `node`.
    pub fn insert(&mut self, node: Node) {
        let flat = node.flat();
        if self.words.is_empty() {
            self.words = vec![0; NODES.div_ceil(64)];
        }
        self.words[flat / 64] |= 1 << (flat % 64);
    }

    /// True when no node is in the set.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// Removes and returns the node with the smallest number (the root
    /// first, leaves last).
    pub fn pop(&mut self) -> Option<Node> {
        let (i, word) = self.words.iter_mut().enumerate().find(|(_, w)| **w != 0)?;
        let bit = word.trailing_zeros() as usize;
        *word &= *word - 1;
        Some(Node::from_flat(i * 64 + bit))
    }

    /// Moves every node of `self` into `into`, leaving `self` empty.
    pub fn move_into(&mut self, into: &mut NodeSet) {
        if self.is_empty() {
            return;
        }
        if into.words.is_empty() {
            into.words = vec![0; NODES.div_ceil(64)];
        }
        for (theirs, mine) in into.words.iter_mut().zip(&mut self.words) {
            *theirs |= std::mem::take(mine);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_round_trip_at_every_depth() {
        let mut nodes = vec![Node::ROOT];
        let mut at = Node::ROOT;
        for i in [10, 3, 15] {
            at = at.child(i).unwrap();
            nodes.push(at);
        }
        let names: Vec<String> = nodes
            .iter()
            .map(|n| {
                let mut out = Vec::new();
                n.write(&mut out);
                String::from_utf8(out).unwrap()
            })
            .collect();
        assert_eq!(names, ["-", "a", "a3", "a3f"]);
        for (node, name) in nodes.iter().zip(&names) {
            assert_eq!(Node::parse(name.as_bytes()), Some(*node));
        }
        assert_eq!(at.leaf_index(), Some(0xa3f));
        assert_eq!(at.child(0), None, "a leaf has no children");
        for bad in [&b""[..], b"a3f0", b"G", b"--", b"A"] {
            assert_eq!(Node::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_node_name_is_distinct_and_reads_back_as_its_node() {
        let mut nodes = vec![Node::ROOT];
        let mut level = vec![Node::ROOT];
        for _ in 0..DEPTH {
            level = level
                .iter()
                .flat_map(|n| (0..FANOUT).map(|i| n.child(i).unwrap()))
                .collect();
            nodes.extend(&level);
        }
        assert_eq!(nodes.len(), NODES);
        let mut names = std::collections::HashSet::new();
        for node in nodes {
            let mut name = Vec::new();
            node.write(&mut name);
            assert_eq!(Node::parse(&name), Some(node), "{name:?}");
            assert!(names.insert(name), "{node:?} shares its name");
        }
    }

    #[test]
    fn toggling_twice_restores_every_level_and_only_the_path_changes() {
        let tree = DigestTree::default();
        tree.toggle(0xa3f, 0xdead_beef);
        let leaf = Node::leaf(0xa3f);
        assert_eq!(tree.hash(leaf), 0xdead_beef);
        assert_eq!(tree.hash(Node::ROOT), 0xdead_beef);
        let first = tree.children(Node::ROOT);
        assert_eq!(first.iter().filter(|&&h| h != 0).count(), 1);
        assert_eq!(first[0xa], 0xdead_beef);
        assert_eq!(
            tree.children(Node::ROOT.child(0xa).unwrap())[3],
            0xdead_beef
        );
        tree.toggle(0xa3f, 0xdead_beef);
        assert_eq!(tree.hash(Node::ROOT), 0);
        assert_eq!(tree.hash(leaf), 0);
    }

    #[test]
    fn a_node_set_pops_each_node_once_root_first_leaves_last() {
        let mut set = NodeSet::default();
        assert!(set.is_empty());
        let inner = Node::ROOT.child(15).unwrap().child(15).unwrap();
        for node in [
            Node::leaf(4095),
            Node::leaf(3),
            inner,
            Node::leaf(3),
            Node::ROOT,
        ] {
            set.insert(node);
        }
        let mut into = NodeSet::default();
        into.insert(Node::leaf(64));
        set.move_into(&mut into);
        assert!(set.is_empty());
        let popped: Vec<Node> = std::iter::from_fn(|| into.pop()).collect();
        let want = [
            Node::ROOT,
            inner,
            Node::leaf(3),
            Node::leaf(64),
            Node::leaf(4095),
        ];
        assert_eq!(popped, want);
        assert!(into.is_empty());
    }

    #[test]
    fn leaves_spread_over_the_whole_range() {
        let mut seen = vec![false; LEAVES];
        for i in 0..100_000u32 {
            seen[leaf_of(client_hash(format!("client{i}").as_bytes()))] = true;
        }
        assert!(seen.iter().all(|&s| s), "every leaf gets clients");
    }
}
