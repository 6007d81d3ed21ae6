package dev.tandem.engine;

import dev.tandem.plan.BackfillTuning;

import java.time.Duration;

/** Runs the backfill of {@link Seed001#plan(boolean)} (into another table) in a process of its own, to be killed. */
public final class LookupBackfillInChildProcess {
    public static void main(String[] args) throws Exception {
        DatabaseTarget db = DatabaseTarget.ofJdbcUrl(args[0], args.length > 1 ? args[1] : null,
                System.getenv("CHILD_DB_PASSWORD"));
        new Backfiller(db, EngineSettings.defaults("child"), new BackfillTuning(1000, Duration.ofMillis(200), 0,
                Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofMillis(100), 1))
                .run(Seed001.plan(false), 0, 1, Backfiller.Listener.NONE);
    }
}
