/*
 * money.c — see money.h. Exponents from ISO 4217 for the currencies a lodging
 * platform meets; unknown codes are refused rather than guessed.
 */
#include "common/money.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char code[4];
    int exponent;
} currency_t;

static const currency_t CURRENCIES[] = {
    {"AED", 2}, {"AUD", 2}, {"BHD", 3}, {"BRL", 2}, {"CAD", 2}, {"CHF", 2}, {"CLP", 0},
    {"CNY", 2}, {"CZK", 2}, {"DKK", 2}, {"EUR", 2}, {"GBP", 2}, {"HKD", 2}, {"HUF", 2},
    {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"ISK", 0}, {"JOD", 3}, {"JPY", 0}, {"KRW", 0},
    {"KWD", 3}, {"MXN", 2}, {"MYR", 2}, {"NOK", 2}, {"NZD", 2}, {"OMR", 3}, {"PHP", 2},
    {"PLN", 2}, {"SAR", 2}, {"SEK", 2}, {"SGD", 2}, {"THB", 2}, {"TND", 3}, {"TRY", 2},
    {"TWD", 2}, {"UGX", 0}, {"USD", 2}, {"VND", 0}, {"XAF", 0}, {"XOF", 0}, {"ZAR", 2},
};

int money_exponent(const char *currency)
{
    if (!currency || strlen(currency) != 3)
        return -1;
    for (size_t i = 0; i < sizeof CURRENCIES / sizeof CURRENCIES[0]; i++)
        if (memcmp(CURRENCIES[i].code, currency, 3) == 0)
            return CURRENCIES[i].exponent;
    return -1;
}

bool money_currency_known(const char *currency)
{
    return money_exponent(currency) >= 0;
}

int money_from_decimal_text(const char *text, const char *currency, int64_t *minor)
{
    int exp = money_exponent(currency);
    if (exp < 0 || !text || !isdigit((unsigned char)*text))
        return -1;
    int64_t whole = 0;
    const char *p = text;
    for (; isdigit((unsigned char)*p); p++) {
        whole = whole * 10 + (*p - '0');
        if (whole > MONEY_MAX_MINOR)
            return -1;
    }
    int64_t frac = 0;
    int digits = 0;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        for (; isdigit((unsigned char)*p); p++, digits++) {
            if (digits >= exp) {
                if (*p != '0') /* more precision than the currency has */
                    return -1;
                continue;
            }
            frac = frac * 10 + (*p - '0');
        }
    }
    if (*p != '\0')
        return -1;
    for (int d = digits < exp ? digits : exp; d < exp; d++)
        frac *= 10;
    int64_t scale = 1;
    for (int i = 0; i < exp; i++)
        scale *= 10;
    if (whole > MONEY_MAX_MINOR / scale)
        return -1;
    *minor = whole * scale + frac;
    return *minor > MONEY_MAX_MINOR ? -1 : 0;
}

int money_from_double(double value, const char *currency, int64_t *minor)
{
    int exp = money_exponent(currency);
    if (exp < 0 || !isfinite(value) || value < 0)
        return -1;
    double scaled = value * pow(10.0, exp);
    double rounded = nearbyint(scaled);
    if (fabs(scaled - rounded) > 1e-6 * (1.0 + fabs(scaled)) || rounded > (double)MONEY_MAX_MINOR)
        return -1;
    *minor = (int64_t)rounded;
    return 0;
}

int money_to_decimal_text(int64_t minor, const char *currency, char *out, size_t out_size)
{
    int exp = money_exponent(currency);
    if (exp < 0 || minor < 0 || minor > MONEY_MAX_MINOR)
        return -1;
    int n;
    if (exp == 0) {
        n = snprintf(out, out_size, "%lld", (long long)minor);
    } else {
        int64_t scale = 1;
        for (int i = 0; i < exp; i++)
            scale *= 10;
        n = snprintf(out, out_size, "%lld.%0*lld", (long long)(minor / scale), exp,
                     (long long)(minor % scale));
    }
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}
