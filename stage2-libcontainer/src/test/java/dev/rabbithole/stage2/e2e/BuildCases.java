package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.DebianDockerd;
import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13, through the real docker CLI with {@code DOCKER_BUILDKIT=0} (the classic builder, {@code POST /build}):
 * a small image from busybox (RUN writes a file, COPY adds one, ENV, WORKDIR, CMD) that runs and shows them, a
 * second build taken from the cache step by step, a multi-stage build with {@code COPY --from} and
 * {@code --target}, Docker's errors (a failing RUN's message and exit code, COPY out of the context, an unknown
 * instruction) with nothing tagged, and the differential case: the same Dockerfile built by Debian's dockerd
 * 20.10 gives the same build output (IDs aside), the same image config and the same files.
 *
 * <p>Shared with stage 3 through this module's test jar; a subclass starts one daemon for the class and sets
 * {@link #host} (every stage builds through its own runtime: LXC, libcontainer, containerd + shim + runc).
 */
public abstract class BuildCases {

    /** {@code unix:///...} of the engine under test; set by the subclass's {@code @BeforeAll}. */
    protected static String host;

    /** The docker CLI that still has the classic builder: Debian's 20.10 when installed. */
    static final String DOCKER = Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : "docker";

    /** The Dockerfile of {@link #smallImageRunsAndASecondBuildIsAllCache}. */
    static final String SMALL = """
            # a comment
            FROM busybox
            ENV GREETING=hi \\
                OTHER=x
            WORKDIR /app
            RUN echo built > /app/built.txt
            COPY hello.txt .
            CMD ["cat", "/app/hello.txt"]
            """;

    /** A Dockerfile with every instruction the classic builder knows (but MAINTAINER, deprecated). */
    static final String EVERY = """
            ARG BASE=busybox
            FROM ${BASE} AS first
            ARG GREETING=hello
            RUN echo "$GREETING from first" > /first.txt
            FROM ${BASE}
            LABEL maintainer="someone" version=1.0
            ARG WHO
            ENV APP=/app NAME=${WHO:-nobody} EMPTY=${WHO:+set}
            WORKDIR $APP
            COPY sub/ ./sub/
            COPY --chown=1000:1000 sub/a.txt owned.txt
            COPY sub/*.txt glob/
            ADD arch.tar.gz /unpacked/
            COPY --from=first /first.txt /app/
            RUN ["/bin/sh", "-c", "echo exec-form > /app/exec.txt"]
            ENV APP=/srv LATE=$APP
            USER 1000
            EXPOSE 8080 53/udp
            VOLUME /data
            STOPSIGNAL SIGUSR1
            HEALTHCHECK --interval=5s --retries=2 CMD true
            SHELL ["/bin/sh", "-c"]
            ONBUILD RUN echo onbuild
            ENTRYPOINT ["/bin/sh", "-c"]
            CMD ["echo $NAME"]
            """;

    /** {@code DOCKER_BUILDKIT=0 docker -H ENGINE ARGS}. */
    static JarDaemon.Result dockerAt(String engine, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("env", "DOCKER_BUILDKIT=0", DOCKER, "-H", engine));
        cmd.addAll(List.of(args));
        return JarDaemon.exec(cmd);
    }

    /** {@code DOCKER_BUILDKIT=0 docker -H HOST ARGS} against the engine under test. */
    static JarDaemon.Result docker(String... args) throws IOException, InterruptedException {
        return dockerAt(host, args);
    }

    /** A context directory with {@code files} as name, content pairs. */
    static Path context(String dockerfile, String... files) throws IOException {
        Path dir = Files.createTempDirectory("rh-build-ctx-");
        Files.writeString(dir.resolve("Dockerfile"), dockerfile);
        for (int i = 0; i < files.length; i += 2) {
            Path f = dir.resolve(files[i]);
            Files.createDirectories(f.getParent());
            Files.writeString(f, files[i + 1]);
        }
        return dir;
    }

    private static final Pattern ID = Pattern.compile("Successfully built ([0-9a-f]{12})");

    static String builtId(JarDaemon.Result r) {
        Matcher m = ID.matcher(r.out());
        assertThat(m.find()).as(r.toString()).isTrue();
        return m.group(1);
    }

    @Test
    public void smallImageRunsAndASecondBuildIsAllCache() throws Exception {
        Path ctx = context(SMALL, "hello.txt", "hello\n");
        try {
            var first = docker("build", "-t", "small", ctx.toString());
            assertThat(first.exit()).as(first.toString()).isZero();
            assertThat(first.out()).as(first.toString())
                    .contains("Step 1/6 : FROM busybox\n ---> ")
                    .contains("Step 2/6 : ENV GREETING=hi     OTHER=x\n ---> Running in ")
                    .contains("Step 4/6 : RUN echo built > /app/built.txt\n ---> Running in ")
                    .contains("Removing intermediate container ")
                    .contains("Successfully tagged small:latest\n");
            // the image: CMD, the COPYed file, ENV, WORKDIR and the file RUN wrote
            var run = docker("run", "--rm", "small");
            assertThat(run.out()).as(run.toString()).isEqualTo("hello\n");
            var inside = docker("run", "--rm", "small", "sh", "-c", "pwd; echo $GREETING $OTHER; cat built.txt");
            assertThat(inside.out()).as(inside.toString()).isEqualTo("/app\nhi x\nbuilt\n");
            // no intermediate container is left (rm is the default)
            var ps = docker("ps", "-aq");
            assertThat(ps.out()).as(ps.toString()).isEmpty();

            var second = docker("build", "-t", "small", ctx.toString());
            assertThat(second.exit()).as(second.toString()).isZero();
            assertThat(second.out().split(" ---> Using cache\n", -1)).as(second.out()).hasSize(6); // 5 hits
            assertThat(second.out()).doesNotContain("Running in");
            assertThat(builtId(second)).isEqualTo(builtId(first));

            // the layers as docker history shows them: one entry per step, newest first, RUN and COPY with bytes
            var history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "small");
            assertThat(history.exit()).as(history.toString()).isZero();
            assertThat(normalise(history.out()).lines().limit(5).toList()).as(history.toString()).containsExactly(
                    "/bin/sh -c #(nop)  CMD [\"cat\" \"/app/hello.txt\"]|0B",
                    "/bin/sh -c #(nop) COPY file:HASH in . |6B",
                    "/bin/sh -c echo built > /app/built.txt|6B",
                    "/bin/sh -c #(nop) WORKDIR /app|0B",
                    "/bin/sh -c #(nop)  ENV GREETING=hi OTHER=x|0B");

            var noCache = docker("build", "--no-cache", "-t", "small", ctx.toString());
            assertThat(noCache.exit()).as(noCache.toString()).isZero();
            assertThat(noCache.out()).doesNotContain("Using cache");
            assertThat(builtId(noCache)).isNotEqualTo(builtId(first));
        } finally {
            deleteTree(ctx);
        }
    }

    @Test
    public void multiStageCopiesFromAnEarlierStageAndTargetStopsThere() throws Exception {
        Path ctx = context("""
                FROM busybox AS build
                RUN echo compiled > /artifact
                FROM busybox
                COPY --from=build /artifact /opt/artifact
                CMD ["cat", "/opt/artifact"]
                """);
        try {
            var r = docker("build", "-t", "multi", ctx.toString());
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out()).contains("Step 4/5 : COPY --from=build /artifact /opt/artifact");
            var run = docker("run", "--rm", "multi");
            assertThat(run.out()).as(run.toString()).isEqualTo("compiled\n");

            var target = docker("build", "--target", "build", "-t", "multi-build", ctx.toString());
            assertThat(target.exit()).as(target.toString()).isZero();
            assertThat(target.out()).contains("Step 2/2 : RUN echo compiled > /artifact").doesNotContain("Step 3");
            var artifact = docker("run", "--rm", "multi-build", "sh", "-c", "cat /artifact; ls /opt/artifact || echo absent");
            assertThat(artifact.out()).as(artifact.toString()).isEqualTo("compiled\nabsent\n");
        } finally {
            deleteTree(ctx);
        }
    }

    @Test
    public void aFailingRunGivesDockersMessageAndExitCodeAndTagsNothing() throws Exception {
        Path ctx = context("FROM busybox\nRUN echo before; exit 3\n");
        try {
            var r = docker("build", "-t", "failing", ctx.toString());
            assertThat(r.exit()).as(r.toString()).isEqualTo(3);
            assertThat(r.out()).contains(" ---> Running in ").contains("before\n");
            assertThat(r.err()).as(r.toString()).contains("The command '/bin/sh -c echo before; exit 3' returned a non-zero code: 3");
            assertThat(docker("image", "inspect", "failing").exit()).isNotZero();
            // without --force-rm the failed container stays for inspection, as Docker leaves it
            var ps = docker("ps", "-aq", "--filter", "status=exited");
            assertThat(ps.out().strip()).as(ps.toString()).isNotEmpty();
            for (String id : ps.out().strip().split("\n")) {
                docker("rm", "-f", id);
            }
            var forced = docker("build", "--force-rm", "-t", "failing", ctx.toString());
            assertThat(forced.exit()).isEqualTo(3);
            assertThat(docker("ps", "-aq").out()).isEmpty();
            assertThat(docker("image", "inspect", "failing").exit()).isNotZero();
        } finally {
            deleteTree(ctx);
        }
    }

    @Test
    public void sourcesOutsideTheContextAndUnknownInstructionsAreRefused() throws Exception {
        Path ctx = context("FROM busybox\nCOPY ../x /x\n", "in.txt", "in");
        try {
            var outside = docker("build", "-t", "outside", ctx.toString());
            assertThat(outside.exit()).as(outside.toString()).isEqualTo(1);
            assertThat(outside.err()).contains("COPY failed: forbidden path outside the build context: ../x ()");
            // a symlink out of the context is followed inside it only: the host's file is not reached
            Files.createSymbolicLink(ctx.resolve("link"), Path.of("../../../../../../etc/hostname"));
            Files.writeString(ctx.resolve("Dockerfile"), "FROM busybox\nCOPY link /stolen\n");
            var link = docker("build", "-t", "outside", ctx.toString());
            assertThat(link.exit()).as(link.toString()).isEqualTo(1);
            assertThat(link.err()).contains("COPY failed: file not found in build context or excluded by .dockerignore");
            Files.writeString(ctx.resolve("Dockerfile"), "FROM busybox\nFOO bar\n");
            var unknown = docker("build", "-t", "outside", ctx.toString());
            assertThat(unknown.exit()).isEqualTo(1);
            assertThat(unknown.err()).contains("dockerfile parse error line 2: unknown instruction: FOO");
            Files.writeString(ctx.resolve("Dockerfile"), "FROM no-such-image\n");
            var missing = docker("build", "-t", "outside", ctx.toString());
            assertThat(missing.exit()).isEqualTo(1);
            assertThat(missing.out()).contains("Step 1/1 : FROM no-such-image");
            assertThat(docker("image", "inspect", "outside").exit()).isNotZero();
        } finally {
            deleteTree(ctx);
        }
    }

    /** Writes the context of {@link #EVERY}: files, a .dockerignore'd log, a directory and a tar.gz for ADD. */
    static Path everyContext() throws IOException, InterruptedException {
        Path ctx = context(EVERY, "sub/a.txt", "a\n", "sub/deep/d.txt", "d\n", "skip.log", "x\n",
                ".dockerignore", "*.log\n", "tarsrc/t/in.txt", "intar\n");
        var tar = JarDaemon.exec(List.of("tar", "-C", ctx.resolve("tarsrc").toString(), "-czf",
                ctx.resolve("arch.tar.gz").toString(), "t"));
        assertThat(tar.exit()).as(tar.toString()).isZero();
        deleteTree(ctx.resolve("tarsrc"));
        // one modification time for every file, so both engines see the same context
        JarDaemon.exec(List.of("find", ctx.toString(), "-exec", "touch", "-h", "-d", "2024-01-02T03:04:05", "{}", "+"));
        return ctx;
    }

    /** What the differential case compares inside an image: the files the build made, with modes and owners. */
    static final String LIST_FILES = "find /app /unpacked /first.txt 2>/dev/null | sort | while read f; do "
            + "if [ -f \"$f\" ]; then echo \"$f $(stat -c '%a %u:%g' \"$f\") $(cat \"$f\")\"; "
            + "else echo \"$f $(stat -c '%a %u:%g %F' \"$f\")\"; fi; done";

    @Test
    public void theSameDockerfileBuiltByDockerGivesTheSameImage() throws Exception {
        Path dockerdBinary = DebianDockerd.find().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(dockerdBinary != null, "Debian's dockerd is not installed");
        Path ctx = everyContext();
        try (DebianDockerd dockerd = DifferentialRun.startDocker()) {
            var theirs = dockerAt(dockerd.host(), "build", "--build-arg", "WHO=me", "--label", "built-by=the test", "-t", "every", ctx.toString());
            var ours = docker("build", "--build-arg", "WHO=me", "--label", "built-by=the test", "-t", "every", ctx.toString());
            assertThat(theirs.exit()).as(theirs.toString()).isZero();
            assertThat(ours.exit()).as(ours.toString()).isZero();
            // the stream, IDs aside, is Docker's line for line
            assertThat(ids(ours.out())).isEqualTo(ids(theirs.out()));
            // the image config
            String format = "{{json .Config.Env}} {{json .Config.Cmd}} {{json .Config.Entrypoint}} "
                    + "{{.Config.WorkingDir}} {{.Config.User}} {{json .Config.Labels}} {{json .Config.ExposedPorts}} "
                    + "{{json .Config.Volumes}} {{.Config.StopSignal}} {{json .Config.Healthcheck}} "
                    + "{{json .Config.OnBuild}} {{json .Config.Shell}}";
            var theirConfig = dockerAt(dockerd.host(), "image", "inspect", "every", "--format", format);
            var ourConfig = docker("image", "inspect", "every", "--format", format);
            assertThat(ourConfig.out()).as(ourConfig.toString()).isEqualTo(theirConfig.out());
            assertThat(ourConfig.out()).contains("\"NAME=me\"", "\"EMPTY=set\"", "[\"CMD-SHELL\",\"true\"]");
            // the files: names, modes, owners and contents
            var theirFiles = dockerAt(dockerd.host(), "run", "--rm", "--entrypoint", "sh", "every", "-c", LIST_FILES);
            var ourFiles = docker("run", "--rm", "--entrypoint", "sh", "every", "-c", LIST_FILES);
            assertThat(ourFiles.out()).as(ourFiles.toString()).isEqualTo(theirFiles.out());
            assertThat(ourFiles.out()).contains("/app/owned.txt 644 1000:1000 a", "/app/exec.txt 644 0:0 exec-form",
                    "/unpacked/t/in.txt 644 0:0 intar", "/app/first.txt 644 0:0 hello from first")
                    .doesNotContain("skip.log");
            // the history: the same steps, the same layer sizes (the COPY checksums are each engine's own)
            String hf = "{{.CreatedBy}}|{{.Size}}";
            var theirHistory = dockerAt(dockerd.host(), "history", "--no-trunc", "--format", hf, "every");
            var ourHistory = docker("history", "--no-trunc", "--format", hf, "every");
            assertThat(normalise(ourHistory.out())).as(ourHistory.toString()).isEqualTo(normalise(theirHistory.out()));
            // and the second build is taken from the cache on both
            var theirCache = dockerAt(dockerd.host(), "build", "--build-arg", "WHO=me", "--label", "built-by=the test", "-t", "every", ctx.toString());
            var ourCache = docker("build", "--build-arg", "WHO=me", "--label", "built-by=the test", "-t", "every", ctx.toString());
            assertThat(ids(ourCache.out())).isEqualTo(ids(theirCache.out()));
            // an image FROM it runs its ONBUILD triggers inside the FROM step
            Files.writeString(ctx.resolve("Dockerfile.child"), "FROM every\nRUN echo child\n");
            var theirChild = dockerAt(dockerd.host(), "build", "-f", ctx.resolve("Dockerfile.child").toString(), ctx.toString());
            var ourChild = docker("build", "-f", ctx.resolve("Dockerfile.child").toString(), ctx.toString());
            assertThat(ourChild.out()).as(ourChild.toString()).contains("# Executing 1 build trigger\n ---> Running in ")
                    .contains("onbuild\n");
            assertThat(ids(ourChild.out())).isEqualTo(ids(theirChild.out()));
        } finally {
            deleteTree(ctx);
        }
    }

    /** History lines with the COPY/ADD content checksums (each engine computes its own) replaced by HASH. */
    static String normalise(String history) {
        return history.replaceAll("(file|dir|multi):[0-9a-f]{64}", "$1:HASH");
    }

    /** The build output with image and container IDs (12 hex) replaced. */
    static String ids(String out) {
        return out.replaceAll("[0-9a-f]{12}", "ID");
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
