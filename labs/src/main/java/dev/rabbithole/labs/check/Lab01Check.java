package dev.rabbithole.labs.check;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Lab 01: the attendee's {@code ns PID} prints a process's namespaces and says which it shares with the host. */
public final class Lab01Check extends Checker {
    @Override public int lab() { return 1; }
    @Override public String title() { return "a process and its namespaces"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        // a target in new UTS and IPC namespaces, everything else shared with the host
        Process target = new ProcessBuilder("unshare", "--uts", "--ipc", "sleep", "60").start();
        try {
            long pid = target.pid();
            for (int i = 0; i < 250 && Proc.ns(Long.toString(pid), "uts").equals(Proc.ns("self", "uts")); i++) Thread.sleep(20);
            Container c = ctx.start(List.of("ns", Long.toString(pid)));
            c.exit(START);
            String out = c.output();
            c.close();
            Map<String, String[]> lines = new HashMap<>();
            for (String l : out.split("\n")) {
                String[] f = l.trim().split("\\s+");
                if (f.length == 3) lines.put(f[0], f);
            }
            List<String> kinds = List.of("cgroup", "ipc", "mnt", "net", "pid", "user", "uts");
            boolean all = lines.keySet().containsAll(kinds);
            r.check(all, "it prints one line per namespace: " + String.join(", ", kinds),
                    "`ns " + pid + "` printed " + lines.keySet() + ": print \"KIND INODE own|shared\" for each of " + kinds);
            boolean inodes = all;
            for (String k : kinds) {
                String link = Proc.ns(Long.toString(pid), k);
                if (all && !link.equals(k + ":[" + lines.get(k)[1] + "]")) inodes = false;
            }
            r.check(inodes, "the inode numbers are those of /proc/PID/ns/*",
                    "the inode numbers do not match /proc/" + pid + "/ns/* (the number is between the brackets of the link)");
            boolean marks = all;
            for (String k : kinds) {
                String want = k.equals("uts") || k.equals("ipc") ? "own" : "shared";
                if (all && !lines.get(k)[2].equals(want)) marks = false;
            }
            r.check(marks, "uts and ipc are marked own, the others shared (the test process ran `unshare --uts --ipc`)",
                    "own/shared is wrong: compare each link with /proc/self/ns/KIND; the test process has its own uts and ipc only");
            String ppid = "PPid:\t" + ProcessHandle.current().pid();
            r.check(out.contains(ppid), "it prints the PPid line of /proc/PID/status",
                    "print the PPid: line of /proc/" + pid + "/status (expected \"" + ppid.replace("\t", " ") + "\")");
        } finally {
            target.destroyForcibly();
            target.waitFor();
        }
    }
}
