/*
 * form.h — application/x-www-form-urlencoded bodies as Stripe clients send
 * them: key=value pairs joined by '&', percent-encoded, '+' for space, keys
 * such as "metadata[booking_id]" or "payment_method_types[]" kept verbatim.
 *
 * Usage:
 *     form_t f; char why[128];
 *     if (form_parse(body, len, &f, why, sizeof why) != 0) → 400 with why
 *     const char *amount = form_get(&f, "amount");
 *     char *canon = form_canonical(&f);   // sorted, for idempotency comparison
 *     free(canon); form_clear(&f);
 *
 * Thread-safety: reentrant. Ownership: a form_t owns its decoded strings.
 */
#ifndef PAY_SANDBOX_FORM_H
#define PAY_SANDBOX_FORM_H

#include <stddef.h>

#define FORM_MAX_PAIRS 128

typedef struct form {
    char *keys[FORM_MAX_PAIRS];
    char *values[FORM_MAX_PAIRS];
    size_t count;
} form_t;

/* Decodes `len` bytes. 0, or -1 with a reason (bad percent escape, a NUL
 * byte, an empty key, too many pairs, out of memory); *out is then empty. */
int form_parse(const char *body, size_t len, form_t *out, char *why, size_t why_size);

/* The first value of `key`, or NULL. */
const char *form_get(const form_t *f, const char *key);

/* How many pairs have this key. */
size_t form_count(const form_t *f, const char *key);

/* The pairs sorted by key then value, re-encoded as "k=v&k=v" (malloc'd):
 * two requests with the same parameters in another order compare equal. */
char *form_canonical(const form_t *f);

void form_clear(form_t *f);

#endif /* PAY_SANDBOX_FORM_H */
