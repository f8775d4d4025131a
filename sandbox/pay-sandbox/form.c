/*
 * form.c — form-urlencoded decoding (see form.h).
 */
#include "form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_client.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes [s, s+n) into a new string. NULL with a reason on bad input. */
static char *decode(const char *s, size_t n, char *why, size_t why_size)
{
    char *out = malloc(n + 1), *o = out;
    if (!out) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%') {
            int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                snprintf(why, why_size, "invalid percent-encoding in the request body");
                free(out);
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else if (s[i] == '\0') {
            snprintf(why, why_size, "the request body contains a NUL byte");
            free(out);
            return NULL;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

int form_parse(const char *body, size_t len, form_t *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(body + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - body) : len;
        if (end > i) { /* skip empty segments ("a=1&&b=2") */
            const char *eq = memchr(body + i, '=', end - i);
            size_t key_end = eq ? (size_t)(eq - body) : end;
            if (out->count == FORM_MAX_PAIRS) {
                snprintf(why, why_size, "too many parameters (at most %d)", FORM_MAX_PAIRS);
                goto fail;
            }
            char *key = decode(body + i, key_end - i, why, why_size);
            char *value = key ? decode(body + key_end + (eq ? 1 : 0), end - key_end - (eq ? 1 : 0),
                                       why, why_size)
                              : NULL;
            if (!key || !value) {
                free(key);
                goto fail;
            }
            out->keys[out->count] = key;
            out->values[out->count] = value;
            out->count++;
            if (!key[0]) {
                snprintf(why, why_size, "a parameter without a name in the request body");
                goto fail;
            }
        }
        i = end + 1;
    }
    return 0;
fail:
    form_clear(out);
    return -1;
}

const char *form_get(const form_t *f, const char *key)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->keys[i], key) == 0)
            return f->values[i];
    return NULL;
}

size_t form_count(const form_t *f, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++)
        n += strcmp(f->keys[i], key) == 0;
    return n;
}

typedef struct pair_ref {
    const char *key, *value;
} pair_ref_t;

static int compare_pairs(const void *a, const void *b)
{
    const pair_ref_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

char *form_canonical(const form_t *f)
{
    pair_ref_t refs[FORM_MAX_PAIRS];
    const char *flat[2 * FORM_MAX_PAIRS + 1];
    for (size_t i = 0; i < f->count; i++)
        refs[i] = (pair_ref_t){f->keys[i], f->values[i]};
    qsort(refs, f->count, sizeof refs[0], compare_pairs);
    for (size_t i = 0; i < f->count; i++) {
        flat[2 * i] = refs[i].key;
        flat[2 * i + 1] = refs[i].value;
    }
    flat[2 * f->count] = NULL;
    return http_client_form_encode(flat);
}

void form_clear(form_t *f)
{
    for (size_t i = 0; i < f->count; i++) {
        free(f->keys[i]);
        free(f->values[i]);
    }
    memset(f, 0, sizeof *f);
}
