/*
 * cancel_policy.h — a rate plan's cancellation policy and what a cancel
 * costs under it at a given moment, with the platform's own floor on top.
 *
 * A policy (JSON, as stored in cancellation_policy.policy and snapshotted
 * into the booking at checkout):
 *     {"type":"non_refundable"}
 *     {"type":"free_until","hoursBefore":72,"fee":"first_night"|"percent"|"full",
 *      "percent":50,"timeZone":"Asia/Seoul","firstNight":125000}
 * free_until: cancelling before (check-in day 00:00 in the hotel's time zone
 * − hoursBefore hours) costs nothing; later, the fee (the first night's price
 * — firstNight, the snapshot's, all rooms — a percentage of the amount, or
 * everything). Without a policy (none configured) a cancel is free.
 *
 * The platform floor (BOOKING_FREE_CANCEL_HOURS, default 24; 0 = off): a
 * cancel within that many hours of booking is free whatever the hotel's
 * policy, but never on or after the check-in day (00:00 in the hotel's time
 * zone) — the Korean dispute-resolution standard for lodging as amended on
 * 2024-12-27.
 *
 * Usage:
 *     cancel_policy_t p; cancel_policy_parse(json_text, &p);
 *     cancel_quote_t q; cancel_policy_quote(&p, &when, &q);   // q.fee, q.refund
 *     cancel_policy_describe(&p, check_in, amount, currency, ko, en, size);
 *
 * Thread-safety: safe (time-zone conversion is serialised inside).
 * Ownership: plain structs of the caller.
 */
#ifndef COMMON_CANCEL_POLICY_H
#define COMMON_CANCEL_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/dates.h"

#define CANCEL_POLICY_DEFAULT_FREE_HOURS 24
#define CANCEL_POLICY_TZ_MAX 64

typedef enum {
    CANCEL_POLICY_NONE = 0,       /* none configured: cancels are free */
    CANCEL_POLICY_NON_REFUNDABLE, /* nothing back, ever (the platform floor aside) */
    CANCEL_POLICY_FREE_UNTIL,     /* free until a deadline, then the fee */
} cancel_policy_type_t;

typedef enum { CANCEL_FEE_FIRST_NIGHT = 0, CANCEL_FEE_PERCENT, CANCEL_FEE_FULL } cancel_fee_t;

typedef struct cancel_policy {
    cancel_policy_type_t type;
    int hours_before;       /* free_until: before check-in day 00:00 local */
    cancel_fee_t fee;       /* free_until: what a late cancel costs */
    int percent;            /* CANCEL_FEE_PERCENT: 1..100 of the amount */
    int64_t first_night;    /* CANCEL_FEE_FIRST_NIGHT: minor units, all rooms */
    char time_zone[CANCEL_POLICY_TZ_MAX]; /* IANA name; "" = Asia/Seoul */
} cancel_policy_t;

/* 0, or -1 for a text that is not a policy (then *out is NONE). NULL or ""
 * is NONE. */
int cancel_policy_parse(const char *json, cancel_policy_t *out);
/* The policy as JSON text (malloc'd; NULL on OOM), with "description":
 * {"ko","en"} when check_in/amount are given (amount > 0). */
char *cancel_policy_to_json(const cancel_policy_t *p, dates_day_t check_in, int64_t amount,
                            const char *currency);

/* What a cancel at now_ms costs: the booking's amount, when it was made and
 * its check-in day; free_hours is the platform floor (0 = none). */
typedef struct cancel_moment {
    int64_t now_ms, booked_ms;
    dates_day_t check_in;
    int64_t amount;
    int free_hours;
} cancel_moment_t;

typedef struct cancel_quote {
    int64_t fee, refund;  /* fee + refund = amount */
    bool platform_floor;  /* free because of the platform's floor */
    int64_t deadline_ms;  /* free_until: the last free moment (exclusive); 0 otherwise */
} cancel_quote_t;

void cancel_policy_quote(const cancel_policy_t *p, const cancel_moment_t *m, cancel_quote_t *out);

/* Unix ms of 00:00 on `day` in time zone tz ("" = Asia/Seoul). */
int64_t cancel_policy_local_midnight_ms(dates_day_t day, const char *tz);

/* The policy in words a guest understands (Korean into ko, English into en). */
void cancel_policy_describe(const cancel_policy_t *p, dates_day_t check_in, const char *currency,
                            char *ko, size_t ko_size, char *en, size_t en_size);

#endif /* COMMON_CANCEL_POLICY_H */
