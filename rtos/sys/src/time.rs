//! Tick arithmetic, and the calendar arithmetic of the wall clock.
//!
//! The kernel counts ticks in a 64-bit monotonic counter that never wraps in practice
//! (584 million years at 1 kHz). The 32-bit tick count that applications see (FreeRTOS's
//! `TickType_t`) is its low half and wraps; everything that takes a 32-bit absolute tick
//! interprets it relative to "now" with wrapping arithmetic, so code keeps working across the wrap.

/// A point on the kernel's monotonic tick timeline.
pub type Ticks64 = u64;

/// Resolves a 32-bit absolute tick `wake` against the 64-bit clock `now`.
///
/// `wake` is taken to be the nearest instant within half the 32-bit range: deadlines up to
/// 2^31 - 1 ticks ahead are in the future, anything else is in the past (the caller is late).
/// Returns the number of ticks to wait, or `None` when the instant is not in the future.
pub fn ticks_until(now: Ticks64, wake: u32) -> Option<u32> {
    let delta = wake.wrapping_sub(now as u32);
    if delta == 0 || delta > i32::MAX as u32 {
        None
    } else {
        Some(delta)
    }
}

/// The decision of a periodic delay (`delay_until`), computed from a 32-bit tick snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelayUntil {
    /// The new reference point the caller stores for its next period (`prev + increment`).
    pub wake: u32,
    /// Whether the wake time is still ahead of `now` (so the caller must block until `wake`).
    pub must_wait: bool,
}

/// Periodic-delay arithmetic with FreeRTOS `xTaskDelayUntil` semantics.
///
/// `prev` is the previous wake time, `increment` the period, `now` the current 32-bit tick count.
/// Correct across the 32-bit wrap: if the tick count wrapped since `prev`, the wake time is ahead
/// only if it also wrapped and is still beyond `now`; otherwise it is ahead if it wrapped or lies
/// beyond `now`.
pub fn delay_until(prev: u32, increment: u32, now: u32) -> DelayUntil {
    let wake = prev.wrapping_add(increment);
    let must_wait = if now < prev { wake < prev && wake > now } else { wake < prev || wake > now };
    DelayUntil { wake, must_wait }
}

/// Converts milliseconds to ticks at `tick_hz`, rounding up so a delay never ends early.
pub fn ms_to_ticks(ms: u32, tick_hz: u32) -> u32 {
    let t = (ms as u64 * tick_hz as u64).div_ceil(1000);
    t.min(u32::MAX as u64) as u32
}

/// Converts ticks to microseconds at `tick_hz`.
pub fn ticks_to_us(ticks: Ticks64, tick_hz: u32) -> u64 {
    ticks.saturating_mul(1_000_000) / tick_hz.max(1) as u64
}

/// Converts a count of clock cycles at `hz` to whole microseconds (rounded down), exactly while
/// the result fits in a `u64` (584 000 years), saturating beyond. A rate of 0 counts as 1 Hz.
pub fn cycles_to_us(cycles: u64, hz: u32) -> u64 {
    let hz = hz.max(1) as u64;
    // Whole seconds, then the remainder: `cycles * 1_000_000` would overflow after 8.5 days at
    // 25 MHz; `rest * 1_000_000 < hz * 10^6 <= 4.3e15` never does.
    (cycles / hz).saturating_mul(US_PER_S).saturating_add((cycles % hz) * US_PER_S / hz)
}

/// Microseconds in a second.
pub const US_PER_S: u64 = 1_000_000;
const SECONDS_PER_DAY: u64 = 86_400;

/// The latest instant the wall clock holds, in microseconds since the Unix epoch:
/// 9999-12-31 23:59:59.999999 UTC. Setting a later time is refused (`InvalidArgument`), so a
/// printed date always has four year digits.
pub const WALL_CLOCK_MAX_US: u64 = 253_402_300_800 * US_PER_S - 1;

/// A UTC date and time of day, as the wall clock counts it: the proleptic Gregorian calendar
/// from the Unix epoch (1970-01-01 00:00:00) on, every day 86 400 seconds (leap seconds are not
/// counted, as in Unix time and SNTP). `Display` prints `YYYY-MM-DD hh:mm:ss`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilTime {
    /// Year (1970 or later).
    pub year: u32,
    /// Month `1..=12`.
    pub month: u8,
    /// Day of the month, `1..=31`.
    pub day: u8,
    /// Hour `0..=23`.
    pub hour: u8,
    /// Minute `0..=59`.
    pub minute: u8,
    /// Second `0..=59`.
    pub second: u8,
    /// Microseconds into the second, `0..=999_999`.
    pub micros: u32,
}

/// Whether `year` has a 29th of February.
pub const fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// Days in `month` (`1..=12`) of `year`; 0 for a month out of range.
pub const fn days_in_month(year: u32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

// The calendar arithmetic counts years from 1 March, so that the leap day is the last day of its
// year, and days from 0000-03-01 of the proleptic Gregorian calendar, in 400-year cycles of
// 146 097 days (the calendar repeats exactly every 400 years).
const DAYS_PER_400_YEARS: u64 = 146_097;
/// Days from 0000-03-01 to 1970-01-01.
const EPOCH_FROM_MARCH_0000: u64 = 719_468;

/// Year, month, day of day number `days` since 1970-01-01.
fn date_of_day(days: u64) -> (u32, u8, u8) {
    let n = days + EPOCH_FROM_MARCH_0000;
    let cycle = n / DAYS_PER_400_YEARS;
    let day_of_cycle = n % DAYS_PER_400_YEARS; // 0..=146_096
                                               // Year of the cycle: 365 days a year, minus the leap days before it (one every 4 years, none
                                               // every 100, one again at the cycle's last day).
    let year_of_cycle = (day_of_cycle - day_of_cycle / 1_460 + day_of_cycle / 36_524 - day_of_cycle / 146_096) / 365;
    let day_of_year = day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100); // 0..=365
                                                                                                      // Months from March: 31 30 31 30 31 | 31 30 31 30 31 | 31 28/29 — a 153-day pattern every 5.
    let month_from_march = (5 * day_of_year + 2) / 153; // 0..=11
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = cycle * 400 + year_of_cycle + u64::from(month <= 2);
    (year as u32, month as u8, day as u8)
}

/// Day number since 1970-01-01 of a valid date not before it.
fn day_of_date(year: u32, month: u8, day: u8) -> u64 {
    let (year, month) = (year as u64, month as u64);
    let year = if month <= 2 { year - 1 } else { year };
    let (cycle, year_of_cycle) = (year / 400, year % 400);
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day as u64 - 1;
    let day_of_cycle = year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
    cycle * DAYS_PER_400_YEARS + day_of_cycle - EPOCH_FROM_MARCH_0000
}

impl CivilTime {
    /// The date and time `unix_us` microseconds after the Unix epoch.
    pub fn from_unix_us(unix_us: u64) -> CivilTime {
        let seconds = unix_us / US_PER_S;
        let (year, month, day) = date_of_day(seconds / SECONDS_PER_DAY);
        let second_of_day = (seconds % SECONDS_PER_DAY) as u32;
        CivilTime {
            year,
            month,
            day,
            hour: (second_of_day / 3600) as u8,
            minute: (second_of_day / 60 % 60) as u8,
            second: (second_of_day % 60) as u8,
            micros: (unix_us % US_PER_S) as u32,
        }
    }

    /// Microseconds since the Unix epoch; `None` if a field is out of range (month 13, 30
    /// February, hour 24, ...), or the time lies before 1970 or after [`WALL_CLOCK_MAX_US`].
    pub fn to_unix_us(&self) -> Option<u64> {
        let valid = self.year >= 1970
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
            && (self.micros as u64) < US_PER_S;
        if !valid {
            return None;
        }
        let seconds = day_of_date(self.year, self.month, self.day) * SECONDS_PER_DAY
            + self.hour as u64 * 3600
            + self.minute as u64 * 60
            + self.second as u64;
        let us = seconds.checked_mul(US_PER_S)?.checked_add(self.micros as u64)?;
        (us <= WALL_CLOCK_MAX_US).then_some(us)
    }
}

impl core::fmt::Display for CivilTime {
    /// `YYYY-MM-DD hh:mm:ss` (the microseconds are not shown).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_until_handles_wrap() {
        assert_eq!(ticks_until(100, 150), Some(50));
        assert_eq!(ticks_until(100, 100), None);
        assert_eq!(ticks_until(100, 99), None);
        // `now` just before the 32-bit wrap, deadline just after it.
        let now = 0x1_FFFF_FFF0u64;
        assert_eq!(ticks_until(now, 0x10), Some(0x20));
        // Deadline just before `now` across the wrap is in the past.
        assert_eq!(ticks_until(0x2_0000_0005, 0xFFFF_FFFF), None);
        // Exactly half the range is treated as the past (ambiguous), one less is the future.
        assert_eq!(ticks_until(0, 0x8000_0000), None);
        assert_eq!(ticks_until(0, 0x7FFF_FFFF), Some(0x7FFF_FFFF));
    }

    #[test]
    fn delay_until_without_wrap() {
        assert_eq!(delay_until(100, 10, 105), DelayUntil { wake: 110, must_wait: true });
        // Late: the period already elapsed.
        assert_eq!(delay_until(100, 10, 120), DelayUntil { wake: 110, must_wait: false });
        // Exactly on time does not wait.
        assert_eq!(delay_until(100, 10, 110), DelayUntil { wake: 110, must_wait: false });
    }

    #[test]
    fn delay_until_when_wake_time_wraps() {
        // prev near the top, wake wraps, now has not wrapped yet.
        let r = delay_until(0xFFFF_FFF0, 0x20, 0xFFFF_FFF8);
        assert_eq!(r, DelayUntil { wake: 0x10, must_wait: true });
    }

    #[test]
    fn delay_until_when_tick_count_wrapped() {
        // Both the tick count and the wake time wrapped; wake still ahead.
        assert_eq!(delay_until(0xFFFF_FFF0, 0x20, 0x05), DelayUntil { wake: 0x10, must_wait: true });
        // Both wrapped, wake already passed.
        assert_eq!(delay_until(0xFFFF_FFF0, 0x20, 0x15), DelayUntil { wake: 0x10, must_wait: false });
        // Tick count wrapped but wake did not: we are late.
        assert_eq!(delay_until(0xFFFF_FF00, 0x10, 0x05), DelayUntil { wake: 0xFFFF_FF10, must_wait: false });
    }

    #[test]
    fn conversions_round_up() {
        assert_eq!(ms_to_ticks(1, 1000), 1);
        assert_eq!(ms_to_ticks(1, 100), 1);
        assert_eq!(ms_to_ticks(15, 100), 2);
        assert_eq!(ms_to_ticks(u32::MAX, 10_000), u32::MAX);
        assert_eq!(ticks_to_us(3, 1000), 3000);
    }

    #[test]
    fn cycles_convert_to_microseconds_without_overflow() {
        assert_eq!(cycles_to_us(25_000_000, 25_000_000), 1_000_000);
        assert_eq!(cycles_to_us(24, 25_000_000), 0, "rounded down");
        assert_eq!(cycles_to_us(25, 25_000_000), 1);
        // Beyond the point where cycles * 10^6 overflows u64 (8.5 days at 25 MHz).
        let c = 30 * 86_400 * 25_000_000u64 + 50;
        assert_eq!(cycles_to_us(c, 25_000_000), 30 * 86_400 * 1_000_000 + 2);
        assert_eq!(cycles_to_us(u64::MAX, 25_000_000), u64::MAX / 25_000_000 * 1_000_000 + 382_064);
        assert_eq!(cycles_to_us(u64::MAX, 1), u64::MAX, "saturates");
        assert_eq!(cycles_to_us(7, 0), 7_000_000, "a zero rate is taken as 1 Hz, never a division by zero");
    }

    fn civil(year: u32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> CivilTime {
        CivilTime { year, month, day, hour, minute, second, micros: 0 }
    }

    #[test]
    fn known_dates() {
        let cases: [(u64, CivilTime, &str); 7] = [
            (0, civil(1970, 1, 1, 0, 0, 0), "1970-01-01 00:00:00"),
            (951_782_400, civil(2000, 2, 29, 0, 0, 0), "2000-02-29 00:00:00"),
            (1_709_251_199, civil(2024, 2, 29, 23, 59, 59), "2024-02-29 23:59:59"),
            (1_735_689_600, civil(2025, 1, 1, 0, 0, 0), "2025-01-01 00:00:00"),
            (4_107_542_400, civil(2100, 3, 1, 0, 0, 0), "2100-03-01 00:00:00"),
            (4_294_967_295, civil(2106, 2, 7, 6, 28, 15), "2106-02-07 06:28:15"),
            (253_402_300_799, civil(9999, 12, 31, 23, 59, 59), "9999-12-31 23:59:59"),
        ];
        for (seconds, date, text) in cases {
            let t = CivilTime::from_unix_us(seconds * US_PER_S + 123_456);
            assert_eq!(t, CivilTime { micros: 123_456, ..date }, "{text}");
            assert_eq!(std::format!("{t}"), text);
            assert_eq!(t.to_unix_us(), Some(seconds * US_PER_S + 123_456), "{text}");
        }
        assert_eq!(CivilTime::from_unix_us(WALL_CLOCK_MAX_US).to_unix_us(), Some(WALL_CLOCK_MAX_US));
        // The whole u64 range converts without overflow (the year is then far beyond 9999).
        let far = CivilTime::from_unix_us(u64::MAX);
        assert!(far.year > 500_000 && far.to_unix_us().is_none(), "{far:?}");
    }

    #[test]
    fn every_day_matches_a_day_by_day_count() {
        // A plain walk through the calendar, day by day, from 1970 to 2800 (three century
        // years that are not leap years, and 2000 and 2400 that are).
        let (mut year, mut month, mut day) = (1970u32, 1u8, 1u8);
        for n in 0..(830 * 366) as u64 {
            if year == 2800 {
                break;
            }
            assert_eq!(date_of_day(n), (year, month, day), "day {n}");
            assert_eq!(day_of_date(year, month, day), n);
            day += 1;
            if day > days_in_month(year, month) {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
        assert_eq!(year, 2800, "the walk covered the range");
    }

    #[test]
    fn invalid_dates_are_refused() {
        let ok = civil(2023, 2, 28, 23, 59, 59);
        assert!(ok.to_unix_us().is_some());
        for bad in [
            CivilTime { day: 29, ..ok },
            CivilTime { month: 13, ..ok },
            CivilTime { month: 0, ..ok },
            CivilTime { day: 0, ..ok },
            CivilTime { hour: 24, ..ok },
            CivilTime { minute: 60, ..ok },
            CivilTime { second: 60, ..ok },
            CivilTime { micros: 1_000_000, ..ok },
            CivilTime { year: 1969, ..ok },
            CivilTime { year: 10_000, ..ok },
        ] {
            assert_eq!(bad.to_unix_us(), None, "{bad:?}");
        }
        assert!(civil(2024, 2, 29, 0, 0, 0).to_unix_us().is_some(), "a leap day");
        assert!(!is_leap_year(1900) && is_leap_year(2000) && !is_leap_year(2100) && is_leap_year(2024));
    }
}
