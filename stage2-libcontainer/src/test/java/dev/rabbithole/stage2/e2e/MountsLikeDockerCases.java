package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.GroupsImage;
import dev.rabbithole.testsupport.JarDaemon;
import dev.rabbithole.testsupport.MountsImage;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12 item 1 through the real docker CLI: bind mounts, named and anonymous volumes, {@code --tmpfs},
 * {@code --read-only}, {@code --volumes-from}, {@code docker volume}, checked from inside the container (what it
 * can read and write), from outside (the host's files, the volume directories, {@code /proc/self/mountinfo})
 * and against an image whose symlink {@code /escape} points at a host directory. The messages are those Debian's
 * dockerd 20.10.24 printed for the same commands.
 *
 * <p>Shared by the stages through this module's test jar: a subclass starts one daemon, sets {@link #cli} and
 * calls {@link #prepare}.
 */
public abstract class MountsLikeDockerCases {

    /** Set by the subclass once its daemon answers. */
    protected static DockerCli cli;
    /** A host directory of the test: bind sources, and {@code outside} (the symlink's target) with a marker. */
    protected static Path host;

    static final String IMAGE = "mounts:latest";
    static final String VOLUME_IMAGE = "mountsvol:latest";
    static final String MARKER = "untouched\n";

    /**
     * Writes and loads the two test images ({@value #IMAGE}; {@value #VOLUME_IMAGE} declares {@code VOLUME /data})
     * and makes {@code dir/outside/marker}.
     *
     * @param docker the CLI of the daemon under test
     * @param dir    an empty host directory the test owns
     */
    protected static void prepare(DockerCli docker, Path dir) throws IOException, InterruptedException {
        cli = docker;
        host = dir.toRealPath();
        Path outside = Files.createDirectories(host.resolve("outside"));
        Files.writeString(outside.resolve("marker"), MARKER);
        for (boolean volume : new boolean[] {false, true}) {
            Path archive = host.resolve(volume ? "mountsvol.tar" : "mounts.tar");
            MountsImage.write(archive, GroupsImage.hostArch(), volume ? VOLUME_IMAGE : IMAGE, outside.toString(),
                    volume);
            var load = docker.docker("load", "-i", archive.toString());
            assertThat(load.exit()).as(load.toString()).isZero();
            Files.delete(archive);
        }
    }

    private static JarDaemon.Result docker(String... args) throws IOException, InterruptedException {
        return cli.docker(args);
    }

    private static JarDaemon.Result ok(String... args) throws IOException, InterruptedException {
        var r = cli.docker(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    // --- binds ---

    @Test
    public void aFileWrittenInABindMountAppearsOnTheHost() throws Exception {
        Path src = Files.createDirectories(host.resolve("bind-rw"));
        // -v creates a missing source as a directory (as dockerd; --mount refuses it, below)
        Path missing = host.resolve("bind-missing/sub");
        ok("run", "--rm", "-v", src + ":/h", "-v", missing + ":/m", IMAGE, "sh", "-c",
                "echo hello > /h/file; echo made > /m/f");
        assertThat(Files.readString(src.resolve("file"))).isEqualTo("hello\n");
        assertThat(Files.readString(missing.resolve("f"))).isEqualTo("made\n");
    }

    @Test
    public void aReadOnlyBindRefusesWritesWithErofs() throws Exception {
        Path src = Files.createDirectories(host.resolve("bind-ro"));
        Files.writeString(src.resolve("there"), "there\n");
        var ro = docker("run", "--rm", "-v", src + ":/h:ro", "--mount", "type=bind,source=" + src + ",target=/m,readonly",
                IMAGE, "sh", "-c", "cat /h/there; echo x > /h/new; touch /m/new2; echo $?");
        assertThat(ro.out()).as(ro.toString()).isEqualTo("there\n1\n");
        assertThat(ro.err()).as(ro.toString()).contains("/h/new: Read-only file system")
                .contains("/m/new2: Read-only file system");
        assertThat(src.resolve("new")).doesNotExist();
        assertThat(src.resolve("new2")).doesNotExist();
    }

    @Test
    public void inspectShowsTheMountsAsDockerDoes() throws Exception {
        Path src = Files.createDirectories(host.resolve("bind-inspect"));
        ok("create", "--name", "inspected", "-v", src + ":/h:ro", "-v", "inspectvol:/v", "--tmpfs", "/t:size=1m",
                IMAGE, "true");
        try {
            String mounts = ok("inspect", "-f", "{{json .Mounts}}", "inspected").out();
            assertThat(mounts).contains("{\"Type\":\"bind\",\"Source\":\"" + src + "\",\"Destination\":\"/h\","
                    + "\"Mode\":\"ro\",\"RW\":false,\"Propagation\":\"rprivate\"}");
            assertThat(mounts).contains("\"Type\":\"volume\",\"Name\":\"inspectvol\"");
            assertThat(mounts).contains("\"Destination\":\"/v\",\"Driver\":\"local\",\"Mode\":\"z\",\"RW\":true,"
                    + "\"Propagation\":\"\"}");
            assertThat(mounts).doesNotContain("\"/t\"");     // --tmpfs is not a mount point, as in dockerd
            // Binds as the CLI sent them; the docker CLI builds that list from a Go map, so its order varies by run
            assertThat(ok("inspect", "-f", "{{range .HostConfig.Binds}}{{println .}}{{end}}", "inspected").out()
                    .strip().lines().sorted().toList()).containsExactly(src + ":/h:ro", "inspectvol:/v");
            assertThat(ok("inspect", "-f", "{{json .HostConfig.Tmpfs}}", "inspected").out().strip())
                    .isEqualTo("{\"/t\":\"size=1m\"}");
        } finally {
            ok("rm", "-v", "inspected");
            ok("volume", "rm", "inspectvol");
        }
    }

    @Test
    public void badMountsAreRefusedWithDockersMessages() throws Exception {
        var dup = docker("create", "-v", host + ":/x", "-v", "dupvol:/x", IMAGE, "true");
        assertThat(dup.exit()).as(dup.toString()).isNotZero();
        assertThat(dup.err()).as(dup.toString()).contains("Duplicate mount point: /x");
        var tmpfsDup = docker("create", "--tmpfs", "/x", "-v", host + ":/x", IMAGE, "true");
        assertThat(tmpfsDup.err()).as(tmpfsDup.toString()).contains("Duplicate mount point: /x");
        Path missing = host.resolve("no-such-dir");
        var noSource = docker("create", "--mount", "type=bind,source=" + missing + ",target=/x", IMAGE, "true");
        assertThat(noSource.exit()).as(noSource.toString()).isNotZero();
        assertThat(noSource.err()).as(noSource.toString()).contains(
                "invalid mount config for type \"bind\": bind source path does not exist: " + missing);
        assertThat(missing).doesNotExist();
        var badName = docker("create", "-v", "bad name!:/x", IMAGE, "true");
        assertThat(badName.err()).as(badName.toString()).contains("\"bad name!\" includes invalid characters for a"
                + " local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed");
        assertThat(docker("volume", "ls", "-q").out()).doesNotContain("dupvol");
        // a create refused for its name leaves no anonymous volume behind
        ok("create", "--name", "twice", VOLUME_IMAGE, "true");
        String before = ok("volume", "ls", "-q").out();
        var again = docker("create", "--name", "twice", "-v", "/more", VOLUME_IMAGE, "true");
        assertThat(again.exit()).as(again.toString()).isNotZero();
        assertThat(again.err()).as(again.toString()).contains("is already in use");
        assertThat(ok("volume", "ls", "-q").out()).isEqualTo(before);
        ok("rm", "-v", "twice");
    }

    // --- volumes ---

    @Test
    public void aNamedVolumeOutlivesItsContainerAndIsSharedByTwo() throws Exception {
        // filled from the image's /data on first use, then written
        var first = ok("run", "--name", "writer", "-v", "shared:/data", IMAGE, "sh", "-c",
                "cat /data/seed; echo one > /data/one");
        assertThat(first.out()).isEqualTo(MountsImage.SEED);
        ok("rm", "writer");
        String dir = ok("volume", "inspect", "-f", "{{.Mountpoint}}", "shared").out().strip();
        assertThat(Path.of(dir, "one")).hasContent("one");
        // two containers at once: what one writes the other reads
        ok("run", "-d", "--name", "holder", "-v", "shared:/data", IMAGE, "sh", "-c",
                "while [ ! -f /data/two ]; do sleep 0.1; done; cat /data/one /data/two; sleep 60");
        try {
            ok("run", "--rm", "--mount", "type=volume,source=shared,target=/w", IMAGE, "sh", "-c",
                    "echo two > /w/two");
            // a loaded host (a CI run beside other work) has taken more than 20 s here
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> ok("logs", "holder").out().equals("one\ntwo\n"));
            // in use: 409 with dockerd's message naming the container
            String id = ok("inspect", "-f", "{{.Id}}", "holder").out().strip();
            var inUse = docker("volume", "rm", "shared");
            assertThat(inUse.exit()).as(inUse.toString()).isNotZero();
            assertThat(inUse.err()).as(inUse.toString()).contains("remove shared: volume is in use - [" + id + "]");
            // --volumes-from NAME:ro: the same volume, read-only
            var from = docker("run", "--rm", "--volumes-from", "holder:ro", IMAGE, "sh", "-c",
                    "cat /data/two; touch /data/three");
            assertThat(from.out()).as(from.toString()).isEqualTo("two\n");
            assertThat(from.err()).as(from.toString()).contains("Read-only file system");
        } finally {
            ok("rm", "-f", "holder");
        }
        ok("volume", "rm", "shared");
        assertThat(Path.of(dir)).doesNotExist();
        var gone = docker("volume", "inspect", "shared");
        assertThat(gone.exit()).isNotZero();
        assertThat(gone.err()).as(gone.toString()).containsIgnoringCase("no such volume");   // CLI 20.10 and 28 word it apart
    }

    @Test
    public void rmDashVLeavesNothingOfAnAnonymousVolume() throws Exception {
        // the image's VOLUME /data and -v /anon: two anonymous volumes, /data filled from the image
        var run = ok("run", "--name", "anon", "-v", "/anon", VOLUME_IMAGE, "sh", "-c",
                "cat /data/seed; echo a > /anon/a");
        assertThat(run.out()).isEqualTo(MountsImage.SEED);
        List<String> sources = List.of(ok("inspect", "-f",
                "{{range .Mounts}}{{.Source}} {{end}}", "anon").out().strip().split(" "));
        assertThat(sources).hasSize(2).allSatisfy(s -> assertThat(Path.of(s)).isDirectory());
        List<String> names = List.of(ok("inspect", "-f", "{{range .Mounts}}{{.Name}} {{end}}", "anon").out()
                .strip().split(" "));
        ok("rm", "-v", "anon");
        for (String s : sources) {
            assertThat(Path.of(s)).doesNotExist();
            assertThat(Path.of(s).getParent()).doesNotExist();
        }
        String ls = ok("volume", "ls", "-q").out();
        names.forEach(n -> assertThat(ls).doesNotContain(n));
        // --rm removes them too; without -v they stay (and prune takes them)
        ok("run", "--rm", VOLUME_IMAGE, "true");
        assertThat(ok("volume", "ls", "-q").out()).isEqualTo(ls);
        ok("create", "--name", "keeps", VOLUME_IMAGE, "true");
        String kept = ok("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", "keeps").out().strip();
        ok("rm", "keeps");
        assertThat(ok("volume", "ls", "-q").out()).contains(kept);
        assertThat(ok("volume", "prune", "-f").out()).contains(kept);
        assertThat(ok("volume", "ls", "-q").out()).doesNotContain(kept);
    }

    // --- read-only rootfs and tmpfs ---

    @Test
    public void readOnlyRefusesEtcAndAllowsTmpfsAndVolumes() throws Exception {
        var run = ok("run", "--rm", "--read-only", "--tmpfs", "/tmp", "--tmpfs", "/t:size=1m", "-v", "rovol:/data",
                IMAGE, "sh", "-c", "echo x > /etc/x; echo t > /tmp/t && cat /tmp/t && echo v > /data/v && cat /data/v"
                        + " && grep -e ' /tmp ' -e ' /t ' /proc/self/mounts");
        assertThat(run.err()).as(run.toString()).contains("/etc/x: Read-only file system");
        assertThat(run.out()).as(run.toString()).startsWith("t\nv\n")
                .contains("tmpfs /tmp tmpfs rw,nosuid,nodev,noexec").contains("size=1024k");
        ok("volume", "rm", "rovol");
    }

    // --- from outside ---

    @Test
    public void noMountOfARemovedContainerStaysOnTheHost() throws Exception {
        Path src = Files.createDirectories(host.resolve("bind-leak"));
        ok("run", "--name", "leaky", "-v", src + ":/h", "-v", "leakvol:/v", "--tmpfs", "/t", IMAGE, "true");
        String id = ok("inspect", "-f", "{{.Id}}", "leaky").out().strip();
        ok("rm", "-v", "leaky");
        List<String> mountinfo = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        assertThat(mountinfo).noneMatch(l -> l.contains(id) || l.contains(src.toString()) || l.contains("leakvol"));
        ok("volume", "rm", "leakvol");
    }

    // --- the attack: a mount through the image's symlink /escape -> HOST/outside ---

    @Test
    public void aMountThroughAnImageSymlinkLandsInsideTheRootfs() throws Exception {
        Path outside = host.resolve("outside");
        Path src = Files.createDirectories(host.resolve("bind-attack"));
        // a bind at the link, a volume below it: both land inside the rootfs, where the link leads in there
        var run = ok("run", "--rm", "-v", src + ":/escape", "--mount", "type=volume,source=attackvol,target=/escape/sub",
                IMAGE, "sh", "-c", "echo pwned > /escape/pwned; echo pwned > /escape/sub/pwned; ls /escape");
        assertThat(run.out()).as(run.toString()).isEqualTo("pwned\nsub\n");
        assertThat(src.resolve("pwned")).hasContent("pwned");
        // the host directory the link names was never mounted over nor written
        try (Stream<Path> files = Files.list(outside)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("marker");
        }
        assertThat(outside.resolve("marker")).hasContent(MARKER.strip());
        assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo"))).noneMatch(l -> l.contains(outside.toString()));
        ok("volume", "rm", "attackvol");
    }
}
