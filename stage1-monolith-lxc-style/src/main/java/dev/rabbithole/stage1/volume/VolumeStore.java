package dev.rabbithole.stage1.volume;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.AtomicFiles;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.storage.FileTrees;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The volumes of the {@code local} driver, as dockerd's {@code volume/local} keeps them: one directory per volume,
 * {@code DATA_ROOT/volumes/NAME/_data} holding the data (what containers bind-mount) and
 * {@code DATA_ROOT/volumes/NAME/volume.json} the metadata ({@link Volume}), written atomically
 * ({@link AtomicFiles}) once the data directory exists, so a crash leaves a volume whole or not listed.
 *
 * <p>The store counts no references itself: whether a volume is in use is asked of the containers (a function
 * from the volume's name to the IDs of the containers whose mounts name it, created and stopped ones included,
 * as dockerd counts them).
 */
public final class VolumeStore {

    /** The local driver's name rule (dockerd's {@code volume/local} {@code validName}). */
    static final Pattern VALID_NAME = Pattern.compile("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
    private static final String META = "volume.json";

    private final Path root;
    private final ObjectMapper json = new ObjectMapper();
    private final SecureRandom random = new SecureRandom();

    /**
     * @param root {@code DATA_ROOT/volumes}; created when missing
     * @throws SystemException it cannot be created
     */
    public VolumeStore(Path root) {
        this.root = root;
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new SystemException("creating " + root + ": " + e.getMessage(), e);
        }
    }

    /** @return {@code DATA_ROOT/volumes} */
    public Path root() {
        return root;
    }

    /**
     * {@code POST /volumes/create}, and a container's {@code -v NAME:PATH} on first use: the volume of that name,
     * made now when there is none (an existing one is returned as it is, labels unchanged, as dockerd).
     *
     * @param name   the name; null or empty for a new anonymous one (64 hex characters)
     * @param labels labels for a new volume; null for none
     * @return the volume
     * @throws InvalidParameterException a name the local driver refuses (dockerd's message)
     * @throws SystemException           its directory or metadata cannot be written
     */
    public synchronized Volume create(String name, Map<String, String> labels) {
        if (name == null || name.isEmpty()) {
            byte[] id = new byte[32];
            random.nextBytes(id);
            name = HexFormat.of().formatHex(id);
        }
        checkName(name);
        Volume existing = read(name);
        if (existing != null) {
            return existing;
        }
        Path dir = root.resolve(name);
        Volume v = new Volume(name, "local", dir.resolve("_data").toString(),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                labels == null || labels.isEmpty() ? null : Map.copyOf(labels), null, "local");
        try {
            Files.createDirectories(dir.resolve("_data"));
            AtomicFiles.writeString(dir.resolve(META), json.writeValueAsString(v));
        } catch (IOException e) {
            throw new SystemException("create " + name + ": " + e.getMessage(), e);
        }
        return v;
    }

    /**
     * {@code GET /volumes/{name}}.
     *
     * @throws NotFoundException {@code get NAME: no such volume}, as dockerd
     */
    public synchronized Volume get(String name) {
        Volume v = VALID_NAME.matcher(name).matches() ? read(name) : null;
        if (v == null) {
            throw new NotFoundException("get " + name + ": no such volume");
        }
        return v;
    }

    /** {@code GET /volumes}: every volume, by name. */
    public synchronized List<Volume> list() {
        List<Volume> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path d : dirs) {
                Volume v = read(d.getFileName().toString());
                if (v != null) {
                    out.add(v);
                }
            }
        } catch (IOException e) {
            throw new SystemException("listing " + root + ": " + e.getMessage(), e);
        }
        out.sort(java.util.Comparator.comparing(Volume::name));
        return out;
    }

    /**
     * {@code DELETE /volumes/{name}[?force=]}: deletes the volume and its data.
     *
     * @param users the IDs of the containers that use a volume, by its name
     * @param force a missing volume is no error (dockerd's {@code force}); an used one is still refused
     * @throws NotFoundException {@code get NAME: no such volume}
     * @throws ConflictException {@code remove NAME: volume is in use - [ID, ...]}, as dockerd
     */
    public synchronized void remove(String name, boolean force, Function<String, List<String>> users) {
        Volume v = VALID_NAME.matcher(name).matches() ? read(name) : null;
        if (v == null) {
            if (force) {
                return;
            }
            throw new NotFoundException("get " + name + ": no such volume");
        }
        List<String> ids = users.apply(name);
        if (!ids.isEmpty()) {
            throw new ConflictException("remove " + name + ": volume is in use - [" + String.join(", ", ids) + "]");
        }
        delete(name);
    }

    /**
     * {@code POST /volumes/prune}: removes every volume no container uses (Engine API 1.41 prunes named and
     * anonymous ones alike).
     *
     * @param users the IDs of the containers that use a volume, by its name
     * @return the names removed and the bytes their data took
     */
    public synchronized Pruned prune(Function<String, List<String>> users) {
        List<String> removed = new ArrayList<>();
        long bytes = 0;
        for (Volume v : list()) {
            if (users.apply(v.name()).isEmpty()) {
                bytes += size(Path.of(v.mountpoint()));
                delete(v.name());
                removed.add(v.name());
            }
        }
        return new Pruned(removed, bytes);
    }

    /**
     * What {@link #prune} removed.
     *
     * @param names          the volumes' names
     * @param spaceReclaimed bytes of their files
     */
    public record Pruned(List<String> names, long spaceReclaimed) { }

    /** Deletes a volume that no container uses: the metadata first (it stops being listed), then the data. */
    private void delete(String name) {
        Path dir = root.resolve(name);
        try {
            Files.deleteIfExists(dir.resolve(META));
            FileTrees.deleteRecursively(dir);
        } catch (IOException e) {
            throw new SystemException("remove " + name + ": " + e.getMessage(), e);
        }
    }

    private Volume read(String name) {
        Path meta = root.resolve(name).resolve(META);
        if (!Files.isRegularFile(meta)) {
            return null;
        }
        try {
            return json.readValue(meta.toFile(), Volume.class);
        } catch (IOException e) {
            throw new SystemException("reading " + meta + ": " + e.getMessage(), e);
        }
    }

    static void checkName(String name) {
        if (!VALID_NAME.matcher(name).matches()) {
            throw new InvalidParameterException("create " + name + ": \"" + name + "\" includes invalid characters"
                    + " for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended"
                    + " to pass a host directory, use absolute path");
        }
    }

    private static long size(Path dir) {
        try (var files = Files.walk(dir)) {
            return files.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .mapToLong(p -> {
                        try {
                            return Files.size(p);
                        } catch (IOException e) {
                            return 0;
                        }
                    }).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }
}
