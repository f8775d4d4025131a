# One image per service: docker build --build-arg SERVICE=booking-svc -t lodging/booking-svc .
# SERVICE is one of booking-svc, inventory-svc, webhook-ingest, poller, or — for
# demo and staging clusters without real vendors — pms-sandbox, opera-sandbox, pay-sandbox,
# toss-sandbox.
# Every image also holds the tools the Helm chart's Jobs run (lodging-migrate,
# lodging-kafka-admin, lodging-reconcile) and lodging-admin (the first admin).

FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config \
        librdkafka-dev libcurl4-openssl-dev libhiredis-dev libjson-c-dev \
        default-libmysqlclient-dev libssl-dev check libsubunit-dev libmicrohttpd-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    && cmake --build /build -j"$(nproc)" \
    && mkdir -p /out/bin \
    && cp /build/services/*/booking-svc /build/services/*/inventory-svc \
          /build/services/*/webhook-ingest /build/services/*/poller \
          /build/sandbox/pms-sandbox/pms-sandbox /build/sandbox/pay-sandbox/pay-sandbox \
          /build/sandbox/toss-sandbox/toss-sandbox \
          /build/sandbox/opera-sandbox/opera-sandbox \
          /build/tools/migrate/lodging-migrate /build/tools/kafka-admin/lodging-kafka-admin \
          /build/tools/reconcile/lodging-reconcile /build/tools/admin/lodging-admin /out/bin/ \
    && cp -r db /out/db \
    && mkdir -p /out/kafka && cp deploy/k8s/lodging/files/topics.json /out/kafka/topics.json \
    && mkdir -p /out/sandbox && cp sandbox/pms-sandbox/seed.json /out/sandbox/pms-seed.json \
    && cp sandbox/opera-sandbox/seed.json /out/sandbox/opera-seed.json
RUN mkdir -p /out/share/lodging && cp -r web/admin /out/share/lodging/admin

FROM debian:12-slim
ARG SERVICE
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<service>" && false)
RUN apt-get update && apt-get install -y --no-install-recommends \
        librdkafka1 libcurl4 libhiredis0.14 libjson-c5 libmariadb3 libssl3 libmicrohttpd12 \
        ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home lodging
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=build /out/db/ /opt/lodging/db/
COPY --from=build /out/kafka/ /opt/lodging/kafka/
COPY --from=build /out/sandbox/ /opt/lodging/sandbox/
# The admin page's static files (inventory-svc serves them at /admin).
COPY --from=build /out/share/lodging/admin/ /usr/local/share/lodging/admin/
ENV SERVICE_BINARY=/usr/local/bin/${SERVICE} PMS_SANDBOX_SEED=/opt/lodging/sandbox/pms-seed.json \
    OPERA_SANDBOX_SEED=/opt/lodging/sandbox/opera-seed.json ADMIN_STATIC_DIR=/usr/local/share/lodging/admin
USER 10001
ENTRYPOINT ["/bin/sh", "-c", "exec \"$SERVICE_BINARY\" \"$@\"", "--"]
