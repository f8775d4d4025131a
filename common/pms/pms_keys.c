/*
 * pms_keys.c — see pms_keys.h.
 */
#include "common/pms_keys.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/pms.h"

#define KEY_MAX 512

/* A hotel's vendor is cached as an entry of the pseudo-vendor VENDOR_TAG
 * whose "key" is the vendor's name; a hotel with no pms_config row as an
 * entry of NO_VENDOR_TAG, for at most NO_VENDOR_CACHE_MS. Without it every
 * PMS request for an environment-configured hotel (each step of a checkout)
 * asked the database again; kept short because a hotel onboarded meanwhile
 * should reach its own vendor within seconds. */
#define VENDOR_TAG "@vendor"
#define NO_VENDOR_TAG "@novendor"
#define NO_VENDOR_CACHE_MS 10000

typedef struct cached_key {
    char vendor[32];
    char hotel_id[PMS_ID_MAX];
    char key[KEY_MAX];
    int64_t at_ms;
    struct cached_key *next;
} cached_key_t;

struct pms_keystore {
    db_pool_t *pool;
    pms_keyring_t ring;
    int64_t cache_ms;
    pthread_mutex_t mu;
    cached_key_t *cache;
};

/* ------------------------------------------------------------ key ring -- */

static bool key_id_valid(const char *id, size_t len)
{
    if (len == 0 || len > PMS_KEY_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)id[i]) && !strchr("_.-", id[i]))
            return false;
    return true;
}

static int ring_find(const pms_keyring_t *ring, const char *id)
{
    for (size_t i = 0; ring && id && i < ring->count; i++)
        if (strcmp(ring->ids[i], id) == 0)
            return (int)i;
    return -1;
}

int pms_keyring_parse(const char *text, pms_keyring_t *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    const char *p = text ? text : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        char id[PMS_KEY_ID_MAX + 1], key_text[256];
        size_t id_len = colon ? (size_t)(colon - p) : 0;
        size_t key_len = colon ? len - id_len - 1 : 0;
        if (!colon || !key_id_valid(p, id_len) || key_len == 0 || key_len >= sizeof key_text) {
            snprintf(err, err_size,
                     "entry %zu is not <id>:<key> with an id of 1-32 of "
                     "[A-Za-z0-9_.-]",
                     out->count + 1);
            goto fail;
        }
        memcpy(id, p, id_len);
        id[id_len] = '\0';
        if (out->count == PMS_KEYRING_MAX || ring_find(out, id) >= 0) {
            snprintf(err, err_size, "%s",
                     out->count == PMS_KEYRING_MAX ? "more than 8 keys" : "a key id appears twice");
            goto fail;
        }
        memcpy(key_text, colon + 1, key_len);
        key_text[key_len] = '\0';
        char why[128];
        int rc = crypto_key_from_text(key_text, out->keys[out->count], why, sizeof why);
        crypto_wipe(key_text, sizeof key_text);
        if (rc != 0) {
            snprintf(err, err_size, "key %s: %s", id, why);
            goto fail;
        }
        snprintf(out->ids[out->count++], sizeof out->ids[0], "%s", id);
        p += len;
        if (*p == ',')
            p++;
    }
    if (out->count == 0) {
        snprintf(err, err_size, "no key given");
        return -1;
    }
    return 0;
fail:
    pms_keyring_wipe(out);
    return -1;
}

void pms_keyring_single(const uint8_t key[CRYPTO_AES_KEY_LEN], pms_keyring_t *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->keys[0], key, CRYPTO_AES_KEY_LEN);
    snprintf(out->ids[0], sizeof out->ids[0], "%s", PMS_KEYRING_LEGACY_ID);
    out->count = 1;
}

void pms_keyring_wipe(pms_keyring_t *ring)
{
    crypto_wipe(ring, sizeof *ring);
    ring->count = 0;
}

/* Moves the key `id` to the front (the active one). 0, or -1 when absent. */
static int ring_activate(pms_keyring_t *ring, const char *id)
{
    int i = ring_find(ring, id);
    if (i < 0)
        return -1;
    for (; i > 0; i--) {
        char tid[PMS_KEY_ID_MAX + 1];
        uint8_t tkey[CRYPTO_AES_KEY_LEN];
        memcpy(tid, ring->ids[i - 1], sizeof tid);
        memcpy(tkey, ring->keys[i - 1], sizeof tkey);
        memcpy(ring->ids[i - 1], ring->ids[i], sizeof tid);
        memcpy(ring->keys[i - 1], ring->keys[i], sizeof tkey);
        memcpy(ring->ids[i], tid, sizeof tid);
        memcpy(ring->keys[i], tkey, sizeof tkey);
        crypto_wipe(tkey, sizeof tkey);
    }
    return 0;
}

bool pms_keyring_from_config(config_t *cfg, pms_keyring_t *out)
{
    memset(out, 0, sizeof *out);
    const char *ring_text = config_get_str(cfg, "PMS_CONFIG_ENCRYPTION_KEYS", NULL);
    const char *legacy = config_get_str(cfg, "PMS_CONFIG_ENCRYPTION_KEY", NULL);
    const char *active = config_get_str(cfg, "PMS_CONFIG_ENCRYPTION_KEY_ID", NULL);
    char err[160];
    if (ring_text && *ring_text && pms_keyring_parse(ring_text, out, err, sizeof err) != 0) {
        config_add_error(cfg, "PMS_CONFIG_ENCRYPTION_KEYS", err);
        return false;
    }
    if (legacy && *legacy && ring_find(out, PMS_KEYRING_LEGACY_ID) < 0) {
        if (out->count == PMS_KEYRING_MAX) {
            config_add_error(cfg, "PMS_CONFIG_ENCRYPTION_KEY", "the key ring is full");
        } else if (crypto_key_from_env("PMS_CONFIG_ENCRYPTION_KEY", out->keys[out->count], err,
                                       sizeof err) != 0) {
            config_add_error(cfg, "PMS_CONFIG_ENCRYPTION_KEY", err);
        } else {
            snprintf(out->ids[out->count++], sizeof out->ids[0], "%s", PMS_KEYRING_LEGACY_ID);
        }
    }
    if (active && *active && ring_activate(out, active) != 0)
        config_add_error(cfg, "PMS_CONFIG_ENCRYPTION_KEY_ID",
                         "names no key of PMS_CONFIG_ENCRYPTION_KEYS");
    return out->count > 0;
}

/* ------------------------------------------------------------ keystore -- */

pms_keystore_t *pms_keystore_new_ring(db_pool_t *pool, const pms_keyring_t *ring, int64_t cache_ms)
{
    pms_keystore_t *ks = calloc(1, sizeof *ks);
    if (!ks)
        return NULL;
    ks->pool = pool;
    if (ring)
        ks->ring = *ring;
    ks->cache_ms = cache_ms;
    pthread_mutex_init(&ks->mu, NULL);
    return ks;
}

pms_keystore_t *pms_keystore_new(db_pool_t *pool, const uint8_t aes_key[CRYPTO_AES_KEY_LEN],
                                 int64_t cache_ms)
{
    pms_keyring_t ring = {0};
    if (aes_key)
        pms_keyring_single(aes_key, &ring);
    pms_keystore_t *ks = pms_keystore_new_ring(pool, &ring, cache_ms);
    pms_keyring_wipe(&ring);
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
    pms_keyring_wipe(&ks->ring);
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
        /* the hotel's vendor too: a save may have made or changed it */
        bool of_hotel = strcmp(k->vendor, vendor) == 0 || strcmp(k->vendor, VENDOR_TAG) == 0 ||
                        strcmp(k->vendor, NO_VENDOR_TAG) == 0;
        if (of_hotel && strcmp(k->hotel_id, hotel_id) == 0) {
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

/* Caches an entry for ttl_ms (at most the keystore's cache_ms): it is
 * stamped as if written earlier, so the one expiry rule applies. */
static void to_cache_for(pms_keystore_t *ks, const char *vendor, const char *hotel_id,
                         const char *key, int64_t ttl_ms)
{
    cached_key_t *k = calloc(1, sizeof *k);
    if (!k)
        return;
    snprintf(k->vendor, sizeof k->vendor, "%s", vendor);
    snprintf(k->hotel_id, sizeof k->hotel_id, "%s", hotel_id);
    snprintf(k->key, sizeof k->key, "%s", key);
    k->at_ms = clock_now_ms() - (ks->cache_ms - ttl_ms);
    pthread_mutex_lock(&ks->mu);
    k->next = ks->cache;
    ks->cache = k;
    pthread_mutex_unlock(&ks->mu);
}

static void to_cache(pms_keystore_t *ks, const char *vendor, const char *hotel_id, const char *key)
{
    to_cache_for(ks, vendor, hotel_id, key, ks->cache_ms);
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

/* Decrypts a stored blob with the key its id names, or (no id, or an id
 * the ring lacks: rows written before ids) each key of the ring in turn.
 * 0 and the plain key in out, or -1. *used (may be NULL) = the key's index. */
static int open_blob(const pms_keyring_t *ring, const char *vendor, const char *hotel_id,
                     const void *blob, size_t len, const char *key_id, char *out, size_t out_size,
                     int *used)
{
    char aad[128];
    aad_of(vendor, hotel_id, aad, sizeof aad);
    int named = ring_find(ring, key_id);
    for (size_t i = 0; i < ring->count; i++) {
        size_t k = named >= 0 ? (size_t)named : i;
        uint8_t *plain = NULL;
        size_t plain_len = 0;
        if (crypto_decrypt(ring->keys[k], blob, len, aad, strlen(aad), &plain, &plain_len) == 0) {
            int rc = -1;
            if (plain_len > 0 && plain_len < out_size && !memchr(plain, '\0', plain_len)) {
                memcpy(out, plain, plain_len);
                out[plain_len] = '\0';
                rc = 0;
                if (used)
                    *used = (int)k;
            }
            crypto_wipe(plain, plain_len);
            free(plain);
            return rc;
        }
        if (named >= 0)
            break;
    }
    return -1;
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
    if (db_query(db,
                 "SELECT api_key_enc, api_key_key_id FROM pms_config WHERE vendor = ? AND "
                 "hotel_id = ?",
                 params, 2, &res) == DB_OK &&
        db_result_rows(res) == 1) {
        size_t len = 0;
        const void *blob = db_result_bytes(res, 0, 0, &len);
        if (blob && len > 0) {
            rc = open_blob(&ks->ring, vendor, hotel_id, blob, len, db_result_text(res, 0, 1), out,
                           out_size, NULL);
            if (rc != 0)
                log_kv(LOG_LEVEL_ERROR, "stored PMS API key does not decrypt", "vendor", vendor,
                       "hotelId", hotel_id, "hint", "check PMS_CONFIG_ENCRYPTION_KEYS", NULL);
        }
    }
    db_result_free(res);
    db_pool_release(ks->pool, db);
    return rc;
}

bool pms_keystore_can_seal(const pms_keystore_t *ks)
{
    return ks && ks->ring.count > 0;
}

int pms_keystore_seal(const pms_keystore_t *ks, const char *vendor, const char *hotel_id,
                      const char *api_key, uint8_t **blob, size_t *blob_len,
                      char key_id[PMS_KEY_ID_MAX + 1])
{
    if (!pms_keystore_can_seal(ks) ||
        pms_keystore_encrypt(ks->ring.keys[0], vendor, hotel_id, api_key, blob, blob_len) != 0)
        return -1;
    snprintf(key_id, PMS_KEY_ID_MAX + 1, "%s", ks->ring.ids[0]);
    return 0;
}

/* Re-encrypts one row under the active key, unless another writer changed
 * the row meanwhile (the old blob is part of the condition). 1 rewrapped,
 * 0 left alone, -1 does not decrypt. */
static int rewrap_row(pms_keystore_t *ks, db_t *db, const db_result_t *res, size_t row)
{
    const char *id = db_result_text(res, row, 0);
    const char *vendor = db_result_text(res, row, 1), *hotel = db_result_text(res, row, 2);
    size_t len = 0;
    const void *blob = db_result_bytes(res, row, 3, &len);
    char plain[KEY_MAX];
    int used = -1;
    if (open_blob(&ks->ring, vendor, hotel, blob, len, db_result_text(res, row, 4), plain,
                  sizeof plain, &used) != 0)
        return -1;
    uint8_t *fresh = NULL;
    size_t fresh_len = 0;
    char key_id[PMS_KEY_ID_MAX + 1];
    int rc = pms_keystore_seal(ks, vendor, hotel, plain, &fresh, &fresh_len, key_id);
    crypto_wipe(plain, sizeof plain);
    if (rc != 0)
        return 0;
    db_param_t p[] = {DB_BLOB(fresh, fresh_len), DB_STR(key_id), DB_STR(id), DB_BLOB(blob, len)};
    uint64_t affected = 0;
    db_err_t e = db_exec(db,
                         "UPDATE pms_config SET api_key_enc = ?, api_key_key_id = ? WHERE id = ? "
                         "AND api_key_enc = ?",
                         p, 4, &affected, NULL);
    free(fresh);
    return e == DB_OK && affected == 1 ? 1 : 0;
}

int pms_keystore_rewrap(pms_keystore_t *ks, int *rewrapped, int *failed)
{
    *rewrapped = *failed = 0;
    if (!pms_keystore_can_seal(ks) || !ks->pool)
        return 0;
    db_t *db = db_pool_acquire(ks->pool);
    if (!db)
        return -1;
    db_param_t p[] = {DB_STR(ks->ring.ids[0])};
    db_result_t *res = NULL;
    int rc = -1;
    if (db_query(db,
                 "SELECT id, vendor, hotel_id, api_key_enc, api_key_key_id FROM pms_config "
                 "WHERE api_key_enc IS NOT NULL AND (api_key_key_id IS NULL OR "
                 "api_key_key_id <> ?)",
                 p, 1, &res) == DB_OK) {
        rc = 0;
        for (size_t i = 0; i < db_result_rows(res); i++) {
            int r = rewrap_row(ks, db, res, i);
            if (r > 0)
                (*rewrapped)++;
            else if (r < 0)
                (*failed)++;
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


int pms_keystore_vendor(void *ctx, const char *hotel_id, char *out, size_t out_size)
{
    pms_keystore_t *ks = ctx;
    if (pms_vendor_from_env(NULL, hotel_id, out, out_size) == 0)
        return 0;
    if (!ks || !ks->pool)
        return -1;
    char none[2];
    if (ks->cache_ms > 0 && from_cache(ks, VENDOR_TAG, hotel_id, out, out_size))
        return 0;
    if (ks->cache_ms > 0 && from_cache(ks, NO_VENDOR_TAG, hotel_id, none, sizeof none))
        return -1;
    db_t *db = db_pool_acquire(ks->pool);
    if (!db)
        return -1;
    db_param_t params[] = {DB_STR(hotel_id)};
    db_result_t *res = NULL;
    int rc = -1;
    bool absent = false;
    /* one row per hotel in practice; the oldest wins if an operator made two */
    if (db_query(db, "SELECT vendor FROM pms_config WHERE hotel_id = ? ORDER BY id LIMIT 1",
                 params, 1, &res) == DB_OK &&
        db_result_rows(res) == 1) {
        const char *v = db_result_text(res, 0, 0);
        if (v && *v && strlen(v) < out_size) {
            snprintf(out, out_size, "%s", v);
            rc = 0;
        }
    } else if (res) {
        absent = db_result_rows(res) == 0; /* asked and answered: no row */
    }
    db_result_free(res);
    db_pool_release(ks->pool, db);
    if (rc == 0 && ks->cache_ms > 0)
        to_cache(ks, VENDOR_TAG, hotel_id, out);
    if (absent && ks->cache_ms > 0)
        to_cache_for(ks, NO_VENDOR_TAG, hotel_id, "-",
                     ks->cache_ms < NO_VENDOR_CACHE_MS ? ks->cache_ms : NO_VENDOR_CACHE_MS);
    return rc;
}
