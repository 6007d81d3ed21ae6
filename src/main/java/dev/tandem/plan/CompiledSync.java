package dev.tandem.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One sync entry compiled: the names and the decisions its generated SQL follows. Source rows are
 * read through an alias named like the source table, so expressions may use bare column names or
 * {@code table.column}; new rows through an alias named like the target table.
 *
 * @param index          position in spec.sync, from 0
 * @param name           entry name
 * @param sourceTable    from.table as written
 * @param sourceKey      from.key columns
 * @param where          from.where, or null
 * @param targetTable    to.table as written
 * @param targetKey      to.key columns (empty in place)
 * @param targetWhere    to.where, or null
 * @param columns        new column → expression over the old row, sorted by column
 * @param reverse        old column → expression over the new row, sorted; empty when none
 * @param keep           onDelete Keep
 * @param inPlace        from.table equals to.table
 * @param before         the trigger fires BEFORE the row change: in place, or a lookup an in-place entry of the
 *                       same table reads; every other entry fires AFTER, when the row exists
 * @param order          firing order among the triggers of the source table (BEFORE ones first), from 1
 * @param owners         every entry writing the same target table, this one included, with its to.where; one
 *                       element when the target is not shared
 * @param recordErrors   onError Record: a write whose expressions raise is let through and recorded
 * @param skipAppTriggers appTriggers Skip: the in-place backfill runs with session_replication_role = replica
 * @param migration      the migration's ledger key (namespace/name), written into the tracking tables
 * @param trackingSchema the tracking schema (removal log and error table live there)
 * @param functionName   forward trigger function (also the trigger's name)
 * @param reverseName    reverse trigger function, or null
 * @param lookups        the other tables the expressions read (spec.sync[i].lookups), in spec order; empty when none.
 *                       {@code columns} (and, in place, {@code where}) already read them: each
 *                       {@code table.column} is the related row's value, as a scalar subquery
 */
public record CompiledSync(int index, String name, String sourceTable, List<String> sourceKey, String where,
                           String targetTable, List<String> targetKey, String targetWhere,
                           Map<String, String> columns, Map<String, String> reverse, boolean keep,
                           boolean inPlace, boolean before, int order, List<Owner> owners, boolean recordErrors,
                           boolean skipAppTriggers, String migration, String trackingSchema,
                           String functionName, String reverseName, List<Lookup> lookups) {

    public CompiledSync {
        lookups = lookups == null ? List.of() : List.copyOf(lookups);
    }

    /**
     * A looked-up table of the entry.
     *
     * @param index        position in the entry's lookups, from 0
     * @param table        the table as written
     * @param on           the condition relating its rows (alias: its own name) to source rows (alias: the source's name)
     * @param columns      the columns the entry names as {@code table.column}, those of {@code on} included
     * @param anyColumn    the entry also reads the table another way (a subquery of its own): any change of a row counts
     * @param functionName the trigger function (and trigger) on the table that re-derives related source rows
     */
    public record Lookup(int index, String table, String on, List<String> columns, boolean anyColumn,
                         String functionName) {

        public String alias() {
            return Ident.quote(Ident.last(table));
        }

        public String qualified() {
            return Ident.qualified(table);
        }

        public String qualifiedFunction() {
            return Ident.schemaPrefix(table) + Ident.quote(functionName);
        }
    }

    /** Where in the spec a lookup is, for messages: spec.sync[i].lookups[m]. */
    public String field(Lookup lookup) {
        return field() + ".lookups[" + lookup.index() + "]";
    }

    /** An entry that writes a (possibly shared) target table, and the rows it owns there. */
    public record Owner(String name, String targetWhere) {
    }

    /** Where in the spec this entry is, for messages: spec.sync[i]. */
    public String field() {
        return "spec.sync[" + index + "]";
    }

    /** The source table's alias in generated SQL: its own name, quoted. */
    public String alias() {
        return Ident.quote(Ident.last(sourceTable));
    }

    public String targetAlias() {
        return Ident.quote(Ident.last(targetTable));
    }

    public String source() {
        return Ident.qualified(sourceTable);
    }

    public String target() {
        return Ident.qualified(targetTable);
    }

    public String qualifiedFunction() {
        return Ident.schemaPrefix(sourceTable) + Ident.quote(functionName);
    }

    public String qualifiedReverseFunction() {
        return Ident.schemaPrefix(targetTable) + Ident.quote(reverseName);
    }

    /** Whether other entries write the same target table (each owns the rows of its to.where). */
    public boolean sharedTarget() {
        return owners.size() > 1;
    }

    static String cols(List<String> names) {
        return names.stream().map(Ident::quote).collect(Collectors.joining(", "));
    }

    /** The key columns of the source, quoted, in order. */
    public String keyList(String qualifier) {
        return sourceKey.stream().map(k -> (qualifier == null ? "" : qualifier + ".") + Ident.quote(k))
                .collect(Collectors.joining(", "));
    }

    /** SELECT list of expressions for the target columns (sorted), evaluated over the source alias. */
    public String expressionList() {
        return columns.values().stream().map(SqlFragment::parenthesized).collect(Collectors.joining(", "));
    }

    public List<String> targetColumns() {
        return new ArrayList<>(columns.keySet());
    }

    /** The new columns that are not part of to.key. */
    public List<String> nonKeyColumns() {
        return columns.keySet().stream().filter(c -> !targetKey.contains(c)).toList();
    }

    /** The expression of a new column, parenthesized so that it stays one operand wherever it is spliced. */
    public String expression(String column) {
        return SqlFragment.parenthesized(columns.get(column));
    }

    /**
     * The new row's columns that carry the old row's key, in from.key order, when the new key is the
     * old key (each to.key column mapped as a plain from.key column): then old and new rows can be
     * walked together in key ranges, and one old row has at most one new row. In place, the key
     * itself. Empty otherwise.
     */
    public Optional<List<String>> alignedTargetKey() {
        if (inPlace) {
            return Optional.of(sourceKey);
        }
        if (targetKey.size() != sourceKey.size()) {
            return Optional.empty();
        }
        List<String> mapped = new ArrayList<>();
        for (String k : sourceKey) {
            Optional<String> tk = targetKey.stream().filter(t -> isPlainColumn(columns.get(t), k)).findFirst();
            if (tk.isEmpty()) {
                return Optional.empty();
            }
            mapped.add(tk.get());
        }
        return Optional.of(mapped);
    }

    /** Whether an expression is nothing but a reference to {@code column} of the source. */
    boolean isPlainColumn(String expr, String column) {
        return SqlFragment.plainColumn(expr, sourceTable).map(column::equals).orElse(false);
    }

    /** The where condition as a boolean expression over the source alias ("true" when none). */
    public String whereOrTrue() {
        return where == null || where.isBlank() ? "true" : "COALESCE(" + SqlFragment.parenthesized(where) + ", false)";
    }

    /** to.where as a boolean expression over the target alias ("true" when none). */
    public String targetWhereOrTrue() {
        return targetWhere == null || targetWhere.isBlank() ? "true"
                : "COALESCE(" + SqlFragment.parenthesized(targetWhere) + ", false)";
    }
}
