#!/usr/bin/env bash
# The workshop's command line. The repository's launcher runs it as `./rabbithole lab ...`; it also works alone:
#   labs/lab.sh list              the labs, by number and title
#   labs/lab.sh doctor            what this machine lacks for each lab, with the fix (run it as root, before the day)
#   labs/lab.sh start N           write lab N's skeleton to labs/work/labNN/LabNN.java, where you edit it
#   labs/lab.sh check N           compile your lab N and check it, as root: one line per property, exit 0 when all hold
#   labs/lab.sh solve N [--show]  show the reference solution as a diff against your code; without --show, apply it
#   labs/lab.sh reset N           put the untouched skeleton back (your version is kept under labs/work/backups)
#   labs/lab.sh reset --to N      start over from lab N's skeleton: your labs N..16 are moved aside to labs/work/backups
#   labs/lab.sh status            check every lab you started, as root: which pass now
#   labs/lab.sh run N ARGS...     run your lab N's program by hand, e.g. run 04 run --rootfs ROOTFS -- sh
#   labs/lab.sh rootfs DIR        build a busybox root filesystem in DIR for `run`
set -euo pipefail

LABS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$LABS")"
JAR="$LABS/target/rabbithole-labs.jar"
# the attendee's work: ignored by git and outside target/, so `mvn clean` never deletes it
WORK="$LABS/work"

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

# `run N --help`: the commands of your lab N's runtime (the usage line of its main) and the options of `run`
run_help() {
  local n="$1" line master=LabRuntime
  (( 10#$n >= 16 )) && master=LabShim
  local src="$WORK/lab$n/Lab$n.java"
  # before `lab start N`, the master's usage line, which every lab's class of that master shares
  [ -f "$src" ] || src="$LABS/master/$master.java"
  line="$(grep -o 'usage: [^"]*' "$src" | head -n 1 | sed "s/$master/Lab$n/g" || true)"
  if [ "$master" = LabShim ]; then
    echo "usage: labs/lab.sh run $n ${line#usage: } (as root), your Lab$n, the heart of a shim"
    echo "  DIR gets stdout (the FIFO), stdout.log (what the workload printed), pid and exit (its exit status)"
    echo "example: labs/lab.sh run $n shim shim1 -- sh -c 'echo hi; sleep 2; exit 7'; cat shim1/stdout.log shim1/exit"
    exit 0
  fi
  echo "usage: labs/lab.sh run $n COMMAND [ARG]... (as root), where COMMAND is one of your Lab$n's:"
  echo "  ${line#usage: }"
  echo "options of run and busybox (each takes a value; what your lab does not implement yet is ignored):"
  echo "  --name NAME  --rootfs DIR  --hostname NAME  --memory BYTES  --pids N  --cpu-quota MICROSECONDS"
  echo "  --caps CAP,...  --seccomp-deny SYSCALL,...  --ip CIDR  --peer-ip CIDR  --peer-netns NAME"
  echo "  --bridge NAME  --publish HOSTPORT:PORT"
  echo "  --volume SRC:DST:private|slave|shared  --layer DIR  --upper DIR  --work DIR  --sync FIFO"
  echo "example: labs/lab.sh run $n run --rootfs ROOTFS -- sh"
  exit 0
}

lab_number() {
  [[ "${1:-}" =~ ^[0-9]{1,2}$ ]] && (( 10#$1 >= 1 && 10#$1 <= 16 )) || { echo "labs are numbered 01 to 16, not '${1:-}'" >&2; exit 2; }
  printf '%02d' "$((10#$1))"
}

need_root() {
  [ "$(id -u)" = 0 ] || { echo "the labs create namespaces, cgroups, mounts and veths: run this as root (sudo)" >&2; exit 1; }
}

# the support library and the checkers; rebuilt when their sources are newer than the jar
build() {
  if [ ! -f "$JAR" ] || [ -n "$(find "$LABS/src/main" "$LABS/master" "$LABS/pom.xml" -newer "$JAR" -print -quit)" ]; then
    echo "building the labs' support library and checkers (mvn -pl labs -am package)..." >&2
    (cd "$ROOT" && mvn -q -pl labs -am -DskipTests package) >&2
  fi
}

# generated N skeleton|solution: lab N's skeleton or reference, generated from the master in the labs jar
generated() {
  build
  java -jar "$JAR" source "$((10#$1))" "$2"
}

# your_lab N: the attendee's file for lab N; says how to start it when it is missing
your_lab() {
  local f="$WORK/lab$1/Lab$1.java"
  [ -f "$f" ] || { echo "lab $1 is not started: ./rabbithole lab start $1 writes its skeleton to ${f#"$ROOT"/}" >&2; exit 1; }
  printf '%s\n' "$f"
}

# put N TEXT-FILE: install a generated file as the attendee's lab N
put() {
  mkdir -p "$WORK/lab$1" && cp "$2" "$WORK/lab$1/Lab$1.java"
}

backup() {
  local n="$1" f="$WORK/lab$1/Lab$1.java"
  if [ -f "$f" ]; then
    mkdir -p "$WORK/backups"
    local b="$WORK/backups/Lab$n.java.$(date +%Y%m%d-%H%M%S)"
    cp "$f" "$b" && echo "your version is saved as ${b#"$ROOT"/}"
  fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  list)
    build
    java -jar "$JAR" list
    ;;
  doctor)
    # what the build itself needs, before anything is built
    for tool in java javac mvn; do
      command -v "$tool" >/dev/null || { echo "[--] $tool is missing: install a JDK 17 or later and Maven (apt-get install openjdk-17-jdk maven)" >&2; exit 1; }
    done
    build
    exec java -jar "$JAR" doctor
    ;;
  start)
    n="$(lab_number "${1:-}")"
    f="$WORK/lab$n/Lab$n.java"
    if [ -f "$f" ]; then
      echo "lab $n is already started: edit ${f#"$ROOT"/} (./rabbithole lab reset $n starts it over)" >&2; exit 1
    fi
    tmp="$(mktemp)"; trap 'rm -f "$tmp"' EXIT
    generated "$n" skeleton >"$tmp" && put "$n" "$tmp"
    echo "lab $n: edit ${f#"$ROOT"/} (look for TODO(lab $n)), then: sudo ./rabbithole lab check $n"
    ;;
  check)
    n="$(lab_number "${1:-}")"
    need_root; f="$(your_lab "$n")"; build
    exec java -jar "$JAR" check "$n" --source "$(dirname "$f")"
    ;;
  solve)
    n="$(lab_number "${1:-}")"
    tmp="$(mktemp)"; trap 'rm -f "$tmp"' EXIT
    generated "$n" solution >"$tmp"
    mine="$WORK/lab$n/Lab$n.java"; [ -f "$mine" ] || mine=/dev/null
    diff -u --label "your Lab$n.java" --label "reference Lab$n.java" "$mine" "$tmp" || true
    if [ "${2:-}" != "--show" ]; then
      backup "$n"
      put "$n" "$tmp"
      echo "applied the reference solution of lab $n; now: sudo ./rabbithole lab check $n"
    fi
    ;;
  reset)
    if [ "${1:-}" = "--to" ]; then
      n="$(lab_number "${2:-}")"
      tmp="$(mktemp)"; trap 'rm -f "$tmp"' EXIT
      generated "$n" skeleton >"$tmp"
      aside="$WORK/backups/from-lab$n-$(date +%Y%m%d-%H%M%S)"
      for m in $(seq "$((10#$n))" 16); do
        mm="$(printf '%02d' "$m")"
        if [ -d "$WORK/lab$mm" ]; then
          mkdir -p "$aside" && mv "$WORK/lab$mm" "$aside/lab$mm" && echo "lab $mm moved aside to ${aside#"$ROOT"/}/lab$mm"
        fi
      done
      put "$n" "$tmp"
      echo "lab $n is back to its skeleton and labs after it are not started: edit ${WORK#"$ROOT"/}/lab$n/Lab$n.java"
      exit 0
    fi
    n="$(lab_number "${1:-}")"
    tmp="$(mktemp)"; trap 'rm -f "$tmp"' EXIT
    generated "$n" skeleton >"$tmp"
    backup "$n"
    put "$n" "$tmp"
    echo "lab $n is back to its skeleton"
    ;;
  status)
    need_root; build
    echo "checking every lab you started (a few seconds each)..." >&2
    exec java -jar "$JAR" status "$WORK"
    ;;
  run)
    n="$(lab_number "${1:-}")"; shift
    case "${1:-}" in ''|-h|--help|help) run_help "$n" ;; esac
    need_root; f="$(your_lab "$n")"; build
    out="$LABS/target/lab-classes/lab$n"
    rm -rf "$out" && mkdir -p "$out/classes"
    javac -nowarn -proc:none -d "$out/classes" -cp "$JAR" "$(dirname "$f")"/*.java
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
