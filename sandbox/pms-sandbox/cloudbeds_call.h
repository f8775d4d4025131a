/*
 * cloudbeds_call.h — what the vendor API's method handlers share (internal to
 * the sandbox): the call being answered, responses, and parameter readers
 * that answer 400 naming the parameter themselves.
 *
 * Usage (a handler):
 *     int api_get_reservation(api_call_t *call) {
 *         const char *id;
 *         if (api_param_text(call, "reservationID", true, 64, &id) != 0)
 *             return 0;                                   // 400 already sent
 *         ...
 *         return api_reply(call, data_object);            // {"success":true,"data":...}
 *     }
 *
 * Parameters come from the form body (POST/PUT) and then the query string.
 * Thread-safety: a call belongs to one request thread. Ownership: strings
 * returned by the readers live as long as the call.
 */
#ifndef PMS_SANDBOX_CLOUDBEDS_CALL_H
#define PMS_SANDBOX_CLOUDBEDS_CALL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "api_limits.h"
#include "cloudbeds_api.h"
#include "common/dates.h"
#include "sandbox_form.h"
#include "seed.h"

#define API_ID_MAX_LEN 64
#define API_MAX_RANGE_NIGHTS LEDGER_INVENTORY_DAYS

struct cloudbeds_api {
    ledger_t *ledger;
    webhooks_t *webhooks;
    sandbox_faults_t *faults;
    api_limits_t *limits;
};

typedef struct api_call {
    http_request_t *req;
    cloudbeds_api_t *api;
    seed_t *seed;              /* a reference held for the call */
    const seed_hotel_t *hotel; /* the property, authenticated */
    sandbox_form_t *form;      /* POST/PUT body, NULL otherwise */
    const char *op;            /* the vendor method's name (the fault-injection op) */
} api_call_t;

/* --- responses: each returns 0 (the handler's return value) --- */
/* Error with a printf-style message. */
int api_fail(api_call_t *call, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same, returning -1: for readers and checks whose callers pass it on. */
int api_param_fail(api_call_t *call, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 200 with `body` (consumed). */
int api_reply_raw(api_call_t *call, json_object *body);
/* 200 {"success":true,"data":data} (consumed). */
int api_reply(api_call_t *call, json_object *data);

/* --- parameters: 0 and the value, or -1 after answering 400 --- */
/* A text of 1..max_len bytes; absent and optional → *out = NULL. */
int api_param_text(api_call_t *call, const char *name, bool required, size_t max_len,
                   const char **out);
/* A YYYY-MM-DD date. */
int api_param_date(api_call_t *call, const char *name, bool required, dates_day_t *out);
/* A decimal integer in [min, max]; absent and optional → def. */
int api_param_int(api_call_t *call, const char *name, bool required, long min, long max, long def,
                  long *out);
/* true/false/1/0; absent → def. */
int api_param_bool(api_call_t *call, const char *name, bool def, bool *out);
/* startDate and endDate (check-out): valid, end after start, at most
 * max_nights nights, inside the sandbox's inventory window. */
int api_param_stay(api_call_t *call, int max_nights, dates_day_t *start, dates_day_t *end);
/* Does the comma-separated list (NULL = everything) contain `id`? */
bool api_list_contains(const char *list, const char *id);
/* Iterates a comma-separated list: copies the next item, without surrounding
 * spaces, into out and advances *p. False at the end. An item that does not
 * fit comes back as "" with *too_long set. */
bool api_list_next(const char **p, char *out, size_t size, bool *too_long);

/* --- JSON helpers --- */
json_object *api_date_json(dates_day_t day);
json_object *api_time_json(int64_t unix_ms); /* RFC 3339 UTC, seconds */
json_object *api_photos_json(const seed_photo_t *photos, size_t n);
json_object *api_strings_json(char *const *strings, size_t n);

/* --- methods --- */
int api_get_hotel_details(api_call_t *call);
int api_get_taxes_and_fees(api_call_t *call);
int api_get_custom_fields(api_call_t *call);
int api_get_payment_methods(api_call_t *call);
int api_get_room_types(api_call_t *call);
int api_get_rate_plans(api_call_t *call);
int api_get_available_room_types(api_call_t *call);
int api_post_reservation(api_call_t *call);
int api_put_reservation(api_call_t *call);
int api_get_reservation(api_call_t *call);
int api_get_reservations(api_call_t *call);
int api_post_webhook(api_call_t *call);
int api_get_webhooks(api_call_t *call);
int api_delete_webhook(api_call_t *call);

#endif /* PMS_SANDBOX_CLOUDBEDS_CALL_H */
