/*
 * sandbox_form.c — form-urlencoded parsing with PHP-style nested keys and a
 * canonical re-encoding (see sandbox_form.h).
 */
#include "sandbox_form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_client.h"

typedef struct form_field {
    char *key;
    char *value;
} form_field_t;

struct sandbox_form {
    form_field_t fields[SANDBOX_FORM_MAX_FIELDS];
    size_t count;
};

/* ------------------------------------------------------------- UTF-8 -- */

/* Length of the sequence a lead byte starts (0 when it is not a lead byte)
 * and the smallest code point that length may encode (no overlong forms). */
static size_t utf8_sequence(unsigned char lead, unsigned *min, unsigned *bits)
{
    if ((lead & 0xE0) == 0xC0) {
        *min = 0x80, *bits = lead & 0x1Fu;
        return 2;
    }
    if ((lead & 0xF0) == 0xE0) {
        *min = 0x800, *bits = lead & 0x0Fu;
        return 3;
    }
    if ((lead & 0xF8) == 0xF0) {
        *min = 0x10000, *bits = lead & 0x07u;
        return 4;
    }
    return 0;
}

bool sandbox_form_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        unsigned min = 0, cp = 0;
        size_t n = utf8_sequence(p[i], &min, &cp);
        if (n == 0 || n > len - i)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n;
    }
    return true;
}

/* ---------------------------------------------------------- decoding -- */

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

/* Percent-decodes s[0..len) into a new string. NULL with a reason when an
 * escape is malformed, a NUL byte or invalid UTF-8 results, or on OOM. */
static char *decode(const char *s, size_t len, const char **why)
{
    char *out = malloc(len + 1);
    if (!out) {
        *why = "out of memory";
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 1 < len ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *why = "a malformed %-escape";
                goto fail;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') {
            *why = "a NUL byte";
            goto fail;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    if (!sandbox_form_utf8_valid(out, n)) {
        *why = "invalid UTF-8";
        goto fail;
    }
    return out;
fail:
    free(out);
    return NULL;
}

/* ----------------------------------------------------------- parsing -- */

/* Adds the pair text[0..len) ("key=value" or "key"). 0, or -1 with err. */
static int add_pair(sandbox_form_t *f, const char *text, size_t len, char *err, size_t err_size)
{
    const char *eq = memchr(text, '=', len);
    size_t key_len = eq ? (size_t)(eq - text) : len;
    const char *why = NULL;
    if (key_len == 0) {
        snprintf(err, err_size, "Malformed form body: a field has an empty name");
        return -1;
    }
    if (f->count == SANDBOX_FORM_MAX_FIELDS) {
        snprintf(err, err_size, "Malformed form body: more than %d fields",
                 SANDBOX_FORM_MAX_FIELDS);
        return -1;
    }
    char *key = decode(text, key_len, &why);
    char *value = key ? decode(eq ? eq + 1 : "", eq ? len - key_len - 1 : 0, &why) : NULL;
    if (!key || !value) {
        if (key)
            snprintf(err, err_size, "Malformed form body: %s in field %.64s", why, key);
        else
            snprintf(err, err_size, "Malformed form body: %s in a field name", why);
        free(key);
        free(value);
        return -1;
    }
    f->fields[f->count++] = (form_field_t){key, value};
    return 0;
}

sandbox_form_t *sandbox_form_parse(const char *text, size_t len, char *err, size_t err_size)
{
    sandbox_form_t *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    size_t start = 0;
    while (start < len) {
        const char *amp = memchr(text + start, '&', len - start);
        size_t end = amp ? (size_t)(amp - text) : len;
        if (end > start && add_pair(f, text + start, end - start, err, err_size) != 0) {
            sandbox_form_free(f);
            return NULL;
        }
        start = end + 1;
    }
    return f;
}

void sandbox_form_free(sandbox_form_t *form)
{
    if (!form)
        return;
    for (size_t i = 0; i < form->count; i++) {
        free(form->fields[i].key);
        free(form->fields[i].value);
    }
    free(form);
}

/* ------------------------------------------------------------ lookup -- */

const char *sandbox_form_get(const sandbox_form_t *form, const char *key)
{
    for (size_t i = 0; form && key && i < form->count; i++)
        if (strcmp(form->fields[i].key, key) == 0)
            return form->fields[i].value;
    return NULL;
}

size_t sandbox_form_count(const sandbox_form_t *form, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; form && key && i < form->count; i++)
        n += strcmp(form->fields[i].key, key) == 0;
    return n;
}

size_t sandbox_form_field_count(const sandbox_form_t *form)
{
    return form ? form->count : 0;
}

const char *sandbox_form_field_key(const sandbox_form_t *form, size_t i)
{
    return form && i < form->count ? form->fields[i].key : NULL;
}

const char *sandbox_form_field_value(const sandbox_form_t *form, size_t i)
{
    return form && i < form->count ? form->fields[i].value : NULL;
}

const char *sandbox_form_get_indexed(const sandbox_form_t *form, const char *name, int index,
                                     const char *field)
{
    char key[256];
    int n = snprintf(key, sizeof key, "%s[%d][%s]", name, index, field);
    if (n < 0 || (size_t)n >= sizeof key)
        return NULL;
    return sandbox_form_get(form, key);
}

int sandbox_form_max_index(const sandbox_form_t *form, const char *name)
{
    int max = -1;
    size_t name_len = strlen(name);
    for (size_t i = 0; form && i < form->count; i++) {
        const char *k = form->fields[i].key;
        if (strncmp(k, name, name_len) != 0 || k[name_len] != '[')
            continue;
        if (k[name_len + 1] < '0' || k[name_len + 1] > '9')
            continue;
        char *end = NULL;
        long idx = strtol(k + name_len + 1, &end, 10);
        if (end == k + name_len + 1 || *end != ']' || idx < 0)
            continue;
        if (idx > SANDBOX_FORM_MAX_INDEX)
            idx = SANDBOX_FORM_MAX_INDEX + 1; /* reported so callers can reject it */
        if ((int)idx > max)
            max = (int)idx;
    }
    return max;
}

/* --------------------------------------------------------- canonical -- */

static int compare_fields(const void *a, const void *b)
{
    const form_field_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

char *sandbox_form_canonical(const sandbox_form_t *form)
{
    size_t count = sandbox_form_field_count(form);
    form_field_t sorted[SANDBOX_FORM_MAX_FIELDS];
    const char *flat[2 * SANDBOX_FORM_MAX_FIELDS + 1];
    if (count)
        memcpy(sorted, form->fields, count * sizeof sorted[0]);
    qsort(sorted, count, sizeof sorted[0], compare_fields);
    for (size_t i = 0; i < count; i++) {
        flat[2 * i] = sorted[i].key;
        flat[2 * i + 1] = sorted[i].value;
    }
    flat[2 * count] = NULL;
    return http_client_form_encode(flat);
}
