/*
 * process_metrics.h — the process's own resource metrics, under the names
 * Prometheus' client libraries use, so the usual dashboards and alerts work:
 *
 *   process_cpu_seconds_total       user + system CPU time (counter)
 *   process_resident_memory_bytes   resident set size
 *   process_virtual_memory_bytes    virtual memory size
 *   process_open_fds                open file descriptors
 *   process_max_fds                 the open-file limit (RLIMIT_NOFILE)
 *   process_start_time_seconds      start time since the Unix epoch
 *
 * Read from the kernel (/proc/self, getrusage, getrlimit) just before each
 * render of /metrics (a metrics collector), so they cost nothing between
 * scrapes. Linux only; where /proc cannot be read the memory and fd series
 * keep their last value.
 *
 * Usage: process_metrics_register(); once at start-up (service_new does it).
 * Thread-safety: safe from any thread; registering twice is harmless.
 */
#ifndef COMMON_PROCESS_METRICS_H
#define COMMON_PROCESS_METRICS_H

/* Registers the families and their collector; the start time is now. 0, or -1
 * when the registry has no room for the collector. */
int process_metrics_register(void);

/* Refreshes the series now (what the collector does; for tests). */
void process_metrics_collect(void);

#endif /* COMMON_PROCESS_METRICS_H */
