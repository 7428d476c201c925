#!/usr/bin/env bash
# Records chapter 2's terminal session and a `run --explain` from a real stage-2 daemon (native exec driver).
# Run as root from the repository root after `mvn -pl stage2-libcontainer -am package`:
#   sudo book/sessions/record-stage2.sh
# Writes book/src/docs/asciidoc/sessions/stage2-session.txt and stage2-explain.txt. The daemon gets a data
# root, an exec root and a socket of its own under a temporary directory, and is stopped at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
JAR=stage2-libcontainer/target/rabbithole-stage2.jar
OUT=book/src/docs/asciidoc/sessions
TMP="$(mktemp -d -t rhb.XXXX)"   # short: the init's socket under the exec root must fit in 107 bytes
SOCK="unix://$TMP/docker.sock"
rh() { java -jar "$JAR" -H "$SOCK" "$@"; }   # shown as "rh": ./rabbithole stage2
show() { printf '$ %s\n' "$1"; eval "$1" 2>&1; }

java -jar "$JAR" daemon -H "$SOCK" --data-root "$TMP/data" --exec-root "$TMP/x" >"$TMP/daemon.log" 2>&1 &
DAEMON=$!
for _ in $(seq 1 150); do rh version >/dev/null 2>&1 && break; sleep 0.1; done
rh run --rm busybox true >/dev/null 2>&1   # the first start trains the init's class-data archive
sleep 3

{
printf '$ sudo ./rabbithole stage2 daemon &\n'
show "rh run --rm busybox sh -c 'echo \$\$; hostname'"
show "rh run --rm --hostname rabbit busybox sh -c 'echo \"pid \$\$ on \$(hostname)\"; ps; grep -E \"CapEff|Seccomp:\" /proc/self/status'"
show "rh run --rm -m 6m --pids-limit 2 --explain busybox echo small 2>&1 | grep -E '^small|limit_in_bytes|pids.max' | cut -c1-150"
show "rh run --rm -m 32m busybox sh -c 'x=\$(head -c 100m /dev/zero | tr \"\\\\0\" a); echo survived'; echo \"exit code \$?\""
show "rh run -d --name sleeper busybox sleep 300 | cut -c1-12"
sleep 1
WORKLOAD=$(pgrep -P "$DAEMON" -x sleep)
printf '$ ps -o pid,ppid,args -p %s,%s | cut -c1-100   # the workload and its parent\n' "$WORKLOAD" "$DAEMON"
ps -o pid,ppid,args -p "$WORKLOAD,$DAEMON" | sed "s|$PWD/||g; s|$TMP|\$TMP|g" | cut -c1-100
show "s=\$(date +%s); rh stop sleeper; echo \"stopped after \$(( \$(date +%s) - s )) s\"   # pid 1 ignores SIGTERM: SIGKILL after 10 s"
show "rh rm sleeper"
show "docker -H $SOCK run --rm busybox sh -c 'echo \$\$; hostname' | sed 's/^/docker: /'"
} 2>&1 | sed "s|$TMP|\$TMP|g; s|unix://\$TMP/docker.sock|unix://\$SOCK|g" > "$OUT/stage2-session.txt"

{
printf '$ rh run --rm --explain busybox true\n'
rh run --rm --explain busybox true 2>&1
} | sed "s|$TMP|\$TMP|g" > "$OUT/stage2-explain.txt"

kill "$DAEMON"; wait "$DAEMON" 2>/dev/null
rm -rf "$TMP"
