//! One server's metrics as Prometheus text: a registry per server, labelled
//! with the server's name, whose collector reads the server's state at each
//! scrape.
//!
//! | series | type | what |
//! |---|---|---|
//! | `herd_requests_total{verb,outcome}` | counter | client requests answered |
//! | `herd_reply_latency_seconds` | histogram | line read to reply written |
//! | `herd_connections_open` | gauge | client connections |
//! | `herd_clients_stored` | gauge | clients whose location is held |
//! | `herd_link_up{peer}` | gauge | 1 while the link to `peer` is up |
//! | `herd_link_queue_depth{peer}` | gauge | messages waiting on that link |
//! | `herd_link_dropped_total{peer}` | counter | messages a full link queue dropped |
//! | `herd_link_locations_sent_total{peer}` | counter | locations sent whole (`AT` lines) |
//! | `herd_antientropy_repairs_total{peer}` | counter | entries anti-entropy repaired |
//! | `herd_journal_fsync_seconds` | histogram | one batch's write and fsync |
//! | `herd_journal_records_total` | counter | records appended |
//! | `herd_journal_healthy` | gauge | 0 once the journal refuses writes |
//! | `herd_degraded` | gauge | 1 while STATUS says `degraded` |
//! | `herd_uptime_seconds` | gauge | since start |

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::peer::LinkView;
use crate::shared::Shared;

/// The `Content-Type` of what [`encode`] writes.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// A registry holding the metrics of the server that owns `shared`, every
/// series labelled `server="<name>"`.
pub fn registry(shared: Arc<Shared>) -> Registry {
    let label = (
        std::borrow::Cow::Borrowed("server"),
        std::borrow::Cow::Owned(shared.name.clone()),
    );
    let mut registry = Registry::with_labels(std::iter::once(label));
    registry.register_collector(Box::new(ServerCollector(shared)));
    registry
}

/// The registry's metrics in the Prometheus text format (0.0.4).
pub fn encode(registry: &Registry) -> String {
    let mut text = String::with_capacity(8 * 1024);
    prometheus_client::encoding::prometheus_text::encode(&mut text, registry)
        .expect("writing to a String cannot fail");
    text
}

/// Reads one server's state at each scrape.
#[derive(Debug)]
struct ServerCollector(Arc<Shared>);

impl Collector for ServerCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let shared = &*self.0;
        let metrics = &shared.metrics;
        let olympics = &shared.olympics;
        let mut requests = encoder.encode_descriptor(
            "herd_requests",
            "Client requests answered, by verb and outcome.",
            None,
            MetricType::Counter,
        )?;
        for (verb, outcome, n) in metrics.requests.cells() {
            let labels = [("verb", verb.as_str()), ("outcome", outcome.as_str())];
            requests
                .encode_family(&labels)?
                .encode_counter::<NoLabelSet, _, u64>(&n, None)?;
        }
        histogram(
            &mut encoder,
            "herd_reply_latency_seconds",
            "From the read that delivered a line to the end of the write that carried its reply.",
            &metrics.reply_latency,
        )?;
        let e = &mut encoder;
        let open = metrics.connections_open() as f64;
        scalar(
            e,
            "herd_connections_open",
            "Client connections open.",
            Gauge,
            open,
        )?;
        let clients = shared.db.len() as f64;
        let help = "Clients whose location this server holds.";
        scalar(e, "herd_clients_stored", help, Gauge, clients)?;
        let records = olympics.journal_stats().records as f64;
        let help = "Olympic journal records appended since start.";
        scalar(e, "herd_journal_records", help, Counter, records)?;
        let healthy = f64::from(u8::from(olympics.journal_failure().is_none()));
        let help = "1 while the Olympic journal accepts writes, 0 once it has failed.";
        scalar(e, "herd_journal_healthy", help, Gauge, healthy)?;
        let degraded = f64::from(u8::from(crate::status::of(shared).degraded));
        let help = "1 while a neighbour has been cut off longer than the threshold, or the journal has failed.";
        scalar(e, "herd_degraded", help, Gauge, degraded)?;
        let uptime = metrics.uptime().as_secs_f64();
        scalar(
            e,
            "herd_uptime_seconds",
            "Seconds since the server started.",
            Gauge,
            uptime,
        )?;
        histogram(
            e,
            "herd_journal_fsync_seconds",
            "Time to write and fsync one batch of the Olympic journal.",
            &shared.metrics.journal_fsync,
        )?;
        links(e, shared)
    }
}

/// Whether a series only grows or goes up and down.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
}
use Kind::{Counter, Gauge};

impl Kind {
    fn metric_type(self) -> MetricType {
        match self {
            Counter => MetricType::Counter,
            Gauge => MetricType::Gauge,
        }
    }

    /// Writes `value` as this kind of sample.
    fn write(self, metric: &mut MetricEncoder, value: f64) -> Result<(), std::fmt::Error> {
        match self {
            Counter => metric.encode_counter::<NoLabelSet, _, u64>(&(value as u64), None),
            Gauge => metric.encode_gauge(&value),
        }
    }
}

/// One series without labels.
fn scalar(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: Kind,
    value: f64,
) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, kind.metric_type())?;
    kind.write(&mut metric, value)
}

/// One series with a `peer` label, one sample per neighbour.
fn per_peer<'a>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: Kind,
    samples: impl Iterator<Item = (&'a str, u64)>,
) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, kind.metric_type())?;
    for (peer, value) in samples {
        let labels = [("peer", peer)];
        kind.write(&mut metric.encode_family(&labels)?, value as f64)?;
    }
    Ok(())
}

/// One histogram without labels.
fn histogram(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    values: &super::LatencyHistogram,
) -> Result<(), std::fmt::Error> {
    let metric = encoder.encode_descriptor(name, help, None, MetricType::Histogram)?;
    values.encode(metric)
}

/// The per-neighbour series.
fn links(encoder: &mut DescriptorEncoder, shared: &Shared) -> Result<(), std::fmt::Error> {
    let peers = &shared.peers;
    let views = peers.states().view();
    let named = |value: &dyn Fn(&LinkView) -> u64| -> Vec<(&str, u64)> {
        views.iter().map(|v| (v.peer.as_str(), value(v))).collect()
    };
    let up = named(&|v| u64::from(v.up));
    let help = "1 while the link to the neighbour is up.";
    per_peer(encoder, "herd_link_up", help, Gauge, up.into_iter())?;
    let depth = named(&|v| peers.queue_depth(&v.peer).unwrap_or(0) as u64);
    let help = "Messages waiting to be sent on the link.";
    per_peer(
        encoder,
        "herd_link_queue_depth",
        help,
        Gauge,
        depth.into_iter(),
    )?;
    let dropped = named(&|v| v.dropped_before + peers.stats(&v.peer).unwrap_or_default().dropped);
    let help = "Messages dropped because the link's queue was full.";
    per_peer(
        encoder,
        "herd_link_dropped",
        help,
        Counter,
        dropped.into_iter(),
    )?;
    let sent =
        named(&|v| v.locations_sent_before + peers.stats(&v.peer).unwrap_or_default().at_sent);
    let help = "Locations sent whole (AT lines: floods, grafts and repairs) on the link.";
    per_peer(
        encoder,
        "herd_link_locations_sent",
        help,
        Counter,
        sent.into_iter(),
    )?;
    let repairs = named(&|v| v.repairs);
    let help = "Entries anti-entropy found missing or stale and repaired on the link.";
    per_peer(
        encoder,
        "herd_antientropy_repairs",
        help,
        Counter,
        repairs.into_iter(),
    )
}
