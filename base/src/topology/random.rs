//! Random herd shapes for simulations and benchmarks: a connected graph of
//! `n` servers with a given average degree, the same for the same seed.
//!
//! Built as a random spanning tree (each server joins one already placed,
//! so the graph is connected), then random extra links until the average
//! degree is reached.

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A server name for index `i` of `n`: `S` and zero-padded digits, so names
/// sort in index order.
pub fn server_name(i: usize, n: usize) -> String {
    let width = n.saturating_sub(1).to_string().len();
    format!("S{i:0width$}")
}

/// The links of a connected random graph of `n` servers (indices), each
/// link once with the smaller index first, about `n × degree / 2` of them
/// (at most every pair).
pub fn random_links(n: usize, degree: f64, seed: u64) -> Vec<(usize, usize)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut links = BTreeSet::new();
    for i in 1..n {
        links.insert((rng.random_range(0..i), i));
    }
    let pairs = n * n.saturating_sub(1) / 2;
    let want = ((n as f64 * degree / 2.0).round() as usize).clamp(n.saturating_sub(1), pairs);
    while links.len() < want {
        let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
        if a != b {
            links.insert((a.min(b), a.max(b)));
        }
    }
    links.into_iter().collect()
}

/// Whether `links` join all `n` servers into one piece.
pub fn connected(n: usize, links: &[(usize, usize)]) -> bool {
    let mut reached = vec![false; n];
    let mut stack = vec![0];
    while let Some(at) = stack.pop() {
        if n == 0 || reached[at] {
            continue;
        }
        reached[at] = true;
        for &(a, b) in links {
            if a == at && !reached[b] {
                stack.push(b);
            } else if b == at && !reached[a] {
                stack.push(a);
            }
        }
    }
    reached.iter().all(|&r| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphs_are_connected_have_the_degree_asked_and_follow_the_seed() {
        for seed in 0..20 {
            let links = random_links(50, 4.0, seed);
            assert_eq!(links.len(), 100);
            assert!(connected(50, &links));
            assert!(links.iter().all(|&(a, b)| a < b && b < 50));
            assert_eq!(links, random_links(50, 4.0, seed));
        }
        assert_ne!(random_links(50, 4.0, 1), random_links(50, 4.0, 2));
        assert_eq!(random_links(4, 10.0, 0).len(), 6, "at most every pair");
        assert_eq!(random_links(1, 4.0, 0), []);
    }

    #[test]
    fn a_graph_cut_in_two_is_not_connected() {
        assert!(connected(3, &[(0, 1), (1, 2)]));
        assert!(!connected(3, &[(0, 1)]));
        assert!(!connected(4, &[(0, 1), (2, 3)]));
    }

    #[test]
    fn names_sort_in_index_order() {
        assert_eq!(server_name(7, 50), "S07");
        assert_eq!(server_name(49, 50), "S49");
        assert_eq!(server_name(3, 5), "S3");
    }
}
