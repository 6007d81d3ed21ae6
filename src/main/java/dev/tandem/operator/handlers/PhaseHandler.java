package dev.tandem.operator.handlers;

import dev.tandem.api.v1alpha1.Phase;

/** Takes a migration into one settled phase. One implementation per phase. */
public interface PhaseHandler {
    /** The settled phase this handler leads to. */
    Phase leadsTo();

    /** Performs at most one step; safe to call again after any outcome. */
    HandlerResult handle(StepContext context);
}
