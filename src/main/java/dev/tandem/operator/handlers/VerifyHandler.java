package dev.tandem.operator.handlers;

import dev.tandem.operator.MigrationMetrics;
import dev.tandem.plan.Step;
import jakarta.inject.Singleton;

/** Proves old and new storage agree; with no sync entries there is nothing to compare. */
@Singleton
public class VerifyHandler extends StepHandler {
    public VerifyHandler(MigrationMetrics metrics) {
        super(Step.VERIFY, metrics);
    }
}
