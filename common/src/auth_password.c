/*
 * auth_password.c — scrypt password hashes and lockout arithmetic (see
 * auth_password.h).
 *
 * The KDF is OpenSSL 3's EVP_KDF "SCRYPT"; its memory ceiling is set to what
 * the parameters need, so a parameter set we would not accept can never run.
 * Verification derives the key with the stored parameters and compares it
 * with CRYPTO_memcmp: how long it takes does not depend on how many bytes
 * matched.
 */
#include "common/auth_password.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

#define SCRYPT_PREFIX "scrypt$"
#define FIELD_MAX 64

/* ------------------------------------------------------------- scrypt -- */

/* Memory scrypt needs for (N, r, p): 128·r·N for V plus 128·r·p for B, and
 * some slack for OpenSSL's own bookkeeping. */
static uint64_t scrypt_memory_bytes(unsigned log2_n, unsigned r, unsigned p)
{
    return 128ull * r * ((1ull << log2_n) + p + 2) + 4096;
}

/* The work every derivation in this process has done, in N·r·p units: what
 * makes a verification slow, counted instead of timed. */
static _Atomic uint64_t kdf_work;

uint64_t auth_password_kdf_work(void)
{
    return atomic_load(&kdf_work);
}

/* Derives AUTH_SCRYPT_KEY_LEN bytes into key. 0 or -1. */
static int scrypt_derive(const char *password, size_t password_len, const uint8_t *salt,
                         unsigned log2_n, unsigned r, unsigned p, uint8_t *key)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    if (!ctx)
        return -1;
    uint64_t n = 1ull << log2_n, maxmem = scrypt_memory_bytes(log2_n, r, p);
    uint32_t r32 = r, p32 = p;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password, password_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, AUTH_SCRYPT_SALT_LEN),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r32),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p32),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    int rc = EVP_KDF_derive(ctx, key, AUTH_SCRYPT_KEY_LEN, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(ctx);
    if (rc == 0)
        atomic_fetch_add(&kdf_work, n * r * p);
    return rc;
}

/* ------------------------------------------------------- stored form -- */

/* Copies the next '$'-separated field of *s into out and advances *s past
 * the separator. 0, or -1 when it is empty or too long. */
static int next_field(const char **s, char *out, size_t out_size)
{
    const char *end = strchr(*s, '$');
    size_t n = end ? (size_t)(end - *s) : strlen(*s);
    if (n == 0 || n >= out_size)
        return -1;
    memcpy(out, *s, n);
    out[n] = '\0';
    *s += n + (end ? 1 : 0);
    return 0;
}

/* A decimal in [min, max] written without sign, spaces or leading zeros. */
static int parse_small_uint(const char *text, unsigned min, unsigned max, unsigned *out)
{
    if (!text[0] || strlen(text) > 3 || (text[0] == '0' && text[1]))
        return -1;
    unsigned v = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        v = v * 10 + (unsigned)(*c - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Decodes base64 text of exactly `len` bytes into out. 0 or -1. */
static int decode_exact(const char *text, uint8_t *out, size_t len)
{
    size_t got = 0;
    uint8_t *bytes = crypto_base64_decode(text, &got);
    int rc = bytes && got == len ? 0 : -1;
    if (rc == 0)
        memcpy(out, bytes, len);
    free(bytes);
    return rc;
}

int auth_password_parse(const char *stored, auth_scrypt_params_t *out)
{
    char n[FIELD_MAX], r[FIELD_MAX], p[FIELD_MAX], salt[FIELD_MAX], key[FIELD_MAX];
    if (!stored || strncmp(stored, SCRYPT_PREFIX, sizeof SCRYPT_PREFIX - 1) != 0)
        return -1;
    const char *s = stored + sizeof SCRYPT_PREFIX - 1;
    if (next_field(&s, n, sizeof n) != 0 || next_field(&s, r, sizeof r) != 0 ||
        next_field(&s, p, sizeof p) != 0 || next_field(&s, salt, sizeof salt) != 0 ||
        next_field(&s, key, sizeof key) != 0 || *s != '\0' || s[-1] == '$')
        return -1;
    if (parse_small_uint(n, AUTH_SCRYPT_LOG2_N_MIN, AUTH_SCRYPT_LOG2_N_MAX, &out->log2_n) != 0 ||
        parse_small_uint(r, 1, AUTH_SCRYPT_R_MAX, &out->r) != 0 ||
        parse_small_uint(p, 1, AUTH_SCRYPT_P_MAX, &out->p) != 0 ||
        decode_exact(salt, out->salt, AUTH_SCRYPT_SALT_LEN) != 0 ||
        decode_exact(key, out->key, AUTH_SCRYPT_KEY_LEN) != 0)
        return -1;
    return 0;
}

int auth_password_hash(const char *password, char *out, size_t out_size)
{
    size_t len = password ? strlen(password) : 0;
    uint8_t salt[AUTH_SCRYPT_SALT_LEN], key[AUTH_SCRYPT_KEY_LEN];
    if (!password || len > AUTH_PASSWORD_MAX_LEN || crypto_random_bytes(salt, sizeof salt) != 0 ||
        scrypt_derive(password, len, salt, AUTH_SCRYPT_LOG2_N, AUTH_SCRYPT_R, AUTH_SCRYPT_P, key) !=
            0)
        return -1;
    char *salt64 = crypto_base64_encode(salt, sizeof salt);
    char *key64 = crypto_base64_encode(key, sizeof key);
    crypto_wipe(key, sizeof key);
    int n = salt64 && key64
                ? snprintf(out, out_size, SCRYPT_PREFIX "%d$%d$%d$%s$%s", AUTH_SCRYPT_LOG2_N,
                           AUTH_SCRYPT_R, AUTH_SCRYPT_P, salt64, key64)
                : -1;
    free(salt64);
    free(key64);
    return n > 0 && (size_t)n < out_size ? 0 : -1;
}

int auth_password_verify(const char *password, const char *stored)
{
    auth_scrypt_params_t sp;
    uint8_t key[AUTH_SCRYPT_KEY_LEN];
    size_t len = password ? strlen(password) : 0;
    if (!password || len > AUTH_PASSWORD_MAX_LEN || auth_password_parse(stored, &sp) != 0)
        return -1;
    if (scrypt_derive(password, len, sp.salt, sp.log2_n, sp.r, sp.p, key) != 0)
        return -1;
    int same = CRYPTO_memcmp(key, sp.key, sizeof key) == 0;
    crypto_wipe(key, sizeof key);
    crypto_wipe(&sp, sizeof sp);
    return same ? 1 : 0;
}

/* A hash of the default cost, made once, that unknown e-mails are checked
 * against. Its password is random and forgotten: nothing ever matches it. */
static char dummy_hash[AUTH_PASSWORD_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
    char pw[AUTH_PASSWORD_GENERATED_LEN + 1];
    if (auth_password_generate(pw, sizeof pw) != 0 ||
        auth_password_hash(pw, dummy_hash, sizeof dummy_hash) != 0)
        dummy_hash[0] = '\0';
    crypto_wipe(pw, sizeof pw);
}

void auth_password_verify_dummy(const char *password)
{
    pthread_once(&dummy_once, make_dummy_hash);
    if (dummy_hash[0])
        (void)auth_password_verify(password, dummy_hash);
}

int auth_password_generate(char *out, size_t out_size)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t bytes[AUTH_PASSWORD_GENERATED_LEN];
    if (out_size <= AUTH_PASSWORD_GENERATED_LEN || crypto_random_bytes(bytes, sizeof bytes) != 0)
        return -1;
    /* 64 symbols: the low six bits of each byte are uniform */
    for (size_t i = 0; i < AUTH_PASSWORD_GENERATED_LEN; i++)
        out[i] = alphabet[bytes[i] & 63];
    out[AUTH_PASSWORD_GENERATED_LEN] = '\0';
    crypto_wipe(bytes, sizeof bytes);
    return 0;
}

/* ------------------------------------------------------------ lockout -- */

int auth_lockout_seconds(const auth_lockout_policy_t *policy, int failed_logins)
{
    if (policy->threshold <= 0 || failed_logins < policy->threshold || policy->base_s <= 0)
        return 0;
    int doublings = failed_logins - policy->threshold;
    int64_t s = policy->base_s;
    /* stop doubling once past the cap: no overflow however many failures */
    for (int i = 0; i < doublings && s < policy->max_s; i++)
        s *= 2;
    return s > policy->max_s ? policy->max_s : (int)s;
}
