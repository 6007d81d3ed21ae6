package dev.tandem.argocd;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.StatusCondition;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.testing.Manifests;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** deploy/argocd/health.lua, run on objects shaped as the operator writes them. */
class ArgoHealthCheckTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs deploy/argocd/health.lua on the migration as Argo CD would: status and message. */
    static Map<String, String> health(SchemaMigration m) throws Exception {
        Globals globals = JsePlatform.standardGlobals();
        globals.set("obj", toLua(JSON.convertValue(m, Object.class)));
        LuaValue result = globals.load(Files.readString(Path.of("deploy/argocd/health.lua")), "health.lua").call();
        return Map.of("status", result.get("status").tojstring(), "message", result.get("message").tojstring());
    }

    private static LuaValue toLua(Object value) {
        if (value instanceof Map<?, ?> map) {
            LuaTable t = new LuaTable();
            map.forEach((k, v) -> {
                if (v != null) {
                    t.set(k.toString(), toLua(v));
                }
            });
            return t;
        }
        if (value instanceof List<?> list) {
            LuaTable t = new LuaTable();
            for (int i = 0; i < list.size(); i++) {
                t.set(i + 1, toLua(list.get(i)));
            }
            return t;
        }
        if (value instanceof Boolean b) {
            return LuaValue.valueOf(b);
        }
        if (value instanceof Number n) {
            return LuaValue.valueOf(n.doubleValue());
        }
        return value == null ? LuaValue.NIL : LuaValue.valueOf(value.toString());
    }

    private static SchemaMigration migration(long generation, Long observed, Phase phase, String message,
                                             StatusCondition... conditions) {
        SchemaMigration m = Manifests.attributeMove("shop", "m", "db", TargetPhase.Verified);
        m.getMetadata().setGeneration(generation);
        if (phase != null) {
            SchemaMigrationStatus s = new SchemaMigrationStatus();
            s.setPhase(phase);
            s.setObservedGeneration(observed);
            s.setMessage(message);
            s.setConditions(List.of(conditions));
            m.setStatus(s);
        }
        return m;
    }

    private static StatusCondition c(String type, boolean status, String reason, String message) {
        return new StatusCondition(type, status ? "True" : "False", reason, message, 1L, "2026-01-01T00:00:00Z");
    }

    @Test
    void aMigrationNotYetSeenByTheOperatorIsProgressing() throws Exception {
        assertThat(health(migration(1, null, null, null))).containsEntry("status", "Progressing");
    }

    @Test
    void aMigrationWaitingForItsNextPromotionIsHealthy() throws Exception {
        assertThat(health(migration(2, 2L, Phase.Verified, "reached Verified; next: commit CutOver",
                c("Ready", true, "TargetReached", "reached"), c("Stalled", false, "NotStalled", ""),
                c("AwaitingPromotion", true, "AwaitingPromotion", "commit CutOver"))))
                .containsEntry("status", "Healthy").containsEntry("message", "reached Verified; next: commit CutOver");
    }

    @Test
    void aStalledMigrationIsDegradedWithItsReason() throws Exception {
        assertThat(health(migration(3, 3L, Phase.Verified, "needs planHash",
                c("Ready", false, "PlanHashMismatch", "x"), c("Stalled", true, "PlanHashMismatch", "needs planHash"))))
                .containsEntry("status", "Degraded").containsEntry("message", "PlanHashMismatch: needs planHash");
    }

    @Test
    void aMigrationWorkingTowardItsTargetIsProgressing() throws Exception {
        assertThat(health(migration(2, 2L, Phase.Backfilling, "Backfilling",
                c("Ready", false, "Progressing", "x"), c("Stalled", false, "NotStalled", ""))))
                .containsEntry("status", "Progressing");
    }

    @Test
    void aCommitTheOperatorHasNotObservedYetIsProgressingEvenIfTheOldStatusWasReady() throws Exception {
        assertThat(health(migration(4, 3L, Phase.Verified, "reached Verified",
                c("Ready", true, "TargetReached", "reached"))))
                .containsEntry("status", "Progressing");
    }

    @Test
    void aSuspendedMigrationIsSuspended() throws Exception {
        SchemaMigration m = migration(2, 2L, Phase.Expanded, "suspended at Expanded",
                c("Ready", false, "Suspended", "s"), c("Stalled", false, "NotStalled", ""));
        m.getSpec().setSuspend(true);
        assertThat(health(m)).containsEntry("status", "Suspended");
    }
}
