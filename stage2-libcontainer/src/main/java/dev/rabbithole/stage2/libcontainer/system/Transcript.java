package dev.rabbithole.stage2.libcontainer.system;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Renders recorded calls for people, one line each ({@code call(args)  reason}), short enough that a whole
 * container start fits on one screen: long paths are replaced by names ({@code $ROOTFS}), and a run of
 * consecutive calls with the same name, reason and outcome is folded into one line whose differing arguments
 * are listed in braces, as a shell would expand them:
 * {@code mknod("$ROOTFS/dev/{null,zero,full,random,urandom,tty}", 020666, {1:3,1:5,1:7,1:8,1:9,5:0})}.
 * The bounding-set drops fold into {@code prctl(PR_CAPBSET_DROP, 27 capabilities)}.
 */
public final class Transcript {
    /** Column where reasons start when the call is shorter. */
    static final int REASON_COLUMN = 58;
    /** Brace lists longer than this are shown as a count. */
    static final int MAX_BRACES = 64;

    private Transcript() { }

    /**
     * One line: the call, at least two spaces, the reason.
     *
     * @param signature {@code name(args)}
     * @param reason    why, may be empty
     * @return the line
     */
    public static String line(String signature, String reason) {
        if (reason == null || reason.isEmpty()) {
            return signature;
        }
        StringBuilder sb = new StringBuilder(signature);
        do {
            sb.append(' ');
        } while (sb.length() < REASON_COLUMN || sb.length() < signature.length() + 2);
        return sb.append(reason).toString();
    }

    /**
     * The calls as lines, with abbreviations applied and runs folded.
     *
     * @param calls         recorded calls in order
     * @param abbreviations text to replace in arguments (a host path) by a short name ({@code $ROOTFS}), applied
     *                      in iteration order (put longer, more specific texts first)
     * @return one line per call or run of calls
     */
    public static List<String> lines(List<RecordingSyscalls.Call> calls, Map<String, String> abbreviations) {
        List<RecordingSyscalls.Call> shortened = new ArrayList<>();
        for (RecordingSyscalls.Call c : calls) {
            List<String> args = c.args().stream().map(a -> abbreviate(a, abbreviations)).toList();
            shortened.add(new RecordingSyscalls.Call(c.name(), args, c.reason(), c.error()));
        }
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < shortened.size()) {
            int j = i + 1;
            while (j < shortened.size() && foldable(shortened.get(i), shortened.get(j))) {
                j++;
            }
            out.add(j - i == 1 ? shortened.get(i).toString() : fold(shortened.subList(i, j)));
            i = j;
        }
        return out;
    }

    private static String abbreviate(String arg, Map<String, String> abbreviations) {
        String a = arg;
        for (Map.Entry<String, String> e : abbreviations.entrySet()) {
            if (!e.getKey().isEmpty()) {
                a = a.replace(e.getKey(), e.getValue());
            }
        }
        return a;
    }

    private static boolean foldable(RecordingSyscalls.Call a, RecordingSyscalls.Call b) {
        return a.name().equals(b.name()) && a.reason().equals(b.reason()) && !a.reason().isEmpty()
                && Objects.equals(a.error(), b.error()) && a.args().size() == b.args().size()
                && !a.name().equals("execve");
    }

    private static String fold(List<RecordingSyscalls.Call> run) {
        RecordingSyscalls.Call first = run.get(0);
        if (first.name().equals("prctl") && first.args().get(0).equals("PR_CAPBSET_DROP")) {
            return new RecordingSyscalls.Call("prctl", List.of("PR_CAPBSET_DROP", run.size() + " capabilities"),
                    first.reason(), first.error()).toString();
        }
        List<String> args = new ArrayList<>();
        Map<List<String>, Integer> seen = new LinkedHashMap<>();
        for (int pos = 0; pos < first.args().size(); pos++) {
            List<String> values = new ArrayList<>();
            for (RecordingSyscalls.Call c : run) {
                values.add(c.args().get(pos));
            }
            if (values.stream().distinct().count() == 1) {
                args.add(values.get(0));
            } else if (seen.containsKey(values)) {
                args.add("(same)");
            } else {
                seen.put(values, pos);
                args.add(braces(values));
            }
        }
        return new RecordingSyscalls.Call(first.name(), args, first.reason(), first.error()).toString();
    }

    /**
     * {@code "/dev/null", "/dev/zero"} to {@code "/dev/{null,zero}"}: the common prefix up to a slash and the
     * common suffix from a slash (or a closing quote) stay outside the braces.
     */
    static String braces(List<String> values) {
        String prefix = values.get(0);
        String suffix = values.get(0);
        int shortest = Integer.MAX_VALUE;
        for (String v : values) {
            int n = 0;
            while (n < prefix.length() && n < v.length() && prefix.charAt(n) == v.charAt(n)) {
                n++;
            }
            prefix = prefix.substring(0, n);
            int m = 0;
            while (m < suffix.length() && m < v.length()
                    && suffix.charAt(suffix.length() - 1 - m) == v.charAt(v.length() - 1 - m)) {
                m++;
            }
            suffix = suffix.substring(suffix.length() - m);
            shortest = Math.min(shortest, v.length());
        }
        int slash = prefix.lastIndexOf('/');
        prefix = slash >= 0 ? prefix.substring(0, slash + 1) : (prefix.startsWith("\"") ? "\"" : "");
        if (suffix.length() > shortest - prefix.length()) {
            suffix = suffix.substring(suffix.length() - (shortest - prefix.length()));
        }
        int from = suffix.indexOf('/');
        suffix = from >= 0 ? suffix.substring(from) : (suffix.endsWith("\"") ? "\"" : "");
        List<String> middles = new ArrayList<>();
        for (String v : values) {
            middles.add(v.substring(prefix.length(), v.length() - suffix.length()));
        }
        String list = String.join(",", middles);
        if (list.length() > MAX_BRACES) {
            return prefix + "{" + values.size() + " values}" + suffix;
        }
        return prefix + "{" + list + "}" + suffix;
    }
}
