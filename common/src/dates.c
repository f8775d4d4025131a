/*
 * dates.c — civil-date arithmetic (see dates.h). The day-number conversions
 * are Howard Hinnant's days_from_civil / civil_from_days algorithms.
 */
#include "common/dates.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MIN_YEAR 1970
#define MAX_YEAR 9999

dates_day_t dates_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (dates_day_t)(era * 146097 + (int)doe - 719468);
}

static void civil_from_days(dates_day_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : days[m - 1];
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int dates_parse_iso(const char *text, dates_day_t *out)
{
    if (!text || strlen(text) != DATES_ISO_LEN || text[4] != '-' || text[7] != '-')
        return -1;
    int y = digits(text, 4), m = digits(text + 5, 2), d = digits(text + 8, 2);
    if (y < MIN_YEAR || y > MAX_YEAR || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *out = dates_from_civil(y, m, d);
    return 0;
}

void dates_format_iso(dates_day_t day, char out[DATES_ISO_LEN + 1])
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(out, DATES_ISO_LEN + 1, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

dates_day_t dates_today_utc(void)
{
    return (dates_day_t)(time(NULL) / 86400);
}

int dates_validate_stay(const char *check_in, const char *check_out, dates_day_t *in,
                        dates_day_t *out, int *nights, char *err, size_t err_size)
{
    if (dates_parse_iso(check_in, in) != 0) {
        snprintf(err, err_size, "checkIn must be a date YYYY-MM-DD");
        return -1;
    }
    if (dates_parse_iso(check_out, out) != 0) {
        snprintf(err, err_size, "checkOut must be a date YYYY-MM-DD");
        return -1;
    }
    if (*out <= *in) {
        snprintf(err, err_size, "checkOut must be after checkIn");
        return -1;
    }
    if (*out - *in > DATES_MAX_STAY_NIGHTS) {
        snprintf(err, err_size, "a stay may be at most %d nights", DATES_MAX_STAY_NIGHTS);
        return -1;
    }
    *nights = *out - *in;
    return 0;
}

int dates_validate_range(const char *from, const char *to, dates_day_t *first, dates_day_t *last,
                         char *err, size_t err_size)
{
    if (dates_parse_iso(from, first) != 0) {
        snprintf(err, err_size, "from must be a date YYYY-MM-DD");
        return -1;
    }
    if (dates_parse_iso(to, last) != 0) {
        snprintf(err, err_size, "to must be a date YYYY-MM-DD");
        return -1;
    }
    if (*last < *first) {
        snprintf(err, err_size, "to must not be before from");
        return -1;
    }
    if (*last - *first + 1 > DATES_MAX_RANGE_DAYS) {
        snprintf(err, err_size, "a range may span at most %d days", DATES_MAX_RANGE_DAYS);
        return -1;
    }
    return 0;
}

void dates_format_rfc3339(int64_t unix_ms, char out[DATES_RFC3339_LEN + 1])
{
    time_t secs = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, DATES_RFC3339_LEN + 1, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
             (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
             (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
             (unsigned)tm.tm_sec % 100u, (unsigned)(unix_ms % 1000) % 1000u);
}

void dates_now_rfc3339(char out[DATES_RFC3339_LEN + 1])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    dates_format_rfc3339((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, out);
}

/* Reads exactly n digits; -1 when they are not all there. */
static int read_digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

int dates_parse_rfc3339(const char *text, int64_t *unix_ms)
{
    if (!text || strlen(text) < 19)
        return -1;
    char day_text[DATES_ISO_LEN + 1];
    memcpy(day_text, text, DATES_ISO_LEN);
    day_text[DATES_ISO_LEN] = '\0';
    dates_day_t day;
    if (dates_parse_iso(day_text, &day) != 0 ||
        (text[10] != 'T' && text[10] != 't' && text[10] != ' '))
        return -1;
    const char *p = text + 11;
    int hh = read_digits(&p, 2);
    if (hh < 0 || *p++ != ':')
        return -1;
    int mm = read_digits(&p, 2);
    if (mm < 0 || *p++ != ':')
        return -1;
    int ss = read_digits(&p, 2);
    if (ss < 0 || hh > 23 || mm > 59 || ss > 60)
        return -1;
    int64_t ms = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        for (; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
        if (digits == 0)
            return -1;
        for (; digits < 3; digits++)
            ms *= 10;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh = read_digits(&p, 2);
        if (oh < 0 || *p++ != ':')
            return -1;
        int om = read_digits(&p, 2);
        if (om < 0 || oh > 23 || om > 59)
            return -1;
        offset_min = sign * (oh * 60 + om);
    } else if (text[10] != ' ' || *p != '\0') {
        return -1; /* RFC 3339 needs an offset; the space form is the vendors' UTC */
    }
    if (*p != '\0')
        return -1;
    int64_t secs = (int64_t)day * 86400 + hh * 3600 + mm * 60 + ss - (int64_t)offset_min * 60;
    *unix_ms = secs * 1000 + ms;
    return 0;
}
