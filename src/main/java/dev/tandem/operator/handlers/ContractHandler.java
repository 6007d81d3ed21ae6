package dev.tandem.operator.handlers;

import dev.tandem.plan.Step;
import jakarta.enterprise.context.ApplicationScoped;

/** Drops the old storage: runs the contract SQL in one transaction. */
@ApplicationScoped
public class ContractHandler extends StepHandler {
    public ContractHandler() {
        super(Step.CONTRACT);
    }
}
