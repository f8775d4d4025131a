/* inventory-svc reads on the real stack: cache miss → PMS → cache (source
 * field, TTLs, shadow copies), 50 concurrent cold reads → one PMS call,
 * rates and room types, 400s naming the field, 404 for an unknown hotel
 * (no PMS call) or room type, idempotent clamped cache
 * decrement/increment, and the admin degraded-mode switch in Redis. Each
 * test runs its own pms-sandbox, Redis database and service on free ports. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/log.h"
#include "inventory_fixture.h"

static inv_fixture_t f;

static void setup(void)
{
    log_init("it_inventory_reads", LOG_LEVEL_ERROR);
    memset(&f, 0, sizeof f);
    invfx_start(&f, NULL);
}

static void teardown(void)
{
    invfx_stop(&f);
}

START_TEST(test_a_cache_miss_goes_to_the_pms_and_the_next_read_is_served_from_cache)
{
    dates_day_t from = dates_today_utc() + 10, to = from + 4;
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, from, to, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "pms");
    ck_assert_str_eq(invfx_str(o, "hotelId"), INVFX_HOTEL);
    ck_assert_uint_eq(invfx_night_count(o), 5);
    ck_assert_int_eq(invfx_night_int(o, 0, "available"), 10);
    ck_assert_int_eq(invfx_night_int(o, 0, "total"), 10);
    json_object_put(o);
    ck_assert_double_eq(invfx_metric(&f, INVFX_RATEPLANS_OK), 1);

    /* Written with the inventory TTL (90 s) and a long-lived shadow copy. */
    char key[128];
    invfx_key(key, sizeof key, "inv", INVFX_ROOM, to);
    long long ttl = 0;
    ck_assert_int_eq(redis_ttl(f.redis, key, &ttl), REDIS_CLIENT_OK);
    ck_assert(ttl > 0 && ttl <= 90);
    invfx_key(key, sizeof key, "invshadow", INVFX_ROOM, to);
    ck_assert_int_eq(redis_ttl(f.redis, key, &ttl), REDIS_CLIENT_OK);
    ck_assert(ttl > 90);

    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, from, to, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "cache");
    ck_assert_uint_eq(invfx_night_count(o), 5);
    ck_assert_int_eq(invfx_night_int(o, 4, "available"), 10);
    json_object_put(o);
    ck_assert_double_eq(invfx_metric(&f, INVFX_RATEPLANS_OK), 1);
    ck_assert_double_eq(invfx_metric(&f, "inventory_cache_hits_total{kind=\"inventory\"}"), 5);
    ck_assert_double_eq(invfx_metric(&f, "inventory_cache_misses_total{kind=\"inventory\"}"), 5);

    /* A wider range fetches only the missing span, in one PMS call. */
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, from - 2, to + 2, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "pms");
    ck_assert_uint_eq(invfx_night_count(o), 9);
    json_object_put(o);
    ck_assert_double_eq(invfx_metric(&f, INVFX_RATEPLANS_OK), 2);

    /* The widest range there is (a year and a day), written in one script
     * call with its nights' generations, is served from the cache next. */
    dates_day_t wide = dates_today_utc() + 20; /* the sandbox has 400 days */
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, wide, wide + 365, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "pms");
    json_object_put(o);
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, wide, wide + 365, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "cache");
    ck_assert_uint_eq(invfx_night_count(o), 366);
    json_object_put(o);
    ck_assert_double_eq(invfx_metric(&f, "inventory_redis_errors_total{op=\"eval\"}"), 0);
}
END_TEST

typedef struct racer {
    inv_fixture_t *f;
    dates_day_t from, to;
    int status;
    char source[16];
    int available;
} racer_t;

static void *race_read(void *arg)
{
    racer_t *r = arg;
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1];
    dates_format_iso(r->from, a);
    dates_format_iso(r->to, b);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", INVFX_HOTEL, "roomTypeId", INVFX_ROOM,
                       "from",   a,           "to",      b,           NULL};
    struct json_object *o = NULL;
    r->status = invfx_get_own(r->f, "/api/inventory", q, &o);
    snprintf(r->source, sizeof r->source, "%s", invfx_str(o, "source"));
    r->available = invfx_night_int(o, 0, "available");
    json_object_put(o);
    return NULL;
}

START_TEST(test_fifty_concurrent_cold_reads_make_exactly_one_pms_call)
{
    enum { RACERS = 50 };
    /* A slow PMS keeps the first fill in flight while the others arrive. */
    ts_sandbox_fault(&f.sb, "{\"op\":\"getRatePlans\",\"latencyMs\":300}");
    racer_t r[RACERS];
    pthread_t t[RACERS];
    dates_day_t from = dates_today_utc() + 40;
    for (int i = 0; i < RACERS; i++) {
        r[i] = (racer_t){.f = &f, .from = from, .to = from + 29, .status = 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, race_read, &r[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    int from_pms = 0;
    for (int i = 0; i < RACERS; i++) {
        ck_assert_int_eq(r[i].status, 200);
        ck_assert_int_eq(r[i].available, 10);
        from_pms += strcmp(r[i].source, "pms") == 0;
    }
    ck_assert_int_ge(from_pms, 1);
    ck_assert_double_eq(invfx_metric(&f, INVFX_RATEPLANS_OK), 1);
}
END_TEST

/* A cold read in its own thread, saying when it is done. */
typedef struct slow_reader {
    racer_t r;
    atomic_bool done;
} slow_reader_t;

static void *slow_read(void *arg)
{
    slow_reader_t *s = arg;
    race_read(&s->r);
    atomic_store(&s->done, true);
    return NULL;
}

/* One HTTP worker (HTTP_THREADS=1) serves every connection: a read that
 * waits seconds for a slow PMS is answered from the read pool, so warm
 * reads on other connections are answered meanwhile instead of queueing
 * behind it. */
START_TEST(test_a_read_waiting_for_the_pms_holds_up_no_other_read)
{
    dates_day_t warm = dates_today_utc() + 20, cold = dates_today_utc() + 70;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, warm, warm + 2, NULL), 200);
    ts_sandbox_fault(&f.sb, "{\"op\":\"getRatePlans\",\"latencyMs\":6000}");
    slow_reader_t slow = {.r = {.f = &f, .from = cold, .to = cold + 1}};
    atomic_init(&slow.done, false);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, slow_read, &slow), 0);
    /* the slow read is at the PMS once its fill lock is taken */
    char lock[200], a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1];
    dates_format_iso(cold, a);
    dates_format_iso(cold + 1, b);
    snprintf(lock, sizeof lock, "lock:{%s}:inventory:%s:%s:%s", INVFX_HOTEL, INVFX_ROOM, a, b);
    ck_assert_msg(TS_POLL_UNTIL(invfx_key_exists(&f, lock) || atomic_load(&slow.done), 5000),
                  "the cold read never reached the PMS");
    ck_assert(!atomic_load(&slow.done));
    for (int i = 0; i < 5; i++) {
        struct json_object *o = NULL;
        ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, warm, warm + 2, &o), 200);
        ck_assert_str_eq(invfx_str(o, "source"), "cache");
        json_object_put(o);
        ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, warm + i % 2, warm + 2, NULL),
                         200);
    }
    ck_assert_msg(!atomic_load(&slow.done), "the warm reads waited for the slow one");
    pthread_join(t, NULL);
    ck_assert_int_eq(slow.r.status, 200);
    ck_assert_str_eq(slow.r.source, "pms");
}
END_TEST

/* A room types read in its own thread, saying when it is done. */
typedef struct rooms_reader {
    inv_fixture_t *f;
    int status;
    char source[16];
    atomic_bool done;
} rooms_reader_t;

static void *rooms_read(void *arg)
{
    rooms_reader_t *r = arg;
    const char *q[] = {"vendor", "cloudbeds", NULL};
    struct json_object *o = NULL;
    r->status = invfx_get_own(r->f, "/api/hotels/" INVFX_HOTEL "/room-types", q, &o);
    snprintf(r->source, sizeof r->source, "%s", invfx_str(o, "source"));
    json_object_put(o);
    atomic_store(&r->done, true);
    return NULL;
}

/* The same for the room types: a miss that waits for the PMS is answered
 * off the HTTP worker. */
START_TEST(test_a_room_types_miss_waiting_for_the_pms_holds_up_no_other_read)
{
    dates_day_t warm = dates_today_utc() + 20;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, warm, warm + 2, NULL), 200);
    ts_sandbox_fault(&f.sb, "{\"op\":\"getRoomTypes\",\"latencyMs\":6000}");
    rooms_reader_t slow = {.f = &f};
    atomic_init(&slow.done, false);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, rooms_read, &slow), 0);
    ck_assert_msg(
        TS_POLL_UNTIL(ts_sandbox_fault_hits(&f.sb, "getRoomTypes") >= 1 || atomic_load(&slow.done),
                      5000),
        "the room types read never reached the PMS");
    ck_assert(!atomic_load(&slow.done));
    for (int i = 0; i < 5; i++) {
        struct json_object *o = NULL;
        ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, warm, warm + 2, &o), 200);
        ck_assert_str_eq(invfx_str(o, "source"), "cache");
        json_object_put(o);
    }
    ck_assert_msg(!atomic_load(&slow.done), "the warm reads waited for the room types");
    pthread_join(t, NULL);
    ck_assert_int_eq(slow.status, 200);
    ck_assert_str_eq(slow.source, "pms");
}
END_TEST

START_TEST(test_two_replicas_cold_reads_share_one_pms_call)
{
    enum { RACERS = 20 };
    int port2 = 0;
    char log2[256];
    ts_proc_t *replica = invfx_spawn(&f, NULL, &port2, log2, sizeof log2);
    ts_sandbox_fault(&f.sb, "{\"op\":\"getRatePlans\",\"latencyMs\":500}");
    inv_fixture_t f2 = f; /* the same sandbox and Redis, the other port */
    f2.port = port2;
    racer_t r[RACERS];
    pthread_t t[RACERS];
    dates_day_t from = dates_today_utc() + 100;
    for (int i = 0; i < RACERS; i++) {
        r[i] = (racer_t){.f = i % 2 ? &f2 : &f, .from = from, .to = from + 13, .status = 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, race_read, &r[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < RACERS; i++)
        ck_assert_int_eq(r[i].status, 200);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port2);
    http_client_config_t hc = {.base_url = base, .total_timeout_ms = 10000};
    f2.http = http_client_new(&hc);
    double calls = invfx_metric(&f, INVFX_RATEPLANS_OK) + invfx_metric(&f2, INVFX_RATEPLANS_OK);
    http_client_free(f2.http);
    ck_assert_double_eq(calls, 1);
    int status = ts_proc_stop(replica, 0, 15000);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "replica: see %s", log2);
}
END_TEST

START_TEST(test_rates_and_room_types_are_cached_too)
{
    dates_day_t from = dates_today_utc() + 20;
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_read(&f, "/api/rates", INVFX_ROOM, from, from + 6, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "pms");
    ck_assert_uint_eq(invfx_night_count(o), 7);
    for (size_t i = 0; i < 7; i++) {
        int amount = invfx_night_int(o, i, "amount");
        ck_assert(amount == 125000 || amount == 150000); /* weekday / weekend (seed) */
    }
    struct json_object *nights, *first, *cur;
    ck_assert(json_object_object_get_ex(o, "nights", &nights));
    first = json_object_array_get_idx(nights, 0);
    ck_assert(json_object_object_get_ex(first, "currency", &cur));
    ck_assert_str_eq(json_object_get_string(cur), "KRW");
    json_object_put(o);
    ck_assert_int_eq(invfx_read(&f, "/api/rates", INVFX_ROOM, from, from + 6, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "cache");
    json_object_put(o);
    char key[128];
    invfx_key(key, sizeof key, "rate", INVFX_ROOM, from);
    long long ttl = 0;
    ck_assert_int_eq(redis_ttl(f.redis, key, &ttl), REDIS_CLIENT_OK);
    ck_assert(ttl > 90 && ttl <= 300);

    const char *q[] = {"vendor", "cloudbeds", NULL};
    ck_assert_int_eq(invfx_get(&f, "/api/hotels/hotel_123/room-types", q, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "pms");
    struct json_object *types;
    ck_assert(json_object_object_get_ex(o, "roomTypes", &types));
    ck_assert_uint_eq(json_object_array_length(types), 3);
    struct json_object *t0 = json_object_array_get_idx(types, 0);
    ck_assert_str_eq(invfx_str(t0, "roomTypeId"), "room_456");
    ck_assert_int_eq(invfx_int(t0, "totalRooms"), 10);
    ck_assert_int_eq(invfx_int(t0, "maxOccupancy"), 3);
    json_object_put(o);
    ck_assert_int_eq(invfx_get(&f, "/api/hotels/hotel_123/room-types", q, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "cache");
    json_object_put(o);
    ck_assert_int_eq(redis_ttl(f.redis, "hotel:{hotel_123}:rooms", &ttl), REDIS_CLIENT_OK);
    ck_assert(ttl > 300 && ttl <= 3600);
}
END_TEST

/* Every PMS HTTP request the service made, whatever the method or outcome. */
static double pms_requests_made(void)
{
    static const char series[] = "pms_requests_total{";
    http_client_response_t r;
    double sum = 0;
    if (http_client_get(f.http, "/metrics", NULL, NULL, &r) == HTTP_CLIENT_OK && r.body) {
        for (const char *p = r.body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
            const char *value = strchr(p, ' ');
            if (strncmp(p, series, sizeof series - 1) == 0 && value)
                sum += strtod(value + 1, NULL);
        }
    }
    http_client_response_clear(&r);
    return sum;
}

/* A 404 with the error shape of the contract and the given code. */
static void assert_not_found(int status, struct json_object *o, const char *code)
{
    ck_assert_int_eq(status, 404);
    ck_assert_ptr_nonnull(o);
    struct json_object *ok;
    ck_assert(json_object_object_get_ex(o, "success", &ok) && !json_object_get_boolean(ok));
    ck_assert_str_eq(invfx_str(o, "errorCode"), code);
    ck_assert(strlen(invfx_str(o, "error")) > 0);
    json_object_put(o);
}

/* A guest reads a stay's rates before booking it; the checkout reads them
 * again with the departure day (its closed-to-departure rule). The first
 * read's PMS call brings that day too, so the second asks the PMS nothing.
 * Availability is not read ahead. */
START_TEST(test_a_stays_rates_read_brings_its_departure_day_for_the_checkout)
{
    dates_day_t in = dates_today_utc() + 60, last = in + 2; /* three nights */
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_read(&f, "/api/rates", INVFX_ROOM, in, last, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "pms");
    ck_assert_uint_eq(invfx_night_count(o), 3);
    json_object_put(o);
    double asked = pms_requests_made();
    char key[128];
    long long ttl = 0;
    invfx_key(key, sizeof key, "rate", INVFX_ROOM, last + 1);
    ck_assert_int_eq(redis_ttl(f.redis, key, &ttl), REDIS_CLIENT_OK);
    ck_assert(ttl > 90 && ttl <= 300);

    ck_assert_int_eq(invfx_read(&f, "/api/rates", INVFX_ROOM, in, last + 1, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "cache");
    ck_assert_uint_eq(invfx_night_count(o), 4);
    json_object_put(o);
    ck_assert_double_eq(pms_requests_made(), asked);

    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, in, last, &o), 200);
    json_object_put(o);
    invfx_key(key, sizeof key, "inv", INVFX_ROOM, last + 1);
    ck_assert_int_eq(redis_ttl(f.redis, key, &ttl), REDIS_CLIENT_OK);
    ck_assert_int_eq(ttl, -2);
}
END_TEST

START_TEST(test_an_unknown_hotel_is_404_and_never_reaches_the_pms)
{
    /* hotel_nowhere has no PMS credentials: it is not ours, which is a 404,
     * not a PMS outage (503), and not worth a call to the PMS. */
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + 5, a);
    dates_format_iso(dates_today_utc() + 7, b);
    const char *range[] = {"vendor",     "cloudbeds", "hotelId", "hotel_nowhere",
                           "roomTypeId", INVFX_ROOM,  "from",    a,
                           "to",         b,           NULL};
    const char *sandbox_range[] = {"vendor",     "sandbox",  "hotelId", "hotel_nowhere",
                                   "roomTypeId", INVFX_ROOM, "from",    a,
                                   "to",         b,          NULL};
    const char *vendor[] = {"vendor", "cloudbeds", NULL};
    double before = pms_requests_made();
    struct json_object *o = NULL;
    int st = invfx_get(&f, "/api/inventory", range, &o);
    ck_assert_str_eq(invfx_str(o, "field"), "hotelId");
    assert_not_found(st, o, "HOTEL_NOT_FOUND");
    st = invfx_get(&f, "/api/inventory", sandbox_range, &o);
    assert_not_found(st, o, "HOTEL_NOT_FOUND");
    st = invfx_get(&f, "/api/rates", range, &o);
    assert_not_found(st, o, "HOTEL_NOT_FOUND");
    st = invfx_get(&f, "/api/hotels/hotel_nowhere/room-types", vendor, &o);
    assert_not_found(st, o, "HOTEL_NOT_FOUND");
    ck_assert_double_eq(pms_requests_made(), before);

    /* A known hotel's unknown room type: the PMS is asked and says no. */
    dates_day_t from = dates_today_utc() + 5;
    st = invfx_read(&f, "/api/inventory", "room_nowhere", from, from + 2, &o);
    assert_not_found(st, o, "NOT_FOUND");
}
END_TEST

START_TEST(test_a_read_refused_by_the_pms_budget_is_503_pms_busy_not_an_outage)
{
    /* one PMS request per 5 s for the hotel, and background reads never
     * queue: the second cold read within the interval finds the budget spent */
    invfx_stop_service(&f);
    const char *env[] = {"PMS_RATE_LIMIT_PER_SECOND=0.2", "PMS_RATE_LIMIT_BURST=1",
                         "PMS_BUDGET_BACKGROUND_WAIT_MS=0", NULL};
    invfx_start(&f, env);
    /* a cold read of rates takes several PMS requests (currency, rates): the
     * first gets the slot, the next is refused at once */
    bool busy = false;
    for (int i = 0; i < 3 && !busy; i++) {
        char a[DATES_ISO_LEN + 1];
        dates_format_iso(dates_today_utc() + 60 + 10 * i, a);
        const char *q[] = {"vendor", "cloudbeds", "hotelId", INVFX_HOTEL, "roomTypeId", INVFX_ROOM,
                           "from",   a,           "to",      a,           NULL};
        http_client_response_t r;
        ck_assert_int_eq(http_client_get(f.http, "/api/rates", q, NULL, &r), HTTP_CLIENT_OK);
        ck_assert_msg(r.status == 200 || r.status == 503, "%d %s", r.status, r.body);
        if (r.status == 503) {
            ck_assert_msg(strstr(r.body, "\"PMS_BUSY\""), "%s", r.body);
            ck_assert_msg(r.retry_after_ms > 0, "no Retry-After");
            busy = true;
        }
        http_client_response_clear(&r);
    }
    ck_assert_msg(busy, "the budget never refused a read");
}
END_TEST

typedef struct bad_query {
    const char *vendor, *hotel, *room, *from, *to;
    const char *field;
} bad_query_t;

START_TEST(test_bad_query_parameters_get_400_naming_the_field)
{
    char today[DATES_ISO_LEN + 1], far[DATES_ISO_LEN + 1], tomorrow[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc(), today);
    dates_format_iso(dates_today_utc() + 1, tomorrow);
    dates_format_iso(dates_today_utc() + 366, far); /* 367 nights */
    const bad_query_t cases[] = {
        {"cloudbeds", "hotel_123", "room_456", tomorrow, today, "to"},
        {"cloudbeds", "hotel_123", "room_456", today, far, "to"},
        {"cloudbeds", "hotel_123", "room_456", "2025-13-01", today, "from"},
        {"cloudbeds", "hotel_123", "room_456", today, "tomorrow", "to"},
        {"booking.com", "hotel_123", "room_456", today, today, "vendor"},
        {NULL, "hotel_123", "room_456", today, today, "vendor"},
        {"cloudbeds", NULL, "room_456", today, today, "hotelId"},
        {"cloudbeds", "hotel_{123}", "room_456", today, today, "hotelId"},
        {"cloudbeds", "hotel_123", NULL, today, today, "roomTypeId"},
        {"cloudbeds", "hotel_123", "room_456", NULL, today, "from"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_query_t *c = &cases[i];
        const char *q[12];
        size_t n = 0;
        const char *names[] = {"vendor", "hotelId", "roomTypeId", "from", "to"};
        const char *values[] = {c->vendor, c->hotel, c->room, c->from, c->to};
        for (size_t k = 0; k < 5; k++) {
            if (values[k]) {
                q[n++] = names[k];
                q[n++] = values[k];
            }
        }
        q[n] = NULL;
        for (int path = 0; path < 2; path++) {
            struct json_object *o = NULL;
            int st = invfx_get(&f, path ? "/api/rates" : "/api/inventory", q, &o);
            ck_assert_msg(st == 400, "case %zu: status %d", i, st);
            ck_assert_str_eq(invfx_str(o, "errorCode"), "VALIDATION_ERROR");
            ck_assert_msg(strcmp(invfx_str(o, "field"), c->field) == 0, "case %zu: field %s", i,
                          invfx_str(o, "field"));
            ck_assert(strlen(invfx_str(o, "error")) > 0);
            json_object_put(o);
        }
    }
    ck_assert_double_eq(invfx_metric(&f, INVFX_RATEPLANS_OK), 0);
}
END_TEST

/* POSTs an adjustment; returns the status and the body. */
static int adjust(const char *direction, dates_day_t in, int nights, int rooms, const char *booking,
                  struct json_object **out)
{
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], path[64], body[512];
    dates_format_iso(in, a);
    dates_format_iso(in + nights, b);
    snprintf(path, sizeof path, "/internal/inventory/%s", direction);
    snprintf(body, sizeof body,
             "{\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\",\"roomTypeId\":\"room_456\","
             "\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"rooms\":%d,\"bookingId\":\"%s\"}",
             a, b, rooms, booking);
    return invfx_send(&f, "POST", path, body, out);
}

/* Availability of a night as the cache holds it (-1 when absent). */
static int cached_available(dates_day_t day)
{
    char key[128], *v = NULL;
    invfx_key(key, sizeof key, "inv", INVFX_ROOM, day);
    ck_assert_int_eq(redis_get(f.redis, key, &v), REDIS_CLIENT_OK);
    int available = v ? atoi(v) : -1;
    free(v);
    return available;
}

/* Starts a cold read of night whose PMS answer is made at once and sent 3 s
 * later; returns once the answer is made (the ledger has been read). */
static void start_late_answer(slow_reader_t *slow, pthread_t *t, dates_day_t night)
{
    ts_sandbox_fault(&f.sb, "{\"op\":\"getRatePlans\",\"latencyMs\":3000,\"afterCommit\":true}");
    *slow = (slow_reader_t){.r = {.f = &f, .from = night, .to = night}};
    atomic_init(&slow->done, false);
    ck_assert_int_eq(pthread_create(t, NULL, slow_read, slow), 0);
    ck_assert_msg(TS_POLL_UNTIL(ts_sandbox_fault_hits(&f.sb, "getRatePlans") >= 1, 10000),
                  "the cold read never reached the PMS");
    ts_sandbox_clear_faults(&f.sb);
}

/* A PMS answer read before a change and arriving after the change's
 * invalidation (or a booking's adjustment) is not cached over it: cached, it
 * would show the old count until its TTL. The reader still gets the answer
 * (what the PMS said a moment ago); the next read asks the PMS again. */
START_TEST(test_an_answer_overtaken_by_a_change_is_not_cached_over_it)
{
    dates_day_t night = dates_today_utc() + 150;
    char day[DATES_ISO_LEN + 1], next[DATES_ISO_LEN + 1], json[512];
    dates_format_iso(night, day);
    dates_format_iso(night + 1, next);
    slow_reader_t slow;
    pthread_t t;
    start_late_answer(&slow, &t, night);

    /* the front desk sells 6 rooms; its webhook's event drops the night */
    snprintf(json, sizeof json,
             "{\"propertyID\":\"%s\",\"roomTypeID\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
             "\"available\":4}",
             INVFX_HOTEL, INVFX_ROOM, day, day);
    ck_assert_int_eq(ts_sandbox_post(&f.sb, "/_sandbox/frontdesk/availability", json), 200);
    snprintf(json, sizeof json,
             "{\"vendor\":\"cloudbeds\",\"hotelId\":\"%s\",\"roomTypeId\":\"%s\","
             "\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"rooms\":1,\"bookingId\":\"bk_x\"}",
             INVFX_HOTEL, INVFX_ROOM, day, next);
    ck_assert_int_eq(invfx_send(&f, "POST", "/internal/inventory/invalidate", json, NULL), 200);
    ck_assert_msg(!atomic_load(&slow.done), "the PMS answer came before the change");
    pthread_join(t, NULL);
    ck_assert_int_eq(slow.r.status, 200);
    ck_assert_str_eq(slow.r.source, "pms");
    ck_assert_int_eq(slow.r.available, 10); /* the count when the PMS was asked */
    ck_assert_int_eq(cached_available(night), -1);
    ck_assert_double_eq(invfx_metric(&f, "inventory_fill_superseded_total{kind=\"inventory\"}"), 1);
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, night, night, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "pms");
    ck_assert_int_eq(invfx_night_int(o, 0, "available"), 4);
    json_object_put(o);
    ck_assert_int_eq(cached_available(night), 4); /* an answer nothing overtook is cached */

    /* a booking's adjustment while an answer travels: the same */
    dates_day_t other = night + 10;
    start_late_answer(&slow, &t, other);
    ck_assert_int_eq(adjust("decrement", other, 1, 1, "bk_late", NULL), 200);
    pthread_join(t, NULL);
    ck_assert_int_eq(slow.r.status, 200);
    ck_assert_int_eq(cached_available(other), -1);
    ck_assert_double_eq(invfx_metric(&f, "inventory_fill_superseded_total{kind=\"inventory\"}"), 2);

    /* per night: a booking of another night leaves a fill in flight alone */
    dates_day_t third = night + 20;
    start_late_answer(&slow, &t, third);
    ck_assert_int_eq(adjust("decrement", third + 1, 1, 1, "bk_next_night", NULL), 200);
    pthread_join(t, NULL);
    ck_assert_int_eq(slow.r.status, 200);
    ck_assert_int_eq(cached_available(third), 10);
    ck_assert_double_eq(invfx_metric(&f, "inventory_fill_superseded_total{kind=\"inventory\"}"), 2);
}
END_TEST

START_TEST(test_decrement_and_increment_are_idempotent_per_booking_and_clamped)
{
    dates_day_t in = dates_today_utc() + 30;
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, in, in + 2, &o), 200);
    json_object_put(o);

    ck_assert_int_eq(adjust("decrement", in, 2, 3, "bk_a", &o), 200);
    ck_assert(json_object_get_boolean(json_object_object_get(o, "applied")));
    ck_assert_uint_eq(invfx_night_count(o), 2);
    ck_assert_int_eq(invfx_night_int(o, 0, "available"), 7);
    json_object_put(o);
    ck_assert_int_eq(adjust("decrement", in, 2, 3, "bk_a", &o), 200); /* a retry */
    ck_assert(!json_object_get_boolean(json_object_object_get(o, "applied")));
    json_object_put(o);
    ck_assert_int_eq(cached_available(in), 7);
    ck_assert_int_eq(cached_available(in + 1), 7);
    ck_assert_int_eq(cached_available(in + 2), 10); /* checkOut night untouched */

    ck_assert_int_eq(adjust("decrement", in, 1, 20, "bk_b", &o), 200);
    json_object_put(o);
    ck_assert_int_eq(cached_available(in), 0); /* never below zero */

    ck_assert_int_eq(adjust("increment", in, 2, 3, "bk_a", &o), 200);
    json_object_put(o);
    ck_assert_int_eq(adjust("increment", in, 2, 3, "bk_a", &o), 200);
    json_object_put(o);
    ck_assert_int_eq(cached_available(in), 3);
    ck_assert_int_eq(cached_available(in + 1), 10);
    ck_assert_int_eq(adjust("increment", in, 1, 100, "bk_c", &o), 200);
    json_object_put(o);
    ck_assert_int_eq(cached_available(in), 10); /* never above total */

    /* Nights not cached stay absent: no number is invented. */
    ck_assert_int_eq(adjust("decrement", in + 100, 2, 1, "bk_d", &o), 200);
    ck_assert_uint_eq(invfx_night_count(o), 0);
    json_object_put(o);
    ck_assert_int_eq(cached_available(in + 100), -1);

    /* The longest stay there is (365 nights) is adjusted in one script call. */
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, in + 4, in + 368, NULL), 200);
    ck_assert_int_eq(adjust("decrement", in + 4, 365, 1, "bk_year", &o), 200);
    ck_assert(json_object_get_boolean(json_object_object_get(o, "applied")));
    ck_assert_uint_eq(invfx_night_count(o), 365);
    json_object_put(o);
    ck_assert_int_eq(cached_available(in + 368), 9);

    /* The cached value keeps its TTL. */
    char key[128];
    invfx_key(key, sizeof key, "inv", INVFX_ROOM, in);
    long long ttl = 0;
    ck_assert_int_eq(redis_ttl(f.redis, key, &ttl), REDIS_CLIENT_OK);
    ck_assert(ttl > 0 && ttl <= 90);

    ck_assert_int_eq(adjust("decrement", in, 0, 1, "bk_e", &o), 400);
    ck_assert_str_eq(invfx_str(o, "field"), "checkOut");
    json_object_put(o);
    ck_assert_int_eq(adjust("decrement", in, 1, 0, "bk_e", &o), 400);
    ck_assert_str_eq(invfx_str(o, "field"), "rooms");
    json_object_put(o);
    ck_assert_int_eq(adjust("decrement", in, 1, 1, "", &o), 400);
    ck_assert_str_eq(invfx_str(o, "field"), "bookingId");
    json_object_put(o);
}
END_TEST

#define PLATFORM_SERIES "inventory_degraded_mode{hotel=\"*\"}"

static bool degraded_reason_is(const char *reason)
{
    struct json_object *o = NULL;
    bool ok = invfx_get(&f, "/api/degraded-mode", NULL, &o) == 200 &&
              json_object_get_boolean(json_object_object_get(o, "degraded")) &&
              strcmp(invfx_str(o, "reason"), reason) == 0;
    json_object_put(o);
    return ok;
}

/* The first night's "available" of a fresh read of [in, in + 2], -1 on an error. */
static int read_available(dates_day_t in)
{
    struct json_object *o = NULL;
    int st = invfx_read(&f, "/api/inventory", INVFX_ROOM, in, in + 2, &o);
    int available = st == 200 ? invfx_night_int(o, 0, "available") : -1;
    json_object_put(o);
    return available;
}

START_TEST(test_the_in_process_copy_never_hides_this_replicas_writes_and_expires_for_others)
{
    /* a long-lived copy, so the reads below surely find it */
    invfx_stop_service(&f);
    const char *env[] = {"INVENTORY_LOCAL_CACHE_MS=1000", NULL};
    invfx_start(&f, env);
    dates_day_t in = dates_today_utc() + 45;
    ck_assert_int_eq(read_available(in), 10); /* from the PMS */
    ck_assert(TS_POLL_UNTIL(
        read_available(in) == 10 &&
            invfx_metric(&f, "inventory_local_cache_hits_total{kind=\"inventory\"}") >= 1,
        5000));

    /* this replica's own write (a booking's decrement) shows at the next read */
    struct json_object *o = NULL;
    ck_assert_int_eq(adjust("decrement", in, 1, 2, "bk_local", &o), 200);
    json_object_put(o);
    ck_assert_int_eq(read_available(in), 8);

    /* a write this process did not make (another replica's) shows once the
     * copy has expired */
    char key[128];
    invfx_key(key, sizeof key, "inv", INVFX_ROOM, in);
    ck_assert_int_eq(redis_set_ex(f.redis, key, "3/10", 90), REDIS_CLIENT_OK);
    ck_assert(TS_POLL_UNTIL(read_available(in) == 3, 5000));
}
END_TEST

/* A rates read of [in, in + 2] for a party of `adults`: its status, and
 * its source and the party it states. */
static int read_rates(dates_day_t in, const char *adults, char *source, size_t size, int *party)
{
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1];
    dates_format_iso(in, a);
    dates_format_iso(in + 2, b);
    const char *q[] = {"vendor",   "cloudbeds", "hotelId", INVFX_HOTEL, "roomTypeId",
                       INVFX_ROOM, "from",      a,         "to",        b,
                       "adults",   adults,      NULL};
    struct json_object *o = NULL;
    int st = invfx_get(&f, "/api/rates", q, &o);
    snprintf(source, size, "%s", st == 200 ? invfx_str(o, "source") : "");
    *party = st == 200 ? invfx_int(o, "adults") : -1;
    json_object_put(o);
    return st;
}

START_TEST(test_the_in_process_copy_of_a_rates_answer_is_per_party_and_never_hides_own_writes)
{
    invfx_stop_service(&f);
    const char *env[] = {"INVENTORY_LOCAL_CACHE_MS=1000", NULL};
    invfx_start(&f, env);
    dates_day_t in = dates_today_utc() + 48;
    char source[16];
    int party = 0;
    ck_assert_int_eq(read_rates(in, "1", source, sizeof source, &party), 200);
    ck_assert_str_eq(source, "pms");
    ck_assert(
        TS_POLL_UNTIL(read_rates(in, "1", source, sizeof source, &party) == 200 && party == 1 &&
                          invfx_metric(&f, "inventory_local_cache_hits_total{kind=\"rates\"}") >= 1,
                      5000));

    /* another party is another answer, never the copy of the first */
    ck_assert_int_eq(read_rates(in, "2", source, sizeof source, &party), 200);
    ck_assert_int_eq(party, 2);

    /* a night gone from Redis behind this process's back, then a write of
     * its own (a decrement): the next read asks again, finds the night
     * missing and goes to the PMS, instead of answering the copy */
    char key[128];
    invfx_key(key, sizeof key, "rate", INVFX_ROOM, in);
    const char *keys[] = {key};
    ck_assert_int_eq(redis_del(f.redis, keys, 1, NULL), REDIS_CLIENT_OK);
    struct json_object *o = NULL;
    ck_assert_int_eq(adjust("decrement", in, 1, 1, "bk_rates_local", &o), 200);
    json_object_put(o);
    ck_assert_int_eq(read_rates(in, "1", source, sizeof source, &party), 200);
    ck_assert_str_eq(source, "pms");
}
END_TEST

START_TEST(test_admin_degraded_mode_is_published_in_redis)
{
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_get(&f, "/api/degraded-mode", NULL, &o), 200);
    ck_assert(!json_object_get_boolean(json_object_object_get(o, "degraded")));
    json_object_put(o);
    ck_assert_int_eq(invfx_send(&f, "PUT", "/api/degraded-mode",
                                "{\"degraded\":true,\"reason\":\"PMS maintenance window\"}", &o),
                     200);
    ck_assert(json_object_get_boolean(json_object_object_get(o, "degraded")));
    ck_assert_str_eq(invfx_str(o, "source"), "admin");
    ck_assert_str_eq(invfx_str(o, "reason"), "PMS maintenance window");
    ck_assert(strlen(invfx_str(o, "since")) > 0);
    json_object_put(o);
    char *v = NULL;
    ck_assert(TS_POLL_UNTIL((free(v), v = NULL, redis_get(f.redis, "lodging:degraded", &v),
                             v && strstr(v, "\"degraded\":true") && strstr(v, "maintenance")),
                            5000));
    free(v);
    v = NULL;
    ck_assert_double_eq(invfx_metric(&f, PLATFORM_SERIES), 1);

    /* The switch is shared: a restarted replica honours it at once. */
    ck_assert(TS_POLL_UNTIL(invfx_key_exists(&f, "lodging:degraded:admin"), 5000));
    invfx_stop_service(&f);
    invfx_start(&f, NULL);
    ck_assert_int_eq(invfx_get(&f, "/api/degraded-mode", NULL, &o), 200);
    ck_assert(json_object_get_boolean(json_object_object_get(o, "degraded")));
    ck_assert_str_eq(invfx_str(o, "source"), "admin");
    ck_assert_str_eq(invfx_str(o, "reason"), "PMS maintenance window");
    json_object_put(o);

    ck_assert_int_eq(invfx_send(&f, "PUT", "/api/degraded-mode", "{\"degraded\":false}", &o), 200);
    ck_assert(!json_object_get_boolean(json_object_object_get(o, "degraded")));
    json_object_put(o);
    ck_assert(TS_POLL_UNTIL((free(v), v = NULL, redis_get(f.redis, "lodging:degraded", &v),
                             v && strstr(v, "\"degraded\":false")),
                            5000));
    free(v);
    ck_assert_double_eq(invfx_metric(&f, PLATFORM_SERIES), 0);
    ck_assert(TS_POLL_UNTIL(!invfx_key_exists(&f, "lodging:degraded:admin"), 5000));

    /* Another replica's switch (written to the shared key) is adopted. */
    ck_assert_int_eq(redis_set_ex(f.redis, "lodging:degraded:admin",
                                  "{\"degraded\":true,\"reason\":\"from replica 2\","
                                  "\"since\":\"2025-11-01T09:30:00.000Z\"}",
                                  60),
                     REDIS_CLIENT_OK);
    ck_assert(TS_POLL_UNTIL(degraded_reason_is("from replica 2"), 5000));
    ck_assert_int_eq(invfx_send(&f, "PUT", "/api/degraded-mode", "{\"degraded\":false}", &o), 200);
    json_object_put(o);

    ck_assert_int_eq(invfx_send(&f, "PUT", "/api/degraded-mode", "{\"degraded\":\"yes\"}", &o),
                     400);
    ck_assert_str_eq(invfx_str(o, "field"), "degraded");
    json_object_put(o);
    /* turning on without saying why is refused: the reason is what guests read */
    ck_assert_int_eq(invfx_send(&f, "PUT", "/api/degraded-mode", "{\"degraded\":true}", &o), 400);
    ck_assert_str_eq(invfx_str(o, "errorCode"), "VALIDATION_ERROR");
    ck_assert_str_eq(invfx_str(o, "field"), "reason");
    json_object_put(o);
}
END_TEST

START_TEST(test_the_operator_switch_of_one_hotel_leaves_the_others_alone)
{
    struct json_object *o = NULL;
    const char *path = "/api/hotels/" INVFX_HOTEL "/degraded-mode";
    ck_assert_int_eq(invfx_send(&f, "PUT", path, "{\"degraded\":true}", &o), 400);
    ck_assert_str_eq(invfx_str(o, "field"), "reason");
    json_object_put(o);
    ck_assert_int_eq(invfx_send(&f, "PUT", "/api/hotels/hotel_nowhere/degraded-mode",
                                "{\"degraded\":true,\"reason\":\"x\"}", &o),
                     404);
    ck_assert_str_eq(invfx_str(o, "errorCode"), "HOTEL_NOT_FOUND");
    json_object_put(o);
    ck_assert_int_eq(
        invfx_send(&f, "PUT", "/api/hotels/bad%7Bid/degraded-mode", "{\"degraded\":false}", &o),
        400);
    ck_assert_str_eq(invfx_str(o, "field"), "hotelId");
    json_object_put(o);

    ck_assert_int_eq(
        invfx_send(&f, "PUT", path, "{\"degraded\":true,\"reason\":\"PMS migration tonight\"}", &o),
        200);
    ck_assert_str_eq(invfx_str(o, "hotelId"), INVFX_HOTEL);
    ck_assert(json_object_get_boolean(json_object_object_get(o, "degraded")));
    ck_assert_str_eq(invfx_str(o, "source"), "admin");
    ck_assert_str_eq(invfx_str(o, "reason"), "PMS migration tonight");
    json_object_put(o);
    char *v = NULL;
    ck_assert_int_eq(redis_get(f.redis, "lodging:degraded:admin:{" INVFX_HOTEL "}", &v),
                     REDIS_CLIENT_OK);
    ck_assert(v && strstr(v, "PMS migration tonight"));
    free(v);
    ck_assert(TS_POLL_UNTIL(
        invfx_metric(&f, "inventory_degraded_mode{hotel=\"" INVFX_HOTEL "\"}") == 1, 5000));
    ck_assert_double_eq(invfx_metric(&f, PLATFORM_SERIES), 0);

    /* another hotel and the platform are not degraded; the listing names ours */
    ck_assert_int_eq(invfx_get(&f, "/api/hotels/hotel_busan/degraded-mode", NULL, &o), 200);
    ck_assert(!json_object_get_boolean(json_object_object_get(o, "degraded")));
    json_object_put(o);
    ck_assert_int_eq(invfx_get(&f, "/api/degraded-mode", NULL, &o), 200);
    ck_assert(!json_object_get_boolean(json_object_object_get(o, "degraded")));
    struct json_object *hotels = json_object_object_get(o, "hotels");
    ck_assert_int_eq(json_object_array_length(hotels), 1);
    ck_assert_str_eq(invfx_str(json_object_array_get_idx(hotels, 0), "hotelId"), INVFX_HOTEL);
    ck_assert_str_eq(invfx_str(json_object_array_get_idx(hotels, 0), "source"), "admin");
    json_object_put(o);

    /* the platform switch covers every hotel, and says so */
    ck_assert_int_eq(invfx_send(&f, "PUT", "/api/degraded-mode",
                                "{\"degraded\":true,\"reason\":\"all down\"}", &o),
                     200);
    json_object_put(o);
    ck_assert_int_eq(invfx_get(&f, "/api/hotels/hotel_busan/degraded-mode", NULL, &o), 200);
    ck_assert(json_object_get_boolean(json_object_object_get(o, "degraded")));
    ck_assert_str_eq(invfx_str(o, "source"), "platform");
    json_object_put(o);
    ck_assert_int_eq(invfx_send(&f, "PUT", "/api/degraded-mode", "{\"degraded\":false}", &o), 200);
    json_object_put(o);

    ck_assert_int_eq(invfx_send(&f, "PUT", path, "{\"degraded\":false}", &o), 200);
    ck_assert(!json_object_get_boolean(json_object_object_get(o, "degraded")));
    json_object_put(o);
    ck_assert(!invfx_key_exists(&f, "lodging:degraded:admin:{" INVFX_HOTEL "}"));
    ck_assert(TS_POLL_UNTIL(
        invfx_metric(&f, "inventory_degraded_mode{hotel=\"" INVFX_HOTEL "\"}") == 0, 5000));
    ck_assert_int_eq(invfx_get(&f, "/api/degraded-mode", NULL, &o), 200);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "hotels")), 0);
    json_object_put(o);
}
END_TEST

static void setup_one_worker(void)
{
    log_init("it_inventory_reads", LOG_LEVEL_ERROR);
    memset(&f, 0, sizeof f);
    invfx_start(&f, (const char *[]){"HTTP_THREADS=1", "PMS_TIMEOUT_MS=20000", NULL});
}

int main(void)
{
    Suite *s = suite_create("it_inventory_reads");
    TCase *one = tcase_create("one_worker");
    tcase_add_checked_fixture(one, setup_one_worker, teardown);
    tcase_set_timeout(one, 60);
    tcase_add_test(one, test_a_read_waiting_for_the_pms_holds_up_no_other_read);
    tcase_add_test(one, test_a_room_types_miss_waiting_for_the_pms_holds_up_no_other_read);
    suite_add_tcase(s, one);
    TCase *tc = tcase_create("reads");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_cache_miss_goes_to_the_pms_and_the_next_read_is_served_from_cache);
    tcase_add_test(tc, test_fifty_concurrent_cold_reads_make_exactly_one_pms_call);
    tcase_add_test(tc, test_two_replicas_cold_reads_share_one_pms_call);
    tcase_add_test(tc, test_rates_and_room_types_are_cached_too);
    tcase_add_test(tc, test_a_stays_rates_read_brings_its_departure_day_for_the_checkout);
    tcase_add_test(tc, test_an_unknown_hotel_is_404_and_never_reaches_the_pms);
    tcase_add_test(tc, test_a_read_refused_by_the_pms_budget_is_503_pms_busy_not_an_outage);
    tcase_add_test(tc, test_bad_query_parameters_get_400_naming_the_field);
    tcase_add_test(tc, test_decrement_and_increment_are_idempotent_per_booking_and_clamped);
    tcase_add_test(tc, test_an_answer_overtaken_by_a_change_is_not_cached_over_it);
    tcase_add_test(
        tc, test_the_in_process_copy_never_hides_this_replicas_writes_and_expires_for_others);
    tcase_add_test(
        tc, test_the_in_process_copy_of_a_rates_answer_is_per_party_and_never_hides_own_writes);
    tcase_add_test(tc, test_admin_degraded_mode_is_published_in_redis);
    tcase_add_test(tc, test_the_operator_switch_of_one_hotel_leaves_the_others_alone);
    suite_add_tcase(s, tc);
    return check_run(s);
}
