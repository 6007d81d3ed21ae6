package dev.tandem.operator;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.engine.StepListener;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.Manifests;
import dev.tandem.testing.TestDatabase;
import dev.tandem.api.v1alpha1.StatusCondition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import dev.tandem.testing.OperatorTest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator against the Fabric8 mock API server (CRUD mode; status via the status subresource,
 * no server-side apply) and a real PostgreSQL.
 */
@QuarkusTest
@WithKubernetesTestServer
class OperatorLifecycleTest extends OperatorTest {

    private DatabaseTarget databaseWithSecret(String ns, String secret) {
        DatabaseTarget db = TestDatabase.fresh(ns);
        TestDatabase.exec(db, Manifests.USERS_SETUP);
        client.resource(Manifests.secret(ns, secret, db, db.user(), TestDatabase.password())).create();
        return db;
    }

    private static Predicate<SchemaMigrationStatus> settledAt(Phase phase, long generation) {
        return s -> s.getPhase() == phase && s.getObservedGeneration() != null && s.getObservedGeneration() >= generation
                && s.isTrue(Names.Conditions.READY);
    }

    private static Predicate<SchemaMigrationStatus> stalledWith(String reason, long generation) {
        return s -> s.getObservedGeneration() != null && s.getObservedGeneration() >= generation
                && s.condition(Names.Conditions.STALLED).map(c -> "True".equals(c.getStatus())
                && reason.equals(c.getReason())).orElse(false);
    }

    private SchemaMigration edit(Resource<SchemaMigration> r, TargetPhase target, String hash) {
        return r.edit(m -> {
            Manifests.promote(m, target, hash);
            return m;
        });
    }

    private static StatusCondition condition(SchemaMigrationStatus s, String type) {
        return s.condition(type).orElseThrow(() -> new AssertionError("no condition " + type));
    }

    @Test
    void migrationWalksEveryPhaseAsTargetAndPlanHashArePromoted() {
        String ns = "walk";
        DatabaseTarget db = databaseWithSecret(ns, "shop-db");
        Resource<SchemaMigration> r = apply(Manifests.attributeMove(ns, "move-name", "shop-db", TargetPhase.Expanded));

        SchemaMigrationStatus s = awaitStatus(r, settledAt(Phase.Expanded, 1));
        assertThat(TestDatabase.tableExists(db, "users_pii")).isTrue();
        assertThat(s.getStep()).isEqualTo("1/5");
        assertThat(condition(s, Names.Conditions.EXPANDED).getStatus()).isEqualTo("True");
        assertThat(condition(s, Names.Conditions.REVERSIBLE).getStatus()).isEqualTo("True");
        assertThat(condition(s, Names.Conditions.DATABASE_CONNECTED).getStatus()).isEqualTo("True");
        assertThat(condition(s, Names.Conditions.AWAITING_PROMOTION).getMessage()).contains("targetPhase: Backfilled");
        assertThat(s.getConditions()).allMatch(c -> c.getObservedGeneration() == 1L);
        String hash = s.getPlan().getHash();
        assertThat(hash).hasSize(12);
        ConfigMap plan = client.configMaps().inNamespace(ns).withName("move-name-plan").get();
        assertThat(plan.getData()).containsEntry("hash", hash);
        assertThat(plan.getData().get("plan.txt")).contains("CREATE TABLE users_pii").contains("ACCESS EXCLUSIVE");
        assertThat(plan.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getKind()).isEqualTo("SchemaMigration"));

        edit(r, TargetPhase.Verified, null);
        s = awaitStatus(r, settledAt(Phase.Verified, 2));
        assertThat(condition(s, Names.Conditions.BACKFILLED).getStatus()).isEqualTo("True");
        assertThat(condition(s, Names.Conditions.VERIFIED).getStatus()).isEqualTo("True");
        assertThat(condition(s, Names.Conditions.AWAITING_PROMOTION).getMessage())
                .contains("targetPhase: CutOver").contains("planHash: \"" + hash + "\"");
        assertThat(s.getStep()).isEqualTo("3/5");

        // Promotion without the plan hash: nothing runs.
        edit(r, TargetPhase.CutOver, null);
        s = awaitStatus(r, stalledWith(Reason.PlanHashMismatch.name(), 3));
        assertThat(s.getMessage()).contains(hash);
        assertThat(s.getPhase()).isEqualTo(Phase.Verified);
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).isFalse();
        assertThat(condition(s, Names.Conditions.READY).getStatus()).isEqualTo("False");

        edit(r, TargetPhase.CutOver, "0000deadbeef");
        s = awaitStatus(r, stalledWith(Reason.PlanHashMismatch.name(), 4));
        assertThat(s.getMessage()).contains("0000deadbeef").contains(hash);
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).isFalse();

        edit(r, TargetPhase.CutOver, hash);
        s = awaitStatus(r, settledAt(Phase.CutOver, 5));
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).isTrue();
        assertThat(condition(s, Names.Conditions.REVERSIBLE).getStatus()).isEqualTo("False");
        assertThat(s.getPointOfNoReturnTime()).isNotNull();
        assertThat(condition(s, Names.Conditions.STALLED).getStatus()).isEqualTo("False");

        // Backwards after the point of no return: refused by the operator (the mock runs no CEL).
        edit(r, TargetPhase.Verified, hash);
        s = awaitStatus(r, stalledWith("PointOfNoReturnPassed", 6));
        assertThat(s.getPhase()).isEqualTo(Phase.CutOver);
        edit(r, TargetPhase.RolledBack, hash);
        s = awaitStatus(r, stalledWith("PointOfNoReturnPassed", 7));
        assertThat(TestDatabase.tableExists(db, "users_pii")).isTrue();

        edit(r, TargetPhase.Contracted, hash);
        s = awaitStatus(r, settledAt(Phase.Contracted, 8));
        assertThat(TestDatabase.columnExists(db, "users", "full_name")).isFalse();
        assertThat(condition(s, Names.Conditions.CONTRACTED).getStatus()).isEqualTo("True");
        assertThat(condition(s, Names.Conditions.AWAITING_PROMOTION).getStatus()).isEqualTo("False");
        assertThat(s.getStep()).isEqualTo("5/5");
        assertThat(s.getHistory()).extracting(h -> h.getPhase() + ":" + h.getResult()).containsSubsequence(
                "Expanded:Succeeded", "Backfilled:Succeeded", "Verified:Succeeded", "CutOver:Succeeded",
                "Contracted:Succeeded");
        assertThat(s.getHistory()).filteredOn(h -> "CutOver".equals(h.getPhase())).singleElement()
                .satisfies(h -> {
                    assertThat(h.getPlanHash()).isEqualTo(hash);
                    assertThat(h.getReference()).isEqualTo("https://git.example/pull/1");
                });

        List<Event> events = client.v1().events().inNamespace(ns).list().getItems();
        assertThat(events).extracting(Event::getReason)
                .contains("StepStarted", "StepSucceeded", "PointOfNoReturnPassed", "PromotionRefused", "AwaitingPromotion");
    }

    @Test
    void rollbackBeforeCutoverUndoesExpand() {
        String ns = "rollback";
        DatabaseTarget db = databaseWithSecret(ns, "db");
        Resource<SchemaMigration> r = apply(Manifests.attributeMove(ns, "m", "db", TargetPhase.Backfilled));
        awaitStatus(r, settledAt(Phase.Backfilled, 1));
        assertThat(TestDatabase.tableExists(db, "users_pii")).isTrue();

        edit(r, TargetPhase.RolledBack, null);
        SchemaMigrationStatus s = awaitStatus(r, settledAt(Phase.RolledBack, 2));
        assertThat(TestDatabase.tableExists(db, "users_pii")).isFalse();
        assertThat(condition(s, Names.Conditions.REVERSIBLE).getReason()).isEqualTo("RolledBack");
        assertThat(condition(s, Names.Conditions.EXPANDED).getStatus()).isEqualTo("False");

        // A rolled-back migration is final.
        edit(r, TargetPhase.Expanded, null);
        awaitStatus(r, stalledWith(Reason.RolledBackIsFinal.name(), 3));
        assertThat(TestDatabase.tableExists(db, "users_pii")).isFalse();
    }

    @Test
    void missingSecretStallsThenRecoversWhenTheSecretIsCreated() {
        String ns = "nosecret";
        DatabaseTarget db = TestDatabase.fresh(ns);
        TestDatabase.exec(db, Manifests.USERS_SETUP);
        Resource<SchemaMigration> r = apply(Manifests.attributeMove(ns, "m", "late-db", TargetPhase.Expanded));
        SchemaMigrationStatus s = awaitStatus(r, stalledWith(Reason.SecretNotFound.name(), 1));
        assertThat(s.getMessage()).contains("nosecret/late-db").contains("spec.database.secretRef.name");
        assertThat(condition(s, Names.Conditions.DATABASE_CONNECTED).getStatus()).isEqualTo("False");

        client.resource(Manifests.secret(ns, "late-db", db, db.user(), TestDatabase.password())).create();
        awaitStatus(r, settledAt(Phase.Expanded, 1));
        assertThat(TestDatabase.tableExists(db, "users_pii")).isTrue();
    }

    @Test
    void wrongPasswordStallsWithoutShowingThePassword() {
        String ns = "badpw";
        TestDatabase.ensureRole("tandem_app", "right-password-123");
        DatabaseTarget db = TestDatabase.fresh(ns);
        TestDatabase.exec(db, Manifests.USERS_SETUP);
        String secretPassword = "wrong-password-S3cr3t";
        client.resource(Manifests.secret(ns, "db", db, "tandem_app", secretPassword)).create();
        Resource<SchemaMigration> r = apply(Manifests.attributeMove(ns, "m", "db", TargetPhase.Expanded));
        SchemaMigrationStatus s = awaitStatus(r, stalledWith("AuthenticationFailed", 1));
        assertThat(s.getMessage()).contains("Secret db").contains("password").doesNotContain(secretPassword);
        assertThat(r.get().toString()).doesNotContain(secretPassword);
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .allSatisfy(e -> assertThat(e.getMessage()).doesNotContain(secretPassword));
        assertThat(TestDatabase.tableExists(db, "users_pii")).isFalse();

        client.resource(Manifests.secret(ns, "db", db, "tandem_app", "right-password-123")).update();
        awaitStatus(r, settledAt(Phase.Expanded, 1));
    }

    @Test
    void editingTheDefinitionAfterExpandStallsAndAppliesNothing() {
        String ns = "immutable";
        DatabaseTarget db = databaseWithSecret(ns, "db");
        Resource<SchemaMigration> r = apply(Manifests.attributeMove(ns, "m", "db", TargetPhase.Expanded));
        String hash = awaitStatus(r, settledAt(Phase.Expanded, 1)).getPlan().getHash();
        r.edit(m -> {
            m.getSpec().getExpand().setSql("CREATE TABLE sneaky (id int);");
            m.getSpec().setTargetPhase(TargetPhase.Backfilled);
            return m;
        });
        SchemaMigrationStatus s = awaitStatus(r, stalledWith(Reason.SpecImmutable.name(), 2));
        assertThat(s.getMessage()).contains(hash);
        assertThat(s.getPhase()).isEqualTo(Phase.Expanded);
        assertThat(TestDatabase.tableExists(db, "sneaky")).isFalse();
        assertThat(condition(s, Names.Conditions.BACKFILLED).getStatus()).isEqualTo("False");
    }

    @Test
    void invalidSpecStallsWithTheFieldNamed() {
        String ns = "invalid";
        databaseWithSecret(ns, "db");
        SchemaMigration m = Manifests.attributeMove(ns, "m", "db", TargetPhase.Expanded);
        m.getSpec().setLockTimeout("soon");
        m.getSpec().getExpand().setSql("BEGIN; CREATE TABLE x (id int); COMMIT;");
        SchemaMigrationStatus s = awaitStatus(apply(m), stalledWith(Reason.InvalidSpec.name(), 1));
        assertThat(s.getMessage()).contains("spec.lockTimeout").contains("spec.expand.sql");
    }

    @Test
    void suspendTakesNoStep() {
        String ns = "suspend";
        DatabaseTarget db = databaseWithSecret(ns, "db");
        SchemaMigration m = Manifests.attributeMove(ns, "m", "db", TargetPhase.Expanded);
        m.getSpec().setSuspend(true);
        Resource<SchemaMigration> r = apply(m);
        SchemaMigrationStatus s = awaitStatus(r, st -> Names.Reasons.SUSPENDED.equals(
                st.condition(Names.Conditions.READY).map(StatusCondition::getReason).orElse("")));
        assertThat(s.getPhase()).isEqualTo(Phase.Pending);
        assertThat(TestDatabase.tableExists(db, "users_pii")).isFalse();
        r.edit(x -> {
            x.getSpec().setSuspend(false);
            return x;
        });
        awaitStatus(r, settledAt(Phase.Expanded, 2));
    }

    @Test
    void deletionWithRetainLeavesTheDatabase() {
        String ns = "retain";
        DatabaseTarget db = databaseWithSecret(ns, "db");
        Resource<SchemaMigration> r = apply(Manifests.attributeMove(ns, "m", "db", TargetPhase.Expanded));
        awaitStatus(r, settledAt(Phase.Expanded, 1));
        assertThat(r.get().getMetadata().getFinalizers()).contains(Names.FINALIZER);
        r.delete();
        await().atMost(TIMEOUT).until(() -> r.get() == null);
        assertThat(TestDatabase.tableExists(db, "users_pii")).isTrue();
    }

    @Test
    void deletionWithRollBackPolicyRollsBackFirst() {
        String ns = "delrollback";
        DatabaseTarget db = databaseWithSecret(ns, "db");
        SchemaMigration m = Manifests.attributeMove(ns, "m", "db", TargetPhase.Verified);
        m.getSpec().setDeletionPolicy(dev.tandem.api.v1alpha1.DeletionPolicy.RollBack);
        Resource<SchemaMigration> r = apply(m);
        awaitStatus(r, settledAt(Phase.Verified, 1));
        assertThat(TestDatabase.tableExists(db, "users_pii")).isTrue();
        r.delete();
        await().atMost(TIMEOUT).until(() -> r.get() == null);
        assertThat(TestDatabase.tableExists(db, "users_pii")).isFalse();
        assertThat(client.v1().events().inNamespace(ns).list().getItems()).extracting(Event::getReason)
                .contains("DeletionRolledBack");
    }

    @Test
    void deletionWithRollBackPolicyAfterCutoverRetainsTheDatabase() {
        String ns = "delpnr";
        DatabaseTarget db = databaseWithSecret(ns, "db");
        SchemaMigration m = Manifests.attributeMove(ns, "m", "db", TargetPhase.Verified);
        m.getSpec().setDeletionPolicy(dev.tandem.api.v1alpha1.DeletionPolicy.RollBack);
        Resource<SchemaMigration> r = apply(m);
        String hash = awaitStatus(r, settledAt(Phase.Verified, 1)).getPlan().getHash();
        edit(r, TargetPhase.CutOver, hash);
        awaitStatus(r, settledAt(Phase.CutOver, 2));
        r.delete();
        await().atMost(TIMEOUT).until(() -> r.get() == null);
        assertThat(TestDatabase.tableExists(db, "users_pii")).isTrue();
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).isTrue();
    }

    @Test
    void aCutoverThatCommittedBeforeTheOperatorCouldRecordItIsNotRunAgain() throws Exception {
        String ns = "crashed";
        DatabaseTarget db = databaseWithSecret(ns, "db");
        SchemaMigration m = Manifests.attributeMove(ns, "m", "db", TargetPhase.Verified);
        m.getSpec().getCutover().setSql("ALTER TABLE users RENAME COLUMN full_name TO legacy_full_name;");
        Resource<SchemaMigration> r = apply(m);
        String hash = awaitStatus(r, settledAt(Phase.Verified, 1)).getPlan().getHash();

        // An operator recorded CuttingOver, committed the cutover, and died before writing status.
        SchemaMigration current = r.get();
        MigrationPlan plan = Planner.plan(current);
        new MigrationEngine(db, EngineSettings.defaults("crashed-operator"))
                .apply(plan, Step.CUTOVER, current.getMetadata().getUid(), StepListener.NONE);
        current.getStatus().setPhase(Phase.CuttingOver);
        r.updateStatus(current);

        edit(r, TargetPhase.CutOver, hash);
        SchemaMigrationStatus s = awaitStatus(r, settledAt(Phase.CutOver, 2));
        assertThat(condition(s, Names.Conditions.REVERSIBLE).getStatus()).isEqualTo("False");
        assertThat(TestDatabase.columnExists(db, "users", "legacy_full_name")).isTrue();
        assertThat(client.v1().events().inNamespace(ns).list().getItems()).extracting(Event::getReason)
                .doesNotContain("StepFailed");
    }

    @Test
    void aStepBlockedByALongTransactionRetriesAndStatusNamesTheBlocker() throws Exception {
        String ns = "blocked";
        DatabaseTarget db = databaseWithSecret(ns, "db");
        SchemaMigration m = Manifests.attributeMove(ns, "m", "db", TargetPhase.Expanded);
        m.getSpec().getExpand().setSql("ALTER TABLE users ADD COLUMN nickname text;");
        m.getSpec().setLockTimeout("200ms");
        try (java.sql.Connection blocker = db.connect("nightly-report")) {
            blocker.setAutoCommit(false);
            try (java.sql.Statement st = blocker.createStatement()) {
                st.executeQuery("SELECT count(*) FROM users").close();
            }
            Resource<SchemaMigration> r = apply(m);
            SchemaMigrationStatus s = awaitStatus(r, st -> st.getLastError() != null
                    && "LockTimeout".equals(st.getLastError().getReason()));
            assertThat(s.getLastError().getMessage()).contains("idle in transaction").contains("nightly-report");
            assertThat(s.getNextRetryTime()).isNotNull();
            assertThat(s.getPhase()).isEqualTo(Phase.Expanding);
            assertThat(condition(s, Names.Conditions.RECONCILING).getReason()).isEqualTo(Names.Reasons.RETRYING);
            assertThat(condition(s, Names.Conditions.STALLED).getStatus()).isEqualTo("False");
            assertThat(TestDatabase.columnExists(db, "users", "nickname")).isFalse();
            blocker.rollback();
            s = awaitStatus(r, settledAt(Phase.Expanded, 1));
            assertThat(s.getLastError()).isNull();
            assertThat(TestDatabase.columnExists(db, "users", "nickname")).isTrue();
        }
    }
}
