/* singleflight.c: concurrent joiners of one key share one leader's result. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "singleflight.h"

enum { THREADS = 32 };

static sf_group_t *group;
static atomic_int leaders, fetches;

typedef struct worker {
    int seen;
} worker_t;

/* A worker joins the call for one key; the test's own join came first, so
 * every worker must find it in flight and wait for its result. */
static void *work(void *arg)
{
    worker_t *w = arg;
    bool leader = false;
    sf_call_t *call = sf_join(group, "inv:h:r:1:30", &leader);
    if (!call)
        return NULL;
    if (leader) { /* would mean a second fetch */
        atomic_fetch_add(&leaders, 1);
        sf_complete(group, call, NULL, NULL);
    }
    const int *r = sf_wait(group, call);
    w->seen = r ? *r : -1;
    sf_release(group, call);
    return NULL;
}

START_TEST(test_concurrent_joiners_share_one_leaders_result)
{
    group = sf_group_new();
    atomic_store(&leaders, 0);
    atomic_store(&fetches, 0);
    pthread_t t[THREADS];
    worker_t w[THREADS];
    bool leader = false;
    /* The test is the leader; it completes once every worker joined. */
    sf_call_t *probe = sf_join(group, "inv:h:r:1:30", &leader);
    ck_assert(leader);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    while (sf_joined(group, probe) < THREADS + 1)
        sched_yield();
    int *result = malloc(sizeof *result);
    *result = 42;
    atomic_fetch_add(&fetches, 1);
    sf_complete(group, probe, result, free);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    sf_release(group, probe);
    ck_assert_int_eq(atomic_load(&fetches), 1);
    ck_assert_int_eq(atomic_load(&leaders), 0);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(w[i].seen, 42);
    sf_group_free(group);
}
END_TEST

START_TEST(test_a_completed_call_is_not_joined_again)
{
    group = sf_group_new();
    bool leader = false;
    sf_call_t *a = sf_join(group, "k", &leader);
    ck_assert(leader);
    sf_complete(group, a, NULL, NULL);
    sf_call_t *b = sf_join(group, "k", &leader);
    ck_assert(leader);
    ck_assert_ptr_ne(a, b);
    sf_release(group, a);
    sf_call_t *c = sf_join(group, "other", &leader);
    ck_assert(leader);
    sf_complete(group, b, NULL, NULL);
    sf_complete(group, c, NULL, NULL);
    sf_release(group, b);
    sf_release(group, c);
    sf_group_free(group);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("unit_inventory_svc_singleflight");
    TCase *tc = tcase_create("singleflight");
    tcase_add_test(tc, test_concurrent_joiners_share_one_leaders_result);
    tcase_add_test(tc, test_a_completed_call_is_not_joined_again);
    suite_add_tcase(s, tc);
    return check_run(s);
}
