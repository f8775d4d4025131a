/*
 * cancel_policy.c — cancellation policies and the refund they give
 * (cancel_policy.h).
 */
#include "common/cancel_policy.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/money.h"

#define DEFAULT_TZ "Asia/Seoul"
#define MS_PER_HOUR 3600000LL

/* glibc converts local time only through the process's TZ: the switch is
 * serialised here, and TZ is restored before the lock is released. */
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

int64_t cancel_policy_local_midnight_ms(dates_day_t day, const char *tz)
{
    char iso[DATES_ISO_LEN + 1];
    dates_format_iso(day, iso);
    struct tm tm = {0};
    if (sscanf(iso, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return (int64_t)day * 86400000LL;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    pthread_mutex_lock(&tz_lock);
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", tz && *tz ? tz : DEFAULT_TZ, 1);
    tzset();
    time_t t = mktime(&tm);
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    pthread_mutex_unlock(&tz_lock);
    free(saved);
    return (int64_t)t * 1000;
}

int cancel_policy_parse(const char *json, cancel_policy_t *out)
{
    memset(out, 0, sizeof *out);
    if (!json || !*json)
        return 0;
    json_error_t je;
    struct json_object *o = json_parse_object(json, strlen(json), &je), *v;
    if (!o)
        return -1;
    const char *type = json_object_object_get_ex(o, "type", &v) ? json_object_get_string(v) : "";
    int rc = 0;
    if (strcmp(type, "non_refundable") == 0) {
        out->type = CANCEL_POLICY_NON_REFUNDABLE;
    } else if (strcmp(type, "free_until") == 0) {
        out->type = CANCEL_POLICY_FREE_UNTIL;
        out->hours_before =
            json_object_object_get_ex(o, "hoursBefore", &v) ? json_object_get_int(v) : 0;
        const char *fee = json_object_object_get_ex(o, "fee", &v) ? json_object_get_string(v) : "";
        out->fee = strcmp(fee, "percent") == 0 ? CANCEL_FEE_PERCENT
                   : strcmp(fee, "full") == 0  ? CANCEL_FEE_FULL
                                               : CANCEL_FEE_FIRST_NIGHT;
        out->percent = json_object_object_get_ex(o, "percent", &v) ? json_object_get_int(v) : 100;
        out->first_night =
            json_object_object_get_ex(o, "firstNight", &v) ? json_object_get_int64(v) : 0;
        if (out->hours_before < 0 || out->hours_before > 24 * 365 || out->percent < 1 ||
            out->percent > 100 || out->first_night < 0)
            rc = -1;
    } else {
        rc = -1;
    }
    if (json_object_object_get_ex(o, "timeZone", &v))
        snprintf(out->time_zone, sizeof out->time_zone, "%s", json_object_get_string(v));
    json_object_put(o);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

void cancel_policy_quote(const cancel_policy_t *p, const cancel_moment_t *m, cancel_quote_t *out)
{
    memset(out, 0, sizeof *out);
    int64_t midnight = cancel_policy_local_midnight_ms(m->check_in, p->time_zone);
    int64_t fee = 0;
    if (p->type == CANCEL_POLICY_NON_REFUNDABLE) {
        fee = m->amount;
    } else if (p->type == CANCEL_POLICY_FREE_UNTIL) {
        out->deadline_ms = midnight - (int64_t)p->hours_before * MS_PER_HOUR;
        if (m->now_ms >= out->deadline_ms)
            fee = p->fee == CANCEL_FEE_FULL      ? m->amount
                  : p->fee == CANCEL_FEE_PERCENT ? m->amount * p->percent / 100
                                                 : p->first_night;
    }
    if (fee > 0 && m->free_hours > 0 && m->now_ms < m->booked_ms + m->free_hours * MS_PER_HOUR &&
        m->now_ms < midnight) {
        fee = 0;
        out->platform_floor = true;
    }
    if (fee > m->amount)
        fee = m->amount;
    out->fee = fee < 0 ? 0 : fee;
    out->refund = m->amount - out->fee;
}

/* "2025-10-29 00:00 (Asia/Seoul)" of a deadline. */
static void deadline_text(int64_t ms, const char *tz, char *out, size_t size)
{
    pthread_mutex_lock(&tz_lock);
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", tz && *tz ? tz : DEFAULT_TZ, 1);
    tzset();
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    pthread_mutex_unlock(&tz_lock);
    free(saved);
    snprintf(out, size, "%04d-%02d-%02d %02d:%02d (%s)", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tz && *tz ? tz : DEFAULT_TZ);
}

void cancel_policy_describe(const cancel_policy_t *p, dates_day_t check_in, const char *currency,
                            char *ko, size_t ko_size, char *en, size_t en_size)
{
    if (p->type == CANCEL_POLICY_NONE) {
        snprintf(ko, ko_size, "무료 취소 가능");
        snprintf(en, en_size, "Free cancellation");
        return;
    }
    if (p->type == CANCEL_POLICY_NON_REFUNDABLE) {
        snprintf(ko, ko_size, "환불 불가: 취소해도 요금이 환불되지 않습니다 (예약 후 24시간 이내 "
                              "취소는 예외, 이용일 0시 전까지)");
        snprintf(en, en_size, "Non-refundable: nothing is refunded on cancellation (except within "
                              "24 hours of booking, before 00:00 of the check-in day)");
        return;
    }
    char when[128], fee_ko[96], fee_en[96], money[32];
    deadline_text(cancel_policy_local_midnight_ms(check_in, p->time_zone) -
                      (int64_t)p->hours_before * MS_PER_HOUR,
                  p->time_zone, when, sizeof when);
    if (p->fee == CANCEL_FEE_FULL) {
        snprintf(fee_ko, sizeof fee_ko, "요금 전액");
        snprintf(fee_en, sizeof fee_en, "the full amount");
    } else if (p->fee == CANCEL_FEE_PERCENT) {
        snprintf(fee_ko, sizeof fee_ko, "요금의 %d%%", p->percent);
        snprintf(fee_en, sizeof fee_en, "%d%% of the amount", p->percent);
    } else {
        if (money_to_decimal_text(p->first_night, currency, money, sizeof money) != 0)
            snprintf(money, sizeof money, "%lld", (long long)p->first_night);
        snprintf(fee_ko, sizeof fee_ko, "첫 1박 요금(%s %s)", money, currency);
        snprintf(fee_en, sizeof fee_en, "the first night (%s %s)", money, currency);
    }
    snprintf(ko, ko_size, "%s 전까지 무료 취소, 이후 취소 시 %s 부과", when, fee_ko);
    snprintf(en, en_size, "Free cancellation before %s; after that %s is charged", when, fee_en);
}

char *cancel_policy_to_json(const cancel_policy_t *p, dates_day_t check_in, int64_t amount,
                            const char *currency)
{
    static const char *const types[] = {"none", "non_refundable", "free_until"};
    static const char *const fees[] = {"first_night", "percent", "full"};
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string(types[p->type]));
    if (p->type == CANCEL_POLICY_FREE_UNTIL) {
        json_object_object_add(o, "hoursBefore", json_object_new_int(p->hours_before));
        json_object_object_add(o, "fee", json_object_new_string(fees[p->fee]));
        if (p->fee == CANCEL_FEE_PERCENT)
            json_object_object_add(o, "percent", json_object_new_int(p->percent));
        if (p->fee == CANCEL_FEE_FIRST_NIGHT)
            json_object_object_add(o, "firstNight", json_object_new_int64(p->first_night));
    }
    json_object_object_add(o, "timeZone",
                           json_object_new_string(p->time_zone[0] ? p->time_zone : DEFAULT_TZ));
    if (amount > 0 && currency) {
        char ko[384], en[384];
        cancel_policy_describe(p, check_in, currency, ko, sizeof ko, en, sizeof en);
        struct json_object *d = json_object_new_object();
        json_object_object_add(d, "ko", json_object_new_string(ko));
        json_object_object_add(d, "en", json_object_new_string(en));
        json_object_object_add(o, "description", d);
    }
    char *text = json_to_string_dup(o);
    json_object_put(o);
    return text;
}
