package dev.rabbithole.stage1.builder;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.ContainerConfig;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.StreamListener;
import dev.rabbithole.stage1.daemon.StreamType;
import dev.rabbithole.stage1.daemon.Subscription;
import dev.rabbithole.stage1.daemon.WaitCondition;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.execdriver.ContainerUser;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Docker's classic builder (before BuildKit), in the daemon: each Dockerfile step runs in a container of the
 * daemon's own runtime (so a stage-2 build runs RUN through libcontainer, a stage-3 build through containerd, the
 * shim and runc) and the container is committed as the step's image; the next step starts from it.
 *
 * <pre>
 * FROM busybox           ---> image A            (from the store, or an earlier stage AS name)
 * RUN echo hi > /f       container on A, run, commit: its writable layer becomes layer L1 -> image B
 * COPY f /               container on B, files written into its rootfs, commit: layer L2 -> image C
 * ENV A=b                config only: image D has C's layers and a new config (an empty_layer history entry)
 * </pre>
 *
 * A step whose parent image and instruction (for COPY/ADD also a checksum of the sources) match an earlier build
 * reuses that build's image ({@code ---> Using cache}, see {@link BuildCache}). The output is the JSON message
 * stream of {@code POST /build}, line for line Docker 20.10's.
 */
public final class Builder {

    /** The PATH an image without one gets in its Env when built on (Docker's builder adds it on Linux). */
    static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** ARGs every build knows without an ARG instruction (the Dockerfile reference, "Predefined ARGs"). */
    static final Set<String> PREDEFINED_ARGS = Set.of("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
            "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy");
    private static final List<String> DEFAULT_SHELL = List.of("/bin/sh", "-c");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Daemon daemon;
    private final StepCommitter commits;
    private final BuildCache cache;

    /**
     * @param daemon  whose containers run the steps and whose image store holds the results
     * @param commits turns build containers into images
     * @param cache   the build cache
     */
    public Builder(Daemon daemon, StepCommitter commits, BuildCache cache) {
        this.daemon = daemon;
        this.commits = commits;
        this.cache = cache;
    }

    /** One stage: FROM and the instructions up to the next FROM. */
    record Stage(Dockerfile.Instruction from, List<Dockerfile.Instruction> body, String name) { }

    /** What a stage has built so far: the current image and the config the next commit records. */
    static final class State {
        Image image;
        String user;
        final List<String> env = new ArrayList<>();
        List<String> cmd;
        List<String> entrypoint;
        String workdir;
        Map<String, String> labels = new LinkedHashMap<>();
        String stopSignal;
        Map<String, Map<String, Object>> exposed = new TreeMap<>();
        Map<String, Map<String, Object>> volumes = new TreeMap<>();
        ImageConfig.Healthcheck healthcheck;
        List<String> onBuild = new ArrayList<>();
        List<String> shell;
        /** ARGs declared in this stage, with their values (null: declared without a value). */
        final Map<String, String> args = new LinkedHashMap<>();

        String envValue(String name) {
            for (int i = env.size() - 1; i >= 0; i--) {
                String e = env.get(i);
                if (e.startsWith(name + "=")) {
                    return e.substring(name.length() + 1);
                }
            }
            return null;
        }

        /** Replaces the variable where it is (Docker keeps the order of first definition) or appends it. */
        void setEnv(String name, String value) {
            for (int i = 0; i < env.size(); i++) {
                if (env.get(i).equals(name) || env.get(i).startsWith(name + "=")) {
                    env.set(i, name + "=" + value);
                    return;
                }
            }
            env.add(name + "=" + value);
        }

        /** Variables a substitution sees: the ARGs, then ENV over them. */
        Map<String, String> scope() {
            Map<String, String> m = new LinkedHashMap<>();
            args.forEach((k, v) -> {
                if (v != null) {
                    m.put(k, v);
                }
            });
            for (String e : env) {
                int eq = e.indexOf('=');
                if (eq > 0) {
                    m.put(e.substring(0, eq), e.substring(eq + 1));
                }
            }
            return m;
        }

        List<String> shellOr() {
            return shell == null ? DEFAULT_SHELL : shell;
        }

        ImageConfig.Defaults defaults() {
            return new ImageConfig.Defaults(user == null || user.isEmpty() ? null : user, List.copyOf(env),
                    entrypoint, cmd, workdir == null || workdir.isEmpty() ? null : workdir,
                    labels.isEmpty() ? null : Map.copyOf(labels), stopSignal,
                    exposed.isEmpty() ? null : new TreeMap<>(exposed), volumes.isEmpty() ? null : new TreeMap<>(volumes),
                    healthcheck, onBuild.isEmpty() ? null : List.copyOf(onBuild), shell);
        }

        void load(ImageConfig.Defaults d) {
            if (d == null) {
                env.add(DEFAULT_PATH);
                return;
            }
            user = d.user();
            if (d.env() != null) {
                env.addAll(d.env());
            }
            if (envValue("PATH") == null) {
                env.add(DEFAULT_PATH);
            }
            cmd = d.cmd();
            entrypoint = d.entrypoint();
            workdir = d.workingDir();
            if (d.labels() != null) {
                labels.putAll(d.labels());
            }
            stopSignal = d.stopSignal();
            if (d.exposedPorts() != null) {
                exposed.putAll(d.exposedPorts());
            }
            if (d.volumes() != null) {
                volumes.putAll(d.volumes());
            }
            healthcheck = d.healthcheck();
            shell = d.shell();
            // OnBuild triggers run in this build and are not inherited
        }
    }

    /**
     * Checks a Dockerfile before the stream starts: it parses, and the target stage exists.
     *
     * @return the stages to build, the target last
     * @throws DockerfileException a parse error, no FROM first, an unknown target
     */
    public static List<Stage> plan(Dockerfile df, String target) {
        List<Stage> stages = new ArrayList<>();
        Dockerfile.Instruction from = null;
        List<Dockerfile.Instruction> body = new ArrayList<>();
        for (Dockerfile.Instruction i : df.instructions()) {
            if (i.keyword().equals("from")) {
                if (from != null) {
                    stages.add(stage(from, body));
                }
                from = i;
                body = new ArrayList<>();
            } else if (from == null) {
                if (!i.keyword().equals("arg")) {
                    throw new DockerfileException("failed to parse Dockerfile: no build stage in current context");
                }
            } else {
                body.add(i);
            }
        }
        if (from == null) {
            throw new DockerfileException("failed to parse Dockerfile: no build stage in current context");
        }
        stages.add(stage(from, body));
        if (target != null && !target.isEmpty()) {
            for (int s = 0; s < stages.size(); s++) {
                if (target.equalsIgnoreCase(stages.get(s).name())) {
                    return List.copyOf(stages.subList(0, s + 1));
                }
            }
            throw new DockerfileException("failed to reach build target " + target + " in Dockerfile");
        }
        return List.copyOf(stages);
    }

    private static Stage stage(Dockerfile.Instruction from, List<Dockerfile.Instruction> body) {
        List<String> words = Dockerfile.rawWords(from.rest(), '\\');
        String name = null;
        if (words.size() == 3 && words.get(1).equalsIgnoreCase("as")) {
            name = words.get(2).toLowerCase(Locale.ROOT);
        } else if (words.size() != 1) {
            throw new DockerfileException("FROM requires either one or three arguments");
        }
        return new Stage(from, List.copyOf(body), name);
    }

    /**
     * Runs a build.
     *
     * @param df      the parsed Dockerfile
     * @param ctx     the unpacked context
     * @param options the request's options
     * @param out     the message stream
     * @return the built image
     * @throws BuildFailure a step failed (the stream has shown the steps before it)
     */
    public Image build(Dockerfile df, BuildContext ctx, BuildOptions options, BuildOutput out) {
        List<Stage> stages = new ArrayList<>(plan(df, options.target()));
        if (options.labels() != null && !options.labels().isEmpty()) {
            // --label: one LABEL step per label, sorted, at the end of the last stage (Docker 20.10's steps)
            Stage lastStage = stages.get(stages.size() - 1);
            List<Dockerfile.Instruction> body = new ArrayList<>(lastStage.body());
            int line = body.isEmpty() ? lastStage.from().line() : body.get(body.size() - 1).line();
            for (Map.Entry<String, String> l : new TreeMap<>(options.labels()).entrySet()) {
                String quoted = "\"" + l.getValue().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
                body.add(new Dockerfile.Instruction("label", "LABEL " + l.getKey() + "=" + l.getValue(), List.of(),
                        l.getKey() + "=" + quoted, null, line));
            }
            stages.set(stages.size() - 1, new Stage(lastStage.from(), List.copyOf(body), lastStage.name()));
        }
        BuildOutput o = options.quiet() ? new BuildOutput() {
            @Override public void stream(String text) { }
            @Override public void aux(String imageId) { }
        } : out;
        Map<String, String> metaArgs = new LinkedHashMap<>();
        List<Dockerfile.Instruction> meta = new ArrayList<>();
        for (Dockerfile.Instruction i : df.instructions()) {
            if (i.keyword().equals("from")) {
                break;
            }
            meta.add(i);
        }
        int total = meta.size();
        for (Stage s : stages) {
            total += 1 + s.body().size();
        }
        Set<String> usedArgs = new HashSet<>();
        ShellLexer lexer = new ShellLexer(df.escape());
        int step = 0;
        for (Dockerfile.Instruction i : meta) {
            o.stream("Step " + (++step) + "/" + total + " : " + i.original());
            o.stream("\n");
            declareArg(i, lexer, metaArgs, metaArgs, options.buildArgs(), usedArgs);
        }
        Map<String, Image> built = new LinkedHashMap<>();
        List<Image> byIndex = new ArrayList<>();
        List<String> intermediates = new ArrayList<>();
        Image last = null;
        try {
            for (int s = 0; s < stages.size(); s++) {
                Stage stage = stages.get(s);
                State st = new State();
                o.stream("Step " + (++step) + "/" + total + " : " + stage.from().original());
                o.stream("\n");
                String base = lexer.word(Dockerfile.rawWords(stage.from().rest(), df.escape()).get(0), metaArgs);
                Image baseImage = base.equalsIgnoreCase("scratch") ? null
                        : built.containsKey(base.toLowerCase(Locale.ROOT)) ? built.get(base.toLowerCase(Locale.ROOT))
                        : resolveBase(base);
                st.image = baseImage;
                st.load(baseImage == null || baseImage.config() == null ? null : baseImage.config().config());
                StepRunner runner = new StepRunner(daemon, commits, cache, ctx, options, o, lexer, st, built, byIndex,
                        metaArgs, usedArgs, intermediates);
                List<String> triggers = baseImage == null || baseImage.config() == null
                        || baseImage.config().config() == null || baseImage.config().config().onBuild() == null
                        ? List.of() : baseImage.config().config().onBuild();
                if (!triggers.isEmpty()) {
                    o.stream("# Executing " + triggers.size() + " build trigger" + (triggers.size() == 1 ? "" : "s") + "\n");
                    runner.inTrigger = true;
                    for (String t : triggers) {
                        Dockerfile td = Dockerfile.parse(t);
                        for (Dockerfile.Instruction ti : td.instructions()) {
                            runner.dispatch(ti);
                        }
                    }
                    runner.inTrigger = false;
                }
                o.stream(" ---> " + (st.image == null ? "" : shortId(st.image.id())) + "\n");
                for (Dockerfile.Instruction i : stage.body()) {
                    o.stream("Step " + (++step) + "/" + total + " : " + i.original());
                    o.stream("\n");
                    runner.dispatch(i);
                }
                if (st.image == null) {
                    // FROM scratch with nothing after it: an image with no layers and the config so far
                    st.image = commits.commit(null, null, st.defaults(), "");
                }
                if (stage.name() != null) {
                    built.put(stage.name(), st.image);
                }
                byIndex.add(st.image);
                last = st.image;
                o.aux(last.id());
            }
        } finally {
            for (String id : intermediates) {
                quietlyRemove(id);
            }
        }
        List<String> unused = new ArrayList<>();
        if (options.buildArgs() != null) {
            for (String k : new java.util.TreeSet<>(options.buildArgs().keySet())) {
                if (!usedArgs.contains(k) && !PREDEFINED_ARGS.contains(k)) {
                    unused.add(k);
                }
            }
        }
        if (!unused.isEmpty()) {
            o.stream("[Warning] One or more build-args [" + String.join(" ", unused) + "] were not consumed\n");
        }
        o.stream("Successfully built " + shortId(last.id()) + "\n");
        for (String t : options.tags()) {
            commits.tag(last, t);
            o.stream("Successfully tagged " + normalizeTag(t) + "\n");
        }
        if (options.quiet()) {
            out.stream(last.id() + "\n");
        }
        return last;
    }

    /** {@code name} becomes {@code name:latest}, as Docker reports it. */
    static String normalizeTag(String t) {
        int slash = t.lastIndexOf('/');
        return t.indexOf(':', slash + 1) >= 0 || t.contains("@") ? t : t + ":latest";
    }

    static void declareArg(Dockerfile.Instruction i, ShellLexer lexer, Map<String, String> scope,
                           Map<String, String> into, Map<String, String> buildArgs, Set<String> used) {
        if (!i.keyword().equals("arg")) {
            throw new DockerfileException("failed to parse Dockerfile: no build stage in current context");
        }
        for (String word : Dockerfile.rawWords(i.rest(), '\\')) {
            int eq = word.indexOf('=');
            String name = eq < 0 ? word : word.substring(0, eq);
            String value = eq < 0 ? null : lexer.word(word.substring(eq + 1), scope);
            if (buildArgs != null && buildArgs.containsKey(name) && buildArgs.get(name) != null) {
                value = buildArgs.get(name);
                used.add(name);
            } else if (buildArgs != null && buildArgs.containsKey(name)) {
                used.add(name);
            }
            into.put(name, value);
        }
    }

    private Image resolveBase(String ref) {
        try {
            return daemon.images().resolve(ref);
        } catch (NotFoundException e) {
            try {
                return daemon.pull(ref, null);
            } catch (EngineException pullFailed) {
                throw new BuildFailure(pullFailed.getMessage(), 0);
            }
        }
    }

    static String shortId(String id) {
        String hex = id.startsWith("sha256:") ? id.substring(7) : id;
        return hex.substring(0, Math.min(12, hex.length()));
    }

    private void quietlyRemove(String containerId) {
        try {
            daemon.remove(containerId, true);
        } catch (RuntimeException e) {
            // already gone
        }
    }

    /** Runs one container to its exit, its output streamed; returns its exit code. */
    static int runToExit(Daemon daemon, String id, BuildOutput out) {
        CountDownLatch ended = new CountDownLatch(1);
        Subscription sub = daemon.attach(id, true, true, false, new StreamListener() {
            @Override
            public void onData(StreamType stream, byte[] data, Instant time) {
                out.stream(new String(data, StandardCharsets.UTF_8));
            }

            @Override
            public void onEnd() {
                ended.countDown();
            }
        });
        try {
            var exit = daemon.waitFor(id, WaitCondition.NEXT_EXIT);
            daemon.start(id);
            int code = exit.get();
            ended.await(10, TimeUnit.SECONDS);
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildFailure("interrupted while running " + id, 0);
        } catch (ExecutionException e) {
            throw new BuildFailure(e.getCause() == null ? e.toString() : e.getCause().getMessage(), 0);
        } finally {
            sub.close();
        }
    }

    /** A ContainerConfig for a build container. */
    static ContainerConfig containerConfig(Image image, State st, List<String> cmd, List<String> extraEnv) {
        List<String> env = new ArrayList<>(st.env);
        env.addAll(extraEnv);
        return new ContainerConfig(null, st.user, env, cmd, List.of(), image.id(), st.workdir, false, false,
                false, true, true, null);
    }

    /** Resolves {@code --chown} inside a rootfs: a name or id; without a group the gid is the uid (Docker's rule). */
    static FileCopier.Owner owner(Path rootfs, String chown) {
        if (chown == null || chown.isEmpty()) {
            return new FileCopier.Owner(0, 0);
        }
        String[] parts = chown.split(":", 2);
        long uid = parts[0].matches("[0-9]+") ? Long.parseLong(parts[0])
                : ContainerUser.resolve(rootfs, parts[0]).uid();
        long gid;
        if (parts.length == 1) {
            gid = uid;
        } else if (parts[1].matches("[0-9]+")) {
            gid = Long.parseLong(parts[1]);
        } else {
            gid = ContainerUser.resolve(rootfs, "0:" + parts[1]).gid();
        }
        return new FileCopier.Owner(uid, gid);
    }

    /** Utility for steps: the JSON of a list as Go's %q prints a []string ({@code ["a" "b"]}). */
    static String goQuoted(List<String> words) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < words.size(); i++) {
            try {
                b.append(i == 0 ? "" : " ").append(JSON.writeValueAsString(words.get(i)));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return b.append(']').toString();
    }
}
