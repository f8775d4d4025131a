/* booking-svc checkout end to end on the real stack with the vendor
 * sandboxes: the happy path and its booking.events sequence seen by an
 * independent consumer, the last-room contest, idempotency keys, validation,
 * the amount check and degraded mode. Every test ends with the PMS ledger,
 * the booking table and the payment ledger agreeing. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"
#include "common/cloudevents.h"
#include "common/redis.h"

static bk_fixture_t f;

static void setup(void)
{
    bk_setup(&f);
    bk_service_start(&f, NULL);
}

static void teardown(void)
{
    bk_teardown(&f);
}

/* ------------------------------------------------------- event consumer -- */

#define MAX_EVENTS 64
typedef struct seen_events {
    pthread_mutex_t lock;
    int count;
    char key[MAX_EVENTS][64];
    char type[MAX_EVENTS][96];
} seen_events_t;

static kafka_handler_result_t record_event(const kafka_message_t *m, void *ctx, char *reason,
                                           size_t reason_size)
{
    (void)reason, (void)reason_size;
    seen_events_t *s = ctx;
    char err[128];
    cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);
    if (!ev)
        return KAFKA_HANDLER_OK;
    pthread_mutex_lock(&s->lock);
    if (s->count < MAX_EVENTS) {
        snprintf(s->key[s->count], sizeof s->key[0], "%.*s", (int)m->key_len, (const char *)m->key);
        snprintf(s->type[s->count], sizeof s->type[0], "%s", ev->type);
        s->count++;
    }
    pthread_mutex_unlock(&s->lock);
    cloudevent_free(ev);
    return KAFKA_HANDLER_OK;
}

static int events_count(seen_events_t *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* ------------------------------------------------------------- tests -- */

START_TEST(test_happy_path_confirms_captures_and_publishes_the_sequence)
{
    seen_events_t seen = {.lock = PTHREAD_MUTEX_INITIALIZER};
    char topic[128], group[64], err[256];
    kafka_topic_name(f.prefix, "booking.events", topic, sizeof topic);
    const char *topics[] = {topic, NULL};
    kafka_consumer_config_t cc = {.brokers = f.brokers,
                                  .group_id = ts_unique_name("bk_it", group, sizeof group),
                                  .topics = topics,
                                  .handler = record_event,
                                  .ctx = &seen};
    kafka_consumer_t *c = kafka_consumer_new(&cc, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(kafka_consumer_start(c), 0);

    char *body = bk_body(&f, BK_ROOM, 20, 2, "tok_visa_1234", 0);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == 200, "status %d: %s", status, json_object_to_json_string(r));
    ck_assert(json_object_get_boolean(json_object_object_get(r, "success")));
    const char *id = bk_str(r, "bookingId");
    ck_assert(id && strncmp(id, "bk_", 3) == 0 && strlen(id) == 27);
    ck_assert(bk_str(r, "confirmationNumber") && *bk_str(r, "confirmationNumber"));

    char *raw = NULL;
    struct json_object *b = bk_get_booking(&f, id, &raw);
    ck_assert_str_eq(bk_str(b, "status"), "confirmed");
    ck_assert_str_eq(bk_str(b, "confirmationNumber"), bk_str(r, "confirmationNumber"));
    ck_assert(json_object_array_length(json_object_object_get(b, "steps")) >= 10);
    ck_assert_msg(!strstr(raw, "hong@example.com") && !strstr(raw, "1234-5678") &&
                      !strstr(raw, "tok_visa") && !strstr(raw, "길동"),
                  "GET booking leaks guest or card data: %s", raw);
    free(raw);
    json_object_put(b);
    /* the guest is stored only encrypted */
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM booking WHERE booking_id = ? AND guest_enc "
                               "IS NOT NULL AND INSTR(guest_enc, 'hong@') = 0",
                               id),
                     1);

    const char *want[] = {"lodging.booking.requested", "lodging.booking.held",
                          "lodging.booking.payment_authorized", "lodging.booking.confirmed",
                          "lodging.booking.captured"};
    ck_assert_msg(TS_POLL_UNTIL(events_count(&seen) >= 5, 20000), "events seen: %d",
                  events_count(&seen));
    kafka_consumer_stop(c);
    kafka_consumer_free(c);
    ck_assert_int_eq(seen.count, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_str_eq(seen.key[i], id);
        ck_assert_str_eq(seen.type[i], want[i]);
    }
    bk_assert_ledgers_clean(&f, 1);
    /* the outcome and the step latencies are measured */
    http_client_response_t m;
    ck_assert_int_eq(http_client_get(f.http, "/metrics", NULL, NULL, &m), HTTP_CLIENT_OK);
    ck_assert_msg(strstr(m.body, "booking_saga_outcomes_total{code=\"OK\"} 1") &&
                      strstr(m.body, "booking_saga_step_duration_seconds_count{step=\"capture\"} 1") &&
                      strstr(m.body, "booking_holds_total{outcome=\"confirmed\"} 1"),
                  "%s", m.body);
    http_client_response_clear(&m);
    json_object_put(r);
    free(body);
}
END_TEST

#define RACERS 50
typedef struct racer {
    const char *body;
    int status;
    char code[64];
} racer_t;

static void *race(void *arg)
{
    racer_t *r = arg;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 90000};
    http_client_t *h = http_client_new(&cc);
    http_client_response_t resp;
    if (http_client_post_json(h, "/api/booking/checkout", NULL, r->body, &resp) == HTTP_CLIENT_OK) {
        r->status = resp.status;
        json_error_t je;
        struct json_object *o = json_parse_object(resp.body, resp.body_len, &je);
        const char *code = o ? bk_str(o, "errorCode") : NULL;
        snprintf(r->code, sizeof r->code, "%s", code ? code : "");
        json_object_put(o);
    }
    http_client_response_clear(&resp);
    http_client_free(h);
    return NULL;
}

START_TEST(test_last_room_goes_to_exactly_one_of_fifty)
{
    dates_day_t in = dates_today_utc() + 30;
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1], json[256];
    dates_format_iso(in, from);
    dates_format_iso(in + 1, to);
    snprintf(json, sizeof json,
             "{\"propertyID\":\"" BK_HOTEL "\",\"roomTypeID\":\"" BK_ROOM "\",\"from\":\"%s\","
             "\"to\":\"%s\",\"available\":1}",
             from, to);
    ck_assert_int_eq(ts_sandbox_post(&f.pms, "/_sandbox/frontdesk/availability", json), 200);
    char *body = bk_body(&f, BK_ROOM, 30, 2, "tok_visa", 0);
    racer_t racers[RACERS];
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (racer_t){.body = body};
        ck_assert_int_eq(pthread_create(&t[i], NULL, race, &racers[i]), 0);
    }
    int won = 0, lost = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(t[i], NULL);
        if (racers[i].status == 200)
            won++;
        else if (racers[i].status == 409 && strcmp(racers[i].code, "INVENTORY_UNAVAILABLE") == 0)
            lost++;
        else
            ck_abort_msg("racer %d: %d %s (log: %s)", i, racers[i].status, racers[i].code,
                         f.log_path);
    }
    ck_assert_int_eq(won, 1);
    ck_assert_int_eq(lost, RACERS - 1);
    bk_assert_ledgers_clean(&f, 1);
    ck_assert_int_eq(bk_summary(&f.pay, "paymentIntents") >= 1, 1);
    free(body);
}
END_TEST

typedef struct idem_racer {
    const char *body, *key;
    int status;
    char booking[64];
} idem_racer_t;

static void *idem_race(void *arg)
{
    idem_racer_t *r = arg;
    char base[64], h[300];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f.port);
    snprintf(h, sizeof h, "Idempotency-Key: %s", r->key);
    const char *headers[] = {h, NULL};
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 90000};
    http_client_t *c = http_client_new(&cc);
    http_client_response_t resp;
    if (http_client_post_json(c, "/api/booking/checkout", headers, r->body, &resp) ==
        HTTP_CLIENT_OK) {
        r->status = resp.status;
        json_error_t je;
        struct json_object *o = json_parse_object(resp.body, resp.body_len, &je);
        const char *id = o ? bk_str(o, "bookingId") : NULL;
        snprintf(r->booking, sizeof r->booking, "%s", id ? id : "");
        json_object_put(o);
    }
    http_client_response_clear(&resp);
    http_client_free(c);
    return NULL;
}

START_TEST(test_one_key_books_and_charges_once)
{
    char *body = bk_body(&f, BK_ROOM, 40, 1, "tok_visa", 0);
    idem_racer_t r[8];
    pthread_t t[8];
    for (int i = 0; i < 8; i++) {
        r[i] = (idem_racer_t){.body = body, .key = "order-42"};
        ck_assert_int_eq(pthread_create(&t[i], NULL, idem_race, &r[i]), 0);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 8; i++) {
        ck_assert_msg(r[i].status == 200, "racer %d: %d", i, r[i].status);
        ck_assert_str_eq(r[i].booking, r[0].booking);
    }
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking", NULL), 1);
    ck_assert_int_eq(bk_summary(&f.pay, "paymentIntents"), 1);
    /* a later retry gets the stored answer */
    int status;
    struct json_object *again = bk_checkout(&f, body, "order-42", &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(bk_str(again, "bookingId"), r[0].booking);
    json_object_put(again);
    /* the same key with another body is refused */
    char *other = bk_body(&f, BK_ROOM, 41, 1, "tok_visa", 0);
    struct json_object *no = bk_checkout(&f, other, "order-42", &status);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(bk_str(no, "errorCode"), "IDEMPOTENCY_KEY_REUSED");
    json_object_put(no);
    bk_assert_ledgers_clean(&f, 1);
    free(other);
    free(body);
}
END_TEST

START_TEST(test_a_key_still_running_answers_409_when_waiting_is_off)
{
    bk_service_stop(&f, SIGTERM);
    /* the slow hold (1.5 s) must not reach the PMS timeout, or the first
     * request fails on its own (HOLD_FAILED) on a loaded machine */
    const char *env[] = {"BOOKING_IDEMPOTENCY_WAIT_MS=0", "PMS_TIMEOUT_MS=8000", NULL};
    bk_service_start(&f, env);
    char *body = bk_body(&f, BK_ROOM, 45, 1, "tok_visa", 0);
    ts_sandbox_fault(&f.pms, "{\"op\":\"postReservation\",\"latencyMs\":1500}");
    idem_racer_t first = {.body = body, .key = "order-slow"};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, idem_race, &first), 0);
    /* the first request owns the key once its booking row exists */
    ck_assert(TS_POLL_UNTIL(bk_db_int(&f, "SELECT COUNT(*) FROM booking", NULL) == 1, 10000));
    int status;
    struct json_object *r = bk_checkout(&f, body, "order-slow", &status);
    ck_assert_int_eq(status, 409);
    ck_assert_str_eq(bk_str(r, "errorCode"), "IDEMPOTENCY_IN_PROGRESS");
    json_object_put(r);
    pthread_join(t, NULL);
    ck_assert_msg(first.status == 200, "first: %d (log: %s)", first.status, f.log_path);
    ts_sandbox_clear_faults(&f.pms);
    r = bk_checkout(&f, body, "order-slow", &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(bk_str(r, "bookingId"), first.booking);
    json_object_put(r);
    bk_assert_ledgers_clean(&f, 1);
    free(body);
}
END_TEST

/* Replaces the first occurrence of `from` in body by `to` (malloc'd). */
static char *mutate(const char *body, const char *from, const char *to)
{
    const char *at = strstr(body, from);
    ck_assert_msg(at != NULL, "%s not in body", from);
    char *out = NULL;
    ck_assert(asprintf(&out, "%.*s%s%s", (int)(at - body), body, to, at + strlen(from)) > 0);
    return out;
}

START_TEST(test_each_invalid_field_is_named)
{
    char *body = bk_body(&f, BK_ROOM, 50, 2, "tok_visa", 250000);
    static const struct {
        const char *from, *to, *field;
    } cases[] = {
        {"\"vendor\":\"cloudbeds\"", "\"vendor\":\"opera\"", "vendor"},
        {"\"hotelId\":\"hotel_123\",", "", "hotelId"},
        {"\"roomTypeId\":\"room_456\"", "\"roomTypeId\":\"\"", "roomTypeId"},
        {"\"checkIn\":\"", "\"checkIn\":\"x", "checkIn"},
        {"\"checkOut\":\"", "\"checkOut\":\"1", "checkOut"},
        {"\"firstName\":\"홍\"", "\"firstName\":\"\"", "guestInfo.firstName"},
        {"\"lastName\":\"길동\"", "\"lastName\":7", "guestInfo.lastName"},
        {"hong@example.com", "hong.example.com", "guestInfo.email"},
        {"+82-10-1234-5678", "call me", "guestInfo.phone"},
        {"\"adults\":2", "\"adults\":0", "adults"},
        {"\"children\":0", "\"children\":-1", "children"},
        {"\"cardToken\":\"tok_visa\"", "\"cardToken\":\"\"", "payment.cardToken"},
        {"\"amount\":250000", "\"amount\":0", "payment.amount"},
        {"\"currency\":\"KRW\"", "\"currency\":\"krw\"", "payment.currency"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *bad = mutate(body, cases[i].from, cases[i].to);
        int status;
        struct json_object *r = bk_checkout(&f, bad, NULL, &status);
        ck_assert_msg(status == 400, "case %zu: %d %s", i, status, json_object_to_json_string(r));
        ck_assert_str_eq(bk_str(r, "errorCode"), "VALIDATION_ERROR");
        ck_assert_msg(bk_str(r, "field") && strcmp(bk_str(r, "field"), cases[i].field) == 0,
                      "case %zu: field %s, want %s", i, bk_str(r, "field"), cases[i].field);
        json_object_put(r);
        free(bad);
    }
    /* the stay's order and a missing guest */
    char *reversed = NULL;
    ck_assert(asprintf(&reversed, "%s", body) > 0);
    int status;
    struct json_object *r = bk_checkout(&f, "{\"vendor\":\"cloudbeds\"}", NULL, &status);
    ck_assert_int_eq(status, 400);
    ck_assert_str_eq(bk_str(r, "field"), "hotelId");
    json_object_put(r);
    r = bk_checkout(&f, "[1,2]", NULL, &status);
    ck_assert_int_eq(status, 400);
    json_object_put(r);
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking", NULL), 0);
    free(reversed);
    free(body);
}
END_TEST

START_TEST(test_amount_must_match_the_pms_rates)
{
    dates_day_t in = dates_today_utc() + 60;
    int64_t right = bk_stay_amount(&f, BK_ROOM, in, 2);
    char *body = bk_body(&f, BK_ROOM, 60, 2, "tok_visa", right - 1000);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_int_eq(status, 409);
    ck_assert_str_eq(bk_str(r, "errorCode"), "AMOUNT_MISMATCH");
    char expected[32];
    snprintf(expected, sizeof expected, "%lld", (long long)right);
    ck_assert_msg(strstr(bk_str(r, "error"), expected), "message %s lacks %s", bk_str(r, "error"),
                  expected);
    json_object_put(r);
    bk_assert_ledgers_clean(&f, 0);
    ck_assert_int_eq(bk_summary(&f.pay, "paymentIntents"), 0);
    free(body);
}
END_TEST

START_TEST(test_degraded_mode_refuses_checkout_and_keeps_reads)
{
    char err[128];
    redis_client_t *rc = redis_client_new(f.redis_url, 500, 500, err, sizeof err);
    ck_assert(rc != NULL);
    ck_assert_int_eq(redis_set_ex(rc, "lodging:degraded",
                                  "{\"degraded\":true,\"reason\":\"PMS down\",\"since\":"
                                  "\"2025-11-01T00:00:00Z\"}",
                                  60),
                     REDIS_CLIENT_OK);
    char *body = bk_body(&f, BK_ROOM, 70, 1, "tok_visa", 0);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_int_eq(status, 503);
    ck_assert_str_eq(bk_str(r, "errorCode"), "DEGRADED_MODE");
    ck_assert_str_eq(bk_str(r, "error"), "Degraded Mode: 현재 예약이 불가능합니다. (PMS down)");
    json_object_put(r);
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking", NULL), 0);
    ck_assert_int_eq(bk_summary(&f.pms, "openHolds") + bk_summary(&f.pms, "confirmed"), 0);
    /* back to normal: the same request books */
    const char *keys[] = {"lodging:degraded"};
    ck_assert_int_eq(redis_del(rc, keys, 1, NULL), REDIS_CLIENT_OK);
    r = bk_checkout(&f, body, NULL, &status);
    ck_assert_int_eq(status, 200);
    /* reads keep working in degraded mode */
    ck_assert_int_eq(
        redis_set_ex(rc, "lodging:degraded", "{\"degraded\":true,\"reason\":\"x\"}", 60),
        REDIS_CLIENT_OK);
    struct json_object *b = bk_get_booking(&f, bk_str(r, "bookingId"), NULL);
    ck_assert_str_eq(bk_str(b, "status"), "confirmed");
    json_object_put(b);
    json_object_put(r);
    redis_client_free(rc);
    bk_assert_ledgers_clean(&f, 1);
    free(body);
}
END_TEST

/* Nights' availability as inventory-svc answers it (port), -1 on failure. */
static int inventory_svc_available(int port, const char *from, const char *to)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 10000};
    http_client_t *h = http_client_new(&cc);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", BK_HOTEL, "roomTypeId", BK_ROOM,
                       "from",   from,        "to",      to,       NULL};
    http_client_response_t r;
    int available = -1;
    if (http_client_get(h, "/api/inventory", q, NULL, &r) == HTTP_CLIENT_OK && r.status == 200) {
        json_error_t je;
        struct json_object *o = json_parse_object(r.body, r.body_len, &je), *nights;
        if (o && json_object_object_get_ex(o, "nights", &nights) &&
            json_object_array_length(nights) > 0)
            available = json_object_get_int(
                json_object_object_get(json_object_array_get_idx(nights, 0), "available"));
        json_object_put(o);
    }
    http_client_response_clear(&r);
    http_client_free(h);
    return available;
}

START_TEST(test_inventory_svc_answers_the_check_and_takes_the_decrement)
{
    bk_inventory_t inv = {0};
    bk_inventory_start(&f, &inv,
                       (const char *[]){"PMS_hotel_123_API_KEY=cbk_sandbox_hotel_123", NULL});
    bk_service_stop(&f, SIGTERM);
    const char *extra[] = {inv.base_url_env, NULL};
    bk_service_start(&f, extra);

    dates_day_t in = dates_today_utc() + 100;
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(in, from);
    dates_format_iso(in + 1, to);
    ck_assert_int_eq(inventory_svc_available(inv.port, from, to), 10); /* now cached */
    char *body = bk_body(&f, BK_ROOM, 100, 2, "tok_visa", 0);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == 200, "%d %s", status, json_object_to_json_string(r));
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM saga_step_log WHERE booking_id = ? AND step "
                               "= 'inventory_decrement' AND outcome = 'succeeded'",
                               bk_str(r, "bookingId")),
                     1);
    /* the cache took the booking */
    ck_assert_int_eq(inventory_svc_available(inv.port, from, to), 9);
    http_client_response_t m;
    ck_assert_int_eq(http_client_get(f.http, "/metrics", NULL, NULL, &m), HTTP_CLIENT_OK);
    ck_assert_msg(strstr(m.body, "booking_inventory_checks_total{answer=\"fresh\"} 1"),
                  "inventory-svc did not decide the check");
    http_client_response_clear(&m);
    json_object_put(r);
    bk_assert_ledgers_clean(&f, 1);
    bk_inventory_stop(&inv);
    free(body);
}
END_TEST

/* POST /api/bookings/:id/cancel; the answer (caller puts) and its status. */
static struct json_object *cancel(const char *id, int *status)
{
    char path[128];
    snprintf(path, sizeof path, "/api/bookings/%s/cancel", id);
    http_client_response_t r;
    ck_assert_int_eq(http_client_request(f.http, "POST", path, NULL, NULL, NULL, 0, &r),
                     HTTP_CLIENT_OK);
    *status = r.status;
    json_error_t je;
    struct json_object *o = json_parse_object(r.body, r.body_len, &je);
    ck_assert_msg(o != NULL, "cancel answered %s", r.body);
    http_client_response_clear(&r);
    return o;
}

START_TEST(test_cancel_gives_the_room_and_the_money_back)
{
    char *body = bk_body(&f, BK_ROOM, 80, 2, "tok_visa", 0);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_int_eq(status, 200);
    char id[64];
    snprintf(id, sizeof id, "%s", bk_str(r, "bookingId"));
    json_object_put(r);

    struct json_object *c = cancel(id, &status);
    ck_assert_msg(status == 200, "cancel: %d %s", status, json_object_to_json_string(c));
    ck_assert_str_eq(bk_str(c, "status"), "cancelled");
    ck_assert_str_eq(bk_str(c, "paymentStatus"), "refunded");
    json_object_put(c);
    ck_assert_int_eq(bk_summary(&f.pms, "confirmed"), 0);
    ck_assert_int_eq(bk_summary(&f.pms, "canceled"), 1);
    ck_assert_int_eq(bk_summary(&f.pay, "refunds"), 1);
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM outbox WHERE aggregate_id = ? AND event_type "
                               "= 'lodging.booking.cancelled'",
                               id),
                     1);
    /* a second cancel changes nothing */
    c = cancel(id, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(bk_str(c, "status"), "cancelled");
    json_object_put(c);
    ck_assert_int_eq(bk_summary(&f.pay, "refunds"), 1);

    /* a failed booking cannot be cancelled; an unknown one is not found */
    char *declined = bk_body(&f, BK_ROOM, 90, 1, "tok_chargeDeclined", 0);
    r = bk_checkout(&f, declined, NULL, &status);
    ck_assert_int_eq(status, 402);
    c = cancel(bk_str(r, "bookingId"), &status);
    ck_assert_int_eq(status, 409);
    ck_assert_str_eq(bk_str(c, "errorCode"), "BOOKING_NOT_CANCELLABLE");
    json_object_put(c);
    json_object_put(r);
    c = cancel("bk_nosuchbooking", &status);
    ck_assert_int_eq(status, 404);
    json_object_put(c);
    ck_assert(TS_POLL_UNTIL(bk_sagas_settled(&f), 10000));
    ck_assert_int_eq(bk_summary(&f.pms, "openHolds"), 0);
    ck_assert_int_eq(bk_summary(&f.pay, "openAuthorizations"), 0);
    bk_assert_reconciled(&f);
    free(declined);
    free(body);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_booking_checkout");
    TCase *tc = tcase_create("checkout");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_happy_path_confirms_captures_and_publishes_the_sequence);
    tcase_add_test(tc, test_last_room_goes_to_exactly_one_of_fifty);
    tcase_add_test(tc, test_one_key_books_and_charges_once);
    tcase_add_test(tc, test_a_key_still_running_answers_409_when_waiting_is_off);
    tcase_add_test(tc, test_each_invalid_field_is_named);
    tcase_add_test(tc, test_amount_must_match_the_pms_rates);
    tcase_add_test(tc, test_degraded_mode_refuses_checkout_and_keeps_reads);
    tcase_add_test(tc, test_cancel_gives_the_room_and_the_money_back);
    tcase_add_test(tc, test_inventory_svc_answers_the_check_and_takes_the_decrement);
    suite_add_tcase(s, tc);
    return check_run(s);
}
