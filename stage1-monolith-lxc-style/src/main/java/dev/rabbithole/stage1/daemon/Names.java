package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Container IDs and names as Docker makes them: 64 random hex characters, and {@code adjective_surname}
 * names (the surnames are scientists, as Docker's are; these lists are our own).
 */
public final class Names {
    private Names() { }

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Docker's rule for user-given names: {@code [a-zA-Z0-9][a-zA-Z0-9_.-]+}, an optional leading slash. */
    public static final Pattern VALID_NAME = Pattern.compile("/?[a-zA-Z0-9][a-zA-Z0-9_.-]+");

    private static final List<String> ADJECTIVES = List.of(
            "agile", "bold", "brave", "bright", "calm", "clever", "curious", "daring", "eager", "fearless",
            "gentle", "happy", "humble", "jolly", "keen", "kind", "lively", "lucid", "merry", "modest",
            "nimble", "patient", "plucky", "quiet", "quick", "serene", "sharp", "sleepy", "steady", "sunny",
            "swift", "tender", "tidy", "upbeat", "vivid", "wise", "witty", "zealous", "cheerful", "dreamy");

    private static final List<String> SURNAMES = List.of(
            "noether", "turing", "hopper", "lovelace", "curie", "meitner", "ramanujan", "gauss", "euler",
            "hamilton", "franklin", "dijkstra", "knuth", "ritchie", "thompson", "torvalds", "babbage", "kepler",
            "galileo", "newton", "maxwell", "faraday", "bohr", "dirac", "fermi", "hypatia", "shannon", "wiener",
            "goldberg", "liskov", "lamport", "hodgkin", "mcclintock", "darwin", "pasteur", "tesla", "volta",
            "leavitt", "germain", "kovalevskaya");

    /** @return a new container ID: 32 random bytes as 64 lower-case hex characters, never all digits in its first 12 */
    public static String newId() {
        while (true) {
            byte[] bytes = new byte[32];
            RANDOM.nextBytes(bytes);
            String id = HexFormat.of().formatHex(bytes);
            // like Docker: an all-digit short ID could be mistaken for a number by users and scripts
            if (!id.substring(0, 12).chars().allMatch(Character::isDigit)) {
                return id;
            }
        }
    }

    /**
     * @param random the source of randomness
     * @param retry  0 for the first try; later tries append a digit, as Docker does after a collision
     * @return a name such as {@code quiet_noether}, without the leading slash
     */
    public static String randomName(Random random, int retry) {
        String name = ADJECTIVES.get(random.nextInt(ADJECTIVES.size())) + "_"
                + SURNAMES.get(random.nextInt(SURNAMES.size()));
        return retry > 0 ? name + random.nextInt(10) : name;
    }

    /**
     * Checks a user-given name and adds the leading slash.
     *
     * @param name {@code web} or {@code /web}
     * @return {@code /web}
     * @throws InvalidParameterException a name that breaks Docker's rule
     */
    public static String canonical(String name) {
        if (!VALID_NAME.matcher(name).matches()) {
            throw new InvalidParameterException("Invalid container name (" + name
                    + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        }
        return name.startsWith("/") ? name : "/" + name;
    }
}
