package dev.tandem.operator.handlers;

import dev.tandem.plan.Step;
import jakarta.enterprise.context.ApplicationScoped;

/** Copies existing rows into the new storage; with no sync entries there is nothing to copy. */
@ApplicationScoped
public class BackfillHandler extends StepHandler {
    public BackfillHandler() {
        super(Step.BACKFILL);
    }
}
