package dev.tandem.plan.lint;

import java.util.List;

/**
 * What a statement does, as far as the rules need to know: its kind, the table it works on, and
 * for ALTER TABLE each action. Table names are normalized by {@link Names#table}.
 *
 * @param kind          what sort of statement
 * @param table         the table it works on (the first, for TRUNCATE and DROP TABLE), or null
 * @param tables        every table it names as its object (TRUNCATE a, b; DROP TABLE a, b)
 * @param actions       for ALTER TABLE, its actions in order; for CREATE TABLE, its column definitions
 * @param concurrently  CREATE/DROP INDEX CONCURRENTLY
 * @param cascade       ends in CASCADE (DROP, TRUNCATE, ALTER TABLE … DROP … CASCADE)
 * @param where         UPDATE/DELETE with a WHERE clause
 * @param reads         for INSERT … SELECT, the tables the query reads
 * @param parsed        true when the SQL parser read it; false when the lexer had to
 */
public record Facts(Kind kind, String table, List<String> tables, List<Action> actions, boolean concurrently,
                    boolean cascade, boolean where, List<String> reads, boolean parsed) {

    public enum Kind {
        CREATE_TABLE, CREATE_INDEX, CREATE_TRIGGER, ALTER_TABLE, UPDATE, DELETE, INSERT_SELECT, INSERT, TRUNCATE, DROP_TABLE,
        DROP_SEQUENCE, DROP_VIEW, DROP_OTHER, OTHER
    }

    public enum Op {
        ADD_COLUMN, ALTER_TYPE, ADD_CHECK, ADD_FOREIGN_KEY, ADD_UNIQUE, SET_NOT_NULL, DROP_NOT_NULL, SET_DEFAULT,
        DROP_COLUMN, RENAME_COLUMN, RENAME_TABLE, VALIDATE_CONSTRAINT, OTHER
    }

    /**
     * One action of an ALTER TABLE.
     *
     * @param op         what it does
     * @param column     the column it is about (normalized), or null
     * @param detail     upper-case text of the rest: the column definition, the new type, the constraint
     * @param notValid   ADD CONSTRAINT … NOT VALID
     * @param name       the constraint name (ADD CONSTRAINT / VALIDATE CONSTRAINT) or the new name (RENAME), or null
     */
    public record Action(Op op, String column, String detail, boolean notValid, String name) {
    }

    public static Facts other(boolean parsed) {
        return new Facts(Kind.OTHER, null, List.of(), List.of(), false, false, false, List.of(), parsed);
    }
}
