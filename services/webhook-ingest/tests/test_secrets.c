/* secrets.c: which secret signs a vendor's / hotel's webhooks. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "secrets.h"

START_TEST(test_the_most_specific_secret_wins)
{
    char *env[] = {"PMS_WEBHOOK_SECRET=all", "PMS_WEBHOOK_SECRET_CLOUDBEDS=cb",
                   "PMS_WEBHOOK_SECRET_CLOUDBEDS_HOTEL_123=cb_h123", "PATH=/bin", NULL};
    secrets_t *s = secrets_new(env);
    ck_assert_uint_eq(secrets_count(s), 3);
    const char *out[SECRETS_MAX_CANDIDATES];
    ck_assert_uint_eq(secrets_for(s, "cloudbeds", "hotel-123", out), 1);
    ck_assert_str_eq(out[0], "cb_h123");
    ck_assert_uint_eq(secrets_for(s, "cloudbeds", "hotel_999", out), 1);
    ck_assert_str_eq(out[0], "cb");
    ck_assert_uint_eq(secrets_for(s, "cloudbeds", NULL, out), 1);
    ck_assert_str_eq(out[0], "cb");
    ck_assert_uint_eq(secrets_for(s, "sandbox", "hotel_123", out), 1);
    ck_assert_str_eq(out[0], "all");
    secrets_free(s);
}
END_TEST

START_TEST(test_a_previous_secret_is_offered_next_to_the_current_one)
{
    char *env[] = {"PMS_WEBHOOK_SECRET_SANDBOX=new", "PMS_WEBHOOK_SECRET_SANDBOX_PREVIOUS=old",
                   NULL};
    secrets_t *s = secrets_new(env);
    const char *out[SECRETS_MAX_CANDIDATES];
    ck_assert_uint_eq(secrets_for(s, "sandbox", "h1", out), 2);
    ck_assert_str_eq(out[0], "new");
    ck_assert_str_eq(out[1], "old");
    ck_assert_uint_eq(secrets_for(s, "cloudbeds", "h1", out), 0);
    secrets_free(s);
}
END_TEST

START_TEST(test_empty_values_and_lookalike_names_are_not_secrets)
{
    char *env[] = {"PMS_WEBHOOK_SECRET=", "PMS_WEBHOOK_SECRETS=x", "XPMS_WEBHOOK_SECRET=y", NULL};
    secrets_t *s = secrets_new(env);
    ck_assert_uint_eq(secrets_count(s), 0);
    const char *out[SECRETS_MAX_CANDIDATES];
    ck_assert_uint_eq(secrets_for(s, "cloudbeds", "h", out), 0);
    secrets_free(s);
    secrets_free(NULL);
}
END_TEST

START_TEST(test_env_names_upper_case_and_replace_non_alphanumerics)
{
    char name[SECRETS_NAME_MAX];
    secrets_env_name("cloudbeds", "hotel-12.a", name, sizeof name);
    ck_assert_str_eq(name, "PMS_WEBHOOK_SECRET_CLOUDBEDS_HOTEL_12_A");
    secrets_env_name("sandbox", NULL, name, sizeof name);
    ck_assert_str_eq(name, "PMS_WEBHOOK_SECRET_SANDBOX");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook secrets");
    TCase *tc = tcase_create("lookup");
    tcase_add_test(tc, test_the_most_specific_secret_wins);
    tcase_add_test(tc, test_a_previous_secret_is_offered_next_to_the_current_one);
    tcase_add_test(tc, test_empty_values_and_lookalike_names_are_not_secrets);
    tcase_add_test(tc, test_env_names_upper_case_and_replace_non_alphanumerics);
    suite_add_tcase(s, tc);
    return check_run(s);
}
