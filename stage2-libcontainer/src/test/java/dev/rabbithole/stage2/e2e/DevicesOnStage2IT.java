package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The device policy of the native driver, with the docker CLI, from inside containers: a default container
 * may mknod any device but open only the standard ones (Docker's rules), {@code --device} gives one more with
 * its permissions, {@code --privileged} opens anything. Skipped with a reason when not root or without the
 * docker CLI.
 */
class DevicesOnStage2IT {
    /** Docker 20.10's devices.list of a default container, as its dockerd left it on this project's host. */
    static final List<String> DOCKER_DEVICES_LIST = List.of("b *:* m", "c *:* m", "c 1:3 rwm", "c 1:5 rwm",
            "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 10:200 rwm",
            "c 136:* rwm");

    @TempDir
    static Path dir;
    static Stage2Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        boolean haveDocker;
        try {
            haveDocker = Stage2Daemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (java.io.IOException e) {
            haveDocker = false;
        }
        assumeTrue(haveDocker, "the docker CLI is not installed");
        daemon = new Stage2Daemon(dir, "native");
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void aDefaultContainerCanMknodFuseAndLoopButNotOpenThem() throws Exception {
        var r = daemon.docker("run", "--rm", "busybox", "sh", "-c",
                "mknod /tmp/fuse c 10 229 && echo mknod-fuse-ok; (exec 3</tmp/fuse && echo fuse-opened) 2>&1;"
                        + " mknod /tmp/loop0 b 7 0 && echo mknod-loop-ok; (exec 3<>/tmp/loop0 && echo loop-opened) 2>&1;"
                        + " mknod /tmp/lc c 10 237; (exec 3>/tmp/lc && echo lc-opened) 2>&1;"
                        + " echo x > /dev/null && echo null-ok; head -c 8 /dev/urandom | wc -c; head -c 3 /dev/zero | wc -c;"
                        + " (exec 3<>/dev/full) && echo full-ok; ls /dev/pts/ptmx");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).contains("mknod-fuse-ok", "mknod-loop-ok", "null-ok", "full-ok",
                "/dev/pts/ptmx").doesNotContain("fuse-opened", "loop-opened", "lc-opened");
        assertThat(r.out().lines().filter(l -> l.trim().equals("8") || l.trim().equals("3"))).hasSize(2);
        assertThat(r.out() + r.err()).as(r.toString()).containsPattern("(?s)Operation not permitted.*Operation not permitted.*Operation not permitted");
    }

    @Test
    void theCgroupHasDockersDevicesList() throws Exception {
        Path root = Path.of("/sys/fs/cgroup/devices");
        assumeTrue(Files.isDirectory(root), "no cgroup v1 devices hierarchy (a v2 host: the eBPF program decides)");
        var run = daemon.docker("run", "-d", "busybox", "sleep", "60");
        assertThat(run.exit()).as(run.toString()).isZero();
        String id = run.out().trim();
        try {
            List<String> list = Files.readAllLines(root.resolve("rabbithole").resolve(id).resolve("devices.list"));
            assertThat(list).containsExactlyInAnyOrderElementsOf(DOCKER_DEVICES_LIST);
        } finally {
            assertThat(daemon.docker("rm", "-f", id).exit()).isZero();
        }
        assertThat(root.resolve("rabbithole").resolve(id)).doesNotExist();
    }

    @Test
    void aDeviceIsCreatedInsideAndOpensWithItsPermissions() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no /dev/loop-control on this host");
        var r = daemon.docker("run", "--rm", "--device", "/dev/loop-control:/dev/lc-ro:r", "busybox", "sh", "-c",
                "ls -l /dev/lc-ro; (exec 3</dev/lc-ro && echo ro-opened) 2>&1; (exec 3>/dev/lc-ro && echo ro-written) 2>&1;"
                        + " true");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).contains("10, 237", "ro-opened", "Operation not permitted")
                .doesNotContain("ro-written");
        // the rule is the device's number: rwm for it opens it read-write, at any path
        var rw = daemon.docker("run", "--rm", "--device", "/dev/loop-control", "busybox", "sh", "-c",
                "(exec 3<>/dev/loop-control && echo rw-opened) 2>&1");
        assertThat(rw.out()).as(rw.toString()).contains("rw-opened");
    }

    @Test
    void aDeviceThatIsNotThereIsDockersError() throws Exception {
        var r = daemon.docker("run", "--rm", "--device", "/dev/rabbithole-no-such-device", "busybox", "true");
        assertThat(r.exit()).as("docker maps 'no such file or directory' to 127").isEqualTo(127);
        assertThat(r.err()).contains("error gathering device information while adding custom device "
                + "\"/dev/rabbithole-no-such-device\": no such file or directory");
        var bad = daemon.docker("run", "--rm", "--device", "/etc/hostname", "busybox", "true");
        assertThat(bad.exit()).isEqualTo(125);
        assertThat(bad.err()).contains("\"/etc/hostname\": not a device node");
    }

    @Test
    void privilegedOpensAnyDevice() throws Exception {
        assumeTrue(hostHasEveryCapability(), "the host's bounding set lacks capabilities, so --privileged cannot "
                + "start here (Docker's own dockerd fails the same way: unable to apply caps)");
        var r = daemon.docker("run", "--rm", "--privileged", "busybox", "sh", "-c",
                "mknod /tmp/lc c 10 237 && (exec 3<>/tmp/lc && echo lc-opened) 2>&1; ls /dev/loop-control");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).contains("lc-opened", "/dev/loop-control");
    }

    static boolean hostHasEveryCapability() throws java.io.IOException {
        int last = Integer.parseInt(Files.readString(Path.of("/proc/sys/kernel/cap_last_cap")).trim());
        String bnd = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapBnd:"))
                .findFirst().orElse("CapBnd: 0").split("\\s+")[1];
        return new BigInteger(bnd, 16).equals(BigInteger.ONE.shiftLeft(last + 1).subtract(BigInteger.ONE));
    }
}
