/*
 * crypto.c — HMAC, SHA-256, AES-256-GCM, base64 and random ids on OpenSSL 3
 * (see crypto.h).
 */
#include "common/crypto.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HEX[] = "0123456789abcdef";

static void to_hex(const uint8_t *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = HEX[in[i] >> 4];
        out[2 * i + 1] = HEX[in[i] & 0xf];
    }
    out[2 * len] = '\0';
}

int crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t data_len,
                       uint8_t out[CRYPTO_SHA256_LEN])
{
    unsigned int len = 0;
    static const uint8_t empty = 0;
    if (!HMAC(EVP_sha256(), key ? key : &empty, (int)key_len, data ? data : &empty, data_len, out,
              &len))
        return -1;
    return len == CRYPTO_SHA256_LEN ? 0 : -1;
}

int crypto_hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t data_len,
                           char out[CRYPTO_SHA256_HEX_LEN + 1])
{
    uint8_t mac[CRYPTO_SHA256_LEN];
    if (crypto_hmac_sha256(key, key_len, data, data_len, mac) != 0)
        return -1;
    to_hex(mac, sizeof mac, out);
    return 0;
}

int crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN + 1])
{
    uint8_t md[CRYPTO_SHA256_LEN];
    unsigned int md_len = 0;
    if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) || md_len != sizeof md)
        return -1;
    to_hex(md, sizeof md, out);
    return 0;
}

bool crypto_equal_constant_time(const void *a, size_t a_len, const void *b, size_t b_len)
{
    if (a_len != b_len)
        return false;
    if (a_len == 0)
        return true;
    return CRYPTO_memcmp(a, b, a_len) == 0;
}

void crypto_wipe(void *p, size_t len)
{
    if (p)
        OPENSSL_cleanse(p, len);
}

/* ------------------------------------------------------------- base64 -- */

char *crypto_base64_encode(const void *data, size_t len)
{
    size_t out_len = 4 * ((len + 2) / 3);
    char *out = malloc(out_len + 1);
    if (!out)
        return NULL;
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    out[n < 0 ? 0 : n] = '\0';
    return out;
}

uint8_t *crypto_base64_decode(const char *text, size_t *out_len)
{
    size_t len = strlen(text);
    if (len == 0 || len % 4 != 0)
        return NULL;
    uint8_t *out = malloc(len / 4 * 3 + 1);
    if (!out)
        return NULL;
    int n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
    if (n < 0) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts padding bytes as data; remove them. */
    if (text[len - 1] == '=')
        n--;
    if (text[len - 2] == '=')
        n--;
    *out_len = (size_t)n;
    return out;
}

/* ------------------------------------------------------------ AES-GCM -- */

static int hex_nibble(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

int crypto_key_from_text(const char *text, uint8_t key[CRYPTO_AES_KEY_LEN], char *err,
                         size_t err_size)
{
    if (!text || !*text) {
        snprintf(err, err_size, "key is empty");
        return -1;
    }
    if (strlen(text) == 2 * CRYPTO_AES_KEY_LEN) {
        int i;
        for (i = 0; i < CRYPTO_AES_KEY_LEN; i++) {
            int hi = hex_nibble(text[2 * i]), lo = hex_nibble(text[2 * i + 1]);
            if (hi < 0 || lo < 0)
                break;
            key[i] = (uint8_t)(hi << 4 | lo);
        }
        if (i == CRYPTO_AES_KEY_LEN)
            return 0;
    }
    size_t n = 0;
    uint8_t *raw = crypto_base64_decode(text, &n);
    if (raw && n == CRYPTO_AES_KEY_LEN) {
        memcpy(key, raw, n);
        crypto_wipe(raw, n);
        free(raw);
        return 0;
    }
    if (raw) {
        crypto_wipe(raw, n);
        free(raw);
    }
    snprintf(err, err_size, "key must be 32 bytes as 64 hex characters or base64");
    return -1;
}

int crypto_key_from_env(const char *name, uint8_t key[CRYPTO_AES_KEY_LEN], char *err,
                        size_t err_size)
{
    const char *text = getenv(name);
    char why[128];
    if (!text || !*text) {
        snprintf(err, err_size, "%s is not set", name);
        return -1;
    }
    if (crypto_key_from_text(text, key, why, sizeof why) != 0) {
        snprintf(err, err_size, "%s: %s", name, why);
        return -1;
    }
    return 0;
}

/* One GCM pass; `encrypt` selects the direction. Returns 0 or -1. */
static int gcm_run(bool encrypt, const uint8_t *key, const uint8_t *nonce, const uint8_t *in,
                   size_t len, const void *aad, size_t aad_len, uint8_t *out, uint8_t *tag)
{
    int rc = -1, n = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return -1;
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, encrypt ? 1 : 0) != 1)
        goto done;
    if (aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
        goto done;
    if (len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
        goto done;
    if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_GCM_TAG_LEN, tag) != 1)
        goto done;
    if (EVP_CipherFinal_ex(ctx, out + (len > 0 ? n : 0), &n) != 1)
        goto done;
    if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_GCM_TAG_LEN, tag) != 1)
        goto done;
    rc = 0;
done:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int crypto_encrypt(const uint8_t key[CRYPTO_AES_KEY_LEN], const void *plaintext, size_t len,
                   const void *aad, size_t aad_len, uint8_t **out, size_t *out_len)
{
    size_t total = len + CRYPTO_BLOB_OVERHEAD;
    uint8_t *blob = malloc(total);
    if (!blob)
        return -1;
    blob[0] = 'v';
    blob[1] = '1';
    uint8_t *nonce = blob + 2, *ct = nonce + CRYPTO_GCM_NONCE_LEN, *tag = ct + len;
    if (crypto_random_bytes(nonce, CRYPTO_GCM_NONCE_LEN) != 0 ||
        gcm_run(true, key, nonce, plaintext, len, aad, aad_len, ct, tag) != 0) {
        free(blob);
        return -1;
    }
    *out = blob;
    *out_len = total;
    return 0;
}

int crypto_decrypt(const uint8_t key[CRYPTO_AES_KEY_LEN], const uint8_t *blob, size_t blob_len,
                   const void *aad, size_t aad_len, uint8_t **out, size_t *out_len)
{
    if (!blob || blob_len < CRYPTO_BLOB_OVERHEAD || blob[0] != 'v' || blob[1] != '1')
        return -1;
    size_t len = blob_len - CRYPTO_BLOB_OVERHEAD;
    const uint8_t *nonce = blob + 2, *ct = nonce + CRYPTO_GCM_NONCE_LEN, *tag = ct + len;
    uint8_t tag_copy[CRYPTO_GCM_TAG_LEN];
    memcpy(tag_copy, tag, sizeof tag_copy);
    uint8_t *pt = malloc(len + 1);
    if (!pt)
        return -1;
    if (gcm_run(false, key, nonce, ct, len, aad, aad_len, pt, tag_copy) != 0) {
        crypto_wipe(pt, len + 1);
        free(pt);
        return -1;
    }
    pt[len] = '\0'; /* convenient for text secrets */
    *out = pt;
    *out_len = len;
    return 0;
}

/* ---------------------------------------------------------------- ids -- */

int crypto_random_bytes(void *buf, size_t len)
{
    return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

int crypto_uuid_v4(char out[CRYPTO_UUID_LEN + 1])
{
    uint8_t b[16];
    if (crypto_random_bytes(b, sizeof b) != 0)
        return -1;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char hex[33];
    to_hex(b, sizeof b, hex);
    snprintf(out, CRYPTO_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
             hex + 16, hex + 20);
    return 0;
}

#define RANDOM_ID_CHARS 24 /* 24 × 5 bits = 120 bits */

int crypto_random_id(const char *prefix, char *out, size_t out_size)
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789"; /* 32, no l/o/0/1 */
    size_t plen = strlen(prefix);
    if (out_size < plen + RANDOM_ID_CHARS + 1)
        return -1;
    uint8_t r[RANDOM_ID_CHARS];
    if (crypto_random_bytes(r, sizeof r) != 0)
        return -1;
    memcpy(out, prefix, plen);
    for (int i = 0; i < RANDOM_ID_CHARS; i++)
        out[plen + (size_t)i] = alphabet[r[i] & 31];
    out[plen + RANDOM_ID_CHARS] = '\0';
    return 0;
}
