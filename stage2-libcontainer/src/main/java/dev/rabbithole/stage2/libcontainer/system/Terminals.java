package dev.rabbithole.stage2.libcontainer.system;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Pseudo-terminals and descriptor passing through JNA, for the runtime-spec's {@code process.terminal} and
 * runc's {@code --console-socket}: a pty is made inside the container (its own devpts instance, through
 * {@code /dev/ptmx}, pty(7)), its slave becomes the process's fds 0, 1, 2 and controlling terminal, and its
 * master travels to whoever listens on the console socket, a unix stream socket, as one {@code sendmsg(2)}
 * whose data is the master's path ({@code /dev/ptmx}, what runc sends) and whose one control message is
 * {@code SCM_RIGHTS} with the master's descriptor (unix(7)); strace shows the same bytes for runc 1.1's and
 * ours: 9 bytes of data, {@code cmsg_len=20}, {@code msg_controllen=24}. That is the message containerd's {@code console.Socket.ReceiveMaster} (go-runc) reads:
 * data shorter than 4096 bytes and a control part of exactly {@code CMSG_SPACE(sizeof(int))} bytes.
 *
 * <p>All methods throw {@link SyscallException} with the failing call and errno. Numbers are Linux's generic
 * ones (x86_64 and aarch64 share them).
 */
public final class Terminals {
    private static final int O_RDWR = 02;
    private static final int O_NOCTTY = 0400;
    private static final int O_CLOEXEC = 02000000;
    private static final long TIOCSPTLCK = 0x40045431L;
    private static final long TIOCGPTN = 0x80045430L;
    private static final long TIOCGPTPEER = 0x5441L;
    private static final long TIOCSCTTY = 0x540EL;
    private static final long TIOCSWINSZ = 0x5414L;
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    /** {@code sizeof(struct sockaddr_un)}: a 2-byte family and 108 bytes of path. */
    private static final int SOCKADDR_UN_SIZE = 110;
    /** {@code CMSG_LEN(sizeof(int))} on 64-bit Linux: a 16-byte {@code struct cmsghdr} and the int. */
    private static final int CMSG_LEN_INT = 20;
    /** {@code CMSG_SPACE(sizeof(int))}: the same, padded to 8 bytes. */
    private static final int CMSG_SPACE_INT = 24;
    /** {@code sizeof(struct msghdr)} on 64-bit Linux. */
    private static final int MSGHDR_SIZE = 56;
    /** The longest name data a receiver takes (runc's and go-runc's limit). */
    public static final int MAX_NAME = 4096;

    private Terminals() { }

    /** glibc, direct mapping. */
    private static final class Libc {
        static {
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
        }

        static native int open(String path, int flags) throws LastErrorException;
        static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;
        static native int ioctl(int fd, long request, long arg) throws LastErrorException;
        static native int dup2(int oldfd, int newfd) throws LastErrorException;
        static native int close(int fd) throws LastErrorException;
        static native long read(int fd, byte[] buf, long count) throws LastErrorException;
        static native long write(int fd, byte[] buf, long count) throws LastErrorException;
        static native int socket(int domain, int type, int protocol) throws LastErrorException;
        static native int connect(int fd, Pointer addr, int len) throws LastErrorException;
        static native int bind(int fd, Pointer addr, int len) throws LastErrorException;
        static native int listen(int fd, int backlog) throws LastErrorException;
        static native int accept4(int fd, Pointer addr, Pointer len, int flags) throws LastErrorException;
        static native long sendmsg(int fd, Pointer msg, int flags) throws LastErrorException;
        static native long recvmsg(int fd, Pointer msg, int flags) throws LastErrorException;
        static native String strerror(int errnum);
    }

    private static <T> T call(String name, Supplier<T> body, Object... args) {
        try {
            return body.get();
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            List<String> rendered = Arrays.stream(args).map(String::valueOf).toList();
            throw new SyscallException(name, rendered, errno, Libc.strerror(errno));
        }
    }

    /**
     * A new pty: master and slave descriptors (both close-on-exec) and the slave's name.
     *
     * @param master the master's descriptor
     * @param slave  the slave's descriptor
     * @param name   the slave's path as the opening process sees it, e.g. {@code /dev/pts/0}
     */
    public record Pty(int master, int slave, String name) { }

    /**
     * Opens a new pty through {@code ptmx} (pty(7)): open(2) {@code O_RDWR|O_NOCTTY|O_CLOEXEC}, unlockpt
     * ({@code TIOCSPTLCK} 0), ptsname ({@code TIOCGPTN}), and the slave through {@code TIOCGPTPEER} (Linux 4.13;
     * no path lookup that a container could redirect), by its name on older kernels.
     *
     * @param ptmx the multiplexer, {@code /dev/ptmx} in the calling thread's root
     * @return the pty
     */
    public static Pty openPty(String ptmx) {
        int master = call("open", () -> Libc.open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC), ptmx);
        try {
            Memory zero = new Memory(4);
            zero.setInt(0, 0);
            call("ioctl", () -> Libc.ioctl(master, TIOCSPTLCK, zero), master, "TIOCSPTLCK");
            Memory n = new Memory(4);
            call("ioctl", () -> Libc.ioctl(master, TIOCGPTN, n), master, "TIOCGPTN");
            String name = "/dev/pts/" + n.getInt(0);
            int slave;
            try {
                slave = Libc.ioctl(master, TIOCGPTPEER, (long) (O_RDWR | O_NOCTTY | O_CLOEXEC));
            } catch (LastErrorException e) {
                slave = call("open", () -> Libc.open(name, O_RDWR | O_NOCTTY | O_CLOEXEC), name);
            }
            return new Pty(master, slave, name);
        } catch (RuntimeException e) {
            closeQuietly(master);
            throw e;
        }
    }

    /**
     * Makes {@code slave} the calling process's stdio (dup2(2) onto 0, 1, 2, which are then not close-on-exec)
     * and its controlling terminal ({@code TIOCSCTTY}; the caller must be a session leader without one, as after
     * setsid(2)).
     *
     * @param slave a pty slave descriptor
     */
    public static void becomeStdioAndControllingTerminal(int slave) {
        for (int fd = 0; fd <= 2; fd++) {
            int target = fd;
            call("dup2", () -> Libc.dup2(slave, target), slave, target);
        }
        call("ioctl", () -> Libc.ioctl(0, TIOCSCTTY, 0L), 0, "TIOCSCTTY");
    }

    /**
     * Sets a terminal's window size ({@code TIOCSWINSZ}, tty_ioctl(4)).
     *
     * @param fd      the master or the slave
     * @param rows    rows, characters
     * @param columns columns, characters
     */
    public static void resize(int fd, int rows, int columns) {
        Memory ws = new Memory(8);
        ws.clear();
        ws.setShort(0, (short) rows);
        ws.setShort(2, (short) columns);
        call("ioctl", () -> Libc.ioctl(fd, TIOCSWINSZ, ws), fd, "TIOCSWINSZ");
    }

    /**
     * Connects to a listening unix stream socket: socket(2) {@code AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC}, connect(2).
     *
     * @param path the socket's path, at most 107 bytes
     * @return the connected descriptor
     */
    public static int connectUnix(String path) {
        Memory addr = sockaddr(path);
        int fd = call("socket", () -> Libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "AF_UNIX");
        try {
            call("connect", () -> Libc.connect(fd, addr, SOCKADDR_UN_SIZE), fd, path);
            return fd;
        } catch (RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
    }

    /**
     * A listening unix stream socket, as the receiving side of a console socket (runc's {@code recvtty}, the
     * shim's {@code NewTempConsoleSocket}).
     *
     * @param path where to bind it; must not exist
     * @return the listening descriptor (close-on-exec)
     */
    public static int listenUnix(String path) {
        Memory addr = sockaddr(path);
        int fd = call("socket", () -> Libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "AF_UNIX");
        try {
            call("bind", () -> Libc.bind(fd, addr, SOCKADDR_UN_SIZE), fd, path);
            call("listen", () -> Libc.listen(fd, 1), fd, 1);
            return fd;
        } catch (RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
    }

    /**
     * accept4(2) with {@code SOCK_CLOEXEC}.
     *
     * @param listening a descriptor from {@link #listenUnix}
     * @return the connection's descriptor
     */
    public static int accept(int listening) {
        return call("accept4", () -> Libc.accept4(listening, null, null, SOCK_CLOEXEC), listening);
    }

    /**
     * Sends one descriptor with a name as one message: sendmsg(2) with the name's bytes as data and one
     * {@code SCM_RIGHTS} control message (unix(7)), as runc's {@code utils.SendFd}.
     *
     * @param socket a connected unix stream socket
     * @param name   the data, e.g. the pty's name; shorter than {@link #MAX_NAME} bytes, not empty
     * @param fd     the descriptor to pass
     */
    public static void sendFd(int socket, String name, int fd) {
        byte[] data = name.getBytes(StandardCharsets.UTF_8);
        if (data.length == 0 || data.length >= MAX_NAME) {
            throw new IllegalArgumentException("the name sent with a descriptor must have 1 to 4095 bytes");
        }
        Memory buf = new Memory(data.length);
        buf.write(0, data, 0, data.length);
        Memory iov = new Memory(16);
        iov.setPointer(0, buf);
        iov.setLong(8, data.length);
        Memory control = new Memory(CMSG_SPACE_INT);
        control.clear();
        control.setLong(0, CMSG_LEN_INT);
        control.setInt(8, SOL_SOCKET);
        control.setInt(12, SCM_RIGHTS);
        control.setInt(16, fd);
        Memory msg = new Memory(MSGHDR_SIZE);
        msg.clear();
        msg.setPointer(16, iov);
        msg.setLong(24, 1);
        msg.setPointer(32, control);
        msg.setLong(40, CMSG_SPACE_INT);
        call("sendmsg", () -> Libc.sendmsg(socket, msg, 0), socket, name, "SCM_RIGHTS [" + fd + "]");
    }

    /**
     * A descriptor received with its name.
     *
     * @param fd   the descriptor, close-on-exec
     * @param name the message's data
     */
    public record Received(int fd, String name) { }

    /**
     * Receives one message sent by {@link #sendFd} (or by runc): recvmsg(2) with {@code MSG_CMSG_CLOEXEC}.
     *
     * @param socket a connected unix stream socket
     * @return the descriptor and the name
     * @throws SyscallException when recvmsg fails
     * @throws IllegalStateException when the message holds no descriptor, or the peer closed without sending
     */
    public static Received receiveFd(int socket) {
        Memory buf = new Memory(MAX_NAME);
        Memory iov = new Memory(16);
        iov.setPointer(0, buf);
        iov.setLong(8, MAX_NAME);
        Memory control = new Memory(CMSG_SPACE_INT);
        control.clear();
        Memory msg = new Memory(MSGHDR_SIZE);
        msg.clear();
        msg.setPointer(16, iov);
        msg.setLong(24, 1);
        msg.setPointer(32, control);
        msg.setLong(40, CMSG_SPACE_INT);
        long n = call("recvmsg", () -> Libc.recvmsg(socket, msg, MSG_CMSG_CLOEXEC), socket);
        long controlLen = msg.getLong(40);
        if (n <= 0 || controlLen < CMSG_LEN_INT || control.getInt(8) != SOL_SOCKET
                || control.getInt(12) != SCM_RIGHTS) {
            throw new IllegalStateException("the console socket's peer sent no descriptor (" + n + " bytes)");
        }
        return new Received(control.getInt(16), new String(buf.getByteArray(0, (int) n), StandardCharsets.UTF_8));
    }

    /**
     * read(2) into {@code buf}.
     *
     * @param fd  a descriptor
     * @param buf where to
     * @return bytes read, 0 at end of file; a pty master whose slave is closed everywhere reads EIO (thrown)
     */
    public static int read(int fd, byte[] buf) {
        return (int) (long) call("read", () -> Libc.read(fd, buf, buf.length), fd);
    }

    /**
     * write(2) of all of {@code data}.
     *
     * @param fd   a descriptor
     * @param data the bytes
     */
    public static void write(int fd, byte[] data) {
        int off = 0;
        while (off < data.length) {
            byte[] rest = off == 0 ? data : Arrays.copyOfRange(data, off, data.length);
            off += (int) (long) call("write", () -> Libc.write(fd, rest, rest.length), fd);
        }
    }

    /** close(2). @param fd a descriptor */
    public static void close(int fd) {
        call("close", () -> Libc.close(fd), fd);
    }

    /** close(2), errors ignored. @param fd a descriptor, or -1 */
    public static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            Libc.close(fd);
        } catch (LastErrorException ignored) {
            // closing on an error path
        }
    }

    private static Memory sockaddr(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length > SOCKADDR_UN_SIZE - 3) {
            throw new IllegalArgumentException("a unix socket path has at most 107 bytes: " + path);
        }
        Memory addr = new Memory(SOCKADDR_UN_SIZE);
        addr.clear();
        addr.setShort(0, (short) AF_UNIX);
        addr.write(2, p, 0, p.length);
        return addr;
    }
}
