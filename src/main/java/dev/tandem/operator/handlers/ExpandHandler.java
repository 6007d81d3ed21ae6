package dev.tandem.operator.handlers;

import dev.tandem.plan.Step;
import jakarta.enterprise.context.ApplicationScoped;

/** Runs the expand SQL (and, with sync entries, installs the sync triggers) in one transaction. */
@ApplicationScoped
public class ExpandHandler extends StepHandler {
    public ExpandHandler() {
        super(Step.EXPAND);
    }
}
