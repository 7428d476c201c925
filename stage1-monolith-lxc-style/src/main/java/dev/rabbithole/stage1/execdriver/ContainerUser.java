package dev.rabbithole.stage1.execdriver;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The uid and gid a container's process runs as, resolved as {@code docker run -u} does against the
 * rootfs's {@code /etc/passwd} and {@code /etc/group} (passwd(5), group(5); moby's
 * {@code user.GetExecUser}): {@code uid[:gid]} or {@code name[:group]}; a numeric uid that has a passwd
 * entry takes that entry's gid, one without takes gid 0; empty means root.
 *
 * @param uid user ID inside the container
 * @param gid primary group ID inside the container
 */
public record ContainerUser(long uid, long gid) {

    /** root, 0:0. */
    public static final ContainerUser ROOT = new ContainerUser(0, 0);

    /**
     * Resolves a user specification.
     *
     * @param rootfs the container's root filesystem (its {@code etc/passwd} and {@code etc/group} are read)
     * @param user   {@code ""}, {@code uid}, {@code uid:gid}, {@code name}, {@code name:group}, ...
     * @throws InvalidParameterException a name with no passwd entry
     *         ({@code unable to find user NAME: no matching entries in passwd file}) or a group name with no
     *         group entry ({@code unable to find group NAME: no matching entries in group file})
     */
    public static ContainerUser resolve(Path rootfs, String user) {
        if (user == null || user.isEmpty()) {
            return ROOT;
        }
        String[] parts = user.split(":", 2);
        String u = parts[0];
        Optional<String[]> entry = lookup(rootfs.resolve("etc/passwd"), u);
        long uid;
        long gid;
        if (isNumeric(u)) {
            uid = Long.parseLong(u);
            gid = entry.map(e -> Long.parseLong(e[3])).orElse(0L);
        } else {
            String[] e = entry.orElseThrow(() -> new InvalidParameterException(
                    "unable to find user " + u + ": no matching entries in passwd file"));
            uid = Long.parseLong(e[2]);
            gid = Long.parseLong(e[3]);
        }
        if (parts.length == 2 && !parts[1].isEmpty()) {
            String g = parts[1];
            if (isNumeric(g)) {
                gid = Long.parseLong(g);
            } else {
                gid = Long.parseLong(lookup(rootfs.resolve("etc/group"), g).orElseThrow(() ->
                        new InvalidParameterException("unable to find group " + g
                                + ": no matching entries in group file"))[2]);
            }
        }
        return new ContainerUser(uid, gid);
    }

    /** The highest uid or gid Docker accepts (runc's {@code user} package: 2^31 - 1). */
    public static final long MAX_ID = Integer.MAX_VALUE;

    // tag::supplementary-groups[]
    /**
     * The supplementary groups of the container's process, as Docker 20.10 computes them (moby's
     * {@code daemon.getUser}, runc's {@code user.GetExecUser} and {@code GetAdditionalGroups}): the primary
     * group first; then, when {@code user} names no group, every group of the rootfs's {@code /etc/group}
     * (group(5)) whose member list holds the user's passwd name (found by name or by uid; root for an empty
     * user); then the {@code --group-add} entries, each a group name or gid of {@code /etc/group}, or any
     * numeric gid. Each gid appears once.
     *
     * @param rootfs   the container's root filesystem (its {@code etc/passwd} and {@code etc/group} are read,
     *                 never through a symlink)
     * @param user     {@code ""}, {@code uid}, {@code uid:gid}, {@code name}, {@code name:group}, ...
     * @param groupAdd {@code --group-add} values (HostConfig.GroupAdd); may be null
     * @return gids in the order found, primary group first; what setgroups(2) gets
     * @throws InvalidParameterException the user or group does not resolve (see {@link #resolve}), a
     *         {@code --group-add} name that is not in {@code /etc/group}
     *         ({@code Unable to find group NAME: no matching entries in group file}), or a gid outside 0..2^31-1
     *         ({@code uids and gids must be in range 0-2147483647})
     */
    public static List<Long> supplementaryGroups(Path rootfs, String user, List<String> groupAdd) {
        ContainerUser resolved = resolve(rootfs, user);
        java.util.LinkedHashSet<Long> gids = new java.util.LinkedHashSet<>();
        gids.add(resolved.gid());
        String spec = user == null ? "" : user;
        String[] parts = spec.split(":", 2);
        boolean groupGiven = parts.length == 2 && !parts[1].isEmpty();
        List<String[]> groups = entries(rootfs.resolve("etc/group"), false);
        if (!groupGiven) {
            String u = parts[0].isEmpty() ? "0" : parts[0];
            Optional<String[]> passwd = lookup(rootfs.resolve("etc/passwd"), u);
            if (passwd.isPresent()) {
                String name = passwd.get()[0];
                for (String[] g : groups) {
                    if (g.length > 3 && List.of(g[3].split(",")).contains(name)) {
                        gids.add(Long.parseLong(g[2]));
                    }
                }
            }
        }
        for (String add : groupAdd == null ? List.<String>of() : groupAdd) {
            Optional<String[]> match = groups.stream().filter(g -> g[0].equals(add) || g[2].equals(add)).findFirst();
            long gid;
            if (match.isPresent()) {
                gid = Long.parseLong(match.get()[2]);
            } else {
                gid = parseInt64(add).orElseThrow(() -> new InvalidParameterException("Unable to find group "
                        + add + ": no matching entries in group file"));
            }
            if (gid < 0 || gid > MAX_ID) {
                throw new InvalidParameterException("uids and gids must be in range 0-" + MAX_ID);
            }
            gids.add(gid);
        }
        return List.copyOf(gids);
    }
    // end::supplementary-groups[]

    /**
     * The user's home directory as Docker sets {@code HOME} when the environment has none: the passwd(5) entry's
     * sixth field for the user ({@code /root} for root in most images), {@code /} when the user has no entry or
     * the entry no home (moby's {@code user.GetExecUser} default).
     *
     * @param rootfs the container's root filesystem (its {@code etc/passwd} is read, never through a symlink)
     * @param user   {@code ""} (root), {@code uid[:gid]} or {@code name[:group]}
     * @return an absolute path inside the container
     */
    public static String home(Path rootfs, String user) {
        String u = user == null || user.isEmpty() ? "0" : user.split(":", 2)[0];
        if (u.isEmpty()) {
            u = "0";
        }
        return lookup(rootfs.resolve("etc/passwd"), u)
                .map(e -> e.length > 5 && e[5].startsWith("/") ? e[5] : "/")
                .orElse("/");
    }

    /**
     * A {@code --group-add} value as Go's {@code strconv.ParseInt(s, 10, 64)} reads it, which is what Docker's
     * lookup falls back to: an optional {@code +} or {@code -}, then decimal digits, within a signed 64-bit
     * range ({@code +5} is gid 5; {@code -1} is a number, out of the gid range; 20 digits are no number).
     */
    private static Optional<Long> parseInt64(String s) {
        String digits = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
        if (!isNumeric(digits)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(s));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean isNumeric(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    /** The colon-separated fields of the line whose name (field 0) or numeric ID (field 2) is {@code key}. */
    private static Optional<String[]> lookup(Path file, String key) {
        boolean byId = isNumeric(key);
        for (String[] f : entries(file, file.endsWith("passwd"))) {
            if (byId ? f[2].equals(key) : f[0].equals(key)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** The well-formed entries of a passwd(5) or group(5) file, each as its colon-separated fields. */
    private static List<String[]> entries(Path file, boolean passwd) {
        // an absolute symlink in an image would point at the host's file: read only regular files
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of();
        }
        List<String[]> out = new java.util.ArrayList<>();
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(":", -1);
            if (f.length < (passwd ? 4 : 3) || !isNumeric(f[2]) || (passwd && !isNumeric(f[3]))) {
                continue;
            }
            out.add(f);
        }
        return out;
    }
}
