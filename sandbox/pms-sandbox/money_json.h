/*
 * money_json.h — an amount in minor units (common/money.h) as the JSON number
 * Cloudbeds answers with: in major units of the currency, an integer for
 * KRW/JPY (125000), exactly the currency's decimals otherwise (189.50).
 *
 * Usage:
 *     json_object_object_add(o, "roomRate", money_json(18950, "USD"));   // 189.50
 *
 * Thread-safety: reentrant. Ownership: the caller owns the new json_object.
 */
#ifndef PMS_SANDBOX_MONEY_JSON_H
#define PMS_SANDBOX_MONEY_JSON_H

#include <stdint.h>

struct json_object;

struct json_object *money_json(int64_t minor, const char *currency);

#endif /* PMS_SANDBOX_MONEY_JSON_H */
