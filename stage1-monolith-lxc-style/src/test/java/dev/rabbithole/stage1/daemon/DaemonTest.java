package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.fakes.FakeImageStore;
import dev.rabbithole.stage1.daemon.fakes.FakeProcess;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.image.ImageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class DaemonTest {

    @TempDir
    Path root;

    FakeImageStore images;
    FakeStorageDriver storage;
    ScriptedExecDriver exec;
    Daemon daemon;

    @BeforeEach
    void open() {
        images = new FakeImageStore();
        storage = new FakeStorageDriver(root.resolve("rootfs"));
        exec = new ScriptedExecDriver();
        daemon = newDaemon();
    }

    Daemon newDaemon() {
        return new Daemon(root, images, storage, exec, new FakeSecurity());
    }

    @AfterEach
    void close() {
        daemon.close();
    }

    static ContainerConfig config(String image, String... cmd) {
        return ContainerConfig.of(image, cmd);
    }

    int run(String id) throws Exception {
        CompletableFuture<Integer> exit = daemon.waitFor(id, WaitCondition.NEXT_EXIT);
        daemon.start(id);
        return exit.get(10, TimeUnit.SECONDS);
    }

    @Test
    void createMergesImageDefaultsAndNamesTheContainer() {
        ContainerConfig user = new ContainerConfig(null, "1000:1000", List.of("FROM_IMAGE=2", "MINE=x"), null, null,
                "busybox", "/tmp", false, false, false, true, true, null);
        String id = daemon.create(null, user, null).id();

        assertThat(id).matches("[0-9a-f]{64}");
        Container c = daemon.inspect(id);
        assertThat(c.name()).matches("/[a-z]+_[a-z]+");
        assertThat(c.config().hostname()).isEqualTo(id.substring(0, 12));
        assertThat(c.config().env()).contains("FROM_IMAGE=2", "MINE=x").doesNotContain("FROM_IMAGE=1")
                .anyMatch(e -> e.startsWith("PATH="));
        assertThat(c.path()).isEqualTo("sh");
        assertThat(c.args()).isEmpty();
        assertThat(c.config().workingDir()).isEqualTo("/tmp");
        assertThat(c.config().user()).isEqualTo("1000:1000");
        assertThat(c.imageId()).isEqualTo(FakeImageStore.BUSYBOX_ID);
        assertThat(c.state().status()).isEqualTo("created");
        assertThat(root.resolve("containers").resolve(id).resolve("config.v2.json")).isRegularFile();
    }

    @Test
    void userEntrypointDropsTheImageCmd() {
        ContainerConfig user = new ContainerConfig(null, null, null, null, List.of("echo", "hi"), "busybox", null,
                false, false, false, true, true, null);
        Container c = daemon.inspect(daemon.create("ep", user, null).id());
        assertThat(c.path()).isEqualTo("echo");
        assertThat(c.args()).containsExactly("hi");
    }

    @Test
    void namesConflictAndResolveByNameAndPrefix() {
        String id = daemon.create("web", config("busybox", "echo"), null).id();

        assertThatThrownBy(() -> daemon.create("/web", config("busybox", "echo"), null))
                .isInstanceOf(ConflictException.class)
                .hasMessage("Conflict. The container name \"/web\" is already in use by container \"" + id
                        + "\". You have to remove (or rename) that container to be able to reuse that name.");
        assertThat(daemon.inspect("web").id()).isEqualTo(id);
        assertThat(daemon.inspect("/web").id()).isEqualTo(id);
        assertThat(daemon.inspect(id.substring(0, 6)).id()).isEqualTo(id);
        assertThatThrownBy(() -> daemon.inspect("nope")).isInstanceOf(NotFoundException.class)
                .hasMessage("No such container: nope");
        assertThatThrownBy(() -> daemon.create("bad name", config("busybox", "echo"), null))
                .isInstanceOf(InvalidParameterException.class);
    }

    @Test
    void createValidatesTheHostConfig() {
        HostConfig tinyMemory = new HostConfig(false, 4L * 1024 * 1024, 0, 0, 0, 0, null, null, null, null, false, null);
        assertThatThrownBy(() -> daemon.create(null, config("busybox"), tinyMemory))
                .isInstanceOf(InvalidParameterException.class).hasMessage("Minimum memory limit allowed is 6MB");

        HostConfig unknownCap = new HostConfig(false, 0, 0, 0, 0, 0, null, List.of("CAP_NOT_A_THING"), null, null,
                false, null);
        assertThatThrownBy(() -> daemon.create(null, config("busybox"), unknownCap))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("CAP_NOT_A_THING");

        HostConfig badOpt = new HostConfig(false, 0, 0, 0, 0, 0, null, null, null, List.of("bogus=1"), false, null);
        assertThatThrownBy(() -> daemon.create(null, config("busybox"), badOpt))
                .isInstanceOf(InvalidParameterException.class);

        assertThatThrownBy(() -> daemon.create(null, config("nosuchimage"), null))
                .isInstanceOf(NotFoundException.class).hasMessage("No such image: nosuchimage");
        assertThat(daemon.list(true)).isEmpty();
    }

    @Test
    void startBuildsTheCommandWithLimitsCapabilitiesAndSeccomp() throws Exception {
        String profile = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
                + "\"action\":\"SCMP_ACT_ALLOW\"}]}";
        HostConfig hc = new HostConfig(false, 64L * 1024 * 1024, 0, 50000, 100000, 512, 100L,
                List.of("CAP_SYS_ADMIN"), List.of("NET_RAW"), List.of("seccomp=" + profile), false, null);
        String id = daemon.create(null, config("busybox", "echo", "x"), hc).id();
        run(id);
        Command cmd = exec.started.get(0);
        assertThat(cmd.id()).isEqualTo(id);
        assertThat(cmd.args()).containsExactly("echo", "x");
        assertThat(cmd.hostname()).isEqualTo(id.substring(0, 12));
        assertThat(cmd.env()).contains("HOSTNAME=" + id.substring(0, 12));
        assertThat(cmd.workingDir()).isEqualTo("/");
        assertThat(cmd.resources()).isEqualTo(new Command.Resources(64L * 1024 * 1024, 500_000_000L, 100, 512));
        assertThat(cmd.capabilities()).contains("SYS_ADMIN", "CHOWN").doesNotContain("NET_RAW");
        assertThat(cmd.seccomp().defaultAction()).isEqualTo("SCMP_ACT_ERRNO");
        assertThat(cmd.stateDir()).isEqualTo(root.resolve("containers").resolve(id).resolve("lxc"));
        assertThat(cmd.rootfs()).isEqualTo(root.resolve("rootfs").resolve(id));

        String unconfined = daemon.create(null, config("busybox", "echo"), new HostConfig(false, 0, 0, 0, 0, 0,
                null, null, null, List.of("seccomp=unconfined"), false, null)).id();
        run(unconfined);
        assertThat(exec.started.get(1).seccomp()).isNull();

        String defaults = daemon.create(null, config("busybox", "echo"), null).id();
        run(defaults);
        assertThat(exec.started.get(2).seccomp()).isEqualTo(FakeSecurity.DEFAULT_PROFILE);

        String privileged = daemon.create(null, config("busybox", "echo"), new HostConfig(false, 0, 0, 0, 0, 0,
                null, null, null, null, true, null)).id();
        run(privileged);
        assertThat(exec.started.get(3).privileged()).isTrue();
        assertThat(exec.started.get(3).seccomp()).isNull();
        assertThat(exec.started.get(3).capabilities()).contains("SYS_ADMIN", "NET_ADMIN");
    }

    @Test
    void outputGoesToTheJsonFileLogAndExitCodeToWaiters() throws Exception {
        String id = daemon.create("failing", config("busybox", "fail", "3", "bad", "thing"), null).id();
        assertThat(run(id)).isEqualTo(3);

        Container c = daemon.inspect(id);
        assertThat(c.state().status()).isEqualTo("exited");
        assertThat(c.state().exitCode()).isEqualTo(3);
        assertThat(c.state().running()).isFalse();
        assertThat(storage.mounted).doesNotContain(id);

        Path log = root.resolve("containers").resolve(id).resolve(id + "-json.log");
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            lines.add(json.readTree(line));
        }
        assertThat(lines).extracting(n -> n.get("stream").asText() + ":" + n.get("log").asText())
                .containsExactlyInAnyOrder("stdout:about to fail\n", "stderr:bad thing\n");
        for (JsonNode n : lines) {
            assertThat(Instant.parse(n.get("time").asText())).isBefore(Instant.now().plusSeconds(1));
        }

        List<String> got = new ArrayList<>();
        daemon.logs(id, new LogOptions(false, true, false, -1), collector(got, new CompletableFuture<>()));
        assertThat(got).containsExactly("stderr:bad thing\n");

        assertThat(daemon.waitFor(id, WaitCondition.NOT_RUNNING).get(1, TimeUnit.SECONDS)).isEqualTo(3);
    }

    static StreamListener collector(List<String> got, CompletableFuture<Void> ended) {
        return new StreamListener() {
            @Override
            public void onData(StreamType stream, byte[] data, Instant time) {
                got.add(stream.logName() + ":" + new String(data, StandardCharsets.UTF_8));
            }

            @Override
            public void onEnd() {
                ended.complete(null);
            }
        };
    }

    @Test
    void attachedListenersGetLiveOutputAndEndAtExit() throws Exception {
        String id = daemon.create(null, config("busybox", "sleep"), null).id();
        List<String> attached = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        daemon.attach(id, true, true, false, collector(attached, ended));
        List<String> followed = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> followEnded = new CompletableFuture<>();

        daemon.start(id);
        FakeProcess p = exec.last();
        p.stdout("one\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> attached.contains("stdout:one\n"));
        daemon.logs(id, new LogOptions(true, true, true, -1), collector(followed, followEnded));
        p.stderr("two\n").stdout("three\n");
        p.exit(0);

        ended.get(10, TimeUnit.SECONDS);
        followEnded.get(10, TimeUnit.SECONDS);
        assertThat(attached).containsExactlyInAnyOrder("stdout:one\n", "stderr:two\n", "stdout:three\n");
        assertThat(followed).containsExactlyInAnyOrder("stdout:one\n", "stderr:two\n", "stdout:three\n");

        List<String> tail = new ArrayList<>();
        daemon.logs(id, new LogOptions(true, true, false, 1), collector(tail, new CompletableFuture<>()));
        assertThat(tail).hasSize(1);
    }

    @Test
    void logsKeepWhatIsBetweenSinceAndUntilAndAFollowEndsAtUntil() throws Exception {
        String id = daemon.create("bounded", config("busybox", "sleep"), null).id();
        daemon.start(id);
        FakeProcess p = exec.last();
        p.stdout("early\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(
                Path.of(daemon.inspect(id).logPath())).contains("early"));
        Instant between = Instant.now();
        await().until(() -> Instant.now().isAfter(between));      // the next entry gets a later time
        p.stdout("late\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(
                Path.of(daemon.inspect(id).logPath())).contains("late"));

        List<String> since = new ArrayList<>();
        daemon.logs(id, new LogOptions(true, true, false, -1, between, null), collector(since, new CompletableFuture<>()));
        assertThat(since).containsExactly("stdout:late\n");
        List<String> until = new ArrayList<>();
        daemon.logs(id, new LogOptions(true, true, false, -1, null, between), collector(until, new CompletableFuture<>()));
        assertThat(until).containsExactly("stdout:early\n");
        // Docker's order: the tail first, then the bounds (--tail 1 --until BETWEEN gives nothing)
        List<String> tailed = new ArrayList<>();
        daemon.logs(id, new LogOptions(true, true, false, 1, null, between), collector(tailed, new CompletableFuture<>()));
        assertThat(tailed).isEmpty();

        // following with an until in the past: the stored entries up to it, then the end at once
        List<String> pastFollow = new ArrayList<>();
        CompletableFuture<Void> pastEnded = new CompletableFuture<>();
        daemon.logs(id, new LogOptions(true, true, true, -1, null, between), collector(pastFollow, pastEnded));
        pastEnded.get(10, TimeUnit.SECONDS);
        assertThat(pastFollow).containsExactly("stdout:early\n");

        // following with an until ahead: ends with the first entry written after it, while the container runs
        Instant soon = Instant.now().plusMillis(300);
        List<String> followed = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> followEnded = new CompletableFuture<>();
        daemon.logs(id, new LogOptions(true, true, true, -1, soon, soon), collector(followed, followEnded));
        await().until(() -> Instant.now().isAfter(soon));
        p.stdout("after\n");
        followEnded.get(10, TimeUnit.SECONDS);
        assertThat(followed).isEmpty();
        assertThat(daemon.inspect(id).state().running()).isTrue();
        daemon.kill(id, "KILL");
    }

    @Test
    void removeRefusesARunningContainerUnlessForced() throws Exception {
        String id = daemon.create("busy", config("busybox", "sleep"), null).id();
        assertThat(daemon.start(id)).isTrue();
        assertThat(daemon.start(id)).isFalse();
        assertThat(daemon.list(false)).extracting(Container::id).containsExactly(id);

        assertThatThrownBy(() -> daemon.remove("busy", false)).isInstanceOf(ConflictException.class)
                .hasMessage("You cannot remove a running container " + id
                        + ". Stop the container before attempting removal or force remove");

        daemon.remove("busy", true);
        assertThat(exec.last().signals).contains(9);
        assertThat(storage.removed).contains(id);
        assertThat(root.resolve("containers").resolve(id)).doesNotExist();
        assertThatThrownBy(() -> daemon.inspect(id)).isInstanceOf(NotFoundException.class);
        // the name is free again
        daemon.create("busy", config("busybox", "echo"), null);
    }

    @Test
    void killTakesSignalNamesAndNumbers() throws Exception {
        String id = daemon.create("killme", config("busybox", "stubborn"), null).id();
        daemon.start(id);
        FakeProcess p = exec.last();
        daemon.kill("killme", "SIGTERM");
        daemon.kill("killme", "TERM");
        daemon.kill("killme", "15");
        assertThat(p.signals).containsExactly(15, 15, 15);
        assertThatThrownBy(() -> daemon.kill("killme", "SIGNOPE")).isInstanceOf(InvalidParameterException.class);
        daemon.kill("killme", "USR1");
        await().atMost(Duration.ofSeconds(10)).until(() -> !daemon.inspect(id).state().running());
        assertThat(daemon.inspect(id).state().exitCode()).isEqualTo(128 + 10);
        assertThatThrownBy(() -> daemon.kill("killme", null)).isInstanceOf(ConflictException.class);
    }

    @Test
    void stopSendsTermThenKillAfterTheGracePeriod() throws Exception {
        String polite = daemon.create(null, config("busybox", "sleep"), null).id();
        daemon.start(polite);
        assertThat(daemon.stop(polite, 30)).isTrue();
        assertThat(exec.last().signals).containsExactly(15);
        assertThat(daemon.inspect(polite).state().exitCode()).isEqualTo(143);
        assertThat(daemon.stop(polite, 1)).isFalse();

        String stubborn = daemon.create(null, config("busybox", "stubborn"), null).id();
        daemon.start(stubborn);
        assertThat(daemon.stop(stubborn, 0)).isTrue();
        assertThat(exec.last().signals).containsExactly(15, 9);
        assertThat(daemon.inspect(stubborn).state().exitCode()).isEqualTo(137);
    }

    @Test
    void stopUsesTheStopSignalAndStopTimeoutOfTheContainerOrItsImage() throws Exception {
        ContainerConfig base = config("busybox", "sleep");
        ContainerConfig usr1 = new ContainerConfig(null, null, null, base.cmd(), null, "busybox", null, false, false,
                false, true, true, null, "SIGUSR1", null);
        String id = daemon.create(null, usr1, null).id();
        daemon.start(id);
        assertThat(daemon.stop(id, 30)).isTrue();
        assertThat(exec.last().signals).containsExactly(10);
        assertThat(daemon.inspect(id).config().stopSignal()).isEqualTo("SIGUSR1");

        // the image's StopSignal when the user gives none
        images.add(FakeImageStore.image("sha256:" + "5".repeat(64), "quitter:latest", new ImageConfig.Defaults(null,
                null, null, List.of("sleep"), null, null, "SIGQUIT")));
        String quitter = daemon.create(null, config("quitter:latest", "sleep"), null).id();
        daemon.start(quitter);
        assertThat(daemon.stop(quitter, 30)).isTrue();
        assertThat(exec.last().signals).containsExactly(3);

        // --stop-timeout 0 when the request gives no t: SIGKILL at once, not after 10 s
        ContainerConfig quick = new ContainerConfig(null, null, null, List.of("stubborn"), null, "busybox", null,
                false, false, false, true, true, null, null, 0);
        String stubborn = daemon.create(null, quick, null).id();
        daemon.start(stubborn);
        long t0 = System.nanoTime();
        assertThat(daemon.stop(stubborn, null)).isTrue();
        assertThat(System.nanoTime() - t0).isLessThan(5_000_000_000L);
        assertThat(exec.last().signals).containsExactly(15, 9);

        ContainerConfig bad = new ContainerConfig(null, null, null, List.of("x"), null, "busybox", null, false, false,
                false, true, true, null, "SIGFOO", null);
        assertThatThrownBy(() -> daemon.create(null, bad, null)).isInstanceOf(InvalidParameterException.class)
                .hasMessage("Invalid signal: SIGFOO");
    }

    @Test
    void autoRemoveRemovesAfterExitAndAfterAFailedStart() throws Exception {
        HostConfig rm = HostConfig.DEFAULT.withAutoRemove(true);
        String id = daemon.create(null, config("busybox", "echo", "bye"), rm).id();
        CompletableFuture<Integer> removed = daemon.waitFor(id, WaitCondition.REMOVED);
        daemon.start(id);
        assertThat(removed.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(daemon.list(true)).isEmpty();
        assertThat(root.resolve("containers").resolve(id)).doesNotExist();

        String doomed = daemon.create(null, config("busybox", "echo"), rm).id();
        CompletableFuture<Integer> gone = daemon.waitFor(doomed, WaitCondition.REMOVED);
        exec.failNextStart = "lxc-execute: not found";
        assertThatThrownBy(() -> daemon.start(doomed)).isInstanceOf(SystemException.class)
                .hasMessageContaining("lxc-execute");
        assertThat(gone.get(10, TimeUnit.SECONDS)).isEqualTo(128);  // any other start error: 128, as Docker
        assertThat(daemon.list(true)).isEmpty();
        assertThat(storage.mounted).isEmpty();
    }

    @Test
    void aFailedStartLeavesTheContainerCreatedWithTheErrorAndDockersExitCode() {
        String id = daemon.create(null, config("busybox", "/nonexistent"), null).id();
        exec.failNextStart = "exec: \"/nonexistent\": stat /nonexistent: no such file or directory";
        assertThatThrownBy(() -> daemon.start(id)).hasMessageContaining("/nonexistent");
        ContainerState s = daemon.inspect(id).state();
        assertThat(s.status()).isEqualTo("created");   // Docker 20.10: Created, not Exited (128)
        assertThat(s.running()).isFalse();
        assertThat(s.exitCode()).isEqualTo(127);
        assertThat(s.error()).contains("no such file or directory");
        assertThat(s.startedAt()).isEqualTo(ContainerState.ZERO_TIME);
        assertThat(s.finishedAt()).isEqualTo(ContainerState.ZERO_TIME);
        assertThat(storage.mounted).isEmpty();

        String denied = daemon.create(null, config("busybox", "/etc/passwd"), null).id();
        exec.failNextStart = "exec: \"/etc/passwd\": permission denied";
        assertThatThrownBy(() -> daemon.start(denied)).hasMessageContaining("permission denied");
        assertThat(daemon.inspect(denied).state().exitCode()).isEqualTo(126);
        assertThat(daemon.inspect(denied).state().status()).isEqualTo("created");

        String broken = daemon.create(null, config("busybox", "echo"), null).id();
        exec.failNextStart = "lxc-execute: not found";
        assertThatThrownBy(() -> daemon.start(broken)).isInstanceOf(SystemException.class);
        assertThat(daemon.inspect(broken).state().exitCode()).isEqualTo(128);

        // started again, the same failure again, still created; then a start that works runs it
        exec.failNextStart = "exec: \"/nonexistent\": stat /nonexistent: no such file or directory";
        assertThatThrownBy(() -> daemon.start(id)).hasMessageContaining("/nonexistent");
        assertThat(daemon.inspect(id).state().status()).isEqualTo("created");
        assertThat(daemon.list(false)).isEmpty();
    }

    @Test
    void stateSurvivesADaemonRestart() throws Exception {
        String done = daemon.create("done", config("busybox", "echo", "kept"), null).id();
        run(done);
        daemon.close();

        daemon = newDaemon();
        Container c = daemon.inspect("done");
        assertThat(c.id()).isEqualTo(done);
        assertThat(c.state().exitCode()).isZero();
        assertThat(c.state().status()).isEqualTo("exited");
        List<String> got = new ArrayList<>();
        daemon.logs("done", LogOptions.ALL, collector(got, new CompletableFuture<>()));
        assertThat(got).containsExactly("stdout:kept\n");
        assertThatThrownBy(() -> daemon.create("done", config("busybox"), null)).isInstanceOf(ConflictException.class);
    }

    @Test
    void aContainerRunningWhenTheDaemonDiedIsCleanedUpAndMarkedExited() throws Exception {
        String id = daemon.create("victim", config("busybox", "sleep"), null).id();
        daemon.start(id);
        exec.last().stdout("before the crash\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(
                root.resolve("containers").resolve(id).resolve(id + "-json.log")).contains("before the crash"));
        Daemon dead = daemon; // the old daemon "dies": nothing of it runs on; its process would be gone too

        daemon = newDaemon();
        Container c = daemon.inspect("victim");
        assertThat(c.state().running()).isFalse();
        assertThat(c.state().status()).isEqualTo("exited");
        assertThat(c.state().exitCode()).isEqualTo(Daemon.DAEMON_DIED_EXIT_CODE);
        assertThat(exec.cleanedUp).containsExactly(id);
        assertThat(storage.unmounts).contains(id);
        List<String> got = new ArrayList<>();
        daemon.logs(id, LogOptions.ALL, collector(got, new CompletableFuture<>()));
        assertThat(got).containsExactly("stdout:before the crash\n");

        exec.last().exit(0); // let the old daemon's monitor thread finish
        dead.close();
    }

    @Test
    void closeKillsRunningContainersAndUnmounts() {
        String id = daemon.create(null, config("busybox", "stubborn"), null).id();
        daemon.start(id);
        assertThat(storage.mounted).contains(id);
        daemon.close();
        assertThat(exec.last().signals).contains(9);
        assertThat(storage.mounted).isEmpty();
        assertThat(daemon.inspect(id).state().exitCode()).isEqualTo(137);
    }

    @Test
    void imageRemovalIsRefusedWhileAContainerUsesIt() {
        String id = daemon.create(null, config("busybox", "echo"), null).id();
        assertThatThrownBy(() -> daemon.removeImage("busybox", false)).isInstanceOf(ConflictException.class)
                .hasMessage("conflict: unable to remove repository reference \"busybox\" (must force) - container "
                        + id.substring(0, 12) + " is using its referenced image " + "b".repeat(12));
        assertThat(daemon.removeImage("busybox", true)).contains("Untagged: busybox:latest");
    }

    @Test
    void pullOnlyKnowsTheEmbeddedBusybox() {
        assertThat(daemon.pull("busybox", "latest").id()).isEqualTo(FakeImageStore.BUSYBOX_ID);
        assertThat(daemon.pull("docker.io/library/busybox", "").id()).isEqualTo(FakeImageStore.BUSYBOX_ID);
        assertThatThrownBy(() -> daemon.pull("alpine", "latest")).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("pull access denied for alpine");
    }

    @Test
    void signalNames() {
        assertThat(Signals.parse("SIGKILL")).isEqualTo(9);
        assertThat(Signals.parse("hup")).isEqualTo(1);
        assertThat(Signals.parse(null)).isEqualTo(9);
        assertThatThrownBy(() -> Signals.parse("99")).isInstanceOf(InvalidParameterException.class);
    }
}
