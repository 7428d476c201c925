package dev.rabbithole.labs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rabbithole.labs.check.Checks;
import dev.rabbithole.labs.check.LabSources;
import dev.rabbithole.labs.check.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The usual mistakes, each injected into a lab's reference solution (one edit of its text), must make the checker
 * fail and name the mistake in a hint, from what it observes of the running container, as root and for real.
 */
class HintsTest {
    static final Path LABS = Path.of(System.getProperty("rabbithole.labs.dir", "."));

    @BeforeAll
    static void root() throws Exception {
        assumeTrue(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim().equals("0"),
                "the checkers create namespaces, cgroups and veths: run the tests as root");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "the labs need busybox-static (/bin/busybox)");
    }

    // lab | hint | text in the reference | what the mistake makes of it ("\n" for a line break, "" to delete)
    @ParameterizedTest(name = "lab {0}: {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "2|pivot-root-not-a-mount|`        LIBC.mount(root, root, null, MS_BIND | MS_REC, null);\n`|``",
        // a systemd host's / is shared; here the mistake makes the container's own mounts shared, never the host's
        "2|pivot-root-shared|`LIBC.mount(null, \"/\", null, MS_REC | MS_PRIVATE, null);`|`LIBC.mount(null, \"/\", null, MS_REC | MS_SHARED, null);`",
        "4|proc-not-mounted|`        LIBC.mount(\"proc\", \"/proc\", \"proc\", MS_NOSUID | MS_NODEV | MS_NOEXEC, null);\n`|``",
        "6|veth-not-moved|`\"peer\", \"name\", c, \"netns\", p);`|`\"peer\", \"name\", c);`",
        // a published port reached from the peer namespace itself: its connections pass the nat output hook only
        "6|dnat-prerouting-only|`List.of(\"prerouting\", \"output\")`|`List.of(\"prerouting\")`",
        "7|init-not-in-cgroup|`            Files.writeString(g.resolve(\"cgroup.procs\"), Long.toString(pid));\n`|``",
        "9|caps-wrong-thread|`        capabilities(spec);\n`|`        Thread other = new Thread(() -> capabilities(spec));\n        other.start();\n        other.join();\n`",
        "11|lowerdir-order|`lower.add(0, layer.toAbsolutePath().toString())`|`lower.add(layer.toAbsolutePath().toString())`",
        "15|close-range-closed|`LIBC.close_range(3, -1, CLOSE_RANGE_CLOEXEC);`|`LIBC.close_range(3, -1, 0);`",
        "15|close-range-stdio|`LIBC.close_range(3, -1, CLOSE_RANGE_CLOEXEC);`|`LIBC.close_range(0, -1, CLOSE_RANGE_CLOEXEC);`",
        // a FIFO opened O_WRONLY before anything reads it: open(2) blocks, and the workload never starts
        "16|fifo-open-blocks|`RandomAccessFile anchor = new RandomAccessFile(fifo.toFile(), \"rw\");`|`java.io.FileOutputStream anchor = new java.io.FileOutputStream(fifo.toFile());`",
        // the workload started as the shim's own child: the JVM's process reaper waits for it beside waitpid(-1)
        "16|jvm-reaper|`        Process launcher = pb.start();\n        int status = launcher.waitFor();\n`|`        Process launcher = pb.command(command).start();\n        Files.writeString(pidFile, launcher.pid() + System.lineSeparator());\n        int status = 0;\n`",
        "12|seccomp-before-nnp|`        LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);\n        Memory fprog = Bpf.fprog(program);\n        LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0);\n`|`        Memory fprog = Bpf.fprog(program);\n        LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0);\n        LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);\n`",
    })
    void theCheckerNamesTheMistake(int lab, String hint, String right, String wrong, @TempDir Path tmp) throws Exception {
        String master = Files.readString(LABS.resolve("master/" + LabSources.master(lab) + ".java"));
        String solution = LabSources.generate(master, lab, true);
        String from = right.replace("\\n", "\n"), to = wrong.replace("\\n", "\n");
        assertThat(solution).as("the reference of lab %d has the line the mistake changes", lab).contains(from);
        Path file = tmp.resolve(LabSources.relative(lab));
        Files.createDirectories(file.getParent());
        Files.writeString(file, solution.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to)));
        Report r = Checks.run(lab, file.getParent(), System.out);
        r.print(System.out);
        assertThat(r.passed()).isFalse();
        assertThat(r.hints()).as(String.join("\n", r.lines())).contains(hint);
        CheckersTest.assertNoLeftovers(lab);
    }
}
