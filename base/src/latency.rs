//! The latency buckets every service of the herd reports in, so a herd
//! server's and a facade's histograms line up on one dashboard.

/// Upper bounds of the buckets, in nanoseconds: 25 µs to 5 s, roughly
/// 1-2.5-5 per decade. Slower observations land in the `+Inf` bucket.
pub const LATENCY_BOUNDS_NS: [u64; 17] = [
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
];

/// Nanoseconds per second, for the export in seconds.
const NANOS_PER_SEC: f64 = 1e9;

/// The bucket bounds in seconds, as Prometheus shows them.
pub fn latency_bounds_secs() -> impl Iterator<Item = f64> {
    LATENCY_BOUNDS_NS
        .iter()
        .map(|&ns| ns as f64 / NANOS_PER_SEC)
}
