/* Unit tests for process_metrics.c — the process's CPU, memory and open
 * files, read from the kernel at every render. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "common/metrics.h"
#include "common/process_metrics.h"

static void teardown(void)
{
    metrics_reset();
}

/* The value of an unlabelled series in a render, or -1 when absent. */
static double rendered(const char *name)
{
    char *t = metrics_render();
    ck_assert_ptr_nonnull(t);
    double v = -1;
    size_t n = strlen(name);
    for (const char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, name, n) == 0 && p[n] == ' ') {
            v = strtod(p + n + 1, NULL);
            break;
        }
    }
    free(t);
    return v;
}

START_TEST(test_every_process_series_is_rendered_with_its_type)
{
    ck_assert_int_eq(process_metrics_register(), 0);
    char *t = metrics_render();
    ck_assert_ptr_nonnull(strstr(t, "# TYPE process_cpu_seconds_total counter\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE process_resident_memory_bytes gauge\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE process_virtual_memory_bytes gauge\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE process_open_fds gauge\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE process_max_fds gauge\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE process_start_time_seconds gauge\n"));
    free(t);
    ck_assert(rendered("process_resident_memory_bytes") > 0);
    ck_assert(rendered("process_virtual_memory_bytes") >=
              rendered("process_resident_memory_bytes"));
    ck_assert(rendered("process_start_time_seconds") > 1.7e9);
    ck_assert(rendered("process_max_fds") != 0);
}
END_TEST

START_TEST(test_open_fds_follow_the_process_at_each_render)
{
    ck_assert_int_eq(process_metrics_register(), 0);
    double before = rendered("process_open_fds");
    ck_assert(before >= 3); /* stdin, stdout, stderr at least */
    enum { EXTRA = 5 };
    int fds[EXTRA];
    for (int i = 0; i < EXTRA; i++) {
        fds[i] = open("/dev/null", O_RDONLY);
        ck_assert_int_ge(fds[i], 0);
    }
    ck_assert_double_eq(rendered("process_open_fds"), before + EXTRA);
    for (int i = 0; i < EXTRA; i++)
        close(fds[i]);
    ck_assert_double_eq(rendered("process_open_fds"), before);
}
END_TEST

START_TEST(test_cpu_time_counts_up_with_work)
{
    ck_assert_int_eq(process_metrics_register(), 0);
    double first = rendered("process_cpu_seconds_total");
    ck_assert(first >= 0);
    /* Burn CPU until the kernel has counted some more (its tick is 1-10 ms). */
    volatile unsigned long x = 0;
    double now = first;
    for (int round = 0; round < 10000 && now <= first; round++) {
        for (int i = 0; i < 1000000; i++)
            x += (unsigned long)i * 7u;
        now = rendered("process_cpu_seconds_total");
    }
    ck_assert(now > first);
}
END_TEST

START_TEST(test_registering_twice_adds_one_collector)
{
    ck_assert_int_eq(process_metrics_register(), 0);
    double start = rendered("process_start_time_seconds");
    ck_assert_int_eq(process_metrics_register(), 0);
    ck_assert_double_eq(rendered("process_start_time_seconds"), start);
    char *t = metrics_render();
    const char *first = strstr(t, "# TYPE process_open_fds");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_null(strstr(first + 1, "# TYPE process_open_fds"));
    free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("process_metrics");
    TCase *tc = tcase_create("process");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_every_process_series_is_rendered_with_its_type);
    tcase_add_test(tc, test_open_fds_follow_the_process_at_each_render);
    tcase_add_test(tc, test_cpu_time_counts_up_with_work);
    tcase_add_test(tc, test_registering_twice_adds_one_collector);
    suite_add_tcase(s, tc);
    return check_run(s);
}
