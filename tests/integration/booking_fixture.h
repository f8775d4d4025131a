/*
 * booking_fixture.h — what the booking-svc integration tests share
 * (it_booking_checkout.c, it_booking_faults.c, it_booking_crash.c): a
 * migrated database, a Redis database, Kafka topics under a unique prefix,
 * pms-sandbox and pay-sandbox, and booking-svc itself on free ports; plus
 * checkout requests and ledger assertions.
 *
 *     bk_fixture_t f;
 *     bk_setup(&f);                         // infra + sandboxes
 *     bk_service_start(&f, NULL);           // booking-svc, waits for /readyz
 *     int status; json_object *r = bk_checkout(&f, body, "key-1", &status);
 *     bk_assert_ledgers_clean(&f, 1);       // one confirmed, no open hold or authorisation
 *     bk_teardown(&f);
 *
 * inventory-svc beside it: bk_inventory_start(&f, &inv, env) on the fixture,
 * or bk_inventory_start_env(&inv, env, ...) in a test with infrastructure of
 * its own; bk_inventory_stop(&inv).
 *
 * Header-only (static inline) so each test binary carries its own copy.
 */
#ifndef BOOKING_FIXTURE_H
#define BOOKING_FIXTURE_H

#include <check.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/dates.h"
#include "common/db.h"
#include "common/http_client.h"
#include "common/json.h"
#include "common/kafka.h"
#include "testsupport.h"
#include "ts_reconcile.h"
#include "ts_sandbox.h"

#define BK_HOTEL "hotel_123"
#define BK_ROOM "room_456"
#define BK_SMALL_ROOM "room_457" /* 3 rooms */
#define BK_MAX_ENV 40

typedef struct bk_fixture {
    ts_sandbox_t pms, pay, toss;
    char db_name[96], db_url[256];
    int redis_db;
    char redis_url[128];
    char prefix[64];
    const char *brokers;
    int port;
    ts_proc_t *svc;
    char log_path[256];
    http_client_t *http; /* sends auth_header: an operator key of every hotel */
    db_t *db;
    char auth_header[TS_AUTH_HEADER_MAX];
} bk_fixture_t;

static inline void bk_setup(bk_fixture_t *f)
{
    memset(f, 0, sizeof *f);
    f->brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    ck_assert_int_eq(
        ts_db_create_migrated("bk", f->db_name, sizeof f->db_name, f->db_url, sizeof f->db_url), 0);
    f->redis_db = ts_redis_db_acquire(f->redis_url, sizeof f->redis_url);
    ck_assert_int_ge(f->redis_db, 0);
    char p[48];
    ts_unique_name("bk", p, sizeof p);
    snprintf(f->prefix, sizeof f->prefix, "%s.", p);
    const char *bases[] = {"booking.events", "booking.compensations", "ops.alerts", "pms.events"};
    char names[4][128];
    const char *list[4];
    for (int i = 0; i < 4; i++) {
        kafka_topic_name(f->prefix, bases[i], names[i], sizeof names[i]);
        list[i] = names[i];
    }
    char err[256];
    ck_assert_msg(kafka_admin_create_topics(f->brokers, list, 4, 3, 1, 15000, err, sizeof err) == 0,
                  "%s", err);
    ts_sandbox_start(&f->pms, "pms-sandbox", "PMS_SANDBOX_PORT", NULL);
    ts_sandbox_start(&f->pay, "pay-sandbox", "PAY_SANDBOX_PORT", NULL);
    const char *toss_env[] = {"TOSS_SANDBOX_ACQUISITION=manual", "TOSS_SANDBOX_WEBHOOK_MINUTE_MS=50",
                              NULL};
    ts_sandbox_start(&f->toss, "toss-sandbox", "TOSS_SANDBOX_PORT", toss_env);
    char dberr[256];
    f->db = db_new(f->db_url, dberr, sizeof dberr);
    ck_assert_msg(f->db != NULL, "%s", dberr);
    ck_assert_int_eq(ts_api_key_header(f->db_url, "operator", NULL, f->auth_header, NULL), 0);
}

/* Starts one more booking-svc process on the fixture's database, Redis,
 * topics and sandboxes, with the fixture's environment plus `extra`
 * ("NAME=value", NULL-terminated, may be NULL; later entries win), on a free
 * port (*port) logging to log_path, and waits for /readyz. A replica of the
 * fixture's own service when called again. */
static inline ts_proc_t *bk_spawn(bk_fixture_t *f, const char *const *extra, int *port,
                                  char *log_path, size_t log_size)
{
    char vars[8][300];
    *port = ts_free_port();
    snprintf(vars[0], sizeof vars[0], "BOOKING_SVC_PORT=%d", *port);
    snprintf(vars[1], sizeof vars[1], "MYSQL_URL=%s", f->db_url);
    snprintf(vars[2], sizeof vars[2], "REDIS_URL=%s", f->redis_url);
    snprintf(vars[3], sizeof vars[3], "KAFKA_TOPIC_PREFIX=%s", f->prefix);
    snprintf(vars[4], sizeof vars[4], "PMS_BASE_URL=%s", f->pms.base_url);
    snprintf(vars[5], sizeof vars[5], "PAYMENT_BASE_URL=%s", f->pay.base_url);
    snprintf(vars[6], sizeof vars[6], "KAFKA_BROKERS=%s", f->brokers);
    snprintf(vars[7], sizeof vars[7], "TOSS_BASE_URL=%s", f->toss.base_url);
    const char *env[BK_MAX_ENV] = {vars[0],
                                   vars[1],
                                   vars[2],
                                   vars[3],
                                   vars[4],
                                   vars[5],
                                   vars[6],
                                   vars[7],
                                   "TOSS_SECRET_KEY=test_sk_sandbox",
                                   "TOSS_ACQUISITION=manual",
                                   "TOSS_TIMEOUT_MS=1500",
                                   "PMS_hotel_123_API_KEY=cbk_sandbox_hotel_123",
                                   "PMS_RATE_LIMIT_PER_SECOND=1000",
                                   "PMS_TIMEOUT_MS=1500",
                                   "PAYMENT_API_KEY=sk_test_sandbox",
                                   "PAYMENT_TIMEOUT_MS=1500",
                                   "INVENTORY_BASE_URL=http://127.0.0.1:9",
                                   "BOOKING_RECOVERY_INTERVAL_S=1",
                                   "BOOKING_SAGA_LEASE_S=4",
                                   "COMPENSATION_BACKOFF_MS=100",
                                   "COMPENSATION_MAX_BACKOFF_MS=1000",
                                   "BOOKING_DB_POOL_SIZE=24",
                                   "LOG_LEVEL=warn",
                                   "HTTP_MAX_BODY_BYTES=65536",
                                   /* the tests' many checkouts all come from loopback;
                                    * it_booking_rate_limit turns the limit on */
                                   "CHECKOUT_RATE_LIMIT_PER_MINUTE=0",
                                   TS_SERVICE_TOKEN_ENV};
    size_t n = 26;
    for (size_t i = 0; extra && extra[i] && n < BK_MAX_ENV - 1; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    snprintf(log_path, log_size, "%s/booking-svc-%d.log", LODGING_BINARY_DIR, *port);
    ts_proc_t *p =
        ts_proc_start(LODGING_BINARY_DIR "/services/booking-svc/booking-svc", env, log_path);
    ck_assert_msg(p != NULL, "booking-svc did not start");
    ck_assert_msg(ts_http_wait_ok(*port, "/readyz", 20000), "booking-svc not ready (log: %s)",
                  log_path);
    return p;
}

/* Starts the fixture's booking-svc (bk_spawn) and its HTTP client. */
static inline void bk_service_start(bk_fixture_t *f, const char *const *extra)
{
    f->svc = bk_spawn(f, extra, &f->port, f->log_path, sizeof f->log_path);
    if (!f->http) {
        char base[64];
        snprintf(base, sizeof base, "http://127.0.0.1:%d", f->port);
        const char *headers[] = {f->auth_header, NULL};
        http_client_config_t cc = {
            .base_url = base, .total_timeout_ms = 60000, .default_headers = headers};
        f->http = http_client_new(&cc);
    }
}

/* An inventory-svc beside booking-svc: on the fixture's infrastructure
 * (bk_inventory_start), or on a test's own (bk_inventory_start_env). */
typedef struct bk_inventory {
    ts_proc_t *proc;        /* NULL: not running */
    int port;
    char log[256];
    char base_url_env[64]; /* INVENTORY_BASE_URL=... for booking-svc */
} bk_inventory_t;

#define BK_INVENTORY_MAX_ENV 24
#define BK_INVENTORY_MAX_EXTRA 12
#define BK_INVENTORY_READY_TIMEOUT_MS 20000

/* Starts inventory-svc on a free port with the PMS limit raised
 * (PMS_RATE_LIMIT_PER_SECOND=1000), LOG_LEVEL=warn and the service token,
 * then env ("NAME=value", NULL-terminated, at most BK_INVENTORY_MAX_ENV: the
 * database, Redis, brokers, topic prefix and PMS, the hotels' PMS keys and
 * vendors); later entries win, so env can also undo a default
 * ("PMS_RATE_LIMIT_PER_SECOND=0": the vendor's own limit; "LOG_LEVEL=debug").
 * It logs to Testing/<log_name>.inventory-svc.log, emptied first (beside the
 * logs of a test's other services), or with log_name NULL appends to
 * inventory-svc-<port>.log; waits up to ready_timeout_ms (0:
 * BK_INVENTORY_READY_TIMEOUT_MS) until it is ready. */
static inline void bk_inventory_start_env(bk_inventory_t *inv, const char *const *env,
                                          const char *log_name, int ready_timeout_ms)
{
    inv->port = ts_free_port();
    char port_var[40];
    snprintf(port_var, sizeof port_var, "INVENTORY_SVC_PORT=%d", inv->port);
    snprintf(inv->base_url_env, sizeof inv->base_url_env, "INVENTORY_BASE_URL=http://127.0.0.1:%d",
             inv->port);
    const char *all[5 + BK_INVENTORY_MAX_ENV] = {port_var, "PMS_RATE_LIMIT_PER_SECOND=1000",
                                                 "LOG_LEVEL=warn", TS_SERVICE_TOKEN_ENV};
    size_t n = 4;
    for (size_t i = 0; env && env[i]; i++) {
        ck_assert(i < BK_INVENTORY_MAX_ENV);
        all[n++] = env[i];
    }
    all[n] = NULL;
    if (log_name) {
        snprintf(inv->log, sizeof inv->log, "%s/Testing/%s.inventory-svc.log", LODGING_BINARY_DIR,
                 log_name);
        remove(inv->log);
    } else {
        snprintf(inv->log, sizeof inv->log, "%s/inventory-svc-%d.log", LODGING_BINARY_DIR,
                 inv->port);
    }
    inv->proc =
        ts_proc_start(LODGING_BINARY_DIR "/services/inventory-svc/inventory-svc", all, inv->log);
    ck_assert(inv->proc != NULL);
    int wait_ms = ready_timeout_ms > 0 ? ready_timeout_ms : BK_INVENTORY_READY_TIMEOUT_MS;
    ck_assert_msg(ts_http_wait_ok(inv->port, "/readyz", wait_ms),
                  "inventory-svc not ready (log: %s)", inv->log);
}

/* bk_inventory_start_env on the fixture's database, Redis, brokers, topics
 * and pms-sandbox, with extra_env (NULL-terminated, at most
 * BK_INVENTORY_MAX_EXTRA). */
static inline void bk_inventory_start(bk_fixture_t *f, bk_inventory_t *inv,
                                      const char *const *extra_env)
{
    char v[5][300];
    snprintf(v[0], sizeof v[0], "MYSQL_URL=%s", f->db_url);
    snprintf(v[1], sizeof v[1], "REDIS_URL=%s", f->redis_url);
    snprintf(v[2], sizeof v[2], "KAFKA_TOPIC_PREFIX=%s", f->prefix);
    snprintf(v[3], sizeof v[3], "PMS_BASE_URL=%s", f->pms.base_url);
    snprintf(v[4], sizeof v[4], "KAFKA_BROKERS=%s", f->brokers);
    const char *env[6 + BK_INVENTORY_MAX_EXTRA] = {v[0], v[1], v[2], v[3], v[4]};
    size_t n = 5;
    for (size_t i = 0; extra_env && extra_env[i]; i++) {
        ck_assert(i < BK_INVENTORY_MAX_EXTRA);
        env[n++] = extra_env[i];
    }
    env[n] = NULL;
    bk_inventory_start_env(inv, env, NULL, 0);
}

/* Stops it (a clean exit asserted) if it runs. */
static inline void bk_inventory_stop(bk_inventory_t *inv)
{
    if (!inv->proc)
        return;
    int st = ts_proc_stop(inv->proc, SIGTERM, 15000);
    inv->proc = NULL;
    ck_assert_msg(st == 0, "inventory-svc exit status %d (log: %s)", st, inv->log);
}

/* SIGTERM (clean stop asserted) or SIGKILL. */
static inline void bk_service_stop(bk_fixture_t *f, int sig)
{
    if (!f->svc)
        return;
    int st = ts_proc_stop(f->svc, sig, 15000);
    if (sig == SIGTERM)
        ck_assert_msg(st == 0, "booking-svc exit status %d (log: %s)", st, f->log_path);
    f->svc = NULL;
    http_client_free(f->http);
    f->http = NULL;
}

static inline void bk_teardown(bk_fixture_t *f)
{
    bk_service_stop(f, SIGTERM);
    ts_sandbox_stop(&f->pms);
    ts_sandbox_stop(&f->pay);
    ts_sandbox_stop(&f->toss);
    db_free(f->db);
    ts_db_drop(f->db_name);
    ts_redis_db_release(f->redis_db);
}

/* The price of a stay of hotel_123/room in minor units (KRW), from the sandbox. */
static inline int64_t bk_stay_amount(bk_fixture_t *f, const char *room, dates_day_t in, int nights)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(in, from);
    dates_format_iso(in + nights - 1, to);
    const char *q[] = {"propertyID", BK_HOTEL, "roomTypeID", room, "from", from, "to", to, NULL};
    struct json_object *o = ts_sandbox_get_json(&f->pms, "/_sandbox/inventory", q), *arr = o, *x;
    if (json_object_object_get_ex(o, "inventory", &x))
        arr = x;
    int64_t total = 0;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *rate;
        ck_assert(json_object_object_get_ex(json_object_array_get_idx(arr, i), "rate", &rate));
        total += json_object_get_int64(rate);
    }
    json_object_put(o);
    return total;
}

/* A checkout body (malloc'd) for `nights` nights from today + offset days. */
static inline char *bk_body(bk_fixture_t *f, const char *room, int offset, int nights,
                            const char *token, int64_t amount_or_zero)
{
    dates_day_t in = dates_today_utc() + offset;
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1];
    dates_format_iso(in, ci);
    dates_format_iso(in + nights, co);
    int64_t amount = amount_or_zero ? amount_or_zero : bk_stay_amount(f, room, in, nights);
    char *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" BK_HOTEL "\",\"roomTypeId\":"
                       "\"%s\",\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{"
                       "\"firstName\":\"홍\",\"lastName\":\"길동\",\"email\":\"hong@example.com\","
                       "\"phone\":\"+82-10-1234-5678\"},\"adults\":2,\"children\":0,\"payment\":{"
                       "\"cardToken\":\"%s\",\"amount\":%lld,\"currency\":\"KRW\"}}",
                       room, ci, co, token, (long long)amount) > 0);
    return body;
}

/* POST /api/booking/checkout; the JSON answer (caller puts) and its status. */
static inline struct json_object *bk_checkout(bk_fixture_t *f, const char *body, const char *key,
                                              int *status)
{
    char h[300];
    const char *headers[] = {h, NULL};
    if (key)
        snprintf(h, sizeof h, "Idempotency-Key: %s", key);
    http_client_response_t r;
    http_client_err_t e =
        http_client_post_json(f->http, "/api/booking/checkout", key ? headers : NULL, body, &r);
    ck_assert_msg(e == HTTP_CLIENT_OK, "checkout: %s (log: %s)", r.error, f->log_path);
    *status = r.status;
    json_error_t je;
    struct json_object *o = json_parse_object(r.body, r.body_len, &je);
    ck_assert_msg(o != NULL, "checkout answered no JSON: %s", r.body);
    http_client_response_clear(&r);
    return o;
}

static inline const char *bk_str(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* GET /api/bookings/:id (caller puts), asserting 200. */
static inline struct json_object *bk_get_booking(bk_fixture_t *f, const char *id, char **raw)
{
    char path[128];
    snprintf(path, sizeof path, "/api/bookings/%s", id);
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(f->http, path, NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 200, "GET %s: %d %s", path, r.status, r.body);
    json_error_t je;
    struct json_object *o = json_parse_object(r.body, r.body_len, &je);
    if (raw)
        *raw = strdup(r.body);
    http_client_response_clear(&r);
    ck_assert(o != NULL);
    return o;
}

static inline int64_t bk_summary(ts_sandbox_t *sb, const char *field)
{
    struct json_object *o = ts_sandbox_get_json(sb, "/_sandbox/ledger", NULL), *s, *v;
    ck_assert(json_object_object_get_ex(o, "summary", &s));
    int64_t n = json_object_object_get_ex(s, field, &v) ? json_object_get_int64(v) : -1;
    json_object_put(o);
    return n;
}

/* A scalar of the fixture database (first cell as integer; -1 when NULL). */
static inline int64_t bk_db_int(bk_fixture_t *f, const char *sql, const char *arg)
{
    db_param_t p[] = {DB_STR(arg)};
    db_result_t *res = NULL;
    ck_assert_msg(db_query(f->db, sql, p, arg ? 1 : 0, &res) == DB_OK, "%s", db_error(f->db));
    int64_t v = -1;
    if (db_result_rows(res) > 0)
        db_result_int64(res, 0, 0, &v);
    db_result_free(res);
    return v;
}

/* No saga is left mid-way and every saga's end agrees with the ledgers. */
static inline bool bk_sagas_settled(bk_fixture_t *f)
{
    return bk_db_int(f,
                     "SELECT COUNT(*) FROM saga_instance WHERE state NOT IN ('completed', "
                     "'failed')",
                     NULL) == 0;
}

/* ts_reconcile: the three ledgers agree exactly (asserted). */
static inline void bk_assert_reconciled(bk_fixture_t *f)
{
    static char report[8192];
    ck_assert_msg(ts_reconcile_with_toss(&f->pms, &f->pay, &f->toss, f->db_url, report,
                                         sizeof report),
                  "ledgers disagree (log: %s):\n%s", f->log_path, report);
}

/* The PMS ledger, the booking table and the payment ledgers agree: `confirmed`
 * bookings confirmed in the PMS and paid (Stripe: captured; Toss: approved
 * and settled or scheduled); no open hold; no open authorisation; no Toss
 * approval kept beyond the confirmed Toss bookings; nothing captured beyond
 * the confirmed bookings. */
static inline void bk_assert_ledgers_clean(bk_fixture_t *f, int confirmed)
{
    ck_assert_msg(TS_POLL_UNTIL(bk_sagas_settled(f) && bk_summary(&f->pms, "openHolds") == 0 &&
                                    bk_summary(&f->pay, "openAuthorizations") == 0,
                                20000),
                  "not settled: sagas open %lld, holds %lld, authorisations %lld (log: %s)",
                  (long long)bk_db_int(f,
                                       "SELECT COUNT(*) FROM saga_instance WHERE state NOT IN "
                                       "('completed', 'failed')",
                                       NULL),
                  (long long)bk_summary(&f->pms, "openHolds"),
                  (long long)bk_summary(&f->pay, "openAuthorizations"), f->log_path);
    ck_assert_int_eq(bk_db_int(f, "SELECT COUNT(*) FROM booking WHERE status = 'confirmed'", NULL),
                     confirmed);
    int64_t toss = bk_db_int(f,
                             "SELECT COUNT(*) FROM booking b JOIN booking_payment p ON "
                             "p.booking_id = b.booking_id WHERE b.status = 'confirmed' AND "
                             "p.provider = 'toss'",
                             NULL);
    ck_assert_int_eq(bk_summary(&f->pms, "confirmed"), confirmed);
    ck_assert_int_eq(bk_summary(&f->pay, "captured"), confirmed - toss);
    ck_assert_int_eq(bk_summary(&f->toss, "openApprovals"), toss);
    ck_assert_int_eq(bk_db_int(f,
                               "SELECT COUNT(*) FROM booking WHERE status = 'confirmed' AND "
                               "payment_status IN ('captured', 'capture_scheduled')",
                               NULL),
                     confirmed);
    bk_assert_reconciled(f);
}

/* ------------------------------------------------------ Toss Payments -- */

/* Plays Toss' payment window for orderId/amount (extra: more JSON members,
 * e.g. "\"declineWith\":\"REJECT_CARD_PAYMENT\""); copies the paymentKey. */
static inline void bk_toss_window(bk_fixture_t *f, const char *order_id, int64_t amount,
                                  const char *extra, char *key, size_t size)
{
    char body[512];
    snprintf(body, sizeof body, "{\"orderId\":\"%s\",\"amount\":%lld%s%s}", order_id,
             (long long)amount, extra ? "," : "", extra ? extra : "");
    http_client_response_t r;
    ck_assert_int_eq(http_client_post_json(f->toss.control, "/_sandbox/window", NULL, body, &r),
                     HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 200, "window: %d %s", r.status, r.body);
    json_error_t je;
    struct json_object *o = json_parse_object(r.body, r.body_len, &je), *v;
    http_client_response_clear(&r);
    ck_assert(o && json_object_object_get_ex(o, "paymentKey", &v));
    snprintf(key, size, "%s", json_object_get_string(v));
    json_object_put(o);
}

/* A checkout body paid through Toss: the window is played first (a fresh
 * orderId), then the body carries what its redirect returned. */
static inline char *bk_toss_body(bk_fixture_t *f, const char *room, int offset, int nights,
                                 const char *window_extra, char *order_id, size_t order_size)
{
    dates_day_t in = dates_today_utc() + offset;
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1], key[128];
    dates_format_iso(in, ci);
    dates_format_iso(in + nights, co);
    int64_t amount = bk_stay_amount(f, room, in, nights);
    char rnd[40];
    ck_assert_int_eq(crypto_random_id("ord-", rnd, sizeof rnd), 0);
    snprintf(order_id, order_size, "%s", rnd);
    bk_toss_window(f, order_id, amount, window_extra, key, sizeof key);
    char *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" BK_HOTEL "\",\"roomTypeId\":"
                       "\"%s\",\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{"
                       "\"firstName\":\"홍\",\"lastName\":\"길동\",\"email\":\"hong@example.com\","
                       "\"phone\":\"+82-10-1234-5678\"},\"adults\":2,\"children\":0,\"payment\":{"
                       "\"provider\":\"toss\",\"paymentKey\":\"%s\",\"orderId\":\"%s\","
                       "\"amount\":%lld,\"currency\":\"KRW\"}}",
                       room, ci, co, key, order_id, (long long)amount) > 0);
    return body;
}

/* The Toss ledger's summary field. */
static inline int64_t bk_toss_summary(bk_fixture_t *f, const char *field)
{
    return bk_summary(&f->toss, field);
}

/* o's member key; the test fails (naming o) when it has none. */
static inline struct json_object *bk_member(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
                  json_object_to_json_string(o));
    return v;
}

/* o's member key as an integer; the test fails when it has none. */
static inline int64_t bk_int_of(struct json_object *o, const char *key)
{
    return json_object_get_int64(bk_member(o, key));
}

#endif /* BOOKING_FIXTURE_H */
