package dev.rabbithole.stage1;

/** Entry point of the stage-1 jar: daemon and client in one, as {@code docker -d} was. Stub. */
public final class Main {
    private Main() { }
    public static void main(String[] args) {
        System.err.println("TODO");
        System.exit(1);
    }
}
