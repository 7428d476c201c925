package dev.rabbithole.stage2.libcontainer.configs;

/**
 * One rule of the devices cgroup: which device numbers the container may mknod, read or write. What a line of
 * cgroup v1's {@code devices.allow} / {@code devices.deny} says, and the runtime-spec's
 * {@code linux.resources.devices[]} entry (config-linux.md, "Device allowlist").
 *
 * @param type        {@code 'a'} (all devices: every type, number and access), {@code 'c'} (character) or
 *                    {@code 'b'} (block)
 * @param major       device major number, or {@link #WILDCARD} for any
 * @param minor       device minor number, or {@link #WILDCARD} for any
 * @param permissions a non-empty combination of {@code r} (read), {@code w} (write), {@code m} (mknod)
 * @param allow       true to allow what the rule names, false to deny it
 */
public record DeviceRule(char type, long major, long minor, String permissions, boolean allow) {
    /** A major or minor number that matches any number ({@code *} in the cgroup v1 syntax). */
    public static final long WILDCARD = -1;

    /**
     * Every device, every access: {@code a *:* rwm}.
     *
     * @param allow true to allow everything (a privileged container), false to deny everything (the start of
     *              Docker's list)
     * @return the rule
     */
    public static DeviceRule all(boolean allow) {
        return new DeviceRule('a', WILDCARD, WILDCARD, "rwm", allow);
    }

    /**
     * The rule as cgroup v1 takes it in {@code devices.allow} or {@code devices.deny}: {@code c 1:3 rwm},
     * {@code c 136:* rwm}; {@code a} for all devices (Documentation/admin-guide/cgroup-v1/devices.rst).
     *
     * @return the line, without a newline
     */
    public String toCgroupV1() {
        if (type == 'a') {
            return "a";
        }
        return type + " " + number(major) + ":" + number(minor) + " " + permissions;
    }

    private static String number(long n) {
        return n == WILDCARD ? "*" : Long.toString(n);
    }

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException a type other than a, b, c; a negative number other than the wildcard;
     *                                  permissions empty or with letters other than r, w, m
     */
    public void validate() {
        if (type != 'a' && type != 'b' && type != 'c') {
            throw new IllegalArgumentException("device rule " + this + ": type must be a, b or c");
        }
        if (major < WILDCARD || minor < WILDCARD || major > 0xffffffffL || minor > 0xffffffffL) {
            throw new IllegalArgumentException("device rule " + this + ": major and minor are 0..2^32-1 or the wildcard -1");
        }
        if (permissions == null || permissions.isEmpty() || !permissions.matches("[rwm]{1,3}")) {
            throw new IllegalArgumentException("device rule " + this + ": permissions must be a combination of r, w, m");
        }
    }
}
