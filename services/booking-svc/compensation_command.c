/*
 * compensation_command.c — the compensation command (booking-compensation
 * schema) and the stuck alert (ops-alert schema): validation and JSON, no I/O.
 * See compensation.h.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "compensation.h"

/* The actions (the `action` enum of booking-compensation.schema.json) and the ids each needs. */
static const struct action_def {
    const char *name;
    bool needs_hotel, needs_hold, needs_auth, needs_reservation;
} ACTIONS[] = {
    {"release_hold", true, true, false, false},       {"void_preauth", false, false, true, false},
    {"cancel_reservation", true, false, false, true}, {"refund", false, false, true, false},
    {"retry_capture", false, false, true, false},
};

static const struct action_def *action_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof ACTIONS / sizeof ACTIONS[0]; i++)
        if (strcmp(ACTIONS[i].name, name) == 0)
            return &ACTIONS[i];
    return NULL;
}

void compensation_copy_id(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

const char *compensation_command_invalid(const compensation_command_t *t)
{
    const struct action_def *a = action_find(t->action);
    if (!t->booking_id[0])
        return "bookingId is required";
    if (!a)
        return "action is not one of release_hold, void_preauth, cancel_reservation, refund, "
               "retry_capture";
    if (a->needs_hotel && !t->hotel_id[0])
        return "hotelId is required for this action";
    if (a->needs_hold && !t->hold_id[0])
        return "holdId is required for release_hold";
    if (a->needs_auth && !t->payment_auth_id[0])
        return "paymentAuthId is required for this action";
    if (a->needs_reservation && !t->reservation_id[0])
        return "reservationId is required for cancel_reservation";
    if (t->amount < 0)
        return "amount must not be negative";
    return NULL;
}

struct json_object *compensation_command_to_json(const compensation_command_t *t)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "bookingId", json_object_new_string(t->booking_id));
    json_object_object_add(o, "action", json_object_new_string(t->action));
    json_object_object_add(o, "attempt", json_object_new_int(t->attempt));
    json_object_object_add(o, "reason", json_object_new_string(t->reason));
    const char *ids[][2] = {{"hotelId", t->hotel_id},
                            {"holdId", t->hold_id},
                            {"paymentAuthId", t->payment_auth_id},
                            {"reservationId", t->reservation_id},
                            {"currency", t->currency}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i][1][0])
            json_object_object_add(o, ids[i][0], json_object_new_string(ids[i][1]));
    if (t->amount > 0)
        json_object_object_add(o, "amount", json_object_new_int64(t->amount));
    return o;
}

int compensation_command_from_json(struct json_object *data, compensation_command_t *t, char *why,
                                   size_t size)
{
    memset(t, 0, sizeof *t);
    json_error_t jerr;
    const char *s[8] = {0};
    static const char *const names[] = {"bookingId",     "action",        "hotelId",  "holdId",
                                        "paymentAuthId", "reservationId", "currency", "reason"};
    static const size_t max_len[] = {64, 32, 64, 64, 64, 64, 3, 512};
    for (size_t i = 0; i < 8; i++) {
        if (json_get_string(data, names[i], i < 2, i < 2 ? 1 : 0, max_len[i], &s[i], &jerr) != 0) {
            snprintf(why, size, "%s: %s", jerr.field, jerr.message);
            return -1;
        }
    }
    int64_t attempt = 1, amount = 0;
    if (json_get_int64(data, "attempt", false, 1, 1000000, 1, &attempt, &jerr) != 0 ||
        json_get_int64(data, "amount", false, 0, INT64_MAX, 0, &amount, &jerr) != 0) {
        snprintf(why, size, "%s: %s", jerr.field, jerr.message);
        return -1;
    }
    compensation_copy_id(t->booking_id, sizeof t->booking_id, s[0]);
    compensation_copy_id(t->action, sizeof t->action, s[1]);
    compensation_copy_id(t->hotel_id, sizeof t->hotel_id, s[2]);
    compensation_copy_id(t->hold_id, sizeof t->hold_id, s[3]);
    compensation_copy_id(t->payment_auth_id, sizeof t->payment_auth_id, s[4]);
    compensation_copy_id(t->reservation_id, sizeof t->reservation_id, s[5]);
    compensation_copy_id(t->currency, sizeof t->currency, s[6]);
    compensation_copy_id(t->reason, sizeof t->reason, s[7]);
    t->attempt = (int)attempt;
    t->amount = amount;
    const char *bad = compensation_command_invalid(t);
    if (bad) {
        snprintf(why, size, "%s", bad);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------- the alert -- */

struct json_object *compensation_stuck_alert_data(const compensation_command_t *t, int attempts,
                                                  const char *last_error)
{
    char message[512];
    snprintf(message, sizeof message, "compensation %s still failing after %d attempts", t->action,
             attempts);
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "alert", json_object_new_string("compensation.stuck"));
    json_object_object_add(data, "severity", json_object_new_string("critical"));
    json_object_object_add(data, "message", json_object_new_string(message));
    json_object_object_add(data, "bookingId", json_object_new_string(t->booking_id));
    json_object_object_add(data, "action", json_object_new_string(t->action));
    json_object_object_add(data, "attempts", json_object_new_int(attempts > 0 ? attempts : 1));
    if (last_error && *last_error)
        json_object_object_add(
            data, "lastError",
            json_object_new_string_len(last_error, (int)strnlen(last_error, 512)));
    if (t->hotel_id[0])
        json_object_object_add(data, "hotelId", json_object_new_string(t->hotel_id));
    return data;
}
