/*
 * opera_internal.h — the OPERA Cloud (OHIP Distribution) parsers, exposed for
 * the unit tests that run them on real-format payloads
 * (proto/examples/pms/opera/). Each takes the whole parsed body.
 */
#ifndef COMMON_OPERA_INTERNAL_H
#define COMMON_OPERA_INTERNAL_H

#include <json-c/json.h>

#include "common/pms.h"

#define OPERA_STATUS_MAX 32

/* The token endpoint's answer: access_token into token (token_size bytes),
 * expires_in (seconds; 3600 when absent). */
pms_err_t opera_parse_token(struct json_object *root, char *token, size_t token_size,
                            int64_t *expires_in_s, pms_error_t *err);
/* Content getPropertyInfo. */
pms_err_t opera_parse_property(struct json_object *root, pms_hotel_t *out, pms_error_t *err);
/* A Business Events answer ({businessEventData[]}): module Reservation events
 * with a confirmation number are appended to out. */
pms_err_t opera_parse_business_events(struct json_object *root, pms_booking_events_t *out,
                                      pms_error_t *err);
/* Content getRoomTypesInfo: every item appended to out; *has_more says
 * whether a next page exists. */
pms_err_t opera_parse_room_types(struct json_object *root, pms_room_types_t *out, bool *has_more,
                                 pms_error_t *err);

/* What a Shop offers answer says of one room type for a stay. */
typedef struct opera_offer {
    char status[OPERA_STATUS_MAX]; /* AvailableForSale, NoAvailability, BelowRequestedUnits,
                                      NotFound ("" when the room type is not listed) */
    bool bookable;                 /* AvailableForSale with an offer */
    char rate_plan[PMS_ID_MAX];
    char currency[4];
    int64_t total; /* the offer's total (after tax when given), minor units */
} opera_offer_t;

/* Shop getPropertyOffers for [first_night, first_night + nights) of
 * room_type_id: the room type's status and, when bookable, its first offer,
 * whose base[] ranges fill rates[0..nights) (NULL: not wanted). A bookable
 * offer whose ranges leave a night out is a protocol error. */
pms_err_t opera_parse_offers(struct json_object *root, const char *room_type_id,
                             dates_day_t first_night, int nights, opera_offer_t *out,
                             int64_t *rates, pms_error_t *err);
/* The same, and when taxes is not NULL each night's taxes (taxes[0..nights))
 * from the ranges that state amountBeforeTax and amountAfterTax, named after
 * the offer's total.taxes.tax[]; a night without both has none. */
/* One night's taxes from a range's amountBeforeTax / amountAfterTax, named
 * after the offer's total.taxes (stay_taxes, may be NULL): inclusive items,
 * the all-in total the after-tax amount. */
void opera_night_taxes(struct json_object *stay_taxes, const char *currency, int64_t before,
                       int64_t after, pms_night_taxes_t *t);
pms_err_t opera_parse_offers_taxed(struct json_object *root, const char *room_type_id,
                                   dates_day_t first_night, int nights, opera_offer_t *out,
                                   int64_t *rates, pms_night_taxes_t *taxes, pms_error_t *err);

/* One rate plan of one room type in a Shop offers answer. */
#define OPERA_MAX_STAY_NIGHTS 30
typedef struct opera_plan_offer {
    char code[PMS_ID_MAX];             /* ratePlanCode */
    char name[PMS_RATE_PLAN_NAME_MAX]; /* ratePlanName ("" when not listed) */
    bool offered;                      /* an AvailableForSale offer of the room type */
    int64_t total;                     /* offered: the stay's total, PMS_TOTAL_UNKNOWN if absent */
    int64_t rates[OPERA_MAX_STAY_NIGHTS]; /* offered: each night's rate */
    /* offered: each night's taxes, from the ranges stating amountBeforeTax
     * and amountAfterTax (count 0: none stated) */
    pms_night_taxes_t taxes[OPERA_MAX_STAY_NIGHTS];
    /* Not offered because of the plan's restrictions (availabilityStatus
     * Restricted): what OPERA names, on the arrival day and the departure
     * day. A restriction the platform has no rule for closes the stay. */
    bool restricted;
    pms_rate_rules_t arrival;
    bool departure_closed;
    char cancel_policy[PMS_CANCEL_POLICY_MAX]; /* platform JSON, "" = none we can express */
} opera_plan_offer_t;

typedef struct opera_plan_offers {
    char room_status[OPERA_STATUS_MAX]; /* the room type's availabilityStatus, "" = not listed */
    char currency[4];
    opera_plan_offer_t items[PMS_MAX_RATE_PLANS]; /* ratePlans[] order, then unlisted offers */
    size_t count;
} opera_plan_offers_t;

/* Shop getPropertyOffers for a stay [first_night, first_night + nights)
 * (nights <= OPERA_MAX_STAY_NIGHTS) of room_type_id: every rate plan the
 * answer lists, with its offer, restrictions and cancellation policy. */
pms_err_t opera_parse_plan_offers(struct json_object *root, const char *room_type_id,
                                  dates_day_t first_night, int nights, opera_plan_offers_t *out,
                                  pms_error_t *err);
/* One OfferCancelPenalty list (rateInformation.cancellationPolicies) as the
 * platform's policy JSON into out; "" when absent or not expressible. */
void opera_cancel_policy(struct json_object *policies, char *out, size_t out_size);

/* A Book BookingResponse (an element of the Response array). */
pms_err_t opera_parse_booking(struct json_object *booking, pms_reservation_t *out,
                              char status[OPERA_STATUS_MAX], pms_error_t *err);
/* The reservationStatus of an OnHoldResponse or of a CancelResponse's first item. */
pms_err_t opera_parse_status(struct json_object *root, char status[OPERA_STATUS_MAX],
                             pms_error_t *err);
/* An error body of either spelling ("o:errorCode" or "o.errorCode"): its
 * title and code into the given buffers ("" when absent). */
void opera_parse_error(struct json_object *root, char *title, size_t title_size, char *code,
                       size_t code_size);

#endif /* COMMON_OPERA_INTERNAL_H */
