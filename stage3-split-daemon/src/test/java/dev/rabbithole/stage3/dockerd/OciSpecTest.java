package dev.rabbithole.stage3.dockerd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompProfiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The config.json our dockerd hands containerd, against what Debian's dockerd 20.10 wrote for
 * {@code docker run -m 64m busybox sleep 60} on this machine (its bundle's config.json, read field by field).
 */
class OciSpecTest {

    @TempDir
    Path rootfs;

    Command command(String user, long memory, boolean privileged) throws Exception {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nrabbit:x:1000:1000::/:/bin/sh\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nrabbit:x:1000:\nburrow:x:2000:rabbit\n");
        return new Command("0123456789ab" + "0".repeat(52), rootfs, rootfs.resolve("state"), List.of("sleep", "60"),
                List.of("PATH=/bin"), "", user, "0123456789ab", new Command.Resources(memory, 0, 0, 0),
                Capabilities.DOCKER_DEFAULT, privileged, SeccompProfiles.defaultProfile(), false, false, List.of(),
                List.of(), Command.Stdio.NONE);
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.isTextual() ? n.asText() : n.toString()));
        return out;
    }

    /**
     * Debian's dockerd 20.10 for {@code --read-only -v HOST:/h:ro -v named1:/data --tmpfs /t:size=1m}: the user's
     * mounts after /dev/shm and before the /etc files, which become read-only too; {@code root.readonly}.
     */
    @Test
    void mountsAndReadOnlyAsDocker2010WritesThem() throws Exception {
        Command c = command("", 0, false).withMounts(List.of(
                new dev.rabbithole.stage1.execdriver.Mount("bind", "/srv/h", "/h", List.of("rbind", "ro", "rprivate")),
                new dev.rabbithole.stage1.execdriver.Mount("bind", "/vol/named1/_data", "/data", List.of("rbind")),
                new dev.rabbithole.stage1.execdriver.Mount("tmpfs", "tmpfs", "/t",
                        List.of("noexec", "nosuid", "nodev", "rprivate", "size=1m"))), true);
        ObjectNode spec = OciSpec.of(c, Path.of("/etc-dir"), "rabbithole");
        assertThat(spec.path("root").path("readonly").asBoolean()).isTrue();
        List<String> mounts = new ArrayList<>();
        spec.path("mounts").forEach(m -> mounts.add(m.path("destination").asText() + " " + m.path("type").asText()
                + " " + m.path("source").asText() + " " + texts(m.path("options"))));
        assertThat(mounts.subList(7, mounts.size())).containsExactly(
                "/h bind /srv/h [rbind, ro, rprivate]",
                "/data bind /vol/named1/_data [rbind]",
                "/t tmpfs tmpfs [noexec, nosuid, nodev, rprivate, size=1m]",
                "/etc/resolv.conf bind /etc-dir/resolv.conf [rbind, ro, rprivate]",
                "/etc/hostname bind /etc-dir/hostname [rbind, ro, rprivate]",
                "/etc/hosts bind /etc-dir/hosts [rbind, ro, rprivate]");
    }

    @Test
    void theDefaultsAreDocker2010s() throws Exception {
        ObjectNode spec = OciSpec.of(command("", 64L << 20, false), Path.of("/etc-dir"), "rabbithole");
        assertThat(spec.path("ociVersion").asText()).isEqualTo("1.0.2-dev");
        assertThat(spec.path("root").path("path").asText()).isEqualTo(rootfs.toString());
        JsonNode process = spec.path("process");
        assertThat(texts(process.path("args"))).containsExactly("sleep", "60");
        assertThat(process.path("cwd").asText()).isEqualTo("/");
        assertThat(process.path("user").toString()).isEqualTo("{\"uid\":0,\"gid\":0,\"additionalGids\":[0]}");
        // three sets, not inheritable (Debian's 20.10: CapInh 0); the 14 of Docker's default
        assertThat(process.path("capabilities").fieldNames()).toIterable()
                .containsExactlyInAnyOrder("bounding", "effective", "permitted");
        assertThat(texts(process.path("capabilities").path("bounding"))).hasSize(14).contains("CAP_CHOWN", "CAP_NET_RAW")
                .doesNotContain("CAP_SYS_ADMIN");
        assertThat(process.path("oomScoreAdj").asInt()).isZero();
        assertThat(spec.path("hostname").asText()).isEqualTo("0123456789ab");

        List<String> mounts = new ArrayList<>();
        spec.path("mounts").forEach(m -> mounts.add(m.path("destination").asText() + " " + m.path("type").asText()
                + " " + m.path("source").asText() + " " + texts(m.path("options"))));
        assertThat(mounts).containsExactly(
                "/proc proc proc [nosuid, noexec, nodev]",
                "/dev tmpfs tmpfs [nosuid, strictatime, mode=755, size=65536k]",
                "/dev/pts devpts devpts [nosuid, noexec, newinstance, ptmxmode=0666, mode=0620, gid=5]",
                "/sys sysfs sysfs [nosuid, noexec, nodev, ro]",
                "/sys/fs/cgroup cgroup cgroup [ro, nosuid, noexec, nodev]",
                "/dev/mqueue mqueue mqueue [nosuid, noexec, nodev]",
                "/dev/shm tmpfs shm [nosuid, noexec, nodev, mode=1777, size=67108864]",
                "/etc/resolv.conf bind /etc-dir/resolv.conf [rbind, rprivate]",
                "/etc/hostname bind /etc-dir/hostname [rbind, rprivate]",
                "/etc/hosts bind /etc-dir/hosts [rbind, rprivate]");

        JsonNode linux = spec.path("linux");
        assertThat(linux.path("cgroupsPath").asText()).isEqualTo("/rabbithole/0123456789ab" + "0".repeat(52));
        assertThat(texts(linux.path("maskedPaths"))).containsExactly("/proc/asound", "/proc/acpi", "/proc/kcore",
                "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                "/proc/scsi", "/sys/firmware");
        assertThat(texts(linux.path("readonlyPaths"))).containsExactly("/proc/bus", "/proc/fs", "/proc/irq",
                "/proc/sys", "/proc/sysrq-trigger");
        assertThat(linux.path("sysctl").toString()).isEqualTo(
                "{\"net.ipv4.ip_unprivileged_port_start\":\"0\",\"net.ipv4.ping_group_range\":\"0 2147483647\"}");
        assertThat(texts(linux.path("resources").path("devices"))).containsExactly(
                "{\"allow\":false,\"access\":\"rwm\"}",
                "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"rwm\"}",
                "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}",
                "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":9,\"access\":\"rwm\"}",
                "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":8,\"access\":\"rwm\"}",
                "{\"allow\":true,\"type\":\"c\",\"major\":5,\"minor\":0,\"access\":\"rwm\"}",
                "{\"allow\":true,\"type\":\"c\",\"major\":5,\"minor\":1,\"access\":\"rwm\"}",
                "{\"allow\":false,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rwm\"}");
        assertThat(linux.path("resources").path("memory").toString()).isEqualTo("{\"limit\":67108864,\"swap\":134217728}");
        List<String> ns = new ArrayList<>();
        linux.path("namespaces").forEach(n -> ns.add(n.path("type").asText()));
        assertThat(ns).startsWith("mount", "network", "uts", "pid", "ipc");

        JsonNode seccomp = linux.path("seccomp");
        assertThat(seccomp.path("defaultAction").asText()).isEqualTo("SCMP_ACT_ERRNO");
        List<String> allowed = new ArrayList<>();
        seccomp.path("syscalls").forEach(r -> {
            if (r.path("action").asText().equals("SCMP_ACT_ALLOW") && !r.has("args")) {
                allowed.addAll(texts(r.path("names")));
            }
        });
        assertThat(allowed).contains("read", "write", "execve").doesNotContain("mount", "unshare", "setns", "bpf");
    }

    @Test
    void userGroupsAndPrivilege() throws Exception {
        JsonNode user = OciSpec.of(command("rabbit", 0, false), Path.of("/e"), "p").path("process").path("user");
        assertThat(user.toString()).isEqualTo("{\"uid\":1000,\"gid\":1000,\"additionalGids\":[1000,2000]}");
        ObjectNode privileged = OciSpec.of(command("", 0, true), Path.of("/e"), "p");
        assertThat(privileged.path("linux").has("seccomp")).isFalse();
        assertThat(privileged.path("linux").has("maskedPaths")).isFalse();
        assertThat(texts(privileged.path("process").path("capabilities").path("effective")))
                .hasSize(OciSpec.allCapabilities().size()).contains("CAP_SYS_ADMIN");
        assertThat(texts(privileged.path("linux").path("resources").path("devices")))
                .containsExactly("{\"allow\":true,\"access\":\"rwm\"}");
        assertThat(privileged.path("linux").path("resources").has("memory")).isFalse();
    }

    @Test
    void badInputIsRefusedWithDockersMessage() throws Exception {
        assertThatThrownBy(() -> OciSpec.of(command("nobody", 0, false), Path.of("/e"), "p"))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessage("unable to find user nobody: no matching entries in passwd file");
    }

    @Test
    void theDefaultRuntimeIsOurShimOnceInstalled(@TempDir Path bin) throws Exception {
        assertThat(DockerdMain.defaultRuntime(bin.toString())).isEqualTo("io.containerd.runc.v2");
        assertThat(DockerdMain.defaultRuntimeBinary(bin.toString())).isEqualTo("runc");
        for (String name : List.of("containerd-shim-rabbithole-v2", "rabbithole-runc")) {
            Path p = Files.writeString(bin.resolve(name), "#!/bin/sh\n");
            p.toFile().setExecutable(true);
        }
        assertThat(DockerdMain.defaultRuntime("/nonexistent:" + bin)).isEqualTo("io.containerd.rabbithole.v2");
        assertThat(DockerdMain.defaultRuntimeBinary(bin.toString())).isEqualTo(bin.resolve("rabbithole-runc").toString());
    }
}
