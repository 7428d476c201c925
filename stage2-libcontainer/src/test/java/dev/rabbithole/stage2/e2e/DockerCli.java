package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.JarDaemon;

import java.io.IOException;

/** The docker CLI pointed at the engine under test ({@code docker -H SOCK ...}), for cases shared between stages. */
@FunctionalInterface
public interface DockerCli {
    /**
     * @param args the words after {@code docker -H SOCK}
     * @return its exit code and outputs
     * @throws IOException the CLI cannot be run
     * @throws InterruptedException interrupted while waiting for it
     */
    JarDaemon.Result docker(String... args) throws IOException, InterruptedException;
}
