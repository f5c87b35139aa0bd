//! Values from the command line that more than one binary takes: spans
//! of time given in (fractional) seconds.

use std::time::Duration;

use anyhow::Context;

/// The longest span any flag takes, a day: more is a slip of the keyboard.
pub const MAX_SECONDS: f64 = 86_400.0;

/// `value` seconds of `flag` as a duration, refusing zero, negatives, NaN
/// and more than [`MAX_SECONDS`].
pub fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    within_a_day(value)
        .filter(|d| !d.is_zero())
        .with_context(|| {
            format!("{flag} must be a positive number of seconds up to {MAX_SECONDS}, not {value}")
        })
}

/// As [`seconds`], but zero is allowed (a warm-up may be skipped).
pub fn seconds_or_zero(value: f64, flag: &str) -> anyhow::Result<Duration> {
    within_a_day(value)
        .with_context(|| format!("{flag} must be 0 to {MAX_SECONDS} seconds, not {value}"))
}

fn within_a_day(value: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| d.as_secs_f64() <= MAX_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_must_be_positive_and_at_most_a_day() {
        assert_eq!(seconds(0.25, "--x").unwrap(), Duration::from_millis(250));
        assert_eq!(
            seconds(86_400.0, "--x").unwrap(),
            Duration::from_secs(86_400)
        );
        for bad in [0.0, -1.0, f64::NAN, 86_400.5, f64::INFINITY] {
            let err = seconds(bad, "--duration").unwrap_err().to_string();
            assert!(
                err.starts_with("--duration must be a positive"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn a_warmup_may_be_zero_but_not_negative() {
        assert_eq!(seconds_or_zero(0.0, "--warmup").unwrap(), Duration::ZERO);
        let err = seconds_or_zero(-0.5, "--warmup").unwrap_err().to_string();
        assert_eq!(err, "--warmup must be 0 to 86400 seconds, not -0.5");
    }
}
