package dev.tandem.api.v1alpha1;

/**
 * Why a migration waits although nothing is wrong and no one needs to act now: the reason of the
 * Ready condition then (Reconciling and Stalled are False; Argo CD and kstatus report it healthy).
 */
public enum Hold {
    /** A cutover gate does not hold yet (status.gates says which and what it saw). */
    AwaitingGates,
    /** Contract waits for contract.minWait after cutover, or for contract.quietFor without old-storage writes. */
    AwaitingQuiet
}
