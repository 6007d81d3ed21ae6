package dev.tandem.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The verification's SQL for one sync entry: what "new == f(old)" means, next to the trigger and
 * backfill statements that must make it true.
 *
 * <p><b>The two sides.</b> The old side is f(old): each new column's expression over the old row,
 * cast to the new column's type (what the sync stores), for old rows within from.where. The new
 * side is the new table's rows within to.where. Both become rows of the same shape under
 * generated names ({@code tandem_c0 …}).
 *
 * <p><b>Hashes.</b> A chunk is compared by count and the sum of 64-bit row hashes on each side. A
 * row's hash combines one hash per column by XOR, each seeded with the column's position, NULL
 * hashing to a constant of its own. Integers, uuids, numerics of a declared scale and strings are
 * hashed by their type's own hash function (strings under the "C" collation, byte by byte); every
 * other type by its text form (a numeric without a declared scale too: 1.0 and 1.00 are equal numbers
 * with different text). Each of these is a function of the value's text form, so two rows hash alike only when their text
 * forms do: NULL and '' differ, and so do timestamps of another precision. Rows are compared by
 * their text form in the row diff.
 *
 * <p><b>Chunks.</b> Aligned entries (the new key is the old key) are compared in key ranges of the
 * old key, on both sides through their key indexes; the ranges are cut once per pass from a sample
 * of the old keys. Before that, an entry small enough may be compared whole ({@link #wholeHashes}:
 * the range holding every key, which the planner reads by sequential scans), and is cut into ranges
 * only when the whole differs. Other entries (a new key computed from other columns, many old rows to one new
 * row) are compared in hash buckets of the new key over the whole tables.
 */
public final class VerifySql {
    private static final long NULL_HASH = 0x54414e444e554c4cL; // "TANDNULL"
    private static final String C_COLLATION = "pg_catalog.\"C\"";

    private final CompiledSync entry;
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
     * @param columnTypes    SQL types (format_type) of the {@link #compared(CompiledSync)} columns, in that order
     * @param sourceKeyTypes SQL types of from.key
     */
    public VerifySql(CompiledSync entry, List<String> columnTypes, List<String> sourceKeyTypes) {
        this.entry = entry;
        this.columns = compared(entry);
        this.types = List.copyOf(columnTypes);
        this.sourceKeyTypes = List.copyOf(sourceKeyTypes);
        List<String> keys = entry.inPlace() ? entry.sourceKey() : entry.targetKey();
        this.keyPositions = keys.stream().map(columns::indexOf).toList();
        this.alignedKey = entry.alignedTargetKey().orElse(null);
        // Several old rows may map to one new row (e.g. distinct names): compare distinct old results.
        this.distinct = alignedKey == null;
    }

    /** The columns compared: in place the key then the derived columns; else every mapped new column. */
    public static List<String> compared(CompiledSync entry) {
        List<String> cols = new ArrayList<>();
        if (entry.inPlace()) {
            cols.addAll(entry.sourceKey());
        }
        cols.addAll(entry.targetColumns());
        return cols;
    }

    public CompiledSync entry() {
        return entry;
    }

    /**
     * Whether the entry may be compared whole first: keyed by its old key, and not an entry whose new
     * table keeps rows its old side has lost (onDelete: Keep, not in place): its whole never agrees
     * once a row is gone, only the row diff leaves such rows out.
     */
    public boolean comparableWhole() {
        return aligned() && !(entry.keep() && !entry.inPlace());
    }

    /** Whether the entry is compared in key ranges (else in hash buckets of the new key). */
    public boolean aligned() {
        return alignedKey != null;
    }

    private static String c(int i) {
        return Ident.quote("tandem_c" + i);
    }

    private String rowText(String qualifier) {
        return "ROW(" + IntStream.range(0, columns.size()).mapToObj(i -> qualifier + "." + c(i))
                .collect(Collectors.joining(", ")) + ")::text";
    }

    /** The hash of one value of a column of the given type, seeded with the column's position. */
    static String valueHash(String value, String type, int seed) {
        String t = type.toLowerCase(java.util.Locale.ROOT);
        String hash;
        if (t.equals("bigint")) {
            hash = "hashint8extended(" + value + ", " + seed + ")";
        } else if (t.equals("integer")) {
            hash = "hashint4extended(" + value + ", " + seed + ")";
        } else if (t.equals("smallint")) {
            hash = "hashint2extended(" + value + ", " + seed + ")";
        } else if (t.equals("uuid")) {
            hash = "uuid_hash_extended(" + value + ", " + seed + ")";
        } else if (t.startsWith("numeric(")) {
            // A declared scale, which both sides are cast to: equal values have equal text (1.0 and 1.00 cannot meet).
            hash = "hash_numeric_extended(" + value + ", " + seed + ")";
        } else if (t.equals("text") || t.startsWith("character varying")) {
            hash = "hashtextextended(" + value + " COLLATE " + C_COLLATION + ", " + seed + ")";
        } else {
            hash = "hashtextextended(CAST(" + value + " AS text) COLLATE " + C_COLLATION + ", " + seed + ")";
        }
        return "coalesce(" + hash + ", " + (NULL_HASH + seed) + ")";
    }

    /** A 64-bit hash of a row's compared values: the columns' hashes combined by XOR. */
    private String rowHash(String qualifier) {
        return "(" + IntStream.range(0, columns.size()).mapToObj(i -> valueHash(qualifier + "." + c(i), types.get(i), i))
                .collect(Collectors.joining(" # ")) + ")";
    }

    private String keyRow(String qualifier) {
        return "ROW(" + keyPositions.stream().map(p -> qualifier + "." + c(p)).collect(Collectors.joining(", ")) + ")";
    }

    private List<String> sourceKeyColumns(String qualifier) {
        return entry.sourceKey().stream().map(k -> (qualifier == null ? "" : qualifier + ".") + Ident.quote(k)).toList();
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

    /** The old side's value of compared column i. */
    private String oldValue(int i) {
        String col = columns.get(i);
        if (entry.inPlace() && i < entry.sourceKey().size()) {
            return entry.alias() + "." + Ident.quote(col);
        }
        String cast = "CAST(" + entry.expression(col) + " AS " + types.get(i) + ")";
        // In place, a row outside from.where has its derived columns cleared (unless onDelete: Keep).
        return entry.inPlace() && entry.where() != null && !entry.keep()
                ? "CASE WHEN " + entry.whereOrTrue() + " THEN " + cast + " END" : cast;
    }

    /**
     * Old side, one row per old row in range: the compared values and {@code tandem_in} (whether
     * the row is within from.where).
     *
     * @param exclude also take one tid[] parameter: old rows left out (rows whose expressions raise)
     */
    private String oldRows(boolean lower, boolean upper, boolean exclude) {
        String a = entry.alias();
        String values = IntStream.range(0, columns.size()).mapToObj(i -> oldValue(i) + " AS " + c(i))
                .collect(Collectors.joining(", "));
        String in = entry.inPlace() && !entry.keep() ? "true" : entry.whereOrTrue();
        return "SELECT " + values + ", " + in + " AS " + Ident.quote("tandem_in") + " FROM " + entry.source() + " AS " + a
                + " WHERE " + range(sourceKeyColumns(a), lower, upper)
                + (exclude ? " AND NOT (" + a + ".ctid = ANY (CAST(? AS tid[])))" : "");
    }

    /** New side, one row per new row of this entry in range, shaped like the old side. */
    private String newRows(boolean lower, boolean upper) {
        String t = entry.inPlace() ? entry.alias() : entry.targetAlias();
        String values = IntStream.range(0, columns.size()).mapToObj(i -> t + "." + Ident.quote(columns.get(i)) + " AS " + c(i))
                .collect(Collectors.joining(", "));
        String where;
        if (entry.inPlace()) {
            where = entry.keep() ? entry.whereOrTrue() : "true";
        } else {
            where = entry.targetWhere() == null ? "true" : "COALESCE((" + entry.targetWhere() + "), false)";
        }
        String rangeSql = alignedKey == null ? "true"
                : range(alignedKey.stream().map(k -> t + "." + Ident.quote(k)).toList(), lower, upper);
        return "SELECT " + values + " FROM " + entry.target() + " AS " + t + " WHERE " + where + " AND " + rangeSql;
    }

    /** Old rows within from.where, with their text form {@code tandem_row}; distinct when not aligned. */
    private String oldIn(boolean lower, boolean upper, boolean exclude) {
        String cols = IntStream.range(0, columns.size()).mapToObj(VerifySql::c).collect(Collectors.joining(", "));
        return "SELECT " + (distinct ? "DISTINCT " : "") + cols + ", " + rowText("o") + " AS " + Ident.quote("tandem_row")
                + " FROM (" + oldRows(lower, upper, exclude) + ") o WHERE " + Ident.quote("tandem_in");
    }

    private String newWithText(boolean lower, boolean upper) {
        return "SELECT x.*, " + rowText("x") + " AS " + Ident.quote("tandem_row") + " FROM (" + newRows(lower, upper) + ") x";
    }

    /** Old rows in a key range (params: lower, upper, when present). */
    public String count(boolean lower, boolean upper) {
        return "SELECT count(*) FROM " + entry.source() + " WHERE " + range(sourceKeyColumns(null), lower, upper);
    }

    /** The key of the old rows in a key range as "k=v, ..." (params: lower, upper, when present). */
    public String keyText(boolean lower, boolean upper) {
        String text = entry.sourceKey().stream().map(k -> "'" + k.replace("'", "''") + "=' || " + Ident.quote(k) + "::text")
                .collect(Collectors.joining(" || ', ' || "));
        return "SELECT " + text + " FROM " + entry.source() + " WHERE " + range(sourceKeyColumns(null), lower, upper)
                + " LIMIT 1";
    }

    /** The key {@code n} old rows after the lower bound, as text (params: lower, when present, then n). */
    public String keyAfter(boolean lower) {
        // Text copies get names of their own: ORDER BY must sort by the key's type, not as text.
        String text = entry.sourceKey().stream().map(k -> Ident.quote(k) + "::text AS " + Ident.quote("tandem_t_" + k))
                .collect(Collectors.joining(", "));
        return "SELECT " + text + " FROM " + entry.source() + " WHERE " + range(sourceKeyColumns(null), lower, false)
                + " ORDER BY " + entry.keyList(null) + " OFFSET ? LIMIT 1";
    }

    /**
     * The upper bounds of an aligned entry's key-range chunks, cut from a sample of the old keys
     * (whole heap pages, so it reads a fraction of the table): every {@code step}-th sampled key
     * in key order. One row per bound, in order: {@code tandem_bound} (the key as text[]) and
     * {@code tandem_n} (1, 2, ...). Params: [lower bound], the sample's percentage of pages, step.
     */
    public String chunkBounds(boolean lower) {
        String a = entry.alias();
        String keys = String.join(", ", sourceKeyColumns(a));
        String bound = entry.sourceKey().stream().map(k -> "s." + Ident.quote("tandem_k_" + k) + "::text")
                .collect(Collectors.joining(", "));
        String named = entry.sourceKey().stream().map(k -> a + "." + Ident.quote(k) + " AS " + Ident.quote("tandem_k_" + k))
                .collect(Collectors.joining(", "));
        String rn = Ident.quote("tandem_rn");
        return "SELECT ARRAY[" + bound + "] AS " + Ident.quote("tandem_bound") + ", row_number() OVER (ORDER BY s." + rn
                + ") AS " + Ident.quote("tandem_n") + " FROM (SELECT " + named + ", row_number() OVER (ORDER BY " + keys
                + ") AS " + rn + " FROM " + entry.source() + " AS " + a + " TABLESAMPLE SYSTEM (CAST(? AS float8)) WHERE "
                + range(sourceKeyColumns(a), lower, false) + ") s WHERE s." + rn + " % CAST(? AS bigint) = 0";
    }

    /**
     * Aligned chunk hashes. Params: lower, upper (old side), lower, upper (new side), each when
     * present. One row: old rows walked, old rows within where, old hash, new rows, new hash.
     */
    public String chunkHashes(boolean lower, boolean upper) {
        String in = Ident.quote("tandem_in");
        String h = "sum(" + rowHash("r") + ")";
        return "SELECT o.walked, o.cnt, o.h, n.cnt, n.h FROM (SELECT count(*) AS walked, count(*) FILTER (WHERE " + in
                + ") AS cnt, " + h + " FILTER (WHERE " + in + ") AS h FROM (" + oldRows(lower, upper, false) + ") r) o, "
                + "(SELECT count(*) AS cnt, " + h + " AS h FROM (" + newRows(lower, upper) + ") r) n";
    }

    /**
     * An aligned entry's hashes over both whole tables, the key range that holds every chunk: one row
     * as {@link #chunkHashes}, no params. Without a range the planner reads each side by a sequential
     * scan (with parallel workers when it likes), which costs a third of walking the key's index.
     */
    public String wholeHashes() {
        return chunkHashes(false, false);
    }

    private String bucket(String qualifier, int buckets) {
        return "(hashtextextended(" + keyRow(qualifier) + "::text, 0) % " + buckets + ")";
    }

    /**
     * Bucketed entries: one row per bucket present on either side: bucket, old count, old hash, new
     * count, new hash. Param: the tid[] of old rows left out.
     */
    public String bucketHashes(int buckets) {
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
    public String rowDiff(boolean lower, boolean upper, int buckets) {
        String o = oldIn(lower, upper, buckets > 0);
        String n = newWithText(lower, upper);
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
