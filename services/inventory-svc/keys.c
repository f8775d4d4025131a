/*
 * keys.c — the inventory cache's key scheme and value encoding (keys.h).
 */
#include "keys.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const FAMILY_PREFIX[] = {
    [INV_KEY_INVENTORY] = "inv",
    [INV_KEY_INVENTORY_SHADOW] = "invshadow",
    [INV_KEY_RATE] = "rate",
    [INV_KEY_RATE_SHADOW] = "rateshadow",
    [INV_KEY_INVENTORY_GEN] = "invgen",
    [INV_KEY_RATE_GEN] = "rategen",
};

/* snprintf that reports truncation as -1. */
static int fits(int n, size_t size)
{
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int inv_key_night(char *out, size_t size, inv_key_family_t family, const char *hotel_id,
                  const char *room_type_id, dates_day_t night)
{
    char day[DATES_ISO_LEN + 1];
    dates_format_iso(night, day);
    return fits(
        snprintf(out, size, "%s:{%s}:%s:%s", FAMILY_PREFIX[family], hotel_id, room_type_id, day),
        size);
}

int inv_key_rooms(char *out, size_t size, const char *hotel_id, bool shadow)
{
    return fits(snprintf(out, size, "hotel:{%s}:rooms%s", hotel_id, shadow ? ":shadow" : ""), size);
}

int inv_key_lock(char *out, size_t size, const char *what, const char *hotel_id,
                 const char *room_type_id, dates_day_t first, dates_day_t last)
{
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1];
    dates_format_iso(first, a);
    dates_format_iso(last, b);
    return fits(snprintf(out, size, "lock:{%s}:%s:%s:%s:%s", hotel_id, what, room_type_id, a, b),
                size);
}

int inv_key_adjust_marker(char *out, size_t size, const char *hotel_id, const char *booking_id,
                          bool decrement)
{
    return fits(
        snprintf(out, size, "invadj:{%s}:%s:%s", hotel_id, booking_id, decrement ? "dec" : "inc"),
        size);
}

bool inv_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > INV_ID_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.')
            return false;
    }
    return true;
}

int inv_value_format_availability(int available, int total, char *out, size_t size)
{
    return fits(snprintf(out, size, "%d/%d", available, total), size);
}

/* A non-negative decimal integer that ends at *end. -1 when none. */
static int parse_count(const char *text, char **end, long long *out)
{
    if (!isdigit((unsigned char)*text))
        return -1;
    errno = 0;
    *out = strtoll(text, end, 10);
    return errno == 0 ? 0 : -1;
}

int inv_value_parse_availability(const char *text, int *available, int *total)
{
    long long a, t;
    char *end;
    if (!text || parse_count(text, &end, &a) != 0 || *end != '/' ||
        parse_count(end + 1, &end, &t) != 0 || *end != '\0')
        return -1;
    if (a > t || t > 1000000)
        return -1;
    *available = (int)a;
    *total = (int)t;
    return 0;
}

int inv_value_format_bookable(bool bookable, char *out, size_t size)
{
    return fits(snprintf(out, size, "%d/?", bookable ? 1 : 0), size);
}

int inv_value_parse_night(const char *text, int *available, int *total, bool *count_unknown)
{
    *count_unknown = false;
    if (text && (text[0] == '0' || text[0] == '1') && strcmp(text + 1, "/?") == 0) {
        *available = text[0] - '0';
        *total = 0;
        *count_unknown = true;
        return 0;
    }
    return inv_value_parse_availability(text, available, total);
}

int inv_value_format_rate(int64_t amount, const char *currency, char *out, size_t size)
{
    return fits(snprintf(out, size, "%lld %s", (long long)amount, currency), size);
}

char *inv_value_format_rate_plans(int64_t amount, const char *currency, const char *plans_json)
{
    char *out = NULL;
    if (asprintf(&out, "%lld %s %s", (long long)amount, currency, plans_json) < 0)
        return NULL;
    return out;
}

const char *inv_value_rate_plans(const char *text)
{
    const char *sp = text ? strchr(text, ' ') : NULL;
    sp = sp ? strchr(sp + 1, ' ') : NULL;
    return sp && sp[1] == '[' ? sp + 1 : NULL;
}

int inv_value_parse_rate(const char *text, int64_t *amount, char currency[4])
{
    long long a;
    char *end;
    if (!text || parse_count(text, &end, &a) != 0 || *end != ' ')
        return -1;
    const char *cur = end + 1;
    size_t len = strlen(cur);
    if (len > 3 && inv_value_rate_plans(text) == cur + 4)
        len = 3; /* the plans follow */
    if (len != 3 || !isupper((unsigned char)cur[0]) || !isupper((unsigned char)cur[1]) ||
        !isupper((unsigned char)cur[2]))
        return -1;
    *amount = a;
    memcpy(currency, cur, 3);
    currency[3] = '\0';
    return 0;
}
