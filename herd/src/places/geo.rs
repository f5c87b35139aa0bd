//! Great-circle geometry on a spherical Earth: the haversine distance used to
//! keep places inside a WHATSAT radius, and the bounding box a radius covers,
//! used to pick grid cells.

use proto::coords::Coords;

/// Mean Earth radius in kilometres (IUGG). A sphere is within 0.5% of the
/// ellipsoid everywhere, far finer than a WHATSAT radius needs.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance between two points, in kilometres.
pub fn haversine_km(a: Coords, b: Coords) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlng = (b.lng - a.lng).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
    // `min` guards asin against rounding just above 1 for antipodes.
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The latitude and longitude extent of the cap of radius `radius_km` around
/// `centre`, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// Southern edge, clamped to -90.
    pub lat_min: f64,
    /// Northern edge, clamped to 90.
    pub lat_max: f64,
    /// Largest longitude difference from the centre inside the cap, or `None`
    /// when the cap contains a pole and so spans every longitude.
    pub lng_half_width: Option<f64>,
}

/// The extent of the cap of radius `radius_km` around `centre`.
pub fn extent(centre: Coords, radius_km: f64) -> Extent {
    let angular = radius_km / EARTH_RADIUS_KM;
    let dlat = angular.to_degrees();
    let (lat_min, lat_max) = (centre.lat - dlat, centre.lat + dlat);
    // The widest point of a cap not containing a pole is
    // asin(sin(d) / cos(lat)) away in longitude.
    let ratio = angular.sin() / centre.lat.to_radians().cos();
    let lng_half_width = if lat_min <= -90.0 || lat_max >= 90.0 || ratio >= 1.0 || angular >= 1.5 {
        None
    } else {
        Some(ratio.asin().to_degrees())
    };
    Extent {
        lat_min: lat_min.max(-90.0),
        lat_max: lat_max.min(90.0),
        lng_half_width,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UCLA: Coords = Coords {
        lat: 34.068931,
        lng: -118.445127,
    };

    #[test]
    fn known_distances_match() {
        let downtown_la = Coords {
            lat: 34.05223,
            lng: -118.24368,
        };
        let d = haversine_km(UCLA, downtown_la);
        assert!((d - 18.64).abs() < 0.05, "{d}");
        // One degree of latitude is about 111.2 km.
        let one_north = Coords {
            lat: UCLA.lat + 1.0,
            ..UCLA
        };
        assert!((haversine_km(UCLA, one_north) - 111.195).abs() < 0.01);
        assert_eq!(haversine_km(UCLA, UCLA), 0.0);
    }

    #[test]
    fn distance_crosses_the_antimeridian_the_short_way() {
        let west = Coords {
            lat: 0.0,
            lng: 179.9,
        };
        let east = Coords {
            lat: 0.0,
            lng: -179.9,
        };
        assert!(haversine_km(west, east) < 23.0);
    }

    #[test]
    fn extent_holds_every_point_of_the_circle() {
        for centre in [
            UCLA,
            Coords { lat: 0.0, lng: 0.0 },
            Coords {
                lat: -71.5,
                lng: 179.9,
            },
        ] {
            let e = extent(centre, 50.0);
            let half = e.lng_half_width.expect("no pole within 50 km");
            for step in 0..360 {
                let bearing = f64::from(step).to_radians();
                let p = destination(centre, bearing, 49.999);
                assert!(p.lat >= e.lat_min && p.lat <= e.lat_max, "{p:?} {e:?}");
                let mut dlng = (p.lng - centre.lng).abs();
                if dlng > 180.0 {
                    dlng = 360.0 - dlng;
                }
                assert!(dlng <= half + 1e-9, "{p:?} {e:?}");
            }
        }
    }

    #[test]
    fn extent_near_a_pole_spans_all_longitudes() {
        let e = extent(
            Coords {
                lat: 89.9,
                lng: 10.0,
            },
            50.0,
        );
        assert_eq!(e.lng_half_width, None);
        assert_eq!(e.lat_max, 90.0);
    }

    /// The point `distance_km` from `from` along the initial `bearing`.
    fn destination(from: Coords, bearing: f64, distance_km: f64) -> Coords {
        let d = distance_km / EARTH_RADIUS_KM;
        let lat1 = from.lat.to_radians();
        let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * bearing.cos()).asin();
        let dlng = (bearing.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
        let mut lng = from.lng + dlng.to_degrees();
        if lng > 180.0 {
            lng -= 360.0;
        } else if lng < -180.0 {
            lng += 360.0;
        }
        Coords {
            lat: lat2.to_degrees(),
            lng,
        }
    }
}
