package dev.rabbithole.stage2.libcontainer.container;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the time of a start went: microseconds from the start of the operation to each step, the parent's
 * ({@code spawned}, {@code init connected}, ...) and the init's ({@code init: config parsed}, ..., placed on the
 * parent's clock by aligning the init's {@code connected} step), in time order. For benchmarks and
 * {@code run --explain}; approximate to a few tens of microseconds. Kept apart from the init protocol
 * ({@link InitProcess}), which only calls {@link #mark} and {@link #initSteps}.
 */
public final class StartReport {
    /** The parent's step at which the init's clock is aligned. */
    static final String CONNECTED = "init connected";

    private final long t0 = System.nanoTime();
    private final Map<String, Long> steps = new LinkedHashMap<>();

    /** @param step a step's name, now reached */
    synchronized void mark(String step) {
        steps.put(step, (System.nanoTime() - t0) / 1000);
    }

    /**
     * Places the init's own timings on this clock.
     *
     * @param initTimings microseconds from the init's main() to each of its steps, {@code connected} among them;
     *                    null when the init sent none
     */
    synchronized void initSteps(Map<String, Long> initTimings) {
        Long connected = steps.get(CONNECTED);
        if (connected == null) {
            return;
        }
        long initConnected = initTimings == null ? 0 : initTimings.getOrDefault("connected", 0L);
        steps.put("init JVM up (until its main)", connected - initConnected);
        if (initTimings != null) {
            initTimings.forEach((k, v) -> steps.put("init: " + k, connected - initConnected + v));
        }
    }

    /** @return step name to microseconds after the start, in time order, unmodifiable */
    public synchronized Map<String, Long> steps() {
        Map<String, Long> ordered = new LinkedHashMap<>();
        steps.entrySet().stream().sorted(Map.Entry.comparingByValue())
                .forEach(e -> ordered.put(e.getKey(), e.getValue()));
        return Collections.unmodifiableMap(ordered);
    }
}
