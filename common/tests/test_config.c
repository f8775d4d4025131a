/* Unit tests for config.c — typed getters that fail loudly, URL parsing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "check_run.h"

static const char *const *fake_env;

static const char *lookup(const char *name, void *ctx)
{
    (void)ctx;
    for (const char *const *p = fake_env; p && p[0]; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

static config_t *with_env(const char *const *env)
{
    fake_env = env;
    return config_new_with_lookup(lookup, NULL);
}

START_TEST(test_unset_and_empty_variables_take_the_default)
{
    static const char *env[] = {"EMPTY", "", NULL};
    config_t *c = with_env(env);
    ck_assert_int_eq(config_get_port(c, "PORT", 8081), 8081);
    ck_assert_int_eq(config_get_port(c, "EMPTY", 8082), 8082);
    ck_assert_str_eq(config_get_str(c, "NAME", "dflt"), "dflt");
    ck_assert(config_get_bool(c, "FLAG", true));
    ck_assert_uint_eq(config_error_count(c), 0);
    config_free(c);
}
END_TEST

START_TEST(test_malformed_numbers_are_errors_naming_the_variable)
{
    static const char *env[] = {"PORT", "80a", "BIG", "99999", "NEG", "-1", "SPACE", " 5", NULL};
    config_t *c = with_env(env);
    ck_assert_int_eq(config_get_port(c, "PORT", 8081), 8081);
    ck_assert_int_eq(config_get_port(c, "BIG", 1), 1);
    ck_assert_int_eq(config_get_int(c, "NEG", 3, 0, 10), 3);
    ck_assert_int_eq(config_get_int(c, "SPACE", 3, 0, 10), 3);
    ck_assert_uint_eq(config_error_count(c), 4);
    ck_assert_ptr_nonnull(strstr(config_errors(c), "PORT: '80a' is not an integer"));
    ck_assert_ptr_nonnull(strstr(config_errors(c), "BIG: 99999 must be between 1 and 65535"));
    config_free(c);
}
END_TEST

START_TEST(test_well_formed_values_parse)
{
    static const char *env[] = {"N", "42", "D", "2.5", "B1", "yes", "B2", "OFF", NULL};
    config_t *c = with_env(env);
    ck_assert_int_eq(config_get_int(c, "N", 0, 0, 100), 42);
    ck_assert_double_eq(config_get_double(c, "D", 0, 0, 10), 2.5);
    ck_assert(config_get_bool(c, "B1", false));
    ck_assert(!config_get_bool(c, "B2", true));
    ck_assert_uint_eq(config_error_count(c), 0);
    config_free(c);
}
END_TEST

START_TEST(test_bad_booleans_and_missing_required_values_are_errors)
{
    static const char *env[] = {"B", "maybe", NULL};
    config_t *c = with_env(env);
    config_get_bool(c, "B", false);
    ck_assert_ptr_null(config_require_str(c, "PAYMENT_API_KEY"));
    ck_assert_uint_eq(config_error_count(c), 2);
    ck_assert_ptr_nonnull(strstr(config_errors(c), "PAYMENT_API_KEY: is required"));
    config_free(c);
}
END_TEST

START_TEST(test_mysql_and_redis_urls_parse_with_credentials_and_escapes)
{
    config_url_t u;
    char err[128];
    ck_assert_int_eq(
        config_url_parse("mysql://lodging:p%40ss@127.0.0.1:13306/lodging", &u, err, sizeof err), 0);
    ck_assert_str_eq(u.scheme, "mysql");
    ck_assert_str_eq(u.user, "lodging");
    ck_assert_str_eq(u.password, "p@ss");
    ck_assert_str_eq(u.host, "127.0.0.1");
    ck_assert_int_eq(u.port, 13306);
    ck_assert_str_eq(u.path, "lodging");
    config_url_clear(&u);
    ck_assert_int_eq(config_url_parse("redis://[::1]:6379", &u, err, sizeof err), 0);
    ck_assert_str_eq(u.host, "::1");
    ck_assert_ptr_null(u.user);
    ck_assert_ptr_null(u.path);
    config_url_clear(&u);
    ck_assert_int_eq(config_url_parse("redis://:secret@cache/2", &u, err, sizeof err), 0);
    ck_assert_str_eq(u.password, "secret");
    ck_assert_int_eq(u.port, 0);
    ck_assert_str_eq(u.path, "2");
    config_url_clear(&u);
}
END_TEST

START_TEST(test_malformed_urls_are_rejected_with_a_reason)
{
    static const char *bad[] = {"",
                                "localhost:6379",
                                "ftp://x",
                                "redis://:6379",
                                "redis://h:0",
                                "redis://h:70000",
                                "redis://h:12a",
                                "mysql://u:%zz@h/db",
                                "redis://[::1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        config_url_t u;
        char err[128] = "";
        ck_assert_msg(config_url_parse(bad[i], &u, err, sizeof err) == -1, "accepted %s", bad[i]);
        ck_assert(err[0] != '\0');
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_unset_and_empty_variables_take_the_default);
    tcase_add_test(tc, test_malformed_numbers_are_errors_naming_the_variable);
    tcase_add_test(tc, test_well_formed_values_parse);
    tcase_add_test(tc, test_bad_booleans_and_missing_required_values_are_errors);
    tcase_add_test(tc, test_mysql_and_redis_urls_parse_with_credentials_and_escapes);
    tcase_add_test(tc, test_malformed_urls_are_rejected_with_a_reason);
    suite_add_tcase(s, tc);
    return check_run(s);
}
