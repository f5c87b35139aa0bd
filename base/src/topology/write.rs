//! Writing a topology file: the one place that turns servers and links
//! into TOML, for the benchmarks and the tests that start real herds. The
//! text is serialized, never hand-built, so any name is quoted as TOML
//! needs, and it parses back to the same servers and links.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ServerSpec;

/// The part of a topology file every herd needs.
#[derive(Serialize)]
struct Written<'a> {
    links: Vec<[&'a str; 2]>,
    servers: &'a BTreeMap<String, ServerSpec>,
}

/// The `links` list and one `[servers.NAME]` table per server, followed
/// by `sections`: whole TOML tables (`[places]`, `[limits]`, ...) as text,
/// appended as given.
pub fn to_toml<N: AsRef<str>>(
    servers: &BTreeMap<String, ServerSpec>,
    links: &[(N, N)],
    sections: &str,
) -> String {
    let written = Written {
        links: links
            .iter()
            .map(|(a, b)| [a.as_ref(), b.as_ref()])
            .collect(),
        servers,
    };
    // Strings, socket addresses, lists and tables always serialize.
    let mut text = toml::to_string(&written).expect("a topology serializes to TOML");
    if !sections.is_empty() {
        text.push('\n');
        text.push_str(sections);
    }
    text
}

/// `text` with the TOML `extra` merged in table by table, so `extra` may
/// add keys to a table `text` already has (`[servers.NAME] clock_skew_ms`,
/// say); a key in both takes `extra`'s value. `None` if either is not TOML.
pub fn merge_toml(text: &str, extra: &str) -> Option<String> {
    fn merge(into: &mut toml::Table, from: toml::Table) {
        for (key, value) in from {
            match (into.get_mut(&key), value) {
                (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
                (_, value) => {
                    into.insert(key, value);
                }
            }
        }
    }
    let mut base: toml::Table = text.parse().ok()?;
    merge(&mut base, extra.parse().ok()?);
    toml::to_string(&base).ok()
}

#[cfg(test)]
mod tests {
    use super::super::Topology;
    use super::*;

    #[test]
    fn merged_toml_adds_keys_to_existing_tables() {
        let text = to_toml(&servers(&["A", "B"]), &[("A", "B")], "");
        let merged = merge_toml(
            &text,
            "[servers.A]\nclock_skew_ms = -5\n[clock]\nsync_interval_ms = 100\n",
        )
        .expect("both are TOML");
        let topology = Topology::parse(&merged).expect("still a topology");
        assert_eq!(topology.servers["A"].clock_skew_ms, Some(-5));
        assert_eq!(topology.servers["B"].clock_skew_ms, None);
        assert_eq!(topology.clock.sync_interval_ms, 100);
        assert_eq!(merge_toml(&text, "[servers"), None);
    }

    fn servers(names: &[&str]) -> BTreeMap<String, ServerSpec> {
        names
            .iter()
            .zip(20_000u16..)
            .map(|(name, port)| {
                let spec = ServerSpec::new(
                    ([127, 0, 0, 1], port).into(),
                    ([127, 0, 0, 1], port + 100).into(),
                );
                (name.to_string(), spec)
            })
            .collect()
    }

    #[test]
    fn written_text_parses_back_to_the_same_servers_and_links() {
        let specs = servers(&["Goloman", "Hands", "Holiday"]);
        let links = [("Goloman", "Hands"), ("Hands", "Holiday")];
        let text = to_toml(&specs, &links, "[limits]\nmax_line = 1000\n");
        let topology = Topology::parse(&text).unwrap();
        assert_eq!(topology.servers, specs);
        assert_eq!(
            topology.links,
            [
                ("Goloman".into(), "Hands".into()),
                ("Hands".into(), "Holiday".into())
            ]
        );
        assert_eq!(topology.limits.max_line, 1000);
    }

    #[test]
    fn a_server_alone_has_an_empty_link_list_and_odd_names_are_quoted() {
        let specs = servers(&["a.b"]);
        let text = to_toml::<&str>(&specs, &[], "");
        let topology = Topology::parse(&text).unwrap();
        assert!(topology.links.is_empty(), "{text}");
        assert_eq!(topology.servers["a.b"].addr.port(), 20_000, "{text}");
    }
}
