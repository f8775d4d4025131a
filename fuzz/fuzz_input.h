/*
 * fuzz_input.h — helpers the fuzz targets share for turning libFuzzer's bytes
 * into the shapes the parsers take.
 *
 * Usage:
 *     char *text = fuzz_text(data, size);   // NUL-terminated copy, exact size
 *     const char *rest = fuzz_split(text, '\n');  // text ends at the first '\n'
 *     free(text);
 *
 * Ownership: fuzz_text's result is the caller's (free); fuzz_split returns a
 * pointer into the same buffer.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated copy of the input, allocated to exactly size + 1 bytes so
 * that ASan sees a read past the terminator; NULL on OOM. An embedded NUL
 * simply ends the string early, as it would for the C callers. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return NULL;
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Cuts `text` at the first `sep` (which becomes NUL) and returns what follows
 * it, or "" when there is no separator: for targets that take two inputs. */
static inline char *fuzz_split(char *text, char sep)
{
    char *p = strchr(text, sep);
    if (!p)
        return text + strlen(text);
    *p = '\0';
    return p + 1;
}

#endif /* FUZZ_INPUT_H */
