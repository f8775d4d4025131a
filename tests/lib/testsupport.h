/*
 * testsupport.h — small helpers shared by the integration tests.
 *
 * Integration tests run against the real local stack; they find it through the
 * same environment variables the services read, with the same local defaults,
 * and isolate themselves with random names.
 *
 *     const char *brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
 *     char topic[64]; ts_unique_name("it_kafka", topic, sizeof topic);
 *     ck_assert(TS_POLL_UNTIL(counter_reached(&c), 10000));
 *
 * Thread-safety: all helpers are thread-safe. Ownership: ts_env returns the
 * environment's string or the default (not to be freed).
 */
#ifndef TESTSUPPORT_H
#define TESTSUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TS_DEFAULT_KAFKA_BROKERS "127.0.0.1:19092"
#define TS_DEFAULT_REDIS_URL "redis://127.0.0.1:16379"
#define TS_DEFAULT_MYSQL_URL "mysql://lodging:lodging@127.0.0.1:13306/lodging"
#define TS_POLL_INTERVAL_MS 20

/* The variable's value, or `def` when unset or empty. */
const char *ts_env(const char *name, const char *def);

/* Writes "<prefix>_<pid>_<random hex>" into out. Returns out. */
char *ts_unique_name(const char *prefix, char *out, size_t out_size);

/* Monotonic milliseconds. */
int64_t ts_now_ms(void);

/* Sleeps briefly between polls (never used as synchronisation on its own). */
void ts_poll_pause(void);

/* A NUL-terminated heap copy of n bytes that need not be NUL-terminated
 * themselves (a Kafka message's value): never reads past p + n, unlike
 * strndup, whose sanitizer interceptor may. Free with free(). */
char *ts_copy_bytes(const void *p, size_t n);

/* The whole file at `path`, NUL-terminated (its length in *len when not NULL);
 * a test vector a test cannot run without, so it fails the test when the file
 * cannot be read. Free with free(). */
char *ts_read_file(const char *path, size_t *len);

/* A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0). */
int ts_free_port(void);

/* Creates an empty database with a unique name on the MYSQL_URL server and
 * writes a mysql:// URL for it into url_out. Returns 0 or -1. */
int ts_db_create(const char *prefix, char *name_out, size_t name_size, char *url_out,
                 size_t url_size);
/* Drops a database made by ts_db_create. */
void ts_db_drop(const char *name);

/* ts_db_create, then applies db/migrations to it, so it has the whole schema.
 * Returns 0, or -1 (with the reason on stderr; the database is dropped). */
int ts_db_create_migrated(const char *prefix, char *name_out, size_t name_size, char *url_out,
                          size_t url_size);

/* Access control in tests: the service token every service a test starts
 * is given (pass TS_SERVICE_TOKEN_ENV in its environment), and API keys made
 * straight in a test database. */
#define TS_SERVICE_TOKEN "it-service-token-not-a-secret-0123456789abcdef"
#define TS_SERVICE_TOKEN_ENV "LODGING_SERVICE_TOKEN=" TS_SERVICE_TOKEN
#define TS_SERVICE_AUTH_HEADER "Authorization: Bearer " TS_SERVICE_TOKEN
#define TS_AUTH_HEADER_MAX 192

/* Creates an API key with `role` ("viewer", "operator", "admin"), limited to
 * `hotels_csv` (NULL = every hotel), in the database at db_url, and writes
 * "Authorization: Bearer <key>" into header_out (TS_AUTH_HEADER_MAX bytes).
 * The key id goes to key_id_out when not NULL (25 bytes). 0 or -1. */
int ts_api_key_header(const char *db_url, const char *role, const char *hotels_csv,
                      char *header_out, char *key_id_out);

/* Redis isolation: a test that runs services against Redis claims a database
 * index of its own (1..TS_REDIS_DBS-1) on the REDIS_URL server, so tests running
 * at the same time never see each other's keys (the services use fixed key
 * names such as inv:{hotel_123}:...). The claim is a key in database 0 set with
 * NX and an expiry, so a crashed test frees it by itself; the database is
 * flushed when claimed. Writes "redis://host:port/<n>" into url_out and returns
 * n, or -1. ts_redis_db_release flushes and frees it. */
#define TS_REDIS_DBS 256
int ts_redis_db_acquire(char *url_out, size_t url_size);
void ts_redis_db_release(int db_index);

/* A child process run by a test (a sandbox or a service binary). */
typedef struct ts_proc ts_proc_t;

/* fork+exec `path` with extra environment entries "NAME=value" (NULL-terminated,
 * may be NULL) on top of the test's own environment; stdout and stderr are
 * appended to `log_path` (NULL = /dev/null). NULL when the binary cannot run. */
ts_proc_t *ts_proc_start(const char *path, const char *const *env, const char *log_path);

/* Sends `sig` (SIGTERM when 0), waits up to timeout_ms, then SIGKILLs; returns
 * the wait status (or -1 when it had to be killed) and frees p. NULL is a no-op. */
int ts_proc_stop(ts_proc_t *p, int sig, int timeout_ms);

pid_t ts_proc_pid(const ts_proc_t *p);

/* True while the child has not exited (reaps it when it has). */
bool ts_proc_alive(ts_proc_t *p);

/* Polls GET http://127.0.0.1:<port><path> until it answers 200 or timeout_ms
 * passed; true when it did. */
bool ts_http_wait_ok(int port, const char *path, int timeout_ms);

/* Evaluates `cond` until it is true or `timeout_ms` passed; yields whether it
 * became true. */
#define TS_POLL_UNTIL(cond, timeout_ms)                                                            \
    ({                                                                                             \
        int64_t ts_deadline_ = ts_now_ms() + (timeout_ms);                                         \
        bool ts_ok_ = false;                                                                       \
        for (;;) {                                                                                 \
            if (cond) {                                                                            \
                ts_ok_ = true;                                                                     \
                break;                                                                             \
            }                                                                                      \
            if (ts_now_ms() >= ts_deadline_)                                                       \
                break;                                                                             \
            ts_poll_pause();                                                                       \
        }                                                                                          \
        ts_ok_;                                                                                    \
    })

#endif /* TESTSUPPORT_H */
