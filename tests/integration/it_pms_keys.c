/* Hotel API keys: the environment first, then pms_config.api_key_enc
 * (AES-256-GCM bound to its row), cached, never readable from another row. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/migrate.h"
#include "common/pms.h"
#include "common/pms_keys.h"
#include "testsupport.h"

#define MIGRATIONS_DIR LODGING_SOURCE_DIR "/db/migrations"

static char dbname[96], url[512];
static db_pool_t *pool;
static uint8_t aes[CRYPTO_AES_KEY_LEN];

static void setup(void)
{
    ck_assert_int_eq(ts_db_create("lodging_it_keys", dbname, sizeof dbname, url, sizeof url), 0);
    char err[512];
    db_t *db = db_new(url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    int applied = 0;
    ck_assert_msg(migrate_apply(db, MIGRATIONS_DIR, &applied, err, sizeof err) == 0, "%s", err);
    db_free(db);
    pool = db_pool_new(url, 2, err, sizeof err);
    ck_assert_msg(pool != NULL, "%s", err);
    ck_assert_int_eq(crypto_random_bytes(aes, sizeof aes), 0);
    unsetenv("PMS_hotel_k1_API_KEY");
    unsetenv("PMS_HOTEL_K1_API_KEY");
    unsetenv("PMS_hotel_k2_API_KEY");
    unsetenv("PMS_HOTEL_K2_API_KEY");
}

static void teardown(void)
{
    db_pool_free(pool);
    ts_db_drop(dbname);
}

static void store(const char *hotel, const uint8_t *blob, size_t len)
{
    db_t *db = db_pool_acquire(pool);
    db_param_t p[] = {DB_STR("cloudbeds"), DB_STR(hotel), DB_BLOB(blob, len)};
    ck_assert_int_eq(db_exec(db,
                             "INSERT INTO pms_config (vendor, hotel_id, api_key_enc) VALUES (?, ?, "
                             "?) ON DUPLICATE KEY UPDATE api_key_enc = VALUES(api_key_enc)",
                             p, 3, NULL, NULL),
                     DB_OK);
    db_pool_release(pool, db);
}

static void store_key(const char *hotel, const char *key)
{
    uint8_t *blob = NULL;
    size_t len = 0;
    ck_assert_int_eq(pms_keystore_encrypt(aes, "cloudbeds", hotel, key, &blob, &len), 0);
    ck_assert_ptr_null(memmem(blob, len, key, strlen(key))); /* not stored in the clear */
    store(hotel, blob, len);
    free(blob);
}

START_TEST(test_key_from_the_database_and_env_wins)
{
    store_key("hotel_k1", "cbk_secret_one");
    pms_keystore_t *ks = pms_keystore_new(pool, aes, 60000);
    char key[128];
    ck_assert_int_eq(pms_keystore_lookup(ks, "cloudbeds", "hotel_k1", key, sizeof key), 0);
    ck_assert_str_eq(key, "cbk_secret_one");
    ck_assert_int_eq(pms_keystore_lookup(ks, "cloudbeds", "hotel_none", key, sizeof key), -1);
    setenv("PMS_hotel_k1_API_KEY", "cbk_from_env", 1);
    ck_assert_int_eq(pms_keystore_lookup(ks, "cloudbeds", "hotel_k1", key, sizeof key), 0);
    ck_assert_str_eq(key, "cbk_from_env");
    unsetenv("PMS_hotel_k1_API_KEY");
    pms_keystore_free(ks);
}
END_TEST

START_TEST(test_cache_and_forget)
{
    store_key("hotel_k1", "cbk_old");
    pms_keystore_t *ks = pms_keystore_new(pool, aes, 600000);
    char key[128];
    ck_assert_int_eq(pms_keystore_lookup(ks, "cloudbeds", "hotel_k1", key, sizeof key), 0);
    ck_assert_str_eq(key, "cbk_old");
    store_key("hotel_k1", "cbk_new");
    ck_assert_int_eq(pms_keystore_lookup(ks, "cloudbeds", "hotel_k1", key, sizeof key), 0);
    ck_assert_str_eq(key, "cbk_old"); /* cached */
    pms_keystore_forget(ks, "cloudbeds", "hotel_k1");
    ck_assert_int_eq(pms_keystore_lookup(ks, "cloudbeds", "hotel_k1", key, sizeof key), 0);
    ck_assert_str_eq(key, "cbk_new");
    pms_keystore_free(ks);
}
END_TEST

START_TEST(test_a_blob_moved_to_another_row_or_a_wrong_key_does_not_decrypt)
{
    uint8_t *blob = NULL;
    size_t len = 0;
    ck_assert_int_eq(pms_keystore_encrypt(aes, "cloudbeds", "hotel_k1", "cbk_k1", &blob, &len), 0);
    store("hotel_k2", blob, len); /* hotel_k1's key copied into hotel_k2's row */
    free(blob);
    pms_keystore_t *ks = pms_keystore_new(pool, aes, 0);
    char key[128];
    ck_assert_int_eq(pms_keystore_lookup(ks, "cloudbeds", "hotel_k2", key, sizeof key), -1);
    pms_keystore_free(ks);

    store_key("hotel_k1", "cbk_k1");
    uint8_t other[CRYPTO_AES_KEY_LEN];
    memcpy(other, aes, sizeof other);
    other[0] ^= 0xff;
    ks = pms_keystore_new(pool, other, 0);
    ck_assert_int_eq(pms_keystore_lookup(ks, "cloudbeds", "hotel_k1", key, sizeof key), -1);
    pms_keystore_free(ks);
}
END_TEST

START_TEST(test_presence_tells_a_configured_hotel_from_an_unknown_one)
{
    /* A row counts whether or not its key decrypts: the hotel is ours, its
     * key is broken, and that is for the PMS call to report. */
    store_key("hotel_k1", "cbk_k1");
    uint8_t other[CRYPTO_AES_KEY_LEN];
    memcpy(other, aes, sizeof other);
    other[0] ^= 0xff;
    pms_keystore_t *ks = pms_keystore_new(pool, aes, 60000);
    pms_keystore_t *wrong = pms_keystore_new(pool, other, 0);
    ck_assert_int_eq(pms_keystore_presence(ks, "cloudbeds", "hotel_k1"), PMS_KEY_CONFIGURED);
    ck_assert_int_eq(pms_keystore_presence(wrong, "cloudbeds", "hotel_k1"), PMS_KEY_CONFIGURED);
    ck_assert_int_eq(pms_keystore_presence(ks, "cloudbeds", "hotel_none"), PMS_KEY_NONE);
    ck_assert_int_eq(pms_keystore_presence(ks, "othervendor", "hotel_k1"), PMS_KEY_NONE);
    /* once known, a hotel stays known for the cache's lifetime without a
     * query per read; a keystore without a cache asks every time */
    db_t *db = db_pool_acquire(pool);
    ck_assert_int_eq(
        db_exec(db, "DELETE FROM pms_config WHERE hotel_id = 'hotel_k1'", NULL, 0, NULL, NULL),
        DB_OK);
    db_pool_release(pool, db);
    ck_assert_int_eq(pms_keystore_presence(ks, "cloudbeds", "hotel_k1"), PMS_KEY_CONFIGURED);
    ck_assert_int_eq(pms_keystore_presence(wrong, "cloudbeds", "hotel_k1"), PMS_KEY_NONE);
    /* Without a database, only the environment counts. */
    ck_assert_int_eq(pms_keystore_presence(NULL, "cloudbeds", "hotel_k2"), PMS_KEY_NONE);
    setenv("PMS_hotel_k2_API_KEY", "cbk_from_env", 1);
    ck_assert_int_eq(pms_keystore_presence(NULL, "cloudbeds", "hotel_k2"), PMS_KEY_CONFIGURED);
    ck_assert_int_eq(pms_keystore_presence(ks, "cloudbeds", "hotel_k2"), PMS_KEY_CONFIGURED);
    unsetenv("PMS_hotel_k2_API_KEY");
    pms_keystore_free(wrong);
    pms_keystore_free(ks);
}
END_TEST

#define RING_OLD "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define RING_NEW "k2:2b7e151628aed2a6abf7158809cf4f3c2b7e151628aed2a6abf7158809cf4f3c"

/* The key id a row was sealed under ("" when NULL). */
static void stored_key_id(const char *hotel, char *out, size_t size)
{
    db_t *db = db_pool_acquire(pool);
    db_param_t p[] = {DB_STR(hotel)};
    db_result_t *res = NULL;
    ck_assert_int_eq(
        db_query(db, "SELECT api_key_key_id FROM pms_config WHERE hotel_id = ?", p, 1, &res),
        DB_OK);
    const char *id = db_result_rows(res) ? db_result_text(res, 0, 0) : NULL;
    snprintf(out, size, "%s", id ? id : "");
    db_result_free(res);
    db_pool_release(pool, db);
}

static void seal_into(pms_keystore_t *ks, const char *hotel, const char *key)
{
    uint8_t *blob = NULL;
    size_t len = 0;
    char key_id[PMS_KEY_ID_MAX + 1];
    ck_assert_int_eq(pms_keystore_seal(ks, "cloudbeds", hotel, key, &blob, &len, key_id), 0);
    ck_assert_ptr_null(memmem(blob, len, key, strlen(key)));
    db_t *db = db_pool_acquire(pool);
    db_param_t p[] = {DB_STR(hotel), DB_BLOB(blob, len), DB_STR(key_id)};
    ck_assert_int_eq(db_exec(db,
                             "INSERT INTO pms_config (vendor, hotel_id, api_key_enc, "
                             "api_key_key_id) VALUES ('cloudbeds', ?, ?, ?)",
                             p, 3, NULL, NULL),
                     DB_OK);
    db_pool_release(pool, db);
    free(blob);
}

START_TEST(test_key_ring_parsing_names_what_is_wrong)
{
    pms_keyring_t ring;
    char err[160];
    ck_assert_int_eq(pms_keyring_parse(RING_NEW "," RING_OLD, &ring, err, sizeof err), 0);
    ck_assert_uint_eq(ring.count, 2);
    ck_assert_str_eq(ring.ids[0], "k2");
    pms_keyring_wipe(&ring);
    static const char *const bad[] = {"",
                                      "k1",
                                      ":abc",
                                      "k1:",
                                      "k1:short",
                                      RING_OLD "," RING_OLD,
                                      "bad id:"
                                      "00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(pms_keyring_parse(bad[i], &ring, err, sizeof err) == -1, "%s", bad[i]);
        ck_assert_ptr_null(strstr(err, "000102030405")); /* no key material in the reason */
        ck_assert_uint_eq(ring.count, 0);
    }
}
END_TEST

START_TEST(test_rotation_reads_old_rows_and_rewraps_them)
{
    char err[160], id[64], key[128];
    pms_keyring_t old_ring, new_ring, only_new;
    ck_assert_int_eq(pms_keyring_parse(RING_OLD, &old_ring, err, sizeof err), 0);
    ck_assert_int_eq(pms_keyring_parse(RING_NEW "," RING_OLD, &new_ring, err, sizeof err), 0);
    ck_assert_int_eq(pms_keyring_parse(RING_NEW, &only_new, err, sizeof err), 0);
    /* sealed before the rotation, and one stored before key ids existed */
    pms_keystore_t *before = pms_keystore_new_ring(pool, &old_ring, 0);
    seal_into(before, "hotel_k1", "cbk_rotated_one");
    pms_keystore_free(before);
    stored_key_id("hotel_k1", id, sizeof id);
    ck_assert_str_eq(id, "k1");
    uint8_t *blob = NULL;
    size_t len = 0;
    ck_assert_int_eq(pms_keystore_encrypt(old_ring.keys[0], "cloudbeds", "hotel_k2",
                                          "cbk_legacy_two", &blob, &len),
                     0);
    store("hotel_k2", blob, len);
    free(blob);

    /* the new ring reads both, then re-encrypts them under k2 */
    pms_keystore_t *after = pms_keystore_new_ring(pool, &new_ring, 0);
    ck_assert_int_eq(pms_keystore_lookup(after, "cloudbeds", "hotel_k1", key, sizeof key), 0);
    ck_assert_str_eq(key, "cbk_rotated_one");
    ck_assert_int_eq(pms_keystore_lookup(after, "cloudbeds", "hotel_k2", key, sizeof key), 0);
    ck_assert_str_eq(key, "cbk_legacy_two");
    int rewrapped = 0, failed = 0;
    ck_assert_int_eq(pms_keystore_rewrap(after, &rewrapped, &failed), 0);
    ck_assert_int_eq(rewrapped, 2);
    ck_assert_int_eq(failed, 0);
    ck_assert_int_eq(pms_keystore_rewrap(after, &rewrapped, &failed), 0);
    ck_assert_int_eq(rewrapped, 0); /* nothing left under an old key */
    pms_keystore_free(after);
    stored_key_id("hotel_k1", id, sizeof id);
    ck_assert_str_eq(id, "k2");

    /* the old key can now leave the ring */
    pms_keystore_t *later = pms_keystore_new_ring(pool, &only_new, 0);
    ck_assert_int_eq(pms_keystore_lookup(later, "cloudbeds", "hotel_k1", key, sizeof key), 0);
    ck_assert_str_eq(key, "cbk_rotated_one");
    ck_assert_int_eq(pms_keystore_lookup(later, "cloudbeds", "hotel_k2", key, sizeof key), 0);
    ck_assert_str_eq(key, "cbk_legacy_two");
    pms_keystore_free(later);
    pms_keyring_wipe(&old_ring);
    pms_keyring_wipe(&new_ring);
    pms_keyring_wipe(&only_new);
}
END_TEST

static bool vendor_is(pms_keystore_t *ks, const char *hotel, const char *want)
{
    char v[32];
    return pms_keystore_vendor(ks, hotel, v, sizeof v) == 0 && strcmp(v, want) == 0;
}

START_TEST(test_a_hotel_without_a_row_is_remembered_briefly)
{
    pms_keystore_t *ks = pms_keystore_new(pool, aes, 600000);
    char v[32];
    ck_assert_int_eq(pms_keystore_vendor(ks, "hotel_k1", v, sizeof v), -1);
    store_key("hotel_k1", "cbk_new_hotel");
    /* the answer "no row" is remembered: no query per PMS request */
    ck_assert_int_eq(pms_keystore_vendor(ks, "hotel_k1", v, sizeof v), -1);
    pms_keystore_forget(ks, "cloudbeds", "hotel_k1"); /* what a save in this process does */
    ck_assert(vendor_is(ks, "hotel_k1", "cloudbeds"));
    pms_keystore_free(ks);

    /* and only briefly: a hotel onboarded by another process is found */
    ks = pms_keystore_new(pool, aes, 300);
    ck_assert_int_eq(pms_keystore_vendor(ks, "hotel_k2", v, sizeof v), -1);
    store_key("hotel_k2", "cbk_other");
    ck_assert(TS_POLL_UNTIL(vendor_is(ks, "hotel_k2", "cloudbeds"), 5000));
    pms_keystore_free(ks);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pms_keys");
    TCase *tc = tcase_create("keystore");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_key_from_the_database_and_env_wins);
    tcase_add_test(tc, test_cache_and_forget);
    tcase_add_test(tc, test_a_hotel_without_a_row_is_remembered_briefly);
    tcase_add_test(tc, test_a_blob_moved_to_another_row_or_a_wrong_key_does_not_decrypt);
    tcase_add_test(tc, test_presence_tells_a_configured_hotel_from_an_unknown_one);
    tcase_add_test(tc, test_key_ring_parsing_names_what_is_wrong);
    tcase_add_test(tc, test_rotation_reads_old_rows_and_rewraps_them);
    suite_add_tcase(s, tc);
    return check_run(s);
}
