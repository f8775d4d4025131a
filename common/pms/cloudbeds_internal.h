/*
 * cloudbeds_internal.h — the Cloudbeds response parsers, exposed for the unit
 * tests that run them on recorded real-format responses
 * (proto/examples/pms/cloudbeds/). Each takes the whole parsed response body.
 */
#ifndef COMMON_CLOUDBEDS_INTERNAL_H
#define COMMON_CLOUDBEDS_INTERNAL_H

#include <json-c/json.h>

#include "common/pms.h"

/* The name of the custom field that carries a hold's expiry (RFC 3339 UTC). */
#define CLOUDBEDS_HOLD_FIELD "holdExpiresAt"

pms_err_t cloudbeds_parse_hotel(struct json_object *root, pms_hotel_t *out, pms_error_t *err);
pms_err_t cloudbeds_parse_room_types(struct json_object *root, pms_room_types_t *out,
                                     pms_error_t *err);
/* getRatePlans with detailedRates=true → one entry per night of
 * [first_night, first_night + nights) for room_type_id, in `currency`.
 * A night the answer leaves out is a protocol error (never a made-up number). */
pms_err_t cloudbeds_parse_rate_plans(struct json_object *root, const char *room_type_id,
                                     dates_day_t first_night, int nights, const char *currency,
                                     pms_nights_t *out, pms_error_t *err);
/* getRatePlans with detailedRates=true → every plan of room_type_id over
 * [first_night, first_night + nights) with each night's rate and
 * restrictions, the base plan (non-derived, no promo code) first. A night a
 * plan leaves out is not sold under that plan (closed). out->first, ->nights
 * are the caller's. */
pms_err_t cloudbeds_parse_all_rate_plans(struct json_object *root, const char *room_type_id,
                                         const char *currency, pms_rate_plans_t *out,
                                         pms_error_t *err);
/* One tax or fee of getTaxesAndFees that applies to reservations, by its
 * amountType: a percentage of the night's rate, a fixed amount per room
 * night, a fixed amount per guest per night (adults and children apart, on
 * up to max_nights nights), once per room per stay ("fixed_per_accomodation",
 * the vendor's spelling), once per reservation, or a percentage that depends
 * on the night's rate (tiers); for every room type, or only those listed. */
#define CLOUDBEDS_MAX_TAX_RULES PMS_MAX_TAX_ITEMS
#define CLOUDBEDS_TAX_ROOM_TYPES 16
#define CLOUDBEDS_TAX_TIERS 8
typedef enum cloudbeds_tax_kind {
    CB_TAX_PERCENTAGE = 0,
    CB_TAX_FIXED,
    CB_TAX_PER_PERSON,
    CB_TAX_PER_ACCOMMODATION,
    CB_TAX_PER_RESERVATION,
    CB_TAX_RATE_BASED,
} cloudbeds_tax_kind_t;
typedef struct cloudbeds_tax_tier {
    int64_t max_rate; /* the highest night rate (minor units) the tier is for */
    double percent;
} cloudbeds_tax_tier_t;
typedef struct cloudbeds_tax_rule {
    char name[PMS_TAX_NAME_MAX];
    bool fee;
    bool inclusive;  /* inclusiveOrExclusive: already in the rate */
    bool percentage; /* kind CB_TAX_PERCENTAGE */
    cloudbeds_tax_kind_t kind;
    bool tax_free;       /* a fee no tax of the hotel lists in feesCharged */
    char id[PMS_ID_MAX]; /* feeID / taxID */
    double percent;
    int64_t amount;                     /* fixed kinds, minor units */
    int64_t amount_adult, amount_child; /* CB_TAX_PER_PERSON, per night */
    int max_nights;                     /* CB_TAX_PER_PERSON: 0 = every night */
    int tier_count;                     /* CB_TAX_RATE_BASED, by max_rate ascending */
    cloudbeds_tax_tier_t tiers[CLOUDBEDS_TAX_TIERS];
    int room_type_count; /* 0 = every room type */
    char room_types[CLOUDBEDS_TAX_ROOM_TYPES][PMS_ID_MAX];
} cloudbeds_tax_rule_t;

/* getTaxesAndFees → the rules that apply to reservations (availableFor
 * "rate", not deleted), amounts in `currency`. An amountType the platform
 * does not know is skipped and counted in *skipped. */
pms_err_t cloudbeds_parse_taxes(struct json_object *root, const char *currency,
                                cloudbeds_tax_rule_t *rules, int max, int *count, int *skipped,
                                pms_error_t *err);
/* The taxes and fees of `rules` on one night of room_type_id at `rate`:
 * the per-night kinds priced (percentage, fixed, rate-based), the per-person
 * and per-stay kinds listed with their basis (pms_stay_charges adds them). */
void cloudbeds_apply_taxes(const cloudbeds_tax_rule_t *rules, int count, const char *room_type_id,
                           int64_t rate, pms_night_taxes_t *out);
/* A party's price for one stay (Cloudbeds' totalRate: before the taxes and
 * fees it adds) all in, into out->total, tax, tax_known and first_night:
 * night by night when night_rates (nights entries) add up to total, so it
 * rounds as the rates read does; else total spread evenly over the nights
 * (first_night then PMS_TOTAL_UNKNOWN). The per-person charges are the
 * party's (adults, children), the per-stay ones for `rooms` rooms. */
void cloudbeds_party_all_in(const cloudbeds_tax_rule_t *rules, int count, const char *room_type_id,
                            const int64_t *night_rates, int nights, int64_t total, int rooms,
                            int adults, int children, pms_stay_check_t *out);
/* postReservation's answer, as a hold. */
pms_err_t cloudbeds_parse_post_reservation(struct json_object *root, const char *currency,
                                           pms_hold_t *out, pms_error_t *err);
/* postReservation's answer is a hold only in status "not_confirmed" (the
 * property's default status for API reservations must be that); anything
 * else is PMS_ERR_PROTOCOL and the caller cancels what was made. */
pms_err_t cloudbeds_check_hold_status(struct json_object *root, pms_error_t *err);
/* getReservation's answer. */
pms_err_t cloudbeds_parse_reservation(struct json_object *root, const char *currency,
                                      pms_reservation_t *out, pms_error_t *err);

/* getReservations' answer: the reservation made with `reference`, a live
 * one (not canceled) before a canceled one, into id (PMS_ID_MAX bytes);
 * *found says whether there is one, *total is the answer's "total". */
pms_err_t cloudbeds_parse_reservation_list(struct json_object *root, const char *reference,
                                           char *id, bool *found, int *total, pms_error_t *err);

/* getReservations' answer (with includeCustomFields): every item appended
 * to out (realloc'd; the caller frees it), its total PMS_TOTAL_UNKNOWN (the
 * list has only the balance due); *total is the answer's "total". */
pms_err_t cloudbeds_parse_reservation_items(struct json_object *root, pms_reservation_list_t *out,
                                            int *total, pms_error_t *err);

/* postWebhook's answer: data.subscriptionID into id (PMS_ID_MAX bytes). */
/* getCustomFields: whether a reservation field named (shortcode or name)
 * holdExpiresAt exists. */
pms_err_t cloudbeds_parse_custom_fields(struct json_object *root, bool *has_hold_field,
                                        pms_error_t *err);
/* getPaymentMethods: whether cash is among the property's methods. */
pms_err_t cloudbeds_parse_payment_methods(struct json_object *root, bool *has_cash,
                                          pms_error_t *err);
pms_err_t cloudbeds_parse_subscription(struct json_object *root, char *id, pms_error_t *err);

#endif /* COMMON_CLOUDBEDS_INTERNAL_H */
