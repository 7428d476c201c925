package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The warm init pool ({@link InitPool}) with real containers: a pooled init runs a container as a new one
 * does (its own hostname, cgroup, cgroup namespace, mount namespace made after the rootfs was mounted); a
 * pooled init that dies is never handed out; a closed pool leaves no process and no socket directory.
 */
class InitPoolRootTest extends RootContainerTests {
    private InitPool pool;

    @AfterEach
    void closePool() {
        if (pool != null) {
            pool.close();
        }
    }

    private InitPool startPool(int size) throws Exception {
        pool = new InitPool(size, tmp.resolve("pool"), InitCommand.current(), new JnaSyscalls(),
                LinuxContainer.Stdio.PIPES).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> pool.idleCount() == size);
        return pool;
    }

    @Test
    void aPooledInitRunsAContainerWithItsOwnHostnameCgroupAndARootfsMountedAfterItStarted() throws Exception {
        startPool(2);
        long pooledPid = pool.idlePids().get(0);
        // the rootfs is mounted after the pooled init started: it must see it (its mount namespace is made
        // when it is taken), and the host must not see the container's mounts
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        new JnaSyscalls().mount("tmpfs", mnt.toString(), "tmpfs", 0, "size=64m");
        try {
            TestConfigs.busyboxRootfs(mnt);
            String id = id();
            String hostNs = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
            LinuxContainer c = create(TestConfigs.config(id, mnt, TestConfigs.sh(
                    "hostname; cat /proc/self/cgroup; readlink /proc/self/ns/mnt; echo pid $$; echo /proc/[0-9]*; "
                    + "read x || true")));
            c.start(pool);
            var out = drain(c.process().getInputStream());
            var err = drain(c.process().getErrorStream());
            assertThat(c.process().pid()).isEqualTo(pooledPid);
            // from outside: the workload is in the container's cgroup
            String outside = Files.readString(Path.of("/proc", Long.toString(pooledPid), "cgroup"));
            assertThat(outside).contains(CGROUP_PARENT + "/" + id);
            c.process().getOutputStream().close();
            assertThat(c.waitFor()).as("stderr: %s", err.get()).isZero();
            List<String> lines = out.get().lines().toList();
            assertThat(lines.get(0)).isEqualTo("box-" + id);
            // the cgroup namespace was made after the placement: the container's cgroup is its root
            assertThat(lines.stream().filter(l -> l.contains(":/")))
                    .isNotEmpty().allSatisfy(l -> assertThat(l).endsWith(":/"));
            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("mnt:[").isNotEqualTo(hostNs));
            assertThat(lines).contains("pid 1");
            // from inside: no other process is visible, not the pool's other inits nor the daemon
            assertThat(lines).contains("/proc/1");
            assertThat(c.kernelCalls()).anySatisfy(l -> assertThat(l).startsWith("pool(take"));
            assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo")))
                    .noneMatch(l -> l.contains(mnt + "/proc") || l.contains(mnt + "/dev"));
            // a new init replaces the one handed out
            await().atMost(Duration.ofSeconds(60)).until(() -> pool.idleCount() == 2);
            assertThat(pool.idlePids()).doesNotContain(pooledPid);
            assertThat(pool.handedOut()).isEqualTo(1);
        } finally {
            new JnaSyscalls().umount2(mnt.toString(), 2 /* MNT_DETACH */);
        }
    }

    @Test
    void aNewInitsCgroupNamespaceIsRootedAtTheContainersCgroup() throws Exception {
        // made after the cgroup placement: before that fix its root was the daemon's cgroup, and the
        // container saw its own cgroup as a path below it (0::/../rabbithole-test/ID or the like)
        Result r = run(TestConfigs.sh("cat /proc/self/cgroup"));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout().lines().filter(l -> l.contains(":/")))
                .isNotEmpty().allSatisfy(l -> assertThat(l).endsWith(":/"));
    }

    @Test
    void aPooledInitThatDiedIsReplacedNotHandedOut() throws Exception {
        startPool(1);
        long victim = pool.idlePids().get(0);
        new JnaSyscalls().kill((int) victim, 9);
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(Path.of("/proc", Long.toString(victim))));
        LinuxContainer c = create(TestConfigs.config(id(), rootfs, TestConfigs.sh("echo ok")));
        c.start(pool);
        var out = drain(c.process().getInputStream());
        assertThat(c.process().pid()).isNotEqualTo(victim);
        assertThat(c.waitFor()).isZero();
        assertThat(out.get()).isEqualTo("ok\n");
        await().atMost(Duration.ofSeconds(60)).until(() -> pool.idleCount() == 1);
        assertThat(pool.idlePids()).doesNotContain(victim);
    }

    @Test
    void aClosedPoolLeavesNoProcessAndNoSocketDirectory() throws Exception {
        startPool(2);
        List<Long> pids = pool.idlePids();
        assertThat(pool.idlePssBytes()).isPositive();
        pool.close();
        assertThat(pids).allSatisfy(p -> assertThat(Path.of("/proc", Long.toString(p))).doesNotExist());
        assertThat(tmp.resolve("pool")).doesNotExist();
        assertThat(pool.take(TestConfigs.config(id(), rootfs, TestConfigs.sh("true")).namespaces())).isNull();
    }

    @Test
    void aContainerWithoutAFittingNamespaceSetGetsANewInit() throws Exception {
        assertThat(InitPool.fits(TestConfigs.config(id(), rootfs, TestConfigs.sh("true")).namespaces())).isTrue();
        var hostNet = java.util.EnumSet.copyOf(TestConfigs.config(id(), rootfs, TestConfigs.sh("true")).namespaces());
        hostNet.remove(dev.rabbithole.stage2.libcontainer.configs.NamespaceType.NET);
        assertThat(InitPool.fits(hostNet)).isFalse();
    }
}
