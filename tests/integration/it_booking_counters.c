/*
 * it_booking_counters — what one checkout costs, counted: database round
 * trips and transactions (booking-svc's own counts of what it sent), statements
 * prepared, events published and requests to each vendor (the sandboxes'
 * own counts). Counting is deterministic where timing is not, so these are
 * upper bounds a change that adds round trips breaks; bench/run reports the
 * same work as the servers count it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"

static bk_fixture_t f;

/* Nothing in the background between two snapshots: no recovery pass, no
 * idle relay poll or compensation scan, no lease renewal (the lease outlives
 * the test). */
static const char *const QUIET_ENV[] = {
    "BOOKING_RECOVERY_INTERVAL_S=3600", "OUTBOX_POLL_INTERVAL_MS=3600000",
    "COMPENSATION_SCAN_INTERVAL_MS=3600000", "BOOKING_SAGA_LEASE_S=600", NULL};

/* The database work of one successful checkout with an Idempotency-Key,
 * statements prepared once per connection not counted: the key (1); the
 * rate plan's cancellation policy, snapshotted into the booking (1); the
 * booking's first transaction (booking, saga, payment provider, step rows,
 * key -> booking, event), one call of the saga_open procedure (1); five step
 * boundaries, each one call of the saga_advance procedure (5); the outbox relay, woken by each of
 * the 5 writes that carry an event, at most one read and one mark each, and
 * one more read when a wake-up came during its last pass (11); the hotel's
 * vendor, asked again only when the warm-up's answer has expired (1). */
#define MAX_ROUND_TRIPS (1 + 1 + 1 + 5 + 11 + 1)
#define MAX_TRANSACTIONS 6 /* the booking's first write and five step boundaries */
#define EVENTS 5           /* requested, held, payment_authorized, confirmed, captured */
#define MAX_PMS_CALLS 2    /* hold, confirm (the hotel's currency is cached by the first) */
#define MAX_PAY_CALLS 2    /* pre-authorise, capture */

static void setup(void)
{
    bk_setup(&f);
    bk_service_start(&f, QUIET_ENV);
}

static void teardown(void)
{
    bk_teardown(&f);
}

static double metric(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return 0;
}

typedef struct counts {
    double round_trips, prepares, transactions, published;
    int64_t pms, pay;
} counts_t;

static int64_t sum_ints(struct json_object *o)
{
    int64_t n = 0;
    if (json_object_is_type(o, json_type_int))
        return json_object_get_int64(o);
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, k, v)
        {
            (void)k;
            n += sum_ints(v);
        }
    }
    return n;
}

static void snapshot(counts_t *c)
{
    http_client_response_t m;
    ck_assert_int_eq(http_client_get(f.http, "/metrics", NULL, NULL, &m), HTTP_CLIENT_OK);
    c->round_trips = metric(m.body, "db_round_trips_total");
    c->prepares = metric(m.body, "db_statements_prepared_total");
    c->transactions = metric(m.body, "booking_saga_transactions_total");
    c->published = metric(m.body, "booking_outbox_published_total");
    http_client_response_clear(&m);
    struct json_object *s = ts_sandbox_get_json(&f.pms, "/_sandbox/stats", NULL), *v, *st;
    c->pms = json_object_object_get_ex(s, "requests", &v) ? sum_ints(v) : -1;
    json_object_put(s);
    s = ts_sandbox_get_json(&f.pay, "/_sandbox/ledger", NULL);
    c->pay =
        json_object_object_get_ex(s, "stats", &st) && json_object_object_get_ex(st, "requests", &v)
            ? sum_ints(v)
            : -1;
    json_object_put(s);
}

static bool published(double want)
{
    counts_t c;
    snapshot(&c);
    return c.published >= want;
}

static void checkout_ok(int offset, const char *key)
{
    char *body = bk_body(&f, BK_ROOM, offset, 1, "tok_visa", 0);
    int status;
    struct json_object *r = bk_checkout(&f, body, key, &status);
    ck_assert_msg(status == 200, "%s", json_object_to_json_string(r));
    json_object_put(r);
    free(body);
}

START_TEST(test_one_checkout_stays_within_its_round_trips)
{
    counts_t warm, before, after;
    /* the first checkout prepares the statements and caches the currency */
    snapshot(&warm);
    checkout_ok(30, "counters-warm");
    ck_assert(TS_POLL_UNTIL(published(warm.published + EVENTS), 15000));
    snapshot(&before);
    checkout_ok(31, "counters-measured");
    ck_assert(TS_POLL_UNTIL(published(before.published + EVENTS), 15000));
    snapshot(&after);
    double prepares = after.prepares - before.prepares;
    /* a statement is prepared once per connection (it_db): which pool
     * connections a checkout gets depends on the other threads, so what
     * is bounded is the work that repeats */
    double trips = after.round_trips - before.round_trips - prepares;
    double transactions = after.transactions - before.transactions;
    fprintf(stderr,
            "one checkout: %.0f round trips (+%.0f first prepares), %.0f transactions, "
            "%.0f events, %lld PMS and %lld payment requests\n",
            trips, prepares, transactions, after.published - before.published,
            (long long)(after.pms - before.pms), (long long)(after.pay - before.pay));
    ck_assert_msg(trips <= MAX_ROUND_TRIPS, "%.0f round trips > %d", trips, MAX_ROUND_TRIPS);
    ck_assert_msg(transactions <= MAX_TRANSACTIONS, "%.0f transactions > %d", transactions,
                  MAX_TRANSACTIONS);
    ck_assert_int_eq((int)(after.published - before.published), EVENTS);
    ck_assert_int_le(after.pms - before.pms, MAX_PMS_CALLS);
    ck_assert_int_le(after.pay - before.pay, MAX_PAY_CALLS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_booking_counters");
    TCase *tc = tcase_create("counters");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_one_checkout_stays_within_its_round_trips);
    suite_add_tcase(s, tc);
    return check_run(s);
}
