package dev.rabbithole.stage1.network;

import dev.rabbithole.stage1.daemon.HostConfig;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pure parts of the daemon's networking: addresses, port specs, the nft script, resolv.conf. */
class NetworkPartsTest {

    @Test
    void subnetsAndMacs() {
        Ipv4 bip = Ipv4.parseCidr("10.201.1.1/24");
        assertThat(bip.network()).hasToString("10.201.1.0/24");
        assertThat(bip.overlaps(Ipv4.parseCidr("10.201.0.0/16"))).isTrue();
        assertThat(bip.overlaps(Ipv4.parseCidr("10.201.2.0/24"))).isFalse();
        assertThat(Ipv4.parseCidr("172.17.0.0/16").overlaps(Ipv4.parseCidr("10.201.1.0/24"))).isFalse();
        assertThat(Ipv4.mac(Ipv4.parse("172.17.0.2"))).isEqualTo("02:42:ac:11:00:02");   // what dockerd gave
        assertThatThrownBy(() -> Ipv4.parseCidr("10.99.0.0/33")).hasMessage("invalid CIDR address: 10.99.0.0/33");
        assertThatThrownBy(() -> Ipv4.parse("10.1.256.1")).isInstanceOf(InvalidParameterException.class);
    }

    @Test
    void defaultsDifferPerStageAndStayOutOfDockersPools() {
        for (int stage = 1; stage <= 4; stage++) {
            Ipv4 bip = Ipv4.parseCidr(NetworkOptions.defaultBip(stage));
            for (String docker : List.of("172.16.0.0/12", "192.168.0.0/16")) {
                assertThat(bip.overlaps(Ipv4.parseCidr(docker))).isFalse();
                assertThat(Ipv4.parseCidr(NetworkOptions.userPool(stage)).overlaps(Ipv4.parseCidr(docker))).isFalse();
            }
            assertThat(bip.overlaps(Ipv4.parseCidr(NetworkOptions.userPool(stage)))).isFalse();
            if (stage > 1) {
                assertThat(bip.overlaps(Ipv4.parseCidr(NetworkOptions.defaultBip(stage - 1)))).isFalse();
            }
        }
        assertThat(NetworkOptions.defaultBridge(2)).isEqualTo("rh-stage2");
    }

    @Test
    void portSpecsAreCheckedAsDockerChecksThem() {
        assertThat(PortSpec.containerPort("80/tcp")).isEqualTo(new PortSpec.Port(80, "tcp"));
        assertThat(PortSpec.containerPort("53/udp")).isEqualTo(new PortSpec.Port(53, "udp"));
        assertThatThrownBy(() -> PortSpec.containerPort("80/sctp")).hasMessage("Invalid proto: sctp");
        assertThatThrownBy(() -> PortSpec.containerPort("0")).hasMessage("Invalid containerPort: 0");
        assertThat(PortSpec.hostPorts("")).isNull();
        assertThat(PortSpec.hostPorts("8000-8010")).containsExactly(8000, 8010);
        assertThatThrownBy(() -> PortSpec.hostPorts("70000")).hasMessage("Invalid hostPort: 70000");
        assertThat(PortSpec.hostIp("")).isEqualTo("0.0.0.0");
        assertThatThrownBy(() -> PortSpec.hostIp("1.2.3")).hasMessageStartingWith("Invalid ip address: 1.2.3");
    }

    @Test
    void theNftScriptReplacesTheStagesTableInOneTransaction() {
        String script = new NftRules(1).script(List.of(new NftRules.Bridge("rh-stage1", Ipv4.parseCidr("10.201.1.1/24"))),
                List.of(new NftRules.Publish("tcp", "0.0.0.0", 18080, "10.201.1.2", 80),
                        new NftRules.Publish("udp", "127.0.0.1", 18053, "10.201.1.2", 53)));
        assertThat(script).startsWith("table ip rabbithole-stage1\ndelete table ip rabbithole-stage1\n")
                .contains("    tcp dport 18080 dnat to 10.201.1.2:80\n")
                .contains("    ip daddr 127.0.0.1 udp dport 18053 dnat to 10.201.1.2:53\n")
                .contains("ip saddr 10.201.1.0/24 oifname != \"rh-stage1\" masquerade")
                .contains("ip saddr 127.0.0.0/8 oifname \"rh-stage1\" masquerade");
    }

    @Test
    void dnsFlagsReplaceTheHostsLines() {
        HostConfig hc = new HostConfig(false, 0, 0, 0, 0, 0, null, null, null, null, false, null, null, null, null,
                null, null, null, false, null, null, false, null, List.of("10.9.9.9"), List.of("example.org"),
                List.of("ndots:2"), null);
        String text = NetworkController.resolvText(hc, "search lan\nnameserver 127.0.0.53\nnameserver 192.0.2.1\n"
                + "options edns0\n");
        assertThat(text).isEqualTo("search example.org\nnameserver 10.9.9.9\noptions ndots:2\n");
        HostConfig none = new HostConfig(false, 0, 0, 0, 0, 0, null, null, null, null, false, null, null, null, null,
                null, null, null, false, null, null, false, null, null, null, null, null);
        assertThat(NetworkController.resolvText(none, "nameserver 127.0.0.53\n")).contains("nameserver 8.8.8.8");
    }
}
