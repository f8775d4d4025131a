/* Unit tests of booking-svc's checkout modules without a network (loopback
 * only): request validation (each field named, control characters refused),
 * the media type of the body (415), the error-code → HTTP status table, the
 * response shapes, the booking.* event data against proto/events (no PII),
 * and DECIMAL amounts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "checkout.h"
#include "common/http_client.h"
#include "common/log.h"
#include "saga.h"
#include "schema_check.h"
#include "store.h"

#define VALID                                                                                      \
    "{\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\",\"roomTypeId\":\"room_456\","             \
    "\"checkIn\":\"2099-11-01\",\"checkOut\":\"2099-11-03\",\"guestInfo\":{\"firstName\":\"홍\"," \
    "\"lastName\":\"길동\",\"email\":\"hong@example.com\",\"phone\":\"+82-10-1234-5678\"},"      \
    "\"adults\":2,\"children\":0,\"payment\":{\"cardToken\":\"tok_visa_1234\",\"amount\":250000,"  \
    "\"currency\":\"KRW\"}}"

static int parse_text(const char *text, booking_request_t *rq, json_error_t *err)
{
    json_error_t perr;
    struct json_object *o = json_parse_object(text, strlen(text), &perr);
    ck_assert_msg(o != NULL, "%s", perr.message);
    int rc = checkout_parse(o, "cloudbeds", rq, err);
    json_object_put(o);
    return rc;
}

/* VALID with the first `from` replaced by `to`. */
static char *mutate(const char *from, const char *to)
{
    const char *at = strstr(VALID, from);
    ck_assert_msg(at != NULL, "%s", from);
    char *out = NULL;
    ck_assert(asprintf(&out, "%.*s%s%s", (int)(at - VALID), VALID, to, at + strlen(from)) > 0);
    return out;
}

START_TEST(test_a_valid_request_is_read_exactly)
{
    booking_request_t rq;
    json_error_t err;
    ck_assert_int_eq(parse_text(VALID, &rq, &err), 0);
    ck_assert_str_eq(rq.hotel_id, "hotel_123");
    ck_assert_int_eq(rq.nights, 2);
    ck_assert_str_eq(rq.check_out_text, "2099-11-03");
    ck_assert_int_eq(rq.adults, 2);
    ck_assert_int_eq(rq.amount, 250000);
    ck_assert_str_eq(rq.currency, "KRW");
    ck_assert_str_eq(rq.card_token, "tok_visa_1234");
}
END_TEST

START_TEST(test_the_sandbox_vendor_is_served_by_the_cloudbeds_connector)
{
    char *text = mutate("\"cloudbeds\"", "\"sandbox\"");
    booking_request_t rq;
    json_error_t err;
    ck_assert_int_eq(parse_text(text, &rq, &err), 0);
    ck_assert_str_eq(rq.vendor, "sandbox");
    free(text);
}
END_TEST

START_TEST(test_each_bad_field_is_named)
{
    static const struct {
        const char *from, *to, *field;
    } cases[] = {
        {"\"cloudbeds\"", "\"mews\"", "vendor"},
        {"\"hotel_123\"", "\"\"", "hotelId"},
        {"\"hotel_123\"", "\"{hotel}\"", "hotelId"},
        {"\"room_456\"", "\"room:456\"", "roomTypeId"},
        {"\"room_456\"", "12", "roomTypeId"},
        {"2099-11-01", "2099-02-30", "checkIn"},
        {"2099-11-03", "2099-11-01", "checkOut"},
        {"\"2099-11-01\"", "\"2001-11-01\"", "checkIn"},
        {"{\"firstName\":\"홍\",", "{", "guestInfo.firstName"},
        {"\"길동\"", "\"\"", "guestInfo.lastName"},
        {"hong@example.com", "hong@example", "guestInfo.email"},
        {"hong@example.com", "a b@example.com", "guestInfo.email"},
        {"+82-10-1234-5678", "12345", "guestInfo.phone"},
        {"+82-10-1234-5678", "+82 10 abcd 5678", "guestInfo.phone"},
        {"\"adults\":2", "\"adults\":21", "adults"},
        {"\"adults\":2", "\"adults\":\"2\"", "adults"},
        {"\"children\":0", "\"children\":1.5", "children"},
        {"\"tok_visa_1234\"", "null", "payment.cardToken"},
        {"250000", "-1", "payment.amount"},
        {"250000", "2500.5", "payment.amount"},
        {"\"KRW\"", "\"XXX\"", "payment.currency"},
        {",\"payment\":{", ",\"pay\":{", "payment"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *bad = mutate(cases[i].from, cases[i].to);
        booking_request_t rq;
        json_error_t err;
        ck_assert_msg(parse_text(bad, &rq, &err) != 0, "case %zu accepted", i);
        ck_assert_msg(strcmp(err.field, cases[i].field) == 0, "case %zu: field %s (%s), want %s", i,
                      err.field, err.message, cases[i].field);
        free(bad);
    }
}
END_TEST

START_TEST(test_a_control_character_in_any_text_field_is_refused_naming_the_field)
{
    /* \u0000 would otherwise cut a C string short and pass as the part before
     * it ("hotel_123\u0000x" read as "hotel_123"). */
    static const struct {
        const char *from, *to, *field;
    } cases[] = {
        {"\"cloudbeds\"", "\"cloudbeds\\u0000\"", "vendor"},
        {"\"hotel_123\"", "\"hotel_123\\u0000x\"", "hotelId"},
        {"\"room_456\"", "\"room_456\\u001b\"", "roomTypeId"},
        {"\"2099-11-01\"", "\"2099-11-01\\u0000\"", "checkIn"},
        {"\"2099-11-03\"", "\"2099-11-03\\n\"", "checkOut"},
        {"\"홍\"", "\"홍\\u0000\"", "guestInfo.firstName"},
        {"\"홍\"", "\"\\u0000\"", "guestInfo.firstName"},
        {"\"길동\"", "\"길\\n동\"", "guestInfo.lastName"},
        {"\"길동\"", "\"길동\\u007f\"", "guestInfo.lastName"},
        {"\"hong@example.com\"", "\"hong@example.com\\u0000<x>\"", "guestInfo.email"},
        {"\"+82-10-1234-5678\"", "\"+82-10-1234-5678\\t\"", "guestInfo.phone"},
        {"\"tok_visa_1234\"", "\"tok_visa_1234\\u0007\"", "payment.cardToken"},
        {"\"KRW\"", "\"KR\\u0000\"", "payment.currency"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *bad = mutate(cases[i].from, cases[i].to);
        booking_request_t rq;
        json_error_t err;
        ck_assert_msg(parse_text(bad, &rq, &err) != 0, "case %zu accepted", i);
        ck_assert_msg(strcmp(err.field, cases[i].field) == 0, "case %zu: field %s (%s), want %s", i,
                      err.field, err.message, cases[i].field);
        ck_assert_msg(strstr(err.message, "control characters") || strstr(err.message, "NUL"),
                      "case %zu: %s", i, err.message);
        free(bad);
    }
}
END_TEST

/* POSTs VALID to the checkout handler, served on loopback, with the given
 * Content-Type header line ("Content-Type:" alone sends none) and returns the
 * status; the error body is checked for the contract's shape and code. */
static int post_checkout_with(const char *content_type_line, const char *want_code)
{
    /* Refusals by media type or body happen before the app is touched. */
    booking_app_t app;
    memset(&app, 0, sizeof app);
    http_server_config_t sc = {.service = "test-checkout", .bind_address = "127.0.0.1", .threads = 2};
    http_server_t *srv = http_server_new(&sc);
    ck_assert_ptr_nonnull(srv);
    ck_assert_int_eq(http_server_route(srv, "POST", "/api/booking/checkout", AUTH_RULE_PUBLIC,
                                       checkout_handle, &app),
                     0);
    ck_assert_int_eq(http_server_start(srv), 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", http_server_port(srv));
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 10000};
    http_client_t *c = http_client_new(&cc);
    const char *headers[] = {content_type_line, NULL};
    const char *body = want_code && strcmp(want_code, "VALIDATION_ERROR") == 0 ? "not json" : VALID;
    http_client_response_t r;
    ck_assert_int_eq(http_client_request(c, "POST", "/api/booking/checkout", NULL, headers, body,
                                         strlen(body), &r),
                     HTTP_CLIENT_OK);
    json_error_t err;
    struct json_object *o = json_parse_object(r.body, r.body_len, &err);
    ck_assert_msg(o != NULL, "%s", r.body);
    struct json_object *v;
    ck_assert(json_object_object_get_ex(o, "success", &v) && !json_object_get_boolean(v));
    ck_assert(json_object_object_get_ex(o, "error", &v) && json_object_get_string_len(v) > 0);
    ck_assert(json_object_object_get_ex(o, "errorCode", &v));
    ck_assert_str_eq(json_object_get_string(v), want_code);
    ck_assert_int_eq(strncmp(r.content_type, "application/json", 16), 0);
    int status = r.status;
    json_object_put(o);
    http_client_response_clear(&r);
    http_client_free(c);
    http_server_free(srv);
    return status;
}

START_TEST(test_a_body_that_is_not_declared_json_is_415)
{
    log_init("test", LOG_LEVEL_ERROR);
    ck_assert_int_eq(post_checkout_with("Content-Type: text/plain", "UNSUPPORTED_MEDIA_TYPE"), 415);
    ck_assert_int_eq(post_checkout_with("Content-Type: application/x-www-form-urlencoded",
                                        "UNSUPPORTED_MEDIA_TYPE"),
                     415);
    ck_assert_int_eq(post_checkout_with("Content-Type: application/jsonp",
                                        "UNSUPPORTED_MEDIA_TYPE"),
                     415);
    ck_assert_int_eq(post_checkout_with("Content-Type:", "UNSUPPORTED_MEDIA_TYPE"), 415);
    /* application/json in any case and with parameters gets as far as the
     * body, which here is not JSON: 400. */
    ck_assert_int_eq(post_checkout_with("Content-Type: application/json", "VALIDATION_ERROR"), 400);
    ck_assert_int_eq(
        post_checkout_with("Content-Type: Application/JSON; charset=utf-8", "VALIDATION_ERROR"),
        400);
}
END_TEST

START_TEST(test_error_codes_map_to_the_openapi_statuses)
{
    ck_assert_int_eq(saga_error_status("VALIDATION_ERROR"), 400);
    ck_assert_int_eq(saga_error_status("INVENTORY_UNAVAILABLE"), 409);
    ck_assert_int_eq(saga_error_status("HOLD_FAILED"), 409);
    ck_assert_int_eq(saga_error_status("BOOKING_CONFIRM_FAILED"), 409);
    ck_assert_int_eq(saga_error_status("AMOUNT_MISMATCH"), 409);
    ck_assert_int_eq(saga_error_status("PAYMENT_PREAUTH_FAILED"), 402);
    ck_assert_int_eq(saga_error_status("PAYMENT_CAPTURE_FAILED"), 402);
    ck_assert_int_eq(saga_error_status("IDEMPOTENCY_KEY_REUSED"), 422);
    ck_assert_int_eq(saga_error_status("DEGRADED_MODE"), 503);
    ck_assert_int_eq(saga_error_status("PMS_BUSY"), 503);
    ck_assert_int_eq(saga_error_status("PMS_UNAVAILABLE"), 503);
    ck_assert_int_eq(saga_error_status("INTERNAL_ERROR"), 500);
    ck_assert_int_eq(saga_error_status("SOMETHING_NEW"), 500);
}
END_TEST

START_TEST(test_responses_have_the_brief_shape)
{
    saga_result_t ok = {.success = true, .booking_id = "bk_1", .confirmation_number = "CB-1"};
    struct json_object *o = saga_result_json(&ok);
    ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                     "{\"success\":true,\"bookingId\":\"bk_1\",\"confirmationNumber\":\"CB-1\"}");
    json_object_put(o);
    saga_result_t no = {.error_code = "HOLD_FAILED", .message = "객실 확보 실패 (hold failed)"};
    o = saga_result_json(&no);
    ck_assert(!json_object_get_boolean(json_object_object_get(o, "success")));
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "errorCode")), "HOLD_FAILED");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "error")),
                     "객실 확보 실패 (hold failed)");
    json_object_put(o);
    ck_assert_int_eq(saga_result_status(&ok), 200);
    ck_assert_int_eq(saga_result_status(&no), 409);
}
END_TEST

START_TEST(test_a_busy_pms_is_a_retryable_503_never_sold_out)
{
    saga_result_t busy = {.error_code = "PMS_BUSY", .message = "busy", .retry_after_s = 3};
    struct json_object *o = saga_result_json(&busy);
    ck_assert_int_eq(saga_result_status(&busy), 503);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "errorCode")), "PMS_BUSY");
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "retryAfterSeconds")), 3);
    json_object_put(o);
    saga_result_t gone = {.error_code = "INVENTORY_UNAVAILABLE", .message = "재고 부족: 2025-11-02"};
    o = saga_result_json(&gone);
    ck_assert(!json_object_object_get_ex(o, "retryAfterSeconds", NULL));
    json_object_put(o);
}
END_TEST

static booking_record_t record(const char *status)
{
    booking_record_t r = {.booking_id = "bk_7k2m9p4q8r3s6t5v2w7x9y3z",
                          .vendor = "cloudbeds",
                          .hotel_id = "hotel_123",
                          .room_type_id = "room_456",
                          .check_in_text = "2025-11-01",
                          .check_out_text = "2025-11-03",
                          .adults = 2,
                          .amount = 250000,
                          .currency = "KRW"};
    snprintf(r.status, sizeof r.status, "%s", status);
    return r;
}

START_TEST(test_every_event_matches_the_booking_schema_without_pii)
{
    booking_record_t r = record("pending");
    struct json_object *d = saga_event_data(&r); /* requested */
    schema_assert_matches(d, "booking");
    json_object_put(d);
    snprintf(r.hold_id, sizeof r.hold_id, "1795624657247");
    r.hold_expires_at_ms = 1761989580000;
    d = saga_event_data(&r); /* held */
    schema_assert_matches(d, "booking");
    json_object_put(d);
    snprintf(r.payment_auth_id, sizeof r.payment_auth_id, "pi_3QxYz1AbCdEf");
    snprintf(r.reservation_id, sizeof r.reservation_id, "1795624657247");
    snprintf(r.confirmation_number, sizeof r.confirmation_number, "1795624657247");
    snprintf(r.status, sizeof r.status, "confirmed");
    d = saga_event_data(&r); /* confirmed, captured */
    schema_assert_matches(d, "booking");
    const char *text = json_object_to_json_string(d);
    ck_assert(!strstr(text, "hong") && !strstr(text, "tok_"));
    json_object_put(d);
    snprintf(r.status, sizeof r.status, "failed");
    snprintf(r.error_code, sizeof r.error_code, "PAYMENT_CAPTURE_FAILED");
    snprintf(r.error_message, sizeof r.error_message, "결제 매입 실패 (payment capture failed)");
    d = saga_event_data(&r); /* failed, compensated */
    ck_assert_str_eq(json_object_get_string(json_object_object_get(d, "errorCode")),
                     "PAYMENT_CAPTURE_FAILED");
    struct json_object *list = json_object_new_array();
    json_object_array_add(list, json_object_new_string("cancel_reservation"));
    json_object_array_add(list, json_object_new_string("void_preauth"));
    json_object_object_add(d, "compensations", list);
    schema_assert_matches(d, "booking");
    json_object_put(d);
    snprintf(r.status, sizeof r.status, "cancelled");
    d = saga_event_data(&r); /* cancelled */
    json_object_object_add(d, "refunded", json_object_new_boolean(1));
    ck_assert(json_object_object_get(d, "errorCode") == NULL);
    schema_assert_matches(d, "booking");
    json_object_put(d);
}
END_TEST

#define TOSS_PAYMENT                                                                               \
    "{\"provider\":\"toss\",\"paymentKey\":\"tgen_20261207141230AbCd1\",\"orderId\":"             \
    "\"order-2026-0001\",\"amount\":250000,\"currency\":\"KRW\"}"

static char *toss_body(const char *payment)
{
    const char *at = strstr(VALID, "\"payment\":");
    char *out = NULL;
    ck_assert(asprintf(&out, "%.*s\"payment\":%s}", (int)(at - VALID), VALID, payment) > 0);
    return out;
}

static int parse_with(const char *text, const char *default_provider, booking_request_t *rq,
                      json_error_t *err)
{
    json_error_t perr;
    struct json_object *o = json_parse_object(text, strlen(text), &perr);
    ck_assert_msg(o != NULL, "%s", perr.message);
    int rc = checkout_parse_with(o, "cloudbeds", default_provider, rq, err);
    json_object_put(o);
    return rc;
}

START_TEST(test_toss_payment_shapes_are_read_and_checked)
{
    booking_request_t rq;
    json_error_t err;
    char *text = toss_body(TOSS_PAYMENT);
    ck_assert_int_eq(parse_with(text, "stripe", &rq, &err), 0);
    ck_assert_str_eq(rq.provider, "toss");
    ck_assert_str_eq(rq.payment_key, "tgen_20261207141230AbCd1");
    ck_assert_str_eq(rq.order_id, "order-2026-0001");
    ck_assert_str_eq(rq.currency, "KRW");
    ck_assert_str_eq(rq.card_token, "");
    free(text);
    /* a saved card; currency defaults to KRW; the default provider applies */
    text = toss_body("{\"billingKey\":\"Z_t5vOvQxrj4499PeiJcjen28-KCSEBC1Eaq0Jcgl-8=\","
                     "\"customerKey\":\"cust-7f3a9c\",\"amount\":250000}");
    ck_assert_int_eq(parse_with(text, "toss", &rq, &err), 0);
    ck_assert_str_eq(rq.provider, "toss");
    ck_assert_str_eq(rq.billing_key, "Z_t5vOvQxrj4499PeiJcjen28-KCSEBC1Eaq0Jcgl-8=");
    ck_assert_str_eq(rq.order_id, "");
    ck_assert_int_eq(parse_with(text, "stripe", &rq, &err), -1);
    ck_assert_str_eq(err.field, "payment.billingKey");
    free(text);

    static const struct {
        const char *payment, *field;
    } bad[] = {
        {"{\"provider\":\"paypal\",\"cardToken\":\"t\",\"amount\":1,\"currency\":\"KRW\"}",
         "payment.provider"},
        {"{\"provider\":\"toss\",\"paymentKey\":\"k1\",\"amount\":1}", "payment.orderId"},
        {"{\"provider\":\"toss\",\"paymentKey\":\"k1\",\"orderId\":\"short\",\"amount\":1}",
         "payment.orderId"},
        {"{\"provider\":\"toss\",\"paymentKey\":\"k/1\",\"orderId\":\"order-1234\",\"amount\":1}",
         "payment.paymentKey"},
        {"{\"provider\":\"toss\",\"paymentKey\":\"k1\",\"orderId\":\"order-1234\",\"amount\":1,"
         "\"currency\":\"USD\"}",
         "payment.currency"},
        {"{\"provider\":\"toss\",\"paymentKey\":\"k1\",\"orderId\":\"order-1234\",\"amount\":1,"
         "\"method\":\"가상계좌\"}",
         "payment.method"},
        {"{\"provider\":\"toss\",\"cardToken\":\"tok_visa\",\"amount\":1}", "payment.cardToken"},
        {"{\"provider\":\"toss\",\"billingKey\":\"b1\",\"amount\":1}", "payment.customerKey"},
        {"{\"provider\":\"toss\",\"billingKey\":\"b1\",\"paymentKey\":\"k1\",\"amount\":1}",
         "payment.paymentKey"},
        {"{\"provider\":\"toss\",\"paymentKey\":\"k1\",\"orderId\":\"order-1234\"}",
         "payment.amount"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        text = toss_body(bad[i].payment);
        ck_assert_msg(parse_with(text, "stripe", &rq, &err) == -1, "%s accepted", bad[i].payment);
        ck_assert_msg(strcmp(err.field, bad[i].field) == 0, "%s: field %s, not %s",
                      bad[i].payment, err.field, bad[i].field);
        free(text);
    }
}
END_TEST

START_TEST(test_toss_events_say_how_the_money_went_back)
{
    booking_record_t r = record("failed");
    snprintf(r.payment_provider, sizeof r.payment_provider, "toss");
    snprintf(r.payment_auth_id, sizeof r.payment_auth_id, "tgen_20261207141230AbCd1");
    snprintf(r.payment_status, sizeof r.payment_status, "voided");
    struct json_object *d = saga_event_data(&r);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(d, "paymentProvider")), "toss");
    struct json_object *ret = json_object_new_object();
    json_object_object_add(ret, "kind", json_object_new_string("void"));
    json_object_object_add(ret, "amount", json_object_new_int64(r.amount));
    json_object_object_add(ret, "currency", json_object_new_string("KRW"));
    json_object_object_add(d, "paymentReturned", ret);
    schema_assert_matches(d, "booking");
    json_object_put(d);
    snprintf(r.status, sizeof r.status, "cancelled");
    d = saga_event_data(&r);
    json_object_object_add(d, "cancelledBy", json_object_new_string("payment_provider"));
    schema_assert_matches(d, "booking");
    json_object_put(d);
}
END_TEST

START_TEST(test_decimal_amounts_become_exact_minor_units)
{
    int64_t v;
    ck_assert_int_eq(store_amount_from_decimal("250000.00", "KRW", &v), 0);
    ck_assert_int_eq(v, 250000);
    ck_assert_int_eq(store_amount_from_decimal("189.50", "USD", &v), 0);
    ck_assert_int_eq(v, 18950);
    ck_assert_int_eq(store_amount_from_decimal("100", "JPY", &v), 0);
    ck_assert_int_eq(v, 100);
    ck_assert_int_ne(store_amount_from_decimal("250000.50", "KRW", &v), 0);
    ck_assert_int_ne(store_amount_from_decimal(NULL, "KRW", &v), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("unit_booking_checkout");
    TCase *tc = tcase_create("checkout");
    tcase_add_test(tc, test_a_valid_request_is_read_exactly);
    tcase_add_test(tc, test_each_bad_field_is_named);
    tcase_add_test(tc, test_a_control_character_in_any_text_field_is_refused_naming_the_field);
    tcase_add_test(tc, test_a_body_that_is_not_declared_json_is_415);
    tcase_add_test(tc, test_the_sandbox_vendor_is_served_by_the_cloudbeds_connector);
    tcase_add_test(tc, test_error_codes_map_to_the_openapi_statuses);
    tcase_add_test(tc, test_responses_have_the_brief_shape);
    tcase_add_test(tc, test_a_busy_pms_is_a_retryable_503_never_sold_out);
    tcase_add_test(tc, test_every_event_matches_the_booking_schema_without_pii);
    tcase_add_test(tc, test_decimal_amounts_become_exact_minor_units);
    tcase_add_test(tc, test_toss_payment_shapes_are_read_and_checked);
    tcase_add_test(tc, test_toss_events_say_how_the_money_went_back);
    suite_add_tcase(s, tc);
    return check_run(s);
}
