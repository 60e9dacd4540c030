#!/bin/bash
# The reference deployment's Kafka (docker-compose.yml, image apache/kafka): one KRaft node of
# a cluster of three (each node both broker and controller: docs/deploy.md says why), clients
# only over SASL_SSL with SCRAM-SHA-512, the controllers talking to each other over TLS behind
# a static PLAIN user, the StandardAuthorizer with nothing allowed without an ACL
# (`timpora kafka acls --apply`, run by the compose service kafka-setup). The same settings
# as the broker the tests run (scripts/stackctl/secure_kafka.py).
#
# Per node (the environment): KAFKA_NODE_ID (1), KAFKA_ADVERTISED_HOST (the name clients
# and the other nodes reach it by; the certificate must name it), KAFKA_CONTROLLER_QUORUM_VOTERS
# (id@host:9093 of every controller, the same on every node), KAFKA_LISTEN_HOST (empty: every
# interface). Replication of the internal topics and the brokers' defaults for new topics:
# KAFKA_REPLICATION (the number of voters, at most 3) and KAFKA_MIN_ISR (2 with three
# replicas, else 1); `timpora topics create` gives the system's topics their own
# (TIMPORA_TOPIC_REPLICATION, TIMPORA_TOPIC_MIN_ISR).
#
# SCRAM users are written at the first start of each node (kafka-storage format
# --add-scram; every node gets the same list, the first controller elected writes it to the
# metadata log): the administrator, the four services (passwords from the environment) and
# every line `name:password` of /run/secrets/kafka_users (the sources' principals). Later
# users, once, against any node:
#   kafka-configs.sh --bootstrap-server kafka-1:9092 --command-config /tmp/admin.properties \
#     --alter --add-config 'SCRAM-SHA-512=[password=...]' --entity-type users --entity-name NAME
set -euo pipefail
: "${KAFKA_CLUSTER_ID:?}" "${KAFKA_ADMIN_PASSWORD:?}" "${KAFKA_CONTROLLER_PASSWORD:?}"
: "${KAFKA_INGEST_PASSWORD:?}" "${KAFKA_ROUTING_PASSWORD:?}" "${KAFKA_NOTIFY_PASSWORD:?}"
: "${KAFKA_CONSOLE_PASSWORD:?}"
NODE_ID=${KAFKA_NODE_ID:-1}
HOST=${KAFKA_ADVERTISED_HOST:-kafka}
VOTERS=${KAFKA_CONTROLLER_QUORUM_VOTERS:-1@kafka:9093}
LISTEN=${KAFKA_LISTEN_HOST:-}
IFS=, read -ra voter_list <<< "$VOTERS"
REPLICATION=${KAFKA_REPLICATION:-$(( ${#voter_list[@]} < 3 ? ${#voter_list[@]} : 3 ))}
MIN_ISR=${KAFKA_MIN_ISR:-$(( REPLICATION >= 3 ? 2 : 1 ))}
[[ "$NODE_ID" =~ ^[0-9]+$ ]] || { echo "KAFKA_NODE_ID must be a number" >&2; exit 2; }
[[ ",$VOTERS" == *",$NODE_ID@"* ]] || { echo "node $NODE_ID is not in $VOTERS" >&2; exit 2; }
(( MIN_ISR <= REPLICATION )) || { echo "KAFKA_MIN_ISR above KAFKA_REPLICATION" >&2; exit 2; }
# Neither the passwords nor the cluster id go to the broker's own environment parsing.
export -n KAFKA_ADMIN_PASSWORD KAFKA_CONTROLLER_PASSWORD KAFKA_INGEST_PASSWORD \
  KAFKA_ROUTING_PASSWORD KAFKA_NOTIFY_PASSWORD KAFKA_CONSOLE_PASSWORD KAFKA_CLUSTER_ID

SCRAM=org.apache.kafka.common.security.scram.ScramLoginModule
PLAIN=org.apache.kafka.common.security.plain.PlainLoginModule
CONFIG=/tmp/server.properties
umask 077
cat > "$CONFIG" <<PROPERTIES
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$VOTERS
listeners=SECURE://$LISTEN:9092,CONTROLLER://$LISTEN:9093
advertised.listeners=SECURE://$HOST:9092,CONTROLLER://$HOST:9093
listener.security.protocol.map=SECURE:SASL_SSL,CONTROLLER:SASL_SSL
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
default.replication.factor=$REPLICATION
min.insync.replicas=$MIN_ISR
unclean.leader.election.enable=false
offsets.topic.replication.factor=$REPLICATION
transaction.state.log.replication.factor=$REPLICATION
transaction.state.log.min.isr=$MIN_ISR
share.coordinator.state.topic.replication.factor=$REPLICATION
share.coordinator.state.topic.min.isr=$MIN_ISR
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
