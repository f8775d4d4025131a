/*
 * redis_slot.h — which of Redis Cluster's 16384 hash slots a key lives in:
 * CRC16 (XMODEM: polynomial 0x1021, initial value 0) of the key modulo 16384,
 * where a key holding a non-empty hash tag `{...}` is hashed on the tag only.
 * The tag is what keeps one hotel's keys together (`inv:{hotel_123}:...`,
 * `lodging:degraded:{hotel_123}`), so MGET, pipelines and Lua scripts over them
 * stay inside one slot, hence one node.
 *
 * Usage:
 *     unsigned slot = redis_key_slot("inv:{hotel_123}:room_1:2026-01-01", 32);
 *     if (redis_key_slot(a, strlen(a)) == redis_key_slot(b, strlen(b))) ... one MGET is fine
 *
 * Pure functions: thread-safe, no allocation.
 */
#ifndef COMMON_REDIS_SLOT_H
#define COMMON_REDIS_SLOT_H

#include <stddef.h>
#include <stdint.h>

#define REDIS_CLUSTER_SLOTS 16384

/* CRC16-XMODEM of len bytes (the checksum Redis Cluster hashes keys with). */
uint16_t redis_crc16(const char *buf, size_t len);

/* The hash slot (0..16383) of a key of len bytes, honouring its hash tag:
 * the bytes between the first '{' and the next '}' when there are any. */
unsigned redis_key_slot(const char *key, size_t len);

#endif /* COMMON_REDIS_SLOT_H */
