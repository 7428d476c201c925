package dev.rabbithole.stage2.libcontainer.seccomp;

import dev.rabbithole.stage2.libcontainer.configs.Seccomp;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp.Action;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp.ArgCondition;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp.Op;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp.Rule;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Installs compiled filters in a real kernel: a throwaway JVM ({@link SeccompProbe}) loads the bytes with
 * prctl(PR_SET_SECCOMP) and makes syscalls. No root needed (no_new_privs is set first).
 */
class SeccompFilterInstallTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void linuxWithSeccomp() throws IOException {
        Path status = Path.of("/proc/self/status");
        assumeTrue(Files.exists(status) && Files.readString(status).contains("Seccomp:"),
                "needs Linux with seccomp (/proc/self/status has no Seccomp line)");
    }

    private record Run(int exit, Map<String, String> results, String output) { }

    private Run probe(Seccomp config, String... calls) throws Exception {
        BpfProgram program = SeccompCompiler.compile(config);
        Path bytes = tmp.resolve("filter.bpf");
        Files.write(bytes, program.toBytes());
        Path dir = Files.createDirectories(tmp.resolve("dir"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:off", "-cp", System.getProperty("java.class.path"), SeccompProbe.class.getName(),
                bytes.toString(), dir.toString()));
        cmd.addAll(List.of(calls));
        Process p = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("probe finished").isTrue();
        Map<String, String> results = new LinkedHashMap<>();
        out.lines().filter(l -> l.matches("[a-z0-9-]+=.*"))
                .forEach(l -> results.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        return new Run(p.exitValue(), results, out);
    }

    @Test
    void aCompiledDenylistBlocksMkdirAndUnshareWithEpermInARealProcess() throws Exception {
        Seccomp config = new Seccomp(Action.ALLOW, 0, List.of(), List.of(
                new Rule(List.of("mkdir", "mount", "unshare"), Action.ERRNO, 1, List.of()),
                new Rule(List.of("personality"), Action.ALLOW, 0,
                        List.of(new ArgCondition(0, 0xffffffffL, 0, Op.EQ))),
                new Rule(List.of("personality"), Action.ERRNO, 13, List.of())));
        Run run = probe(config, "mkdir", "mkdirat", "unshare-uts", "personality-query", "personality-set",
                "x32-getpid");
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.results()).as(run.output())
                .containsEntry("seccomp", "2")
                .containsEntry("mkdir", "errno:1")
                .containsEntry("mkdirat", "0")
                .containsEntry("unshare-uts", "errno:1")
                .containsEntry("personality-set", "errno:13")
                .containsEntry("x32-getpid", "errno:1");
        assertThat(run.results().get("personality-query")).as(run.output()).matches("\\d+");
        assertThat(tmp.resolve("dir/by-mkdir")).doesNotExist();
        assertThat(tmp.resolve("dir/by-mkdirat")).isDirectory();
    }

    @Test
    void killProcessKillsTheWholeJvmWithSigsys() throws Exception {
        Seccomp config = new Seccomp(Action.ALLOW, 0, List.of(), List.of(
                new Rule(List.of("getppid"), Action.KILL_PROCESS, 0, List.of())));
        Run run = probe(config, "mkdirat", "getppid");
        assertThat(run.results()).as(run.output()).containsEntry("mkdirat", "0").doesNotContainKey("getppid");
        assertThat(run.exit()).as("128 + SIGSYS (31)\n" + run.output()).isEqualTo(128 + 31);
    }
}
