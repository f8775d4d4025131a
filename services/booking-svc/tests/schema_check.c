/* schema_check.c — see schema_check.h. */
#include "schema_check.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void assert_property(const char *schema_name, const char *key, struct json_object *rule,
                            struct json_object *value)
{
    struct json_object *type, *values, *bound;
    if (json_object_object_get_ex(rule, "type", &type)) {
        const char *t = json_object_get_string(type);
        json_type want = strcmp(t, "string") == 0    ? json_type_string
                         : strcmp(t, "integer") == 0 ? json_type_int
                         : strcmp(t, "boolean") == 0 ? json_type_boolean
                         : strcmp(t, "array") == 0   ? json_type_array
                                                     : json_type_object;
        ck_assert_msg(json_object_is_type(value, want), "%s.%s is not a %s", schema_name, key, t);
    }
    if (json_object_object_get_ex(rule, "enum", &values)) {
        bool found = false;
        for (size_t i = 0; i < json_object_array_length(values); i++)
            found |= strcmp(json_object_get_string(json_object_array_get_idx(values, i)),
                            json_object_get_string(value)) == 0;
        ck_assert_msg(found, "%s.%s = %s is not in its enum", schema_name, key,
                      json_object_get_string(value));
    }
    if (json_object_is_type(value, json_type_string)) {
        size_t len = strlen(json_object_get_string(value));
        if (json_object_object_get_ex(rule, "minLength", &bound))
            ck_assert_msg(len >= (size_t)json_object_get_int(bound), "%s.%s is too short",
                          schema_name, key);
        if (json_object_object_get_ex(rule, "maxLength", &bound))
            ck_assert_msg(len <= (size_t)json_object_get_int(bound), "%s.%s is too long",
                          schema_name, key);
    }
    if (json_object_is_type(value, json_type_int) &&
        json_object_object_get_ex(rule, "minimum", &bound))
        ck_assert_msg(json_object_get_int64(value) >= json_object_get_int64(bound),
                      "%s.%s is below its minimum", schema_name, key);
}

void schema_assert_matches(struct json_object *data, const char *schema_name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/proto/events/%s.schema.json", LODGING_SOURCE_DIR, schema_name);
    struct json_object *schema = json_object_from_file(path);
    ck_assert_msg(schema != NULL, "cannot read %s", path);
    struct json_object *props, *required;
    ck_assert(json_object_object_get_ex(schema, "properties", &props));
    ck_assert(json_object_object_get_ex(schema, "required", &required));
    ck_assert(json_object_is_type(data, json_type_object));
    for (size_t i = 0; i < json_object_array_length(required); i++) {
        const char *name = json_object_get_string(json_object_array_get_idx(required, i));
        ck_assert_msg(json_object_object_get_ex(data, name, NULL), "%s lacks %s", schema_name,
                      name);
    }
    json_object_object_foreach(data, key, value)
    {
        struct json_object *rule;
        ck_assert_msg(json_object_object_get_ex(props, key, &rule), "%s has no property %s",
                      schema_name, key);
        assert_property(schema_name, key, rule, value);
    }
    json_object_put(schema);
}
