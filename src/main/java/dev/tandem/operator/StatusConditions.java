package dev.tandem.operator;

import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.StatusCondition;
import dev.tandem.engine.Redaction;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The conditions of one reconcile's status, started from the previous ones: a condition keeps its
 * lastTransitionTime unless its status changes, every one carries the observed generation, messages
 * are scrubbed of credentials, and they are listed in one fixed order.
 */
final class StatusConditions {
    private static final List<String> ORDER = List.of(Names.Conditions.READY, Names.Conditions.RECONCILING,
            Names.Conditions.STALLED, Names.Conditions.REVERSIBLE, Names.Conditions.AWAITING_PROMOTION,
            Names.Conditions.DATABASE_CONNECTED, Names.Conditions.PLAN_LINTED, Names.Conditions.EXPANDED,
            Names.Conditions.BACKFILLED, Names.Conditions.VERIFIED, Names.Conditions.CUT_OVER, Names.Conditions.CONTRACTED);

    private final SchemaMigrationStatus previous;
    private final Map<String, StatusCondition> conditions = new LinkedHashMap<>();
    private final long generation;
    private final String now;

    StatusConditions(SchemaMigrationStatus previous, long generation, String now) {
        this.previous = previous;
        this.generation = generation;
        this.now = now;
        for (StatusCondition c : previous.getConditions()) {
            conditions.put(c.getType(), c);
        }
    }

    void set(String type, boolean value, String reason, String message) {
        String s = value ? "True" : "False";
        StatusCondition old = conditions.get(type);
        String since = old != null && s.equals(old.getStatus()) && old.getLastTransitionTime() != null
                ? old.getLastTransitionTime() : now;
        conditions.put(type, new StatusCondition(type, s, reason, message == null ? "" : Redaction.scrub(message),
                generation, since));
    }

    Optional<StatusCondition> get(String type) {
        return Optional.ofNullable(conditions.get(type));
    }

    /** Every condition in the fixed order; DatabaseConnected and Reversible are shown from the start. */
    List<StatusCondition> ordered() {
        if (!conditions.containsKey(Names.Conditions.DATABASE_CONNECTED)) {
            set(Names.Conditions.DATABASE_CONNECTED, false, Names.Reasons.NOT_CHECKED, "not checked yet");
        }
        if (!conditions.containsKey(Names.Conditions.REVERSIBLE)) {
            set(Names.Conditions.REVERSIBLE, true, Names.Reasons.BEFORE_CUTOVER, "nothing has run yet");
        }
        List<StatusCondition> ordered = new ArrayList<>();
        for (String type : ORDER) {
            if (conditions.containsKey(type)) {
                ordered.add(conditions.get(type));
            }
        }
        return ordered;
    }

    /** Whether a condition turned True in this reconcile (to emit an event once). */
    boolean becameTrue(String type) {
        StatusCondition before = previous.condition(type).orElse(null);
        StatusCondition after = conditions.get(type);
        return after != null && "True".equals(after.getStatus()) && (before == null || !"True".equals(before.getStatus()));
    }

    /** Whether the Stalled condition or its message is new in this reconcile (to emit an event once). */
    boolean newlyStalled() {
        StatusCondition before = previous.condition(Names.Conditions.STALLED).orElse(null);
        StatusCondition after = conditions.get(Names.Conditions.STALLED);
        return after != null && "True".equals(after.getStatus()) && (before == null
                || !"True".equals(before.getStatus()) || !Objects.equals(before.getMessage(), after.getMessage()));
    }
}
