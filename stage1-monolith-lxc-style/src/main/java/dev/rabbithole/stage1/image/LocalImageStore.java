package dev.rabbithole.stage1.image;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/** The on-disk image store. Stub: the image helper fills it in. */
public class LocalImageStore implements ImageStore {
    /** @param root the store's directory, {@code DATA_ROOT/image} */
    public LocalImageStore(Path root) { }
    @Override public Image resolve(String reference) { throw new UnsupportedOperationException("TODO"); }
    @Override public List<Image> list() { throw new UnsupportedOperationException("TODO"); }
    @Override public List<String> load(InputStream archive) { throw new UnsupportedOperationException("TODO"); }
    @Override public List<String> remove(String reference) { throw new UnsupportedOperationException("TODO"); }
    @Override public List<Path> layerDirs(Image image) { throw new UnsupportedOperationException("TODO"); }
}
