/* Unit tests for crypto.c — RFC 4231 HMAC vectors, AES-GCM, ids. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "check_run.h"

typedef struct vector {
    uint8_t key_byte;
    size_t key_len;
    const char *key_text; /* when not a repeated byte */
    const char *data;
    uint8_t data_byte;
    size_t data_len;
    const char *hex;
} vector_t;

static const char TC7_DATA[] =
    "This is a test using a larger than block-size key and a larger than block-size data. The "
    "key needs to be hashed before being used by the HMAC algorithm.";

/* RFC 4231 §4.2–§4.8 (test case 5 is truncated to 128 bits). */
static const vector_t RFC4231[] = {
    {0x0b, 20, NULL, "Hi There", 0, 0,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {0, 4, "Jefe", "what do ya want for nothing?", 0, 0,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {0xaa, 20, NULL, NULL, 0xdd, 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {0, 25,
     "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"
     "\x16\x17\x18\x19",
     NULL, 0xcd, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {0x0c, 20, NULL, "Test With Truncation", 0, 0, "a3b6167473100ee06e0c796c2955552b"},
    {0xaa, 131, NULL, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {0xaa, 131, NULL, TC7_DATA, 0, 0,
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

START_TEST(test_hmac_sha256_matches_every_rfc4231_test_case)
{
    for (size_t i = 0; i < sizeof RFC4231 / sizeof *RFC4231; i++) {
        const vector_t *v = &RFC4231[i];
        uint8_t key[131], data[64];
        const void *k = v->key_text, *d = v->data;
        size_t dlen = v->data ? strlen(v->data) : v->data_len;
        if (!v->key_text) {
            memset(key, v->key_byte, v->key_len);
            k = key;
        }
        if (!v->data) {
            memset(data, v->data_byte, v->data_len);
            d = data;
        }
        char hex[CRYPTO_SHA256_HEX_LEN + 1];
        ck_assert_int_eq(crypto_hmac_sha256_hex(k, v->key_len, d, dlen, hex), 0);
        ck_assert_msg(strncmp(hex, v->hex, strlen(v->hex)) == 0, "test case %zu: %s", i + 1, hex);
    }
}
END_TEST

START_TEST(test_constant_time_compare_needs_equal_length_and_bytes)
{
    ck_assert(crypto_equal_constant_time("abc", 3, "abc", 3));
    ck_assert(!crypto_equal_constant_time("abc", 3, "abd", 3));
    ck_assert(!crypto_equal_constant_time("abc", 3, "abcd", 4));
    ck_assert(crypto_equal_constant_time("", 0, "", 0));
}
END_TEST

static uint8_t key[CRYPTO_AES_KEY_LEN];

static void setup_key(void)
{
    char err[128];
    ck_assert_int_eq(
        crypto_key_from_text("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                             key, err, sizeof err),
        0);
}

START_TEST(test_aes_gcm_round_trip_with_aad)
{
    setup_key();
    const char *secret = "cb_api_key_홍길동";
    uint8_t *blob = NULL, *plain = NULL;
    size_t blob_len = 0, plain_len = 0;
    ck_assert_int_eq(crypto_encrypt(key, secret, strlen(secret), "row:1", 5, &blob, &blob_len), 0);
    ck_assert_uint_eq(blob_len, strlen(secret) + CRYPTO_BLOB_OVERHEAD);
    ck_assert(memmem(blob, blob_len, secret, strlen(secret)) == NULL);
    ck_assert_int_eq(crypto_decrypt(key, blob, blob_len, "row:1", 5, &plain, &plain_len), 0);
    ck_assert_uint_eq(plain_len, strlen(secret));
    ck_assert_str_eq((char *)plain, secret);
    free(plain);
    free(blob);
}
END_TEST

START_TEST(test_aes_gcm_detects_tampering_wrong_key_and_wrong_aad)
{
    setup_key();
    uint8_t *blob = NULL, *plain = NULL;
    size_t blob_len = 0, plain_len = 0;
    ck_assert_int_eq(crypto_encrypt(key, "secret", 6, "aad", 3, &blob, &blob_len), 0);
    for (size_t i = 0; i < blob_len; i++) {
        blob[i] ^= 0x01;
        ck_assert_int_eq(crypto_decrypt(key, blob, blob_len, "aad", 3, &plain, &plain_len), -1);
        blob[i] ^= 0x01;
    }
    ck_assert_int_eq(crypto_decrypt(key, blob, blob_len, "other", 5, &plain, &plain_len), -1);
    uint8_t other[CRYPTO_AES_KEY_LEN] = {0};
    ck_assert_int_eq(crypto_decrypt(other, blob, blob_len, "aad", 3, &plain, &plain_len), -1);
    ck_assert_int_eq(crypto_decrypt(key, blob, 5, "aad", 3, &plain, &plain_len), -1);
    free(blob);
}
END_TEST

START_TEST(test_empty_plaintext_encrypts_and_decrypts)
{
    setup_key();
    uint8_t *blob = NULL, *plain = NULL;
    size_t blob_len = 0, plain_len = 1;
    ck_assert_int_eq(crypto_encrypt(key, "", 0, NULL, 0, &blob, &blob_len), 0);
    ck_assert_int_eq(crypto_decrypt(key, blob, blob_len, NULL, 0, &plain, &plain_len), 0);
    ck_assert_uint_eq(plain_len, 0);
    free(plain);
    free(blob);
}
END_TEST

START_TEST(test_keys_parse_from_hex_or_base64_and_reject_others)
{
    uint8_t k[CRYPTO_AES_KEY_LEN];
    char err[128];
    ck_assert_int_eq(
        crypto_key_from_text("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", k, err, sizeof err),
        0);
    ck_assert_int_eq(k[31], 0x1f);
    ck_assert_int_eq(crypto_key_from_text("short", k, err, sizeof err), -1);
    ck_assert_int_eq(crypto_key_from_text("", k, err, sizeof err), -1);
}
END_TEST

START_TEST(test_keys_come_from_the_environment_and_errors_name_the_variable)
{
    uint8_t k[CRYPTO_AES_KEY_LEN];
    char err[128];
    unsetenv("TEST_CRYPTO_KEY");
    ck_assert_int_eq(crypto_key_from_env("TEST_CRYPTO_KEY", k, err, sizeof err), -1);
    ck_assert_str_eq(err, "TEST_CRYPTO_KEY is not set");
    setenv("TEST_CRYPTO_KEY", "not-a-key-value", 1);
    ck_assert_int_eq(crypto_key_from_env("TEST_CRYPTO_KEY", k, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "TEST_CRYPTO_KEY: "));
    ck_assert_ptr_null(strstr(err, "not-a-key-value"));
    setenv("TEST_CRYPTO_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
           1);
    ck_assert_int_eq(crypto_key_from_env("TEST_CRYPTO_KEY", k, err, sizeof err), 0);
    ck_assert_int_eq(k[1], 1);
    unsetenv("TEST_CRYPTO_KEY");
}
END_TEST

START_TEST(test_base64_round_trip)
{
    const char *data = "any carnal pleas";
    for (size_t len = 0; len <= strlen(data); len++) {
        char *text = crypto_base64_encode(data, len);
        size_t out_len = 0;
        uint8_t *back = len ? crypto_base64_decode(text, &out_len) : NULL;
        if (len) {
            ck_assert_uint_eq(out_len, len);
            ck_assert(memcmp(back, data, len) == 0);
        }
        free(back);
        free(text);
    }
    size_t n;
    ck_assert_ptr_null(crypto_base64_decode("not base64!", &n));
}
END_TEST

START_TEST(test_uuid_v4_has_version_and_variant_bits)
{
    char u[CRYPTO_UUID_LEN + 1];
    ck_assert_int_eq(crypto_uuid_v4(u), 0);
    ck_assert_uint_eq(strlen(u), 36);
    ck_assert_int_eq(u[14], '4');
    ck_assert(strchr("89ab", u[19]) != NULL);
    ck_assert(u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-');
}
END_TEST

#define ID_DRAWS 10000

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

START_TEST(test_random_ids_are_prefixed_and_unique)
{
    static char ids[ID_DRAWS][32];
    for (int i = 0; i < ID_DRAWS; i++) {
        ck_assert_int_eq(crypto_random_id("bk_", ids[i], sizeof ids[i]), 0);
        ck_assert(strncmp(ids[i], "bk_", 3) == 0);
        ck_assert_uint_eq(strlen(ids[i]), 27);
    }
    qsort(ids, ID_DRAWS, sizeof ids[0], cmp_str);
    for (int i = 1; i < ID_DRAWS; i++)
        ck_assert_str_ne(ids[i - 1], ids[i]);
    char small[8];
    ck_assert_int_eq(crypto_random_id("bk_", small, sizeof small), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("crypto");
    tcase_add_test(tc, test_hmac_sha256_matches_every_rfc4231_test_case);
    tcase_add_test(tc, test_constant_time_compare_needs_equal_length_and_bytes);
    tcase_add_test(tc, test_aes_gcm_round_trip_with_aad);
    tcase_add_test(tc, test_aes_gcm_detects_tampering_wrong_key_and_wrong_aad);
    tcase_add_test(tc, test_empty_plaintext_encrypts_and_decrypts);
    tcase_add_test(tc, test_keys_parse_from_hex_or_base64_and_reject_others);
    tcase_add_test(tc, test_keys_come_from_the_environment_and_errors_name_the_variable);
    tcase_add_test(tc, test_base64_round_trip);
    tcase_add_test(tc, test_uuid_v4_has_version_and_variant_bits);
    tcase_add_test(tc, test_random_ids_are_prefixed_and_unique);
    suite_add_tcase(s, tc);
    return check_run(s);
}
