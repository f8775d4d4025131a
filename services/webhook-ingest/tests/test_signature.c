/* signature.c: the x-pms-signature scheme of proto/webhooks.md (Stripe's), with vectors
 * computed independently (openssl dgst -sha256 -hmac). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "signature.h"

#define NOW 1761037800
static const char *BODY = "{\"eventId\":\"evt_1\"}";
/* printf '1761037800.{"eventId":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test */
static const char *VECTOR_HEX = "04f0fa16231f2beb9e8f378699893f8a9025efd3c01a6380a87d253c6aa1d4cc";

static signature_result_t verify(const char *header, const char *secret)
{
    const char *secrets[] = {secret};
    return signature_verify(header, BODY, strlen(BODY), secrets, 1, NOW, SIGNATURE_TOLERANCE_S);
}

START_TEST(test_a_signature_computed_elsewhere_verifies)
{
    char header[160];
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW, VECTOR_HEX);
    ck_assert_int_eq(verify(header, "whsec_test"), SIGNATURE_OK);
    char signed_here[160];
    ck_assert_int_eq(
        signature_sign("whsec_test", NOW, BODY, strlen(BODY), signed_here, sizeof signed_here), 0);
    ck_assert_str_eq(signed_here, header);
}
END_TEST

START_TEST(test_a_forged_signature_is_a_mismatch)
{
    char header[160];
    signature_sign("another_secret", NOW, BODY, strlen(BODY), header, sizeof header);
    ck_assert_int_eq(verify(header, "whsec_test"), SIGNATURE_MISMATCH);
}
END_TEST

START_TEST(test_a_changed_body_is_a_mismatch)
{
    char header[160];
    signature_sign("whsec_test", NOW, "{\"eventId\":\"evt_2\"}", 19, header, sizeof header);
    ck_assert_int_eq(verify(header, "whsec_test"), SIGNATURE_MISMATCH);
}
END_TEST

START_TEST(test_a_timestamp_outside_300_seconds_is_stale_either_way)
{
    char header[160];
    signature_sign("whsec_test", NOW - 301, BODY, strlen(BODY), header, sizeof header);
    ck_assert_int_eq(verify(header, "whsec_test"), SIGNATURE_STALE);
    signature_sign("whsec_test", NOW + 301, BODY, strlen(BODY), header, sizeof header);
    ck_assert_int_eq(verify(header, "whsec_test"), SIGNATURE_STALE);
    signature_sign("whsec_test", NOW - 300, BODY, strlen(BODY), header, sizeof header);
    ck_assert_int_eq(verify(header, "whsec_test"), SIGNATURE_OK);
}
END_TEST

START_TEST(test_a_changed_timestamp_does_not_verify)
{
    char header[160];
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW + 1, VECTOR_HEX);
    ck_assert_int_eq(verify(header, "whsec_test"), SIGNATURE_MISMATCH);
}
END_TEST

START_TEST(test_one_matching_v1_of_several_is_enough)
{
    char header[300];
    snprintf(header, sizeof header, "t=%d,v1=%064d,v1=%s,v0=ignored", NOW, 0, VECTOR_HEX);
    ck_assert_int_eq(verify(header, "whsec_test"), SIGNATURE_OK);
}
END_TEST

START_TEST(test_the_previous_secret_is_accepted_during_rotation)
{
    char header[160];
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW, VECTOR_HEX);
    const char *secrets[] = {"whsec_new", "whsec_test"};
    ck_assert_int_eq(
        signature_verify(header, BODY, strlen(BODY), secrets, 2, NOW, SIGNATURE_TOLERANCE_S),
        SIGNATURE_OK);
}
END_TEST

START_TEST(test_missing_and_malformed_headers_are_told_apart)
{
    ck_assert_int_eq(verify(NULL, "whsec_test"), SIGNATURE_MISSING);
    ck_assert_int_eq(verify("", "whsec_test"), SIGNATURE_MISSING);
    ck_assert_int_eq(verify("v1=abcd", "whsec_test"), SIGNATURE_MALFORMED);
    ck_assert_int_eq(verify("t=1761037800", "whsec_test"), SIGNATURE_MALFORMED);
    ck_assert_int_eq(verify("t=17610x7800,v1=ab", "whsec_test"), SIGNATURE_MALFORMED);
    ck_assert_int_eq(verify("t=99999999999999999999999,v1=ab", "whsec_test"), SIGNATURE_MALFORMED);
    ck_assert_int_eq(verify("sha256=deadbeef", "whsec_test"), SIGNATURE_MALFORMED);
}
END_TEST

START_TEST(test_an_upper_case_or_truncated_hex_does_not_match)
{
    char upper[65];
    for (size_t i = 0; i <= 64; i++)
        upper[i] = (char)(VECTOR_HEX[i] >= 'a' && VECTOR_HEX[i] <= 'f' ? VECTOR_HEX[i] - 32
                                                                       : VECTOR_HEX[i]);
    char header[160];
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW, upper);
    ck_assert_int_eq(verify(header, "whsec_test"), SIGNATURE_MISMATCH);
    snprintf(header, sizeof header, "t=%d,v1=%.63s", NOW, VECTOR_HEX);
    ck_assert_int_eq(verify(header, "whsec_test"), SIGNATURE_MISMATCH);
}
END_TEST

START_TEST(test_no_secret_means_no_match)
{
    char header[160];
    snprintf(header, sizeof header, "t=%d,v1=%s", NOW, VECTOR_HEX);
    const char *secrets[] = {NULL, ""};
    ck_assert_int_eq(
        signature_verify(header, BODY, strlen(BODY), secrets, 2, NOW, SIGNATURE_TOLERANCE_S),
        SIGNATURE_MISMATCH);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook signature");
    TCase *tc = tcase_create("verify");
    tcase_add_test(tc, test_a_signature_computed_elsewhere_verifies);
    tcase_add_test(tc, test_a_forged_signature_is_a_mismatch);
    tcase_add_test(tc, test_a_changed_body_is_a_mismatch);
    tcase_add_test(tc, test_a_timestamp_outside_300_seconds_is_stale_either_way);
    tcase_add_test(tc, test_a_changed_timestamp_does_not_verify);
    tcase_add_test(tc, test_one_matching_v1_of_several_is_enough);
    tcase_add_test(tc, test_the_previous_secret_is_accepted_during_rotation);
    tcase_add_test(tc, test_missing_and_malformed_headers_are_told_apart);
    tcase_add_test(tc, test_an_upper_case_or_truncated_hex_does_not_match);
    tcase_add_test(tc, test_no_secret_means_no_match);
    suite_add_tcase(s, tc);
    return check_run(s);
}
