package dev.rabbithole.labs.support;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The init's starting gun: a named pipe on which the container's init waits until the parent has put
 * it into its cgroups and network, like runc's init pipe. Both ends open it read-write, which never
 * blocks (fifo(7)), and the parent keeps its end open until the init has exited, so the "go" cannot
 * be lost and a dead init cannot block the parent.
 */
public final class Fifo implements AutoCloseable {
    private final Path dir;
    private final Path path;
    private final RandomAccessFile end;

    private Fifo(Path dir) throws IOException {
        this.dir = dir;
        this.path = dir.resolve("go");
        Libc.LIBC.mkfifo(path.toString(), 0600);
        this.end = new RandomAccessFile(path.toFile(), "rw");
    }

    /**
     * @return a new pipe in a new temporary directory, opened by the caller
     * @throws IOException when it cannot be created
     */
    public static Fifo create() throws IOException {
        return new Fifo(Files.createTempDirectory("rabbithole-lab-"));
    }

    /** @return the pipe's path, for the init's {@code --sync} */
    public Path path() { return path; }

    /**
     * Lets the init go on.
     *
     * @throws IOException when the write fails
     */
    public void go() throws IOException {
        end.write("go\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /**
     * Called by the init: blocks until the parent said go.
     *
     * @param path the pipe
     * @throws IOException when the pipe cannot be read or is closed without a "go"
     */
    public static void await(Path path) throws IOException {
        try (RandomAccessFile in = new RandomAccessFile(path.toFile(), "rw")) {
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) throw new IOException("the parent closed " + path + " without saying go");
            }
        }
    }

    /** Closes the parent's end and removes the pipe and its directory. */
    @Override
    public void close() throws IOException {
        end.close();
        Files.deleteIfExists(path);
        Files.deleteIfExists(dir);
    }
}
