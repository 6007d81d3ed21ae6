package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;

import java.util.List;
import java.util.stream.Collectors;

/** A step waited longer than lock_timeout on every attempt. */
public final class LockTimeoutException extends EngineException {
    private final transient List<BlockingSession> blockers;
    private final int attempts;

    public LockTimeoutException(String step, int attempts, List<BlockingSession> blockers, Throwable cause) {
        super(Reason.LockTimeout, message(step, attempts, blockers), cause);
        this.blockers = List.copyOf(blockers);
        this.attempts = attempts;
    }

    public List<BlockingSession> blockers() {
        return blockers;
    }

    public int attempts() {
        return attempts;
    }

    private static String message(String step, int attempts, List<BlockingSession> blockers) {
        String who = blockers.isEmpty() ? "the blocking session ended before it could be identified"
                : "blocked by " + blockers.stream().map(BlockingSession::describe).collect(Collectors.joining("; "));
        return step + " could not take its locks within lock_timeout after " + attempts + " attempt"
                + (attempts == 1 ? "" : "s") + ": " + who
                + ". End or wait out that transaction (SELECT pg_terminate_backend(pid)), then run the step again.";
    }
}
