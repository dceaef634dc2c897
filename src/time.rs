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

/// Parses an RFC 3339 time (`2024-01-02T03:04:05Z`, `2024-01-02 03:04:05.5+02:00`; `t`/`z`
/// in either case, any number of fraction digits, cut to nanoseconds) into a capture time.
/// What `--since`/`--until` take; the error says what part was wrong.
pub fn parse_rfc3339(s: &str) -> Result<TsNanos, String> {
    let bad =
        |what: &str| format!("'{s}' is not an RFC 3339 time ({what}; e.g. 2024-01-02T03:04:05Z)");
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let d = b.get(from..from + len)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0i64, |n, c| n * 10 + i64::from(c - b'0')))
    };
    let sep = |at: usize, ok: &[u8]| b.get(at).is_some_and(|c| ok.contains(c));
    let (Some(y), Some(mo), Some(d)) = (num(0, 4), num(5, 2), num(8, 2)) else {
        return Err(bad("the date is not YYYY-MM-DD"));
    };
    if !sep(4, b"-") || !sep(7, b"-") || !sep(10, b"Tt ") {
        return Err(bad("the date is not YYYY-MM-DD followed by T"));
    }
    let (Some(h), Some(mi), Some(sec)) = (num(11, 2), num(14, 2), num(17, 2)) else {
        return Err(bad("the time is not HH:MM:SS"));
    };
    if !sep(13, b":") || !sep(16, b":") {
        return Err(bad("the time is not HH:MM:SS"));
    }
    if !(1..=12).contains(&mo)
        || d < 1
        || d > days_in_month(y, mo as u32)
        || h > 23
        || mi > 59
        || sec > 60
    {
        return Err(bad("a field is out of range"));
    }
    let mut at = 19;
    let mut nanos = 0i64;
    if sep(at, b".") {
        at += 1;
        let digits = b
            .get(at..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return Err(bad("no digits after the decimal point"));
        }
        for (i, c) in b
            .get(at..at + digits)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if i < 9 {
                nanos += i64::from(c - b'0') * 10i64.pow(8 - i as u32);
            }
        }
        at += digits;
    }
    let offset = match b.get(at..) {
        Some(b"Z" | b"z") => 0,
        Some([sign @ (b'+' | b'-'), ..]) if b.len() == at + 6 && sep(at + 3, b":") => {
            let (Some(oh), Some(om)) = (num(at + 1, 2), num(at + 4, 2)) else {
                return Err(bad("the offset is not +HH:MM"));
            };
            if oh > 23 || om > 59 {
                return Err(bad("the offset is out of range"));
            }
            let o = (oh * 60 + om) * 60;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return Err(bad("it needs a zone: Z or +HH:MM")),
    };
    let secs = days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + sec - offset;
    Ok(secs * 1_000_000_000 + nanos)
}

fn days_in_month(y: i64, m: u32) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The inverse of [`civil_from_days`] (the same author's days-from-civil).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
    fn parses_rfc3339() {
        // Reference values from `date -u -d '<time>' +%s%N`.
        assert_eq!(
            parse_rfc3339("2024-09-03T13:58:17Z"),
            Ok(1_725_371_897_000_000_000)
        );
        assert_eq!(
            parse_rfc3339("2024-09-03T13:58:17.113798Z"),
            Ok(1_725_371_897_113_798_000)
        );
        assert_eq!(
            parse_rfc3339("2024-09-03 15:58:17.1137981234+02:00"),
            Ok(1_725_371_897_113_798_123)
        );
        assert_eq!(
            parse_rfc3339("2000-02-29t00:00:00-01:30"),
            Ok(951_787_800_000_000_000)
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        for bad in [
            "2024-09-03",
            "2024-09-03T13:58:17",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-09-03T13:58:17.Z",
            "2024-09-03T13:58Z",
            "2024-09-03T13:58:17+2:00",
            "2024-09-03T13:58:17Zjunk",
            "",
            "é",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
        // Round trip with the formatter, across the calendar.
        for ts in [
            0,
            951_782_400_000_000_000,
            -86_400_000_000_000,
            4_102_444_800_123_456_000,
        ] {
            assert_eq!(parse_rfc3339(&rfc3339(ts)), Ok(ts));
        }
    }

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
