#!/usr/bin/env bash
# Records chapter 3's look at Docker's own split (run as root from the repository root, with Debian's docker.io):
#   sudo book/sessions/record-docker-split.sh > book/src/docs/asciidoc/sessions/docker-split-tree.txt
# It starts Debian's dockerd with --live-restore on temporary roots and a socket of its own (never Docker's default
# socket), runs one container that prints a line a second, kills dockerd with SIGKILL, starts it again, and shows the
# process tree at each step. The temporary directory is shown as $ROOT. Everything it started is stopped at the end.
set -uo pipefail
ROOT="$(mktemp -d)"
SOCK="$ROOT/docker.sock"
mkdir -p "$ROOT/rootfs/bin"
cp /bin/busybox "$ROOT/rootfs/bin/" && for c in sh sleep echo; do ln -s busybox "$ROOT/rootfs/bin/$c"; done
tar -C "$ROOT/rootfs" -cf "$ROOT/busybox.tar" .
echo '{"live-restore": true}' >"$ROOT/daemon.json"
D() { /usr/bin/docker -H "unix://$SOCK" "$@"; }
hide() { sed "s#$ROOT#\$ROOT#g; s#[0-9a-f]\{64\}#\$ID#g" | cut -c1-120; }
start_dockerd() {
  /usr/sbin/dockerd --config-file "$ROOT/daemon.json" --data-root "$ROOT/data" --exec-root "$ROOT/exec" -H "unix://$SOCK" \
    --pidfile "$ROOT/dockerd.pid" --bridge=none --iptables=false >>"$ROOT/dockerd.log" 2>&1 &
  for _ in $(seq 1 100); do D version >/dev/null 2>&1 && break; sleep 0.1; done
}
# the processes of this session: dockerd, its containerd, the shim and the container's processes
tree() {
  local pids shim
  pids=$(pgrep -d, -f "$ROOT")                 # dockerd, containerd and the shim name $ROOT in their arguments
  shim=$(pgrep -f -- "-id $ID" | head -n 1)
  [ -n "$shim" ] && pids="$pids,$(pgrep -d, -P "$shim")"   # the container's init, the shim's child
  ps -o pid,ppid,args --forest -p "$pids" | hide
}

printf '$ dockerd --live-restore ... &   # Debian docker.io %s, on roots of its own\n' "$(dockerd --version | cut -d' ' -f3 | tr -d ,)"
start_dockerd
D import "$ROOT/busybox.tar" busybox >/dev/null
printf '$ docker run -d --name ticker busybox sh -c '"'"'while true; do echo tick; sleep 1; done'"'"'\n'
ID=$(D run -d --name ticker busybox sh -c 'while true; do echo tick; sleep 1; done')
sleep 2
printf '$ ps -eo pid,ppid,args --forest   # dockerd, its containerd; the shim, child of pid 1, and the container\n'
tree
DOCKERD=$(cat "$ROOT/dockerd.pid")
printf '$ kill -9 %s   # dockerd\n' "$DOCKERD"
kill -9 "$DOCKERD"
wait "$DOCKERD" 2>/dev/null
sleep 3
printf '$ ps -eo pid,ppid,args --forest   # containerd went with dockerd, which started it; the shim and the container run on\n'
tree
printf '$ dockerd --live-restore ... &   # again, on the same roots\n'
start_dockerd
sleep 1
printf '$ ps -eo pid,ppid,args --forest   # a new dockerd and containerd; the same shim and container\n'
tree
printf '$ docker ps --format '"'"'{{.Names}}: {{.Status}}'"'"'\n'
D ps --format '{{.Names}}: {{.Status}}'
printf '$ docker logs ticker | wc -l   # one line a second, none lost while dockerd was down\n'
D logs ticker | wc -l
D rm -f ticker >/dev/null
DOCKERD=$(cat "$ROOT/dockerd.pid")
kill "$DOCKERD"
wait "$DOCKERD" 2>/dev/null
for _ in $(seq 1 100); do [ -e "$ROOT/dockerd.pid" ] || break; sleep 0.1; done
# dockerd bind-mounts its data root onto itself; a killed dockerd leaves the mount, a stopped one too
while grep -q " $ROOT/data " /proc/self/mountinfo; do umount "$ROOT/data" || break; done
rm -rf "$ROOT"
