package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code run --device HOST[:CONTAINER][:PERMISSIONS]} as the docker CLI parses it into one entry of
 * {@code HostConfig.Devices}: the container path defaults to the host path, the permissions to {@code rwm};
 * a second field of only r, w, m letters is the permissions.
 */
final class DeviceFlag {
    private DeviceFlag() { }

    /**
     * @param spec the flag's value, e.g. {@code /dev/fuse} or {@code /dev/sda:/dev/xvda:r}
     * @return {@code {"PathOnHost", "PathInContainer", "CgroupPermissions"}}
     * @throws IllegalArgumentException docker's messages: {@code invalid device specification: SPEC},
     *         {@code PATH is not an absolute path}, {@code bad mode specified: MODE}
     */
    static ObjectNode parse(String spec) {
        String[] f = spec.split(":", -1);
        String src = f[0];
        String dst = src;
        String perms = "rwm";
        switch (f.length) {
            case 1 -> { }
            case 2 -> {
                if (isMode(f[1])) {
                    perms = f[1];
                } else {
                    dst = f[1];
                }
            }
            case 3 -> {
                dst = f[1];
                perms = f[2];
            }
            default -> throw new IllegalArgumentException("invalid device specification: " + spec);
        }
        if (src.isEmpty()) {
            throw new IllegalArgumentException("invalid device specification: " + spec);
        }
        if (!dst.startsWith("/")) {
            throw new IllegalArgumentException(dst + " is not an absolute path");
        }
        if (!isMode(perms)) {
            throw new IllegalArgumentException("bad mode specified: " + perms);
        }
        ObjectNode d = EngineClient.JSON.createObjectNode();
        d.put("PathOnHost", src);
        d.put("PathInContainer", dst);
        d.put("CgroupPermissions", perms);
        return d;
    }

    private static boolean isMode(String s) {
        return !s.isEmpty() && s.length() <= 3 && s.chars().allMatch(c -> c == 'r' || c == 'w' || c == 'm')
                && s.chars().distinct().count() == s.length();
    }
}
