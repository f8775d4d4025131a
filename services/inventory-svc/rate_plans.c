/*
 * rate_plans.c — the per-night rate plan JSON (rate_plans.h).
 */
#include "rate_plans.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static struct json_object *rules_json(const pms_rate_rules_t *r)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "closed", json_object_new_boolean(r->closed));
    json_object_object_add(o, "closedToArrival", json_object_new_boolean(r->closed_to_arrival));
    json_object_object_add(o, "closedToDeparture",
                           json_object_new_boolean(r->closed_to_departure));
    json_object_object_add(o, "minLos", json_object_new_int(r->min_los));
    json_object_object_add(o, "maxLos", json_object_new_int(r->max_los));
    return o;
}

/* The night's taxes and fees as the PMS states them, each {name, type
 * tax|fee, amount, inclusive, basis}: an inclusive one is in `amount`
 * already; one per guest states amountAdult, amountChild (and maxNights). */
static struct json_object *taxes_json(const pms_night_taxes_t *t)
{
    struct json_object *arr = json_object_new_array();
    for (int i = 0; arr && i < t->count; i++) {
        const pms_tax_item_t *it = &t->items[i];
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(it->name));
        json_object_object_add(o, "type", json_object_new_string(it->fee ? "fee" : "tax"));
        json_object_object_add(o, "amount", json_object_new_int64(it->amount));
        json_object_object_add(o, "inclusive", json_object_new_boolean(it->inclusive));
        /* what the amount is charged on: a night's totalAmount has only the
         * per-night items; the others are the stay's (the read's stay) */
        json_object_object_add(o, "basis", json_object_new_string(pms_tax_basis_name(it->basis)));
        if (it->tax_free) /* a fee no tax is charged on: the price's tax-free part */
            json_object_object_add(o, "taxFree", json_object_new_boolean(true));
        if (it->basis == PMS_TAX_PER_PERSON_NIGHT) {
            json_object_object_add(o, "amountAdult", json_object_new_int64(it->amount_adult));
            json_object_object_add(o, "amountChild", json_object_new_int64(it->amount_child));
            if (it->max_nights > 0)
                json_object_object_add(o, "maxNights", json_object_new_int(it->max_nights));
        }
        json_object_array_add(arr, o);
    }
    return arr;
}

/* Night i of every plan, as JSON text (malloc'd) or NULL on OOM. */
static char *night_json(const pms_rate_plans_t *p, int i)
{
    struct json_object *arr = json_object_new_array();
    for (size_t k = 0; arr && k < p->count; k++) {
        const pms_rate_plan_t *plan = &p->items[k];
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "ratePlanId", json_object_new_string(plan->id));
        json_object_object_add(o, "name", json_object_new_string(plan->name));
        json_object_object_add(o, "base", json_object_new_boolean(plan->is_base));
        const pms_plan_night_t *pn = &plan->nights[i];
        /* a night the PMS did not price under the plan (OPERA: closed by a
         * restriction) has no amount rather than a misleading 0 */
        if (pn->unpriced)
            json_object_object_add(o, "priced", json_object_new_boolean(false));
        else
            json_object_object_add(o, "amount", json_object_new_int64(pn->rate));
        json_object_object_add(o, "rules", rules_json(&pn->rules));
        /* the hotel's PMS's own policy for the plan: shown and applied when
         * none is configured on the platform */
        struct json_object *policy =
            plan->cancel_policy[0] ? json_tokener_parse(plan->cancel_policy) : NULL;
        if (policy)
            json_object_object_add(o, "pmsCancellationPolicy", policy);
        if (!pn->unpriced) {
            json_object_object_add(o, "taxes", taxes_json(&pn->taxes));
            json_object_object_add(o, "totalAmount",
                                   json_object_new_int64(pms_night_all_in(pn->rate, &pn->taxes)));
        }
        json_object_array_add(arr, o);
    }
    char *text = arr ? json_to_string_dup(arr) : NULL;
    json_object_put(arr);
    return text;
}

void inv_rate_plans_texts_free(char **plans, size_t n)
{
    for (size_t i = 0; plans && i < n; i++)
        free(plans[i]);
    free(plans);
}

int inv_rate_plans_split(const pms_rate_plans_t *p, pms_nights_t *base, char ***plans)
{
    memset(base, 0, sizeof *base);
    *plans = NULL;
    const pms_rate_plan_t *b = pms_rate_plan_find(p, NULL);
    if (!b && p->count > 0)
        b = &p->items[0];
    size_t n = (size_t)p->nights;
    base->items = calloc(n, sizeof *base->items);
    char **texts = calloc(n, sizeof *texts);
    if (!base->items || !texts)
        goto fail;
    memcpy(base->currency, p->currency, sizeof base->currency);
    for (size_t i = 0; i < n; i++) {
        base->items[i] = (pms_night_t){.date = p->first + (dates_day_t)i,
                                       .available = -1,
                                       .rate = b ? b->nights[i].rate : 0};
        if (!(texts[i] = night_json(p, (int)i)))
            goto fail;
    }
    base->count = n;
    *plans = texts;
    return 0;
fail:
    inv_rate_plans_texts_free(texts, n);
    free(base->items);
    base->items = NULL;
    return -1;
}
