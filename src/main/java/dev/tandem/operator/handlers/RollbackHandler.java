package dev.tandem.operator.handlers;

import dev.tandem.plan.Step;
import jakarta.enterprise.context.ApplicationScoped;

/** Undoes the migration before the point of no return: runs the rollback SQL. */
@ApplicationScoped
public class RollbackHandler extends StepHandler {
    public RollbackHandler() {
        super(Step.ROLLBACK);
    }
}
