/*
 * json_getters.c — fuzzes the request-body helpers every handler uses:
 * json_parse_object on untrusted bytes, then each typed getter on the parsed
 * object, at the dotted paths the services ask for and at one path taken
 * from the input. The input is "<path>\n<JSON body>".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "fuzz_input.h"

static void get_all(struct json_object *o, const char *path)
{
    json_error_t err;
    const char *s;
    int64_t i;
    bool b;
    struct json_object *sub;
    (void)json_get_string(o, path, false, 0, 64, &s, &err);
    (void)json_get_text(o, path, true, 1, 255, &s, &err);
    (void)json_get_int64(o, path, false, -5, INT64_MAX, 0, &i, &err);
    (void)json_get_bool(o, path, false, false, &b, &err);
    (void)json_get_object(o, path, false, &sub, &err);
    (void)json_get_array(o, path, false, &sub, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_text(data, size);
    if (!path)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    const char *body = nl ? (const char *)nl + 1 : "";
    size_t body_len = nl ? (size_t)(data + size - nl - 1) : 0;
    fuzz_split(path, '\n');

    json_error_t err;
    struct json_object *o = json_parse_object(body, body_len, &err);
    if (o) {
        static const char *const paths[] = {"hotelId", "guestInfo.email", "a.b.c", "data"};
        for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++)
            get_all(o, paths[k]);
        get_all(o, path);
        free(json_to_string_dup(o));
        json_object_put(o);
    }
    free(path);
    return 0;
}
