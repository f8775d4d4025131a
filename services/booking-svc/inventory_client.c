/*
 * inventory_client.c — HTTP to inventory-svc (see inventory_client.h).
 */
#include "inventory_client.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_client.h"
#include "common/json.h"
#include "common/log.h"

struct inventory_client {
    http_client_t *http;
};

inventory_client_t *inventory_client_new(const char *base_url, long timeout_ms)
{
    inventory_client_t *ic = calloc(1, sizeof *ic);
    if (!ic)
        return NULL;
    http_client_config_t cc = {
        .base_url = base_url, .connect_timeout_ms = timeout_ms, .total_timeout_ms = timeout_ms};
    ic->http = http_client_new(&cc);
    if (!ic->http) {
        free(ic);
        return NULL;
    }
    return ic;
}

void inventory_client_free(inventory_client_t *ic)
{
    if (!ic)
        return;
    http_client_free(ic->http);
    free(ic);
}

/* Reads nights[] of an InventoryResponse: the first night of [first,
 * first + nights) with available < 1 (1 and *short_night), none (0), or -1
 * when a night is missing or the shape is wrong. */
static int read_nights(struct json_object *root, dates_day_t first, int nights, int *short_night)
{
    struct json_object *arr;
    if (!json_object_object_get_ex(root, "nights", &arr) ||
        !json_object_is_type(arr, json_type_array))
        return -1;
    int seen = 0, first_short = -1;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *n = json_object_array_get_idx(arr, i), *d, *a;
        dates_day_t day;
        if (!json_object_object_get_ex(n, "date", &d) ||
            !json_object_object_get_ex(n, "available", &a) ||
            dates_parse_iso(json_object_get_string(d), &day) != 0)
            return -1;
        int idx = day - first;
        if (idx < 0 || idx >= nights)
            continue;
        seen++;
        if (json_object_get_int(a) < 1 && (first_short < 0 || idx < first_short))
            first_short = idx;
    }
    if (seen < nights)
        return -1;
    if (first_short >= 0) {
        *short_night = first_short;
        return 1;
    }
    return 0;
}

int inventory_client_check(inventory_client_t *ic, const char *vendor, const char *hotel_id,
                           const char *room_type_id, dates_day_t first, int nights,
                           int *short_night)
{
    if (!ic || nights < 1)
        return -1;
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(first, from);
    dates_format_iso(first + nights - 1, to); /* `to` is inclusive */
    const char *q[] = {"vendor", vendor, "hotelId", hotel_id, "roomTypeId", room_type_id,
                       "from",   from,   "to",      to,       NULL};
    http_client_response_t r;
    http_client_err_t e = http_client_get(ic->http, "/api/inventory", q, NULL, &r);
    int rc = -1;
    if (e == HTTP_CLIENT_OK && r.status == 200) {
        json_error_t je;
        struct json_object *root = json_parse_object(r.body, r.body_len, &je);
        if (root)
            rc = read_nights(root, first, nights, short_night);
        json_object_put(root);
    }
    if (rc < 0)
        log_kv(LOG_LEVEL_WARN, "inventory-svc could not answer the inventory check", "error",
               e == HTTP_CLIENT_OK ? "unexpected answer" : http_client_err_name(e), NULL);
    http_client_response_clear(&r);
    return rc;
}

int inventory_client_adjust(inventory_client_t *ic, const char *op, const booking_record_t *rec)
{
    if (!ic)
        return -1;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "vendor", json_object_new_string(rec->vendor));
    json_object_object_add(o, "hotelId", json_object_new_string(rec->hotel_id));
    json_object_object_add(o, "roomTypeId", json_object_new_string(rec->room_type_id));
    json_object_object_add(o, "checkIn", json_object_new_string(rec->check_in_text));
    json_object_object_add(o, "checkOut", json_object_new_string(rec->check_out_text));
    json_object_object_add(o, "rooms", json_object_new_int(1));
    json_object_object_add(o, "bookingId", json_object_new_string(rec->booking_id));
    char *body = json_to_string_dup(o);
    json_object_put(o);
    if (!body)
        return -1;
    char path[64];
    snprintf(path, sizeof path, "/internal/inventory/%s", op);
    http_client_response_t r;
    http_client_err_t e = http_client_post_json(ic->http, path, NULL, body, &r);
    free(body);
    int rc = (e == HTTP_CLIENT_OK && r.status >= 200 && r.status < 300) ? 0 : -1;
    if (rc != 0) {
        char status[16];
        snprintf(status, sizeof status, "%d", r.status);
        log_kv(LOG_LEVEL_WARN, "inventory cache adjustment failed", "op", op, "bookingId",
               rec->booking_id, "status", status, "error",
               e == HTTP_CLIENT_OK ? "" : http_client_err_name(e), NULL);
    }
    http_client_response_clear(&r);
    return rc;
}
