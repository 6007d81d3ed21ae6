package dev.tandem.operator;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.api.v1alpha1.VerifySpec;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.testing.Manifests;
import dev.tandem.testing.SyncSpecs;
import dev.tandem.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** verify.parallelism makes each pass an Indexed Job whose pods share the pass (mock API server, Job controller played in-process). */
@QuarkusTest
@WithKubernetesTestServer
class OperatorVerifyWorkersTest extends dev.tandem.testing.OperatorWithJobs {

    @Test
    void aPassOfThreeWorkersIsOneIndexedJobAndReachesVerified() {
        String ns = "vfworkers";
        DatabaseTarget db = TestDatabase.fresh(ns);
        TestDatabase.exec(db, "CREATE TABLE users (id bigint PRIMARY KEY, email text, full_name text);"
                + "INSERT INTO users SELECT g, 'u' || g, 'name ' || g FROM generate_series(1, 20000) g; ANALYZE users");
        client.resource(Manifests.secret(ns, "db", db, db.user(), TestDatabase.password())).create();
        SchemaMigration m = Manifests.attributeMove(ns, "m", "db", TargetPhase.Verified);
        SchemaMigrationSpec spec = m.getSpec();
        spec.setExpand(new SqlSpec("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL)"));
        spec.setSync(List.of(SyncSpecs.entry("full-name", "users", List.of("id"), "full_name IS NOT NULL", "users_pii",
                List.of("user_id"), Map.of("user_id", "id", "full_name", "full_name"))));
        VerifySpec v = new VerifySpec();
        v.setChunkSize(1000);
        v.setParallelism(3);
        v.setWholeTableRows(0); // chunk by chunk, however small the table: the pods share its chunks
        spec.setVerify(v);
        client.resource(m).create();
        Resource<SchemaMigration> r = client.resources(SchemaMigration.class).inNamespace(ns).withName("m");

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
            SchemaMigrationStatus s = r.get().getStatus();
            return s != null && s.getPhase() == Phase.Verified && s.isTrue(Names.Conditions.READY);
        });
        SchemaMigrationStatus s = r.get().getStatus();
        assertThat(s.getVerification().getResult()).isEqualTo("Passed");
        assertThat(s.getVerification().getCheckedRows()).isEqualTo(20000L);
        assertThat(s.getVerification().getChunksDone()).isEqualTo(21L);
        Job job = client.batch().v1().jobs().inNamespace(ns).withName(s.getVerification().getJobRef()).get();
        assertThat(job.getSpec().getCompletionMode()).isEqualTo("Indexed");
        assertThat(job.getSpec().getCompletions()).isEqualTo(3);
        assertThat(job.getSpec().getParallelism()).isEqualTo(3);
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).contains("--workers=3",
                "--whole-table-rows=0");
        assertThat(jobController.output).anySatisfy(o -> assertThat(o).contains("worker 2 of 3"));
    }
}
