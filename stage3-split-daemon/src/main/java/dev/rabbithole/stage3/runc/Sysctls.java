package dev.rabbithole.stage3.runc;

import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The runtime-spec's {@code linux.sysctl} (config-linux.md, "Sysctl"), which libcontainer does not do: runc
 * writes them in its init; this runtime writes them from {@code runc create}, after the init made its namespaces
 * and before the workload starts, from a thread of its own that joins the container's namespace with setns(2)
 * (a sysctl under {@code /proc/sys/net} answers for the network namespace of the task that opens it, an IPC
 * sysctl for its IPC namespace: proc(5), sysctl(8)). As runc's validation, only namespaced sysctls are allowed,
 * and only when the container has that namespace of its own: {@code net.*} (network),
 * {@code kernel.msgmax}, {@code kernel.msgmnb}, {@code kernel.msgmni}, {@code kernel.sem}, {@code kernel.shmall},
 * {@code kernel.shmmax}, {@code kernel.shmmni}, {@code kernel.shm_rmid_forced}, {@code fs.mqueue.*} (IPC),
 * {@code kernel.domainname} and {@code kernel.hostname} (UTS).
 */
final class Sysctls {
    private static final Set<String> IPC = Set.of("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
            "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced");

    private Sysctls() {
    }

    /**
     * @param key a sysctl name, dotted ({@code net.ipv4.ip_forward})
     * @return the namespace it belongs to
     * @throws SpecException a sysctl of no namespace (it would change the host)
     */
    static NamespaceType namespaceOf(String key) throws SpecException {
        if (key.startsWith("net.")) {
            return NamespaceType.NET;
        }
        if (IPC.contains(key) || key.startsWith("fs.mqueue.")) {
            return NamespaceType.IPC;
        }
        if (key.equals("kernel.domainname") || key.equals("kernel.hostname")) {
            return NamespaceType.UTS;
        }
        throw new SpecException("linux.sysctl: " + key + ": sysctl is not in a separate kernel namespace");
    }

    /**
     * Checks every key against the container's namespaces.
     *
     * @param sysctl     the spec's map
     * @param namespaces the namespaces the container makes
     * @throws SpecException a key of no namespace, or of one the container shares with the host; a path
     *                       escaping {@code /proc/sys}
     */
    static void validate(Map<String, String> sysctl, Set<NamespaceType> namespaces) throws SpecException {
        for (String key : sysctl.keySet()) {
            if (!key.matches("[A-Za-z0-9_.\\-/]+") || key.contains("..")) {
                throw new SpecException("linux.sysctl: " + key + ": not a sysctl name");
            }
            NamespaceType t = namespaceOf(key);
            if (!namespaces.contains(t)) {
                throw new SpecException("linux.sysctl: " + key + ": the container shares the host's "
                        + t.procName + " namespace: refusing to change the host's sysctl");
            }
        }
    }

    /**
     * Writes the sysctls in the namespaces of {@code pid}.
     *
     * @param pid    the container's init, host pid
     * @param sysctl name to value
     * @throws RuncException a failed setns or write, with the key
     */
    static void apply(long pid, Map<String, String> sysctl) throws RuncException {
        if (sysctl.isEmpty()) {
            return;
        }
        AtomicReference<String> error = new AtomicReference<>();
        // a thread of its own: setns moves the calling thread only, and this one ends with the namespaces
        Thread t = new Thread(() -> {
            try {
                for (NamespaceType ns : new NamespaceType[] {NamespaceType.NET, NamespaceType.IPC, NamespaceType.UTS}) {
                    if (sysctl.keySet().stream().noneMatch(k -> namespaceOfQuietly(k) == ns)) {
                        continue;
                    }
                    String path = "/proc/" + pid + "/ns/" + ns.procName;
                    int fd = Libc.INSTANCE.open(path, 0x80000); // O_RDONLY|O_CLOEXEC
                    if (fd < 0) {
                        error.set("open " + path + ": errno " + Native.getLastError());
                        return;
                    }
                    int rc = Libc.INSTANCE.setns(fd, ns.cloneFlag);
                    int errno = Native.getLastError();
                    Libc.INSTANCE.close(fd);
                    if (rc != 0) {
                        error.set("setns " + path + ": errno " + errno);
                        return;
                    }
                }
                for (Map.Entry<String, String> e : sysctl.entrySet()) {
                    Path file = Path.of("/proc/sys", e.getKey().replace('.', '/'));
                    try {
                        Files.writeString(file, e.getValue());
                    } catch (IOException ex) {
                        error.set("write sysctl " + e.getKey() + "=" + e.getValue() + ": " + ex.getMessage());
                        return;
                    }
                }
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                error.set("sysctl: " + e);
            }
        }, "sysctl-in-container");
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuncException("sysctl: interrupted");
        }
        if (error.get() != null) {
            throw new RuncException(error.get());
        }
    }

    private static NamespaceType namespaceOfQuietly(String key) {
        try {
            return namespaceOf(key);
        } catch (SpecException e) {
            return null;
        }
    }

    /** open(2), setns(2), close(2) from the C library; errno through {@link Native#getLastError()}. */
    interface Libc extends Library {
        Libc INSTANCE = Native.load("c", Libc.class);

        int open(String path, int flags);

        int setns(int fd, int nstype);

        int close(int fd);
    }
}
