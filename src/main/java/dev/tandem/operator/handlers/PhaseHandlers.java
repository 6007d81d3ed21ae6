package dev.tandem.operator.handlers;

import dev.tandem.api.v1alpha1.Phase;
import jakarta.enterprise.context.ApplicationScoped;

/** Dispatches to the handler of the phase to reach next. */
@ApplicationScoped
public class PhaseHandlers {
    private final ExpandHandler expand;
    private final BackfillHandler backfill;
    private final VerifyHandler verify;
    private final CutoverHandler cutover;
    private final ContractHandler contract;
    private final RollbackHandler rollback;

    public PhaseHandlers(ExpandHandler expand, BackfillHandler backfill, VerifyHandler verify,
                         CutoverHandler cutover, ContractHandler contract, RollbackHandler rollback) {
        this.expand = expand;
        this.backfill = backfill;
        this.verify = verify;
        this.cutover = cutover;
        this.contract = contract;
        this.rollback = rollback;
    }

    /** The verification handler, which also re-verifies while a migration waits at Verified. */
    public VerifyHandler verify() {
        return verify;
    }

    /** The handler that leads to the settled phase {@code next}. */
    public PhaseHandler forPhase(Phase next) {
        return switch (next) {
            case Expanding, Expanded -> expand;
            case Backfilling, Backfilled -> backfill;
            case Verifying, Verified -> verify;
            case CuttingOver, CutOver -> cutover;
            case Contracting, Contracted -> contract;
            case RollingBack, RolledBack -> rollback;
            case Pending, Failed -> throw new IllegalArgumentException("no handler leads to " + next);
        };
    }
}
