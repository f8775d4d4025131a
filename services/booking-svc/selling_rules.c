/*
 * selling_rules.c — a stay against a rate plan's restrictions (selling_rules.h).
 */
#include "selling_rules.h"

#include <stdio.h>
#include <string.h>

#define VERDICT(out, code_text, ...)                                                               \
    (snprintf((out)->code, sizeof(out)->code, "%s", code_text),                                    \
     snprintf((out)->message, sizeof(out)->message, __VA_ARGS__), -1)

int selling_rules_check(const selling_rules_night_t *nights, int n, dates_day_t check_in,
                        selling_rules_verdict_t *out)
{
    memset(out, 0, sizeof *out);
    char day[DATES_ISO_LEN + 1];
    for (int i = 0; i < n; i++) {
        if (nights[i].known && nights[i].rules.closed) {
            dates_format_iso(check_in + i, day);
            return VERDICT(out, "RATE_PLAN_CLOSED",
                           "판매 마감: %s 숙박은 이 요금제로 예약할 수 없습니다 (closed: the "
                           "rate plan is not sold for the night of %s)",
                           day, day);
        }
    }
    const selling_rules_night_t *arrival = &nights[0], *departure = &nights[n];
    const pms_rate_rules_t *r = &arrival->rules;
    dates_format_iso(check_in, day);
    if (arrival->known && r->closed_to_arrival)
        return VERDICT(out, "CLOSED_TO_ARRIVAL",
                       "도착 불가: %s에는 체크인할 수 없습니다 (closed to arrival on %s)", day,
                       day);
    if (arrival->known && r->min_los > 0 && n < r->min_los)
        return VERDICT(out, "MIN_STAY_NOT_MET",
                       "최소 %d박 이상 예약해야 합니다 (%s 도착) (minimum stay of %d nights for "
                       "arrival on %s)",
                       r->min_los, day, r->min_los, day);
    if (arrival->known && r->max_los > 0 && n > r->max_los)
        return VERDICT(out, "MAX_STAY_EXCEEDED",
                       "최대 %d박까지 예약할 수 있습니다 (%s 도착) (maximum stay of %d nights "
                       "for arrival on %s)",
                       r->max_los, day, r->max_los, day);
    if (departure->known && departure->rules.closed_to_departure) {
        dates_format_iso(check_in + n, day);
        return VERDICT(out, "CLOSED_TO_DEPARTURE",
                       "출발 불가: %s에는 체크아웃할 수 없습니다 (closed to departure on %s)",
                       day, day);
    }
    return 0;
}
