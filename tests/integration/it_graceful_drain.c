/* A rolling restart under load drops no request. inventory-svc serves a
 * continuous load of cache reads from several clients; on SIGTERM its /readyz
 * answers 503 at once while the listener goes on serving for
 * SHUTDOWN_DRAIN_MS (the clients stop, as a load balancer would, once they
 * have seen the 503); a request that is in flight when the listener closes
 * still gets its answer; the process exits 0. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_run.h"
#include "common/log.h"
#include "inventory_fixture.h"

#define LOAD_CLIENTS 4
#define DRAIN_MS "3000"
/* The in-flight request waits this long for the PMS: well past the drain
 * period, so it is still running when the listener closes. */
#define SLOW_PMS_FAULT "{\"op\":\"getRatePlans\",\"latencyMs\":9000}"
#define WAIT_MS 15000

typedef struct load {
    inv_fixture_t *f;
    dates_day_t from;
    atomic_bool *stop;
    atomic_bool *after_503; /* set once the 503 was seen */
    atomic_int ok, ok_after_503, failed;
    int first_failure; /* the status (0: no answer) of the first failed request */
} load_t;

static inv_fixture_t f;

static void setup(void)
{
    log_init("it_graceful_drain", LOG_LEVEL_ERROR);
    memset(&f, 0, sizeof f);
}

static void teardown(void)
{
    invfx_stop(&f);
}

/* One client of the load: its own keep-alive connection, requests back to
 * back until told to stop. */
static void *load_run(void *arg)
{
    load_t *l = arg;
    char base[64], a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", l->f->port);
    http_client_t *c = http_client_new(&(http_client_config_t){.base_url = base});
    dates_format_iso(l->from, a);
    dates_format_iso(l->from + 2, b);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", INVFX_HOTEL, "roomTypeId", INVFX_ROOM,
                       "from",   a,           "to",      b,           NULL};
    while (c && !atomic_load(l->stop)) {
        bool seen_503 = atomic_load(l->after_503);
        http_client_response_t r;
        int st = http_client_get(c, "/api/inventory", q, NULL, &r) == HTTP_CLIENT_OK ? r.status : 0;
        http_client_response_clear(&r);
        if (st == 200) {
            atomic_fetch_add(&l->ok, 1);
            if (seen_503)
                atomic_fetch_add(&l->ok_after_503, 1);
        } else if (atomic_fetch_add(&l->failed, 1) == 0) {
            l->first_failure = st;
        }
    }
    http_client_free(c);
    return NULL;
}

typedef struct slow_read {
    inv_fixture_t *f;
    dates_day_t from;
    int status;
    atomic_bool done;
} slow_read_t;

static void *slow_read_run(void *arg)
{
    slow_read_t *s = arg;
    char base[64], a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", s->f->port);
    http_client_t *c =
        http_client_new(&(http_client_config_t){.base_url = base, .total_timeout_ms = 30000});
    dates_format_iso(s->from, a);
    dates_format_iso(s->from + 1, b);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", INVFX_HOTEL, "roomTypeId", INVFX_ROOM,
                       "from",   a,           "to",      b,           NULL};
    http_client_response_t r;
    s->status =
        c && http_client_get(c, "/api/inventory", q, NULL, &r) == HTTP_CLIENT_OK ? r.status : 0;
    if (c)
        http_client_response_clear(&r);
    http_client_free(c);
    atomic_store(&s->done, true);
    return NULL;
}

/* The status of GET path on a connection of its own (0: no answer). */
static int get_status(int port, const char *path)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    http_client_t *c = http_client_new(&(http_client_config_t){
        .base_url = base, .connect_timeout_ms = 1000, .total_timeout_ms = 3000});
    http_client_response_t r;
    int st = c && http_client_get(c, path, NULL, NULL, &r) == HTTP_CLIENT_OK ? r.status : 0;
    if (c)
        http_client_response_clear(&r);
    http_client_free(c);
    return st;
}

/* True when nothing accepts a TCP connection on the port any more. */
static bool listener_closed(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    bool refused = connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0;
    close(fd);
    return refused;
}

START_TEST(test_sigterm_under_load_drops_no_request)
{
    invfx_start(&f,
                (const char *[]){"SHUTDOWN_DRAIN_MS=" DRAIN_MS, "SHUTDOWN_DRAIN_TIMEOUT_MS=20000",
                                 "PMS_TIMEOUT_MS=20000", "HTTP_THREADS=8", NULL});
    ck_assert_msg(ts_http_wait_ok(f.port, "/readyz", WAIT_MS), "not ready; see %s", f.log_path);
    dates_day_t warm = dates_today_utc() + 20;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, warm, warm + 2, NULL), 200);

    atomic_bool stop = false, after_503 = false;
    load_t loads[LOAD_CLIENTS];
    pthread_t threads[LOAD_CLIENTS];
    for (int i = 0; i < LOAD_CLIENTS; i++) {
        loads[i] = (load_t){.f = &f, .from = warm, .stop = &stop, .after_503 = &after_503};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, load_run, &loads[i]), 0);
    }
    for (int i = 0; i < LOAD_CLIENTS; i++)
        ck_assert(TS_POLL_UNTIL(atomic_load(&loads[i].ok) >= 20 || atomic_load(&loads[i].failed),
                                WAIT_MS));

    /* Cold nights with a slow PMS: this read stays in flight through the close. */
    ts_sandbox_fault(&f.sb, SLOW_PMS_FAULT);
    pid_t pid = ts_proc_pid(f.svc);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);

    ck_assert_msg(TS_POLL_UNTIL(get_status(f.port, "/readyz") == 503, WAIT_MS),
                  "/readyz did not turn 503 after SIGTERM; see %s", f.log_path);
    atomic_store(&after_503, true);
    slow_read_t slow = {.f = &f, .from = dates_today_utc() + 60};
    pthread_t slow_thread;
    ck_assert_int_eq(pthread_create(&slow_thread, NULL, slow_read_run, &slow), 0);
    /* The listener still serves after the 503: liveness, and the load. */
    ck_assert_int_eq(get_status(f.port, "/healthz"), 200);
    for (int i = 0; i < LOAD_CLIENTS; i++)
        ck_assert(TS_POLL_UNTIL(
            atomic_load(&loads[i].ok_after_503) >= 1 || atomic_load(&loads[i].failed), WAIT_MS));
    /* The load balancer has seen the 503: no new requests from here on. */
    atomic_store(&stop, true);
    for (int i = 0; i < LOAD_CLIENTS; i++)
        pthread_join(threads[i], NULL);

    ck_assert_msg(TS_POLL_UNTIL(listener_closed(f.port), WAIT_MS),
                  "the listener never closed; see %s", f.log_path);
    bool slow_done_at_close = atomic_load(&slow.done);
    pthread_join(slow_thread, NULL);
    int status = ts_proc_stop(f.svc, 0, WAIT_MS);
    f.svc = NULL;
    http_client_free(f.http);
    f.http = NULL;

    for (int i = 0; i < LOAD_CLIENTS; i++) {
        ck_assert_msg(loads[i].failed == 0, "client %d: %d requests failed, the first with %d", i,
                      atomic_load(&loads[i].failed), loads[i].first_failure);
        ck_assert_int_ge(atomic_load(&loads[i].ok_after_503), 1);
    }
    ck_assert_msg(!slow_done_at_close, "the slow read ended before the listener closed");
    ck_assert_int_eq(slow.status, 200);
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "inventory-svc did not exit 0 (status %d); see %s", status, f.log_path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("graceful_drain");
    TCase *tc = tcase_create("drain");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sigterm_under_load_drops_no_request);
    suite_add_tcase(s, tc);
    return check_run(s);
}
