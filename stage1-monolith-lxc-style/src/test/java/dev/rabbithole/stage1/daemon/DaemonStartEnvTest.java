package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.daemon.fakes.FakeImageStore;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the daemon adds to the command it hands the exec driver: HOME, no-new-privileges; security options. */
class DaemonStartEnvTest {

    @TempDir
    Path root;

    ScriptedExecDriver exec;
    Daemon daemon;

    @BeforeEach
    void open() {
        exec = new ScriptedExecDriver();
        daemon = new Daemon(root.resolve("data"), new FakeImageStore(), new FakeStorageDriver(root.resolve("rootfs")),
                exec, new FakeSecurity());
    }

    @AfterEach
    void close() {
        daemon.close();
    }

    static HostConfig securityOpts(String... opts) {
        return new HostConfig(false, 0, 0, 0, 0, 0, null, null, null, List.of(opts), false, null);
    }

    /** Creates and runs {@code echo} as the user, with the rootfs's passwd given, and returns the command. */
    Command started(String user, List<String> env, HostConfig hc) throws Exception {
        ContainerConfig config = new ContainerConfig(null, user, env, List.of("echo", "x"), null, "busybox", null,
                false, false, false, true, true, null);
        String id = daemon.create(null, config, hc).id();
        Path etc = Files.createDirectories(root.resolve("rootfs").resolve(id).resolve("etc"));
        Files.writeString(etc.resolve("passwd"), """
                root:x:0:0:root:/root:/bin/sh
                nobody:x:65534:65534:nobody:/home:/bin/false
                """);
        CompletableFuture<Integer> exit = daemon.waitFor(id, WaitCondition.NEXT_EXIT);
        daemon.start(id);
        exit.get(10, TimeUnit.SECONDS);
        return exec.started.get(exec.started.size() - 1);
    }

    @Test
    void homeComesFromThePasswdEntryUnlessTheEnvironmentHasOne() throws Exception {
        assertThat(started("", null, null).env()).contains("HOME=/root");
        assertThat(started("nobody", null, null).env()).contains("HOME=/home");
        assertThat(started("65534:0", null, null).env()).contains("HOME=/home");
        assertThat(started("4242", null, null).env()).contains("HOME=/");
        List<String> own = started("nobody", List.of("HOME=/mine"), null).env();
        assertThat(own).contains("HOME=/mine").doesNotContain("HOME=/home");
    }

    @Test
    void noNewPrivilegesReachesTheExecDriver() throws Exception {
        assertThat(started("", null, null).noNewPrivileges()).isFalse();
        assertThat(started("", null, securityOpts("no-new-privileges")).noNewPrivileges()).isTrue();
        assertThat(started("", null, securityOpts("no-new-privileges=true")).noNewPrivileges()).isTrue();
        assertThat(started("", null, securityOpts("no-new-privileges:true")).noNewPrivileges()).isTrue();
        assertThat(started("", null, securityOpts("no-new-privileges=false")).noNewPrivileges()).isFalse();
    }

    @Test
    void unknownSecurityOptionsAreRefusedInDockersWords() {
        assertThatThrownBy(() -> daemon.create(null, ContainerConfig.of("busybox", "echo"), securityOpts("bogus")))
                .isInstanceOf(InvalidParameterException.class).hasMessage("invalid --security-opt 1: \"bogus\"");
        assertThatThrownBy(() -> daemon.create(null, ContainerConfig.of("busybox", "echo"), securityOpts("bogus=1")))
                .isInstanceOf(InvalidParameterException.class).hasMessage("invalid --security-opt 2: \"bogus=1\"");
        assertThatThrownBy(() -> daemon.create(null, ContainerConfig.of("busybox", "echo"),
                securityOpts("no-new-privileges=maybe")))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessage("invalid --security-opt 2: \"no-new-privileges=maybe\"");
    }
}
