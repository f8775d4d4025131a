/*
 * auth_audit.c — the append-only audit log (see auth_store.h). Rows say who
 * (kind, id, display name), what, which hotel or booking, when and from
 * where; never a credential. The table's triggers refuse UPDATE and DELETE.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth_store.h"
#include "common/log.h"

int auth_audit_record(db_t *db, const auth_principal_t *who, const auth_audit_entry_t *e)
{
    const char *actor_id = who->id[0] ? who->id : "-";
    db_param_t p[] = {DB_STR(auth_kind_name(who->kind)),
                      DB_STR(actor_id),
                      DB_STR(who->display[0] ? who->display : NULL),
                      DB_STR(e->action),
                      DB_STR(e->hotel_id),
                      DB_STR(e->booking_id),
                      DB_STR(e->detail_json),
                      DB_STR(e->remote_address),
                      DB_STR(e->request_id)};
    if (!db || db_exec(db,
                       "INSERT INTO audit_log (actor_kind, actor_id, actor_display, action, "
                       "hotel_id, booking_id, detail, remote_address, request_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       p, sizeof p / sizeof *p, NULL, NULL) != DB_OK) {
        log_kv(LOG_LEVEL_ERROR, "audit record not written", "action", e->action, "error",
               db ? db_error(db) : "no database", NULL);
        return -1;
    }
    return 0;
}

json_object *auth_audit_list_json(db_t *db, const char *hotel_id, int limit)
{
    if (limit <= 0 || limit > AUTH_AUDIT_LIST_MAX)
        limit = AUTH_AUDIT_LIST_MAX;
    db_param_t p[] = {DB_STR(hotel_id), DB_STR(hotel_id), DB_INT(limit)};
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT id, DATE_FORMAT(at, '%Y-%m-%dT%H:%i:%s.%fZ'), actor_kind, actor_id, "
                 "actor_display, action, hotel_id, booking_id, detail, remote_address, request_id "
                 "FROM audit_log WHERE (? IS NULL OR hotel_id = ?) ORDER BY id DESC LIMIT ?",
                 p, 3, &res) != DB_OK)
        return NULL;
    static const char *const names[] = {"id",       "at",        "actorKind",     "actorId",
                                        "actorDisplay", "action", "hotelId",      "bookingId",
                                        "detail",   "remoteAddress", "requestId"};
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < db_result_rows(res); i++) {
        json_object *o = json_object_new_object();
        for (size_t c = 0; c < sizeof names / sizeof *names; c++) {
            const char *v = db_result_text(res, i, c);
            json_object *jv = NULL;
            if (v && c == 0)
                jv = json_object_new_int64(strtoll(v, NULL, 10));
            else if (v && c == 8)
                jv = json_tokener_parse(v);
            else if (v)
                jv = json_object_new_string(v);
            json_object_object_add(o, names[c], jv);
        }
        json_object_array_add(arr, o);
    }
    db_result_free(res);
    return arr;
}
