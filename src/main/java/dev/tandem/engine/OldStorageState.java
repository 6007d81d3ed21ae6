package dev.tandem.engine;

import java.time.Instant;

/**
 * What the old-storage watch recorded since cutover.
 *
 * @param writes    writes that reached the migrated data of the old storage
 * @param lastAt    when the latest happened, or null
 * @param lastTable its table
 * @param lastOp    INSERT, UPDATE or DELETE
 * @param lastApp   its session's application_name
 * @param lastRole  its session's role
 */
public record OldStorageState(long writes, Instant lastAt, String lastTable, String lastOp, String lastApp,
                              String lastRole) {
    public static OldStorageState none() {
        return new OldStorageState(0, null, null, null, null, null);
    }

    /** "UPDATE public.users by legacy-worker (role app)", or null when nothing was written. */
    public String describeLast() {
        if (writes == 0) {
            return null;
        }
        return lastOp + " " + lastTable + " by " + (lastApp == null || lastApp.isEmpty() ? "an unnamed application"
                : lastApp) + " (role " + lastRole + ")";
    }
}
