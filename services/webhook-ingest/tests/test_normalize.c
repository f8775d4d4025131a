/* normalize.c and envelope.c: recorded webhook payloads (proto/examples) →
 * the pms.events CloudEvents webhook-ingest publishes. Every event made here is
 * also written to WEBHOOK_EVENTS_DIR, where unit_webhook_ingest_events_valid
 * validates it against proto/events/ schemas. */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_run.h"
#include "testsupport.h"
#include "envelope.h"
#include "normalize.h"

#define EXAMPLES LODGING_SOURCE_DIR "/proto/examples/"
#define CB_WEBHOOKS EXAMPLES "pms/cloudbeds/webhooks/"

/* Writes each event of n (consumed) as a CloudEvent file "<stem>-<i>.json". */
static void dump_events(normalized_t *n, const char *stem)
{
    if (mkdir(WEBHOOK_EVENTS_DIR, 0755) != 0)
        ck_assert_int_eq(errno, EEXIST);
    for (size_t i = 0; i < n->event_count; i++) {
        cloudevent_t *ev = envelope_new(n, i);
        ck_assert_ptr_nonnull(ev);
        char *json = cloudevent_to_json(ev);
        char path[512];
        snprintf(path, sizeof path, "%s/%s-%zu.json", WEBHOOK_EVENTS_DIR, stem, i);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(json, f);
        fclose(f);
        free(json);
        cloudevent_free(ev);
    }
}

/* Normalises an example file; asserts success. */
static void normalize_file(const char *vendor, const char *path, normalized_t *n)
{
    size_t len;
    char *text = ts_read_file(path, &len);
    normalize_error_t e;
    int rc = normalize_webhook(vendor, text, len, n, &e);
    free(text);
    ck_assert_msg(rc == 0, "%s: %s (%s)", path, e.message, e.field);
}

static int normalize_text(const char *vendor, const char *text, normalized_t *n,
                          normalize_error_t *e)
{
    return normalize_webhook(vendor, text, strlen(text), n, e);
}

static const char *str_at(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static int key_count(json_object *o)
{
    return json_object_object_length(o);
}

/* ------------------------------------------------ normalised shape -- */

START_TEST(test_the_sandbox_inventory_update_becomes_an_inventory_event)
{
    normalized_t n;
    normalize_file("sandbox", EXAMPLES "http/webhook-inventory-update.json", &n);
    ck_assert_uint_eq(n.event_count, 1);
    ck_assert_str_eq(n.event_id, "evt_1001");
    ck_assert_str_eq(n.hotel_id, "hotel_123");
    ck_assert_int_eq(n.events[0].type, WEBHOOK_INVENTORY_UPDATE);
    json_object *d = n.events[0].data;
    ck_assert_str_eq(str_at(d, "eventId"), "evt_1001");
    ck_assert_str_eq(str_at(d, "vendor"), "sandbox");
    ck_assert_str_eq(str_at(d, "roomTypeId"), "room_456");
    ck_assert_str_eq(str_at(d, "from"), "2025-11-01");
    ck_assert_str_eq(str_at(d, "to"), "2025-11-02");
    json_object *nights = NULL;
    ck_assert(json_object_object_get_ex(d, "nights", &nights));
    ck_assert_uint_eq(json_object_array_length(nights), 2);
    json_object *second = json_object_array_get_idx(nights, 1);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(second, "available")), 0);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(second, "total")), 10);
    dump_events(&n, "sandbox-inventory-update");
    normalized_clear(&n);
}
END_TEST

START_TEST(test_the_sandbox_shape_with_vendor_cloudbeds_is_accepted_on_the_cloudbeds_route)
{
    const char *files[] = {"webhook-booking-confirm", "webhook-booking-cancel",
                           "webhook-rate-update"};
    const webhook_event_type_t types[] = {WEBHOOK_BOOKING_CONFIRM, WEBHOOK_BOOKING_CANCEL,
                                          WEBHOOK_RATE_UPDATE};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof path, "%shttp/%s.json", EXAMPLES, files[i]);
        normalized_t n;
        normalize_file("cloudbeds", path, &n);
        ck_assert_uint_eq(n.event_count, 1);
        ck_assert_int_eq(n.events[0].type, types[i]);
        ck_assert_str_eq(str_at(n.events[0].data, "vendor"), "cloudbeds");
        dump_events(&n, files[i]);
        normalized_clear(&n);
    }
}
END_TEST

START_TEST(test_a_booking_event_carries_exactly_the_schema_fields)
{
    normalized_t n;
    normalize_file("cloudbeds", EXAMPLES "http/webhook-booking-cancel.json", &n);
    json_object *d = n.events[0].data;
    ck_assert_int_eq(key_count(d), 8);
    ck_assert_str_eq(str_at(d, "reservationId"), "res_88412");
    ck_assert_str_eq(str_at(d, "checkIn"), "2025-11-01");
    ck_assert_str_eq(str_at(d, "checkOut"), "2025-11-03");
    ck_assert_str_eq(str_at(d, "status"), "cancelled");
    normalized_clear(&n);
}
END_TEST

START_TEST(test_a_vendor_other_than_the_route_is_refused)
{
    size_t len;
    char *text = ts_read_file(EXAMPLES "http/webhook-inventory-update.json", &len);
    normalized_t n;
    normalize_error_t e;
    ck_assert_int_eq(normalize_webhook("cloudbeds", text, len, &n, &e), -1);
    ck_assert_str_eq(e.field, "vendor");
    ck_assert_str_eq(e.reason, "vendor_mismatch");
    free(text);
}
END_TEST

START_TEST(test_a_room_update_may_name_a_room_type)
{
    normalized_t n;
    normalize_error_t e;
    ck_assert_int_eq(normalize_text("sandbox",
                                    "{\"eventId\":\"e5\",\"eventType\":\"room_update\",\"vendor\":"
                                    "\"sandbox\",\"hotelId\":\"h1\",\"timestamp\":\"2025-10-20T09:"
                                    "30:00Z\",\"data\":{\"roomTypeId\":\"r1\",\"extra\":1}}",
                                    &n, &e),
                     0);
    ck_assert_int_eq(n.events[0].type, WEBHOOK_ROOM_UPDATE);
    ck_assert_int_eq(key_count(n.events[0].data), 4); /* extra is not copied */
    dump_events(&n, "sandbox-room-update");
    normalized_clear(&n);
}
END_TEST

/* ------------------------------------------------- Cloudbeds' own -- */

START_TEST(test_a_cloudbeds_reservation_created_becomes_a_booking_confirmed)
{
    normalized_t n;
    normalize_file("cloudbeds", CB_WEBHOOKS "reservation-created.json", &n);
    ck_assert_uint_eq(n.event_count, 1);
    ck_assert_int_eq(n.events[0].type, WEBHOOK_BOOKING_CONFIRM);
    ck_assert_str_eq(n.hotel_id, "200001");
    ck_assert_str_eq(n.source_event, "reservation/created");
    ck_assert_uint_eq(strlen(n.event_id),
                      strlen(NORMALIZE_DERIVED_ID_PREFIX) + NORMALIZE_DERIVED_ID_HEX);
    ck_assert(strncmp(n.event_id, NORMALIZE_DERIVED_ID_PREFIX, 3) == 0);
    json_object *d = n.events[0].data;
    ck_assert_str_eq(str_at(d, "reservationId"), "8820481539");
    ck_assert_str_eq(str_at(d, "checkIn"), "2025-11-01");
    ck_assert_str_eq(str_at(d, "checkOut"), "2025-11-03");
    ck_assert_str_eq(str_at(d, "status"), "confirmed");
    ck_assert_str_eq(str_at(d, "eventId"), n.event_id);
    dump_events(&n, "cloudbeds-reservation-created");
    normalized_clear(&n);
}
END_TEST

START_TEST(test_a_cloudbeds_event_id_is_stable_for_the_same_bytes_only)
{
    const char *a = "{\"event\":\"reservation/deleted\",\"propertyID\":1,\"reservationID\":\"9\","
                    "\"timestamp\":1.5}";
    const char *b = "{\"event\":\"reservation/deleted\",\"propertyID\":1,\"reservationID\":\"9\","
                    "\"timestamp\":2.5}";
    normalized_t n1, n2, n3;
    normalize_error_t e;
    ck_assert_int_eq(normalize_text("cloudbeds", a, &n1, &e), 0);
    ck_assert_int_eq(normalize_text("cloudbeds", a, &n2, &e), 0);
    ck_assert_int_eq(normalize_text("cloudbeds", b, &n3, &e), 0);
    ck_assert_str_eq(n1.event_id, n2.event_id);
    ck_assert_str_ne(n1.event_id, n3.event_id);
    ck_assert_int_eq(n1.events[0].type, WEBHOOK_BOOKING_CANCEL);
    normalized_clear(&n1);
    normalized_clear(&n2);
    normalized_clear(&n3);
}
END_TEST

START_TEST(test_cloudbeds_status_changes_map_to_confirm_cancel_or_nothing)
{
    normalized_t n;
    normalize_file("cloudbeds", CB_WEBHOOKS "reservation-status_changed-canceled.json", &n);
    ck_assert_uint_eq(n.event_count, 1);
    ck_assert_int_eq(n.events[0].type, WEBHOOK_BOOKING_CANCEL);
    ck_assert_str_eq(str_at(n.events[0].data, "status"), "cancelled");
    ck_assert_int_eq(key_count(n.events[0].data), 5); /* no dates in a status change */
    dump_events(&n, "cloudbeds-status-canceled");
    normalized_clear(&n);

    normalize_file("cloudbeds", CB_WEBHOOKS "reservation-status_changed-not_confirmed.json", &n);
    ck_assert_uint_eq(n.event_count, 0);
    ck_assert_ptr_nonnull(n.ignored_reason);
    normalized_clear(&n);

    normalize_file("cloudbeds", CB_WEBHOOKS "reservation-deleted.json", &n);
    ck_assert_int_eq(n.events[0].type, WEBHOOK_BOOKING_CANCEL);
    dump_events(&n, "cloudbeds-reservation-deleted");
    normalized_clear(&n);
}
END_TEST

START_TEST(test_cloudbeds_detail_changes_in_either_spelling_become_booking_confirmed)
{
    normalized_t n;
    normalize_file("cloudbeds", CB_WEBHOOKS "reservation-dates_changed.json", &n);
    ck_assert_str_eq(n.hotel_id, "200001");
    ck_assert_int_eq(n.events[0].type, WEBHOOK_BOOKING_CONFIRM);
    ck_assert_str_eq(str_at(n.events[0].data, "checkIn"), "2025-11-02");
    ck_assert_str_eq(str_at(n.events[0].data, "checkOut"), "2025-11-05");
    dump_events(&n, "cloudbeds-dates-changed");
    normalized_clear(&n);

    normalize_file("cloudbeds", CB_WEBHOOKS "reservation-accommodation_type_changed.json", &n);
    ck_assert_str_eq(str_at(n.events[0].data, "roomTypeId"), "514790");
    ck_assert_str_eq(str_at(n.events[0].data, "reservationId"), "8820481539");
    dump_events(&n, "cloudbeds-accommodation-type-changed");
    normalized_clear(&n);
}
END_TEST

START_TEST(test_a_cloudbeds_room_block_invalidates_each_room_type_once)
{
    normalized_t n;
    normalize_file("cloudbeds", CB_WEBHOOKS "roomblock-created.json", &n);
    ck_assert_uint_eq(n.event_count, 2);
    ck_assert_int_eq(n.events[0].type, WEBHOOK_INVENTORY_UPDATE);
    ck_assert_str_eq(str_at(n.events[0].data, "roomTypeId"), "514790");
    ck_assert_str_eq(str_at(n.events[1].data, "roomTypeId"), "514791");
    ck_assert_str_eq(str_at(n.events[1].data, "from"), "2025-11-10");
    ck_assert_str_eq(str_at(n.events[1].data, "to"), "2025-11-12");
    char id0[CRYPTO_UUID_LEN + 1], id1[CRYPTO_UUID_LEN + 1];
    envelope_event_id("cloudbeds", n.event_id, 0, id0);
    envelope_event_id("cloudbeds", n.event_id, 1, id1);
    ck_assert_str_ne(id0, id1);
    dump_events(&n, "cloudbeds-roomblock-created");
    normalized_clear(&n);
}
END_TEST

/* ------------------------------------------------------- rejections -- */

static void assert_rejected(const char *vendor, const char *body, const char *code,
                            const char *reason, const char *field)
{
    normalized_t n;
    normalize_error_t e;
    ck_assert_msg(normalize_text(vendor, body, &n, &e) == -1, "accepted: %s", body);
    ck_assert_str_eq(e.code, code);
    ck_assert_str_eq(e.reason, reason);
    ck_assert_str_eq(e.field, field);
    ck_assert_msg(strstr(e.message, field) != NULL || strcmp(field, "body") == 0,
                  "message '%s' does not name %s", e.message, field);
}

#define NORMALISED(type, data)                                                                     \
    "{\"eventId\":\"e1\",\"eventType\":\"" type "\",\"vendor\":\"sandbox\",\"hotelId\":\"h1\","    \
    "\"timestamp\":\"2025-10-20T09:30:00Z\",\"data\":" data "}"

START_TEST(test_bad_bodies_are_refused_naming_the_field)
{
    assert_rejected("sandbox", "{\"eventId\":", "VALIDATION_ERROR", "bad_json", "body");
    assert_rejected("sandbox", "[1,2]", "VALIDATION_ERROR", "bad_json", "body");
    assert_rejected("sandbox", "{\"eventType\":\"inventory_update\"}", "VALIDATION_ERROR",
                    "missing_field", "eventId");
    assert_rejected("sandbox", NORMALISED("stock_update", "{}"), "UNKNOWN_EVENT_TYPE",
                    "unknown_event_type", "eventType");
    assert_rejected("sandbox", NORMALISED("inventory_update", "{\"from\":\"2025-11-01\"}"),
                    "VALIDATION_ERROR", "missing_field", "data.roomTypeId");
    assert_rejected(
        "sandbox",
        NORMALISED("inventory_update",
                   "{\"roomTypeId\":\"r\",\"from\":\"2025-11-1\",\"to\":\"2025-11-02\"}"),
        "VALIDATION_ERROR", "invalid_field", "data.from");
    assert_rejected(
        "sandbox",
        NORMALISED("inventory_update",
                   "{\"roomTypeId\":\"r\",\"from\":\"2025-11-03\",\"to\":\"2025-11-02\"}"),
        "VALIDATION_ERROR", "invalid_field", "data.to");
    assert_rejected(
        "sandbox",
        NORMALISED("inventory_update",
                   "{\"roomTypeId\":\"r\",\"from\":\"2025-11-01\",\"to\":\"2025-11-02\","
                   "\"nights\":[{\"date\":\"2025-11-01\",\"available\":-1}]}"),
        "VALIDATION_ERROR", "invalid_field", "data.nights[0].available");
    assert_rejected(
        "sandbox",
        NORMALISED("rate_update",
                   "{\"roomTypeId\":\"r\",\"from\":\"2025-11-01\",\"to\":\"2025-11-02\","
                   "\"nights\":[{\"date\":\"2025-11-01\",\"amount\":1.5,"
                   "\"currency\":\"KRW\"}]}"),
        "VALIDATION_ERROR", "invalid_field", "data.nights[0].amount");
    assert_rejected("sandbox", NORMALISED("booking_confirm", "{}"), "VALIDATION_ERROR",
                    "missing_field", "data.reservationId");
    assert_rejected("sandbox",
                    "{\"eventId\":\"e1\",\"eventType\":\"room_update\",\"vendor\":\"sandbox\","
                    "\"hotelId\":\"h1\",\"timestamp\":\"yesterday\",\"data\":{}}",
                    "VALIDATION_ERROR", "invalid_field", "timestamp");
    /* A Cloudbeds payload is not the sandbox route's shape. */
    assert_rejected("sandbox", "{\"event\":\"reservation/created\",\"propertyID\":1}",
                    "VALIDATION_ERROR", "missing_field", "eventType");
}
END_TEST

START_TEST(test_bad_cloudbeds_payloads_are_refused_naming_the_field)
{
    assert_rejected("cloudbeds", "{\"event\":\"guest/created\",\"propertyID\":1}",
                    "UNKNOWN_EVENT_TYPE", "unknown_event_type", "event");
    assert_rejected("cloudbeds", "{\"event\":\"reservation/created\",\"reservationID\":\"1\"}",
                    "VALIDATION_ERROR", "missing_field", "propertyID");
    assert_rejected("cloudbeds", "{\"event\":\"reservation/created\",\"propertyID\":1}",
                    "VALIDATION_ERROR", "missing_field", "reservationID");
    assert_rejected("cloudbeds",
                    "{\"event\":\"reservation/status_changed\",\"propertyID\":1,"
                    "\"reservationID\":\"1\"}",
                    "VALIDATION_ERROR", "missing_field", "status");
    assert_rejected("cloudbeds",
                    "{\"event\":\"reservation/status_changed\",\"propertyID\":1,"
                    "\"reservationID\":\"1\",\"status\":\"teleported\"}",
                    "VALIDATION_ERROR", "invalid_field", "status");
    assert_rejected(
        "cloudbeds",
        "{\"event\":\"roomblock/created\",\"propertyID\":1,\"startDate\":\"2025-11-01\","
        "\"endDate\":\"2025-11-02\",\"rooms\":[]}",
        "VALIDATION_ERROR", "missing_field", "rooms");
    assert_rejected("cloudbeds", "{\"propertyID\":1}", "VALIDATION_ERROR", "missing_field",
                    "eventType");
}
END_TEST

START_TEST(test_only_cloudbeds_and_sandbox_are_vendors)
{
    ck_assert(normalize_vendor_known("cloudbeds"));
    ck_assert(normalize_vendor_known("sandbox"));
    ck_assert(!normalize_vendor_known("Cloudbeds"));
    ck_assert(!normalize_vendor_known("opera"));
    ck_assert(!normalize_vendor_known(NULL));
}
END_TEST

START_TEST(test_the_hotel_id_is_peeked_from_either_shape)
{
    char id[NORMALIZE_ID_MAX + 1];
    const char *normalised = "{\"eventType\":\"x\",\"hotelId\":\"h_9\"}";
    ck_assert(normalize_peek_hotel_id(normalised, strlen(normalised), id, sizeof id));
    ck_assert_str_eq(id, "h_9");
    const char *cb = "{\"propertyID\":200001}";
    ck_assert(normalize_peek_hotel_id(cb, strlen(cb), id, sizeof id));
    ck_assert_str_eq(id, "200001");
    ck_assert(!normalize_peek_hotel_id("{", 1, id, sizeof id));
    /* A Cloudbeds body cannot pick one hotel's secret with hotelId and name another. */
    const char *both = "{\"event\":\"reservation/created\",\"hotelId\":\"A\",\"propertyID\":\"B\"}";
    ck_assert(normalize_peek_hotel_id(both, strlen(both), id, sizeof id));
    ck_assert_str_eq(id, "B");
    const char *shape = "{\"eventType\":\"room_update\",\"hotelId\":\"A\",\"propertyID\":\"B\"}";
    ck_assert(normalize_peek_hotel_id(shape, strlen(shape), id, sizeof id));
    ck_assert_str_eq(id, "A");
}
END_TEST

/* -------------------------------------------------------- envelope -- */

START_TEST(test_the_cloudevent_id_is_a_uuid_determined_by_vendor_event_and_index)
{
    char a[CRYPTO_UUID_LEN + 1], b[CRYPTO_UUID_LEN + 1], c[CRYPTO_UUID_LEN + 1];
    ck_assert_int_eq(envelope_event_id("sandbox", "evt_1", 0, a), 0);
    ck_assert_int_eq(envelope_event_id("sandbox", "evt_1", 0, b), 0);
    ck_assert_int_eq(envelope_event_id("cloudbeds", "evt_1", 0, c), 0);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_uint_eq(strlen(a), 36);
    ck_assert_int_eq(a[8], '-');
    ck_assert_int_eq(a[14], '8'); /* version 8 */
    ck_assert(strchr("89ab", a[19]) != NULL);
}
END_TEST

START_TEST(test_the_envelope_is_a_valid_cloudevent_keyed_by_hotel)
{
    normalized_t n;
    normalize_file("sandbox", EXAMPLES "http/webhook-inventory-update.json", &n);
    cloudevent_t *ev = envelope_new(&n, 0);
    char *json = cloudevent_to_json(ev);
    char err[256];
    cloudevent_t *parsed = cloudevent_parse(json, strlen(json), err, sizeof err);
    ck_assert_msg(parsed != NULL, "%s", err);
    ck_assert_str_eq(parsed->type, "lodging.pms.inventory.updated");
    ck_assert_str_eq(parsed->source, "/webhook-ingest");
    ck_assert_str_eq(parsed->subject, "hotel_123");
    char id[CRYPTO_UUID_LEN + 1];
    envelope_event_id("sandbox", "evt_1001", 0, id);
    ck_assert_str_eq(parsed->id, id);
    cloudevent_free(parsed);
    cloudevent_free(ev);
    free(json);
    normalized_clear(&n);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook normalisation");
    TCase *shape = tcase_create("normalised shape");
    tcase_add_test(shape, test_the_sandbox_inventory_update_becomes_an_inventory_event);
    tcase_add_test(shape,
                   test_the_sandbox_shape_with_vendor_cloudbeds_is_accepted_on_the_cloudbeds_route);
    tcase_add_test(shape, test_a_booking_event_carries_exactly_the_schema_fields);
    tcase_add_test(shape, test_a_vendor_other_than_the_route_is_refused);
    tcase_add_test(shape, test_a_room_update_may_name_a_room_type);
    suite_add_tcase(s, shape);
    TCase *cb = tcase_create("cloudbeds");
    tcase_add_test(cb, test_a_cloudbeds_reservation_created_becomes_a_booking_confirmed);
    tcase_add_test(cb, test_a_cloudbeds_event_id_is_stable_for_the_same_bytes_only);
    tcase_add_test(cb, test_cloudbeds_status_changes_map_to_confirm_cancel_or_nothing);
    tcase_add_test(cb, test_cloudbeds_detail_changes_in_either_spelling_become_booking_confirmed);
    tcase_add_test(cb, test_a_cloudbeds_room_block_invalidates_each_room_type_once);
    suite_add_tcase(s, cb);
    TCase *bad = tcase_create("rejections");
    tcase_add_test(bad, test_bad_bodies_are_refused_naming_the_field);
    tcase_add_test(bad, test_bad_cloudbeds_payloads_are_refused_naming_the_field);
    tcase_add_test(bad, test_only_cloudbeds_and_sandbox_are_vendors);
    tcase_add_test(bad, test_the_hotel_id_is_peeked_from_either_shape);
    suite_add_tcase(s, bad);
    TCase *env = tcase_create("envelope");
    tcase_add_test(env, test_the_cloudevent_id_is_a_uuid_determined_by_vendor_event_and_index);
    tcase_add_test(env, test_the_envelope_is_a_valid_cloudevent_keyed_by_hotel);
    suite_add_tcase(s, env);
    return check_run(s);
}
