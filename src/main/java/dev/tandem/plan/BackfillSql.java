package dev.tandem.plan;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The backfill's SQL for one sync entry.
 *
 * <p><b>The walk.</b> A batch copies the source rows stored in a range of heap pages
 * ({@code ctid >= '(first,0)' AND ctid < '(end,0)'}, a TID range scan), in one statement, without
 * row locks (but see the foreign key below); its checkpoint is the page range, never a value a
 * read returned. Every row that existed when expand committed and was never written since sits
 * on the page it sat on then, so the walk over the pages the table had at the start meets it
 * exactly once; every row written since expand (inserted, updated, re-keyed, moved into
 * from.where) was written by its trigger.
 *
 * <p><b>Never over a trigger's row.</b> The target's unique key orders a batch's insert against a
 * trigger's upsert of the same key: a row a trigger wrote before the batch is skipped (an
 * anti-join, or ON CONFLICT DO NOTHING when the batch is retried after a unique violation); a
 * trigger that writes after the batch updates the copied row. Rows untouched since expand (their
 * xmin older than expand's transaction) rarely have a trigger's row and skip the anti-join; when
 * one has (a looked-up change re-derives rows that did not change themselves), the unique
 * violation sends the batch to the anti-join.
 *
 * <p><b>Removals that raced a batch.</b> A trigger that removes a new row the batch has not yet
 * committed finds nothing; it logs the key ({@code sync_removals}). After the last batch, once every
 * transaction open at that moment has ended, the log is replayed: each logged new row that no
 * source row justifies any more is deleted, under a row lock taken before the source is read.
 *
 * <p><b>A target with a foreign key to the source.</b> The foreign key's check of each inserted
 * row ({@code SELECT 1 FROM source WHERE key = ? FOR KEY SHARE}) runs at the end of the batch's
 * statement, after the batch has inserted its rows: a source row deleted or re-keyed meanwhile by
 * a transaction still open makes the check wait for it, and once that transaction commits the
 * check finds no row and the batch fails with a foreign-key violation (23503), which would send it
 * to row isolation and could record, or fail on, a row the application had merely deleted. Such a
 * batch therefore locks its source rows {@code FOR KEY SHARE} in its scan, before it inserts
 * anything ({@code ... FROM source WHERE ctid range ... FOR KEY SHARE OF source} inside the
 * INSERT's SELECT; the engine reads the foreign key from the catalog when the backfill starts).
 * The locks are taken in the order the application's DELETE takes them (source row, then its new
 * row, through the cascade or the trigger): a DELETE or key change of a row the batch has locked
 * waits for the batch's commit and then removes or moves the row the batch wrote; a batch that
 * meets a row such a transaction holds waits for it (at most its lock timeout, then it retries)
 * and, under READ COMMITTED, then locks the row's newest version: a deleted row is skipped, an
 * updated one is re-checked against the page range and from.where (EvalPlanQual) and copied with
 * its new values only when it still qualifies, where the target's unique key orders the copy
 * against the trigger that already wrote it. KEY SHARE conflicts with no application UPDATE that
 * keeps the key, and a batch only ever inserts new rows, so no other wait is added; the foreign
 * key's own check then finds the lock the batch already holds. The price: the lock writes the
 * locker's id into every source row (the source's pages are dirtied and WAL-logged once more),
 * which is why only batches of such a target take it.
 *
 * <p><b>A reverse mapping does not run for the batch's rows.</b> Its trigger would write each new
 * row back into the source row it was just derived from: a rewrite of the whole source table, and
 * a lock on every source row taken at the end of the batch's statement, after the batch's new rows
 * (an application UPDATE that waits for one of those new rows while it holds its source row then
 * deadlocks with the batch, a cycle KEY SHARE does not prevent, since it does not conflict with
 * that UPDATE). Batches run with the entry's trigger skip setting.
 *
 * <p>In place, a batch is an UPDATE of the rows in the page range whose derived columns differ
 * from their expressions (rows a trigger already derived are left alone); UPDATE re-reads a row a
 * concurrent writer changed and derives it from its newest version.
 */
public final class BackfillSql {
    /** How a batch avoids rows a trigger already wrote. */
    public enum Mode {
        /** Rows untouched since expand are inserted as they are; the others only when the target lacks them. */
        OPTIMISTIC,
        /** Every row only when the target lacks its key. */
        ANTI_JOIN,
        /** ON CONFLICT DO NOTHING: also skips keys an uncommitted trigger write holds (the retry after a unique violation). */
        ON_CONFLICT
    }

    private BackfillSql() {
    }

    /** The first mode for an entry's batches. */
    public static Mode firstMode(CompiledSync s) {
        if (s.alignedTargetKey().isPresent()) {
            return Mode.OPTIMISTIC;
        }
        // Many old rows may map to one new row within a batch: only ON CONFLICT takes them in one statement.
        return s.keep() ? Mode.ON_CONFLICT : Mode.ANTI_JOIN;
    }

    /**
     * The leaf relations of the source (itself, or a partitioned table's partitions): one row with
     * the pages of the largest and a fingerprint of their storage (a rewrite changes it). Param:
     * the source table.
     */
    public static String layout() {
        return "SELECT coalesce(max(pg_relation_size(r.oid) / current_setting('block_size')::bigint), 0), "
                + "coalesce(string_agg(r.oid::text || ':' || coalesce(pg_relation_filenode(r.oid)::text, '-'), ',' ORDER BY r.oid), '') "
                + "FROM (SELECT c.oid FROM pg_class c WHERE c.oid = CAST(? AS regclass) AND c.relkind IN ('r', 'm') "
                + "UNION SELECT t.relid FROM pg_partition_tree(CAST(? AS regclass)) t WHERE t.isleaf) r";
    }

    private static String pageRange(CompiledSync s) {
        return s.alias() + ".ctid >= CAST(? AS tid) AND " + s.alias() + ".ctid < CAST(? AS tid)";
    }

    /** The tid that starts a page range bound: '(page,0)', or '(page,item)' for one row. */
    public static String tid(long page, int item) {
        return "(" + page + "," + item + ")";
    }

    /**
     * A cross-table batch. Params: [the expand transaction's id (OPTIMISTIC only)], the first tid,
     * the end tid (exclusive). The update count is the number of new rows written.
     */
    public static String copy(CompiledSync s, Mode mode) {
        return copy(s, mode, false);
    }

    /**
     * A cross-table batch, its source rows locked FOR KEY SHARE when {@code lockSource} (the target
     * has a foreign key to the source, see the class comment). Params as {@link #copy(CompiledSync, Mode)}.
     */
    public static String copy(CompiledSync s, Mode mode, boolean lockSource) {
        List<String> cols = s.targetColumns();
        String v = Ident.quote("tandem:v");
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < cols.size(); i++) {
            values.append(i > 0 ? ", " : "").append(s.expression(cols.get(i))).append(" AS ").append(c(i));
        }
        String named = IntStream.range(0, cols.size()).mapToObj(i -> v + "." + c(i)).collect(Collectors.joining(", "));
        String t = Ident.quote("tandem:t");
        String keyMatch = s.targetKey().stream().map(k -> t + "." + Ident.quote(k) + " = " + v + "." + c(cols.indexOf(k)))
                .collect(Collectors.joining(" AND "));
        String missing = "NOT EXISTS (SELECT 1 FROM " + s.target() + " AS " + t + " WHERE " + keyMatch + ")";
        String old = Ident.quote("tandem:old");
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(s.target()).append(" (")
                .append(CompiledSync.cols(cols)).append(") SELECT ").append(named).append(" FROM (SELECT ").append(values);
        if (mode == Mode.OPTIMISTIC) {
            sql.append(", age(").append(s.alias()).append(".xmin) > age(CAST(? AS xid)) AS ").append(old);
        }
        sql.append(" FROM ").append(s.source()).append(" AS ").append(s.alias()).append(" WHERE ").append(pageRange(s))
                .append(" AND ").append(s.whereOrTrue());
        if (lockSource) {
            sql.append(" FOR KEY SHARE OF ").append(s.alias());
        }
        sql.append(") AS ").append(v);
        switch (mode) {
            case OPTIMISTIC -> sql.append(" WHERE ").append(v).append(".").append(old).append(" OR ").append(missing);
            case ANTI_JOIN -> sql.append(" WHERE ").append(missing);
            case ON_CONFLICT -> sql.append(" ON CONFLICT (").append(CompiledSync.cols(s.targetKey())).append(") DO NOTHING");
        }
        return sql.toString();
    }

    /**
     * An in-place batch. Params: the first tid, the end tid (exclusive).
     *
     * @param types SQL types of the derived columns (sorted like {@link CompiledSync#targetColumns()}), from the catalog
     */
    public static String derive(CompiledSync s, List<String> types) {
        List<String> cols = s.targetColumns();
        String a = s.alias();
        StringBuilder set = new StringBuilder();
        StringBuilder now = new StringBuilder("ROW(");
        StringBuilder wanted = new StringBuilder("ROW(");
        for (int i = 0; i < cols.size(); i++) {
            String value = derivedValue(s, cols.get(i), types.get(i));
            set.append(i > 0 ? ", " : "").append(Ident.quote(cols.get(i))).append(" = ").append(value);
            now.append(i > 0 ? ", " : "").append(a).append(".").append(Ident.quote(cols.get(i))).append("::text");
            wanted.append(i > 0 ? ", " : "").append(value).append("::text");
        }
        String keepFilter = s.keep() && s.where() != null ? " AND " + s.whereOrTrue() : "";
        return "UPDATE " + s.source() + " AS " + a + " SET " + set + " WHERE " + pageRange(s) + keepFilter + " AND "
                + now + ") IS DISTINCT FROM " + wanted + ")";
    }

    /** A derived column's value for a row: its expression in from.where, NULL outside (unless onDelete: Keep). */
    private static String derivedValue(CompiledSync s, String col, String type) {
        String cast = "CAST(" + s.expression(col) + " AS " + type + ")";
        return s.where() == null || s.keep() ? cast : "CASE WHEN " + s.whereOrTrue() + " THEN " + cast + " END";
    }

    /**
     * The source key of the rows in a page range, as text, in page order: to name rows that fail.
     * Params: first tid, end tid.
     */
    public static String keysInRange(CompiledSync s) {
        return "SELECT " + s.alias() + ".ctid::text, " + s.sourceKey().stream().map(k -> s.alias() + "." + Ident.quote(k)
                + "::text").collect(Collectors.joining(", ")) + " FROM " + s.source() + " AS " + s.alias() + " WHERE "
                + pageRange(s) + " ORDER BY " + s.alias() + ".ctid";
    }

    /**
     * Up to a number of distinct logged removals of the entry, oldest first. Params: migration,
     * entry, logged at or before, limit. Rows: the key as text[].
     */
    public static String loggedRemovals(String trackingSchema) {
        return "SELECT DISTINCT key FROM " + TrackingSql.table(trackingSchema, TrackingSql.SYNC_REMOVALS)
                + " WHERE migration = ? AND entry = ? AND logged_at <= ? ORDER BY key LIMIT ?";
    }

    /** Keys as a derived table from one text[] parameter per key column, cast to the key's types. */
    private static String keyTable(CompiledSync s, List<String> keyTypes) {
        String r = Ident.quote("tandem:r");
        String params = s.targetKey().stream().map(k -> "CAST(? AS text[])").collect(Collectors.joining(", "));
        String names = IntStream.range(0, s.targetKey().size()).mapToObj(i -> Ident.quote("tandem:k" + i)).collect(Collectors.joining(", "));
        String casts = IntStream.range(0, s.targetKey().size())
                .mapToObj(i -> "CAST(u." + Ident.quote("tandem:k" + i) + " AS " + keyTypes.get(i) + ") AS " + Ident.quote("tandem:k" + i))
                .collect(Collectors.joining(", "));
        return "(SELECT " + casts + " FROM unnest(" + params + ") AS u(" + names + ")) AS " + r;
    }

    private static String keyJoin(CompiledSync s, String alias) {
        String r = Ident.quote("tandem:r");
        return IntStream.range(0, s.targetKey().size()).mapToObj(i -> alias + "." + Ident.quote(s.targetKey().get(i)) + " = "
                + r + "." + Ident.quote("tandem:k" + i)).collect(Collectors.joining(" AND "));
    }

    /** Repair, step 1: lock the new rows at the logged keys. Params: one text[] per key column. */
    public static String repairLock(CompiledSync s, List<String> keyTypes) {
        String ta = s.targetAlias();
        return "SELECT 1 FROM " + s.target() + " AS " + ta + " JOIN " + keyTable(s, keyTypes) + " ON " + keyJoin(s, ta)
                + " FOR UPDATE OF " + ta;
    }

    /**
     * Repair, step 2 (a new statement, so it sees every write committed before the locks were
     * granted): delete the locked rows of this entry that no source row justifies. Params: one
     * text[] per key column. The update count is the number of rows removed.
     */
    public static String repairDelete(CompiledSync s, List<String> keyTypes) {
        String ta = s.targetAlias();
        String a = s.alias();
        String r = Ident.quote("tandem:r");
        String justified = "ROW(" + s.targetKey().stream().map(s::expression).collect(Collectors.joining(", ")) + ") = ROW("
                + IntStream.range(0, s.targetKey().size()).mapToObj(i -> r + "." + Ident.quote("tandem:k" + i))
                .collect(Collectors.joining(", ")) + ")";
        return "DELETE FROM " + s.target() + " AS " + ta + " USING " + keyTable(s, keyTypes) + " WHERE " + keyJoin(s, ta)
                + (s.sharedTarget() ? " AND " + s.targetWhereOrTrue() : "") + " AND NOT EXISTS (SELECT 1 FROM " + s.source()
                + " AS " + a + " WHERE " + justified + " AND " + s.whereOrTrue() + ")";
    }

    /**
     * Repair, step 3: forget the replayed log rows. Params: one text[] per key column (the keys
     * replayed), then migration, entry, logged at or before.
     */
    public static String repairForget(CompiledSync s) {
        String params = s.targetKey().stream().map(k -> "CAST(? AS text[])").collect(Collectors.joining(", "));
        String names = IntStream.range(0, s.targetKey().size()).mapToObj(i -> Ident.quote("tandem:k" + i)).collect(Collectors.joining(", "));
        return "DELETE FROM " + TrackingSql.table(s.trackingSchema(), TrackingSql.SYNC_REMOVALS) + " AS l USING unnest(" + params + ") AS u("
                + names + ") WHERE l.key = ARRAY[" + IntStream.range(0, s.targetKey().size())
                .mapToObj(i -> "u." + Ident.quote("tandem:k" + i)).collect(Collectors.joining(", "))
                + "] AND l.migration = ? AND l.entry = ? AND l.logged_at <= ?";
    }

    private static String table(String schema, String name) {
        return Ident.quote(schema) + "." + Ident.quote(name);
    }

    private static String c(int i) {
        return Ident.quote("tandem:c" + i);
    }
}
