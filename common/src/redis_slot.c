/*
 * redis_slot.c — CRC16 key slots with hash tags (see redis_slot.h).
 */
#include "common/redis_slot.h"

#include <string.h>

#define CRC16_POLYNOMIAL 0x1021

uint16_t redis_crc16(const char *buf, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((uint16_t)(unsigned char)buf[i] << 8);
        for (int bit = 0; bit < 8; bit++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ CRC16_POLYNOMIAL : crc << 1);
    }
    return crc;
}

unsigned redis_key_slot(const char *key, size_t len)
{
    const char *open = memchr(key, '{', len);
    if (open) {
        size_t after = (size_t)(open - key) + 1;
        const char *close = memchr(open + 1, '}', len - after);
        /* "{}" is no tag: the whole key is hashed, as the server does. */
        if (close && close > open + 1)
            return redis_crc16(open + 1, (size_t)(close - open - 1)) & (REDIS_CLUSTER_SLOTS - 1);
    }
    return redis_crc16(key, len) & (REDIS_CLUSTER_SLOTS - 1);
}
