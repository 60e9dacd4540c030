#!/bin/bash
# The reference deployment's Kafka (docker-compose.yml, image apache/kafka): one KRaft node,
# clients only over SASL_SSL with SCRAM-SHA-512, the controller listener behind a static
# PLAIN user, the StandardAuthorizer with nothing allowed without an ACL
# (`timpora kafka acls --apply`, run by the compose service kafka-setup). The same settings
# as the broker the tests run (scripts/stackctl/secure_kafka.py).
#
# SCRAM users are written at the first start (kafka-storage format --add-scram): the
# administrator, the four services (passwords from the environment) and every line
# `name:password` of /run/secrets/kafka_users (the sources' principals). Later users:
#   kafka-configs.sh --bootstrap-server kafka:9092 --command-config /tmp/admin.properties \
#     --alter --add-config 'SCRAM-SHA-512=[password=...]' --entity-type users --entity-name NAME
set -euo pipefail
: "${KAFKA_CLUSTER_ID:?}" "${KAFKA_ADMIN_PASSWORD:?}" "${KAFKA_CONTROLLER_PASSWORD:?}"
: "${KAFKA_INGEST_PASSWORD:?}" "${KAFKA_ROUTING_PASSWORD:?}" "${KAFKA_NOTIFY_PASSWORD:?}"
: "${KAFKA_CONSOLE_PASSWORD:?}"
# Neither the passwords nor the cluster id go to the broker's own environment parsing.
export -n KAFKA_ADMIN_PASSWORD KAFKA_CONTROLLER_PASSWORD KAFKA_INGEST_PASSWORD \
  KAFKA_ROUTING_PASSWORD KAFKA_NOTIFY_PASSWORD KAFKA_CONSOLE_PASSWORD KAFKA_CLUSTER_ID

SCRAM=org.apache.kafka.common.security.scram.ScramLoginModule
PLAIN=org.apache.kafka.common.security.plain.PlainLoginModule
CONFIG=/tmp/server.properties
umask 077
cat > "$CONFIG" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9093
listeners=SECURE://:9092,CONTROLLER://:9093
advertised.listeners=SECURE://kafka:9092
listener.security.protocol.map=SECURE:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SECURE
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
sasl.mechanism.controller.protocol=PLAIN
listener.name.secure.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.secure.scram-sha-512.sasl.jaas.config=$SCRAM required username="admin" password="$KAFKA_ADMIN_PASSWORD";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=$PLAIN required username="controller" password="$KAFKA_CONTROLLER_PASSWORD" user_controller="$KAFKA_CONTROLLER_PASSWORD";
ssl.keystore.type=PEM
ssl.keystore.location=/run/secrets/kafka_keystore
ssl.truststore.type=PEM
ssl.truststore.location=/run/secrets/kafka_ca
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:controller
log.dirs=/var/lib/kafka/data
auto.create.topics.enable=false
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPERTIES
cat > /tmp/admin.properties <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$SCRAM required username="admin" password="$KAFKA_ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=/run/secrets/kafka_ca
PROPERTIES

users=(--add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]")
for service in ingest routing notify console; do
  variable="KAFKA_${service^^}_PASSWORD"
  users+=(--add-scram "SCRAM-SHA-512=[name=timpora-$service,password=${!variable}]")
done
if [ -f /run/secrets/kafka_users ]; then
  while IFS=: read -r name password; do
    [ -n "$name" ] && [ "${name:0:1}" != "#" ] \
      && users+=(--add-scram "SCRAM-SHA-512=[name=$name,password=$password]")
  done < /run/secrets/kafka_users
fi
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id "$KAFKA_CLUSTER_ID" \
  --config "$CONFIG" "${users[@]}" > /dev/null
exec /opt/kafka/bin/kafka-server-start.sh "$CONFIG"
