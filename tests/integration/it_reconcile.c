/* The reconciliation (common/reconcile.h and lodging-reconcile) on the real
 * stack: booking-svc checkouts against pms-sandbox and pay-sandbox agree;
 * a reservation made straight in the PMS through its vendor API does not. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "booking_fixture.h"
#include "check_run.h"
#include "common/payment.h"
#include "common/pms.h"
#include "common/reconcile.h"

#define RC_OFFSET 40 /* days from today: stays no other test of this database uses */
#define RC_SANDBOX_KEY "cbk_sandbox_hotel_123"

static bk_fixture_t f;
static pms_connector_t *pms;
static payment_connector_t *pay;

/* Connectors to the sandboxes' vendor APIs, as the CLI builds them. */
static void setup(void)
{
    bk_setup(&f);
    bk_service_start(&f, NULL);
    setenv("PMS_hotel_123_API_KEY", RC_SANDBOX_KEY, 1);
    char err[256];
    pms_config_t pc = PMS_CONFIG_DEFAULT;
    pc.base_url = f.pms.base_url;
    pc.rate_per_second = 1000;
    pms = pms_connector_new("cloudbeds", &pc, err, sizeof err);
    ck_assert_msg(pms != NULL, "%s", err);
    payment_config_t yc = PAYMENT_CONFIG_DEFAULT;
    yc.base_url = f.pay.base_url;
    yc.api_key = "sk_test_sandbox";
    pay = payment_connector_new("stripe", &yc, err, sizeof err);
    ck_assert_msg(pay != NULL, "%s", err);
}

static void teardown(void)
{
    pms_connector_free(pms);
    payment_connector_free(pay);
    bk_teardown(&f);
}

/* A successful checkout of `nights` nights from today + offset. */
static void checkout(int offset, int nights)
{
    char *body = bk_body(&f, BK_ROOM, offset, nights, "tok_visa", 0);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == 200, "status %d: %s", status, json_object_to_json_string(r));
    json_object_put(r);
    free(body);
}

/* The library's report for the test's check-in range (caller frees). */
static reconcile_report_t run(void)
{
    dates_day_t today = dates_today_utc();
    reconcile_source_t src = {.hotel_id = BK_HOTEL,
                              .from = today + RC_OFFSET,
                              .to = today + RC_OFFSET + 10,
                              .db = f.db,
                              .pms = pms,
                              .pay = pay};
    reconcile_report_t rep;
    char why[512];
    ck_assert_msg(reconcile_run(&src, &rep, why, sizeof why) == RECONCILE_OK, "%s", why);
    return rep;
}

/* Runs lodging-reconcile --json on the test's range; its exit status, and
 * its stdout into out (out_size bytes). */
static int run_cli(char *out, size_t out_size)
{
    dates_day_t today = dates_today_utc();
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1], cmd[512];
    dates_format_iso(today + RC_OFFSET, from);
    dates_format_iso(today + RC_OFFSET + 10, to);
    setenv("MYSQL_URL", f.db_url, 1);
    setenv("PMS_BASE_URL", f.pms.base_url, 1);
    setenv("PAYMENT_BASE_URL", f.pay.base_url, 1);
    setenv("PAYMENT_API_KEY", "sk_test_sandbox", 1);
    setenv("PMS_RATE_LIMIT_PER_SECOND", "1000", 1);
    setenv("REDIS_URL", f.redis_url, 1); /* the PMS budget shared with booking-svc */
    snprintf(cmd, sizeof cmd,
             LODGING_BINARY_DIR "/tools/reconcile/lodging-reconcile --hotel " BK_HOTEL
                                " --from %s --to %s --json",
             from, to);
    FILE *p = popen(cmd, "r");
    ck_assert(p != NULL);
    size_t n = fread(out, 1, out_size - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    ck_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

START_TEST(test_checkouts_leave_the_three_ledgers_in_agreement)
{
    checkout(RC_OFFSET, 2);
    checkout(RC_OFFSET + 3, 1);
    checkout(RC_OFFSET + 5, 3);
    reconcile_report_t rep = run();
    ck_assert_msg(rep.count == 0, "first mismatch: %s %s",
                  rep.count ? reconcile_kind_name(rep.items[0].kind) : "",
                  rep.count ? rep.items[0].reservation_id : "");
    ck_assert_uint_eq(rep.bookings, 3);
    ck_assert_uint_eq(rep.payments, 3);
    ck_assert_uint_ge(rep.reservations, 3);
    reconcile_report_free(&rep);

    static char out[65536];
    ck_assert_int_eq(run_cli(out, sizeof out), 0);
    json_error_t je;
    struct json_object *o = json_parse_object(out, strlen(out), &je), *list;
    ck_assert_msg(o != NULL, "not JSON: %s", out);
    ck_assert(json_object_object_get_ex(o, "mismatches", &list));
    ck_assert_uint_eq(json_object_array_length(list), 0);
    json_object_put(o);
}
END_TEST

START_TEST(test_a_reservation_made_in_the_pms_alone_is_a_mismatch)
{
    checkout(RC_OFFSET, 2);
    /* A walk-in: postReservation then putReservation confirmed, through the
     * vendor API with the property's key, booking-svc not involved. */
    dates_day_t in = dates_today_utc() + RC_OFFSET + 1;
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

    reconcile_report_t rep = run();
    ck_assert_uint_eq(rep.count, 1);
    ck_assert_str_eq(reconcile_kind_name(rep.items[0].kind), "pms_confirmed_not_booked");
    ck_assert_str_eq(rep.items[0].reservation_id, hold.hold_id);
    ck_assert_str_eq(rep.items[0].theirs, "confirmed");
    reconcile_report_free(&rep);

    static char out[65536];
    ck_assert_int_eq(run_cli(out, sizeof out), 1);
    json_error_t je;
    struct json_object *o = json_parse_object(out, strlen(out), &je), *list, *kind;
    ck_assert_msg(o != NULL, "not JSON: %s", out);
    ck_assert(json_object_object_get_ex(o, "mismatches", &list));
    ck_assert_uint_eq(json_object_array_length(list), 1);
    ck_assert(json_object_object_get_ex(json_object_array_get_idx(list, 0), "kind", &kind));
    ck_assert_str_eq(json_object_get_string(kind), "pms_confirmed_not_booked");
    ck_assert_msg(!strstr(out, "sk_test") && !strstr(out, RC_SANDBOX_KEY) && !strstr(out, "@"),
                  "the report shows a key or an e-mail: %s", out);
    json_object_put(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_reconcile");
    TCase *tc = tcase_create("stack");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_checkouts_leave_the_three_ledgers_in_agreement);
    tcase_add_test(tc, test_a_reservation_made_in_the_pms_alone_is_a_mismatch);
    suite_add_tcase(s, tc);
    return check_run(s);
}
