package dev.rabbithole.stage2.libcontainer.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link InnerHooks}: the file the runtime leaves for the init, and running hooks with state, env, timeout. */
class InnerHooksTest {

    @Test
    void theFileRoundTripsAndTheInitFillsInPidAndStatus(@TempDir Path dir) throws Exception {
        InnerHooks hooks = new InnerHooks(
                List.of(new InnerHooks.Hook("/bin/a", List.of("/bin/a", "x"), null, 0)),
                List.of(new InnerHooks.Hook("/bin/b", List.of(), List.of("K=V"), 5)),
                "{\"id\":\"c\",\"status\":" + InnerHooks.STATUS_SLOT + ",\"pid\":" + InnerHooks.PID_SLOT + "}");
        hooks.write(dir);
        assertThat(InnerHooks.read(dir)).isEqualTo(hooks);
        assertThat(Files.exists(dir.resolve(InnerHooks.RESULT_FIFO))).as("the startContainer outcome FIFO").isTrue();
        assertThat(hooks.stateFor("created", 1)).isEqualTo("{\"id\":\"c\",\"status\":\"created\",\"pid\":1}");
        assertThat(InnerHooks.read(dir.resolve("none"))).isNull();
    }

    @Test
    void aHookReadsTheStateOnStdinWithItsArgsAndEnv(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Path script = script(dir, "read s; echo \"$1 $K $s\" > " + out);
        InnerHooks.run(List.of(new InnerHooks.Hook(script.toString(), List.of(script.toString(), "arg1"),
                List.of("K=V", "PATH=/usr/bin:/bin"), 0)), "createContainer", "{\"id\":\"c\"}");
        assertThat(Files.readString(out)).isEqualTo("arg1 V {\"id\":\"c\"}\n");
    }

    @Test
    void aFailingHookNamesItsKindNumberStatusAndOutput(@TempDir Path dir) throws Exception {
        Path ok = script(dir, "exit 0");
        Path bad = script(dir, "echo out; echo err >&2; exit 3");
        assertThatThrownBy(() -> InnerHooks.run(List.of(new InnerHooks.Hook(ok.toString(), List.of(), null, 0),
                new InnerHooks.Hook(bad.toString(), List.of(), null, 0)), "startContainer", "{}"))
                .hasMessage("error running startContainer hook #1: exit status 3, output: out\nerr");
    }

    @Test
    void aHookOverItsTimeoutIsKilled(@TempDir Path dir) throws Exception {
        Path slow = script(dir, "exec sleep 100");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> InnerHooks.run(List.of(new InnerHooks.Hook(slow.toString(), List.of(), null, 1)),
                "createContainer", "{}")).hasMessage("error running createContainer hook #0: timeout after 1 seconds");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
        try (var all = ProcessHandle.current().children()) {
            assertThat(all.filter(ProcessHandle::isAlive).map(p -> p.info().commandLine().orElse(""))
                    .filter(c -> c.contains("sleep 100"))).isEmpty();
        }
    }

    @Test
    void aMissingProgramFailsItsStep(@TempDir Path dir) {
        assertThatThrownBy(() -> InnerHooks.run(List.of(new InnerHooks.Hook(dir.resolve("nope").toString(), List.of(),
                null, 0)), "createContainer", "{}")).hasMessageStartingWith("error running createContainer hook #0: ");
    }

    private static int n;

    private static Path script(Path dir, String body) throws Exception {
        Path s = dir.resolve("hook" + (++n) + ".sh");
        Files.writeString(s, "#!/bin/sh\n" + body + "\n");
        s.toFile().setExecutable(true);
        return s;
    }
}
