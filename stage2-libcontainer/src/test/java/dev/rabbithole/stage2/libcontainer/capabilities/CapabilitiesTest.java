package dev.rabbithole.stage2.libcontainer.capabilities;

import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CapabilitiesTest {

    @Test
    void dockerDefaultMaskIsWhatProcStatusShowsInADockerContainer() {
        assertThat(dev.rabbithole.stage2.execdriver.DockerCapabilities.DEFAULT).hasSize(14);
        assertThat(Capabilities.toHex(Capabilities.mask(dev.rabbithole.stage2.execdriver.DockerCapabilities.DEFAULT))).isEqualTo("00000000a80425fb");
    }

    @Test
    void allCapabilitiesMaskIsFortyOneBits() {
        assertThat(Capabilities.toHex(Capabilities.mask(Capabilities.ALL))).isEqualTo("000001ffffffffff");
    }

    @Test
    void numbersFollowCapabilities7() {
        assertThat(Capability.CHOWN.number).isZero();
        assertThat(Capability.NET_ADMIN.number).isEqualTo(12);
        assertThat(Capability.SYS_ADMIN.number).isEqualTo(21);
        assertThat(Capability.MKNOD.number).isEqualTo(27);
        assertThat(Capability.SETFCAP.number).isEqualTo(31);
        assertThat(Capability.MAC_OVERRIDE.number).isEqualTo(32);
        assertThat(Capability.CHECKPOINT_RESTORE.number).isEqualTo(40);
        for (Capability c : Capability.values()) {
            assertThat(Capability.ofNumber(c.number)).isSameAs(c);
        }
        assertThatThrownBy(() -> Capability.ofNumber(41)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void namesParseWithOrWithoutPrefixInAnyCase() {
        assertThat(Capability.parse("CAP_NET_ADMIN")).isEqualTo(Capability.NET_ADMIN);
        assertThat(Capability.parse("net_admin")).isEqualTo(Capability.NET_ADMIN);
        assertThat(Capability.parse("Cap_Sys_Admin")).isEqualTo(Capability.SYS_ADMIN);
        assertThat(Capability.SYS_ADMIN.capName()).isEqualTo("CAP_SYS_ADMIN");
        assertThatThrownBy(() -> Capability.parse("CAP_FLY")).hasMessageContaining("CAP_FLY");
    }

    @Test
    void maskRoundTrips() {
        for (Set<Capability> set : List.of(dev.rabbithole.stage2.execdriver.DockerCapabilities.DEFAULT, Capabilities.ALL,
                EnumSet.noneOf(Capability.class), EnumSet.of(Capability.CHECKPOINT_RESTORE, Capability.CHOWN))) {
            String hex = Capabilities.toHex(Capabilities.mask(set));
            assertThat(Capabilities.fromMask(Capabilities.parseHex(hex))).isEqualTo(set);
        }
        assertThat(Capabilities.parseHex("000001ffffffffff")).isEqualTo((1L << 41) - 1);
    }

    @Test
    void planForDockerDefaultDropsTheRestFromBoundingAndSplitsCapsetWords() {
        Set<String> names = Set.of("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
                "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE");
        CapabilityPlan plan = CapabilityPlan.of(CapabilitySet.of(names), 40);

        assertThat(plan.boundingDrops()).hasSize(41 - 14)
                .allSatisfy(c -> assertThat(c.option()).isEqualTo(CapabilityPlan.PR_CAPBSET_DROP));
        assertThat(plan.boundingDrops()).extracting(CapabilityPlan.PrctlCall::arg2)
                .contains(2L, 12L, 21L, 40L).doesNotContain(0L, 8L, 31L);
        assertThat(plan.boundingHex()).isEqualTo("00000000a80425fb");
        assertThat(plan.effectiveHex()).isEqualTo("00000000a80425fb");

        CapabilityPlan.Capset capset = plan.capset();
        assertThat(capset.version()).isEqualTo(0x20080522);
        assertThat(capset.pid()).isZero();
        assertThat(capset.dataWords()).containsExactly(0xa80425fb, 0xa80425fb, 0, 0, 0, 0);
        ByteBuffer data = ByteBuffer.wrap(capset.dataBytes()).order(ByteOrder.nativeOrder());
        assertThat(data.getInt(0)).isEqualTo(0xa80425fb);
        assertThat(capset.headerBytes()).hasSize(8);
        assertThat(ByteBuffer.wrap(capset.headerBytes()).order(ByteOrder.nativeOrder()).getInt(0))
                .isEqualTo(0x20080522);
        assertThat(plan.ambientRaises()).isEmpty();
    }

    @Test
    void highCapabilitiesGoToTheSecondDataStructAndAmbientRaisesAreListed() {
        CapabilitySet set = new CapabilitySet(Set.of("CAP_BPF", "CHOWN"), Set.of("BPF"), Set.of("BPF", "CHOWN"),
                Set.of("BPF"), Set.of("bpf"));
        CapabilityPlan plan = CapabilityPlan.of(set, 40);
        CapabilityPlan.Capset capset = plan.capset();
        assertThat(capset.low()).isEqualTo(new CapabilityPlan.CapData(0, 1, 0));
        int bpfHigh = 1 << (39 - 32);
        assertThat(capset.high()).isEqualTo(new CapabilityPlan.CapData(bpfHigh, bpfHigh, bpfHigh));
        assertThat(plan.ambientRaises()).containsExactly(
                new CapabilityPlan.PrctlCall(CapabilityPlan.PR_CAP_AMBIENT, CapabilityPlan.PR_CAP_AMBIENT_RAISE, 39));
        assertThat(plan.boundingDrops()).hasSize(39);
    }

    @Test
    void boundingDropsStopAtTheKernelsLastCap() {
        CapabilityPlan plan = CapabilityPlan.of(CapabilitySet.of(Set.of()), 37);
        assertThat(plan.boundingDrops()).hasSize(38);
        assertThat(plan.boundingDrops().get(37).arg2()).isEqualTo(37L);
    }

    @Test
    void kernelLastCapMatchesProcWhereItExists() throws Exception {
        Path p = Path.of("/proc/sys/kernel/cap_last_cap");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(p), "no /proc/sys/kernel/cap_last_cap");
        assertThat(Capabilities.kernelLastCap()).isBetween(36, 63);
    }

    @Test
    void unknownNameInConfigIsRejected() {
        assertThatThrownBy(() -> CapabilityPlan.of(CapabilitySet.of(Set.of("NOPE")), 40))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NOPE");
    }
}
