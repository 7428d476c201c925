package dev.rabbithole.stage4.image;

import dev.rabbithole.stage2.e2e.ImageLayoutCases;
import dev.rabbithole.testsupport.DebianDockerd;
import dev.rabbithole.testsupport.HostFiles;
import dev.rabbithole.testsupport.JarDaemon;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Stage 2's {@link ImageLayoutCases} (from its test jar) on stage 4's dockerd ({@code rabbithole stage4 dockerd}, from
 * this module's shaded jar, over the containerd, shim and runtime it starts), one dockerd for the class; and, with
 * Debian's dockerd 20.10 beside it, the same archive both ways: what we save Docker loads to the same image IDs, and
 * Docker's {@code repositories}, configs and v1 layer files ({@code VERSION}, {@code json}, {@code layer.tar}) for the
 * same images are ours byte for byte, its {@code manifest.json} the same entries (in the order of a Go map walk).
 * Needs root, containerd, busybox-static and the docker CLI; skipped with a reason otherwise.
 */
class ImageLayoutOnStage4IT extends ImageLayoutCases {

    private static Path dir;
    private static Process dockerd;
    private static String host;

    @BeforeAll
    static void startDockerd() throws Exception {
        assumeTrue(JarDaemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        for (String bin : List.of("docker", "containerd")) {
            assumeTrue(JarDaemon.exec(List.of("sh", "-c", "command -v " + bin)).exit() == 0, bin + " is not installed");
        }
        Path jar = Path.of(System.getProperty("rabbithole.stage4.jar", "target/rabbithole-stage4.jar"));
        assumeTrue(Files.isRegularFile(jar), "the stage-4 jar is not built (mvn package)");
        dir = Files.createTempDirectory("rh-l4-");
        host = "unix://" + dir.resolve("docker.sock");
        dockerd = new ProcessBuilder("/usr/bin/setsid", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toAbsolutePath().toString(), "dockerd", "--data-root", dir.resolve("data").toString(),
                "--exec-root", dir.resolve("exec").toString(), "-H", host, "--bridge", "none")
                .redirectErrorStream(true).redirectOutput(dir.resolve("dockerd.log").toFile()).start();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!dockerd.isAlive()) {
                throw new IllegalStateException("dockerd exited with " + dockerd.exitValue() + ":\n"
                        + Files.readString(dir.resolve("dockerd.log")));
            }
            return docker("version").exit() == 0;
        });
        cli = ImageLayoutOnStage4IT::docker;
    }

    private static JarDaemon.Result docker(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", host));
        cmd.addAll(List.of(args));
        return JarDaemon.exec(cmd);
    }

    @AfterAll
    static void stopDockerd() throws Exception {
        if (dockerd != null && dockerd.isAlive()) {
            dockerd.destroy();
            if (!dockerd.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                dockerd.destroyForcibly();
                dockerd.waitFor();
            }
        }
        if (dir != null) {
            HostFiles.unmountUnder(dir);
            HostFiles.deleteRecursively(dir);
        }
    }

    private static JarDaemon.Result ok(JarDaemon.Result r) {
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    /** The regular files of a tar, by name (symlinks followed within the tar, as docker load follows them). */
    private static Map<String, byte[]> files(Path tar) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        Map<String, String> links = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(tar); TarArchiveInputStream t = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = t.getNextEntry()) != null) {
                if (e.isSymbolicLink()) {
                    links.put(e.getName(), Path.of(e.getName()).getParent().resolve(e.getLinkName()).normalize().toString());
                } else if (e.isFile()) {
                    out.put(e.getName(), t.readAllBytes());
                }
            }
        }
        links.forEach((name, target) -> out.put(name, out.get(target)));
        return out;
    }

    @Test
    void debiansDockerdLoadsOurSaveToTheSameIdsAndSavesTheSameDockerArchive() throws Exception {
        Optional<Path> debian = DebianDockerd.find();
        assumeTrue(debian.isPresent(), "Debian's dockerd is not installed (apt-get install docker.io)");
        ok(docker("run", "--name", "il4-src", "busybox", "sh", "-c", "mkdir -p /d && echo x > /d/f && rm -f /bin/vi"));
        ok(docker("commit", "--change", "ENV A=<b>&c", "--change", "EXPOSE 80", "il4-src", "il4/diff:1"));
        ok(docker("rm", "il4-src"));
        ok(docker("tag", "il4/diff:1", "example.com/il4/diff:2"));
        Path ours = dir.resolve("ours.tar");
        ok(docker("save", "-o", ours.toString(), "il4/diff:1", "example.com/il4/diff:2", "busybox"));
        String id = ok(docker("image", "inspect", "-f", "{{.Id}}", "il4/diff:1")).out().strip();
        String busybox = ok(docker("image", "inspect", "-f", "{{.Id}}", "busybox")).out().strip();

        try (DebianDockerd d = new DebianDockerd(debian.get())) {
            List<String> dd = List.of("docker", "-H", d.host());
            JarDaemon.Result load = ok(JarDaemon.exec(concat(dd, "load", "-i", ours.toString())));
            assertThat(load.out()).contains("Loaded image: il4/diff:1", "Loaded image: example.com/il4/diff:2",
                    "Loaded image: busybox:latest");
            assertThat(ok(JarDaemon.exec(concat(dd, "image", "inspect", "-f", "{{.Id}}", "il4/diff:1"))).out().strip())
                    .isEqualTo(id);
            assertThat(ok(JarDaemon.exec(concat(dd, "image", "inspect", "-f", "{{.Id}}", "busybox"))).out().strip())
                    .isEqualTo(busybox);
            // the loaded image runs under Docker: whiteout and file as we stored them
            assertThat(ok(JarDaemon.exec(concat(dd, "run", "--rm", "il4/diff:1", "sh", "-c",
                    "cat /d/f; test -e /bin/vi && echo vi-present || echo vi-gone"))).out()).isEqualTo("x\nvi-gone\n");
            Path theirs = dir.resolve("theirs.tar");
            ok(JarDaemon.exec(concat(dd, "save", "-o", theirs.toString(), "il4/diff:1", "example.com/il4/diff:2",
                    "busybox")));

            Map<String, byte[]> ourFiles = files(ours);
            Map<String, byte[]> dockers = files(theirs);
            // everything Docker 20.10 writes, we write with the same bytes (we add the OCI layout beside it)
            assertThat(ourFiles.keySet()).containsAll(dockers.keySet());
            for (Map.Entry<String, byte[]> f : dockers.entrySet()) {
                if (f.getKey().equals("manifest.json")) {
                    // dockerd 20.10 walks a Go map of the images: their order in manifest.json varies run to run
                    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
                    List<String> theirsEntries = new ArrayList<>();
                    json.readTree(f.getValue()).forEach(n -> theirsEntries.add(n.toString()));
                    List<String> oursEntries = new ArrayList<>();
                    json.readTree(ourFiles.get("manifest.json")).forEach(n -> oursEntries.add(n.toString()));
                    assertThat(oursEntries).containsExactlyInAnyOrderElementsOf(theirsEntries);
                    continue;
                }
                assertThat(ourFiles.get(f.getKey())).as(f.getKey()).isEqualTo(f.getValue());
            }
            // and Docker's archive loads into ours to the same IDs
            ok(docker("rmi", "il4/diff:1", "example.com/il4/diff:2"));
            assertThat(ok(docker("load", "-i", theirs.toString())).out()).contains("Loaded image: il4/diff:1");
            assertThat(ok(docker("image", "inspect", "-f", "{{.Id}}", "example.com/il4/diff:2")).out().strip())
                    .isEqualTo(id);
        }
        ok(docker("rmi", "il4/diff:1", "example.com/il4/diff:2"));
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> l = new ArrayList<>(head);
        l.addAll(List.of(tail));
        return l;
    }
}
