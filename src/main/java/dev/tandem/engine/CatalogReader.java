package dev.tandem.engine;

import dev.tandem.plan.Ident;
import dev.tandem.plan.lint.Catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The catalog facts the plan's lint asks for, read from a live database (read-only queries, names
 * bound as values). A table that does not exist yet has no facts.
 */
public final class CatalogReader implements Catalog {
    /** A relation's name as the linter compares it: schema-qualified unless in public. */
    private static final String NAME = name("c", "n");
    private final Connection connection;

    public CatalogReader(Connection connection) {
        this.connection = connection;
    }

    private static String name(String relation, String namespace) {
        return "CASE WHEN " + namespace + ".nspname = 'public' THEN " + relation + ".relname ELSE " + namespace
                + ".nspname || '.' || " + relation + ".relname END";
    }

    /** The name as to_regclass reads it: each part quoted (the linter's names are already folded). */
    static String regclass(String table) {
        int dot = table.indexOf('.');
        return dot < 0 ? Ident.quote(table) : Ident.quote(table.substring(0, dot)) + "." + Ident.quote(table.substring(dot + 1));
    }

    @Override
    public Optional<TableSize> size(String table) {
        return one("SELECT pg_total_relation_size(c.oid), c.reltuples::bigint FROM pg_class c WHERE c.oid = to_regclass(?)",
                table, rs -> new TableSize(rs.getLong(1), rs.getLong(2)));
    }

    @Override
    public Optional<Column> column(String table, String column) {
        try (PreparedStatement s = connection.prepareStatement("SELECT a.attnotnull, a.atthasdef OR a.attidentity <> '' "
                + "OR a.attgenerated <> '' FROM pg_attribute a WHERE a.attrelid = to_regclass(?) AND a.attname = ? "
                + "AND a.attnum > 0 AND NOT a.attisdropped")) {
            s.setString(1, regclass(table));
            s.setString(2, column);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(new Column(rs.getBoolean(1), rs.getBoolean(2))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new CatalogException(e);
        }
    }

    @Override
    public boolean hasValidatedNotNullCheck(String table, String column) {
        try (PreparedStatement s = connection.prepareStatement("SELECT 1 FROM pg_constraint k WHERE k.conrelid = "
                + "to_regclass(?) AND k.contype = 'c' AND k.convalidated AND regexp_replace(pg_get_constraintdef(k.oid), "
                + "'[()\"\\s]', '', 'g') = 'CHECK' || ? || 'ISNOTNULL'")) {
            s.setString(1, regclass(table));
            s.setString(2, column.replaceAll("\\s", ""));
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new CatalogException(e);
        }
    }

    @Override
    public List<Dependent> dependents(String table) {
        List<Dependent> out = new ArrayList<>();
        list("SELECT DISTINCT " + NAME + " FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid "
                + "JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = to_regclass(?) AND c.oid <> d.refobjid "
                + "ORDER BY 1", table, rs -> out.add(new Dependent("view", rs.getString(1), rs.getString(1))));
        list("SELECT k.conname, " + NAME + " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE k.contype = 'f' AND k.confrelid = to_regclass(?) "
                + "AND k.conrelid <> k.confrelid ORDER BY 1", table,
                rs -> out.add(new Dependent("foreign key", rs.getString(1), rs.getString(2))));
        list("SELECT DISTINCT " + name("s", "sn") + ", " + NAME + " || '.' || a.attname "
                + "FROM pg_depend own JOIN pg_class s ON s.oid = own.objid AND s.relkind = 'S' "
                + "JOIN pg_namespace sn ON sn.oid = s.relnamespace "
                + "JOIN pg_depend used ON used.refobjid = s.oid AND used.classid = 'pg_attrdef'::regclass "
                + "JOIN pg_attrdef ad ON ad.oid = used.objid JOIN pg_class c ON c.oid = ad.adrelid "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum "
                + "WHERE own.classid = 'pg_class'::regclass AND own.refobjid = to_regclass(?) AND own.deptype IN ('a', 'i') "
                + "AND ad.adrelid <> own.refobjid ORDER BY 1, 2", table,
                rs -> out.add(new Dependent("sequence", rs.getString(1), rs.getString(2))));
        return out;
    }

    @Override
    public List<String> ownedSequences(String table) {
        List<String> out = new ArrayList<>();
        list("SELECT " + NAME + " FROM pg_depend own JOIN pg_class c ON c.oid = own.objid AND c.relkind = 'S' "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE own.classid = 'pg_class'::regclass "
                + "AND own.refobjid = to_regclass(?) AND own.deptype IN ('a', 'i') ORDER BY 1", table,
                rs -> out.add(rs.getString(1)));
        return out;
    }

    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private interface Each {
        void accept(ResultSet rs) throws SQLException;
    }

    private <T> Optional<T> one(String sql, String table, Row<T> row) {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setString(1, regclass(table));
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(row.read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new CatalogException(e);
        }
    }

    private void list(String sql, String table, Each each) {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setString(1, regclass(table));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    each.accept(rs);
                }
            }
        } catch (SQLException e) {
            throw new CatalogException(e);
        }
    }

    /** The catalog could not be read; the message is the database's. */
    public static final class CatalogException extends RuntimeException {
        CatalogException(SQLException e) {
            super(e.getMessage(), e);
        }
    }
}
