//! The one summary `herd up` prints once everything serves: each server
//! with its client and peer ports, the facade, where the logs go, and the
//! insecure defaults in use (once for the herd, not once per server).

use std::collections::BTreeMap;
use std::path::Path;

use base::topology::Topology;

/// Prints the summary. `servers` maps each server to the addresses it
/// reported (`<client> <peer>`); `facade` is the facade's ready line.
pub(super) fn print(
    topology: &Topology,
    servers: &BTreeMap<String, String>,
    facade: Option<&str>,
    log_dir: &Path,
) {
    let mut out = format!(
        "herd up: {} servers running ({} places), logs in {}\n",
        servers.len(),
        topology.places.provider.as_str(),
        log_dir.display()
    );
    for (name, reported) in servers {
        let mut addrs = reported.split_whitespace();
        let (client, peer) = (addrs.next().unwrap_or("?"), addrs.next().unwrap_or("?"));
        out.push_str(&format!("  {name:<10} clients {client:<21} links {peer}\n"));
    }
    if let Some(facade) = facade {
        let listen = facade.split_whitespace().next().unwrap_or("?");
        out.push_str(&format!("  {:<10} {listen}\n", "facade"));
    }
    let insecure = crate::supervision::insecure(&topology.security);
    if !insecure.is_empty() {
        out.push_str("insecure defaults in use (fine on one machine, not beyond it):\n");
        for item in insecure {
            out.push_str(&format!("  - {item}\n"));
        }
    }
    out.push_str("Ctrl-C stops them all.");
    println!("{out}");
}
