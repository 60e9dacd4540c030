#!/bin/bash
# Runs docker-compose.yml's three Kafka nodes (deploy/kafka/start-kafka.sh) as compose does,
# without Docker: inside a fresh network and mount namespace (`unshare --net --mount`, root)
# where kafka-1, kafka-2 and kafka-3 are 127.0.0.1, .2 and .3 (each node listens on its own
# address, KAFKA_LISTEN_HOST; in compose each has its own container), /run/secrets and
# /opt/kafka are private tmpfs mounts, each node has its own /tmp and /var/lib/kafka (a
# nested mount namespace, as a container's), and /opt/kafka/bin/kafka-{storage,server-start}.sh
# are thin wrappers around the project's Kafka jars (those of scripts/stack.py) instead of
# the apache/kafka image's scripts. Then compose_kafka_check.py plays kafka-setup and the
# services, and stops one node (NODE_PIDS) to show the topics keep taking writes.
# Usage: WORK=dir ROOT=repo KAFKA_LIBS=dir
set -euo pipefail
: "${WORK:?}" "${ROOT:?}"
ip link set lo up
LIBS=${KAFKA_LIBS:?}
for d in /opt/kafka /run/secrets; do mount -t tmpfs none "$d"; done
mkdir -p /opt/kafka/bin
# Each node binds its own /tmp: what it runs must not live under /tmp (a clone may).
cp $ROOT/.stack/kafka/log4j2.yaml $ROOT/deploy/kafka/start-kafka.sh /opt/kafka/
cat > /opt/kafka/bin/kafka-storage.sh <<S
#!/bin/bash
exec java -Xmx256m -Dlog4j2.configurationFile=/opt/kafka/log4j2.yaml -cp "$LIBS/*" kafka.tools.StorageTool "\$@"
S
cat > /opt/kafka/bin/kafka-server-start.sh <<S
#!/bin/bash
exec java -Xmx384m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile=/opt/kafka/log4j2.yaml -cp "$LIBS/*" kafka.Kafka "\$@"
S
chmod +x /opt/kafka/bin/*.sh
printf '127.0.0.1 kafka-1 localhost\n127.0.0.2 kafka-2\n127.0.0.3 kafka-3\n' > $WORK/hosts
mount --bind $WORK/hosts /etc/hosts
cd $WORK
rm -rf tls && mkdir tls && cd tls
# one certificate naming the three nodes (docs/deploy.md: or one per node, each naming its own)
printf 'subjectAltName=DNS:kafka-1,DNS:kafka-2,DNS:kafka-3\nextendedKeyUsage=serverAuth,clientAuth\n' > ext
K="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc"
openssl req -x509 $K -keyout ca.key -out ca.pem -days 2 -subj /CN=sim-ca -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new $K -keyout server.key -out server.csr -subj /CN=kafka 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -days 2 -extfile ext -out server.pem 2>/dev/null
cat server.key server.pem > /run/secrets/kafka_keystore
cp ca.pem /run/secrets/kafka_ca
printf '# sources\napoa-kalsel:apoa-pass-1\npolres-tanbu:polres-pass-1\n' > /run/secrets/kafka_users
KAFKA_CLUSTER_ID=$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null)
export KAFKA_CLUSTER_ID
export KAFKA_ADMIN_PASSWORD=admin-pass-1 KAFKA_CONTROLLER_PASSWORD=ctl-pass-1
export KAFKA_INGEST_PASSWORD=ing-pass-1 KAFKA_ROUTING_PASSWORD=rou-pass-1
export KAFKA_NOTIFY_PASSWORD=not-pass-1 KAFKA_CONSOLE_PASSWORD=con-pass-1
export KAFKA_CONTROLLER_QUORUM_VOTERS=1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093
pids=()
for n in 1 2 3; do
  mkdir -p $WORK/node-$n/tmp $WORK/node-$n/data
  KAFKA_NODE_ID=$n KAFKA_ADVERTISED_HOST=kafka-$n KAFKA_LISTEN_HOST=kafka-$n \
    unshare --mount bash -c "mount --bind $WORK/node-$n/data /var/lib/kafka && mkdir -p /var/lib/kafka/data \
      && mount --bind $WORK/node-$n/tmp /tmp && exec bash /opt/kafka/start-kafka.sh" \
    > $WORK/broker-$n.log 2>&1 &
  pids+=($!)
done
cd $ROOT
export NODE_PIDS="${pids[*]}"
export KAFKA_BOOTSTRAP_SERVERS=kafka-1:9092,kafka-2:9092,kafka-3:9092
export KAFKA_SECURITY_PROTOCOL=SASL_SSL KAFKA_SSL_CAFILE=/run/secrets/kafka_ca
export TIMPORA_TOPIC_REPLICATION=3 TIMPORA_TOPIC_MIN_ISR=2
status=0
"$ROOT/.venv/bin/python" "$ROOT/tests/deploy/compose_kafka_check.py" || status=$?
for pid in "${pids[@]}"; do kill $pid 2>/dev/null || true; done
for pid in "${pids[@]}"; do wait $pid 2>/dev/null || true; done
exit $status
