/* Unit tests for trace.c — W3C Trace Context headers and the thread's current trace. */
#include <check.h>
#include <pthread.h>
#include <string.h>

#include "common/trace.h"
#include "check_run.h"

#define EXAMPLE "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

START_TEST(test_a_valid_traceparent_is_read_field_by_field)
{
    trace_context_t t;
    ck_assert_int_eq(trace_parse(EXAMPLE, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", &t), 0);
    ck_assert_str_eq(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    ck_assert_str_eq(t.span_id, "00f067aa0ba902b7");
    ck_assert_uint_eq(t.flags, 1);
    ck_assert_str_eq(t.tracestate, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    char out[TRACE_TRACEPARENT_LEN + 1];
    trace_format(&t, out);
    ck_assert_str_eq(out, EXAMPLE);
}
END_TEST

START_TEST(test_malformed_traceparents_are_refused)
{
    static const char *bad[] = {
        NULL,
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",        /* no flags */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",     /* upper case */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",     /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",     /* zero span id */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     /* version ff */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz", /* v00 is exact */
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        trace_context_t t;
        ck_assert_msg(trace_parse(bad[i], "a=b", &t) == -1, "case %zu accepted", i);
    }
    /* a later version is read by its first four fields */
    trace_context_t t;
    ck_assert_int_eq(
        trace_parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future", NULL, &t), 0);
    ck_assert_str_eq(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}
END_TEST

START_TEST(test_a_child_keeps_the_trace_and_gets_a_new_span)
{
    trace_context_t parent, child;
    ck_assert_int_eq(trace_parse(EXAMPLE, "k=v", &parent), 0);
    ck_assert_int_eq(trace_child(&parent, &child), 0);
    ck_assert_str_eq(child.trace_id, parent.trace_id);
    ck_assert_str_ne(child.span_id, parent.span_id);
    ck_assert_uint_eq(strlen(child.span_id), TRACE_SPAN_ID_LEN);
    ck_assert_str_eq(child.tracestate, "k=v");
    char out[TRACE_TRACEPARENT_LEN + 1];
    trace_format(&child, out);
    ck_assert(trace_traceparent_valid(out));
}
END_TEST

START_TEST(test_without_a_valid_parent_a_new_sampled_trace_starts)
{
    trace_context_t a, b;
    ck_assert_int_eq(trace_continue_or_start("garbage", "k=v", &a), 0);
    ck_assert_int_eq(trace_continue_or_start(NULL, NULL, &b), 0);
    ck_assert_uint_eq(strlen(a.trace_id), TRACE_ID_LEN);
    ck_assert_str_ne(a.trace_id, b.trace_id);
    ck_assert_str_eq(a.tracestate, ""); /* tracestate without a valid traceparent is dropped */
    ck_assert_uint_eq(a.flags, TRACE_FLAG_SAMPLED);
    char out[TRACE_TRACEPARENT_LEN + 1];
    trace_format(&a, out);
    ck_assert(trace_traceparent_valid(out));
    ck_assert_int_eq(trace_continue_or_start(EXAMPLE, NULL, &a), 0);
    ck_assert_str_eq(a.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}
END_TEST

START_TEST(test_a_tracestate_that_is_not_printable_ascii_or_too_long_is_dropped)
{
    char longer[TRACE_STATE_MAX_LEN + 2];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    trace_context_t t;
    ck_assert_int_eq(trace_parse(EXAMPLE, longer, &t), 0);
    ck_assert_str_eq(t.tracestate, "");
    ck_assert_int_eq(trace_parse(EXAMPLE, "a=b\r\nx: y", &t), 0);
    ck_assert_str_eq(t.tracestate, "");
}
END_TEST

START_TEST(test_ensure_starts_a_trace_only_where_none_is_current)
{
    trace_context_t mine, spare;
    ck_assert(trace_ensure(&mine));
    ck_assert_str_eq(trace_current()->trace_id, mine.trace_id);
    ck_assert(!trace_ensure(&spare)); /* kept the current one */
    ck_assert_str_eq(trace_current()->trace_id, mine.trace_id);
    trace_set_current(NULL);
}
END_TEST

static void *other_thread(void *arg)
{
    (void)arg;
    return (void *)trace_current();
}

START_TEST(test_the_current_trace_belongs_to_its_thread)
{
    trace_context_t t;
    ck_assert_int_eq(trace_start(&t), 0);
    trace_set_current(&t);
    ck_assert_str_eq(trace_current()->trace_id, t.trace_id);
    pthread_t th;
    void *seen = &t;
    pthread_create(&th, NULL, other_thread, NULL);
    pthread_join(th, &seen);
    ck_assert_ptr_null(seen);
    trace_set_current(NULL);
    ck_assert_ptr_null(trace_current());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_add_test(tc, test_a_valid_traceparent_is_read_field_by_field);
    tcase_add_test(tc, test_malformed_traceparents_are_refused);
    tcase_add_test(tc, test_a_child_keeps_the_trace_and_gets_a_new_span);
    tcase_add_test(tc, test_without_a_valid_parent_a_new_sampled_trace_starts);
    tcase_add_test(tc, test_a_tracestate_that_is_not_printable_ascii_or_too_long_is_dropped);
    tcase_add_test(tc, test_the_current_trace_belongs_to_its_thread);
    tcase_add_test(tc, test_ensure_starts_a_trace_only_where_none_is_current);
    suite_add_tcase(s, tc);
    return check_run(s);
}
