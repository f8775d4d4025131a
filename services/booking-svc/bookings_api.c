/*
 * bookings_api.c — reading and cancelling a booking (see bookings_api.h).
 */
#include "bookings_api.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "store.h"

static struct json_object *str_or_null(const char *s)
{
    return s && *s ? json_object_new_string(s) : NULL;
}

struct json_object *bookings_json(const booking_record_t *rec, struct json_object *steps)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "bookingId", json_object_new_string(rec->booking_id));
    json_object_object_add(o, "status", json_object_new_string(rec->status));
    json_object_object_add(o, "vendor", json_object_new_string(rec->vendor));
    json_object_object_add(o, "hotelId", json_object_new_string(rec->hotel_id));
    json_object_object_add(o, "roomTypeId", json_object_new_string(rec->room_type_id));
    json_object_object_add(o, "checkIn", json_object_new_string(rec->check_in_text));
    json_object_object_add(o, "checkOut", json_object_new_string(rec->check_out_text));
    json_object_object_add(o, "adults", json_object_new_int(rec->adults));
    json_object_object_add(o, "children", json_object_new_int(rec->children));
    json_object_object_add(o, "amount", json_object_new_int64(rec->amount));
    json_object_object_add(o, "currency", json_object_new_string(rec->currency));
    json_object_object_add(o, "confirmationNumber", str_or_null(rec->confirmation_number));
    json_object_object_add(o, "errorCode", str_or_null(rec->error_code));
    if (rec->error_message[0])
        json_object_object_add(o, "error", json_object_new_string(rec->error_message));
    if (rec->payment_status[0])
        json_object_object_add(o, "paymentStatus", json_object_new_string(rec->payment_status));
    if (rec->saga_state[0])
        json_object_object_add(o, "sagaState", json_object_new_string(rec->saga_state));
    json_object_object_add(o, "createdAt", json_object_new_string(rec->created_at));
    json_object_object_add(o, "updatedAt", json_object_new_string(rec->updated_at));
    if (steps)
        json_object_object_add(o, "steps", json_object_get(steps));
    return o;
}

/* Loads the booking named by the path: 0, or answered (404/500) already. */
static int load_from_path(http_request_t *req, booking_app_t *app, booking_record_t *rec,
                          struct json_object **steps)
{
    const char *id = http_request_param(req, "bookingId");
    if (!id || strlen(id) < 1 || strlen(id) >= BOOKING_ID_MAX) {
        http_respond_error(req, 404, "NOT_FOUND", "bookingId",
                           "예약을 찾을 수 없습니다 (no such booking)");
        return -1;
    }
    db_t *db = db_pool_acquire(app->db);
    int rc = store_booking_load(db, id, rec);
    if (rc == 0 && steps)
        *steps = store_steps_json(db, id);
    db_pool_release(app->db, db);
    if (rc == 1) {
        http_respond_error(req, 404, "NOT_FOUND", "bookingId",
                           "예약을 찾을 수 없습니다 (no such booking)");
        return -1;
    }
    if (rc != 0 || (steps && !*steps)) {
        http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "내부 오류 (internal error)");
        return -1;
    }
    return 0;
}

int bookings_get(http_request_t *req, void *ctx)
{
    booking_record_t rec;
    struct json_object *steps = NULL;
    if (load_from_path(req, ctx, &rec, &steps) != 0) {
        json_object_put(steps);
        return 0;
    }
    struct json_object *o = bookings_json(&rec, steps);
    json_object_put(steps);
    http_respond_json(req, 200, o);
    json_object_put(o);
    return 0;
}

int bookings_cancel(http_request_t *req, void *ctx)
{
    booking_record_t rec;
    if (load_from_path(req, ctx, &rec, NULL) != 0)
        return 0;
    return http_respond_error(req, 409, "BOOKING_CONFIRM_FAILED", NULL,
                              "취소할 수 없습니다 (cancellation is not available yet)");
}
