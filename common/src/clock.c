/*
 * clock.c — system and manual clock sources (see clock.h).
 */
#include "common/clock.h"

#include <errno.h>
#include <time.h>

int64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t system_now(void *ctx)
{
    (void)ctx;
    return clock_now_ms();
}

static void system_sleep(void *ctx, int64_t ms)
{
    (void)ctx;
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

const clock_source_t *clock_source_system(void)
{
    static const clock_source_t system = {system_now, system_sleep, NULL};
    return &system;
}

static int64_t manual_now(void *ctx)
{
    return ((clock_manual_t *)ctx)->now_ms;
}

static void manual_sleep(void *ctx, int64_t ms)
{
    clock_manual_t *m = ctx;
    if (ms < 0)
        ms = 0;
    if (m->sleep_count < CLOCK_MANUAL_MAX_SLEEPS)
        m->sleeps[m->sleep_count] = ms;
    m->sleep_count++;
    m->now_ms += ms;
}

clock_source_t clock_source_manual(clock_manual_t *m)
{
    clock_source_t c = {manual_now, manual_sleep, m};
    return c;
}
