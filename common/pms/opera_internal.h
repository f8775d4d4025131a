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
pms_err_t opera_parse_offers_taxed(struct json_object *root, const char *room_type_id,
                                   dates_day_t first_night, int nights, opera_offer_t *out,
                                   int64_t *rates, pms_night_taxes_t *taxes, pms_error_t *err);

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
