package dev.rabbithole.stage2.libcontainer.cgroups.devices;

import dev.rabbithole.stage2.libcontainer.configs.DeviceRule;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.rabbithole.stage2.libcontainer.configs.DeviceRule.WILDCARD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cgroup v2 device program's decisions, run by {@link EbpfInterpreter} on its bytes. */
public class DeviceFilterTest {
    /** Docker 20.10's rules, as its dockerd wrote them to devices.list on this project's host. */
    public static final List<DeviceRule> DOCKER = List.of(DeviceRule.all(false),
            new DeviceRule('c', WILDCARD, WILDCARD, "m", true), new DeviceRule('b', WILDCARD, WILDCARD, "m", true),
            new DeviceRule('c', 1, 3, "rwm", true), new DeviceRule('c', 1, 5, "rwm", true),
            new DeviceRule('c', 1, 7, "rwm", true), new DeviceRule('c', 1, 8, "rwm", true),
            new DeviceRule('c', 1, 9, "rwm", true), new DeviceRule('c', 5, 0, "rwm", true),
            new DeviceRule('c', 5, 1, "rwm", true), new DeviceRule('c', 5, 2, "rwm", true),
            new DeviceRule('c', 136, WILDCARD, "rwm", true), new DeviceRule('c', 10, 200, "rwm", true));

    static boolean allows(List<DeviceRule> rules, char type, long major, long minor, String access) {
        return EbpfInterpreter.allows(DeviceFilter.compile(rules).toBytes(), type, major, minor, access);
    }

    @Test
    void dockersDefaultsAllowTheStandardNodesAndMknodAndDenyTheRest() {
        for (long[] d : new long[][] {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {136, 0},
                {136, 4095}, {10, 200}}) {
            for (String access : List.of("r", "w", "rw", "m", "rwm")) {
                assertThat(allows(DOCKER, 'c', d[0], d[1], access)).as("c %d:%d %s", d[0], d[1], access).isTrue();
            }
        }
        // fuse, loop-control, a loop block device, the host's disks: mknod yes, open no
        for (Object[] d : new Object[][] {{'c', 10L, 229L}, {'c', 10L, 237L}, {'b', 7L, 0L}, {'b', 8L, 0L},
                {'c', 4L, 1L}, {'c', 1L, 1L}}) {
            char type = (Character) d[0];
            long major = (Long) d[1];
            long minor = (Long) d[2];
            assertThat(allows(DOCKER, type, major, minor, "m")).as("mknod %s %d:%d", type, major, minor).isTrue();
            for (String access : List.of("r", "w", "rw", "rm")) {
                assertThat(allows(DOCKER, type, major, minor, access)).as("%s %d:%d %s", type, major, minor, access)
                        .isFalse();
            }
        }
        assertThat(allows(DOCKER, 'b', 1, 3, "r")).as("the type counts: b 1:3 is not /dev/null").isFalse();
    }

    @Test
    void aDeviceRuleAddsOnlyItsPermissions() {
        List<DeviceRule> rules = new ArrayList<>(DOCKER);
        rules.add(new DeviceRule('c', 10, 229, "r", true));
        assertThat(allows(rules, 'c', 10, 229, "r")).isTrue();
        assertThat(allows(rules, 'c', 10, 229, "w")).isFalse();
        assertThat(allows(rules, 'c', 10, 229, "rw")).as("an O_RDWR open needs both").isFalse();
        assertThat(allows(rules, 'c', 10, 228, "r")).isFalse();
    }

    @Test
    void privilegedAllowsEverything() {
        DeviceFilter.Program p = DeviceFilter.compile(List.of(DeviceRule.all(true)));
        assertThat(p.size()).isEqualTo(8).as("6 loads, r0 = 1, exit");
        assertThat(EbpfInterpreter.allows(p.toBytes(), 'b', 8, 0, "rwm")).isTrue();
        assertThat(EbpfInterpreter.allows(p.toBytes(), 'c', 10, 229, "rw")).isTrue();
    }

    @Test
    void rulesMeanWhatSuccessiveV1WritesMean() {
        // an allow default with a hole: deny read and write of fuse, keep mknod
        List<DeviceRule> denylist = List.of(DeviceRule.all(true), new DeviceRule('c', 10, 229, "rw", false));
        assertThat(allows(denylist, 'c', 10, 229, "r")).isFalse();
        assertThat(allows(denylist, 'c', 10, 229, "rm")).as("one denied bit denies").isFalse();
        assertThat(allows(denylist, 'c', 10, 229, "m")).isTrue();
        assertThat(allows(denylist, 'c', 1, 3, "rw")).isTrue();
        // a later deny takes bits out of an earlier allow
        List<DeviceRule> narrowed = List.of(DeviceRule.all(false), new DeviceRule('c', 1, 3, "rwm", true),
                new DeviceRule('c', 1, 3, "w", false));
        assertThat(allows(narrowed, 'c', 1, 3, "r")).isTrue();
        assertThat(allows(narrowed, 'c', 1, 3, "w")).isFalse();
        // a later "a" forgets what came before
        assertThat(allows(List.of(new DeviceRule('c', 1, 3, "rwm", true), DeviceRule.all(false)), 'c', 1, 3, "r"))
                .isFalse();
        assertThat(DeviceFilter.effective(DOCKER).exceptions()).hasSize(12);
    }

    @Test
    void theProgramDecidesAsTheV1EmulationForRandomRulesAndAccesses() {
        Random random = new Random(42);
        String[] perms = {"r", "w", "m", "rw", "rm", "wm", "rwm"};
        for (int round = 0; round < 300; round++) {
            List<DeviceRule> rules = new ArrayList<>();
            for (int i = random.nextInt(6); i >= 0; i--) {
                rules.add(random.nextInt(8) == 0 ? DeviceRule.all(random.nextBoolean())
                        : new DeviceRule(random.nextBoolean() ? 'c' : 'b', random.nextInt(4) == 0 ? WILDCARD : random.nextInt(3),
                        random.nextInt(4) == 0 ? WILDCARD : random.nextInt(3), perms[random.nextInt(perms.length)],
                        random.nextBoolean()));
            }
            DeviceFilter.Program p = DeviceFilter.compile(rules);
            for (char type : new char[] {'c', 'b'}) {
                for (int major = 0; major < 3; major++) {
                    for (int minor = 0; minor < 3; minor++) {
                        for (String access : perms) {
                            assertThat(EbpfInterpreter.allows(p.toBytes(), type, major, minor, access))
                                    .as("%s: %s %d:%d %s", rules, type, major, minor, access)
                                    .isEqualTo(p.effective().allows(type, major, minor, DeviceFilter.access(access)));
                        }
                    }
                }
            }
        }
    }

    @Test
    void badRulesAreRefused() {
        assertThatThrownBy(() -> DeviceFilter.compile(List.of(new DeviceRule('x', 1, 3, "rwm", true))))
                .hasMessageContaining("type must be a, b or c");
        assertThatThrownBy(() -> DeviceFilter.compile(List.of(new DeviceRule('c', 1, 3, "rwx", true))))
                .hasMessageContaining("permissions must be a combination of r, w, m");
        assertThatThrownBy(() -> DeviceFilter.compile(List.of(DeviceRule.all(false),
                new DeviceRule('c', 1L << 31, 3, "r", true)))).hasMessageContaining("does not fit");
    }

    @Test
    void theDisassemblyReadsAsTheProgram() {
        String text = DeviceFilter.disassemble(DeviceFilter.compile(List.of(DeviceRule.all(false),
                new DeviceRule('c', 1, 3, "rwm", true))));
        assertThat(text.lines()).containsExactly(
                "  0: r2 = *(u32 *)(r1 + 0)", "  1: r3 = r2", "  2: r3 &= 0xffff", "  3: r2 >>= 16",
                "  4: r4 = *(u32 *)(r1 + 4)", "  5: r5 = *(u32 *)(r1 + 8)",
                "  6: if r3 != 2 goto +4", "  7: if r4 != 1 goto +3", "  8: if r5 != 3 goto +2", "  9: r0 = 1",
                " 10: exit", " 11: r0 = 0", " 12: exit");
    }
}
