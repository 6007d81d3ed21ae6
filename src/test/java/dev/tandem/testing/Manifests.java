package dev.tandem.testing;

import dev.tandem.api.v1alpha1.CutoverSpec;
import dev.tandem.api.v1alpha1.ContractSpec;
import dev.tandem.api.v1alpha1.DatabaseSpec;
import dev.tandem.api.v1alpha1.PromotionSpec;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SecretRef;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/** Builders for the resources tests apply. */
public final class Manifests {
    /** The quick-start's starting schema, small. */
    public static final String USERS_SETUP = """
            CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL,
                                full_name text NOT NULL);
            INSERT INTO users (email, full_name) SELECT 'u' || g || '@example.com', 'User ' || g
            FROM generate_series(1, 100) g;
            """;

    private Manifests() {
    }

    /** Moves users.full_name into users_pii, as the quick-start does (without its trigger). */
    public static SchemaMigration attributeMove(String namespace, String name, String secret, TargetPhase target) {
        SchemaMigrationSpec spec = new SchemaMigrationSpec();
        DatabaseSpec db = new DatabaseSpec();
        db.setSecretRef(new SecretRef(secret));
        spec.setDatabase(db);
        spec.setTargetPhase(target);
        spec.setLockTimeout("1s");
        spec.setExpand(new SqlSpec("""
                CREATE TABLE users_pii (user_id bigint PRIMARY KEY REFERENCES users (id), full_name text NOT NULL);
                INSERT INTO users_pii SELECT id, full_name FROM users;
                """));
        spec.setCutover(new CutoverSpec("ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL;"));
        spec.setContract(new ContractSpec("ALTER TABLE users DROP COLUMN full_name;"));
        spec.setRollback(new SqlSpec("DROP TABLE IF EXISTS users_pii;"));
        SchemaMigration m = new SchemaMigration();
        m.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        m.setSpec(spec);
        return m;
    }

    public static void promote(SchemaMigration m, TargetPhase target, String planHash) {
        m.getSpec().setTargetPhase(target);
        if (planHash != null) {
            PromotionSpec p = new PromotionSpec();
            p.setPlanHash(planHash);
            p.setReference("https://git.example/pull/1");
            m.getSpec().setPromotion(p);
        }
    }

    /** A Secret with key jdbc-uri (and user/password keys when given). */
    public static Secret secret(String namespace, String name, DatabaseTarget db, String user, String password) {
        Map<String, String> data = new HashMap<>();
        data.put("jdbc-uri", b64(db.jdbcUrl()));
        if (user != null) {
            data.put("user", b64(user));
        }
        if (password != null) {
            data.put("password", b64(password));
        }
        return new SecretBuilder().withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withData(data).build();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
