package dev.tandem.operator.handlers;

import dev.tandem.operator.MigrationMetrics;
import dev.tandem.plan.Step;
import jakarta.inject.Singleton;

/** Copies existing rows into the new storage; with no sync entries there is nothing to copy. */
@Singleton
public class BackfillHandler extends StepHandler {
    public BackfillHandler(MigrationMetrics metrics) {
        super(Step.BACKFILL, metrics);
    }
}
