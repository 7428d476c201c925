package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerUser;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;
import dev.rabbithole.stage1.image.ImageStore;
import dev.rabbithole.stage1.security.SeccompProfile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Container configs, as moby's {@code daemon/create.go} and {@code daemon/oci_linux.go} handle them: checks a
 * create request ({@code POST /containers/create}, Engine API 1.41), merges the image's defaults into it, and
 * turns a stored container into the {@link Command} its exec driver runs. Holds no containers; only reads the
 * image store and the security resolver.
 */
public final class ContainerConfigs {

    /** Docker's minimum for {@code -m}: 6 MiB, in bytes. */
    public static final long MIN_MEMORY = 6L * 1024 * 1024;

    /** The PATH a container gets when neither the image nor {@code -e} sets one (Docker's default). */
    public static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final ImageStore images;
    private final SecurityResolver security;

    /**
     * @param images   resolves the image a create names
     * @param security capabilities and seccomp profiles
     */
    public ContainerConfigs(ImageStore images, SecurityResolver security) {
        this.images = images;
        this.security = security;
    }

    /**
     * A checked create request: the new container's ID and canonical name, its config with the image's
     * defaults merged in, its host config, its image and its argv (Entrypoint + Cmd, never empty).
     *
     * @param id         64 hex characters, new
     * @param wantedName {@code /NAME}, or null for a random one
     */
    public record Prepared(String id, String wantedName, ContainerConfig config, HostConfig hostConfig,
                           Image image, List<String> argv) {

        /**
         * @param name    the final name, {@code /NAME}
         * @param driver  the storage driver's name
         * @param logPath the json-file log, {@code DATA_ROOT/containers/ID/ID-json.log}
         * @return the new container, created now, in state {@code created}
         */
        public Container container(String name, String driver, String logPath) {
            return new Container(id, name, java.time.Instant.now().toString(), argv.get(0),
                    List.copyOf(argv.subList(1, argv.size())), config, hostConfig, image.id(), driver,
                    ContainerState.created(), logPath);
        }
    }

    /**
     * Checks a create request and merges the image's defaults (Env by key, Cmd/Entrypoint as Docker does,
     * WorkingDir, User, Labels, StopSignal), filling in the hostname (the first 12 characters of the ID unless
     * given). Creates nothing.
     *
     * @param name       the wanted name, with or without a leading slash; null or empty for a random one
     * @param config     the portable config; {@code Image} is required
     * @param hostConfig the host config; null means {@link HostConfig#DEFAULT}
     * @param platform   {@code os[/arch[/variant]]}; null or empty checks nothing
     * @throws NotFoundException         no such image, or an image for another platform
     * @throws InvalidParameterException an invalid name, memory below 6 MiB, an unknown capability, a bad
     *                                   seccomp profile or security option, no command, a bad Env entry or
     *                                   stop signal, an unparseable platform
     */
    public Prepared prepare(String name, ContainerConfig config, HostConfig hostConfig, String platform) {
        if (platform != null && !platform.isEmpty()) {
            Platforms.parse(platform);
            if (config != null && notEmpty(config.image())) {
                Platforms.check(platform, config.image(), images.resolve(config.image()).config());
            }
        }
        if (config == null || config.image() == null || config.image().isEmpty()) {
            throw new InvalidParameterException("Config cannot be empty in order to create a container");
        }
        HostConfig hc = hostConfig == null ? HostConfig.DEFAULT : hostConfig;
        String wantedName = name == null || name.isEmpty() ? null : Names.canonical(name);
        validate(hc);
        validateEnv(config.env());
        if (notEmpty(config.stopSignal())) {
            Signals.parse(config.stopSignal());                 // "Invalid signal: X", as dockerd
        }
        Image image = images.resolve(config.image());
        String id = Names.newId();
        ContainerConfig merged = merge(config, image, id);
        List<String> argv = new ArrayList<>();
        if (merged.entrypoint() != null) {
            argv.addAll(merged.entrypoint());
        }
        if (merged.cmd() != null) {
            argv.addAll(merged.cmd());
        }
        if (argv.isEmpty()) {
            throw new InvalidParameterException("No command specified");
        }
        return new Prepared(id, wantedName, merged, hc, image, List.copyOf(argv));
    }

    /**
     * Turns a stored container into what its exec driver runs: argv, Env with HOSTNAME, TERM (with a tty) and
     * HOME (from the image's passwd, else {@code /}) added as Docker adds them, resources, capabilities,
     * seccomp, devices.
     *
     * @param c        the container
     * @param rootfs   its mounted root filesystem
     * @param stateDir the directory its exec driver owns ({@link Command#stateDir()})
     */
    public Command command(Container c, Path rootfs, Path stateDir) {
        HostConfig hc = c.hostConfig();
        Set<String> caps = security.capabilities(nullToEmpty(hc.capAdd()), nullToEmpty(hc.capDrop()),
                hc.privileged());
        SeccompProfile seccomp = seccompFor(hc);
        // as Docker and runc: PATH, HOSTNAME, TERM, then Config.Env over them, HOME from passwd (else /) last
        List<String> env = Environment.processEnv(c.config().env(), c.config().hostname(), c.config().tty(),
                ContainerUser.home(rootfs, c.config().user()));
        List<String> argv = new ArrayList<>();
        argv.add(c.path());
        argv.addAll(c.args());
        long nanoCpus = hc.nanoCpus();
        if (nanoCpus == 0 && hc.cpuQuota() > 0) {
            long period = hc.cpuPeriod() > 0 ? hc.cpuPeriod() : 100_000;
            nanoCpus = hc.cpuQuota() * 1_000_000_000L / period;
        }
        Command.Resources resources = new Command.Resources(hc.memory(), nanoCpus,
                hc.pidsLimit() == null ? 0 : hc.pidsLimit(), hc.cpuShares());
        String workingDir = c.config().workingDir().isEmpty() ? "/" : c.config().workingDir();
        return new Command(c.id(), rootfs, stateDir, List.copyOf(argv), List.copyOf(env), workingDir,
                c.config().user(), c.config().hostname(), resources, caps, hc.privileged(), seccomp,
                securityOpts(hc).noNewPrivileges(), Boolean.TRUE.equals(hc.init()),
                hc.devices() == null ? List.of() : List.copyOf(hc.devices()), nullToEmpty(hc.groupAdd()),
                new Command.Stdio(c.config().openStdin(), c.config().tty()));
    }


    private void validate(HostConfig hc) {
        if (hc.memory() != 0 && hc.memory() < MIN_MEMORY) {
            throw new InvalidParameterException("Minimum memory limit allowed is 6MB");
        }
        if (hc.memory() < 0) {
            throw new InvalidParameterException("Invalid memory limit: " + hc.memory());
        }
        if (hc.nanoCpus() != 0 && (hc.cpuQuota() != 0 || hc.cpuPeriod() != 0)) {
            throw new InvalidParameterException(
                    "Conflicting options: Nano CPUs and CPU Period cannot both be set");
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        if (hc.nanoCpus() < 0 || hc.nanoCpus() > cpus * 1_000_000_000L) {
            throw new InvalidParameterException("Range of CPUs is from 0.01 to " + cpus + ".00, as there are only "
                    + cpus + " CPUs available");
        }
        if (hc.cpuShares() < 0) {
            throw new InvalidParameterException("Invalid CPU shares: " + hc.cpuShares());
        }
        security.capabilities(nullToEmpty(hc.capAdd()), nullToEmpty(hc.capDrop()), hc.privileged());
        seccompFor(hc);
    }

    /**
     * Checks {@code Env} entries: a name is required ({@code =x} is refused) and no entry may hold a newline
     * or NUL, which lxc.container.conf(5)'s one-line {@code lxc.environment} cannot carry. An entry without
     * {@code =} is allowed: as in Docker's daemon it unsets the variable (see {@link #merge}).
     */
    private static void validateEnv(List<String> env) {
        for (String e : nullToEmpty(env)) {
            if (e == null || e.isEmpty() || e.startsWith("=")) {
                throw new InvalidParameterException("invalid environment variable: " + e);
            }
            if (e.indexOf('\n') >= 0 || e.indexOf('\r') >= 0 || e.indexOf('\0') >= 0) {
                throw new InvalidParameterException("invalid environment variable: " + envKey(e)
                        + ": stage 1 cannot pass a value with a newline or NUL (lxc.environment is one line)");
            }
        }
    }

    /**
     * The seccomp profile of a container: none when privileged or {@code seccomp=unconfined}, the inlined
     * JSON of {@code seccomp=<profile>}, else the default profile.
     */
    private SeccompProfile seccompFor(HostConfig hc) {
        SecurityOpts opts = securityOpts(hc);
        if (hc.privileged() || opts.unconfined()) {
            return null;
        }
        return opts.seccomp() != null ? security.parseSeccomp(opts.seccomp()) : security.defaultSeccomp();
    }

    /** What {@code --security-opt} asks for: a custom seccomp profile (JSON), unconfined, no-new-privileges. */
    private record SecurityOpts(String seccomp, boolean unconfined, boolean noNewPrivileges) { }

    /**
     * Parses {@code --security-opt} values as dockerd's {@code parseSecurityOpt} does: {@code no-new-privileges}
     * and {@code disable} alone, else {@code key=value} (or the older {@code key:value}) with key {@code seccomp},
     * {@code no-new-privileges} (a boolean), {@code apparmor} or {@code label} (accepted, not enforced: no
     * AppArmor or SELinux labels in stage 1).
     *
     * @throws InvalidParameterException {@code invalid --security-opt 1: "OPT"} (no separator) or
     *         {@code invalid --security-opt 2: "OPT"} (unknown key or bad value), Docker's wording
     */
    private static SecurityOpts securityOpts(HostConfig hc) {
        String custom = null;
        boolean unconfined = false;
        boolean noNewPrivileges = false;
        for (String opt : nullToEmpty(hc.securityOpt())) {
            if (opt.equals("no-new-privileges")) {
                noNewPrivileges = true;
                continue;
            }
            if (opt.equals("disable")) {
                continue;
            }
            int sep = indexOfSeparator(opt);
            if (sep < 0) {
                throw new InvalidParameterException("invalid --security-opt 1: \"" + opt + "\"");
            }
            String key = opt.substring(0, sep);
            String value = opt.substring(sep + 1);
            switch (key) {
                case "seccomp" -> {
                    if (value.equals("unconfined")) {
                        unconfined = true;
                    } else if (value.isBlank()) {
                        throw new InvalidParameterException("invalid --security-opt 2: \"" + opt + "\"");
                    } else {
                        custom = value;
                    }
                }
                case "no-new-privileges" -> noNewPrivileges = switch (value) {
                    case "1", "t", "T", "true", "TRUE", "True" -> true;        // Go's strconv.ParseBool
                    case "0", "f", "F", "false", "FALSE", "False" -> false;
                    default -> throw new InvalidParameterException("invalid --security-opt 2: \"" + opt + "\"");
                };
                case "apparmor", "label" -> { }
                default -> throw new InvalidParameterException("invalid --security-opt 2: \"" + opt + "\"");
            }
        }
        return new SecurityOpts(custom, unconfined, noNewPrivileges);
    }

    /** {@code key=value} or, in Docker's older spelling, {@code key:value} (but never inside the JSON). */
    private static int indexOfSeparator(String opt) {
        int eq = opt.indexOf('=');
        int colon = opt.indexOf(':');
        if (eq < 0) {
            return colon;
        }
        return colon >= 0 && colon < eq ? colon : eq;
    }

    private ContainerConfig merge(ContainerConfig user, Image image, String id) {
        ImageConfig.Defaults d = image.config() == null ? null : image.config().config();
        // Env: the user's as given, then the image's whose names the user's do not have (Docker's order)
        List<String> env = Environment.configEnv(user.env(), d == null ? null : d.env());
        // Cmd and Entrypoint, as Docker merges them: a user Entrypoint drops the image's Cmd
        List<String> entrypoint = user.entrypoint();
        if (entrypoint != null && entrypoint.size() == 1 && entrypoint.get(0).isEmpty()) {
            entrypoint = List.of(); // --entrypoint "" clears the image's
        }
        List<String> cmd = user.cmd();
        if (entrypoint == null || entrypoint.isEmpty()) {
            if (cmd == null || cmd.isEmpty()) {
                cmd = d == null ? null : d.cmd();
            }
            if (entrypoint == null) {
                entrypoint = d == null ? null : d.entrypoint();
            }
        }
        String workingDir = notEmpty(user.workingDir()) ? user.workingDir()
                : d != null && notEmpty(d.workingDir()) ? d.workingDir() : "";
        String userName = notEmpty(user.user()) ? user.user() : d != null && d.user() != null ? d.user() : "";
        String hostname = notEmpty(user.hostname()) ? user.hostname() : id.substring(0, 12);
        Map<String, String> labels = new LinkedHashMap<>();
        if (d != null && d.labels() != null) {
            labels.putAll(d.labels());
        }
        if (user.labels() != null) {
            labels.putAll(user.labels());
        }
        String stopSignal = notEmpty(user.stopSignal()) ? user.stopSignal()
                : d != null && notEmpty(d.stopSignal()) ? d.stopSignal() : null;   // the image's StopSignal
        return new ContainerConfig(hostname, userName, env, cmd, entrypoint, user.image(),
                workingDir, user.tty(), user.openStdin(), user.attachStdin(), user.attachStdout(),
                user.attachStderr(), labels, stopSignal, user.stopTimeout(), user.stdinOnce(),
                exposedPorts(user.exposedPorts(), d == null ? null : d.exposedPorts()), user.volumes());
    }

    /** Config.ExposedPorts: the user's ({@code --expose}, {@code -p}) and the image's EXPOSE, as Docker merges them. */
    private static Map<String, Map<String, Object>> exposedPorts(Map<String, Map<String, Object>> user,
                                                                 Map<String, Map<String, Object>> image) {
        if ((user == null || user.isEmpty()) && (image == null || image.isEmpty())) {
            return user;
        }
        Map<String, Map<String, Object>> merged = new java.util.TreeMap<>();
        if (image != null) {
            merged.putAll(image);
        }
        if (user != null) {
            merged.putAll(user);
        }
        return merged;
    }

    private static String envKey(String kv) {
        int eq = kv.indexOf('=');
        return eq < 0 ? kv : kv.substring(0, eq);
    }


    private static <T> List<T> nullToEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static boolean notEmpty(String s) {
        return s != null && !s.isEmpty();
    }
}
