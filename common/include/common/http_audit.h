/*
 * http_audit.h — writing the audit row of a staff action taken through an
 * HTTP request: the caller (principal), remote address and request id come
 * from the request, the rest from the handler.
 *
 * Usage (in a handler, after the change happened):
 *     http_audit(db, req, "polling.stop", hotel_id, NULL, NULL);
 *
 * Thread-safety: as db_t. Ownership: nothing is kept.
 */
#ifndef COMMON_HTTP_AUDIT_H
#define COMMON_HTTP_AUDIT_H

#include "common/db.h"
#include "common/http_server.h"

/* Appends the audit row (auth_audit_record). 0 or -1 (logged; the action
 * stands either way). hotel_id, booking_id and detail_json may be NULL. */
int http_audit(db_t *db, http_request_t *req, const char *action, const char *hotel_id,
               const char *booking_id, const char *detail_json);

/* The same with another caller than the request's: a login, whose request
 * came in anonymous and whose row names the account that tried. */
int http_audit_as(db_t *db, http_request_t *req, const auth_principal_t *who, const char *action,
                  const char *detail_json);

#endif /* COMMON_HTTP_AUDIT_H */
