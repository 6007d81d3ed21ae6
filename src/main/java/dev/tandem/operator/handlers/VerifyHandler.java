package dev.tandem.operator.handlers;

import dev.tandem.plan.Step;
import jakarta.enterprise.context.ApplicationScoped;

/** Proves old and new storage agree; with no sync entries there is nothing to compare. */
@ApplicationScoped
public class VerifyHandler extends StepHandler {
    public VerifyHandler() {
        super(Step.VERIFY);
    }
}
