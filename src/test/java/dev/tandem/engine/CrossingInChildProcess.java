package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Step;

import java.time.Duration;

/** Runs the step named by the environment variable CHILD_STEP of {@link KilledCrossingTest#plan()}, to be killed. */
public final class CrossingInChildProcess {
    public static void main(String[] args) throws Exception {
        DatabaseTarget db = DatabaseTarget.ofJdbcUrl(args[0], args.length > 1 ? args[1] : null,
                System.getenv("CHILD_DB_PASSWORD"));
        new MigrationEngine(db, EngineSettings.defaults("child").withTimeouts(Duration.ofSeconds(5), Duration.ofMinutes(5)))
                .apply(KilledCrossingTest.plan(), Step.valueOf(System.getenv("CHILD_STEP")), null, StepListener.NONE);
    }
}
