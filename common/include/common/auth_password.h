/*
 * auth_password.h — people's passwords: scrypt hashes (OpenSSL's EVP_KDF
 * "SCRYPT"), constant-time verification, generated passwords, and the
 * lockout arithmetic of repeated login failures.
 *
 * Passwords are the one secret we do not generate, so they may be short or
 * reused: unlike API keys they get a slow, memory-hard hash (32 MiB and
 * tens of milliseconds per try with the defaults) so a stolen table is
 * expensive to guess through.
 *
 * Usage:
 *     char stored[AUTH_PASSWORD_HASH_MAX];
 *     if (auth_password_hash(pw, stored, sizeof stored) != 0) ...   // store `stored`
 *     int ok = auth_password_verify(pw, stored);                    // 1 yes, 0 no, -1 error
 *     int lock_s = auth_lockout_seconds(&policy, failed_logins);    // 0 = not locked
 *
 * Stored form: "scrypt$<log2 N>$<r>$<p>$<salt base64>$<key base64>", the
 * parameters it was made with travelling along, so stronger defaults later
 * do not invalidate existing hashes.
 *
 * Thread-safety: every function is thread-safe. Ownership: nothing is kept;
 * callers wipe passwords they hold.
 */
#ifndef COMMON_AUTH_PASSWORD_H
#define COMMON_AUTH_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_PASSWORD_MIN_LEN 12
#define AUTH_PASSWORD_MAX_LEN 1024
#define AUTH_PASSWORD_HASH_MAX 160
#define AUTH_PASSWORD_GENERATED_LEN 24 /* base64url characters: 144 random bits */

/* The cost of new hashes: N = 2^15, r = 8, p = 1 (32 MiB), 16-byte salt,
 * 32-byte key. */
#define AUTH_SCRYPT_LOG2_N 15
#define AUTH_SCRYPT_R 8
#define AUTH_SCRYPT_P 1
#define AUTH_SCRYPT_SALT_LEN 16
#define AUTH_SCRYPT_KEY_LEN 32
/* Bounds on parameters read back from a stored hash, so a tampered row
 * cannot make one login allocate gigabytes or spin for minutes. */
#define AUTH_SCRYPT_LOG2_N_MIN 10
#define AUTH_SCRYPT_LOG2_N_MAX 20
#define AUTH_SCRYPT_R_MAX 16
#define AUTH_SCRYPT_P_MAX 4

typedef struct auth_scrypt_params {
    unsigned log2_n, r, p;
    uint8_t salt[AUTH_SCRYPT_SALT_LEN];
    uint8_t key[AUTH_SCRYPT_KEY_LEN];
} auth_scrypt_params_t;

/* Hashes `password` with a fresh salt into the stored form. 0, or -1 (KDF
 * unavailable, out of memory, or a password longer than
 * AUTH_PASSWORD_MAX_LEN). */
int auth_password_hash(const char *password, char *out, size_t out_size);

/* 1 when `password` matches `stored`, 0 when it does not, -1 when `stored`
 * is unreadable or the KDF failed. The derived key is compared in constant
 * time. */
int auth_password_verify(const char *password, const char *stored);

/* Spends the same time as a verification against a hash of the default
 * cost, for logins with an unknown e-mail: they must not answer faster
 * than a wrong password. */
void auth_password_verify_dummy(const char *password);

/* The KDF work (N·r·p summed over every derivation) this process has done:
 * lets a test check that two paths cost the same without timing them. */
uint64_t auth_password_kdf_work(void);

/* Parses a stored hash. 0, or -1 when it is not one we made or its
 * parameters are outside the bounds above. */
int auth_password_parse(const char *stored, auth_scrypt_params_t *out);

/* A random password of AUTH_PASSWORD_GENERATED_LEN base64url characters
 * (out_size > that). 0 or -1. */
int auth_password_generate(char *out, size_t out_size);

/* ------------------------------------------------------------ lockout -- */

#define AUTH_LOCKOUT_DEFAULT_THRESHOLD 5
#define AUTH_LOCKOUT_DEFAULT_BASE_S 30
#define AUTH_LOCKOUT_DEFAULT_MAX_S 900

typedef struct auth_lockout_policy {
    int threshold; /* consecutive failures before the first lock */
    int base_s;    /* the first lock; each further failure doubles it */
    int max_s;     /* the longest lock */
} auth_lockout_policy_t;

/* How long an account is locked after its `failed_logins`-th consecutive
 * failure: 0 below the threshold, then base, 2 × base, 4 × base, ...
 * capped at max. */
int auth_lockout_seconds(const auth_lockout_policy_t *policy, int failed_logins);

#endif /* COMMON_AUTH_PASSWORD_H */
