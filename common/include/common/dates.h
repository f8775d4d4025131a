/*
 * dates.h — civil dates for stays and inventory ranges, and timestamps.
 *
 * A date is a day number (days since 1970-01-01, proleptic Gregorian), so
 * nights, ranges and comparisons are integer arithmetic with no time zone in
 * sight. Text is strictly YYYY-MM-DD, as in proto/openapi.yaml. A stay's nights are
 * [checkIn, checkOut): checkIn 2025-11-01, checkOut 2025-11-03 → 2 nights.
 *
 * Usage:
 *     dates_day_t in, out; int nights; char err[128];
 *     if (dates_validate_stay("2025-11-01", "2025-11-03", &in, &out, &nights,
 *                             err, sizeof err) != 0) → 400 with err
 *     char text[DATES_ISO_LEN + 1]; dates_format_iso(in + 1, text);   // "2025-11-02"
 *
 * Thread-safety: all functions are thread-safe. Ownership: callers own buffers.
 */
#ifndef COMMON_DATES_H
#define COMMON_DATES_H

#include <stddef.h>
#include <stdint.h>

typedef int32_t dates_day_t;

#define DATES_ISO_LEN 10
#define DATES_RFC3339_LEN 24 /* 2025-11-01T09:30:00.123Z */
#define DATES_MAX_STAY_NIGHTS 365
#define DATES_MAX_RANGE_DAYS 366

/* Strict YYYY-MM-DD (years 1970..9999). 0, or -1 when malformed or no such day. */
int dates_parse_iso(const char *text, dates_day_t *out);
/* Writes YYYY-MM-DD and a NUL (11 bytes). */
void dates_format_iso(dates_day_t day, char out[DATES_ISO_LEN + 1]);
/* Day number from a civil date (month 1..12, day 1..31, not validated). */
dates_day_t dates_from_civil(int year, int month, int day);
/* Today in UTC. */
dates_day_t dates_today_utc(void);

/* Validates a stay: both dates well-formed, checkOut after checkIn, at most
 * DATES_MAX_STAY_NIGHTS nights. The error names the field ("checkIn must be a
 * date YYYY-MM-DD", "checkOut must be after checkIn", "a stay may be at most
 * 365 nights"). */
int dates_validate_stay(const char *check_in, const char *check_out, dates_day_t *in,
                        dates_day_t *out, int *nights, char *err, size_t err_size);

/* Validates an inclusive query range from..to (to >= from, at most
 * DATES_MAX_RANGE_DAYS days); error names "from" or "to". */
int dates_validate_range(const char *from, const char *to, dates_day_t *first, dates_day_t *last,
                         char *err, size_t err_size);

/* Current UTC time as RFC 3339 with milliseconds: 2025-11-01T09:30:00.123Z. */
void dates_now_rfc3339(char out[DATES_RFC3339_LEN + 1]);
/* A Unix-ms timestamp as RFC 3339 with milliseconds. */
void dates_format_rfc3339(int64_t unix_ms, char out[DATES_RFC3339_LEN + 1]);

/* Parses an RFC 3339 timestamp ("2025-11-01T09:30:00Z", with optional
 * fraction and a Z or ±hh:mm offset; also the vendors' "2025-11-01 09:30:00",
 * taken as UTC) into Unix milliseconds. 0, or -1 when malformed. */
int dates_parse_rfc3339(const char *text, int64_t *unix_ms);

#endif /* COMMON_DATES_H */
