/*
 * it_guest_access.c — a booking belongs to whoever holds its token, and to the
 * staff of its hotel: end to end on booking-svc with both sandboxes.
 *
 * A guest reads and cancels their own booking with the bookingToken the
 * checkout gave them (the refund reaches the payment ledger), and cannot see
 * or cancel another guest's booking — which answers 404 exactly like one that
 * does not exist. Staff limited to another hotel see nothing either; the
 * hotel's own operator can cancel, and that cancel is in the audit log.
 */
#include <check.h>

#include "booking_fixture.h"
#include "check_run.h"

static bk_fixture_t f;

static void setup(void)
{
    bk_setup(&f);
    bk_service_start(&f, NULL);
}

static void teardown(void)
{
    bk_teardown(&f);
}

typedef struct booked {
    char id[64];
    char token[128];
} booked_t;

static booked_t book(int offset)
{
    char *body = bk_body(&f, BK_ROOM, offset, 1, "tok_visa", 0);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == 200, "%d %s", status, json_object_to_json_string(r));
    booked_t b;
    snprintf(b.id, sizeof b.id, "%s", bk_str(r, "bookingId"));
    const char *token = bk_str(r, "bookingToken");
    ck_assert_msg(token && strncmp(token, "bt_", 3) == 0, "no bookingToken in %s",
                  json_object_to_json_string(r));
    snprintf(b.token, sizeof b.token, "%s", token);
    json_object_put(r);
    free(body);
    return b;
}

/* method on /api/bookings/<id><suffix> with the given Authorization header
 * line (NULL: none); the status, and the body into *body (caller frees). */
static int call(const char *method, const char *id, const char *suffix, const char *auth,
                char **body)
{
    char base[64], path[160];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f.port);
    snprintf(path, sizeof path, "/api/bookings/%s%s", id, suffix);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 30000};
    http_client_t *c = http_client_new(&cc);
    const char *headers[] = {auth, NULL};
    http_client_response_t r;
    ck_assert_int_eq(
        http_client_request(c, method, path, NULL, auth ? headers : NULL, NULL, 0, &r),
        HTTP_CLIENT_OK);
    int status = r.status;
    if (body)
        *body = strdup(r.body ? r.body : "");
    http_client_response_clear(&r);
    http_client_free(c);
    return status;
}

static void bearer(const char *token, char *out, size_t size)
{
    snprintf(out, size, "Authorization: Bearer %s", token);
}

START_TEST(test_a_guest_reads_and_cancels_their_own_booking_and_no_other)
{
    booked_t mine = book(60), theirs = book(61);
    char me[200];
    bearer(mine.token, me, sizeof me);
    char *body = NULL;

    /* my booking, with my token: no contact or card data in it */
    ck_assert_int_eq(call("GET", mine.id, "", me, &body), 200);
    ck_assert_msg(strstr(body, mine.id) && !strstr(body, "hong@example.com") &&
                      !strstr(body, "+82-10") && !strstr(body, "tok_visa"),
                  "%s", body);
    free(body);

    /* theirs, with my token: as if it did not exist; with no credential at
     * all: 401, the same for a booking that does not exist */
    ck_assert_int_eq(call("GET", theirs.id, "", me, NULL), 404);
    ck_assert_int_eq(call("GET", theirs.id, "", NULL, NULL), 401);
    ck_assert_int_eq(call("GET", "bk_doesnotexist000000000000", "", NULL, NULL), 401);
    ck_assert_int_eq(call("POST", theirs.id, "/cancel", me, NULL), 404);
    ck_assert_int_eq(call("GET", "bk_doesnotexist000000000000", "", me, NULL), 404);
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking WHERE booking_id = ? AND "
                                   "status = 'confirmed'",
                               theirs.id),
                     1);

    /* mine, cancelled with my token: the room and the money go back */
    ck_assert_int_eq(call("POST", mine.id, "/cancel", me, &body), 200);
    free(body);
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking WHERE booking_id = ? AND "
                                   "status = 'cancelled'",
                               mine.id),
                     1);
    ck_assert_msg(TS_POLL_UNTIL(bk_summary(&f.pay, "refunds") == 1, 20000), "no refund");
    ck_assert_int_eq(bk_summary(&f.pms, "confirmed"), 1);
    /* /metrics is open to anyone: it must hold no guest data or secret */
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 10000};
    http_client_t *c = http_client_new(&cc);
    http_client_response_t m;
    ck_assert_int_eq(http_client_get(c, "/metrics", NULL, NULL, &m), HTTP_CLIENT_OK);
    ck_assert_int_eq(m.status, 200);
    ck_assert_msg(!strstr(m.body, "hong@example.com") && !strstr(m.body, "1234-5678") &&
                      !strstr(m.body, "tok_visa") && !strstr(m.body, mine.token) &&
                      !strstr(m.body, "sk_test_") && !strstr(m.body, "cbk_sandbox"),
                  "/metrics reveals guest data or a secret");
    http_client_response_clear(&m);
    http_client_free(c);
    /* a guest's cancel is not a staff action: nothing in the audit log */
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM audit_log WHERE booking_id = ?", mine.id),
                     0);
}
END_TEST

START_TEST(test_staff_see_only_their_hotels_and_their_cancels_are_audited)
{
    booked_t b = book(62);
    char other[TS_AUTH_HEADER_MAX], own[TS_AUTH_HEADER_MAX], viewer[TS_AUTH_HEADER_MAX];
    char own_id[64];
    ck_assert_int_eq(ts_api_key_header(f.db_url, "operator", "hotel_busan", other, NULL), 0);
    ck_assert_int_eq(ts_api_key_header(f.db_url, "operator", BK_HOTEL, own, own_id), 0);
    ck_assert_int_eq(ts_api_key_header(f.db_url, "viewer", BK_HOTEL, viewer, NULL), 0);

    /* another hotel's operator: the booking does not exist for them */
    ck_assert_int_eq(call("GET", b.id, "", other, NULL), 404);
    ck_assert_int_eq(call("POST", b.id, "/cancel", other, NULL), 404);
    /* the hotel's viewer reads but may not cancel */
    ck_assert_int_eq(call("GET", b.id, "", viewer, NULL), 200);
    ck_assert_int_eq(call("POST", b.id, "/cancel", viewer, NULL), 403);
    /* the hotel's operator cancels, and the audit log says who */
    ck_assert_int_eq(call("POST", b.id, "/cancel", own, NULL), 200);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM audit_log WHERE booking_id = ? AND action = 'booking.cancel' "
             "AND hotel_id = '" BK_HOTEL "' AND actor_kind = 'api_key' AND actor_id = '%s'",
             own_id);
    ck_assert_int_eq(bk_db_int(&f, sql, b.id), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("guest_access");
    TCase *tc = tcase_create("access");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_guest_reads_and_cancels_their_own_booking_and_no_other);
    tcase_add_test(tc, test_staff_see_only_their_hotels_and_their_cancels_are_audited);
    suite_add_tcase(s, tc);
    return check_run(s);
}
