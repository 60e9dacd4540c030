#!/bin/bash
# Runs deploy/kafka/start-kafka.sh as docker-compose.yml does, without Docker: inside a fresh
# network and mount namespace (`unshare --net --mount`, root), where `kafka` is 127.0.0.1,
# /run/secrets, /opt/kafka and /var/lib/kafka are private tmpfs mounts, and
# /opt/kafka/bin/kafka-{storage,server-start}.sh are thin wrappers around the project's
# Kafka jars (those of scripts/stack.py) instead of the apache/kafka image's scripts.
# Then compose_kafka_check.py plays kafka-setup and the services. Usage: WORK=dir ROOT=repo
set -euo pipefail
: "${WORK:?}" "${ROOT:?}"
ip link set lo up
LIBS=${KAFKA_LIBS:?}
for d in /opt/kafka /run/secrets /var/lib/kafka; do mount -t tmpfs none "$d"; done
mkdir -p /opt/kafka/bin /var/lib/kafka/data
cat > /opt/kafka/bin/kafka-storage.sh <<S
#!/bin/bash
exec java -Xmx256m -Dlog4j2.configurationFile=$ROOT/.stack/kafka/log4j2.yaml -cp "$LIBS/*" kafka.tools.StorageTool "\$@"
S
cat > /opt/kafka/bin/kafka-server-start.sh <<S
#!/bin/bash
exec java -Xmx512m -Dlog4j2.configurationFile=$ROOT/.stack/kafka/log4j2.yaml -cp "$LIBS/*" kafka.Kafka "\$@"
S
chmod +x /opt/kafka/bin/*.sh
echo "127.0.0.1 kafka localhost" > $WORK/hosts
mount --bind $WORK/hosts /etc/hosts
cd $WORK
rm -rf tls && mkdir tls && cd tls
printf 'subjectAltName=DNS:kafka\nextendedKeyUsage=serverAuth\n' > ext
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
bash $ROOT/deploy/kafka/start-kafka.sh > $WORK/broker.log 2>&1 &
BROKER=$!
cd $ROOT
export KAFKA_BOOTSTRAP_SERVERS=kafka:9092 KAFKA_SECURITY_PROTOCOL=SASL_SSL KAFKA_SSL_CAFILE=/run/secrets/kafka_ca
"$ROOT/.venv/bin/python" "$ROOT/tests/deploy/compose_kafka_check.py"
status=$?
kill $BROKER; wait $BROKER || true
exit $status
