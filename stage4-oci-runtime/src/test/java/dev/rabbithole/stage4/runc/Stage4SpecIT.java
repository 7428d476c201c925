package dev.rabbithole.stage4.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stage 4's runtime ({@code bin/rabbithole-runc run}) on a busybox bundle whose config.json uses the runtime-spec
 * 1.2 fields stage 3 refused or left to defaults, each checked from inside the container (what the workload sees
 * in /proc, its cgroup files, uname, id, umask) and from outside (no cgroup, mount or state left after the run);
 * the workload also tries to get around the seccomp rule, the device rule and the read-only /proc/sys, and fails.
 * A refused bundle leaves nothing. Needs root, {@code /bin/busybox} and the packaged jar.
 */
class Stage4SpecIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path WRAPPER = Path.of("bin/rabbithole-runc").toAbsolutePath();
    /** CAP_CHOWN (0), CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_MKNOD (27). */
    static final String CAPS = "0000000008000421";
    /** CAP_KILL (5) only. */
    static final String KILL_ONLY = "0000000000000020";

    static Path base;
    static Path root;
    static Path rootfs;
    static String blockDevice;
    static String tag;

    @BeforeAll
    static void rootfs() throws Exception {
        Assumptions.assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "skipped: creating containers needs root");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/bin/busybox")),
                "skipped: /bin/busybox is missing (Debian package busybox-static)");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("target/rabbithole-stage4.jar")),
                "skipped: target/rabbithole-stage4.jar is missing (mvn package)");
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/sys/fs/cgroup/blkio")),
                "skipped: this test reads cgroup v1 files (memory, blkio, devices); the host has no v1 blkio hierarchy");
        base = Files.createTempDirectory("rh-s4-spec-it").toRealPath();
        tag = Long.toHexString(ProcessHandle.current().pid());
        root = base.resolve("root");
        rootfs = Files.createDirectories(base.resolve("rootfs"));
        Path bin = Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String applet : List.of("sh", "cat", "grep", "id", "uname", "head", "mkdir", "echo", "hostname", "wc", "kill", "mknod")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Files.createDirectories(rootfs.resolve("tmp"));
        try (Stream<Path> blocks = Files.list(Path.of("/sys/block"))) {
            blockDevice = blocks.map(b -> b.resolve("dev")).filter(Files::isRegularFile).map(Stage4SpecIT::read)
                    .findFirst().orElse(null);
        }
    }

    @AfterAll
    static void removeBase() throws IOException {
        if (base == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(base)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A bundle for one container: runc spec's shape, busybox rootfs, its own cgroup. */
    static ObjectNode config(String id, String script) {
        ObjectNode c = JSON.createObjectNode();
        c.put("ociVersion", "1.2.0");
        c.putObject("root").put("path", rootfs.toString());
        ObjectNode p = c.putObject("process");
        p.putArray("args").add("/bin/sh").add("-c").add(script);
        p.putArray("env").add("PATH=/bin");
        p.put("cwd", "/");
        ObjectNode user = p.putObject("user").put("uid", 0).put("gid", 0).put("umask", 027);
        user.putArray("additionalGids").add(5).add(7);
        ObjectNode caps = p.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            caps.putArray(set).add("CAP_CHOWN").add("CAP_KILL").add("CAP_NET_BIND_SERVICE").add("CAP_MKNOD");
        }
        caps.putArray("inheritable").add("CAP_KILL");
        caps.putArray("ambient").add("CAP_KILL");
        p.putArray("rlimits").addObject().put("type", "RLIMIT_NOFILE").put("soft", 1234).put("hard", 2345);
        p.put("noNewPrivileges", true).put("oomScoreAdj", 123);
        c.put("hostname", "rh-spec").put("domainname", "example.org");
        ArrayNode mounts = c.putArray("mounts");
        mounts.addObject().put("destination", "/proc").put("type", "proc").put("source", "proc");
        mounts.addObject().put("destination", "/sys").put("type", "sysfs").put("source", "sysfs")
                .putArray("options").add("nosuid").add("noexec").add("nodev").add("ro");
        mounts.addObject().put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs")
                .putArray("options").add("nosuid").add("size=1m");
        mounts.addObject().put("destination", "/sys/fs/cgroup").put("type", "cgroup").put("source", "cgroup")
                .putArray("options").add("nosuid").add("noexec").add("nodev").add("relatime").add("ro");
        ObjectNode linux = c.putObject("linux");
        ArrayNode ns = linux.putArray("namespaces");
        for (String t : List.of("pid", "network", "ipc", "uts", "mount")) {
            ns.addObject().put("type", t);
        }
        linux.put("cgroupsPath", "/" + id);
        ObjectNode r = linux.putObject("resources");
        // deny everything, as engines write it; runc's default list is appended after (not /dev/mem, 1:1)
        r.putArray("devices").addObject().put("allow", false).put("access", "rwm");
        r.putObject("memory").put("limit", 64L << 20).put("reservation", 32L << 20).put("swappiness", 10);
        if (blockDevice != null) {
            String[] mm = blockDevice.split(":");
            r.putObject("blockIO").putArray("throttleReadBpsDevice").addObject().put("major", Integer.parseInt(mm[0]))
                    .put("minor", Integer.parseInt(mm[1])).put("rate", 1048576);
        }
        linux.putObject("sysctl").put("kernel.shmmax", "65536");
        linux.putObject("personality").put("domain", "LINUX32");
        linux.put("rootfsPropagation", "rshared");
        linux.putArray("maskedPaths").add("/proc/timer_list");
        linux.putArray("readonlyPaths").add("/proc/sys");
        ObjectNode seccomp = linux.putObject("seccomp").put("defaultAction", "SCMP_ACT_ALLOW");
        seccomp.putArray("architectures").add("SCMP_ARCH_X86_64").add("SCMP_ARCH_AARCH64");
        seccomp.putArray("flags").add("SECCOMP_FILTER_FLAG_LOG");
        ArrayNode rules = seccomp.putArray("syscalls");
        // kill(pid, 0) answers ENOSYS; kill with another signal passes
        ObjectNode kill = rules.addObject().put("action", "SCMP_ACT_ERRNO").put("errnoRet", 38);
        kill.putArray("names").add("kill");
        kill.putArray("args").addObject().put("index", 1).put("value", 0).put("op", "SCMP_CMP_EQ");
        c.putObject("annotations").put("org.example.key", "value");
        return c;
    }

    record Result(int code, String out) {
    }

    static Result run(String id, ObjectNode config) throws Exception {
        Path bundle = Files.createDirectories(base.resolve("bundles").resolve(id));
        JSON.writeValue(bundle.resolve("config.json").toFile(), config);
        Path out = base.resolve(id + ".out");
        Process p = new ProcessBuilder(WRAPPER.toString(), "--root", root.toString(), "run", "--bundle",
                bundle.toString(), id).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            new ProcessBuilder(WRAPPER.toString(), "--root", root.toString(), "delete", "--force", id).start().waitFor();
            throw new AssertionError("run did not end: " + Files.readString(out));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    static void nothingLeft(String id) throws IOException {
        assertThat(root.resolve(id)).as("state directory").doesNotExist();
        for (String h : List.of("memory", "blkio", "devices", "pids", "cpu", "freezer")) {
            assertThat(Path.of("/sys/fs/cgroup", h, id)).as(h + " cgroup").doesNotExist();
        }
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).as("mounts").doesNotContain(rootfs.toString());
    }

    @Test
    void everyFieldSeenFromInside() throws Exception {
        String id = "rh-s4-spec-" + tag + "-a";
        String script = String.join("; ",
                "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status",
                "echo umask $(umask)", "echo groups $(id -G)", "echo nofile $(ulimit -n) $(ulimit -Hn)",
                "echo oom $(cat /proc/self/oom_score_adj)", "echo host $(hostname)",
                "echo domain $(cat /proc/sys/kernel/domainname)", "echo arch $(uname -m)",
                "echo shmmax $(cat /proc/sys/kernel/shmmax)",
                "echo soft $(cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes)",
                "echo swappiness $(cat /sys/fs/cgroup/memory/memory.swappiness)",
                "echo throttle $(cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device)",
                "echo root $(grep -E '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ' /proc/self/mountinfo | grep -o 'shared:[0-9]*')",
                "echo masked $(head -c 16 /proc/timer_list | wc -c)",
                "kill -CONT $$ && echo kill CONT ok",
                "kill -0 $$ 2>&1 || echo kill 0 refused",
                "head -c 1 /dev/urandom | wc -c | grep -q 1 && echo urandom ok",
                "mknod /tmp/mem c 1 1 && echo mknod ok",
                "head -c 1 /tmp/mem 2>&1 || echo mem refused",
                "echo other > /proc/sys/kernel/domainname 2>/dev/null || echo domainname write refused",
                "echo done");
        Result r = run(id, config(id, script));
        assertThat(r.code).as(r.out).isZero();
        List<String> lines = r.out.lines().toList();
        assertThat(lines).contains("CapBnd:\t" + CAPS, "CapEff:\t" + CAPS, "CapPrm:\t" + CAPS,
                "CapInh:\t" + KILL_ONLY, "CapAmb:\t" + KILL_ONLY, "NoNewPrivs:\t1", "Seccomp:\t2");
        assertThat(lines).contains("umask 0027", "groups 0 5 7", "nofile 1234 2345", "oom 123", "host rh-spec",
                "domain example.org", "arch i686", "shmmax 65536", "soft " + (32L << 20), "swappiness 10");
        if (blockDevice != null) {
            assertThat(lines).contains("throttle " + blockDevice + " 1048576");
        }
        assertThat(lines).as("rshared: / is in a peer group").anyMatch(l -> l.matches("root shared:[0-9]+"));
        assertThat(lines).as("masked /proc/timer_list reads empty").contains("masked 0");
        // the ways around each rule fail: kill(pid, 0) by the rule's argument, a device node made past the devices
        // cgroup (mknod is allowed, reading it is not), the domainname through /proc/sys
        assertThat(lines).contains("kill CONT ok", "kill 0 refused", "urandom ok", "mknod ok", "mem refused",
                "domainname write refused");
        assertThat(r.out).contains("head: /tmp/mem: Operation not permitted");
        assertThat(r.out).as("the rule's errnoRet, not a permission check").contains("Function not implemented");
        assertThat(lines).contains("done");
        // the host keeps its own names and limits
        assertThat(read(Path.of("/proc/sys/kernel/domainname"))).isNotEqualTo("example.org");
        nothingLeft(id);
    }

    @Test
    void refusedFieldsLeaveNothing() throws Exception {
        String id = "rh-s4-spec-" + tag + "-b";
        ObjectNode c = config(id, "echo should not run");
        ((ObjectNode) c.get("process")).put("apparmorProfile", "docker-default");
        Result r = run(id, c);
        assertThat(r.code).isEqualTo(1);
        assertThat(r.out).contains("process.apparmorProfile: docker-default:").doesNotContain("should not run");
        nothingLeft(id);

        c = config(id, "echo should not run");
        ((ObjectNode) c.get("linux").get("resources")).putObject("memory").put("swappiness", 10)
                .put("kernel", 1L << 40);
        r = run(id, c);
        if (!Files.exists(Path.of("/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes"))) {
            assertThat(r.out).contains("linux.resources.memory.kernel: this host's kernel has no");
        } else {
            // the kernel refuses the write (kmem limits are gone from recent kernels) or takes it
            assertThat(r.code == 0 || r.out.contains("linux.resources.memory.kernel: cannot write")).as(r.out).isTrue();
        }
        nothingLeft(id);
    }
}
