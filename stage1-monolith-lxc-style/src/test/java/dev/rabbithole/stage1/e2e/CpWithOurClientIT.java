package dev.rabbithole.stage1.e2e;

import dev.rabbithole.testsupport.JarDaemon;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 12 item 2 with our own client: {@code cp} in docker's syntax against stage 1's daemon (LXC driver), both
 * ways, {@code dir/.}, {@code -} streams, {@code -L}, Docker's texts, and a symlink to {@code /} in the container
 * (the container's file, never the host's). The docker CLI's cases are stage 2's {@code CpLikeDockerCases}.
 */
class CpWithOurClientIT {

    @TempDir
    static Path dir;
    static Stage1Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "stage-1 containers need root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/lxc-execute")), "lxc-execute missing: ./rabbithole setup installs lxc");
        daemon = new Stage1Daemon(dir.resolve("daemon"));
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static JarDaemon.Result ok(JarDaemon.Result r) {
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void cpBothWaysWithOurClient() throws Exception {
        ok(daemon.client("run", "-d", "--name", "cpc", "busybox", "sh", "-c",
                "mkdir -p /d/sub && echo hi > /d/a && echo x > /d/sub/b && ln -s / /target && ln -s /d/a /al"
                        + " && echo container-shadow > /etc/shadow && touch /ready && sleep 1000"));
        for (int i = 0; i < 200 && daemon.client("cp", "cpc:/ready", "-").exit() != 0; i++) {
            Thread.sleep(50);    // polling a CLI call until the container's script is done
        }
        // a file both ways: bytes and mode
        byte[] data = new byte[200_000];
        new Random().nextBytes(data);
        Path in = Files.write(dir.resolve("in.bin"), data);
        Files.setPosixFilePermissions(in, PosixFilePermissions.fromString("rwx--x---"));
        ok(daemon.client("cp", in.toString(), "cpc:/tmp/in.bin"));
        Path back = dir.resolve("back.bin");
        ok(daemon.client("cp", "cpc:/tmp/in.bin", back.toString()));
        assertThat(Files.readAllBytes(back)).isEqualTo(data);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(back))).isEqualTo("rwx--x---");
        // a directory's content with /., and -L
        ok(daemon.client("cp", "cpc:/d/.", dir.resolve("content").toString()));
        assertThat(dir.resolve("content/sub/b")).hasContent("x");
        assertThat(dir.resolve("content/d")).doesNotExist();
        ok(daemon.client("cp", "-L", "cpc:/al", dir.resolve("followed").toString()));
        assertThat(Files.isSymbolicLink(dir.resolve("followed"))).isFalse();
        assertThat(dir.resolve("followed")).hasContent("hi");
        // - streams
        Path tar = dir.resolve("one.tar");
        ok(JarDaemon.exec(List.of("tar", "-C", dir.resolve("content").toString(), "-cf", tar.toString(), "a")));
        ok(JarDaemon.exec(List.of("java", "-jar", Stage1Daemon.JAR.toString(), "-H", daemon.host(), "cp", "-", "cpc:/etc"), tar));
        assertThat(ok(daemon.client("cp", "cpc:/etc/a", "-")).out()).contains("hi\n");
        // the attack: a symlink to / gives and takes the container's files
        ok(daemon.client("cp", "cpc:/target/etc/shadow", dir.resolve("shadow").toString()));
        assertThat(dir.resolve("shadow")).hasContent("container-shadow");
        String unique = "rh-cp-client-" + Long.toHexString(new Random().nextLong() & Long.MAX_VALUE);
        Path f = Files.writeString(dir.resolve(unique), "inside");
        ok(daemon.client("cp", f.toString(), "cpc:/target"));
        assertThat(Path.of("/", unique)).doesNotExist();
        assertThat(ok(daemon.client("cp", "cpc:/" + unique, "-")).out()).contains("inside");
        // Docker's texts
        var missing = daemon.client("cp", "cpc:/nonexist", dir.resolve("x").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("Error response from daemon: Could not find the file /nonexist in container cpc");
        var noDir = daemon.client("cp", in.toString(), "cpc:/nonexist/");
        assertThat(noDir.err()).contains("no such directory");
    }
}
