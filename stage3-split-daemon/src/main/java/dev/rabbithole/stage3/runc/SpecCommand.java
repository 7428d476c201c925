package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code runc spec [--bundle DIR]} (runc-spec(8)): writes a default {@code config.json} into the bundle (the
 * current directory by default) with the content runc 1.1's defaults have: {@code sh} on a terminal as root
 * with three capabilities, a read-only {@code rootfs}, hostname {@code runc}, the standard mounts, new pid,
 * network, ipc, uts and mount namespaces, every device denied, the masked and read-only {@code /proc} paths.
 * Refuses to overwrite an existing file, as runc.
 */
@Command(name = "spec", description = "create a new specification file (config.json)")
final class SpecCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    RuncMain runc;

    @Option(names = {"--bundle", "-b"}, description = "the bundle directory (default: the current directory)")
    Path bundle;

    @Option(names = "--rootless", description = "not supported")
    boolean rootless;

    @Override
    public Integer call() throws Exception {
        if (rootless) {
            throw new RuncException("--rootless: rootless containers are not supported");
        }
        Path dir = bundle == null ? Path.of("").toAbsolutePath() : bundle;
        if (!Files.isDirectory(dir)) {
            throw new RuncException("chdir " + dir + ": no such file or directory");
        }
        Path file = dir.resolve("config.json");
        if (Files.exists(file)) {
            throw new RuncException("File config.json exists. Remove it first");
        }
        Files.writeString(file, GoJson.indent(defaultSpec(), "\t"));
        return 0;
    }

    /** @return the default config, members in the runtime-spec's order */
    static ObjectNode defaultSpec() {
        ObjectNode spec = JSON.createObjectNode();
        spec.put("ociVersion", "1.0.2-dev");
        ObjectNode process = spec.putObject("process");
        process.put("terminal", true);
        ObjectNode user = process.putObject("user");
        user.put("uid", 0);
        user.put("gid", 0);
        strings(process.putArray("args"), "sh");
        strings(process.putArray("env"), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm");
        process.put("cwd", "/");
        ObjectNode caps = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted", "ambient")) {
            strings(caps.putArray(set), "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
        }
        ObjectNode nofile = process.putArray("rlimits").addObject();
        nofile.put("type", "RLIMIT_NOFILE");
        nofile.put("hard", 1024);
        nofile.put("soft", 1024);
        process.put("noNewPrivileges", true);
        ObjectNode root = spec.putObject("root");
        root.put("path", "rootfs");
        root.put("readonly", true);
        spec.put("hostname", "runc");
        ArrayNode mounts = spec.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                "mode=0620", "gid=5");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");
        ObjectNode linux = spec.putObject("linux");
        ObjectNode deny = linux.putObject("resources").putArray("devices").addObject();
        deny.put("allow", false);
        deny.put("access", "rwm");
        ArrayNode ns = linux.putArray("namespaces");
        for (String t : List.of("pid", "network", "ipc", "uts", "mount")) {
            ns.addObject().put("type", t);
        }
        strings(linux.putArray("maskedPaths"), "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                "/proc/scsi");
        strings(linux.putArray("readonlyPaths"), "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                "/proc/sysrq-trigger");
        return spec;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        if (options.length > 0) {
            strings(m.putArray("options"), options);
        }
    }

    private static void strings(ArrayNode a, String... values) {
        for (String v : values) {
            a.add(v);
        }
    }
}
