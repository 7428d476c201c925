package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The daemon's claim on its data root: an exclusive lock (fcntl(2) {@code F_SETLK}, through
 * {@link FileChannel#tryLock()}) on {@code DATA_ROOT/rabbithole.pid}, which holds the daemon's pid, as dockerd's
 * pidfile ({@code --pidfile}) keeps a second dockerd off {@code /var/lib/docker}. A second daemon on the same data
 * root would take the first one's running containers for dead ones and clean them up.
 *
 * <p>The kernel drops the lock when the process dies, even on SIGKILL, so a crashed daemon never blocks the next
 * one; the file stays (an unlocked pid file is stale and is taken over).
 */
public final class DataRootLock implements AutoCloseable {

    /** The lock file's name in the data root. */
    public static final String FILE_NAME = "rabbithole.pid";

    /**
     * The lock files this JVM holds. fcntl locks belong to the process: opening and closing a second channel on a
     * held file would drop the lock, so this JVM checks its own claims before it opens the file.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DataRootLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates the data root if needed, locks {@code rabbithole.pid} and writes this process's pid into it.
     *
     * @param dataRoot the daemon's data root
     * @return the held lock; close it when the daemon has stopped
     * @throws SystemException another live daemon holds the lock ({@code another daemon (pid N) is using the data
     *         root DIR: stop it first}), or the file cannot be created
     */
    public static DataRootLock acquire(Path dataRoot) {
        Path file = dataRoot.toAbsolutePath().normalize().resolve(FILE_NAME);
        if (!HELD.add(file)) {
            throw new SystemException("another daemon (pid " + ProcessHandle.current().pid()
                    + ") is using the data root " + dataRoot + ": stop it first");
        }
        FileChannel ch = null;
        try {
            Files.createDirectories(dataRoot);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                String other = Files.readString(file, StandardCharsets.UTF_8).trim();
                ch.close();
                HELD.remove(file);
                throw new SystemException("another daemon (pid " + (other.isEmpty() ? "unknown" : other)
                        + ") is using the data root " + dataRoot + ": stop it first");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(true);
            return new DataRootLock(file, ch, lock);
        } catch (IOException | OverlappingFileLockException e) {
            HELD.remove(file);
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing releases nothing we hold
                }
            }
            throw new SystemException("cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    /** Empties the pid file and releases the lock. Idempotent. */
    @Override
    public synchronized void close() {
        try {
            if (channel.isOpen()) {
                channel.truncate(0);
                lock.release();
                channel.close();
                HELD.remove(file);
            }
        } catch (IOException e) {
            EngineLog.warn("releasing the data root lock: " + e.getMessage());
        }
    }
}
