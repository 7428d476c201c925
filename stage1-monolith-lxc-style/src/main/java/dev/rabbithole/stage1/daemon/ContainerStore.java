package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.AtomicFiles;
import dev.rabbithole.stage1.storage.FileTrees;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The daemon's containers, as moby's {@code container.Store} and name index together: the containers by ID,
 * their names, lookup by name, ID or unique ID prefix, and their persistence in
 * {@code DATA_ROOT/containers/ID/config.v2.json} (written atomically, {@link AtomicFiles}). Knows nothing
 * of processes.
 */
final class ContainerStore {

    private final Path containersDir;
    private final ObjectMapper json = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);
    private final Map<String, LiveContainer> containers = new ConcurrentHashMap<>();
    private final Map<String, String> idsByName = new HashMap<>();
    private final Random nameRandom = new Random();

    /**
     * @param containersDir {@code DATA_ROOT/containers}; created if missing
     * @throws SystemException it cannot be created
     */
    ContainerStore(Path containersDir) {
        this.containersDir = containersDir;
        try {
            Files.createDirectories(containersDir);
        } catch (IOException e) {
            throw new SystemException("cannot create " + containersDir + ": " + e.getMessage(), e);
        }
    }

    /** @return {@code DATA_ROOT/containers/ID} */
    Path dir(String id) {
        return containersDir.resolve(id);
    }

    /**
     * Adds a new container under its name (a random free one when {@code wantedName} is null): makes its
     * directory, persists it and indexes it.
     *
     * @param make builds the container given its final name
     * @throws ConflictException the name is in use (Docker's message, naming the other container)
     */
    LiveContainer add(String id, String wantedName, Function<String, Container> make) {
        synchronized (idsByName) {
            String finalName = wantedName;
            if (finalName != null) {
                String holder = idsByName.get(finalName);
                if (holder != null) {
                    throw new ConflictException("Conflict. The container name \"" + finalName
                            + "\" is already in use by container \"" + holder
                            + "\". You have to remove (or rename) that container to be able to reuse that name.");
                }
            } else {
                for (int retry = 0; finalName == null || idsByName.containsKey(finalName); retry++) {
                    finalName = "/" + Names.randomName(nameRandom, retry);
                }
            }
            Container c = make.apply(finalName);
            Path dir = dir(id);
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new SystemException("cannot create " + dir + ": " + e.getMessage(), e);
            }
            persist(c);
            LiveContainer l = new LiveContainer(c, json);
            containers.put(id, l);
            idsByName.put(finalName, id);
            return l;
        }
    }

    /**
     * Renames a container: {@code POST /containers/{id}/rename?name=}, with dockerd 20.10's checks and messages.
     * The new name is persisted at once.
     *
     * @param ref     name, ID or unique ID prefix
     * @param newName with or without its leading slash
     * @return the renamed container and its old name (with its slash)
     * @throws InvalidParameterException an empty name, the container's own name, a name against Docker's rule
     * @throws NotFoundException         no such container
     * @throws ConflictException         another container has the name
     */
    // tag::rename[]
    Renamed rename(String ref, String newName) {
        if (ref == null || ref.isEmpty() || newName == null || newName.isEmpty()) {
            throw new InvalidParameterException("Neither old nor new names may be empty");
        }
        String wanted = newName.startsWith("/") ? newName : "/" + newName;
        LiveContainer l = get(ref);
        synchronized (l) {
            String old = l.c.name();
            if (old.equals(wanted)) {
                throw new InvalidParameterException("Renaming a container with the same name as its current name");
            }
            if (!Names.VALID_NAME.matcher(wanted).matches()) {
                throw new InvalidParameterException("Error when allocating new name: Invalid container name ("
                        + wanted + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
            }
            synchronized (idsByName) {
                String holder = idsByName.get(wanted);
                if (holder != null) {
                    throw new ConflictException("Error when allocating new name: Conflict. The container name \""
                            + wanted + "\" is already in use by container \"" + holder
                            + "\". You have to remove (or rename) that container to be able to reuse that name.");
                }
                Container renamed = l.c.withName(wanted);
                persist(renamed);
                l.c = renamed;
                idsByName.remove(old, renamed.id());
                idsByName.put(wanted, renamed.id());
            }
            return new Renamed(l.c, old);
        }
    }
    // end::rename[]

    /** What {@link #rename} did: the container under its new name, and its old name (with its slash). */
    record Renamed(Container container, String oldName) { }

    /** Indexes a container read back from disk ({@link #load}). */
    LiveContainer register(Container c) {
        LiveContainer l = new LiveContainer(c, json);
        containers.put(c.id(), l);
        synchronized (idsByName) {
            idsByName.put(c.name(), c.id());
        }
        return l;
    }

    /**
     * Finds a container by ID, name (with or without its slash) or unique ID prefix, in that order.
     *
     * @throws NotFoundException         {@code No such container: REF}
     * @throws InvalidParameterException the prefix matches several
     */
    LiveContainer get(String ref) {
        if (ref == null || ref.isEmpty()) {
            throw new NotFoundException("No such container: " + ref);
        }
        LiveContainer l = containers.get(ref);
        if (l != null) {
            return l;
        }
        String id;
        synchronized (idsByName) {
            id = idsByName.get(ref.startsWith("/") ? ref : "/" + ref);
        }
        if (id != null && (l = containers.get(id)) != null) {
            return l;
        }
        LiveContainer found = null;
        for (Map.Entry<String, LiveContainer> e : containers.entrySet()) {
            if (e.getKey().startsWith(ref)) {
                if (found != null) {
                    throw new InvalidParameterException("multiple IDs found with provided prefix: " + ref);
                }
                found = e.getValue();
            }
        }
        if (found == null) {
            throw new NotFoundException("No such container: " + ref);
        }
        return found;
    }

    /** @return every container, in no order */
    Collection<LiveContainer> all() {
        return containers.values();
    }

    /** @return the current snapshots, newest first; only running ones unless {@code all} */
    List<Container> list(boolean all) {
        return containers.values().stream().map(l -> l.c)
                .filter(c -> all || c.state().running())
                .sorted(Comparator.comparing(Container::created).reversed())
                .toList();
    }

    /** Forgets a removed container: deletes its directory (config and log) and frees its name. */
    void delete(Container c) {
        deleteTree(dir(c.id()));
        containers.remove(c.id());
        synchronized (idsByName) {
            idsByName.remove(c.name(), c.id());
        }
    }

    /**
     * Reads every {@code config.v2.json} under the containers directory; an unreadable one is skipped with
     * a warning.
     *
     * @throws SystemException the directory cannot be listed
     */
    List<Container> load() {
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(containersDir)) {
            ds.forEach(dirs::add);
        } catch (IOException e) {
            throw new SystemException("reading " + containersDir + ": " + e.getMessage(), e);
        }
        List<Container> found = new ArrayList<>();
        for (Path dir : dirs) {
            Path file = dir.resolve("config.v2.json");
            if (!Files.isRegularFile(file)) {
                continue;
            }
            try {
                found.add(json.readValue(file.toFile(), Container.class));
            } catch (IOException e) {
                EngineLog.warn("skipping container in " + dir + ": unreadable config.v2.json: " + e.getMessage());
            }
        }
        return found;
    }

    /**
     * Writes config.v2.json atomically: a temp file in the same directory, fsync, rename.
     *
     * @throws SystemException it cannot be written
     */
    void persist(Container c) {
        try {
            AtomicFiles.write(containersDir.resolve(c.id()).resolve("config.v2.json"), json.writeValueAsBytes(c));
        } catch (IOException e) {
            throw new SystemException("writing state of container " + c.id() + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path root) {
        try {
            FileTrees.deleteRecursively(root);
        } catch (IOException e) {
            throw new SystemException("deleting " + root + ": " + e.getMessage(), e);
        }
    }
}
