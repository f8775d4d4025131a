/*
 * selling_rules.h — a rate plan's restrictions against a stay: stop-sell
 * (closed) on a night of the stay, closed to arrival on the arrival day,
 * closed to departure on the departure day, and the arrival day's minimum
 * and maximum length of stay — the rules every PMS publishes with its rates
 * (Cloudbeds getRatePlans: blocked, closedToArrival, closedToDeparture,
 * minLos, maxLos). Pure: the checkout gives it the rules it read.
 *
 * Usage:
 *     selling_rules_night_t nights[n + 1];   // the stay's nights, then the departure day
 *     selling_rules_verdict_t v;
 *     if (selling_rules_check(nights, n, check_in, &v) != 0) → 409 v.code, v.message
 *
 * Edges: a stay may end on a closed night (the departure day is not stayed),
 * and a stay of exactly minLos (or maxLos) nights is accepted.
 * Thread-safety: pure. Ownership: the caller's buffers.
 */
#ifndef BOOKING_SELLING_RULES_H
#define BOOKING_SELLING_RULES_H

#include <stdbool.h>

#include "common/dates.h"
#include "common/pms.h"

typedef struct selling_rules_night {
    bool known; /* the rules of this day were read */
    pms_rate_rules_t rules;
} selling_rules_night_t;

typedef struct selling_rules_verdict {
    char code[40];     /* RATE_PLAN_CLOSED, CLOSED_TO_ARRIVAL, CLOSED_TO_DEPARTURE,
                          MIN_STAY_NOT_MET, MAX_STAY_EXCEEDED */
    char message[384]; /* Korean, then English, naming the day and the rule */
} selling_rules_verdict_t;

/* nights[0..n-1] are the stay's nights from check_in, nights[n] the
 * departure day. 0 when no known rule is broken; -1 with *out set to the
 * first broken one (closed nights, arrival, departure, length). Unknown days
 * break nothing: the PMS is the final judge. */
int selling_rules_check(const selling_rules_night_t *nights, int n, dates_day_t check_in,
                        selling_rules_verdict_t *out);

#endif /* BOOKING_SELLING_RULES_H */
