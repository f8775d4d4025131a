/*
 * opera_plans.c — an OPERA Shop offers answer read plan by plan: each rate
 * plan's nightly rates, the restrictions OPERA names when it will not sell
 * the stay under a plan, and the plan's cancellation policy in the
 * platform's terms (opera_internal.h).
 *
 * OPERA states restrictions against a requested stay, never as a per-night
 * calendar: a plan the stay breaks a rule of is listed in ratePlans[] as
 * "Restricted" with the rules it breaks (restrictionType, restrictionValue),
 * and has no offer.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "common/money.h"
#include "opera_internal.h"
#include "pms_internal.h"

static const char *str_at(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static struct json_object *member(struct json_object *o, const char *key, json_type type)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
        return NULL;
    return v;
}

static bool num_at(struct json_object *o, const char *key, double *out)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) ||
        (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)))
        return false;
    *out = json_object_get_double(v);
    return true;
}

/* After tax when stated, else before tax (as the room price elsewhere). */
static pms_err_t amount_at(struct json_object *o, const char *currency, int64_t *out,
                           pms_error_t *err)
{
    double v;
    if (!num_at(o, "amountAfterTax", &v) && !num_at(o, "amountBeforeTax", &v))
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA amount without amountAfterTax");
    if (money_from_double(v, currency, out) != 0)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA amount %.4f has more decimals than %s", v,
                        currency);
    return PMS_OK;
}

void opera_cancel_policy(struct json_object *policies, char *out, size_t out_size)
{
    out[0] = '\0';
    struct json_object *first = policies && json_object_is_type(policies, json_type_array) &&
                                        json_object_array_length(policies) > 0
                                    ? json_object_array_get_idx(policies, 0)
                                    : NULL;
    struct json_object *policy = member(first, "policy", json_type_object);
    if (!policy)
        return;
    struct json_object *deadline = member(policy, "deadline", json_type_object);
    struct json_object *penalty = member(policy, "amountPercent", json_type_object);
    const char *basis = str_at(penalty, "basisType");
    double from_arrival = -1, from_booking = -1, nights = 0, percent = 0;
    num_at(deadline, "offsetFromArrival", &from_arrival);
    num_at(deadline, "offsetFromBookingDate", &from_booking);
    num_at(penalty, "nights", &nights);
    num_at(penalty, "percent", &percent);
    if (!basis)
        return;
    /* the whole stay due from the moment of booking: non-refundable */
    if (strcmp(basis, "FullAmount") == 0 && (from_arrival < 0 || from_booking == 0)) {
        snprintf(out, out_size, "{\"type\":\"non_refundable\"}");
        return;
    }
    if (from_arrival < 0 || from_arrival > 365)
        return; /* a deadline counted from booking, or an absolute one: not ours to express */
    int hours = (int)from_arrival * 24;
    if (strcmp(basis, "FullAmount") == 0)
        snprintf(out, out_size, "{\"type\":\"free_until\",\"hoursBefore\":%d,\"fee\":\"full\"}",
                 hours);
    else if ((strcmp(basis, "Nights") == 0 && nights == 1) ||
             (strcmp(basis, "NightPercentage") == 0 && percent == 100))
        snprintf(out, out_size,
                 "{\"type\":\"free_until\",\"hoursBefore\":%d,\"fee\":\"first_night\"}", hours);
    else if (strcmp(basis, "Percentage") == 0 && percent >= 1 && percent <= 100 &&
             percent == (int)percent)
        snprintf(out, out_size,
                 "{\"type\":\"free_until\",\"hoursBefore\":%d,\"fee\":\"percent\",\"percent\":%d}",
                 hours, (int)percent);
    /* several nights, a flat amount: the platform's policies cannot say it;
     * a policy configured on the platform is the way for such a hotel */
}

static opera_plan_offer_t *plan_of(opera_plan_offers_t *out, const char *code)
{
    for (size_t i = 0; i < out->count; i++)
        if (strcmp(out->items[i].code, code) == 0)
            return &out->items[i];
    if (out->count >= PMS_MAX_RATE_PLANS || strlen(code) >= PMS_ID_MAX)
        return NULL;
    opera_plan_offer_t *p = &out->items[out->count++];
    memset(p, 0, sizeof *p);
    snprintf(p->code, sizeof p->code, "%s", code);
    p->total = PMS_TOTAL_UNKNOWN;
    return p;
}

static void read_restrictions(struct json_object *list, opera_plan_offer_t *p)
{
    bool named = false;
    for (size_t i = 0; list && i < json_object_array_length(list); i++) {
        struct json_object *r = json_object_array_get_idx(list, i);
        const char *type = str_at(r, "restrictionType");
        double v = 0;
        num_at(r, "restrictionValue", &v);
        if (!type)
            continue;
        named = true;
        if (strcmp(type, "Closed") == 0)
            p->arrival.closed = true;
        else if (strcmp(type, "ClosedForArrival") == 0)
            p->arrival.closed_to_arrival = true;
        else if (strcmp(type, "ClosedForDeparture") == 0)
            p->departure_closed = true;
        else if (strcmp(type, "MinimumLengthOfStay") == 0 ||
                 strcmp(type, "MinimumStayThrough") == 0)
            p->arrival.min_los = (int)v;
        else if (strcmp(type, "MaximumLengthOfStay") == 0 ||
                 strcmp(type, "MaximumStayThrough") == 0)
            p->arrival.max_los = (int)v;
        else
            p->arrival.closed = true; /* advance booking, LOS pattern: not sold for this stay */
    }
    if (!named)
        p->arrival.closed = true; /* restricted without saying how: not sold */
}

pms_err_t opera_parse_plan_offers(struct json_object *root, const char *room_type_id,
                                  dates_day_t first_night, int nights, opera_plan_offers_t *out,
                                  pms_error_t *err)
{
    memset(out, 0, sizeof *out);
    if (nights < 1 || nights > OPERA_MAX_STAY_NIGHTS)
        return pms_fail(err, PMS_ERR_INVALID, "a stay of 1 to %d nights", OPERA_MAX_STAY_NIGHTS);
    struct json_object *stays = member(root, "roomStays", json_type_array);
    if (!stays)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA offers answer has no roomStays");
    for (size_t s = 0; s < json_object_array_length(stays); s++) {
        struct json_object *stay = json_object_array_get_idx(stays, s);
        struct json_object *types = member(stay, "roomTypes", json_type_array);
        for (size_t i = 0; types && i < json_object_array_length(types); i++) {
            struct json_object *t = json_object_array_get_idx(types, i);
            const char *id = str_at(t, "roomType"), *st = str_at(t, "availabilityStatus");
            if (id && st && strcmp(id, room_type_id) == 0)
                snprintf(out->room_status, sizeof out->room_status, "%s", st);
        }
        struct json_object *plans = member(stay, "ratePlans", json_type_array);
        for (size_t i = 0; plans && i < json_object_array_length(plans); i++) {
            struct json_object *rp = json_object_array_get_idx(plans, i);
            const char *code = str_at(rp, "ratePlanCode");
            opera_plan_offer_t *p = code ? plan_of(out, code) : NULL;
            if (!p)
                continue;
            const char *name = str_at(rp, "ratePlanName");
            if (name)
                snprintf(p->name, sizeof p->name, "%s", name);
            const char *st = str_at(rp, "availabilityStatus");
            if (st && strcmp(st, "Restricted") == 0) {
                p->restricted = true;
                /* the plan's own list when OPERA gives one (asked by code),
                 * else the stay's */
                struct json_object *list = member(rp, "restrictions", json_type_array);
                read_restrictions(list ? list : member(stay, "restrictions", json_type_array), p);
            }
        }
        struct json_object *offers = member(stay, "offers", json_type_array);
        for (size_t i = 0; offers && i < json_object_array_length(offers); i++) {
            struct json_object *o = json_object_array_get_idx(offers, i);
            const char *id = str_at(o, "roomType"), *code = str_at(o, "ratePlanCode");
            const char *st = str_at(o, "availabilityStatus");
            if (!id || strcmp(id, room_type_id) != 0 || (st && strcmp(st, "AvailableForSale")))
                continue;
            if (!code || !*code)
                return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA offer without ratePlanCode");
            opera_plan_offer_t *p = plan_of(out, code);
            if (!p)
                continue;
            struct json_object *total = member(o, "total", json_type_object);
            struct json_object *info = member(o, "rateInformation", json_type_object);
            struct json_object *base = member(info, "base", json_type_array);
            const char *cur = str_at(total, "currencyCode");
            if (!cur && base && json_object_array_length(base) > 0)
                cur = str_at(json_object_array_get_idx(base, 0), "currencyCode");
            if (!cur || !money_currency_known(cur))
                return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA offer for %s has no currency",
                                room_type_id);
            snprintf(out->currency, sizeof out->currency, "%s", cur);
            if (total && amount_at(total, cur, &p->total, err) != PMS_OK)
                return err->code;
            for (int k = 0; k < nights; k++)
                p->rates[k] = -1;
            memset(p->taxes, 0, sizeof p->taxes);
            for (size_t r = 0; base && r < json_object_array_length(base); r++) {
                struct json_object *range = json_object_array_get_idx(base, r);
                dates_day_t from, to;
                int64_t amount;
                if (!str_at(range, "start") || !str_at(range, "end") ||
                    dates_parse_iso(str_at(range, "start"), &from) != 0 ||
                    dates_parse_iso(str_at(range, "end"), &to) != 0)
                    return pms_fail(err, PMS_ERR_PROTOCOL,
                                    "OPERA rate range without start/end dates");
                if (amount_at(range, cur, &amount, err) != PMS_OK)
                    return err->code;
                double before_v, after_v;
                int64_t before, after;
                bool taxed = num_at(range, "amountBeforeTax", &before_v) &&
                             num_at(range, "amountAfterTax", &after_v) &&
                             money_from_double(before_v, cur, &before) == 0 &&
                             money_from_double(after_v, cur, &after) == 0 && after >= before;
                for (dates_day_t d = from; d <= to; d++)
                    if (d >= first_night && d < first_night + nights) {
                        p->rates[d - first_night] = amount;
                        if (taxed)
                            opera_night_taxes(member(total, "taxes", json_type_object), cur,
                                              before, after, &p->taxes[d - first_night]);
                    }
            }
            for (int k = 0; k < nights; k++)
                if (p->rates[k] < 0)
                    return pms_fail(err, PMS_ERR_PROTOCOL,
                                    "OPERA offer %s for %s leaves night %d of %d unpriced", code,
                                    room_type_id, k + 1, nights);
            p->offered = true;
            p->restricted = false;
            opera_cancel_policy(member(info, "cancellationPolicies", json_type_array),
                                p->cancel_policy, sizeof p->cancel_policy);
        }
    }
    return PMS_OK;
}
