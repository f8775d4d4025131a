/*
 * sandbox_form.h — application/x-www-form-urlencoded request bodies, the
 * format both vendors' APIs take: Stripe ("metadata[booking_id]=bk_1&
 * payment_method_types[]=card") and Cloudbeds, with PHP-style nested keys
 * ("rooms[0][roomTypeID]=x&rooms[0][quantity]=1").
 *
 * Keys and values are percent-decoded ('+' is a space); a nested key is kept
 * as its flat decoded text, so "rooms%5B0%5D%5Bquantity%5D" and
 * "rooms[0][quantity]" are the same key. Parsing is strict: a malformed
 * %-escape, a NUL byte, invalid UTF-8, an empty key or too many fields is
 * refused with a reason a sandbox can send to its client.
 *
 * Usage:
 *     char err[160];
 *     sandbox_form_t *f = sandbox_form_parse(body, len, err, sizeof err); // NULL → 400 with err
 *     const char *qty = sandbox_form_get_indexed(f, "rooms", 0, "quantity");
 *     char *canon = sandbox_form_canonical(f);  // sorted, to compare idempotent requests
 *     free(canon); sandbox_form_free(f);
 *
 * Thread-safety: a parsed form is read-only and may be shared. Ownership: the
 * form owns every string it returns; they live until sandbox_form_free().
 * Every reader takes a NULL form as an empty one.
 */
#ifndef SANDBOX_FORM_H
#define SANDBOX_FORM_H

#include <stdbool.h>
#include <stddef.h>

/* A form has at most this many fields; more is a malformed request. */
#define SANDBOX_FORM_MAX_FIELDS 256
/* Highest index accepted in a nested key (rooms[31][...]). */
#define SANDBOX_FORM_MAX_INDEX 31

typedef struct sandbox_form sandbox_form_t;

/* Parses `len` bytes. NULL with a reason in `err` (starting "Malformed form
 * body") when the text is malformed, or "out of memory". An empty text gives
 * an empty form; empty segments ("a=1&&b=2") are skipped; "flag" alone is a
 * field with an empty value. */
sandbox_form_t *sandbox_form_parse(const char *text, size_t len, char *err, size_t err_size);
void sandbox_form_free(sandbox_form_t *form); /* accepts NULL */

/* The value of the first field named `key` (decoded, exact), or NULL. */
const char *sandbox_form_get(const sandbox_form_t *form, const char *key);

/* How many fields are named `key` ("payment_method_types[]" may repeat). */
size_t sandbox_form_count(const sandbox_form_t *form, const char *key);

/* The number of fields, and the name and value of field `i` (in body order;
 * NULL when out of range): for walking every parameter, such as checking
 * them against an allow-list. */
size_t sandbox_form_field_count(const sandbox_form_t *form);
const char *sandbox_form_field_key(const sandbox_form_t *form, size_t i);
const char *sandbox_form_field_value(const sandbox_form_t *form, size_t i);

/* The value of "name[index][field]", or NULL. */
const char *sandbox_form_get_indexed(const sandbox_form_t *form, const char *name, int index,
                                     const char *field);

/* The highest i for which some "name[i]..." key exists, or -1. An index above
 * SANDBOX_FORM_MAX_INDEX is reported as SANDBOX_FORM_MAX_INDEX + 1 so callers
 * can refuse it. */
int sandbox_form_max_index(const sandbox_form_t *form, const char *name);

/* The fields sorted by key then value, re-encoded as "k=v&k=v" (malloc'd;
 * NULL on OOM): two requests with the same parameters in another order
 * compare equal. */
char *sandbox_form_canonical(const sandbox_form_t *form);

/* True when `s` is valid UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF): for values that arrive by other routes, such as query
 * strings. */
bool sandbox_form_utf8_valid(const char *s, size_t len);

#endif /* SANDBOX_FORM_H */
