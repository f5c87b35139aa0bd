//! Log timestamps, written by hand: `2026-11-22T03:41:51.657170Z`, the
//! format of `tracing_subscriber`'s `SystemTime` timer, so hand-written and
//! `tracing` lines read alike. The date and time of day are formatted once
//! per second and reused; each line still reads the clock itself.
//!
//! The clock read is the server's synchronised clock once the binary has
//! installed it ([`use_clock`]), so log stamps agree across the herd as
//! score stamps do; the system clock until then.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The clock every log stamp reads, once installed.
static SYNCED: OnceLock<Arc<dyn olympic::Clock>> = OnceLock::new();

/// Makes every later log stamp read `clock` (a server's synchronised
/// clock). Once per process; false if a clock was already installed.
pub fn use_clock(clock: Arc<dyn olympic::Clock>) -> bool {
    SYNCED.set(clock).is_ok()
}

/// The time now on the installed clock, else the system clock.
pub fn now() -> SystemTime {
    match SYNCED.get() {
        Some(clock) => {
            let ns = clock.now_ns().clamp(0, i128::from(u64::MAX)) as u64;
            UNIX_EPOCH + Duration::from_nanos(ns)
        }
        None => SystemTime::now(),
    }
}

/// The `tracing` timer that writes [`now`] as [`Clock`] does.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SyncedTimer;

impl tracing_subscriber::fmt::time::FormatTime for SyncedTimer {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        let mut out = Vec::with_capacity(PREFIX_LEN + 8);
        Clock::default().stamp_time(now(), &mut out);
        w.write_str(std::str::from_utf8(&out).map_err(|_| std::fmt::Error)?)
    }
}

/// Bytes in `YYYY-MM-DDTHH:MM:SS.`
const PREFIX_LEN: usize = 20;

/// A timestamp writer that remembers the last second it formatted.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    /// Seconds since the epoch that `prefix` shows.
    second: u64,
    /// `YYYY-MM-DDTHH:MM:SS.` of `second`.
    prefix: [u8; PREFIX_LEN],
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            second: 0,
            prefix: prefix(0),
        }
    }
}

impl Clock {
    /// Appends the time now, to the microsecond, with a trailing `Z`.
    pub(crate) fn stamp(&mut self, out: &mut Vec<u8>) {
        self.stamp_time(now(), out);
    }

    /// Appends `time`, to the microsecond, with a trailing `Z`.
    pub(crate) fn stamp_time(&mut self, time: SystemTime, out: &mut Vec<u8>) {
        // A clock set before 1970 shows the epoch; the line still goes out.
        let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        self.stamp_at(since.as_secs(), since.subsec_micros(), out);
    }

    /// Appends the given time, `micros` being below one million.
    pub(crate) fn stamp_at(&mut self, secs: u64, micros: u32, out: &mut Vec<u8>) {
        if secs != self.second {
            self.second = secs;
            self.prefix = prefix(secs);
        }
        out.extend_from_slice(&self.prefix);
        let mut digits = [b'0'; 6];
        let mut rest = micros;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        out.extend_from_slice(&digits);
        out.push(b'Z');
    }
}

/// `YYYY-MM-DDTHH:MM:SS.` for `secs` since the epoch (UTC).
fn prefix(secs: u64) -> [u8; PREFIX_LEN] {
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let time = secs % 86_400;
    let mut out = *b"0000-00-00T00:00:00.";
    put(&mut out[0..4], year.clamp(0, 9999) as u64);
    put(&mut out[5..7], month);
    put(&mut out[8..10], day);
    put(&mut out[11..13], time / 3600);
    put(&mut out[14..16], time / 60 % 60);
    put(&mut out[17..19], time % 60);
    out
}

/// Writes `value` as decimal digits filling `field` (leading zeros).
fn put(field: &mut [u8], mut value: u64) {
    for d in field.iter_mut().rev() {
        *d = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Year, month and day of a day count since 1970-01-01 (proleptic
/// Gregorian), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(secs: u64, micros: u32) -> String {
        let mut out = Vec::new();
        Clock::default().stamp_at(secs, micros, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn known_instants_are_formatted_like_tracing() {
        assert_eq!(shown(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(shown(951_782_400, 7), "2000-02-29T00:00:00.000007Z");
        assert_eq!(shown(1_520_023_934, 918_963), "2018-03-02T20:52:14.918963Z");
        assert_eq!(shown(1_795_319_999, 999_999), "2026-11-22T03:59:59.999999Z");
        assert_eq!(shown(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
    }

    #[test]
    fn the_cached_second_is_refreshed_when_time_moves_on() {
        let mut clock = Clock::default();
        let mut out = Vec::new();
        clock.stamp_at(86_399, 1, &mut out);
        clock.stamp_at(86_400, 2, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1970-01-01T23:59:59.000001Z1970-01-02T00:00:00.000002Z"
        );
    }

    #[test]
    fn every_day_of_four_centuries_matches_a_day_by_day_count() {
        let (mut year, mut month, mut day) = (1970i64, 1u64, 1u64);
        for days in 0..146_097 {
            assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let len = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            day += 1;
            if day > len {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
    }
}
