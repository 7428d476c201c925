package dev.rabbithole.stage1.builder;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go's {@code time.ParseDuration} for HEALTHCHECK's flags: {@code 30s}, {@code 1m30s}, {@code 500ms}, {@code 1h}. */
final class GoDuration {

    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]*)?)(ns|us|µs|ms|s|m|h)");

    private GoDuration() { }

    /**
     * @return the duration in nanoseconds
     * @throws BuildFailure not a duration ({@code time: invalid duration "x"})
     */
    static long nanos(String text) {
        if (text.equals("0")) {
            return 0;
        }
        Matcher m = PART.matcher(text);
        long total = 0;
        int at = 0;
        while (m.find() && m.start() == at) {
            double v = Double.parseDouble(m.group(1));
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            total += (long) (v * unit);
            at = m.end();
        }
        if (at != text.length() || text.isEmpty()) {
            throw new BuildFailure("time: invalid duration \"" + text + "\"", 0);
        }
        return total;
    }
}
