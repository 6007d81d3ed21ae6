package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PreflightSql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What expand checks before it changes anything, read-only and in batches of pages (no statement
 * runs long, no lock is held between them): that every expression of every entry evaluates on
 * every existing row, and that no two existing old rows map to one new row of a shared target.
 * Expressions that need objects expand creates are evaluated on a sample inside expand instead
 * ({@link dev.tandem.plan.SyncChecks}), and over every row by the backfill.
 */
final class Preflight {
    static final int SAMPLES = 5;
    static final int MAX_COUNTED = 1_000;

    private final Connection c;
    private final EngineSettings settings;

    Preflight(Connection c, EngineSettings settings) {
        this.c = c;
        this.settings = settings;
    }

    /** Throws when existing rows would fail; changes nothing either way. */
    void check(MigrationPlan plan) throws SQLException, EngineException {
        standardStrings(plan);
        List<String> problems = new ArrayList<>();
        for (CompiledSync entry : plan.sync()) {
            if (exists(entry.source()) && compiles(entry)) {
                rows(entry, problems);
            }
        }
        if (!problems.isEmpty()) {
            throw new EngineException(Reason.ExistingRowsInvalid, "expand of " + plan.key()
                    + " refused, nothing was changed: " + String.join("; ", problems) + "; fix these rows, or change the "
                    + "expression so that it accepts them (e.g. CASE WHEN data IS JSON THEN data::jsonb END)");
        }
        collisions(plan);
    }

    /**
     * Expressions of the spec are proven to stay in their place by PostgreSQL's lexical rules with
     * standard_conforming_strings on (the default since PostgreSQL 9.1): with it off, a backslash
     * in a string would end it somewhere else than the proof assumed.
     */
    private void standardStrings(MigrationPlan plan) throws SQLException, EngineException {
        try (java.sql.Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW standard_conforming_strings")) {
            rs.next();
            if (!"on".equalsIgnoreCase(rs.getString(1))) {
                throw new EngineException(Reason.UnsupportedServer, "expand of " + plan.key() + " refused, nothing was "
                        + "changed: standard_conforming_strings is off for this database or role; sync expressions "
                        + "need it on (ALTER DATABASE ... SET standard_conforming_strings = on), as PostgreSQL has "
                        + "defaulted to since 9.1");
            }
        }
    }

    private boolean exists(String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Whether the entry's expressions plan against today's catalog (else they need expand's objects). */
    private boolean compiles(CompiledSync entry) throws SQLException {
        try {
            readOnly(() -> {
                try (PreparedStatement ps = c.prepareStatement(PreflightSql.compiles(entry))) {
                    ps.executeQuery().close();
                }
                return null;
            });
            return true;
        } catch (SQLException e) {
            if (Sql.isConnectionError(e.getSQLState())) {
                throw e;
            }
            return false;
        }
    }

    private void rows(CompiledSync entry, List<String> problems) throws SQLException {
        RowErrors.Attempt readOnly = (sql, from, to) -> readOnly(() -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, from);
                ps.setString(2, to);
                ps.executeQuery().close();
            }
            return null;
        });
        List<RowErrors.Failure> failures = RowErrors.find(c, entry, readOnly, MAX_COUNTED);
        if (!failures.isEmpty()) {
            problems.add((failures.size() >= MAX_COUNTED ? "at least " : "") + failures.size() + " existing row"
                    + (failures.size() == 1 ? "" : "s") + " of " + entry.sourceTable() + " make sync entry " + entry.name()
                    + " fail, e.g. " + String.join(", ", failures.stream().limit(SAMPLES)
                    .map(f -> f.key() + " (" + f.error() + ")").toList()));
        }
    }

    /** New keys of shared targets (or of an entry whose new key is not its old key) that several old rows map to. */
    private void collisions(MigrationPlan plan) throws SQLException, EngineException {
        Map<String, List<CompiledSync>> groups = new LinkedHashMap<>();
        for (CompiledSync e : plan.sync()) {
            if (e.inPlace()) {
                continue;
            }
            boolean alone = !e.sharedTarget();
            if (alone && (e.keep() || e.alignedTargetKey().isPresent())) {
                continue; // one old row per new row by construction, or many by design
            }
            groups.computeIfAbsent(e.target(), t -> new ArrayList<>()).add(e);
        }
        List<String> problems = new ArrayList<>();
        for (List<CompiledSync> group : groups.values()) {
            if (!group.stream().allMatch(e -> existsQuietly(e.source()))) {
                continue;
            }
            List<String> keys = new ArrayList<>();
            try {
                readOnly(() -> {
                    try (PreparedStatement ps = c.prepareStatement(PreflightSql.collisions(group, SAMPLES));
                         ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            keys.add(rs.getString(1) + " (" + rs.getLong(3) + " rows of " + rs.getString(2) + ")");
                        }
                    }
                    return null;
                });
            } catch (SQLException e) {
                if (Sql.isConnectionError(e.getSQLState())) {
                    throw e;
                }
                continue; // expressions that need expand's objects: the triggers refuse collisions from then on
            }
            if (!keys.isEmpty()) {
                problems.add("sync entries " + group.stream().map(CompiledSync::name).toList() + " map existing rows to "
                        + "the same " + group.get(0).targetTable() + " key: " + String.join(", ", keys));
            }
        }
        if (!problems.isEmpty()) {
            throw new EngineException(Reason.KeysCollide, "expand of " + plan.key()
                    + " refused, nothing was changed: " + String.join("; ", problems) + "; each new row belongs to one "
                    + "old row: rename or remove one of the old rows, or change the mappings (onDelete: Keep for a "
                    + "many-to-one lookup)");
        }
    }

    private boolean existsQuietly(String table) {
        try {
            return exists(table);
        } catch (SQLException e) {
            return false;
        }
    }

    private interface Read<T> {
        T run() throws SQLException;
    }

    private <T> T readOnly(Read<T> work) throws SQLException {
        c.setAutoCommit(false);
        c.setReadOnly(true);
        try {
            try (PreparedStatement ps = c.prepareStatement("SELECT set_config('statement_timeout', ?, true)")) {
                ps.setString(1, Durations.toPostgres(settings.statementTimeout()));
                ps.execute();
            }
            T result = work.run();
            c.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setReadOnly(false);
            c.setAutoCommit(true);
        }
    }

}
