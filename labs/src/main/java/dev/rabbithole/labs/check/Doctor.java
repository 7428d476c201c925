package dev.rabbithole.labs.check;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import javax.tools.ToolProvider;

/**
 * {@code lab doctor}: checks what the labs need on this machine and says, per lab, whether it can run and, when not,
 * why and what to do. It reads /proc and /sys (proc(5), the kernel's cgroup-v2.rst, namespaces(7)), and, as root,
 * creates and deletes one network namespace with a veth pair (ip-netns(8), veth(4)) to prove they work. It changes
 * nothing else.
 */
public final class Doctor {
    private Doctor() {}

    /**
     * One thing the labs need.
     *
     * @param ok     whether this machine has it
     * @param what   what was checked, said as what was seen ("kernel 6.1.0")
     * @param fix    what to do when it is missing, or "" when nothing is needed
     * @param labs   the labs that need it (1..16)
     */
    public record Finding(boolean ok, String what, String fix, Set<Integer> labs) {}

    static final Set<Integer> ALL = IntStream.rangeClosed(1, LabSources.LABS).boxed().collect(Collectors.toCollection(TreeSet::new));

    /**
     * Prints the findings and the verdict per lab.
     *
     * @param out where to
     * @return true when every lab can run here
     * @throws InterruptedException when interrupted while running ip
     */
    public static boolean run(PrintStream out) throws InterruptedException {
        List<Finding> findings = findings();
        out.println("what the labs need on this machine:");
        for (Finding f : findings) {
            out.println((f.ok() ? "  [ok] " : "  [--] ") + f.what() + (f.ok() || f.fix().isEmpty() ? "" : "\n         fix: " + f.fix()));
        }
        out.println("per lab:");
        boolean all = true;
        for (Checker c : Checks.ALL) {
            List<Finding> missing = findings.stream().filter(f -> !f.ok() && f.labs().contains(c.lab())).toList();
            all &= missing.isEmpty();
            out.printf("  %02d %-62s %s%n", c.lab(), c.title(), missing.isEmpty() ? "ready"
                    : "NOT READY: " + missing.stream().map(Finding::what).collect(Collectors.joining("; ")));
        }
        out.println(all ? "every lab can run here." : "some labs cannot run here yet: see the fixes above.");
        return all;
    }

    /**
     * @return every finding about this machine, in the order they are printed
     * @throws InterruptedException when interrupted while running ip
     */
    public static List<Finding> findings() throws InterruptedException {
        List<Finding> f = new ArrayList<>();
        boolean root = Proc.status(ProcessHandle.current().pid(), "Uid").split("\\s+")[0].equals("0");
        f.add(new Finding(root, root ? "running as root" : "not running as root",
                "the labs create namespaces, cgroups, mounts and veths: run lab check and lab doctor with sudo", ALL));
        f.add(kernel());
        f.add(closeRange(Proc.first(Path.of("/proc/sys/kernel/osrelease"))));
        f.add(jdk());
        f.add(busybox());
        f.add(disk());
        f.add(namespaces());
        f.addAll(cgroups(CgroupLayout.host()));
        boolean overlay = Proc.lines(Path.of("/proc/filesystems")).stream().anyMatch(l -> l.endsWith("\toverlay"));
        f.add(new Finding(overlay, overlay ? "overlayfs is available" : "overlayfs is not in /proc/filesystems",
                "load it: modprobe overlay (or use a kernel with CONFIG_OVERLAY_FS)", Set.of(11, 12)));
        f.add(seccomp());
        f.add(network(root));
        f.add(propagation());
        f.add(userNamespaces());
        return f;
    }

    static Finding kernel() {
        String release = Proc.first(Path.of("/proc/sys/kernel/osrelease"));
        int[] v = version(release);
        // 4.14: SECCOMP_RET_KILL_PROCESS (lab 10's filter); 4.6: cgroup namespaces (lab 12); 4.13: oom_kill counters (lab 07)
        boolean ok = v[0] > 4 || (v[0] == 4 && v[1] >= 14);
        return new Finding(ok, "kernel " + release + (ok ? "" : " is older than 4.14"),
                "use a kernel of 4.14 or later (seccomp's kill-process action, cgroup namespaces, OOM kill counters)", Set.of(7, 10, 12));
    }

    // lab 15 marks descriptors close-on-exec with close_range(2)'s CLOSE_RANGE_CLOEXEC: Linux 5.11 (and glibc 2.34)
    static Finding closeRange(String release) {
        int[] v = version(release);
        boolean ok = v[0] > 5 || (v[0] == 5 && v[1] >= 11);
        return new Finding(ok, "close_range(2) with CLOSE_RANGE_CLOEXEC " + (ok ? "is available (kernel " + release + ")"
                : "needs kernel 5.11, this is " + release), "use a kernel of 5.11 or later and glibc 2.34 or later "
                + "(Debian 12, Ubuntu 22.04)", Set.of(15));
    }

    static int[] version(String release) {
        String[] p = release.split("[.-]");
        try {
            return new int[]{Integer.parseInt(p[0]), Integer.parseInt(p[1])};
        } catch (RuntimeException e) {
            return new int[]{0, 0};
        }
    }

    static Finding jdk() {
        int feature = Runtime.version().feature();
        boolean javac = ToolProvider.getSystemJavaCompiler() != null;
        boolean ok = javac && feature >= 17;
        return new Finding(ok, "Java " + Runtime.version() + (javac ? " with a compiler" : " without a compiler (a JRE)"),
                "install a JDK 17 or later (apt-get install openjdk-17-jdk): the checker compiles your lab", ALL);
    }

    static Finding busybox() {
        Path b = dev.rabbithole.labs.support.Rootfs.BUSYBOX;
        if (!Files.isExecutable(b)) {
            return new Finding(false, b + " is missing", "apt-get install busybox-static", ALL);
        }
        boolean dynamic = hasInterpreter(b);
        return new Finding(!dynamic, b + (dynamic ? " is dynamically linked: it cannot run in a root filesystem without its libraries"
                : " is statically linked"), "apt-get install busybox-static (it replaces the dynamic busybox)", ALL);
    }

    // an ELF file with a PT_INTERP program header needs a dynamic loader (elf(5)); 64- and 32-bit, either byte order
    static boolean hasInterpreter(Path elf) {
        try (RandomAccessFile f = new RandomAccessFile(elf.toFile(), "r")) {
            byte[] head = new byte[64];
            f.readFully(head);
            boolean is64 = head[4] == 2;
            ByteBuffer h = ByteBuffer.wrap(head).order(head[5] == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            long phoff = is64 ? h.getLong(0x20) : Integer.toUnsignedLong(h.getInt(0x1c));
            int phentsize = Short.toUnsignedInt(h.getShort(is64 ? 0x36 : 0x2a));
            int phnum = Short.toUnsignedInt(h.getShort(is64 ? 0x38 : 0x2c));
            for (int i = 0; i < phnum; i++) {
                byte[] type = new byte[4];
                f.seek(phoff + (long) i * phentsize);
                f.readFully(type);
                if (ByteBuffer.wrap(type).order(h.order()).getInt() == 3) return true; // PT_INTERP
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    static Finding disk() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long free;
        try {
            free = Files.getFileStore(tmp).getUsableSpace();
        } catch (IOException e) {
            free = 0;
        }
        boolean ok = free >= 200L << 20;
        return new Finding(ok, String.format("%d MiB free in %s", free >> 20, tmp),
                "free at least 200 MiB there: each check builds a busybox root filesystem in a temporary folder", ALL);
    }

    static Finding namespaces() {
        List<String> missing = new ArrayList<>();
        for (String kind : List.of("mnt", "uts", "pid", "net", "ipc", "cgroup")) {
            if (!Files.exists(Path.of("/proc/self/ns", kind), java.nio.file.LinkOption.NOFOLLOW_LINKS)) missing.add(kind);
        }
        return new Finding(missing.isEmpty(), missing.isEmpty() ? "mnt, uts, pid, net, ipc and cgroup namespaces are available"
                : "this kernel has no " + String.join(", ", missing) + " namespaces",
                "use a kernel built with CONFIG_NAMESPACES and its parts (any distribution kernel)", ALL);
    }

    /**
     * @param layout the machine's cgroup layout
     * @return one finding for the mode, one per controller the labs use (memory: 07 and 12; pids: 08 and 12; cpu: 08)
     */
    static List<Finding> cgroups(CgroupLayout layout) {
        List<Finding> f = new ArrayList<>();
        String mode = switch (layout.mode()) {
            case NONE -> "no cgroup file system is mounted";
            case LEGACY -> "cgroup v1 only (legacy): the labs use the v1 files";
            case HYBRID -> "cgroup hybrid: the controllers on v1, a v2 hierarchy at " + layout.v2Mount().orElseThrow() + " with "
                    + (layout.v2Controllers().isEmpty() ? "no controller" : "only " + String.join(", ", layout.v2Controllers()))
                    + ": the labs use the v1 files";
            case UNIFIED -> "cgroup v2 only (unified) at " + layout.v2Mount().orElseThrow() + ": the labs use the v2 files";
        };
        f.add(new Finding(layout.mode() != CgroupLayout.Mode.NONE, mode, "mount the cgroup file systems (systemd does this at boot)",
                Set.of(7, 8, 12)));
        for (String[] c : List.of(new String[]{"memory", "7,12"}, new String[]{"pids", "8,12"}, new String[]{"cpu", "8"})) {
            Set<Integer> labs = new TreeSet<>();
            for (String n : c[1].split(",")) labs.add(Integer.parseInt(n));
            boolean ok = layout.usable(c[0]);
            String where = layout.where(c[0]).orElse("in no hierarchy");
            f.add(new Finding(ok, "the " + c[0] + " controller: " + where + (ok || layout.where(c[0]).isEmpty() ? ""
                    : ", not where the labs look (" + CgroupLayout.ROOT + (layout.v2() ? "" : "/" + c[0]) + ")"),
                    layout.mode() == CgroupLayout.Mode.HYBRID && layout.where(c[0]).isEmpty()
                            ? "bind the " + c[0] + " controller to a v1 hierarchy: mkdir " + CgroupLayout.ROOT.resolve(c[0])
                            + " && mount -t cgroup -o " + c[0] + " cgroup " + CgroupLayout.ROOT.resolve(c[0])
                            : "enable it: boot with cgroup_enable=" + c[0] + " (a kernel command line option), or use a "
                            + "distribution whose systemd mounts it", labs));
        }
        return f;
    }

    static Finding seccomp() {
        String mode = Proc.status(ProcessHandle.current().pid(), "Seccomp");
        List<String> actions = List.of(Proc.first(Path.of("/proc/sys/kernel/seccomp/actions_avail")).split(" "));
        boolean ok = !mode.isEmpty() && actions.contains("kill_process") && actions.contains("errno");
        return new Finding(ok, ok ? "seccomp filters with the errno and kill_process actions are available"
                : "seccomp filters are not available (Seccomp: \"" + mode + "\", actions: " + actions + ")",
                "use a kernel with CONFIG_SECCOMP_FILTER, 4.14 or later", Set.of(10, 12));
    }

    static Finding network(boolean root) throws InterruptedException {
        for (String tool : List.of("ip", "nsenter")) {
            if (!onPath(tool)) {
                return new Finding(false, tool + " is missing", "apt-get install " + (tool.equals("ip") ? "iproute2" : "util-linux"),
                        tool.equals("ip") ? Set.of(6, 12) : Set.of(6, 12));
            }
        }
        if (!root) return new Finding(false, "network namespaces and veth pairs: not tried (needs root)", "run lab doctor as root",
                Set.of(6, 12));
        String ns = "rhlab-doctor-" + ProcessHandle.current().pid();
        try {
            String add = Checker.sh("ip", "netns", "add", ns).output();
            if (!Net.exists(ns)) return new Finding(false, "ip netns add failed: " + add.strip(),
                    "use a kernel with CONFIG_NET_NS", Set.of(6, 12));
            Checker.Result veth = Checker.sh("ip", "-n", ns, "link", "add", "rhdoc0", "type", "veth", "peer", "name", "rhdoc1");
            return new Finding(veth.code() == 0, veth.code() == 0 ? "network namespaces and veth pairs work (made and deleted one)"
                    : "a veth pair cannot be created: " + veth.output().strip(), "load the veth module: modprobe veth", Set.of(6, 12));
        } catch (IOException e) {
            return new Finding(false, "ip cannot run: " + e.getMessage(), "apt-get install iproute2", Set.of(6, 12));
        } finally {
            try {
                Checker.sh("ip", "netns", "del", ns);
            } catch (IOException ignored) {
                // nothing was made
            }
        }
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    // informational: each lab sets the propagation in its own mount namespace, and lab 05 makes its own shared mounts
    static Finding propagation() {
        String line = Proc.rootMount(ProcessHandle.current().pid());
        String optional = line.contains(" - ") ? line.substring(0, line.indexOf(" - ")) : "";
        String kind = optional.contains("shared:") ? "shared" : optional.contains("master:") ? "a slave" : "private";
        return new Finding(true, "/ is " + kind + " on the host (no lab depends on it: "
                + (kind.equals("shared") ? "lab 02 shows why pivot_root needs it made private first)"
                : "lab 02's pivot_root EINVAL on a shared / will not show here; systemd hosts have a shared /)"), "", Set.of());
    }

    // informational: the labs run as root and create no user namespace; the engine's later stages will
    static Finding userNamespaces() {
        String max = Proc.first(Path.of("/proc/sys/user/max_user_namespaces"));
        boolean allowed = !max.isEmpty() && !max.equals("0");
        return new Finding(true, "user namespaces are " + (allowed ? "allowed (max_user_namespaces " + max + ")"
                : "not allowed (max_user_namespaces " + (max.isEmpty() ? "missing" : max) + ")") + "; no lab needs them", "", Set.of());
    }
}
