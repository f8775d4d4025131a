/*
 * idempotency.h — the Idempotency-Key of POST /api/booking/checkout
 * (proto/openapi.yaml): the same key with the same body returns the stored
 * first response (waiting while the first is still running), the same key
 * with another body is refused (422). Keys live in idempotency_keys for at
 * least IDEMPOTENCY_TTL_H hours (then purged).
 *
 * Usage:
 *     idem_outcome_t o = idempotency_begin(db, "checkout", key, body_hash, 24, &status, &body);
 *     IDEM_NEW: run the saga (its first write names the key's booking), then
 *               idempotency_complete(...)
 *     IDEM_REPLAY: answer status + body (free body)
 *
 * A request whose process died keeps its key in_progress: recovery completes
 * it by booking id (idempotency_complete_for_booking) when it finishes the saga.
 * Thread-safety: as db_t. Ownership: *body is malloc'd for the caller.
 */
#ifndef BOOKING_IDEMPOTENCY_H
#define BOOKING_IDEMPOTENCY_H

#include "common/db.h"

typedef enum {
    IDEM_NEW = 0,     /* the key is ours now (in_progress) */
    IDEM_REPLAY,      /* completed before: *status and *body hold the first answer */
    IDEM_MISMATCH,    /* the key was used with another body */
    IDEM_IN_PROGRESS, /* the first request is still running */
    IDEM_ERROR,       /* the database failed */
} idem_outcome_t;

#define IDEMPOTENCY_SCOPE_CHECKOUT "checkout"

idem_outcome_t idempotency_begin(db_t *db, const char *scope, const char *key,
                                 const char *request_hash, int ttl_h, int *status, char **body);
int idempotency_complete(db_t *db, const char *scope, const char *key, int status,
                         const char *body);
/* Completes a key still in progress for this booking (recovery). 0 or -1. */
int idempotency_complete_for_booking(db_t *db, const char *booking_id, int status,
                                     const char *body);
/* Forgets a key in progress (the request was refused before any side effect). */
int idempotency_abandon(db_t *db, const char *scope, const char *key);
/* Deletes expired keys; how many, or -1. */
long idempotency_purge(db_t *db);

#endif /* BOOKING_IDEMPOTENCY_H */
