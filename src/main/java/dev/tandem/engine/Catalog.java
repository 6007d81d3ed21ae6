package dev.tandem.engine;

import dev.tandem.plan.CompiledSync;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** What the backfill and the verification ask PostgreSQL's catalog about a sync entry's tables. */
final class Catalog {
    private Catalog() {
    }

    /** SQL types (with modifiers) of columns of a table, in the order given. */
    static List<String> columnTypes(Connection c, String table, List<String> columns, String entry)
            throws SQLException {
        List<String> types = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                + "WHERE a.attrelid = to_regclass(?) AND a.attname = ? AND NOT a.attisdropped")) {
            for (String col : columns) {
                ps.setString(1, table);
                ps.setString(2, col);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("sync entry " + entry + ": column " + col + " not found in " + table, "42703");
                    }
                    types.add(rs.getString(1));
                }
            }
        }
        return types;
    }

    /** Rows of the entry's source table: the planner's estimate, or a count when there is none. */
    static long estimate(Connection c, CompiledSync entry) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT CASE WHEN reltuples < 0 THEN -1 ELSE reltuples::bigint END FROM pg_class WHERE oid = to_regclass(?)")) {
            ps.setString(1, entry.source());
            try (ResultSet rs = ps.executeQuery()) {
                long n = rs.next() ? rs.getLong(1) : -1;
                if (n >= 0) {
                    return n;
                }
            }
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + entry.source())) {
            rs.next();
            return rs.getLong(1);
        }
    }


    /**
     * Whether a table (qualified, quoted name) holds at most {@code limit} rows: by the planner's
     * estimate, or, when it has none, by counting no further than one row past the limit.
     */
    static boolean atMost(Connection c, String table, long limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(?) "
                + "AND reltuples >= 0")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return rs.getLong(1) <= limit;
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM (SELECT FROM " + table + " LIMIT ?) x")) {
            ps.setLong(1, limit + 1);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) <= limit;
            }
        }
    }

    /** Rows per heap page of the entry's source, from the statistics (1 when unknown). */
    static double rowsPerPage(Connection c, CompiledSync entry) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT CASE WHEN relpages > 0 AND reltuples > 0 THEN reltuples / relpages ELSE 1 END FROM pg_class "
                        + "WHERE oid = to_regclass(?)")) {
            ps.setString(1, entry.source());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getDouble(1) : 1;
            }
        }
    }

    /**
     * Whether the entry's target (or a partition of it) has a foreign key to its source (or a
     * partition of it): its batches then lock their source rows FOR KEY SHARE ({@link dev.tandem.plan.BackfillSql}).
     */
    static boolean targetReferencesSource(Connection c, CompiledSync entry) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
                + "AND f.conrelid IN (SELECT to_regclass(?) UNION SELECT relid FROM pg_partition_tree(to_regclass(?))) "
                + "AND f.confrelid IN (SELECT to_regclass(?) UNION SELECT relid FROM pg_partition_tree(to_regclass(?))))")) {
            ps.setString(1, entry.target());
            ps.setString(2, entry.target());
            ps.setString(3, entry.source());
            ps.setString(4, entry.source());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }
}
