/*
 * secrets.c — the webhook secret table (see secrets.h): a small array of
 * (name, value) copied from the environment at start.
 */
#include "secrets.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

typedef struct secret_entry {
    char *name;
    char *value;
} secret_entry_t;

struct secrets {
    secret_entry_t *entries;
    size_t count;
};

secrets_t *secrets_new(char *const *env)
{
    secrets_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    size_t prefix_len = strlen(SECRETS_ENV_PREFIX);
    size_t cap = 0;
    for (char *const *e = env; e && *e; e++)
        cap++;
    s->entries = calloc(cap ? cap : 1, sizeof *s->entries);
    if (!s->entries)
        goto fail;
    for (char *const *e = env; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || strncmp(*e, SECRETS_ENV_PREFIX, prefix_len) != 0 || eq[1] == '\0')
            continue;
        size_t name_len = (size_t)(eq - *e);
        if (name_len != prefix_len && (*e)[prefix_len] != '_')
            continue; /* PMS_WEBHOOK_SECRETS=... is not ours */
        secret_entry_t *en = &s->entries[s->count];
        en->name = strndup(*e, name_len);
        en->value = strdup(eq + 1);
        if (!en->name || !en->value) {
            free(en->name);
            free(en->value);
            goto fail;
        }
        s->count++;
    }
    return s;
fail:
    secrets_free(s);
    return NULL;
}

void secrets_free(secrets_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++) {
        crypto_wipe(s->entries[i].value, strlen(s->entries[i].value));
        free(s->entries[i].value);
        free(s->entries[i].name);
    }
    free(s->entries);
    free(s);
}

size_t secrets_count(const secrets_t *s)
{
    return s ? s->count : 0;
}

/* Appends "_<text>" upper-cased with non-alphanumerics as '_'. */
static void append_part(char *out, size_t out_size, const char *text)
{
    size_t len = strlen(out);
    if (len + 1 < out_size)
        out[len++] = '_';
    for (const char *p = text; *p && len + 1 < out_size; p++)
        out[len++] = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
    out[len] = '\0';
}

void secrets_env_name(const char *vendor, const char *hotel_id, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s", SECRETS_ENV_PREFIX);
    if (vendor)
        append_part(out, out_size, vendor);
    if (vendor && hotel_id && *hotel_id)
        append_part(out, out_size, hotel_id);
}

static const char *lookup(const secrets_t *s, const char *name)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->entries[i].name, name) == 0)
            return s->entries[i].value;
    return NULL;
}

size_t secrets_for(const secrets_t *s, const char *vendor, const char *hotel_id,
                   const char *out[SECRETS_MAX_CANDIDATES])
{
    char names[3][SECRETS_NAME_MAX];
    secrets_env_name(vendor, hotel_id, names[0], sizeof names[0]);
    secrets_env_name(vendor, NULL, names[1], sizeof names[1]);
    secrets_env_name(NULL, NULL, names[2], sizeof names[2]);
    for (size_t i = 0; i < 3; i++) {
        const char *current = lookup(s, names[i]);
        char previous_name[SECRETS_NAME_MAX + sizeof SECRETS_PREVIOUS_SUFFIX];
        size_t len = strnlen(names[i], SECRETS_NAME_MAX - 1);
        memcpy(previous_name, names[i], len);
        memcpy(previous_name + len, SECRETS_PREVIOUS_SUFFIX, sizeof SECRETS_PREVIOUS_SUFFIX);
        const char *previous = lookup(s, previous_name);
        if (!current && !previous)
            continue;
        size_t n = 0;
        if (current)
            out[n++] = current;
        if (previous)
            out[n++] = previous;
        return n;
    }
    return 0;
}
