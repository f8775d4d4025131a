/*
 * secrets.h — which webhook secret(s) sign a vendor's (and hotel's) webhooks.
 *
 * Read once at start from the environment, most specific first:
 *     PMS_WEBHOOK_SECRET_<VENDOR>_<HOTELID>   (hotel id upper-cased, non-alphanumerics → '_')
 *     PMS_WEBHOOK_SECRET_<VENDOR>             (vendor upper-cased)
 *     PMS_WEBHOOK_SECRET                      (every vendor)
 * The most specific one that exists wins. Each may have a <NAME>_PREVIOUS
 * companion, accepted too while a secret is rotated (so "PREVIOUS" is not a
 * usable hotel id suffix).
 *
 * Usage:
 *     secrets_t *s = secrets_new(environ);
 *     if (secrets_count(s) == 0) → refuse to start
 *     const char *cand[SECRETS_MAX_CANDIDATES];
 *     size_t n = secrets_for(s, "cloudbeds", "hotel_123", cand);
 *     secrets_free(s);
 *
 * Thread-safety: read-only after secrets_new, so any thread may call
 * secrets_for. Ownership: the table copies the values it keeps and wipes them
 * in secrets_free; returned pointers live until then. Values are never logged.
 */
#ifndef WEBHOOK_SECRETS_H
#define WEBHOOK_SECRETS_H

#include <stddef.h>

#define SECRETS_ENV_PREFIX "PMS_WEBHOOK_SECRET"
#define SECRETS_PREVIOUS_SUFFIX "_PREVIOUS"
#define SECRETS_MAX_CANDIDATES 2 /* the secret and its _PREVIOUS */
#define SECRETS_NAME_MAX 256

typedef struct secrets secrets_t;

/* Copies every PMS_WEBHOOK_SECRET* entry with a non-empty value from `env`
 * ("NAME=value", NULL-terminated). NULL on OOM. */
secrets_t *secrets_new(char *const *env);
void secrets_free(secrets_t *s); /* accepts NULL */

/* How many secret variables were found (0: the service must not start). */
size_t secrets_count(const secrets_t *s);

/* The candidates for (vendor, hotel_id) — hotel_id may be NULL — into out;
 * returns how many (0 when nothing applies). */
size_t secrets_for(const secrets_t *s, const char *vendor, const char *hotel_id,
                   const char *out[SECRETS_MAX_CANDIDATES]);

/* "PMS_WEBHOOK_SECRET_<VENDOR>[_<HOTEL>]" into out (hotel may be NULL). */
void secrets_env_name(const char *vendor, const char *hotel_id, char *out, size_t out_size);

#endif /* WEBHOOK_SECRETS_H */
