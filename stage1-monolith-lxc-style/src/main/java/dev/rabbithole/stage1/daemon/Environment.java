package dev.rabbithole.stage1.daemon;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A container's environment as Docker builds it, in two steps, each keeping Docker's order (checked against
 * Debian's dockerd 20.10 with runc 1.1):
 *
 * <ol>
 * <li>{@link #configEnv}, at create: what {@code inspect} shows as {@code Config.Env}. The request's entries
 *     come first, as given (duplicates and {@code KEY} without a value kept), then each of the image's entries
 *     whose name no request entry has (moby {@code daemon/commit.go}, {@code merge}).</li>
 * <li>{@link #processEnv}, at start: what the workload gets. {@code PATH} (Docker's default), {@code HOSTNAME},
 *     {@code TERM=xterm} with a TTY, then {@code Config.Env} over them: a name already there is replaced in
 *     place, a new one appended, {@code KEY} without a value removes KEY (moby
 *     {@code container.CreateDaemonEnvironment} and {@code ReplaceOrAppendEnvValues}). runc then sets the
 *     variables one by one, so a name given twice keeps its first place and its last value, and adds
 *     {@code HOME} (the user's home from passwd) at the end when it is unset or empty.</li>
 * </ol>
 *
 * <p>So {@code -e A=b} on an image with {@code PATH=...} gives {@code Config.Env [A=b PATH=...]} and the
 * workload {@code PATH=... HOSTNAME=... A=b HOME=/root}.
 */
public final class Environment {
    private Environment() { }

    /** Docker's default {@code PATH} (moby {@code system.DefaultPathEnv} on Linux). */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /**
     * {@code Config.Env} of a new container.
     *
     * @param user  the create request's {@code Env} ({@code KEY=VALUE} or {@code KEY}); null for none
     * @param image the image config's {@code Env}; null for none
     * @return the request's entries as given, then the image's whose name the request does not use; empty when
     *         both are
     */
    public static List<String> configEnv(List<String> user, List<String> image) {
        List<String> env = new ArrayList<>(user == null ? List.of() : user);
        List<String> names = env.stream().map(Environment::name).toList();
        for (String e : image == null ? List.<String>of() : image) {
            if (!names.contains(name(e))) {
                env.add(e);
            }
        }
        return List.copyOf(env);
    }

    /**
     * The workload's environment.
     *
     * @param configEnv the container's {@code Config.Env} ({@link #configEnv})
     * @param hostname  the container's hostname
     * @param tty       whether the container has a TTY (adds {@code TERM=xterm})
     * @param home      the user's home directory, for {@code HOME} when the environment has none (or an empty one)
     * @return {@code KEY=VALUE} strings, each name once
     */
    public static List<String> processEnv(List<String> configEnv, String hostname, boolean tty, String home) {
        List<String> env = new ArrayList<>();
        env.add("PATH=" + DEFAULT_PATH);
        env.add("HOSTNAME=" + hostname);
        if (tty) {
            env.add("TERM=xterm");
        }
        replaceOrAppend(env, configEnv == null ? List.of() : configEnv);
        // runc's init: setenv one by one (first place, last value), then HOME when unset or empty
        Map<String, String> set = new LinkedHashMap<>();
        for (String e : env) {
            set.put(name(e), e);
        }
        String current = set.get("HOME");
        if (current == null || current.equals("HOME=")) {
            set.put("HOME", "HOME=" + home);
        }
        return List.copyOf(set.values());
    }

    /**
     * The environment of an exec process, as dockerd makes it ({@code POST /containers/{id}/exec}): PATH, HOSTNAME,
     * TERM with a terminal, then the container's Config.Env over them, then the exec's Env over that. HOME is
     * left to the runtime (runc sets it from the user's passwd entry when unset).
     *
     * @param containerEnv the container's Config.Env
     * @param hostname     the container's hostname
     * @param tty          whether the exec has a terminal ({@code TERM=xterm})
     * @param execEnv      the exec's {@code -e} values, or null
     * @return {@code KEY=VALUE} strings
     */
    public static List<String> execEnv(List<String> containerEnv, String hostname, boolean tty, List<String> execEnv) {
        List<String> env = new ArrayList<>();
        env.add("PATH=" + DEFAULT_PATH);
        env.add("HOSTNAME=" + hostname);
        if (tty) {
            env.add("TERM=xterm");
        }
        replaceOrAppend(env, containerEnv == null ? List.of() : containerEnv);
        replaceOrAppend(env, execEnv == null ? List.of() : execEnv);
        return List.copyOf(env);
    }

    /**
     * moby's {@code ReplaceOrAppendEnvValues}: an override whose name is among the defaults replaces it in place
     * (the last one wins), a new one is appended (each time, duplicates included), a name without {@code =}
     * removes that default.
     */
    private static void replaceOrAppend(List<String> defaults, List<String> overrides) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < defaults.size(); i++) {
            index.put(name(defaults.get(i)), i);
        }
        for (String o : overrides) {
            Integer i = index.get(name(o));
            if (o.indexOf('=') < 0) {
                if (i != null) {
                    defaults.set(i, null);
                }
            } else if (i != null) {
                defaults.set(i, o);
            } else {
                defaults.add(o);
            }
        }
        defaults.removeIf(e -> e == null);
    }

    /** @return the name of {@code KEY=VALUE} or {@code KEY} */
    static String name(String e) {
        int eq = e.indexOf('=');
        return eq < 0 ? e : e.substring(0, eq);
    }
}
