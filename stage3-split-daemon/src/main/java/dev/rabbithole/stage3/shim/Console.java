package dev.rabbithole.stage3.shim;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A container's terminal, as runc hands it over: the shim listens on a unix socket and passes its path as
 * {@code --console-socket}; runc creates the pty, gives the slave to the container process and sends the master
 * to the socket as an {@code SCM_RIGHTS} control message, with the pty's name as the data (runc's
 * docs/terminals.md; unix(7), cmsg(3)). The shim then holds the master: it copies it to the stdout FIFO, the stdin
 * FIFO into it, and sets its size ({@code ioctl TIOCSWINSZ}, ioctl_tty(2)) for ResizePty. The socket lives in a
 * temporary directory of its own (a bundle path may exceed the 108 bytes of sun_path), removed once the master came.
 */
final class Console implements AutoCloseable {

    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final long TIOCSWINSZ = 0x5414;
    private static final int SUN_PATH = 108;

    static {
        Native.register(Console.class, NativeLibrary.getInstance("c"));
    }

    private static native int socket(int domain, int type, int protocol) throws LastErrorException;
    private static native int bind(int fd, Pointer addr, int len) throws LastErrorException;
    private static native int listen(int fd, int backlog) throws LastErrorException;
    private static native int accept(int fd, Pointer addr, Pointer len) throws LastErrorException;
    private static native long recvmsg(int fd, Pointer msg, int flags) throws LastErrorException;
    private static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

    final Path dir;
    final Path socket;
    private int listener;

    private Console(Path dir, Path socket, int listener) {
        this.dir = dir;
        this.socket = socket;
        this.listener = listener;
    }

    /**
     * Listens on a new socket in a new temporary directory.
     *
     * @throws IOException if the socket cannot be made
     */
    static Console listen() throws IOException {
        Path dir = Files.createTempDirectory("rh-pty");
        Path socket = dir.resolve("pty.sock");
        byte[] path = socket.toString().getBytes(StandardCharsets.UTF_8);
        if (path.length >= SUN_PATH) {
            throw new IOException("console socket path too long: " + socket);
        }
        int fd;
        try {
            fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw Libc.error("socket", "AF_UNIX", e);
        }
        Memory addr = new Memory(2 + SUN_PATH);
        addr.clear();
        addr.setShort(0, (short) AF_UNIX);
        addr.write(2, path, 0, path.length);
        try {
            bind(fd, addr, 2 + path.length + 1);
            listen(fd, 1);
        } catch (LastErrorException e) {
            Libc.closeQuietly(fd);
            throw Libc.error("bind/listen", socket, e);
        }
        return new Console(dir, socket, fd);
    }

    /**
     * Takes the pty master runc sent (runc has connected and sent it before create or exec returns).
     *
     * @return the master's descriptor (close-on-exec)
     * @throws IOException if no descriptor came
     */
    // tag::console-receive[]
    int receiveMaster() throws IOException {
        int conn;
        try {
            conn = accept(listener, null, null);
        } catch (LastErrorException e) {
            throw Libc.error("accept", socket, e);
        }
        try {
            Memory name = new Memory(4096);
            Memory iov = new Memory(16);
            iov.setPointer(0, name);
            iov.setLong(8, name.size());
            Memory control = new Memory(64);
            control.clear();
            Memory msg = new Memory(56);
            msg.clear();
            msg.setPointer(16, iov);      // msg_iov
            msg.setLong(24, 1);           // msg_iovlen
            msg.setPointer(32, control);  // msg_control
            msg.setLong(40, control.size()); // msg_controllen
            try {
                recvmsg(conn, msg, MSG_CMSG_CLOEXEC);
            } catch (LastErrorException e) {
                throw Libc.error("recvmsg", socket, e);
            }
            long len = control.getLong(0);
            if (msg.getLong(40) < 20 || len < 20 || control.getInt(8) != SOL_SOCKET || control.getInt(12) != SCM_RIGHTS) {
                throw new IOException("the runtime sent no terminal to " + socket);
            }
            return control.getInt(16);
        } finally {
            Libc.closeQuietly(conn);
        }
    }
    // end::console-receive[]

    /**
     * Sets the terminal's size (struct winsize: rows, columns, in characters).
     *
     * @throws IOException if the ioctl fails
     */
    static void resize(int master, int width, int height) throws IOException {
        Memory ws = new Memory(8);
        ws.clear();
        ws.setShort(0, (short) height);
        ws.setShort(2, (short) width);
        try {
            ioctl(master, TIOCSWINSZ, ws);
        } catch (LastErrorException e) {
            throw Libc.error("ioctl", "TIOCSWINSZ", e);
        }
    }

    /** Stops listening and removes the socket and its directory. */
    @Override
    public void close() {
        Libc.closeQuietly(listener);
        listener = -1;
        try {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a temporary directory left behind
        }
    }
}
