package dev.rabbithole.stage1.network;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The daemon's networking at its start, over links that only record what they are asked (no host changes). */
class NetworkControllerStartTest {

    @TempDir
    Path dataRoot;

    /** HostLinks that answer from lists and record every call. */
    static final class RecordingLinks implements HostLinks {
        final List<String> routes;
        final List<String> calls = new ArrayList<>();

        RecordingLinks(List<String> routes) {
            this.routes = routes;
        }

        @Override public void ensureBridge(String name, String address, int mtu) { calls.add("bridge " + name); }
        @Override public void delete(String name) { calls.add("delete " + name); }
        @Override public void addVethInto(String bridge, String hostEnd, long pid, String ifname, String address,
                                          String mac, int mtu) { calls.add("veth " + hostEnd + " " + ifname); }
        @Override public boolean exists(String name) { return false; }
        @Override public List<String> names(String prefix) { return List.of(); }
        @Override public List<String> routes() { return routes; }
    }

    @Test
    void aBipOverlappingARouteOfTheHostIsRefusedBeforeAnythingIsMade() {
        RecordingLinks links = new RecordingLinks(List.of("10.201.0.0/16", "192.0.2.0/24"));
        assertThatThrownBy(() -> new NetworkController(dataRoot, NetworkOptions.of("rh-stage1", "10.201.1.1/24", links),
                ref -> { throw new NotFoundException("No such container: " + ref); }, c -> Set.of()))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessage("Error initializing network controller: --bip 10.201.1.1/24 overlaps with the host's route "
                        + "to 10.201.0.0/16: choose another --bip");
        assertThat(links.calls).isEmpty();
        assertThat(dataRoot.resolve("network")).doesNotExist();
    }

    @Test
    void badFlagsAreRefused() {
        assertThatThrownBy(() -> NetworkOptions.of("a-name-far-too-long", null, new RecordingLinks(List.of())))
                .hasMessageStartingWith("invalid --bridge a-name-far-too-long");
        assertThatThrownBy(() -> NetworkOptions.of("rh-x", "10.201.1.0/24", new RecordingLinks(List.of())))
                .hasMessageStartingWith("invalid --bip 10.201.1.0/24");
        assertThat(NetworkOptions.of("none", null, new RecordingLinks(List.of())).enabled()).isFalse();
    }

    @Test
    void withoutABridgeThereAreHostAndNoneOnly() {
        NetworkController c = new NetworkController(dataRoot, NetworkOptions.DISABLED,
                ref -> { throw new NotFoundException("No such container: " + ref); }, x -> Set.of());
        assertThat(c.list()).extracting(NetworkState.NetworkRecord::name).containsExactly("host", "none");
        assertThatThrownBy(() -> c.network("bridge")).hasMessage("network bridge not found");
        assertThatThrownBy(() -> c.create("n1", "bridge", null, null, null)).isInstanceOf(InvalidParameterException.class);
        // the IDs survive a restart
        String hostId = c.network("host").id();
        NetworkController again = new NetworkController(dataRoot, NetworkOptions.DISABLED,
                ref -> { throw new NotFoundException("No such container: " + ref); }, x -> Set.of());
        assertThat(again.network("host").id()).isEqualTo(hostId);
    }
}
