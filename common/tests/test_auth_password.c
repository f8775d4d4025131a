/* Unit tests for auth_password.c — scrypt hashes that verify the right
 * password only, the stored form and its bounds, generated passwords, and
 * the lockout's doubling backoff. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/auth_password.h"
#include "common/crypto.h"

START_TEST(test_a_hash_verifies_its_password_and_no_other)
{
    char stored[AUTH_PASSWORD_HASH_MAX], again[AUTH_PASSWORD_HASH_MAX];
    ck_assert_int_eq(auth_password_hash("correct horse battery", stored, sizeof stored), 0);
    ck_assert_int_eq(strncmp(stored, "scrypt$15$8$1$", 14), 0);
    ck_assert_int_eq(auth_password_verify("correct horse battery", stored), 1);
    ck_assert_int_eq(auth_password_verify("correct horse batterY", stored), 0);
    ck_assert_int_eq(auth_password_verify("", stored), 0);
    /* a fresh salt each time: the same password never gives the same text */
    ck_assert_int_eq(auth_password_hash("correct horse battery", again, sizeof again), 0);
    ck_assert_str_ne(stored, again);
    ck_assert_int_eq(auth_password_verify("correct horse battery", again), 1);
}
END_TEST

START_TEST(test_the_stored_form_carries_its_parameters)
{
    char stored[AUTH_PASSWORD_HASH_MAX];
    auth_scrypt_params_t p;
    ck_assert_int_eq(auth_password_hash("a password of length", stored, sizeof stored), 0);
    ck_assert_int_eq(auth_password_parse(stored, &p), 0);
    ck_assert_uint_eq(p.log2_n, AUTH_SCRYPT_LOG2_N);
    ck_assert_uint_eq(p.r, AUTH_SCRYPT_R);
    ck_assert_uint_eq(p.p, AUTH_SCRYPT_P);
    /* a hash made with other (cheaper) parameters still verifies: they travel along */
    char *salt = crypto_base64_encode("0123456789abcdef", 16);
    char cheap[AUTH_PASSWORD_HASH_MAX];
    snprintf(cheap, sizeof cheap, "scrypt$10$8$1$%s$%s", salt,
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    ck_assert_int_eq(auth_password_parse(cheap, &p), 0);
    ck_assert_uint_eq(p.log2_n, 10);
    ck_assert_int_eq(auth_password_verify("anything at all", cheap), 0);
    free(salt);
}
END_TEST

START_TEST(test_stored_forms_we_did_not_make_are_refused)
{
    auth_scrypt_params_t p;
    static const char *const bad[] = {
        NULL,
        "",
        "bcrypt$2b$12$abc",
        "scrypt$15$8$1$MDEyMzQ1Njc4OWFiY2RlZg==",                          /* no key */
        "scrypt$15$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$",                         /* empty key */
        "scrypt$15$8$1$MDEy$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", /* short salt */
        "scrypt$15$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAA",                     /* short key */
        "scrypt$30$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$15$99$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$15$8$0$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$015$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$-15$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$15$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=$x",
        "scrypt$15$8$1$!!!!Njc4OWFiY2RlZg==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(auth_password_parse(bad[i], &p) == -1, "%zu accepted", i);
        ck_assert_msg(auth_password_verify("password1234", bad[i]) == -1, "%zu verified", i);
    }
}
END_TEST

START_TEST(test_generated_passwords_are_long_random_and_url_safe)
{
    char a[AUTH_PASSWORD_GENERATED_LEN + 1], b[AUTH_PASSWORD_GENERATED_LEN + 1];
    ck_assert_int_eq(auth_password_generate(a, sizeof a), 0);
    ck_assert_int_eq(auth_password_generate(b, sizeof b), 0);
    ck_assert_uint_eq(strlen(a), AUTH_PASSWORD_GENERATED_LEN);
    ck_assert_uint_ge(strlen(a), AUTH_PASSWORD_MIN_LEN);
    ck_assert_str_ne(a, b);
    ck_assert_uint_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                      AUTH_PASSWORD_GENERATED_LEN);
    ck_assert_int_eq(auth_password_generate(a, AUTH_PASSWORD_GENERATED_LEN), -1);
}
END_TEST

START_TEST(test_the_lockout_doubles_from_the_threshold_up_to_its_cap)
{
    auth_lockout_policy_t p = {.threshold = 5, .base_s = 30, .max_s = 900};
    ck_assert_int_eq(auth_lockout_seconds(&p, 0), 0);
    ck_assert_int_eq(auth_lockout_seconds(&p, 4), 0);
    ck_assert_int_eq(auth_lockout_seconds(&p, 5), 30);
    ck_assert_int_eq(auth_lockout_seconds(&p, 6), 60);
    ck_assert_int_eq(auth_lockout_seconds(&p, 7), 120);
    ck_assert_int_eq(auth_lockout_seconds(&p, 9), 480);
    ck_assert_int_eq(auth_lockout_seconds(&p, 10), 900);
    ck_assert_int_eq(auth_lockout_seconds(&p, 1000000), 900); /* no overflow */
    auth_lockout_policy_t off = {.threshold = 0, .base_s = 30, .max_s = 900};
    ck_assert_int_eq(auth_lockout_seconds(&off, 50), 0);
}
END_TEST

START_TEST(test_a_dummy_verification_takes_a_kdf_run)
{
    /* the unknown-e-mail path must cost what a real check costs: the same
     * KDF work, counted rather than timed so a busy machine cannot fail it */
    char stored[AUTH_PASSWORD_HASH_MAX];
    ck_assert_int_eq(auth_password_hash("some password here", stored, sizeof stored), 0);
    auth_password_verify_dummy("warm up"); /* makes the dummy hash once */
    uint64_t before = auth_password_kdf_work();
    ck_assert_int_eq(auth_password_verify("wrong password here", stored), 0);
    uint64_t real = auth_password_kdf_work() - before;
    before = auth_password_kdf_work();
    auth_password_verify_dummy("wrong password here");
    uint64_t dummy = auth_password_kdf_work() - before;
    ck_assert_uint_gt(real, 0);
    ck_assert_uint_eq(dummy, real);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("auth_password");
    TCase *tc = tcase_create("auth_password");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_hash_verifies_its_password_and_no_other);
    tcase_add_test(tc, test_the_stored_form_carries_its_parameters);
    tcase_add_test(tc, test_stored_forms_we_did_not_make_are_refused);
    tcase_add_test(tc, test_generated_passwords_are_long_random_and_url_safe);
    tcase_add_test(tc, test_the_lockout_doubles_from_the_threshold_up_to_its_cap);
    tcase_add_test(tc, test_a_dummy_verification_takes_a_kdf_run);
    suite_add_tcase(s, tc);
    return check_run(s);
}
