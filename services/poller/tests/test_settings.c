/* POLLER_* settings: the brief's defaults, overrides, and loud errors. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "settings.h"

/* An environment as name, value pairs ended by NULL. */
static const char *lookup(const char *name, void *ctx)
{
    const char *const *env = ctx;
    for (int i = 0; env[i]; i += 2)
        if (strcmp(env[i], name) == 0)
            return env[i + 1];
    return NULL;
}

START_TEST(test_defaults_are_the_briefs_values)
{
    static const char *env[] = {NULL};
    config_t *cfg = config_new_with_lookup(lookup, env);
    poller_settings_t s;
    poller_settings_read(cfg, &s);
    ck_assert_int_eq(config_error_count(cfg), 0);
    ck_assert_int_eq(s.sync_days, 30);
    ck_assert_int_eq(s.max_failures, 5);
    ck_assert_int_eq(s.default_interval_s, 300);
    ck_assert_int_eq(s.tick_ms, 1000);
    char pid_suffix[32];
    snprintf(pid_suffix, sizeof pid_suffix, "-%ld", (long)getpid());
    size_t len = strlen(s.instance_id), suffix = strlen(pid_suffix);
    ck_assert_uint_gt(len, suffix);
    ck_assert_str_eq(s.instance_id + len - suffix, pid_suffix);
    config_free(cfg);
}
END_TEST

START_TEST(test_every_variable_overrides_its_default)
{
    static const char *env[] = {"POLLER_SYNC_DAYS",
                                "7",
                                "POLLER_MAX_FAILURES",
                                "3",
                                "POLLER_DEFAULT_INTERVAL_S",
                                "60",
                                "POLLER_TICK_MS",
                                "250",
                                "POLLER_INSTANCE_ID",
                                "poller-0",
                                NULL};
    config_t *cfg = config_new_with_lookup(lookup, env);
    poller_settings_t s;
    poller_settings_read(cfg, &s);
    ck_assert_int_eq(config_error_count(cfg), 0);
    ck_assert_int_eq(s.sync_days, 7);
    ck_assert_int_eq(s.max_failures, 3);
    ck_assert_int_eq(s.default_interval_s, 60);
    ck_assert_int_eq(s.tick_ms, 250);
    ck_assert_str_eq(s.instance_id, "poller-0");
    config_free(cfg);
}
END_TEST

START_TEST(test_malformed_values_are_errors_naming_the_variable)
{
    static const char *env[] = {"POLLER_MAX_FAILURES", "0", "POLLER_TICK_MS", "fast", NULL};
    config_t *cfg = config_new_with_lookup(lookup, env);
    poller_settings_t s;
    poller_settings_read(cfg, &s);
    ck_assert_int_eq(config_error_count(cfg), 2);
    ck_assert_ptr_nonnull(strstr(config_errors(cfg), "POLLER_MAX_FAILURES"));
    ck_assert_ptr_nonnull(strstr(config_errors(cfg), "POLLER_TICK_MS"));
    config_free(cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("poller settings");
    TCase *tc = tcase_create("settings");
    tcase_add_test(tc, test_defaults_are_the_briefs_values);
    tcase_add_test(tc, test_every_variable_overrides_its_default);
    tcase_add_test(tc, test_malformed_values_are_errors_naming_the_variable);
    suite_add_tcase(s, tc);
    return check_run(s);
}
