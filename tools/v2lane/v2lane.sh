#!/usr/bin/env bash
# The cgroup v2 test lane: runs the test classes listed in tests.txt inside a small qemu VM whose kernel has
# only cgroup v2 (for hosts whose own hierarchy is v1 or hybrid). `./rabbithole test` runs it after the Maven
# suite; `./rabbithole test-v2` runs it alone. Exit status: 0 when every test passed (or the lane was skipped),
# non-zero otherwise.
#
# Environment:
#   RABBITHOLE_V2LANE=skip       do not run the lane
#   RABBITHOLE_V2LANE=force      run it even on a pure cgroup v2 host
#   RABBITHOLE_V2VM_CACHE=DIR    where VM images are cached (default /var/cache/rabbithole/v2vm)
#   RABBITHOLE_V2LANE_TIMEOUT=S  the whole VM run's limit in seconds (default 900); the tests inside get 60 s less
#   RABBITHOLE_V2LANE_MEMORY=MiB the VM's memory (default 2048)
# The image (Debian's kernel, a busybox initramfs, a debootstrap'ed root disk) is rebuilt when image.sh,
# initramfs-init or lane-init change: the cache directory's name is their hash. guest.sh and tests.txt are
# read from the share at every run, so they can change without a rebuild.
set -euo pipefail

HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${RABBITHOLE_V2VM_CACHE:-/var/cache/rabbithole/v2vm}"
TIMEOUT="${RABBITHOLE_V2LANE_TIMEOUT:-900}"
MEMORY="${RABBITHOLE_V2LANE_MEMORY:-2048}"
LANE="$ROOT/stage2-libcontainer/target/v2lane"   # what the VM reads (in/) and writes (out/)
HOST_PACKAGES=(qemu-system-x86 debootstrap cpio busybox-static)

say() { printf 'v2lane: %s\n' "$*"; }
die() { printf 'v2lane: FAILED: %s\n' "$*" >&2; exit 1; }
T_START=$(date +%s)
declare -a TIMES=()
lap() { TIMES+=("$1 $(( $(date +%s) - $2 )) s"); }

if [ "${RABBITHOLE_V2LANE:-}" = skip ]; then
  say "skipped (RABBITHOLE_V2LANE=skip)"
  exit 0
fi
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && [ "${RABBITHOLE_V2LANE:-}" != force ]; then
  say "skipped: this host runs a pure cgroup v2 hierarchy, the ordinary tests already meet v2"
  say "(RABBITHOLE_V2LANE=force runs the lane anyway)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  say "skipped: the lane needs root (debootstrap, qemu's 9p shares as root); sudo ./rabbithole test-v2"
  exit 0
fi

# ---- host packages -----------------------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in "${HOST_PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  t=$(date +%s)
  say "installing ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      || die "cannot install ${missing[*]}"
  fi
  lap "host packages" "$t"
fi

# ---- the VM image (cached) ---------------------------------------------------------------------
key="$(cat "$HERE/image.sh" "$HERE/initramfs-init" "$HERE/lane-init" | sha256sum | cut -c1-16)"
IMG="$CACHE/$key"
mkdir -p "$CACHE"
exec 9> "$CACHE/.lock"
flock 9   # one build at a time; a second lane waits and then finds the image
if [ ! -f "$IMG/ready" ]; then
  t=$(date +%s)
  say "building the VM image (recipe $key) into $IMG"
  rm -rf "$IMG"
  if ! "$HERE/image.sh" "$IMG"; then
    rm -rf "$IMG"
    die "the VM image could not be built (see above)"
  fi
  touch "$IMG/ready"
  # older recipes' images
  for old in "$CACHE"/*/; do
    [ "${old%/}" = "$IMG" ] || rm -rf "${old%/}"
  done
  lap "image build" "$t"
else
  say "VM image $IMG (cached, $(cat "$IMG/kernel-package"))"
fi
flock -u 9

# ---- what the VM reads -------------------------------------------------------------------------
t=$(date +%s)
rm -rf "$LANE/lib" "$LANE/in" "$LANE/out"
# test-compile: up to date after the Maven suite (and the reactor then resolves stage 1 to its classes)
(cd "$ROOT" && mvn -q -o -B -Dstyle.color=never -pl stage2-libcontainer -am test-compile \
     dependency:copy-dependencies@v2lane-lib \
   && mvn -q -o -B -Dstyle.color=never -pl stage2-libcontainer dependency:copy@v2lane-launcher) \
  || die "cannot compile or copy the test classpath (mvn test-compile dependency:copy-dependencies@v2lane-lib," \
         "dependency:copy@v2lane-launcher; without -o once if a jar is missing from ~/.m2)"
mkdir -p "$LANE/in/classes" "$LANE/out/reports"
cp -a "$ROOT/stage2-libcontainer/target/test-classes" "$LANE/in/classes/1-stage2-test"
cp -a "$ROOT/stage2-libcontainer/target/classes" "$LANE/in/classes/2-stage2"
cp -a "$ROOT/stage1-monolith-lxc-style/target/classes" "$LANE/in/classes/3-stage1"
# the shared end-to-end fixtures (copy-dependencies leaves out the project's own modules)
cp -a "$ROOT/test-support/target/classes" "$LANE/in/classes/4-test-support"
mv "$LANE/lib" "$LANE/in/lib"
mv "$LANE/junit-platform-console-standalone.jar" "$LANE/in/"
cp "$HERE/guest.sh" "$HERE/tests.txt" "$LANE/in/"
echo "TEST_TIMEOUT=$(( TIMEOUT > 120 ? TIMEOUT - 60 : TIMEOUT / 2 ))" > "$LANE/in/lane.conf"
lap "classpath" "$t"

# ---- boot and test -----------------------------------------------------------------------------
CONSOLE="$LANE/console.log"
say "booting the VM (qemu TCG, single-threaded; ${MEMORY} MiB; no network; limit ${TIMEOUT} s); console: $CONSOLE"
t=$(date +%s)
set +e
# single-threaded TCG (one vCPU: it would run them all on one host thread anyway); JVMs crashed in C1 code
# in 5-9% of starts under the default multi-threaded TCG. no_timer_check: on a loaded host the emulated
# timer can look broken to the kernel's early check, which then panics ("IO-APIC + timer doesn't work")
timeout -s KILL "$TIMEOUT" qemu-system-x86_64 -accel tcg,thread=single -m "$MEMORY" -smp 1 \
  -display none -monitor none -serial stdio -no-reboot -nic none \
  -kernel "$IMG/vmlinuz" -initrd "$IMG/initramfs.cpio.gz" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 no_timer_check systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all" \
  -drive "file=$IMG/root.img,if=virtio,format=raw,snapshot=on" \
  -virtfs "local,path=$LANE/in,mount_tag=lanein,security_model=none,readonly=on" \
  -virtfs "local,path=$LANE/out,mount_tag=laneout,security_model=none" \
  < /dev/null 2>&1 | sed -u 's/\r//g; s/\x1b[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' | tee "$CONSOLE" \
  | grep --line-buffered -v -e '^SeaBIOS' -e '^Booting from ROM' -e '^[[:space:]]*$'
qemu_rc=${PIPESTATUS[0]}
set -e
lap "VM (boot, tests, power-off)" "$t"

report() {
  say "time: $(printf '%s; ' "${TIMES[@]}")total $(( $(date +%s) - T_START )) s"
  [ -d "$LANE/out/reports" ] && say "reports: $LANE/out/reports"
}
if [ ! -f "$LANE/out/exit-code" ]; then
  report
  cause="the VM ended without a result (qemu exit status $qemu_rc)"
  [ "$qemu_rc" -eq 137 ] && cause="the VM did not finish within $TIMEOUT s: killed"
  grep -q 'Kernel panic' "$CONSOLE" && cause="$cause; the kernel panicked"
  grep -q 'v2lane: initramfs:' "$CONSOLE" && cause="$cause; $(grep -m1 'v2lane: initramfs:' "$CONSOLE")"
  say "the console's last lines:"
  tail -n 25 "$CONSOLE" | sed 's/^/  | /'
  die "$cause"
fi
code="$(cat "$LANE/out/exit-code")"
report
case "$code" in
  0) say "PASSED: every test in the cgroup v2 VM passed" ;;
  137) die "the tests inside the VM hung: the guest's watchdog killed them (their output above)" ;;
  4) die "tests skipped themselves inside the cgroup v2 VM (a lane test must run there; output above)" ;;
  3) die "the VM's kernel did not give a pure cgroup v2 hierarchy (above)" ;;
  *) die "tests failed inside the cgroup v2 VM (launcher exit status $code; output above, reports in $LANE/out/reports)" ;;
esac
