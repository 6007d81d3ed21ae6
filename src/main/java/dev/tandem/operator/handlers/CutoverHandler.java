package dev.tandem.operator.handlers;

import dev.tandem.operator.MigrationMetrics;
import dev.tandem.plan.Step;
import jakarta.inject.Singleton;

/** Crosses the point of no return: runs the cutover SQL in one transaction. */
@Singleton
public class CutoverHandler extends StepHandler {
    public CutoverHandler(MigrationMetrics metrics) {
        super(Step.CUTOVER, metrics);
    }
}
