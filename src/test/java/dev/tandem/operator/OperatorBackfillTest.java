package dev.tandem.operator;

import dev.tandem.api.v1alpha1.BackfillSpec;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.api.v1alpha1.TargetPhase;
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
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A migration with sync entries goes Expanded → Backfilling → Backfilled through a backfill Job. */
@QuarkusTest
@WithKubernetesTestServer
class OperatorBackfillTest extends dev.tandem.testing.OperatorWithJobs {

    /** users(20000 rows) -> users_pii through a sync entry; the returned resource is created. */
    private Resource<SchemaMigration> migration(String ns, String fullNameExpression, int maxRowsPerSecond) {
        return migration(ns, fullNameExpression, maxRowsPerSecond, "", null);
    }

    private Resource<SchemaMigration> migration(String ns, String fullNameExpression, int maxRowsPerSecond,
                                                String moreExpandSql, SyncSpec.OnError onError) {
        DatabaseTarget db = TestDatabase.fresh(ns);
        TestDatabase.exec(db, "CREATE TABLE users (id bigint PRIMARY KEY, email text, full_name text);"
                + "INSERT INTO users SELECT g, 'u' || g, 'name ' || g FROM generate_series(1, 20000) g; ANALYZE users");
        client.resource(Manifests.secret(ns, "db", db, db.user(), TestDatabase.password())).create();
        SchemaMigrationSpec spec = Manifests.attributeMove(ns, "m", "db", TargetPhase.Backfilled).getSpec();
        spec.setExpand(new SqlSpec("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL);"
                + moreExpandSql));
        SyncSpec entry = SyncSpecs.entry("full-name", "users", List.of("id"), "full_name IS NOT NULL", "users_pii",
                List.of("user_id"), Map.of("user_id", "id", "full_name", fullNameExpression));
        entry.setOnError(onError);
        spec.setSync(List.of(entry));
        BackfillSpec backfill = new BackfillSpec();
        backfill.setBatchSize("500");
        backfill.setMaxRowsPerSecond(maxRowsPerSecond);
        spec.setBackfill(backfill);
        SchemaMigration m = new SchemaMigration();
        m.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withNamespace(ns).withName("m").build());
        m.setSpec(spec);
        client.resource(m).create();
        databases.put(ns, db);
        return client.resources(SchemaMigration.class).inNamespace(ns).withName("m");
    }

    private final Map<String, DatabaseTarget> databases = new java.util.concurrent.ConcurrentHashMap<>();

    @Test
    void aBackfillJobCopiesTheRowsWithLiveProgressAndTheMigrationReachesBackfilled() {
        String ns = "bfjob";
        // about four seconds: long enough to watch it move
        Resource<SchemaMigration> r = migration(ns, "full_name", 5000);
        DatabaseTarget db = databases.get(ns);

        AtomicBoolean sawLiveProgress = new AtomicBoolean();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            SchemaMigrationStatus s = r.get().getStatus();
            if (s != null && s.getPhase() == Phase.Backfilling && s.getBackfill() != null
                    && s.getBackfill().getProgressPercent() > 0 && s.getBackfill().getProgressPercent() < 100) {
                sawLiveProgress.set(true);
            }
            return s != null && s.getPhase() == Phase.Backfilled && s.isTrue(Names.Conditions.READY);
        });
        assertThat(sawLiveProgress).as("progress between 0 and 100% seen while Backfilling").isTrue();
        SchemaMigrationStatus s = r.get().getStatus();
        assertThat(s.getBackfill().getProgressPercent()).isEqualTo(100);
        assertThat(s.getBackfill().getJobRef()).startsWith("m-backfill-");
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM users_pii")).isEqualTo(20000L);

        Job job = client.batch().v1().jobs().inNamespace(ns).withName(s.getBackfill().getJobRef()).get();
        assertThat(job.getMetadata().getLabels()).containsEntry(Names.LABEL_PLAN_HASH, s.getPlan().getHash());
        assertThat(job.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getKind()).isEqualTo("SchemaMigration"));
        assertThat(job.getSpec().getBackoffLimit()).isPositive();
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).isPositive();
        var pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        Container c = pod.getContainers().get(0);
        assertThat(c.getArgs()).startsWith("backfill").contains("--plan-hash=" + s.getPlan().getHash(), "--batch-size=500");
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getEnv()).filteredOn(e -> e.getName().startsWith("TANDEM_DB_"))
                .allSatisfy(e -> assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("db"))
                .extracting(e -> e.getName()).contains("TANDEM_DB_JDBC_URI");
        assertThat(job.toString()).doesNotContain("jdbc:postgresql");

        // Rolling back removes the triggers, the new table and the backfill Job.
        edit(r, x -> {
            x.getSpec().setTargetPhase(TargetPhase.RolledBack);
            return x;
        });
        await().atMost(Duration.ofSeconds(60)).until(() -> r.get().getStatus().getPhase() == Phase.RolledBack);
        assertThat(client.batch().v1().jobs().inNamespace(ns).withName(s.getBackfill().getJobRef()).get()).isNull();
        assertThat(TestDatabase.tableExists(db, "users_pii")).isFalse();
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tandem_%'")).isEqualTo(0L);
    }

    @Test
    void aFailedBackfillJobStallsWithItsReason() {
        // The expression reads a table expand creates, so only the backfill meets the row it fails on (row 15000,
        // past the sample expand evaluates); onError: Fail makes that row end the Job.
        Resource<SchemaMigration> r = migration("bffail", "(SELECT CASE WHEN users.id = 15000 THEN (users.full_name::int)::text "
                + "ELSE users.full_name END FROM one)", 0, "CREATE TABLE one (x int); INSERT INTO one VALUES (1)",
                SyncSpec.OnError.Fail);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            SchemaMigrationStatus s = r.get().getStatus();
            return s != null && s.isTrue(Names.Conditions.STALLED);
        });
        SchemaMigrationStatus s = r.get().getStatus();
        assertThat(s.getPhase()).isEqualTo(Phase.Failed);
        assertThat(s.getLastError().getReason()).isEqualTo("BackfillJobFailed");
        assertThat(s.getMessage()).contains("m-backfill-").contains("BackoffLimitExceeded");
        assertThat(jobController.output).anySatisfy(o -> assertThat(o).contains("invalid input syntax for type integer"));
    }

    @Test
    void suspendingAMigrationSuspendsItsBackfillJob() {
        Resource<SchemaMigration> r = migration("bfsuspend", "full_name", 2000);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            SchemaMigrationStatus s = r.get().getStatus();
            return s != null && s.getBackfill() != null && s.getBackfill().getJobRef() != null;
        });
        String jobName = r.get().getStatus().getBackfill().getJobRef();
        edit(r, m -> {
            m.getSpec().setSuspend(true);
            return m;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> Boolean.TRUE.equals(
                client.batch().v1().jobs().inNamespace("bfsuspend").withName(jobName).get().getSpec().getSuspend()));
        assertThat(r.get().getStatus().getMessage()).contains("suspended");
        edit(r, m -> {
            m.getSpec().setSuspend(false);
            return m;
        });
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            SchemaMigrationStatus s = r.get().getStatus();
            return s != null && s.getPhase() == Phase.Backfilled;
        });
        assertThat(client.batch().v1().jobs().inNamespace("bfsuspend").withName(jobName).get().getSpec().getSuspend()).isFalse();
    }
}
