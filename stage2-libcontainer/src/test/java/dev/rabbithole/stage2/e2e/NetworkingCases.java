package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.JarDaemon;
import dev.rabbithole.testsupport.NetworkNamespace;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 11 through the real docker CLI, against a daemon that runs in a network namespace the test made
 * ({@link NetworkNamespace}): its bridge, the containers' addresses, veth pairs and NAT rules live only there, and
 * the probes from "the host" ({@code wget}, {@code ip}, {@code nft}) run in that namespace. The expected texts are
 * what Debian's dockerd 20.10 printed for the same commands (its bridge docker0 and 172.17.0.0/16 instead of ours).
 *
 * <p>Shared by the stages through this module's test jar: a subclass starts the daemon with
 * {@link NetworkNamespace#launcher()}, and sets {@link #cli}, {@link #ns}, {@link #control}, {@link #bridge} and
 * {@link #subnet}. The cases run in order; the last ones kill and stop the daemon.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public abstract class NetworkingCases {

    /** The docker CLI on the daemon under test. */
    protected static DockerCli cli;
    /** The namespace the daemon runs in. */
    protected static NetworkNamespace ns;
    /** Stops, kills and restarts the daemon. */
    protected static DaemonControl control;
    /** The daemon's default bridge, {@code rh-stageN}. */
    protected static String bridge;
    /** The default bridge's first three octets with the dot, {@code 10.201.N.} (a /24). */
    protected static String subnet;

    /** What the last cases do to the daemon. */
    public interface DaemonControl {
        /** SIGKILLs the daemon (its containers die with it on stages 1 and 2) and starts it again on the same root. */
        void crashAndRestart() throws Exception;

        /** Stops the daemon (SIGTERM) and waits for its exit. */
        void stop() throws Exception;
    }

    // --- published ports ---

    @Test
    @Order(1)
    public void publishedPortServesOnLoopbackAndBridgeAddress() throws Exception {
        var run = cli.docker("run", "-d", "--name", "web", "-p", "18080:80", "busybox", "httpd", "-f", "-p", "80",
                "-h", "/etc");
        assertThat(run.exit()).as(run.toString()).isZero();
        String hostname = run.out().strip().substring(0, 12);
        try {
            // from outside: the namespace's loopback and its bridge address, through the DNAT rules
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(ns.exec("busybox", "wget", "-q", "-O-", "http://127.0.0.1:18080/hostname").out())
                            .isEqualTo(hostname + "\n"));
            var viaBridge = ns.exec("busybox", "wget", "-q", "-O-", "http://" + subnet + "1:18080/hostname");
            assertThat(viaBridge.out()).as(viaBridge.toString()).isEqualTo(hostname + "\n");
            var port = cli.docker("port", "web");
            assertThat(port.out()).as(port.toString()).startsWith("80/tcp -> 0.0.0.0:18080");
            var ip = cli.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} "
                    + "{{.NetworkSettings.MacAddress}} {{json .HostConfig.PortBindings}}", "web");
            String[] f = ip.out().strip().split(" ", 4);
            assertThat(f[0]).as(ip.toString()).startsWith(subnet);
            assertThat(f[1]).isEqualTo(subnet + "1");
            assertThat(f[2]).startsWith("02:42:0a:");
            assertThat(f[3]).isEqualTo("{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"18080\"}]}");
            var ps = cli.docker("ps", "--format", "{{.Ports}}", "-f", "name=web");
            assertThat(ps.out()).contains("0.0.0.0:18080->80/tcp");

            // a port another container holds: Docker's error, and nothing of the failed start is left
            List<String> vethsBefore = veths();
            var taken = cli.docker("run", "-d", "--name", "web2", "-p", "18080:80", "busybox", "httpd", "-f", "-p", "80");
            assertThat(taken.exit()).as(taken.toString()).isEqualTo(125);
            assertThat(taken.err()).contains("driver failed programming external connectivity on endpoint web2 (")
                    .contains("): Bind for 0.0.0.0:18080 failed: port is already allocated");
            assertThat(veths()).isEqualTo(vethsBefore);
            assertThat(dnatRules()).hasSize(1);
            cli.docker("rm", "-f", "web2");

            // a port another program listens on: Docker's userland-proxy message, nothing left either
            var holder = ns.exec("sh", "-c", "busybox nc -l -p 18090 </dev/null >/dev/null 2>&1 & echo $!");
            String holderPid = holder.out().strip();
            try {
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(ns.exec("busybox", "netstat", "-ltn").out()).contains(":18090 "));
                var busy = cli.docker("run", "-d", "--name", "web3", "-p", "18090:80", "busybox", "true");
                assertThat(busy.exit()).as(busy.toString()).isEqualTo(125);
                assertThat(busy.err()).contains("driver failed programming external connectivity on endpoint web3 (")
                        .contains("): Error starting userland proxy: listen tcp4 0.0.0.0:18090: bind: address already in use");
                assertThat(veths()).isEqualTo(vethsBefore);
                assertThat(dnatRules()).hasSize(1);
            } finally {
                ns.exec("kill", holderPid);
                cli.docker("rm", "-f", "web3");
            }
        } finally {
            cli.docker("rm", "-f", "web");
        }
        // rm: no veth, no DNAT rule, no reserved port (a new container can take it)
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(veths()).isEmpty());
        assertThat(dnatRules()).isEmpty();
    }

    @Test
    @Order(2)
    public void publishAllAndUdp() throws Exception {
        var run = cli.docker("run", "-d", "--name", "pall", "-P", "--expose", "80", "-p", "18053:53/udp",
                "busybox", "httpd", "-f", "-p", "80", "-h", "/etc");
        assertThat(run.exit()).as(run.toString()).isZero();
        try {
            var port = cli.docker("port", "pall", "80");
            assertThat(port.exit()).as(port.toString()).isZero();
            String hostPort = port.out().lines().findFirst().orElseThrow().replaceAll(".*:", "");
            assertThat(Integer.parseInt(hostPort)).isGreaterThan(1024);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(ns.exec("busybox", "wget", "-q", "-O-", "http://127.0.0.1:" + hostPort + "/hostname")
                            .out()).isEqualTo(run.out().strip().substring(0, 12) + "\n"));
            assertThat(cli.docker("port", "pall", "53/udp").out()).startsWith("0.0.0.0:18053");
            assertThat(String.join("\n", dnatRules())).contains("udp dport 18053 dnat to");
        } finally {
            cli.docker("rm", "-f", "pall");
        }
    }

    // --- inside the container ---

    @Test
    @Order(3)
    public void eth0HasAnAddressOfTheSubnetAndTheDefaultRoute() throws Exception {
        var r = cli.docker("run", "--rm", "busybox", "sh", "-c", "ip addr show eth0; ip route; ip -o link show lo");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).containsPattern("inet " + subnet.replace(".", "\\.") + "[0-9]+/24 brd "
                + subnet.replace(".", "\\.") + "255 scope global eth0")
                .contains("link/ether 02:42:0a:")
                .contains("default via " + subnet + "1 dev eth0")
                .containsPattern("lo: <LOOPBACK,UP");
        // nothing left behind by --rm
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(veths()).isEmpty());
    }

    @Test
    @Order(4)
    public void containersOnAUserDefinedNetworkReachEachOtherByName() throws Exception {
        var create = cli.docker("network", "create", "rhnet");
        assertThat(create.exit()).as(create.toString()).isZero();
        String id = create.out().strip();
        try {
            var dup = cli.docker("network", "create", "rhnet");
            assertThat(dup.err()).contains("network with name rhnet already exists");
            var srv = cli.docker("run", "-d", "--name", "srv", "--network", "rhnet", "busybox", "httpd", "-f",
                    "-p", "80", "-h", "/etc");
            assertThat(srv.exit()).as(srv.toString()).isZero();
            var client = cli.docker("run", "--rm", "--name", "cl", "--network", "rhnet", "busybox", "sh", "-c",
                    "ping -c1 -W5 srv && wget -q -O- http://srv/hostname");
            assertThat(client.exit()).as(client.toString()).isZero();
            assertThat(client.out()).contains("1 packets received").endsWith(srv.out().strip().substring(0, 12) + "\n");
            // srv's /etc/hosts, seen in its own mount namespace, is rewritten in place as peers come and go
            String pid = cli.docker("inspect", "-f", "{{.State.Pid}}", "srv").out().strip();
            var peer = cli.docker("run", "-d", "--name", "peer", "--network", "rhnet", "busybox", "sleep", "300");
            assertThat(peer.exit()).as(peer.toString()).isZero();
            String peerIp = cli.docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                    "peer").out().strip();
            assertThat(JarDaemon.exec(List.of("nsenter", "-t", pid, "-m", "cat", "/etc/hosts")).out())
                    .contains(peerIp + "\tpeer\n");
            cli.docker("rm", "-f", "peer");
            assertThat(JarDaemon.exec(List.of("nsenter", "-t", pid, "-m", "cat", "/etc/hosts")).out())
                    .doesNotContain("\tpeer\n");
            var inUse = cli.docker("network", "rm", "rhnet");
            assertThat(inUse.exit()).isEqualTo(1);
            assertThat(inUse.err()).contains("error while removing network: network rhnet id " + id
                    + " has active endpoints");
            var ls = cli.docker("network", "ls", "--format", "{{.Name}} {{.Driver}}");
            assertThat(ls.out().lines()).contains("bridge bridge", "host host", "none null", "rhnet bridge");
            var inspect = cli.docker("network", "inspect", "-f", "{{range .Containers}}{{.Name}}{{end}}", "rhnet");
            assertThat(inspect.out().strip()).isEqualTo("srv");
        } finally {
            cli.docker("rm", "-f", "srv", "peer");
        }
        var rm = cli.docker("network", "rm", "rhnet");
        assertThat(rm.exit()).as(rm.toString()).isZero();
        assertThat(ns.exec("ip", "link", "show", "rh-" + id.substring(0, 12)).exit()).isNotZero();
    }

    @Test
    @Order(5)
    public void connectAndDisconnectAStoppedContainerAndPrune() throws Exception {
        var create = cli.docker("network", "create", "--subnet", "10.250.7.0/24", "--label", "x=y", "rhnet2");
        assertThat(create.exit()).as(create.toString()).isZero();
        var overlap = cli.docker("network", "create", "--subnet", "10.250.7.128/25", "rhnet3");
        assertThat(overlap.exit()).isEqualTo(1);
        assertThat(overlap.err()).contains("Pool overlaps with other one on this address space");
        var bad = cli.docker("network", "create", "--subnet", "10.99.0.0/33", "rhnet4");
        assertThat(bad.err()).contains("Invalid subnet 10.99.0.0/33 : invalid CIDR address: 10.99.0.0/33");
        try {
            assertThat(cli.docker("create", "--name", "mover", "busybox", "sleep", "300").exit()).isZero();
            var connect = cli.docker("network", "connect", "rhnet2", "mover");
            assertThat(connect.exit()).as(connect.toString()).isZero();
            assertThat(cli.docker("start", "mover").exit()).isZero();
            var ip = cli.docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "mover");
            assertThat(ip.out().strip()).isEqualTo("10.250.7.2");
            var subnet = cli.docker("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}} {{.Labels.x}}",
                    "rhnet2");
            assertThat(subnet.out().strip()).isEqualTo("10.250.7.0/24 y");
            cli.docker("stop", "-t", "0", "mover");
            assertThat(cli.docker("network", "disconnect", "rhnet2", "mover").exit()).isZero();
            var prune = cli.docker("network", "prune", "-f");
            assertThat(prune.out()).contains("rhnet2");
            assertThat(cli.docker("network", "ls", "-q", "-f", "name=rhnet2").out()).isBlank();
        } finally {
            cli.docker("rm", "-f", "mover");
            cli.docker("network", "rm", "rhnet2");
        }
    }

    @Test
    @Order(5)
    public void connectARunningContainerAddsEth1AndNamesThenDisconnectTakesThemAway() throws Exception {
        var create = cli.docker("network", "create", "--subnet", "10.250.9.0/24", "rhcon");
        assertThat(create.exit()).as(create.toString()).isZero();
        try {
            assertThat(cli.docker("run", "-d", "--name", "target", "--network", "rhcon", "busybox", "sleep", "300")
                    .exit()).isZero();
            var roamer = cli.docker("run", "-d", "--name", "roamer", "busybox", "sleep", "300");
            assertThat(roamer.exit()).as(roamer.toString()).isZero();
            String roamerId = roamer.out().strip();
            String bridgeIp = cli.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "roamer").out().strip();
            // on the default bridge only: the name does not resolve
            assertThat(inside("roamer", "ping", "-c1", "-W2", "target").exit()).isNotZero();

            var connect = cli.docker("network", "connect", "rhcon", "roamer");
            assertThat(connect.exit()).as(connect.toString()).isZero();
            var addr = inside("roamer", "sh", "-c", "ip addr show eth1; ip route");
            assertThat(addr.out()).as(addr.toString()).contains("inet 10.250.9.3/24 brd 10.250.9.255 scope global eth1")
                    .contains("link/ether 02:42:0a:fa:09:03")
                    .contains("default via " + subnet + "1 dev eth0");
            var ping = inside("roamer", "ping", "-c1", "-W5", "target");
            assertThat(ping.exit()).as(ping.toString()).isZero();
            assertThat(ping.out()).contains("1 packets received");
            // the peer's /etc/hosts, rewritten in place, names the newcomer
            assertThat(inside("target", "cat", "/etc/hosts").out()).contains("10.250.9.3\troamer\n");
            // and its own lists its new address with its hostname, as Docker's
            assertThat(inside("roamer", "cat", "/etc/hosts").out()).contains("10.250.9.3\t" + roamerId.substring(0, 12)
                    + "\n");
            var nets = cli.docker("inspect", "-f",
                    "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}", "roamer");
            assertThat(nets.out().strip()).as(nets.toString()).isEqualTo("bridge=" + bridgeIp + " rhcon=10.250.9.3");
            var members = cli.docker("network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", "rhcon");
            assertThat(members.out().strip().split(" ")).containsExactlyInAnyOrder("target", "roamer");
            assertThat(veths()).hasSize(3);

            // Docker's answers to a second connect
            var again = cli.docker("network", "connect", "rhcon", "roamer");
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.err()).contains("endpoint with name roamer already exists in network rhcon");
            var host = cli.docker("network", "connect", "host", "roamer");
            assertThat(host.err()).contains("container cannot be disconnected from host network or connected to host network");

            var disconnect = cli.docker("network", "disconnect", "rhcon", "roamer");
            assertThat(disconnect.exit()).as(disconnect.toString()).isZero();
            assertThat(inside("roamer", "ip", "link", "show", "eth1").exit()).isNotZero();
            assertThat(inside("roamer", "ping", "-c1", "-W2", "target").exit()).isNotZero();
            assertThat(inside("target", "cat", "/etc/hosts").out()).doesNotContain("roamer");
            assertThat(cli.docker("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
                    "roamer").out().strip()).isEqualTo("bridge");
            assertThat(veths()).hasSize(2);
            var notOn = cli.docker("network", "disconnect", "rhcon", "roamer");
            assertThat(notOn.exit()).isEqualTo(1);
            assertThat(notOn.err()).contains("container " + roamerId + " is not connected to network rhcon");
            var idle = cli.docker("create", "--name", "idle", "busybox", "true");
            var notOnStopped = cli.docker("network", "disconnect", "rhcon", "idle");
            assertThat(notOnStopped.err()).contains("container " + idle.out().strip()
                    + " is not connected to the network rhcon");

            // connected again, then removed: every endpoint is released
            assertThat(cli.docker("network", "connect", "rhcon", "roamer").exit()).isZero();
            assertThat(veths()).hasSize(3);
            assertThat(cli.docker("rm", "-f", "roamer").exit()).isZero();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(veths()).hasSize(1));
            assertThat(inside("target", "cat", "/etc/hosts").out()).doesNotContain("roamer");

            // leaving the only network: loopback only, and the network has no endpoint left
            var last = cli.docker("network", "disconnect", "rhcon", "target");
            assertThat(last.exit()).as(last.toString()).isZero();
            var links = inside("target", "ip", "-o", "link");
            assertThat(links.out().lines().toList()).as(links.toString()).hasSize(1);
            assertThat(veths()).isEmpty();
            assertThat(cli.docker("network", "inspect", "-f", "{{len .Containers}}", "rhcon").out().strip())
                    .isEqualTo("0");
            assertThat(cli.docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", "target").out().strip())
                    .isEqualTo("{}");
            // connected again: the next interface name, as Docker's sandbox counts (eth0 is not reused)
            assertThat(cli.docker("network", "connect", "rhcon", "target").exit()).isZero();
            assertThat(inside("target", "ip", "-o", "-4", "addr", "show", "eth1").out()).contains("inet 10.250.9.");
        } finally {
            cli.docker("rm", "-f", "roamer", "target", "idle");
            cli.docker("network", "rm", "rhcon");
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(veths()).isEmpty());
    }

    // --- none, host, container:NAME ---

    @Test
    @Order(6)
    public void networkNoneHasOnlyLoopbackUp() throws Exception {
        var r = cli.docker("run", "--rm", "--network", "none", "busybox", "ip", "-o", "link");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out().lines().toList()).hasSize(1);
        assertThat(r.out()).contains("lo: <LOOPBACK,UP");
    }

    @Test
    @Order(7)
    public void networkHostSeesTheNamespacesLinks() throws Exception {
        var r = cli.docker("run", "--rm", "--network", "host", "busybox", "ip", "-o", "link");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains(bridge + ":");
    }

    @Test
    @Order(8)
    public void containerNetworkIsShared() throws Exception {
        var first = cli.docker("run", "-d", "--name", "owner", "busybox", "sleep", "300");
        assertThat(first.exit()).as(first.toString()).isZero();
        try {
            String ip = cli.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "owner").out().strip();
            var r = cli.docker("run", "--rm", "--network", "container:owner", "busybox", "ip", "addr", "show", "eth0");
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out()).contains("inet " + ip + "/24");
            var created = cli.docker("create", "--name", "sleeper", "busybox", "true");
            assertThat(created.exit()).isZero();
            var refused = cli.docker("run", "--rm", "--network", "container:sleeper", "busybox", "true");
            assertThat(refused.exit()).isEqualTo(125);
            assertThat(refused.err()).contains("cannot join network of a non running container: "
                    + created.out().strip());
        } finally {
            cli.docker("rm", "-f", "owner", "sleeper");
        }
    }

    // --- /etc/hosts, resolv.conf ---

    @Test
    @Order(9)
    public void addHostAndDnsFlags() throws Exception {
        var r = cli.docker("run", "--rm", "-h", "box", "--add-host", "db.local:10.1.2.3", "--dns", "10.9.9.9",
                "--dns-search", "example.org", "--dns-option", "ndots:2", "busybox", "sh", "-c",
                "cat /etc/hosts; echo ---; cat /etc/resolv.conf");
        assertThat(r.exit()).as(r.toString()).isZero();
        String[] parts = r.out().split("---\n");
        assertThat(parts[0]).contains("10.1.2.3\tdb.local\n").containsPattern(subnet.replace(".", "\\.") + "[0-9]+\tbox\n");
        assertThat(parts[1]).contains("search example.org\n").contains("nameserver 10.9.9.9\n")
                .contains("options ndots:2\n");
        assertThat(parts[1].lines().filter(l -> l.startsWith("nameserver")).toList()).hasSize(1);
    }

    // --- the allocator, a daemon killed with -9, the daemon's shutdown ---

    @Test
    @Order(10)
    public void theAllocatorReusesAnAddressAfterRm() throws Exception {
        String a = ipOfNew("alloc1");
        cli.docker("rm", "-f", "alloc1");
        String b = ipOfNew("alloc2");
        cli.docker("rm", "-f", "alloc2");
        assertThat(b).isEqualTo(a);
    }

    @Test
    @Order(11)
    public void aRestartAfterKill9RemovesWhatTheDeadDaemonLeft() throws Exception {
        var run = cli.docker("run", "-d", "--name", "orphan", "-p", "18081:80", "busybox", "httpd", "-f", "-p", "80");
        assertThat(run.exit()).as(run.toString()).isZero();
        String ip = cli.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "orphan").out().strip();
        assertThat(dnatRules()).hasSize(1);
        control.crashAndRestart();
        assertThat(dnatRules()).isEmpty();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(veths()).isEmpty());
        // the dead container's address is free again, and so is its port
        var again = cli.docker("run", "-d", "--name", "heir", "-p", "18081:80", "busybox", "sleep", "300");
        assertThat(again.exit()).as(again.toString()).isZero();
        assertThat(cli.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "heir").out().strip()).isEqualTo(ip);
        cli.docker("rm", "-f", "orphan", "heir");
    }

    @Test
    @Order(12)
    public void theDaemonsShutdownLeavesNoVethAddressOrRule() throws Exception {
        var run = cli.docker("run", "-d", "--name", "last", "-p", "18082:80", "busybox", "sleep", "300");
        assertThat(run.exit()).as(run.toString()).isZero();
        control.stop();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(veths()).isEmpty());
        var rules = ns.exec("nft", "list", "ruleset");
        assertThat(rules.out()).as(rules.toString()).doesNotContain("rabbithole").doesNotContain("dnat");
        var addrs = ns.exec("ip", "-o", "-4", "addr");
        // the bridge stays, as Docker keeps docker0, with only its own address
        assertThat(addrs.out().lines().filter(l -> l.contains(subnet)).toList())
                .allMatch(l -> l.contains(" " + bridge + " ") && l.contains(subnet + "1/24"));
    }

    // --- helpers ---

    private static String ipOfNew(String name) throws Exception {
        var run = cli.docker("run", "-d", "--name", name, "busybox", "sleep", "300");
        assertThat(run.exit()).as(run.toString()).isZero();
        return cli.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", name).out().strip();
    }

    /**
     * Runs a program of a running container's image in its mount and network namespaces (nsenter(1); stages 1 and 2
     * have no {@code docker exec}).
     */
    private static JarDaemon.Result inside(String container, String... cmd) throws Exception {
        String pid = cli.docker("inspect", "-f", "{{.State.Pid}}", container).out().strip();
        List<String> argv = new java.util.ArrayList<>(List.of("nsenter", "-t", pid, "-m", "-n", "--"));
        argv.addAll(List.of(cmd));
        return JarDaemon.exec(argv);
    }

    /** @return the veth links of the daemon's namespace */
    protected static List<String> veths() throws Exception {
        JarDaemon.Result r = ns.exec("ip", "-o", "link", "show", "type", "veth");
        return r.out().lines().map(l -> l.split(":\\s+")[1]).toList();
    }

    /** @return the DNAT rules of the namespace's ruleset */
    protected static List<String> dnatRules() throws Exception {
        JarDaemon.Result r = ns.exec("nft", "list", "ruleset");
        return Arrays.stream(r.out().split("\n")).map(String::strip).filter(l -> l.contains("dnat to")).toList();
    }

    /**
     * @param program a program's file name, e.g. {@code nft}
     * @return true when it is an executable on PATH or in /usr/sbin (the subclasses skip without it)
     */
    protected static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, program))) {
                return true;
            }
        }
        return java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/sbin", program));
    }
}
