package dev.tandem.operator;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.api.v1alpha1.StatusCondition;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.api.v1alpha1.VerificationStatus;
import dev.tandem.api.v1alpha1.VerifySpec;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.testing.Manifests;
import dev.tandem.testing.SyncSpecs;
import dev.tandem.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Backfilled → Verifying → Verified through verification Jobs; a mismatch stalls, now or later. */
@QuarkusTest
@WithKubernetesTestServer
class OperatorVerifyTest extends dev.tandem.testing.OperatorWithJobs {

    /** users(20000 rows) -> users_pii through a sync entry, verified in chunks of 1000. */
    private Resource<SchemaMigration> migration(String ns, DatabaseTarget db, TargetPhase target, Consumer<VerifySpec> verify) {
        TestDatabase.exec(db, "CREATE TABLE users (id bigint PRIMARY KEY, email text, full_name text);"
                + "INSERT INTO users SELECT g, 'u' || g, 'name ' || g FROM generate_series(1, 20000) g; ANALYZE users");
        client.resource(Manifests.secret(ns, "db", db, db.user(), TestDatabase.password())).create();
        SchemaMigration m = Manifests.attributeMove(ns, "m", "db", target);
        SchemaMigrationSpec spec = m.getSpec();
        spec.setExpand(new SqlSpec("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL)"));
        spec.setSync(List.of(SyncSpecs.entry("full-name", "users", List.of("id"), "full_name IS NOT NULL", "users_pii",
                List.of("user_id"), Map.of("user_id", "id", "full_name", "full_name"))));
        VerifySpec v = new VerifySpec();
        v.setChunkSize(1000);
        verify.accept(v);
        spec.setVerify(v);
        client.resource(m).create();
        return client.resources(SchemaMigration.class).inNamespace(ns).withName("m");
    }

    private static void plant(DatabaseTarget db, String sql) {
        TestDatabase.exec(db, "SET session_replication_role = replica; " + sql);
    }

    private static StatusCondition condition(SchemaMigrationStatus s, String type) {
        return s.condition(type).orElseThrow();
    }

    @Test
    void twoCleanPassesInJobsTakeTheMigrationFromBackfilledThroughVerifyingToVerified() {
        String ns = "vfjob";
        DatabaseTarget db = TestDatabase.fresh(ns);
        Resource<SchemaMigration> r = migration(ns, db, TargetPhase.Verified, v -> v.setCleanPasses(2));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
            SchemaMigrationStatus s = r.get().getStatus();
            return s != null && s.getPhase() == Phase.Verified && s.isTrue(Names.Conditions.READY);
        });
        SchemaMigrationStatus s = r.get().getStatus();
        VerificationStatus v = s.getVerification();
        assertThat(v.getResult()).isEqualTo("Passed");
        assertThat(v.getPass()).isEqualTo(2);
        assertThat(v.getCleanPasses()).isEqualTo(2);
        assertThat(v.getCheckedRows()).isEqualTo(20000L);
        assertThat(v.getMismatchedRows()).isZero();
        assertThat(v.getProgressPercent()).isEqualTo(100);
        assertThat(v.getJobRef()).startsWith("m-verify-" + s.getPlan().getHash().substring(0, 8) + "-");
        assertThat(s.isTrue(Names.Conditions.VERIFIED)).isTrue();
        assertThat(s.getHistory()).anySatisfy(h -> {
            assertThat(h.getPhase()).isEqualTo("Verified");
            assertThat(h.getResult()).isEqualTo("Succeeded");
        });
        assertThat(client.v1().events().inNamespace(ns).list().getItems()).anySatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("StepSucceeded");
            assertThat(e.getMessage()).startsWith("Verified: ").contains("after 2 clean passes (20000 rows checked)");
        });

        Job job = client.batch().v1().jobs().inNamespace(ns).withName("m-verify-" + s.getPlan().getHash().substring(0, 8) + "-2").get();
        assertThat(job.getMetadata().getLabels()).containsEntry(Names.LABEL_COMPONENT, "verify")
                .containsEntry(Names.LABEL_PLAN_HASH, s.getPlan().getHash());
        assertThat(job.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isFalse();
        Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getArgs()).startsWith("verify").contains("--pass=2", "--chunk-size=1000",
                "--plan-hash=" + s.getPlan().getHash());
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(job.toString()).doesNotContain("jdbc:postgresql");
    }

    @Test
    void aMismatchStallsNamingCountsAndSampleKeysUntilRetriedAfterTheFix() {
        String ns = "vffail";
        DatabaseTarget db = TestDatabase.fresh(ns);
        Resource<SchemaMigration> r = migration(ns, db, TargetPhase.Backfilled, v -> { });
        await().atMost(Duration.ofSeconds(90)).until(() -> r.get().getStatus() != null
                && r.get().getStatus().getPhase() == Phase.Backfilled);
        plant(db, "DELETE FROM users_pii WHERE user_id = 17");
        plant(db, "UPDATE users_pii SET full_name = 'changed' WHERE user_id = 19000");
        edit(r, x -> {
            x.getSpec().setTargetPhase(TargetPhase.Verified);
            return x;
        });
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> r.get().getStatus().isTrue(Names.Conditions.STALLED));
        SchemaMigrationStatus s = r.get().getStatus();
        assertThat(s.getPhase()).isEqualTo(Phase.Failed);
        assertThat(s.getLastError().getReason()).isEqualTo("VerificationFailed");
        assertThat(s.getMessage()).contains("2 mismatched (1 missing in new, 0 extra in new, 1 different)")
                .contains("full-name missing user_id=17").contains("full-name different user_id=19000")
                .contains("verify_mismatches").contains("spec.verify.retry");
        assertThat(s.getVerification().getResult()).isEqualTo("Failed");
        assertThat(s.getVerification().getMismatchedRows()).isEqualTo(2L);
        assertThat(s.getVerification().getSampleMismatches()).containsExactlyInAnyOrder("full-name missing user_id=17",
                "full-name different user_id=19000");
        assertThat(condition(s, Names.Conditions.VERIFIED).getStatus()).isEqualTo("False");
        assertThat(condition(s, Names.Conditions.VERIFIED).getReason()).isEqualTo("VerificationFailed");
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("VerificationFailed"));

        plant(db, "INSERT INTO users_pii VALUES (17, 'name 17'); UPDATE users_pii SET full_name = 'name 19000' "
                + "WHERE user_id = 19000");
        edit(r, x -> {
            x.getSpec().getVerify().setRetry("after-fix-1");
            return x;
        });
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() ->
                r.get().getStatus().getPhase() == Phase.Verified && r.get().getStatus().isTrue(Names.Conditions.READY));
        s = r.get().getStatus();
        assertThat(s.getVerification().getPass()).isEqualTo(2);
        assertThat(s.getVerification().getResult()).isEqualTo("Passed");
        assertThat(s.isTrue(Names.Conditions.STALLED)).isFalse();
    }

    @Test
    void aLaterReVerificationFailureRevokesVerifiedAndCutoverIsRefused() {
        String ns = "vfrevoke";
        DatabaseTarget db = TestDatabase.fresh(ns);
        Resource<SchemaMigration> r = migration(ns, db, TargetPhase.Verified, v -> v.setReverifyEvery("1s"));
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            SchemaMigrationStatus s = r.get().getStatus();
            return s != null && s.getPhase() == Phase.Verified && s.getVerification() != null
                    && s.getVerification().getPass() != null && s.getVerification().getPass() >= 2;
        });
        assertThat(r.get().getStatus().isTrue(Names.Conditions.READY)).as("re-verifying keeps it Ready").isTrue();

        plant(db, "UPDATE users_pii SET full_name = 'drifted' WHERE user_id = 4242");
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> r.get().getStatus().isTrue(Names.Conditions.STALLED));
        SchemaMigrationStatus s = r.get().getStatus();
        assertThat(s.getLastError().getReason()).isEqualTo("VerificationFailed");
        assertThat(s.getMessage()).contains("full-name different user_id=4242");
        assertThat(s.isTrue(Names.Conditions.VERIFIED)).isFalse();
        assertThat(s.isTrue(Names.Conditions.READY)).isFalse();

        String hash = s.getPlan().getHash();
        SchemaMigration promoted = edit(r, x -> {
            Manifests.promote(x, TargetPhase.CutOver, hash);
            return x;
        });
        long generation = promoted.getMetadata().getGeneration();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            SchemaMigrationStatus now = r.get().getStatus();
            return now.getObservedGeneration() == generation && now.isTrue(Names.Conditions.STALLED);
        });
        s = r.get().getStatus();
        assertThat(s.getPhase()).isNotIn(Phase.CuttingOver, Phase.CutOver);
        assertThat(s.getLastError().getReason()).isEqualTo("VerificationFailed");
        assertThat(s.isTrue(Names.Conditions.CUT_OVER)).isFalse();
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM tandem.steps WHERE step IN ('verify', 'cutover')"))
                .isEqualTo(0L);
    }
}
