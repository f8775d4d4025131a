/*
 * adjust.c — idempotent, atomic cache decrement / increment (adjust.h).
 */
#include "adjust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "common/log.h"

/* KEYS[1] marker; KEYS[2..] inv: keys, then invshadow: keys, then invgen:
 * keys (same nights): the nights' cache generations, moved when the
 * adjustment applies (a PMS answer in flight, read before this booking, is
 * then not cached). ARGV[1] delta (signed rooms), ARGV[2] marker TTL s,
 * ARGV[3] nights, ARGV[4] the generations' TTL s.
 * Returns "<applied 0|1>;<value of night 1>,<value of night 2>,..." with ""
 * for a night that is not cached. A "bookable, count unknown" night ("1/?")
 * cannot be counted down: it is dropped, so the next read asks the PMS. */
static const char ADJUST_SCRIPT[] =
    "local function adjust(key, delta)\n"
    "  local v = redis.call('GET', key)\n"
    "  if not v then return '' end\n"
    "  if string.match(v, '^[01]/%?$') then redis.call('DEL', key) return '' end\n"
    "  local a, t = string.match(v, '^(%d+)/(%d+)$')\n"
    "  if not a then return '' end\n"
    "  a = tonumber(a) + delta; t = tonumber(t)\n"
    "  if a < 0 then a = 0 end\n"
    "  if a > t then a = t end\n"
    "  local nv = a .. '/' .. t\n"
    "  local ttl = redis.call('PTTL', key)\n"
    "  if ttl > 0 then redis.call('SET', key, nv, 'PX', ttl) else redis.call('SET', key, nv) end\n"
    "  return nv\n"
    "end\n"
    "local nights = tonumber(ARGV[3])\n"
    "local delta = tonumber(ARGV[1])\n"
    "local applied = redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[2]))\n"
    "for i = 1, applied and nights or 0 do\n"
    "  redis.call('INCR', KEYS[1 + 2 * nights + i])\n"
    "  redis.call('EXPIRE', KEYS[1 + 2 * nights + i], tonumber(ARGV[4]))\n"
    "end\n"
    "local out = {}\n"
    "for i = 1, nights do\n"
    "  if applied then\n"
    "    out[i] = adjust(KEYS[1 + i], delta)\n"
    "    adjust(KEYS[1 + nights + i], delta)\n"
    "  else\n"
    "    out[i] = redis.call('GET', KEYS[1 + i]) or ''\n"
    "  end\n"
    "end\n"
    "return (applied and '1' or '0') .. ';' .. table.concat(out, ',')\n";

/* Parses the script's answer into the cached nights. 0 or -1. */
static int parse_answer(const char *answer, dates_day_t first, int nights, bool *applied,
                        inv_nights_t *out)
{
    if (!answer || (answer[0] != '0' && answer[0] != '1') || answer[1] != ';')
        return -1;
    *applied = answer[0] == '1';
    out->items = calloc((size_t)nights, sizeof *out->items);
    if (!out->items)
        return -1;
    const char *p = answer + 2;
    for (int i = 0; i < nights; i++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char value[INV_VALUE_MAX];
        snprintf(value, sizeof value, "%.*s", (int)(len < sizeof value ? len : 0), p);
        inv_night_t *n = &out->items[out->count];
        n->date = first + i;
        if (len > 0 && inv_value_parse_availability(value, &n->available, &n->total) == 0)
            out->count++;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

int inv_adjust(inv_app_t *app, const inv_adjustment_t *adj, bool decrement, bool *applied,
               inv_nights_t *out)
{
    memset(out, 0, sizeof *out);
    out->source = INV_SOURCE_CACHE;
    *applied = false;
    size_t n = (size_t)adj->nights;
    int rc = -1;
    char marker[INV_KEY_MAX];
    inv_keys_t *fresh =
        inv_keys_nights(INV_KEY_INVENTORY, adj->hotel_id, adj->room_type_id, adj->check_in, n);
    inv_keys_t *shadow = inv_keys_nights(INV_KEY_INVENTORY_SHADOW, adj->hotel_id, adj->room_type_id,
                                         adj->check_in, n);
    inv_keys_t *gens =
        inv_keys_nights(INV_KEY_INVENTORY_GEN, adj->hotel_id, adj->room_type_id, adj->check_in, n);
    const char **keys = calloc(1 + 3 * n, sizeof *keys);
    char *answer = NULL;
    if (!fresh || !shadow || !gens || !keys ||
        inv_key_adjust_marker(marker, sizeof marker, adj->hotel_id, adj->booking_id, decrement) !=
            0)
        goto done;
    keys[0] = marker;
    for (size_t i = 0; i < n; i++) {
        keys[1 + i] = fresh->ptrs[i];
        keys[1 + n + i] = shadow->ptrs[i];
    }
    for (size_t i = 0; i < n; i++)
        keys[1 + 2 * n + i] = gens->ptrs[i];
    char delta[16], ttl[16], nights[16], gen_ttl[16];
    snprintf(delta, sizeof delta, "%d", decrement ? -adj->rooms : adj->rooms);
    snprintf(ttl, sizeof ttl, "%d", app->settings.adjust_marker_ttl_s);
    snprintf(nights, sizeof nights, "%zu", n);
    snprintf(gen_ttl, sizeof gen_ttl, "%d", INV_GEN_TTL_S);
    const char *args[] = {delta, ttl, nights, gen_ttl};
    if (inv_cache_eval(app, ADJUST_SCRIPT, keys, 1 + 3 * n, args, 4, NULL, &answer) != 0)
        goto done;
    rc = parse_answer(answer, adj->check_in, adj->nights, applied, out);
done:
    metrics_counter_inc(app->metrics.adjustments, decrement ? "decrement" : "increment",
                        rc != 0    ? "error"
                        : *applied ? "applied"
                                   : "duplicate");
    if (rc != 0)
        inv_nights_free(out);
    free(answer);
    free(keys);
    inv_keys_free(fresh);
    inv_keys_free(shadow);
    inv_keys_free(gens);
    return rc;
}
