package dev.rabbithole.labs.lab06;

import static dev.rabbithole.labs.support.Libc.LIBC;
import static dev.rabbithole.labs.support.Linux.*;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.rabbithole.labs.support.Bpf;
import dev.rabbithole.labs.support.Caps;
import dev.rabbithole.labs.support.Fifo;
import dev.rabbithole.labs.support.Host;
import dev.rabbithole.labs.support.Jvm;
import dev.rabbithole.labs.support.Rootfs;
import dev.rabbithole.labs.support.Spec;
import dev.rabbithole.labs.support.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Your container runtime, lab 06 (see the lab's page in the book, workshop part).
 *
 * <pre>
 * LabNN ns PID                  print the namespaces of a process (lab 01)
 * LabNN run [OPTIONS] -- CMD    run CMD in a container (OPTIONS: see {@link Spec})
 * LabNN busybox [OPTIONS] [-- CMD]   busybox in a container with Docker's defaults (lab 12)
 * LabNN init ...                the container's init, started by run: not for you to call
 * </pre>
 *
 * Two processes make a container here, as in runc: the parent ({@code run}, this JVM) creates the
 * namespaces on a thread of its own and starts the init, a second JVM, from that thread; it then puts
 * the init into its cgroups and network (a veth pair to a peer network namespace) and says "go". The init
 * ({@code init}) sets up the root filesystem, the hostname, the capabilities and the seccomp filter for itself,
 * then becomes the workload by execve. Search for TODO: that is this lab's step.
 */
public final class Lab06 {
    private Lab06() {}

    /**
     * The command line entry point.
     *
     * @param args see the class comment
     * @throws Exception whatever goes wrong, with the kernel's errno in the message
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: ns PID | run [OPTIONS] -- CMD [ARG]... | busybox [OPTIONS] [-- CMD [ARG]...]");
            System.exit(2);
        }
        List<String> rest = List.of(args).subList(1, args.length);
        switch (args[0]) {
            case "ns" -> ns(Long.parseLong(rest.get(0)));
            case "run" -> System.exit(run(Spec.parse(rest)));
            case "busybox" -> System.exit(busybox(rest));
            case "init" -> init(Spec.parse(rest));
            default -> {
                System.err.println("unknown command " + args[0]);
                System.exit(2);
            }
        }
    }

    // ---------------------------------------------------------------- lab 01: a process and its namespaces

    /**
     * Prints one line per namespace of a process, "KIND INODE own|shared" (shared: the same namespace as
     * this JVM's), then its PPid and NSpid lines from /proc/PID/status.
     *
     * @param pid a process id on the host
     * @throws IOException when /proc cannot be read
     */
    // tag::ns[]
    static void ns(long pid) throws IOException {
        for (String kind : List.of("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")) {
            Path theirs = Path.of("/proc", Long.toString(pid), "ns", kind);
            if (!Files.exists(theirs, LinkOption.NOFOLLOW_LINKS)) continue;
            String link = Files.readSymbolicLink(theirs).toString();
            String inode = link.substring(link.indexOf('[') + 1, link.indexOf(']'));
            boolean shared = link.equals(Files.readSymbolicLink(Path.of("/proc/self/ns", kind)).toString());
            System.out.println(kind + " " + inode + (shared ? " shared" : " own"));
        }
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("PPid:") || line.startsWith("NSpid:")) System.out.println(line);
        }
    }
    // end::ns[]

    // ---------------------------------------------------------------- the parent

    /**
     * Runs a container and waits for it.
     *
     * @param spec what to run
     * @return the workload's exit status (128 + signal number when a signal killed it)
     * @throws Exception when the container cannot be set up
     */
    // tag::run[]
    static int run(Spec spec) throws Exception {
        int flags = 0;
        flags |= CLONE_NEWNS;
        flags |= CLONE_NEWUTS;
        flags |= CLONE_NEWPID;
        // TODO(lab 06): add CLONE_NEWNET to flags
        try (Fifo fifo = Fifo.create()) {
            spec.sync = fifo.path();
            List<String> initArgs = new ArrayList<>(List.of("init"));
            initArgs.addAll(spec.toArgs());
            ProcessBuilder pb = new ProcessBuilder(Jvm.command(Lab06.class, initArgs)).inheritIO();
            Process init = startInNamespaces(pb, flags);
            try {
                network(spec, init.pid());
                cgroups(spec, init.pid());
                fifo.go();
                return init.waitFor();
            } finally {
                init.destroyForcibly();
                init.waitFor();
                cleanup(spec);
            }
        }
    }
    // end::run[]

    /**
     * Starts a process in new namespaces: unshare on a short-lived thread of its own (namespaces
     * belong to threads; the rest of this JVM stays on the host), start the process from that thread.
     *
     * @param pb    the process to start
     * @param flags CLONE_NEW* bits
     * @return the started process
     * @throws Exception when unshare or the start fails
     */
    static Process startInNamespaces(ProcessBuilder pb, int flags) throws Exception {
        Process[] started = new Process[1];
        Exception[] failed = new Exception[1];
        Thread thread = new Thread(() -> {
            try {
                if (flags != 0) LIBC.unshare(flags);
                started[0] = pb.start();
            } catch (Exception e) {
                failed[0] = e;
            }
        }, "unshare");
        thread.start();
        thread.join();
        if (failed[0] != null) throw failed[0];
        return started[0];
    }

    /**
     * Lab 06: connects the init's network namespace to a peer network namespace with a veth pair. The peer namespace
     * (spec.peerNetns, made with {@code ip netns add}) stands in for the host: both ends live in namespaces the lab
     * created, and nothing is configured in the host's own network namespace (ip-link(8), ip-netns(8), nsenter(1)).
     *
     * @param spec the container (spec.ip, spec.peerIp, spec.peerNetns, the veth names)
     * @param pid  the init's pid on the host
     * @throws IllegalArgumentException when spec.ip is set without spec.peerNetns and spec.peerIp
     * @throws IllegalStateException    when the init shares this process's network namespace (no CLONE_NEWNET)
     * @throws Exception                when an ip command fails
     */
    // tag::network[]
    static void network(Spec spec, long pid) throws Exception {
        if (spec.ip != null) {
            // guards, given: never configure an address in the host's own network namespace
            if (spec.peerNetns == null || spec.peerIp == null) {
                throw new IllegalArgumentException("--ip needs --peer-ip CIDR and --peer-netns NAME (make it with: ip netns add NAME)");
            }
            if (Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns/net"))
                    .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")))) {
                throw new IllegalStateException("the init shares the host's network namespace: add CLONE_NEWNET before using --ip");
            }
        }
        // TODO(lab 06): when spec.ip is set: create the veth pair with each end already in its namespace, none in the host's:
        // TODO(lab 06): ip -n PEERNS link add PEERVETH type veth peer name CTRVETH netns PID, where PEERNS is spec.peerNetns
        // TODO(lab 06): and the names are spec.peerVeth() and spec.containerVeth() ("ip -n NS ..." runs ip inside the named
        // TODO(lab 06): namespace NS). In the peer namespace give PEERVETH the address spec.peerIp and bring it up; then inside the
        // TODO(lab 06): init's namespace (nsenter --target PID --net ip ...) bring lo up, give CTRVETH spec.ip and bring it up.
        // TODO(lab 06): Host.run runs a command.
    }
    // end::network[]

    /** The cgroup v1 hierarchies, one directory per controller. */
    static final Path CGROUP = Path.of("/sys/fs/cgroup");

    /**
     * Labs 07 and 08: creates the container's cgroups, sets their limits and moves the init in.
     *
     * @param spec the container (spec.memoryBytes, spec.pidsMax, spec.cpuQuotaMicros, spec.name)
     * @param pid  the init's pid on the host
     * @throws IOException when a cgroup file cannot be written
     */
    // tag::cgroups[]
    static void cgroups(Spec spec, long pid) throws IOException {
    }
    // end::cgroups[]

    /**
     * Removes what the parent created on the host once the container is gone: its cgroups (lab 07). The
     * veth pair needs nothing: the kernel deletes it with the container's network namespace. The peer namespace
     * belongs to whoever created it (the checker in lab 06, {@link #busybox} in lab 12).
     *
     * @param spec the container
     * @throws InterruptedException when interrupted while waiting for a cgroup to empty
     */
    // tag::cleanup[]
    static void cleanup(Spec spec) throws InterruptedException {
    }
    // end::cleanup[]

    // ---------------------------------------------------------------- the init

    /**
     * The container's init: waits for the parent's go, sets itself up and becomes the workload.
     * Capabilities and the seccomp filter belong to the calling thread: this must run on the thread
     * that calls execve, and the filter comes last.
     *
     * @param spec what to run
     * @throws Exception when a step fails (the process then exits non-zero)
     */
    // tag::init[]
    static void init(Spec spec) throws Exception {
        Fifo.await(spec.sync);
        rootfs(spec);
        hostname(spec);
        String path = Jvm.which(spec.command.get(0));
        capabilities(spec);
        seccomp(spec);
        try {
            LIBC.execve(path, spec.command.toArray(new String[0]), Jvm.ENV);
        } catch (LastErrorException e) {
            System.err.println("init: execve " + path + ": " + e.getMessage());
            System.exit(127);
        }
    }
    // end::init[]

    /**
     * Labs 02, 04, 05, 11: makes spec.rootfs the root of the init's mount namespace.
     *
     * @param spec the container (spec.rootfs, spec.volumes, spec.layers)
     * @throws Exception when a mount fails
     */
    // tag::rootfs[]
    static void rootfs(Spec spec) throws Exception {
        String root = spec.rootfs.toAbsolutePath().toString();
        LIBC.mount(null, "/", null, MS_REC | MS_SLAVE, null);
        LIBC.mount(root, root, null, MS_BIND | MS_REC, null);
        for (Spec.Volume volume : spec.volumes) {
            Path target = Path.of(root, volume.target());
            Files.createDirectories(target);
            LIBC.mount(volume.source().toAbsolutePath().toString(), target.toString(), null, MS_BIND | MS_REC, null);
            long propagation = switch (volume.propagation()) {
                case "shared" -> MS_SHARED;
                case "slave" -> MS_SLAVE;
                default -> MS_PRIVATE;
            };
            LIBC.mount(null, target.toString(), null, propagation, null);
        }
        Path oldRoot = Path.of(root, ".oldroot");
        Files.createDirectories(oldRoot);
        LIBC.pivot_root(root, oldRoot.toString());
        LIBC.chdir("/");
        LIBC.umount2("/.oldroot", MNT_DETACH);
        Files.delete(Path.of("/.oldroot"));
        LIBC.mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
    }
    // end::rootfs[]

    /**
     * Lab 03: sets the hostname in the init's UTS namespace.
     *
     * @param spec the container (spec.hostname)
     */
    // tag::hostname[]
    static void hostname(Spec spec) {
        if (spec.hostname != null) {
            LIBC.sethostname(spec.hostname, spec.hostname.getBytes(StandardCharsets.UTF_8).length);
        }
    }
    // end::hostname[]

    /**
     * Lab 09: keeps only spec.caps, in the bounding set and in the effective, permitted and inheritable sets.
     *
     * @param spec the container (spec.caps; null keeps everything)
     */
    // tag::capabilities[]
    static void capabilities(Spec spec) {
    }
    // end::capabilities[]

    /**
     * Lab 10: installs a seccomp filter under which the calls in spec.seccompDeny fail with EPERM.
     *
     * @param spec the container (spec.seccompDeny; empty: no filter)
     */
    // tag::seccomp[]
    static void seccomp(Spec spec) {
    }
    // end::seccomp[]

    // ---------------------------------------------------------------- lab 12: all together

    /** The system calls Docker's default profile refuses that this runtime's seccomp table knows. */
    static final List<String> DEFAULT_DENY = List.of("mount", "umount2", "pivot_root", "unshare", "setns", "keyctl",
            "add_key", "request_key", "ptrace", "reboot", "kexec_load", "init_module", "finit_module", "delete_module",
            "bpf", "swapon", "swapoff", "acct", "settimeofday", "clock_settime", "userfaultfd", "perf_event_open",
            "open_by_handle_at", "kcmp", "quotactl", "vhangup");

    /**
     * Runs busybox in a container in one command: a busybox image layer built from the host's busybox,
     * a writable layer, every namespace, and Docker's defaults for what the options leave out. Without
     * {@code --peer-netns} it creates the peer network namespace {@code rhlab-peer-NAME} (ip-netns(8)) for the
     * veth's other end and deletes it afterwards, whatever happened.
     *
     * @param args the options of {@code run}, then optionally {@code -- CMD [ARG]...} (default: sh)
     * @return the workload's exit status
     * @throws Exception when the container cannot be set up
     */
    // tag::busybox[]
    static int busybox(List<String> args) throws Exception {
        throw new UnsupportedOperationException("busybox comes in lab 12");
    }
    // end::busybox[]
}
