package dev.rabbithole.stage1.storage;

import java.nio.file.Path;
import java.util.List;

/** overlayfs storage driver. Stub: the image helper fills it in. */
public class OverlayDriver implements StorageDriver {
    /** @param root the driver's directory, {@code DATA_ROOT/overlay2} */
    public OverlayDriver(Path root) { }
    @Override public String name() { return "overlay2"; }
    @Override public Path mount(String containerId, List<Path> layers) { throw new UnsupportedOperationException("TODO"); }
    @Override public void unmount(String containerId) { throw new UnsupportedOperationException("TODO"); }
    @Override public void remove(String containerId) { throw new UnsupportedOperationException("TODO"); }
}
