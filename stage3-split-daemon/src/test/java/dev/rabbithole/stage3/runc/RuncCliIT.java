package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code rabbithole-runc} (bin/rabbithole-runc, the jar) driven as containerd's shim drives runc, on a bundle of a
 * static busybox with the config Debian's {@code runc spec} writes, edited: create, state, start, state, kill,
 * state, delete; what the workload sees inside (pid 1, hostname, CapEff, seccomp) and the cgroup outside; every
 * refused bundle leaves nothing; and a differential against Debian's runc on the same bundle ({@code state}'s
 * keys, {@code list}'s columns). Needs root, {@code /usr/sbin/runc} and {@code /bin/busybox}.
 */
class RuncCliIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path WRAPPER = Path.of("bin/rabbithole-runc").toAbsolutePath();
    static final Path DEBIAN_RUNC = Path.of("/usr/sbin/runc");
    /** CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10): runc spec's capabilities. */
    static final String CAP_EFF = "0000000020000420";
    static final long MEMORY = 64L << 20;

    static Path base;
    static Path root;
    static Path log;
    static Path bundle;
    static String tag;

    String id;
    final List<String> made = new ArrayList<>();

    @BeforeAll
    static void bundle() throws Exception {
        Assumptions.assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "skipped: creating containers needs root");
        Assumptions.assumeTrue(Files.isExecutable(DEBIAN_RUNC), "skipped: /usr/sbin/runc is missing (Debian package runc)");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/bin/busybox")),
                "skipped: /bin/busybox is missing (Debian package busybox-static)");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("target/rabbithole-stage3.jar")),
                "skipped: target/rabbithole-stage3.jar is missing (mvn package)");
        base = Files.createTempDirectory("rh-runc-it").toRealPath();
        tag = Long.toHexString(ProcessHandle.current().pid());
        root = base.resolve("root");
        log = base.resolve("log.json");
        bundle = Files.createDirectories(base.resolve("bundle"));
        Path bin = Files.createDirectories(bundle.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String applet : List.of("sh", "cat", "hostname", "mkdir", "sleep", "grep")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Files.createDirectories(bundle.resolve("rootfs/tmp"));
        assertThat(exec(List.of(DEBIAN_RUNC.toString(), "spec", "--bundle", bundle.toString())).code).isZero();
        ObjectNode config = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        process.putArray("args").add("/bin/sh").add("-c").add("echo $$; hostname; cat /proc/self/status; "
                + "mkdir /tmp/x || echo mkdir refused; hostname evil || echo sethostname refused; "
                + "echo port start $(cat /proc/sys/net/ipv4/ip_unprivileged_port_start); "
                + "echo shmmax $(cat /proc/sys/kernel/shmmax); "
                + "echo memory limit $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); echo ready; exec sleep 1000");
        config.put("hostname", "rh-runc-it");
        ObjectNode tmp = ((ArrayNode) config.get("mounts")).addObject();
        tmp.put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs");
        tmp.putArray("options").add("nosuid").add("nodev");
        ObjectNode linux = (ObjectNode) config.get("linux");
        ((ObjectNode) linux.get("resources")).putObject("memory").put("limit", MEMORY);
        // as Docker 20.10 writes for a container with its own network; and an IPC one
        linux.putObject("sysctl").put("net.ipv4.ip_unprivileged_port_start", "0").put("kernel.shmmax", "65536");
        ObjectNode seccomp = linux.putObject("seccomp");
        seccomp.put("defaultAction", "SCMP_ACT_ALLOW");
        seccomp.putArray("architectures").add("SCMP_ARCH_X86_64").add("SCMP_ARCH_AARCH64");
        ObjectNode rule = seccomp.putArray("syscalls").addObject();
        rule.putArray("names").add("mkdir").add("mkdirat");
        rule.put("action", "SCMP_ACT_ERRNO").put("errnoRet", 38); // ENOSYS: not what a permission check says
        JSON.writeValue(bundle.resolve("config.json").toFile(), config);
    }

    @BeforeEach
    void newId() {
        id = "rh-runc-it-" + tag + "-" + Long.toHexString(System.nanoTime() & 0xfffffff);
    }

    @AfterEach
    void removeWhatIsLeft() throws Exception {
        for (String c : made) {
            ours("delete", "--force", c);
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

    /** The bundle's config with another cgroup per container. */
    Path bundleFor(String containerId) throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        ((ObjectNode) config.get("linux")).put("cgroupsPath", "/" + containerId);
        Path b = Files.createDirectories(base.resolve("bundles").resolve(containerId));
        // one rootfs for all (absolute root.path); runc refuses a rootfs path through a symlink
        ((ObjectNode) config.get("root")).put("path", bundle.resolve("rootfs").toRealPath().toString());
        JSON.writeValue(b.resolve("config.json").toFile(), config);
        return b;
    }

    @Test
    void lifecycleAsTheShimDrivesIt() throws Exception {
        Path b = bundleFor(id);
        Path out = base.resolve(id + ".out");
        Path pidFile = base.resolve(id + ".pid");
        made.add(id);
        Result create = exec(List.of(WRAPPER.toString(), "--root", root.toString(), "--log", log.toString(),
                "--log-format", "json", "create", "--bundle", b.toString(), "--pid-file", pidFile.toString(), id), out);
        assertThat(create.code).as("create: %s", Files.readString(out)).isZero();
        long pid = Long.parseLong(Files.readString(pidFile));
        assertThat(ProcessHandle.of(pid)).as("the init outlives runc create").isPresent();

        JsonNode created = state(id);
        assertThat(created.get("status").asText()).isEqualTo("created");
        assertThat(created.get("pid").asLong()).isEqualTo(pid);
        assertThat(created.get("bundle").asText()).isEqualTo(b.toString());
        assertThat(Files.readString(out)).as("nothing runs before start").isEmpty();

        assertThat(ours("start", id).code).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(out).contains("ready"));
        JsonNode running = state(id);
        assertThat(running.get("status").asText()).isEqualTo("running");
        assertThat(running.get("pid").asLong()).isEqualTo(pid);

        List<String> lines = Files.readAllLines(out);
        assertThat(lines.get(0)).as("the workload is pid 1 of its namespace").isEqualTo("1");
        assertThat(lines.get(1)).isEqualTo("rh-runc-it");
        assertThat(lines).contains("CapEff:\t" + CAP_EFF, "Seccomp:\t2", "NoNewPrivs:\t1");
        // the seccomp rule answers, not a permission check: the way around it (mkdir on a writable tmpfs) fails
        assertThat(lines).contains("mkdir refused");
        assertThat(Files.readString(out)).contains("Function not implemented");
        // without CAP_SYS_ADMIN the workload cannot rename its UTS namespace
        assertThat(lines).contains("sethostname refused");
        // the sysctls were written in the container's namespaces, not the host's
        assertThat(lines).contains("port start 0", "shmmax 65536");
        // its own memory cgroup at /sys/fs/cgroup, as runc shows it
        assertThat(lines).contains("memory limit " + MEMORY);
        assertThat(Files.readString(Path.of("/proc/sys/kernel/shmmax")).trim()).isNotEqualTo("65536");
        Path memcg = Path.of("/sys/fs/cgroup/memory", id);
        assertThat(Files.readString(memcg.resolve("memory.limit_in_bytes")).trim()).isEqualTo(Long.toString(MEMORY));
        assertThat(Files.readString(Path.of("/proc", Long.toString(pid), "cgroup"))).contains(":/" + id);

        // pause and resume: the freezer, and the status derived from it
        assertThat(ours("resume", id).err).contains("container not paused");
        assertThat(ours("pause", id).code).isZero();
        assertThat(state(id).get("status").asText()).isEqualTo("paused");
        assertThat(Files.readString(Path.of("/sys/fs/cgroup/freezer", id, "freezer.state")).trim()).isEqualTo("FROZEN");
        assertThat(ours("resume", id).code).isZero();
        assertThat(state(id).get("status").asText()).isEqualTo("running");

        // update: what docker update does through containerd's shim (linux.resources on stdin), and options
        Process update = new ProcessBuilder(WRAPPER.toString(), "--root", root.toString(), "update", "--resources", "-", id)
                .redirectErrorStream(true).start();
        try (var stdin = update.getOutputStream()) {
            stdin.write(("{\"memory\": {\"limit\": " + (2 * MEMORY) + "}, \"pids\": {\"limit\": 100}}")
                    .getBytes(StandardCharsets.UTF_8));
        }
        assertThat(update.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(update.exitValue()).as(new String(update.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        assertThat(Files.readString(memcg.resolve("memory.limit_in_bytes")).trim()).isEqualTo(Long.toString(2 * MEMORY));
        assertThat(Files.readString(Path.of("/sys/fs/cgroup/pids", id, "pids.max")).trim()).isEqualTo("100");
        assertThat(ours("update", "--memory", "96m", id).code).isZero();
        assertThat(Files.readString(memcg.resolve("memory.limit_in_bytes")).trim()).isEqualTo(Long.toString(96L << 20));

        Result ps = ours("ps", "--format", "json", id);
        assertThat(JSON.readTree(ps.out).get(0).asLong()).isEqualTo(pid);
        assertThat(ours("start", id).err).contains("cannot start an already running container");
        Result del = ours("delete", id);
        assertThat(del.code).isEqualTo(1);
        assertThat(del.err).contains("cannot delete container " + id + " that is not stopped: running");

        assertThat(ours("kill", "--all", id, "KILL").code).as("kill --all: every process of its cgroup").isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> state(id).get("status").asText().equals("stopped"));
        assertThat(state(id).get("pid").asLong()).isZero();
        assertThat(ours("kill", id, "9").err).contains("container not running");
        assertThat(ours("delete", id).code).isZero();

        assertThat(ours("state", id).err).contains("container does not exist");
        assertNothingLeft(id, pid);
    }

    @Test
    void aPausedContainerIsDeletedWithForce() throws Exception {
        made.add(id);
        Result run = ours("run", "--detach", "--bundle", bundleFor(id).toString(), id);
        assertThat(run.code).as(run.err).isZero();
        long pid = state(id).get("pid").asLong();
        assertThat(ours("pause", id).code).isZero();
        Result del = ours("delete", id);
        assertThat(del.err).contains("cannot delete container " + id + " that is not stopped: paused");
        assertThat(ours("delete", "--force", id).code).isZero();
        assertNothingLeft(id, pid);
    }

    @Test
    void runForwardsSignalsToTheWorkload() throws Exception {
        Path b = bundleFor(id);
        ObjectNode config = (ObjectNode) JSON.readTree(b.resolve("config.json").toFile());
        ((ObjectNode) config.get("process")).putArray("args").add("/bin/sh").add("-c")
                .add("trap 'echo got TERM; exit 4' TERM; echo ready; while :; do sleep 1; done");
        JSON.writeValue(b.resolve("config.json").toFile(), config);
        made.add(id);
        Path out = base.resolve(id + ".run");
        Process run = new ProcessBuilder(WRAPPER.toString(), "--root", root.toString(), "run", "--bundle", b.toString(), id)
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(out).contains("ready"));
        // the wrapper execs java, or (its first run after a build) waits for it: signal the JVM
        ProcessHandle jvm = Stream.concat(Stream.of(run.toHandle()), run.descendants())
                .filter(p -> p.info().command().orElse("").endsWith("/java")).findFirst().orElseThrow();
        assertThat(exec(List.of("kill", "-TERM", Long.toString(jvm.pid()))).code).isZero();
        assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(out)).contains("got TERM");
        assertThat(run.exitValue()).isEqualTo(4);
        assertNothingLeft(id, -1);
    }

    @Test
    void runWaitsAndExitsWithTheWorkloadsStatus() throws Exception {
        Path b = bundleFor(id);
        ObjectNode config = (ObjectNode) JSON.readTree(b.resolve("config.json").toFile());
        ((ObjectNode) config.get("process")).putArray("args").add("/bin/sh").add("-c").add("echo hi; exit 3");
        JSON.writeValue(b.resolve("config.json").toFile(), config);
        made.add(id);
        Result run = ours("run", "--bundle", b.toString(), id);
        assertThat(run.code).isEqualTo(3);
        assertThat(run.out).isEqualTo("hi\n");
        assertNothingLeft(id, -1);
    }

    /**
     * Under a subreaper that reaps at once (as a shim; here tini -s), a workload that exits right after its
     * execve may be gone before {@code start} sees the execve: start still succeeds, as runc's.
     */
    @Test
    void aWorkloadThatExitsAtOnceStartsUnderAReapingSubreaper() throws Exception {
        Path tini = Path.of("/usr/bin/tini");
        Assumptions.assumeTrue(Files.isExecutable(tini), "skipped: /usr/bin/tini is missing (Debian package tini)");
        Path b = bundleFor(id);
        ObjectNode config = (ObjectNode) JSON.readTree(b.resolve("config.json").toFile());
        ((ObjectNode) config.get("process")).putArray("args").add("/bin/busybox").add("true");
        JSON.writeValue(b.resolve("config.json").toFile(), config);
        made.add(id);
        String w = WRAPPER + " --root " + root;
        Result r = exec(List.of(tini.toString(), "-s", "--", "sh", "-c", w + " create --bundle " + b + " " + id
                + " && " + w + " start " + id + "; echo start=$?"));
        assertThat(r.out).as(r.err).contains("start=0");
        await().atMost(Duration.ofSeconds(10)).until(() -> state(id).get("status").asText().equals("stopped"));
        assertThat(ours("delete", id).code).isZero();
        assertNothingLeft(id, -1);
    }

    /**
     * prestart (Docker's libnetwork-setkey's place) runs at create with the state on stdin and its argv[0],
     * while the init waits at the gate; poststart at start; poststop at delete; a failing prestart fails the
     * create and leaves nothing.
     */
    @Test
    void hooksRunWithTheStateOnStdin() throws Exception {
        Path b = bundleFor(id);
        ObjectNode config = (ObjectNode) JSON.readTree(b.resolve("config.json").toFile());
        ObjectNode hooks = config.putObject("hooks");
        for (String kind : List.of("prestart", "poststart", "poststop")) {
            Path file = base.resolve(id + "." + kind);
            ObjectNode h = hooks.putArray(kind).addObject().put("path", "/bin/sh");
            h.putArray("args").add("hook-" + kind).add("-c").add("{ echo \"argv0=$0\"; cat; echo; } > " + file);
            h.putArray("env").add("PATH=/usr/bin:/bin");
        }
        JSON.writeValue(b.resolve("config.json").toFile(), config);
        made.add(id);
        Result create = ours("create", "--bundle", b.toString(), id);
        assertThat(create.code).as(create.err).isZero();
        long pid = state(id).get("pid").asLong();
        String prestart = Files.readString(base.resolve(id + ".prestart"));
        assertThat(prestart).startsWith("argv0=hook-prestart\n");
        JsonNode seen = JSON.readTree(prestart.lines().skip(1).findFirst().orElseThrow());
        assertThat(seen.get("id").asText()).isEqualTo(id);
        assertThat(seen.get("pid").asLong()).isEqualTo(pid);
        assertThat(seen.get("status").asText()).isEqualTo("creating");
        assertThat(seen.get("bundle").asText()).isEqualTo(b.toString());
        assertThat(base.resolve(id + ".poststart")).doesNotExist();
        assertThat(ours("start", id).code).isZero();
        assertThat(JSON.readTree(Files.readString(base.resolve(id + ".poststart")).lines().skip(1).findFirst()
                .orElseThrow()).get("status").asText()).isEqualTo("running");
        assertThat(ours("kill", id, "KILL").code).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> state(id).get("status").asText().equals("stopped"));
        assertThat(ours("delete", id).code).isZero();
        assertThat(JSON.readTree(Files.readString(base.resolve(id + ".poststop")).lines().skip(1).findFirst()
                .orElseThrow()).get("status").asText()).isEqualTo("stopped");
        assertNothingLeft(id, pid);

        ((ObjectNode) config.get("hooks")).putArray("prestart").addObject().put("path", "/bin/false");
        JSON.writeValue(b.resolve("config.json").toFile(), config);
        assertRefused(List.of("create", "--bundle", b.toString(), id), "error running prestart hook #0: exit status 1");
        assertNothingLeft(id, -1);
    }

    @Test
    void refusedBundlesLeaveNothing() throws Exception {
        Path b = bundleFor(id);
        ObjectNode config = (ObjectNode) JSON.readTree(b.resolve("config.json").toFile());
        // malformed JSON
        Files.writeString(b.resolve("config.json"), "{\"ociVersion\": \"1.0.2\", \"process\": ");
        assertRefused(List.of("create", "--bundle", b.toString(), id), "config.json: invalid JSON");
        // a field libcontainer cannot do
        ((ArrayNode) config.get("linux").get("namespaces")).addObject().put("type", "user");
        JSON.writeValue(b.resolve("config.json").toFile(), config);
        assertRefused(List.of("create", "--bundle", b.toString(), id), "user namespaces are not supported");
        // a program that is not in the rootfs: by path (checked by runc create) and by name (by the init)
        ((ArrayNode) config.get("linux").get("namespaces")).remove(config.get("linux").get("namespaces").size() - 1);
        ((ObjectNode) config.get("process")).putArray("args").add("/bin/nonexistent");
        JSON.writeValue(b.resolve("config.json").toFile(), config);
        assertRefused(List.of("create", "--bundle", b.toString(), id),
                "exec: \"/bin/nonexistent\": stat /bin/nonexistent: no such file or directory");
        ((ObjectNode) config.get("process")).putArray("args").add("nonexistent");
        JSON.writeValue(b.resolve("config.json").toFile(), config);
        assertRefused(List.of("create", "--bundle", b.toString(), id),
                "exec: \"nonexistent\": executable file not found in $PATH");
        assertNothingLeft(id, -1);
        // no config.json, no bundle, a bad ID
        Files.delete(b.resolve("config.json"));
        assertRefused(List.of("create", "--bundle", b.toString(), id), "JSON specification file config.json not found");
        assertRefused(List.of("create", "--bundle", base.resolve("nope").toString(), id),
                "chdir " + base.resolve("nope") + ": no such file or directory");
        assertRefused(List.of("create", "--bundle", bundle.toString(), "../" + id), "invalid container ID format");
        assertNothingLeft(id, -1);

        // an ID in use: refused, and the container that has it is untouched
        Path b2 = bundleFor(id + "-2");
        made.add(id);
        assertThat(ours("create", "--bundle", b2.toString(), id).code).isZero();
        long pid = state(id).get("pid").asLong();
        assertRefused(List.of("create", "--bundle", b2.toString(), id), "container with given ID already exists");
        assertThat(state(id).get("status").asText()).isEqualTo("created");
        assertThat(ours("delete", id).code).as("a created container is deleted without --force").isZero();
        assertNothingLeft(id, pid);
        assertThat(ours("delete", id).err).contains("container does not exist");
        assertThat(ours("delete", "--force", id).code).isZero();
    }

    @Test
    void theJsonLogIsWhatContainerdsShimReads() throws Exception {
        Path own = base.resolve(id + ".log");
        Result r = exec(List.of(WRAPPER.toString(), "--root", root.toString(), "--log", own.toString(),
                "--log-format", "json", "start", id));
        assertThat(r.code).isEqualTo(1);
        List<String> lines = Files.readAllLines(own);
        JsonNode last = JSON.readTree(lines.get(lines.size() - 1));
        assertThat(last.get("level").asText()).isEqualTo("error");
        assertThat(last.get("msg").asText()).isEqualTo("container does not exist");
        OffsetDateTime.parse(last.get("time").asText()); // RFC 3339, as Go's time.Time decodes it
        assertThat(r.err.trim()).isEqualTo("container does not exist");
    }

    @Test
    void stateKeysAndListColumnsAreDebianRuncs() throws Exception {
        String theirs = id + "-debian";
        Path debianRoot = base.resolve("debian-root");
        Path ourBundle = bundleFor(id);
        Path theirBundle = bundleFor(theirs);
        made.add(id);
        try {
            assertThat(exec(List.of(DEBIAN_RUNC.toString(), "--root", debianRoot.toString(), "create", "--bundle",
                    theirBundle.toString(), theirs), base.resolve(theirs + ".out")).code).isZero();
            assertThat(ours("create", "--bundle", ourBundle.toString(), id).code).isZero();
            Result theirState = exec(List.of(DEBIAN_RUNC.toString(), "--root", debianRoot.toString(), "state", theirs));
            Result ourState = ours("state", id);
            assertThat(keys(JSON.readTree(ourState.out))).isEqualTo(keys(JSON.readTree(theirState.out)));
            assertThat(ourState.out.replace(id, "ID").replaceAll("\"(pid|created|bundle|rootfs)\": .*", "\"$1\": X"))
                    .isEqualTo(theirState.out.replace(theirs, "ID").replaceAll("\"(pid|created|bundle|rootfs)\": .*", "\"$1\": X"));
            String theirList = exec(List.of(DEBIAN_RUNC.toString(), "--root", debianRoot.toString(), "list")).out;
            String ourList = ours("list").out;
            assertThat(ourList.lines().findFirst().orElseThrow().split("\\s+"))
                    .containsExactly(theirList.lines().findFirst().orElseThrow().split("\\s+"));
            assertThat(ourList.lines().skip(1).findFirst().orElseThrow().split("\\s+")[2]).isEqualTo("created");
            assertThat(keys(JSON.readTree(ours("list", "--format", "json").out).get(0)))
                    .isEqualTo(keys(JSON.readTree(exec(List.of(DEBIAN_RUNC.toString(), "--root", debianRoot.toString(),
                            "list", "--format", "json")).out).get(0)));
        } finally {
            exec(List.of(DEBIAN_RUNC.toString(), "--root", debianRoot.toString(), "delete", "--force", theirs));
        }
    }

    @Test
    void featuresHasDebianRuncsShape() throws Exception {
        JsonNode ours = JSON.readTree(ours("features").out);
        JsonNode theirs = JSON.readTree(exec(List.of(DEBIAN_RUNC.toString(), "features")).out);
        assertThat(keys(ours)).isEqualTo(keys(theirs));
        assertThat(keys(ours.get("linux"))).isEqualTo(keys(theirs.get("linux")));
        assertThat(ours.get("hooks")).as("hooks are refused at create").isEmpty();
        assertThat(ours.get("linux").get("namespaces").toString()).doesNotContain("user");
    }

    @Test
    void specWritesWhatDebiansRuncSpecWrites() throws Exception {
        Path mine = Files.createDirectories(base.resolve("spec-ours"));
        Path theirs = Files.createDirectories(base.resolve("spec-debian"));
        assertThat(ours("spec", "--bundle", mine.toString()).code).isZero();
        assertThat(exec(List.of(DEBIAN_RUNC.toString(), "spec", "--bundle", theirs.toString())).code).isZero();
        assertThat(Files.readString(mine.resolve("config.json"))).isEqualTo(Files.readString(theirs.resolve("config.json")));
        assertThat(ours("spec", "--bundle", mine.toString()).err).contains("File config.json exists. Remove it first");
    }

    @Test
    void listQuietPrintsTheIds() throws Exception {
        made.add(id);
        assertThat(ours("create", "--bundle", bundleFor(id).toString(), id).code).isZero();
        assertThat(ours("list", "-q").out.lines().toList()).contains(id);
        assertThat(ours("ps", id).out).contains("PID").contains(Long.toString(state(id).get("pid").asLong()));
    }

    static List<String> keys(JsonNode n) {
        List<String> k = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            k.add(it.next());
        }
        return k;
    }

    void assertRefused(List<String> args, String message) throws Exception {
        long before = Files.exists(log) ? Files.readAllLines(log).size() : 0;
        List<String> all = new ArrayList<>(List.of("--log", log.toString(), "--log-format", "json"));
        all.addAll(args);
        Result r = ours(all.toArray(String[]::new));
        assertThat(r.code).as("%s: %s", args, r.err).isEqualTo(1);
        assertThat(r.err).contains(message);
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSizeGreaterThan((int) before);
        assertThat(JSON.readTree(lines.get(lines.size() - 1)).get("msg").asText()).contains(message);
    }

    void assertNothingLeft(String containerId, long pid) throws IOException {
        assertThat(root.resolve(containerId)).doesNotExist();
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            assertThat(controllers.filter(c -> Files.isDirectory(c.resolve(containerId))).toList()).isEmpty();
        }
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(base.toString());
        if (pid > 0) {
            await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).isEmpty());
        }
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            assertThat(all.filter(p -> p.info().commandLine().orElse("").contains(containerId)).toList()).isEmpty();
        }
    }

    JsonNode state(String containerId) throws Exception {
        Result r = ours("state", containerId);
        assertThat(r.code).as("state: %s", r.err).isZero();
        return JSON.readTree(r.out);
    }

    static Result ours(String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of(WRAPPER.toString(), "--root", root.toString()));
        c.addAll(List.of(args));
        return exec(c);
    }

    record Result(int code, String out, String err) {
    }

    static Result exec(List<String> command) throws Exception {
        Path out = Files.createTempFile(base, "out", ".txt");
        Path err = Files.createTempFile(base, "err", ".txt");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** With stdout and stderr to one file, as a shim's pipe: the container's init inherits it. */
    static Result exec(List<String> command, Path output) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        return new Result(p.exitValue(), "", new String(new byte[0], StandardCharsets.UTF_8));
    }
}
