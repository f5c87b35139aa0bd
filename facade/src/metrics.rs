//! The facade's Prometheus metrics, served at `GET /metrics`: HTTP requests
//! by route, method and status with their latency, and herd requests by
//! verb and outcome with theirs. One registry per facade (no global state),
//! so tests can run several in one process.
//!
//! | series | type | what |
//! |---|---|---|
//! | `facade_http_requests_total{route,method,status}` | counter | HTTP requests answered |
//! | `facade_http_request_seconds` | histogram | from request to response head |
//! | `facade_herd_requests_total{verb,outcome}` | counter | herd commands sent |
//! | `facade_herd_request_seconds` | histogram | from send to reply line |
//! | `facade_herd_attached{server}` | gauge | 1 for the herd server requests go to |
//!
//! Labels stay few: `route` is the route template (`/getScore/{event_type}`,
//! or `unmatched`), `method` one of five values, `status` a status code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::herd_link::LinkError;
use crate::protocol::Reply;
use crate::servers::Servers;

/// The `Content-Type` of what [`FacadeMetrics::encode`] writes.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Route label of a request that matched no route.
const UNMATCHED: &str = "unmatched";

/// Labels of one HTTP series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    method: &'static str,
    status: u16,
}

/// Labels of one herd series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct HerdLabels {
    verb: &'static str,
    outcome: &'static str,
}

/// The facade's metrics and the registry that shows them.
#[derive(Debug)]
pub struct FacadeMetrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_seconds: Histogram,
    herd_requests: Family<HerdLabels, Counter>,
    herd_seconds: Histogram,
}

impl FacadeMetrics {
    /// Empty metrics; `servers` is read at each scrape for which herd
    /// server the facade is attached to.
    pub fn new(servers: Arc<Servers>) -> Self {
        let mut registry = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_seconds = latency_histogram();
        let herd_requests = Family::<HerdLabels, Counter>::default();
        let herd_seconds = latency_histogram();
        registry.register(
            "facade_http_requests",
            "HTTP requests answered, by route template, method and status.",
            http_requests.clone(),
        );
        registry.register(
            "facade_http_request_seconds",
            "Time from an HTTP request to its response head.",
            http_seconds.clone(),
        );
        registry.register(
            "facade_herd_requests",
            "Herd commands sent, by verb and outcome.",
            herd_requests.clone(),
        );
        registry.register(
            "facade_herd_request_seconds",
            "Time from sending a herd command to its reply line (or failure).",
            herd_seconds.clone(),
        );
        registry.register_collector(Box::new(Attached(servers)));
        Self {
            registry,
            http_requests,
            http_seconds,
            herd_requests,
            herd_seconds,
        }
    }

    /// Counts one HTTP request.
    pub fn http(&self, route: Option<&str>, method: &Method, status: u16, took: Duration) {
        let labels = HttpLabels {
            route: route.unwrap_or(UNMATCHED).to_owned(),
            method: method_label(method),
            status,
        };
        self.http_requests.get_or_create(&labels).inc();
        self.http_seconds.observe(took.as_secs_f64());
    }

    /// Counts one herd command and how it ended.
    pub fn herd(&self, verb: &'static str, result: &Result<Reply, LinkError>, took: Duration) {
        let labels = HerdLabels {
            verb,
            outcome: herd_outcome(result),
        };
        self.herd_requests.get_or_create(&labels).inc();
        self.herd_seconds.observe(took.as_secs_f64());
    }

    /// Every series in the Prometheus text format (0.0.4).
    pub fn encode(&self) -> String {
        let mut text = String::with_capacity(4 * 1024);
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

/// A histogram over the herd's latency buckets, in seconds.
fn latency_histogram() -> Histogram {
    Histogram::new(base::latency::latency_bounds_secs())
}

/// A bounded label for any method.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::HEAD => "HEAD",
        _ => "other",
    }
}

/// How a herd command ended, as a label.
fn herd_outcome(result: &Result<Reply, LinkError>) -> &'static str {
    match result {
        Ok(Reply::Invalid) => "invalid",
        Ok(Reply::Denied) => "denied",
        Ok(Reply::Failed) => "failed",
        Ok(Reply::Unexpected) => "unexpected",
        Ok(_) => "ok",
        Err(LinkError::Unreachable) => "unreachable",
        Err(LinkError::Timeout) => "timeout",
        Err(LinkError::Lost) => "lost",
        Err(LinkError::Unexpected) => "unexpected",
        Err(LinkError::Unsendable) => "unsendable",
    }
}

/// `facade_herd_attached{server}`, read from the server list at each scrape.
#[derive(Debug)]
struct Attached(Arc<Servers>);

impl Collector for Attached {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let servers = &self.0;
        let current = servers.current();
        let gauge = ConstGauge::new(0i64);
        let mut metric = encoder.encode_descriptor(
            "facade_herd_attached",
            "1 for the herd server the facade sends requests to, 0 for the others.",
            None,
            gauge.metric_type(),
        )?;
        for (index, addr) in servers.addrs().iter().enumerate() {
            let labels = [("server", addr.as_str())];
            ConstGauge::new(i64::from(index == current)).encode(metric.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

/// Middleware: counts and times each request.
pub async fn track(
    State(metrics): State<Arc<FacadeMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    metrics.http(
        route.as_ref().map(MatchedPath::as_str),
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_under_bounded_labels() {
        let servers = Arc::new(Servers::new(vec![
            "127.0.0.1:1".into(),
            "127.0.0.1:2".into(),
        ]));
        let metrics = FacadeMetrics::new(servers);
        let odd = Method::from_bytes(b"BREW").unwrap();
        metrics.http(None, &odd, 404, Duration::from_millis(1));
        metrics.http(
            Some("/getScore/{event_type}"),
            &Method::GET,
            200,
            Duration::ZERO,
        );
        metrics.herd("MEDAL", &Ok(Reply::Denied), Duration::ZERO);
        metrics.herd("TALLY", &Err(LinkError::Unreachable), Duration::ZERO);
        let text = metrics.encode();
        for line in [
            "facade_http_requests_total{route=\"unmatched\",method=\"other\",status=\"404\"} 1",
            "facade_http_requests_total{route=\"/getScore/{event_type}\",method=\"GET\",status=\"200\"} 1",
            "facade_herd_requests_total{verb=\"MEDAL\",outcome=\"denied\"} 1",
            "facade_herd_requests_total{verb=\"TALLY\",outcome=\"unreachable\"} 1",
            "facade_http_request_seconds_count 2",
            "facade_herd_attached{server=\"127.0.0.1:1\"} 1",
            "facade_herd_attached{server=\"127.0.0.1:2\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
        }
    }
}
