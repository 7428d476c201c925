#!/usr/bin/env bash
# The workshop's command line. The repository's launcher runs it as `./rabbithole lab ...`; it also works alone:
#   labs/lab.sh list              the labs, by number and title
#   labs/lab.sh check N           compile your lab N and check it, as root: one line per property, exit 0 when all hold
#   labs/lab.sh solve N [--show]  show the reference solution as a diff against your code; without --show, apply it
#   labs/lab.sh reset N           put the untouched skeleton back (your version is kept under labs/target/backups)
#   labs/lab.sh run N ARGS...     run your lab N's runtime by hand, e.g. run 04 run --rootfs ROOTFS -- sh
#   labs/lab.sh rootfs DIR        build a busybox root filesystem in DIR for `run`
set -euo pipefail

LABS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$LABS")"
JAR="$LABS/target/rabbithole-labs.jar"
WORK="$LABS/src/main/java/dev/rabbithole/labs"

usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

# `run N --help`: the commands of your lab N's runtime (the usage line of its main) and the options of `run`
run_help() {
  local n="$1" line
  line="$(grep -o 'usage: [^"]*' "$WORK/lab$n/Lab$n.java" | head -n 1)"
  echo "usage: labs/lab.sh run $n COMMAND [ARG]... (as root), where COMMAND is one of your Lab$n's:"
  echo "  ${line#usage: }"
  echo "options of run and busybox (each takes a value; what your lab does not implement yet is ignored):"
  echo "  --name NAME  --rootfs DIR  --hostname NAME  --memory BYTES  --pids N  --cpu-quota MICROSECONDS"
  echo "  --caps CAP,...  --seccomp-deny SYSCALL,...  --ip CIDR  --peer-ip CIDR  --peer-netns NAME"
  echo "  --volume SRC:DST:private|slave|shared  --layer DIR  --upper DIR  --work DIR  --sync FIFO"
  echo "example: labs/lab.sh run $n run --rootfs ROOTFS -- sh"
  exit 0
}

lab_number() {
  [[ "${1:-}" =~ ^[0-9]{1,2}$ ]] && (( 10#$1 >= 1 && 10#$1 <= 12 )) || { echo "labs are numbered 01 to 12, not '${1:-}'" >&2; exit 2; }
  printf '%02d' "$((10#$1))"
}

need_root() {
  [ "$(id -u)" = 0 ] || { echo "the labs create namespaces, cgroups, mounts and veths: run this as root (sudo)" >&2; exit 1; }
}

# the support library and the checkers; rebuilt when their sources are newer than the jar
build() {
  if [ ! -f "$JAR" ] || [ -n "$(find "$WORK/support" "$WORK/check" "$LABS/pom.xml" -newer "$JAR" -print -quit)" ]; then
    echo "building the labs' support library and checkers (mvn -pl labs -am package)..." >&2
    (cd "$ROOT" && mvn -q -pl labs -am -DskipTests package) >&2
  fi
}

backup() {
  local n="$1" f="$WORK/lab$1/Lab$1.java"
  if [ -f "$f" ]; then
    mkdir -p "$LABS/target/backups"
    local b="$LABS/target/backups/Lab$n.java.$(date +%Y%m%d-%H%M%S)"
    cp "$f" "$b" && echo "your version is saved as ${b#"$ROOT"/}"
  fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  list)
    build
    java -jar "$JAR" list
    ;;
  check)
    n="$(lab_number "${1:-}")"
    need_root; build
    exec java -jar "$JAR" check "$n" --source "$WORK/lab$n"
    ;;
  solve)
    n="$(lab_number "${1:-}")"
    sol="$LABS/solutions/lab$n/Lab$n.java"
    diff -u --label "your Lab$n.java" --label "reference Lab$n.java" "$WORK/lab$n/Lab$n.java" "$sol" || true
    if [ "${2:-}" != "--show" ]; then
      backup "$n"
      mkdir -p "$WORK/lab$n" && cp "$sol" "$WORK/lab$n/Lab$n.java"
      echo "applied the reference solution of lab $n; now: ./rabbithole lab check $n"
    fi
    ;;
  reset)
    n="$(lab_number "${1:-}")"
    backup "$n"
    mkdir -p "$WORK/lab$n" && cp "$LABS/skeletons/lab$n/Lab$n.java" "$WORK/lab$n/Lab$n.java"
    echo "lab $n is back to its skeleton"
    ;;
  run)
    n="$(lab_number "${1:-}")"; shift
    case "${1:-}" in ''|-h|--help|help) run_help "$n" ;; esac
    need_root; build
    out="$LABS/target/lab-classes/lab$n"
    rm -rf "$out" && mkdir -p "$out/classes"
    javac -nowarn -proc:none -d "$out/classes" -cp "$JAR" "$WORK/lab$n"/*.java
    # a jar, not a directory: classes must stay loadable after pivot_root
    (cd "$out/classes" && jar cf "$out/lab.jar" .)
    exec java -cp "$out/lab.jar:$JAR" "dev.rabbithole.labs.lab$n.Lab$n" "$@"
    ;;
  rootfs)
    [ -n "${1:-}" ] || usage
    need_root; build
    exec java -jar "$JAR" rootfs "$1"
    ;;
  help|-h|--help) usage 0 ;;
  *) usage ;;
esac
