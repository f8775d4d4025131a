/* Unit tests for log.c — JSON lines, levels, request ids, redaction. */
#include <check.h>
#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "common/log.h"
#include "common/trace.h"
#include "check_run.h"

static FILE *sink;

static void setup(void)
{
    sink = tmpfile();
    ck_assert_ptr_nonnull(sink);
    log_set_fd(fileno(sink));
    log_init("test-svc", LOG_LEVEL_DEBUG);
}

static void teardown(void)
{
    log_set_fd(2);
    fclose(sink);
    log_set_request_id(NULL);
    trace_set_current(NULL);
}

/* Everything logged so far (a file, not a pipe: writers never block). */
static char *drain(void)
{
    static char buf[1 << 20];
    rewind(sink);
    size_t n = fread(buf, 1, sizeof buf - 1, sink);
    buf[n] = '\0';
    return buf;
}

static char *redact(const char *in)
{
    static char out[1024];
    log_redact(in, out, sizeof out);
    return out;
}

START_TEST(test_a_line_is_one_json_object_with_the_standard_fields)
{
    log_set_request_id("req-1");
    log_kv(LOG_LEVEL_WARN, "pms call failed", "hotelId", "hotel_123", "status", "503", NULL);
    char *out = drain();
    ck_assert_ptr_nonnull(strchr(out, '\n'));
    json_object *o = json_tokener_parse(out);
    ck_assert_ptr_nonnull(o);
    json_object *v;
    ck_assert(json_object_object_get_ex(o, "ts", &v));
    ck_assert(json_object_object_get_ex(o, "level", &v));
    ck_assert_str_eq(json_object_get_string(v), "warn");
    ck_assert(json_object_object_get_ex(o, "service", &v));
    ck_assert_str_eq(json_object_get_string(v), "test-svc");
    ck_assert(json_object_object_get_ex(o, "request_id", &v));
    ck_assert_str_eq(json_object_get_string(v), "req-1");
    ck_assert(json_object_object_get_ex(o, "hotelId", &v));
    ck_assert_str_eq(json_object_get_string(v), "hotel_123");
    json_object_put(o);
}
END_TEST

START_TEST(test_typed_fields_are_json_numbers_and_booleans)
{
    log_kv(LOG_LEVEL_INFO, "http request", LOG_INT("status", 503), LOG_INT("bytes", -12),
           LOG_DOUBLE("ratio", 0.25), LOG_BOOL("completed", 1), LOG_BOOL("retried", 0),
           LOG_DOUBLE("nan", NAN), "hotelId", "123", NULL);
    char *out = drain();
    ck_assert_msg(strstr(out, "\"status\":503,\"bytes\":-12,\"ratio\":0.25,\"completed\":true,"
                              "\"retried\":false,\"nan\":null,\"hotelId\":\"123\"") != NULL,
                  "%s", out);
    json_object *o = json_tokener_parse(out), *v;
    ck_assert_ptr_nonnull(o);
    ck_assert(json_object_object_get_ex(o, "status", &v));
    ck_assert(json_object_is_type(v, json_type_int));
    ck_assert(json_object_object_get_ex(o, "completed", &v));
    ck_assert(json_object_is_type(v, json_type_boolean));
    json_object_put(o);
}
END_TEST

START_TEST(test_a_typed_key_still_redacts_and_a_bad_typed_value_is_quoted)
{
    log_kv(LOG_LEVEL_INFO, "x",
           LOG_TYPE_MARK "i"
                         "count",
           "12; drop", LOG_INT("cardNumber", 4242), NULL);
    char *out = drain();
    ck_assert_msg(strstr(out, "\"count\":\"12; drop\"") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "\"cardNumber\":\"[REDACTED]\"") != NULL, "%s", out);
}
END_TEST

START_TEST(test_every_line_carries_the_current_trace)
{
    trace_context_t t;
    ck_assert_int_eq(
        trace_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", NULL, &t), 0);
    trace_set_current(&t);
    log_info("inside");
    trace_set_current(NULL);
    log_info("outside");
    char *out = drain();
    char *second = strchr(out, '\n') + 1;
    ck_assert_msg(strstr(out, "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\","
                              "\"span_id\":\"00f067aa0ba902b7\"") < second,
                  "%s", out);
    ck_assert_ptr_null(strstr(second, "trace_id"));
}
END_TEST

START_TEST(test_lines_below_the_minimum_level_are_dropped)
{
    log_init("test-svc", LOG_LEVEL_WARN);
    log_info("hidden");
    log_error("shown");
    char *out = drain();
    ck_assert_ptr_null(strstr(out, "hidden"));
    ck_assert_ptr_nonnull(strstr(out, "shown"));
}
END_TEST

START_TEST(test_quotes_control_characters_and_korean_text_are_valid_json)
{
    log_info("재고 부족: \"2025-11-02\"\n\ttab\x01");
    char *out = drain();
    json_object *o = json_tokener_parse(out);
    ck_assert_ptr_nonnull(o);
    json_object *v;
    json_object_object_get_ex(o, "msg", &v);
    ck_assert_str_eq(json_object_get_string(v), "재고 부족: \"2025-11-02\"\n\ttab\x01");
    json_object_put(o);
}
END_TEST

START_TEST(test_sensitive_field_keys_are_redacted_wholesale)
{
    log_kv(LOG_LEVEL_INFO, "checkout", "email", "x", "cardToken", "abc", "apiKey", "k",
           "x-pms-signature", "t=1,v1=ff", "hotelId", "hotel_1", NULL);
    char *out = drain();
    ck_assert_ptr_nonnull(strstr(out, "\"email\":\"[REDACTED]\""));
    ck_assert_ptr_nonnull(strstr(out, "\"cardToken\":\"[REDACTED]\""));
    ck_assert_ptr_nonnull(strstr(out, "\"apiKey\":\"[REDACTED]\""));
    ck_assert_ptr_nonnull(strstr(out, "\"x-pms-signature\":\"[REDACTED]\""));
    ck_assert_ptr_nonnull(strstr(out, "\"hotelId\":\"hotel_1\""));
}
END_TEST

START_TEST(test_emails_phones_cards_and_tokens_in_text_are_masked)
{
    ck_assert_str_eq(redact("guest hong@example.com booked"), "guest [email] booked");
    ck_assert_str_eq(redact("call +82-10-1234-5678 now"), "call [phone] now");
    ck_assert_str_eq(redact("phone 010-1234-5678"), "phone [phone]");
    ck_assert_str_eq(redact("card 4242 4242 4242 4242 used"), "card [card-number] used");
    ck_assert_str_eq(redact("token tok_visa_1234 ok"), "token [card-token] ok");
    ck_assert_str_eq(redact("pm_card_visa"), "[card-token]");
    ck_assert_str_eq(redact("card card_1N3T00LkdIwHu7ix seen"), "card [card-token] seen");
    /* Stripe's error codes are not card ids: they stay readable. */
    ck_assert_str_eq(redact("code=card_declined decline=insufficient_funds"),
                     "code=card_declined decline=insufficient_funds");
    ck_assert_str_eq(redact("key sk_test_4eC39HqLyjWDarjtT1zdp7dc"), "key [secret]");
    ck_assert_str_eq(redact("Authorization: Bearer abc.def"), "Authorization: Bearer [redacted]");
    ck_assert_str_eq(redact("k=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"), "k=[secret]");
    ck_assert_str_eq(redact("k /AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"), "k [secret]");
}
END_TEST

START_TEST(test_dates_ids_and_paths_survive_redaction)
{
    const char *keep[] = {
        "2025-11-01",
        "checkIn 2025-11-01 checkOut 2025-11-03",
        "hotel_123 room_456",
        "/api/bookings/bk_abc123/cancel",
        "/_sandbox/frontdesk/availability",
        "/api/polling/cloudbeds/hotel_123456789/start",
        "booking 3f2b8c1e-9d4a-4c1b-8e2f-1a2b3c4d5e6f",
        "amount 250000 KRW",
        "took 12 ms, status 503",
        "broker 192.168.100.200:9092 down",
    };
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
        ck_assert_str_eq(redact(keep[i]), keep[i]);
}
END_TEST

START_TEST(test_levels_parse_by_name)
{
    log_level_t l;
    ck_assert_int_eq(log_level_parse("DEBUG", &l), 0);
    ck_assert_int_eq(l, LOG_LEVEL_DEBUG);
    ck_assert_int_eq(log_level_parse("warning", &l), 0);
    ck_assert_int_eq(l, LOG_LEVEL_WARN);
    ck_assert_int_eq(log_level_parse("loud", &l), -1);
}
END_TEST

#define WRITERS 4
#define LINES_EACH 200

static void *writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < LINES_EACH; i++)
        log_kv(LOG_LEVEL_INFO, "concurrent line", "i", "x", NULL);
    return NULL;
}

START_TEST(test_concurrent_lines_never_interleave)
{
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++)
        pthread_create(&t[i], NULL, writer, NULL);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);
    char *out = drain();
    int lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_object *o = json_tokener_parse(line);
        ck_assert_msg(o != NULL, "not JSON: %s", line);
        json_object_put(o);
        lines++;
    }
    ck_assert_int_eq(lines, WRITERS * LINES_EACH);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_a_line_is_one_json_object_with_the_standard_fields);
    tcase_add_test(tc, test_typed_fields_are_json_numbers_and_booleans);
    tcase_add_test(tc, test_a_typed_key_still_redacts_and_a_bad_typed_value_is_quoted);
    tcase_add_test(tc, test_every_line_carries_the_current_trace);
    tcase_add_test(tc, test_lines_below_the_minimum_level_are_dropped);
    tcase_add_test(tc, test_quotes_control_characters_and_korean_text_are_valid_json);
    tcase_add_test(tc, test_sensitive_field_keys_are_redacted_wholesale);
    tcase_add_test(tc, test_emails_phones_cards_and_tokens_in_text_are_masked);
    tcase_add_test(tc, test_dates_ids_and_paths_survive_redaction);
    tcase_add_test(tc, test_levels_parse_by_name);
    tcase_add_test(tc, test_concurrent_lines_never_interleave);
    suite_add_tcase(s, tc);
    return check_run(s);
}
