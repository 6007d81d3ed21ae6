package dev.tandem.plan.lint;

import java.util.List;
import java.util.Optional;

/**
 * What only the database's catalog knows, for {@code tandem plan --database}. Table and column
 * names are given as the linter normalizes them (folded as PostgreSQL folds them, without the
 * public schema); an object that does not exist has no facts.
 */
public interface Catalog {
    /** Total size (heap, indexes, TOAST) and estimated rows. */
    record TableSize(long bytes, long rows) {
    }

    /** A column: NOT NULL, and whether it has a default. */
    record Column(boolean notNull, boolean hasDefault) {
    }

    /**
     * An object that needs a table which contract drops.
     *
     * @param kind  "view", "foreign key" or "sequence"
     * @param name  the object (for a sequence: the sequence the dropped table owns)
     * @param user  the table (or view) that uses it: the view itself, the referencing table, the table whose default
     *              uses the sequence
     */
    record Dependent(String kind, String name, String user) {
    }

    Optional<TableSize> size(String table);

    Optional<Column> column(String table, String column);

    boolean hasValidatedNotNullCheck(String table, String column);

    /** Objects outside {@code table} that need it: views on it, foreign keys to it, its sequences used by other tables. */
    List<Dependent> dependents(String table);

    /** Sequences owned by the table (dropped with it), as the linter normalizes names. */
    List<String> ownedSequences(String table);
}
