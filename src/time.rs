//! Capture time. All analysis time comes from packet headers, never from the clock, so a
//! replayed capture gives the same report every time.

/// Nanoseconds since the Unix epoch, as read from the capture record.
///
/// A plain `i64` rather than a newtype, because every stage passes it around; what keeps it
/// safe is that the reader saturates it (a pcapng `if_tsoffset` may push it to `i64::MAX`)
/// and that every sum of a time and a duration goes through [`after`] and [`before`], which
/// saturate too. A plain `+` there overflows on such a file: a panic with overflow checks,
/// and in a release build an expiry that wraps to 1677 and so has already passed.
pub type TsNanos = i64;

/// `ts` plus a duration in nanoseconds, held at the ends of the range instead of wrapping.
#[must_use]
pub fn after(ts: TsNanos, nanos: i64) -> TsNanos {
    ts.saturating_add(nanos)
}

/// `ts` minus a duration in nanoseconds, held at the ends of the range instead of wrapping.
#[must_use]
pub fn before(ts: TsNanos, nanos: i64) -> TsNanos {
    ts.saturating_sub(nanos)
}

/// The wall clock as a capture time: for live capture only, where packet time and wall
/// time are the same thing (a quiet link still has to age its flows).
pub fn wall_clock() -> TsNanos {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Formats a capture time as RFC 3339 in UTC with microseconds (`2024-01-02T03:04:05.123456Z`),
/// the shape CONTRACT.md fixes for `ts`.
pub fn rfc3339(ts: TsNanos) -> String {
    let secs = ts.div_euclid(1_000_000_000);
    let micros = ts.rem_euclid(1_000_000_000) / 1_000;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar); exact for every
/// i64 day count a pcap timestamp can produce, so no date crate is needed.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        // Reference values from `date -u -d @<secs> +%FT%T`.
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339(1_725_371_897_113_798_000),
            "2024-09-03T13:58:17.113798Z"
        );
        assert_eq!(
            rfc3339(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000000Z"
        );
        assert_eq!(rfc3339(-1_000), "1969-12-31T23:59:59.999999Z");
        // The ends of the range, where a saturated time lands. `date -u -d @9223372036`
        // gives 2262-04-11T23:47:16 and `date -u -d @-9223372037` 1677-09-21T00:12:43.
        assert_eq!(rfc3339(i64::MAX), "2262-04-11T23:47:16.854775Z");
        assert_eq!(rfc3339(i64::MIN), "1677-09-21T00:12:43.145224Z");
    }

    #[test]
    fn sums_saturate() {
        assert_eq!(after(i64::MAX, 60_000_000_000), i64::MAX);
        assert_eq!(before(i64::MIN, 1), i64::MIN);
        assert_eq!(after(5, 7), 12);
        assert_eq!(before(5, 7), -2);
    }
}
