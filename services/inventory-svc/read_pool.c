/*
 * read_pool.c — a fixed set of threads over one FIFO of jobs (see
 * read_pool.h).
 */
#include "read_pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct read_job {
    read_pool_fn fn;
    void *job;
    struct read_job *next;
} read_job_t;

struct read_pool {
    pthread_mutex_t lock; /* guards head, tail, queued, stopping */
    pthread_cond_t cond;
    read_job_t *head, *tail;
    int queued, max_queued;
    bool stopping, stopped;
    int thread_count;
    pthread_t *threads;
};

static void *worker_main(void *arg)
{
    read_pool_t *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->stopping) {
            pthread_mutex_unlock(&p->lock);
            return NULL; /* what is still queued is cancelled by read_pool_stop */
        }
        read_job_t *j = p->head;
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        pthread_mutex_unlock(&p->lock);
        j->fn(j->job, false);
        free(j);
    }
}

read_pool_t *read_pool_new(int threads, int max_queued)
{
    if (threads < 1 || max_queued < 1)
        return NULL;
    read_pool_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->threads = calloc((size_t)threads, sizeof *p->threads);
    p->max_queued = max_queued;
    if (!p->threads || pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p->threads);
        free(p);
        return NULL;
    }
    pthread_cond_init(&p->cond, NULL);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
            break;
        p->thread_count++;
    }
    if (p->thread_count == 0) {
        read_pool_free(p);
        return NULL;
    }
    return p;
}

int read_pool_submit(read_pool_t *p, read_pool_fn fn, void *job)
{
    if (!p || !fn)
        return -1;
    read_job_t *j = malloc(sizeof *j);
    if (!j)
        return -1;
    *j = (read_job_t){.fn = fn, .job = job};
    pthread_mutex_lock(&p->lock);
    if (p->stopping || p->queued >= p->max_queued) {
        pthread_mutex_unlock(&p->lock);
        free(j);
        return -1;
    }
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->queued++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

int read_pool_queued(read_pool_t *p)
{
    if (!p)
        return 0;
    pthread_mutex_lock(&p->lock);
    int n = p->queued;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void read_pool_stop(read_pool_t *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    bool already = p->stopped;
    p->stopping = true;
    p->stopped = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    if (already)
        return;
    for (int i = 0; i < p->thread_count; i++)
        pthread_join(p->threads[i], NULL);
    /* no thread takes jobs any more: the rest are answered as cancelled */
    pthread_mutex_lock(&p->lock);
    read_job_t *j = p->head;
    p->head = p->tail = NULL;
    p->queued = 0;
    pthread_mutex_unlock(&p->lock);
    while (j) {
        read_job_t *next = j->next;
        j->fn(j->job, true);
        free(j);
        j = next;
    }
}

void read_pool_free(read_pool_t *p)
{
    if (!p)
        return;
    read_pool_stop(p);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}
