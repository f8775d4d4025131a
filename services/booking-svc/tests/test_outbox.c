/* The outbox's contract at its edges, without a network: what it refuses and
 * that every function accepts NULL where its header says so. Publishing is
 * covered by it_booking_outbox against the real broker. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "outbox.h"

START_TEST(test_append_refuses_a_missing_transaction_topic_key_or_type)
{
    char id[37] = "";
    ck_assert_int_eq(
        outbox_append(NULL, "booking.events", "bk_1", "lodging.booking.held", NULL, id), -1);
    ck_assert_str_eq(id, "");
}
END_TEST

START_TEST(test_the_relay_needs_a_database_and_a_producer)
{
    char err[128] = "";
    outbox_relay_config_t cfg = {0};
    ck_assert_ptr_null(outbox_relay_start(&cfg, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "db and producer"));
    ck_assert_ptr_null(outbox_relay_start(NULL, err, sizeof err));
}
END_TEST

START_TEST(test_null_relays_are_accepted)
{
    outbox_relay_kick(NULL);
    outbox_relay_kick_cb(NULL);
    outbox_relay_stop(NULL);
    ck_assert_int_eq(outbox_relay_flush(NULL, 10), -1);
    ck_assert_int_eq(outbox_unpublished(NULL), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("booking-svc outbox");
    TCase *tc = tcase_create("edges");
    tcase_add_test(tc, test_append_refuses_a_missing_transaction_topic_key_or_type);
    tcase_add_test(tc, test_the_relay_needs_a_database_and_a_producer);
    tcase_add_test(tc, test_null_relays_are_accepted);
    suite_add_tcase(s, tc);
    return check_run(s);
}
