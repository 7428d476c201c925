package dev.rabbithole.stage1.daemon;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * Makes SIGINT and SIGTERM stop the daemon the same way (its shutdown hook: stop the API, stop the containers,
 * unmount), whatever the daemon inherited. A shell runs a command started with {@code &} from a non-interactive
 * script with SIGINT ignored (SIG_IGN, see the "Signals" section of POSIX's Shell Command Language), and the JVM
 * keeps an ignored signal ignored: such a daemon would not stop on Ctrl-C or {@code kill -INT}. So the
 * disposition is reset to SIG_DFL first (signal(2), through JNA), then a handler is installed
 * ({@code sun.misc.Signal}) that exits with 128 + the signal's number, as the JVM's own handler does.
 */
public final class ShutdownSignals {
    private ShutdownSignals() { }

    /** libc's signal(2). */
    private static final class Libc {
        static {
            Native.register("c");
        }

        static native Pointer signal(int signum, Pointer handler);
    }

    /**
     * Installs the handlers. Call once, in the daemon's process, before it serves.
     *
     * @throws UnsatisfiedLinkError libc cannot be loaded through JNA (then SIGINT may stay ignored)
     */
    public static void install() {
        for (String name : new String[] {"INT", "TERM"}) {
            sun.misc.Signal sig = new sun.misc.Signal(name);
            Libc.signal(sig.getNumber(), Pointer.NULL);      // SIG_DFL is 0: an inherited SIG_IGN is gone
            sun.misc.Signal.handle(sig, s -> {
                EngineLog.info("received SIG" + s.getName());
                System.exit(128 + s.getNumber());           // runs the shutdown hook, as the JVM's handler does
            });
        }
    }
}
