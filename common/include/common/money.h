/*
 * money.h — amounts as exact integers in the currency's minor unit (KRW and
 * JPY have none: 250000 KRW is 250000; USD 189.50 is 18950). Vendors that
 * speak decimal numbers (Cloudbeds rates) are converted here, once, and
 * refused when the value has more decimals than the currency allows.
 *
 * Usage:
 *     int64_t minor;
 *     if (money_from_decimal_text("189.50", "USD", &minor) == 0) ... minor == 18950
 *     char text[32]; money_to_decimal_text(18950, "USD", text, sizeof text);   // "189.50"
 *
 * Thread-safety: pure functions. Ownership: nothing is retained.
 */
#ifndef COMMON_MONEY_H
#define COMMON_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MONEY_MAX_MINOR 100000000000000LL /* 10^14 minor units: far above any stay */

/* True for a three-letter upper-case ISO 4217 code we know. */
bool money_currency_known(const char *currency);

/* Minor-unit exponent of a known currency (KRW 0, USD 2, KWD 3), or -1. */
int money_exponent(const char *currency);

/* Parses a plain decimal ("125000", "189.5", "189.50") into minor units.
 * Returns 0, or -1 for a malformed, negative, too precise or too large value
 * or an unknown currency. */
int money_from_decimal_text(const char *text, const char *currency, int64_t *minor);

/* The same for a JSON number already parsed as a double; the value is
 * rounded to the currency's precision only when it is within 1e-6 of it. */
int money_from_double(double value, const char *currency, int64_t *minor);

/* Formats minor units as a decimal text ("189.50", "250000"). Returns 0 or -1. */
int money_to_decimal_text(int64_t minor, const char *currency, char *out, size_t out_size);

#endif /* COMMON_MONEY_H */
