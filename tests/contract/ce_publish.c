/*
 * ce_publish — publishes CloudEvents through the encoder every producer of
 * ours uses (cloudevent_send_sync: binary content mode), for the tests that
 * read our topics with the official CloudEvents SDKs of other languages.
 *
 *     ce_publish <brokers> <topic> <traceparent> <expected.tsv> <event.json>...
 *
 * Each file is one event in structured JSON (proto/examples/events/); it is
 * sent keyed by its subject, inside the given trace (the distributed tracing
 * extension). expected.tsv receives, per event, what was sent: id, type,
 * subject, time, dataschema, traceparent, key and the data as JSON text,
 * tab-separated. Exit 0, or 1 with the reason on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cloudevents.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/trace.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[*len] = '\0';
    return buf;
}

static int publish_file(kafka_producer_t *p, const char *topic, const trace_context_t *trace,
                        const char *path, FILE *expected)
{
    size_t len = 0;
    char *text = slurp(path, &len), err[256] = "cannot read";
    cloudevent_t *ev = text ? cloudevent_parse(text, len, err, sizeof err) : NULL;
    free(text);
    if (!ev) {
        fprintf(stderr, "%s: %s\n", path, err);
        return -1;
    }
    char tp[TRACE_TRACEPARENT_LEN + 1];
    trace_format(trace, tp);
    const char *key = ev->subject ? ev->subject : ev->id;
    int rc = cloudevent_set_trace(ev, tp, trace->tracestate);
    if (rc == 0)
        rc = cloudevent_send_sync(p, topic, key, ev, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: not sent: %s\n", path, err);
    } else {
        cloudevent_kafka_t sent; /* the value exactly as the encoder wrote it */
        const char *data = cloudevent_to_kafka(ev, &sent) == 0 ? sent.value : "";
        fprintf(expected, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev->id, ev->type,
                ev->subject ? ev->subject : "", ev->time ? ev->time : "",
                ev->dataschema ? ev->dataschema : "", ev->traceparent, key, data);
        cloudevent_kafka_clear(&sent);
    }
    cloudevent_free(ev);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr,
                "usage: %s <brokers> <topic> <traceparent> <expected.tsv> <event.json>...\n",
                argv[0]);
        return 1;
    }
    log_init("ce_publish", LOG_LEVEL_WARN);
    trace_context_t trace;
    if (trace_parse(argv[3], NULL, &trace) != 0) {
        fprintf(stderr, "not a traceparent: %s\n", argv[3]);
        return 1;
    }
    char err[256];
    kafka_producer_t *p = kafka_producer_new(argv[1], "ce_publish", NULL, err, sizeof err);
    FILE *expected = fopen(argv[4], "w");
    if (!p || !expected) {
        fprintf(stderr, "%s\n", p ? "cannot write the expectations" : err);
        kafka_producer_free(p);
        return 1;
    }
    int failed = 0;
    for (int i = 5; i < argc; i++)
        failed |= publish_file(p, argv[2], &trace, argv[i], expected) != 0;
    fclose(expected);
    kafka_producer_free(p);
    return failed ? 1 : 0;
}
