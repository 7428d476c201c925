package dev.rabbithole.labs.master;

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
 * Your container runtime, lab @@LAB@@ (see the lab's page in the book, workshop part).
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
public final class LabRuntime {
    private LabRuntime() {}

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
//@ 01
//@todo for each KIND of cgroup, ipc, mnt, net, pid, time, user, uts: read the link /proc/PID/ns/KIND
//@todo (Files.readSymbolicLink gives "uts:[4026531838]"), and print "KIND INODE shared" when /proc/self/ns/KIND
//@todo is the same link, else "KIND INODE own". Then print the lines of /proc/PID/status that start with PPid: and NSpid:
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
//@ end
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
//@ 02
//@todo add CLONE_NEWNS to flags: the init needs a mount namespace of its own to pivot_root in
        flags |= CLONE_NEWNS;
//@ end
//@ 03
//@todo add CLONE_NEWUTS to flags
        flags |= CLONE_NEWUTS;
//@ end
//@ 04
//@todo add CLONE_NEWPID to flags: the init will be pid 1 of the new pid namespace
        flags |= CLONE_NEWPID;
//@ end
//@ 06
//@todo add CLONE_NEWNET to flags
        flags |= CLONE_NEWNET;
//@ end
//@ 12
//@todo add CLONE_NEWIPC and CLONE_NEWCGROUP to flags
        flags |= CLONE_NEWIPC | CLONE_NEWCGROUP;
//@ end
        try (Fifo fifo = Fifo.create()) {
            spec.sync = fifo.path();
            List<String> initArgs = new ArrayList<>(List.of("init"));
            initArgs.addAll(spec.toArgs());
            ProcessBuilder pb = new ProcessBuilder(Jvm.command(LabRuntime.class, initArgs)).inheritIO();
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
     * With spec.bridge the peer end hangs on a bridge there that holds spec.peerIp (Docker's docker0); each of
     * spec.publish ("HOSTPORT:PORT") becomes a DNAT rule in the peer namespace, with nft(8) when it is installed, else
     * iptables-extensions(8) DNAT (Docker's -p).
     *
     * @param spec the container (spec.ip, spec.peerIp, spec.peerNetns, spec.bridge, spec.publish, the veth names)
     * @param pid  the init's pid on the host
     * @throws IllegalArgumentException when spec.ip is set without spec.peerNetns and spec.peerIp, or spec.bridge or
     *                                  spec.publish without spec.ip
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
        } else if (spec.bridge != null || !spec.publish.isEmpty()) {
            throw new IllegalArgumentException("--bridge and --publish need --ip CIDR (and --peer-ip, --peer-netns)");
        }
//@ 06
//@todo when spec.ip is set: create the veth pair with each end already in its namespace, none in the host's:
//@todo ip -n PEERNS link add PEERVETH type veth peer name CTRVETH netns PID, where PEERNS is spec.peerNetns
//@todo and the names are spec.peerVeth() and spec.containerVeth() ("ip -n NS ..." runs ip inside the named
//@todo namespace NS). In the peer namespace give PEERVETH the address spec.peerIp and bring it up; then inside the
//@todo init's namespace (nsenter --target PID --net ip ...) bring lo up, give CTRVETH spec.ip and bring it up.
//@todo Host.run runs a command, Host.ok says whether one succeeded.
//@todo Then the bridge: when spec.bridge is set, spec.peerIp goes on the bridge instead of PEERVETH. If the peer
//@todo namespace has no such link yet (ip -n PEERNS link show dev BRIDGE fails), create it (link add BRIDGE type
//@todo bridge), give it spec.peerIp and bring it up; then enslave PEERVETH to it (link set PEERVETH master BRIDGE).
//@todo Last, the published ports: for each "HOSTPORT:PORT" in spec.publish, DNAT TCP connections to the peer's own
//@todo address (spec.peerIp without its /24) on HOSTPORT to the container's address on PORT, in the peer namespace
//@todo (ip netns exec PEERNS nft ...), in the nat hooks prerouting (from outside) and output (from the namespace
//@todo itself); with iptables: -t nat -A PREROUTING and -A OUTPUT ... -j DNAT --to-destination ADDR:PORT.
        if (spec.ip == null) return;
        String peer = spec.peerNetns, v = spec.peerVeth(), c = spec.containerVeth(), p = Long.toString(pid);
        Host.run("ip", "-n", peer, "link", "add", v, "type", "veth", "peer", "name", c, "netns", p);
        if (spec.bridge == null) {
            Host.run("ip", "-n", peer, "addr", "add", spec.peerIp, "dev", v);
        } else {
            // docker0 in miniature: the first container on the bridge creates it, and the bridge holds the peer address
            if (!Host.ok("ip", "-n", peer, "link", "show", "dev", spec.bridge)) {
                Host.run("ip", "-n", peer, "link", "add", spec.bridge, "type", "bridge");
                Host.run("ip", "-n", peer, "addr", "add", spec.peerIp, "dev", spec.bridge);
                Host.run("ip", "-n", peer, "link", "set", spec.bridge, "up");
            }
            Host.run("ip", "-n", peer, "link", "set", v, "master", spec.bridge);
        }
        Host.run("ip", "-n", peer, "link", "set", v, "up");
        Host.run("nsenter", "--target", p, "--net", "ip", "link", "set", "lo", "up");
        Host.run("nsenter", "--target", p, "--net", "ip", "addr", "add", spec.ip, "dev", c);
        Host.run("nsenter", "--target", p, "--net", "ip", "link", "set", c, "up");
        String peerAddr = spec.peerIp.split("/")[0], ctrAddr = spec.ip.split("/")[0];
        for (String port : spec.publish) {
            String hostPort = port.split(":")[0], to = ctrAddr + ":" + port.split(":")[1];
            if (Host.ok("nft", "--version")) {
                Host.run("ip", "netns", "exec", peer, "nft", "add table ip rhlab; "
                        + "add chain ip rhlab prerouting { type nat hook prerouting priority -100; }; "
                        + "add chain ip rhlab output { type nat hook output priority -100; }");
                for (String chain : List.of("prerouting", "output")) {
                    Host.run("ip", "netns", "exec", peer, "nft", "add", "rule", "ip", "rhlab", chain,
                            "ip", "daddr", peerAddr, "tcp", "dport", hostPort, "dnat", "to", to);
                }
            } else {
                for (String chain : List.of("PREROUTING", "OUTPUT")) {
                    Host.run("ip", "netns", "exec", peer, "iptables", "-t", "nat", "-A", chain, "-d", peerAddr,
                            "-p", "tcp", "--dport", hostPort, "-j", "DNAT", "--to-destination", to);
                }
            }
        }
//@ end
    }
    // end::network[]

    /** Where the cgroup file systems are: one directory per controller on cgroup v1, one tree on v2. */
    static final Path CGROUP = Path.of("/sys/fs/cgroup");

    /**
     * Given: which cgroup version a cgroup root has. A v2 (unified) root has {@code cgroup.controllers}; on a v1 or
     * hybrid host {@code /sys/fs/cgroup} is a tmpfs holding one v1 hierarchy per controller (the kernel's cgroup-v2.rst).
     *
     * @param root the cgroup root, {@link #CGROUP} (a fake tree in the tests)
     * @return true on cgroup v2
     */
    static boolean v2(Path root) {
        return Files.exists(root.resolve("cgroup.controllers"));
    }

    /**
     * Given: creates the container's cgroup for one controller and returns its directory. On v1:
     * ROOT/CONTROLLER/rabbithole-labs/NAME. On v2 one cgroup holds every controller, ROOT/rabbithole-labs/NAME, and a
     * controller works in it only once its parents enable it: "+CONTROLLER" into ROOT/cgroup.subtree_control, then
     * into ROOT/rabbithole-labs/cgroup.subtree_control (cgroup-v2.rst, "Enabling and Disabling").
     *
     * @param root       the cgroup root
     * @param controller memory, pids or cpu
     * @param name       the container's name
     * @return the cgroup's directory
     * @throws IOException when it cannot be created or the controller cannot be enabled
     */
    static Path cgroup(Path root, String controller, String name) throws IOException {
        if (!v2(root)) return Files.createDirectories(root.resolve(controller).resolve("rabbithole-labs").resolve(name));
        Path parent = Files.createDirectories(root.resolve("rabbithole-labs"));
        Files.writeString(root.resolve("cgroup.subtree_control"), "+" + controller);
        Files.writeString(parent.resolve("cgroup.subtree_control"), "+" + controller);
        return Files.createDirectories(parent.resolve(name));
    }

    /**
     * Labs 07 and 08: creates the container's cgroups in {@link #CGROUP}, sets their limits and moves the init in.
     *
     * @param spec the container (spec.memoryBytes, spec.pidsMax, spec.cpuQuotaMicros, spec.name)
     * @param pid  the init's pid on the host
     * @throws IOException when a cgroup file cannot be written
     */
    static void cgroups(Spec spec, long pid) throws IOException {
        cgroups(spec, pid, CGROUP);
    }

    /**
     * Labs 07 and 08: creates the container's cgroups under a cgroup root, v1 or v2, sets their limits and moves the
     * init in.
     *
     * @param spec the container (spec.memoryBytes in bytes, spec.pidsMax, spec.cpuQuotaMicros in microseconds per
     *             100000, spec.name)
     * @param pid  the init's pid on the host
     * @param root the cgroup root ({@link #CGROUP}; a fake tree in the tests)
     * @throws IOException when a cgroup file cannot be written
     */
    // tag::cgroups[]
    static void cgroups(Spec spec, long pid, Path root) throws IOException {
//@ 07
//@todo when spec.memoryBytes > 0: g = cgroup(root, "memory", spec.name) creates the container's memory cgroup.
//@todo On v1 (v2(root) is false) write the limit to g/memory.limit_in_bytes, and to g/memory.memsw.limit_in_bytes
//@todo when that file exists (memory plus swap); on v2 write it to g/memory.max, and "0" to g/memory.swap.max when
//@todo that file exists (swap alone). Then write the init's pid to g/cgroup.procs. The init has not said go yet:
//@todo it cannot escape the limit. Also fill in cleanup() below: remove the directory when the container is gone.
        if (spec.memoryBytes > 0) {
            Path g = cgroup(root, "memory", spec.name);
            String limit = Long.toString(spec.memoryBytes);
            if (v2(root)) {
                Files.writeString(g.resolve("memory.max"), limit);
                if (Files.exists(g.resolve("memory.swap.max"))) Files.writeString(g.resolve("memory.swap.max"), "0");
            } else {
                Files.writeString(g.resolve("memory.limit_in_bytes"), limit);
                if (Files.exists(g.resolve("memory.memsw.limit_in_bytes"))) {
                    Files.writeString(g.resolve("memory.memsw.limit_in_bytes"), limit);
                }
            }
            Files.writeString(g.resolve("cgroup.procs"), Long.toString(pid));
        }
//@ end
//@ 08
//@todo when spec.pidsMax > 0: the same with cgroup(root, "pids", spec.name) and pids.max (the same name on v1 and v2);
//@todo when spec.cpuQuotaMicros > 0: the same with cgroup(root, "cpu", spec.name): on v1 write cpu.cfs_period_us
//@todo 100000, then cpu.cfs_quota_us; on v2 write "QUOTA 100000" to cpu.max (quota and period in one file)
        if (spec.pidsMax > 0) {
            Path g = cgroup(root, "pids", spec.name);
            Files.writeString(g.resolve("pids.max"), Integer.toString(spec.pidsMax));
            Files.writeString(g.resolve("cgroup.procs"), Long.toString(pid));
        }
        if (spec.cpuQuotaMicros > 0) {
            Path g = cgroup(root, "cpu", spec.name);
            if (v2(root)) {
                Files.writeString(g.resolve("cpu.max"), spec.cpuQuotaMicros + " 100000");
            } else {
                Files.writeString(g.resolve("cpu.cfs_period_us"), "100000");
                Files.writeString(g.resolve("cpu.cfs_quota_us"), Long.toString(spec.cpuQuotaMicros));
            }
            Files.writeString(g.resolve("cgroup.procs"), Long.toString(pid));
        }
//@ end
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
    static void cleanup(Spec spec) throws InterruptedException {
        cleanup(spec, CGROUP);
    }

    /**
     * Lab 07: removes the container's cgroups under a cgroup root, v1 (one per controller) or v2 (one).
     *
     * @param spec the container (spec.name)
     * @param root the cgroup root ({@link #CGROUP}; a fake tree in the tests)
     * @throws InterruptedException when interrupted while waiting for a cgroup to empty
     */
    // tag::cleanup[]
    static void cleanup(Spec spec, Path root) throws InterruptedException {
//@ 07
        // v1: one directory per controller; v2: ROOT/rabbithole-labs/NAME. Whichever exist go.
        for (Path hierarchy : List.of(root.resolve("memory"), root.resolve("pids"), root.resolve("cpu"), root)) {
            Path g = hierarchy.resolve("rabbithole-labs").resolve(spec.name);
            // a cgroup can be removed once its last task is gone; the kernel may need a moment after the exit
            for (int i = 0; i < 100 && Files.exists(g); i++) {
                try {
                    Files.delete(g);
                } catch (IOException busy) {
                    Thread.sleep(20);
                }
            }
        }
//@ end
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
//@ 15
//@todo first run the escape against lab 14's runtime (the lab's page says how): the workload inherits host files.
//@todo Then, as late as possible (the JVM reads its jars until the very end), mark every file descriptor above 2
//@todo close-on-exec: LIBC.close_range(3, -1, CLOSE_RANGE_CLOEXEC). Not close: the JVM still needs them until execve.
        LIBC.close_range(3, -1, CLOSE_RANGE_CLOEXEC);
//@ end
        try {
            LIBC.execve(path, spec.command.toArray(new String[0]), Jvm.ENV);
        } catch (LastErrorException e) {
            System.err.println("init: execve " + path + ": " + e.getMessage());
            System.exit(127);
        }
    }
    // end::init[]

    /** Lab 14: the device nodes a container gets, bound from the host's /dev (Docker's default list, without the ptys). */
    static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom", "tty");

    /**
     * Labs 02, 04, 05, 11, 13, 14: makes spec.rootfs the root of the init's mount namespace.
     *
     * @param spec the container (spec.rootfs, spec.volumes, spec.layers)
     * @throws Exception when a mount fails
     */
    // tag::rootfs[]
    static void rootfs(Spec spec) throws Exception {
//@ 02
//@todo step 1: chroot into spec.rootfs (LIBC.chroot, then LIBC.chdir("/")), run the checker, read what it says.
//@todo step 2: replace it with pivot_root:
//@todo   make every mount private, recursively (mount(null, "/", null, MS_REC | MS_PRIVATE, null)): pivot_root refuses shared ones;
//@todo   bind-mount the rootfs onto itself (MS_BIND | MS_REC): the new root must be a mount point;
//@todo   create ROOTFS/.oldroot, pivot_root(ROOTFS, ROOTFS/.oldroot), chdir("/"),
//@todo   then umount2("/.oldroot", MNT_DETACH) and delete the directory: the host's files are gone from the namespace.
        String root = spec.rootfs.toAbsolutePath().toString();
//@ <05
        LIBC.mount(null, "/", null, MS_REC | MS_PRIVATE, null);
//@ end
//@ 05
//@todo make every mount a slave instead (MS_REC | MS_SLAVE): mounts on the host still propagate in, none propagate out
        LIBC.mount(null, "/", null, MS_REC | MS_SLAVE, null);
//@ end
//@ 11
//@todo when spec.layers is not empty: mount an overlay on the rootfs: mount("overlay", ROOTFS, "overlay", 0,
//@todo "lowerdir=TOP:...:BOTTOM,upperdir=UPPER,workdir=WORK"). spec.layers lists the layers lowest first,
//@todo lowerdir wants the top one first. upper and work are spec.upper and spec.work.
        if (!spec.layers.isEmpty()) {
            List<String> lower = new ArrayList<>();
            for (Path layer : spec.layers) lower.add(0, layer.toAbsolutePath().toString());
            LIBC.mount("overlay", root, "overlay", 0, "lowerdir=" + String.join(":", lower)
                    + ",upperdir=" + spec.upper.toAbsolutePath() + ",workdir=" + spec.work.toAbsolutePath());
        }
//@ end
        LIBC.mount(root, root, null, MS_BIND | MS_REC, null);
//@ 05
//@todo for each volume in spec.volumes: create ROOTFS/TARGET, bind-mount the source there (MS_BIND | MS_REC), then
//@todo set its propagation with a second mount(null, ROOTFS/TARGET, null, FLAG, null), FLAG being MS_PRIVATE,
//@todo MS_SLAVE or MS_SHARED as volume.propagation() says
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
//@ end
        Path oldRoot = Path.of(root, ".oldroot");
        Files.createDirectories(oldRoot);
        LIBC.pivot_root(root, oldRoot.toString());
        LIBC.chdir("/");
//@ 14
//@todo first run the escape against lab 13's runtime (the lab's page says how): mknod /dev/kmsg's node and write the host's kernel log.
//@todo Then give the container a /dev where no node it makes can be opened: mount a tmpfs on /dev with
//@todo MS_NOSUID | MS_NODEV | MS_NOEXEC ("mode=755"); for each of DEVICES create an empty file /dev/NAME and
//@todo bind-mount the host's node /.oldroot/dev/NAME onto it (a bind mount keeps its own flags: these stay usable);
//@todo then make the root itself nodev: mount(null, "/", null, MS_REMOUNT | MS_BIND | MS_NODEV, null).
//@todo Do it before /.oldroot goes: the host's nodes are reachable only through it.
        LIBC.mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
        for (String device : DEVICES) {
            Path node = Files.createFile(Path.of("/dev", device));
            LIBC.mount("/.oldroot/dev/" + device, node.toString(), null, MS_BIND, null);
        }
        LIBC.mount(null, "/", null, MS_REMOUNT | MS_BIND | MS_NODEV, null);
//@ end
        LIBC.umount2("/.oldroot", MNT_DETACH);
        Files.delete(Path.of("/.oldroot"));
//@ 04
//@todo mount a proc filesystem on /proc: mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null).
//@todo A proc shows the pids of the pid namespace of the process that mounts it: yours.
        LIBC.mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
//@ end
//@ 13
//@todo first run the escape against lab 12's runtime (the lab's page says how) and see the host's sysctl change hands.
//@todo Then harden /proc/sys as runc does: bind-mount it onto itself (MS_BIND | MS_REC), then make that bind read-only:
//@todo mount(null, "/proc/sys", null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, null).
//@todo The container still reads its sysctls; a write, which would change the host's (most are not namespaced), fails.
        LIBC.mount("/proc/sys", "/proc/sys", null, MS_BIND | MS_REC, null);
        LIBC.mount(null, "/proc/sys", null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
//@ end
//@ end
    }
    // end::rootfs[]

    /**
     * Lab 03: sets the hostname in the init's UTS namespace.
     *
     * @param spec the container (spec.hostname)
     */
    // tag::hostname[]
    static void hostname(Spec spec) {
//@ 03
//@todo when spec.hostname is set: LIBC.sethostname(NAME, its length in bytes)
        if (spec.hostname != null) {
            LIBC.sethostname(spec.hostname, spec.hostname.getBytes(StandardCharsets.UTF_8).length);
        }
//@ end
    }
    // end::hostname[]

    /**
     * Lab 09: keeps only spec.caps, in the bounding set and in the effective, permitted and inheritable sets.
     *
     * @param spec the container (spec.caps; null keeps everything)
     */
    // tag::capabilities[]
    static void capabilities(Spec spec) {
//@ 09
//@todo when spec.caps is not null: for every capability 0..Caps.last() not in Caps.mask(spec.caps), drop it from the
//@todo bounding set (prctl(PR_CAPBSET_DROP, CAP, 0, 0, 0)): after execve, root gets exactly the bounding set.
//@todo Then capset(header, data) with header {LINUX_CAPABILITY_VERSION_3, 0} and data {lo, lo, lo, hi, hi, hi}
//@todo (effective, permitted, inheritable of capabilities 0-31, then of 32-63: the mask's two halves).
        if (spec.caps == null) return;
        long keep = Caps.mask(spec.caps);
        for (int cap = 0; cap <= Caps.last(); cap++) {
            if ((keep & (1L << cap)) == 0) LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
        }
        int lo = (int) keep, hi = (int) (keep >>> 32);
        LIBC.capset(new int[]{LINUX_CAPABILITY_VERSION_3, 0}, new int[]{lo, lo, lo, hi, hi, hi});
//@ end
    }
    // end::capabilities[]

    /**
     * Lab 10: installs a seccomp filter under which the calls in spec.seccompDeny fail with EPERM.
     *
     * @param spec the container (spec.seccompDeny; empty: no filter)
     */
    // tag::seccomp[]
    static void seccomp(Spec spec) {
//@ 10
//@todo step 1, by hand: a program that makes mkdir fail with EPERM, built with Bpf.stmt and Bpf.jump:
//@todo   load the arch (BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH); if it equals Syscalls.AUDIT_ARCH skip one
//@todo   instruction (BPF_JMP | BPF_JEQ | BPF_K, jt 1, jf 0), else return SECCOMP_RET_KILL_PROCESS;
//@todo   load the number (SECCOMP_DATA_NR); if it equals Syscalls.number("mkdir") (jt 0, jf 1) return
//@todo   SECCOMP_RET_ERRNO | EPERM; finally return SECCOMP_RET_ALLOW.
//@todo step 2: one compare-and-return pair per name in spec.seccompDeny (skip a number of -1), nothing when it is empty.
//@todo Install it on this thread: prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), then
//@todo prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, Bpf.fprog(program), 0, 0).
        if (spec.seccompDeny.isEmpty()) return;
        List<Bpf.Insn> program = new ArrayList<>();
        program.add(Bpf.stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH));
        program.add(Bpf.jump(BPF_JMP | BPF_JEQ | BPF_K, Syscalls.AUDIT_ARCH, 1, 0));
        program.add(Bpf.stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
        program.add(Bpf.stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_NR));
        for (String name : spec.seccompDeny) {
            int nr = Syscalls.number(name);
            if (nr < 0) continue;
            program.add(Bpf.jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
            program.add(Bpf.stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
        }
        program.add(Bpf.stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
        LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        Memory fprog = Bpf.fprog(program);
        LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0);
//@ end
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
//@ <12
        throw new UnsupportedOperationException("busybox comes in lab 12");
//@ end
//@ 12
//@todo parse args (Spec.parse); command sh when none is given. In a new temporary directory, build the image
//@todo layer with Rootfs.busybox(DIR/layer) and create DIR/upper, DIR/work and DIR/rootfs; set spec.layers,
//@todo spec.upper, spec.work, spec.rootfs. Defaults for what is unset: hostname = spec.name, memory 256 MiB,
//@todo pids 256, Docker's capabilities (Caps.DOCKER_DEFAULT), seccomp deny DEFAULT_DENY, and a network:
//@todo spec.ip 10.202.N.2/24, spec.peerIp 10.202.N.1/24 with N = 1 + (spec.name.hashCode() & 0x7f), in a peer
//@todo namespace of its own when no --peer-netns is given: spec.peerNetns = spec.ownPeerNetns(), created with
//@todo ip netns add NAME before run(spec) and deleted with ip netns del NAME after it, whatever happened.
//@todo Then run(spec), and delete the temporary directory afterwards, whatever happened.
        Spec spec = Spec.parse(args);
        if (spec.command.isEmpty()) spec.command = new ArrayList<>(List.of("sh"));
        Path dir = Files.createTempDirectory("rabbithole-lab12-");
        try {
            spec.layers = List.of(Rootfs.busybox(dir.resolve("layer")));
            spec.upper = Files.createDirectories(dir.resolve("upper"));
            spec.work = Files.createDirectories(dir.resolve("work"));
            spec.rootfs = Files.createDirectories(dir.resolve("rootfs"));
            if (spec.hostname == null) spec.hostname = spec.name;
            if (spec.memoryBytes == 0) spec.memoryBytes = 256L << 20;
            if (spec.pidsMax == 0) spec.pidsMax = 256;
            if (spec.caps == null) spec.caps = Caps.DOCKER_DEFAULT;
            if (spec.seccompDeny.isEmpty()) spec.seccompDeny = new ArrayList<>(DEFAULT_DENY);
            if (spec.ip == null) {
                int n = 1 + (spec.name.hashCode() & 0x7f);
                spec.ip = "10.202." + n + ".2/24";
                spec.peerIp = "10.202." + n + ".1/24";
            }
            if (spec.peerNetns != null) return run(spec);
            spec.peerNetns = spec.ownPeerNetns();
            Host.run("ip", "netns", "add", spec.peerNetns);
            try {
                return run(spec);
            } finally {
                Host.run("ip", "netns", "del", spec.peerNetns);
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
//@ end
    }
    // end::busybox[]
}
