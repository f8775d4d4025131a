/*
 * metrics.c — the process-wide Prometheus registry (see metrics.h).
 *
 * A family holds its name, help, type, label names and a singly linked list of
 * series (one per label-value combination), guarded by the family's mutex. The
 * registry is a linked list of families guarded by registry_lock; families are
 * only added (or all dropped by metrics_reset), so rendering walks it under
 * that lock and locks each family in turn.
 */
#include "common/metrics.h"

#include <math.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double METRICS_LATENCY_BUCKETS_S[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                            0.25,  0.5,    1,     2.5,  5,     10};
const size_t METRICS_LATENCY_BUCKET_COUNT =
    sizeof METRICS_LATENCY_BUCKETS_S / sizeof METRICS_LATENCY_BUCKETS_S[0];

typedef enum { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM } metric_type_t;

typedef struct series {
    char *values[METRICS_MAX_LABELS];
    double value;          /* counter / gauge */
    double sum;            /* histogram */
    unsigned long count;   /* histogram */
    unsigned long *bucket; /* histogram: per-bucket (non-cumulative) counts */
    struct series *next;
} series_t;

struct metric {
    char *name;
    char *help;
    metric_type_t type;
    int label_count;
    char *labels[METRICS_MAX_LABELS];
    double *bounds;
    size_t bound_count;
    pthread_mutex_t lock; /* guards series */
    series_t *series;
    series_t *series_tail;
    struct metric *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER; /* guards families */
static metric_t *families;
static metric_t *families_tail;
static metrics_collector_fn collectors[METRICS_MAX_COLLECTORS]; /* under registry_lock */
static int collector_count;

/* ------------------------------------------------------------ registry -- */

static bool same_shape(const metric_t *m, metric_type_t type, int label_count, const char **labels)
{
    if (m->type != type || m->label_count != label_count)
        return false;
    for (int i = 0; i < label_count; i++)
        if (strcmp(m->labels[i], labels[i]) != 0)
            return false;
    return true;
}

static void family_free(metric_t *m)
{
    series_t *s = m->series;
    while (s) {
        series_t *next = s->next;
        for (int i = 0; i < m->label_count; i++)
            free(s->values[i]);
        free(s->bucket);
        free(s);
        s = next;
    }
    for (int i = 0; i < m->label_count; i++)
        free(m->labels[i]);
    pthread_mutex_destroy(&m->lock);
    free(m->bounds);
    free(m->name);
    free(m->help);
    free(m);
}

/* Finds or creates a family. Returns NULL on a shape clash or OOM. */
static metric_t *family_get(metric_type_t type, const char *name, const char *help,
                            const double *bounds, size_t bound_count, int label_count, va_list ap)
{
    const char *labels[METRICS_MAX_LABELS];
    if (!name || label_count < 0 || label_count > METRICS_MAX_LABELS)
        return NULL;
    for (int i = 0; i < label_count; i++)
        labels[i] = va_arg(ap, const char *);

    pthread_mutex_lock(&registry_lock);
    metric_t *m;
    for (m = families; m; m = m->next)
        if (strcmp(m->name, name) == 0)
            break;
    if (m) {
        metric_t *found = same_shape(m, type, label_count, labels) ? m : NULL;
        pthread_mutex_unlock(&registry_lock);
        return found;
    }
    m = calloc(1, sizeof *m);
    if (!m)
        goto fail;
    pthread_mutex_init(&m->lock, NULL);
    m->name = strdup(name);
    m->help = strdup(help ? help : "");
    m->type = type;
    m->label_count = label_count;
    for (int i = 0; i < label_count; i++)
        m->labels[i] = strdup(labels[i]);
    if (bound_count > 0) {
        m->bounds = malloc(bound_count * sizeof *m->bounds);
        if (m->bounds)
            memcpy(m->bounds, bounds, bound_count * sizeof *m->bounds);
        m->bound_count = bound_count;
    }
    if (!m->name || !m->help || (bound_count > 0 && !m->bounds)) {
        family_free(m);
        m = NULL;
        goto fail;
    }
    if (families_tail)
        families_tail->next = m;
    else
        families = m;
    families_tail = m;
fail:
    pthread_mutex_unlock(&registry_lock);
    return m;
}

metric_t *metrics_counter(const char *name, const char *help, int label_count, ...)
{
    va_list ap;
    va_start(ap, label_count);
    metric_t *m = family_get(METRIC_COUNTER, name, help, NULL, 0, label_count, ap);
    va_end(ap);
    return m;
}

metric_t *metrics_gauge(const char *name, const char *help, int label_count, ...)
{
    va_list ap;
    va_start(ap, label_count);
    metric_t *m = family_get(METRIC_GAUGE, name, help, NULL, 0, label_count, ap);
    va_end(ap);
    return m;
}

metric_t *metrics_histogram(const char *name, const char *help, const double *buckets,
                            size_t bucket_count, int label_count, ...)
{
    for (size_t i = 1; i < bucket_count; i++)
        if (!(buckets[i] > buckets[i - 1]))
            return NULL;
    va_list ap;
    va_start(ap, label_count);
    metric_t *m = family_get(METRIC_HISTOGRAM, name, help, buckets, bucket_count, label_count, ap);
    va_end(ap);
    return m;
}

void metrics_reset(void)
{
    pthread_mutex_lock(&registry_lock);
    metric_t *m = families;
    while (m) {
        metric_t *next = m->next;
        family_free(m);
        m = next;
    }
    families = families_tail = NULL;
    collector_count = 0;
    pthread_mutex_unlock(&registry_lock);
}

/* -------------------------------------------------------------- series -- */

/* Finds the series for the label values in `ap` and, when `create`, makes it
 * if missing; called with the family lock held. NULL when absent or on OOM
 * (the observation is dropped). */
static series_t *series_get(metric_t *m, bool create, va_list ap)
{
    const char *values[METRICS_MAX_LABELS];
    for (int i = 0; i < m->label_count; i++) {
        values[i] = va_arg(ap, const char *);
        if (!values[i])
            values[i] = "";
    }
    for (series_t *s = m->series; s; s = s->next) {
        int i = 0;
        while (i < m->label_count && strcmp(s->values[i], values[i]) == 0)
            i++;
        if (i == m->label_count)
            return s;
    }
    if (!create)
        return NULL;
    series_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (m->type == METRIC_HISTOGRAM) {
        s->bucket = calloc(m->bound_count + 1, sizeof *s->bucket);
        if (!s->bucket) {
            free(s);
            return NULL;
        }
    }
    for (int i = 0; i < m->label_count; i++) {
        s->values[i] = strdup(values[i]);
        if (!s->values[i]) {
            for (int j = 0; j < i; j++)
                free(s->values[j]);
            free(s->bucket);
            free(s);
            return NULL;
        }
    }
    if (m->series_tail)
        m->series_tail->next = s;
    else
        m->series = s;
    m->series_tail = s;
    return s;
}

typedef enum { OP_ADD, OP_SET, OP_OBSERVE } op_t;

static void apply(metric_t *m, op_t op, double v, va_list ap)
{
    pthread_mutex_lock(&m->lock);
    series_t *s = series_get(m, true, ap);
    if (s) {
        if (op == OP_ADD) {
            s->value += v;
        } else if (op == OP_SET) {
            s->value = v;
        } else {
            size_t i = 0;
            while (i < m->bound_count && v > m->bounds[i])
                i++;
            s->bucket[i]++;
            s->count++;
            s->sum += v;
        }
    }
    pthread_mutex_unlock(&m->lock);
}

void metrics_counter_inc(metric_t *m, ...)
{
    if (!m || m->type != METRIC_COUNTER)
        return;
    va_list ap;
    va_start(ap, m);
    apply(m, OP_ADD, 1, ap);
    va_end(ap);
}

void metrics_counter_add(metric_t *m, double delta, ...)
{
    if (!m || m->type != METRIC_COUNTER || !(delta >= 0))
        return;
    va_list ap;
    va_start(ap, delta);
    apply(m, OP_ADD, delta, ap);
    va_end(ap);
}

void metrics_gauge_set(metric_t *m, double value, ...)
{
    if (!m || m->type != METRIC_GAUGE)
        return;
    va_list ap;
    va_start(ap, value);
    apply(m, OP_SET, value, ap);
    va_end(ap);
}

void metrics_gauge_add(metric_t *m, double delta, ...)
{
    if (!m || m->type != METRIC_GAUGE)
        return;
    va_list ap;
    va_start(ap, delta);
    apply(m, OP_ADD, delta, ap);
    va_end(ap);
}

void metrics_histogram_observe(metric_t *m, double value, ...)
{
    if (!m || m->type != METRIC_HISTOGRAM || isnan(value))
        return;
    va_list ap;
    va_start(ap, value);
    apply(m, OP_OBSERVE, value, ap);
    va_end(ap);
}

double metrics_value(metric_t *m, ...)
{
    if (!m)
        return 0;
    va_list ap;
    va_start(ap, m);
    pthread_mutex_lock(&m->lock);
    series_t *s = series_get(m, false, ap);
    double v = !s ? 0 : m->type == METRIC_HISTOGRAM ? (double)s->count : s->value;
    pthread_mutex_unlock(&m->lock);
    va_end(ap);
    return v;
}

/* ----------------------------------------------------------- rendering -- */

typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} strbuf_t;

static void sb_append(strbuf_t *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_append(strbuf_t *sb, const char *fmt, ...)
{
    if (sb->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            sb->oom = true;
            return;
        }
        if ((size_t)n < sb->cap - sb->len) {
            sb->len += (size_t)n;
            return;
        }
        size_t cap = (sb->cap + (size_t)n + 1) * 2;
        char *p = realloc(sb->buf, cap);
        if (!p) {
            sb->oom = true;
            return;
        }
        sb->buf = p;
        sb->cap = cap;
    }
}

/* Label values escape backslash, double quote and newline (format 0.0.4). */
static void sb_escaped(strbuf_t *sb, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            sb_append(sb, "\\\\");
        else if (*s == '"')
            sb_append(sb, "\\\"");
        else if (*s == '\n')
            sb_append(sb, "\\n");
        else
            sb_append(sb, "%c", *s);
    }
}

static void sb_number(strbuf_t *sb, double v)
{
    if (isinf(v))
        sb_append(sb, v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        sb_append(sb, "NaN");
    else
        sb_append(sb, "%.15g", v);
}

/* {a="x",b="y"[,le="..."]} — `le` may be NULL. */
static void sb_labels(strbuf_t *sb, const metric_t *m, const series_t *s, const char *le)
{
    if (m->label_count == 0 && !le)
        return;
    sb_append(sb, "{");
    for (int i = 0; i < m->label_count; i++) {
        sb_append(sb, "%s%s=\"", i ? "," : "", m->labels[i]);
        sb_escaped(sb, s->values[i]);
        sb_append(sb, "\"");
    }
    if (le)
        sb_append(sb, "%sle=\"%s\"", m->label_count ? "," : "", le);
    sb_append(sb, "}");
}

static void render_histogram_series(strbuf_t *sb, const metric_t *m, const series_t *s)
{
    unsigned long cumulative = 0;
    char le[64];
    for (size_t i = 0; i <= m->bound_count; i++) {
        cumulative += s->bucket[i];
        if (i < m->bound_count)
            snprintf(le, sizeof le, "%.15g", m->bounds[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        sb_append(sb, "%s_bucket", m->name);
        sb_labels(sb, m, s, le);
        sb_append(sb, " %lu\n", cumulative);
    }
    sb_append(sb, "%s_sum", m->name);
    sb_labels(sb, m, s, NULL);
    sb_append(sb, " ");
    sb_number(sb, s->sum);
    sb_append(sb, "\n%s_count", m->name);
    sb_labels(sb, m, s, NULL);
    sb_append(sb, " %lu\n", s->count);
}

static void render_family(strbuf_t *sb, metric_t *m)
{
    static const char *type_names[] = {"counter", "gauge", "histogram"};
    sb_append(sb, "# HELP %s ", m->name);
    for (const char *h = m->help; *h; h++)
        sb_append(sb, *h == '\n' ? "\\n" : *h == '\\' ? "\\\\" : "%c", *h);
    sb_append(sb, "\n# TYPE %s %s\n", m->name, type_names[m->type]);
    pthread_mutex_lock(&m->lock);
    for (const series_t *s = m->series; s; s = s->next) {
        if (m->type == METRIC_HISTOGRAM) {
            render_histogram_series(sb, m, s);
            continue;
        }
        sb_append(sb, "%s", m->name);
        sb_labels(sb, m, s, NULL);
        sb_append(sb, " ");
        sb_number(sb, s->value);
        sb_append(sb, "\n");
    }
    pthread_mutex_unlock(&m->lock);
}

int metrics_add_collector(metrics_collector_fn fn)
{
    int rc = 0;
    pthread_mutex_lock(&registry_lock);
    bool known = false;
    for (int i = 0; i < collector_count; i++)
        known = known || collectors[i] == fn;
    if (!known && collector_count == METRICS_MAX_COLLECTORS)
        rc = -1;
    else if (!known)
        collectors[collector_count++] = fn;
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

char *metrics_render(void)
{
    /* Collectors update series through the public calls, which take the
     * registry lock themselves: they run on a copy of the list, unlocked. */
    metrics_collector_fn run[METRICS_MAX_COLLECTORS];
    pthread_mutex_lock(&registry_lock);
    int n = collector_count;
    memcpy(run, collectors, sizeof run);
    pthread_mutex_unlock(&registry_lock);
    for (int i = 0; i < n; i++)
        run[i]();
    strbuf_t sb = {0};
    sb_append(&sb, "%s", "");
    pthread_mutex_lock(&registry_lock);
    for (metric_t *m = families; m; m = m->next)
        render_family(&sb, m);
    pthread_mutex_unlock(&registry_lock);
    if (sb.oom) {
        free(sb.buf);
        return NULL;
    }
    return sb.buf;
}
