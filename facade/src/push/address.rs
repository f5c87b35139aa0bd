//! Where a push goes: a tablet's push address (`host:port`, checked and
//! put in the one form that is its identity) and the URL of the GET that
//! brings it a score or a tally.

use reqwest::Url;

use crate::board::{Change, Item};
use crate::protocol::{Score, SetBy, Tally};

/// Checks a tablet's push address, `host:port` (a DNS name, an IPv4 address
/// or a bracketed IPv6 address, and a port from 1 to 65535), and returns it in
/// the form used as its identity.
pub fn parse_client_id(text: &str) -> Option<String> {
    let (host, port) = text.rsplit_once(':')?;
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty()
                && host.len() <= 253
                && host.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        }
    };
    host_ok.then(|| format!("{host}:{port}"))
}

/// `http://{client}/pushUpdate/{event}/{stamp}/{team}/{score}/{team}/{score}...`,
/// each variable percent-encoded as one path segment. `stamp` is the time
/// the score was set, or `-` if it never was.
pub fn push_url(client: &str, score: &Score) -> Option<Url> {
    let mut url = Url::parse(&format!("http://{client}/")).ok()?;
    {
        let mut path = url.path_segments_mut().ok()?;
        path.clear();
        path.push("pushUpdate");
        path.push(&score.event);
        path.push(&score.set.as_ref().map_or_else(|| "-".to_owned(), SetBy::at));
        for (team, points) in &score.scores {
            path.push(team);
            path.push(&points.to_string());
        }
    }
    Some(url)
}

/// `http://{client}/pushUpdate/medals/{team}/{gold}/{silver}/{bronze}/{stamp}`,
/// each variable one percent-encoded path segment. `stamp` is when the facade
/// saw the tally change (a tally has no time of its own).
pub fn medal_push_url(client: &str, tally: &Tally, stamp: &str) -> Option<Url> {
    let mut url = Url::parse(&format!("http://{client}/")).ok()?;
    {
        let mut path = url.path_segments_mut().ok()?;
        path.clear();
        path.extend(["pushUpdate", "medals", &tally.team]);
        for count in [tally.gold, tally.silver, tally.bronze] {
            path.push(&count.to_string());
        }
        path.push(stamp);
    }
    Some(url)
}

/// The push URL of `change` for `client`.
pub(super) fn change_url(client: &str, change: &Change) -> Option<Url> {
    match &change.item {
        Item::Score(score) => push_url(client, score),
        Item::Tally(tally) => medal_push_url(client, tally, &change.changed_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_host_and_port_only() {
        assert_eq!(
            parse_client_id("127.0.0.1:9000").as_deref(),
            Some("127.0.0.1:9000")
        );
        assert_eq!(
            parse_client_id("tablet-7.local:80").as_deref(),
            Some("tablet-7.local:80")
        );
        assert_eq!(parse_client_id("[::1]:8080").as_deref(), Some("[::1]:8080"));
        for bad in [
            "",
            "host",
            "host:",
            "host:0",
            "host:65536",
            ":80",
            "a b:80",
            "user@h:80",
            "h/x:80",
            "h:+80",
            "[zz]:80",
            "h..x:80",
            "h:80/path",
        ] {
            assert_eq!(parse_client_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn push_url_carries_event_stamp_and_every_team_score() {
        let score = Score {
            event: "curling".into(),
            scores: vec![("Gaul".into(), 3), ("Rome".into(), -2)],
            set: Some(SetBy {
                time_ns: 1_732_250_000_123_456_789,
                server: "Goloman".into(),
            }),
        };
        let url = push_url("127.0.0.1:9000", &score).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9000/pushUpdate/curling/1732250000.123456789/Gaul/3/Rome/-2"
        );
        let odd = Score {
            event: "ski jump".into(),
            scores: vec![("A/B".into(), 1)],
            set: None,
        };
        assert_eq!(
            push_url("h:1", &odd).unwrap().as_str(),
            "http://h:1/pushUpdate/ski%20jump/-/A%2FB/1"
        );
    }

    #[test]
    fn medal_push_url_carries_team_counts_and_stamp() {
        let tally = Tally {
            team: "Gaul".into(),
            gold: 2,
            silver: 0,
            bronze: 7,
        };
        let url = medal_push_url("127.0.0.1:9000", &tally, "1732250000.5").unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9000/pushUpdate/medals/Gaul/2/0/7/1732250000.5"
        );
    }
}
