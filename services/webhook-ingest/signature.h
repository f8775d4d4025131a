/*
 * signature.h — verification of the x-pms-signature header of a PMS webhook
 * (proto/webhooks.md), Stripe's timestamped scheme:
 *
 *     x-pms-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=...]
 *
 * Several v1= values (and several candidate secrets, during a rotation) are
 * allowed: one match is enough. Every comparison is constant-time and every
 * candidate is compared, so the time taken does not say which one matched.
 *
 * Usage:
 *     const char *secrets[] = {current, previous};
 *     signature_result_t r = signature_verify(header, body, len, secrets, 2,
 *                                             time(NULL), SIGNATURE_TOLERANCE_S);
 *     if (r != SIGNATURE_OK) → 401 with signature_result_text(r)
 *
 * Thread-safety: reentrant. Ownership: nothing is kept; nothing is logged (the
 * header and the secrets never reach a log line from here).
 */
#ifndef WEBHOOK_SIGNATURE_H
#define WEBHOOK_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#define SIGNATURE_TOLERANCE_S 300 /* replay window: |now - t| at most this */
#define SIGNATURE_MAX_V1 8        /* v1= values considered per header */

typedef enum {
    SIGNATURE_OK = 0,
    SIGNATURE_MISSING,   /* no header */
    SIGNATURE_MALFORMED, /* no t=, no v1=, or a t= that is not a number */
    SIGNATURE_STALE,     /* t= more than the tolerance away from now (replay) */
    SIGNATURE_MISMATCH,  /* no v1= matches any secret */
} signature_result_t;

/* Checks `header` against the raw body with every secret (NULL entries are
 * skipped). `now_s` is the current Unix time. */
signature_result_t signature_verify(const char *header, const void *body, size_t body_len,
                                    const char *const *secrets, size_t secret_count, int64_t now_s,
                                    int64_t tolerance_s);

/* A short reason for the client ("signature timestamp outside the 300 s window"). */
const char *signature_result_text(signature_result_t r);

/* The metric label of a result ("missing_signature", "stale_signature", ...). */
const char *signature_result_reason(signature_result_t r);

/* Builds a header value for `secret` (tests and tools): 0, or -1 when out is too small. */
int signature_sign(const char *secret, int64_t t, const void *body, size_t body_len, char *out,
                   size_t out_size);

#endif /* WEBHOOK_SIGNATURE_H */
