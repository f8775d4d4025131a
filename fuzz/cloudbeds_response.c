/*
 * cloudbeds_response.c — fuzzes the Cloudbeds connector's response parsers:
 * a vendor's answer is untrusted input too. The body is parsed as the
 * connector does (json_parse_object) and handed to every parser, each of
 * which must refuse what is not its answer without reading out of bounds.
 * The rate-plan parse asks for the room type and nights of the recorded
 * example, so the seeds reach its per-night checks.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/pms/cloudbeds_internal.h"
#include "common/dates.h"
#include "common/json.h"

#define FUZZ_NIGHTS 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    struct json_object *root = json_parse_object((const char *)data, size, &je);
    if (!root)
        return 0;
    pms_error_t err = {0};

    pms_hotel_t hotel = {0};
    (void)cloudbeds_parse_hotel(root, &hotel, &err);

    pms_room_types_t types = {0};
    (void)cloudbeds_parse_room_types(root, &types, &err);
    pms_room_types_free(&types);

    dates_day_t first;
    if (dates_parse_iso("2025-11-01", &first) == 0) {
        pms_nights_t nights = {0};
        (void)cloudbeds_parse_rate_plans(root, "room_456", first, FUZZ_NIGHTS, "KRW", &nights,
                                         &err);
        pms_nights_free(&nights);
    }

    pms_hold_t hold = {0};
    (void)cloudbeds_parse_post_reservation(root, "KRW", &hold, &err);

    pms_reservation_t res = {0};
    (void)cloudbeds_parse_reservation(root, "KRW", &res, &err);

    char id[PMS_ID_MAX];
    bool found = false; /* the connector's list walk starts with none found */
    int total;
    (void)cloudbeds_parse_reservation_list(root, "bk_01JB2Q8Z4T6Y", id, &found, &total, &err);
    (void)cloudbeds_parse_subscription(root, id, &err);

    json_object_put(root);
    return 0;
}
