//! Value parsers for flags: every number a user types is checked here, once, so no command
//! ever sees a negative, non-finite or overlarge duration or count (`Duration::from_secs_f64`
//! panics on those; `--idle-timeout=-1` used to crash `watch`).

use std::time::Duration;

use crate::settings::MAX_SECS;

/// Seconds: a positive, finite number no larger than [`MAX_SECS`] (`0.5`, `90`, `3600`).
pub fn seconds(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v: f64 = t
        .parse()
        .map_err(|_| format!("invalid timeout '{s}': not a number of seconds (e.g. 30 or 0.5)"))?;
    if !v.is_finite() {
        return Err(format!(
            "invalid timeout '{s}': not a finite number of seconds"
        ));
    }
    if v <= 0.0 {
        return Err(format!(
            "invalid timeout '{s}': expected a positive number of seconds"
        ));
    }
    if v > MAX_SECS {
        return Err(format!(
            "invalid timeout '{s}': at most {MAX_SECS:.0} seconds (10 years) is accepted"
        ));
    }
    Ok(v)
}

/// [`seconds`] as a `Duration` (never panics: the value was checked).
pub fn duration(secs: f64) -> Duration {
    Duration::from_secs_f64(secs.clamp(0.0, MAX_SECS))
}

/// A whole number in `min..=max`, with the flag's own words in the message.
fn bounded(s: &str, min: u64, max: u64, what: &str) -> Result<u64, String> {
    let t = s.trim();
    let v: u64 = t.parse().map_err(|_| {
        if t.starts_with('-') {
            format!("'{s}': {what} cannot be negative")
        } else {
            format!("'{s}' is not a whole number ({what})")
        }
    })?;
    if v < min {
        return Err(format!("'{s}': {what} must be at least {min}"));
    }
    if v > max {
        return Err(format!("'{s}': {what} can be at most {max}"));
    }
    Ok(v)
}

/// Jobs in flight per server (`-j`): 1 to 1024.
pub fn jobs(s: &str) -> Result<usize, String> {
    bounded(s, 1, 1024, "jobs per server").map(|v| v as usize)
}

/// Repetitions (`batch --count`): 1 to 10 million.
pub fn count(s: &str) -> Result<usize, String> {
    bounded(s, 1, 10_000_000, "the count").map(|v| v as usize)
}

/// How many items to list (`logs -n`): 1 to 10,000.
pub fn limit(s: &str) -> Result<usize, String> {
    bounded(s, 1, 10_000, "the number of jobs").map(|v| v as usize)
}

/// Whole seconds to wait (`setup --wait`): 1 to a day.
pub fn wait_secs(s: &str) -> Result<u64, String> {
    bounded(s, 1, 86_400, "seconds to wait")
}

/// A finite number (`--cfg`): NaN and infinity cannot be written into a JSON prompt.
pub fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number"))?;
    if !v.is_finite() {
        return Err(format!("'{s}' is not a finite number"));
    }
    Ok(v)
}

/// A non-empty text value (names, ids): empty and whitespace-only values are refused.
pub fn non_empty(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("an empty value is not allowed here".into());
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_refuse_what_duration_cannot_hold() {
        for bad in [
            "-1",
            "0",
            "NaN",
            "inf",
            "-inf",
            "1e309",
            "18446744073709551616",
            "",
            "abc",
            "1e10",
        ] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(seconds("0.5"), Ok(0.5));
        assert_eq!(seconds(" 90 "), Ok(90.0));
        assert_eq!(
            duration(seconds("315360000").unwrap()).as_secs(),
            315_360_000
        );
    }

    #[test]
    fn counts_are_bounded() {
        assert!(jobs("0").is_err());
        assert!(jobs("-3").unwrap_err().contains("negative"));
        assert!(jobs("18446744073709551616").is_err());
        assert_eq!(jobs("16"), Ok(16));
        assert!(count("0").is_err());
        assert!(limit("100000").is_err());
        assert!(finite("NaN").is_err());
        assert!(non_empty("  ").is_err());
    }
}
