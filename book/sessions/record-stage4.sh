#!/usr/bin/env bash
# Records chapter 4's sessions (run as root from the repository root after
# `mvn -pl stage4-oci-runtime -am package`, with Debian's containerd, runc, docker.io, docker-registry, curl and jq installed):
#   sudo book/sessions/record-stage4.sh
# Writes, in book/src/docs/asciidoc/sessions/:
#   stage4-runc-spec.txt        `rabbithole stage4 runc spec` makes a bundle's config.json; parts of it, through jq
#   stage4-runc-lifecycle.txt   create, state, start, kill, delete of that bundle with rabbithole-runc, each state's
#                               JSON, a start in the wrong state, and what the four hooks that run in the runtime's
#                               namespaces (prestart, createRuntime, poststart, poststop) read on their stdin
#   stage4-image-layout.txt     the image store of a stage-4 dockerd, an OCI image layout: oci-layout, index.json,
#                               the manifest, the config, the layer, each blob named by its digest
#   stage4-image-layout.puml    the same image as a PlantUML object diagram, with its real digests
#                               ($IMAGE, default busybox, is what `docker pull` brings into it)
#   stage4-same-bundle.txt      the same bundle under Debian's runc, and under crun where the host's cgroups allow it
#   stage4-under-containerd.txt Debian's containerd and its runc shim run rabbithole-runc (ctr run --runc-binary)
#   stage4-under-dockerd.txt    Debian's dockerd runs it as a runtime of its own (--add-runtime, docker run --runtime)
#   stage4-pull.txt             a pull with the docker CLI's progress from a local registry (Debian's docker-registry
#                               on 127.0.0.1, a three-layer image pushed there by the same dockerd), the digests
#                               docker image inspect reports, and the pulled image's files in the image layout
#   stage4-our-dockerd-runc.txt stage 4's dockerd, containerd and shim run ours and Debian's runc side by side
#                               (its built-in runtimes rabbithole and runc, docker run --runtime, docker info)
# Every daemon runs on temporary roots of its own, shown as $ROOT (a directory under /tmp) and $EXEC (a short one
# under /run: a socket path must fit in 107 bytes); nothing uses a default socket or state directory. Everything it
# started is stopped by pid at the end, its mounts unmounted and its cgroups removed. Output is shown as printed,
# except that the temporary paths and the repository's path are replaced by those names, a terminal's carriage
# returns and NUL bytes are dropped, 64-hex-digit container IDs are shown as $ID where they would change from run to
# run (not the digests of the image layout), and lines are cut at 120 characters.
set -uo pipefail
cd "$(dirname "$0")/../.."
REPO="$PWD"
JAR=stage4-oci-runtime/target/rabbithole-stage4.jar
RUNC_OURS="$REPO/stage4-oci-runtime/bin/rabbithole-runc"
OUT=book/src/docs/asciidoc/sessions
IMAGE="${IMAGE:-busybox}"
ROOT="$(mktemp -d -t rh4.XXXX)"
EXEC="$(mktemp -d -p /run rh4.XXXX)"
NS=rh4book
PIDS=()
export PATH="$REPO/stage4-oci-runtime/bin:$PATH"

hide() { sed "s|$ROOT|\$ROOT|g; s|$EXEC|\$EXEC|g; s|$REPO/||g; s|$REPO|.|g" | tr -d '\r\000' | cut -c1-120; }
hide_ids() { hide | sed 's|[0-9a-f]\{64\}|$ID|g'; }
show() { printf '$ %s\n' "$*"; }
wait_for() { for _ in $(seq 1 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done; done
  if [ -s "$EXEC/d4/containerd/containerd.pid" ]; then   # the containerd our dockerd started, in its own session
    C=$(cat "$EXEC/d4/containerd/containerd.pid"); kill "$C" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$C" 2>/dev/null || break; sleep 0.2; done
  fi
  for m in $(awk -v r="$ROOT" -v e="$EXEC" 'index($5, r) == 1 || index($5, e) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null
  done
  for c in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS"; do   # ctr's cgroups are /NAMESPACE/ID
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$ROOT" "$EXEC"
}
trap cleanup EXIT

# a busybox root filesystem from the host's static busybox, the same one the stages build their image from
mkdir -p "$ROOT/rootfs/bin"
cp /bin/busybox "$ROOT/rootfs/bin/"
for c in $(/bin/busybox --list); do [ "$c" = busybox ] || ln -s busybox "$ROOT/rootfs/bin/$c"; done
tar -C "$ROOT/rootfs" -cf "$ROOT/busybox.tar" .

# ---- the bundle and its config.json ---------------------------------------------------------------------------
mkdir -p "$ROOT/bundle"
cp -a "$ROOT/rootfs" "$ROOT/bundle/rootfs"
{
show 'export PATH="$PWD/stage4-oci-runtime/bin:$PATH"   # rabbithole-runc, from the repository'"'"'s root'
show 'cd $ROOT/bundle   # rootfs/ holds a busybox root filesystem'
show 'rabbithole-runc spec'
(cd "$ROOT/bundle" && rabbithole-runc spec 2>&1)
show 'ls'
ls "$ROOT/bundle"
show "jq '{ociVersion, root, hostname, process: .process | {terminal, user, args, env, cwd}}' config.json"
jq '{ociVersion, root, hostname, process: .process | {terminal, user, args, env, cwd}}' "$ROOT/bundle/config.json"
show "jq -c '.mounts[]' config.json"
jq -c '.mounts[]' "$ROOT/bundle/config.json"
show "jq -c '.linux.namespaces' config.json"
jq -c '.linux.namespaces' "$ROOT/bundle/config.json"
} >"$ROOT/spec.txt" 2>&1
hide <"$ROOT/spec.txt" >"$OUT/stage4-runc-spec.txt"

# ---- the lifecycle: create, start, state, kill, delete, with the hooks the runtime runs in its own namespaces ---
cd "$ROOT/bundle" || exit 1
cat >"$ROOT/hooks.jq" <<'JQ'
# no terminal, a long sleep, and four hooks: each appends its name and its stdin to a log
def hook(n): {path: "/bin/sh", args: ["sh", "-c", ("echo \"" + n + ": $(cat)\" >> " + $log)]};
.process.terminal = false | .process.args = ["sleep", "600"]
| .hooks = {prestart: [hook("prestart")], createRuntime: [hook("createRuntime")],
            poststart: [hook("poststart")], poststop: [hook("poststop")]}
JQ
{
show 'cat $ROOT/hooks.jq'
cat "$ROOT/hooks.jq"
show 'jq --arg log $ROOT/hooks.log -f $ROOT/hooks.jq config.json > c.json && mv c.json config.json'
jq --arg log "$ROOT/hooks.log" -f "$ROOT/hooks.jq" config.json >c.json && mv c.json config.json
show "jq -c '.hooks.prestart' config.json"
jq -c '.hooks.prestart' config.json
show 'rabbithole-runc --root $ROOT/state create --bundle . demo'
rabbithole-runc --root "$ROOT/state" create --bundle . demo 2>&1
show 'rabbithole-runc --root $ROOT/state state demo'
rabbithole-runc --root "$ROOT/state" state demo 2>&1; echo
show 'rabbithole-runc --root $ROOT/state start demo'
rabbithole-runc --root "$ROOT/state" start demo 2>&1
show 'rabbithole-runc --root $ROOT/state start demo; echo "exit $?"   # again: the wrong state'
rabbithole-runc --root "$ROOT/state" start demo 2>&1; echo "exit $?"
show 'rabbithole-runc --root $ROOT/state state demo'
rabbithole-runc --root "$ROOT/state" state demo 2>&1; echo
show 'rabbithole-runc --root $ROOT/state delete demo; echo "exit $?"   # running: refused without --force'
rabbithole-runc --root "$ROOT/state" delete demo 2>&1; echo "exit $?"
show 'rabbithole-runc --root $ROOT/state kill demo KILL'
rabbithole-runc --root "$ROOT/state" kill demo KILL 2>&1
wait_for sh -c "rabbithole-runc --root '$ROOT/state' state demo | grep -q '\"stopped\"'"
show 'rabbithole-runc --root $ROOT/state state demo'
rabbithole-runc --root "$ROOT/state" state demo 2>&1; echo
show 'rabbithole-runc --root $ROOT/state delete demo'
rabbithole-runc --root "$ROOT/state" delete demo 2>&1
show 'rabbithole-runc --root $ROOT/state list'
rabbithole-runc --root "$ROOT/state" list 2>&1
show 'cat $ROOT/hooks.log   # each hook appended its name and the state it read on stdin'
cat "$ROOT/hooks.log"
} >"$ROOT/lifecycle.txt" 2>&1

# ---- the same bundle under Debian's runc, and under crun where this host's cgroups let it run -------------------
{
show "jq 'del(.hooks) | .process.args = [\"echo\", \"hello\"]' config.json > c.json && mv c.json config.json"
jq 'del(.hooks) | .process.args = ["echo", "hello"]' config.json >c.json && mv c.json config.json
show "runc --version | head -n 1; runc --root \$ROOT/runc run demo2; echo \"exit \$?\""
runc --version | head -n 1; runc --root "$ROOT/runc" run demo2 </dev/null 2>&1; echo "exit $?"
if command -v crun >/dev/null; then
  show "crun --version | head -n 1; crun --root \$ROOT/crun run demo3; echo \"exit \$?\""
  crun --version | head -n 1; crun --root "$ROOT/crun" run demo3 </dev/null 2>&1; echo "exit $?"
  crun --root "$ROOT/crun" delete -f demo3 >/dev/null 2>&1
else
  printf '# crun is not installed on this machine\n'
fi
} >"$ROOT/other.txt" 2>&1
cd "$REPO" || exit 1
hide <"$ROOT/lifecycle.txt" >"$OUT/stage4-runc-lifecycle.txt"
hide <"$ROOT/other.txt" >"$OUT/stage4-same-bundle.txt"

# ---- stage 4's dockerd: its image store, an OCI image layout; then Debian's runc under it ----------------------
D4="unix://$ROOT/d4.sock"
d4() { /usr/bin/docker -H "$D4" "$@"; }
java -jar "$JAR" dockerd --data-root "$ROOT/d4" --exec-root "$EXEC/d4" -H "$D4" -b none >"$ROOT/d4.log" 2>&1 &
PIDS+=($!)
wait_for d4 version
d4 pull "$IMAGE" >/dev/null 2>&1
L="$ROOT/d4/image"
manifest=$(jq -r '.manifests[0].digest' "$L/index.json")
config=$(jq -r '.config.digest' "$L/blobs/sha256/${manifest#sha256:}")
layer=$(jq -r '.layers[0].digest' "$L/blobs/sha256/${manifest#sha256:}")
{
show "docker pull $IMAGE"
show 'cd $ROOT/d4/image   # the data root of that stage-4 dockerd'
show 'ls; cat oci-layout; echo'
ls "$L"; cat "$L/oci-layout"; echo
show 'jq . index.json'
jq . "$L/index.json"
printf '# the manifest index.json points at\n'
show "jq . blobs/sha256/${manifest#sha256:}"
jq . "$L/blobs/sha256/${manifest#sha256:}"
printf '# the config the manifest points at\n'
show "jq . blobs/sha256/${config#sha256:}"
jq . "$L/blobs/sha256/${config#sha256:}"
printf '# every blob is named by the digest of its bytes\n'
show 'cd blobs/sha256 && sha256sum * | cut -c1-64 && ls'
(cd "$L/blobs/sha256" && sha256sum -- * | cut -c1-64 && ls)
printf '# the layer, uncompressed: its diff_id, in the config\n'
show "zcat ${layer#sha256:} | sha256sum"
zcat "$L/blobs/sha256/${layer#sha256:}" | sha256sum
printf '# the image ID is the config'"'"'s digest\n'
show "docker image inspect -f '{{.Id}}' $IMAGE"
d4 image inspect -f '{{.Id}}' "$IMAGE" 2>&1
} >"$ROOT/layout.txt" 2>&1
hide <"$ROOT/layout.txt" >"$OUT/stage4-image-layout.txt"

# the same image as a diagram (chapter 4 renders it with PlantUML): the real digests, shortened to 12 hex digits
short() { printf '%s…' "${1:0:19}"; }
M="$L/blobs/sha256/${manifest#sha256:}"
G="$L/blobs/sha256/${config#sha256:}"
{
printf '@startuml\n!pragma layout smetana\nskinparam defaultFontName sans-serif\nskinparam shadowing false\n'
printf "' written by book/sessions/record-stage4.sh from the image store of a stage-4 dockerd: do not edit\n"
printf 'object "index.json" as index {\n  mediaType = %s\n}\n' "$(jq -r .mediaType "$L/index.json")"
printf 'object "manifest %s" as manifest {\n  mediaType = %s\n  size = %s bytes\n}\n' "$(short "$manifest")" \
  "$(jq -r .mediaType "$M")" "$(stat -c %s "$M")"
printf 'object "config %s" as config {\n  architecture = %s\n  os = %s\n  size = %s bytes\n}\n' "$(short "$config")" \
  "$(jq -r .architecture "$G")" "$(jq -r .os "$G")" "$(stat -c %s "$G")"
n=$(jq '.layers | length' "$M")
for i in $(seq 0 $((n - 1))); do
  d=$(jq -r ".layers[$i].digest" "$M")
  printf 'object "layer %s" as layer%s {\n  mediaType = %s\n  size = %s bytes\n  diff_id = %s\n}\n' "$(short "$d")" "$i" \
    "$(jq -r ".layers[$i].mediaType" "$M")" "$(jq -r ".layers[$i].size" "$M")" "$(short "$(jq -r ".rootfs.diff_ids[$i]" "$G")")"
done
printf 'index --> manifest : manifests[0]\\n%s\n' "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"] // ""' "$L/index.json")"
printf 'manifest --> config : config\n'
for i in $(seq 0 $((n - 1))); do printf 'manifest --> layer%s : layers[%s]\n' "$i" "$i"; done
for i in $(seq 0 $((n - 1))); do printf 'config ..> layer%s : rootfs.diff_ids[%s]\n' "$i" "$i"; done
printf '@enduml\n'
} >"$OUT/stage4-image-layout.puml"

# ---- a pull from a local registry: Debian's docker-registry on 127.0.0.1, its storage in $ROOT ----------------
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REG="127.0.0.1:$PORT"
cat >"$ROOT/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $ROOT/registry
http:
  addr: $REG
EOF
/usr/bin/docker-registry serve "$ROOT/registry.yml" >"$ROOT/registry.log" 2>&1 &
PIDS+=($!)
wait_for curl -fs "http://$REG/v2/"
# a three-layer image made by the same dockerd (busybox and two commits), pushed to the registry, then removed
d4 run --name l1 "$IMAGE" sh -c 'mkdir -p /srv && echo "layer two" > /srv/two.txt' >/dev/null 2>&1
d4 commit l1 "$REG/demo:two" >/dev/null 2>&1
d4 run --name l2 "$REG/demo:two" sh -c 'dd if=/dev/urandom of=/srv/three.bin bs=1M count=4 2>/dev/null' >/dev/null 2>&1
d4 commit l2 "$REG/demo:1.0" >/dev/null 2>&1
d4 rm l1 l2 >/dev/null 2>&1
{
printf '# Debian'"'"'s docker-registry %s on 127.0.0.1:PORT, its storage under $ROOT\n' \
  "$(docker-registry --version 2>/dev/null | awk '{print $3}')"
show 'docker-registry serve $ROOT/registry.yml &'
show "docker push 127.0.0.1:PORT/demo:1.0   # busybox and two layers committed on it, pushed by the same dockerd"
d4 push "$REG/demo:1.0" 2>&1
show 'docker rmi 127.0.0.1:PORT/demo:1.0 127.0.0.1:PORT/demo:two'
d4 rmi "$REG/demo:1.0" "$REG/demo:two" 2>&1
show 'curl -s http://127.0.0.1:PORT/v2/demo/tags/list'
curl -s "http://$REG/v2/demo/tags/list"; echo
printf '# the pull: the docker CLI prints the JSON progress stream our dockerd sends, a line per change (no terminal)\n'
show 'docker pull 127.0.0.1:PORT/demo:1.0'
d4 pull "$REG/demo:1.0" 2>&1
show "docker image inspect -f '{{.Id}}' 127.0.0.1:PORT/demo:1.0"
d4 image inspect -f '{{.Id}}' "$REG/demo:1.0" 2>&1
show "docker image inspect -f '{{json .RepoDigests}}' 127.0.0.1:PORT/demo:1.0"
d4 image inspect -f '{{json .RepoDigests}}' "$REG/demo:1.0" 2>&1
show "docker image inspect -f '{{json .RootFS.Layers}}' 127.0.0.1:PORT/demo:1.0 | jq ."
d4 image inspect -f '{{json .RootFS.Layers}}' "$REG/demo:1.0" 2>&1 | jq .
printf '# in the image layout: every descriptor of index.json, its name (the annotation ref.name), then its digest\n'
show 'cd $ROOT/d4/image'
show "jq -r --arg n org.opencontainers.image.ref.name '.manifests[] | .annotations[\$n], \"  \" + .digest' index.json"
jq -r --arg n org.opencontainers.image.ref.name '.manifests[] | .annotations[$n], "  " + .digest' "$L/index.json" 2>&1
pm=$(jq -r '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] // "" | test("demo:1.0$"))][0].digest' "$L/index.json")
printf '# the manifest the tag points at\n'
show "jq . blobs/sha256/${pm#sha256:}"
jq . "$L/blobs/sha256/${pm#sha256:}" 2>&1
pc=$(jq -r '.config.digest' "$L/blobs/sha256/${pm#sha256:}")
printf '# its config: the layers'"'"' diff_ids and the history of the two commits\n'
show "jq '{architecture, os, rootfs, history}' blobs/sha256/${pc#sha256:}"
jq '{architecture, os, rootfs, history}' "$L/blobs/sha256/${pc#sha256:}" 2>&1
} >"$ROOT/pull.txt" 2>&1
hide <"$ROOT/pull.txt" | sed "s|$REG|127.0.0.1:PORT|g" >"$OUT/stage4-pull.txt"

{
show 'sudo ./rabbithole stage4 dockerd ... &   # no runtime flags: its built-in runtimes'
show "docker info --format '{{.DefaultRuntime}}{{println}}{{range \$name, \$r := .Runtimes}}{{\$name}}={{\$r.Path}}{{println}}{{end}}'"
d4 info --format '{{.DefaultRuntime}}{{println}}{{range $name, $r := .Runtimes}}{{$name}}={{$r.Path}}{{println}}{{end}}' 2>&1 | grep .
show "docker run --rm $IMAGE sh -c 'echo hello from \$(hostname); exit 5'; echo \"exit \$?\"   # the default: ours"
d4 run --rm "$IMAGE" sh -c 'echo hello from $(hostname); exit 5' 2>&1; echo "exit $?"
show "docker run -d --name r1 --runtime runc $IMAGE sleep 600   # Debian's runc"
d4 run -d --name r1 --runtime runc "$IMAGE" sleep 600 2>&1 | hide_ids
show "docker inspect -f '{{.HostConfig.Runtime}}' r1"
d4 inspect -f '{{.HostConfig.Runtime}}' r1 2>&1
show 'sudo ./rabbithole stage4 tree r1'
java -jar "$JAR" tree r1 -H "$D4" 2>&1
show "docker exec r1 sh -c 'echo exec in \$(tr \"\\0\" \" \" < /proc/1/cmdline); exit 4'; echo \"exit \$?\""
d4 exec r1 sh -c 'echo exec in $(tr "\0" " " < /proc/1/cmdline); exit 4' 2>&1; echo "exit $?"
printf '# Debian'"'"'s runc created it: its state is under the root our dockerd gives each runtime\n'
show "runc --root \$EXEC/d4/runtime-runc/moby list --format json | jq -c '.[] | {id, pid, status}'"
runc --root "$EXEC/d4/runtime-runc/moby" list --format json 2>&1 | jq -c '.[] | {id, pid, status}'
show "docker run --rm --runtime nosuch $IMAGE true; echo \"exit \$?\""
d4 run --rm --runtime nosuch "$IMAGE" true 2>&1; echo "exit $?"
d4 rm -f r1 >/dev/null 2>&1
} >"$ROOT/d4runc.txt" 2>&1
hide_ids <"$ROOT/d4runc.txt" >"$OUT/stage4-our-dockerd-runc.txt"

# ---- Debian's containerd runs our runtime through its own runc shim -------------------------------------------
mkdir -p "$EXEC/c"
cat >"$ROOT/containerd.toml" <<EOF
version = 2
root = "$ROOT/containerd"
state = "$EXEC/c/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$EXEC/c/containerd.sock"
[ttrpc]
  address = "$EXEC/c/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
/usr/bin/containerd --config "$ROOT/containerd.toml" >"$ROOT/containerd.log" 2>&1 &
PIDS+=($!)
C() { ctr -a "$EXEC/c/containerd.sock" -n "$NS" "$@"; }
wait_for C version
RUNC_FLAGS="--runc-binary $RUNC_OURS --runc-root $EXEC/c/runc"
{
printf '# Debian'"'"'s containerd %s, with roots and a socket of its own\n' "$(containerd --version | awk '{print $3}')"
show 'containerd --config $ROOT/containerd.toml &'
show 'export CONTAINERD_ADDRESS=$EXEC/c/containerd.sock CONTAINERD_NAMESPACE='"$NS"
show 'RUNC="--runc-binary $PWD/stage4-oci-runtime/bin/rabbithole-runc --runc-root $EXEC/c/runc"'
show "ctr run --rm \$RUNC --rootfs \$ROOT/rootfs hello sh -c 'echo hello from pid \$\$; exit 3'; echo \"exit \$?\""
# shellcheck disable=SC2086
C run --rm $RUNC_FLAGS --rootfs "$ROOT/rootfs" hello sh -c 'echo hello from pid $$; exit 3' 2>&1; echo "exit $?"
show 'ctr run -d $RUNC --rootfs $ROOT/rootfs sleeper sleep 600'
# shellcheck disable=SC2086
C run -d $RUNC_FLAGS --rootfs "$ROOT/rootfs" sleeper sleep 600 2>&1
show 'ctr task ls'
C task ls 2>&1
SHIM=$(pgrep -f -- "-namespace $NS -id sleeper" | head -n 1)
printf '# Debian'"'"'s runc shim, and the container it holds\n'
show "ps -o pid,ppid,args --forest -p $SHIM,$(pgrep -d, -P "$SHIM")"
ps -o pid,ppid,args --forest -p "$SHIM,$(pgrep -d, -P "$SHIM")"
printf '# our runtime created it: the state is ours\n'
show 'rabbithole-runc --root $EXEC/c/runc/'"$NS"" list --format json | jq -c '.[] | {id, pid, status}'"
rabbithole-runc --root "$EXEC/c/runc/$NS" list --format json 2>&1 | jq -c '.[] | {id, pid, status}'
show "ctr task exec --exec-id e1 sleeper sh -c 'echo exec in \$(tr \"\\0\" \" \" < /proc/1/cmdline); exit 7'; echo \"exit \$?\""
C task exec --exec-id e1 sleeper sh -c 'echo exec in $(tr "\0" " " < /proc/1/cmdline); exit 7' 2>&1; echo "exit $?"
show 'ctr task kill -s KILL sleeper'
C task kill -s KILL sleeper 2>&1
wait_for sh -c "ctr -a '$EXEC/c/containerd.sock' -n $NS task ls | grep -q STOPPED"
show 'ctr task ls'
C task ls 2>&1
show 'ctr task delete sleeper && ctr container rm sleeper'
C task delete sleeper 2>&1 && C container rm sleeper 2>&1
printf '# -t: a terminal (script gives ctr one)\n'
show "script -qec 'ctr run --rm -t \$RUNC --rootfs \$ROOT/rootfs tty1 tty' /dev/null"
script -qec "ctr -a $EXEC/c/containerd.sock -n $NS run --rm -t $RUNC_FLAGS --rootfs $ROOT/rootfs tty1 tty" /dev/null </dev/null 2>&1
} >"$ROOT/containerd.txt" 2>&1
hide <"$ROOT/containerd.txt" >"$OUT/stage4-under-containerd.txt"

# ---- Debian's dockerd runs our runtime: --add-runtime ---------------------------------------------------------
DD="unix://$EXEC/dd.sock"
dd() { /usr/bin/docker -H "$DD" "$@"; }
/usr/sbin/dockerd --data-root "$ROOT/dd" --exec-root "$EXEC/dd" -H "$DD" --pidfile "$EXEC/dd.pid" \
  --bridge=none --iptables=false --add-runtime "rabbithole=$RUNC_OURS" >"$ROOT/dd.log" 2>&1 &
PIDS+=($!)
wait_for dd version
dd import "$ROOT/busybox.tar" busybox >/dev/null
{
printf '# Debian'"'"'s docker.io %s, with roots and a socket of its own\n' "$(dockerd --version | awk '{print $3}' | tr -d ,)"
show 'dockerd --add-runtime rabbithole=$PWD/stage4-oci-runtime/bin/rabbithole-runc ... &'
show 'docker import $ROOT/busybox.tar busybox   # the same busybox root filesystem'
show "docker info --format '{{range \$name, \$r := .Runtimes}}{{\$name}}={{\$r.Path}}{{println}}{{end}}'"
dd info --format '{{range $name, $r := .Runtimes}}{{$name}}={{$r.Path}}{{println}}{{end}}' 2>&1 | grep .
show "docker run --rm --runtime rabbithole busybox sh -c 'echo hello from \$(hostname); exit 5'; echo \"exit \$?\""
dd run --rm --runtime rabbithole busybox sh -c 'echo hello from $(hostname); exit 5' 2>&1; echo "exit $?"
show 'docker run -d --name r1 --runtime rabbithole --memory 64m --pids-limit 20 busybox sleep 600'
dd run -d --name r1 --runtime rabbithole --memory 64m --pids-limit 20 busybox sleep 600 2>&1
show "docker inspect -f '{{.HostConfig.Runtime}}' r1"
dd inspect -f '{{.HostConfig.Runtime}}' r1 2>&1
show "docker exec r1 cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max"
dd exec r1 cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>&1
printf '# the state of the runtime that created it: ours\n'
show "rabbithole-runc --root \$EXEC/dd/runtime-runc/moby list --format json | jq -c '.[] | {id, pid, status}'"
rabbithole-runc --root "$EXEC/dd/runtime-runc/moby" list --format json 2>&1 | jq -c '.[] | {id, pid, status}'
show 'docker rm -f r1'
dd rm -f r1 2>&1
printf '# beside it, Debian'"'"'s runc\n'
show "docker run --rm --runtime runc busybox sh -c 'echo hello from \$(hostname); exit 5'; echo \"exit \$?\""
dd run --rm --runtime runc busybox sh -c 'echo hello from $(hostname); exit 5' 2>&1; echo "exit $?"
} >"$ROOT/dockerd.txt" 2>&1
hide_ids <"$ROOT/dockerd.txt" >"$OUT/stage4-under-dockerd.txt"
