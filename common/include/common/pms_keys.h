/*
 * pms_keys.h — where the PMS connector finds a hotel's API key: the
 * environment first (PMS_<hotelId>_API_KEY, the brief's convention), then the
 * hotel's row in pms_config, whose api_key_enc column holds the key encrypted
 * with AES-256-GCM under a data key of the key ring (a secret is never stored
 * in plain text). The ciphertext is bound to its row: the additional
 * authenticated data is "pms_config:<vendor>:<hotelId>", so a blob copied into
 * another hotel's row does not decrypt.
 *
 * The key ring (PMS_CONFIG_ENCRYPTION_KEYS="<id>:<key>[,<id>:<key>...]", each
 * key 32 bytes as base64 or 64 hex characters; the first one, or the one
 * PMS_CONFIG_ENCRYPTION_KEY_ID names, is active) lets the data key rotate:
 * new keys are written under the active key with its id in
 * pms_config.api_key_key_id, older rows are read with the key their id names
 * and re-encrypted under the active key by pms_keystore_rewrap. The older
 * single-key PMS_CONFIG_ENCRYPTION_KEY is the ring's key "default".
 *
 * Usage:
 *     pms_keyring_t ring;
 *     if (pms_keyring_from_config(cfg, &ring)) ks = pms_keystore_new_ring(pool, &ring, 60000);
 *     pms_keyring_wipe(&ring);
 *     cfg.key_fn = pms_keystore_lookup; cfg.key_ctx = ks;     // pms_config_t
 *     ...  // admin save:
 *     pms_keystore_seal(ks, "cloudbeds", "hotel_123", api_key, &blob, &blob_len, key_id);
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

#include "common/config.h"

typedef struct pms_keystore pms_keystore_t;

#define PMS_KEYRING_MAX 8
#define PMS_KEY_ID_MAX 32
#define PMS_KEYRING_LEGACY_ID "default"

/* Data keys by id; keys[0] is the active one (it encrypts). */
typedef struct pms_keyring {
    size_t count;
    char ids[PMS_KEYRING_MAX][PMS_KEY_ID_MAX + 1];
    uint8_t keys[PMS_KEYRING_MAX][CRYPTO_AES_KEY_LEN];
} pms_keyring_t;

/* Parses "<id>:<key>[,...]" (ids [A-Za-z0-9_.-], 1..32 characters, each
 * once). 0, or -1 and a reason that never contains key material. */
int pms_keyring_parse(const char *text, pms_keyring_t *out, char *err, size_t err_size);
/* Reads PMS_CONFIG_ENCRYPTION_KEYS, PMS_CONFIG_ENCRYPTION_KEY_ID and the older
 * PMS_CONFIG_ENCRYPTION_KEY into *out; malformed values are config errors.
 * Returns whether any key is configured. */
bool pms_keyring_from_config(config_t *cfg, pms_keyring_t *out);
/* A ring of one key with id PMS_KEYRING_LEGACY_ID. */
void pms_keyring_single(const uint8_t key[CRYPTO_AES_KEY_LEN], pms_keyring_t *out);
void pms_keyring_wipe(pms_keyring_t *ring);

/* pool may be NULL (environment only). cache_ms <= 0 disables the cache. */
pms_keystore_t *pms_keystore_new(db_pool_t *pool, const uint8_t aes_key[CRYPTO_AES_KEY_LEN],
                                 int64_t cache_ms);
/* The same with a key ring (copied; ring may be NULL or empty: no stored
 * keys are read and none can be sealed). */
pms_keystore_t *pms_keystore_new_ring(db_pool_t *pool, const pms_keyring_t *ring, int64_t cache_ms);
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

/* Forgets a hotel's cached key (after the admin changed it). */
void pms_keystore_forget(pms_keystore_t *ks, const char *vendor, const char *hotel_id);

/* Whether the store has a data key to seal new API keys with. */
bool pms_keystore_can_seal(const pms_keystore_t *ks);
/* Encrypts an API key for pms_config under the active data key: the blob for
 * api_key_enc (malloc'd) and that key's id for api_key_key_id (copied into
 * key_id). 0, or -1 (no key ring, or the key is empty or too long). */
int pms_keystore_seal(const pms_keystore_t *ks, const char *vendor, const char *hotel_id,
                      const char *api_key, uint8_t **blob, size_t *blob_len,
                      char key_id[PMS_KEY_ID_MAX + 1]);
/* Re-encrypts every stored key that is not under the active data key (after
 * a rotation). Rows whose key does not decrypt with any key of the ring are
 * left as they are and counted in *failed. 0 (with *rewrapped), or -1 when
 * the database could not be read. */
int pms_keystore_rewrap(pms_keystore_t *ks, int *rewrapped, int *failed);

/* Encrypts an API key for pms_config.api_key_enc. 0, or -1. *blob is malloc'd. */
int pms_keystore_encrypt(const uint8_t aes_key[CRYPTO_AES_KEY_LEN], const char *vendor,
                         const char *hotel_id, const char *api_key, uint8_t **blob,
                         size_t *blob_len);

#endif /* COMMON_PMS_KEYS_H */
