package dev.rabbithole.stage2.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Every rule by which the differential test ({@link DockerDifferentialIT}) makes two engines' outputs comparable,
 * in the order they apply. Each rule removes something that differs between any two engines, or two runs of one
 * engine, by nature rather than by behaviour:
 * <ol>
 *   <li>the engine's own temporary directory ({@code {tmp}} in a step) becomes {@code <tmp>} and its socket
 *       {@code <sock>};</li>
 *   <li>the engine's own name becomes {@code <self>}: Docker's server version ({@code 20.10.24+dfsg1}), a stage's
 *       {@code 0.1.0-stageN} (so {@code version} matches when each names itself, and stage 2 saying
 *       {@code stage1} shows as a difference);</li>
 *   <li>digests {@code sha256:HEX} become {@code sha256:<digest>}; other 64-hex IDs {@code <id64>}, 12-hex IDs
 *       (short IDs, default hostnames) {@code <id12>};</li>
 *   <li>time stamps (RFC 3339, as in {@code inspect}) become {@code <time>}; human durations ({@code 3 seconds},
 *       {@code Less than a second}, {@code About a minute}) {@code <duration>};</li>
 *   <li>sizes ({@code 2.18MB}, {@code 512B}) become {@code <size>}, unless the entry compares sizes;</li>
 *   <li>host pids printed as {@code "Pid": N}, {@code pid N} or {@code pid=N} become {@code <pid>};</li>
 *   <li>generated container names ({@code adjective_surname}, last on a line as in {@code ps}) become
 *       {@code <name>};</li>
 *   <li>blanks: each run of blanks and tabs becomes one blank, lines are trimmed and trailing empty lines dropped
 *       (table columns are as wide as their widest cell, which the rules above change).</li>
 * </ol>
 * Nothing else is touched: exit codes and every other character must be equal.
 */
public final class OutputNormaliser {

    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern ID64 = Pattern.compile("\\b[0-9a-f]{64}\\b");
    private static final Pattern ID12 = Pattern.compile("\\b[0-9a-f]{12}\\b");
    private static final Pattern TIME = Pattern.compile(
            "\\b\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?( ?(Z|[+-]\\d\\d:?\\d\\d)( [A-Z]{3,4})?)?");
    private static final Pattern DURATION = Pattern.compile(
            "\\b(Less than a second|About an? (minute|hour)|\\d+ (second|minute|hour|day|week|month|year)s?)\\b");
    private static final Pattern SIZE = Pattern.compile("\\b\\d+(\\.\\d+)? ?([kKMG]i?)?B\\b");
    private static final Pattern PID = Pattern.compile("(\"Pid\": ?|\\bpid[ =])\\d+");
    private static final Pattern GENERATED_NAME = Pattern.compile("(?m)\\b[a-z]+_[a-z]+$");
    private static final Pattern BLANKS = Pattern.compile("[ \\t]+");

    private final List<String> literals = new ArrayList<>();
    private final List<String> replacements = new ArrayList<>();
    private final Pattern self;

    /**
     * @param tmp    the engine's temporary directory (an absolute path)
     * @param socket the engine's socket path
     * @param self   a regular expression for the engine's own name ({@link Pattern#quote} of Docker's version,
     *               {@code [0-9.]+-stage1} for stage 1)
     */
    public OutputNormaliser(String tmp, String socket, String self) {
        literals.add(socket);
        replacements.add("<sock>");
        literals.add(tmp);
        replacements.add("<tmp>");
        this.self = Pattern.compile(self);
    }

    /**
     * @param text     an output (stdout or stderr of one step)
     * @param keepSize whether sizes stay as printed
     * @return the text with the rules of the class comment applied
     */
    public String normalise(String text, boolean keepSize) {
        String s = text;
        for (int i = 0; i < literals.size(); i++) {
            s = s.replace(literals.get(i), replacements.get(i));
        }
        s = self.matcher(s).replaceAll("<self>");
        s = DIGEST.matcher(s).replaceAll("sha256:<digest>");
        s = ID64.matcher(s).replaceAll("<id64>");
        s = ID12.matcher(s).replaceAll("<id12>");
        s = TIME.matcher(s).replaceAll("<time>");
        s = DURATION.matcher(s).replaceAll("<duration>");
        if (!keepSize) {
            s = SIZE.matcher(s).replaceAll("<size>");
        }
        s = PID.matcher(s).replaceAll("$1<pid>");
        s = GENERATED_NAME.matcher(s).replaceAll("<name>");
        StringBuilder out = new StringBuilder();
        for (String line : s.split("\n", -1)) {
            out.append(BLANKS.matcher(line).replaceAll(" ").strip()).append('\n');
        }
        String joined = out.toString();
        int end = joined.length();
        while (end > 0 && joined.charAt(end - 1) == '\n') end--;
        return joined.substring(0, end);
    }
}
