package dev.tandem.operator.handlers;

import dev.tandem.operator.MigrationMetrics;
import dev.tandem.plan.Step;
import jakarta.inject.Singleton;

/** Runs the expand SQL (and, with sync entries, installs the sync triggers) in one transaction. */
@Singleton
public class ExpandHandler extends StepHandler {
    public ExpandHandler(MigrationMetrics metrics) {
        super(Step.EXPAND, metrics);
    }
}
