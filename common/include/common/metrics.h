/*
 * metrics.h — Prometheus metrics: counters, gauges and histograms with labels,
 * in one process-wide registry, rendered in the text exposition format 0.0.4.
 *
 * A metric family is created once (at start-up) with its label names; each
 * observation passes exactly that many label values, in order. A child series
 * is created on first use of a label combination.
 *
 * Usage:
 *     metric_t *outcomes = metrics_counter("saga_outcomes_total",
 *                                          "Checkout sagas by outcome", 1, "code");
 *     metrics_counter_inc(outcomes, "HOLD_FAILED");
 *     static const double lat_buckets[] = {0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
 *     metric_t *lat = metrics_histogram("pms_request_seconds", "PMS latency",
 *                                       lat_buckets, 7, 1, "vendor");
 *     metrics_histogram_observe(lat, 0.042, "cloudbeds");
 *     char *text = metrics_render();  ...  free(text);
 *
 * Thread-safety: every function is thread-safe (one mutex per family).
 * Ownership: families live until metrics_reset(); metrics_render() returns a
 * malloc'd string the caller frees. Creating a family whose name already exists
 * with the same type and labels returns the existing one (so modules may
 * declare what they use without coordinating); a clash of type or labels
 * returns NULL, and every observe function accepts NULL and does nothing.
 */
#ifndef COMMON_METRICS_H
#define COMMON_METRICS_H

#include <stddef.h>

typedef struct metric metric_t;

#define METRICS_MAX_LABELS 4

metric_t *metrics_counter(const char *name, const char *help, int label_count, ...);
metric_t *metrics_gauge(const char *name, const char *help, int label_count, ...);
/* `buckets`: strictly increasing upper bounds, without +Inf (added implicitly). */
metric_t *metrics_histogram(const char *name, const char *help, const double *buckets,
                            size_t bucket_count, int label_count, ...);

/* Label values follow, exactly label_count of them. */
void metrics_counter_inc(metric_t *m, ...);
void metrics_counter_add(metric_t *m, double delta, ...); /* delta >= 0 */
void metrics_gauge_set(metric_t *m, double value, ...);
void metrics_gauge_add(metric_t *m, double delta, ...);
void metrics_histogram_observe(metric_t *m, double value, ...);

/* Current value of a counter/gauge series, or of a histogram's count; for
 * tests and for services that read back their own state. 0 when absent. */
double metrics_value(metric_t *m, ...);

/* A collector refreshes series whose values are read on demand (the
 * process's CPU time, memory, open files) just before every render. At most
 * METRICS_MAX_COLLECTORS; adding one already added does nothing. 0, or -1
 * when full. */
typedef void (*metrics_collector_fn)(void);
#define METRICS_MAX_COLLECTORS 8
int metrics_add_collector(metrics_collector_fn fn);

/* The whole registry in Prometheus text format (collectors run first); caller frees. */
char *metrics_render(void);

/* Drops every family and collector (tests only). Pointers from before become invalid. */
void metrics_reset(void);

/* Default latency buckets in seconds (1 ms .. 10 s), for HTTP and PMS calls. */
extern const double METRICS_LATENCY_BUCKETS_S[];
extern const size_t METRICS_LATENCY_BUCKET_COUNT;

#endif /* COMMON_METRICS_H */
