package dev.rabbithole.stage3.containerd;

import dev.rabbithole.stage3.api.events.Envelope;
import io.grpc.Status;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The part of containerd's filter syntax (containerd 1.6, filters/parser.go) that event subscriptions use: a
 * subscription's filters are alternatives (any may match; none given matches everything); a filter is selectors
 * separated by commas, all of which must match; a selector is {@code FIELD}, {@code FIELD==VALUE},
 * {@code FIELD!=VALUE} or {@code FIELD~=REGEXP}, the value bare, in double quotes, or between {@code |} characters
 * (for regular expressions, as dockerd's {@code topic~=|^/tasks/|}). The fields are the envelope's
 * {@code namespace} and {@code topic}; a selector on any other field (e.g. {@code event.id}) matches nothing.
 */
final class EventFilter {

    private static final Pattern SELECTOR = Pattern.compile("\\s*([A-Za-z_][A-Za-z0-9_.]*)\\s*(?:(==|!=|~=)\\s*(.*?))?\\s*");

    private EventFilter() {
    }

    /**
     * @param filters the SubscribeRequest's filters
     * @return a predicate on envelopes
     * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT for a filter that does not parse
     */
    static Predicate<Envelope> parse(List<String> filters) {
        if (filters.isEmpty()) {
            return e -> true;
        }
        List<Predicate<Envelope>> any = new ArrayList<>();
        for (String f : filters) {
            Predicate<Envelope> all = e -> true;
            for (String sel : split(f)) {
                all = all.and(selector(f, sel));
            }
            any.add(all);
        }
        return e -> any.stream().anyMatch(p -> p.test(e));
    }

    private static List<String> split(String filter) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < filter.length(); i++) {
            char c = filter.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote == '"' && i + 1 < filter.length()) {
                    cur.append(c).append(filter.charAt(++i));
                    continue;
                }
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '|') {
                quote = c;
            } else if (c == ',') {
                parts.add(cur.toString());
                cur.setLength(0);
                continue;
            }
            cur.append(c);
        }
        if (quote != 0) {
            throw invalid(filter, "unterminated quote");
        }
        parts.add(cur.toString());
        return parts;
    }

    private static Predicate<Envelope> selector(String filter, String sel) {
        Matcher m = SELECTOR.matcher(sel);
        if (!m.matches()) {
            throw invalid(filter, "bad selector \"" + sel.trim() + "\"");
        }
        String field = m.group(1);
        java.util.function.Function<Envelope, String> get = switch (field) {
            case "namespace" -> Envelope::getNamespace;
            case "topic" -> Envelope::getTopic;
            default -> e -> null;
        };
        if (m.group(2) == null) {
            return e -> {
                String v = get.apply(e);
                return v != null && !v.isEmpty();
            };
        }
        String value = unquote(filter, m.group(3));
        return switch (m.group(2)) {
            case "==" -> e -> value.equals(get.apply(e));
            case "!=" -> e -> get.apply(e) != null && !value.equals(get.apply(e));
            default -> {
                Pattern re;
                try {
                    re = Pattern.compile(value);
                } catch (PatternSyntaxException x) {
                    throw invalid(filter, "bad regular expression " + value + ": " + x.getDescription());
                }
                yield e -> {
                    String v = get.apply(e);
                    return v != null && re.matcher(v).find();
                };
            }
        };
    }

    private static String unquote(String filter, String v) {
        if (v.isEmpty()) {
            throw invalid(filter, "missing value");
        }
        if (v.length() >= 2 && v.charAt(0) == '|' && v.charAt(v.length() - 1) == '|') {
            return v.substring(1, v.length() - 1);
        }
        if (v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
            return v.substring(1, v.length() - 1).replaceAll("\\\\(.)", "$1");
        }
        if (v.contains("\"") || v.contains("|") || v.contains(" ")) {
            throw invalid(filter, "bad value " + v);
        }
        return v;
    }

    private static io.grpc.StatusRuntimeException invalid(String filter, String why) {
        return Status.INVALID_ARGUMENT.withDescription("failed to parse filter \"" + filter + "\": " + why
                + ": invalid argument").asRuntimeException();
    }
}
