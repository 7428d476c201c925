package dev.rabbithole.stage1;

/**
 * Which stage this process is: stage 1's jar and stage 2's jar share the daemon and the client code (stage 2 is
 * stage 1 with another exec driver), so the stage's name, version and launcher come from here instead of being
 * written into the code. {@link Main#execute(Main.Profile, String[], java.io.PrintStream, java.io.PrintStream,
 * java.util.Map)} sets it from the jar's {@link Main.Profile}; it is stage 1 until then.
 *
 * @param number   1, 2, ...
 * @param platform the {@code Platform.Name} of {@code GET /version}, e.g. {@code rabbithole stage 1 (monolith, LXC)}
 */
public record Stage(int number, String platform) {

    /** Stage 1: the monolith and LXC. */
    public static final Stage STAGE1 = new Stage(1, "rabbithole stage 1 (monolith, LXC)");

    /** Stage 2: the monolith and libcontainer. */
    public static final Stage STAGE2 = new Stage(2, "rabbithole stage 2 (monolith, libcontainer)");

    private static volatile Stage current = STAGE1;

    /** @return the stage this process runs as (stage 1 unless a jar's entry point said otherwise) */
    public static Stage current() {
        return current;
    }

    /**
     * Sets the stage of this process (the jar's entry point does, before it parses the command line).
     *
     * @param stage the stage
     */
    public static void use(Stage stage) {
        current = stage;
    }

    /**
     * @param commandName a jar's program name, {@code rabbithole-stageN}
     * @return that stage, or stage 1 for another name
     */
    public static Stage ofCommandName(String commandName) {
        return "rabbithole-stage2".equals(commandName) ? STAGE2 : STAGE1;
    }

    /** @return {@code stage N}, as in messages ({@code ... is not supported by stage 2}) */
    public String name() {
        return "stage " + number;
    }

    /** @return the version the client and the daemon report, {@code 0.1.0-stageN} */
    public String version() {
        return "0.1.0-stage" + number;
    }

    /** @return how a user runs this stage's jar, {@code rabbithole stageN} */
    public String launcher() {
        return "rabbithole stage" + number;
    }

    /**
     * Names this stage in a message written for stage 1: the daemon's refusals and errors are worded once, for
     * stage 1, and shared by the later stages ({@code not supported by stage 1}, {@code rabbithole stage1 load}).
     * The API server passes every error message through here.
     *
     * @param message a message naming {@code stage 1} or {@code rabbithole stage1}
     * @return the message naming this stage; unchanged on stage 1
     */
    public String rename(String message) {
        if (number == 1 || message == null) {
            return message;
        }
        return message.replace("stage 1", name()).replace("rabbithole stage1", launcher())
                .replace("rabbithole-stage1", "rabbithole-stage" + number);
    }
}
