/*
 * kafka_internal.h — what the kafka_*.c files share and nobody else needs.
 */
#ifndef COMMON_KAFKA_INTERNAL_H
#define COMMON_KAFKA_INTERNAL_H

#include <librdkafka/rdkafka.h>

/* Routes librdkafka's own log lines and errors into our JSON log. */
void kafka_conf_route_logs(rd_kafka_conf_t *conf);

#endif /* COMMON_KAFKA_INTERNAL_H */
