/*
 * money_json.c — minor units rendered as Cloudbeds' JSON numbers (see money_json.h).
 */
#include "money_json.h"

#include <json-c/json.h>

#include "common/money.h"

#define MONEY_TEXT_LEN 32

struct json_object *money_json(int64_t minor, const char *currency)
{
    int exponent = money_exponent(currency);
    char text[MONEY_TEXT_LEN];
    if (exponent <= 0 || money_to_decimal_text(minor, currency, text, sizeof text) != 0)
        return json_object_new_int64(minor);
    double unit = 1.0;
    for (int i = 0; i < exponent; i++)
        unit *= 10.0;
    /* The text keeps the exact decimals; the double is what json-c reports if asked. */
    return json_object_new_double_s((double)minor / unit, text);
}
