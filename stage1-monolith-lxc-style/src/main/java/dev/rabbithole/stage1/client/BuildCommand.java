package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbithole.stage1.builder.DockerIgnore;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * {@code build [OPTIONS] PATH}: tars the context directory (leaving out what its {@code .dockerignore} excludes,
 * owners 0:0 as the docker CLI sends them) and sends it to {@code POST /build}; prints the daemon's
 * {@code stream} messages and exits 1 on an error message (with a failed RUN's exit code when there is one, as
 * the docker CLI does).
 */
@Command(name = "build", description = "Build an image from a Dockerfile (the classic builder).")
public final class BuildCommand extends ClientCommand {
    @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
    @Option(names = {"-t", "--tag"}, paramLabel = "NAME[:TAG]", description = "Name and optionally a tag.")
    List<String> tags = new ArrayList<>();
    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Name of the Dockerfile (default PATH/Dockerfile).")
    Path file;
    @Option(names = "--build-arg", paramLabel = "NAME[=VALUE]", description = "Set a build-time variable.")
    List<String> buildArgs = new ArrayList<>();
    @Option(names = "--no-cache", description = "Do not use the cache.") boolean noCache;
    @Option(names = "--rm", negatable = true, defaultValue = "true", fallbackValue = "true", arity = "0..1",
            description = "Remove intermediate containers after a successful build (default true).") boolean rm;
    @Option(names = "--force-rm", description = "Always remove intermediate containers.") boolean forceRm;
    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Set metadata for the image.")
    List<String> labels = new ArrayList<>();
    @Option(names = "--target", paramLabel = "STAGE", description = "Build the stage of this name and stop.") String target;
    @Option(names = {"-q", "--quiet"}, description = "Print only the image ID.") boolean quiet;
    @Parameters(index = "0", paramLabel = "PATH", description = "The build context directory.") Path contextDir;

    @Override
    protected int execute(EngineClient client) {
        if (!Files.isDirectory(contextDir)) {
            context.err().println("unable to prepare context: path \"" + contextDir + "\" not found");
            return 1;
        }
        Path tar;
        String dockerfileName;
        try {
            tar = Files.createTempFile("rabbithole-build-", ".tar");
        } catch (IOException e) {
            context.err().println("cannot create a temporary file: " + e.getMessage());
            return 1;
        }
        try {
            dockerfileName = writeContext(tar);
            StringBuilder q = new StringBuilder("/build?");
            for (String t : tags) {
                q.append("t=").append(enc(t)).append('&');
            }
            if (dockerfileName != null) {
                q.append("dockerfile=").append(enc(dockerfileName)).append('&');
            }
            Map<String, String> args = new LinkedHashMap<>();
            for (String a : buildArgs) {
                int eq = a.indexOf('=');
                args.put(eq < 0 ? a : a.substring(0, eq), eq < 0 ? System.getenv(a) : a.substring(eq + 1));
            }
            Map<String, String> labelMap = new LinkedHashMap<>();
            for (String l : labels) {
                int eq = l.indexOf('=');
                labelMap.put(eq < 0 ? l : l.substring(0, eq), eq < 0 ? "" : l.substring(eq + 1));
            }
            q.append("buildargs=").append(enc(EngineClient.JSON.writeValueAsString(args)));
            q.append("&labels=").append(enc(EngineClient.JSON.writeValueAsString(labelMap)));
            q.append("&nocache=").append(noCache ? 1 : 0).append("&rm=").append(rm ? 1 : 0)
                    .append("&forcerm=").append(forceRm ? 1 : 0).append("&q=").append(quiet ? 1 : 0);
            if (target != null && !target.isEmpty()) {
                q.append("&target=").append(enc(target));
            }
            if (!quiet) {
                context.out().println("Sending build context to Docker daemon  " + Files.size(tar) + "B");
            }
            EngineResponse r;
            try (InputStream in = Files.newInputStream(tar)) {
                r = client.upload("POST", q.toString(), in, "application/x-tar");
            }
            for (JsonNode m : JsonStream.parse(r.body())) {
                if (m.hasNonNull("error")) {
                    context.err().println(m.get("error").asText());
                    int code = m.path("errorDetail").path("code").asInt(0);
                    return code != 0 ? code : 1;
                }
                if (m.hasNonNull("stream")) {
                    context.out().print(m.get("stream").asText());
                } else if (m.hasNonNull("message")) {
                    context.err().println("Error response from daemon: " + m.get("message").asText());
                    return 1;
                }
            }
            context.out().flush();
            return 0;
        } catch (IOException e) {
            context.err().println("error creating the build context: " + e.getMessage());
            return 1;
        } finally {
            try {
                Files.deleteIfExists(tar);
            } catch (IOException e) {
                // a temporary file left behind
            }
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Writes the context tar; returns the Dockerfile's name in it (null for the default). */
    private String writeContext(Path tar) throws IOException {
        Path root = contextDir.toAbsolutePath().normalize();
        Path ignoreFile = root.resolve(".dockerignore");
        DockerIgnore ignore = Files.isRegularFile(ignoreFile)
                ? DockerIgnore.parse(Files.readString(ignoreFile)) : DockerIgnore.NONE;
        String dockerfileName = null;
        Path outside = null;
        if (file != null) {
            Path df = file.toAbsolutePath().normalize();
            if (df.startsWith(root)) {
                dockerfileName = root.relativize(df).toString();
            } else {
                outside = df;
                dockerfileName = ".dockerfile." + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
            }
        }
        try (OutputStream os = Files.newOutputStream(tar); TarArchiveOutputStream t = new TarArchiveOutputStream(os)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            List<Path> all;
            try (Stream<Path> s = Files.walk(root)) {
                all = s.filter(p -> !p.equals(root)).sorted().toList();
            }
            for (Path p : all) {
                String rel = root.relativize(p).toString();
                boolean keep = rel.equals(".dockerignore") || rel.equals(dockerfileName)
                        || (dockerfileName == null && rel.equals("Dockerfile"));
                if (!keep && ignore.excluded(rel)) {
                    continue;
                }
                add(t, p, rel);
            }
            if (outside != null) {
                add(t, outside, dockerfileName);
            }
        }
        return dockerfileName;
    }

    private static void add(TarArchiveOutputStream t, Path p, String name) throws IOException {
        TarArchiveEntry e;
        if (Files.isSymbolicLink(p)) {
            e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
            e.setLinkName(Files.readSymbolicLink(p).toString());
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            e = new TarArchiveEntry(name + "/");
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            e = new TarArchiveEntry(name);
            e.setSize(Files.size(p));
        } else {
            return; // sockets, fifos, devices are not sent
        }
        e.setMode((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
        e.setModTime(Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis());
        e.setIds(0, 0);
        t.putArchiveEntry(e);
        if (e.isFile()) {
            Files.copy(p, t);
        }
        t.closeArchiveEntry();
    }
}
