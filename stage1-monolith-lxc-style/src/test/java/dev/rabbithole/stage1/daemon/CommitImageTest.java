package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;
import dev.rabbithole.stage1.image.LocalImageStore;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Daemon#commitImage}, the builder's layerless commit, on a real {@link LocalImageStore}: the parent's layers,
 * the given config with the changes, one {@code empty_layer} history entry, the parent kept, the tag set; and
 * {@link Daemon#history} over it. Needs busybox-static (the store builds its busybox from it).
 */
class CommitImageTest {

    @TempDir
    Path root;

    @Test
    void aMetadataStepAddsAHistoryEntryAndNoLayer() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing");
        LocalImageStore store = new LocalImageStore(root.resolve("image"));
        try (Daemon daemon = new Daemon(root, store, new FakeStorageDriver(root.resolve("rootfs")),
                new ScriptedExecDriver(), new FakeSecurity())) {
            Image busybox = store.resolve("busybox");
            ImageConfig.Defaults config = new ImageConfig.Defaults(null, List.of("PATH=/bin"), null, List.of("sh"),
                    "/app", null, null);
            String id = daemon.commitImage("busybox", new CommitOptions("built:1", null, null, List.of("ENV A=1"),
                    config, "/bin/sh -c #(nop)  ENV A=1", false));

            Image built = store.resolve("built:1");
            assertThat(built.id()).isEqualTo(id);
            assertThat(built.layerDigests()).isEqualTo(busybox.layerDigests());
            assertThat(built.config().rootfs().diffIds()).isEqualTo(busybox.config().rootfs().diffIds());
            assertThat(built.config().config().env()).containsExactly("PATH=/bin", "A=1");
            assertThat(built.config().config().workingDir()).isEqualTo("/app");
            assertThat(built.config().history()).hasSize(2);
            assertThat(built.config().history().get(1).isEmptyLayer()).isTrue();
            assertThat(store.parent(id)).contains(busybox.id());

            var history = daemon.history("built:1");
            assertThat(history).extracting(ImageCommitter.HistoryItem::id).containsExactly(id, busybox.id());
            assertThat(history.get(0).createdBy()).isEqualTo("/bin/sh -c #(nop)  ENV A=1");
            assertThat(history.get(0).size()).isZero();
            assertThat(history.get(0).tags()).containsExactly("built:1");
            assertThat(history.get(1).comment()).isEqualTo("Imported from -");
            assertThat(history.get(1).size()).isEqualTo(busybox.size());
        }
    }
}
