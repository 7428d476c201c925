package dev.rabbithole.stage1.daemon.fakes;

import dev.rabbithole.stage1.storage.StorageDriver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A storage driver that "mounts" a plain directory per container and records every call. */
public final class FakeStorageDriver implements StorageDriver {
    private final Path root;
    public final Set<String> mounted = ConcurrentHashMap.newKeySet();
    public final List<String> unmounts = new CopyOnWriteArrayList<>();
    public final List<String> removed = new CopyOnWriteArrayList<>();

    public FakeStorageDriver(Path root) { this.root = root; }

    @Override public String name() { return "fake"; }

    @Override
    public Path mount(String containerId, List<Path> layers) {
        try {
            Path dir = Files.createDirectories(root.resolve(containerId));
            mounted.add(containerId);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void unmount(String containerId) {
        mounted.remove(containerId);
        unmounts.add(containerId);
    }

    @Override
    public void remove(String containerId) {
        unmount(containerId);
        removed.add(containerId);
    }
}
