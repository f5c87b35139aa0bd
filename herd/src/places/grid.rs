//! A spatial index over the sphere: one-degree latitude/longitude cells, each
//! holding the items inside it, so a query reads only the cells its circle
//! can touch instead of every item.
//!
//! The cells are stored compressed (CSR): items sorted by cell, plus the
//! offset where each cell's run starts. A query for a circle walks the cell
//! rows between its southern and northern edge and, in each row, the columns
//! within the circle's longitude half-width, wrapping across the
//! antimeridian; a circle containing a pole takes whole rows.

use super::geo::Extent;
use proto::coords::Coords;

/// Latitude rows: one per degree from -90 (row 0) up to 89; the pole itself
/// (latitude 90) falls in the top row.
const ROWS: usize = 180;

/// Longitude columns: one per degree from -180 (column 0); longitude 180 is
/// the same meridian as -180 and falls in column 0.
const COLUMNS: usize = 360;

/// Items bucketed by one-degree cell.
#[derive(Debug)]
pub struct Grid<T> {
    /// Items sorted by cell.
    items: Vec<T>,
    /// `items[starts[c]..starts[c + 1]]` lie in cell `c`; `ROWS * COLUMNS + 1` entries.
    starts: Vec<usize>,
}

impl<T> Grid<T> {
    /// Indexes `items`, each at the position `locate` gives it.
    pub fn build(mut items: Vec<T>, locate: impl Fn(&T) -> Coords) -> Self {
        items.sort_by_cached_key(|item| cell(locate(item)));
        let mut starts = vec![0; ROWS * COLUMNS + 1];
        for item in &items {
            starts[cell(locate(item)) + 1] += 1;
        }
        for c in 1..starts.len() {
            starts[c] += starts[c - 1];
        }
        Self { items, starts }
    }

    /// How many items the grid holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Every item in a cell the circle around `centre` with extent `extent`
    /// touches. A superset of the items inside the circle; the caller checks
    /// the distance.
    pub fn candidates<'a>(
        &'a self,
        centre: Coords,
        extent: &Extent,
    ) -> impl Iterator<Item = &'a T> + 'a {
        let rows = row(extent.lat_min)..=row(extent.lat_max);
        let columns = columns(centre.lng, extent.lng_half_width);
        rows.flat_map(move |r| {
            columns.clone().map(move |c| {
                let cell = r * COLUMNS + c;
                &self.items[self.starts[cell]..self.starts[cell + 1]]
            })
        })
        .flatten()
    }
}

/// The column indices covering `centre_lng ± half_width`, each once.
fn columns(
    centre_lng: f64,
    half_width: Option<f64>,
) -> impl Iterator<Item = usize> + Clone + 'static {
    let (first, count) = match half_width {
        Some(half) => {
            let west = (centre_lng - half).floor() as i64;
            let east = (centre_lng + half).floor() as i64;
            let span = usize::try_from(east - west + 1).unwrap_or(COLUMNS);
            (west, span.min(COLUMNS))
        }
        None => (-180, COLUMNS),
    };
    (0..count).map(move |i| wrap_column(first + i as i64))
}

/// The cell index of a position.
fn cell(at: Coords) -> usize {
    row(at.lat) * COLUMNS + wrap_column(at.lng.floor() as i64)
}

/// The row of a latitude, clamped to the grid.
fn row(lat: f64) -> usize {
    // `as` saturates for out-of-range floats and maps NaN to 0.
    ((lat.floor() as i64 + 90).clamp(0, ROWS as i64 - 1)) as usize
}

/// The column of a whole-degree longitude, wrapped onto -180..180.
fn wrap_column(degree: i64) -> usize {
    (degree + 180).rem_euclid(COLUMNS as i64) as usize
}

#[cfg(test)]
mod tests {
    use super::super::geo::{extent, haversine_km};
    use super::*;

    /// Points on a half-degree lattice over the whole globe, poles included.
    fn lattice() -> Vec<Coords> {
        let mut points = Vec::new();
        for i in 0..=360 {
            for j in 0..=720 {
                points.push(Coords {
                    lat: -90.0 + f64::from(i) * 0.5,
                    lng: -180.0 + f64::from(j) * 0.5,
                });
            }
        }
        points
    }

    /// The grid's answer must equal a scan of every point.
    fn check(grid: &Grid<Coords>, all: &[Coords], centre: Coords, radius_km: f64) {
        let e = extent(centre, radius_km);
        let mut got: Vec<(i64, i64)> = grid
            .candidates(centre, &e)
            .filter(|p| haversine_km(centre, **p) <= radius_km)
            .map(|p| ((p.lat * 2.0) as i64, (p.lng * 2.0) as i64))
            .collect();
        let mut want: Vec<(i64, i64)> = all
            .iter()
            .filter(|p| haversine_km(centre, **p) <= radius_km)
            .map(|p| ((p.lat * 2.0) as i64, (p.lng * 2.0) as i64))
            .collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "centre {centre:?} radius {radius_km}");
        assert!(
            !want.is_empty() || radius_km < 30.0,
            "test lattice too sparse"
        );
    }

    #[test]
    fn grid_finds_exactly_what_a_full_scan_finds() {
        let all = lattice();
        let grid = Grid::build(all.clone(), |p| *p);
        assert_eq!(grid.len(), all.len());
        for (lat, lng) in [
            (34.068931, -118.445127),
            (37.551379, 126.993287),
            (0.2, 179.9),
            (0.2, -179.9),
            (-0.1, 180.0),
            (89.8, 0.0),
            (-89.95, 45.0),
            (90.0, 0.0),
            (-90.0, 180.0),
            (65.0, -179.7),
        ] {
            for radius in [10.0, 50.0] {
                check(&grid, &all, Coords { lat, lng }, radius);
            }
        }
    }

    #[test]
    fn query_reads_only_nearby_cells() {
        let all = lattice();
        let grid = Grid::build(all.clone(), |p| *p);
        let centre = Coords {
            lat: 34.068931,
            lng: -118.445127,
        };
        let read = grid.candidates(centre, &extent(centre, 50.0)).count();
        // The lattice has four points per cell; 50 km near 34°N touches at
        // most 2 × 3 cells.
        assert!(read <= 4 * 6, "read {read} of {}", all.len());
    }
}
