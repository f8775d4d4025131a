/*
 * rate_plans.h — a room type's rate plans as inventory-svc keeps them: one
 * JSON array per night (in that night's rate key, after the base price), each
 * plan with its price and its restrictions, as the PMS states them.
 *
 * Usage:
 *     pms_rate_plans_t p;  pms_get_rate_plans(pms, hotel, room, first, n, &p, &e);
 *     pms_nights_t base;   char **plans;
 *     inv_rate_plans_split(&p, &base, &plans);   // base prices + one JSON text per night
 *     ... inv_cache_store_rate_nights(app, hotel, room, &base, plans) ...
 *     inv_rate_plans_texts_free(plans, base.count); pms_nights_free(&base);
 *
 * A night's JSON: [{"ratePlanId","name","base":bool,"amount":minor units,
 *   "rules":{"closed","closedToArrival","closedToDeparture","minLos","maxLos"}}],
 * the base plan first (proto/openapi.yaml RatePlanNight).
 * Thread-safety: pure functions. Ownership: outputs are the caller's.
 */
#ifndef INVENTORY_RATE_PLANS_H
#define INVENTORY_RATE_PLANS_H

#include "common/pms.h"

/* The base plan's price of every night into *base (currency set, available
 * -1 = not said) and each night's plans JSON into *plans (count = nights).
 * 0, or -1 on OOM (nothing to free then). */
int inv_rate_plans_split(const pms_rate_plans_t *p, pms_nights_t *base, char ***plans);

/* Frees n texts and the array; accepts NULL. */
void inv_rate_plans_texts_free(char **plans, size_t n);

#endif /* INVENTORY_RATE_PLANS_H */
