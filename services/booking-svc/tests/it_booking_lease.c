/* The saga lease on a real MariaDB: a lease that has ended stays ended.
 *
 * The lease keeper renews the leases of a snapshot of the running sagas; a
 * saga that ends between the snapshot and the renewal must not get its lease
 * back, or the guest's cancel of the booking just confirmed is refused
 * ("being changed") for a whole lease period. And an ended lease is free at
 * once, in the same millisecond as its end. */
#include <check.h>
#include <string.h>

#include "booking_it.h"
#include "check_run.h"
#include "common/log.h"
#include "store.h"

#define LEASE_S 10

static booking_it_t it;

static void setup(void)
{
    log_init("it_booking_lease", LOG_LEVEL_ERROR);
    booking_it_setup(&it, "it_lease");
}

static void teardown(void)
{
    booking_it_teardown(&it);
}

/* A running saga of booking_id whose lease owner holds. */
static void seed_saga(const char *booking_id, const char *owner)
{
    booking_it_seed_booking(&it, booking_id, "confirmed", "pi_lease", "captured", "r_lease",
                            "100000.00", "KRW");
    db_param_t p[] = {DB_STR(booking_id), DB_STR(owner), DB_INT(LEASE_S)};
    ck_assert_int_eq(db_exec(it.db,
                             "INSERT INTO saga_instance (booking_id, saga_type, state, "
                             "current_step, locked_by, locked_until) VALUES (?, 'checkout', "
                             "'running', 'capture', ?, NOW(3) + INTERVAL ? SECOND)",
                             p, 3, NULL, NULL),
                     DB_OK);
}

/* Whether the booking's lease runs past now. */
static long lease_live(const char *booking_id)
{
    return booking_it_query_long(
        &it, "SELECT locked_until > NOW(3) FROM saga_instance WHERE booking_id = ?", booking_id,
        NULL);
}

START_TEST(test_an_ended_lease_is_not_renewed)
{
    seed_saga("bk_lease_ended", "owner-a");
    ck_assert_int_eq(store_lease_renew(it.db, "bk_lease_ended", "owner-a", LEASE_S), 1);
    ck_assert_int_eq(lease_live("bk_lease_ended"), 1);

    /* the saga ends; the keeper's renewal from its older snapshot comes after */
    ck_assert_int_eq(store_lease_release(it.db, "bk_lease_ended", "owner-a"), 0);
    ck_assert_int_eq(store_lease_renew(it.db, "bk_lease_ended", "owner-a", LEASE_S), 0);
    ck_assert_int_eq(lease_live("bk_lease_ended"), 0);

    /* so a cancel takes it at once (the same millisecond included) */
    ck_assert_int_eq(store_lease_take(it.db, "bk_lease_ended", "owner-cancel", LEASE_S), 1);
    ck_assert_int_eq(lease_live("bk_lease_ended"), 1);
}
END_TEST

START_TEST(test_a_live_lease_is_kept_and_fenced)
{
    seed_saga("bk_lease_live", "owner-a");
    /* held by its owner: nobody else takes it, its owner renews it */
    ck_assert_int_eq(store_lease_take(it.db, "bk_lease_live", "owner-b", LEASE_S), 0);
    ck_assert_int_eq(store_lease_renew(it.db, "bk_lease_live", "owner-b", LEASE_S), 0);
    ck_assert_int_eq(store_lease_renew(it.db, "bk_lease_live", "owner-a", LEASE_S), 1);
    ck_assert_int_eq(store_lease_renew(it.db, "bk_lease_live", "owner-a", LEASE_S), 1);

    /* lapsed unrenewed (as after a crash or a long pause): lost to its owner,
     * free for another process */
    db_param_t p[] = {DB_STR("bk_lease_live")};
    ck_assert_int_eq(db_exec(it.db,
                             "UPDATE saga_instance SET locked_until = NOW(3) - INTERVAL 1 SECOND "
                             "WHERE booking_id = ?",
                             p, 1, NULL, NULL),
                     DB_OK);
    ck_assert_int_eq(store_lease_renew(it.db, "bk_lease_live", "owner-a", LEASE_S), 0);
    ck_assert_int_eq(store_lease_take(it.db, "bk_lease_live", "owner-b", LEASE_S), 1);
    ck_assert_int_eq(store_lease_renew(it.db, "bk_lease_live", "owner-a", LEASE_S), 0);
    ck_assert_int_eq(store_lease_renew(it.db, "bk_lease_live", "owner-b", LEASE_S), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("booking_lease");
    TCase *tc = tcase_create("lease");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_an_ended_lease_is_not_renewed);
    tcase_add_test(tc, test_a_live_lease_is_kept_and_fenced);
    suite_add_tcase(s, tc);
    return check_run(s);
}
