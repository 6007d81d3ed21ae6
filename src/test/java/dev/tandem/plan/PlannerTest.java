package dev.tandem.plan;

import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.Specs;
import dev.tandem.api.v1alpha1.DeletionPolicy;
import dev.tandem.api.v1alpha1.PromotionSpec;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SecretRef;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.api.v1alpha1.TargetPhase;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

class PlannerTest {
    private static final String EXPAND = "ALTER TABLE users ADD COLUMN email_lower text;\n"
            + "CREATE FUNCTION sync_email() RETURNS trigger AS $$\nBEGIN\n  NEW.email_lower := lower(NEW.email);\n"
            + "  RETURN NEW;\nEND\n$$ LANGUAGE plpgsql;\n"
            + "CREATE TRIGGER sync_email BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION sync_email();\n";
    private static final String CUTOVER = "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;";
    private static final String CONTRACT = "DROP TRIGGER sync_email ON users;\nALTER TABLE users DROP COLUMN email;";
    private static final String ROLLBACK = "DROP TRIGGER IF EXISTS sync_email ON users;\n"
            + "ALTER TABLE users DROP COLUMN IF EXISTS email_lower;";

    private static SchemaMigrationSpec spec() {
        return Specs.of(EXPAND, CUTOVER, CONTRACT, ROLLBACK);
    }

    private static String hash(SchemaMigrationSpec spec) {
        return Planner.plan("shop", "email-lower", spec).hash();
    }

    private static String hashWith(Consumer<SchemaMigrationSpec> change) {
        SchemaMigrationSpec spec = spec();
        change.accept(spec);
        return hash(spec);
    }

    @Test
    void planHasSixStepsInOrder() {
        MigrationPlan plan = Planner.plan("shop", "email-lower", spec());
        assertThat(plan.steps()).extracting(PlanStep::step)
                .containsExactly(Step.EXPAND, Step.BACKFILL, Step.VERIFY, Step.CUTOVER, Step.CONTRACT, Step.ROLLBACK);
        assertThat(plan.key()).isEqualTo("shop/email-lower");
    }

    @Test
    void userStatementsLandInTheirSteps() {
        MigrationPlan plan = Planner.plan("shop", "email-lower", spec());
        assertThat(plan.step(Step.EXPAND).statements()).hasSize(3)
                .allSatisfy(s -> assertThat(s.origin()).isEqualTo(PlannedStatement.USER));
        assertThat(plan.step(Step.BACKFILL).statements()).isEmpty();
        assertThat(plan.step(Step.VERIFY).statements()).isEmpty();
        assertThat(plan.step(Step.CUTOVER).statements()).extracting(PlannedStatement::sql)
                .containsExactly("ALTER TABLE users ALTER COLUMN email DROP NOT NULL");
        assertThat(plan.step(Step.CONTRACT).statements()).hasSize(2);
        assertThat(plan.step(Step.ROLLBACK).statements()).hasSize(2);
        assertThat(plan.statementCount()).isEqualTo(8);
    }

    @Test
    void missingSqlSectionsGiveEmptySteps() {
        SchemaMigrationSpec spec = new SchemaMigrationSpec();
        spec.setExpand(new SqlSpec("CREATE TABLE t (id int)"));
        MigrationPlan plan = Planner.plan("ns", "m", spec);
        assertThat(plan.steps()).hasSize(6);
        assertThat(plan.statementCount()).isEqualTo(1);
    }

    @Test
    void hashIsTwelveHexCharacters() {
        assertThat(hash(spec())).hasSize(Planner.HASH_LENGTH).hasSize(12).matches("[0-9a-f]{12}");
    }

    @Test
    void hashIsStableForTheSameSpec() {
        assertThat(hash(spec())).isEqualTo(hash(spec()));
        assertThat(Planner.plan("other-ns", "other-name", spec()).hash()).isEqualTo(hash(spec()));
    }

    @Test
    void hashIgnoresTargetPhase() {
        String base = hash(spec());
        for (TargetPhase t : TargetPhase.values()) {
            assertThat(hashWith(s -> s.setTargetPhase(t))).as("targetPhase %s", t).isEqualTo(base);
        }
    }

    @Test
    void hashIgnoresPromotion() {
        PromotionSpec promotion = new PromotionSpec();
        promotion.setPlanHash("0123456789ab");
        promotion.setReference("https://example.org/pr/1");
        assertThat(hashWith(s -> s.setPromotion(promotion))).isEqualTo(hash(spec()));
    }

    @Test
    void hashIgnoresSuspend() {
        assertThat(hashWith(s -> s.setSuspend(true))).isEqualTo(hash(spec()));
    }

    @Test
    void hashIgnoresTimeouts() {
        assertThat(hashWith(s -> s.setLockTimeout("500ms"))).isEqualTo(hash(spec()));
        assertThat(hashWith(s -> s.setStatementTimeout("1h"))).isEqualTo(hash(spec()));
    }

    @Test
    void hashIgnoresDeletionPolicy() {
        assertThat(hashWith(s -> s.setDeletionPolicy(DeletionPolicy.RollBack))).isEqualTo(hash(spec()));
    }

    @Test
    void hashIgnoresDatabaseSecret() {
        assertThat(hashWith(s -> s.getDatabase().setSecretRef(new SecretRef("other-db")))).isEqualTo(hash(spec()));
        assertThat(hashWith(s -> s.setDatabase(null))).isEqualTo(hash(spec()));
    }

    @Test
    void hashIgnoresCrlfVersusLfLineEndings() {
        String crlf = hashWith(s -> {
            s.setExpand(new SqlSpec(EXPAND.replace("\n", "\r\n")));
            s.setContract(new SqlSpec(CONTRACT.replace("\n", "\r\n")));
            s.setRollback(new SqlSpec(ROLLBACK.replace("\n", "\r\n")));
        });
        assertThat(crlf).isEqualTo(hash(spec()));
    }

    @Test
    void hashChangesWhenExpandSqlChangesByOneCharacter() {
        assertThat(hashWith(s -> s.setExpand(new SqlSpec(EXPAND.replace("lower(NEW.email)", "lower(NEW.emaiL)")))))
                .isNotEqualTo(hash(spec()));
    }

    @Test
    void hashChangesWhenCutoverSqlChanges() {
        assertThat(hashWith(s -> s.setCutover(new SqlSpec(CUTOVER.replace("email", "emai1")))))
                .isNotEqualTo(hash(spec()));
    }

    @Test
    void hashChangesWhenContractSqlChanges() {
        assertThat(hashWith(s -> s.setContract(new SqlSpec(CONTRACT.replace("DROP COLUMN email", "DROP COLUMN emails")))))
                .isNotEqualTo(hash(spec()));
    }

    @Test
    void hashChangesWhenRollbackSqlChanges() {
        assertThat(hashWith(s -> s.setRollback(new SqlSpec(ROLLBACK.replace("IF EXISTS email_lower", "IF EXISTS email_lowe")))))
                .isNotEqualTo(hash(spec()));
    }

    @Test
    void hashChangesWhenASqlSectionIsRemovedOrAStatementAdded() {
        assertThat(hashWith(s -> s.setRollback(null))).isNotEqualTo(hash(spec()));
        assertThat(hashWith(s -> s.setCutover(new SqlSpec(CUTOVER + "\nSELECT 1;")))).isNotEqualTo(hash(spec()));
    }

    @Test
    void hashChangesWhenAStatementMovesBetweenPhases() {
        String moved = hashWith(s -> {
            s.setCutover(new SqlSpec(CUTOVER + "\nDROP TRIGGER sync_email ON users;"));
            s.setContract(new SqlSpec("ALTER TABLE users DROP COLUMN email;"));
        });
        assertThat(moved).isNotEqualTo(hash(spec()));
    }

    @Test
    void hashChangesWhenTheSameStatementIsInAnotherSectionOnly() {
        SchemaMigrationSpec inCutover = new SchemaMigrationSpec();
        inCutover.setExpand(new SqlSpec("CREATE TABLE t (id int)"));
        inCutover.setCutover(new SqlSpec("SELECT 1"));
        SchemaMigrationSpec inContract = new SchemaMigrationSpec();
        inContract.setExpand(new SqlSpec("CREATE TABLE t (id int)"));
        inContract.setContract(new SqlSpec("SELECT 1"));
        assertThat(hash(inCutover)).isNotEqualTo(hash(inContract));
    }

    @Test
    void createIndexConcurrentlySplitsExpandIntoSeparateUnits() {
        SchemaMigrationSpec spec = spec();
        spec.setExpand(new SqlSpec("ALTER TABLE users ADD COLUMN email_lower text;\n"
                + "UPDATE users SET email_lower = lower(email) WHERE id < 0;\n"
                + "CREATE INDEX CONCURRENTLY users_email_lower ON users (email_lower);\n"
                + "ALTER TABLE users ADD CONSTRAINT email_lower_nn CHECK (email_lower IS NOT NULL) NOT VALID;"));
        PlanStep expand = Planner.plan("shop", "m", spec).step(Step.EXPAND);

        List<PlanUnit> units = expand.units();
        assertThat(units).hasSize(3);
        assertThat(units).extracting(PlanUnit::index).containsExactly(0, 1, 2);
        assertThat(units).extracting(PlanUnit::transactional).containsExactly(true, false, true);
        assertThat(units.get(0).statements()).hasSize(2);
        assertThat(units.get(1).statements()).singleElement()
                .satisfies(s -> assertThat(s.sql()).startsWith("CREATE INDEX CONCURRENTLY"));
        assertThat(units.get(2).statements()).hasSize(1);
        assertThat(expand.statements()).hasSize(4);
    }

    @Test
    void withoutNonTransactionalStatementsAStepIsOneUnit() {
        PlanStep expand = Planner.plan("shop", "m", spec()).step(Step.EXPAND);
        assertThat(expand.units()).singleElement().satisfies(u -> {
            assertThat(u.transactional()).isTrue();
            assertThat(u.statements()).hasSize(3);
        });
    }

    @Test
    void movingAConcurrentIndexWithinExpandChangesTheHash() {
        String a = hashWith(s -> s.setExpand(new SqlSpec("SELECT 1; CREATE INDEX CONCURRENTLY i ON t (a); SELECT 2")));
        String b = hashWith(s -> s.setExpand(new SqlSpec("SELECT 1; SELECT 2; CREATE INDEX CONCURRENTLY i ON t (a)")));
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void summaryMentionsEveryStep() {
        String summary = Planner.plan("shop", "email-lower", spec()).summary();
        for (Step step : Step.values()) {
            assertThat(summary).contains(step.key());
        }
        assertThat(summary).contains("expand 3 statements (ACCESS EXCLUSIVE)")
                .contains("backfill 0 statements")
                .contains("cutover 1 statement (ACCESS EXCLUSIVE)");
    }

    @Test
    void renderedPlanShowsEveryStatementItsLockAndTheHash() {
        MigrationPlan plan = Planner.plan("shop", "email-lower", spec());
        String text = PlanRenderer.render(plan);

        assertThat(text).contains("shop/email-lower").contains(plan.hash());
        for (PlanStep step : plan.steps()) {
            for (PlannedStatement s : step.statements()) {
                for (String line : s.sql().split("\n")) {
                    assertThat(text).contains(line.strip());
                }
                assertThat(text).contains("] " + s.lock().sqlName() + " (user)");
            }
        }
        assertThat(text).contains("ACCESS EXCLUSIVE").contains("SHARE ROW EXCLUSIVE").contains("no table lock");
        assertThat(text).contains("Phase 1 Expand").contains("Phase 4 Cutover").contains("Rollback");
    }

    @Test
    void renderedPlanMarksConcurrentStatementsAsOutsideATransaction() {
        SchemaMigrationSpec spec = spec();
        spec.setExpand(new SqlSpec("ALTER TABLE t ADD COLUMN b int; CREATE INDEX CONCURRENTLY i ON t (b)"));
        String text = PlanRenderer.render(Planner.plan("ns", "m", spec));
        assertThat(text).contains("runs outside a transaction")
                .contains("SHARE UPDATE EXCLUSIVE (user)")
                .contains("CREATE INDEX CONCURRENTLY i ON t (b)");
    }
}
