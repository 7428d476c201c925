#!/usr/bin/env bash
# Records chapter 1's terminal session from a real stage-1 daemon (run as root from the repository root):
#   sudo book/sessions/record-stage1.sh > book/src/docs/asciidoc/sessions/stage1-session.txt
# The daemon runs on its default socket with the data root /var/lib/rabbithole/book-session, and is killed at the end on purpose.
set -uo pipefail
cd "$(dirname "$0")/../.."
JAR=stage1-monolith-lxc-style/target/rabbithole-stage1.jar
DATA=/var/lib/rabbithole/book-session   # removed at the end
LOG="$(mktemp)"
mkdir -p "$DATA"
SOCK=/run/rabbithole/stage1/docker.sock
rh() { java -jar "$JAR" "$@"; }   # shown as "rh": ./rabbithole stage1
show() { printf '$ %s\n' "$1"; eval "$1" 2>&1; }

printf '$ sudo ./rabbithole stage1 daemon &\n'
java -jar "$JAR" daemon --data-root "$DATA" >"$LOG" 2>&1 &
DAEMON=$!
for _ in $(seq 1 100); do [ -S "$SOCK" ] && rh version >/dev/null 2>&1 && break; sleep 0.1; done

show "rh run --rm --hostname rabbit busybox sh -c 'echo \"pid \$\$ on \$(hostname)\"; ps; grep -E \"CapEff|Seccomp:\" /proc/self/status'"
show "rh run --rm -m 64m --pids-limit 100 busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max"
show "rh run --rm --cap-add SYS_ADMIN busybox unshare -u true"
show "rh run --rm busybox sh -c 'exit 7'; echo \"exit code \$?\""
show "rh run -d --name sleeper busybox sleep 300 | cut -c1-12"
sleep 1
WORKLOAD=$(pgrep -n -x sleep)
CHAIN="$WORKLOAD"; P="$WORKLOAD"
while [ "$P" != "$DAEMON" ] && [ "$P" -gt 1 ]; do P=$(ps -o ppid= -p "$P" | tr -d ' '); CHAIN="$P,$CHAIN"; done
printf '$ ps -o pid,ppid,args -p %s   # the workload and its ancestors, up to the daemon\n' "$CHAIN"
ps -o pid,ppid,args -p "$CHAIN" | cut -c1-110
show "rh kill sleeper >/dev/null; rh wait sleeper"
show "rh ps -a"
show "docker -H unix://$SOCK run --rm busybox echo hello from the docker CLI"
show "rh run -d --name doomed busybox sleep 300 | cut -c1-12"
sleep 1
printf '$ sudo kill -9 %s   # the daemon\n' "$DAEMON"
kill -9 "$DAEMON"; wait "$DAEMON" 2>/dev/null
sleep 2
show "pgrep -a -x sleep || echo 'no sleep left: the containers died with the daemon'"

# clean up what the session made (a new daemon marks the dead containers exited and removes them)
java -jar "$JAR" daemon --data-root "$DATA" >>"$LOG" 2>&1 &
DAEMON=$!
for _ in $(seq 1 100); do rh version >/dev/null 2>&1 && break; sleep 0.1; done
rh rm -f sleeper doomed >/dev/null 2>&1
kill "$DAEMON"; wait "$DAEMON" 2>/dev/null
rm -rf "$DATA" "$LOG"
