package dev.tandem.engine.conductor;

import dev.tandem.engine.OldStorageState;

import java.time.Instant;
import java.util.List;

/**
 * What stands between a migration and its next step across the point of no return: the verdict of
 * every cutover gate, or, after cutover, what the old-storage watch saw and when contract becomes
 * possible. {@code held} is null when the step may run.
 */
public record Crossing(List<GateVerdict> gates, OldStorageState oldStorage, Instant contractPossibleAt,
                       Outcome.Held held) {
    public static final Crossing OPEN = new Crossing(List.of(), null, null, null);

    public boolean allowed() {
        return held == null;
    }
}
