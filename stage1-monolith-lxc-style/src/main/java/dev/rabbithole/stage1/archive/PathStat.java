package dev.rabbithole.stage1.archive;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * What {@code HEAD /containers/{id}/archive} reports in its {@code X-Docker-Container-Path-Stat} header (Engine API
 * 1.41, {@code ContainerPathStat}): base64 of {@code {"name","size","mode","mtime","linkTarget"}}.
 *
 * @param name       the last element of the requested path ({@code /} for the root, {@code .} for {@code dir/.})
 * @param size       bytes (a symlink: the length of its target)
 * @param mode       Go's {@code os.FileMode}: permission bits plus type bits ({@link #goMode})
 * @param mtime      the modification time
 * @param linkTarget for a symlink, its target fully resolved inside the container's root, absolute; else empty
 */
public record PathStat(String name, long size, long mode, Instant mtime, String linkTarget) {

    /** The header's name. */
    public static final String HEADER = "X-Docker-Container-Path-Stat";

    /** Go's os.FileMode type bits (Go's io/fs): dir, symlink, device, pipe, socket, setuid, setgid, char device, sticky. */
    static final long MODE_DIR = 1L << 31, MODE_SYMLINK = 1L << 27, MODE_DEVICE = 1L << 26, MODE_PIPE = 1L << 25,
            MODE_SOCKET = 1L << 24, MODE_SETUID = 1L << 23, MODE_SETGID = 1L << 22, MODE_CHAR = 1L << 21,
            MODE_STICKY = 1L << 20;

    /** @return true when {@link #mode} says directory */
    public boolean isDir() { return (mode & MODE_DIR) != 0; }

    /** @return true when {@link #mode} says symlink */
    public boolean isSymlink() { return (mode & MODE_SYMLINK) != 0; }

    /** @return true for a regular file (no type bit set) */
    public boolean isRegular() { return (mode & (MODE_DIR | MODE_SYMLINK | MODE_DEVICE | MODE_PIPE | MODE_SOCKET | MODE_CHAR)) == 0; }

    /** Converts a stat(2) {@code st_mode} to Go's os.FileMode, as Go's {@code os.Lstat} does. */
    static long goMode(int st) {
        long m = st & 0777;
        switch (st & Libc.S_IFMT) {
            case Libc.S_IFDIR -> m |= MODE_DIR;
            case Libc.S_IFLNK -> m |= MODE_SYMLINK;
            case Libc.S_IFBLK -> m |= MODE_DEVICE;
            case Libc.S_IFCHR -> m |= MODE_DEVICE | MODE_CHAR;
            case Libc.S_IFIFO -> m |= MODE_PIPE;
            case Libc.S_IFSOCK -> m |= MODE_SOCKET;
            default -> { }
        }
        if ((st & 04000) != 0) m |= MODE_SETUID;
        if ((st & 02000) != 0) m |= MODE_SETGID;
        if ((st & 01000) != 0) m |= MODE_STICKY;
        return m;
    }

    /** @return the header value: base64 (standard alphabet) of the JSON, mtime as RFC 3339 with nanoseconds */
    public String header(ObjectMapper json) {
        ObjectNode n = json.createObjectNode();
        n.put("name", name).put("size", size).put("mode", mode).put("mtime", mtime.toString()).put("linkTarget", linkTarget);
        return Base64.getEncoder().encodeToString(n.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads a header value back (our client's {@code cp}).
     *
     * @throws IllegalArgumentException not base64 of such a JSON object
     */
    public static PathStat parse(ObjectMapper json, String header) {
        try {
            var n = json.readTree(Base64.getDecoder().decode(header));
            return new PathStat(n.path("name").asText(), n.path("size").asLong(), n.path("mode").asLong(),
                    Instant.parse(n.path("mtime").asText("1970-01-01T00:00:00Z")), n.path("linkTarget").asText(""));
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("bad " + HEADER + " header: " + e.getMessage(), e);
        }
    }
}
