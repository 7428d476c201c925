package dev.rabbithole.stage2.libcontainer.process;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The container's own session keyring (keyrings(7), keyctl(2) {@code KEYCTL_JOIN_SESSION_KEYRING}), as runc makes
 * one unless {@code --no-new-keyring}: the init joins a new keyring named {@code _ses.ID} on the thread that will
 * execve (credentials, and with them the session keyring, are per thread), so the workload does not share the
 * session keyring of whoever started the runtime, and keys one container adds are not seen by another. The
 * keyring gets runc's permissions: everything for its possessor, view, read, search and link for its user.
 *
 * <p>The runtime asks for it by leaving the name in the file {@value #FILE} of the state directory; the init
 * reads it before pivot_root.
 */
public final class SessionKeyring {
    /** The file in the state directory that holds the keyring's name. */
    public static final String FILE = "session-keyring";
    /** keyctl(2) operations. */
    static final int KEYCTL_JOIN_SESSION_KEYRING = 1;
    static final int KEYCTL_SETPERM = 5;
    /** KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ | KEY_USR_SEARCH | KEY_USR_LINK: runc's permissions. */
    static final int PERM = 0x3f1b0000;

    private SessionKeyring() { }

    /**
     * Asks the container's init to join a new session keyring.
     *
     * @param stateDir the container's state directory
     * @param name     the keyring's name ({@code _ses.ID})
     * @throws IOException the file cannot be written
     */
    public static void request(Path stateDir, String name) throws IOException {
        Files.writeString(stateDir.resolve(FILE), name);
    }

    /**
     * @param stateDir the container's state directory
     * @return the name asked for, or null
     * @throws IOException the file cannot be read
     */
    public static String requested(Path stateDir) throws IOException {
        try {
            return Files.readString(stateDir.resolve(FILE), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Joins a new session keyring on the calling thread and gives it runc's permissions.
     *
     * @param name the keyring's name
     * @return its serial number
     * @throws IllegalStateException keyctl(2) failed: {@code join session keyring: ERRNO}
     */
    public static long join(String name) {
        // every integer argument a long: a variadic call's registers are read as longs by syscall(2)
        long id = Keyctl.INSTANCE.syscall(Keyctl.NUMBER, (long) KEYCTL_JOIN_SESSION_KEYRING, name);
        if (id < 0) {
            throw new IllegalStateException("join session keyring " + name + ": errno " + Native.getLastError());
        }
        if (Keyctl.INSTANCE.syscall(Keyctl.NUMBER, (long) KEYCTL_SETPERM, id, (long) PERM) < 0) {
            throw new IllegalStateException("mod keyring permissions: errno " + Native.getLastError());
        }
        return id;
    }

    /** syscall(2) of the C library, for keyctl, which glibc does not wrap. */
    interface Keyctl extends Library {
        Keyctl INSTANCE = Native.load("c", Keyctl.class);
        /** __NR_keyctl: 250 on x86_64, 219 on aarch64 (the generic table). */
        long NUMBER = Platform.isIntel() ? 250 : 219;

        long syscall(long number, Object... args);
    }
}
