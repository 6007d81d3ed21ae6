package dev.tandem.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One sync entry compiled: names and SQL of its triggers, and the pieces the backfill and the
 * verification assemble. Source rows are read through an alias named like the source table, so
 * expressions may use bare column names or {@code table.column}.
 *
 * @param index        position in spec.sync, from 0 (entries apply in this order)
 * @param name         entry name
 * @param sourceTable  from.table as written
 * @param sourceKey    from.key columns
 * @param where        from.where, or null
 * @param targetTable  to.table as written
 * @param targetKey    to.key columns (empty in place)
 * @param targetWhere  to.where, or null
 * @param columns      new column → expression over the old row, sorted by column
 * @param reverse      old column → expression over the new row, sorted; empty when none
 * @param keep         onDelete Keep
 * @param inPlace      from.table equals to.table
 * @param before       the forward trigger fires BEFORE the row change (in place, or ahead of an in-place entry)
 * @param functionName forward trigger function (also the trigger's name)
 * @param reverseName  reverse trigger function, or null
 */
public record CompiledSync(int index, String name, String sourceTable, List<String> sourceKey, String where,
                           String targetTable, List<String> targetKey, String targetWhere,
                           Map<String, String> columns, Map<String, String> reverse, boolean keep,
                           boolean inPlace, boolean before, String functionName, String reverseName) {

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
        return columns.values().stream().map(e -> "(" + e + ")").collect(Collectors.joining(", "));
    }

    public List<String> targetColumns() {
        return new ArrayList<>(columns.keySet());
    }

    /**
     * The new row's columns that carry the old row's key, in from.key order, when the new key is the
     * old key (each to.key column mapped as a plain from.key column): then old and new rows can be
     * walked together in key ranges. In place, the key itself. Empty otherwise.
     */
    public java.util.Optional<List<String>> alignedTargetKey() {
        if (inPlace) {
            return java.util.Optional.of(sourceKey);
        }
        if (targetKey.size() != sourceKey.size()) {
            return java.util.Optional.empty();
        }
        List<String> mapped = new ArrayList<>();
        for (String k : sourceKey) {
            java.util.Optional<String> tk = targetKey.stream().filter(t -> isPlainColumn(columns.get(t), k)).findFirst();
            if (tk.isEmpty()) {
                return java.util.Optional.empty();
            }
            mapped.add(tk.get());
        }
        return java.util.Optional.of(mapped);
    }

    static boolean isPlainColumn(String expr, String column) {
        if (expr == null) {
            return false;
        }
        String e = expr.strip();
        return e.equals(column) || e.equals(Ident.quote(column));
    }

    /** The where condition as a boolean expression over the source alias ("true" when none). */
    public String whereOrTrue() {
        return where == null || where.isBlank() ? "true" : "COALESCE((" + where + "), false)";
    }

    /**
     * One backfill batch for a shard, as a single statement. Parameters, in order: the last key
     * done (one per key column; only when {@code hasLower}), the shard's upper key (one per key
     * column; only when {@code hasUpper}), and the batch size. Returns one row when the batch saw
     * rows: rows scanned, rows written, then the batch's last key as text, one column per key
     * column. The source rows are locked (FOR SHARE; FOR UPDATE in place) so a concurrent update
     * or delete waits for the batch and its trigger then sees the copied row.
     *
     * @param keyTypes SQL types of the key columns, from the catalog
     */
    public String backfillBatchSql(List<String> keyTypes, boolean hasLower, boolean hasUpper) {
        return backfillBatchSql(keyTypes, hasLower, hasUpper, false);
    }

    /** @param onConflict add ON CONFLICT DO NOTHING (the retry after a unique violation) */
    public String backfillBatchSql(List<String> keyTypes, boolean hasLower, boolean hasUpper, boolean onConflict) {
        StringBuilder sql = new StringBuilder();
        String keys = keyList(null);
        String params = keyTypes.stream().map(t -> "CAST(? AS " + t + ")").collect(Collectors.joining(", "));
        String lower = "(" + keys + ") > (" + params + ")";
        String upper = "(" + keys + ") <= (" + params + ")";
        String batchKeys = sourceKey.stream().map(k -> Ident.quote(k) + " AS " + Ident.quote("tandem_k_" + k))
                .collect(Collectors.joining(", "));
        sql.append("WITH batch AS (SELECT ").append(inPlace ? batchKeys : "*").append(" FROM ").append(source())
                .append(" WHERE ").append(hasLower ? lower : "true").append(" AND ").append(hasUpper ? upper : "true")
                .append(" ORDER BY ").append(keys).append(" LIMIT ? FOR ").append(inPlace ? "UPDATE" : "SHARE")
                .append("), written AS (");
        if (inPlace) {
            String set = columns.entrySet().stream()
                    .map(e -> Ident.quote(e.getKey()) + " = (" + e.getValue() + ")").collect(Collectors.joining(", "));
            String join = sourceKey.stream().map(k -> alias() + "." + Ident.quote(k) + " = b." + Ident.quote("tandem_k_" + k))
                    .collect(Collectors.joining(" AND "));
            sql.append("UPDATE ").append(source()).append(" AS ").append(alias()).append(" SET ").append(set)
                    .append(" FROM batch b WHERE ").append(join).append(" AND ").append(whereOrTrue())
                    .append(" RETURNING 1)");
        } else {
            // Rows a trigger already wrote are skipped, never overwritten: an anti-join first (cheap); a row a
            // trigger commits meanwhile raises unique_violation and the batch is retried with ON CONFLICT DO NOTHING.
            // The new values are computed in a derived table under generated names, so the anti-join compares them
            // with the target's columns without any name of the target capturing a column of the source.
            List<String> targetCols = targetColumns();
            StringBuilder values = new StringBuilder();
            StringBuilder named = new StringBuilder();
            for (int i = 0; i < targetCols.size(); i++) {
                values.append(i > 0 ? ", " : "").append("(").append(columns.get(targetCols.get(i))).append(") AS ")
                        .append(Ident.quote("tandem_c" + i));
                named.append(i > 0 ? ", " : "").append("v.").append(Ident.quote("tandem_c" + i));
            }
            String keyMatch = targetKey.stream().map(k -> "t." + Ident.quote(k) + " = v."
                    + Ident.quote("tandem_c" + targetCols.indexOf(k))).collect(Collectors.joining(" AND "));
            sql.append("INSERT INTO ").append(target()).append(" (").append(cols(targetCols)).append(") SELECT ")
                    .append(named).append(" FROM (SELECT ").append(values).append(" FROM batch AS ").append(alias())
                    .append(" WHERE ").append(whereOrTrue()).append(") AS v WHERE NOT EXISTS (SELECT 1 FROM ")
                    .append(target()).append(" AS t WHERE ").append(keyMatch).append(")")
                    .append(onConflict ? " ON CONFLICT (" + cols(targetKey) + ") DO NOTHING" : "").append(" RETURNING 1)");
        }
        String lastKeyCols = sourceKey.stream()
                .map(k -> "l." + Ident.quote(inPlace ? "tandem_k_" + k : k) + "::text").collect(Collectors.joining(", "));
        String order = sourceKey.stream().map(k -> Ident.quote(inPlace ? "tandem_k_" + k : k) + " DESC")
                .collect(Collectors.joining(", "));
        sql.append(" SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM written), ").append(lastKeyCols)
                .append(" FROM (SELECT * FROM batch ORDER BY ").append(order).append(" LIMIT 1) l");
        return sql.toString();
    }
}
