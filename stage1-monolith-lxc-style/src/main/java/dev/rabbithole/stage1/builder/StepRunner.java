package dev.rabbithole.stage1.builder;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.ContainerConfig;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Dispatches the instructions of one build stage (moby's builder/dockerfile/dispatchers.go, one method per
 * instruction): each changes the stage's {@link Builder.State} and commits a new image, or takes it from the cache.
 */
final class StepRunner {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Daemon daemon;
    private final StepCommitter commits;
    private final BuildCache cache;
    private final BuildContext ctx;
    private final BuildOptions options;
    private final BuildOutput out;
    private final ShellLexer lexer;
    private final Builder.State st;
    private final Map<String, Image> stages;
    private final List<Image> stagesByIndex;
    private final Map<String, String> metaArgs;
    private final Set<String> usedArgs;
    private final List<String> leftContainers;

    StepRunner(Daemon daemon, StepCommitter commits, BuildCache cache, BuildContext ctx, BuildOptions options,
               BuildOutput out, ShellLexer lexer, Builder.State st, Map<String, Image> stages,
               List<Image> stagesByIndex, Map<String, String> metaArgs, Set<String> usedArgs,
               List<String> leftContainers) {
        this.daemon = daemon;
        this.commits = commits;
        this.cache = cache;
        this.ctx = ctx;
        this.options = options;
        this.out = out;
        this.lexer = lexer;
        this.st = st;
        this.stages = stages;
        this.stagesByIndex = stagesByIndex;
        this.metaArgs = metaArgs;
        this.usedArgs = usedArgs;
        this.leftContainers = leftContainers;
    }

    /**
     * Set while the base image's ONBUILD triggers run inside the FROM step: their steps print no
     * {@code ---> ID} line of their own, the FROM step prints one when they are done (Docker 20.10's output).
     */
    boolean inTrigger;

    /** The end of a step: {@code ---> ID} of the image it made. */
    private void stepDone() {
        if (!inTrigger) {
            out.stream(" ---> " + Builder.shortId(st.image.id()) + "\n");
        }
    }

    /** Runs one instruction. */
    void dispatch(Dockerfile.Instruction i) {
        switch (i.keyword()) {
            case "run" -> run(i);
            case "copy" -> copy(i, false);
            case "add" -> copy(i, true);
            case "env" -> {
                Map<String, String> scope = st.scope();
                List<String> shown = new ArrayList<>();
                List<String[]> pairs = new ArrayList<>();
                for (String[] kv : Dockerfile.nameValues("env", i.rest(), lexer.escape())) {
                    String v = lexer.word(kv[1], scope);
                    pairs.add(new String[] {kv[0], v});
                    shown.add(kv[0] + "=" + v);
                }
                metadata("ENV " + String.join(" ", shown), true, () -> pairs.forEach(kv -> st.setEnv(kv[0], kv[1])));
            }
            case "label" -> {
                Map<String, String> scope = st.scope();
                Map<String, String> add = new LinkedHashMap<>();
                for (String[] kv : Dockerfile.nameValues("label", i.rest(), lexer.escape())) {
                    add.put(lexer.word(kv[0], scope), lexer.word(kv[1], scope));
                }
                List<String> shown = new ArrayList<>();
                add.forEach((k, v) -> shown.add(k + "=" + v));
                metadata("LABEL " + String.join(" ", shown), true, () -> st.labels.putAll(add));
            }
            case "maintainer" -> metadata("MAINTAINER " + i.rest(), true, () -> { });
            case "workdir" -> workdir(i);
            case "user" -> {
                String u = lexer.word(i.rest(), st.scope());
                metadata("USER " + u, true, () -> st.user = u);
            }
            case "cmd" -> {
                List<String> cmd = i.json() != null ? i.json() : shellForm(i.rest());
                metadata("CMD " + Builder.goQuoted(cmd), true, () -> st.cmd = cmd);
            }
            case "entrypoint" -> {
                List<String> ep = i.json() != null ? i.json() : i.rest().isEmpty() ? List.of() : shellForm(i.rest());
                metadata("ENTRYPOINT " + Builder.goQuoted(ep), true, () -> {
                    st.entrypoint = ep;
                    if (i.json() == null) {
                        st.cmd = null; // the shell form drops the image's CMD (Docker's rule)
                    }
                });
            }
            case "shell" -> {
                if (i.json() == null) {
                    throw new BuildFailure("SHELL requires the arguments to be in JSON form", 0);
                }
                metadata("SHELL [" + String.join(" ", i.json()) + "]", true, () -> st.shell = i.json());
            }
            case "expose" -> {
                List<String> ports = new ArrayList<>();
                List<String> written = new ArrayList<>(lexer.words(i.rest(), st.scope()));
                for (String p : written) {
                    ports.add(p.contains("/") ? p.toLowerCase(Locale.ROOT) : p + "/tcp");
                }
                written.sort(null); // the history shows the ports as written, sorted (Docker 20.10)
                metadata("EXPOSE " + String.join(" ", written), true,
                        () -> ports.forEach(p -> st.exposed.put(p, Map.of())));
            }
            case "volume" -> {
                List<String> vols = new ArrayList<>();
                if (i.json() != null) {
                    for (String v : i.json()) {
                        vols.add(lexer.word(v, st.scope()));
                    }
                } else {
                    vols.addAll(lexer.words(i.rest(), st.scope()));
                }
                for (String v : vols) {
                    if (v.isBlank()) {
                        throw new BuildFailure("VOLUME specified can not be an empty string", 0);
                    }
                }
                metadata("VOLUME [" + String.join(" ", vols) + "]", true, () -> vols.forEach(v -> st.volumes.put(v, Map.of())));
            }
            case "stopsignal" -> {
                String sig = lexer.word(i.rest(), st.scope());
                metadata("STOPSIGNAL " + sig, true, () -> st.stopSignal = sig);
            }
            case "healthcheck" -> {
                ImageConfig.Healthcheck hc = healthcheck(i);
                metadata("HEALTHCHECK " + GoDuration.healthcheckText(hc), true, () -> st.healthcheck = hc);
            }
            case "onbuild" -> {
                String trigger = i.rest().strip();
                String kw = trigger.split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
                if (kw.equals("onbuild") || kw.equals("from") || kw.equals("maintainer")) {
                    throw new BuildFailure(kw.equals("onbuild") ? "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
                            : kw.toUpperCase(Locale.ROOT) + " isn't allowed as an ONBUILD trigger", 0);
                }
                String normalized = kw.toUpperCase(Locale.ROOT) + trigger.substring(kw.length());
                metadata("ONBUILD " + normalized, true, () -> st.onBuild.add(normalized));
            }
            case "arg" -> {
                Map<String, String> declared = new LinkedHashMap<>();
                Builder.declareArg(i, lexer, st.scope(), declared, options.buildArgs(), usedArgs);
                // an ARG without a default takes the meta ARG's value of the same name
                declared.replaceAll((k, v) -> v == null && metaArgs.get(k) != null ? metaArgs.get(k) : v);
                // the history shows the ARG as written (its default substituted), not the --build-arg value
                List<String> shown = new ArrayList<>();
                for (String w : Dockerfile.rawWords(i.rest(), lexer.escape())) {
                    int eq = w.indexOf('=');
                    shown.add(eq < 0 ? w : w.substring(0, eq) + "=" + lexer.word(w.substring(eq + 1), st.scope()));
                }
                metadata("ARG " + String.join(" ", shown), true, () -> st.args.putAll(declared));
            }
            default -> throw new BuildFailure("unknown instruction: " + i.keyword().toUpperCase(Locale.ROOT), 0);
        }
    }

    private List<String> shellForm(String cmdline) {
        List<String> cmd = new ArrayList<>(st.shellOr());
        cmd.add(cmdline);
        return List.copyOf(cmd);
    }

    /** Build args with values, as a RUN sees them in its environment (ENV wins) and its cache key holds them. */
    private List<String> argEnv() {
        List<String> e = new ArrayList<>();
        st.args.forEach((k, v) -> {
            if (v != null && st.envValue(k) == null) {
                e.add(k + "=" + v);
            }
        });
        Map<String, String> ba = options.buildArgs();
        if (ba != null) {
            for (String p : Builder.PREDEFINED_ARGS) {
                if (ba.get(p) != null && !st.args.containsKey(p)) {
                    e.add(p + "=" + ba.get(p));
                    usedArgs.add(p);
                }
            }
        }
        return e;
    }

    private String configKey() {
        try {
            return JSON.writeValueAsString(st.defaults());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A step that only changes the config: a container is created (as Docker does), the config committed. */
    private void metadata(String text, boolean doubleSpace, Runnable apply) {
        String parentKey = configKey();
        apply.run();
        String createdBy = "/bin/sh -c #(nop) " + (doubleSpace ? " " : "") + text;
        String key = "META\n" + createdBy + "\n" + parentKey;
        if (cached(key)) {
            return;
        }
        String containerId = null;
        if (st.image != null) {
            containerId = daemon.create(null, Builder.containerConfig(st.image, st,
                    List.of("/bin/sh", "-c", "#(nop) " + (doubleSpace ? " " : "") + text), List.of()), null).id();
            out.stream(" ---> Running in " + Builder.shortId(containerId) + "\n");
        }
        Image parent = st.image;
        try {
            st.image = commits.commit(null, parent, st.defaults(), createdBy);
        } finally {
            if (containerId != null) {
                removeIntermediate(containerId, true);
            }
        }
        cache.store(parent == null ? null : parent.id(), key, st.image);
        stepDone();
    }

    private boolean cached(String key) {
        if (options.noCache()) {
            return false;
        }
        Optional<Image> hit = cache.lookup(st.image == null ? null : st.image.id(), key);
        if (hit.isPresent()) {
            st.image = hit.get();
            out.stream(" ---> Using cache\n");
            stepDone();
            return true;
        }
        return false;
    }

    private void removeIntermediate(String containerId, boolean success) {
        if (success ? options.rm() || options.forceRm() : options.forceRm()) {
            try {
                daemon.remove(containerId, true);
            } catch (EngineException e) {
                leftContainers.add(containerId);
            }
            if (success) {
                out.stream("Removing intermediate container " + Builder.shortId(containerId) + "\n");
            }
        }
    }

    /**
     * The image a build container starts from. On {@code FROM scratch} that is an image with no layers, made for
     * the step (Docker's scratch has no image either; its containers start on an empty rootfs).
     */
    private Image baseForContainer() {
        if (st.image == null) {
            return commits.commit(null, null, st.defaults(), "");
        }
        return st.image;
    }

    // ------------------------------------------------------------------------------------------------ RUN

    private void run(Dockerfile.Instruction i) {
        List<String> cmd = i.json() != null ? i.json() : shellForm(i.rest());
        List<String> argEnv = argEnv();
        String shown = String.join(" ", cmd);
        String createdBy = argEnv.isEmpty() ? shown : "|" + argEnv.size() + " " + String.join(" ", argEnv) + " " + shown;
        String key = "RUN\n" + createdBy + "\n" + configKey();
        if (cached(key)) {
            return;
        }
        // tag::build-run[]
        Image parent = st.image;
        ContainerConfig cfg = Builder.containerConfig(baseForContainer(), st, cmd, argEnv);
        String id = daemon.create(null, cfg, null).id();
        out.stream(" ---> Running in " + Builder.shortId(id) + "\n");
        int code;
        try {
            code = Builder.runToExit(daemon, id, out);
        } catch (RuntimeException e) {
            removeIntermediate(id, false);
            throw e;
        }
        if (code != 0) {
            removeIntermediate(id, false);
            throw new BuildFailure("The command '" + shown + "' returned a non-zero code: " + code, code);
        }
        st.image = commits.commit(id, parent, st.defaults(), createdBy);
        removeIntermediate(id, true);
        cache.store(parent == null ? null : parent.id(), key, st.image);
        stepDone();
        // end::build-run[]
    }

    // ------------------------------------------------------------------------------------------------ WORKDIR

    private void workdir(Dockerfile.Instruction i) {
        String dir = lexer.word(i.rest(), st.scope());
        String abs = dir.startsWith("/") ? dir : (st.workdir == null || st.workdir.isEmpty() ? "/" : st.workdir)
                + (st.workdir != null && st.workdir.endsWith("/") ? "" : "/") + dir;
        String cleaned = "/" + DockerIgnore.clean(abs);
        String parentKey = configKey();
        st.workdir = cleaned;
        String createdBy = "/bin/sh -c #(nop) WORKDIR " + cleaned;
        String key = "WORKDIR\n" + createdBy + "\n" + parentKey;
        if (cached(key)) {
            return;
        }
        if (st.image == null) {
            Image parent = null;
            st.image = commits.commit(null, parent, st.defaults(), createdBy);
            cache.store(null, key, st.image);
            stepDone();
            return;
        }
        // the directory is made in a build container, whose layer holds it (Docker 20.10 does the same)
        inContainer(createdBy, key, true, (rootfs, id) -> {
            try {
                new FileCopier(rootfs, new FileCopier.Owner(0, 0)).mkdirsOnly(cleaned);
            } catch (java.io.IOException e) {
                throw new BuildFailure("failed to create the working directory " + cleaned + ": " + e.getMessage(), 0);
            }
        });
    }

    /**
     * Runs {@code change} on the rootfs of a build container of the current image (not started), then commits it.
     *
     * @param showContainer whether the stream names the container (Docker names it for WORKDIR, not for COPY)
     */
    private void inContainer(String createdBy, String key, boolean showContainer, BiConsumer<Path, String> change) {
        Image parent = st.image;
        Image base = baseForContainer();
        ContainerConfig cfg = Builder.containerConfig(base, st, List.of("/bin/sh", "-c", createdBy.substring(11)),
                List.of());
        String id = daemon.create(null, cfg, null).id();
        if (showContainer) {
            out.stream(" ---> Running in " + Builder.shortId(id) + "\n");
        }
        boolean ok = false;
        try {
            Path rootfs = daemon.storageDriver().mount(id, daemon.images().layerDirs(base));
            try {
                change.accept(rootfs, id);
            } finally {
                daemon.storageDriver().unmount(id);
            }
            st.image = commits.commit(id, parent, st.defaults(), createdBy);
            ok = true;
        } finally {
            if (showContainer) {
                removeIntermediate(id, ok);
            } else {
                try {
                    daemon.remove(id, true);
                } catch (EngineException e) {
                    leftContainers.add(id);
                }
            }
        }
        cache.store(parent == null ? null : parent.id(), key, st.image);
        stepDone();
    }

    // ------------------------------------------------------------------------------------------------ COPY, ADD

    private void copy(Dockerfile.Instruction i, boolean add) {
        String op = add ? "ADD" : "COPY";
        Map<String, String> scope = st.scope();
        List<String> words = new ArrayList<>();
        if (i.json() != null) {
            for (String w : i.json()) {
                words.add(lexer.word(w, scope));
            }
        } else {
            words.addAll(lexer.words(i.rest(), scope));
        }
        if (words.size() < 2) {
            throw new BuildFailure(op + " requires at least two arguments, but only one was provided. Destination could not be determined.", 0);
        }
        for (String f : i.flags()) {
            String name = f.contains("=") ? f.substring(2, f.indexOf('=')) : f.substring(2);
            if (!name.equals("chown") && !(name.equals("from") && !add)) {
                throw new BuildFailure("Unknown flag: " + name, 0);
            }
        }
        String from = i.flag("from");
        String chown = i.flag("chown") == null ? null : lexer.word(i.flag("chown"), scope);
        String dest = words.get(words.size() - 1);
        List<String> srcs = words.subList(0, words.size() - 1);
        String absDest = dest.startsWith("/") ? dest
                : (st.workdir == null || st.workdir.isEmpty() ? "/" : st.workdir + "/") + dest;
        boolean destDir = dest.endsWith("/") || dest.equals(".") || dest.endsWith("/.") || srcs.size() > 1;
        if (from != null) {
            copyFrom(i, op, from, srcs, dest, absDest, destDir, chown);
            return;
        }
        List<Path> sources = new ArrayList<>();
        for (String s : srcs) {
            if (s.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
                if (!add) {
                    throw new BuildFailure("COPY failed: source can't be a URL for COPY", 0);
                }
                throw new BuildFailure("ADD failed: cannot fetch " + s + ": this builder does not download (no network"
                        + " access); fetch the file into the build context and ADD it from there", 0);
            }
            try {
                sources.addAll(ctx.sources(s, op));
            } catch (InvalidParameterException e) {
                throw new BuildFailure(e.getMessage(), 0);
            }
        }
        if (sources.size() > 1 && !dest.endsWith("/")) {
            throw new BuildFailure("When using " + op + " with more than one source file, the destination must be a directory and end with a /", 0);
        }
        String checksum = FileCopier.checksum(sources);
        String createdBy = "/bin/sh -c #(nop) " + op + " " + (chown == null ? "" : "--chown=" + chown)
                + kind(sources) + checksum + " in " + dest + " "; // no space after --chown: Docker 20.10's text
        String key = op + "\n" + createdBy + "\n" + chown + "\n" + configKey();
        if (cached(key)) {
            return;
        }
        inContainer(createdBy, key, false, (rootfs, id) -> {
            FileCopier.Owner owner = Builder.owner(rootfs, chown);
            try {
                new FileCopier(rootfs, owner).copy(sources, absDest, destDir, add);
            } catch (InvalidParameterException e) {
                throw new BuildFailure(op + " failed: " + e.getMessage(), 0);
            }
        });
    }

    /** {@code file:}, {@code dir:} or {@code multi:}, as the history line names what a COPY/ADD copied. */
    private static String kind(List<Path> sources) {
        return sources.size() > 1 ? "multi:" : java.nio.file.Files.isDirectory(sources.get(0)) ? "dir:" : "file:";
    }

    /** COPY --from=STAGE|IMAGE: the sources are read from that image's file system, mounted for the step. */
    private void copyFrom(Dockerfile.Instruction i, String op, String from, List<String> srcs, String dest,
                          String absDest, boolean destDir, String chown) {
        Image source;
        String f = lexer.word(from, metaArgs).toLowerCase(Locale.ROOT);
        if (stages.containsKey(f)) {
            source = stages.get(f);
        } else if (f.matches("[0-9]+") && Integer.parseInt(f) < stagesByIndex.size()) {
            source = stagesByIndex.get(Integer.parseInt(f));
        } else {
            try {
                source = daemon.images().resolve(f);
            } catch (EngineException e) {
                throw new BuildFailure("invalid from flag value " + from + ": " + e.getMessage(), 0);
            }
        }
        ContainerConfig cfg = ContainerConfig.of(source.id(), "true");
        String srcId = daemon.create(null, cfg, null).id();
        try {
            Path srcRoot = daemon.storageDriver().mount(srcId, daemon.images().layerDirs(source));
            try {
                List<Path> sources = new ArrayList<>();
                for (String s : srcs) {
                    try {
                        sources.addAll(BuildContext.sources(srcRoot, s, op, false));
                    } catch (InvalidParameterException e) {
                        throw new BuildFailure(e.getMessage(), 0);
                    }
                }
                String checksum = FileCopier.checksum(sources);
                String createdBy = "/bin/sh -c #(nop) " + op + " " + (chown == null ? "" : "--chown=" + chown)
                        + kind(sources) + checksum + " in " + dest + " ";
                String key = op + "\n" + createdBy + "\n" + chown + "\n" + configKey();
                if (cached(key)) {
                    return;
                }
                inContainer(createdBy, key, false, (rootfs, id) ->
                        new FileCopier(rootfs, Builder.owner(rootfs, chown)).copy(sources, absDest, destDir, false));
            } finally {
                daemon.storageDriver().unmount(srcId);
            }
        } finally {
            try {
                daemon.remove(srcId, true);
            } catch (EngineException e) {
                leftContainers.add(srcId);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ HEALTHCHECK

    private ImageConfig.Healthcheck healthcheck(Dockerfile.Instruction i) {
        String rest = i.rest().strip();
        if (rest.equalsIgnoreCase("none")) {
            return new ImageConfig.Healthcheck(List.of("NONE"), null, null, null, null);
        }
        Long interval = null, timeout = null, start = null;
        Integer retries = null;
        for (String f : i.flags()) {
            int eq = f.indexOf('=');
            String name = eq < 0 ? f.substring(2) : f.substring(2, eq);
            String value = eq < 0 ? "" : f.substring(eq + 1);
            switch (name) {
                case "interval" -> interval = GoDuration.nanos(value);
                case "timeout" -> timeout = GoDuration.nanos(value);
                case "start-period" -> start = GoDuration.nanos(value);
                case "retries" -> {
                    try {
                        retries = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new BuildFailure("strconv.ParseInt: parsing \"" + value + "\": invalid syntax", 0);
                    }
                }
                default -> throw new BuildFailure("Unknown flag: " + name, 0);
            }
        }
        String upper = rest.toUpperCase(Locale.ROOT);
        if (!upper.startsWith("CMD")) {
            throw new BuildFailure("Unknown type \"" + rest.split("\\s+")[0] + "\" in HEALTHCHECK (try CMD)", 0);
        }
        String cmd = rest.substring(3).strip();
        List<String> test = new ArrayList<>();
        if (i.json() != null) {
            test.add("CMD");
            test.addAll(i.json());
        } else {
            test.add("CMD-SHELL");
            test.add(cmd);
        }
        return new ImageConfig.Healthcheck(List.copyOf(test), interval, timeout, start, retries);
    }
}
