//! Tests of topology parsing and validation.

use super::*;

const FIVE: &str = r#"
links = [["Goloman","Hands"], ["Goloman","Holiday"], ["Goloman","Wilkes"],
     ["Hands","Wilkes"], ["Holiday","Welsh"], ["Holiday","Wilkes"]]
[servers.Goloman]
addr = "127.0.0.1:12000"
peer_addr = "127.0.0.1:12100"
[servers.Hands]
addr = "127.0.0.1:12001"
peer_addr = "127.0.0.1:12101"
[servers.Holiday]
addr = "127.0.0.1:12002"
peer_addr = "127.0.0.1:12102"
[servers.Welsh]
addr = "127.0.0.1:12003"
peer_addr = "127.0.0.1:12103"
[servers.Wilkes]
addr = "127.0.0.1:12004"
peer_addr = "127.0.0.1:12104"
"#;

#[test]
fn five_server_topology_has_expected_neighbours() {
    let t = Topology::parse(FIVE).unwrap();
    assert_eq!(t.neighbours("Goloman"), ["Hands", "Holiday", "Wilkes"]);
    assert_eq!(t.neighbours("Welsh"), ["Holiday"]);
    assert_eq!(t.places.provider, ProviderKind::Local);
    assert_eq!(t.limits.max_line, 64 * 1024);
}

#[test]
fn link_to_unknown_server_is_named() {
    let text = FIVE.replace(r#"["Holiday","Welsh"]"#, r#"["Holiday","Nobody"]"#);
    let err = Topology::parse(&text).unwrap_err().to_string();
    assert!(err.contains("\"Nobody\""), "{err}");
}

#[test]
fn self_link_is_rejected() {
    let text = FIVE.replace(r#"["Hands","Wilkes"]"#, r#"["Hands","Hands"]"#);
    let err = Topology::parse(&text).unwrap_err();
    assert!(
        matches!(err, TopologyError::SelfLink(ref n) if n == "Hands"),
        "{err}"
    );
}

#[test]
fn duplicate_address_is_rejected() {
    let text = FIVE.replace("127.0.0.1:12104", "127.0.0.1:12000");
    let err = Topology::parse(&text).unwrap_err().to_string();
    assert!(err.contains("127.0.0.1:12000"), "{err}");
    assert!(err.contains("Goloman.addr"), "{err}");
}

#[test]
fn names_that_would_not_fit_a_peer_line_are_rejected() {
    let long = "W".repeat(MAX_SERVER_NAME_LEN + 1);
    let text = FIVE.replace("Welsh", &long);
    let err = Topology::parse(&text).unwrap_err();
    assert!(
        matches!(err, TopologyError::BadName(ref n) if *n == long),
        "{err}"
    );
    let text = format!("{FIVE}\n[limits]\nmax_line = 100\nmax_client_id = 87\n");
    assert_eq!(Topology::parse(&text).unwrap().limits.peer_max_line(), 356);
    let text = format!("{FIVE}\n[limits]\nmax_line = 100\nmax_client_id = 88\n");
    assert!(Topology::parse(&text).is_err());
}

#[test]
fn unknown_server_lists_known_ones() {
    let t = Topology::parse(FIVE).unwrap();
    let err = t.server("Nope").unwrap_err().to_string();
    assert!(err.contains("Goloman, Hands"), "{err}");
}

#[test]
fn malformed_file_is_one_line() {
    let err = Topology::parse("links = [").unwrap_err().to_string();
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn metrics_listeners_are_opt_in_per_server() {
    let text = format!("{FIVE}\n[metrics]\nlisten = {{ Goloman = \"127.0.0.1:9100\" }}\n");
    let t = Topology::parse(&text).unwrap();
    assert_eq!(
        t.metrics.listen_of("Goloman"),
        Some("127.0.0.1:9100".parse().unwrap())
    );
    assert_eq!(t.metrics.listen_of("Hands"), None);
    assert_eq!(t.limits.degraded_after_secs, 10);
}

#[test]
fn metrics_listener_of_an_unknown_server_or_on_a_used_address_is_rejected() {
    let unknown = format!("{FIVE}\n[metrics]\nlisten = {{ Nobody = \"127.0.0.1:9100\" }}\n");
    let err = Topology::parse(&unknown).unwrap_err();
    assert!(
        matches!(err, TopologyError::MetricsForUnknown(ref n) if n == "Nobody"),
        "{err}"
    );
    let clash = format!("{FIVE}\n[metrics]\nlisten = {{ Hands = \"127.0.0.1:12000\" }}\n");
    let err = Topology::parse(&clash).unwrap_err().to_string();
    assert!(err.contains("Hands.metrics"), "{err}");
}

#[test]
fn zero_timeouts_and_a_ping_interval_past_the_idle_timeout_are_rejected() {
    for (limits, field) in [
        ("line_timeout_secs = 0", "limits.line_timeout_secs"),
        ("idle_timeout_secs = 0", "limits.idle_timeout_secs"),
        (
            "idle_timeout_secs = 30\nping_interval_secs = 30",
            "limits.ping_interval_secs",
        ),
        ("max_per_source = 0", "limits.max_per_source"),
    ] {
        let text = format!("{FIVE}\n[limits]\n{limits}\n");
        let err = Topology::parse(&text).unwrap_err().to_string();
        assert!(err.starts_with(field), "{limits}: {err}");
    }
}

#[test]
fn provider_names_parse() {
    assert_eq!("google-new".parse(), Ok(ProviderKind::GoogleNew));
    let text = format!("{FIVE}\n[places]\nprovider = \"google\"\n");
    assert_eq!(
        Topology::parse(&text).unwrap().places.provider,
        ProviderKind::Google
    );
}
