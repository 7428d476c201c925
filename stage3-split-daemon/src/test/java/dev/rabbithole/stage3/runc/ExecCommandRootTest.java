package dev.rabbithole.stage3.runc;

import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.container.CgroupApplier;
import dev.rabbithole.stage2.libcontainer.container.InitCommand;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.container.LinuxFactory;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;
import dev.rabbithole.stage2.libcontainer.system.Terminals;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code runc exec} as containerd's shim calls it: {@code --root ROOT exec --process FILE --detach --pid-file
 * FILE [--console-socket SOCK] ID}, on one running container (one for the whole class).
 */
class ExecCommandRootTest {
    @TempDir
    static Path tmp;
    static Path root;
    static LinuxContainer container;

    /** A stand-in for the runtime's top command: only its {@code --root}. */
    @Command(name = "runc", subcommands = ExecCommand.class)
    static final class Top implements Runnable {
        @Option(names = "--root")
        Path root;

        @Override
        public void run() { }
    }

    @BeforeAll
    static void container() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root: namespaces, cgroups");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "needs /bin/busybox (Debian busybox-static)");
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"));
        for (String a : List.of("sh", "sleep", "echo", "cat", "tty", "test", "id", "hostname", "readlink")) {
            Files.createSymbolicLink(rootfs.resolve(a), Path.of("busybox"));
        }
        root = tmp.resolve("state");
        String id = "x" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        ContainerConfig config = new ContainerConfig(id, tmp.resolve("rootfs"), false, "execbox",
                EnumSet.of(NamespaceType.MOUNT, NamespaceType.UTS, NamespaceType.IPC, NamespaceType.NET,
                        NamespaceType.PID, NamespaceType.CGROUP), List.of(), List.of(), List.of(),
                new Cgroup("rabbithole-test/" + id, Cgroup.Resources.NONE), null, null, false, List.of(),
                new ProcessConfig(List.of("sleep", "1000"), List.of("PATH=/bin"), "/", 0, 0, List.of(), 0));
        container = LinuxFactory.create(root, id, config, new LinuxContainer.Options(new JnaSyscalls(),
                CgroupApplier.HOST, InitCommand.current(), Duration.ofSeconds(60),
                new LinuxContainer.Stdio(Redirect.PIPE, Redirect.DISCARD, Redirect.DISCARD)));
        container.start();
    }

    @AfterAll
    static void destroy() throws Exception {
        if (container != null) {
            container.destroy();
        }
    }

    private static int runc(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new Top());
        cmd.setErr(new PrintWriter(err, true));
        ExecCommand.stopAtCommand(cmd);
        int code = cmd.execute(args);
        lastErr = err.toString();
        return code;
    }

    private static String lastErr;

    @Test
    void aProcessFileRunsAndItsStatusIsTheExitStatus() throws Exception {
        Path process = tmp.resolve("p1.json");
        Files.writeString(process, "{\"args\":[\"sh\",\"-c\",\"exit 3\"],\"env\":[\"PATH=/bin\"],\"cwd\":\"/\","
                + "\"user\":{\"uid\":0,\"gid\":0}}");
        assertThat(runc("--root", root.toString(), "exec", "--process", process.toString(), container.id())).isEqualTo(3);
        // without --process: COMMAND and the container's process for the rest
        assertThat(runc("--root", root.toString(), "exec", "--user", "1000:1000", container.id(), "sh", "-c",
                "test $(id -u) = 1000 && exit 4")).isEqualTo(4);
    }

    @Test
    void detachWritesThePidFileAndLeavesTheProcessRunning() throws Exception {
        Path process = tmp.resolve("p2.json");
        Path pidFile = tmp.resolve("p2.pid");
        Files.writeString(process, "{\"args\":[\"sleep\",\"30\"],\"env\":[\"PATH=/bin\"],\"cwd\":\"/\"}");
        assertThat(runc("--root", root.toString(), "exec", "--process", process.toString(), "--detach", "--pid-file",
                pidFile.toString(), container.id())).isZero();
        long pid = Long.parseLong(Files.readString(pidFile));
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
        assertThat(h.isAlive()).isTrue();
        assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/pid")))
                .isEqualTo(Files.readSymbolicLink(Path.of("/proc/" + container.pid() + "/ns/pid")));
        h.destroyForcibly();
        h.onExit().get(10, TimeUnit.SECONDS);
        // no JDK reaper took its status: it waits for its parent (here this JVM, under a shim the shim after runc's
        // exit), which reaps it as a shim does; an unreaped zombie would also keep the container's pid 1 from dying
        int[] status = new int[1];
        assertThat(CLib.INSTANCE.waitpid((int) pid, status, 0)).isEqualTo((int) pid);
        assertThat(status[0] & 0x7f).as("killed by SIGKILL").isEqualTo(9);
    }

    /** waitpid(2), for the detached exec's status. */
    interface CLib extends com.sun.jna.Library {
        CLib INSTANCE = com.sun.jna.Native.load("c", CLib.class);

        int waitpid(int pid, int[] status, int options);
    }

    @Test
    void aTerminalGoesToTheConsoleSocket() throws Exception {
        Path process = tmp.resolve("p3.json");
        Path sock = tmp.resolve("c3.sock");
        Files.writeString(process, "{\"terminal\":true,\"args\":[\"sh\",\"-c\",\"tty; exit 7\"],"
                + "\"env\":[\"PATH=/bin\"],\"cwd\":\"/\"}");
        int listening = Terminals.listenUnix(sock.toString());
        try {
            CompletableFuture<Terminals.Received> master = CompletableFuture.supplyAsync(() -> {
                int conn = Terminals.accept(listening);
                try {
                    return Terminals.receiveFd(conn);
                } finally {
                    Terminals.closeQuietly(conn);
                }
            });
            CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> runc("--root", root.toString(),
                    "exec", "--process", process.toString(), "--console-socket", sock.toString(), container.id()));
            Terminals.Received m = master.get(60, TimeUnit.SECONDS);
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            byte[] buf = new byte[1024];
            try {
                for (int n; (n = Terminals.read(m.fd(), buf)) > 0; ) {
                    o.write(buf, 0, n);
                }
            } catch (SyscallException eio) {
                // the slave closed
            } finally {
                Terminals.closeQuietly(m.fd());
            }
            assertThat(code.get(60, TimeUnit.SECONDS)).isEqualTo(7);
            assertThat(m.name()).isEqualTo("/dev/ptmx");
            assertThat(o.toString(StandardCharsets.UTF_8)).matches("/dev/pts/\\d+\r\n");
        } finally {
            Terminals.closeQuietly(listening);
        }
    }

    @Test
    void badInputGivesRuncsMessages() throws Exception {
        assertThat(runc("--root", root.toString(), "exec", "--process", tmp.resolve("nosuch.json").toString(),
                container.id())).isNotZero();
        assertThat(lastErr).contains("no such file or directory");
        Path terminal = tmp.resolve("p4.json");
        Files.writeString(terminal, "{\"terminal\":true,\"args\":[\"true\"],\"cwd\":\"/\"}");
        assertThat(runc("--root", root.toString(), "exec", "--process", terminal.toString(), container.id())).isNotZero();
        assertThat(lastErr).contains("--console-socket is required");
        Path bad = tmp.resolve("p5.json");
        Files.writeString(bad, "{\"args\":[],\"cwd\":\"/\"}");
        assertThat(runc("--root", root.toString(), "exec", "--process", bad.toString(), container.id())).isNotZero();
        assertThat(lastErr).contains("process.args: must not be empty");
        assertThat(runc("--root", root.toString(), "exec", "nosuch", "true")).isNotZero();
        assertThat(lastErr).contains("exec failed: container does not exist");
        assertThat(runc("--root", root.toString(), "exec", container.id(), "nosuchprogram")).isNotZero();
        assertThat(lastErr).contains("exec failed: unable to start container process: exec: \"nosuchprogram\": "
                + "executable file not found in $PATH");
        try (var s = Files.list(root.resolve(container.id()))) {
            assertThat(s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("exec-")).toList()).isEmpty();
        }
    }
}
