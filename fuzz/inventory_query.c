/*
 * inventory_query.c — fuzzes inventory-svc's input validation: the query of
 * GET /api/inventory and /api/rates (inv_query_parse_range) and the body of
 * the inventory adjustments (inv_query_parse_adjustment). The input is
 * "<query string>\n<JSON body>". The query string is split on '&' and '='
 * without percent-decoding: libmicrohttpd decodes it in the service, so
 * the parser sees decoded values, which the fuzzer can produce directly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "fuzz_input.h"
#include "query.h"

#define FUZZ_MAX_PARAMS 32
#define FUZZ_MAX_NIGHTS 366 /* inventory-svc's default */

typedef struct params {
    const char *names[FUZZ_MAX_PARAMS];
    const char *values[FUZZ_MAX_PARAMS];
    size_t count;
} params_t;

/* The first value of `name`, as libmicrohttpd's lookup answers. */
static const char *param_get(void *ctx, const char *name)
{
    const params_t *p = ctx;
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->names[i], name) == 0)
            return p->values[i];
    return NULL;
}

static void params_split(char *query, params_t *p)
{
    p->count = 0;
    char *save = NULL;
    for (char *kv = strtok_r(query, "&", &save); kv && p->count < FUZZ_MAX_PARAMS;
         kv = strtok_r(NULL, "&", &save)) {
        p->names[p->count] = kv;
        p->values[p->count] = fuzz_split(kv, '=');
        p->count++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *query = fuzz_text(data, size);
    if (!query)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    const char *body = nl ? (const char *)nl + 1 : "";
    size_t body_len = nl ? (size_t)(data + size - nl - 1) : 0;
    fuzz_split(query, '\n');

    params_t p;
    params_split(query, &p);
    inv_range_query_t q;
    json_error_t err;
    (void)inv_query_parse_range(param_get, &p, FUZZ_MAX_NIGHTS, &q, &err);
    inv_party_t party;
    (void)inv_query_parse_party(param_get, &p, &party, &err);

    struct json_object *o = json_parse_object(body, body_len, &err);
    if (o) {
        inv_adjustment_t adj;
        (void)inv_query_parse_adjustment(o, &adj, &err);
        json_object_put(o);
    }
    free(query);
    return 0;
}
