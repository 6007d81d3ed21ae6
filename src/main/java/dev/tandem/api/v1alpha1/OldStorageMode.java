package dev.tandem.api.v1alpha1;

/** What happens to a write that still reaches the old storage after cutover. */
public enum OldStorageMode {
    /** The write goes through and is recorded: table, operation, time, application_name and role. */
    Watch,
    /** The write fails with an error naming the migration and saying the storage is retired. */
    Reject
}
