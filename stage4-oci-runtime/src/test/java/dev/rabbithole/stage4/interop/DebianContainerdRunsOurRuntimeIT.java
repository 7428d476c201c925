package dev.rabbithole.stage4.interop;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 14 part 2, containerd: Debian's containerd 1.6 and its own shim, {@code containerd-shim-runc-v2}, run
 * stage 4's runtime as their runc ({@code ctr run --runc-binary bin/rabbithole-runc}, the shim's runc option
 * {@code BinaryName}): a busybox image imported with {@code ctr image import}; output and exit codes
 * ({@code exit 7} is 7, SIGKILL 137); {@code ctr task exec} with its exit code; {@code ctr task kill} with the
 * default SIGTERM and with SIGKILL; {@code -t}, a terminal inside (the client in a pseudo-terminal of script(1));
 * and what the container sees (capabilities, seccomp, cgroups, mounts) the same under ours as under Debian's runc.
 *
 * <p>One containerd for the class, on a temporary directory, the CRI plugin off; the runtime's state under a
 * root of the test's own ({@code --runc-root}). Skipped when not root or a binary is missing.
 */
class DebianContainerdRunsOurRuntimeIT {

    static DebianContainerd containerd;
    static Path runcRoot;

    @BeforeAll
    static void start() throws Exception {
        DebianContainerd.assumeCanRun();
        containerd = new DebianContainerd(String.join("\n",
                "[plugins.\"io.containerd.grpc.v1.cri\"]", "  disable = true", ""));
        containerd.importBusybox();
        runcRoot = Files.createDirectories(containerd.dir.resolve("runc"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (containerd != null) {
            String log = containerd.log();
            containerd.close();
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(containerd.dir.toString());
            System.out.println("Debian containerd's log (its last 40 lines):\n"
                    + String.join("\n", tail(log.lines().toList(), 40)));
        }
    }

    /** {@code ctr run} with our runtime: {@code --runc-binary OURS --runc-root ROOT}, then ARGS. */
    static List<String> runWith(String runtime, String... args) {
        List<String> cmd = new ArrayList<>(List.of("run"));
        if (runtime != null) {
            cmd.addAll(List.of("--runc-binary", runtime));
        }
        cmd.addAll(List.of("--runc-root", runcRoot.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static DebianContainerd.Result ctr(List<String> args) throws Exception {
        return containerd.ctr(args.toArray(String[]::new));
    }

    static String ours() {
        return DebianContainerd.OURS.toString();
    }

    @Test
    void runGivesTheOutputAndTheExitCode() throws Exception {
        DebianContainerd.Result r = ctr(runWith(ours(), "--rm", DebianContainerd.IMAGE, "exit7",
                "sh", "-c", "echo hi as $(id -u) in $(pwd); exit 7"));
        assertThat(r.status()).as(r.toString()).isEqualTo(7);
        assertThat(r.out()).isEqualTo("hi as 0 in /\n");
        DebianContainerd.Result ok = ctr(runWith(ours(), "--rm", DebianContainerd.IMAGE, "true0", "true"));
        assertThat(ok.status()).as(ok.toString()).isZero();
        DebianContainerd.Result missing = ctr(runWith(ours(), "--rm", DebianContainerd.IMAGE, "nocmd", "nosuchcommand"));
        assertThat(missing.status()).as("a command missing from the image: create fails").isNotZero();
        assertThat(missing.err()).as(missing.toString()).contains("nosuchcommand");
        assertThat(ctr(List.of("containers", "ls", "-q")).out()).doesNotContain("exit7").doesNotContain("true0");
        assertThat(runcRoot.resolve(DebianContainerd.NS).resolve("exit7")).doesNotExist();
    }

    @Test
    void theContainerSeesWhatItSeesUnderDebiansRunc() throws Exception {
        // each line's output under Debian's runc is the expected value
        String probe = "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|Seccomp|NoNewPrivs):' /proc/self/status; "
                + "echo pid $$; hostname; cat /proc/sys/kernel/hostname; id; "
                + "sed -n 's/^[0-9]*:\\([^:]*\\):.*/\\1/p' /proc/self/cgroup | sort | tr '\\n' ' '; echo; "
                + "awk '{print $2, $3}' /proc/self/mounts | grep -v '^/sys/fs/cgroup/' | sort; "
                + "ls /dev | tr '\\n' ' '; echo; "
                + "touch /proc/sysrq-trigger 2>&1 | sed 's/.*: //'; cat /proc/kcore 2>&1 | head -c 0; echo kcore $?";
        // ctr's defaults (no seccomp), then with --seccomp (containerd's default profile)
        for (String seccomp : List.of("--null-io=false", "--seccomp")) {
            DebianContainerd.Result theirs = ctr(runWith(null, "--rm", seccomp, DebianContainerd.IMAGE, "probe",
                    "sh", "-c", probe));
            DebianContainerd.Result ours = ctr(runWith(ours(), "--rm", seccomp, DebianContainerd.IMAGE, "probe",
                    "sh", "-c", probe));
            assertThat(theirs.status()).as("Debian's runc: " + theirs).isZero();
            assertThat(ours.out()).as(seccomp + ", ours: " + ours).isEqualTo(theirs.out());
            assertThat(ours.status()).isZero();
            assertThat(ours.out()).contains("CapEff:\t00000000a80425fb").contains("pid 1\n")
                    .contains(seccomp.equals("--seccomp") ? "Seccomp:\t2" : "Seccomp:\t0");
        }
    }

    @Test
    void execKillAndTheExitCodes() throws Exception {
        DebianContainerd.Result started = ctr(runWith(ours(), "-d", DebianContainerd.IMAGE, "long",
                "sh", "-c", "trap 'echo got TERM; exit 9' TERM; while :; do sleep 0.1; done"));
        assertThat(started.status()).as(started.toString()).isZero();
        try {
            String ls = ctr(List.of("task", "ls")).out();
            assertThat(ls).containsPattern("(?m)^long +[0-9]+ +RUNNING");
            long pid = Long.parseLong(ls.replaceAll("(?s).*\nlong +([0-9]+) .*", "$1"));
            ProcessHandle shim = ProcessHandle.of(pid).orElseThrow().parent().orElseThrow();
            assertThat(shim.info().command().orElse("")).as("the task's parent is Debian's shim")
                    .endsWith("containerd-shim-runc-v2");
            assertThat(Files.readString(Path.of("/proc", Long.toString(pid), "cgroup")))
                    .as("containerd's cgroup for the task: /NAMESPACE/ID").contains(":/" + DebianContainerd.NS + "/long");

            DebianContainerd.Result exec = ctr(List.of("task", "exec", "--exec-id", "e1", "long",
                    "sh", "-c", "echo exec as pid $$ sees $(cat /proc/1/comm); exit 5"));
            assertThat(exec.status()).as(exec.toString()).isEqualTo(5);
            assertThat(exec.out()).matches("exec as pid [0-9]+ sees sh\n");
            assertThat(ctr(List.of("task", "ps", "long")).out()).containsPattern("(?m)^" + pid + " ");

            // ctr task kill: SIGTERM by default, which the shell traps
            DebianContainerd.Result kill = ctr(List.of("task", "kill", "long"));
            assertThat(kill.status()).as(kill.toString()).isZero();
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    ctr(List.of("task", "ls")).out().matches("(?s).*\nlong +[0-9]+ +STOPPED.*"));
            DebianContainerd.Result deleted = ctr(List.of("task", "delete", "long"));
            assertThat(deleted.status()).as(deleted.toString()).isZero();
            assertThat(deleted.err()).as("ctr task delete names the exit status")
                    .contains("task long exit with non-zero exit code 9");
        } finally {
            ctr(List.of("task", "delete", "-f", "long"));
            ctr(List.of("containers", "rm", "long"));
        }
        assertThat(runcRoot.resolve(DebianContainerd.NS).resolve("long")).doesNotExist();
    }

    @Test
    void sigkillGives137() throws Exception {
        // ctr run in the foreground waits for the task: its exit status is the task's
        Process run = new ProcessBuilder(containerd.ctrCommand(runWith(ours(), "--rm", DebianContainerd.IMAGE,
                "killed", "sleep", "300").toArray(String[]::new)))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    ctr(List.of("task", "ls")).out().matches("(?s).*\nkilled +[0-9]+ +RUNNING.*"));
            DebianContainerd.Result kill = ctr(List.of("task", "kill", "-s", "SIGKILL", "killed"));
            assertThat(kill.status()).as(kill.toString()).isZero();
            assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(run.exitValue()).as(out).isEqualTo(137);
        } finally {
            if (run.isAlive()) {
                run.destroyForcibly();
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> !ctr(List.of("containers", "ls", "-q")).out().contains("killed"));
    }

    @Test
    void dashTGivesATerminal() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")),
                "skipped: script(1) (util-linux) is missing");
        // ctr run -t needs its own standard input to be a terminal: script(1) gives it one; Debian's runc's
        // output is the expected one (stty's answer included, whatever the terminal of script(1) makes of it)
        DebianContainerd.Result expected = null;
        for (String runtime : java.util.Arrays.asList(null, ours())) {
            String command = String.join(" ", containerd.ctrCommand(runWith(runtime, "-t", "--rm",
                    DebianContainerd.IMAGE, "tty1", "sh", "-c", "'tty; stty size; echo $TERM; exit 3'")
                    .toArray(String[]::new)));
            DebianContainerd.Result r = DebianContainerd.run(List.of("/usr/bin/script", "-qec", command, "/dev/null"));
            assertThat(r.status()).as(r.toString()).isEqualTo(3);
            assertThat(r.out()).as(r.toString()).contains("/dev/pts/0\r").contains("xterm\r").doesNotContain("not a tty");
            if (expected == null) {
                expected = r;
            } else {
                assertThat(r.out()).as("ours beside Debian's runc").isEqualTo(expected.out());
            }
        }

        // ctr task exec -t in a running container
        assertThat(ctr(runWith(ours(), "-d", DebianContainerd.IMAGE, "ttyx", "sleep", "300")).status()).isZero();
        try {
            String exec = String.join(" ", containerd.ctrCommand("task", "exec", "-t", "--exec-id", "t1", "ttyx",
                    "sh", "-c", "'tty; exit 4'"));
            DebianContainerd.Result e = DebianContainerd.run(List.of("/usr/bin/script", "-qec", exec, "/dev/null"));
            assertThat(e.status()).as(e.toString()).isEqualTo(4);
            assertThat(e.out()).as(e.toString()).contains("/dev/pts/");
        } finally {
            ctr(List.of("task", "kill", "-s", "SIGKILL", "ttyx"));
            await().atMost(Duration.ofSeconds(30)).until(() -> !ctr(List.of("task", "ls")).out().contains("RUNNING"));
            ctr(List.of("task", "delete", "ttyx"));
            ctr(List.of("containers", "rm", "ttyx"));
        }
    }

    static List<String> tail(List<String> lines, int n) {
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }
}
