package dev.rabbithole.labs.check;

import java.nio.file.Path;

/**
 * The labs' command line, called by {@code labs/lab.sh}:
 * {@code list}, {@code doctor} (what this machine lacks for each lab; exit 0 when every lab can run, 1 when not),
 * {@code status WORKDIR} (checks every started lab under WORKDIR, one line each; exit 0 when all of them pass),
 * {@code check N [--source DIR]} (exit 0 when every property holds, 1 when not, 2 on misuse),
 * {@code rootfs DIR} (builds a busybox root filesystem in DIR, to try a lab by hand),
 * {@code source N skeleton|solution} (prints lab N's untouched skeleton or its reference solution, generated from
 * the master inside the jar; {@code lab.sh} writes it into the attendee's work folder).
 */
public final class LabMain {
    private LabMain() {}

    /**
     * @param args see the class comment
     * @throws Exception when the check cannot run at all
     */
    public static void main(String[] args) throws Exception {
        if (args.length >= 1 && args[0].equals("list")) {
            for (Checker c : Checks.ALL) System.out.printf("%02d  %s%n", c.lab(), c.title());
            return;
        }
        if (args.length == 1 && args[0].equals("doctor")) {
            System.exit(Doctor.run(System.out) ? 0 : 1);
        }
        if (args.length == 2 && args[0].equals("status")) {
            System.exit(Status.run(Path.of(args[1]), System.out) ? 0 : 1);
        }
        if (args.length >= 2 && args[0].equals("rootfs")) {
            System.out.println(dev.rabbithole.labs.support.Rootfs.busybox(Path.of(args[1])));
            return;
        }
        if (args.length == 3 && args[0].equals("source") && (args[2].equals("skeleton") || args[2].equals("solution"))) {
            int lab = Integer.parseInt(args[1]);
            if (lab < 1 || lab > LabSources.LABS) {
                System.err.printf("labs are numbered 1 to %d, not %d%n", LabSources.LABS, lab);
                System.exit(2);
            }
            System.out.print(LabSources.generate(LabSources.masterFromClasspath(lab), lab, args[2].equals("solution")));
            System.out.flush();
            return;
        }
        if (args.length >= 2 && args[0].equals("check")) {
            int lab = Integer.parseInt(args[1]);
            Path source = args.length >= 4 && args[2].equals("--source") ? Path.of(args[3])
                    : Path.of("labs/work", String.format("lab%02d", lab));
            Checker c = Checks.of(lab);
            System.out.printf("lab %02d: %s (checking %s)%n", lab, c.title(), source);
            Report r = Checks.run(lab, source, System.out);
            r.print(System.out);
            System.exit(r.passed() ? 0 : 1);
        }
        System.err.println("usage: list | doctor | status WORKDIR | check N [--source DIR] | rootfs DIR | source N skeleton|solution");
        System.exit(2);
    }
}
