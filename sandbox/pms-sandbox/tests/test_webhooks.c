/* Unit tests for the pms-sandbox webhooks: the normalised event shapes, the
 * Stripe-style signature, the bounded queue, per-hotel switches, and real
 * delivery with retry to a loopback receiver. */
#include <check.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/crypto.h"
#include "common/http_server.h"
#include "testsupport.h"
#include "webhooks.h"

#define SECRET "whsec_unit"
#define DEAD_URL "http://127.0.0.1:9/nowhere"

static const char SEED_JSON[] =
    "{\"hotels\":[{\"propertyID\":\"h1\",\"apiKey\":\"k1\",\"name\":\"One\","
    "\"currency\":{\"code\":\"KRW\",\"symbol\":\"W\"},\"timezone\":\"Asia/Seoul\","
    "\"address\":{\"address1\":\"1\",\"city\":\"Seoul\",\"country\":\"KR\",\"latitude\":\"1\","
    "\"longitude\":\"2\"},\"roomTypes\":[{\"roomTypeID\":\"r1\",\"name\":\"R\",\"shortName\":"
    "\"R\",\"maxGuests\":2,\"units\":3,\"baseRate\":1000,\"weekendRate\":1200}]},"
    "{\"propertyID\":\"h2\",\"apiKey\":\"k2\",\"name\":\"Two\",\"webhooksEnabled\":false,"
    "\"currency\":{\"code\":\"USD\",\"symbol\":\"$\"},\"timezone\":\"UTC\","
    "\"address\":{\"address1\":\"1\",\"city\":\"NYC\",\"country\":\"US\",\"latitude\":\"1\","
    "\"longitude\":\"2\"},\"roomTypes\":[{\"roomTypeID\":\"r2\",\"name\":\"R\",\"shortName\":"
    "\"R\",\"maxGuests\":2,\"units\":3,\"baseRate\":10.5,\"weekendRate\":12}]}]}";

static seed_t *load_seed(void)
{
    char err[256];
    seed_t *seed = seed_parse(SEED_JSON, strlen(SEED_JSON), err, sizeof err);
    ck_assert_msg(seed != NULL, "%s", err);
    return seed;
}

static ledger_night_t NIGHTS[] = {{20400, 2, 3, 1000}, {20401, 0, 3, 1200}};

static ledger_event_t inventory_event(const char *hotel)
{
    return (ledger_event_t){.type = LEDGER_EVENT_INVENTORY,
                            .property_id = hotel,
                            .room_type_id = "r1",
                            .currency = "KRW",
                            .first = 20400,
                            .last = 20401,
                            .nights = NIGHTS,
                            .night_count = 2};
}

static const char *str_at(json_object *o, const char *a, const char *b)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, a, &v))
        return NULL;
    if (b && !json_object_object_get_ex(v, b, &v))
        return NULL;
    return json_object_get_string(v);
}

static int64_t int_at(json_object *o, const char *key)
{
    json_object *v = NULL;
    ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
    return json_object_get_int64(v);
}

START_TEST(test_inventory_events_have_the_normalised_shape)
{
    ledger_event_t ev = inventory_event("h1");
    json_object *o = webhooks_event_json(&ev, "evt_1", "2025-11-01T00:00:00.000Z");
    ck_assert_str_eq(str_at(o, "eventId", NULL), "evt_1");
    ck_assert_str_eq(str_at(o, "eventType", NULL), "inventory_update");
    ck_assert_str_eq(str_at(o, "vendor", NULL), "cloudbeds");
    ck_assert_str_eq(str_at(o, "hotelId", NULL), "h1");
    ck_assert_str_eq(str_at(o, "timestamp", NULL), "2025-11-01T00:00:00.000Z");
    ck_assert_str_eq(str_at(o, "data", "roomTypeId"), "r1");
    ck_assert_str_eq(str_at(o, "data", "from"), "2025-11-08");
    ck_assert_str_eq(str_at(o, "data", "to"), "2025-11-09");
    json_object *data = json_object_object_get(o, "data");
    json_object *nights = json_object_object_get(data, "nights");
    ck_assert_int_eq(json_object_array_length(nights), 2);
    json_object *second = json_object_array_get_idx(nights, 1);
    ck_assert_str_eq(str_at(second, "date", NULL), "2025-11-09");
    ck_assert_int_eq(int_at(second, "available"), 0);
    ck_assert_int_eq(int_at(second, "total"), 3);
    json_object_put(o);
}
END_TEST

START_TEST(test_rate_and_booking_events_have_the_normalised_shape)
{
    ledger_event_t ev = inventory_event("h1");
    ev.type = LEDGER_EVENT_RATE;
    json_object *o = webhooks_event_json(&ev, "evt_2", "2025-11-01T00:00:00.000Z");
    ck_assert_str_eq(str_at(o, "eventType", NULL), "rate_update");
    json_object *n0 = json_object_array_get_idx(
        json_object_object_get(json_object_object_get(o, "data"), "nights"), 0);
    ck_assert_int_eq(int_at(n0, "amount"), 1000);
    ck_assert_str_eq(str_at(n0, "currency", NULL), "KRW");
    json_object_put(o);

    ledger_reservation_t r = {
        .reservation_id = "123", .room_type_id = "r1", .start = 20400, .end = 20402};
    ledger_event_t booking = {.type = LEDGER_EVENT_BOOKING_CANCELED,
                              .property_id = "h1",
                              .room_type_id = "r1",
                              .reservation = &r};
    o = webhooks_event_json(&booking, "evt_3", "2025-11-01T00:00:00.000Z");
    ck_assert_str_eq(str_at(o, "eventType", NULL), "booking_cancel");
    ck_assert_str_eq(str_at(o, "data", "reservationId"), "123");
    ck_assert_str_eq(str_at(o, "data", "checkIn"), "2025-11-08");
    ck_assert_str_eq(str_at(o, "data", "checkOut"), "2025-11-10");
    ck_assert_str_eq(str_at(o, "data", "status"), "cancelled");
    json_object_put(o);
    booking.type = LEDGER_EVENT_BOOKING_CONFIRMED;
    o = webhooks_event_json(&booking, "evt_4", "2025-11-01T00:00:00.000Z");
    ck_assert_str_eq(str_at(o, "eventType", NULL), "booking_confirm");
    ck_assert_str_eq(str_at(o, "data", "status"), "confirmed");
    json_object_put(o);
}
END_TEST

START_TEST(test_the_signature_is_hmac_of_timestamp_dot_body)
{
    const char *body = "{\"a\":1}";
    char sig[WEBHOOKS_SIGNATURE_MAX_LEN];
    ck_assert_int_eq(webhooks_sign(SECRET, 1700000000, body, strlen(body), sig, sizeof sig), 0);
    char expected_hex[CRYPTO_SHA256_HEX_LEN + 1];
    const char *payload = "1700000000.{\"a\":1}";
    crypto_hmac_sha256_hex(SECRET, strlen(SECRET), payload, strlen(payload), expected_hex);
    char expected[WEBHOOKS_SIGNATURE_MAX_LEN];
    snprintf(expected, sizeof expected, "t=1700000000,v1=%s", expected_hex);
    ck_assert_str_eq(sig, expected);
}
END_TEST

START_TEST(test_a_full_queue_drops_the_oldest_and_counts_it)
{
    seed_t *seed = load_seed();
    webhooks_config_t cfg = {.url = DEAD_URL, .secret = SECRET, .queue_max = 3};
    webhooks_t *wh = webhooks_new(&cfg); /* not started: nothing leaves the queue */
    webhooks_reset(wh, seed);
    ledger_event_t ev = inventory_event("h1");
    for (int i = 0; i < 5; i++)
        webhooks_on_ledger_event(&ev, wh);
    json_object *report = webhooks_deliveries_json(wh);
    ck_assert_int_eq(int_at(report, "queued"), 3);
    ck_assert_int_eq(int_at(report, "dropped"), 2);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(report, "deliveries")), 5);
    json_object_put(report);
    webhooks_reset(wh, seed);
    report = webhooks_deliveries_json(wh);
    ck_assert_int_eq(int_at(report, "queued"), 0);
    ck_assert_int_eq(int_at(report, "dropped"), 0);
    json_object_put(report);
    webhooks_free(wh);
    seed_unref(seed);
}
END_TEST

START_TEST(test_a_hotel_with_webhooks_off_sends_nothing)
{
    seed_t *seed = load_seed();
    webhooks_config_t cfg = {.url = DEAD_URL, .secret = SECRET};
    webhooks_t *wh = webhooks_new(&cfg);
    webhooks_reset(wh, seed);
    ledger_event_t ev = inventory_event("h2"); /* webhooksEnabled false in the seed */
    webhooks_on_ledger_event(&ev, wh);
    ck_assert_int_eq(webhooks_set_enabled(wh, "h1", false), 0);
    ev = inventory_event("h1");
    webhooks_on_ledger_event(&ev, wh);
    ck_assert_int_eq(webhooks_set_enabled(wh, "nope", true), -1);
    json_object *report = webhooks_deliveries_json(wh);
    ck_assert_int_eq(int_at(report, "queued"), 0);
    ck_assert_int_eq(int_at(report, "suppressed"), 2);
    json_object_put(report);
    webhooks_free(wh);
    seed_unref(seed);
}
END_TEST

START_TEST(test_subscriptions_are_listed_per_property_and_removed)
{
    seed_t *seed = load_seed();
    webhooks_config_t cfg = {.secret = SECRET};
    webhooks_t *wh = webhooks_new(&cfg);
    webhooks_reset(wh, seed);
    char id1[WEBHOOKS_ID_LEN], id2[WEBHOOKS_ID_LEN];
    ck_assert_int_eq(webhooks_subscribe(wh, "h1", "reservation", "created", DEAD_URL, id1), 0);
    ck_assert_int_eq(webhooks_subscribe(wh, "h2", "reservation", "created", DEAD_URL, id2), 0);
    ck_assert_str_ne(id1, id2);
    json_object *list = webhooks_subscriptions_json(wh, "h1");
    ck_assert_int_eq(json_object_array_length(list), 1);
    json_object *sub = json_object_array_get_idx(list, 0);
    ck_assert_str_eq(str_at(sub, "id", NULL), id1);
    ck_assert_str_eq(str_at(sub, "event", "entity"), "reservation");
    ck_assert_str_eq(str_at(sub, "subscriptionData", "endpoint"), DEAD_URL);
    json_object_put(list);
    ck_assert_int_eq(webhooks_unsubscribe(wh, "h2", id1), -1); /* not its property */
    ck_assert_int_eq(webhooks_unsubscribe(wh, "h1", id1), 0);
    ck_assert_int_eq(webhooks_unsubscribe(wh, "h1", id1), -1);
    webhooks_free(wh);
    seed_unref(seed);
}
END_TEST

/* ------------------------------------------------ delivery over HTTP -- */

typedef struct receiver {
    atomic_int calls;
    atomic_int verified;
} receiver_t;

/* Fails the first call with 500, accepts the rest; checks every signature. */
static int receive(http_request_t *req, void *ctx)
{
    receiver_t *rx = ctx;
    int call = atomic_fetch_add(&rx->calls, 1);
    size_t len = 0;
    const char *body = http_request_body(req, &len);
    const char *sig = http_request_header(req, "x-pms-signature");
    long long t = 0;
    char given[CRYPTO_SHA256_HEX_LEN + 1] = "";
    if (sig && sscanf(sig, "t=%lld,v1=%64s", &t, given) == 2) {
        char expected[WEBHOOKS_SIGNATURE_MAX_LEN];
        webhooks_sign(SECRET, t, body, len, expected, sizeof expected);
        if (strcmp(strstr(expected, "v1=") + 3, given) == 0)
            atomic_fetch_add(&rx->verified, 1);
    }
    return http_respond(req, call == 0 ? 500 : 200, "application/json", "{}", 2);
}

static int64_t report_value(webhooks_t *wh, const char *key)
{
    json_object *report = webhooks_deliveries_json(wh);
    int64_t v = int_at(report, key);
    json_object_put(report);
    return v;
}

START_TEST(test_a_failed_delivery_is_retried_and_signed_each_time)
{
    receiver_t rx = {0};
    http_server_config_t hc = {.service = "receiver", .bind_address = "127.0.0.1", .threads = 1};
    http_server_t *srv = http_server_new(&hc);
    http_server_route(srv, "POST", "/hook", AUTH_RULE_OPEN, receive, &rx);
    ck_assert_int_eq(http_server_start(srv), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", http_server_port(srv));

    seed_t *seed = load_seed();
    webhooks_config_t cfg = {.url = url, .secret = SECRET, .backoff_base_ms = 10};
    webhooks_t *wh = webhooks_new(&cfg);
    webhooks_reset(wh, seed);
    ck_assert_int_eq(webhooks_start(wh), 0);
    ledger_event_t ev = inventory_event("h1");
    webhooks_on_ledger_event(&ev, wh);
    ck_assert(TS_POLL_UNTIL(report_value(wh, "delivered") == 1, 10000));
    ck_assert_int_eq(atomic_load(&rx.calls), 2);
    ck_assert_int_eq(atomic_load(&rx.verified), 2);
    json_object *report = webhooks_deliveries_json(wh);
    json_object *d0 = json_object_array_get_idx(json_object_object_get(report, "deliveries"), 0);
    ck_assert_str_eq(str_at(d0, "state", NULL), "delivered");
    ck_assert_int_eq(int_at(d0, "attempts"), 2);
    json_object_put(report);
    webhooks_free(wh);
    seed_unref(seed);
    http_server_free(srv);
}
END_TEST

START_TEST(test_an_unreachable_receiver_fails_after_the_last_attempt)
{
    seed_t *seed = load_seed();
    webhooks_config_t cfg = {.url = DEAD_URL,
                             .secret = SECRET,
                             .max_attempts = 3,
                             .backoff_base_ms = 5,
                             .timeout_ms = 1000};
    webhooks_t *wh = webhooks_new(&cfg);
    webhooks_reset(wh, seed);
    ck_assert_int_eq(webhooks_start(wh), 0);
    ledger_event_t ev = inventory_event("h1");
    webhooks_on_ledger_event(&ev, wh);
    ck_assert(TS_POLL_UNTIL(report_value(wh, "failed") == 1, 10000));
    json_object *report = webhooks_deliveries_json(wh);
    json_object *d0 = json_object_array_get_idx(json_object_object_get(report, "deliveries"), 0);
    ck_assert_int_eq(int_at(d0, "attempts"), 3);
    ck_assert_ptr_nonnull(str_at(d0, "lastError", NULL));
    json_object_put(report);
    webhooks_free(wh);
    seed_unref(seed);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pms_sandbox_webhooks");
    TCase *tc = tcase_create("webhooks");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_inventory_events_have_the_normalised_shape);
    tcase_add_test(tc, test_rate_and_booking_events_have_the_normalised_shape);
    tcase_add_test(tc, test_the_signature_is_hmac_of_timestamp_dot_body);
    tcase_add_test(tc, test_a_full_queue_drops_the_oldest_and_counts_it);
    tcase_add_test(tc, test_a_hotel_with_webhooks_off_sends_nothing);
    tcase_add_test(tc, test_subscriptions_are_listed_per_property_and_removed);
    tcase_add_test(tc, test_a_failed_delivery_is_retried_and_signed_each_time);
    tcase_add_test(tc, test_an_unreachable_receiver_fails_after_the_last_attempt);
    suite_add_tcase(s, tc);
    return check_run(s);
}
