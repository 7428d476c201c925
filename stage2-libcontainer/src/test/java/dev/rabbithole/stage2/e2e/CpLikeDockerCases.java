package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.HostFiles;
import dev.rabbithole.testsupport.JarDaemon;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12 item 2, {@code docker cp}, through the real docker CLI: both ways, on running and stopped containers,
 * {@code dir/.}, {@code -} streams, Docker's refusals, and the attacks: a symlink to {@code /} inside the container
 * (the container's file is read and written, never the host's), and a container that swaps a directory for a symlink
 * to {@code /} while the copies run (CVE-2018-15664). The expected texts are what Debian's dockerd 20.10.24 printed
 * for the same commands on a busybox rootfs.
 *
 * <p>Shared with stage 3 through this module's test jar; a subclass starts one daemon for the class and sets
 * {@link #cli} and {@link #host}.
 */
public abstract class CpLikeDockerCases {

    /** Set by the subclass's {@code @BeforeAll} once its daemon answers. */
    protected static DockerCli cli;
    /** The daemon's {@code -H} value ({@code unix://...}), for the cases that pipe into or out of the CLI. */
    protected static String host;

    private static final Random RANDOM = new Random();

    private static JarDaemon.Result ok(JarDaemon.Result r) {
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    private static String run(String name, String script) throws Exception {
        ok(cli.docker("run", "-d", "--name", name, "busybox", "sh", "-c", script));
        return id(name);
    }

    private static String id(String name) throws Exception {
        return ok(cli.docker("inspect", "-f", "{{.Id}}", name)).out().strip();
    }

    /** Lines of /proc/self/mountinfo that mount something for this container (its rootfs). */
    private static List<String> mountsOf(String id) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(id)).toList();
    }

    /** Waits until the container's script wrote {@code /ready}. */
    private static void awaitReady(String name) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (cli.docker("cp", name + ":/ready", "-").exit() == 0) return;
            Thread.sleep(50);    // polling a CLI call; Awaitility would add nothing here
        }
        throw new AssertionError(name + " never wrote /ready");
    }

    /** The shell words that wait for {@code /tmp/go} (see {@link #go}), for a container that reports after a copy. */
    private static final String AWAIT_GO = "while [ ! -e /tmp/go ]; do sleep 0.1; done; ";

    /** Lets a container waiting in {@link #AWAIT_GO} go on, and returns its log once it holds {@code expected}. */
    private static String go(String name, Path anyHostFile, String expected) throws Exception {
        ok(cli.docker("cp", anyHostFile.toString(), name + ":/tmp/go"));
        String[] log = new String[1];
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
            log[0] = cli.docker("logs", name).out();
            return log[0].contains(expected);
        });
        return log[0];
    }

    private static JarDaemon.Result sh(String script) throws Exception {
        return JarDaemon.exec(List.of("sh", "-c", script));
    }

    @Test
    public void aFileBothWaysKeepsBytesAndModeOnCreatedAndRunningContainers() throws Exception {
        Path dir = Files.createTempDirectory("rh-cp-");
        try {
            byte[] data = new byte[300_000];
            RANDOM.nextBytes(data);
            Path in = Files.write(dir.resolve("in.bin"), data);
            Files.setPosixFilePermissions(in, PosixFilePermissions.fromString("rwxr-x---"));
            ok(cli.docker("create", "--name", "cp-created", "busybox", "true"));
            String created = id("cp-created");
            String running = run("cp-running", AWAIT_GO + "wc -c /tmp/copied.bin; sleep 1000");
            for (String ctr : List.of("cp-created", "cp-running")) {
                ok(cli.docker("cp", in.toString(), ctr + ":/tmp/copied.bin"));
                Path back = dir.resolve(ctr + ".bin");
                ok(cli.docker("cp", ctr + ":/tmp/copied.bin", back.toString()));
                assertThat(Files.readAllBytes(back)).as(ctr).isEqualTo(data);
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(back))).as(ctr).isEqualTo("rwxr-x---");
            }
            // from inside: the running container sees the file the copy wrote
            assertThat(go("cp-running", in, "/tmp/copied.bin")).contains("300000 /tmp/copied.bin");
            // a container that is not running has its rootfs mounted for the copy only; the daemon unmounts it once the
            // tar is written, which the CLI may have read to its end a moment before
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(mountsOf(created)).isEmpty());
            assertThat(mountsOf(running)).isNotEmpty();
            // the copy survives a start: it is in the container's writable layer
            ok(cli.docker("start", "cp-created"));
            ok(cli.docker("wait", "cp-created"));
            // the runtime may still hold an exited container's rootfs busy for a while (stage 3: until its task is
            // deleted), and the daemon's unmount at the exit then leaves it mounted: the copy must add no mount
            boolean mountedAfterExit = !mountsOf(created).isEmpty();
            ok(cli.docker("cp", "cp-created:/tmp/copied.bin", dir.resolve("after.bin").toString()));
            assertThat(Files.readAllBytes(dir.resolve("after.bin"))).isEqualTo(data);
            if (!mountedAfterExit) {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                        .untilAsserted(() -> assertThat(mountsOf(created)).isEmpty());
            } else {
                System.err.println("note: the rootfs of the exited cp-created was still mounted before the copy");
            }
            ok(cli.docker("rm", "-f", "cp-created", "cp-running"));
            assertThat(mountsOf(running)).isEmpty();
        } finally {
            HostFiles.deleteRecursively(dir);
        }
    }

    @Test
    public void directoriesWithAndWithoutSlashDotAndSymlinksWithL() throws Exception {
        Path dir = Files.createTempDirectory("rh-cp-");
        try {
            run("cp-dirs", "mkdir -p /d/sub && echo hi > /d/a && echo x > /d/sub/b && ln -s /etc/passwd /pl"
                    + " && touch /ready && " + AWAIT_GO + "cat /d/up/inner/f /d/sub/inner/f; sleep 1000");
            awaitReady("cp-dirs");
            ok(cli.docker("cp", "cp-dirs:/d/.", dir.resolve("content").toString()));
            assertThat(dir.resolve("content/a")).hasContent("hi");
            assertThat(dir.resolve("content/sub/b")).hasContent("x");
            assertThat(dir.resolve("content/d")).doesNotExist();
            Files.createDirectories(dir.resolve("into"));
            ok(cli.docker("cp", "cp-dirs:/d", dir.resolve("into").toString()));
            assertThat(dir.resolve("into/d/sub/b")).hasContent("x");
            // without -L a symlink is copied as a symlink, with -L its target's content
            ok(cli.docker("cp", "cp-dirs:/pl", dir.resolve("link").toString()));
            assertThat(Files.readSymbolicLink(dir.resolve("link"))).isEqualTo(Path.of("/etc/passwd"));
            ok(cli.docker("cp", "-L", "cp-dirs:/pl", dir.resolve("followed").toString()));
            assertThat(Files.isSymbolicLink(dir.resolve("followed"))).isFalse();
            assertThat(Files.readString(dir.resolve("followed"))).startsWith("root:x:0:0:");
            // a host directory into the container, then its content with /.
            Files.createDirectories(dir.resolve("up/inner"));
            Files.writeString(dir.resolve("up/inner/f"), "from host\n");
            ok(cli.docker("cp", dir.resolve("up").toString(), "cp-dirs:/d/"));
            ok(cli.docker("cp", dir.resolve("up").toString() + "/.", "cp-dirs:/d/sub"));
            assertThat(go("cp-dirs", dir.resolve("up/inner/f"), "from host\nfrom host")).isEqualTo("from host\nfrom host\n");
        } finally {
            HostFiles.deleteRecursively(dir);
        }
    }

    @Test
    public void dashStreamsATarBothWays() throws Exception {
        Path dir = Files.createTempDirectory("rh-cp-");
        try {
            ok(cli.docker("create", "--name", "cp-stream", "busybox", "true"));
            Files.writeString(dir.resolve("f.txt"), "streamed in\n");
            ok(sh("tar -C " + dir + " -cf - f.txt | docker -H " + host + " cp - cp-stream:/tmp"));
            var out = ok(sh("docker -H " + host + " cp cp-stream:/tmp/f.txt - | tar -xOf -"));
            assertThat(out.out()).isEqualTo("streamed in\n");
            var list = ok(sh("docker -H " + host + " cp cp-stream:/etc/. - | tar -tf -"));
            assertThat(list.out().lines()).contains("./", "./passwd");
        } finally {
            HostFiles.deleteRecursively(dir);
        }
    }

    @Test
    public void refusalsWithDockersTexts() throws Exception {
        Path dir = Files.createTempDirectory("rh-cp-");
        try {
            ok(cli.docker("create", "--name", "cp-refuse", "busybox", "true"));
            var missing = cli.docker("cp", "cp-refuse:/nonexist", dir.resolve("x").toString());
            assertThat(missing.exit()).isEqualTo(1);
            assertThat(missing.err()).contains("Could not find the file /nonexist in container cp-refuse");
            Files.writeString(dir.resolve("h.txt"), "hello");
            var noParent = cli.docker("cp", dir.resolve("h.txt").toString(), "cp-refuse:/nonexist/x");
            assertThat(noParent.exit()).isEqualTo(1);
            assertThat(noParent.err()).contains("Could not find the file /nonexist in container cp-refuse");
            var notDir = cli.docker("cp", "cp-refuse:/etc/passwd/", dir.resolve("y").toString());
            assertThat(notDir.exit()).isEqualTo(1);
            assertThat(notDir.err()).contains("not a directory");
            var dirOnFile = cli.docker("cp", dir.toString(), "cp-refuse:/etc/passwd");
            assertThat(dirOnFile.exit()).isEqualTo(1);
            assertThat(dirOnFile.err()).contains("cannot copy directory");
            var noSuchDir = cli.docker("cp", dir.resolve("h.txt").toString(), "cp-refuse:/newdir/");
            assertThat(noSuchDir.exit()).isEqualTo(1);
            assertThat(noSuchDir.err()).contains("no such directory");
            // and nothing was lost: the container's file is as it was
            var passwd = ok(sh("docker -H " + host + " cp cp-refuse:/etc/passwd - | tar -xOf -"));
            assertThat(passwd.out()).startsWith("root:x:0:0:");
        } finally {
            HostFiles.deleteRecursively(dir);
        }
    }

    @Test
    public void aSymlinkToSlashInTheContainerNeverReachesTheHost() throws Exception {
        Path dir = Files.createTempDirectory("rh-cp-");
        String unique = "rh-cp-escape-" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
        try {
            run("cp-link", "echo container-shadow > /etc/shadow && ln -s / /target && ln -s ../../../../.. /up"
                    + " && touch /ready && " + AWAIT_GO + "cat /" + unique + " /tmp/" + unique + "; sleep 1000");
            awaitReady("cp-link");
            // reading through the link gives the container's file, not the host's /etc/shadow
            ok(cli.docker("cp", "cp-link:/target/etc/shadow", dir.resolve("shadow").toString()));
            assertThat(dir.resolve("shadow")).hasContent("container-shadow");
            ok(cli.docker("cp", "cp-link:/up/etc/shadow", dir.resolve("shadow2").toString()));
            assertThat(dir.resolve("shadow2")).hasContent("container-shadow");
            // writing into the link lands in the container's /, never in the host's
            Path f = Files.writeString(dir.resolve(unique), "inside\n");   // whole lines: logs are kept by line
            ok(cli.docker("cp", f.toString(), "cp-link:/target"));
            ok(cli.docker("cp", f.toString(), "cp-link:/up/tmp/"));
            assertThat(Path.of("/", unique)).doesNotExist();
            assertThat(Path.of("/tmp", unique)).doesNotExist();
            assertThat(go("cp-link", f, "inside\ninside\n")).isEqualTo("inside\ninside\n");
        } finally {
            HostFiles.deleteRecursively(dir);
        }
    }

    @Test
    public void aContainerSwappingADirectoryForASymlinkToSlashNeverReachesTheHost() throws Exception {
        // the host's marker: a directory outside every rootfs, with a file the container must never read or write
        Path hostDir = Files.createTempDirectory("rh-cp-race-");
        Path marker = Files.writeString(hostDir.resolve("marker"), "host secret");
        Files.setLastModifiedTime(marker, FileTime.fromMillis(1_000_000_000_000L));
        Path local = Files.createTempDirectory("rh-cp-");
        String h = hostDir.toString();
        try {
            // /victim/H/marker while /victim is the directory; H/marker in the container's own / while it is the link
            run("cp-race", "mkdir -p /victim" + h + " " + h + " && echo container-dir > /victim" + h + "/marker"
                    + " && echo container-root > " + h + "/marker && ln -s / /victim.link && touch /ready"
                    + " && while true; do mv /victim /victim.dir; mv /victim.link /victim;"
                    + " mv /victim /victim.link; mv /victim.dir /victim; done");
            awaitReady("cp-race");
            Path payload = Files.writeString(local.resolve("written-by-cp"), "payload");
            Set<String> read = new HashSet<>();
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                var in = cli.docker("cp", payload.toString(), "cp-race:/victim" + h + "/");
                if (in.exit() != 0) failures.add(in.err().strip());
                Path out = local.resolve("out-" + i);
                var r = cli.docker("cp", "cp-race:/victim" + h + "/marker", out.toString());
                if (r.exit() == 0) {
                    read.add(Files.readString(out, StandardCharsets.UTF_8).strip());
                } else {
                    failures.add(r.err().strip());
                }
            }
            assertThat(read).as("contents read; refusals: %s", failures).doesNotContain("host secret").isNotEmpty();
            assertThat(Set.of("container-dir", "container-root")).containsAll(read);
            // the host directory is as it was: same marker, same mtime, nothing added
            assertThat(marker).hasContent("host secret");
            assertThat(Files.getLastModifiedTime(marker, LinkOption.NOFOLLOW_LINKS).toMillis()).isEqualTo(1_000_000_000_000L);
            try (var s = Files.list(hostDir)) {
                assertThat(s.map(p -> p.getFileName().toString())).containsExactly("marker");
            }
            assertThat(Path.of("/written-by-cp")).doesNotExist();
        } finally {
            cli.docker("rm", "-f", "cp-race");
            HostFiles.deleteRecursively(hostDir);
            HostFiles.deleteRecursively(local);
        }
    }
}
