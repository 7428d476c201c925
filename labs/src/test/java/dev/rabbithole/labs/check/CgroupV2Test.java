package dev.rabbithole.labs.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rabbithole.labs.support.Spec;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cgroup labs (07, 08, 12) on a cgroup v2 host, without one: the reference solution's {@code cgroups} writes into
 * a fake cgroupfs laid out as the kernel's cgroup-v2.rst documents it (a root with {@code cgroup.controllers}, child
 * directories with their interface files), the way runc's libcontainer tests its managers against a fake tree; then
 * the checkers' readers must find what it wrote. The same against a fake v1 tree shows the two paths apart; v1 runs
 * for real in CheckersTest on v1 and hybrid hosts.
 */
class CgroupV2Test {
    static final Path LABS = Path.of(System.getProperty("rabbithole.labs.dir", "."));
    static final String NAME = "l08fake";

    // the reference solution of lab 08 (memory, pids and cpu), compiled from the master as `lab solve 8` hands it out
    static Method cgroups(Path tmp) throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("Lab08.java"), LabSources.generate(Files.readString(LABS.resolve("master/LabRuntime.java")), 8, true));
        Path copy = tmp.resolve("lab08.jar");
        String main;
        // the jar is copied into the test's own folder: closing the context removes the checker's temporary folder
        try (Context ctx = Context.compile(8, src)) {
            assertThat(ctx.compileErrors()).isNull();
            Files.copy(Path.of(ctx.classpath().split(":")[0]), copy);
            main = ctx.mainClass();
        }
        URL jar = copy.toUri().toURL();
        Class<?> lab = new URLClassLoader(new URL[]{jar}, CgroupV2Test.class.getClassLoader()).loadClass(main);
        Method m = lab.getDeclaredMethod("cgroups", Spec.class, long.class, Path.class);
        m.setAccessible(true);
        return m;
    }

    static Spec spec() {
        Spec s = new Spec();
        s.name = NAME;
        s.memoryBytes = 64L << 20;
        s.pidsMax = 20;
        s.cpuQuotaMicros = 20_000;
        return s;
    }

    @Test
    void theReferenceWritesTheV2FilesAndTheCheckerReadsThem(@TempDir Path tmp) throws Exception {
        Path root = Files.createDirectories(tmp.resolve("cgroup"));
        Files.writeString(root.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        Files.writeString(root.resolve("cgroup.subtree_control"), "");
        // what the kernel creates with the child's directory: its interface files with their defaults
        Path g = Files.createDirectories(root.resolve("rabbithole-labs").resolve(NAME));
        for (String[] f : List.of(new String[]{"memory.max", "max"}, new String[]{"memory.swap.max", "max"},
                new String[]{"pids.max", "max"}, new String[]{"cpu.max", "max 100000"}, new String[]{"cgroup.procs", ""})) {
            Files.writeString(g.resolve(f[0]), f[1] + "\n");
        }
        Files.writeString(g.resolve("memory.events"), "low 0\nhigh 0\nmax 31\noom 1\noom_kill 1\n");

        cgroups(tmp).invoke(null, spec(), 4242L, root);

        // one cgroup for every controller, each enabled by both parents (the fake keeps only the last write)
        assertThat(root.resolve("cgroup.subtree_control")).hasContent("+cpu");
        assertThat(root.resolve("rabbithole-labs/cgroup.subtree_control")).hasContent("+cpu");
        assertThat(g.resolve("memory.max")).hasContent("67108864");
        assertThat(g.resolve("memory.swap.max")).hasContent("0");
        assertThat(g.resolve("pids.max")).hasContent("20");
        assertThat(g.resolve("cpu.max")).hasContent("20000 100000");
        assertThat(g.resolve("cgroup.procs")).hasContent("4242");
        assertThat(g.resolve("memory.limit_in_bytes")).doesNotExist();
        assertThat(root.resolve("memory")).doesNotExist();

        // the checkers find it through /proc/PID/cgroup's v2 line and read the v2 files
        var found = Cgroups.dir(List.of("0::/rabbithole-labs/" + NAME), root, true, "memory");
        assertThat(found).contains(g);
        assertThat(Cgroups.memoryLimit(g)).isEqualTo("67108864");
        assertThat(Cgroups.oomKills(g)).isEqualTo("1");
        assertThat(Cgroups.cpuQuota(g)).isEqualTo("20000");
        assertThat(Cgroups.cpuPeriod(g)).isEqualTo("100000");
        assertThat(Cgroups.containerDirs(root, true, NAME)).containsExactly(g);
    }

    @Test
    void enablingOneControllerAtATime(@TempDir Path tmp) throws Exception {
        Path root = Files.createDirectories(tmp.resolve("cgroup"));
        Files.writeString(root.resolve("cgroup.controllers"), "cpu memory pids\n");
        Spec s = new Spec();
        s.name = NAME;
        s.pidsMax = 7;
        cgroups(tmp).invoke(null, s, 1L, root);
        assertThat(root.resolve("cgroup.subtree_control")).hasContent("+pids");
        assertThat(root.resolve("rabbithole-labs/cgroup.subtree_control")).hasContent("+pids");
        assertThat(root.resolve("rabbithole-labs").resolve(NAME).resolve("pids.max")).hasContent("7");
    }

    @Test
    void onAV1TreeTheReferenceWritesTheV1Files(@TempDir Path tmp) throws Exception {
        Path root = Files.createDirectories(tmp.resolve("cgroup"));
        for (String c : List.of("memory", "pids", "cpu")) Files.createDirectories(root.resolve(c));
        Path mem = Files.createDirectories(root.resolve("memory/rabbithole-labs").resolve(NAME));
        Files.writeString(mem.resolve("memory.memsw.limit_in_bytes"), "9223372036854771712\n");
        Files.writeString(mem.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");

        cgroups(tmp).invoke(null, spec(), 4242L, root);

        assertThat(mem.resolve("memory.limit_in_bytes")).hasContent("67108864");
        assertThat(mem.resolve("memory.memsw.limit_in_bytes")).hasContent("67108864");
        Path cpu = root.resolve("cpu/rabbithole-labs").resolve(NAME);
        assertThat(cpu.resolve("cpu.cfs_quota_us")).hasContent("20000");
        assertThat(cpu.resolve("cpu.max")).doesNotExist();
        assertThat(root.resolve("pids/rabbithole-labs").resolve(NAME).resolve("pids.max")).hasContent("20");
        assertThat(root.resolve("rabbithole-labs")).doesNotExist();
        assertThat(root.resolve("cgroup.subtree_control")).doesNotExist();

        assertThat(Cgroups.dir(List.of("12:pids:/x", "4:memory:/rabbithole-labs/" + NAME, "0::/"), root, false, "memory")).contains(mem);
        assertThat(Cgroups.memoryLimit(mem)).isEqualTo("67108864");
        assertThat(Cgroups.oomKills(mem)).isEqualTo("2");
        assertThat(Cgroups.cpuQuota(cpu)).isEqualTo("20000");
        assertThat(Cgroups.cpuPeriod(cpu)).isEqualTo("100000");
        assertThat(Cgroups.containerDirs(root, false, NAME)).hasSize(3).contains(mem, cpu);
    }
}
