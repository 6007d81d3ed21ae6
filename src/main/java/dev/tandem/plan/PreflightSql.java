package dev.tandem.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * What is checked before expand, read-only, while nothing is installed yet: every expression of
 * every entry over every existing row (in page ranges, so no statement runs long and no lock is
 * held between them), and that no two old rows map to the same new row of a shared target.
 */
public final class PreflightSql {
    private PreflightSql() {
    }

    /** Plans the entry's evaluation; fails when the expressions need objects that expand creates (or have errors). */
    public static String compiles(CompiledSync s) {
        return "EXPLAIN " + evaluate(s, false);
    }

    /**
     * Evaluates every expression and the where condition over the rows of a page range (params:
     * first tid, end tid); fails on the first row that raises.
     */
    public static String evaluate(CompiledSync s) {
        return evaluate(s, true);
    }

    private static String evaluate(CompiledSync s, boolean ranged) {
        String a = s.alias();
        String range = ranged ? " AND " + a + ".ctid >= CAST(? AS tid) AND " + a + ".ctid < CAST(? AS tid)" : "";
        return "SELECT count(ROW(" + s.expressionList() + ")) FROM " + s.source() + " AS " + a + " WHERE "
                + s.whereOrTrue() + range;
    }

    /**
     * For one row (params: its tid, twice): evaluates the where condition and each expression on
     * its own, in spec order of {@link #fields}, to say which one fails.
     */
    public static List<String> evaluateEach(CompiledSync s) {
        List<String> out = new ArrayList<>();
        String a = s.alias();
        String row = " FROM " + s.source() + " AS " + a + " WHERE " + a + ".ctid >= CAST(? AS tid) AND " + a
                + ".ctid < CAST(? AS tid)";
        if (s.where() != null) {
            out.add("SELECT count(*)" + row + " AND " + s.whereOrTrue());
        }
        for (String col : s.targetColumns()) {
            out.add("SELECT count(" + s.expression(col) + ")" + row + " AND " + s.whereOrTrue());
        }
        return out;
    }

    /** The fields {@link #evaluateEach} checks, in its order. */
    public static List<String> fields(CompiledSync s) {
        List<String> out = new ArrayList<>();
        if (s.where() != null) {
            out.add(s.field() + ".from.where");
        }
        s.targetColumns().forEach(c -> out.add(s.field() + ".columns." + c));
        return out;
    }

    /**
     * New keys that more than one old row maps to, among entries writing one target table: the
     * entries sharing it, or one entry whose new key is not its old key (onDelete: Keep entries
     * map many old rows to one new row by design and count once). Rows: the key as text, the
     * entries, the number of old rows. At most {@code limit} rows.
     */
    public static String collisions(List<CompiledSync> group, int limit) {
        List<String> branches = new ArrayList<>();
        int n = group.get(0).targetKey().size();
        for (CompiledSync s : group) {
            String keys = IntStream.range(0, n).mapToObj(i -> "(" + s.expression(s.targetKey().get(i)) + ")::text AS "
                    + Ident.quote("k" + i)).collect(Collectors.joining(", "));
            branches.add("SELECT " + (s.keep() ? "DISTINCT " : "") + keys + ", " + TriggerSql.literal(s.name()) + " AS "
                    + Ident.quote("e") + " FROM " + s.source() + " AS " + s.alias() + " WHERE " + s.whereOrTrue());
        }
        String keyCols = IntStream.range(0, n).mapToObj(i -> Ident.quote("k" + i)).collect(Collectors.joining(", "));
        return "SELECT ROW(" + keyCols + ")::text, string_agg(DISTINCT " + Ident.quote("e") + ", ', '), count(*) FROM ("
                + String.join(" UNION ALL ", branches) + ") x GROUP BY " + keyCols + " HAVING count(*) > 1 LIMIT " + limit;
    }
}
