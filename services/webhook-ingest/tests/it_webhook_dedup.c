/* Webhook de-duplication on a real Redis: a batch of claims in one call
 * answers each webhook as its own claim would, in order, so two deliveries
 * of one event in the same batch publish it once; the marks and releases
 * that follow behave as for single claims. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "common/log.h"
#include "common/redis.h"
#include "dedup.h"
#include "testsupport.h"

static int redis_db = -1;
static char redis_url[128];
static dedup_t *dedup;

static void setup(void)
{
    log_init("it_webhook_dedup", LOG_LEVEL_ERROR);
    redis_db = ts_redis_db_acquire(redis_url, sizeof redis_url);
    ck_assert_int_ge(redis_db, 0);
    char err[256];
    dedup = dedup_new(redis_url, 2, err, sizeof err);
    ck_assert_msg(dedup != NULL, "%s", err);
}

static void teardown(void)
{
    dedup_free(dedup);
    ts_redis_db_release(redis_db);
}

/* The TTL of key in the test's database (-2: no such key). */
static long long ttl_of(const char *key)
{
    char err[256];
    redis_client_t *r = redis_client_new(redis_url, 1000, 1000, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    long long ttl = -3;
    ck_assert_int_eq(redis_ttl(r, key, &ttl), REDIS_CLIENT_OK);
    redis_client_free(r);
    return ttl;
}

START_TEST(test_a_batch_of_claims_answers_each_webhook_as_its_own_claim_would)
{
    dedup_mark_done(dedup, "sandbox", "evt_seen");
    ck_assert_int_eq(dedup_claim(dedup, "sandbox", "evt_busy"), DEDUP_NEW);

    const char *vendors[] = {"sandbox", "sandbox", "cloudbeds", "sandbox", "sandbox", "sandbox"};
    const char *ids[] = {"evt_a", "evt_seen", "evt_a", "evt_a", "evt_busy", "evt_b"};
    dedup_result_t got[6];
    dedup_claim_many(dedup, vendors, ids, 6, got);
    ck_assert_int_eq(got[0], DEDUP_NEW);
    ck_assert_int_eq(got[1], DEDUP_DUPLICATE);
    ck_assert_int_eq(got[2], DEDUP_NEW);         /* another vendor's event of the same id */
    ck_assert_int_eq(got[3], DEDUP_IN_PROGRESS); /* the same event again in one batch */
    ck_assert_int_eq(got[4], DEDUP_IN_PROGRESS);
    ck_assert_int_eq(got[5], DEDUP_NEW);

    long long inflight = ttl_of("webhook:inflight:sandbox:evt_a");
    ck_assert_int_gt(inflight, 0);
    ck_assert_int_le(inflight, DEDUP_INFLIGHT_TTL_S);

    /* the claims it made end as single ones do */
    const char *done_vendors[] = {"sandbox", "cloudbeds"};
    const char *done_ids[] = {"evt_a", "evt_a"};
    dedup_mark_done_many(dedup, done_vendors, done_ids, 2);
    dedup_release(dedup, "sandbox", "evt_b");
    ck_assert_int_eq(ttl_of("webhook:inflight:sandbox:evt_a"), -2);
    ck_assert_int_gt(ttl_of("webhook:seen:sandbox:evt_a"), DEDUP_INFLIGHT_TTL_S);
    ck_assert_int_eq(dedup_claim(dedup, "sandbox", "evt_a"), DEDUP_DUPLICATE);
    ck_assert_int_eq(dedup_claim(dedup, "cloudbeds", "evt_a"), DEDUP_DUPLICATE);
    ck_assert_int_eq(dedup_claim(dedup, "sandbox", "evt_b"), DEDUP_NEW);
}
END_TEST

START_TEST(test_a_batch_larger_than_one_script_call_is_claimed_whole)
{
    enum { COUNT = 150 }; /* over the 64 events of one call */
    static char id_buf[COUNT][32];
    const char *vendors[COUNT], *ids[COUNT];
    for (int i = 0; i < COUNT; i++) {
        snprintf(id_buf[i], sizeof id_buf[i], "evt_%d", i % 100); /* 50 repeats */
        vendors[i] = "sandbox";
        ids[i] = id_buf[i];
    }
    dedup_result_t got[COUNT];
    dedup_claim_many(dedup, vendors, ids, COUNT, got);
    for (int i = 0; i < COUNT; i++)
        ck_assert_msg(got[i] == (i < 100 ? DEDUP_NEW : DEDUP_IN_PROGRESS), "event %d: %s", i,
                      dedup_result_name(got[i]));
}
END_TEST

START_TEST(test_without_redis_every_claim_of_the_batch_is_unavailable)
{
    char err[256], url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", ts_free_port());
    dedup_t *dead = dedup_new(url, 1, err, sizeof err);
    ck_assert_msg(dead != NULL, "%s", err);
    const char *vendors[] = {"sandbox", "sandbox"};
    const char *ids[] = {"evt_x", "evt_y"};
    dedup_result_t got[2] = {DEDUP_NEW, DEDUP_NEW};
    dedup_claim_many(dead, vendors, ids, 2, got);
    ck_assert_int_eq(got[0], DEDUP_UNAVAILABLE);
    ck_assert_int_eq(got[1], DEDUP_UNAVAILABLE);
    dedup_free(dead);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook-dedup");
    TCase *tc = tcase_create("redis");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_a_batch_of_claims_answers_each_webhook_as_its_own_claim_would);
    tcase_add_test(tc, test_a_batch_larger_than_one_script_call_is_claimed_whole);
    tcase_add_test(tc, test_without_redis_every_claim_of_the_batch_is_unavailable);
    suite_add_tcase(s, tc);
    return check_run(s);
}
