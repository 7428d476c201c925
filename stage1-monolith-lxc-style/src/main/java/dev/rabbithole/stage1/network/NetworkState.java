package dev.rabbithole.stage1.network;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/**
 * What the daemon remembers of its networks, in {@code DATA_ROOT/network/state.json} (written atomically: a
 * temporary file renamed over it), so that addresses stay allocated and leftovers can be found after a restart.
 *
 * @param networks    every network: the predefined {@code bridge}, {@code host}, {@code none} and user-defined ones
 * @param endpoints   the endpoints of running containers, by container ID
 * @param attachments {@code docker network connect|disconnect} of a stopped container: container ID to the network
 *                    name it uses from its next start (instead of its HostConfig.NetworkMode)
 * @param connected   the further endpoints of running containers ({@code docker network connect}), by container ID;
 *                    null in a state written before
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NetworkState(@JsonProperty("networks") List<NetworkRecord> networks,
                           @JsonProperty("endpoints") Map<String, EndpointRecord> endpoints,
                           @JsonProperty("attachments") Map<String, String> attachments,
                           @JsonProperty("connected") Map<String, List<EndpointRecord>> connected) {

    /**
     * One network.
     *
     * @param id      64 hex characters
     * @param name    {@code bridge}, {@code host}, {@code none} or the user's
     * @param driver  {@code bridge}, {@code host} or {@code null} (Docker's driver names)
     * @param bridge  the Linux bridge's name for a bridge network ({@code rh-stage1}, {@code rh-} + 12 hex), else null
     * @param subnet  the subnet, {@code 10.201.1.0/24}; null for host and none
     * @param gateway the bridge's address, {@code 10.201.1.1}; null for host and none
     * @param created RFC 3339 time
     * @param labels  {@code --label}s
     * @param userGateway whether the user gave the gateway ({@code --gateway}; inspect lists it then)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record NetworkRecord(@JsonProperty("id") String id, @JsonProperty("name") String name,
                                @JsonProperty("driver") String driver, @JsonProperty("bridge") String bridge,
                                @JsonProperty("subnet") String subnet, @JsonProperty("gateway") String gateway,
                                @JsonProperty("created") String created,
                                @JsonProperty("labels") Map<String, String> labels,
                                @JsonProperty("userGateway") boolean userGateway) {
        /** @return whether this is one of {@code bridge}, {@code host}, {@code none} */
        public boolean predefined() {
            return name.equals("bridge") || name.equals("host") || name.equals("none");
        }
    }

    /**
     * A running container's place on a bridge network.
     *
     * @param containerId   64 hex characters
     * @param containerName without the slash
     * @param networkId     the network's ID
     * @param endpointId    64 hex characters
     * @param veth          the host end of its veth pair ({@code veth} + 7 hex characters)
     * @param address       its IPv4 address, dotted
     * @param prefix        the subnet's prefix length
     * @param gateway       the bridge's address, dotted
     * @param mac           {@code 02:42:} + the address's bytes
     * @param hostsFile     the {@code /etc/hosts} the container has bound, rewritten in place when peers come and go
     * @param hostname      the container's hostname
     * @param ports         its published ports
     * @param ifname        the interface's name in the container, {@code eth0}, {@code eth1}...; null means eth0
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record EndpointRecord(@JsonProperty("containerId") String containerId,
                                 @JsonProperty("containerName") String containerName,
                                 @JsonProperty("networkId") String networkId,
                                 @JsonProperty("endpointId") String endpointId,
                                 @JsonProperty("veth") String veth, @JsonProperty("address") String address,
                                 @JsonProperty("prefix") int prefix, @JsonProperty("gateway") String gateway,
                                 @JsonProperty("mac") String mac, @JsonProperty("hostsFile") String hostsFile,
                                 @JsonProperty("hostname") String hostname,
                                 @JsonProperty("ports") List<PortRecord> ports,
                                 @JsonProperty("ifname") String ifname) {
    }

    /**
     * One published port.
     *
     * @param proto         {@code tcp} or {@code udp}
     * @param hostIp        the host address it listens on, {@code 0.0.0.0} for all
     * @param hostPort      1 to 65535
     * @param containerPort 1 to 65535
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PortRecord(@JsonProperty("proto") String proto, @JsonProperty("hostIp") String hostIp,
                             @JsonProperty("hostPort") int hostPort, @JsonProperty("containerPort") int containerPort) {
    }
}
