//! Reading a herd server's counters from its Prometheus endpoint
//! (`GET /metrics`, served where the topology's `[metrics] listen` says).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

/// The counter of locations sent whole on a link, one series per neighbour.
pub const LOCATIONS_SENT: &str = "herd_link_locations_sent_total";

/// How long a scrape may take.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);

/// The sum of every series of `counter` (all label sets) at `addr`.
pub async fn scrape_total(addr: SocketAddr, counter: &str) -> anyhow::Result<u64> {
    let url = format!("http://{addr}/metrics");
    let text = reqwest::Client::new()
        .get(&url)
        .timeout(SCRAPE_TIMEOUT)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("scraping {url}"))?
        .text()
        .await
        .with_context(|| format!("reading {url}"))?;
    sum_of(&text, counter).with_context(|| format!("{url} has no {counter}"))
}

/// The sum of the samples of `counter` in Prometheus text, if it has any.
fn sum_of(text: &str, counter: &str) -> Option<u64> {
    let samples: Vec<f64> = (text.lines())
        .filter(|line| {
            line.strip_prefix(counter)
                .is_some_and(|rest| rest.starts_with(['{', ' ']))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse().ok())
        .collect();
    // Counters are whole numbers well inside f64's exact range.
    (!samples.is_empty()).then(|| samples.iter().sum::<f64>() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_set_of_the_counter_is_summed_and_no_other_series() {
        let text = "# HELP herd_link_locations_sent Locations.\n\
                    # TYPE herd_link_locations_sent counter\n\
                    herd_link_locations_sent_total{server=\"A\",peer=\"B\"} 7\n\
                    herd_link_locations_sent_total{server=\"A\",peer=\"C\"} 5\n\
                    herd_link_locations_sent_total_extra 100\n\
                    herd_link_dropped_total{peer=\"B\"} 3\n";
        assert_eq!(sum_of(text, LOCATIONS_SENT), Some(12));
        assert_eq!(sum_of("herd_up 1\n", LOCATIONS_SENT), None);
    }
}
