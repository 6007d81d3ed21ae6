package dev.tandem.plan.lint;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One thing a reviewer should know about a migration's SQL.
 *
 * @param severity  ERROR, WARNING or INFO
 * @param rule      the rule's id, e.g. {@code table-rewrite}
 * @param field     the spec field, e.g. {@code spec.expand.sql} (or {@code spec.promotion.planHash})
 * @param statement the statement's number within the field, from 1; 0 when the finding is about the field as a whole
 * @param table     the table it is about, or null
 * @param lock      the strongest table lock the statement takes (PostgreSQL's name), or null
 * @param underLock what it does to the table while it holds that lock: {@code rewrites}, {@code scans}, or null
 * @param message   one line: what happens and why it matters
 * @param fix       the safe form
 * @param size      the table's size from the catalog (e.g. "40 GB, 1.2 M rows"), when {@code --database} was given
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Finding(Severity severity, String rule, String field, int statement, String table, String lock,
                      String underLock, String message, String fix, String size) {

    public static Finding of(Severity severity, String rule, Stmt at, String table, String underLock, String message,
                             String fix) {
        String lock = at.lock() == dev.tandem.plan.LockLevel.NONE ? null : at.lock().sqlName();
        return new Finding(severity, rule, at.field(), at.number(), table, lock, underLock, message, fix, null);
    }

    public static Finding field(Severity severity, String rule, String field, String table, String message, String fix) {
        return new Finding(severity, rule, field, 0, table, null, null, message, fix, null);
    }

    /** Where it is: {@code spec.expand.sql statement 2}, or the field alone. */
    @JsonIgnore
    public String location() {
        return statement > 0 ? field + " statement " + statement : field;
    }

    public Finding withSize(String size) {
        return new Finding(severity, rule, field, statement, table, lock, underLock, message, fix, size);
    }
}
