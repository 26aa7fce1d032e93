#!/usr/bin/env bash
# Resolves the Kafka Connect baseline of `npm run bench -- --scenario connect-sink` from Maven Central
# into tools/connect/target (git-ignored; jars cached in ~/.m2). Idempotent; run by the bench on demand.
#
#   target/runtime/                     worker classpath: connect-runtime + slf4j-reload4j (pom.xml)
#   target/plugins/debezium-connector-jdbc/   io.debezium:debezium-connector-jdbc:<v>:tar.gz:plugin
#   target/plugins/apicurio-converter/  io.apicurio:apicurio-registry-utils-converter (apicurio-converter.pom.xml)
#   target/plugins/scylla-transform/    com.scylladb:scylla-cdc-source-connector:<v>:jar:jar-with-dependencies (optional)
#   target/resolve-status.json          what resolved, what did not, and the Maven error
set -uo pipefail
cd "$(dirname "$0")"
DEBEZIUM_VERSION="${DEBEZIUM_JDBC_VERSION:-3.6.0.Final}"
SCYLLA_VERSION="${SCYLLA_CONNECTOR_VERSION:-2.0.3}"
APICURIO_30_VERSION="3.0.9"
MVN=(mvn -q -B -f pom.xml)
mkdir -p target/plugins target/dl target/logs
status=()
record() { # name coordinate ok error
  local err=${4//\\/\\\\}; err=${err//\"/\\\"}; err=$(printf '%s' "$err" | tr '\n\r\t' '   ')
  status+=("{\"name\":\"$1\",\"artifact\":\"$2\",\"resolved\":$3,\"error\":\"$err\"}")
}
maven_error() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -m1 -E '^\[ERROR\] (Failed|Could not)' | sed 's/^\[ERROR\] //' | cut -c1-600; }

# 1. worker runtime
if ls target/runtime/connect-runtime-*.jar >/dev/null 2>&1 || "${MVN[@]}" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/runtime >target/logs/runtime.log 2>&1; then
  record runtime "org.apache.kafka:connect-runtime:3.9.1 + org.slf4j:slf4j-reload4j:1.7.36" true ""
else
  record runtime "org.apache.kafka:connect-runtime:3.9.1 + org.slf4j:slf4j-reload4j:1.7.36" false "$(maven_error target/logs/runtime.log)"
fi

# 2. Debezium JDBC sink plugin archive
DBZ="io.debezium:debezium-connector-jdbc:${DEBEZIUM_VERSION}:tar.gz:plugin"
if [ -f target/plugins/debezium-connector-jdbc/debezium-connector-jdbc-${DEBEZIUM_VERSION}.jar ]; then
  record debezium-jdbc "$DBZ" true ""
elif "${MVN[@]}" dependency:copy -Dartifact="$DBZ" -DoutputDirectory=target/dl -Dtransitive=false >target/logs/debezium.log 2>&1; then
  rm -rf target/plugins/debezium-connector-jdbc
  tar -xzf "target/dl/debezium-connector-jdbc-${DEBEZIUM_VERSION}-plugin.tar.gz" -C target/plugins
  record debezium-jdbc "$DBZ" true ""
else
  record debezium-jdbc "$DBZ" false "$(maven_error target/logs/debezium.log)"
fi

# 3. Apicurio AvroConverter. First the 3.0.x converter matching the registry (probe only: it needs
#    io.apicurio:apicurio-registry-java-sdk:3.0.9 and the 3.0.9 parent pom), then the 2.6.x converter
#    (complete on Central; talks to the registry's /apis/registry/v2 API, Confluent 4-byte ids).
AP30="io.apicurio:apicurio-registry-java-sdk:${APICURIO_30_VERSION}"
if "${MVN[@]}" dependency:copy -Dartifact="$AP30" -DoutputDirectory=target/dl -Dtransitive=false >target/logs/apicurio-30.log 2>&1; then
  record apicurio-converter-3.0 "io.apicurio:apicurio-registry-utils-converter:${APICURIO_30_VERSION} (needs $AP30)" true "resolvable but not wired: the bench uses 2.6.x"
else
  record apicurio-converter-3.0 "io.apicurio:apicurio-registry-utils-converter:${APICURIO_30_VERSION} (needs $AP30)" false "$(maven_error target/logs/apicurio-30.log)"
fi
AP26="io.apicurio:apicurio-registry-utils-converter:2.6.13.Final"
if ls target/plugins/apicurio-converter/apicurio-registry-utils-converter-*.jar >/dev/null 2>&1 || mvn -q -B -f apicurio-converter.pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/plugins/apicurio-converter >target/logs/apicurio.log 2>&1; then
  record apicurio-converter "$AP26" true ""
else
  record apicurio-converter "$AP26" false "$(maven_error target/logs/apicurio.log)"
fi

# 4. Scylla connector fat jar (for its ScyllaExtractNewRecordState transform)
SCY="com.scylladb:scylla-cdc-source-connector:${SCYLLA_VERSION}:jar:jar-with-dependencies"
if ls target/plugins/scylla-transform/*.jar >/dev/null 2>&1; then
  record scylla-transform "$SCY" true ""
elif "${MVN[@]}" dependency:copy -Dartifact="$SCY" -DoutputDirectory=target/plugins/scylla-transform -Dtransitive=false >target/logs/scylla.log 2>&1; then
  record scylla-transform "$SCY" true ""
else
  rmdir target/plugins/scylla-transform 2>/dev/null
  record scylla-transform "$SCY" false "$(maven_error target/logs/scylla.log)"
fi

( IFS=,; printf '[%s]\n' "${status[*]}" ) > target/resolve-status.json
cat target/resolve-status.json
