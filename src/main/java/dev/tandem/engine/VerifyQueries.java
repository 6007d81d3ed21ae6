package dev.tandem.engine;

import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.Ident;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The comparison SQL of one sync entry. The old side is f(old): each new column's expression over
 * the old row, cast to the new column's type (what the sync would store), for old rows within
 * from.where. The new side is the new table's rows within to.where. Both sides become rows of
 * the same shape under generated names ({@code tandem_c0 …}), compared by their text form, so NULL
 * and '' differ and a value rounded differently differs.
 *
 * <p>Aligned entries (the new key is the old key) are compared in key ranges of the old key, on
 * both sides through their indexes. Other entries (a new key computed from other columns, many
 * old rows to one new row) are compared in hash buckets of the new key over the whole tables.
 */
final class VerifyQueries {
    final CompiledSync entry;
    /** All compared columns (new-table names), sorted; for an entry in place the key columns come first. */
    private final List<String> columns;
    private final List<String> types;
    /** Positions in {@link #columns} of the columns that identify a row. */
    private final List<Integer> keyPositions;
    /** The new table's columns that carry the old key, in from.key order, or null when not aligned. */
    private final List<String> alignedKey;
    private final List<String> sourceKeyTypes;
    private final boolean distinct;

    /**
     * @param columnTypes    SQL types of {@link #compared(CompiledSync)} columns, in that order
     * @param sourceKeyTypes SQL types of from.key
     */
    VerifyQueries(CompiledSync entry, List<String> columnTypes, List<String> sourceKeyTypes) {
        this.entry = entry;
        this.columns = compared(entry);
        this.types = columnTypes;
        this.sourceKeyTypes = sourceKeyTypes;
        List<String> keys = entry.inPlace() ? entry.sourceKey() : entry.targetKey();
        this.keyPositions = keys.stream().map(columns::indexOf).toList();
        this.alignedKey = entry.alignedTargetKey().orElse(null);
        // Several old rows may map to one new row (e.g. distinct names): compare distinct old results.
        this.distinct = alignedKey == null;
    }

    /** The columns compared: in place the key then the derived columns; else every mapped new column. */
    static List<String> compared(CompiledSync entry) {
        List<String> cols = new ArrayList<>();
        if (entry.inPlace()) {
            cols.addAll(entry.sourceKey());
        }
        cols.addAll(entry.targetColumns());
        return cols;
    }

    boolean aligned() {
        return alignedKey != null;
    }

    private static String c(int i) {
        return Ident.quote("tandem_c" + i);
    }

    private String rowText(String qualifier) {
        StringBuilder b = new StringBuilder("ROW(");
        for (int i = 0; i < columns.size(); i++) {
            b.append(i > 0 ? ", " : "").append(qualifier).append(".").append(c(i));
        }
        return b.append(")::text").toString();
    }

    /**
     * A 64-bit hash of a row's values: each column's text hashed with its position as seed (NULL
     * hashes to a constant of its own), combined by XOR. Cheaper than hashing the row's text as a
     * whole, and NULL, '' and every other text differ.
     */
    private String rowHash(String qualifier) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < columns.size(); i++) {
            b.append(i > 0 ? " # " : "").append("coalesce(hashtextextended(").append(qualifier).append(".").append(c(i))
                    .append("::text, ").append(i).append("), ").append(NULL_HASH + i).append(")");
        }
        return b.append(")").toString();
    }

    private static final long NULL_HASH = 0x54414e444e554c4cL; // "TANDNULL"

    private String keyRow(String qualifier) {
        return "ROW(" + keyPositions.stream().map(p -> qualifier + "." + c(p)).collect(Collectors.joining(", ")) + ")";
    }

    /** Range over a list of columns: (cols) > (params) and/or (cols) <= (params). */
    private String range(List<String> qualifiedCols, boolean lower, boolean upper) {
        String cols = "(" + String.join(", ", qualifiedCols) + ")";
        String params = "(" + sourceKeyTypes.stream().map(t -> "CAST(? AS " + t + ")").collect(Collectors.joining(", ")) + ")";
        List<String> parts = new ArrayList<>();
        if (lower) {
            parts.add(cols + " > " + params);
        }
        if (upper) {
            parts.add(cols + " <= " + params);
        }
        return parts.isEmpty() ? "true" : String.join(" AND ", parts);
    }

    /**
     * Old side, one row per old row in range: the compared values, {@code tandem_in} (whether the
     * row is within from.where) and {@code tandem_row} (the values as text).
     */
    private String oldRows(boolean lower, boolean upper) {
        return oldRows(lower, upper, false);
    }

    /** @param exclude also take one tid[] parameter: old rows left out (rows whose expressions raise) */
    private String oldRows(boolean lower, boolean upper, boolean exclude) {
        String a = entry.alias();
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            String col = columns.get(i);
            String expr;
            if (entry.inPlace() && i < entry.sourceKey().size()) {
                expr = a + "." + Ident.quote(col);
            } else {
                String cast = "CAST((" + entry.columns().get(col) + ") AS " + types.get(i) + ")";
                // In place, a row outside from.where has its derived columns cleared (unless onDelete: Keep).
                expr = entry.inPlace() && entry.where() != null && !entry.keep()
                        ? "CASE WHEN " + entry.whereOrTrue() + " THEN " + cast + " END" : cast;
            }
            values.append(expr).append(" AS ").append(c(i)).append(", ");
        }
        String in = entry.inPlace() && !entry.keep() ? "true" : entry.whereOrTrue();
        List<String> key = entry.sourceKey().stream().map(k -> a + "." + Ident.quote(k)).toList();
        String inner = "SELECT " + values + in + " AS " + Ident.quote("tandem_in") + " FROM " + entry.source() + " AS "
                + a + " WHERE " + range(key, lower, upper)
                + (exclude ? " AND NOT (" + a + ".ctid = ANY (CAST(? AS tid[])))" : "");
        return "SELECT x.*, " + rowText("x") + " AS " + Ident.quote("tandem_row") + " FROM (" + inner + ") x";
    }

    /** New side, one row per new row of this entry in range, shaped like the old side. */
    private String newRows(boolean lower, boolean upper) {
        String t = entry.inPlace() ? entry.alias() : entry.targetAlias();
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            values.append(t).append(".").append(Ident.quote(columns.get(i))).append(" AS ").append(c(i)).append(", ");
        }
        String where;
        if (entry.inPlace()) {
            where = entry.keep() ? entry.whereOrTrue() : "true";
        } else {
            where = entry.targetWhere() == null ? "true" : "COALESCE((" + entry.targetWhere() + "), false)";
        }
        String rangeSql = alignedKey == null ? "true"
                : range(alignedKey.stream().map(k -> t + "." + Ident.quote(k)).toList(), lower, upper);
        String inner = "SELECT " + values.substring(0, values.length() - 2) + " FROM " + entry.target() + " AS " + t
                + " WHERE " + where + " AND " + rangeSql;
        return "SELECT x.*, " + rowText("x") + " AS " + Ident.quote("tandem_row") + " FROM (" + inner + ") x";
    }

    private String oldIn(boolean lower, boolean upper) {
        return oldIn(lower, upper, false);
    }

    private String oldIn(boolean lower, boolean upper, boolean exclude) {
        String cols = java.util.stream.IntStream.range(0, columns.size()).mapToObj(VerifyQueries::c)
                .collect(Collectors.joining(", "));
        return "SELECT " + (distinct ? "DISTINCT " : "") + cols + ", " + Ident.quote("tandem_row") + " FROM ("
                + oldRows(lower, upper, exclude) + ") o WHERE " + Ident.quote("tandem_in");
    }

    /** Old rows in a key range (params: lower, upper, when present). */
    String count(boolean lower, boolean upper) {
        return "SELECT count(*) FROM " + entry.source() + " WHERE "
                + range(entry.sourceKey().stream().map(Ident::quote).toList(), lower, upper);
    }

    /** The key of the old rows in a key range as "k=v, ..." (params: lower, upper, when present). */
    String keyText(boolean lower, boolean upper) {
        String text = entry.sourceKey().stream().map(k -> "'" + k.replace("'", "''") + "=' || " + Ident.quote(k) + "::text")
                .collect(Collectors.joining(" || ', ' || "));
        return "SELECT " + text + " FROM " + entry.source() + " WHERE "
                + range(entry.sourceKey().stream().map(Ident::quote).toList(), lower, upper) + " LIMIT 1";
    }

    /** The next chunk's upper bound: the key {@code chunkSize} old rows after the lower bound (params: lower, size). */
    String chunkUpper(boolean lower) {
        String keys = entry.keyList(null);
        // Text copies get names of their own: ORDER BY must sort by the key's type, not as text.
        String text = entry.sourceKey().stream().map(k -> Ident.quote(k) + "::text AS " + Ident.quote("tandem_t_" + k))
                .collect(Collectors.joining(", "));
        return "SELECT " + text + " FROM " + entry.source() + " WHERE "
                + range(entry.sourceKey().stream().map(Ident::quote).toList(), lower, false)
                + " ORDER BY " + keys + " OFFSET ? LIMIT 1";
    }

    /**
     * Aligned chunk hashes. Params: lower, upper (old side), lower, upper (new side), each when
     * present. One row: old rows walked, old rows within where, old hash, new rows, new hash.
     */
    String chunkHashes(boolean lower, boolean upper) {
        String in = Ident.quote("tandem_in");
        String h = "sum(" + rowHash("r") + ")";
        return "SELECT o.walked, o.cnt, o.h, n.cnt, n.h FROM (SELECT count(*) AS walked, count(*) FILTER (WHERE " + in
                + ") AS cnt, " + h + " FILTER (WHERE " + in + ") AS h FROM (" + oldRows(lower, upper) + ") r) o, "
                + "(SELECT count(*) AS cnt, " + h + " AS h FROM (" + newRows(lower, upper) + ") r) n";
    }

    private String bucket(String qualifier, int buckets) {
        return "(hashtextextended(" + keyRow(qualifier) + "::text, 0) % " + buckets + ")";
    }

    /**
     * Bucketed entries: one row per bucket present on either side: bucket, old count, old hash, new
     * count, new hash. Param: the tid[] of old rows left out.
     */
    String bucketHashes(int buckets) {
        String h = "sum(" + rowHash("x") + ")";
        return "SELECT coalesce(o.b, n.b), coalesce(o.cnt, 0), o.h, coalesce(n.cnt, 0), n.h FROM (SELECT "
                + bucket("x", buckets) + " AS b, count(*) AS cnt, " + h + " AS h FROM (" + oldIn(false, false, true)
                + ") x GROUP BY 1) o FULL JOIN (SELECT " + bucket("x", buckets) + " AS b, count(*) AS cnt, " + h
                + " AS h FROM (" + newRows(false, false) + ") x GROUP BY 1) n ON o.b = n.b";
    }

    /**
     * Row by row: one row per mismatch: kind (missing, extra, different), key as text, old row,
     * new row. Aligned: params as {@link #chunkHashes}. Bucketed ({@code buckets > 0}): the tid[] of
     * old rows left out, then the bigint[] of buckets to compare, twice.
     */
    String rowDiff(boolean lower, boolean upper, int buckets) {
        String o = oldIn(lower, upper, buckets > 0);
        String n = newRows(lower, upper);
        if (buckets > 0) {
            o = "SELECT * FROM (" + o + ") x WHERE " + bucket("x", buckets) + " = ANY (?)";
            n = "SELECT * FROM (" + n + ") x WHERE " + bucket("x", buckets) + " = ANY (?)";
        }
        String p = Ident.quote("tandem_p");
        String row = Ident.quote("tandem_row");
        String join = keyPositions.stream().map(i -> "o." + c(i) + " = n." + c(i)).collect(Collectors.joining(" AND "));
        String keyText = keyPositions.stream().map(i -> "'" + columns.get(i).replace("'", "''") + "=' || coalesce(o."
                + c(i) + "::text, n." + c(i) + "::text, 'NULL')").collect(Collectors.joining(", "));
        return "SELECT CASE WHEN n." + p + " IS NULL THEN 'missing' WHEN o." + p + " IS NULL THEN 'extra' ELSE 'different' END, "
                + "concat_ws(', ', " + keyText + "), o." + row + ", n." + row + " FROM (SELECT *, true AS " + p + " FROM ("
                + o + ") o0) o FULL JOIN (SELECT *, true AS " + p + " FROM (" + n + ") n0) n ON " + join
                + " WHERE (o." + p + " IS NULL OR n." + p + " IS NULL OR o." + row + " IS DISTINCT FROM n." + row + ")"
                + (entry.keep() && !entry.inPlace() ? " AND o." + p + " IS NOT NULL" : "");
    }
}
