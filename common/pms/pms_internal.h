/*
 * pms_internal.h — what a vendor file (cloudbeds.c, …) implements and what the
 * generic layer (pms.c) offers it. Not a public header: services use pms.h.
 *
 * A vendor turns each pms.h operation into one or more vendor HTTP requests,
 * each made with pms_http(), which applies the hotel's rate limiter, the
 * (vendor, hotel) breaker and the retry policy, and asks the vendor's
 * `classify` what each response means.
 */
#ifndef COMMON_PMS_INTERNAL_H
#define COMMON_PMS_INTERNAL_H

#include "common/http_client.h"
#include "common/pms.h"

#define PMS_MAX_HEADERS 6
#define PMS_HEADER_MAX 4096 /* an OAuth bearer token (a JWT) fits */

typedef struct pms_http_call pms_http_call_t;

typedef struct pms_vendor {
    const char *name;
    const char *default_base_url;
    double default_rate_per_second;
    pms_vendor_traits_t traits;
    /* The vendor's own per-connector state (caches), or NULL. */
    void *(*state_new)(void);
    void (*state_free)(void *state);
    /* Request headers carrying the hotel's credentials. */
    void (*auth_headers)(const char *api_key, const char *hotel_id,
                         char out[PMS_MAX_HEADERS][PMS_HEADER_MAX], int *count);
    /* Optional, instead of a per-hotel key and auth_headers: the vendor
     * authenticates the channel itself (OPERA: an OAuth token for the whole
     * environment). Called before every attempt; PMS_OK, or a failure
     * (nothing sent). */
    pms_err_t (*request_headers)(pms_connector_t *c, const pms_http_call_t *call,
                                 char out[PMS_MAX_HEADERS][PMS_HEADER_MAX], int *count,
                                 pms_error_t *err);
    /* Optional: the vendor refused our credentials (PMS_ERR_AUTH); drop any
     * cached token. The request is tried once more with fresh headers. */
    void (*auth_rejected)(pms_connector_t *c);
    /* Optional: see pms_check_stay_plan (NULL = PMS_ERR_REJECTED). */
    pms_err_t (*check_stay)(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                            dates_day_t check_in, dates_day_t check_out, int rooms, int adults,
                            int children, const char *rate_plan_id, pms_stay_check_t *out,
                            pms_error_t *err);
    /* Optional (NULL = no settings to check): fills out (zeroed, count 0),
     * each check's failure to ask the PMS as PMS_SETUP_UNKNOWN. */
    void (*check_setup)(pms_connector_t *c, const char *hotel_id, pms_setup_checks_t *out);
    /* What a response (any status) means; fills err->message on failure.
     * PMS_ERR_TRANSIENT and PMS_ERR_RATE_LIMITED are retried. */
    pms_err_t (*classify)(const http_client_response_t *resp, pms_error_t *err);

    pms_err_t (*get_hotel)(pms_connector_t *c, const char *hotel_id, pms_hotel_t *out,
                           pms_error_t *err);
    pms_err_t (*get_room_types)(pms_connector_t *c, const char *hotel_id, pms_room_types_t *out,
                                pms_error_t *err);
    pms_err_t (*get_nights)(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                            dates_day_t first_night, int nights, bool want_total, pms_nights_t *out,
                            pms_error_t *err);
    /* Optional (NULL = get_nights' rates as the one base plan). */
    pms_err_t (*get_rate_plans)(pms_connector_t *c, const char *hotel_id,
                                const char *room_type_id, dates_day_t first_night, int nights,
                                pms_rate_plans_t *out, pms_error_t *err);
    pms_err_t (*create_hold)(pms_connector_t *c, const pms_hold_request_t *req, pms_hold_t *out,
                             pms_error_t *err);
    pms_err_t (*release_hold)(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                              pms_error_t *err);
    pms_err_t (*confirm_hold)(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                              pms_reservation_t *out, pms_error_t *err);
    /* Optional (NULL = confirm_hold): confirm a hold whose expiry the caller
     * knows, in as few requests as the vendor allows. */
    pms_err_t (*confirm_own_hold)(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                                  int64_t expires_at_ms, pms_reservation_t *out, pms_error_t *err);
    pms_err_t (*cancel_reservation)(pms_connector_t *c, const char *hotel_id,
                                    const char *reservation_id, pms_error_t *err);
    pms_err_t (*get_reservation)(pms_connector_t *c, const char *hotel_id,
                                 const char *reservation_id, pms_reservation_t *out,
                                 pms_error_t *err);
    pms_err_t (*find_reservation)(pms_connector_t *c, const char *hotel_id, const char *reference,
                                  dates_day_t check_in, pms_reservation_t *out, pms_error_t *err);
    /* Optional (NULL = PMS_ERR_REJECTED: the vendor cannot list): appends
     * to out, which the generic layer frees on failure. */
    pms_err_t (*list_reservations)(pms_connector_t *c, const char *hotel_id,
                                   dates_day_t check_in_from, dates_day_t check_in_to,
                                   pms_reservation_list_t *out, pms_error_t *err);
    pms_err_t (*subscribe_webhooks)(pms_connector_t *c, const char *hotel_id,
                                    const char *endpoint_url, pms_subscriptions_t *out,
                                    pms_error_t *err);
    /* Optional (NULL = PMS_ERR_REJECTED: no change feed): see
     * pms_take_booking_events; out is zeroed by the generic layer. */
    pms_err_t (*take_booking_events)(pms_connector_t *c, const char *hotel_id,
                                     pms_booking_events_t *out, pms_error_t *err);
} pms_vendor_t;

extern const pms_vendor_t pms_vendor_cloudbeds;
extern const pms_vendor_t pms_vendor_opera;

/* One vendor HTTP request. `query` and `form` are NULL-terminated key, value
 * pairs; a form is sent as application/x-www-form-urlencoded, `json` as
 * application/json (one of the two). */
struct pms_http_call {
    const char *hotel_id;
    const char *op; /* the vendor method, for metrics and logs */
    const char *method;
    const char *path;
    const char *const *query;
    const char *const *form;
    const char *json;
    /* A request that may take effect twice if repeated (postReservation on a
     * vendor without idempotency keys): retried only when the vendor surely
     * did not act on it (429, connection refused) — never after a timeout or
     * a 5xx, when it may have. */
    bool not_idempotent;
};

/* Makes the request under limiter, breaker and retry. On PMS_OK *resp holds
 * the successful response (clear it); on failure it is cleared already and
 * err says why. */
pms_err_t pms_http(pms_connector_t *c, const pms_http_call_t *call, http_client_response_t *resp,
                   pms_error_t *err);

/* Sets err (code, message) and returns the code. */
pms_err_t pms_fail(pms_error_t *err, pms_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The vendor state made by state_new. */
void *pms_vendor_state(const pms_connector_t *c);

/* The connector's HTTP client (for requests outside a hotel's budget, such
 * as an environment's OAuth token). */
http_client_t *pms_connector_http(const pms_connector_t *c);

/* The hotel's credential as key_fn gives it: 0, or -1 when there is none. */
int pms_connector_key(const pms_connector_t *c, const char *hotel_id, char *out, size_t size);

/* The connector's config (for vendors needing e.g. the clock). */
const pms_config_t *pms_connector_config(const pms_connector_t *c);

#endif /* COMMON_PMS_INTERNAL_H */
