/*
 * pms_keys.h — where the PMS connector finds a hotel's API key: the
 * environment first (PMS_<hotelId>_API_KEY, the brief's convention), then the
 * hotel's row in pms_config, whose api_key_enc column holds the key encrypted
 * with AES-256-GCM under PMS_CONFIG_ENCRYPTION_KEY (a secret is never stored
 * in plain text). The ciphertext is bound to its row: the additional
 * authenticated data is "pms_config:<vendor>:<hotelId>", so a blob copied into
 * another hotel's row does not decrypt.
 *
 * Usage:
 *     pms_keystore_t *ks = pms_keystore_new(pool, aes_key, 60000);
 *     cfg.key_fn = pms_keystore_lookup; cfg.key_ctx = ks;     // pms_config_t
 *     ...  // admin save:
 *     pms_keystore_encrypt(aes_key, "cloudbeds", "hotel_123", api_key, &blob, &blob_len);
 *
 * Decrypted keys are cached in memory for cache_ms (so a read-heavy service
 * does not hit MariaDB per PMS call) and wiped when evicted or freed; they are
 * never logged. Thread-safety: lookup is thread-safe. Ownership: the pool is
 * borrowed; the AES key is copied.
 */
#ifndef COMMON_PMS_KEYS_H
#define COMMON_PMS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "common/db.h"

typedef struct pms_keystore pms_keystore_t;

/* pool may be NULL (environment only). cache_ms <= 0 disables the cache. */
pms_keystore_t *pms_keystore_new(db_pool_t *pool, const uint8_t aes_key[CRYPTO_AES_KEY_LEN],
                                 int64_t cache_ms);
void pms_keystore_free(pms_keystore_t *ks);

/* A pms_key_fn: 0 and the key, or -1 when neither place has one (or the
 * stored one does not decrypt — logged, without the key, as an error). */
int pms_keystore_lookup(void *ks, const char *vendor, const char *hotel_id, char *out,
                        size_t out_size);

/* Whether a hotel has a key at all, for telling an unknown hotel from a
 * failing PMS before any call is made. */
typedef enum {
    PMS_KEY_LOOKUP_FAILED = -1, /* MariaDB did not answer: cannot tell now */
    PMS_KEY_NONE = 0,           /* neither the environment nor pms_config has one */
    PMS_KEY_CONFIGURED = 1,     /* in the environment or a pms_config row (not decrypted here) */
} pms_key_presence_t;

/* Looks in the same places as pms_keystore_lookup. ks may be NULL
 * (environment only). Nothing is decrypted; no key is returned. */
pms_key_presence_t pms_keystore_presence(pms_keystore_t *ks, const char *vendor,
                                         const char *hotel_id);

/* A pms_vendor_fn (pms.h): the hotel's vendor from the environment
 * (PMS_<hotelId>_VENDOR), then its pms_config row (cached like keys). ks may
 * be NULL (environment only). 0, or -1 when neither says. */
int pms_keystore_vendor(void *ks, const char *hotel_id, char *out, size_t out_size);

/* Forgets a hotel's cached key (after the admin changed it). */
void pms_keystore_forget(pms_keystore_t *ks, const char *vendor, const char *hotel_id);

/* Encrypts an API key for pms_config.api_key_enc. 0, or -1. *blob is malloc'd. */
int pms_keystore_encrypt(const uint8_t aes_key[CRYPTO_AES_KEY_LEN], const char *vendor,
                         const char *hotel_id, const char *api_key, uint8_t **blob,
                         size_t *blob_len);

#endif /* COMMON_PMS_KEYS_H */
