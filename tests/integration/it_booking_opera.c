/* The checkout saga for an OPERA Cloud hotel, next to a Cloudbeds hotel on
 * the same booking-svc: both bookable through the same public API (the
 * vendor chosen per hotel), the saga's faults against OPERA (a create that
 * failed before OPERA acted, an answer lost after it acted, a session hold
 * purged mid-checkout), the last-room contest with OPERA's session holds,
 * and crash recovery (no hold left behind, none created twice). Real
 * MariaDB, Redis and Kafka; opera-sandbox, pms-sandbox and pay-sandbox. */
#include <check.h>
#include <pthread.h>
#include <signal.h>

#include "booking_fixture.h"
#include "check_run.h"

#define OP_HOTEL "opera_jeju"
#define OP_ROOM "DLXK"
#define OP_SUITE "OCNS" /* 2 units */

static bk_fixture_t f;
static ts_sandbox_t op;
static char op_url_var[96];
static const char *op_env[12];

static void setup(void)
{
    bk_setup(&f);
    ts_sandbox_start(&op, "opera-sandbox", "OPERA_SANDBOX_PORT", NULL);
    snprintf(op_url_var, sizeof op_url_var, "PMS_OPERA_BASE_URL=%s", op.base_url);
    const char *env[] = {op_url_var,
                         "PMS_opera_jeju_VENDOR=opera",
                         "PMS_OPERA_USERNAME=lodging_integration",
                         "PMS_OPERA_PASSWORD=opera_sandbox_password",
                         "PMS_OPERA_CHANNEL_CODE=LODGING",
                         NULL};
    memcpy(op_env, env, sizeof env);
}

static void teardown(void)
{
    bk_teardown(&f);
    ts_sandbox_stop(&op);
}

/* op_env plus extra (NULL-terminated, may be NULL). */
static void start_service(const char *const *extra)
{
    const char *env[24];
    size_t n = 0;
    for (size_t i = 0; op_env[i]; i++)
        env[n++] = op_env[i];
    for (size_t i = 0; extra && extra[i] && n < 23; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    bk_service_start(&f, env);
}

/* The OPERA sandbox's price of a stay (minor units), from its control API. */
static int64_t op_amount(const char *room, dates_day_t in, int nights)
{
    char from[DATES_ISO_LEN + 1], days[8];
    dates_format_iso(in, from);
    snprintf(days, sizeof days, "%d", nights);
    const char *q[] = {"hotelCode", OP_HOTEL, "roomType", room, "from", from, "days", days, NULL};
    struct json_object *o = ts_sandbox_get_json(&op, "/_sandbox/inventory", q);
    int64_t total = 0;
    for (size_t i = 0; i < json_object_array_length(o); i++) {
        struct json_object *rate;
        ck_assert(json_object_object_get_ex(json_object_array_get_idx(o, i), "rate", &rate));
        total += json_object_get_int64(rate);
    }
    json_object_put(o);
    return total;
}

static char *op_body(const char *vendor, const char *room, int offset, int nights)
{
    dates_day_t in = dates_today_utc() + offset;
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1];
    dates_format_iso(in, ci);
    dates_format_iso(in + nights, co);
    char *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"vendor\":\"%s\",\"hotelId\":\"" OP_HOTEL "\",\"roomTypeId\":\"%s\","
                       "\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{"
                       "\"firstName\":\"Minji\",\"lastName\":\"Kim\",\"email\":\"minji@example.com\","
                       "\"phone\":\"+82-10-2222-3333\"},\"adults\":2,\"children\":0,\"payment\":{"
                       "\"cardToken\":\"tok_visa\",\"amount\":%lld,\"currency\":\"KRW\"}}",
                       vendor, room, ci, co, (long long)op_amount(room, in, nights)) > 0);
    return body;
}

/* Reservations of the OPERA ledger in `status` ("OnHold", "Reserved",
 * "Cancelled", "Ignored"; NULL = all). */
static int op_count(const char *status)
{
    const char *q[] = {"hotelCode", OP_HOTEL, NULL};
    struct json_object *o = ts_sandbox_get_json(&op, "/_sandbox/ledger", q), *list;
    ck_assert(json_object_object_get_ex(o, "reservations", &list));
    int n = 0;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *st;
        ck_assert(json_object_object_get_ex(json_object_array_get_idx(list, i),
                                            "reservationStatus", &st));
        if (!status || strcmp(json_object_get_string(st), status) == 0)
            n++;
    }
    json_object_put(o);
    return n;
}

static bool opera_settled(void)
{
    return bk_sagas_settled(&f) && op_count("OnHold") == 0 &&
           bk_summary(&f.pay, "openAuthorizations") == 0;
}

typedef struct checkout_arg {
    char *body;
    const char *key;
    int status;
    char code[64];
} checkout_arg_t;

/* One checkout on its own connection (the fixture's client is one). */
static void *checkout_thread(void *p)
{
    checkout_arg_t *a = p;
    char base[64], h[128];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f.port);
    snprintf(h, sizeof h, "Idempotency-Key: %s", a->key);
    const char *defaults[] = {f.auth_header, NULL};
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 60000,
                               .default_headers = defaults};
    http_client_t *c = http_client_new(&cc);
    const char *headers[] = {h, NULL};
    http_client_response_t r;
    if (c && http_client_post_json(c, "/api/booking/checkout", headers, a->body, &r) ==
                 HTTP_CLIENT_OK) {
        a->status = r.status;
        json_error_t je;
        struct json_object *o = json_parse_object(r.body, r.body_len, &je);
        if (o && bk_str(o, "errorCode"))
            snprintf(a->code, sizeof a->code, "%s", bk_str(o, "errorCode"));
        json_object_put(o);
    }
    http_client_response_clear(&r);
    http_client_free(c);
    return NULL;
}

/* The confirmation number of a live session hold in the OPERA ledger. */
static bool on_hold_confirmation(char *out, size_t size)
{
    const char *q[] = {"hotelCode", OP_HOTEL, NULL};
    struct json_object *o = ts_sandbox_get_json(&op, "/_sandbox/ledger", q), *list;
    ck_assert(json_object_object_get_ex(o, "reservations", &list));
    bool found = false;
    for (size_t i = 0; i < json_object_array_length(list) && !found; i++) {
        struct json_object *r = json_object_array_get_idx(list, i), *st, *id;
        if (json_object_object_get_ex(r, "reservationStatus", &st) &&
            strcmp(json_object_get_string(st), "OnHold") == 0 &&
            json_object_object_get_ex(r, "confirmationNumber", &id)) {
            snprintf(out, size, "%s", json_object_get_string(id));
            found = true;
        }
    }
    json_object_put(o);
    return found;
}

START_TEST(test_an_opera_and_a_cloudbeds_hotel_through_one_api)
{
    start_service(NULL);
    int status;
    char *body = op_body("opera", OP_ROOM, 12, 2);
    struct json_object *r = bk_checkout(&f, body, "op-1", &status);
    ck_assert_msg(status == 200, "OPERA checkout: %d %s", status, json_object_to_json_string(r));
    const char *booking_id = bk_str(r, "bookingId");
    ck_assert_ptr_nonnull(booking_id);
    ck_assert_ptr_nonnull(bk_str(r, "confirmationNumber"));
    /* our booking id travels as the external id of the OPERA reservation */
    const char *q[] = {"hotelCode", OP_HOTEL, NULL};
    struct json_object *ledger = ts_sandbox_get_json(&op, "/_sandbox/ledger", q), *list, *ext;
    ck_assert(json_object_object_get_ex(ledger, "reservations", &list));
    ck_assert_int_eq(json_object_array_length(list), 1);
    ck_assert(json_object_object_get_ex(json_object_array_get_idx(list, 0), "externalId", &ext));
    ck_assert_str_eq(json_object_get_string(ext), booking_id);
    json_object_put(ledger);
    json_object_put(r);
    free(body);
    ck_assert_int_eq(op_count("Reserved"), 1);
    ck_assert_msg(TS_POLL_UNTIL(opera_settled(), 20000), "not settled (log: %s)", f.log_path);

    /* the same service books the Cloudbeds hotel */
    char *cb = bk_body(&f, BK_ROOM, 12, 2, "tok_visa", 0);
    r = bk_checkout(&f, cb, "cb-1", &status);
    ck_assert_msg(status == 200, "Cloudbeds checkout: %d %s", status,
                  json_object_to_json_string(r));
    json_object_put(r);
    free(cb);
    ck_assert_int_eq(bk_summary(&f.pms, "confirmed"), 1);

    /* a checkout naming another vendor than the hotel's is refused, naming the field */
    body = op_body("cloudbeds", OP_ROOM, 14, 1);
    r = bk_checkout(&f, body, "op-wrong-vendor", &status);
    ck_assert_int_eq(status, 400);
    ck_assert_str_eq(bk_str(r, "field"), "vendor");
    json_object_put(r);
    free(body);

    /* sold out at OPERA: refused before any hold, nothing held */
    char json[256];
    dates_day_t in = dates_today_utc() + 16;
    char d[DATES_ISO_LEN + 1];
    dates_format_iso(in, d);
    snprintf(json, sizeof json,
             "{\"hotelCode\":\"" OP_HOTEL "\",\"roomType\":\"" OP_ROOM
             "\",\"from\":\"%s\",\"to\":\"%s\",\"available\":0}",
             d, d);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/availability", json), 200);
    body = op_body("opera", OP_ROOM, 16, 1);
    r = bk_checkout(&f, body, "op-sold-out", &status);
    ck_assert_int_eq(status, 409);
    ck_assert_str_eq(bk_str(r, "errorCode"), "INVENTORY_UNAVAILABLE");
    json_object_put(r);
    free(body);
    ck_assert_int_eq(op_count(NULL), 1);
}
END_TEST

START_TEST(test_opera_faults_leave_no_hold_and_never_two)
{
    start_service(NULL);
    int status;
    /* a create that fails before OPERA acts: the checkout fails, nothing is held */
    ts_sandbox_fault(&op, "{\"op\":\"postReservation\",\"status\":502,\"failNext\":1}");
    char *body = op_body("opera", OP_ROOM, 20, 2);
    struct json_object *r = bk_checkout(&f, body, "op-f1", &status);
    ck_assert_msg(status != 200, "a failed create booked: %s", json_object_to_json_string(r));
    json_object_put(r);
    free(body);
    ck_assert_msg(TS_POLL_UNTIL(opera_settled(), 20000), "not settled (log: %s)", f.log_path);
    ck_assert_int_eq(op_count(NULL), 0);

    /* OPERA made the hold, its answer was lost: found by our id, booked once */
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/behaviour", "{\"failAfterCreate\":1}"), 200);
    body = op_body("opera", OP_ROOM, 22, 2);
    r = bk_checkout(&f, body, "op-f2", &status);
    ck_assert_msg(status == 200, "lost answer: %d %s", status, json_object_to_json_string(r));
    json_object_put(r);
    free(body);
    ck_assert_msg(TS_POLL_UNTIL(opera_settled(), 20000), "not settled (log: %s)", f.log_path);
    ck_assert_int_eq(op_count(NULL), 1);
    ck_assert_int_eq(op_count("Reserved"), 1);

    /* the session hold purged while the payment is slow: never confirmed, money released */
    ts_sandbox_fault(&f.pay, "{\"op\":\"*\",\"latencyMs\":1000,\"failNext\":1}");
    checkout_arg_t a = {.body = op_body("opera", OP_ROOM, 24, 1), .key = "op-f3"};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, checkout_thread, &a), 0);
    char conf[64] = "";
    bool held = TS_POLL_UNTIL(on_hold_confirmation(conf, sizeof conf), 10000);
    if (held) {
        char json[160];
        snprintf(json, sizeof json,
                 "{\"hotelCode\":\"" OP_HOTEL "\",\"confirmationNumber\":\"%s\"}", conf);
        ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/sessions/purge", json), 200);
    }
    pthread_join(t, NULL);
    free(a.body);
    ck_assert_msg(held, "the checkout never held a room");
    ck_assert_msg(a.status != 200, "a purged hold was confirmed");
    ck_assert_msg(TS_POLL_UNTIL(opera_settled(), 20000), "not settled (log: %s)", f.log_path);
    ck_assert_int_eq(op_count("Reserved"), 1); /* still only the earlier one */
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking WHERE status = 'confirmed'", NULL),
                     1);
}
END_TEST

START_TEST(test_the_last_opera_rooms_go_to_exactly_two)
{
    start_service(NULL);
    enum { RACERS = 4 };
    checkout_arg_t a[RACERS];
    pthread_t t[RACERS];
    char keys[RACERS][32];
    for (int i = 0; i < RACERS; i++) {
        snprintf(keys[i], sizeof keys[i], "op-race-%d", i);
        a[i] = (checkout_arg_t){.body = op_body("opera", OP_SUITE, 30, 2), .key = keys[i]};
    }
    for (int i = 0; i < RACERS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, checkout_thread, &a[i]), 0);
    int won = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(t[i], NULL);
        if (a[i].status == 200)
            won++;
        else
            ck_assert_msg(a[i].status == 409, "racer %d: %d %s", i, a[i].status, a[i].code);
        free(a[i].body);
    }
    ck_assert_int_eq(won, 2); /* two suites */
    ck_assert_msg(TS_POLL_UNTIL(opera_settled(), 20000), "not settled (log: %s)", f.log_path);
    ck_assert_int_eq(op_count("Reserved"), 2);
    ck_assert_int_eq(bk_summary(&f.pay, "captured"), 2);
}
END_TEST

START_TEST(test_a_crash_after_the_hold_leaves_no_hold)
{
    static const struct {
        const char *step;
        bool confirmed;
    } cases[] = {{"hold", false}, {"confirm", true}};
    int confirmed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hook[64], key[64];
        snprintf(hook, sizeof hook, "BOOKING_TEST_CRASH_AFTER=%s", cases[i].step);
        snprintf(key, sizeof key, "op-crash-%s", cases[i].step);
        const char *env[] = {"BOOKING_TEST_HOOKS=1", hook, "BOOKING_SAGA_LEASE_S=2", NULL};
        start_service(env);
        checkout_arg_t a = {.body = op_body("opera", OP_ROOM, 40 + (int)i * 3, 2), .key = key};
        checkout_thread(&a);
        ck_assert_msg(TS_POLL_UNTIL(!ts_proc_alive(f.svc), 10000), "%s: still alive",
                      cases[i].step);
        bk_service_stop(&f, SIGKILL);
        const char *after[] = {"BOOKING_SAGA_LEASE_S=2", NULL};
        start_service(after); /* recovery takes the saga over */
        if (cases[i].confirmed)
            confirmed++;
        ck_assert_msg(TS_POLL_UNTIL(opera_settled(), 20000), "%s: not settled (log: %s)",
                      cases[i].step, f.log_path);
        ck_assert_int_eq(op_count("Reserved"), confirmed);
        ck_assert_int_eq(op_count(NULL), (int)i + 1); /* never a second hold */
        ck_assert_int_eq(bk_summary(&f.pay, "captured") - bk_summary(&f.pay, "refunds"),
                         confirmed);
        bk_service_stop(&f, SIGTERM);
        free(a.body);
    }
}
END_TEST

/* booking-svc's count of reads of our bookings' status with this outcome. */
static long watch_checks(const char *outcome)
{
    http_client_response_t r;
    long n = 0;
    char name[96];
    snprintf(name, sizeof name, "booking_pms_watch_checks_total{outcome=\"%s\"}", outcome);
    if (http_client_get(f.http, "/metrics", NULL, NULL, &r) == HTTP_CLIENT_OK && r.body) {
        const char *m = strstr(r.body, name);
        if (m)
            n = strtol(strchr(m, '}') + 1, NULL, 10);
    }
    http_client_response_clear(&r);
    return n;
}

START_TEST(test_a_desk_cancel_of_our_booking_is_seen_and_refunded_once)
{
    const char *env[] = {"BOOKING_PMS_WATCH_INTERVAL_S=1", NULL};
    start_service(env);
    int status;
    /* another booking that stays live: its reads count the watch's passes */
    char *other = op_body("opera", OP_ROOM, 56, 1);
    struct json_object *r = bk_checkout(&f, other, "op-desk-other", &status);
    ck_assert_int_eq(status, 200);
    json_object_put(r);
    free(other);
    char *body = op_body("opera", OP_ROOM, 50, 2);
    r = bk_checkout(&f, body, "op-desk", &status);
    ck_assert_msg(status == 200, "checkout: %d %s", status, json_object_to_json_string(r));
    char conf[64];
    snprintf(conf, sizeof conf, "%s", bk_str(r, "confirmationNumber"));
    json_object_put(r);
    free(body);
    ck_assert_msg(TS_POLL_UNTIL(bk_summary(&f.pay, "captured") == 2, 20000), "not captured");
    char json[160];
    snprintf(json, sizeof json, "{\"hotelCode\":\"" OP_HOTEL "\",\"confirmationNumber\":\"%s\"}",
             conf);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/cancel", json), 200);
    /* no webhook: booking-svc's own reads see it, our cancel runs and refunds */
    ck_assert_msg(TS_POLL_UNTIL(bk_db_int(&f,
                                          "SELECT COUNT(*) FROM booking WHERE status = "
                                          "'cancelled'",
                                          NULL) == 1 &&
                                    bk_summary(&f.pay, "refunds") == 1,
                                20000),
                  "the desk cancel was not applied (log: %s)", f.log_path);
    /* A pass that ran before our cancel landed may have seen it again (the
     * same outbox row, by design). Two more passes of the other booking: the
     * one running when the cancel landed is over, so no count is pending. */
    long live = watch_checks("live");
    ck_assert(TS_POLL_UNTIL(watch_checks("live") >= live + 2, 20000));
    long seen = watch_checks("cancelled");
    ck_assert_int_ge(seen, 1);
    /* later passes: the cancelled booking is no longer watched, nothing more happens */
    live = watch_checks("live");
    ck_assert(TS_POLL_UNTIL(watch_checks("live") >= live + 2, 20000));
    ck_assert_int_eq(watch_checks("cancelled"), seen);
    ck_assert_int_eq(bk_summary(&f.pay, "refunds"), 1);
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking WHERE status = 'cancelled'",
                               NULL),
                     1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_booking_opera");
    TCase *tc = tcase_create("opera");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_an_opera_and_a_cloudbeds_hotel_through_one_api);
    tcase_add_test(tc, test_opera_faults_leave_no_hold_and_never_two);
    tcase_add_test(tc, test_the_last_opera_rooms_go_to_exactly_two);
    tcase_add_test(tc, test_a_crash_after_the_hold_leaves_no_hold);
    tcase_add_test(tc, test_a_desk_cancel_of_our_booking_is_seen_and_refunded_once);
    suite_add_tcase(s, tc);
    return check_run(s);
}
