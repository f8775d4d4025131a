/*
 * http_audit.c — audit rows for HTTP requests (see http_audit.h).
 */
#include "common/http_audit.h"

#include "common/auth_store.h"

/* Appends the row of `who` doing `action` through `req`. */
static int audit_row(db_t *db, http_request_t *req, const auth_principal_t *who,
                     const char *action, const char *hotel_id, const char *booking_id,
                     const char *detail_json)
{
    /* the client's address as the limits see it: behind our proxies the
     * peer is always a proxy, which would tell the audit nothing */
    auth_audit_entry_t e = {.action = action,
                            .hotel_id = hotel_id,
                            .booking_id = booking_id,
                            .detail_json = detail_json,
                            .remote_address = http_request_client_address(req),
                            .request_id = http_request_id(req)};
    return auth_audit_record(db, who, &e);
}

int http_audit(db_t *db, http_request_t *req, const char *action, const char *hotel_id,
               const char *booking_id, const char *detail_json)
{
    return audit_row(db, req, http_request_principal(req), action, hotel_id, booking_id,
                     detail_json);
}

int http_audit_as(db_t *db, http_request_t *req, const auth_principal_t *who, const char *action,
                  const char *detail_json)
{
    return audit_row(db, req, who, action, NULL, NULL, detail_json);
}
