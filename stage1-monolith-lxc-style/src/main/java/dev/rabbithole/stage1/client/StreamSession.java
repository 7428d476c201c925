package dev.rabbithole.stage1.client;

import java.util.concurrent.CompletableFuture;

/**
 * A streaming exchange with the daemon (attach or logs) whose output is being copied to stdout and stderr.
 *
 * @param established completes when the daemon accepted the request ({@code 101 UPGRADED} for attach,
 *                    {@code 200} for logs); fails with {@link EngineApiException} for an error answer or
 *                    {@link DaemonUnreachableException} when nothing listens
 * @param finished    completes when the stream ended (the daemon closed the connection or ended the chunked body)
 *                    and every byte received has been written out
 */
public record StreamSession(CompletableFuture<Void> established, CompletableFuture<Void> finished) {
}
