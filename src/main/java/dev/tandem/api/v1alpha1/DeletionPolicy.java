package dev.tandem.api.v1alpha1;

/** What deleting a SchemaMigration does to the database. */
public enum DeletionPolicy {
    /** Leave the database as it is. */
    Retain,
    /** Roll the migration back first, if it is still reversible. */
    RollBack
}
