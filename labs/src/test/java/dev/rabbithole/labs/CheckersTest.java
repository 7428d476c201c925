package dev.rabbithole.labs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rabbithole.labs.check.Checks;
import dev.rabbithole.labs.check.LabSources;
import dev.rabbithole.labs.check.Report;
import dev.rabbithole.labs.support.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every checker passes on the reference solution and fails on the untouched skeleton, for real: as root, with
 * namespaces, cgroups, mounts, veths and peer network namespaces, which the checkers remove again; nothing of the labs'
 * networks ever appears in the root network namespace.
 */
class CheckersTest {
    static final Path LABS = Path.of(System.getProperty("rabbithole.labs.dir", "."));
    static Path generated;

    @BeforeAll
    static void root(@TempDir Path tmp) throws Exception {
        assumeTrue(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim().equals("0"),
                "the checkers create namespaces, cgroups and veths: run the tests as root");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "the labs need busybox-static (/bin/busybox)");
        // generated here, from the master, so the checkers judge exactly what `lab start` and `lab solve` hand out
        generated = tmp;
        LabSources.writeAll(LABS.resolve("master"), generated);
    }

    /** @return 1..16, or the labs listed in the system property rabbithole.labs.only ("7,8,12") to check a few */
    static IntStream labs() {
        String only = System.getProperty("rabbithole.labs.only", "").strip();
        return only.isEmpty() ? IntStream.rangeClosed(1, LabSources.LABS) : Stream.of(only.split(",")).mapToInt(n -> Integer.parseInt(n.strip()));
    }

    @ParameterizedTest(name = "lab {0}: the reference solution passes")
    @MethodSource("labs")
    void solutionPasses(int lab) throws Exception {
        Report r = Checks.run(lab, generated.resolve("solutions").resolve(LabSources.relative(lab)).getParent(), System.out);
        r.print(System.out);
        assertThat(r.passed()).as(String.join("\n", r.lines())).isTrue();
        assertThat(r.hints()).as("hints on a passing reference").isEmpty();
        assertNoLeftovers(lab);
    }

    @ParameterizedTest(name = "lab {0}: the untouched skeleton fails")
    @MethodSource("labs")
    void skeletonFails(int lab) throws Exception {
        Report r = Checks.run(lab, generated.resolve("skeletons").resolve(LabSources.relative(lab)).getParent(), System.out);
        r.print(System.out);
        assertThat(r.passed()).isFalse();
        assertThat(r.lines()).anyMatch(l -> l.startsWith("[--] "));
        assertThat(r.lines()).noneMatch(l -> l.contains("does not compile") || l.contains("the check stopped"));
        assertNoLeftovers(lab);
    }

    // the checkers' containers are named lNNxxxx: no cgroup, veth, peer network namespace or mount of that lab may
    // survive a check, and no address of the labs' subnets (10.201.0.0/16, 10.202.0.0/16) may be in the root namespace
    static void assertNoLeftovers(int lab) throws Exception {
        String prefix = String.format("l%02d", lab);
        for (String controller : List.of("memory", "pids", "cpu", "")) { // v1: one tree per controller; v2: one
            Path dir = Path.of("/sys/fs/cgroup", controller, "rabbithole-labs");
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> s = Files.list(dir)) {
                assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).toList())
                        .as("cgroups left in %s", dir).isEmpty();
            }
        }
        String links = new String(new ProcessBuilder("ip", "-o", "link").start().getInputStream().readAllBytes());
        assertThat(links).as("veths left on the host").doesNotContain("v" + prefix);
        String netns = new String(new ProcessBuilder("ip", "netns", "list").start().getInputStream().readAllBytes());
        assertThat(netns).as("peer network namespaces left").doesNotContain(Spec.PEER_NETNS_PREFIX + prefix);
        for (String subnet : List.of("10.201.0.0/16", "10.202.0.0/16")) {
            String addrs = new String(new ProcessBuilder("ip", "-o", "addr", "show", "to", subnet).start().getInputStream().readAllBytes());
            String routes = new String(new ProcessBuilder("ip", "route", "show", "root", subnet).start().getInputStream().readAllBytes());
            assertThat(addrs + routes).as("addresses or routes of %s in the root network namespace", subnet).isBlank();
        }
        String mounts = Files.readString(Path.of("/proc/self/mountinfo"));
        assertThat(mounts).as("mounts left on the host").doesNotContain("rabbithole-check-");
    }
}
