/*
 * process_metrics.c — process CPU, memory and file-descriptor metrics (see
 * process_metrics.h).
 */
#include "common/process_metrics.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/metrics.h"

static pthread_mutex_t cpu_lock = PTHREAD_MUTEX_INITIALIZER;
static double cpu_reported; /* CPU seconds already added to the counter; under cpu_lock */

static metric_t *cpu_family(void)
{
    return metrics_counter("process_cpu_seconds_total", "Total user and system CPU time spent", 0);
}

/* The counter only goes up: it gets what the kernel counted since the last
 * collection. */
static void collect_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return;
    double total = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    pthread_mutex_lock(&cpu_lock);
    metric_t *cpu = cpu_family();
    /* A metrics_reset (tests) starts the counter over. */
    if (metrics_value(cpu) == 0)
        cpu_reported = 0;
    if (total > cpu_reported) {
        metrics_counter_add(cpu, total - cpu_reported);
        cpu_reported = total;
    }
    pthread_mutex_unlock(&cpu_lock);
}

static void collect_memory(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return;
    unsigned long size_pages = 0, resident_pages = 0;
    int n = fscanf(f, "%lu %lu", &size_pages, &resident_pages);
    fclose(f);
    if (n != 2)
        return;
    double page = (double)sysconf(_SC_PAGESIZE);
    metrics_gauge_set(
        metrics_gauge("process_virtual_memory_bytes", "Virtual memory size in bytes", 0),
        (double)size_pages * page);
    metrics_gauge_set(
        metrics_gauge("process_resident_memory_bytes", "Resident memory size in bytes", 0),
        (double)resident_pages * page);
}

static void collect_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        long n = 0;
        for (struct dirent *e = readdir(d); e; e = readdir(d))
            n += e->d_name[0] != '.';
        closedir(d);
        n -= 1; /* the directory stream's own descriptor */
        metrics_gauge_set(metrics_gauge("process_open_fds", "Number of open file descriptors", 0),
                          (double)n);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        metrics_gauge_set(
            metrics_gauge("process_max_fds", "Maximum number of open file descriptors", 0),
            rl.rlim_cur == RLIM_INFINITY ? -1.0 : (double)rl.rlim_cur);
}

void process_metrics_collect(void)
{
    collect_cpu();
    collect_memory();
    collect_fds();
}

int process_metrics_register(void)
{
    metric_t *start = metrics_gauge("process_start_time_seconds",
                                    "Start time of the process since unix epoch in seconds", 0);
    if (metrics_value(start) == 0)
        metrics_gauge_set(start, (double)clock_wall_ms() / 1000.0);
    process_metrics_collect();
    return metrics_add_collector(process_metrics_collect);
}
