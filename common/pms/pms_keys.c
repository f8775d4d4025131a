/*
 * pms_keys.c — see pms_keys.h.
 */
#include "common/pms_keys.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/pms.h"

#define KEY_MAX 512

typedef struct cached_key {
    char vendor[32];
    char hotel_id[PMS_ID_MAX];
    char key[KEY_MAX];
    int64_t at_ms;
    struct cached_key *next;
} cached_key_t;

struct pms_keystore {
    db_pool_t *pool;
    uint8_t aes_key[CRYPTO_AES_KEY_LEN];
    int64_t cache_ms;
    pthread_mutex_t mu;
    cached_key_t *cache;
};

pms_keystore_t *pms_keystore_new(db_pool_t *pool, const uint8_t aes_key[CRYPTO_AES_KEY_LEN],
                                 int64_t cache_ms)
{
    pms_keystore_t *ks = calloc(1, sizeof *ks);
    if (!ks)
        return NULL;
    ks->pool = pool;
    if (aes_key)
        memcpy(ks->aes_key, aes_key, sizeof ks->aes_key);
    ks->cache_ms = cache_ms;
    pthread_mutex_init(&ks->mu, NULL);
    return ks;
}

static void drop(cached_key_t *k)
{
    crypto_wipe(k->key, sizeof k->key);
    free(k);
}

void pms_keystore_free(pms_keystore_t *ks)
{
    if (!ks)
        return;
    for (cached_key_t *k = ks->cache, *next; k; k = next) {
        next = k->next;
        drop(k);
    }
    crypto_wipe(ks->aes_key, sizeof ks->aes_key);
    pthread_mutex_destroy(&ks->mu);
    free(ks);
}

static void aad_of(const char *vendor, const char *hotel_id, char *out, size_t size)
{
    snprintf(out, size, "pms_config:%s:%s", vendor, hotel_id);
}

int pms_keystore_encrypt(const uint8_t aes_key[CRYPTO_AES_KEY_LEN], const char *vendor,
                         const char *hotel_id, const char *api_key, uint8_t **blob,
                         size_t *blob_len)
{
    if (!api_key || !*api_key || strlen(api_key) >= KEY_MAX)
        return -1;
    char aad[128];
    aad_of(vendor, hotel_id, aad, sizeof aad);
    return crypto_encrypt(aes_key, api_key, strlen(api_key), aad, strlen(aad), blob, blob_len);
}

void pms_keystore_forget(pms_keystore_t *ks, const char *vendor, const char *hotel_id)
{
    pthread_mutex_lock(&ks->mu);
    for (cached_key_t **p = &ks->cache; *p;) {
        cached_key_t *k = *p;
        if (strcmp(k->vendor, vendor) == 0 && strcmp(k->hotel_id, hotel_id) == 0) {
            *p = k->next;
            drop(k);
        } else {
            p = &k->next;
        }
    }
    pthread_mutex_unlock(&ks->mu);
}

static bool from_cache(pms_keystore_t *ks, const char *vendor, const char *hotel_id, char *out,
                       size_t out_size)
{
    bool hit = false;
    int64_t now = clock_now_ms();
    pthread_mutex_lock(&ks->mu);
    for (cached_key_t **p = &ks->cache; *p;) {
        cached_key_t *k = *p;
        if (now - k->at_ms >= ks->cache_ms) { /* expired: evict on the way */
            *p = k->next;
            drop(k);
            continue;
        }
        /* an entry with no key only says the hotel has a pms_config row */
        if (k->key[0] && strcmp(k->vendor, vendor) == 0 && strcmp(k->hotel_id, hotel_id) == 0 &&
            strlen(k->key) < out_size) {
            snprintf(out, out_size, "%s", k->key);
            hit = true;
        }
        p = &k->next;
    }
    pthread_mutex_unlock(&ks->mu);
    return hit;
}

static void to_cache(pms_keystore_t *ks, const char *vendor, const char *hotel_id, const char *key)
{
    cached_key_t *k = calloc(1, sizeof *k);
    if (!k)
        return;
    snprintf(k->vendor, sizeof k->vendor, "%s", vendor);
    snprintf(k->hotel_id, sizeof k->hotel_id, "%s", hotel_id);
    snprintf(k->key, sizeof k->key, "%s", key);
    k->at_ms = clock_now_ms();
    pthread_mutex_lock(&ks->mu);
    k->next = ks->cache;
    ks->cache = k;
    pthread_mutex_unlock(&ks->mu);
}

/* Whether an unexpired entry (a key, or only the row's presence) is cached. */
static bool presence_cached(pms_keystore_t *ks, const char *vendor, const char *hotel_id)
{
    bool hit = false;
    int64_t now = clock_now_ms();
    pthread_mutex_lock(&ks->mu);
    for (cached_key_t *k = ks->cache; k && !hit; k = k->next)
        hit = now - k->at_ms < ks->cache_ms && strcmp(k->vendor, vendor) == 0 &&
              strcmp(k->hotel_id, hotel_id) == 0;
    pthread_mutex_unlock(&ks->mu);
    return hit;
}

/* The key from pms_config, decrypted; 0 or -1. */
static int from_db(pms_keystore_t *ks, const char *vendor, const char *hotel_id, char *out,
                   size_t out_size)
{
    db_t *db = db_pool_acquire(ks->pool);
    if (!db)
        return -1;
    db_param_t params[] = {DB_STR(vendor), DB_STR(hotel_id)};
    db_result_t *res = NULL;
    int rc = -1;
    if (db_query(db, "SELECT api_key_enc FROM pms_config WHERE vendor = ? AND hotel_id = ?", params,
                 2, &res) == DB_OK &&
        db_result_rows(res) == 1) {
        size_t len = 0;
        const void *blob = db_result_bytes(res, 0, 0, &len);
        char aad[128];
        aad_of(vendor, hotel_id, aad, sizeof aad);
        uint8_t *plain = NULL;
        size_t plain_len = 0;
        if (blob && len > 0 &&
            crypto_decrypt(ks->aes_key, blob, len, aad, strlen(aad), &plain, &plain_len) == 0) {
            if (plain_len > 0 && plain_len < out_size && !memchr(plain, '\0', plain_len)) {
                memcpy(out, plain, plain_len);
                out[plain_len] = '\0';
                rc = 0;
            }
            crypto_wipe(plain, plain_len);
            free(plain);
        } else if (blob && len > 0) {
            log_kv(LOG_LEVEL_ERROR, "stored PMS API key does not decrypt", "vendor", vendor,
                   "hotelId", hotel_id, "hint", "check PMS_CONFIG_ENCRYPTION_KEY", NULL);
        }
    }
    db_result_free(res);
    db_pool_release(ks->pool, db);
    return rc;
}

int pms_keystore_lookup(void *ctx, const char *vendor, const char *hotel_id, char *out,
                        size_t out_size)
{
    pms_keystore_t *ks = ctx;
    if (pms_key_from_env(NULL, vendor, hotel_id, out, out_size) == 0)
        return 0;
    if (!ks || !ks->pool)
        return -1;
    if (ks->cache_ms > 0 && from_cache(ks, vendor, hotel_id, out, out_size))
        return 0;
    if (from_db(ks, vendor, hotel_id, out, out_size) != 0)
        return -1;
    if (ks->cache_ms > 0)
        to_cache(ks, vendor, hotel_id, out);
    return 0;
}

pms_key_presence_t pms_keystore_presence(pms_keystore_t *ks, const char *vendor,
                                         const char *hotel_id)
{
    char key[KEY_MAX];
    /* every cache-first read asks this: a hotel known once is known for the
     * cache's lifetime, not one more database query per read */
    bool found = pms_key_from_env(NULL, vendor, hotel_id, key, sizeof key) == 0 ||
                 (ks && ks->pool && ks->cache_ms > 0 && presence_cached(ks, vendor, hotel_id));
    crypto_wipe(key, sizeof key);
    if (found)
        return PMS_KEY_CONFIGURED;
    if (!ks || !ks->pool)
        return PMS_KEY_NONE;
    db_t *db = db_pool_acquire(ks->pool);
    if (!db)
        return PMS_KEY_LOOKUP_FAILED;
    db_param_t params[] = {DB_STR(vendor), DB_STR(hotel_id)};
    db_result_t *res = NULL;
    pms_key_presence_t p = PMS_KEY_LOOKUP_FAILED;
    if (db_query(db, "SELECT 1 FROM pms_config WHERE vendor = ? AND hotel_id = ?", params, 2,
                 &res) == DB_OK)
        p = db_result_rows(res) > 0 ? PMS_KEY_CONFIGURED : PMS_KEY_NONE;
    db_result_free(res);
    db_pool_release(ks->pool, db);
    if (p == PMS_KEY_CONFIGURED && ks->cache_ms > 0)
        to_cache(ks, vendor, hotel_id, "");
    return p;
}

/* A hotel's vendor is cached as an entry of the pseudo-vendor VENDOR_TAG
 * whose "key" is the vendor's name. */
#define VENDOR_TAG "@vendor"

int pms_keystore_vendor(void *ctx, const char *hotel_id, char *out, size_t out_size)
{
    pms_keystore_t *ks = ctx;
    if (pms_vendor_from_env(NULL, hotel_id, out, out_size) == 0)
        return 0;
    if (!ks || !ks->pool)
        return -1;
    if (ks->cache_ms > 0 && from_cache(ks, VENDOR_TAG, hotel_id, out, out_size))
        return 0;
    db_t *db = db_pool_acquire(ks->pool);
    if (!db)
        return -1;
    db_param_t params[] = {DB_STR(hotel_id)};
    db_result_t *res = NULL;
    int rc = -1;
    /* one row per hotel in practice; the oldest wins if an operator made two */
    if (db_query(db, "SELECT vendor FROM pms_config WHERE hotel_id = ? ORDER BY id LIMIT 1",
                 params, 1, &res) == DB_OK &&
        db_result_rows(res) == 1) {
        const char *v = db_result_text(res, 0, 0);
        if (v && *v && strlen(v) < out_size) {
            snprintf(out, out_size, "%s", v);
            rc = 0;
        }
    }
    db_result_free(res);
    db_pool_release(ks->pool, db);
    if (rc == 0 && ks->cache_ms > 0)
        to_cache(ks, VENDOR_TAG, hotel_id, out);
    return rc;
}
