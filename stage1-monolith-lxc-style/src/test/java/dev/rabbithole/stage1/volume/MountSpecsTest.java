package dev.rabbithole.stage1.volume;

import dev.rabbithole.stage1.daemon.HostConfig;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.execdriver.Mount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parsing of -v, --mount, --tmpfs and the volume store, with dockerd 20.10's messages. */
class MountSpecsTest {

    @TempDir
    Path dir;

    private static HostConfig hc(List<String> binds, List<HostConfig.Mount> mounts, Map<String, String> tmpfs,
                                 List<String> volumesFrom) {
        return new HostConfig(false, 0, 0, 0, 0, 0, null, null, null, null, false, null, null, null, null,
                binds, mounts, tmpfs, false, volumesFrom, null, false, null, null, null, null, null);
    }

    @Test
    void bindsAsDockerParsesThem() {
        MountPoint ro = MountSpecs.bind("/srv/x:/data:ro");
        assertThat(ro).extracting(MountPoint::type, MountPoint::source, MountPoint::destination, MountPoint::mode,
                MountPoint::rw, MountPoint::propagation).containsExactly("bind", "/srv/x", "/data", "ro", false,
                "rprivate");
        assertThat(MountSpecs.bind("/srv/x:/data:ro,rslave").propagation()).isEqualTo("rslave");
        MountPoint named = MountSpecs.bind("vol:/data");
        assertThat(named).extracting(MountPoint::type, MountPoint::name, MountPoint::mode, MountPoint::anonymous,
                MountPoint::copyData).containsExactly("volume", "vol", "z", false, true);
        assertThat(MountSpecs.bind("vol:/data:nocopy").copyData()).isFalse();
        MountPoint anon = MountSpecs.bind("/anon:ro");
        assertThat(anon).extracting(MountPoint::type, MountPoint::destination, MountPoint::rw, MountPoint::anonymous)
                .containsExactly("volume", "/anon", false, true);
    }

    @Test
    void badBindsGetDockersMessages() {
        assertThatThrownBy(() -> MountSpecs.bind("vol:relative")).isInstanceOf(InvalidParameterException.class)
                .hasMessage("invalid volume specification: 'vol:relative': invalid mount config for type \"volume\":"
                        + " invalid mount path: 'relative' mount path must be absolute");
        assertThatThrownBy(() -> MountSpecs.bind("/a:/b:rw,ro")).hasMessageContaining("invalid mode: rw,ro");
        assertThatThrownBy(() -> MountSpecs.bind("a:b:c:d")).hasMessage("invalid volume specification: 'a:b:c:d'");
        assertThatThrownBy(() -> MountSpecs.bind("/a:/")).hasMessageContaining("destination can't be '/'");
    }

    @Test
    void aMountBindSourceMustExist() {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> MountSpecs.mount(new HostConfig.Mount("bind", missing.toString(), "/x", false, null,
                null, null, null))).isInstanceOf(InvalidParameterException.class)
                .hasMessage("invalid mount config for type \"bind\": bind source path does not exist: " + missing);
        assertThat(missing).doesNotExist();
        MountPoint tmpfs = MountSpecs.mount(new HostConfig.Mount("tmpfs", null, "/t", false, null, null, null,
                new HostConfig.Mount.TmpfsOptions(2_000_000, 01777)));
        assertThat(tmpfs.tmpfsOptions()).isEqualTo("size=2000000,mode=1777");
    }

    @Test
    void planRefusesDuplicatesAndCreatesNothingThen() {
        ContainerMounts m = new ContainerMounts(new VolumeStore(dir.resolve("volumes")));
        assertThatThrownBy(() -> m.plan(hc(List.of("a1:/x", "b1:/x/"), null, null, null), List.of(), n -> List.of()))
                .isInstanceOf(InvalidParameterException.class).hasMessage("Duplicate mount point: /x");
        assertThatThrownBy(() -> m.plan(hc(List.of("/srv:/x"), null, Map.of("/x", ""), null), List.of(),
                n -> List.of())).hasMessage("Duplicate mount point: /x");
        assertThat(m.volumes().list()).isEmpty();
    }

    @Test
    void planOrdersAndShapesTheMounts() throws Exception {
        ContainerMounts m = new ContainerMounts(new VolumeStore(dir.resolve("volumes")));
        Path src = Files.createDirectories(dir.resolve("src"));
        List<MountPoint> points = m.plan(hc(List.of(src + ":/a/b:ro", "named:/a"), null, Map.of("/t", "size=1m"),
                null), List.of("/img", "/a"), n -> List.of());
        assertThat(points).extracting(MountPoint::destination).containsExactly("/a/b", "/a", "/img");
        assertThat(m.volumes().list()).hasSize(2);
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        List<Mount> mounts = m.commandMounts(points, Map.of("/t", "size=1m"), rootfs);
        assertThat(mounts).extracting(Mount::destination).containsExactly("/a", "/img", "/t", "/a/b");
        assertThat(mounts.get(3).options()).containsExactly("rbind", "ro", "rprivate");
        assertThat(mounts.get(0).options()).containsExactly("rbind");
        assertThat(mounts.get(2).options()).containsExactly("noexec", "nosuid", "nodev", "rprivate", "size=1m");
    }

    @Test
    void aVolumeInUseCannotBeRemovedAndPruneKeepsIt() {
        VolumeStore store = new VolumeStore(dir.resolve("volumes"));
        Volume v = store.create("used", Map.of("k", "v"));
        store.create("free", null);
        assertThat(Path.of(v.mountpoint())).isDirectory();
        assertThatThrownBy(() -> store.remove("used", false, n -> n.equals("used") ? List.of("abc") : List.of()))
                .isInstanceOf(ConflictException.class).hasMessage("remove used: volume is in use - [abc]");
        assertThat(store.prune(n -> n.equals("used") ? List.of("abc") : List.of()).names()).containsExactly("free");
        assertThat(store.list()).extracting(Volume::name).containsExactly("used");
        assertThatThrownBy(() -> store.get("free")).isInstanceOf(NotFoundException.class)
                .hasMessage("get free: no such volume");
        assertThatThrownBy(() -> store.create("bad name!", null)).isInstanceOf(InvalidParameterException.class)
                .hasMessageContaining("includes invalid characters for a local volume name");
    }
}
