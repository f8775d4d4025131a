/* A rolling restart under load drops no request.
 *
 * One replica: inventory-svc serves a continuous load of cache reads from
 * several clients; on SIGTERM its /readyz answers 503 at once while the
 * listener goes on serving for SHUTDOWN_DRAIN_MS (the clients stop, as a load
 * balancer would, once they have seen the 503); a request that is in flight
 * when the listener closes still gets its answer; the process exits 0.
 *
 * The in-flight request starts only after the load has stopped: a
 * libmicrohttpd worker thread serves its connections one request at a time,
 * so a load client whose new connection landed on the worker that waits for
 * the slow PMS would wait with it (head-of-line blocking is a property of the
 * thread pool, not of the drain under test).
 *
 * A rolling restart: two replicas behind a stand-in for the Service (a
 * prober that keeps only the replicas whose /readyz answers 200 in rotation,
 * as the endpoints controller does), both replaced one after the other by new
 * ones (start the new one, wait until it is in rotation, SIGTERM the old one)
 * while four clients keep reading: no request fails. */
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
/* Long enough for the clients' last requests and the slow read to start
 * on a busy machine; the listener closes when it ends. */
#define DRAIN_MS "6000"
/* The in-flight request waits this long for the PMS: far past the drain
 * period, so it is still running when the test sees the listener closed
 * even on a busy machine (under the sanitizers 9 s was once not enough). */
#define SLOW_PMS_FAULT "{\"op\":\"getRatePlans\",\"latencyMs\":20000}"
#define SLOW_WAIT_MS 60000
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
 * back until told to stop, or until one served after the 503 was seen — a
 * load balancer stops sending once it has seen the replica unready, and a
 * client that waited for the test's main thread could outlast the drain
 * period on a busy machine. */
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
            if (seen_503) {
                atomic_fetch_add(&l->ok_after_503, 1);
                break; /* the load balancer has taken the replica out: no more */
            }
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
    int64_t took_ms;
} slow_read_t;

static void *slow_read_run(void *arg)
{
    slow_read_t *s = arg;
    char base[64], a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", s->f->port);
    http_client_config_t hc = {.base_url = base, .total_timeout_ms = SLOW_WAIT_MS};
    http_client_t *c = http_client_new(&hc);
    dates_format_iso(s->from, a);
    dates_format_iso(s->from + 1, b);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", INVFX_HOTEL, "roomTypeId", INVFX_ROOM,
                       "from",   a,           "to",      b,           NULL};
    http_client_response_t r;
    int64_t start = ts_now_ms();
    s->status =
        c && http_client_get(c, "/api/inventory", q, NULL, &r) == HTTP_CLIENT_OK ? r.status : 0;
    s->took_ms = ts_now_ms() - start;
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
                (const char *[]){"SHUTDOWN_DRAIN_MS=" DRAIN_MS, "SHUTDOWN_DRAIN_TIMEOUT_MS=40000",
                                 "PMS_TIMEOUT_MS=40000", "HTTP_THREADS=8", NULL});
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
    /* The listener still serves after the 503: liveness, and the load. */
    ck_assert_int_eq(get_status(f.port, "/healthz"), 200);
    for (int i = 0; i < LOAD_CLIENTS; i++)
        ck_assert(TS_POLL_UNTIL(
            atomic_load(&loads[i].ok_after_503) >= 1 || atomic_load(&loads[i].failed), WAIT_MS));
    /* The load balancer has seen the 503: no new requests from here on. */
    atomic_store(&stop, true);
    for (int i = 0; i < LOAD_CLIENTS; i++)
        pthread_join(threads[i], NULL);
    slow_read_t slow = {.f = &f, .from = dates_today_utc() + 60};
    pthread_t slow_thread;
    ck_assert_int_eq(pthread_create(&slow_thread, NULL, slow_read_run, &slow), 0);

    ck_assert_msg(TS_POLL_UNTIL(listener_closed(f.port), WAIT_MS),
                  "the listener never closed; see %s", f.log_path);
    bool slow_done_at_close = atomic_load(&slow.done);
    pthread_join(slow_thread, NULL);
    int status = ts_proc_stop(f.svc, 0, SLOW_WAIT_MS);
    f.svc = NULL;
    http_client_free(f.http);
    f.http = NULL;

    for (int i = 0; i < LOAD_CLIENTS; i++) {
        ck_assert_msg(loads[i].failed == 0, "client %d: %d requests failed, the first with %d", i,
                      atomic_load(&loads[i].failed), loads[i].first_failure);
        ck_assert_int_ge(atomic_load(&loads[i].ok_after_503), 1);
    }
    ck_assert_msg(!slow_done_at_close,
                  "the slow read ended (%d after %lld ms) before the listener closed", slow.status,
                  (long long)slow.took_ms);
    ck_assert_int_eq(slow.status, 200);
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "inventory-svc did not exit 0 (status %d); see %s", status, f.log_path);
}
END_TEST

/* ---------------------------------------------------- rolling restart -- */

#define MAX_REPLICAS 4

typedef struct replica {
    ts_proc_t *proc;
    int port;
    char log[256];
    atomic_bool in_rotation;
    atomic_int served;
} replica_t;

typedef struct rotation {
    replica_t replicas[MAX_REPLICAS];
    atomic_int count;
    atomic_bool stop;
} rotation_t;

/* The stand-in for the Service's endpoints: a replica is in rotation while
 * its /readyz answers 200. */
static void *probe_run(void *arg)
{
    rotation_t *rot = arg;
    while (!atomic_load(&rot->stop)) {
        for (int i = 0; i < atomic_load(&rot->count); i++) {
            replica_t *r = &rot->replicas[i];
            if (r->port > 0)
                atomic_store(&r->in_rotation, get_status(r->port, "/readyz") == 200);
        }
        ts_poll_pause();
    }
    return NULL;
}

typedef struct rolling_client {
    rotation_t *rot;
    dates_day_t from;
    int ok, failed, first_failure, failed_port;
} rolling_client_t;

/* A client of the Service: each request to the next replica in rotation,
 * on that replica's keep-alive connection. */
static void *rolling_client_run(void *arg)
{
    rolling_client_t *cl = arg;
    http_client_t *clients[MAX_REPLICAS] = {0};
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1];
    dates_format_iso(cl->from, a);
    dates_format_iso(cl->from + 2, b);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", INVFX_HOTEL, "roomTypeId", INVFX_ROOM,
                       "from",   a,           "to",      b,           NULL};
    for (unsigned next = 0; !atomic_load(&cl->rot->stop); next++) {
        int n = atomic_load(&cl->rot->count), pick = -1;
        for (int k = 0; k < n && pick < 0; k++) {
            int i = (int)((next + (unsigned)k) % (unsigned)n);
            if (atomic_load(&cl->rot->replicas[i].in_rotation))
                pick = i;
        }
        if (pick < 0)
            continue; /* nobody in rotation this instant */
        replica_t *r = &cl->rot->replicas[pick];
        if (!clients[pick]) {
            char base[64];
            snprintf(base, sizeof base, "http://127.0.0.1:%d", r->port);
            clients[pick] = http_client_new(&(http_client_config_t){.base_url = base});
        }
        http_client_response_t resp;
        int st = http_client_get(clients[pick], "/api/inventory", q, NULL, &resp) == HTTP_CLIENT_OK
                     ? resp.status
                     : 0;
        http_client_response_clear(&resp);
        if (st == 200) {
            cl->ok++;
            atomic_fetch_add(&r->served, 1);
        } else if (cl->failed++ == 0) {
            cl->first_failure = st;
            cl->failed_port = r->port;
        }
    }
    for (int i = 0; i < MAX_REPLICAS; i++)
        http_client_free(clients[i]);
    return NULL;
}

/* The prober (one fresh connection per replica per pass) must see a
 * replica's 503 within the drain period even on a busy machine, as the
 * chart's drain outlasts the readiness probe's period. */
#define ROLLING_DRAIN_MS "6000"

static const char *const ROLLING_ENV[] = {"SHUTDOWN_DRAIN_MS=" ROLLING_DRAIN_MS,
                                          "SHUTDOWN_DRAIN_TIMEOUT_MS=20000", NULL};

/* Starts a replica in the next slot and waits until the prober has put it in
 * rotation. */
static replica_t *add_replica(rotation_t *rot)
{
    int i = atomic_load(&rot->count);
    ck_assert_int_lt(i, MAX_REPLICAS);
    replica_t *r = &rot->replicas[i];
    r->proc = invfx_spawn(&f, ROLLING_ENV, &r->port, r->log, sizeof r->log);
    atomic_store(&rot->count, i + 1);
    ck_assert_msg(TS_POLL_UNTIL(atomic_load(&r->in_rotation), WAIT_MS),
                  "replica on port %d never came into rotation; see %s", r->port, r->log);
    return r;
}

/* SIGTERM, as Kubernetes sends it; asserts the replica drained and exited 0. */
static void retire_replica(replica_t *r)
{
    int status = ts_proc_stop(r->proc, SIGTERM, 30000);
    r->proc = NULL;
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "replica on port %d did not exit 0 (status %d); see %s", r->port, status, r->log);
}

START_TEST(test_a_rolling_restart_under_load_drops_no_request)
{
    invfx_start(&f, ROLLING_ENV); /* the sandbox and Redis; its replica is not used */
    dates_day_t warm = dates_today_utc() + 25;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, warm, warm + 2, NULL), 200);

    static rotation_t rot;
    memset(&rot, 0, sizeof rot);
    pthread_t prober;
    ck_assert_int_eq(pthread_create(&prober, NULL, probe_run, &rot), 0);
    replica_t *old1 = add_replica(&rot);
    replica_t *old2 = add_replica(&rot);

    rolling_client_t clients[LOAD_CLIENTS];
    pthread_t threads[LOAD_CLIENTS];
    for (int i = 0; i < LOAD_CLIENTS; i++) {
        clients[i] = (rolling_client_t){.rot = &rot, .from = warm};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, rolling_client_run, &clients[i]), 0);
    }
    ck_assert(TS_POLL_UNTIL(atomic_load(&old1->served) >= 20 && atomic_load(&old2->served) >= 20,
                            WAIT_MS));

    /* The roll: maxSurge 1, maxUnavailable 0. */
    replica_t *new1 = add_replica(&rot);
    retire_replica(old1);
    replica_t *new2 = add_replica(&rot);
    retire_replica(old2);
    ck_assert(TS_POLL_UNTIL(atomic_load(&new1->served) >= 20 && atomic_load(&new2->served) >= 20,
                            WAIT_MS));

    atomic_store(&rot.stop, true);
    for (int i = 0; i < LOAD_CLIENTS; i++)
        pthread_join(threads[i], NULL);
    pthread_join(prober, NULL);
    int ok = 0;
    for (int i = 0; i < LOAD_CLIENTS; i++) {
        ck_assert_msg(clients[i].failed == 0,
                      "client %d: %d requests failed, the first with %d from port %d", i,
                      clients[i].failed, clients[i].first_failure, clients[i].failed_port);
        ok += clients[i].ok;
    }
    ck_assert_int_gt(ok, 0);
    for (int i = 2; i < atomic_load(&rot.count); i++) {
        int status = ts_proc_stop(rot.replicas[i].proc, SIGTERM, 30000);
        ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "replica on port %d did not exit 0; see %s", rot.replicas[i].port,
                      rot.replicas[i].log);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("graceful_drain");
    TCase *tc = tcase_create("drain");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sigterm_under_load_drops_no_request);
    tcase_add_test(tc, test_a_rolling_restart_under_load_drops_no_request);
    suite_add_tcase(s, tc);
    return check_run(s);
}
