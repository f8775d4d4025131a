/*
 * idempotency.c — idempotency keys in MariaDB (see idempotency.h). The
 * PRIMARY KEY (scope, idem_key) decides which of two racing requests owns a
 * key: the loser reads the winner's row.
 */
#include "idempotency.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static idem_outcome_t read_existing(db_t *db, const char *scope, const char *key,
                                    const char *request_hash, int *status, char **body)
{
    db_param_t p[] = {DB_STR(scope), DB_STR(key)};
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT request_hash, state, response_status, response_body FROM "
                 "idempotency_keys WHERE scope = ? AND idem_key = ?",
                 p, 2, &res) != DB_OK)
        return IDEM_ERROR;
    idem_outcome_t o;
    if (db_result_rows(res) == 0) {
        o = IDEM_IN_PROGRESS; /* purged in between: the caller tries again */
    } else if (strcmp(db_result_text(res, 0, 0), request_hash) != 0) {
        o = IDEM_MISMATCH;
    } else if (strcmp(db_result_text(res, 0, 1), "completed") == 0) {
        int64_t st = 500;
        db_result_int64(res, 0, 2, &st);
        const char *b = db_result_text(res, 0, 3);
        *status = (int)st;
        *body = strdup(b ? b : "{}");
        o = *body ? IDEM_REPLAY : IDEM_ERROR;
    } else {
        o = IDEM_IN_PROGRESS;
    }
    db_result_free(res);
    return o;
}

idem_outcome_t idempotency_begin(db_t *db, const char *scope, const char *key,
                                 const char *request_hash, int ttl_h, int *status, char **body)
{
    *body = NULL;
    /* One statement: a new key is inserted; an expired one is taken over
     * (every column reset, expires_at last: MariaDB assigns left to right,
     * so each IF still sees the old expiry); a live one is left alone and
     * read. Affected rows: 1 inserted, 2 taken over, 0 someone else's. */
    db_param_t p[] = {DB_STR(scope), DB_STR(key), DB_STR(request_hash), DB_INT(ttl_h)};
    uint64_t affected = 0;
    db_err_t rc = db_exec(db,
                          "INSERT INTO idempotency_keys (scope, idem_key, request_hash, state, "
                          "expires_at) VALUES (?, ?, ?, 'in_progress', NOW(3) + INTERVAL ? HOUR) "
                          "ON DUPLICATE KEY UPDATE "
                          "request_hash = IF(expires_at < NOW(3), VALUES(request_hash), "
                          "request_hash), "
                          "response_status = IF(expires_at < NOW(3), NULL, response_status), "
                          "response_body = IF(expires_at < NOW(3), NULL, response_body), "
                          "booking_id = IF(expires_at < NOW(3), NULL, booking_id), "
                          "created_at = IF(expires_at < NOW(3), NOW(3), created_at), "
                          "state = IF(expires_at < NOW(3), 'in_progress', state), "
                          "expires_at = IF(expires_at < NOW(3), VALUES(expires_at), expires_at)",
                          p, 4, &affected, NULL);
    if (rc == DB_OK && affected == 0)
        return read_existing(db, scope, key, request_hash, status, body);
    if (rc == DB_OK)
        return IDEM_NEW;
    if (rc != DB_ERR_DUPLICATE) {
        log_kv(LOG_LEVEL_ERROR, "idempotency insert failed", "error", db_error(db), NULL);
        return IDEM_ERROR;
    }
    return read_existing(db, scope, key, request_hash, status, body);
}

int idempotency_complete(db_t *db, const char *scope, const char *key, int status, const char *body)
{
    db_param_t p[] = {DB_INT(status), DB_STR(body), DB_STR(scope), DB_STR(key)};
    return db_exec(db,
                   "UPDATE idempotency_keys SET state = 'completed', response_status = ?, "
                   "response_body = ? WHERE scope = ? AND idem_key = ?",
                   p, 4, NULL, NULL) == DB_OK
               ? 0
               : -1;
}

int idempotency_complete_for_booking(db_t *db, const char *booking_id, int status, const char *body)
{
    db_param_t p[] = {DB_INT(status), DB_STR(body), DB_STR(booking_id)};
    return db_exec(db,
                   "UPDATE idempotency_keys SET state = 'completed', response_status = ?, "
                   "response_body = ? WHERE booking_id = ? AND state = 'in_progress'",
                   p, 3, NULL, NULL) == DB_OK
               ? 0
               : -1;
}

int idempotency_abandon(db_t *db, const char *scope, const char *key)
{
    db_param_t p[] = {DB_STR(scope), DB_STR(key)};
    return db_exec(db,
                   "DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND "
                   "state = 'in_progress'",
                   p, 2, NULL, NULL) == DB_OK
               ? 0
               : -1;
}

long idempotency_purge(db_t *db)
{
    uint64_t n = 0;
    if (db_exec(db, "DELETE FROM idempotency_keys WHERE expires_at < NOW(3)", NULL, 0, &n, NULL) !=
        DB_OK)
        return -1;
    return (long)n;
}
