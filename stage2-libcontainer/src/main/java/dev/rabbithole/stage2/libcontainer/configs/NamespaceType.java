package dev.rabbithole.stage2.libcontainer.configs;

/**
 * A namespace kind and its clone(2) flag (linux/sched.h); the /proc/PID/ns entry name is {@link #procName}.
 */
public enum NamespaceType {
    MOUNT(0x00020000, "mnt"),      // CLONE_NEWNS
    UTS(0x04000000, "uts"),        // CLONE_NEWUTS
    IPC(0x08000000, "ipc"),        // CLONE_NEWIPC
    USER(0x10000000, "user"),      // CLONE_NEWUSER
    PID(0x20000000, "pid"),        // CLONE_NEWPID
    NET(0x40000000, "net"),        // CLONE_NEWNET
    CGROUP(0x02000000, "cgroup");  // CLONE_NEWCGROUP

    /** the CLONE_NEW* flag for unshare(2) and setns(2) */
    public final int cloneFlag;
    /** the name under /proc/PID/ns/ */
    public final String procName;

    NamespaceType(int cloneFlag, String procName) {
        this.cloneFlag = cloneFlag;
        this.procName = procName;
    }
}
