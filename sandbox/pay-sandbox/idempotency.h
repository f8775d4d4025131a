/*
 * idempotency.h — Stripe's idempotent requests, as the sandbox keeps them:
 * the first request with a key stores its status and body once the endpoint
 * has begun executing; the same key with the same parameters (same method,
 * path and form parameters in any order) replays that answer byte for byte;
 * the same key with other parameters is an idempotency_error; the same key
 * while the first request still runs is a 409. Keys are pruned after their
 * TTL (24 h by default); a key reused after that starts afresh. A request
 * that fails parameter validation stores nothing.
 *
 * Usage:
 *     idem_result_t r;
 *     switch (idem_begin(store, key, fingerprint, &r)) {
 *     case IDEM_NEW:      ... run ...; idem_finish(store, key, status, body, len); break;
 *     case IDEM_REPLAY:   respond(r.status, r.body, r.body_len); idem_result_clear(&r); break;
 *     case IDEM_MISMATCH: 400 idempotency_error;  case IDEM_IN_FLIGHT: 409
 *     }
 *     // validation failed after IDEM_NEW: idem_abandon(store, key)
 *
 * Thread-safety: all functions are thread-safe (one mutex). Ownership: the
 * store copies keys, fingerprints and bodies; a replayed body is the
 * caller's (idem_result_clear).
 */
#ifndef PAY_SANDBOX_IDEMPOTENCY_H
#define PAY_SANDBOX_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#define IDEM_KEY_MAX_LEN 255
#define IDEM_DEFAULT_TTL_S (24 * 3600)

typedef enum { IDEM_NEW, IDEM_REPLAY, IDEM_MISMATCH, IDEM_IN_FLIGHT, IDEM_ERROR } idem_outcome_t;

typedef struct idem_result {
    int status;
    char *body;
    size_t body_len;
} idem_result_t;

typedef struct idem_store idem_store_t;

idem_store_t *idem_store_new(int64_t ttl_s);
void idem_store_free(idem_store_t *s);

/* Reserves `key` (IDEM_NEW) or tells why not; IDEM_REPLAY fills *out. */
idem_outcome_t idem_begin(idem_store_t *s, const char *key, const char *fingerprint,
                          idem_result_t *out);
/* Stores the answer of a request that got IDEM_NEW. */
void idem_finish(idem_store_t *s, const char *key, int status, const char *body, size_t len);
/* Forgets a reservation (the request failed validation: nothing is saved). */
void idem_abandon(idem_store_t *s, const char *key);
/* How many keys are stored (finished or in flight). */
size_t idem_count(idem_store_t *s);
void idem_clear(idem_store_t *s);
void idem_result_clear(idem_result_t *r);

#endif /* PAY_SANDBOX_IDEMPOTENCY_H */
