package dev.tandem.plan.lint;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.SqlScript;
import dev.tandem.plan.StatementClassifier;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lints every user statement of a migration before it runs: what each statement locks, whether it
 * scans or rewrites a table under that lock, and the safe form; plus the rules about the migration
 * as a whole (promotion hash, rollback SQL, atomic phases, what the application stops writing).
 * Pure without a catalog; with one, findings carry table sizes and the catalog-only rules run.
 */
public final class Linter {
    static final String EXPAND = "spec.expand.sql";
    static final String CUTOVER = "spec.cutover.sql";
    static final String CONTRACT = "spec.contract.sql";
    static final String ROLLBACK = "spec.rollback.sql";
    private static final List<String> FIELD_ORDER = List.of("spec.promotion.planHash", EXPAND, CUTOVER, CONTRACT, ROLLBACK);

    private Linter() {
    }

    public static LintReport lint(SchemaMigrationSpec spec, MigrationPlan plan) {
        return lint(spec, plan, null);
    }

    /** @param catalog what the database knows, or null for the offline rules only */
    public static LintReport lint(SchemaMigrationSpec spec, MigrationPlan plan, Catalog catalog) {
        Map<String, Script> scripts = scripts(spec);
        Known known = new Known(catalog);
        List<Finding> findings = new ArrayList<>(MigrationRules.check(spec, plan, scripts));
        for (Script script : scripts.values()) {
            findings.addAll(StatementRules.check(script, known));
        }
        findings.addAll(MappingRules.check(spec.getSync(), scripts, catalog));
        findings.addAll(ContractRules.check(scripts, catalog));
        if (catalog != null) {
            findings.replaceAll(f -> sized(f, catalog));
        }
        findings.sort(Comparator.comparing(Finding::severity)
                .thenComparing(f -> FIELD_ORDER.indexOf(f.field())).thenComparing(Finding::statement));
        List<String> notParsed = new ArrayList<>();
        scripts.values().forEach(s -> s.statements().stream().filter(st -> !st.facts().parsed())
                .forEach(st -> notParsed.add(st.field() + " statement " + st.number())));
        return new LintReport(List.copyOf(findings), List.copyOf(notParsed), catalog != null);
    }

    private static Map<String, Script> scripts(SchemaMigrationSpec spec) {
        Map<String, Script> scripts = new LinkedHashMap<>();
        scripts.put(EXPAND, script(EXPAND, spec.getExpand(), Set.of()));
        scripts.put(CUTOVER, script(CUTOVER, spec.getCutover(), Set.of()));
        scripts.put(CONTRACT, script(CONTRACT, spec.getContract(), Set.of()));
        scripts.put(ROLLBACK, script(ROLLBACK, spec.getRollback(), scripts.get(EXPAND).created()));
        return scripts;
    }

    private static Script script(String field, SqlSpec sql, Set<String> newBefore) {
        List<Stmt> statements = new ArrayList<>();
        if (sql != null && sql.getSql() != null) {
            int number = 1;
            for (String statement : SqlScript.split(sql.getSql())) {
                statements.add(statement(field, number++, statement));
            }
        }
        return new Script(field, List.copyOf(statements), newBefore);
    }

    /** One statement, read by the SQL parser or (when it does not know the statement) the lexer. */
    static Stmt statement(String field, int number, String sql) {
        Facts facts = ParsedFacts.of(sql).orElseGet(() -> LexedFacts.of(sql));
        StatementClassifier.Classification c = StatementClassifier.classify(sql);
        return new Stmt(field, number, sql, facts, c.lock(), c.transactional());
    }

    private static Finding sized(Finding f, Catalog catalog) {
        if (f.table() == null || f.underLock() == null) {
            return f;
        }
        return catalog.size(f.table()).map(size -> f.withSize(Sizes.describe(size))).orElse(f);
    }
}
