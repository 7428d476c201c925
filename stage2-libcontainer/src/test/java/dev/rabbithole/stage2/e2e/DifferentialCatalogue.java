package dev.rabbithole.stage2.e2e;

import java.util.List;

import static dev.rabbithole.stage2.e2e.DiffEntry.entry;

/**
 * The docker CLI invocations that {@link DockerDifferentialIT} runs against Debian's dockerd, stage 1 and stage 2
 * (and stage 3's module against stage 3), each with what each stage is expected to show beside Docker: MATCH (the default) or DIFFERS with the reason.
 * Docker's result is the expected value; nothing here states what Docker prints.
 *
 * <p>Each entry names its containers {@code dt-NAME...} and removes the ones it leaves running. The image is
 * {@code busybox}, the same layer on all three engines. "#N" refers to the item of issue 7 an entry covers; items
 * 11 (fd leak), 12 (SIGINT), 13 (permission messages), 14 (our own client's flags) and 16 (log noise, {@code help})
 * cannot be seen through the docker CLI and are tested where they are fixed; {@code --privileged} (#1) is left out
 * because where the test machine's capability bounding set lacks capabilities the kernel knows, Docker itself
 * fails to start a privileged container ("unable to apply caps").
 */
public final class DifferentialCatalogue {

    private DifferentialCatalogue() { }

    /** Why stage 1's process tree differs from Docker's, in every entry that shows it. */
    private static final String LXC_INIT = "stage 1 runs each container under lxc-execute, whose init (lxc-init) is "
            + "pid 1 and the workload pid 2";

    /** The entries, in the order each engine runs them. */
    public static final List<DiffEntry> ENTRIES = only(List.of(
            // ---- the basics -------------------------------------------------------------------------------
            entry("echo", "run prints the command's output")
                    .docker("run --rm busybox echo hello").build(),
            entry("exit0", "exit code 0")
                    .docker("run --rm busybox true").build(),
            entry("exit3", "the workload's exit code")
                    .docker("run --rm busybox sh -c 'exit 3'").build(),
            entry("exit125", "a request the daemon refuses: 125")
                    .docker("run --rm --name dt/bad busybox true").build(),
            entry("exit126", "not executable: 126")
                    .docker("run --rm busybox /etc/passwd").build(),
            entry("exit127", "no such command: 127")
                    .docker("run --rm busybox nosuchcommand").build(),
            entry("env", "-e")
                    .docker("run --rm -e FOO=bar busybox sh -c 'echo $FOO; echo $PATH'").build(),
            entry("workdir", "-w, created when missing")
                    .docker("run --rm -w /tmp/a/b busybox pwd").build(),
            entry("user", "-u by name, from the image's /etc/passwd (#3: groups)")
                    .docker("run --rm -u nobody busybox id").build(),
            entry("userid", "-u UID:GID")
                    .docker("run --rm -u 1000:1000 busybox id").build(),
            entry("hostname", "--hostname")
                    .docker("run --rm --hostname dt-host busybox hostname").build(),
            entry("hostname-default", "the default hostname is the short ID")
                    .docker("run --rm busybox hostname").build(),
            entry("memory", "-m: the cgroup limit seen from inside")
                    .docker("run --rm -m 64m busybox sh -c "
                            + "'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes'")
                    .build(),
            entry("cgroup-fs", "/sys/fs/cgroup: the container's own cgroups, read-only")
                    .docker("run --rm busybox sh -c 'ls /sys/fs/cgroup; stat -c %a /sys/fs/cgroup'")
                    .docker("run --rm busybox grep -c ' /sys/fs/cgroup/[a-z_,=]* ro,nosuid,nodev,noexec' "
                            + "/proc/self/mountinfo")
                    .docker("run --rm -m 64m busybox sh -c 'echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes; "
                            + "echo 1 > /sys/fs/cgroup/memory/release_agent; mkdir /sys/fs/cgroup/memory/x'")
                    .compareStderr()
                    .stage1Differs("LXC's cgroup:ro automount has its own layout: a tmpfs of mode 755 and the "
                            + "hybrid host's cgroup2 at unified too").build(),
            entry("seccomp-caps", "the default seccomp filter and capability set")
                    .docker("run --rm busybox grep -E '^(Seccomp|NoNewPrivs|CapInh|CapPrm|CapEff|CapBnd|CapAmb):' "
                            + "/proc/self/status").build(),
            entry("cap-drop", "--cap-drop NET_RAW and ALL")
                    .docker("run --rm --cap-drop NET_RAW busybox grep ^CapEff: /proc/self/status")
                    .docker("run --rm --cap-drop ALL busybox grep ^CapEff: /proc/self/status").build(),
            entry("cap-add", "--cap-add NET_ADMIN")
                    .docker("run --rm --cap-add NET_ADMIN busybox grep ^CapEff: /proc/self/status").build(),
            entry("pid1", "the workload is pid 1 of its own pid namespace")
                    .docker("run --rm busybox sh -c 'echo $$'")
                    .stage1Differs(LXC_INIT).build(),
            entry("rm-f", "rm -f of a running container")
                    .docker("run -d --name dt-rmf busybox sleep 60")
                    .docker("rm -f dt-rmf")
                    .docker("ps -a -q --filter name=dt-rmf").build(),
            entry("ps", "ps of a running container")
                    .docker("run -d --name dt-ps busybox sleep 60")
                    .dockerGrep("ps --format '{{.Names}}|{{.Image}}|{{.Command}}|{{.Status}}'", "dt-ps")
                    .docker("rm -f dt-ps").build(),
            entry("ps-exited", "ps -a of an exited container")
                    .docker("run --name dt-psx busybox sh -c 'exit 2'")
                    .dockerGrep("ps -a --format '{{.Names}}|{{.Status}}'", "dt-psx").build(),
            entry("logs", "logs: stdout and stderr kept apart")
                    .docker("run --name dt-logs busybox sh -c 'echo out; echo err >&2'")
                    .docker("logs dt-logs").compareStderr().build(),
            entry("stop", "stop: SIGTERM, then SIGKILL after -t seconds (sleep as pid 1 ignores SIGTERM)")
                    .docker("run -d --name dt-stop busybox sleep 60")
                    .docker("stop -t 1 dt-stop")
                    .docker("inspect -f '{{.State.Status}} {{.State.ExitCode}}' dt-stop")
                    .stage1Differs(LXC_INIT + ": SIGTERM ends the sleep (143) where Docker's pid-1 sleep ignores it "
                            + "and is killed (137)").build(),
            entry("kill", "kill, then wait prints 137")
                    .docker("run -d --name dt-kill busybox sleep 60")
                    .docker("kill dt-kill")
                    .docker("wait dt-kill").build(),
            entry("wait", "wait prints the exit code")
                    .docker("run -d --name dt-wait busybox sh -c 'exit 4'")
                    .docker("wait dt-wait").build(),
            entry("inspect", "inspect fields")
                    .docker("run --name dt-insp -e A=b --hostname dt-ih -w /tmp -m 32m busybox sh -c 'exit 6'")
                    .docker("inspect -f '{{.Name}}|{{.State.Status}}|{{.State.ExitCode}}|{{.State.Running}}|"
                            + "{{.State.OOMKilled}}|{{.Config.Image}}|{{.Config.Cmd}}|{{.Config.Env}}|"
                            + "{{.Config.Hostname}}|{{.Config.WorkingDir}}|{{.HostConfig.Memory}}|{{.RestartCount}}|"
                            + "{{.Path}}|{{.Args}}|{{.State.Pid}}' dt-insp")
                    .build(),
            entry("env-order", "the workload's environment in Docker's order; -e PATH replaces the image's "
                    + "(one -e each: the docker CLI may reorder several)")
                    .docker("run --rm --hostname dt-env -e A=b busybox env")
                    .docker("run --rm --hostname dt-env -e PATH=/bin:/usr/bin busybox env")
                    .docker("create --name dt-envc -e PATH=/bin busybox")
                    .docker("inspect -f '{{.Config.Env}}' dt-envc")
                    .docker("rm dt-envc")
                    .stage1Differs("LXC adds container=lxc to the workload's environment").build(),
            entry("image-inspect", "image inspect: the same config on every engine")
                    .docker("image inspect -f '{{.Os}}|{{.Architecture}}|{{.Config.Cmd}}|{{.Config.Env}}|"
                            + "{{len .RootFS.Layers}}' busybox").build(),
            entry("images-size", "#8: images shows the unpacked size")
                    .docker("images --format '{{.Repository}}|{{.Tag}}|{{.Size}}' busybox").keepSizes().build(),
            entry("version-api", "version: the API version and platform")
                    .docker("version --format '{{.Server.APIVersion}}|{{.Server.Os}}|{{.Server.Arch}}'").build(),

            // ---- issue 7 -----------------------------------------------------------------------------------
            entry("device-fuse", "#1: mknod of a char device works, opening it does not")
                    .docker("run --rm busybox sh -c "
                            + "'mknod /tmp/fuse c 10 229 && (dd if=/tmp/fuse count=0 2>/dev/null && echo opened || echo denied)'")
                    .build(),
            entry("device-loop", "#1: mknod of a block device works, opening it does not")
                    .docker("run --rm busybox sh -c "
                            + "'mknod /tmp/loop0 b 7 0 && (dd if=/tmp/loop0 count=0 2>/dev/null && echo opened || echo denied)'")
                    .build(),
            entry("device-null", "#1: the standard nodes of /dev can be opened")
                    .docker("run --rm busybox sh -c "
                            + "'echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c'")
                    .build(),
            entry("device-add", "#1: --device gives a host device, with its rule")
                    .docker("run --rm --device /dev/null:/dev/xnull busybox sh -c "
                            + "'echo x > /dev/xnull && ls -l /dev/xnull | cut -c1-10'").build(),
            entry("seccomp-cap-sysadmin", "#2: --cap-add SYS_ADMIN allows unshare (capability-conditional seccomp)")
                    .docker("run --rm --cap-add SYS_ADMIN busybox unshare -u true").build(),
            entry("seccomp-no-sysadmin", "#2: without SYS_ADMIN, unshare is refused")
                    .docker("run --rm busybox unshare -u true").build(),
            entry("groups", "#3: supplementary groups of root")
                    .docker("run --rm busybox id")
                    .docker("run --rm busybox grep ^Groups: /proc/self/status").build(),
            entry("group-add", "#3: --group-add by number and by name")
                    .docker("run --rm --group-add 1234 --group-add nogroup busybox id").build(),
            entry("loopback", "#4: lo is up")
                    .docker("run --rm busybox sh -c 'ping -c1 -W2 127.0.0.1 >/dev/null && echo reachable'").build(),
            entry("oom", "#5: OOMKilled after the kernel's OOM killer ended the workload")
                    .docker("run --name dt-oom -m 8m busybox sh -c 'x=a; while :; do x=$x$x; done'")
                    .docker("inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' dt-oom").build(),
            entry("etc-files", "#6: /etc/hosts, /etc/resolv.conf, /etc/hostname are there")
                    .docker("run --rm --hostname dt-eh busybox sh -c "
                            + "'ls /etc/hosts /etc/resolv.conf /etc/hostname && cat /etc/hostname && grep -c localhost /etc/hosts'")
                    .build(),
            entry("state-pid", "#6: State.Pid is the workload: nsenter to it sees the container's hostname")
                    .docker("run -d --name dt-pid --hostname dt-pid-host busybox sleep 60")
                    .quiet("inspect -f '{{.State.Pid}}' dt-pid")
                    .host("nsenter -t {last} -u hostname")
                    .docker("rm -f dt-pid").build(),
            entry("stop-signal", "#7: --stop-signal: stop sends it")
                    .docker("run -d --name dt-sig --stop-signal USR1 busybox sh -c "
                            + "'trap \"echo got-usr1; exit 5\" USR1; echo ready; while :; do sleep 0.2; done'")
                    .await("logs dt-sig", "ready")
                    .docker("stop dt-sig")
                    .docker("inspect -f '{{.State.ExitCode}}' dt-sig")
                    .docker("logs dt-sig").build(),
            entry("stop-timeout", "#7: --stop-timeout: stop kills after it, not after 10 s")
                    .docker("run -d --name dt-sto --stop-timeout 1 busybox sh -c "
                            + "'trap \"\" TERM; echo ready; while :; do sleep 0.2; done'")
                    .await("logs dt-sto", "ready")
                    .timed("stop dt-sto", 6)
                    .docker("inspect -f '{{.State.ExitCode}} {{.Config.StopTimeout}}' dt-sto").build(),
            entry("init", "#7: --init: pid 1 is docker-init, the workload its child")
                    .docker("run --rm --init busybox cat /proc/1/comm")
                    .dockerGrep("run --rm --init busybox ps -o pid,comm", " 1 ")
                    .stage1Differs(LXC_INIT + " with or without --init (issue 7 asks docker-init of stage 2)").build(),
            entry("platform", "#7: --platform that does not match the image is refused")
                    .docker("run --rm --pull never --platform linux/arm64 busybox true").build(),
            entry("images-q", "#8: images -q busybox lists only busybox")
                    .docker("images -q busybox")
                    .docker("images -q nosuchimage").build(),
            entry("images-dangling", "#8: images -f dangling=true")
                    .docker("images -q -f dangling=true")
                    .docker("images --format '{{.Repository}}' -f reference=busy*")
                    .docker("images -q -f reference=nomatch*").build(),
            entry("logs-since", "#8: logs --since/--until")
                    .docker("run --name dt-since busybox echo old")
                    .docker("logs --since 2099-01-01T00:00:00Z dt-since")
                    .docker("logs --until 2000-01-01T00:00:00Z dt-since")
                    .docker("logs --since 2000-01-01T00:00:00Z dt-since").build(),
            entry("ps-command", "#8: ps COMMAND keeps the quoting of arguments")
                    .docker("run --name dt-cmd busybox sh -c 'exit 2'")
                    .dockerGrep("ps -a --format '{{.Names}} {{.Command}}'", "dt-cmd")
                    .dockerGrep("ps -a --no-trunc --format '{{.Names}} {{.Command}}'", "dt-cmd").build(),
            entry("save-load", "#9: save, then load the archive back")
                    .docker("save -o {tmp}/busybox.tar busybox")
                    .docker("load -i {tmp}/busybox.tar")
                    .docker("images -q busybox").build(),
            entry("failed-start", "#10: a failed start leaves the container Created, with State.Error")
                    .docker("create --name dt-fail busybox /nonexistent")
                    .docker("start dt-fail")
                    .docker("inspect -f '{{.State.Status}} {{.State.ExitCode}} {{if .State.Error}}error-set{{end}}' dt-fail")
                    .build(),
            entry("version-name", "#15: version and info name the engine itself")
                    .docker("version --format '{{.Server.Version}}'")
                    .docker("info --format '{{.ServerVersion}}'").build(),
            entry("run-i", "stage 3 item 3: run -i: the workload's stdin is a pipe from the client (here /dev/null)")
                    .docker("run -i --rm busybox sh -c 'cat; echo end; readlink /proc/self/fd/0 | cut -c1-5'")
                    .stage1Differs("stage 1's LXC driver gives the workload no stdin: -i is refused").build(),
            entry("events", "stage 3 item 4: docker events of a container's life, with dockerd's fields")
                    .docker("run --name dt-ev --label team=a busybox sh -c 'exit 2'")
                    .docker("rm dt-ev")
                    .host("sleep 1.2")       // the CLI sends --until in whole seconds: let the last event's second pass
                    .docker("events --since 2m --until 0s --filter type=container --filter container=dt-ev --format "
                            + "'{{.Type}} {{.Action}} {{.Scope}} {{.Actor.ID}} "
                            + "{{range $k, $v := .Actor.Attributes}}{{$k}}={{$v}} {{end}}'").build(),
            entry("restart-refusals", "issue 12 item 3: bad restart policies refused with dockerd's messages")
                    .docker("run -d --restart bogus busybox true")
                    .docker("run -d --restart always:3 busybox true")
                    .docker("run -d --restart on-failure:-1 busybox true").compareStderr().build(),
            entry("rename", "issue 12 item 3: rename, and its refusals (a name in use, the same name, a bad name)")
                    .docker("create --name dt-rn1 busybox true")
                    .docker("create --name dt-rn2 busybox true")
                    .docker("rename dt-rn1 dt-rn2")
                    .docker("rename dt-rn1 dt-rn1")
                    .docker("rename dt-rn1 dt/rn")
                    .docker("rename dt-rn1 dt-rn3")
                    .docker("ps -a --filter name=dt-rn --format '{{.Names}}'")
                    .docker("rm dt-rn2 dt-rn3").compareStderr().build(),
            entry("exec-errors", "stage 3 item 2: docker exec's errors: no such container, a container not running")
                    .docker("exec dt-nosuch true")
                    .docker("create --name dt-exs busybox true")
                    .docker("exec dt-exs true")
                    .docker("rm dt-exs").compareStderr().build(),
            entry("volume-named", "issue 12 item 1: a named volume outlives its container; in use it cannot be removed")
                    .docker("volume create dt-vol")
                    .docker("run --name dt-vol -v dt-vol:/data busybox sh -c 'echo kept > /data/f'")
                    .docker("volume rm dt-vol")
                    .docker("rm dt-vol")
                    .docker("run --rm -v dt-vol:/data busybox cat /data/f")
                    .docker("volume rm dt-vol")
                    .docker("volume inspect -f '{{.Name}} {{.Driver}} {{.Scope}}' dt-vol").build(),
            entry("read-only", "issue 12 item 1: --read-only refuses /etc, --tmpfs /tmp stays writable")
                    .docker("run --rm --read-only busybox sh -c 'touch /etc/x 2>&1; echo $?'")
                    .docker("run --rm --read-only --tmpfs /tmp busybox sh -c 'touch /tmp/x && echo written'")
                    .build(),
            entry("mount-errors", "issue 12 item 1: a duplicate destination, a --mount bind source that does not exist")
                    .docker("create -v dt-a:/x -v dt-b:/x busybox true")
                    .docker("create --mount type=bind,source=/nonexistent/dt,target=/x busybox true")
                    .compareStderr().build(),
            entry("exec", "stage 3 item 2: docker exec in a running container")
                    .docker("run -d --name dt-exec busybox sleep 60")
                    .docker("exec dt-exec sh -c 'echo in; exit 3'")
                    .docker("rm -f dt-exec")
                    .bothDiffer("exec comes with stage 3: stages 1 and 2 answer 501, naming the stage")
                    .build(),

            // ---- issue 12: docker cp ------------------------------------------------------------------------
            entry("cp-roundtrip", "issue 12 item 2: docker cp out of and into a stopped container, and back")
                    .docker("create --name dt-cp busybox true")
                    .docker("cp dt-cp:/etc/passwd {tmp}/passwd")
                    .docker("cp {tmp}/passwd dt-cp:/tmp/copied")
                    .docker("cp dt-cp:/tmp/copied {tmp}/back")
                    .host("cat {tmp}/back")
                    // a directory onto a file: refused by the CLI (its stderr may carry a tar goroutine's log line)
                    .docker("cp {tmp} dt-cp:/etc/passwd")
                    .docker("rm dt-cp").build(),
            entry("cp-symlink-root", "issue 12 item 2: a symlink to / in the container gives the container's file")
                    .docker("run --name dt-cpl busybox sh -c 'ln -s / /target && echo container-file > /etc/shadow'")
                    .docker("cp dt-cpl:/target/etc/shadow {tmp}/shadow")
                    .host("cat {tmp}/shadow")
                    .docker("rm dt-cpl").build(),
            entry("cp-refusals", "issue 12 item 2: docker cp's errors")
                    .docker("create --name dt-cpe busybox true")
                    .docker("cp dt-cpe:/nonexist {tmp}/x")
                    .docker("rm dt-cpe").compareStderr().build(),
            entry("pause", "issue 12 item 3: pause and unpause, a paused container's state and refusals")
                    .docker("run -d --name dt-pause busybox sleep 60")
                    .docker("pause dt-pause")
                    .docker("inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Paused}}' dt-pause")
                    .docker("pause dt-pause")
                    .docker("exec dt-pause true")
                    .docker("rm dt-pause")
                    .docker("unpause dt-pause")
                    .docker("unpause dt-pause")
                    .docker("inspect -f '{{.State.Status}} {{.State.Paused}}' dt-pause")
                    .docker("rm -f dt-pause").compareStderr().build(),
            entry("pause-errors", "issue 12 item 3: pause, unpause and top of a container that does not run")
                    .docker("create --name dt-pz busybox true")
                    .docker("pause dt-pz")
                    .docker("unpause dt-pz")
                    .docker("top dt-pz")
                    .docker("rm dt-pz").compareStderr().build(),
            entry("update", "issue 12 item 3: update's checks and the stored limits")
                    .docker("run -d --name dt-upd busybox sleep 60")
                    .docker("update --memory 64m dt-upd")
                    .docker("update --memory 2m dt-upd")
                    .docker("update --memory 64m --memory-swap 128m --pids-limit 20 dt-upd")
                    .docker("inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}' dt-upd")
                    .docker("rm -f dt-upd").compareStderr().build(),
            entry("top", "issue 12 item 3: top's errors: ps options without a PID column, options ps refuses")
                    .docker("run -d --name dt-top busybox sleep 60")
                    .docker("top dt-top -o comm,args")
                    .docker("top dt-top -o bogus")
                    .docker("rm -f dt-top").compareStderr().build()));

    /**
     * The entries to run: all, or those named in the system property {@code rabbithole.diff.only}
     * (comma-separated), to check a few entries without the whole catalogue.
     */
    private static List<DiffEntry> only(List<DiffEntry> all) {
        String only = System.getProperty("rabbithole.diff.only", "");
        if (only.isBlank()) {
            return all;
        }
        List<String> names = List.of(only.split(","));
        return all.stream().filter(e -> names.contains(e.name())).toList();
    }
}
