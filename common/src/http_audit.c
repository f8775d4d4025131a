/*
 * http_audit.c — audit rows for HTTP requests (see http_audit.h).
 */
#include "common/http_audit.h"

#include "common/auth_store.h"

int http_audit(db_t *db, http_request_t *req, const char *action, const char *hotel_id,
               const char *booking_id, const char *detail_json)
{
    char remote[64];
    auth_audit_entry_t e = {.action = action,
                            .hotel_id = hotel_id,
                            .booking_id = booking_id,
                            .detail_json = detail_json,
                            .remote_address =
                                http_request_remote_address(req, remote, sizeof remote),
                            .request_id = http_request_id(req)};
    return auth_audit_record(db, http_request_principal(req), &e);
}
