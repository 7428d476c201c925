package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code docker run} flags that this client does not act on itself but passes to the daemon in the
 * {@code POST /containers/create} body, in the fields the docker CLI fills for them (Engine API 1.41,
 * ContainerConfig and HostConfig). The daemon decides: it applies what its stage supports and refuses the rest
 * with a message that names the flag ({@code -p/--publish (HostConfig.PortBindings) is not supported by stage 1}),
 * so our client's user reads what a docker CLI user reads, not a parser's {@code Unknown option}.
 * <p>
 * A picocli mixin of {@link RunCommand}. The client only checks the syntax the docker CLI checks before it sends
 * (a port, a restart policy, a stop timeout); the meaning is the daemon's.
 */
public final class DockerRunFlags {
    @Option(names = {"-i", "--interactive"}, description = "Keep stdin open (Config.OpenStdin, AttachStdin, StdinOnce).")
    boolean interactive;
    @Option(names = {"-t", "--tty"}, description = "Allocate a pseudo-TTY (Config.Tty).")
    boolean tty;
    @Option(names = {"-p", "--publish"}, paramLabel = "[IP:][HOSTPORT:]PORT[/PROTO]",
            description = "Publish a port (Config.ExposedPorts, HostConfig.PortBindings). Repeatable.")
    List<String> publish = new ArrayList<>();
    @Option(names = {"-v", "--volume"}, paramLabel = "[SRC:]DST[:OPTS]",
            description = "Bind mount SRC:DST (HostConfig.Binds) or an anonymous volume DST (Config.Volumes). Repeatable.")
    List<String> volumes = new ArrayList<>();
    @Option(names = "--mount", paramLabel = "type=...,source=...,target=...",
            description = "Attach a mount (HostConfig.Mounts). Repeatable.")
    List<String> mounts = new ArrayList<>();
    @Option(names = {"--network", "--net"}, paramLabel = "MODE", description = "Network mode (HostConfig.NetworkMode).")
    String network;
    @Option(names = "--restart", paramLabel = "POLICY[:N]", description = "Restart policy (HostConfig.RestartPolicy).")
    String restart;
    @Option(names = "--device", paramLabel = "HOST[:CONTAINER][:PERMS]",
            description = "Add a host device (HostConfig.Devices). Repeatable.")
    List<String> devices = new ArrayList<>();
    @Option(names = "--read-only", description = "Read-only root filesystem (HostConfig.ReadonlyRootfs).")
    boolean readOnly;
    @Option(names = "--tmpfs", paramLabel = "DST[:OPTS]", description = "Mount a tmpfs (HostConfig.Tmpfs). Repeatable.")
    List<String> tmpfs = new ArrayList<>();
    @Option(names = "--dns", paramLabel = "IP", description = "DNS server (HostConfig.Dns). Repeatable.")
    List<String> dns = new ArrayList<>();
    @Option(names = {"-P", "--publish-all"}, description = "Publish every exposed port on a free host port (HostConfig.PublishAllPorts).")
    boolean publishAll;
    @Option(names = "--expose", paramLabel = "PORT[/PROTO]", description = "Expose a port (Config.ExposedPorts). Repeatable.")
    List<String> expose = new ArrayList<>();
    @Option(names = "--add-host", paramLabel = "HOST:IP", description = "Add a line to /etc/hosts (HostConfig.ExtraHosts). Repeatable.")
    List<String> addHost = new ArrayList<>();
    @Option(names = "--dns-search", paramLabel = "DOMAIN", description = "DNS search domain (HostConfig.DnsSearch). Repeatable.")
    List<String> dnsSearch = new ArrayList<>();
    @Option(names = "--dns-option", paramLabel = "OPTION", description = "DNS option (HostConfig.DnsOptions). Repeatable.")
    List<String> dnsOption = new ArrayList<>();
    @Option(names = "--log-driver", paramLabel = "DRIVER", description = "Logging driver (HostConfig.LogConfig.Type).")
    String logDriver;
    @Option(names = "--ipc", paramLabel = "MODE", description = "IPC namespace mode (HostConfig.IpcMode).")
    String ipc;
    @Option(names = "--pid", paramLabel = "MODE", description = "PID namespace mode (HostConfig.PidMode).")
    String pid;
    @Option(names = "--uts", paramLabel = "MODE", description = "UTS namespace mode (HostConfig.UTSMode).")
    String uts;
    @Option(names = "--init", description = "Run an init as pid 1 that forwards signals and reaps (HostConfig.Init).")
    boolean init;
    @Option(names = "--stop-signal", paramLabel = "SIGNAL", description = "Signal that stops the container (Config.StopSignal).")
    String stopSignal;
    @Option(names = "--stop-timeout", paramLabel = "SECONDS", description = "Seconds before stop kills (Config.StopTimeout).")
    Integer stopTimeout;
    @Option(names = "--platform", paramLabel = "OS[/ARCH[/VARIANT]]",
            description = "Platform of the image (the create request's platform parameter).")
    String platform;
    @Option(names = "--group-add", paramLabel = "GROUP", description = "Add a supplementary group (HostConfig.GroupAdd). Repeatable.")
    List<String> groupAdd = new ArrayList<>();

    /** @return the {@code platform} query parameter of {@code POST /containers/create}, or null */
    public String platform() {
        return platform;
    }

    /**
     * Puts the flags that were given into a create body; flags not given leave the body as it is.
     *
     * @param body the create body, with its {@code HostConfig} object
     * @throws IllegalArgumentException a port or restart policy the docker CLI would refuse too, with its wording
     */
    public void apply(ObjectNode body) {
        ObjectNode host = body.with("HostConfig");
        if (interactive) {
            body.put("AttachStdin", true);
            body.put("OpenStdin", true);
            body.put("StdinOnce", true);
        }
        if (tty) body.put("Tty", true);
        for (String p : publish) {
            port(body, host, p);
        }
        for (String v : volumes) {
            if (v.indexOf(':') > 0) {
                host.withArray("Binds").add(v);
            } else {
                body.with("Volumes").putObject(v);
            }
        }
        for (String m : mounts) {
            host.withArray("Mounts").add(mount(m));
        }
        if (network != null) host.put("NetworkMode", network);
        if (restart != null) {
            int colon = restart.indexOf(':');
            ObjectNode policy = host.putObject("RestartPolicy");
            policy.put("Name", colon < 0 ? restart : restart.substring(0, colon));
            if (colon >= 0) {
                try {
                    policy.put("MaximumRetryCount", Integer.parseInt(restart.substring(colon + 1)));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("invalid restart policy format: maximum retry count must be an integer");
                }
            }
        }
        for (String d : devices) {
            host.withArray("Devices").add(DeviceFlag.parse(d));
        }
        if (readOnly) host.put("ReadonlyRootfs", true);
        for (String t : tmpfs) {
            int colon = t.indexOf(':');
            host.with("Tmpfs").put(colon < 0 ? t : t.substring(0, colon), colon < 0 ? "" : t.substring(colon + 1));
        }
        for (String d : dns) {
            host.withArray("Dns").add(d);
        }
        if (publishAll) host.put("PublishAllPorts", true);
        for (String e : expose) {
            body.with("ExposedPorts").putObject(e.contains("/") ? e : e + "/tcp");
        }
        for (String h : addHost) {
            host.withArray("ExtraHosts").add(h);
        }
        for (String d : dnsSearch) {
            host.withArray("DnsSearch").add(d);
        }
        for (String d : dnsOption) {
            host.withArray("DnsOptions").add(d);
        }
        if (logDriver != null) {
            ObjectNode log = host.putObject("LogConfig");
            log.put("Type", logDriver);
            log.putObject("Config");
        }
        if (ipc != null) host.put("IpcMode", ipc);
        if (pid != null) host.put("PidMode", pid);
        if (uts != null) host.put("UTSMode", uts);
        if (init) host.put("Init", true);
        if (stopSignal != null) body.put("StopSignal", stopSignal);
        if (stopTimeout != null) body.put("StopTimeout", stopTimeout);
        for (String g : groupAdd) {
            host.withArray("GroupAdd").add(g);
        }
    }

    /** {@code [IP:][HOSTPORT:]PORT[/PROTO]}: the exposed port and its binding, as the docker CLI sends them. */
    private static void port(ObjectNode body, ObjectNode host, String spec) {
        String proto = "tcp";
        String rest = spec;
        int slash = rest.lastIndexOf('/');
        if (slash >= 0) {
            proto = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
        }
        String[] parts = rest.split(":", -1);
        String ip = parts.length == 3 ? parts[0] : "";
        String hostPort = parts.length >= 2 ? parts[parts.length - 2] : "";
        String port = parts[parts.length - 1];
        if (parts.length > 3 || !port.matches("[0-9]+(-[0-9]+)?") || !hostPort.matches("([0-9]+(-[0-9]+)?)?")) {
            throw new IllegalArgumentException("invalid argument \"" + spec + "\" for \"-p, --publish\" flag: "
                    + "Invalid containerPort: " + port);
        }
        String key = port + "/" + proto;
        body.with("ExposedPorts").putObject(key);
        ObjectNode binding = host.with("PortBindings").withArray(key).addObject();
        binding.put("HostIp", ip);
        binding.put("HostPort", hostPort);
    }

    /** {@code type=bind,source=/a,target=/b,readonly}: a HostConfig.Mounts entry. */
    private static ObjectNode mount(String spec) {
        ObjectNode m = EngineClient.JSON.createObjectNode();
        m.put("Type", "volume");
        for (String field : spec.split(",")) {
            int eq = field.indexOf('=');
            String key = (eq < 0 ? field : field.substring(0, eq)).trim().toLowerCase(java.util.Locale.ROOT);
            String value = eq < 0 ? "" : field.substring(eq + 1);
            switch (key) {
                case "type" -> m.put("Type", value);
                case "source", "src" -> m.put("Source", value);
                case "target", "destination", "dst" -> m.put("Target", value);
                case "readonly", "ro" -> m.put("ReadOnly", eq < 0 || value.equals("true") || value.equals("1"));
                default -> { }                      // options of a mount type: the daemon refuses --mount anyway
            }
        }
        return m;
    }
}
