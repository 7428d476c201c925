package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.fakes.FakeImageStore;
import dev.rabbithole.stage1.daemon.fakes.FakeProcess;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Restart policies, restart and rename in the shared daemon, on a scripted exec driver: what Debian's dockerd
 * 20.10 did for the same requests (the messages, events, RestartCount, the back-off of moby's restart manager).
 */
class DaemonRestartPolicyTest {

    private static final ObjectMapper JSON = new ObjectMapper();

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
        daemon = new Daemon(root, images, storage, exec, new FakeSecurity());
    }

    @AfterEach
    void close() {
        daemon.close();
    }

    static HostConfig policy(String name, int max) throws Exception {
        return JSON.readValue("{\"RestartPolicy\":{\"Name\":\"" + name + "\",\"MaximumRetryCount\":" + max + "}}",
                HostConfig.class);
    }

    private List<String> actions(String id) {
        return daemon.events().recent().stream().filter(e -> id.equals(e.actorId())).map(Event::action).toList();
    }

    @Test
    void createChecksThePolicyWithDockersMessages() throws Exception {
        assertThatThrownBy(() -> daemon.create(null, ContainerConfig.of("busybox", "true"), policy("bogus", 0)))
                .isInstanceOf(InvalidParameterException.class).hasMessage("invalid restart policy 'bogus'");
        assertThatThrownBy(() -> daemon.create(null, ContainerConfig.of("busybox", "true"), policy("always", 3)))
                .hasMessage("maximum retry count cannot be used with restart policy 'always'");
        assertThatThrownBy(() -> daemon.create(null, ContainerConfig.of("busybox", "true"), policy("on-failure", -1)))
                .hasMessage("maximum retry count cannot be negative");
        HostConfig rm = JSON.readValue("{\"AutoRemove\":true,\"RestartPolicy\":{\"Name\":\"always\"}}", HostConfig.class);
        assertThatThrownBy(() -> daemon.create(null, ContainerConfig.of("busybox", "true"), rm))
                .hasMessage("can't create 'AutoRemove' container with restart policy");
        assertThat(daemon.list(true)).as("nothing was created").isEmpty();
        daemon.create(null, ContainerConfig.of("busybox", "true"), policy("on-failure", 0));
        daemon.create(null, ContainerConfig.of("busybox", "true"), policy("no", 0));
    }

    @Test
    void backOffDoublesFromOneHundredMillisecondsAndResetsAfterTenSeconds() {
        RestartManager m = new RestartManager(new HostConfig.RestartPolicy("always", 0), 0);
        assertThat(m.next(1, false, Duration.ofMillis(5))).isEqualTo(Duration.ofMillis(100));
        assertThat(m.next(1, false, Duration.ofMillis(5))).isEqualTo(Duration.ofMillis(200));
        assertThat(m.next(1, false, Duration.ofMillis(5))).isEqualTo(Duration.ofMillis(400));
        assertThat(m.next(0, false, Duration.ofSeconds(10))).isEqualTo(Duration.ofMillis(100));
        for (int i = 0; i < 20; i++) {
            m.next(1, false, Duration.ZERO);
        }
        assertThat(m.next(1, false, Duration.ZERO)).isEqualTo(Duration.ofMinutes(1));
        m.cancel();
        assertThat(m.next(1, false, Duration.ZERO)).isNull();

        RestartManager onFailure = new RestartManager(new HostConfig.RestartPolicy("on-failure", 2), 0);
        assertThat(onFailure.next(0, false, Duration.ZERO)).as("a clean exit").isNull();
        assertThat(onFailure.next(3, false, Duration.ZERO)).isNotNull();
        assertThat(onFailure.next(3, false, Duration.ZERO)).isNotNull();
        assertThat(onFailure.next(3, false, Duration.ZERO)).as("the third failure: maximum reached").isNull();
        assertThat(onFailure.restartCount()).isEqualTo(2);
        assertThat(new RestartManager(new HostConfig.RestartPolicy("unless-stopped", 0), 0)
                .next(0, true, Duration.ZERO)).isNull();
    }

    @Test
    void onFailureRestartsUpToItsMaximumThenStaysExited() throws Exception {
        String id = daemon.create(null, ContainerConfig.of("busybox", "fail", "3", "x"), policy("on-failure", 2)).id();
        daemon.start(id);
        await().atMost(Duration.ofSeconds(10)).until(() -> exec.started.size() == 3
                && "exited".equals(daemon.inspect(id).state().status()));
        Container c = daemon.inspect(id);
        assertThat(c.restartCount()).isEqualTo(2);
        assertThat(c.state().exitCode()).isEqualTo(3);
        assertThat(actions(id)).containsExactly("create", "start", "die", "start", "die", "start", "die");
        assertThat(exec.started).hasSize(3);
    }

    @Test
    void alwaysComesBackAfterAnOutsideKillButNotAfterStop() throws Exception {
        String id = daemon.create(null, ContainerConfig.of("busybox", "sleep"), policy("always", 0)).id();
        daemon.start(id);
        FakeProcess first = exec.last();
        first.exit(137);                                          // killed from outside the daemon
        await().atMost(Duration.ofSeconds(10)).until(() -> exec.processes.size() == 2
                && daemon.inspect(id).state().running() && !daemon.inspect(id).state().restarting());
        assertThat(daemon.inspect(id).restartCount()).isEqualTo(1);
        assertThat(daemon.inspect(id).state().pid()).isNotEqualTo(first.pid());

        assertThat(daemon.stop(id, 1)).isTrue();
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))       // longer than the back-off
                .until(() -> exec.processes.size() == 2);
        assertThat(daemon.inspect(id).state().status()).isEqualTo("exited");
        assertThat(daemon.inspect(id).hasBeenManuallyStopped()).isTrue();

        daemon.start(id);                                         // a user's start: a new run of the policy
        assertThat(daemon.inspect(id).restartCount()).isZero();
        assertThat(daemon.inspect(id).hasBeenManuallyStopped()).isFalse();
    }

    @Test
    void aRestartingContainerIsStoppedOrRemovedAndWaitersWake() throws Exception {
        String id = daemon.create("looper", ContainerConfig.of("busybox", "fail", "5", "x"), policy("always", 0)).id();
        daemon.start(id);
        CompletableFuture<Integer> exit = daemon.waitFor(id, WaitCondition.NOT_RUNNING);
        assertThat(exit.get(10, TimeUnit.SECONDS)).as("not-running wakes at an exit that restarts").isEqualTo(5);
        // restarting after five restarts: the back-off (100 ms doubling) now waits over a second, so the remove
        // below meets the restarting state, not the next run (the first delays are 100 ms: a loaded host missed them)
        await().atMost(Duration.ofSeconds(20))
                .until(() -> daemon.inspect(id).state().restarting() && daemon.inspect(id).restartCount() >= 5);
        CompletableFuture<Integer> removed = daemon.waitFor(id, WaitCondition.REMOVED);
        assertThatThrownBy(() -> daemon.remove(id, false)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("You cannot remove a restarting container " + id + ". Stop the container");
        daemon.remove(id, true);
        assertThat(removed.get(10, TimeUnit.SECONDS)).isEqualTo(5);
        int starts = exec.started.size();
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))       // no start after the removal
                .until(() -> exec.started.size() == starts);
    }

    @Test
    void restartStopsAndStartsAndEmitsRestart() throws Exception {
        String id = daemon.create("r1", ContainerConfig.of("busybox", "sleep"), null).id();
        daemon.restart(id, 1);                                    // created: just started
        long pid = daemon.inspect(id).state().pid();
        String startedAt = daemon.inspect(id).state().startedAt();
        daemon.restart(id, 1);
        assertThat(daemon.inspect(id).state().pid()).isNotEqualTo(pid);
        assertThat(daemon.inspect(id).state().startedAt()).isNotEqualTo(startedAt);
        assertThat(daemon.inspect(id).restartCount()).isZero();
        assertThat(actions(id)).containsExactly("create", "start", "restart", "kill", "die", "stop", "start", "restart");

        HostConfig rm = JSON.readValue("{\"AutoRemove\":true}", HostConfig.class);
        String auto = daemon.create("r2", ContainerConfig.of("busybox", "sleep"), rm).id();
        daemon.start(auto);
        daemon.restart(auto, 1);
        assertThat(daemon.inspect(auto).state().running()).as("--rm is not removed by a restart").isTrue();
    }

    @Test
    void renameAsDocker() throws Exception {
        String id = daemon.create("aa", ContainerConfig.of("busybox", "true"), null).id();
        String other = daemon.create("bb", ContainerConfig.of("busybox", "true"), null).id();
        assertThatThrownBy(() -> daemon.rename("aa", "bb")).isInstanceOf(ConflictException.class)
                .hasMessage("Error when allocating new name: Conflict. The container name \"/bb\" is already in use by"
                        + " container \"" + other + "\". You have to remove (or rename) that container to be able to"
                        + " reuse that name.");
        assertThatThrownBy(() -> daemon.rename("aa", "aa")).isInstanceOf(InvalidParameterException.class)
                .hasMessage("Renaming a container with the same name as its current name");
        assertThatThrownBy(() -> daemon.rename("aa", "a b")).isInstanceOf(InvalidParameterException.class)
                .hasMessage("Error when allocating new name: Invalid container name (/a b), only"
                        + " [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        assertThatThrownBy(() -> daemon.rename("aa", "")).hasMessage("Neither old nor new names may be empty");
        daemon.rename("aa", "cc");
        assertThat(daemon.inspect("cc").id()).isEqualTo(id);
        assertThatThrownBy(() -> daemon.inspect("aa")).hasMessage("No such container: aa");
        Event e = daemon.events().recent().get(daemon.events().recent().size() - 1);
        assertThat(e.action()).isEqualTo("rename");
        assertThat(e.attributes()).containsEntry("name", "cc").containsEntry("oldName", "/aa");
        daemon.create("aa", ContainerConfig.of("busybox", "true"), null);   // the old name is free again

        daemon.close();
        daemon = new Daemon(root, images, storage, exec, new FakeSecurity());
        assertThat(daemon.inspect("cc").id()).as("persisted").isEqualTo(id);
    }

    @Test
    void aDaemonStartRestartsWhatThePolicySays() throws Exception {
        String always = daemon.create("al", ContainerConfig.of("busybox", "sleep"), policy("always", 0)).id();
        String stoppedAlways = daemon.create("sa", ContainerConfig.of("busybox", "sleep"), policy("always", 0)).id();
        String unless = daemon.create("us", ContainerConfig.of("busybox", "sleep"), policy("unless-stopped", 0)).id();
        String stoppedUnless = daemon.create("su", ContainerConfig.of("busybox", "sleep"),
                policy("unless-stopped", 0)).id();
        String never = daemon.create("cr", ContainerConfig.of("busybox", "sleep"), policy("always", 0)).id();
        String none = daemon.create("no", ContainerConfig.of("busybox", "sleep"), null).id();
        for (String id : List.of(always, stoppedAlways, unless, stoppedUnless, none)) {
            daemon.start(id);
        }
        daemon.stop(stoppedAlways, 1);
        daemon.stop(stoppedUnless, 1);
        daemon.close();                                   // kills the running ones: they die with the daemon

        daemon = new Daemon(root, images, storage, exec, new FakeSecurity());
        await().atMost(Duration.ofSeconds(10)).until(() -> daemon.inspect(always).state().running()
                && daemon.inspect(stoppedAlways).state().running() && daemon.inspect(unless).state().running());
        assertThat(daemon.inspect(stoppedUnless).state().status()).isEqualTo("exited");
        assertThat(daemon.inspect(never).state().status()).isEqualTo("created");
        assertThat(daemon.inspect(none).state().status()).isEqualTo("exited");
        assertThat(daemon.inspect(always).restartCount()).isZero();
    }
}
