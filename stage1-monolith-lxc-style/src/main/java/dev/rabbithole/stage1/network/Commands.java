package dev.rabbithole.stage1.network;

import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short-lived programs ({@code ip}, {@code nft}, {@code sysctl}) and collects their output. */
final class Commands {
    private Commands() { }

    /** Exit status and outputs of one program. */
    record Result(int exit, String out, String err) { }

    static Result run(List<String> cmd, String stdin) {
        try {
            Process p = new ProcessBuilder(cmd).start();
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            var out = new java.util.concurrent.CompletableFuture<String>();
            Thread t = new Thread(() -> {
                try {
                    out.complete(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    out.complete("");
                }
            }, "cmd-out");
            t.setDaemon(true);
            t.start();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new SystemException(String.join(" ", cmd) + " did not end within 30 s");
            }
            return new Result(p.exitValue(), out.get(30, TimeUnit.SECONDS), err);
        } catch (IOException e) {
            throw new SystemException(cmd.get(0) + " cannot be run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemException("interrupted while running " + cmd.get(0));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new SystemException(String.join(" ", cmd) + ": " + e);
        }
    }
}
