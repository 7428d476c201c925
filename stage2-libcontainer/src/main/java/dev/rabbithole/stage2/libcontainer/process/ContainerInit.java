package dev.rabbithole.stage2.libcontainer.process;

import dev.rabbithole.stage2.libcontainer.capabilities.Capabilities;
import dev.rabbithole.stage2.libcontainer.capabilities.CapabilityPlan;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;
import dev.rabbithole.stage2.libcontainer.rootfs.RootfsSetup;
import dev.rabbithole.stage2.libcontainer.seccomp.BpfProgram;
import dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import dev.rabbithole.stage2.libcontainer.system.Rlimits;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;
import dev.rabbithole.stage2.libcontainer.system.Descriptors;
import dev.rabbithole.stage2.libcontainer.system.Terminals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the container init does after the parent's "go", in order, ending in execve(2): the body of runc's
 * {@code standard_init_linux.go}. Runs in the init JVM, in the new namespaces, as root. Every step that sets
 * per-thread state (credentials, capabilities, no_new_privs, seccomp) runs on the calling thread, which is
 * also the one that calls execve, so the workload inherits exactly that state (see {@link dev.rabbithole.stage2.libcontainer.system.Syscalls} on per-thread state).
 */
public final class ContainerInit {
    /** PATH used to find {@code args[0]} when the environment has none (Docker's default). */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** Told right before the last calls, while the init can still talk to its parent. */
    @FunctionalInterface
    public interface ExecHook {
        /**
         * @param program   the resolved program path
         * @param remaining the calls still to come (close_range, seccomp, execve), as they will be made
         */
        void beforeExec(String program, List<RecordingSyscalls.Call> remaining);
    }

    /** {@code args[0]} is in no PATH entry: what execvp(3) would fail with ENOENT for. */
    public static final class ExecutableNotFoundException extends IllegalArgumentException {
        /** @param message docker's text, {@code exec: "x": executable file not found in $PATH} */
        public ExecutableNotFoundException(String message) {
            super(message);
        }
    }

    /** The pty multiplexer, in the container's root; also the name sent with the master, as runc's. */
    static final String PTMX = "/dev/ptmx";

    private final Syscalls sys;
    private final int kernelLastCap;

    /**
     * @param sys the kernel interface; capability drops stop at the running kernel's last capability
     * @throws java.io.UncheckedIOException when /proc/sys/kernel/cap_last_cap cannot be read
     */
    public ContainerInit(Syscalls sys) {
        this(sys, Capabilities.kernelLastCap());
    }

    /**
     * @param sys           the kernel interface
     * @param kernelLastCap the highest capability number the kernel knows (bounding-set drops go up to it)
     */
    public ContainerInit(Syscalls sys, int kernelLastCap) {
        this.sys = sys;
        this.kernelLastCap = kernelLastCap;
    }

    /**
     * Sets up the container and execs the workload. With a real {@link Syscalls} it returns only by throwing;
     * with a recording one it returns after recording execve.
     *
     * @param config  the container
     * @param seccomp the compiled filter ({@link BpfProgram#toBytes()}), or null: then the config's filter, if
     *                any, is compiled here
     * @param etc     /etc files to bind
     * @param hook    told the program and the last calls right before them (to tell the parent)
     * @throws RuntimeException ({@link dev.rabbithole.stage2.libcontainer.system.SyscallException},
     *                          {@link IllegalArgumentException}) on the first failing step
     */
    public void run(ContainerConfig config, byte[] seccomp, RootfsSetup.EtcFiles etc, ExecHook hook) {
        run(config, seccomp, etc, null, hook);
    }

    /**
     * As {@link #run(ContainerConfig, byte[], RootfsSetup.EtcFiles, ExecHook)}, calling {@code beforePivot} in the
     * container's namespaces once its mounts are made, before pivot_root (the runtime-spec's createContainer hooks).
     *
     * @param beforePivot called before pivot_root, or null
     */
    public void run(ContainerConfig config, byte[] seccomp, RootfsSetup.EtcFiles etc, Runnable beforePivot,
                    ExecHook hook) {
        ProcessConfig p = config.process();
        if (p == null || p.args() == null || p.args().isEmpty()) {
            throw new IllegalArgumentException("process.args must not be empty");
        }
        byte[] filter = seccomp != null ? seccomp
                : config.seccomp() == null ? null : SeccompCompiler.compile(config.seccomp()).toBytes();
        CapabilityPlan caps = config.capabilities() == null ? null
                : CapabilityPlan.of(config.capabilities(), kernelLastCap); // parsed before the pivot
        // a host path: reachable until the pivot; the pty is made after it, in the container's devpts
        int console = p.terminal() ? Terminals.connectUnix(p.consoleSocket()) : -1;
        if (console >= 0) {
            sys.note("connect", "\"" + p.consoleSocket() + "\"", "the console socket, before pivot_root hides it");
        }
        new RootfsSetup(sys).run(config, etc, beforePivot);
        if (console >= 0) {
            terminal(sys, console, p);
        }
        setupNetwork(config);
        if (config.hostname() != null && !config.hostname().isEmpty()) {
            if (!config.namespaces().contains(NamespaceType.UTS)) {
                throw new IllegalArgumentException("cannot set the hostname without a new UTS namespace");
            }
            sys.because("the UTS namespace is the container's own").sethostname(config.hostname());
        }
        dev.rabbithole.stage2.libcontainer.configs.SpecExtras extras = config.extrasOrNone();
        if (extras.domainname() != null && !extras.domainname().isEmpty()) {
            if (!config.namespaces().contains(NamespaceType.UTS)) {
                throw new IllegalArgumentException("cannot set the domainname without a new UTS namespace");
            }
            sys.because("the runtime-spec's domainname, in the container's UTS namespace")
                    .setdomainname(extras.domainname());
        }
        int seccompFlags = extras.seccompFlags();
        for (Rlimit r : config.rlimits() == null ? List.<Rlimit>of() : config.rlimits()) {
            sys.because("a resource limit the workload inherits").setrlimit(Rlimits.number(r.type()), r.soft(), r.hard());
        }
        String path = resolve(p);
        boolean seccompLast = config.noNewPrivileges();
        if (filter != null && !seccompLast) {
            sys.because("without no_new_privs a filter needs CAP_SYS_ADMIN: now, while the init has it")
                    .seccompFilter(filter, seccompFlags);
        }
        setIdentityAndCapabilities(p, caps);
        if (config.noNewPrivileges()) {
            sys.because("no_new_privs: execve cannot gain privileges (setuid bits, file caps)")
                    .prctl(Syscalls.PR_SET_NO_NEW_PRIVS, 1, 0);
        }
        sys.because("the workload's working directory").chdir(p.cwd() == null || p.cwd().isEmpty() ? "/" : p.cwd());
        sys.because("JVM threads block SIGQUIT; the workload starts with no blocked signal").clearSignalMask();
        // tag::pdeathsig[]
        if (p.parentDeathSignal() != 0) { // off: the container outlives its creator (a runc create that exits)
            sys.because("die with the parent thread (the daemon); after the uid change, which clears it")
                    .prctl(Syscalls.PR_SET_PDEATHSIG, p.parentDeathSignal(), 0);
        }
        // end::pdeathsig[]
        if (extras.personality() >= 0) {
            sys.because("the runtime-spec's linux.personality: execve keeps the execution domain")
                    .personality(extras.personality());
        }
        RecordingSyscalls preview = new RecordingSyscalls();
        lastCalls(preview, path, p, seccompLast ? filter : null, seccompFlags);
        hook.beforeExec(path, preview.calls());
        lastCalls(sys, path, p, seccompLast ? filter : null, seccompFlags);
    }

    /**
     * What a process that joins a running container does once it is in all of the container's namespaces
     * (runc's {@code setns_init_linux.go}): resource limits, identity and capabilities, no_new_privs, working
     * directory, parent-death signal, then, after {@code hook}, close-on-exec of every descriptor from 3,
     * seccomp and execve. No mount, hostname or network step: those belong to the container's init.
     *
     * @param p               args, env, cwd inside the container, uid, gid, groups, parent-death signal
     * @param capabilities    the capability sets, or null to keep every capability
     * @param noNewPrivileges prctl(PR_SET_NO_NEW_PRIVS) before execve
     * @param rlimits         setrlimit(2) values; empty for none
     * @param filter          the compiled seccomp filter ({@link BpfProgram#toBytes()}), or null
     * @param hook            told the program and the last calls right before them
     * @throws RuntimeException ({@link dev.rabbithole.stage2.libcontainer.system.SyscallException},
     *                          {@link IllegalArgumentException}) on the first failing step
     */
    public void joinAndExec(ProcessConfig p, dev.rabbithole.stage2.libcontainer.configs.CapabilitySet capabilities,
                            boolean noNewPrivileges, List<Rlimit> rlimits, byte[] filter, ExecHook hook) {
        if (p == null || p.args() == null || p.args().isEmpty()) {
            throw new IllegalArgumentException("process.args must not be empty");
        }
        CapabilityPlan caps = capabilities == null ? null : CapabilityPlan.of(capabilities, kernelLastCap);
        for (Rlimit r : rlimits == null ? List.<Rlimit>of() : rlimits) {
            sys.because("a resource limit the process inherits").setrlimit(Rlimits.number(r.type()), r.soft(), r.hard());
        }
        String path = resolve(p);
        if (filter != null && !noNewPrivileges) {
            sys.because("without no_new_privs a filter needs CAP_SYS_ADMIN: now, while the exec JVM has it")
                    .seccompFilter(filter);
        }
        setIdentityAndCapabilities(p, caps);
        if (noNewPrivileges) {
            sys.because("no_new_privs: execve cannot gain privileges (setuid bits, file caps)")
                    .prctl(Syscalls.PR_SET_NO_NEW_PRIVS, 1, 0);
        }
        sys.because("the process's working directory").chdir(p.cwd() == null || p.cwd().isEmpty() ? "/" : p.cwd());
        sys.because("JVM threads block SIGQUIT; the process starts with no blocked signal").clearSignalMask();
        if (p.parentDeathSignal() != 0) {
            sys.because("die with the parent thread").prctl(Syscalls.PR_SET_PDEATHSIG, p.parentDeathSignal(), 0);
        }
        RecordingSyscalls preview = new RecordingSyscalls();
        lastCalls(preview, path, p, noNewPrivileges ? filter : null, 0);
        hook.beforeExec(path, preview.calls());
        lastCalls(sys, path, p, noNewPrivileges ? filter : null, 0);
    }

    /**
     * The runtime-spec's {@code process.terminal}: a pty made through the {@code /dev/ptmx} of the calling
     * thread's root (the container's own devpts instance), its slave owned by the process's user and made fds 0, 1,
     * 2 and the controlling terminal (the caller is a session leader: setsid(1) started it), its master sent over
     * {@code console} (runc's console socket) and closed here. Closes {@code console}.
     */
    static void terminal(Syscalls sys, int console, ProcessConfig p) {
        Terminals.Pty pty = Terminals.openPty(PTMX);
        try {
            Descriptors.fchown(pty.slave(), p.uid(), p.gid());
            // the data is the master's own path, as runc sends it (containerd's receiver names its file so)
            Terminals.sendFd(console, PTMX, pty.master());
        } catch (RuntimeException e) {
            Terminals.closeQuietly(pty.slave());
            throw e;
        } finally {
            Terminals.closeQuietly(pty.master());
            Terminals.closeQuietly(console);
        }
        Terminals.becomeStdioAndControllingTerminal(pty.slave());
        if (pty.slave() > 2) {
            Terminals.closeQuietly(pty.slave());
        }
        sys.note("sendmsg", "console socket", "\"" + PTMX + "\", SCM_RIGHTS [pty master of " + pty.name() + "]");
        sys.note("dup2", pty.name(), "0, 1, 2; ioctl(0, TIOCSCTTY): the pty is the process's stdio and terminal");
    }

    // tag::loopback[]
    /**
     * The network step: a new network namespace starts with {@code lo} down (no 127.0.0.1, no ::1); runc's
     * "loopback" strategy, which Docker configures for every container, brings it up. Needs CAP_NET_ADMIN,
     * so it runs while the init is still root with every capability.
     */
    private void setupNetwork(ContainerConfig config) {
        if (config.namespaces() != null && config.namespaces().contains(NamespaceType.NET)) {
            sys.because("a new network namespace has lo down: up, for 127.0.0.1").interfaceUp("lo");
        }
    }
    // end::loopback[]

    private static void lastCalls(Syscalls s, String path, ProcessConfig p, byte[] filter, int seccompFlags) {
        // tag::execve[]
        s.because("no JVM descriptor leaks into the workload; the init socket closes on exec")
                .closeRangeOnExec(3);
        if (filter != null) {
            if (seccompFlags == 0) {
                s.because("seccomp last: the filter then only has to allow execve").seccompFilter(filter);
            } else {
                s.because("seccomp last, with the spec's filter flags").seccompFilter(filter, seccompFlags);
            }
        }
        List<String> env = withHome(p.env() == null ? List.of() : p.env(), p.uid(), Path.of("/etc/passwd"));
        s.because("the init becomes the workload, same pid")
                .execve(path, p.args().toArray(String[]::new), env.toArray(String[]::new));
        // end::execve[]
    }

    /**
     * The workload's environment with {@code HOME}, as runc's init leaves it: a spec whose {@code process.env} has no
     * {@code HOME} (or an empty one; dockerd writes none) gets the user's home directory from the container's
     * passwd(5), appended last (an empty one replaced in place), or {@code /} when the uid has no entry or the file cannot be read.
     *
     * @param env    {@code KEY=VALUE} strings
     * @param uid    the workload's uid
     * @param passwd the container's {@code /etc/passwd} (after pivot_root, the container's own)
     * @return env unchanged when it has a non-empty HOME, else env with {@code HOME=DIR} at its end
     */
    static List<String> withHome(List<String> env, int uid, Path passwd) {
        for (String e : env) {
            if (e.startsWith("HOME=") && e.length() > 5) {
                return env;
            }
        }
        String home = "/";
        try {
            for (String line : Files.readAllLines(passwd)) {
                String[] f = line.split(":", -1);
                if (f.length >= 7 && f[2].equals(Integer.toString(uid)) && !f[5].isEmpty()) {
                    home = f[5];
                    break;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no passwd in the image: "/" as runc's user lookup gives
        }
        List<String> withHome = new java.util.ArrayList<>(env);
        int empty = withHome.indexOf("HOME=");
        if (empty >= 0) {
            withHome.set(empty, "HOME=" + home); // setenv(3) of a variable that exists keeps its place
        } else {
            withHome.add("HOME=" + home);
        }
        return List.copyOf(withHome);
    }

    /**
     * A capset(2) the kernel refused (EPERM: a set asks for a capability outside the bounding set, e.g. every
     * capability for {@code --privileged} on a host whose own bounding set lacks some), reported in runc's words:
     * {@code unable to apply caps: operation not permitted}; the call and errno are kept.
     */
    static final class ApplyCapsException extends dev.rabbithole.stage2.libcontainer.system.SyscallException {
        ApplyCapsException(dev.rabbithole.stage2.libcontainer.system.SyscallException e) {
            super(e.call(), e.args(), e.errno(), e.strerror());
        }

        @Override
        public String shortMessage() { // Go's errno text is lower case
            return "unable to apply caps: " + strerror().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private void setIdentityAndCapabilities(ProcessConfig p, CapabilityPlan caps) {
        if (caps != null) {
            for (CapabilityPlan.PrctlCall drop : caps.boundingDrops()) {
                sys.because("drop from the bounding set: no way back for the workload")
                        .prctl(drop.option(), drop.arg2(), drop.arg3());
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
        if (caps != null) {
            try {
                sys.because("effective, permitted, inheritable sets of the thread that will execve")
                        .capset(Capabilities.mask(caps.effective()), Capabilities.mask(caps.permitted()),
                                Capabilities.mask(caps.inheritable()));
            } catch (dev.rabbithole.stage2.libcontainer.system.SyscallException e) {
                throw new ApplyCapsException(e);
            }
            if (p.uid() != 0) {
                sys.because("keepcaps off again").prctl(Syscalls.PR_SET_KEEPCAPS, 0, 0);
            }
            for (CapabilityPlan.PrctlCall raise : caps.ambientRaises()) {
                sys.because("ambient: kept across execve by a non-root workload")
                        .prctl(raise.option(), raise.arg2(), raise.arg3());
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
        throw new ExecutableNotFoundException("exec: \"" + name + "\": executable file not found in $PATH");
    }
}
