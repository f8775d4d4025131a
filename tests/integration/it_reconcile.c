/* The reconciliation (common/reconcile.h and lodging-reconcile) on the real
 * stack: booking-svc checkouts against pms-sandbox and pay-sandbox agree;
 * a reservation made straight in the PMS through its vendor API does not.
 * Bookings paid through Toss Payments are read from toss-sandbox: they agree
 * too, until a payment is cancelled at Toss behind our back. */
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
static payment_connector_t *pay, *toss;

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
    payment_config_t tc = PAYMENT_CONFIG_DEFAULT;
    tc.base_url = f.toss.base_url;
    tc.api_key = "test_sk_sandbox";
    tc.manual_settlement = true;
    toss = payment_connector_new("toss", &tc, err, sizeof err);
    ck_assert_msg(toss != NULL, "%s", err);
}

static void teardown(void)
{
    pms_connector_free(pms);
    payment_connector_free(pay);
    payment_connector_free(toss);
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
                              .pay = pay,
                              .toss = toss};
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
    setenv("TOSS_BASE_URL", f.toss.base_url, 1);
    setenv("TOSS_SECRET_KEY", "test_sk_sandbox", 1);
    setenv("TOSS_ACQUISITION", "manual", 1);
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

/* A Toss checkout; the booking's paymentKey into key. */
static void toss_checkout(int offset, char *key, size_t size)
{
    char order[64];
    char *body = bk_toss_body(&f, BK_ROOM, offset, 1, NULL, order, sizeof order);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == 200, "status %d: %s", status, json_object_to_json_string(r));
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking_payment WHERE order_id = ?",
                               order),
                     1);
    db_param_t p[] = {DB_STR(bk_str(r, "bookingId"))};
    db_result_t *res = NULL;
    ck_assert_int_eq(db_query(f.db, "SELECT payment_auth_id FROM booking WHERE booking_id = ?", p,
                              1, &res),
                     DB_OK);
    snprintf(key, size, "%s", db_result_text(res, 0, 0));
    db_result_free(res);
    json_object_put(r);
    free(body);
}

START_TEST(test_both_providers_reconcile_and_a_cancel_at_toss_is_found)
{
    char key[128], other[128];
    checkout(RC_OFFSET, 2);
    toss_checkout(RC_OFFSET + 3, key, sizeof key);
    toss_checkout(RC_OFFSET + 5, other, sizeof other);
    reconcile_report_t rep = run();
    ck_assert_msg(rep.count == 0, "first mismatch: %s %s",
                  rep.count ? reconcile_kind_name(rep.items[0].kind) : "",
                  rep.count ? rep.items[0].payment_id : "");
    ck_assert_uint_eq(rep.payments, 3);
    reconcile_report_free(&rep);
    static char out[65536];
    ck_assert_int_eq(run_cli(out, sizeof out), 0);

    /* cancelled in Toss' console, the webhook never arrived: found here */
    char path[320];
    snprintf(path, sizeof path, "/_sandbox/payments/%s/console-cancel", key);
    ck_assert_int_eq(ts_sandbox_post(&f.toss, path, "{}"), 200);
    rep = run();
    ck_assert_uint_eq(rep.count, 1);
    ck_assert_str_eq(reconcile_kind_name(rep.items[0].kind), "payment_missing");
    ck_assert_str_eq(rep.items[0].payment_id, key);
    ck_assert_str_eq(rep.items[0].theirs, "CANCELED");
    reconcile_report_free(&rep);
    ck_assert_int_eq(run_cli(out, sizeof out), 1);
    ck_assert_msg(!strstr(out, "test_sk") && !strstr(out, "@"), "the report shows a key: %s",
                  out);
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
    tcase_add_test(tc, test_both_providers_reconcile_and_a_cancel_at_toss_is_found);
    suite_add_tcase(s, tc);
    return check_run(s);
}
