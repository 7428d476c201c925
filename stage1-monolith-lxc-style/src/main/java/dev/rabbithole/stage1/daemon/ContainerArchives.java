package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.archive.PathStat;
import dev.rabbithole.stage1.archive.RootfsArchive;
import dev.rabbithole.stage1.archive.TarSink;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.image.ImageStore;
import dev.rabbithole.stage1.storage.StorageDriver;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * {@code docker cp}'s daemon side (moby's {@code daemon/archive.go}): the archive endpoints of Engine API 1.41 on a
 * container in any state. The copy works on the rootfs the storage driver mounted on the host; a container that is
 * not running has it mounted for the copy and unmounted after, as dockerd does ({@code daemon.Mount}/{@code Unmount}).
 * A count of copies in flight per container keeps a copy's mount while the container starts or exits meanwhile;
 * the last one out unmounts when the container is not running. The file work itself is {@link RootfsArchive}'s.
 */
final class ContainerArchives {

    private final ContainerStore store;
    private final ImageStore images;
    private final StorageDriver storage;

    ContainerArchives(ContainerStore store, ImageStore images, StorageDriver storage) {
        this.store = store;
        this.images = images;
        this.storage = storage;
    }

    /** {@code HEAD /containers/{id}/archive?path=}. See {@link RootfsArchive#stat}. */
    PathStat stat(String ref, String path) {
        return withRootfs(ref, a -> a.stat(path));
    }

    /**
     * {@code GET /containers/{id}/archive?path=}: the stat goes to {@code sink}, then the tar into what it returned.
     *
     * @throws SystemException writing the tar failed (the client went away)
     */
    void archive(String ref, String path, TarSink sink) {
        withRootfs(ref, a -> {
            try (RootfsArchive.Source source = a.source(path)) {
                OutputStream out = sink.begin(source.stat());
                source.writeTo(out);
                out.flush();
                return null;
            } catch (IOException e) {
                throw new SystemException("copying " + path + " out of " + ref + ": " + e.getMessage(), e);
            }
        });
    }

    /**
     * {@code PUT /containers/{id}/archive?path=&noOverwriteDirNonDir=&copyUIDGID=}. With {@code copyUIDGID} (the
     * CLI's {@code -a}) and a numeric {@code Config.User} ({@code uid[:gid]}), files get that owner, as dockerd's
     * {@code tarCopyOptions}; otherwise the tar's owners stay.
     *
     * @throws SystemException {@code container rootfs is marked read-only} with {@code --read-only}
     */
    void extract(String ref, String path, InputStream tar, boolean noOverwriteDirNonDir, boolean copyUIDGID) {
        LiveContainer l = store.get(ref);
        if (l.c.hostConfig() != null && l.c.hostConfig().readonlyRootfs()) {
            throw new SystemException("container rootfs is marked read-only");
        }
        Integer uid = null, gid = null;
        String user = l.c.config() == null ? null : l.c.config().user();
        if (copyUIDGID && user != null && user.matches("[0-9]+(:[0-9]+)?")) {
            String[] ids = user.split(":");
            uid = Integer.valueOf(ids[0]);
            gid = ids.length > 1 ? Integer.valueOf(ids[1]) : uid;
        }
        RootfsArchive.ExtractOptions options = new RootfsArchive.ExtractOptions(noOverwriteDirNonDir, uid, gid);
        withRootfs(ref, a -> {
            a.extract(path, tar, options);
            return null;
        });
    }

    // tag::cp-mount[]
    private <T> T withRootfs(String ref, Function<RootfsArchive, T> work) {
        LiveContainer l = store.get(ref);
        Path rootfs;
        synchronized (l) {
            if (l.removing) {
                throw new ConflictException("container " + l.c.id() + " is marked for removal");
            }
            // the running container's rootfs is mounted already (mount is idempotent); a stopped one's is mounted now
            rootfs = storage.mount(l.c.id(), images.layerDirs(images.resolve(l.c.imageId())));
            l.copies++;
        }
        try (RootfsArchive archive = new RootfsArchive(rootfs, ref)) {
            return work.apply(archive);
        } finally {
            synchronized (l) {
                l.copies--;
                if (l.copies == 0 && !l.running() && !l.removing) {
                    unmount(l);
                }
            }
        }
    }
    // end::cp-mount[]

    /**
     * Unmounts a stopped container's rootfs (caller holds l). A runtime that is still tearing the container down
     * (LXC's monitor) may hold the mount busy for a moment after the exit was reported: tries 100 ms apart, for 5 s
     * at most (a loaded host needs more than a few).
     */
    private void unmount(LiveContainer l) {
        for (int attempt = 1; ; attempt++) {
            try {
                storage.unmount(l.c.id());
                return;
            } catch (RuntimeException e) {
                if (attempt == 50) {
                    EngineLog.warn("docker cp: unmounting the rootfs of " + l.c.shortId() + ": " + e.getMessage());
                    return;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
