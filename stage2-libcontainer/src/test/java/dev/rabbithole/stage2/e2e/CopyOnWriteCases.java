package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.JarDaemon;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12 item 2 and issue 13's base, through the real docker CLI: {@code docker commit} (a container's upperdir
 * becomes a layer, whiteouts included), {@code docker diff}, {@code docker history}, {@code docker export} and
 * {@code docker import}. The expected outputs are what Debian's dockerd 20.10.24 printed for the same commands on
 * the same busybox root filesystem (diff lines compared as a set: dockerd's order varies from call to call).
 *
 * <p>Shared with stage 3 through this module's test jar; a subclass starts one daemon for the class and sets
 * {@link #cli} and {@link #work} (a directory for archives).
 */
public abstract class CopyOnWriteCases {

    /** Set by the subclass's {@code @BeforeAll} once its daemon answers. */
    protected static DockerCli cli;
    /** A directory the test may write archives to. */
    protected static Path work;

    private static JarDaemon.Result ok(String... args) throws Exception {
        var r = cli.docker(args);
        assertThat(r.exit()).as("docker " + String.join(" ", args) + ": " + r).isZero();
        return r;
    }

    private static List<String> lines(JarDaemon.Result r) {
        return r.out().isBlank() ? List.of() : Arrays.asList(r.out().strip().split("\n"));
    }

    @Test
    public void commitTurnsTheWritableLayerIntoAnImageWithWhiteouts() throws Exception {
        ok("run", "--name", "cow-a", "busybox", "sh", "-c", "echo hello > /hello && ln /hello /hello2 && rm /etc/group");
        String id = ok("commit", "-m", "a message", "-a", "Ann <ann@example.org>",
                "-c", "CMD [\"cat\",\"/hello\"]", "cow-a", "cow-img:v1").out().strip();
        assertThat(id).matches("sha256:[0-9a-f]{64}");
        // from inside the new image: the added file, the hard link kept as one inode, the removed file gone
        assertThat(ok("run", "--rm", "cow-img:v1").out()).isEqualTo("hello\n");
        String[] links = ok("run", "--rm", "cow-img:v1", "stat", "-c", "%h:%i", "/hello", "/hello2").out().strip().split("\n");
        assertThat(links).hasSize(2).allMatch(l -> l.startsWith("2:"));
        assertThat(links[0]).isEqualTo(links[1]);
        var removed = cli.docker("run", "--rm", "cow-img:v1", "ls", "/etc/group");
        assertThat(removed.exit()).as(removed.toString()).isEqualTo(1);
        assertThat(removed.err()).contains("No such file or directory");
        assertThat(ok("inspect", "-f", "{{json .Config.Cmd}}", "cow-img:v1").out().strip()).isEqualTo("[\"cat\",\"/hello\"]");
        ok("rm", "cow-a");
    }

    @Test
    public void commitOfAReplacedDirectoryHidesWhatWasBelow() throws Exception {
        // rm -rf + mkdir makes overlayfs mark /usr opaque: the layer must carry .wh..wh..opq
        ok("run", "--name", "cow-o", "busybox", "sh", "-c", "rm -rf /usr && mkdir -p /usr/new && echo x > /usr/new/f");
        ok("commit", "cow-o", "cow-opq");
        assertThat(ok("run", "--rm", "cow-opq", "ls", "-A", "/usr").out()).isEqualTo("new\n");
        assertThat(ok("run", "--rm", "cow-opq", "cat", "/usr/new/f").out()).isEqualTo("x\n");
        ok("rm", "cow-o");
    }

    @Test
    public void diffShowsAddedChangedAndDeletedPathsAsDocker() throws Exception {
        ok("run", "--name", "cow-d", "busybox", "sh", "-c", "echo hi > /hello && rm /etc/group && mkdir -p /tmp/x && echo a > /tmp/x/f");
        // what dockerd 20.10 printed for this container (in some order)
        assertThat(lines(ok("diff", "cow-d"))).containsExactlyInAnyOrder(
                "C /etc", "D /etc/group", "A /hello", "C /tmp", "A /tmp/x", "A /tmp/x/f");
        // a container that changed nothing: no line (the daemon's own /etc/hostname, hosts, resolv.conf are not changes)
        ok("run", "--name", "cow-d0", "busybox", "true");
        assertThat(ok("diff", "cow-d0").out()).isEmpty();
        var missing = cli.docker("diff", "cow-nosuch");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("No such container: cow-nosuch");
        ok("rm", "cow-d", "cow-d0");
    }

    @Test
    public void historyListsTheNewLayerOnTopOfTheBase() throws Exception {
        ok("run", "--name", "cow-h", "busybox", "sh", "-c", "echo 12345 > /f");
        String id = ok("commit", "-m", "the comment", "cow-h", "cow-hist").out().strip();
        String busybox = ok("inspect", "-f", "{{.Id}}", "busybox").out().strip();
        assertThat(lines(ok("history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}", "cow-hist")))
                .containsExactly(id + "|sh -c echo 12345 > /f|6B|the comment", busybox + "||1.99MB|Imported from -");
        assertThat(lines(ok("history", "-q", "cow-hist"))).containsExactly(id.substring(7, 19), busybox.substring(7, 19));
        // the default table: docker's columns
        assertThat(ok("history", "cow-hist").out()).startsWith("IMAGE          CREATED").contains("CREATED BY", "SIZE", "COMMENT");

        // a container that changed nothing: an empty layer, as dockerd (history entry, no layer)
        ok("run", "--name", "cow-h0", "busybox", "true");
        ok("commit", "cow-h0", "cow-hist0");
        assertThat(lines(ok("history", "--format", "{{.CreatedBy}}|{{.Size}}", "cow-hist0")))
                .containsExactly("true|0B", "|1.99MB");
        assertThat(ok("inspect", "-f", "{{len .RootFS.Layers}}", "cow-hist0").out().strip()).isEqualTo("1");
        ok("rm", "cow-h", "cow-h0");
    }

    @Test
    public void exportThenImportGivesAnImageThatRuns() throws Exception {
        ok("run", "--name", "cow-e", "busybox", "sh", "-c", "echo exported > /e");
        String cid = ok("inspect", "-f", "{{.Id}}", "cow-e").out().strip();
        Path tar = work.resolve("cow-e.tar");
        ok("export", "-o", tar.toString(), "cow-e");
        assertThat(Files.size(tar)).isGreaterThan(1_000_000);        // the whole rootfs: busybox is ~2 MB
        // the stopped container's rootfs was mounted for the export only
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(cid);
        ok("import", "-m", "round trip", "-c", "CMD [\"cat\",\"/e\"]", "-c", "ENV A=1", tar.toString(), "cow-rt:1");
        assertThat(ok("run", "--rm", "cow-rt:1").out()).isEqualTo("exported\n");
        assertThat(ok("run", "--rm", "cow-rt:1", "sh", "-c", "echo $A").out()).isEqualTo("1\n");
        assertThat(lines(ok("history", "--format", "{{.CreatedBy}}|{{.Comment}}", "cow-rt:1"))).containsExactly("|round trip");
        ok("rm", "cow-e");
    }

    @Test
    public void badChangesAndSourcesAreRefusedAsDockerRefusesThem() throws Exception {
        ok("create", "--name", "cow-bad", "busybox", "true");
        var run = cli.docker("commit", "-c", "RUN true", "cow-bad");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("run is not a valid change command");
        var stop = cli.docker("commit", "-c", "STOPSIGNAL SIGINT", "cow-bad");
        assertThat(stop.err()).contains("stopsignal is not a valid change command");
        var noContainer = cli.docker("commit", "cow-nosuch");
        assertThat(noContainer.err()).contains("No such container: cow-nosuch");
        var url = cli.docker("import", "http://127.0.0.1:9/rootfs.tar");
        assertThat(url.exit()).isEqualTo(1);
        assertThat(url.err()).contains("http://127.0.0.1:9/rootfs.tar");
        // nothing was made of the refused commits
        assertThat(ok("images", "-q", "--filter", "dangling=true").out()).isEmpty();
        ok("rm", "cow-bad");
    }
}
