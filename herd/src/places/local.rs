//! The `local` provider: answers WHATSAT offline from the embedded GeoNames
//! places ([`dataset`](super::dataset)), through a one-degree [`Grid`].
//!
//! **Ranking.** Places within the radius (haversine distance from the centre)
//! are ranked by population, largest first, with ties broken by distance
//! (and any remaining tie by the data line, only to keep the order
//! repeatable). Google's legacy Nearby Search ranks by *prominence*
//! unless asked otherwise, and for towns and cities population is the
//! nearest honest stand-in: a 10 km WHATSAT at UCLA should name Beverly Hills
//! and Santa Monica before the smallest neighbourhood that happens to be
//! closest.
//!
//! Each hit is rendered as a legacy result with only what the data really
//! has: `geometry.location`, `name`, `place_id` (`geonames:ID`), `types`
//! (`locality`, `political`, as Google types a town) and `vicinity`.

use std::str::FromStr;
use std::sync::OnceLock;

use serde_json::{Number, Value, json};

use super::dataset::{Dataset, Place, Row};
use super::geo::{extent, haversine_km};
use super::grid::Grid;
use super::legacy;
use proto::coords::Coords;

/// The Google place types given to every GeoNames populated place.
const TYPES: [&str; 2] = ["locality", "political"];

/// The parsed data and its index, built once per process and shared by every
/// [`Local`] (tests build many).
static INDEX: OnceLock<Index> = OnceLock::new();

/// The places, indexed, with the names used for `vicinity`.
struct Index {
    /// Every place, by cell.
    grid: Grid<Place>,
    /// Country and state names; the places have moved into `grid`.
    data: Dataset,
}

fn index() -> &'static Index {
    INDEX.get_or_init(|| {
        let mut data = Dataset::embedded();
        for bad in &data.skipped {
            tracing::warn!(error = %bad, "skipped a line of the embedded place data");
        }
        let places = std::mem::take(&mut data.places);
        let grid = Grid::build(places, |p| Coords {
            lat: p.lat,
            lng: p.lng,
        });
        Index { grid, data }
    })
}

/// The offline provider. Cheap to construct once the data is loaded.
pub struct Local {
    /// The shared index.
    index: &'static Index,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The derived form would print all 170,000 places.
        f.debug_struct("Local")
            .field("places", &self.index.grid.len())
            .finish()
    }
}

impl Local {
    /// Loads (on first use in the process) and indexes the embedded data, so
    /// that the first WHATSAT is as fast as the rest.
    pub fn new() -> Self {
        Self { index: index() }
    }

    /// Legacy Nearby Search JSON for the `bound` highest-ranked places within
    /// `radius_km` of `at`.
    pub fn nearby(&self, at: Coords, radius_km: f64, bound: usize) -> String {
        let results = self
            .search(at, radius_km, bound)
            .into_iter()
            .filter_map(|place| self.render(place))
            .collect();
        legacy::success(results)
    }

    /// The ranked hits, at most `bound` of them.
    fn search(&self, at: Coords, radius_km: f64, bound: usize) -> Vec<&'static Place> {
        let extent = extent(at, radius_km);
        let mut hits: Vec<(&Place, f64)> = self
            .index
            .grid
            .candidates(at, &extent)
            .filter_map(|place| {
                let d = haversine_km(
                    at,
                    Coords {
                        lat: place.lat,
                        lng: place.lng,
                    },
                );
                (d <= radius_km).then_some((place, d))
            })
            .collect();
        // The line comparison only makes the order total, so equal
        // population and distance still give the same answer every time.
        hits.sort_unstable_by(|(a, da), (b, db)| {
            b.population
                .cmp(&a.population)
                .then(da.total_cmp(db))
                .then_with(|| a.line.cmp(b.line))
        });
        hits.into_iter().take(bound).map(|(p, _)| p).collect()
    }

    /// One legacy result. `None` only if the line no longer splits, which
    /// loading already ruled out.
    fn render(&self, place: &Place) -> Option<Value> {
        let row = Row::split(place.line)?;
        let lat = Number::from_str(row.lat).ok()?;
        let lng = Number::from_str(row.lng).ok()?;
        Some(json!({
            "geometry": { "location": { "lat": lat, "lng": lng } },
            "name": row.name,
            "place_id": format!("geonames:{}", row.id),
            "types": TYPES,
            "vicinity": self.index.data.vicinity(&row),
        }))
    }
}

impl Default for Local {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UCLA: Coords = Coords {
        lat: 34.068931,
        lng: -118.445127,
    };
    const SEOUL: Coords = Coords {
        lat: 37.551379,
        lng: 126.993287,
    };

    fn results(json: &str) -> Vec<Value> {
        let v: Value = serde_json::from_str(json).expect("provider output is JSON");
        v["results"].as_array().cloned().unwrap_or_default()
    }

    fn position(result: &Value) -> Coords {
        let loc = &result["geometry"]["location"];
        Coords {
            lat: loc["lat"].as_f64().expect("lat"),
            lng: loc["lng"].as_f64().expect("lng"),
        }
    }

    #[test]
    fn ucla_has_results_within_ten_km() {
        let json = Local::new().nearby(UCLA, 10.0, 20);
        assert!(json.contains("\"status\" : \"OK\""), "{json}");
        let hits = results(&json);
        assert!(!hits.is_empty());
        let names: Vec<&str> = hits.iter().filter_map(|r| r["name"].as_str()).collect();
        assert!(names.contains(&"Beverly Hills"), "{names:?}");
        assert!(names.contains(&"Santa Monica"), "{names:?}");
        for hit in &hits {
            assert!(haversine_km(UCLA, position(hit)) <= 10.0, "{hit}");
        }
    }

    #[test]
    fn seoul_has_results_within_ten_km() {
        let json = Local::new().nearby(SEOUL, 10.0, 5);
        let hits = results(&json);
        assert_eq!(hits[0]["name"], "Seoul", "{json}");
        assert_eq!(hits[0]["vicinity"], "South Korea");
        for hit in &hits {
            assert!(haversine_km(SEOUL, position(hit)) <= 10.0, "{hit}");
        }
    }

    #[test]
    fn result_keeps_the_data_digits_and_legacy_shape() {
        let json = Local::new().nearby(SEOUL, 10.0, 1);
        let expected_first = "{\n   \"html_attributions\" : [],\n   \"results\" : [\n      {\n         \"geometry\" : {\n            \"location\" : {\n               \"lat\" : 37.566,\n               \"lng\" : 126.9784\n            }\n         },\n         \"name\" : \"Seoul\",\n         \"place_id\" : \"geonames:1835848\",\n         \"types\" : [ \"locality\", \"political\" ],\n         \"vicinity\" : \"South Korea\"\n      }\n   ],\n   \"status\" : \"OK\"\n}\n";
        assert_eq!(json, expected_first);
    }

    #[test]
    fn bound_cuts_and_ranking_is_by_population() {
        let local = Local::new();
        for bound in [1, 5, 20] {
            assert_eq!(results(&local.nearby(UCLA, 50.0, bound)).len(), bound);
        }
        let hits = local.search(UCLA, 50.0, 20);
        assert_eq!(
            Row::split(hits[0].line).map(|r| r.name),
            Some("Los Angeles")
        );
        assert!(hits.windows(2).all(|w| w[0].population >= w[1].population));
    }

    #[test]
    fn middle_of_the_pacific_has_zero_results() {
        let nowhere = Coords {
            lat: -30.0,
            lng: -140.0,
        };
        let json = Local::new().nearby(nowhere, 50.0, 20);
        assert_eq!(
            json,
            "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n   \"status\" : \"ZERO_RESULTS\"\n}\n"
        );
    }

    #[test]
    fn every_result_lies_within_a_small_radius() {
        let local = Local::new();
        for radius in [0.5, 2.0, 5.0] {
            for hit in results(&local.nearby(UCLA, radius, 20)) {
                assert!(haversine_km(UCLA, position(&hit)) <= radius, "{hit}");
            }
        }
    }
}

/// Latency check, ignored by default because timings in a debug build on a
/// shared machine are noise. Run optimised, e.g. with `--release`, or, to
/// rebuild only what the query touches,
/// `cargo test --config 'profile.dev.package.herd.opt-level=3'
/// --config 'profile.dev.package.serde_json.opt-level=3' -p herd --lib
/// query_p99 -- --ignored --nocapture`.
#[cfg(test)]
mod latency {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    #[ignore = "timing; run in release"]
    fn query_p99_is_under_a_millisecond() {
        let local = Local::new();
        // Dense and sparse places: Los Angeles, Seoul, Tokyo, Paris, Lagos,
        // Mumbai, Mexico City, the open Pacific.
        let centres = [
            (34.068931, -118.445127),
            (37.551379, 126.993287),
            (35.6895, 139.69171),
            (48.85341, 2.3488),
            (6.45407, 3.39467),
            (19.07283, 72.88261),
            (19.42847, -99.12766),
            (-30.0, -140.0),
        ];
        let mut times: Vec<Duration> = Vec::new();
        for _ in 0..250 {
            for (lat, lng) in centres {
                let start = Instant::now();
                let json = local.nearby(Coords { lat, lng }, 50.0, 20);
                times.push(start.elapsed());
                assert!(json.ends_with("}\n"));
            }
        }
        times.sort_unstable();
        let p50 = times[times.len() / 2];
        let p99 = times[times.len() * 99 / 100];
        println!("queries: {}, p50 {p50:?}, p99 {p99:?}", times.len());
        assert!(p99 < Duration::from_millis(1), "p99 {p99:?}");
    }
}
