package dev.tandem.engine;

import dev.tandem.plan.BackfillTuning;

import java.time.Duration;

/**
 * Runs the users backfill of {@link BackfillTest#usersPlan()} in a process of its own, to be killed:
 * worker CHILD_SHARD of CHILD_SHARDS (default 0 of 1).
 */
public final class BackfillInChildProcess {
    public static void main(String[] args) throws Exception {
        DatabaseTarget db = DatabaseTarget.ofJdbcUrl(args[0], args.length > 1 ? args[1] : null,
                System.getenv("CHILD_DB_PASSWORD"));
        new Backfiller(db, EngineSettings.defaults("child"), new BackfillTuning(1000, Duration.ofMillis(200), 0,
                Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofMillis(100), 1))
                .run(BackfillTest.usersPlan(), Integer.parseInt(System.getenv().getOrDefault("CHILD_SHARD", "0")),
                        Integer.parseInt(System.getenv().getOrDefault("CHILD_SHARDS", "1")), Backfiller.Listener.NONE);
    }
}
