/*
 * client_address.c — trusted proxies and X-Forwarded-For (client_address.h).
 *
 * Addresses are compared as 16 bytes: IPv4 (and IPv4-mapped IPv6) become
 * ::ffff:a.b.c.d with the prefix moved by 96 bits, so one comparison serves
 * both families and a v4 CIDR matches a peer that the kernel reported as
 * mapped v6.
 */
#include "common/client_address.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAPPED_PREFIX_BITS 96
#define ENTRY_TEXT_MAX 80

typedef struct cidr {
    uint8_t addr[16];
    int prefix_bits; /* over the 128-bit form */
} cidr_t;

struct client_proxies {
    cidr_t cidrs[CLIENT_PROXIES_MAX];
    size_t count;
};

/* Parses an address into the 128-bit form; *v4 tells the family. 0 or -1. */
static int parse_address(const char *text, uint8_t out[16], bool *v4)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, text, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        *v4 = true;
        return 0;
    }
    if (inet_pton(AF_INET6, text, &a6) == 1) {
        memcpy(out, &a6, 16);
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        *v4 = memcmp(out, mapped, sizeof mapped) == 0;
        return 0;
    }
    return -1;
}

/* Copies s[0..n) without surrounding spaces into out; false when empty or too long. */
static bool trimmed(const char *s, size_t n, char *out, size_t size)
{
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0 || n >= size)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

/* One "address[/bits]" into *c. 0 or -1. */
static int parse_cidr(char *text, cidr_t *c)
{
    char *slash = strchr(text, '/');
    long bits = -1;
    if (slash) {
        char *end;
        *slash = '\0';
        bits = strtol(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || bits < 0)
            return -1;
    }
    bool v4;
    if (parse_address(text, c->addr, &v4) != 0)
        return -1;
    long max = v4 ? 32 : 128;
    if (bits > max)
        return -1;
    c->prefix_bits = (int)(bits < 0 ? 128 : (v4 ? bits + MAPPED_PREFIX_BITS : bits));
    return 0;
}

client_proxies_t *client_proxies_parse(const char *text, char *err, size_t err_size)
{
    client_proxies_t *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    for (const char *s = text ? text : ""; *s;) {
        size_t n = strcspn(s, ",");
        char entry[ENTRY_TEXT_MAX];
        bool blank = true;
        for (size_t i = 0; i < n; i++)
            blank &= isspace((unsigned char)s[i]) != 0;
        if (!blank) {
            if (!trimmed(s, n, entry, sizeof entry) || p->count == CLIENT_PROXIES_MAX ||
                parse_cidr(entry, &p->cidrs[p->count]) != 0) {
                snprintf(err, err_size, "'%.*s' is not an IPv4 or IPv6 address or CIDR",
                         (int)(n < ENTRY_TEXT_MAX ? n : ENTRY_TEXT_MAX), s);
                free(p);
                return NULL;
            }
            p->count++;
        }
        s += n;
        if (*s == ',')
            s++;
    }
    return p;
}

void client_proxies_free(client_proxies_t *p)
{
    free(p);
}

size_t client_proxies_count(const client_proxies_t *p)
{
    return p ? p->count : 0;
}

/* Is the 128-bit address inside the CIDR? */
static bool cidr_contains(const cidr_t *c, const uint8_t a[16])
{
    int full = c->prefix_bits / 8, rest = c->prefix_bits % 8;
    if (memcmp(c->addr, a, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (c->addr[full] & mask) == (a[full] & mask);
}

static bool contains_bytes(const client_proxies_t *p, const uint8_t a[16])
{
    for (size_t i = 0; p && i < p->count; i++)
        if (cidr_contains(&p->cidrs[i], a))
            return true;
    return false;
}

bool client_proxies_contains(const client_proxies_t *p, const char *address)
{
    uint8_t a[16];
    bool v4;
    return address && parse_address(address, a, &v4) == 0 && contains_bytes(p, a);
}

/* The normalised text of a parsed address into out. */
static void format_address(const uint8_t a[16], bool v4, char *out, size_t size)
{
    char text[INET6_ADDRSTRLEN];
    if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? (const void *)(a + 12) : (const void *)a, text,
                   sizeof text))
        text[0] = '\0';
    snprintf(out, size, "%s", text);
}

char *client_address_resolve(const client_proxies_t *p, const char *peer,
                             const char *forwarded_for, char *out, size_t size)
{
    uint8_t a[16];
    bool v4;
    if (!peer || parse_address(peer, a, &v4) != 0) {
        snprintf(out, size, "%s", peer ? peer : "");
        return out; /* not an IP peer (a Unix socket): nothing to resolve */
    }
    format_address(a, v4, out, size);
    if (!forwarded_for || !contains_bytes(p, a))
        return out;
    /* walk from the right while each hop is one of ours */
    const char *end = forwarded_for + strlen(forwarded_for);
    while (end > forwarded_for) {
        const char *start = end;
        while (start > forwarded_for && start[-1] != ',')
            start--;
        char entry[ENTRY_TEXT_MAX];
        if (trimmed(start, (size_t)(end - start), entry, sizeof entry)) {
            if (parse_address(entry, a, &v4) != 0)
                return out; /* garbage: the hop that appended it is the client */
            format_address(a, v4, out, size);
            if (!contains_bytes(p, a))
                return out;
        }
        end = start > forwarded_for ? start - 1 : start;
    }
    return out; /* every hop was ours: the left-most one */
}
