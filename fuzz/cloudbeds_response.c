/*
 * cloudbeds_response.c — fuzzes the Cloudbeds connector's response parsers:
 * a vendor's answer is untrusted input too. The body is parsed as the
 * connector does (json_parse_object) and handed to every parser, each of
 * which must refuse what is not its answer without reading out of bounds.
 * The rate-plan parses ask for the room type and nights of the recorded
 * example, so the seeds reach their per-night checks; the taxes parsed are
 * applied to a night, as the connector does.
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

        pms_rate_plans_t plans = {.first = first, .nights = FUZZ_NIGHTS};
        (void)cloudbeds_parse_all_rate_plans(root, "room_456", "KRW", &plans, &err);
        pms_rate_plans_free(&plans);
    }

    cloudbeds_tax_rule_t rules[CLOUDBEDS_MAX_TAX_RULES];
    int rule_count = 0, skipped = 0;
    if (cloudbeds_parse_taxes(root, "KRW", rules, CLOUDBEDS_MAX_TAX_RULES, &rule_count, &skipped,
                              &err) == PMS_OK) {
        pms_night_taxes_t night;
        cloudbeds_apply_taxes(rules, rule_count, "room_456", 150000, &night);
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
    (void)cloudbeds_check_hold_status(root, &err);

    pms_reservation_list_t list = {0};
    (void)cloudbeds_parse_reservation_items(root, &list, &total, &err);
    pms_reservation_list_free(&list);

    bool has_field = false, has_cash = false;
    (void)cloudbeds_parse_custom_fields(root, &has_field, &err);
    (void)cloudbeds_parse_payment_methods(root, &has_cash, &err);

    json_object_put(root);
    return 0;
}
