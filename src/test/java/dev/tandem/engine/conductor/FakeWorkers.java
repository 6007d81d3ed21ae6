package dev.tandem.engine.conductor;

import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.VerifyTuning;

import java.util.ArrayList;
import java.util.List;

/** Workers that only record what they were asked to start and report the state the test sets. */
final class FakeWorkers implements Workers {
    final List<String> started = new ArrayList<>();
    State backfill = State.RUNNING;
    State verify = State.RUNNING;

    @Override
    public Worker backfill(MigrationPlan plan, BackfillTuning tuning, boolean suspend) {
        started.add("backfill");
        return worker("backfill-job", backfill);
    }

    @Override
    public Worker verify(MigrationPlan plan, int pass, String retryToken, VerifyTuning tuning, boolean suspend) {
        started.add("verify " + pass);
        return worker("verify-job-" + pass, verify);
    }

    private static Worker worker(String name, State state) {
        return new Worker(name, state, state == State.FAILED ? "pod exited 1: boom" : null, null, "delete the Job");
    }
}
