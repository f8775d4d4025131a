/* Compensation commands and the stuck alert, without a network: what the
 * worker accepts, what it refuses, and that what it writes matches
 * proto/events (booking-compensation, ops-alert). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "compensation.h"
#include "schema_check.h"

static compensation_command_t command(const char *action)
{
    compensation_command_t c = {.amount = 250000, .attempt = 2};
    snprintf(c.booking_id, sizeof c.booking_id, "bk_7k2m9p4q8r3s6t5v2w7x9y3z");
    snprintf(c.action, sizeof c.action, "%s", action);
    snprintf(c.hotel_id, sizeof c.hotel_id, "hotel_123");
    snprintf(c.hold_id, sizeof c.hold_id, "hold_1");
    snprintf(c.payment_auth_id, sizeof c.payment_auth_id, "pi_1");
    snprintf(c.reservation_id, sizeof c.reservation_id, "res_1");
    snprintf(c.currency, sizeof c.currency, "KRW");
    snprintf(c.reason, sizeof c.reason, "payment gateway timeout");
    return c;
}

static const char *const ACTIONS[] = {"release_hold", "void_preauth", "cancel_reservation",
                                      "refund", "retry_capture"};

START_TEST(test_every_action_round_trips_through_its_command_data)
{
    for (size_t i = 0; i < sizeof ACTIONS / sizeof ACTIONS[0]; i++) {
        compensation_command_t c = command(ACTIONS[i]), back;
        ck_assert_ptr_null(compensation_command_invalid(&c));
        struct json_object *data = compensation_command_to_json(&c);
        schema_assert_matches(data, "booking-compensation");
        char why[128];
        ck_assert_msg(compensation_command_from_json(data, &back, why, sizeof why) == 0, "%s", why);
        ck_assert_str_eq(back.booking_id, c.booking_id);
        ck_assert_str_eq(back.action, c.action);
        ck_assert_str_eq(back.hotel_id, c.hotel_id);
        ck_assert_str_eq(back.hold_id, c.hold_id);
        ck_assert_str_eq(back.payment_auth_id, c.payment_auth_id);
        ck_assert_str_eq(back.reservation_id, c.reservation_id);
        ck_assert_str_eq(back.currency, c.currency);
        ck_assert_str_eq(back.reason, c.reason);
        ck_assert_int_eq(back.amount, c.amount);
        ck_assert_int_eq(back.attempt, c.attempt);
        json_object_put(data);
    }
}
END_TEST

START_TEST(test_absent_ids_stay_out_of_the_command_data)
{
    compensation_command_t c = command("void_preauth");
    c.hold_id[0] = c.reservation_id[0] = c.hotel_id[0] = '\0';
    c.amount = 0;
    struct json_object *data = compensation_command_to_json(&c);
    schema_assert_matches(data, "booking-compensation");
    ck_assert(!json_object_object_get_ex(data, "holdId", NULL));
    ck_assert(!json_object_object_get_ex(data, "reservationId", NULL));
    ck_assert(!json_object_object_get_ex(data, "amount", NULL));
    json_object_put(data);
}
END_TEST

START_TEST(test_a_command_without_what_its_action_needs_is_refused)
{
    compensation_command_t c = command("release_hold");
    c.hold_id[0] = '\0';
    ck_assert_ptr_nonnull(strstr(compensation_command_invalid(&c), "holdId"));
    c = command("cancel_reservation");
    c.reservation_id[0] = '\0';
    ck_assert_ptr_nonnull(strstr(compensation_command_invalid(&c), "reservationId"));
    c = command("cancel_reservation");
    c.hotel_id[0] = '\0';
    ck_assert_ptr_nonnull(strstr(compensation_command_invalid(&c), "hotelId"));
    c = command("refund");
    c.payment_auth_id[0] = '\0';
    ck_assert_ptr_nonnull(strstr(compensation_command_invalid(&c), "paymentAuthId"));
    c = command("send_flowers");
    ck_assert_ptr_nonnull(strstr(compensation_command_invalid(&c), "action"));
    c = command("refund");
    c.booking_id[0] = '\0';
    ck_assert_ptr_nonnull(strstr(compensation_command_invalid(&c), "bookingId"));
}
END_TEST

START_TEST(test_malformed_command_data_is_refused_with_the_field_named)
{
    static const struct {
        const char *json, *field;
    } cases[] = {
        {"{\"action\":\"void_preauth\",\"attempt\":1,\"reason\":\"x\",\"paymentAuthId\":\"pi\"}",
         "bookingId"},
        {"{\"bookingId\":\"bk\",\"action\":7,\"attempt\":1,\"reason\":\"x\"}", "action"},
        {"{\"bookingId\":\"bk\",\"action\":\"refund\",\"attempt\":\"1\",\"reason\":\"x\","
         "\"paymentAuthId\":\"pi\"}",
         "attempt"},
        {"{\"bookingId\":\"bk\",\"action\":\"refund\",\"attempt\":1,\"amount\":-5,\"reason\":\"x\","
         "\"paymentAuthId\":\"pi\"}",
         "amount"},
        {"{\"bookingId\":\"bk\",\"action\":\"release_hold\",\"attempt\":1,\"reason\":\"x\","
         "\"hotelId\":\"h\"}",
         "holdId"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct json_object *data = json_tokener_parse(cases[i].json);
        ck_assert_ptr_nonnull(data);
        compensation_command_t c;
        char why[160] = "";
        ck_assert_int_eq(compensation_command_from_json(data, &c, why, sizeof why), -1);
        ck_assert_msg(strstr(why, cases[i].field) != NULL, "case %zu: '%s' does not name %s", i,
                      why, cases[i].field);
        json_object_put(data);
    }
}
END_TEST

START_TEST(test_a_request_that_cannot_be_valid_is_refused_before_any_write)
{
    /* No transaction is touched: an invalid request fails first. */
    ck_assert_int_eq(compensation_request(NULL, "bk_1", "release_hold", "hotel_123", NULL, NULL,
                                          NULL, 0, NULL, "x", 1),
                     -1);
    ck_assert_int_eq(compensation_request(NULL, "bk_1", "teleport", "hotel_123", "h", NULL, NULL, 0,
                                          NULL, "x", 1),
                     -1);
    ck_assert_int_eq(compensation_request(NULL, "bk_1", "void_preauth", NULL, NULL, "pi_1", NULL, 0,
                                          NULL, "x", 1),
                     -1); /* valid, but no transaction */
    ck_assert_int_eq(compensation_pending(NULL), -1);
    compensation_worker_stop(NULL);
    char err[128] = "";
    compensation_config_t cfg = {.brokers = "127.0.0.1:1"};
    ck_assert_ptr_null(compensation_worker_start(&cfg, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "required"));
}
END_TEST

START_TEST(test_the_stuck_alert_matches_the_ops_alert_schema)
{
    compensation_command_t c = command("void_preauth");
    char long_error[700];
    memset(long_error, 'e', sizeof long_error - 1);
    long_error[sizeof long_error - 1] = '\0';
    struct json_object *data = compensation_stuck_alert_data(&c, 8, long_error);
    schema_assert_matches(data, "ops-alert");
    struct json_object *v;
    ck_assert(json_object_object_get_ex(data, "alert", &v));
    ck_assert_str_eq(json_object_get_string(v), "compensation.stuck");
    ck_assert(json_object_object_get_ex(data, "attempts", &v));
    ck_assert_int_eq(json_object_get_int(v), 8);
    ck_assert(json_object_object_get_ex(data, "bookingId", &v));
    ck_assert_str_eq(json_object_get_string(v), c.booking_id);
    json_object_put(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("booking-svc compensation command");
    TCase *tc = tcase_create("command");
    tcase_add_test(tc, test_every_action_round_trips_through_its_command_data);
    tcase_add_test(tc, test_absent_ids_stay_out_of_the_command_data);
    tcase_add_test(tc, test_a_command_without_what_its_action_needs_is_refused);
    tcase_add_test(tc, test_malformed_command_data_is_refused_with_the_field_named);
    tcase_add_test(tc, test_a_request_that_cannot_be_valid_is_refused_before_any_write);
    tcase_add_test(tc, test_the_stuck_alert_matches_the_ops_alert_schema);
    suite_add_tcase(s, tc);
    return check_run(s);
}
