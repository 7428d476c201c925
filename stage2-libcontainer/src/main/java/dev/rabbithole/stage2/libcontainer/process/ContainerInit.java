package dev.rabbithole.stage2.libcontainer.process;

import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;
import dev.rabbithole.stage2.libcontainer.rootfs.RootfsSetup;
import dev.rabbithole.stage2.libcontainer.system.Rlimits;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the container init does after the parent's "go", in order, ending in execve(2): the body of runc's
 * {@code standard_init_linux.go}. Runs in the init JVM, in the new namespaces, as root. Every step that sets
 * per-thread state (credentials, capabilities, no_new_privs, seccomp) runs on the calling thread, which is
 * also the one that calls execve, so the workload inherits exactly that state (ARCHITECTURE 5).
 */
public final class ContainerInit {
    /** PATH used to find {@code args[0]} when the environment has none (Docker's default). */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final Syscalls sys;
    private final CapabilityResolver capabilities;
    private final SeccompCompiler seccomp;

    /**
     * @param sys          the kernel interface
     * @param capabilities capability names to masks, or null to leave capabilities untouched (before the merge)
     * @param seccomp      seccomp compiler, or null: then a config with a filter is refused
     */
    public ContainerInit(Syscalls sys, CapabilityResolver capabilities, SeccompCompiler seccomp) {
        this.sys = sys;
        this.capabilities = capabilities;
        this.seccomp = seccomp;
    }

    /**
     * Sets up the container and execs the workload. With a real {@link Syscalls} it returns only by throwing;
     * with a recording one it returns after recording execve.
     *
     * @param config     the container
     * @param etc        /etc files to bind
     * @param beforeExec called with the resolved program path right before the last steps (tell the parent)
     * @throws RuntimeException ({@link dev.rabbithole.stage2.libcontainer.system.SyscallException},
     *                          {@link IllegalArgumentException}) on the first failing step
     */
    public void run(ContainerConfig config, RootfsSetup.EtcFiles etc, Consumer<String> beforeExec) {
        ProcessConfig p = config.process();
        if (p == null || p.args() == null || p.args().isEmpty()) {
            throw new IllegalArgumentException("process.args must not be empty");
        }
        byte[] filter = null;
        if (config.seccomp() != null) {
            if (seccomp == null) {
                throw new IllegalStateException("a seccomp filter is configured but no SeccompCompiler is installed");
            }
            filter = seccomp.compile(config.seccomp()); // compiled before the pivot: class loading still works
        }
        new RootfsSetup(sys).run(config, etc);
        if (config.hostname() != null && !config.hostname().isEmpty()) {
            if (!config.namespaces().contains(NamespaceType.UTS)) {
                throw new IllegalArgumentException("cannot set the hostname without a new UTS namespace");
            }
            sys.because("the UTS namespace is the container's own").sethostname(config.hostname());
        }
        for (Rlimit r : config.rlimits() == null ? List.<Rlimit>of() : config.rlimits()) {
            sys.because(r.type()).setrlimit(Rlimits.number(r.type()), r.soft(), r.hard());
        }
        String path = resolve(p);
        setIdentityAndCapabilities(p, config.capabilities());
        if (config.noNewPrivileges()) {
            sys.because("no_new_privs: execve cannot gain privileges (setuid bits, file caps)")
                    .prctl(Syscalls.PR_SET_NO_NEW_PRIVS, 1, 0);
        }
        sys.because("the workload's working directory").chdir(p.cwd() == null || p.cwd().isEmpty() ? "/" : p.cwd());
        sys.because("JVM threads block SIGQUIT; the workload starts with no blocked signal").clearSignalMask();
        beforeExec.accept(path);
        // tag::execve[]
        sys.because("no JVM descriptor leaks into the workload; the init socket closes on exec")
                .closeRangeOnExec(3);
        if (filter != null) {
            sys.because("seccomp last: the filter then only has to allow execve").seccompFilter(filter);
        }
        List<String> env = p.env() == null ? List.of() : p.env();
        sys.because("the init becomes the workload, same pid")
                .execve(path, p.args().toArray(String[]::new), env.toArray(String[]::new));
        // end::execve[]
    }

    private void setIdentityAndCapabilities(ProcessConfig p, CapabilitySet caps) {
        boolean applyCaps = caps != null && capabilities != null;
        if (applyCaps) {
            long bounding = capabilities.mask(caps.bounding());
            for (int cap = 0; cap <= capabilities.lastCap(); cap++) {
                if ((bounding & (1L << cap)) == 0) {
                    sys.because("drop from the bounding set").prctl(Syscalls.PR_CAPBSET_DROP, cap, 0);
                }
            }
            if (p.uid() != 0) {
                sys.because("keep permitted caps across the setuid from root").prctl(Syscalls.PR_SET_KEEPCAPS, 1, 0);
            }
        }
        int[] groups = p.additionalGids() == null ? new int[0]
                : p.additionalGids().stream().mapToInt(Integer::intValue).toArray();
        sys.because("supplementary groups, raw syscall: this thread only").setgroups(groups);
        sys.because("gid, raw syscall: this thread only").setresgid(p.gid(), p.gid(), p.gid());
        sys.because("uid, raw syscall: glibc's setuid would change every JVM thread").setresuid(p.uid(), p.uid(), p.uid());
        if (applyCaps) {
            sys.because("the capability sets of the thread that will execve")
                    .capset(capabilities.mask(caps.effective()), capabilities.mask(caps.permitted()),
                            capabilities.mask(caps.inheritable()));
            if (p.uid() != 0) {
                sys.prctl(Syscalls.PR_SET_KEEPCAPS, 0, 0);
            }
            long ambient = capabilities.mask(caps.ambient());
            for (int cap = 0; cap <= capabilities.lastCap(); cap++) {
                if ((ambient & (1L << cap)) != 0) {
                    sys.because("ambient: kept across execve by a non-root workload")
                            .prctl(Syscalls.PR_CAP_AMBIENT, Syscalls.PR_CAP_AMBIENT_RAISE, cap);
                }
            }
        }
    }

    /**
     * Finds the program as execvp(3) would, inside the new root: {@code args[0]} with a slash is taken as is
     * (relative to cwd), otherwise each PATH entry of the workload's environment is tried.
     */
    private static String resolve(ProcessConfig p) {
        String name = p.args().get(0);
        if (name.contains("/")) {
            Path path = Path.of(p.cwd() == null ? "/" : p.cwd()).resolve(name);
            return path.toString();
        }
        String pathVar = DEFAULT_PATH;
        for (String e : p.env() == null ? List.<String>of() : p.env()) {
            if (e.startsWith("PATH=")) {
                pathVar = e.substring(5);
            }
        }
        for (String dir : pathVar.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir).resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalArgumentException("exec: \"" + name + "\": executable file not found in $PATH");
    }
}
