package dev.tandem.operator.handlers;

import dev.tandem.operator.MigrationMetrics;
import dev.tandem.plan.Step;
import jakarta.inject.Singleton;

/** Undoes the migration before the point of no return: runs the rollback SQL. */
@Singleton
public class RollbackHandler extends StepHandler {
    public RollbackHandler(MigrationMetrics metrics) {
        super(Step.ROLLBACK, metrics);
    }
}
