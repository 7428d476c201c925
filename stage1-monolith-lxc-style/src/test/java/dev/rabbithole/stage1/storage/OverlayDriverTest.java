package dev.rabbithole.stage1.storage;

import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.LocalImageStore;
import dev.rabbithole.stage1.image.TestArchives;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A two-layer image whose top layer deletes a file ({@code .wh.gone.txt}) and makes a directory opaque
 * ({@code dir/.wh..wh..opq}), unpacked by the image store and stacked by the storage driver: overlayfs
 * for real, and the vfs copy. Needs root (mknod, trusted xattrs, mount) and setfattr/getfattr.
 */
class OverlayDriverTest {
    private static final String ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private Path base;
    private LocalImageStore store;
    private OverlayDriver driver;

    @BeforeEach
    void setUp() throws IOException {
        Assumptions.assumeTrue(HostCommands.isRoot(), "needs root: whiteouts are device nodes and mounting overlayfs needs CAP_SYS_ADMIN");
        Assumptions.assumeTrue(HostCommands.which("setfattr").isPresent() && HostCommands.which("getfattr").isPresent(),
                "needs setfattr/getfattr for opaque directories: apt-get install attr");
        base = Files.createTempDirectory("rabbithole-overlay-test");
        store = new LocalImageStore(base.resolve("image"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (driver != null) driver.remove(ID);
        if (base != null) FileTrees.deleteRecursively(base);
    }

    private List<Path> twoLayerImage() throws IOException {
        byte[] lower = new TestArchives.Tar()
                .file("stay.txt", "stays")
                .file("gone.txt", "deleted by the upper layer")
                .dir("dir").file("dir/old.txt", "hidden by the opaque dir")
                .build();
        byte[] upper = new TestArchives.Tar()
                .file(".wh.gone.txt", "")
                .dir("dir").file("dir/.wh..wh..opq", "").file("dir/new.txt", "new")
                .build();
        store.load(new ByteArrayInputStream(TestArchives.dockerSave(List.of("test/whiteout:1"), List.of(lower, upper), "sh")));
        Image img = store.resolve("test/whiteout:1");
        List<Path> layers = store.layerDirs(img);

        // the upper layer holds the whiteouts in overlayfs form
        Path wh = layers.get(1).resolve("gone.txt");
        assertThat(Files.readAttributes(wh, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()).isTrue();
        assertThat((Long) Files.getAttribute(wh, "unix:rdev", LinkOption.NOFOLLOW_LINKS)).isZero();
        assertThat(layers.get(1).resolve(".wh.gone.txt")).doesNotExist();
        HostCommands.Result xattr = HostCommands.run("getfattr", "-h", "--only-values", "-n", "trusted.overlay.opaque",
                layers.get(1).resolve("dir").toString());
        assertThat(xattr.stdout()).isEqualTo("y");
        return layers;
    }

    private static void assertMergedView(Path merged) throws IOException {
        assertThat(Files.readString(merged.resolve("stay.txt"))).isEqualTo("stays");
        assertThat(merged.resolve("gone.txt")).doesNotExist();
        assertThat(merged.resolve("dir/old.txt")).doesNotExist();
        assertThat(Files.readString(merged.resolve("dir/new.txt"))).isEqualTo("new");
    }

    @Test
    void overlayMountHonoursWhiteouts() throws IOException {
        List<Path> layers = twoLayerImage();
        driver = new OverlayDriver(base.resolve("overlay2"));
        Path merged = driver.mount(ID, layers);
        Assumptions.assumeTrue(driver.name().equals("overlay2"), "overlayfs cannot be mounted here; the vfs test covers the fallback");
        assertThat(driver.isMounted(ID)).isTrue();
        assertMergedView(merged);

        // writes go to the container's own layer, never to the image's
        Files.writeString(merged.resolve("written.txt"), "by the container");
        Files.delete(merged.resolve("stay.txt"));
        assertThat(base.resolve("overlay2/" + ID + "/diff/written.txt")).exists();
        assertThat(layers.get(0).resolve("stay.txt")).exists();

        assertThat(driver.mount(ID, layers)).isEqualTo(merged);    // idempotent
        assertThat(driver.containerIds()).containsExactly(ID);

        driver.unmount(ID);
        assertThat(driver.isMounted(ID)).isFalse();
        driver.unmount(ID);                                        // not mounted is success
        driver.remove(ID);
        assertThat(base.resolve("overlay2/" + ID)).doesNotExist();
        driver.remove(ID);                                         // already gone is success
        assertThat(driver.containerIds()).isEmpty();
    }

    @Test
    void vfsFallbackCopiesAndAppliesWhiteouts() throws IOException {
        List<Path> layers = twoLayerImage();
        driver = new OverlayDriver(base.resolve("vfs"), false);
        assertThat(driver.name()).isEqualTo("vfs");
        Path merged = driver.mount(ID, layers);
        assertThat(driver.isMounted(ID)).isFalse();
        assertMergedView(merged);
        assertThat(driver.mount(ID, layers)).isEqualTo(merged);
        Files.writeString(merged.resolve("written.txt"), "x");
        assertThat(driver.mount(ID, layers).resolve("written.txt")).exists();   // not copied again
        driver.remove(ID);
        assertThat(base.resolve("vfs/" + ID)).doesNotExist();
    }
}
