package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.GroupsImage;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 7, items 2 and 3, through the real docker CLI: Docker's default seccomp
 * profile decided for the container's capabilities ({@code --cap-add SYS_ADMIN} allows unshare and setns), and
 * the supplementary groups of {@code /etc/group} and {@code --group-add}.
 * The expected outputs are what Debian's dockerd 20.10.24 printed for the same commands on the same busybox and
 * {@link GroupsImage} root filesystems.
 *
 * <p>The cases, shared with stage 3 through this module's test jar; a subclass starts the daemon, loads
 * {@code GroupsImage} and sets {@link #cli}.
 */
public abstract class SecurityLikeDockerCases {

    /** Set by the subclass's {@code @BeforeAll} once its daemon answers. */
    protected static DockerCli cli;

    // --- seccomp: Docker's default profile decides unshare, setns, ... by capability ---

    @Test
    public void unshareAndSetnsAreRefusedWithoutSysAdmin() throws Exception {
        // from inside: the default container tries to leave its namespaces and gets EPERM from seccomp
        var unshare = cli.docker("run", "--rm", "busybox", "unshare", "-u", "true");
        assertThat(unshare.exit()).as(unshare.toString()).isEqualTo(1);
        assertThat(unshare.err()).as(unshare.toString()).contains("Operation not permitted");
        var mountNs = cli.docker("run", "--rm", "busybox", "unshare", "-m", "true");
        assertThat(mountNs.exit()).as(mountNs.toString()).isEqualTo(1);
        var status = cli.docker("run", "--rm", "busybox", "grep", "Seccomp:", "/proc/self/status");
        assertThat(status.out()).as(status.toString()).contains("Seccomp:\t2");
    }

    @Test
    public void unshareAndSetnsWorkWithCapAddSysAdmin() throws Exception {
        var unshare = cli.docker("run", "--rm", "--cap-add", "SYS_ADMIN", "busybox", "unshare", "-u", "true");
        assertThat(unshare.exit()).as(unshare.toString()).isZero();
        var setns = cli.docker("run", "--rm", "--cap-add", "SYS_ADMIN", "busybox",
                "nsenter", "--uts=/proc/self/ns/uts", "true");
        assertThat(setns.exit()).as(setns.toString()).isZero();
        // the filter is still there: only the conditional rules changed
        var status = cli.docker("run", "--rm", "--cap-add", "SYS_ADMIN", "busybox",
                "grep", "Seccomp:", "/proc/self/status");
        assertThat(status.out()).as(status.toString()).contains("Seccomp:\t2");
        // and a syscall outside Docker's profile still fails with EPERM (unconfined: the kernel's ENOENT)
        var swapoff = cli.docker("run", "--rm", "--cap-add", "SYS_ADMIN", "busybox", "swapoff", "/nonexistent");
        assertThat(swapoff.err()).as(swapoff.toString()).contains("Operation not permitted");
    }

    // --- supplementary groups, as Docker sets them ---

    @Test
    public void idShowsTheGroupsDockerSets() throws Exception {
        assertThat(id("busybox")).isEqualTo("uid=0(root) gid=0(root) groups=0(root)");
        var status = cli.docker("run", "--rm", "busybox", "grep", "Groups:", "/proc/self/status");
        assertThat(status.out().strip()).as(status.toString()).isEqualTo("Groups:\t0");
        assertThat(id("-u", "nobody", "busybox")).isEqualTo("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)");
        assertThat(id("--group-add", "65534", "--group-add", "root", "busybox"))
                .isEqualTo("uid=0(root) gid=0(root) groups=0(root),65534(nogroup)");
    }

    @Test
    public void groupsOfTheImagesEtcGroup() throws Exception {
        assertThat(id(GroupsImage.NAME)).isEqualTo("uid=0(root) gid=0(root) groups=0(root),10(wheel)");
        assertThat(id("-u", "alice", GroupsImage.NAME))
                .isEqualTo("uid=1000(alice) gid=1000(alice) groups=10(wheel),50(staff),1000(alice)");
        assertThat(id("-u", "1000", GroupsImage.NAME))
                .isEqualTo("uid=1000(alice) gid=1000(alice) groups=10(wheel),50(staff),1000(alice)");
        assertThat(id("-u", "alice:staff", GroupsImage.NAME)).isEqualTo("uid=1000(alice) gid=50(staff) groups=50(staff)");
        assertThat(id("-u", "1000:1000", GroupsImage.NAME)).isEqualTo("uid=1000(alice) gid=1000(alice) groups=1000(alice)");
        assertThat(id("-u", "2000", GroupsImage.NAME)).isEqualTo("uid=2000 gid=0(root) groups=0(root)");
        assertThat(id("-u", "alice", "--group-add", "staff", "--group-add", "777", GroupsImage.NAME))
                .isEqualTo("uid=1000(alice) gid=1000(alice) groups=10(wheel),50(staff),777,1000(alice)");
    }

    @Test
    public void anUnknownGroupIsRefusedAsDockerRefusesIt() throws Exception {
        var r = cli.docker("run", "--rm", "--group-add", "nosuch", GroupsImage.NAME, "id");
        assertThat(r.exit()).as(r.toString()).isEqualTo(125);
        assertThat(r.err()).as(r.toString()).contains("Unable to find group nosuch: no matching entries in group file");
        var range = cli.docker("run", "--rm", "--group-add", "99999999999", GroupsImage.NAME, "id");
        assertThat(range.exit()).as(range.toString()).isEqualTo(125);
        assertThat(range.err()).as(range.toString()).contains("uids and gids must be in range 0-2147483647");
    }

    private static String id(String... runArgs) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--rm"));
        args.addAll(List.of(runArgs));
        args.add("id");
        var r = cli.docker(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.out().strip();
    }
}
