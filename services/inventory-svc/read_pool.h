/*
 * read_pool.h — the reads that may wait for the PMS, answered off the HTTP
 * worker threads.
 *
 * A libmicrohttpd pool worker serves its connections one request at a time,
 * so a read that waits seconds for a slow PMS would hold up every other
 * connection of its worker — warm reads of other hotels included. Such a
 * read is deferred (http_request_defer) and handed to this pool; the worker
 * goes back to its other connections at once.
 *
 *     read_pool_t *p = read_pool_new(8, 1024);
 *     if (http_request_defer(req) == 0 && read_pool_submit(p, run, job) != 0)
 *         run(job, false);              // full or stopping: answered here
 *     ... at shutdown, after the HTTP server has stopped:
 *     read_pool_stop(p);                // queued jobs run with cancelled = true
 *     read_pool_free(p);
 *
 * Thread-safety: submit from any thread. A job's function runs once, on a
 * pool thread (or in read_pool_stop with cancelled = true) and owns the job.
 */
#ifndef INVENTORY_READ_POOL_H
#define INVENTORY_READ_POOL_H

#include <stdbool.h>

typedef struct read_pool read_pool_t;

/* Runs a job; cancelled: the pool is stopping, answer at once (503). */
typedef void (*read_pool_fn)(void *job, bool cancelled);

/* threads >= 1 workers, at most max_queued jobs waiting. NULL on failure. */
read_pool_t *read_pool_new(int threads, int max_queued);
/* 0: queued; -1: the queue is full or the pool is stopping (the caller runs it). */
int read_pool_submit(read_pool_t *p, read_pool_fn fn, void *job);
/* Jobs waiting now, for the metrics. */
int read_pool_queued(read_pool_t *p);
/* Lets the running jobs finish, runs every queued one with cancelled = true
 * and joins the threads. Idempotent; accepts NULL. */
void read_pool_stop(read_pool_t *p);
/* Stops it if needed and frees it; accepts NULL. */
void read_pool_free(read_pool_t *p);

#endif /* INVENTORY_READ_POOL_H */
