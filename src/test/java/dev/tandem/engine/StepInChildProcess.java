package dev.tandem.engine;

import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.api.v1alpha1.Step;

import java.time.Duration;

/** Runs the expand step of {@link KilledRunnerTest#PLAN_SQL} in a process of its own, to be killed. */
public final class StepInChildProcess {
    public static void main(String[] args) throws Exception {
        DatabaseTarget db = DatabaseTarget.ofJdbcUrl(args[0], args.length > 1 ? args[1] : null,
                System.getenv("CHILD_DB_PASSWORD"));
        MigrationPlan plan = Planner.plan("ns", "killed", EngineStepTest.spec(KilledRunnerTest.PLAN_SQL, null, null, null));
        new MigrationEngine(db, EngineSettings.defaults("child").withTimeouts(Duration.ofSeconds(5), Duration.ofMinutes(5)))
                .apply(plan, Step.EXPAND, null, StepListener.NONE);
    }
}
