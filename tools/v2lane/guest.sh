#!/bin/sh
# Runs inside the v2 lane's VM (from the host's read-only share /lane/in, started by the image's lane-init):
# the test classes listed in tests.txt, with JUnit's console launcher, against the VM's pure cgroup v2 hierarchy.
# Writes /lane/out/exit-code (the launcher's) and the XML reports to /lane/out/reports.
IN=/lane/in
OUT=/lane/out
. "$IN/lane.conf"   # TEST_TIMEOUT (seconds)
now() { cut -d' ' -f1 /proc/uptime; }
echo "v2lane: guest: up after $(now) s; kernel $(uname -r); $(stat -fc %T /sys/fs/cgroup) on /sys/fs/cgroup;" \
  "controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
# no v1 hierarchy may be left, or the lane tests nothing new
if awk '$3 == "cgroup" { found = 1 } END { exit !found }' /proc/self/mounts || [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
  echo "v2lane: guest: not a pure cgroup v2 system:"; grep cgroup /proc/self/mounts
  echo 3 > "$OUT/exit-code"
  exit 0
fi
cp=""
for d in "$IN"/classes/*; do cp="$cp:$d"; done
for j in "$IN"/lib/*.jar; do cp="$cp:$j"; done
cp="$IN/junit-platform-console-standalone.jar$cp"
set --
while read -r line; do
  line="${line%%#*}"
  set -- "$@" $(printf '%s' "$line" | sed 's/^/--select-class=/; s/[[:space:]]//g' | grep -v '=$')
done < "$IN/tests.txt"
echo "v2lane: guest: running $# test classes (watchdog: $TEST_TIMEOUT s)"
start=$(now)
# the test JVM's own classpath holds the tests: libcontainer's inits are started with java.class.path
# (C1 only: the VM emulates the CPU, C2's compile time rarely pays off in a test run)
# (the container root tests wait longer for their init JVMs here: rabbithole.test.initTimeoutSeconds)
timeout -s KILL "$TEST_TIMEOUT" java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Drabbithole.test.initTimeoutSeconds=180 \
  -cp "$cp" org.junit.platform.console.ConsoleLauncher execute --include-engine=junit-jupiter --disable-banner \
  --disable-ansi-colors --details=tree --fail-if-no-tests --reports-dir="$OUT/reports" "$@" < /dev/null
code=$?
[ "$code" -eq 137 ] && echo "v2lane: guest: the tests did not end within $TEST_TIMEOUT s: killed (watchdog)"
echo "v2lane: guest: tests took $(echo "$(now) $start" | awk '{ printf "%.0f", $1 - $2 }') s"
# a test that skips itself here (an assumption) did not meet cgroup v2: the lane is there to run it
if [ "$code" -eq 0 ] && grep -qs 'skipped="[1-9]' "$OUT"/reports/*.xml; then
  echo "v2lane: guest: tests skipped themselves inside the VM (see the tree above): a lane test must run here"
  code=4
fi
echo "$code" > "$OUT/exit-code"
