#!/usr/bin/env bash
# kafka-local/kafka.sh up|down|status — a local Apache Kafka cluster (KRaft, each
# node a combined broker and controller) on 127.0.0.1, for the real-broker
# tests and for `backlogbench run --brokers`. No Docker: the broker's jars come
# from Maven Central through kafka-local/pom.xml and run on the machine's Java
# (17+).
#
#   up      fetch the jars once, write the configs, format the storage (SCRAM
#           users included), start the nodes, wait until every node answers a
#           metadata request naming all of them, then print BACKLOGBENCH_KAFKA*=...
#           lines on stdout, BACKLOGBENCH_KAFKA=<bootstrap> last. Progress and
#           errors go to stderr. Run while the same cluster is up, it prints the
#           lines again.
#   down    stop the nodes (TERM, then KILL after KAFKA_STOP_TIMEOUT) and remove
#           their data; nothing running is not an error.
#   status  the nodes and their ports; exit 1 unless all are up.
#   kill N  kill node N with SIGKILL (a crash), keeping its data.
#   start N start node N again on its data; wait until it answers.
#
# The folder is kafka-local/, not kafka/: a kafka/ folder at the repository
# root would be what `python3 -c 'import kafka'` imports there, hiding
# python3-kafka (and fooling .ci/run's check for it).
#
# Listeners of node n (n = 1..KAFKA_NODES), o = 10*(n-1), b = KAFKA_PORT_BASE:
#   b+o    PLAINTEXT
#   b+o+1  SASL_PLAINTEXT  PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
#   b+o+2  SSL             server certificate signed by a CA made here
#   b+o+3  SASL_SSL        the three mechanisms over TLS
#   KAFKA_CONTROLLER_PORT_BASE+n-1  the KRaft controller (PLAINTEXT)
# The TLS listeners need openssl; KAFKA_TLS=0 leaves them out.
#
# Settings (environment): KAFKA_VERSION (4.4.0), KAFKA_NODES (1; up to 5),
# KAFKA_PORT_BASE (19092), KAFKA_CONTROLLER_PORT_BASE (19192),
# BACKLOGBENCH_KAFKA_USER (backlogbench), BACKLOGBENCH_KAFKA_PASSWORD (bb-secret),
# KAFKA_HEAP_OPTS (-Xms128m -Xmx512m, per node), KAFKA_UP_TIMEOUT (60 s),
# KAFKA_STOP_TIMEOUT (15 s), KAFKA_TLS (1), KAFKA_CACHE (<repo>/.cache/kafka:
# the jars in <version>/libs, the running cluster in run/), KAFKA_DATA (where
# the nodes keep their logs; see below).
#
# The nodes' logs go to tmpfs (/dev/shm/backlogbench-kafka-<port base>, or
# /run/shm, /run, /tmp) when one is writable with 1 GiB free, else to run/. Measured here
# (ext4 on a virtual disk): the first index entry of a fresh partition stalls
# the broker's answers for 0.3-0.9 s, about 0.5 s after the first produce to a
# new topic; every run creates new topics, so each began with an acknowledgement
# stall that the verdicts (rightly) blamed on the broker. On tmpfs, or with
# index.interval.bytes past the segment size, no stall. KAFKA_DATA=DIR puts
# them in DIR instead (down removes what up made there).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
version=${KAFKA_VERSION:-4.4.0}
nodes=${KAFKA_NODES:-1}
cache=${KAFKA_CACHE:-$root/.cache/kafka}
libs=$cache/$version/libs
run=$cache/run
user=${BACKLOGBENCH_KAFKA_USER:-backlogbench}
password=${BACKLOGBENCH_KAFKA_PASSWORD:-bb-secret}
heap=${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}
up_timeout=${KAFKA_UP_TIMEOUT:-60}
stop_timeout=${KAFKA_STOP_TIMEOUT:-15}
port_base=${KAFKA_PORT_BASE:-19092}
ctl_base=${KAFKA_CONTROLLER_PORT_BASE:-19192}
tls=${KAFKA_TLS:-1}
# The JVM flags of Kafka's own kafka-run-class.sh.
jvm_opts="-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true"

log() { echo "kafka: $*" >&2; }
die() { log "$*"; exit 1; }

# Ports of node $1.
plain_port() { echo $((port_base + 10 * ($1 - 1))); }
sasl_port() { echo $((port_base + 10 * ($1 - 1) + 1)); }
ssl_port() { echo $((port_base + 10 * ($1 - 1) + 2)); }
sasl_ssl_port() { echo $((port_base + 10 * ($1 - 1) + 3)); }
ctl_port() { echo $((ctl_base + $1 - 1)); }

# lock serialises up and down (two `make kafka-up` at once would race on ports).
# The lock is fd 9; the brokers are started without it, or they would hold it.
lock() {
	mkdir -p "$cache"
	command -v flock >/dev/null || return 0
	exec 9>"$cache/.lock"
	flock -w 180 9 || die "another kafka.sh holds $cache/.lock"
}

# node_pid N prints the pid of node N's broker, if it runs: the pid file's, when
# that process is still this node's java, else any process whose command line
# names this node's config (a pid file lost or never written).
node_pid() {
	local conf="$run/node$1/server.properties" pid p
	if [ -f "$run/node$1/pid" ]; then
		pid=$(cat "$run/node$1/pid")
		if [ -n "$pid" ] && [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") == *"kafka.Kafka $conf "* ]]; then
			echo "$pid"
			return 0
		fi
	fi
	local c
	for p in /proc/[0-9]*; do
		c=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		if [[ $c == *"kafka.Kafka $conf "* ]]; then
			echo "${p#/proc/}"
			return 0
		fi
	done
	return 1
}

# running_nodes prints the node numbers that have a run folder.
running_nodes() {
	local d
	for d in "$run"/node[0-9]*; do
		[ -d "$d" ] && echo "${d##*/node}"
	done
	return 0
}

# port_open P: something accepts TCP connections on 127.0.0.1:P.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# brokers_seen P prints how many brokers the node on port P names in its answer
# to a Metadata v4 request for no topics (v4 is the oldest Kafka 4 serves).
# Request: size 17, api key 3, version 4, correlation 1, client "bb", topics [],
# allow_auto_topic_creation false. Response: size, correlation, throttle, then
# the broker array's length in bytes 13-16.
brokers_seen() {
	local out
	out=$(
		exec 2>/dev/null
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf '\x00\x00\x00\x11\x00\x03\x00\x04\x00\x00\x00\x01\x00\x02bb\x00\x00\x00\x00\x00' >&3
		timeout 5 head -c 16 <&3 | od -An -tu1
	) || return 1
	# shellcheck disable=SC2086
	set -- $out
	[ $# -eq 16 ] || return 1
	echo $(((${13} << 24) | (${14} << 16) | (${15} << 8) | ${16}))
}

# env_lines prints the variables that name the running cluster.
env_lines() { cat "$run/env"; }

# tail_logs NAME prints the end of every node's NAME.log (format or kafka).
tail_logs() {
	local n f
	for n in $(running_nodes); do
		f="$run/node$n/$1.log"
		[ -s "$f" ] || continue
		echo "---- last lines of $f" >&2
		tail -n 40 "$f" >&2
	done
}

fetch() {
	local sum
	sum=$(cksum <"$here/pom.xml")
	if [ -f "$libs/.complete" ] && [ "$(cat "$libs/.complete")" = "$sum" ]; then
		return 0
	fi
	command -v mvn >/dev/null || die "Maven is missing (Debian: apt-get install maven)"
	log "fetching Apache Kafka $version through Maven into $libs"
	rm -rf "$libs" "$libs.tmp"
	mkdir -p "$libs.tmp"
	if ! mvn -B -Dstyle.color=never -f "$here/pom.xml" -Dkafka.version="$version" \
		dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >"$cache/mvn.log" 2>&1; then
		rm -rf "$libs.tmp"
		tail -n 30 "$cache/mvn.log" >&2
		die "mvn could not fetch org.apache.kafka:kafka_2.13:$version (is the version served? KAFKA_VERSION picks another)"
	fi
	[ -f "$libs.tmp/kafka_2.13-$version.jar" ] || die "mvn ran but $libs.tmp has no kafka_2.13-$version.jar"
	mv "$libs.tmp" "$libs"
	echo "$sum" >"$libs/.complete"
}

check_java() {
	command -v java >/dev/null || die "Java is missing (Kafka $version needs 17+; Debian: apt-get install openjdk-17-jre-headless)"
	local v
	v=$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
	v=${v%%.*}
	[ "${v:-0}" -ge 17 ] 2>/dev/null || die "java is version ${v:-unknown}; Kafka $version needs 17+"
}

# make_tls writes a throwaway CA and a server certificate for 127.0.0.1 and
# localhost, and the PEM key store (key, certificate, CA) every node serves.
make_tls() {
	local d="$run/tls"
	mkdir -p "$d"
	(
		cd "$d"
		openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=backlogbench test CA" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
			-keyout ca.key -out ca.pem
		openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
		printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
			"keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >server.ext
		openssl x509 -req -days 30 -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-extfile server.ext -out server.pem
		cat server.key server.pem ca.pem >server-keystore.pem
		chmod 600 ca.key server.key server-keystore.pem
	) >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; die "openssl could not make the TLS material"; }
}

# write_config N writes node N's server.properties.
write_config() {
	local n=$1 i voters="" rf misr listeners advertised map jaas_plain jaas_scram
	for ((i = 1; i <= nodes; i++)); do
		voters+="${voters:+,}$i@127.0.0.1:$(ctl_port "$i")"
	done
	rf=$((nodes < 3 ? nodes : 3))
	misr=$((rf >= 3 ? 2 : 1))
	advertised="PLAINTEXT://127.0.0.1:$(plain_port "$n"),SASL_PLAINTEXT://127.0.0.1:$(sasl_port "$n")"
	map="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
	if [ "$tls" = 1 ]; then
		advertised+=",SSL://127.0.0.1:$(ssl_port "$n"),SASL_SSL://127.0.0.1:$(sasl_ssl_port "$n")"
		map+=",SSL:SSL,SASL_SSL:SASL_SSL"
	fi
	listeners="$advertised,CONTROLLER://127.0.0.1:$(ctl_port "$n")"
	jaas_plain="org.apache.kafka.common.security.plain.PlainLoginModule required user_$user=\"$password\";"
	jaas_scram="org.apache.kafka.common.security.scram.ScramLoginModule required;"
	{
		cat <<-EOF
			# Written by kafka-local/kafka.sh up; removed by kafka-local/kafka.sh down.
			process.roles=broker,controller
			node.id=$n
			controller.quorum.voters=$voters
			controller.listener.names=CONTROLLER
			listeners=$listeners
			advertised.listeners=$advertised
			listener.security.protocol.map=$map
			inter.broker.listener.name=PLAINTEXT
			log.dirs=$data/node$n

			# Replication: three copies on three nodes or more, fewer below.
			default.replication.factor=$rf
			min.insync.replicas=$misr
			offsets.topic.replication.factor=$rf
			transaction.state.log.replication.factor=$rf
			transaction.state.log.min.isr=$misr
			share.coordinator.state.topic.replication.factor=$rf
			share.coordinator.state.topic.min.isr=$misr
			num.partitions=12

			# Scenarios create their topics; fast failover needs short sessions
			# (the stock minimum is 6 s) and no initial rebalance delay.
			auto.create.topics.enable=false
			group.initial.rebalance.delay.ms=0
			group.min.session.timeout.ms=1000
			group.consumer.min.session.timeout.ms=1000
			group.consumer.min.heartbeat.interval.ms=100

			# Brokers heartbeat every 0.5 s instead of 2 s: a broker is unfenced
			# on a heartbeat, so start is quicker (fencing still takes the stock
			# broker.session.timeout.ms, 9 s).
			broker.heartbeat.interval.ms=500

			# A small machine: fewer threads than the defaults.
			num.network.threads=2
			num.io.threads=4
			num.recovery.threads.per.data.dir=1
			background.threads=4

			# SASL: PLAIN checks the JAAS user list below; SCRAM checks the
			# credentials that format put into the metadata log.
			sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
		EOF
		local l
		for l in sasl_plaintext $([ "$tls" = 1 ] && echo sasl_ssl); do
			echo "listener.name.$l.plain.sasl.jaas.config=$jaas_plain"
			echo "listener.name.$l.scram-sha-256.sasl.jaas.config=$jaas_scram"
			echo "listener.name.$l.scram-sha-512.sasl.jaas.config=$jaas_scram"
		done
		if [ "$tls" = 1 ]; then
			cat <<-EOF

				# TLS: a PEM key store (unencrypted PKCS#8 key, certificate, CA).
				ssl.keystore.type=PEM
				ssl.keystore.location=$run/tls/server-keystore.pem
				ssl.client.auth=none
			EOF
		fi
	} >"$run/node$n/server.properties"
}

write_log4j() {
	cat >"$run/log4j2.properties" <<-'EOF'
		# The broker logs to stdout, which kafka.sh sends to node<N>/kafka.log.
		status = warn
		appender.out.type = Console
		appender.out.name = OUT
		appender.out.layout.type = PatternLayout
		appender.out.layout.pattern = [%d] %p %m (%c)%n
		rootLogger.level = INFO
		rootLogger.appenderRef.out.ref = OUT
		logger.request.name = kafka.request.logger
		logger.request.level = WARN
	EOF
	sed 's/^rootLogger.level = INFO/rootLogger.level = WARN/' "$run/log4j2.properties" >"$run/log4j2-tools.properties"
}

cmd_up() {
	local start=$SECONDS n p cid
	case $nodes in [1-5]) ;; *) die "KAFKA_NODES=$nodes: want 1 to 5" ;; esac
	[[ $user =~ ^[A-Za-z0-9._-]+$ ]] || die "BACKLOGBENCH_KAFKA_USER: letters, digits, '.', '_', '-' only"
	[[ $password =~ ^[A-Za-z0-9._-]+$ ]] || die "BACKLOGBENCH_KAFKA_PASSWORD: letters, digits, '.', '_', '-' only"
	[ "$tls" = 1 ] && ! command -v openssl >/dev/null && { log "openssl is missing: no TLS listeners"; tls=0; }
	lock

	# Already up?
	if [ -f "$run/env" ]; then
		local have all=1
		have=$(running_nodes | wc -l)
		for n in $(running_nodes); do node_pid "$n" >/dev/null || all=0; done
		if [ "$all" = 1 ] && [ "$have" = "$nodes" ]; then
			log "already running ($nodes node(s), $run)"
			env_lines
			return 0
		fi
		if [ "$all" = 1 ]; then
			die "a $have-node cluster is running; make kafka-down first"
		fi
	fi
	if [ -d "$run" ]; then
		log "removing the remains of an earlier cluster"
		stop_all
	fi

	for ((n = 1; n <= nodes; n++)); do
		for p in $(plain_port "$n") $(sasl_port "$n") $(ctl_port "$n") \
			$([ "$tls" = 1 ] && echo "$(ssl_port "$n") $(sasl_ssl_port "$n")"); do
			port_open "$p" && die "port 127.0.0.1:$p is taken (KAFKA_PORT_BASE / KAFKA_CONTROLLER_PORT_BASE pick others)"
		done
	done
	check_java
	fetch

	mkdir -p "$run"
	echo "$nodes" >"$run/nodes"
	data=$(pick_data)
	echo "$data" >"$run/data"
	log "node logs in $data"
	write_log4j
	[ "$tls" = 1 ] && make_tls
	# A cluster id is 16 random bytes in URL-safe base64 without padding.
	cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
	for ((n = 1; n <= nodes; n++)); do
		rm -rf "${data:?}/node$n" # a stale log from a killed cluster would not format
		mkdir -p "$run/node$n" "$data/node$n"
		write_config "$n"
	done

	# Format every node's storage at once; each is a short JVM.
	local pids=() rc=0
	for ((n = 1; n <= nodes; n++)); do
		java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
			-Dlog4j2.configurationFile="$run/log4j2-tools.properties" -cp "$libs/*" \
			kafka.tools.StorageTool format --cluster-id "$cid" --config "$run/node$n/server.properties" \
			--add-scram "SCRAM-SHA-256=[name=$user,password=$password]" \
			--add-scram "SCRAM-SHA-512=[name=$user,password=$password]" \
			>"$run/node$n/format.log" 2>&1 9>&- &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	if [ "$rc" != 0 ]; then
		tail_logs format
		stop_all
		die "formatting the storage failed (logs above)"
	fi

	log "formatted $nodes node(s) in $((SECONDS - start))s; starting"
	# An interrupted start leaves nothing running.
	trap 'stop_all_keep_logs; exit 130' INT TERM
	for ((n = 1; n <= nodes; n++)); do start_java "$n"; done

	# Wait until every node names all nodes in its metadata and its other
	# listeners accept connections.
	local deadline=$((SECONDS + up_timeout)) ready seen
	while :; do
		ready=1
		for ((n = 1; n <= nodes; n++)); do
			if ! kill -0 "$(cat "$run/node$n/pid")" 2>/dev/null; then
				tail_logs kafka
				stop_all_keep_logs
				die "node $n exited during start (log above)"
			fi
			seen=$(brokers_seen "$(plain_port "$n")") || seen=0
			if [ "$seen" != "$nodes" ]; then ready=0; continue; fi
			for p in $(sasl_port "$n") $([ "$tls" = 1 ] && echo "$(ssl_port "$n") $(sasl_ssl_port "$n")"); do
				port_open "$p" || ready=0
			done
		done
		[ "$ready" = 1 ] && break
		if [ "$SECONDS" -ge "$deadline" ]; then
			tail_logs kafka
			stop_all_keep_logs
			die "the cluster did not answer within ${up_timeout}s (logs above; KAFKA_UP_TIMEOUT sets the bound)"
		fi
		sleep 0.3
	done

	local boot="" sasl="" ssl="" sasl_ssl=""
	for ((n = 1; n <= nodes; n++)); do
		boot+="${boot:+,}127.0.0.1:$(plain_port "$n")"
		sasl+="${sasl:+,}127.0.0.1:$(sasl_port "$n")"
		ssl+="${ssl:+,}127.0.0.1:$(ssl_port "$n")"
		sasl_ssl+="${sasl_ssl:+,}127.0.0.1:$(sasl_ssl_port "$n")"
	done
	{
		echo "BACKLOGBENCH_KAFKA_NODES=$nodes"
		echo "BACKLOGBENCH_KAFKA_USER=$user"
		echo "BACKLOGBENCH_KAFKA_PASSWORD=$password"
		echo "BACKLOGBENCH_KAFKA_SASL=$sasl"
		if [ "$tls" = 1 ]; then
			echo "BACKLOGBENCH_KAFKA_SSL=$ssl"
			echo "BACKLOGBENCH_KAFKA_SASL_SSL=$sasl_ssl"
			echo "BACKLOGBENCH_KAFKA_CA=$run/tls/ca.pem"
		fi
		echo "BACKLOGBENCH_KAFKA=$boot"
	} >"$run/env"
	trap - INT TERM
	log "Apache Kafka $version: $nodes node(s) up in $((SECONDS - start))s (logs in $run/node*/kafka.log)"
	env_lines
}

# stop_pids stops the brokers: TERM, then KILL after stop_timeout.
stop_pids() {
	local n pid pids=() deadline
	for n in $(running_nodes); do
		pid=$(node_pid "$n") && pids+=("$pid")
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	kill -TERM "${pids[@]}" 2>/dev/null || true
	deadline=$((SECONDS + stop_timeout))
	while [ "$SECONDS" -lt "$deadline" ]; do
		local alive=()
		for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
		[ ${#alive[@]} -gt 0 ] || { log "stopped ${#pids[@]} node(s)"; return 0; }
		sleep 0.2
	done
	log "node(s) still running after ${stop_timeout}s: KILL ${pids[*]}"
	kill -KILL "${pids[@]}" 2>/dev/null || true
	deadline=$((SECONDS + 10))
	for pid in "${pids[@]}"; do
		while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
	done
}

# pick_data prints the folder for the nodes' logs: KAFKA_DATA, else the
# first writable tmpfs with 1 GiB free among /dev/shm, /run/shm, /run and
# /tmp, else run/data (with a warning: the first-produce stall, see the head).
pick_data() {
	if [ -n "${KAFKA_DATA:-}" ]; then
		echo "$KAFKA_DATA"
		return
	fi
	local d free
	for d in /dev/shm /run/shm /run /tmp; do
		[ "$(stat -f -c %T "$d" 2>/dev/null)" = tmpfs ] && [ -w "$d" ] || continue
		free=$(df -Pk "$d" 2>/dev/null | awk 'NR == 2 {print $4}')
		[ "${free:-0}" -ge $((1024 * 1024)) ] || continue
		echo "$d/backlogbench-kafka-$port_base"
		return
	done
	log "no tmpfs with 1 GiB free: the logs go to $run/data, where a new topic's first produces may stall (KAFKA_DATA sets the folder)"
	echo "$run/data"
}

# remove_data removes the nodes' logs, wherever up put them.
remove_data() {
	local d
	d=$(cat "$run/data" 2>/dev/null) || return 0
	[ -n "$d" ] && [ "$d" != / ] || return 0
	local n
	for ((n = 1; n <= 5; n++)); do rm -rf "${d:?}/node$n"; done
	rmdir "$d" 2>/dev/null || true
}

stop_all() {
	stop_pids
	remove_data
	rm -rf "$run"
}

# stop_all_keep_logs stops a failed start, keeping the logs and configs to read;
# down removes them.
stop_all_keep_logs() {
	stop_pids
	local n
	remove_data
	rm -f "$run/env" "$run/data"
}

# start_java N starts node N's broker in the background on its config and
# data, its output appended to its kafka.log.
start_java() {
	# shellcheck disable=SC2086
	(cd "$run/node$1" && exec java $heap $jvm_opts \
		-Dlog4j2.configurationFile="$run/log4j2.properties" -cp "$libs/*" \
		kafka.Kafka "$run/node$1/server.properties") >>"$run/node$1/kafka.log" 2>&1 </dev/null 9>&- &
	echo $! >"$run/node$1/pid"
}

# node_arg N checks that N names a node of the running cluster.
node_arg() {
	[[ ${1:-} =~ ^[1-9]$ ]] && [ -f "$run/node$1/server.properties" ] ||
		die "usage: kafka-local/kafka.sh kill|start N, N a node of the running cluster (1..$(cat "$run/nodes" 2>/dev/null || echo 0))"
}

# cmd_kill N kills node N with SIGKILL (a crash: no clean shutdown) and
# keeps its data, so start N brings it back as it was.
cmd_kill() {
	node_arg "$1"
	local pid
	pid=$(node_pid "$1") || { log "node $1: not running"; return 0; }
	kill -KILL "$pid"
	local deadline=$((SECONDS + 10))
	while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
	log "node $1: killed (pid $pid), data kept"
}

# cmd_start N starts node N again on its data and waits until it answers
# metadata naming every node.
cmd_start() {
	node_arg "$1"
	local n=$1 nodes seen
	nodes=$(cat "$run/nodes")
	if node_pid "$n" >/dev/null; then
		log "node $n: already running"
		return 0
	fi
	start_java "$n"
	local deadline=$((SECONDS + up_timeout))
	while :; do
		kill -0 "$(cat "$run/node$n/pid")" 2>/dev/null || { tail_logs kafka; die "node $n exited during start (log above)"; }
		seen=$(brokers_seen "$(plain_port "$n")") || seen=0
		[ "$seen" = "$nodes" ] && break
		[ "$SECONDS" -lt "$deadline" ] || die "node $n did not answer within ${up_timeout}s ($run/node$n/kafka.log)"
		sleep 0.2
	done
	log "node $n: up again"
}

cmd_down() {
	lock
	if [ ! -d "$run" ]; then
		log "nothing running"
		return 0
	fi
	stop_all
	log "removed $run"
}

cmd_status() {
	local n pid all=1 any=0
	for n in $(running_nodes); do
		any=1
		if pid=$(node_pid "$n"); then
			log "node $n: up, pid $pid, PLAINTEXT 127.0.0.1:$(plain_port "$n"), SASL_PLAINTEXT :$(sasl_port "$n"), controller :$(ctl_port "$n")"
		else
			log "node $n: down"
			all=0
		fi
	done
	[ "$any" = 1 ] || { log "nothing running"; return 1; }
	[ "$all" = 1 ] && [ -f "$run/env" ] || return 1
	env_lines
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
kill) cmd_kill "${2:-}" ;;
start) cmd_start "${2:-}" ;;
*) die "usage: kafka-local/kafka.sh up|down|status|kill N|start N" ;;
esac
