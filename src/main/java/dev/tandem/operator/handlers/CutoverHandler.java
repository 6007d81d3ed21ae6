package dev.tandem.operator.handlers;

import dev.tandem.plan.Step;
import jakarta.enterprise.context.ApplicationScoped;

/** Crosses the point of no return: runs the cutover SQL in one transaction. */
@ApplicationScoped
public class CutoverHandler extends StepHandler {
    public CutoverHandler() {
        super(Step.CUTOVER);
    }
}
