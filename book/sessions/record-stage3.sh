#!/usr/bin/env bash
# Records chapter 3's sessions of stage 3 itself (run as root from the repository root after
# `mvn -pl stage3-split-daemon -am package`):
#   sudo book/sessions/record-stage3.sh
# Writes book/src/docs/asciidoc/sessions/stage3-tree.txt (`rabbithole stage3 tree` of a running container) and
# stage3-live-restore.txt (a container that prints a line a second, kill -9 of dockerd, the container lives on, a new
# dockerd lists it and has every line). Our dockerd starts our containerd, which runs our shim, which runs our runc
# (the defaults when run from the jar). Everything runs on temporary roots of its own: the data root under a
# temporary directory, shown as $ROOT, and a short exec root under /run (a socket path must fit in 107 bytes), shown
# as $EXEC; nothing uses the default sockets. Everything it started is stopped by pid at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
JAR=stage3-split-daemon/target/rabbithole-stage3.jar
OUT=book/src/docs/asciidoc/sessions
ROOT="$(mktemp -d -t rh3.XXXX)"
EXEC="$(mktemp -d -p /run rh3.XXXX)"
SOCK="unix://$ROOT/docker.sock"
DOCKERD=
rh() { java -jar "$JAR" "$@"; }
cli() { /usr/bin/docker -H "$SOCK" "$@"; }   # Debian's docker CLI 20.10
hide() { sed "s|$ROOT|\$ROOT|g; s|$EXEC|\$EXEC|g; s|$PWD/||g; s|[0-9a-f]\{64\}|\$ID|g" | cut -c1-120; }
start_dockerd() {
  java -jar "$JAR" dockerd --live-restore --data-root "$ROOT/data" --exec-root "$EXEC" -H "$SOCK" >>"$ROOT/dockerd.log" 2>&1 &
  DOCKERD=$!   # java itself, not a subshell: the pid kill -9 must hit
  for _ in $(seq 1 300); do cli version >/dev/null 2>&1 && break; sleep 0.1; done
}
cleanup() {
  cli rm -f ticker >/dev/null 2>&1
  [ -n "$DOCKERD" ] && kill "$DOCKERD" 2>/dev/null && wait "$DOCKERD" 2>/dev/null
  if [ -s "$EXEC/containerd/containerd.pid" ]; then
    C=$(cat "$EXEC/containerd/containerd.pid"); kill "$C" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$C" 2>/dev/null || break; sleep 0.2; done
  fi
  for m in $(awk -v r="$ROOT" -v e="$EXEC" 'index($5, r) == 1 || index($5, e) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null
  done
  rm -rf "$ROOT" "$EXEC"
}
trap cleanup EXIT

start_dockerd
cli run -d --name ticker busybox sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 1; done' >/dev/null
sleep 3
{
printf '$ sudo ./rabbithole stage3 dockerd --live-restore &\n'
printf '$ docker run -d --name ticker busybox sh -c '"'"'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 1; done'"'"'\n'
printf '$ sudo ./rabbithole stage3 tree ticker\n'
rh tree ticker -H "$SOCK" 2>&1
} >"$ROOT/tree.txt"   # a group, not a pipeline: DOCKERD stays this shell's
hide <"$ROOT/tree.txt" >"$OUT/stage3-tree.txt"

{   # continues the session above: the same container, the same pids
WORKLOAD=$(cli inspect -f '{{.State.Pid}}' ticker 2>/dev/null)
printf '$ kill -9 %s   # dockerd\n' "$DOCKERD"
kill -9 "$DOCKERD"; wait "$DOCKERD" 2>/dev/null; DOCKERD=
sleep 4
printf '$ ps -o pid,args -p %s   # the container'"'"'s first process, 4 seconds later\n' "$WORKLOAD"
ps -o pid,args -p "$WORKLOAD"
printf '$ sudo ./rabbithole stage3 dockerd --live-restore &   # again, on the same roots\n'
start_dockerd
printf '$ sudo ./rabbithole stage3 tree ticker   # a new dockerd; the same containerd, shim and workload\n'
rh tree ticker -H "$SOCK" 2>&1
printf '$ docker ps --format '"'"'{{.Names}}: {{.Status}}'"'"'\n'
cli ps --format '{{.Names}}: {{.Status}}' 2>&1
printf '$ docker logs ticker | awk '"'"'$2 != NR {gap++} END {print NR " lines, " gap+0 " gaps"}'"'"'\n'
cli logs ticker 2>&1 | awk '$2 != NR {gap++} END {print NR " lines, " gap+0 " gaps"}'
} >"$ROOT/live-restore.txt" 2>&1
hide <"$ROOT/live-restore.txt" >"$OUT/stage3-live-restore.txt"
