/* The operator console's bookings, compensations and reconciliation on the
 * real stack: booking-svc takes checkouts against pms-sandbox and
 * pay-sandbox; inventory-svc (same database, Redis, topics and sandboxes)
 * answers the console. A search finds a booking by id, confirmation number,
 * guest last name and stay dates; its page shows saga steps, events and the
 * gateway's payment; a cancel from the console reaches the PMS and the
 * payment ledger through booking-svc; a compensation retried from the console
 * runs; the reconciliation reports nothing when the ledgers agree and a
 * reservation made in the PMS alone when one is injected. Hotel limits and
 * roles hold throughout. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"
#include "common/log.h"
#include "common/pms.h"
#include "inventory_fixture.h"

#define OFFSET 50 /* days from today: stays no other test of this database uses */
/* the data key ring both services read (k1 active) */
#define KEYRING_ENV                                                                                \
    "PMS_CONFIG_ENCRYPTION_KEYS="                                                                  \
    "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static bk_fixture_t f;
static inv_fixture_t inv;
static char viewer[TS_AUTH_HEADER_MAX], op[TS_AUTH_HEADER_MAX], other[TS_AUTH_HEADER_MAX];

static void setup(void)
{
    log_init("it_admin_console", LOG_LEVEL_ERROR);
    bk_setup(&f);
    const char *bk_env[] = {KEYRING_ENV, NULL};
    bk_service_start(&f, bk_env);
    memset(&inv, 0, sizeof inv);
    inv.sb = f.pms; /* the PMS booking-svc books in */
    inv.sandbox_started = true;
    inv.redis_url_override = f.redis_url;
    snprintf(inv.mysql_url, sizeof inv.mysql_url, "%s", f.db_url);
    snprintf(inv.topic_prefix, sizeof inv.topic_prefix, "%s", f.prefix);
    char booking_url[96], pay_url[200], brokers[160];
    snprintf(booking_url, sizeof booking_url, "BOOKING_SVC_URL=http://127.0.0.1:%d", f.port);
    snprintf(pay_url, sizeof pay_url, "PAYMENT_BASE_URL=%s", f.pay.base_url);
    snprintf(brokers, sizeof brokers, "KAFKA_BROKERS=%s", f.brokers);
    const char *env[] = {booking_url,
                         pay_url,
                         brokers,
                         "PAYMENT_API_KEY=sk_test_sandbox",
                         "PMS_RATE_LIMIT_PER_SECOND=1000",
                         KEYRING_ENV,
                         NULL};
    invfx_start(&inv, env);
    ck_assert_int_eq(ts_api_key_header(f.db_url, "viewer", NULL, viewer, NULL), 0);
    ck_assert_int_eq(ts_api_key_header(f.db_url, "operator", NULL, op, NULL), 0);
    ck_assert_int_eq(ts_api_key_header(f.db_url, "operator", "hotel_other", other, NULL), 0);
}

static void teardown(void)
{
    inv.sandbox_started = false; /* booking's fixture stops it */
    invfx_stop(&inv);
    bk_teardown(&f);
}

/* ------------------------------------------------------------ helpers -- */

static int call(const char *auth, const char *method, const char *path, const char *const *query,
                const char *json, struct json_object **out)
{
    http_client_response_t r;
    const char *headers[] = {"Content-Type: application/json", auth, NULL};
    http_client_err_t e = strcmp(method, "GET") == 0
                              ? http_client_get(inv.http, path, query, headers, &r)
                              : http_client_request(inv.http, method, path, NULL, headers, json,
                                                    json ? strlen(json) : 0, &r);
    int st = e == HTTP_CLIENT_OK ? r.status : 0;
    if (out)
        *out = r.body ? json_tokener_parse(r.body) : NULL;
    http_client_response_clear(&r);
    return st;
}

static struct json_object *member(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A confirmed checkout from today + offset: its booking id into id. */
static void checkout(int offset, int nights, char *id, size_t id_size, char *conf, size_t conf_size)
{
    char *body = bk_body(&f, BK_ROOM, offset, nights, "tok_visa", 0);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == 200, "status %d: %s", status, json_object_to_json_string(r));
    snprintf(id, id_size, "%s", bk_str(r, "bookingId"));
    if (conf)
        snprintf(conf, conf_size, "%s", bk_str(r, "confirmationNumber"));
    json_object_put(r);
    free(body);
}

static size_t items(struct json_object *page)
{
    return json_object_array_length(member(page, "items"));
}

/* ------------------------------------------------------------ search -- */

START_TEST(test_search_and_booking_page)
{
    char id[64], conf[64], id2[64];
    checkout(OFFSET, 2, id, sizeof id, conf, sizeof conf);
    checkout(OFFSET + 5, 1, id2, sizeof id2, NULL, 0);
    struct json_object *o = NULL;
    const char *by_id[] = {"bookingId", id, NULL};
    ck_assert_int_eq(call(viewer, "GET", "/api/admin/bookings", by_id, NULL, &o), 200);
    ck_assert_uint_eq(items(o), 1);
    struct json_object *b = json_object_array_get_idx(member(o, "items"), 0);
    ck_assert_str_eq(invfx_str(b, "status"), "confirmed");
    ck_assert_str_eq(invfx_str(b, "guestLastName"), "길동");
    ck_assert_str_eq(invfx_str(b, "paymentStatus"), "captured");
    json_object_put(o);

    const char *by_conf[] = {"confirmationNumber", conf, NULL};
    ck_assert_int_eq(call(viewer, "GET", "/api/admin/bookings", by_conf, NULL, &o), 200);
    ck_assert_uint_eq(items(o), 1);
    json_object_put(o);

    const char *by_name[] = {"lastName", "길동", "hotelId", BK_HOTEL, NULL};
    ck_assert_int_eq(call(viewer, "GET", "/api/admin/bookings", by_name, NULL, &o), 200);
    ck_assert_uint_eq(items(o), 2);
    ck_assert(!json_object_get_boolean(member(o, "truncated")));
    json_object_put(o);
    const char *nobody[] = {"lastName", "Nobody", NULL};
    ck_assert_int_eq(call(viewer, "GET", "/api/admin/bookings", nobody, NULL, &o), 200);
    ck_assert_uint_eq(items(o), 0);
    json_object_put(o);

    /* stays overlapping the first stay's nights only */
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + OFFSET, from);
    dates_format_iso(dates_today_utc() + OFFSET + 1, to);
    const char *by_dates[] = {"from", from, "to", to, NULL};
    ck_assert_int_eq(call(viewer, "GET", "/api/admin/bookings", by_dates, NULL, &o), 200);
    ck_assert_uint_eq(items(o), 1);
    json_object_put(o);
    const char *paged[] = {"hotelId", BK_HOTEL, "limit", "1", "offset", "1", NULL};
    ck_assert_int_eq(call(viewer, "GET", "/api/admin/bookings", paged, NULL, &o), 200);
    ck_assert_uint_eq(items(o), 1);
    ck_assert_str_eq(invfx_str(json_object_array_get_idx(member(o, "items"), 0), "bookingId"), id);
    json_object_put(o);

    const char *bad[][3] = {{"from", "tomorrow", NULL},
                            {"limit", "0", NULL},
                            {"status", "lost", NULL},
                            {"offset", "-1", NULL}};
    for (size_t i = 0; i < 4; i++) {
        const char *q[] = {bad[i][0], bad[i][1], NULL};
        ck_assert_int_eq(call(viewer, "GET", "/api/admin/bookings", q, NULL, &o), 400);
        ck_assert_str_eq(invfx_str(o, "field"), bad[i][0]);
        json_object_put(o);
    }

    /* the booking's page */
    char path[128];
    snprintf(path, sizeof path, "/api/admin/bookings/%s", id);
    ck_assert_int_eq(call(viewer, "GET", path, NULL, NULL, &o), 200);
    ck_assert_str_eq(invfx_str(member(o, "guest"), "firstName"), "홍");
    ck_assert(!strstr(json_object_to_json_string(o), "hong@example.com"));
    ck_assert_uint_ge(json_object_array_length(member(o, "steps")), 4);
    struct json_object *events = member(o, "events");
    ck_assert_uint_ge(json_object_array_length(events), 1);
    bool confirmed_event = false;
    for (size_t i = 0; i < json_object_array_length(events); i++)
        confirmed_event |= strcmp(invfx_str(json_object_array_get_idx(events, i), "type"),
                                  "lodging.booking.confirmed") == 0;
    ck_assert(confirmed_event);
    struct json_object *gw = member(member(o, "payment"), "gateway");
    ck_assert_str_eq(invfx_str(gw, "status"), "captured");
    json_object_put(o);

    /* another hotel's staff see nothing of it */
    ck_assert_int_eq(call(other, "GET", "/api/admin/bookings", by_id, NULL, &o), 200);
    ck_assert_uint_eq(items(o), 0);
    json_object_put(o);
    ck_assert_int_eq(call(other, "GET", path, NULL, NULL, NULL), 404);
}
END_TEST

/* ------------------------------------------------------------ cancel -- */

START_TEST(test_cancel_from_the_console_refunds_at_the_gateway)
{
    char id[64];
    checkout(OFFSET + 10, 2, id, sizeof id, NULL, 0);
    char path[128];
    snprintf(path, sizeof path, "/api/admin/bookings/%s/cancel", id);
    ck_assert_int_eq(call(viewer, "POST", path, NULL, "{\"reason\":\"guest called\"}", NULL), 403);
    ck_assert_int_eq(call(other, "POST", path, NULL, "{\"reason\":\"guest called\"}", NULL), 404);
    struct json_object *o = NULL;
    ck_assert_int_eq(call(op, "POST", path, NULL, "{}", &o), 400);
    ck_assert_str_eq(invfx_str(o, "field"), "reason");
    json_object_put(o);
    ck_assert_int_eq(bk_summary(&f.pay, "refunds"), 0);

    int st = call(op, "POST", path, NULL, "{\"reason\":\"guest called\"}", &o);
    ck_assert_msg(st == 200, "status %d: %s", st, o ? json_object_to_json_string(o) : "");
    ck_assert_str_eq(invfx_str(o, "status"), "cancelled");
    json_object_put(o);
    /* the gateway's ledger has the refund, the PMS the cancellation */
    ck_assert_int_eq(bk_summary(&f.pay, "refunds"), 1);
    ck_assert_int_eq(bk_summary(&f.pms, "canceled"), 1);
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM audit_log WHERE action = 'booking.cancel' "
                               "AND booking_id = ? AND actor_kind = 'api_key'",
                               id),
                     1);
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM saga_step_log WHERE booking_id = ? AND "
                               "detail LIKE '%guest called%'",
                               id),
                     1);
    /* again: already cancelled, nothing more refunded */
    ck_assert_int_eq(call(op, "POST", path, NULL, "{\"reason\":\"again\"}", NULL), 200);
    ck_assert_int_eq(bk_summary(&f.pay, "refunds"), 1);
}
END_TEST

/* ----------------------------------------------------- compensations -- */

/* A pending task the worker leaves alone until it is due (tomorrow). */
static int64_t insert_task(const char *booking_id, const char *action, const char *hold,
                           bool alerted)
{
    db_param_t p[] = {DB_STR(booking_id), DB_STR(action), DB_STR(hold), DB_INT(alerted)};
    uint64_t id = 0;
    ck_assert_int_eq(db_exec(f.db,
                             "INSERT INTO compensation_task (booking_id, action, hotel_id, "
                             "hold_id, reason, attempts, next_attempt_at, alerted_at) VALUES (?, "
                             "?, 'hotel_123', ?, 'test', 8, CURRENT_TIMESTAMP(3) + INTERVAL 1 "
                             "DAY, IF(?, CURRENT_TIMESTAMP(3), NULL))",
                             p, 4, NULL, &id),
                     DB_OK);
    return (int64_t)id;
}

START_TEST(test_compensations_list_and_retry)
{
    char id[64];
    checkout(OFFSET + 15, 1, id, sizeof id, NULL, 0);
    /* a hold the PMS no longer has: releasing it is done at once */
    int64_t task = insert_task(id, "release_hold", "res_gone_for_good", true);
    struct json_object *o = NULL;
    ck_assert_int_eq(call(viewer, "GET", "/api/admin/compensations", NULL, NULL, &o), 200);
    ck_assert_uint_eq(json_object_array_length(o), 1);
    struct json_object *t = json_object_array_get_idx(o, 0);
    ck_assert_str_eq(invfx_str(t, "action"), "release_hold");
    ck_assert_int_eq(invfx_int(t, "attempts"), 8);
    ck_assert(json_object_get_boolean(member(t, "stuck")));
    json_object_put(o);
    const char *stuck[] = {"state", "stuck", NULL};
    ck_assert_int_eq(call(viewer, "GET", "/api/admin/compensations", stuck, NULL, &o), 200);
    ck_assert_uint_eq(json_object_array_length(o), 1);
    json_object_put(o);
    const char *bad[] = {"state", "lost", NULL};
    ck_assert_int_eq(call(viewer, "GET", "/api/admin/compensations", bad, NULL, NULL), 400);
    ck_assert_int_eq(call(other, "GET", "/api/admin/compensations", NULL, NULL, &o), 200);
    ck_assert_uint_eq(json_object_array_length(o), 0);
    json_object_put(o);

    char path[128];
    snprintf(path, sizeof path, "/api/admin/compensations/%lld/retry", (long long)task);
    ck_assert_int_eq(call(viewer, "POST", path, NULL, "{}", NULL), 403);
    ck_assert_int_eq(call(other, "POST", path, NULL, "{}", NULL), 404);
    int st = call(op, "POST", path, NULL, "{}", &o);
    ck_assert_msg(st == 200, "status %d: %s", st, o ? json_object_to_json_string(o) : "");
    char task_id[24];
    snprintf(task_id, sizeof task_id, "%lld", (long long)task);
    ck_assert_str_eq(invfx_str(o, "compensationId"), task_id);
    json_object_put(o);
    ck_assert_msg(TS_POLL_UNTIL(bk_db_int(&f,
                                          "SELECT COUNT(*) FROM compensation_task WHERE "
                                          "booking_id = ? AND state = 'done'",
                                          id) == 1,
                                10000),
                  "the retried task did not finish");
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM audit_log WHERE action = "
                               "'compensation.retry' AND booking_id = ?",
                               id),
                     1);
    st = call(op, "POST", path, NULL, "{}", &o);
    ck_assert_int_eq(st, 409);
    ck_assert_str_eq(invfx_str(o, "errorCode"), "COMPENSATION_DONE");
    json_object_put(o);
    ck_assert_int_eq(call(op, "POST", "/api/admin/compensations/99999999/retry", NULL, "{}", NULL),
                     404);
    ck_assert_int_eq(call(op, "POST", "/api/admin/compensations/x1/retry", NULL, "{}", NULL), 400);
}
END_TEST

/* ---------------------------------------------------- reconciliation -- */

START_TEST(test_reconciliation_agrees_then_reports_a_walk_in)
{
    char id[64];
    checkout(OFFSET + 20, 2, id, sizeof id, NULL, 0);
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + OFFSET + 20, from);
    dates_format_iso(dates_today_utc() + OFFSET + 25, to);
    const char *q[] = {"hotelId", BK_HOTEL, "from", from, "to", to, NULL};
    struct json_object *o = NULL;
    ck_assert_int_eq(call(viewer, "GET", "/api/admin/reconciliation", q, NULL, NULL), 403);
    ck_assert_int_eq(call(other, "GET", "/api/admin/reconciliation", q, NULL, NULL), 404);
    int st = call(op, "GET", "/api/admin/reconciliation", q, NULL, &o);
    ck_assert_msg(st == 200, "status %d: %s", st, o ? json_object_to_json_string(o) : "");
    ck_assert_uint_eq(json_object_array_length(member(o, "mismatches")), 0);
    ck_assert_int_eq(invfx_int(member(o, "checked"), "bookings"), 1);
    json_object_put(o);

    /* a walk-in: made in the PMS through its vendor API, not through us */
    setenv("PMS_hotel_123_API_KEY", "cbk_sandbox_hotel_123", 1);
    char err[256];
    pms_config_t pc = PMS_CONFIG_DEFAULT;
    pc.base_url = f.pms.base_url;
    pc.rate_per_second = 1000;
    pms_connector_t *pms = pms_connector_new("cloudbeds", &pc, err, sizeof err);
    ck_assert_msg(pms != NULL, "%s", err);
    dates_day_t in = dates_today_utc() + OFFSET + 22;
    pms_hold_request_t rq = {
        .hotel_id = BK_HOTEL,
        .room_type_id = BK_ROOM,
        .check_in = in,
        .check_out = in + 1,
        .adults = 1,
        .guest = {.first_name = "Walk", .last_name = "In", .email = "walk.in@example.com"},
        .ttl_seconds = 600};
    pms_hold_t hold;
    pms_reservation_t res;
    pms_error_t e;
    ck_assert_msg(pms_create_hold(pms, &rq, &hold, &e) == PMS_OK, "%s", e.message);
    ck_assert_msg(pms_confirm_hold(pms, BK_HOTEL, hold.hold_id, &res, &e) == PMS_OK, "%s",
                  e.message);
    pms_connector_free(pms);

    st = call(op, "GET", "/api/admin/reconciliation", q, NULL, &o);
    ck_assert_int_eq(st, 200);
    struct json_object *list = member(o, "mismatches");
    ck_assert_uint_eq(json_object_array_length(list), 1);
    struct json_object *m = json_object_array_get_idx(list, 0);
    ck_assert_str_eq(invfx_str(m, "kind"), "pms_confirmed_not_booked");
    ck_assert_str_eq(invfx_str(m, "reservationId"), hold.hold_id);
    ck_assert(invfx_str(m, "action")[0] != '\0');
    json_object_put(o);
    const char *ignoring[] = {"hotelId", BK_HOTEL, "from", from, "to", to, "ignoreOtherChannels",
                              "true",    NULL};
    ck_assert_int_eq(call(op, "GET", "/api/admin/reconciliation", ignoring, NULL, &o), 200);
    ck_assert_uint_eq(json_object_array_length(member(o, "mismatches")), 0);
    json_object_put(o);

    const char *bad[][7] = {{"hotelId", BK_HOTEL, "from", "x", "to", to, NULL},
                            {"hotelId", BK_HOTEL, "from", to, "to", from, NULL},
                            {"hotelId", "a b", "from", from, "to", to, NULL}};
    const char *fields[] = {"from", "to", "hotelId"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(call(op, "GET", "/api/admin/reconciliation", bad[i], NULL, &o), 400);
        ck_assert_str_eq(invfx_str(o, "field"), fields[i]);
        json_object_put(o);
    }
}
END_TEST

/* ------------------------------------------------- onboard, then book -- */

START_TEST(test_an_onboarded_hotel_is_booked_from_the_public_api)
{
    char admin[TS_AUTH_HEADER_MAX];
    ck_assert_int_eq(ts_api_key_header(f.db_url, "admin", NULL, admin, NULL), 0);
    struct json_object *o = NULL;
    /* not configured anywhere yet: no key in booking-svc's environment either */
    int st = call(admin, "POST", "/api/admin/listings", NULL,
                  "{\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_jeju\","
                  "\"apiKey\":\"cbk_sandbox_hotel_jeju\",\"name\":\"Olle Stone House Jeju\","
                  "\"currency\":\"KRW\",\"roomTypes\":[{\"roomTypeId\":\"jeju_ondol\"}]}",
                  &o);
    ck_assert_msg(st == 201, "status %d: %s", st, o ? json_object_to_json_string(o) : "");
    json_object_put(o);

    /* the guest's checkout: booking-svc reads the sealed key from pms_config */
    dates_day_t in = dates_today_utc() + OFFSET + 2;
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1];
    dates_format_iso(in, ci);
    dates_format_iso(in + 1, co);
    const char *q[] = {"propertyID", "hotel_jeju", "roomTypeID", "jeju_ondol", "from",
                       ci,           "to",         ci,           NULL};
    struct json_object *nights = ts_sandbox_get_json(&f.pms, "/_sandbox/inventory", q);
    int64_t amount = json_object_get_int64(member(json_object_array_get_idx(nights, 0), "rate"));
    json_object_put(nights);
    char body[1024];
    snprintf(body, sizeof body,
             "{\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_jeju\",\"roomTypeId\":\"jeju_ondol\","
             "\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{\"firstName\":\"Mina\","
             "\"lastName\":\"Kim\",\"email\":\"mina@example.com\",\"phone\":\"+82-10-5555-0000\"},"
             "\"adults\":2,\"payment\":{\"cardToken\":\"tok_visa\",\"amount\":%lld,"
             "\"currency\":\"KRW\"}}",
             ci, co, (long long)amount);
    struct json_object *r = bk_checkout(&f, body, NULL, &st);
    ck_assert_msg(st == 200, "checkout status %d: %s", st, json_object_to_json_string(r));
    json_object_put(r);
    const char *lq[] = {"hotelId", "hotel_jeju", NULL};
    ck_assert_int_eq(call(admin, "GET", "/api/admin/bookings", lq, NULL, &o), 200);
    ck_assert_uint_eq(items(o), 1);
    ck_assert_str_eq(invfx_str(json_object_array_get_idx(member(o, "items"), 0), "guestLastName"),
                     "Kim");
    json_object_put(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_admin_console");
    TCase *tc = tcase_create("stack");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_search_and_booking_page);
    tcase_add_test(tc, test_cancel_from_the_console_refunds_at_the_gateway);
    tcase_add_test(tc, test_compensations_list_and_retry);
    tcase_add_test(tc, test_reconciliation_agrees_then_reports_a_walk_in);
    tcase_add_test(tc, test_an_onboarded_hotel_is_booked_from_the_public_api);
    suite_add_tcase(s, tc);
    return check_run(s);
}
