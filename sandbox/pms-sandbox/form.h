/*
 * form.h — application/x-www-form-urlencoded bodies with PHP-style nested keys,
 * the request format of the Cloudbeds API ("rooms[0][roomTypeID]=x&
 * rooms[0][quantity]=1&customFields[0][fieldName]=holdExpiresAt").
 *
 * Keys and values are percent-decoded ('+' is a space); a nested key is kept
 * as its flat decoded text, so "rooms%5B0%5D%5Bquantity%5D" and
 * "rooms[0][quantity]" are the same key. The first occurrence of a key wins.
 *
 * Usage:
 *     char err[128];
 *     form_t *f = form_parse(body, len, err, sizeof err);      // NULL → 400 with err
 *     const char *start = form_get(f, "startDate");            // NULL when absent
 *     const char *qty = form_get_indexed(f, "rooms", 0, "quantity");
 *     int last = form_max_index(f, "customFields");            // -1 when none
 *     form_free(f);
 *
 * Thread-safety: a parsed form is read-only and may be shared. Ownership: the
 * form owns every string it returns; they live until form_free().
 */
#ifndef PMS_SANDBOX_FORM_H
#define PMS_SANDBOX_FORM_H

#include <stdbool.h>
#include <stddef.h>

/* A form has at most this many fields; more is a malformed request. */
#define FORM_MAX_FIELDS 256
/* Highest index accepted in a nested key (rooms[31][...]). */
#define FORM_MAX_INDEX 31

typedef struct form form_t;

/* Parses `len` bytes. NULL with a reason in `err` when the text is malformed
 * (bad %-escape, a NUL byte, invalid UTF-8, an empty key, too many fields) or
 * on OOM. An empty text gives an empty form. */
form_t *form_parse(const char *text, size_t len, char *err, size_t err_size);
void form_free(form_t *form); /* accepts NULL */

/* The value of `key` (decoded, exact), or NULL. */
const char *form_get(const form_t *form, const char *key);

/* The value of "name[index][field]", or NULL. */
const char *form_get_indexed(const form_t *form, const char *name, int index, const char *field);

/* The highest i for which some "name[i]..." key exists, or -1. */
int form_max_index(const form_t *form, const char *name);

/* True when `s` is valid UTF-8 (for values that arrive by other routes,
 * such as query strings). */
bool form_utf8_valid(const char *s, size_t len);

#endif /* PMS_SANDBOX_FORM_H */
