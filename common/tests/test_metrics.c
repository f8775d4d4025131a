/* Unit tests for metrics.c — Prometheus text exposition. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"
#include "check_run.h"

static void teardown(void)
{
    metrics_reset();
}

START_TEST(test_counter_with_labels_renders_help_type_and_series)
{
    metric_t *c = metrics_counter("saga_outcomes_total", "Sagas by outcome", 1, "code");
    metrics_counter_inc(c, "HOLD_FAILED");
    metrics_counter_add(c, 2, "HOLD_FAILED");
    metrics_counter_inc(c, "OK");
    char *t = metrics_render();
    ck_assert_ptr_nonnull(strstr(t, "# HELP saga_outcomes_total Sagas by outcome\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE saga_outcomes_total counter\n"));
    ck_assert_ptr_nonnull(strstr(t, "saga_outcomes_total{code=\"HOLD_FAILED\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(t, "saga_outcomes_total{code=\"OK\"} 1\n"));
    free(t);
}
END_TEST

/* A resolved series handle counts into the same series as the label path. */
START_TEST(test_a_series_handle_observes_the_labelled_series)
{
    metric_t *c = metrics_counter("h_total", "", 2, "route", "status");
    metric_t *h = metrics_histogram("h_seconds", "", (const double[]){0.1, 1}, 2, 1, "route");
    metric_series_t *ok = metrics_series(c, "/a", "200");
    ck_assert_ptr_eq(metrics_series(c, "/a", "200"), ok);
    metrics_series_add(ok, 1);
    metrics_series_add(ok, -1); /* counters never go down */
    metrics_counter_inc(c, "/a", "200");
    ck_assert_double_eq(metrics_value(c, "/a", "200"), 2);
    metric_series_t *lat = metrics_series(h, "/a");
    metrics_series_observe(lat, 0.05);
    metrics_series_observe(lat, 5);
    ck_assert_double_eq(metrics_value(h, "/a"), 2);
    char *t = metrics_render();
    ck_assert_ptr_nonnull(strstr(t, "h_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"));
    free(t);
    metrics_series_add(NULL, 1); /* a NULL family's handle is NULL and ignored */
    ck_assert_ptr_null(metrics_series(NULL, "x"));
}
END_TEST

START_TEST(test_counters_never_go_down)
{
    metric_t *c = metrics_counter("c_total", "", 0);
    metrics_counter_add(c, -5);
    ck_assert_double_eq(metrics_value(c), 0);
}
END_TEST

START_TEST(test_gauge_set_and_add)
{
    metric_t *g = metrics_gauge("pending", "Pending", 0);
    metrics_gauge_set(g, 5);
    metrics_gauge_add(g, -2);
    ck_assert_double_eq(metrics_value(g), 3);
    char *t = metrics_render();
    ck_assert_ptr_nonnull(strstr(t, "pending 3\n"));
    free(t);
}
END_TEST

START_TEST(test_histogram_buckets_are_cumulative_with_sum_and_count)
{
    static const double b[] = {0.1, 1};
    metric_t *h = metrics_histogram("lat_seconds", "Latency", b, 2, 1, "vendor");
    metrics_histogram_observe(h, 0.05, "cb");
    metrics_histogram_observe(h, 0.5, "cb");
    metrics_histogram_observe(h, 7, "cb");
    char *t = metrics_render();
    ck_assert_ptr_nonnull(strstr(t, "lat_seconds_bucket{vendor=\"cb\",le=\"0.1\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "lat_seconds_bucket{vendor=\"cb\",le=\"1\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(t, "lat_seconds_bucket{vendor=\"cb\",le=\"+Inf\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(t, "lat_seconds_sum{vendor=\"cb\"} 7.55\n"));
    ck_assert_ptr_nonnull(strstr(t, "lat_seconds_count{vendor=\"cb\"} 3\n"));
    free(t);
}
END_TEST

START_TEST(test_label_values_are_escaped)
{
    metric_t *c = metrics_counter("esc_total", "", 1, "v");
    metrics_counter_inc(c, "a\"b\\c\nd");
    char *t = metrics_render();
    ck_assert_ptr_nonnull(strstr(t, "esc_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
    free(t);
}
END_TEST

START_TEST(test_declaring_a_family_twice_returns_the_same_one_and_a_clash_returns_null)
{
    metric_t *a = metrics_counter("x_total", "", 1, "k");
    ck_assert_ptr_eq(metrics_counter("x_total", "", 1, "k"), a);
    ck_assert_ptr_null(metrics_gauge("x_total", "", 1, "k"));
    ck_assert_ptr_null(metrics_counter("x_total", "", 1, "other"));
    metrics_counter_inc(NULL, "ignored");
}
END_TEST

START_TEST(test_histogram_rejects_unsorted_buckets)
{
    static const double b[] = {1, 0.5};
    ck_assert_ptr_null(metrics_histogram("bad_seconds", "", b, 2, 0));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("exposition");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_counter_with_labels_renders_help_type_and_series);
    tcase_add_test(tc, test_counters_never_go_down);
    tcase_add_test(tc, test_a_series_handle_observes_the_labelled_series);
    tcase_add_test(tc, test_gauge_set_and_add);
    tcase_add_test(tc, test_histogram_buckets_are_cumulative_with_sum_and_count);
    tcase_add_test(tc, test_label_values_are_escaped);
    tcase_add_test(tc, test_declaring_a_family_twice_returns_the_same_one_and_a_clash_returns_null);
    tcase_add_test(tc, test_histogram_rejects_unsorted_buckets);
    suite_add_tcase(s, tc);
    return check_run(s);
}
