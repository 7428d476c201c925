package dev.rabbithole.stage2.libcontainer.seccomp;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a throwaway JVM by {@link SeccompFilterInstallTest}: installs the filter whose {@code sock_filter}
 * bytes are in {@code args[0]} on this thread (prctl(2) PR_SET_NO_NEW_PRIVS, then PR_SET_SECCOMP with
 * SECCOMP_MODE_FILTER), then makes the syscalls the test asks for and prints {@code name=result} lines,
 * result being the return value or {@code errno:N}.
 */
public final class SeccompProbe {
    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int prctl(int option, long arg2, Pointer arg3, long arg4, long arg5) throws LastErrorException;

        int mkdir(String path, int mode) throws LastErrorException;

        int mkdirat(int dirfd, String path, int mode) throws LastErrorException;

        int personality(long persona) throws LastErrorException;

        int unshare(int flags) throws LastErrorException;

        long syscall(long number) throws LastErrorException;

        int getppid() throws LastErrorException;
    }

    private static final int PR_SET_SECCOMP = 22;
    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final int SECCOMP_MODE_FILTER = 2;
    private static final int AT_FDCWD = -100;

    public static void main(String[] args) throws Exception {
        byte[] program = Files.readAllBytes(Path.of(args[0]));
        Path dir = Path.of(args[1]);
        LibC c = LibC.INSTANCE;
        Memory filter = new Memory(program.length);
        filter.write(0, program, 0, program.length);
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: pointer at offset 8 on LP64
        Memory fprog = new Memory(16);
        fprog.clear();
        fprog.setShort(0, (short) (program.length / 8));
        fprog.setPointer(8, filter);
        c.prctl(PR_SET_NO_NEW_PRIVS, 1, null, 0, 0);
        c.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0);
        System.out.println("installed=" + (program.length / 8));
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
            if (line.startsWith("Seccomp:")) {
                System.out.println("seccomp=" + line.substring(8).strip());
            }
        }
        for (int i = 2; i < args.length; i++) {
            String what = args[i];
            String result;
            try {
                long r = switch (what) {
                    case "mkdir" -> c.mkdir(dir.resolve("by-mkdir").toString(), 0755);
                    case "mkdirat" -> c.mkdirat(AT_FDCWD, dir.resolve("by-mkdirat").toString(), 0755);
                    case "personality-query" -> c.personality(0xffffffffL);
                    case "personality-set" -> c.personality(0);
                    case "unshare-uts" -> c.unshare(0x04000000);
                    case "x32-getpid" -> c.syscall(0x40000000L | 39);
                    case "getppid" -> c.getppid();
                    default -> throw new IllegalArgumentException(what);
                };
                result = Long.toString(r);
            } catch (LastErrorException e) {
                result = "errno:" + e.getErrorCode();
            }
            System.out.println(what + "=" + result);
            System.out.flush();
        }
    }
}
