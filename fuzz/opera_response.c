/*
 * opera_response.c — fuzzes the OPERA Cloud connector's response parsers:
 * a vendor's answer is untrusted input too. The body is parsed as the
 * connector does (json_tokener_parse of the whole body, which may be an
 * array) and handed to every parser, each of which must refuse what is not
 * its answer without reading or writing out of bounds. The stay-shaped
 * parsers ask for the room type and nights of the recorded examples (a
 * stay from 2026-12-24 and one from 2027-02-05), so the seeds reach their
 * per-night checks.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/pms/opera_internal.h"
#include "common/dates.h"

#define FUZZ_NIGHTS 3
#define FUZZ_ROOM_TYPE "DLXK"

static void fuzz_stay(struct json_object *root, const char *first_iso)
{
    dates_day_t first;
    if (dates_parse_iso(first_iso, &first) != 0)
        return;
    pms_error_t err = {0};
    opera_offer_t offer;
    int64_t rates[FUZZ_NIGHTS];
    pms_night_taxes_t taxes[FUZZ_NIGHTS];
    (void)opera_parse_offers(root, FUZZ_ROOM_TYPE, first, FUZZ_NIGHTS, &offer, rates, &err);
    (void)opera_parse_offers_taxed(root, FUZZ_ROOM_TYPE, first, FUZZ_NIGHTS, &offer, rates, taxes,
                                   &err);
    /* About 0.4 MB: on the heap, as the connector keeps it. */
    opera_plan_offers_t *plans = malloc(sizeof *plans);
    if (plans) {
        (void)opera_parse_plan_offers(root, FUZZ_ROOM_TYPE, first, FUZZ_NIGHTS, plans, &err);
        free(plans);
    }
}

/* A Book answer is an array of BookingResponse; every element is tried. */
static void fuzz_bookings(struct json_object *root)
{
    pms_error_t err = {0};
    pms_reservation_t res;
    char status[OPERA_STATUS_MAX];
    memset(&res, 0, sizeof res);
    (void)opera_parse_booking(root, &res, status, &err);
    if (!json_object_is_type(root, json_type_array))
        return;
    size_t n = json_object_array_length(root);
    for (size_t i = 0; i < n && i < 8; i++) {
        memset(&res, 0, sizeof res);
        (void)opera_parse_booking(json_object_array_get_idx(root, i), &res, status, &err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct json_object *root = json_tokener_parse(text);
    free(text);
    if (!root)
        return 0;
    pms_error_t err = {0};

    char token[512];
    int64_t expires_in = 0;
    (void)opera_parse_token(root, token, sizeof token, &expires_in, &err);

    pms_hotel_t hotel;
    memset(&hotel, 0, sizeof hotel);
    (void)opera_parse_property(root, &hotel, &err);

    pms_booking_events_t *events = calloc(1, sizeof *events);
    if (events) {
        (void)opera_parse_business_events(root, events, &err);
        free(events);
    }

    pms_room_types_t types = {0};
    bool has_more = false;
    (void)opera_parse_room_types(root, &types, &has_more, &err);
    pms_room_types_free(&types);

    fuzz_stay(root, "2026-12-24");
    fuzz_stay(root, "2027-02-05");
    fuzz_bookings(root);

    char status[OPERA_STATUS_MAX];
    (void)opera_parse_status(root, status, &err);
    char title[256], code[64];
    opera_parse_error(root, title, sizeof title, code, sizeof code);

    json_object_put(root);
    return 0;
}
