/*
 * dates.c — fuzzes the date parsers that query strings, request bodies,
 * webhooks and vendor answers reach: ISO dates, RFC 3339 timestamps, and the
 * stay / range checks on two dates. The input is "<first>\n<second>"; each
 * half is tried with every parser, and what parses is formatted back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/dates.h"
#include "fuzz_input.h"

static void parse_one(const char *text)
{
    dates_day_t day;
    if (dates_parse_iso(text, &day) == 0) {
        char iso[DATES_ISO_LEN + 1];
        dates_format_iso(day, iso);
    }
    int64_t ms;
    if (dates_parse_rfc3339(text, &ms) == 0) {
        char out[DATES_RFC3339_LEN + 1];
        dates_format_rfc3339(ms, out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *first = fuzz_text(data, size);
    if (!first)
        return 0;
    const char *second = fuzz_split(first, '\n');
    parse_one(first);
    parse_one(second);
    dates_day_t a, b;
    int nights;
    char why[256];
    (void)dates_validate_stay(first, second, &a, &b, &nights, why, sizeof why);
    (void)dates_validate_range(first, second, &a, &b, why, sizeof why);
    free(first);
    return 0;
}
