/*
 * crypto.h — the cryptography the platform needs, on OpenSSL 3 EVP APIs:
 * HMAC-SHA256 (webhook signatures), constant-time comparison,
 * AES-256-GCM for secrets at rest (PMS API keys, guest data),
 * SHA-256, base64, and random ids.
 *
 * Usage:
 *     char sig[CRYPTO_SHA256_HEX_LEN + 1];
 *     crypto_hmac_sha256_hex(secret, secret_len, body, body_len, sig);
 *     bool ok = crypto_equal_constant_time(sig, 64, given, given_len);
 *     uint8_t key[CRYPTO_AES_KEY_LEN]; crypto_key_from_text(env_key, key, err, sizeof err);
 *     crypto_encrypt(key, pt, pt_len, aad, aad_len, &blob, &blob_len); ... free(blob);
 *
 * Encrypted blob format (self-contained, versioned):
 *     'v' '1' | 12-byte random nonce | ciphertext (same length as plaintext) | 16-byte GCM tag
 * The AAD (e.g. "pms_config:cloudbeds:hotel_123") binds a blob to its row, so a
 * blob copied to another row does not decrypt.
 *
 * Thread-safety: all functions are thread-safe. Ownership: *out buffers are
 * malloc'd and owned by the caller; decrypted secrets should be wiped with
 * crypto_wipe() before free.
 */
#ifndef COMMON_CRYPTO_H
#define COMMON_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_SHA256_HEX_LEN 64
#define CRYPTO_AES_KEY_LEN 32
#define CRYPTO_GCM_NONCE_LEN 12
#define CRYPTO_GCM_TAG_LEN 16
#define CRYPTO_BLOB_OVERHEAD (2 + CRYPTO_GCM_NONCE_LEN + CRYPTO_GCM_TAG_LEN)
#define CRYPTO_UUID_LEN 36

int crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t data_len,
                       uint8_t out[CRYPTO_SHA256_LEN]);
/* Lower-case hex, NUL-terminated (65 bytes). */
int crypto_hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t data_len,
                           char out[CRYPTO_SHA256_HEX_LEN + 1]);
int crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN + 1]);

/* Equal length and equal bytes, in time independent of the content. */
bool crypto_equal_constant_time(const void *a, size_t a_len, const void *b, size_t b_len);

/* Parses a 32-byte key given as 64 hex chars or base64. 0, or -1 + reason. */
int crypto_key_from_text(const char *text, uint8_t key[CRYPTO_AES_KEY_LEN], char *err,
                         size_t err_size);

/* Reads the key from environment variable `name` (e.g. PMS_CONFIG_ENCRYPTION_KEY);
 * the error names the variable and never contains its value. */
int crypto_key_from_env(const char *name, uint8_t key[CRYPTO_AES_KEY_LEN], char *err,
                        size_t err_size);

/* AES-256-GCM. 0 on success; -1 on failure (decrypt: tampered, wrong key,
 * wrong AAD, malformed blob). */
int crypto_encrypt(const uint8_t key[CRYPTO_AES_KEY_LEN], const void *plaintext, size_t len,
                   const void *aad, size_t aad_len, uint8_t **out, size_t *out_len);
int crypto_decrypt(const uint8_t key[CRYPTO_AES_KEY_LEN], const uint8_t *blob, size_t blob_len,
                   const void *aad, size_t aad_len, uint8_t **out, size_t *out_len);

/* Base64 (standard alphabet, padded). Returns malloc'd NUL-terminated text /
 * bytes, or NULL (decode: invalid input). */
char *crypto_base64_encode(const void *data, size_t len);
uint8_t *crypto_base64_decode(const char *text, size_t *out_len);

int crypto_random_bytes(void *buf, size_t len);
/* Random UUID v4, lower case, NUL-terminated (37 bytes). */
int crypto_uuid_v4(char out[CRYPTO_UUID_LEN + 1]);
/* "<prefix><24 chars of base32>" (120 random bits); out_size >= strlen(prefix) + 25. */
int crypto_random_id(const char *prefix, char *out, size_t out_size);

/* Overwrites memory in a way the compiler may not optimise away. */
void crypto_wipe(void *p, size_t len);

#endif /* COMMON_CRYPTO_H */
