package dev.tandem.operator.handlers;

import dev.tandem.operator.MigrationMetrics;
import dev.tandem.plan.Step;
import jakarta.inject.Singleton;

/** Drops the old storage: runs the contract SQL in one transaction. */
@Singleton
public class ContractHandler extends StepHandler {
    public ContractHandler(MigrationMetrics metrics) {
        super(Step.CONTRACT, metrics);
    }
}
