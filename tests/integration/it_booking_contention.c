/*
 * it_booking_contention.c — the last rooms sell under the vendor's own rate
 * limit: the pms-sandbox enforces Cloudbeds' 5 requests a second per property
 * (429 above it), two booking-svc replicas and inventory-svc share one PMS
 * budget per hotel in Redis, and many buyers race for a few last rooms in
 * several hotels at once, some of them with cards that are declined.
 *
 * What must hold: every room the PMS had is sold exactly once (a declined
 * card frees its room for another buyer), every refusal is a documented code
 * — "sold out" only once the rooms are really gone — and the PMS, the cache
 * and our database all end at 0 with the three ledgers reconciled. The same
 * race with Toss Payments payers: one approval kept for the one room, every
 * other approval (a payer whose hold was refused never gets one) cancelled. A second
 * test counts the PMS requests a checkout costs when the cache is warm: the
 * hold and the confirm, nothing else.
 */
#include <check.h>
#include <pthread.h>

#include "booking_fixture.h"
#include "check_run.h"
#include "common/redis.h"

#define CONTENTION_OFFSET_DAYS 140
#define BUYERS_PER_HOTEL 8
#define HOTELS 3
#define VENDOR_LIMIT_PER_S 5

typedef struct hot_hotel {
    const char *id, *room, *currency;
    int rooms; /* left for the night under contest */
} hot_hotel_t;

static const hot_hotel_t HOT[HOTELS] = {
    {"hotel_123", "room_456", "KRW", 2},
    {"hotel_busan", "busan_city_single", "KRW", 1},
    {"hotel_tokyo", "tokyo_tatami", "JPY", 3},
};

static const char *const HOTEL_KEYS[] = {
    "PMS_hotel_123_API_KEY=cbk_sandbox_hotel_123",
    "PMS_hotel_busan_API_KEY=cbk_sandbox_hotel_busan",
    "PMS_hotel_tokyo_API_KEY=cbk_sandbox_hotel_tokyo",
};

static bk_fixture_t f;
static bk_inventory_t inventory;
static ts_proc_t *replica;
static int replica_port;
static char replica_log[256];

/* inventory-svc on the fixture's database, Redis and PMS sandbox, with the
 * vendor's own rate (0 undoes the helper's raised limit). */
static void inventory_start(void)
{
    bk_inventory_start(&f, &inventory,
                       (const char *[]){HOTEL_KEYS[0], HOTEL_KEYS[1], HOTEL_KEYS[2],
                                        "PMS_RATE_LIMIT_PER_SECOND=0", NULL});
}

/* The settings both booking-svc replicas run with: inventory-svc for the
 * checks, the vendor's real limit (the fixture's override undone). */
static const char *const *booking_env(void)
{
    static const char *env[9];
    env[0] = inventory.base_url_env;
    env[1] = "PMS_RATE_LIMIT_PER_SECOND=5";
    env[2] = "PMS_TIMEOUT_MS=5000";
    env[3] = HOTEL_KEYS[0];
    env[4] = HOTEL_KEYS[1];
    env[5] = HOTEL_KEYS[2];
    /* the tests slow the gateway down to 1.5 s on purpose: well below this */
    env[6] = "PAYMENT_TIMEOUT_MS=8000";
    env[7] = NULL;
    return env;
}

/* A second booking-svc process on the same database, Redis and sandboxes. */
static void replica_start(void)
{
    replica = bk_spawn(&f, booking_env(), &replica_port, replica_log, sizeof replica_log);
}

static void setup(void)
{
    bk_setup(&f);
    inventory_start();
    bk_service_start(&f, booking_env());
    replica = NULL;
}

static void teardown(void)
{
    if (replica)
        ck_assert_int_eq(ts_proc_stop(replica, SIGTERM, 15000), 0);
    replica = NULL;
    bk_inventory_stop(&inventory);
    bk_teardown(&f);
}

/* ------------------------------------------------------------ helpers -- */

/* Price of a stay of hotel/room in minor units, from the sandbox. */
static int64_t stay_amount(const hot_hotel_t *h, dates_day_t in, int nights)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(in, from);
    dates_format_iso(in + nights - 1, to);
    const char *q[] = {"propertyID", h->id, "roomTypeID", h->room, "from", from, "to", to, NULL};
    struct json_object *o = ts_sandbox_get_json(&f.pms, "/_sandbox/inventory", q), *arr = o, *x;
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

/* Rooms the sandbox has left for hotel/room on night `in`. */
static int pms_available(const hot_hotel_t *h, dates_day_t in)
{
    char day[DATES_ISO_LEN + 1];
    dates_format_iso(in, day);
    const char *q[] = {"propertyID", h->id, "roomTypeID", h->room, "from", day, "to", day, NULL};
    struct json_object *o = ts_sandbox_get_json(&f.pms, "/_sandbox/inventory", q), *arr = o, *x, *a;
    if (json_object_object_get_ex(o, "inventory", &x))
        arr = x;
    ck_assert_int_eq(json_object_array_length(arr), 1);
    ck_assert(json_object_object_get_ex(json_object_array_get_idx(arr, 0), "available", &a));
    int n = json_object_get_int(a);
    json_object_put(o);
    return n;
}

/* Rooms inventory-svc says are left on night `in` (its cache), -1 on failure. */
static int cache_available(const hot_hotel_t *h, dates_day_t in)
{
    char day[DATES_ISO_LEN + 1], base[64];
    dates_format_iso(in, day);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", inventory.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 10000};
    http_client_t *c = http_client_new(&cc);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", h->id, "roomTypeId", h->room,
                       "from",   day,         "to",      day,   NULL};
    http_client_response_t r;
    int n = -1;
    if (http_client_get(c, "/api/inventory", q, NULL, &r) == HTTP_CLIENT_OK && r.status == 200) {
        json_error_t je;
        struct json_object *o = json_parse_object(r.body, r.body_len, &je), *arr, *a;
        if (o && json_object_object_get_ex(o, "nights", &arr) &&
            json_object_array_length(arr) == 1 &&
            json_object_object_get_ex(json_object_array_get_idx(arr, 0), "available", &a))
            n = json_object_get_int(a);
        json_object_put(o);
    }
    http_client_response_clear(&r);
    http_client_free(c);
    return n;
}

/* A guest looking at a stay before booking it: its availability and its
 * price (both through inventory-svc, which caches them). */
static void look_at(const hot_hotel_t *h, dates_day_t in, int nights)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1], base[64];
    dates_format_iso(in, from);
    /* the departure day too: a checkout reads its closed-to-departure rule */
    dates_format_iso(in + nights, to);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", inventory.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 10000};
    http_client_t *c = http_client_new(&cc);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", h->id, "roomTypeId", h->room,
                       "from",   from,        "to",      to,    NULL};
    const char *paths[] = {"/api/inventory", "/api/rates"};
    for (int i = 0; i < 2; i++) {
        http_client_response_t r;
        ck_assert_int_eq(http_client_get(c, paths[i], q, NULL, &r), HTTP_CLIENT_OK);
        ck_assert_msg(r.status == 200, "%s: %d %s", paths[i], r.status, r.body);
        http_client_response_clear(&r);
    }
    http_client_free(c);
}

/* A checkout body for one night of hotel h from `in` with card token. */
static char *body_for(const hot_hotel_t *h, dates_day_t in, int nights, const char *token)
{
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1];
    dates_format_iso(in, ci);
    dates_format_iso(in + nights, co);
    char *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"vendor\":\"cloudbeds\",\"hotelId\":\"%s\",\"roomTypeId\":\"%s\","
                       "\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{\"firstName\":"
                       "\"홍\",\"lastName\":\"길동\",\"email\":\"hong@example.com\",\"phone\":"
                       "\"+82-10-1234-5678\"},\"adults\":1,\"children\":0,\"payment\":{"
                       "\"cardToken\":\"%s\",\"amount\":%lld,\"currency\":\"%s\"}}",
                       h->id, h->room, ci, co, token, (long long)stay_amount(h, in, nights),
                       h->currency) > 0);
    return body;
}

/* A checkout body paid through Toss' payment window (played first). */
static char *toss_body_for(const hot_hotel_t *h, dates_day_t in, int nights, const char *extra)
{
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1], order[40], key[128];
    dates_format_iso(in, ci);
    dates_format_iso(in + nights, co);
    ck_assert_int_eq(crypto_random_id("ord-", order, sizeof order), 0);
    int64_t amount = stay_amount(h, in, nights);
    bk_toss_window(&f, order, amount, extra, key, sizeof key);
    char *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"vendor\":\"cloudbeds\",\"hotelId\":\"%s\",\"roomTypeId\":\"%s\","
                       "\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{\"firstName\":"
                       "\"홍\",\"lastName\":\"길동\",\"email\":\"hong@example.com\",\"phone\":"
                       "\"+82-10-1234-5678\"},\"adults\":1,\"children\":0,\"payment\":{"
                       "\"provider\":\"toss\",\"paymentKey\":\"%s\",\"orderId\":\"%s\","
                       "\"amount\":%lld}}",
                       h->id, h->room, ci, co, key, order, (long long)amount) > 0);
    return body;
}

/* Sets the sandbox's per-property limit (the vendor's: 5 a second). */
static void vendor_limit(int per_second)
{
    char json[96];
    snprintf(json, sizeof json, "{\"perSecond\":%d,\"burst\":%d}", per_second, per_second);
    ck_assert_int_eq(ts_sandbox_post(&f.pms, "/_sandbox/limits", json), 200);
}

/* Requests the sandbox counted for a property (all API methods), and those
 * of one method when method is not NULL. */
static int64_t pms_requests(const char *hotel, const char *method)
{
    const char *q[] = {"propertyID", hotel, NULL};
    struct json_object *o = ts_sandbox_get_json(&f.pms, "/_sandbox/stats", q), *req, *h;
    int64_t n = 0;
    if (json_object_object_get_ex(o, "requests", &req) &&
        json_object_object_get_ex(req, hotel, &h)) {
        json_object_object_foreach(h, k, v) if (!method || strcmp(k, method) == 0) n +=
            json_object_get_int64(v);
    }
    json_object_put(o);
    return n;
}

static void pms_stats_reset(void)
{
    http_client_response_t r;
    ck_assert_int_eq(http_client_request(f.pms.control, "DELETE", "/_sandbox/stats", NULL, NULL,
                                         NULL, 0, &r),
                     HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    http_client_response_clear(&r);
}

/* The front desk leaves `rooms` rooms of h on night `in`. */
static void set_rooms(const hot_hotel_t *h, dates_day_t in, int rooms)
{
    char day[DATES_ISO_LEN + 1], json[256];
    dates_format_iso(in, day);
    snprintf(json, sizeof json,
             "{\"propertyID\":\"%s\",\"roomTypeID\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
             "\"available\":%d}",
             h->id, h->room, day, day, rooms);
    ck_assert_int_eq(ts_sandbox_post(&f.pms, "/_sandbox/frontdesk/availability", json), 200);
}

/* ---------------------------------------------------------- the race -- */

typedef struct buyer {
    const hot_hotel_t *hotel;
    char *body;
    int port;
    int status;
    char code[48];
    int retry_after;
} buyer_t;

static void *buy(void *arg)
{
    buyer_t *b = arg;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", b->port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 90000};
    http_client_t *h = http_client_new(&cc);
    http_client_response_t r;
    if (http_client_post_json(h, "/api/booking/checkout", NULL, b->body, &r) == HTTP_CLIENT_OK) {
        b->status = r.status;
        json_error_t je;
        struct json_object *o = json_parse_object(r.body, r.body_len, &je);
        const char *code = o ? bk_str(o, "errorCode") : NULL;
        snprintf(b->code, sizeof b->code, "%s", code ? code : "");
        b->retry_after = r.retry_after_ms > 0 ? 1 : 0;
        json_object_put(o);
    }
    http_client_response_clear(&r);
    http_client_free(h);
    return NULL;
}

START_TEST(test_every_last_room_sells_once_under_the_vendor_limit)
{
    replica_start();
    vendor_limit(VENDOR_LIMIT_PER_S);
    dates_day_t in = dates_today_utc() + CONTENTION_OFFSET_DAYS;
    int rooms_total = 0;
    for (int h = 0; h < HOTELS; h++) {
        set_rooms(&HOT[h], in, HOT[h].rooms);
        rooms_total += HOT[h].rooms;
    }
    buyer_t buyers[HOTELS * BUYERS_PER_HOTEL];
    pthread_t t[HOTELS * BUYERS_PER_HOTEL];
    int n = 0;
    for (int h = 0; h < HOTELS; h++)
        for (int i = 0; i < BUYERS_PER_HOTEL; i++, n++) {
            /* every third buyer's card is declined: its room must go to another */
            const char *token = i % 3 == 0 ? "tok_chargeDeclined" : "tok_visa";
            buyers[n] = (buyer_t){.hotel = &HOT[h],
                                  .body = body_for(&HOT[h], in, 1, token),
                                  .port = n % 2 ? replica_port : f.port};
        }
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, buy, &buyers[i]), 0);
    int won[HOTELS] = {0}, sold_out = 0, busy = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        buyer_t *b = &buyers[i];
        int h = (int)(b->hotel - HOT);
        if (b->status == 200)
            won[h]++;
        else if (b->status == 409 && strcmp(b->code, "INVENTORY_UNAVAILABLE") == 0)
            sold_out++;
        else if (b->status == 402 && strcmp(b->code, "PAYMENT_PREAUTH_FAILED") == 0)
            ;
        else if (b->status == 503 && strcmp(b->code, "PMS_BUSY") == 0 && b->retry_after)
            busy++;
        else
            ck_abort_msg("buyer %d (%s): %d %s — not a documented refusal (logs: %s, %s)", i,
                         b->hotel->id, b->status, b->code, f.log_path, replica_log);
        free(b->body);
    }
    /* every room the PMS had went to exactly one buyer */
    for (int h = 0; h < HOTELS; h++) {
        ck_assert_msg(won[h] == HOT[h].rooms, "%s: %d of %d rooms sold (busy %d; logs: %s, %s)",
                      HOT[h].id, won[h], HOT[h].rooms, busy, f.log_path, replica_log);
        ck_assert_int_eq(pms_available(&HOT[h], in), 0);
    }
    bk_assert_ledgers_clean(&f, rooms_total);
    /* the cache ends where the PMS is: the confirms' decrements reached it */
    for (int h = 0; h < HOTELS; h++)
        ck_assert_msg(TS_POLL_UNTIL(cache_available(&HOT[h], in) == 0, 10000),
                      "%s: inventory-svc still shows %d rooms", HOT[h].id,
                      cache_available(&HOT[h], in));
    ck_assert_int_ge(sold_out, 1);
}
END_TEST

START_TEST(test_the_last_room_with_toss_payers_keeps_one_approval)
{
    replica_start();
    const hot_hotel_t *h = &HOT[1]; /* one room, KRW */
    dates_day_t in = dates_today_utc() + CONTENTION_OFFSET_DAYS + 60;
    set_rooms(h, in, 1);
    enum { TOSS_BUYERS = 6 };
    buyer_t buyers[TOSS_BUYERS];
    pthread_t t[TOSS_BUYERS];
    for (int i = 0; i < TOSS_BUYERS; i++)
        buyers[i] = (buyer_t){
            .hotel = h,
            .body = toss_body_for(h, in, 1,
                                  i == 0 ? "\"declineWith\":\"REJECT_CARD_COMPANY\"" : NULL),
            .port = i % 2 ? replica_port : f.port};
    for (int i = 0; i < TOSS_BUYERS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, buy, &buyers[i]), 0);
    int won = 0;
    for (int i = 0; i < TOSS_BUYERS; i++) {
        pthread_join(t[i], NULL);
        buyer_t *b = &buyers[i];
        if (b->status == 200)
            won++;
        else if (!(b->status == 409 && strcmp(b->code, "INVENTORY_UNAVAILABLE") == 0) &&
                 !(b->status == 402 && strcmp(b->code, "PAYMENT_PREAUTH_FAILED") == 0) &&
                 !(b->status == 503 && strcmp(b->code, "PMS_BUSY") == 0))
            ck_abort_msg("buyer %d: %d %s — not a documented refusal (logs: %s, %s)", i,
                         b->status, b->code, f.log_path, replica_log);
        free(b->body);
    }
    ck_assert_msg(won == 1, "%d buyers got the one room (logs: %s, %s)", won, f.log_path,
                  replica_log);
    ck_assert_int_eq(pms_available(h, in), 0);
    /* one approval kept; every other approval made was cancelled */
    bk_assert_ledgers_clean(&f, 1);
    ck_assert_int_eq(bk_toss_summary(&f, "openApprovals"), 1);
    ck_assert_int_eq(bk_toss_summary(&f, "approvals") - bk_toss_summary(&f, "voids") -
                         bk_toss_summary(&f, "refunds"),
                     1);
}
END_TEST

/* The metric's value in booking-svc's /metrics, 0 when absent. */
static double booking_metric(const char *line_prefix)
{
    http_client_response_t m;
    ck_assert_int_eq(http_client_get(f.http, "/metrics", NULL, NULL, &m), HTTP_CLIENT_OK);
    const char *p = strstr(m.body, line_prefix);
    double v = p ? strtod(p + strlen(line_prefix), NULL) : 0;
    http_client_response_clear(&m);
    return v;
}

/* Starts a buyer whose declined card answers slowly, and waits until it holds
 * the room: a rival checkout in flight. Join it with pthread_join. */
static pthread_t start_slow_declined_buyer(buyer_t *b, const hot_hotel_t *h, dates_day_t in)
{
    ts_sandbox_fault(&f.pay, "{\"op\":\"payment_intents.create\",\"latencyMs\":1500}");
    *b = (buyer_t){.hotel = h, .body = body_for(h, in, 1, "tok_chargeDeclined"), .port = f.port};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, buy, b), 0);
    ck_assert_msg(TS_POLL_UNTIL(bk_summary(&f.pms, "openHolds") == 1, 10000),
                  "the first buyer never held the room (log: %s)", f.log_path);
    return t;
}

START_TEST(test_a_declined_card_frees_the_last_room_for_the_next_buyer)
{
    const hot_hotel_t *h = &HOT[1];
    dates_day_t in = dates_today_utc() + CONTENTION_OFFSET_DAYS + 30;
    set_rooms(h, in, 1);
    /* the first buyer holds the last room while its (declined) card is slow
     * to answer, so the second buyer finds the room taken */
    buyer_t first, second = {.hotel = h, .body = body_for(h, in, 1, "tok_visa"), .port = f.port};
    pthread_t t1 = start_slow_declined_buyer(&first, h, in), t2;
    ck_assert_int_eq(pthread_create(&t2, NULL, buy, &second), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    ck_assert_msg(first.status == 402 && strcmp(first.code, "PAYMENT_PREAUTH_FAILED") == 0,
                  "first: %d %s", first.status, first.code);
    ck_assert_msg(second.status == 200, "second: %d %s (log: %s)", second.status, second.code,
                  f.log_path);
    ck_assert_double_ge(booking_metric("\nbooking_hold_retries_total "), 1);
    ck_assert_int_eq(pms_available(h, in), 0);
    bk_assert_ledgers_clean(&f, 1);
    free(first.body);
    free(second.body);
}
END_TEST

/* A declined buyer's hold is released — by the saga itself, or (when the
 * PMS fails the release) later by the compensation worker — after a guest's
 * look cached the held room as 0: the next guest must see the room again. */
static void released_hold_case(bool by_worker, int offset)
{
    const hot_hotel_t *h = &HOT[2];
    dates_day_t in = dates_today_utc() + CONTENTION_OFFSET_DAYS + offset;
    char day[DATES_ISO_LEN + 1];
    dates_format_iso(in, day);
    set_rooms(h, in, 1);
    if (by_worker) /* the saga's own release fails every attempt */
        ts_sandbox_fault(&f.pms, "{\"op\":\"putReservation\",\"status\":500,\"failNext\":4}");
    buyer_t declined;
    pthread_t t = start_slow_declined_buyer(&declined, h, in);
    /* the buyer's own check cached 1 before its hold; when that entry lapses
     * (90 s) while the room is held, the next look caches 0 */
    char key[160], err[128];
    snprintf(key, sizeof key, "inv:{%s}:%s:%s", h->id, h->room, day);
    redis_client_t *rc = redis_client_new(f.redis_url, 1000, 1000, err, sizeof err);
    ck_assert_msg(rc != NULL, "%s", err);
    const char *keys[] = {key};
    ck_assert_int_eq(redis_del(rc, keys, 1, NULL), REDIS_CLIENT_OK);
    redis_client_free(rc);
    ck_assert_int_eq(cache_available(h, in), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(declined.status, 402);
    ts_sandbox_clear_faults(&f.pay);
    /* the hold is gone and so is the cached 0: the next guest sees the room
     * and books it */
    ck_assert_msg(TS_POLL_UNTIL(cache_available(h, in) == 1, 20000),
                  "the cache still says %d (log: %s)", cache_available(h, in), f.log_path);
    ts_sandbox_clear_faults(&f.pms);
    char *body = body_for(h, in, 1, "tok_visa");
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == 200, "%d %s", status, json_object_to_json_string(r));
    json_object_put(r);
    free(body);
    free(declined.body);
    bk_assert_ledgers_clean(&f, 1);
}

START_TEST(test_a_released_hold_leaves_no_sold_out_in_the_cache)
{
    released_hold_case(false, 50);
}
END_TEST

START_TEST(test_a_hold_the_worker_released_leaves_no_sold_out_in_the_cache)
{
    released_hold_case(true, 55);
}
END_TEST

START_TEST(test_an_unknown_hotel_or_room_type_costs_no_pms_request)
{
    const hot_hotel_t unknown_hotel = {"hotel_nowhere", "room_456", "KRW", 1};
    const hot_hotel_t unknown_room = {"hotel_123", "room_nowhere", "KRW", 1};
    const hot_hotel_t *cases[] = {&unknown_hotel, &unknown_room};
    const char *fields[] = {"hotelId", "roomTypeId"};
    dates_day_t in = dates_today_utc() + CONTENTION_OFFSET_DAYS + 40;
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1];
    dates_format_iso(in, ci);
    dates_format_iso(in + 1, co);
    pms_stats_reset();
    for (int i = 0; i < 2; i++) {
        char *body = NULL;
        ck_assert(asprintf(&body,
                           "{\"vendor\":\"cloudbeds\",\"hotelId\":\"%s\",\"roomTypeId\":\"%s\","
                           "\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{\"firstName\":"
                           "\"홍\",\"lastName\":\"길동\",\"email\":\"hong@example.com\",\"phone\":"
                           "\"+82-10-1234-5678\"},\"adults\":1,\"children\":0,\"payment\":{"
                           "\"cardToken\":\"tok_visa\",\"amount\":100000,\"currency\":\"KRW\"}}",
                           cases[i]->id, cases[i]->room, ci, co) > 0);
        int status;
        struct json_object *r = bk_checkout(&f, body, NULL, &status);
        ck_assert_msg(status == 400, "%s: %d %s", fields[i], status, json_object_to_json_string(r));
        ck_assert_str_eq(bk_str(r, "errorCode"), "VALIDATION_ERROR");
        ck_assert_str_eq(bk_str(r, "field"), fields[i]);
        json_object_put(r);
        free(body);
    }
    /* inventory-svc knew: the hotel has no credentials, the room type is not
     * in the hotel's list — the PMS was asked nothing by the checkouts */
    ck_assert_int_eq(pms_requests("hotel_123", "postReservation"), 0);
    ck_assert_int_eq(pms_requests("hotel_nowhere", NULL), 0);
}
END_TEST

START_TEST(test_a_checkout_costs_two_pms_requests_when_the_cache_is_warm)
{
    const hot_hotel_t *h = &HOT[0];
    enum { CHECKOUTS = 3 };
    dates_day_t first = dates_today_utc() + CONTENTION_OFFSET_DAYS + 10;
    /* one checkout before counting: the connectors learn the hotel's currency
     * and room types, which they keep for minutes */
    char *body = body_for(h, first - 5, 2, "tok_visa");
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == 200, "%d %s", status, json_object_to_json_string(r));
    json_object_put(r);
    free(body);
    char *bodies[CHECKOUTS];
    for (int i = 0; i < CHECKOUTS; i++) {
        bodies[i] = body_for(h, first + 3 * i, 2, "tok_visa");
        look_at(h, first + 3 * i, 2);
    }
    pms_stats_reset();
    for (int i = 0; i < CHECKOUTS; i++) {
        r = bk_checkout(&f, bodies[i], NULL, &status);
        ck_assert_msg(status == 200, "%d %s", status, json_object_to_json_string(r));
        json_object_put(r);
        free(bodies[i]);
    }
    ck_assert_int_eq(pms_requests(h->id, "postReservation"), CHECKOUTS);
    ck_assert_int_eq(pms_requests(h->id, "putReservation"), CHECKOUTS);
    int64_t all = pms_requests(h->id, NULL);
    ck_assert_msg(all <= 2 * CHECKOUTS, "%lld PMS requests for %d checkouts (getRatePlans %lld, "
                  "getHotelDetails %lld, getRoomTypes %lld, getReservation %lld)",
                  (long long)all, CHECKOUTS, (long long)pms_requests(h->id, "getRatePlans"),
                  (long long)pms_requests(h->id, "getHotelDetails"),
                  (long long)pms_requests(h->id, "getRoomTypes"),
                  (long long)pms_requests(h->id, "getReservation"));
    bk_assert_ledgers_clean(&f, CHECKOUTS + 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("booking_contention");
    TCase *tc = tcase_create("contention");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_a_checkout_costs_two_pms_requests_when_the_cache_is_warm);
    tcase_add_test(tc, test_an_unknown_hotel_or_room_type_costs_no_pms_request);
    tcase_add_test(tc, test_a_released_hold_leaves_no_sold_out_in_the_cache);
    tcase_add_test(tc, test_a_hold_the_worker_released_leaves_no_sold_out_in_the_cache);
    tcase_add_test(tc, test_every_last_room_sells_once_under_the_vendor_limit);
    tcase_add_test(tc, test_a_declined_card_frees_the_last_room_for_the_next_buyer);
    tcase_add_test(tc, test_the_last_room_with_toss_payers_keeps_one_approval);
    suite_add_tcase(s, tc);
    return check_run(s);
}
