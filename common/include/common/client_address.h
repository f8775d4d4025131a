/*
 * client_address.h — who is the client: the peer address of the connection,
 * or, when that peer is one of our own proxies, the right-most address of
 * X-Forwarded-For that is not one of our proxies.
 *
 * Anyone can send X-Forwarded-For, so it is believed only as far as it was
 * written by proxies we trust (TRUSTED_PROXIES, comma-separated CIDRs, IPv4
 * and IPv6). Walking from the right, each trusted hop vouches for the entry
 * to its left; the first untrusted entry is the client. An empty trusted list
 * (the default) means X-Forwarded-For is never read. A malformed entry ends
 * the walk: the hop that appended it is taken as the client, so garbage can
 * never become somebody else's address.
 *
 * Usage:
 *     client_proxies_t *p = client_proxies_parse("10.0.0.0/8, fd00::/8", err, sizeof err);
 *     char ip[CLIENT_ADDRESS_MAX];
 *     client_address_resolve(p, "10.1.2.3", "203.0.113.9, 10.0.0.7", ip, sizeof ip);
 *     // ip = "203.0.113.9"
 *     client_proxies_free(p);
 *
 * Thread-safety: a parsed list is read-only; share it between threads.
 * Ownership: the list belongs to the caller (client_proxies_free accepts NULL).
 */
#ifndef COMMON_CLIENT_ADDRESS_H
#define COMMON_CLIENT_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

/* Longest text of an address (INET6_ADDRSTRLEN) plus room. */
#define CLIENT_ADDRESS_MAX 64
#define CLIENT_PROXIES_MAX 64

typedef struct client_proxies client_proxies_t;

/* Parses "cidr[,cidr...]" (a bare address is a /32 or /128; spaces are
 * ignored). Returns the list (empty for NULL or ""), or NULL with the bad
 * entry named in err. */
client_proxies_t *client_proxies_parse(const char *text, char *err, size_t err_size);
void client_proxies_free(client_proxies_t *p);
/* How many CIDRs the list holds. */
size_t client_proxies_count(const client_proxies_t *p);
/* True when the address (text) falls in one of the CIDRs. */
bool client_proxies_contains(const client_proxies_t *p, const char *address);

/* Writes the client's address into out (normalised text, IPv4-mapped IPv6
 * written as IPv4): the peer, or the right-most untrusted entry of
 * forwarded_for (may be NULL) when the peer is trusted. p may be NULL (trust
 * nobody). Returns out. */
char *client_address_resolve(const client_proxies_t *p, const char *peer,
                             const char *forwarded_for, char *out, size_t size);

#endif /* COMMON_CLIENT_ADDRESS_H */
