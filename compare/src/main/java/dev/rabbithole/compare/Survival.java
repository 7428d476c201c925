package dev.rabbithole.compare;

import dev.rabbithole.bench.RunBenchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Section 4, what survives a kill -9: for each stage and each of its long-lived processes ({@link Stage#roles}),
 * a daemon on roots of its own (with the stage's live-restore arguments), a container whose shell exits 7 on
 * SIGTERM, SIGKILL of that process, then four questions: does the container's process live; after a restart of
 * what died (the daemon is started again when it was the one killed; dockerd restarts a containerd it supervises)
 * does the engine list the container with the right state; when the container then ends (SIGTERM to its process
 * from the host), does the engine report exit code 7; after {@code rm -f} and a normal stop, is any process or
 * mount left that names the roots.
 */
final class Survival {
    private static final String WORKLOAD = "trap 'exit 7' TERM; while true; do sleep 1; done";
    private final String docker;
    private final Compare.Options o;
    private final Path rootfs;
    private final Report r;

    Survival(String docker, Compare.Options o, Path rootfs, Report r) {
        this.docker = docker;
        this.o = o;
        this.rootfs = rootfs;
        this.r = r;
    }

    void run(List<Stage> stages) {
        r.method.put(4, "Per stage and per long-lived process: a daemon on temporary roots of its own (stages 3, 4 "
                + "and Docker with --live-restore), `run -d busybox sh -c \"" + WORKLOAD + "\"`, kill -9 of the "
                + "process, 2 s, then: lives = the container's process still runs; found = after the daemon is "
                + "started again (when it was the one killed; dockerd restarts a containerd it supervises) `docker "
                + "inspect` shows the container with the right state (running, or exited when its process died); "
                + "exit code = after SIGTERM to the container's process from the host, the engine reports exit code "
                + "7 (the shell's trap); leaks = processes naming the roots and mounts under them after `rm -f` and "
                + "a normal stop (the daemon, then the containerd a live-restore dockerd leaves running). The stages "
                + "run side by side, each on roots of its own; the cells of a stage one after the other."
                + (o.quick ? " --quick: only the daemon of each stage is killed." : ""));
        // the stages run side by side (roots of their own each): the answers do not depend on time, and the
        // split's daemons take long to start
        for (Stage s : stages) {
            r.survival.put(s.key(), java.util.Collections.synchronizedMap(new LinkedHashMap<>()));
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.max(1, stages.size()));
        List<java.util.concurrent.Future<?>> all = new ArrayList<>();
        for (Stage s : stages) {
            all.add(pool.submit(() -> stage(s)));
        }
        for (java.util.concurrent.Future<?> f : all) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                r.note(4, "?", "a stage's survival run failed: " + e.getCause());
            }
        }
        pool.shutdown();
    }

    private void stage(Stage s) {
        Map<String, List<String>> row = r.survival.get(s.key());
        Path dir;
        Path exec;
        try {
            dir = Files.createTempDirectory("rabbithole-compare-survive");
            exec = Files.createTempDirectory(Path.of("/run"), "rhc-");
        } catch (IOException e) {
            r.note(4, s.key(), "no temporary roots: " + e.getMessage());
            return;
        }
        try {
            List<String> roles = o.quick ? s.roles().subList(0, 1) : s.roles();
            boolean imported = false;
            for (String role : roles) {
                Compare.progress(4, "kill -9 survival: " + s.label() + ", kill -9 " + role);
                Cell c = new Cell(s, dir, exec, role);
                try {
                    row.put(role, c.run(!imported));
                    imported = true;
                } catch (Exception e) {
                    row.put(role, List.of("?", "?", "?", "?"));
                    r.note(4, s.key(), "kill -9 " + role + ": not measured: " + e.getMessage());
                } finally {
                    c.forceClean();
                }
                List<String> a = row.get(role);
                r.add(4, s.key(), "killed " + role, "container lives", a.get(0).startsWith("yes") ? 1 : 0, "bool");
                r.add(4, s.key(), "killed " + role, "found after restart", a.get(1).startsWith("yes") ? 1 : 0,
                        "bool");
                r.add(4, s.key(), "killed " + role, "exit code kept", a.get(2).startsWith("yes") ? 1 : 0, "bool");
                r.add(4, s.key(), "killed " + role, "leaks", a.get(3).equals("none") ? 0
                        : a.get(3).equals("?") ? -1 : Double.parseDouble(a.get(3).split(" ")[0]), "count");
            }
        } finally {
            Cli.removeTrees(List.of(dir, exec));
        }
    }

    /** One cell of the matrix: its daemon(s), its container, its answers. */
    private final class Cell {
        private final Stage s;
        private final Path dir;
        private final Path exec;
        private final String role;
        private Process daemon;
        private long workload;
        private final Set<Process> daemons = new LinkedHashSet<>();

        Cell(Stage s, Path dir, Path exec, String role) {
            this.s = s;
            this.dir = dir;
            this.exec = exec;
            this.role = role;
        }

        String host() {
            return "unix://" + dir.resolve("docker.sock");
        }

        List<String> run(boolean importImage) throws Exception {
            startDaemon();
            if (s.isDocker() && importImage) {
                Path tar = dir.resolve("busybox.tar");
                Cli.output(List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."));
                Cli.output(Cli.docker(docker, host(), "import", tar.toString(), "busybox"));
            }
            String id = Cli.output(Cli.docker(docker, host(), "run", "-d", "busybox", "sh", "-c", WORKLOAD)).trim();
            workload = Long.parseLong(Cli.output(Cli.docker(docker, host(), "inspect", "-f", "{{.State.Pid}}",
                    id)).trim());
            long victim = find(workload);
            if (victim <= 0) {
                throw new IllegalStateException("no " + role + " process in the tree of the container");
            }
            Cli.output(List.of("kill", "-KILL", Long.toString(victim)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Cli.alive(victim) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            // the observation window: what dies along with the killed process dies within it
            Thread.sleep(2000);
            boolean lives = Cli.alive(workload);
            if (!daemon.isAlive()) {
                daemon.waitFor();
                startDaemon();
            } else {
                awaitAnswer();
            }
            // the engine's view, once it settled: a restarted containerd or daemon reconnects to what lives
            String found;
            Cli.Result state = Cli.run(60, Cli.docker(docker, host(), "inspect", "-f", "{{.State.Running}}", id));
            if (!state.ok()) {
                found = "no (unknown to the engine)";
            } else {
                boolean running = state.out().trim().equals("true");
                found = running == lives ? "yes (" + (running ? "running" : "exited") + ")"
                        : "no (says " + (running ? "running" : "exited") + ")";
            }
            String exit;
            if (lives) {
                Cli.run(10, List.of("kill", "-TERM", Long.toString(workload)));
                String code = awaitExit(id);
                exit = code.equals("7") ? "yes (7)" : "no (" + code + ")";
            } else {
                String code = Cli.run(30, Cli.docker(docker, host(), "inspect", "-f", "{{.State.ExitCode}}", id))
                        .out().trim();
                exit = "n/a (died; engine says " + (code.matches("-?[0-9]+") ? code : "?") + ")";
            }
            Cli.run(120, Cli.docker(docker, host(), "rm", "-f", id));
            stopAll();
            List<Long> procs = Cli.processesNaming(List.of(dir, exec));
            if (Cli.alive(workload) && !procs.contains(workload)) {
                procs = new ArrayList<>(procs);
                procs.add(workload);
            }
            List<String> mounts = new ArrayList<>();
            for (Path root : List.of(dir, exec)) {
                Cli.mountsUnder(root).forEach(m -> mounts.add(root.relativize(Path.of(m)).toString()));
            }
            List<String> what = new ArrayList<>();
            procs.forEach(p -> what.add(p == workload ? "the container's process" : ProcessTree.role(p)));
            mounts.forEach(m -> what.add("mount " + (m.length() > 40 ? "..." + m.substring(m.length() - 37) : m)));
            String leaks = what.isEmpty() ? "none" : what.size() + " (" + String.join(", ", what) + ")";
            return List.of(lives ? "yes" : "no", found, exit, leaks);
        }

        private long find(long workload) {
            if (role.equals("daemon") || role.equals("dockerd")) {
                return daemon.pid();
            }
            Set<Long> engine = new LinkedHashSet<>(List.of(daemon.pid()));
            daemon.toHandle().children().forEach(h -> engine.add(h.pid()));
            List<Long> candidates = new ArrayList<>(engine);
            candidates.addAll(ProcessTree.chain(workload, engine, RunBenchmark.parents()));
            return candidates.stream().filter(p -> ProcessTree.role(p).equals(role)).findFirst().orElse(-1L);
        }

        private void startDaemon() throws Exception {
            List<String> cmd = new ArrayList<>();
            if (s.isDocker()) {
                cmd.addAll(List.of(RunBenchmark.which("dockerd", "/usr/bin/dockerd"), "--data-root",
                        dir.resolve("data").toString(), "--exec-root", exec.toString(), "-H", host(), "--pidfile",
                        dir.resolve("docker.pid").toString(), "--bridge=none", "--iptables=false",
                        "--ip6tables=false"));
            } else {
                cmd.add(o.java);
                cmd.addAll(o.javaOptions);
                cmd.addAll(List.of("-jar", o.jars.get(s.key()).toString(), s.program(), "--data-root",
                        dir.resolve("data").toString(), "-H", host(), "--bridge", "none"));
                if (!s.key().equals("1")) {
                    cmd.addAll(List.of("--exec-root", exec.toString()));
                }
                cmd.addAll(s.args());
            }
            cmd.addAll(s.liveRestore());
            daemon = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(java.lang.ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile()))
                    .start();
            daemons.add(daemon);
            awaitAnswer();
        }

        private void awaitAnswer() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                if (!daemon.isAlive()) {
                    throw new IllegalStateException("the daemon exited: " + tail());
                }
                if (Cli.run(30, Cli.docker(docker, host(), "version", "--format", "{{.Server.Version}}")).ok()) {
                    return;
                }
                Thread.sleep(200);
            }
            throw new IllegalStateException("the daemon did not answer within 120 s: " + tail());
        }

        private String awaitExit(String id) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                Cli.Result res = Cli.run(30, Cli.docker(docker, host(), "inspect", "-f",
                        "{{.State.Running}} {{.State.ExitCode}}", id));
                if (!res.ok()) {
                    return "unknown to the engine";
                }
                String[] f = res.out().trim().split(" ");
                if (f[0].equals("false")) {
                    return f[1];
                }
                Thread.sleep(200);
            }
            return "still running after 20 s";
        }

        private String tail() {
            try {
                List<String> lines = Files.readAllLines(dir.resolve("daemon.log"));
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
            } catch (IOException e) {
                return "";
            }
        }

        /** A normal stop: SIGTERM to the daemon, then to the containerd a live-restore dockerd leaves behind. */
        private void stopAll() throws InterruptedException {
            for (Process p : daemons) {
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor();
                }
            }
            for (long pid : Cli.processesNaming(List.of(dir, exec))) {
                if (ProcessTree.role(pid).equals("containerd")) {
                    Cli.run(10, List.of("kill", "-TERM", Long.toString(pid)));
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (Cli.alive(pid) && System.nanoTime() < deadline) {
                        Thread.sleep(100);
                    }
                }
            }
        }

        /** After the cell: whatever still runs on these roots is killed (by pid), what is mounted unmounted. */
        void forceClean() {
            for (Process p : daemons) {
                p.destroyForcibly();
            }
            for (long pid : Cli.processesNaming(List.of(dir, exec))) {
                Cli.run(10, List.of("kill", "-KILL", Long.toString(pid)));
            }
            if (workload > 0 && Cli.alive(workload) && String.join(" ", ProcessTree.cmdline(workload)).contains(WORKLOAD)) {
                Cli.run(10, List.of("kill", "-KILL", Long.toString(workload)));
            }
            for (Path root : List.of(dir, exec)) {
                for (String m : Cli.mountsUnder(root)) {
                    if (!m.equals(root.toString())) {
                        Cli.run(30, List.of("umount", "-l", m));
                    }
                }
            }
        }
    }
}
