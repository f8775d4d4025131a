/*
 * query.c — input validation for the inventory API (query.h).
 */
#include "query.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/pms.h"
#include "keys.h"

#define SANDBOX_VENDOR "sandbox"

static int fail(json_error_t *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(json_error_t *err, const char *field, const char *fmt, ...)
{
    snprintf(err->field, sizeof err->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

int inv_query_check_vendor(const char *vendor, json_error_t *err)
{
    if (!vendor || !*vendor)
        return fail(err, "vendor", "vendor is required");
    if (!pms_vendor_known(vendor) && strcmp(vendor, SANDBOX_VENDOR) != 0)
        return fail(err, "vendor", "vendor must be one of: cloudbeds, opera, sandbox");
    return 0;
}

int inv_query_check_id(const char *field, const char *value, json_error_t *err)
{
    if (!value || !*value)
        return fail(err, field, "%s is required", field);
    if (!inv_id_valid(value))
        return fail(err, field, "%s must be 1..%d characters of A-Z, a-z, 0-9, '_', '-', '.'",
                    field, INV_ID_MAX_LEN);
    return 0;
}

/* A required YYYY-MM-DD query date. */
static int parse_date(const char *field, const char *text, dates_day_t *out, json_error_t *err)
{
    if (!text || !*text)
        return fail(err, field, "%s is required", field);
    if (dates_parse_iso(text, out) != 0)
        return fail(err, field, "%s must be a date YYYY-MM-DD", field);
    return 0;
}

int inv_query_parse_range(inv_param_fn get, void *ctx, int max_nights, inv_range_query_t *out,
                          json_error_t *err)
{
    memset(out, 0, sizeof *out);
    out->vendor = get(ctx, "vendor");
    out->hotel_id = get(ctx, "hotelId");
    out->room_type_id = get(ctx, "roomTypeId");
    dates_day_t last;
    if (inv_query_check_vendor(out->vendor, err) != 0 ||
        inv_query_check_id("hotelId", out->hotel_id, err) != 0 ||
        inv_query_check_id("roomTypeId", out->room_type_id, err) != 0 ||
        parse_date("from", get(ctx, "from"), &out->first, err) != 0 ||
        parse_date("to", get(ctx, "to"), &last, err) != 0)
        return -1;
    if (last < out->first)
        return fail(err, "to", "to must not be before from");
    if (last - out->first + 1 > max_nights)
        return fail(err, "to", "a range may be at most %d nights (from..to inclusive)", max_nights);
    out->nights = (int)(last - out->first + 1);
    return 0;
}

/* An optional whole number in [min, max] (digits only), def when absent. */
static int parse_count(inv_param_fn get, void *ctx, const char *field, int min, int max, int def,
                       int *out, bool *given, json_error_t *err)
{
    const char *text = get(ctx, field);
    *out = def;
    if (given)
        *given = text != NULL;
    if (!text)
        return 0;
    long v = 0;
    size_t n = strlen(text);
    bool digits = n > 0 && n <= 3;
    for (size_t i = 0; digits && i < n; i++) {
        digits = text[i] >= '0' && text[i] <= '9';
        v = v * 10 + (text[i] - '0');
    }
    if (!digits || v < min || v > max)
        return fail(err, field, "%s must be a whole number from %d to %d", field, min, max);
    *out = (int)v;
    return 0;
}

int inv_query_parse_party(inv_param_fn get, void *ctx, inv_party_t *out, json_error_t *err)
{
    memset(out, 0, sizeof *out);
    return parse_count(get, ctx, "adults", 1, INV_MAX_GUESTS, 1, &out->adults, &out->given, err) ||
                   parse_count(get, ctx, "children", 0, INV_MAX_GUESTS, 0, &out->children, NULL,
                               err) ||
                   parse_count(get, ctx, "rooms", 1, INV_MAX_ROOMS, 1, &out->rooms, NULL, err)
               ? -1
               : 0;
}

int inv_query_parse_adjustment(struct json_object *body, inv_adjustment_t *out, json_error_t *err)
{
    memset(out, 0, sizeof *out);
    const char *in = NULL, *co = NULL;
    int64_t rooms = 0;
    if (json_get_string(body, "vendor", true, 1, 32, &out->vendor, err) != 0 ||
        inv_query_check_vendor(out->vendor, err) != 0 ||
        json_get_string(body, "hotelId", true, 1, INV_ID_MAX_LEN, &out->hotel_id, err) != 0 ||
        inv_query_check_id("hotelId", out->hotel_id, err) != 0 ||
        json_get_string(body, "roomTypeId", true, 1, INV_ID_MAX_LEN, &out->room_type_id, err) !=
            0 ||
        inv_query_check_id("roomTypeId", out->room_type_id, err) != 0 ||
        json_get_string(body, "checkIn", true, 1, 32, &in, err) != 0 ||
        json_get_string(body, "checkOut", true, 1, 32, &co, err) != 0 ||
        json_get_int64(body, "rooms", true, 1, INV_MAX_ROOMS_PER_ADJUSTMENT, 1, &rooms, err) != 0 ||
        json_get_string(body, "bookingId", true, 1, INV_ID_MAX_LEN, &out->booking_id, err) != 0 ||
        inv_query_check_id("bookingId", out->booking_id, err) != 0)
        return -1;
    dates_day_t check_out;
    char msg[128];
    if (dates_validate_stay(in, co, &out->check_in, &check_out, &out->nights, msg, sizeof msg) != 0)
        return fail(err, strncmp(msg, "checkIn", 7) == 0 ? "checkIn" : "checkOut", "%s", msg);
    out->rooms = (int)rooms;
    return 0;
}
