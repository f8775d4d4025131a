/*
 * clock.h — an injectable source of time, so time-dependent logic (breaker,
 * retry, TTLs) is tested with a manual clock instead of sleeps.
 *
 * Usage:
 *     const clock_source_t *clk = clock_source_system();
 *     int64_t t0 = clk->now_ms(clk->ctx);
 *     clk->sleep_ms(clk->ctx, 500);
 *     // tests: clock_manual_t m = {0}; clock_source_t c = clock_source_manual(&m);
 *     //        c.sleep_ms(c.ctx, 500) just advances m.now_ms and records it.
 *
 * Thread-safety: the system clock is thread-safe; a manual clock is not (tests
 * drive it from one thread or lock around it). Ownership: the system source is
 * static; a manual source borrows the clock_manual_t it is made from.
 */
#ifndef COMMON_CLOCK_H
#define COMMON_CLOCK_H

#include <stdint.h>

typedef struct clock_source {
    int64_t (*now_ms)(void *ctx);            /* monotonic milliseconds */
    void (*sleep_ms)(void *ctx, int64_t ms); /* ms <= 0 returns at once */
    void *ctx;
} clock_source_t;

/* The process's monotonic clock and nanosleep. */
const clock_source_t *clock_source_system(void);

/* Monotonic milliseconds of the system clock. */
int64_t clock_now_ms(void);

/* Wall-clock milliseconds since the Unix epoch. */
int64_t clock_wall_ms(void);

#define CLOCK_MANUAL_MAX_SLEEPS 64

/* A clock tests move by hand; sleeps advance it and are recorded. */
typedef struct clock_manual {
    int64_t now_ms;
    int64_t sleeps[CLOCK_MANUAL_MAX_SLEEPS];
    int sleep_count;
} clock_manual_t;

clock_source_t clock_source_manual(clock_manual_t *m);

#endif /* COMMON_CLOCK_H */
